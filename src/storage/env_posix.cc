// Env::Default(): the POSIX implementation of Env.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "storage/env.h"

namespace tarn::storage {
namespace {

constexpr mode_t kFileMode = 0600;
constexpr mode_t kDirMode = 0700;

// ENOENT gets its own kind so that callers (BlobStore::Open) can answer
// NotFound without inspecting messages.
Status PosixError(std::string_view op, const std::string& path, int err) {
  std::string what(op);
  what += ' ';
  what += path;
  if (err == ENOENT) {
    what += ": ";
    what += std::strerror(err);
    return NotFound(std::move(what));
  }
  return ErrnoStatus(what, err);
}

// open(2), retried on EINTR (possible on some file systems, e.g. FUSE).
int OpenRetrying(const char* path, int flags, mode_t mode = kFileMode) {
  int fd;
  do {
    fd = ::open(path, flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

int FdatasyncRetrying(int fd) {
  int rc;
  do {
    rc = ::fdatasync(fd);
  } while (rc != 0 && errno == EINTR);
  return rc;
}

// close(2) is not retried on EINTR: on Linux the descriptor is gone either way.
int CloseFd(int fd) {
  int rc = ::close(fd);
  return (rc != 0 && errno == EINTR) ? 0 : rc;
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) CloseFd(fd_);
  }

  Status Append(std::string_view data) override {
    if (!error_.ok()) return error_;
    if (fd_ < 0) return FailedPrecondition("append to closed file " + path_);
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      // Linux moves at most 0x7ffff000 bytes per call; ask for no more.
      size_t chunk = std::min<size_t>(left, 1u << 30);
      ssize_t n = ::pwrite(fd_, p, chunk, static_cast<off_t>(size_));
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError("write", path_, errno);
      }
      if (n == 0) return PosixError("write", path_, EIO);  // cannot progress
      p += n;
      left -= static_cast<size_t>(n);
      size_ += static_cast<uint64_t>(n);
    }
    return Status::OK();
  }

  Status Sync() override {
    if (!error_.ok()) return error_;
    if (fd_ < 0) return FailedPrecondition("sync of closed file " + path_);
    if (FdatasyncRetrying(fd_) != 0) {
      // After a failed fsync the kernel may have dropped the dirty pages and
      // a retry would "succeed" without the data: never trust this file again.
      error_ = PosixError("fdatasync", path_, errno);
      return error_;
    }
    return Status::OK();
  }

  Status Close() override {
    if (fd_ < 0) return Status::OK();
    int rc = CloseFd(fd_);
    fd_ = -1;
    if (rc != 0) return PosixError("close", path_, errno);
    return Status::OK();
  }

  uint64_t size() const override { return size_; }

 private:
  const std::string path_;
  int fd_;
  uint64_t size_;
  Status error_;  // sticky Sync failure
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixRandomAccessFile() override { CloseFd(fd_); }

  Result<size_t> Read(uint64_t offset, size_t n, char* scratch) const override {
    size_t done = 0;
    while (done < n) {
      size_t chunk = std::min<size_t>(n - done, 1u << 30);
      ssize_t r = ::pread(fd_, scratch + done, chunk, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return PosixError("read", path_, errno);
      }
      if (r == 0) break;  // end of file
      done += static_cast<size_t>(r);
    }
    return done;
  }

  uint64_t size() const override { return size_; }
  int fd() const override { return fd_; }

