#include "storage/blob_store.h"

#include <bitset>
#include <mutex>

#include "common/ids.h"
#include "common/log.h"

namespace tarn::storage {

namespace {

constexpr size_t kIdLength = 32;

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

int HexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

// "ab" -> 0xab; s must be lowercase hex.
size_t HexByte(std::string_view s) {
  return static_cast<size_t>(HexValue(s[0]) * 16 + HexValue(s[1]));
}

class BlobStoreImpl;

class BlobWriterImpl final : public BlobWriter {
 public:
  BlobWriterImpl(BlobStoreImpl* store, BlobId id, std::string tmp_path,
                 std::unique_ptr<WritableFile> file)
      : store_(store), id_(std::move(id)), tmp_path_(std::move(tmp_path)), file_(std::move(file)) {}
  ~BlobWriterImpl() override {
    if (!spent_) Abort();
  }

  Status Append(std::string_view data) override {
    if (spent_) return FailedPrecondition("append to a committed or aborted blob writer");
    if (!error_.ok()) return error_;
    Status s = file_->Append(data);
    if (!s.ok()) error_ = s.WithContext("writing blob");
    return error_;
  }

  Result<BlobId> Commit() override;

  void Abort() override {
    if (spent_) return;
    spent_ = true;
    RemoveTmp();
  }

  uint64_t size() const override { return file_->size(); }

 private:
  void RemoveTmp();

  BlobStoreImpl* const store_;
  const BlobId id_;
  const std::string tmp_path_;
  const std::unique_ptr<WritableFile> file_;
  bool spent_ = false;
  Status error_;  // first Append failure
};

class BlobStoreImpl final : public BlobStore {
 public:
  BlobStoreImpl(Env* env, std::string root)
      : env_(env), root_(std::move(root)), blobs_dir_(root_ + "/blobs"), tmp_dir_(root_ + "/tmp") {}

  Result<std::unique_ptr<BlobWriter>> NewWriter() override {
    BlobId id = BlobId::New();
    std::string tmp_path = tmp_dir_ + "/" + id.str();
    TARN_ASSIGN_OR_RETURN(auto file, env_->NewWritableFile(tmp_path));
    return std::unique_ptr<BlobWriter>(std::make_unique<BlobWriterImpl>(
        this, std::move(id), std::move(tmp_path), std::move(file)));
  }

  Result<std::unique_ptr<RandomAccessFile>> Open(const BlobId& id) override {
    if (id.empty()) return InvalidArgument("empty blob id");
    auto f = env_->NewRandomAccessFile(PathOf(id));
    if (!f.ok() && f.status().code() == Code::kNotFound) {
      return NotFound("blob " + id.str() + " does not exist");
    }
    return f;
  }

  Status Delete(const BlobId& id) override {
    if (id.empty()) return InvalidArgument("empty blob id");
    Status s = env_->DeleteFile(PathOf(id));
    if (s.code() == Code::kNotFound) return Status::OK();
    return s;
  }

  Result<size_t> SweepOrphans(const std::function<bool(const BlobId&)>& is_live) override;

  std::string PathOf(const BlobId& id) const override {
    const std::string& s = id.str();
    std::string p;
    p.reserve(blobs_dir_.size() + 8 + s.size());
    p += blobs_dir_;
    p += '/';
    p.append(s, 0, 2);
    p += '/';
    p.append(s, 2, 2);
    p += '/';
    p += s;
    return p;
  }

  Env* env() const { return env_; }
  const std::string& tmp_dir() const { return tmp_dir_; }

  // Makes blobs/ab/cd exist durably: created if missing, and the parents'
  // entries fsynced when this process created them. Blobs renamed into the
  // directory afterwards need only a SyncDir of blobs/ab/cd.
  Status EnsureShardDir(const BlobId& id);

 private:
  Env* const env_;
  const std::string root_;
  const std::string blobs_dir_;
  const std::string tmp_dir_;

