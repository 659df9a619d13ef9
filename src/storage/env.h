// Env: every file-system access tarn makes goes through this interface
// (leveldb's Env, Arrow's FileSystem), so tests can substitute a
// fault-injecting implementation (fsync failure, short write, ENOSPC, EIO).
//
// Thread-safety: Env methods are safe to call concurrently. File objects are
// not shared between threads, except RandomAccessFile, whose Read is
// thread-safe (pread).
//
// Errors: NotFound when a path (or a parent of it) does not exist;
// ResourceExhausted when the disk or quota is full (ENOSPC, EDQUOT); IOError
// for every other OS failure. Messages name the operation and the path.
//
// Durability: Append is durable only after Sync. A create, rename or delete
// is durable only after SyncDir on the directory that holds the name.
// New files are created 0600 and directories 0700 (the data directory holds
// user data and credentials).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tarn::storage {

// A file being written from the start. Append buffers nothing of its own
// beyond what the OS caches; Sync makes the appended bytes durable.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // fdatasync. A failed Sync is sticky: the page cache may have dropped the
  // data, so every later Append and Sync on this file fails with that error.
  virtual Status Sync() = 0;
  virtual Status Close() = 0;  // idempotent; the destructor closes too
  virtual uint64_t size() const = 0;
};

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset into scratch; returns how many were read
  // (fewer only at end of file).
  virtual Result<size_t> Read(uint64_t offset, size_t n, char* scratch) const = 0;
  // The file's size when it was opened.
  virtual uint64_t size() const = 0;
  // The OS file descriptor, for zero-copy sends; -1 when there is none.
  virtual int fd() const { return -1; }
};

class Env {
 public:
  virtual ~Env() = default;

  // The process's POSIX env. Belongs to tarn; never delete it.
  static Env* Default();

  // Creates or truncates path.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // Opens path for appending at its current end (creating it if missing).
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;

  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status DeleteFile(const std::string& path) = 0;
  // Durable on return (the file is fdatasync'ed after the truncate).
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  // mkdir -p
  virtual Status CreateDirs(const std::string& path) = 0;
  virtual Status DeleteDir(const std::string& path) = 0;  // must be empty
  // fsync on the directory, making creates, renames and deletes in it durable.
  virtual Status SyncDir(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  virtual Result<uint64_t> GetFileSize(const std::string& path) = 0;
  // Names (not paths) of entries in dir, without "." and "..", sorted.
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  virtual Result<bool> IsDirectory(const std::string& path) = 0;
};

}  // namespace tarn::storage
