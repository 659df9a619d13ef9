#include "query/lake_filesystem.h"

#include <algorithm>
#include <string>
#include <utility>

#include "duckdb/common/exception.hpp"
#include "duckdb/common/file_opener.hpp"
#include "duckdb/common/open_file_info.hpp"
#include "duckdb/common/types/timestamp.hpp"
#include "query/lake_glob.h"

namespace tarn::query {

namespace {

constexpr std::string_view kSchemes[] = {"s3://", "s3a://", "s3n://"};

struct LakePath {
  std::string scheme;  // "s3://"
  std::string bucket;
  std::string key;
};

bool ParsePath(std::string_view path, LakePath* out) {
  for (std::string_view scheme : kSchemes) {
    if (path.substr(0, scheme.size()) != scheme) continue;
    std::string_view rest = path.substr(scheme.size());
    const size_t slash = rest.find('/');
    if (slash == 0) return false;
    out->scheme = scheme;
    out->bucket = rest.substr(0, slash);
    out->key = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash + 1));
    return true;
  }
  return false;
}

[[noreturn]] void Throw(const Status& status, const std::string& path) {
  throw duckdb::IOException("%s: %s", path, status.message());
}

// An object open for reading, or a new one being written (committed by
// FileSync or Close, so that a failed COPY leaves nothing behind).
class LakeFileHandle : public duckdb::FileHandle {
 public:
  LakeFileHandle(duckdb::FileSystem& fs, const std::string& path, duckdb::FileOpenFlags flags,
                 std::unique_ptr<LakeObject> object, std::shared_ptr<ScanMeter> scan)
      : FileHandle(fs, path, flags), object_(std::move(object)), scan_(std::move(scan)) {}
  LakeFileHandle(duckdb::FileSystem& fs, const std::string& path, duckdb::FileOpenFlags flags,
                 std::unique_ptr<LakeWriter> writer)
      : FileHandle(fs, path, flags), writer_(std::move(writer)) {}

  void Close() override { Commit(); }

  void Commit() {
    if (!writer_ || committed_) return;
    Status st = writer_->Commit();
    if (!st.ok()) Throw(st, path);
    committed_ = true;
  }

  LakeObject& object() {
    if (!object_) throw duckdb::IOException("%s is open for writing", path);
    return *object_;
  }
  bool writing() const { return writer_ != nullptr; }
  // Counts n bytes read into the query's meter; past its limit, fails the
  // query (the exception ends the scan that read them).
  void Count(size_t n) {
    if (!scan_) return;
    const int64_t total = scan_->bytes.fetch_add(static_cast<int64_t>(n)) + static_cast<int64_t>(n);
    if (scan_->limit > 0 && total > scan_->limit) {
      throw duckdb::IOException("%s: the query has read %lld bytes, over its limit of %lld", path,
                                static_cast<long long>(total), static_cast<long long>(scan_->limit));
    }
  }
  void Append(const char* data, size_t n) {
    if (committed_) throw duckdb::IOException("%s: written after it was committed", path);
    Status st = writer_->Append(std::string_view(data, n));
    if (!st.ok()) Throw(st, path);
    written += n;
  }

  uint64_t position = 0;
  uint64_t written = 0;

 private:
  std::unique_ptr<LakeObject> object_;
  std::unique_ptr<LakeWriter> writer_;
  std::shared_ptr<ScanMeter> scan_;  // null: reads are not counted
  bool committed_ = false;
};

class LakeFileSystem : public duckdb::FileSystem {
 public:
  LakeFileSystem(Lake* lake, ScanMeterOf scan_of) : lake_(lake), scan_of_(scan_of) {}

  std::string GetName() const override { return "TarnLakeFileSystem"; }

  bool CanHandleFile(const std::string& path) override {
    LakePath p;
    return ParsePath(path, &p);
  }

  duckdb::unique_ptr<duckdb::FileHandle> OpenFile(const std::string& path,
                                                  duckdb::FileOpenFlags flags,
                                                  duckdb::optional_ptr<duckdb::FileOpener> opener) override {
    LakePath p;
    if (!ParsePath(path, &p) || p.key.empty()) {
      throw duckdb::IOException("%s: not an object path (s3://bucket/key)", path);
    }
    if (flags.OpenForWriting()) {
      if (flags.OpenForAppending()) {
        throw duckdb::NotImplementedException("%s: objects cannot be appended to", path);
      }
      Result<std::unique_ptr<LakeWriter>> writer = lake_->Create(p.bucket, p.key);
      if (!writer.ok()) Throw(writer.status(), path);
      return duckdb::make_uniq<LakeFileHandle>(*this, path, flags, std::move(*writer));
    }
    Result<std::unique_ptr<LakeObject>> object = lake_->Open(p.bucket, p.key);
    if (!object.ok()) {
      if (object.status().code() == Code::kNotFound && flags.ReturnNullIfNotExists()) {
        return nullptr;
      }
      Throw(object.status(), path);
    }
    std::shared_ptr<ScanMeter> scan;
    if (scan_of_ != nullptr) {
      if (auto context = duckdb::FileOpener::TryGetClientContext(opener)) scan = scan_of_(*context);
    }
    return duckdb::make_uniq<LakeFileHandle>(*this, path, flags, std::move(*object), std::move(scan));
  }