 private:
  const std::string path_;
  const int fd_;
  const uint64_t size_;
};

std::string StripTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    int fd = OpenRetrying(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC);
    if (fd < 0) return PosixError("open", path, errno);
    return std::unique_ptr<WritableFile>(std::make_unique<PosixWritableFile>(path, fd, 0));
  }

  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    // No O_APPEND: the file object tracks its end and writes with pwrite, so
    // a short write can be resumed at the right offset.
    int fd = OpenRetrying(path.c_str(), O_WRONLY | O_CREAT);
    if (fd < 0) return PosixError("open", path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      CloseFd(fd);
      return PosixError("fstat", path, err);
    }
    return std::unique_ptr<WritableFile>(
        std::make_unique<PosixWritableFile>(path, fd, static_cast<uint64_t>(st.st_size)));
  }

  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    int fd = OpenRetrying(path.c_str(), O_RDONLY);
    if (fd < 0) return PosixError("open", path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      CloseFd(fd);
      return PosixError("fstat", path, err);
    }
    if (S_ISDIR(st.st_mode)) {
      CloseFd(fd);
      return PosixError("open", path, EISDIR);
    }
    return std::unique_ptr<RandomAccessFile>(
        std::make_unique<PosixRandomAccessFile>(path, fd, static_cast<uint64_t>(st.st_size)));
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return PosixError("rename", from + " -> " + to, errno);
    }
    return Status::OK();
  }

  Status DeleteFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError("unlink", path, errno);
    return Status::OK();
  }

  Status TruncateFile(const std::string& path, uint64_t size) override {
    int fd = OpenRetrying(path.c_str(), O_WRONLY);
    if (fd < 0) return PosixError("open", path, errno);
    int rc;
    do {
      rc = ::ftruncate(fd, static_cast<off_t>(size));
    } while (rc != 0 && errno == EINTR);
    Status s;
    if (rc != 0) {
      s = PosixError("ftruncate", path, errno);
    } else if (FdatasyncRetrying(fd) != 0) {
      s = PosixError("fdatasync", path, errno);
    }
    if (CloseFd(fd) != 0 && s.ok()) s = PosixError("close", path, errno);
    return s;
  }

  Status CreateDirs(const std::string& path) override {
    if (path.empty()) return InvalidArgument("CreateDirs: empty path");
    return MakeDirs(StripTrailingSlashes(path));
  }

  Status DeleteDir(const std::string& path) override {
    if (::rmdir(path.c_str()) != 0) return PosixError("rmdir", path, errno);
    return Status::OK();
  }

  Status SyncDir(const std::string& path) override {
    int fd = OpenRetrying(path.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return PosixError("open directory", path, errno);
    int rc;
    do {
      rc = ::fsync(fd);
    } while (rc != 0 && errno == EINTR);
    Status s;
    if (rc != 0) s = PosixError("fsync directory", path, errno);
    CloseFd(fd);
    return s;
  }

  bool FileExists(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  }

  Result<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return PosixError("opendir", dir, errno);
    std::vector<std::string> names;
    for (;;) {
      errno = 0;
      struct dirent* e = ::readdir(d);
      if (e == nullptr) {
        int err = errno;
        ::closedir(d);
        if (err != 0) return PosixError("readdir", dir, err);
        break;
      }
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      names.emplace_back(e->d_name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  Result<bool> IsDirectory(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError("stat", path, errno);
    return S_ISDIR(st.st_mode);
  }

 private:
  Status MakeDirs(const std::string& path) {
    if (::mkdir(path.c_str(), kDirMode) == 0) return Status::OK();
    int err = errno;
    if (err == EEXIST) {
      struct stat st;
      if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::OK();
      return PosixError("mkdir", path, ENOTDIR);
    }
    if (err != ENOENT) return PosixError("mkdir", path, err);
    // A parent is missing: create it, then retry (another thread may have
    // created this one meanwhile, hence EEXIST is fine).
    size_t slash = path.find_last_of('/');
    if (slash == std::string::npos || slash == 0) return PosixError("mkdir", path, err);
    TARN_RETURN_IF_ERROR(MakeDirs(StripTrailingSlashes(path.substr(0, slash))));
    if (::mkdir(path.c_str(), kDirMode) != 0 && errno != EEXIST) {
      return PosixError("mkdir", path, errno);
    }
    return Status::OK();
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv env;
  return &env;
}

}  // namespace tarn::storage
