// SegmentLog: one shard's append-only log of framed records on disk
// (DESIGN.md §Storage). Kinesis shards use it; Firehose buffers will too.
//
// Layout: <dir>/<first-offset>.seg, each segment a sequence of frames
// (length, CRC32C, offset, arrival time, partition key, payload; the byte
// format is specified in docs/segment-log.md). Offsets are dense per log:
// 0, 1, 2, ... in append order; callers map them to their own sequence
// numbers. A segment is closed when the next group of appends would take
// it past segment_bytes (a group bigger than that gets a segment of its own;
// one Append never spans two segments); retention deletes whole closed
// segments.
//
// Durability: Append() returns only after its records are fsynced. Appends
// that arrive while a sync is in progress are grouped into the next sync
// (group commit), so one fdatasync serves many callers. Readers never see
// records that are not yet durable.
//
// Recovery: Open() scans the last segment and truncates it at the first
// frame whose length, CRC or offset does not check out (a torn tail from a
// crash), and further back to the end of the last whole Append, so an Append
// torn by a crash is gone entirely; earlier segments are trusted as closed
// (their last frame, a seal naming the next segment's first offset, is
// checked; a segment without a valid seal is scanned, and a gap in the
// offsets is Corruption).
//
// Sticky error: after a failed write or sync, Append() returns that error
// until the log is reopened; reads of durable records go on.
//
// Thread-safety: all methods are thread-safe. The log must not be destroyed
// while calls are in progress.
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

// Largest fields Append accepts (InvalidArgument beyond them).
// Kinesis allows 256 characters of partition key: up to 1,024 bytes of UTF-8.
inline constexpr size_t kMaxPartitionKeyBytes = 1024;
inline constexpr size_t kMaxExplicitHashKeyBytes = 255;
inline constexpr size_t kMaxRecordDataBytes = 1u << 20;
// Largest encoded size of one Append (frames of all its records; Kinesis's
// PutRecords allows 5 MiB).
inline constexpr size_t kMaxAppendBytes = 16u << 20;

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
  //
  // InvalidArgument for an empty span or a field over its limit (above);
  // nothing is written then. On a write or sync failure every caller in the
  // group gets the error, which stays (sticky); the failed group is cut off
  // the file if the disk allows, so it does not reappear after a reopen.
  // FailedPrecondition after Destroy().
  struct Appended {
    uint64_t first_offset = 0;
    int64_t arrival_ms = 0;
  };
  virtual Result<Appended> Append(std::span<const AppendRecord> records) = 0;

  // Reads durable records with offset >= from, at most max_records and
  // stopping before max_bytes of payload (data bytes) would be exceeded (at
  // least one record is returned if any is available and max_records > 0).
  // Empty when from is at or past the end. NotFound (aws_code "TrimmedData")
  // when from is before the first retained offset. Corruption when a frame
  // read fails its CRC; IOError when the disk does.
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
  // Returns how many segments were deleted. The active segment is closed
  // first when all of its records are older than cutoff_ms (an idle shard's
  // records expire too); a new, empty segment then keeps the next offset, so
  // offsets continue densely after a reopen.
  virtual Result<size_t> DeleteSegmentsBefore(int64_t cutoff_ms) = 0;

  // Removes every segment and the directory (the shard's stream is deleted).
  // Waits for the appends in progress; every later call but first_offset()
  // and end_offset() returns FailedPrecondition.
  virtual Status Destroy() = 0;

  // Counters for tests and benchmarks.
  struct Stats {
    uint64_t appends = 0;  // Append calls acknowledged
    uint64_t records = 0;  // records in them
    uint64_t groups = 0;   // groups written (one write each)
    uint64_t syncs = 0;    // fdatasyncs of segment files
    uint64_t bytes = 0;    // frame bytes written
    uint64_t segments_rolled = 0;
  };
  virtual Stats stats() const = 0;
};

}  // namespace tarn::storage