  void Read(duckdb::FileHandle& handle, void* buffer, int64_t nr_bytes, duckdb::idx_t location) override {
    auto& h = handle.Cast<LakeFileHandle>();
    const size_t got = ReadFully(h, static_cast<char*>(buffer), static_cast<size_t>(nr_bytes), location);
    if (got != static_cast<size_t>(nr_bytes)) {
      throw duckdb::IOException("%s: read of %lld bytes at %llu ends at the object's end (%llu bytes)",
                                h.path, static_cast<long long>(nr_bytes),
                                static_cast<unsigned long long>(location),
                                static_cast<unsigned long long>(h.object().size()));
    }
  }

  int64_t Read(duckdb::FileHandle& handle, void* buffer, int64_t nr_bytes) override {
    auto& h = handle.Cast<LakeFileHandle>();
    const size_t got = ReadFully(h, static_cast<char*>(buffer), static_cast<size_t>(nr_bytes), h.position);
    h.position += got;
    return static_cast<int64_t>(got);
  }

  int64_t GetFileSize(duckdb::FileHandle& handle) override {
    auto& h = handle.Cast<LakeFileHandle>();
    return static_cast<int64_t>(h.writing() ? h.written : h.object().size());
  }

  void Write(duckdb::FileHandle& handle, void* buffer, int64_t nr_bytes, duckdb::idx_t location) override {
    auto& h = handle.Cast<LakeFileHandle>();
    if (!h.writing()) throw duckdb::IOException("%s is open for reading", h.path);
    if (location != h.written) {
      throw duckdb::IOException("%s: objects are written front to back (write at %llu, %llu written)",
                                h.path, static_cast<unsigned long long>(location),
                                static_cast<unsigned long long>(h.written));
    }
    h.Append(static_cast<const char*>(buffer), static_cast<size_t>(nr_bytes));
  }

  int64_t Write(duckdb::FileHandle& handle, void* buffer, int64_t nr_bytes) override {
    auto& h = handle.Cast<LakeFileHandle>();
    Write(handle, buffer, nr_bytes, h.written);
    return nr_bytes;
  }

  void FileSync(duckdb::FileHandle& handle) override { handle.Cast<LakeFileHandle>().Commit(); }

  void RemoveFile(const std::string& path, duckdb::optional_ptr<duckdb::FileOpener>) override {
    LakePath p;
    if (!ParsePath(path, &p) || p.key.empty()) throw duckdb::IOException("%s: not an object path", path);
    Status st = lake_->Delete(p.bucket, p.key);
    if (!st.ok()) Throw(st, path);
  }

  bool TryRemoveFile(const std::string& path, duckdb::optional_ptr<duckdb::FileOpener> opener) override {
    LakePath p;
    if (!ParsePath(path, &p) || p.key.empty()) return false;
    return lake_->Delete(p.bucket, p.key).ok();
  }

  // S3 has no folders: creating one is nothing, and removing one removes
  // the objects under it.
  void CreateDirectory(const std::string&, duckdb::optional_ptr<duckdb::FileOpener>) override {}
  void RemoveDirectory(const std::string& path, duckdb::optional_ptr<duckdb::FileOpener>) override {
    LakePath p;
    if (!ParsePath(path, &p)) return;
    std::string prefix = p.key;
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    std::vector<std::string> keys;
    Status st = lake_->List(p.bucket, prefix, [&](const Lake::Entry& e) {
      keys.push_back(e.key);
      return true;
    });
    if (!st.ok() && st.code() != Code::kNotFound) Throw(st, path);
    for (const std::string& k : keys) {
      st = lake_->Delete(p.bucket, k);
      if (!st.ok()) Throw(st, path);
    }
  }

