#include "query/lake_filesystem.h"

#include <algorithm>
#include <string>
#include <utility>

#include "duckdb/common/exception.hpp"
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

class LakeFileHandle : public duckdb::FileHandle {
 public:
  LakeFileHandle(duckdb::FileSystem& fs, const std::string& path, duckdb::FileOpenFlags flags,
                 std::unique_ptr<LakeObject> object)
      : FileHandle(fs, path, flags), object_(std::move(object)) {}

  void Close() override {}

  LakeObject& object() { return *object_; }
  uint64_t position = 0;

 private:
  std::unique_ptr<LakeObject> object_;
};

class LakeFileSystem : public duckdb::FileSystem {
 public:
  explicit LakeFileSystem(Lake* lake) : lake_(lake) {}

  std::string GetName() const override { return "TarnLakeFileSystem"; }

  bool CanHandleFile(const std::string& path) override {
    LakePath p;
    return ParsePath(path, &p);
  }

  duckdb::unique_ptr<duckdb::FileHandle> OpenFile(const std::string& path,
                                                  duckdb::FileOpenFlags flags,
                                                  duckdb::optional_ptr<duckdb::FileOpener>) override {
    LakePath p;
    if (!ParsePath(path, &p) || p.key.empty()) {
      throw duckdb::IOException("%s: not an object path (s3://bucket/key)", path);
    }
    if (flags.OpenForWriting()) {
      throw duckdb::NotImplementedException(
          "Writing to %s is not supported by tarn yet: s3:// paths are read-only to SQL", path);
    }
    Result<std::unique_ptr<LakeObject>> object = lake_->Open(p.bucket, p.key);
    if (!object.ok()) {
      if (object.status().code() == Code::kNotFound && flags.ReturnNullIfNotExists()) {
        return nullptr;
      }
      Throw(object.status(), path);
    }
    return duckdb::make_uniq<LakeFileHandle>(*this, path, flags, std::move(*object));
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
    return static_cast<int64_t>(handle.Cast<LakeFileHandle>().object().size());
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
  bool OnDiskFile(duckdb::FileHandle&) override { return false; }
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
    return done;
  }

  Lake* const lake_;
};

}  // namespace

duckdb::unique_ptr<duckdb::FileSystem> NewLakeFileSystem(Lake* lake) {
  return duckdb::make_uniq<LakeFileSystem>(lake);
}

}  // namespace tarn::query
