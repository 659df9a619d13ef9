// BlobStore: immutable byte blobs on disk, written once, read by range.
//
// Layout under the data directory:
//   <root>/blobs/ab/cd/<id>   a committed blob (id = 32 hex chars, ab/cd its
//                             first four characters)
//   <root>/tmp/<id>           a blob being written
//
// Protocol (DESIGN.md §Storage): a writer streams to tmp/, the caller's
// hashes are computed on the way, Commit() fsyncs the file, renames it into
// blobs/ and fsyncs the directory; only after Commit() returns may metadata
// reference the blob. A crash before the metadata commit leaves an orphan
// blob that SweepOrphans() removes at start; metadata never points at a
// missing blob.
//
// Thread-safety: BlobStore is thread-safe. A BlobWriter is used by one thread
// at a time and must not outlive its BlobStore.
//
// Errors: as Env's (IOError, ResourceExhausted when the disk is full).
// See docs/storage.md for the on-disk layout as a spec.
#pragma once

#include <compare>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/env.h"

namespace tarn::storage {

// A blob's identity: 32 lowercase hex characters.
class BlobId {
 public:
  BlobId() = default;
  static BlobId New();  // random
  // nullopt-like: returns an empty id when s is not 32 lowercase hex chars.
  static BlobId Parse(std::string_view s);
  const std::string& str() const { return id_; }
  bool empty() const { return id_.empty(); }
  auto operator<=>(const BlobId&) const = default;

 private:
  explicit BlobId(std::string id) : id_(std::move(id)) {}
  std::string id_;
};

class BlobWriter {
 public:
  virtual ~BlobWriter() = default;  // aborts (deletes the tmp file) unless committed
  // After a failed Append the writer is broken: later Appends and Commit
  // return that error; the tmp file is deleted on Abort or destruction.
  virtual Status Append(std::string_view data) = 0;
  // fsync, rename into blobs/, fsync the directory. After OK the blob is
  // durable and readable. The writer is spent either way; on error nothing
  // is left in blobs/ or tmp/ (best effort: a leftover is an orphan that
  // SweepOrphans removes).
  virtual Result<BlobId> Commit() = 0;
  virtual void Abort() = 0;
  virtual uint64_t size() const = 0;
};

class BlobStore {
 public:
  // Creates <root>/blobs and <root>/tmp if missing. Does not sweep.
  static Result<std::unique_ptr<BlobStore>> Open(Env* env, std::string root);
  virtual ~BlobStore() = default;

  virtual Result<std::unique_ptr<BlobWriter>> NewWriter() = 0;
  // NotFound when the blob does not exist.
  virtual Result<std::unique_ptr<RandomAccessFile>> Open(const BlobId& id) = 0;
  // Deleting a missing blob is OK (deletes are retried after crashes).
  // Not synced: a delete lost in a crash leaves an orphan for the sweep.
  virtual Status Delete(const BlobId& id) = 0;

  // Start-up recovery: deletes every file in tmp/ (subdirectories, such as
  // DuckDB's tmp/duckdb, are left to their owners) and every committed blob
  // for which is_live returns false. Returns how many committed blobs were
  // removed. Must not run while writers whose blobs are not yet referenced
  // from metadata are active: run it at start, before serving.
  virtual Result<size_t> SweepOrphans(const std::function<bool(const BlobId&)>& is_live) = 0;

  virtual std::string PathOf(const BlobId& id) const = 0;
};

}  // namespace tarn::storage