  // A copy then a delete: S3 has no rename.
  void MoveFile(const std::string& source, const std::string& target,
                duckdb::optional_ptr<duckdb::FileOpener>) override {
    LakePath from, to;
    if (!ParsePath(source, &from) || !ParsePath(target, &to)) {
      throw duckdb::IOException("cannot move %s to %s", source, target);
    }
    Result<std::unique_ptr<LakeObject>> in = lake_->Open(from.bucket, from.key);
    if (!in.ok()) Throw(in.status(), source);
    Result<std::unique_ptr<LakeWriter>> out = lake_->Create(to.bucket, to.key);
    if (!out.ok()) Throw(out.status(), target);
    std::string buf(1 << 20, '\0');
    for (uint64_t at = 0; at < (*in)->size();) {
      Result<size_t> n = (*in)->ReadAt(at, buf.data(), buf.size());
      if (!n.ok()) Throw(n.status(), source);
      if (*n == 0) break;
      Status st = (*out)->Append(std::string_view(buf.data(), *n));
      if (!st.ok()) Throw(st, target);
      at += *n;
    }
    Status st = (*out)->Commit();
    if (!st.ok()) Throw(st, target);
    st = lake_->Delete(from.bucket, from.key);
    if (!st.ok()) Throw(st, source);
  }

  duckdb::timestamp_t GetLastModifiedTime(duckdb::FileHandle& handle) override {
    return duckdb::Timestamp::FromEpochMs(handle.Cast<LakeFileHandle>().object().last_modified_ms());
  }

  bool FileExists(const std::string& path, duckdb::optional_ptr<duckdb::FileOpener>) override {
    LakePath p;
    if (!ParsePath(path, &p) || p.key.empty()) return false;
    return lake_->Open(p.bucket, p.key).ok();
  }

  // An S3 "directory" exists when some key lies under it.
  bool DirectoryExists(const std::string& path, duckdb::optional_ptr<duckdb::FileOpener>) override {
    LakePath p;
    if (!ParsePath(path, &p)) return false;
    std::string prefix = p.key;
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    bool any = false;
    Status st = lake_->List(p.bucket, prefix, [&](const Lake::Entry&) {
      any = true;
      return false;
    });
    return st.ok() && any;
  }

  duckdb::vector<duckdb::OpenFileInfo> Glob(const std::string& path, duckdb::FileOpener*) override {
    LakePath p;
    if (!ParsePath(path, &p)) throw duckdb::IOException("%s: not an s3:// path", path);
    duckdb::vector<duckdb::OpenFileInfo> out;
    const std::string base = p.scheme + p.bucket + "/";
    if (!HasGlob(p.key)) {
      if (!p.key.empty() && lake_->Open(p.bucket, p.key).ok()) out.emplace_back(path);
      return out;
    }
    Status st = lake_->List(p.bucket, GlobPrefix(p.key), [&](const Lake::Entry& e) {
      if (GlobMatch(p.key, e.key)) out.emplace_back(base + e.key);
      return true;
    });
    if (!st.ok() && st.code() != Code::kNotFound) Throw(st, path);
    return out;  // listed in key order, which is what DuckDB sorts to anyway
  }

  bool ListFiles(const std::string& directory,
                 const std::function<void(const std::string&, bool)>& callback,
                 duckdb::FileOpener*) override {
    LakePath p;
    if (!ParsePath(directory, &p)) return false;
    std::string prefix = p.key;
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    std::string last_dir;
    bool any = false;
    Status st = lake_->List(p.bucket, prefix, [&](const Lake::Entry& e) {
      any = true;
      std::string_view rest = std::string_view(e.key).substr(prefix.size());
      const size_t slash = rest.find('/');
      if (slash == std::string_view::npos) {
        callback(std::string(rest), false);
      } else if (std::string dir(rest.substr(0, slash)); dir != last_dir) {
        callback(dir, true);
        last_dir = std::move(dir);
      }
      return true;
    });
    return st.ok() && any;
  }

  bool CanSeek() override { return true; }
  // Objects are blob files on this machine's disk, read through the page
  // cache: DuckDB reads them as it reads local files, without prefetching
  // whole column chunks or caching reads in its buffer pool as it does for
  // remote ones.
  bool OnDiskFile(duckdb::FileHandle&) override { return true; }
  void Seek(duckdb::FileHandle& handle, duckdb::idx_t location) override {
    handle.Cast<LakeFileHandle>().position = location;
  }
  duckdb::idx_t SeekPosition(duckdb::FileHandle& handle) override {
    return handle.Cast<LakeFileHandle>().position;
  }

 private:
  // Reads until n bytes or the object's end; throws on a read error.
  size_t ReadFully(LakeFileHandle& h, char* buf, size_t n, uint64_t at) {
    size_t done = 0;
    while (done < n) {
      Result<size_t> got = h.object().ReadAt(at + done, buf + done, n - done);
      if (!got.ok()) Throw(got.status(), h.path);
      if (*got == 0) break;
      done += *got;
    }
    h.Count(done);
    return done;
  }

  Lake* const lake_;
  const ScanMeterOf scan_of_;
};

}  // namespace

duckdb::unique_ptr<duckdb::FileSystem> NewLakeFileSystem(Lake* lake, ScanMeterOf scan_of) {
  return duckdb::make_uniq<LakeFileSystem>(lake, scan_of);
}

}  // namespace tarn::query
