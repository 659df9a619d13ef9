// RecordBuffer: one delivery stream's durable buffer, the records it has
// acknowledged and not yet written to S3, in a storage::SegmentLog of its
// own (<data>/firehose/<stream number>/, frames as docs/segment-log.md;
// what each field holds for Firehose is in docs/firehose.md §Storage).
//
// Acknowledgment: an append completes only once its records are fsynced.
// Appends queued while one is being written go to the log together as one
// SegmentLog::Append (group commit), so a busy stream costs one thread and
// one fsync per round however many PutRecordBatch calls feed it.
//
// Delivery reads from delivered() (the checkpoint kept in meta.db) and, once
// a batch is in S3 and the new checkpoint committed, calls MarkDelivered(),
// which deletes the segments wholly behind it. Everything at or after the
// checkpoint survives a crash and is delivered again after a restart
// (at-least-once).
//
// Thread-safety: all methods are thread-safe; Destroy() must not race with
// anything but appends, which it fails.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "storage/segment_log.h"

namespace tarn::firehose {

class RecordBuffer {
 public:
  // Takes the stream's log, reopened (torn tail recovered), and the
  // checkpoint read from meta.db. Records between the two are pending and
  // due at once (their arrival time is not kept in memory across restarts).
  RecordBuffer(std::unique_ptr<storage::SegmentLog> log, uint64_t delivered_offset);

  // Appends records as one unit; blocks until durable. Returns the offset
  // given to the first (the rest follow densely).
  Result<uint64_t> Append(std::span<const storage::AppendRecord> records);

  // Append without holding the caller: queues the records and returns;
  // done(first offset or error) runs on a thread of `post`'s pool once they
  // are durable. records (and the bytes they view) must stay valid until
  // done runs.
  using Post = std::function<void(std::function<void()>)>;
  void AppendAsync(std::span<const storage::AppendRecord> records,
                   std::function<void(Result<uint64_t>)> done, const Post& post);

  // Pending records, oldest first, from delivered(): at most max_bytes of
  // data (at least one record when any is pending) and max_records.
  Result<std::vector<storage::LogRecord>> ReadPending(size_t max_bytes, size_t max_records);

  // Records below `offset` are in S3 and the checkpoint says so.
  // last_arrival_ms: the arrival time of the record just below `offset`.
  // Drops their accounting and deletes the segments wholly behind them.
  Status MarkDelivered(uint64_t offset, uint64_t data_bytes, int64_t last_arrival_ms);

  uint64_t delivered() const;
  uint64_t end() const { return log_->end_offset(); }
  // Data bytes pending (an estimate after a restart: 0 until read).
  uint64_t pending_bytes() const;
  // Arrival time of the oldest pending record; 0 for records recovered at
  // start (due at once); nullopt when nothing is pending.
  std::optional<int64_t> oldest_pending_ms() const;

  // Removes the log and its directory (the stream is deleted).
  Status Destroy();
  storage::SegmentLog::Stats stats() const { return log_->stats(); }

 private:
  struct Pending {
    std::span<const storage::AppendRecord> records;
    std::function<void(Result<uint64_t>)> done;
    size_t bytes = 0;
  };
  // A run of appended records sharing one arrival time.
  struct Chunk {
    uint64_t end_offset = 0;  // one past its last record
    int64_t arrival_ms = 0;
  };

  void Drain();
  void NoteAppended(uint64_t first, size_t count, uint64_t bytes, int64_t arrival_ms);

  std::unique_ptr<storage::SegmentLog> log_;

  std::mutex queue_mu_;
  std::deque<Pending> queue_;  // GUARDED_BY(queue_mu_)
  bool draining_ = false;      // GUARDED_BY(queue_mu_)

  mutable std::mutex mu_;
  uint64_t delivered_ = 0;       // GUARDED_BY(mu_)
  uint64_t pending_bytes_ = 0;   // GUARDED_BY(mu_)
  std::deque<Chunk> chunks_;     // GUARDED_BY(mu_): pending records by arrival
};

}  // namespace tarn::firehose