  // Which blobs/ab and blobs/ab/cd directories are known durable. Creation
  // and its fsyncs happen under dir_mu_, so a committer never sees a
  // directory that another thread created but has not synced yet. A
  // directory found already present on first use was made by an earlier
  // process and is trusted: its creator synced it before using it, and if
  // that creator died in between, the kernel still holds the entry and a
  // journaling file system commits it with our next fsync.
  std::mutex dir_mu_;
  std::bitset<256> top_known_;      // GUARDED_BY(dir_mu_), index 0xab
  std::bitset<65536> shard_known_;  // GUARDED_BY(dir_mu_), index 0xabcd
};

Status BlobStoreImpl::EnsureShardDir(const BlobId& id) {
  const std::string& s = id.str();
  const size_t top = HexByte(s.substr(0, 2));
  const size_t shard = top * 256 + HexByte(s.substr(2, 2));
  std::lock_guard<std::mutex> lock(dir_mu_);
  if (shard_known_[shard]) return Status::OK();

  const std::string top_dir = blobs_dir_ + "/" + s.substr(0, 2);
  const std::string shard_dir = top_dir + "/" + s.substr(2, 2);
  if (!top_known_[top]) {
    if (!env_->FileExists(top_dir)) {
      TARN_RETURN_IF_ERROR(env_->CreateDirs(top_dir));
      TARN_RETURN_IF_ERROR(env_->SyncDir(blobs_dir_));
    }
    top_known_[top] = true;
  }
  if (!env_->FileExists(shard_dir)) {
    TARN_RETURN_IF_ERROR(env_->CreateDirs(shard_dir));
    TARN_RETURN_IF_ERROR(env_->SyncDir(top_dir));
  }
  shard_known_[shard] = true;
  return Status::OK();
}

Result<size_t> BlobStoreImpl::SweepOrphans(const std::function<bool(const BlobId&)>& is_live) {
  Env* env = env_;
  // tmp/: everything there is an upload that never committed.
  TARN_ASSIGN_OR_RETURN(auto tmp_names, env->ListDir(tmp_dir_));
  size_t tmp_removed = 0;
  for (const std::string& name : tmp_names) {
    std::string path = tmp_dir_ + "/" + name;
    auto is_dir = env->IsDirectory(path);
    if (!is_dir.ok()) {
      if (is_dir.status().code() == Code::kNotFound) continue;
      return is_dir.status();
    }
    if (*is_dir) continue;  // owned by someone else (tmp/duckdb)
    Status s = env->DeleteFile(path);
    if (!s.ok() && s.code() != Code::kNotFound) return s;
    ++tmp_removed;
  }

  // blobs/ab/cd/<id>: anything well-formed that is not live goes. Names that
  // are not ours are left alone and reported: we do not delete what we do not
  // understand.
  size_t removed = 0;
  size_t foreign = 0;
  TARN_ASSIGN_OR_RETURN(auto tops, env->ListDir(blobs_dir_));
  for (const std::string& top : tops) {
    if (top.size() != 2 || !IsLowerHex(top)) {
      ++foreign;
      continue;
    }
    const std::string top_dir = blobs_dir_ + "/" + top;
    TARN_ASSIGN_OR_RETURN(auto shards, env->ListDir(top_dir));
    for (const std::string& shard : shards) {
      if (shard.size() != 2 || !IsLowerHex(shard)) {
        ++foreign;
        continue;
      }
      const std::string shard_dir = top_dir + "/" + shard;
      TARN_ASSIGN_OR_RETURN(auto names, env->ListDir(shard_dir));
      for (const std::string& name : names) {
        BlobId id = BlobId::Parse(name);
        if (id.empty() || name.compare(0, 2, top) != 0 || name.compare(2, 2, shard) != 0) {
          ++foreign;
          continue;
        }
        if (is_live(id)) continue;
        Status s = env->DeleteFile(shard_dir + "/" + name);
        if (!s.ok() && s.code() != Code::kNotFound) return s;
        ++removed;
      }
    }
  }
  TARN_LOG(Info, "blob sweep")
      .Kv("tmp_removed", tmp_removed)
      .Kv("orphans_removed", removed)
      .Kv("foreign_entries", foreign);
  return removed;
}

Result<BlobId> BlobWriterImpl::Commit() {
  if (spent_) return FailedPrecondition("commit of a committed or aborted blob writer");
  if (!error_.ok()) {
    Abort();
    return error_;
  }
  spent_ = true;
  Env* env = store_->env();
  auto fail = [&](const Status& s) -> Status {
    RemoveTmp();
    return s.WithContext("committing blob " + id_.str());
  };
  Status s = file_->Sync();
  if (!s.ok()) return fail(s);
  s = file_->Close();
  if (!s.ok()) return fail(s);
  s = store_->EnsureShardDir(id_);
  if (!s.ok()) return fail(s);
  const std::string final_path = store_->PathOf(id_);
  s = env->RenameFile(tmp_path_, final_path);
  if (!s.ok()) return fail(s);
  const std::string shard_dir = final_path.substr(0, final_path.size() - id_.str().size() - 1);
  s = env->SyncDir(shard_dir);
  if (!s.ok()) {
    // The rename may or may not be durable; either way the caller must not
    // reference the blob, so take it back (the sweep gets it if this fails).
    (void)env->DeleteFile(final_path);
    return s.WithContext("committing blob " + id_.str());
  }
  return id_;
}

void BlobWriterImpl::RemoveTmp() {
  (void)file_->Close();
  Status s = store_->env()->DeleteFile(tmp_path_);
  if (!s.ok() && s.code() != Code::kNotFound) {
    TARN_LOG(Warn, "cannot remove tmp blob").Kv("path", tmp_path_).Kv("error", s.ToString());
  }
}

}  // namespace

BlobId BlobId::New() { return BlobId(RandomHex(kIdLength / 2)); }

BlobId BlobId::Parse(std::string_view s) {
  if (s.size() != kIdLength || !IsLowerHex(s)) return BlobId();
  return BlobId(std::string(s));
}

Result<std::unique_ptr<BlobStore>> BlobStore::Open(Env* env, std::string root) {
  if (env == nullptr) return InvalidArgument("BlobStore::Open: null env");
  if (root.empty()) return InvalidArgument("BlobStore::Open: empty root");
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  auto store = std::make_unique<BlobStoreImpl>(env, root);
  for (const std::string& dir : {root + "/blobs", root + "/tmp"}) {
    if (!env->FileExists(dir)) {
      TARN_RETURN_IF_ERROR(env->CreateDirs(dir));
      TARN_RETURN_IF_ERROR(env->SyncDir(root));
    }
  }
  return std::unique_ptr<BlobStore>(std::move(store));
}

}  // namespace tarn::storage
