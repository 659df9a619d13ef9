// SegmentLog: one shard's append-only log of framed records on disk
// (DESIGN.md §Storage). Kinesis shards use it; Firehose buffers will too.
//
// Layout: <dir>/<first-offset>.seg, each segment a sequence of frames
// (length, CRC32C, offset, arrival time, partition key, payload; the byte
// format is specified in docs/segment-log.md). Offsets are dense per log:
// 0, 1, 2, ... in append order; callers map them to their own sequence
// numbers. A segment is closed once it reaches segment_bytes; retention
// deletes whole closed segments.
//
// Durability: Append() returns only after its records are fsynced. Appends
// that arrive while a sync is in progress are grouped into the next sync
// (group commit), so one fdatasync serves many callers. Readers never see
// records that are not yet durable.
//
// Recovery: Open() scans the last segment and truncates it at the first
// frame whose length or CRC does not check out (a torn tail from a crash);
// earlier segments are trusted as closed (their sizes and last frames are
// checked).
//
// Sticky error: after a failed write or sync, Append() returns that error
// until the log is reopened; reads of durable records go on.
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "storage/env.h"

namespace tarn::storage {

struct LogRecord {
  uint64_t offset = 0;        // assigned by Append
  int64_t arrival_ms = 0;     // assigned by Append from the log's clock
  std::string partition_key;  // at most 256 bytes
  std::string data;           // at most 1 MiB (Kinesis's limit), caller-checked
  // Kinesis's ExplicitHashKey if given, else empty (kept for GetRecords).
  std::string explicit_hash_key;
};

struct AppendRecord {
  std::string_view partition_key;
  std::string_view data;
  std::string_view explicit_hash_key;
};

class SegmentLog {
 public:
  struct Options {
    std::string dir;                      // created if missing
    uint64_t segment_bytes = 64ull << 20;
    bool sync = true;                     // tests may turn fsync off; servers never do
    Clock* clock = Clock::Real();         // arrival times
  };

  static Result<std::unique_ptr<SegmentLog>> Open(Env* env, const Options& options);
  virtual ~SegmentLog() = default;

  // Appends records in order as one unit (all or none become durable) and
  // returns the offset and arrival time given to the first; the rest follow
  // densely with the same arrival time. Arrival times never decrease along
  // the log (a clock step backwards is absorbed), so OffsetAtTime is a
  // binary search.
  struct Appended {
    uint64_t first_offset = 0;
    int64_t arrival_ms = 0;
  };
  virtual Result<Appended> Append(std::span<const AppendRecord> records) = 0;

  // Reads durable records with offset >= from, at most max_records and
  // stopping before max_bytes of payload would be exceeded (at least one
  // record is returned if any is available). Empty when from is at the end.
  // NotFound (aws_code "TrimmedData") when from is before the first
  // retained offset.
  virtual Result<std::vector<LogRecord>> Read(uint64_t from, size_t max_records,
                                              size_t max_bytes) = 0;

  // The first offset that retention has not deleted, and one past the last
  // durable record.
  virtual uint64_t first_offset() const = 0;
  virtual uint64_t end_offset() const = 0;

  // The offset of the first record whose arrival time is >= t (end_offset()
  // when none is).
  virtual Result<uint64_t> OffsetAtTime(int64_t t) = 0;

  // Deletes closed segments whose newest record arrived before cutoff_ms.
  // Returns how many segments were deleted.
  virtual Result<size_t> DeleteSegmentsBefore(int64_t cutoff_ms) = 0;

  // Removes every segment and the directory (the shard's stream is deleted).
  virtual Status Destroy() = 0;
};

}  // namespace tarn::storage
