#include "storage/fault_injection_env.h"

#include <cerrno>

namespace tarn::storage {
namespace {

using Faults = FaultInjectionEnv::Faults;

Status Inject(Faults& f, std::string_view op, const std::string& path, int err) {
  f.injected.fetch_add(1, std::memory_order_relaxed);
  std::string what("injected fault: ");
  what += op;
  what += ' ';
  what += path;
  return ErrnoStatus(what, err);
}

class FaultyWritableFile final : public WritableFile {
 public:
  FaultyWritableFile(std::unique_ptr<WritableFile> base, std::shared_ptr<Faults> faults,
                     std::string path)
      : base_(std::move(base)), faults_(std::move(faults)), path_(std::move(path)) {}

  Status Append(std::string_view data) override {
    if (faults_->no_space.load()) return Inject(*faults_, "write", path_, ENOSPC);
    if (faults_->short_write.load()) {
      TARN_RETURN_IF_ERROR(base_->Append(data.substr(0, data.size() / 2)));
      return Inject(*faults_, "write", path_, EIO);
    }
    return base_->Append(data);
  }

  Status Sync() override {
    // exchange first so that a one-shot failure is consumed exactly once.
    if (faults_->fail_next_sync.exchange(false) || faults_->fail_all_syncs.load()) {
      return Inject(*faults_, "fdatasync", path_, EIO);
    }
    return base_->Sync();
  }

  Status Close() override { return base_->Close(); }
  uint64_t size() const override { return base_->size(); }

 private:
  const std::unique_ptr<WritableFile> base_;
  const std::shared_ptr<Faults> faults_;
  const std::string path_;
};

class FaultyRandomAccessFile final : public RandomAccessFile {
 public:
  FaultyRandomAccessFile(std::unique_ptr<RandomAccessFile> base, std::shared_ptr<Faults> faults,
                         std::string path)
      : base_(std::move(base)), faults_(std::move(faults)), path_(std::move(path)) {}

  Result<size_t> Read(uint64_t offset, size_t n, char* scratch) const override {
    if (faults_->read_error.load()) return Inject(*faults_, "read", path_, EIO);
    return base_->Read(offset, n, scratch);
  }
  uint64_t size() const override { return base_->size(); }
  int fd() const override { return base_->fd(); }

 private:
  const std::unique_ptr<RandomAccessFile> base_;
  const std::shared_ptr<Faults> faults_;
  const std::string path_;
};

}  // namespace

FaultInjectionEnv::FaultInjectionEnv(Env* base)
    : base_(base), faults_(std::make_shared<Faults>()) {}

FaultInjectionEnv::~FaultInjectionEnv() = default;

void FaultInjectionEnv::FailNextSync() { faults_->fail_next_sync.store(true); }
void FaultInjectionEnv::SetSyncFailure(bool on) { faults_->fail_all_syncs.store(on); }
void FaultInjectionEnv::SetDirSyncFailure(bool on) { faults_->fail_dir_sync.store(on); }
void FaultInjectionEnv::SetShortWrite(bool on) { faults_->short_write.store(on); }
void FaultInjectionEnv::SetNoSpace(bool on) { faults_->no_space.store(on); }
void FaultInjectionEnv::SetReadError(bool on) { faults_->read_error.store(on); }
void FaultInjectionEnv::SetRenameFailure(bool on) { faults_->fail_rename.store(on); }

void FaultInjectionEnv::ClearFaults() {
  faults_->fail_next_sync.store(false);
  faults_->fail_all_syncs.store(false);
  faults_->fail_dir_sync.store(false);
  faults_->short_write.store(false);
  faults_->no_space.store(false);
  faults_->read_error.store(false);
  faults_->fail_rename.store(false);
}

uint64_t FaultInjectionEnv::injected_faults() const { return faults_->injected.load(); }

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(const std::string& path) {
  TARN_ASSIGN_OR_RETURN(auto f, base_->NewWritableFile(path));
  return std::unique_ptr<WritableFile>(
      std::make_unique<FaultyWritableFile>(std::move(f), faults_, path));
}

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewAppendableFile(
    const std::string& path) {
  TARN_ASSIGN_OR_RETURN(auto f, base_->NewAppendableFile(path));
  return std::unique_ptr<WritableFile>(
      std::make_unique<FaultyWritableFile>(std::move(f), faults_, path));
}

Result<std::unique_ptr<RandomAccessFile>> FaultInjectionEnv::NewRandomAccessFile(
    const std::string& path) {
  TARN_ASSIGN_OR_RETURN(auto f, base_->NewRandomAccessFile(path));
  return std::unique_ptr<RandomAccessFile>(
      std::make_unique<FaultyRandomAccessFile>(std::move(f), faults_, path));
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  if (faults_->fail_rename.load()) return Inject(*faults_, "rename", from + " -> " + to, EIO);
  return base_->RenameFile(from, to);
}

Status FaultInjectionEnv::DeleteFile(const std::string& path) { return base_->DeleteFile(path); }

Status FaultInjectionEnv::TruncateFile(const std::string& path, uint64_t size) {
  return base_->TruncateFile(path, size);
}

Status FaultInjectionEnv::CreateDirs(const std::string& path) { return base_->CreateDirs(path); }

Status FaultInjectionEnv::DeleteDir(const std::string& path) { return base_->DeleteDir(path); }

Status FaultInjectionEnv::SyncDir(const std::string& path) {
  if (faults_->fail_dir_sync.load()) return Inject(*faults_, "fsync directory", path, EIO);
  return base_->SyncDir(path);
}

bool FaultInjectionEnv::FileExists(const std::string& path) { return base_->FileExists(path); }

Result<uint64_t> FaultInjectionEnv::GetFileSize(const std::string& path) {
  return base_->GetFileSize(path);
}

Result<std::vector<std::string>> FaultInjectionEnv::ListDir(const std::string& dir) {
  return base_->ListDir(dir);
}

Result<bool> FaultInjectionEnv::IsDirectory(const std::string& path) {
  return base_->IsDirectory(path);
}

}  // namespace tarn::storage
