// FaultInjectionEnv: an Env that forwards to another Env and fails on demand,
// so tests can prove what tarn does when the disk lies or fills up (RocksDB's
// fault-injection env, leveldb's FaultInjectionTestEnv). Test builds only:
// it lives in the tarn_storage_testing library.
//
//   FaultInjectionEnv env(Env::Default());
//   auto blobs = BlobStore::Open(&env, dir);
//   env.FailNextSync();                 // the next WritableFile::Sync -> EIO
//   EXPECT_EQ(writer->Commit().status().code(), Code::kIOError);
//
// Every switch can be flipped at any time from any thread (atomics); a switch
// is read when the faulting call is made, also by files opened earlier. Files
// keep the switches alive, so they may outlive the env, but not the base Env.
//
// Injected errors look like the OS's: ErrnoStatus with EIO or ENOSPC.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "storage/env.h"

namespace tarn::storage {

class FaultInjectionEnv final : public Env {
 public:
  // base must outlive this env and every file opened through it.
  explicit FaultInjectionEnv(Env* base);
  ~FaultInjectionEnv() override;

  // WritableFile::Sync fails with EIO, without syncing: only the next call,
  // or every call while the switch is on.
  void FailNextSync();
  void SetSyncFailure(bool on);
  // SyncDir fails with EIO while on.
  void SetDirSyncFailure(bool on);
  // Append writes the first half of its data (rounded down) and then fails
  // with EIO, as a write interrupted by an I/O error does.
  void SetShortWrite(bool on);
  // Append fails with ENOSPC and writes nothing.
  void SetNoSpace(bool on);
  // RandomAccessFile::Read fails with EIO.
  void SetReadError(bool on);
  // RenameFile fails with EIO and renames nothing.
  void SetRenameFailure(bool on);
  // Turns every switch off.
  void ClearFaults();

  // How many errors this env has injected so far.
  uint64_t injected_faults() const;

  // Env
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status DeleteFile(const std::string& path) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  Status CreateDirs(const std::string& path) override;
  Status DeleteDir(const std::string& path) override;
  Status SyncDir(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  Result<uint64_t> GetFileSize(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  Result<bool> IsDirectory(const std::string& path) override;

  // The switches, shared with the files this env opened.
  struct Faults {
    std::atomic<bool> fail_next_sync{false};
    std::atomic<bool> fail_all_syncs{false};
    std::atomic<bool> fail_dir_sync{false};
    std::atomic<bool> short_write{false};
    std::atomic<bool> no_space{false};
    std::atomic<bool> read_error{false};
    std::atomic<bool> fail_rename{false};
    std::atomic<uint64_t> injected{0};
  };

 private:
  Env* const base_;
  const std::shared_ptr<Faults> faults_;
};

}  // namespace tarn::storage
