// KinesisSource: the reading side of a KinesisStreamAsSource delivery
// stream. Each Poll() reads every shard that may be read once, appends what
// it read to the delivery stream's durable buffer, and then saves, per
// shard, the sequence number of the last record buffered (meta.db). After a
// restart reading resumes after that number; a crash between the append and
// the save reads those records again (at-least-once).
//
// Resharding: a shard is read only once all its parents are finished (closed
// and read to their end), so a key's records reach the buffer in order
// across a split or a merge. A parent the stream no longer lists (expired)
// counts as finished. Shards with no checkpoint start at the delivery
// stream's creation time (AT_TIMESTAMP), so records put after
// CreateDeliveryStream returned are delivered and older ones are not.
//
// Not thread-safe: one Poll at a time (the scheduler runs a stream's source
// task on one thread).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "services/firehose/firehose_store.h"
#include "services/firehose/ports.h"
#include "services/firehose/record_buffer.h"

namespace tarn::firehose {

class KinesisSource {
 public:
  struct Options {
    std::string stream_arn;
    int64_t start_ms = 0;             // the delivery stream's creation time
    size_t max_records_per_read = 10000;
  };
  using SaveCheckpoints = std::function<Status(std::span<const ShardCheckpoint>)>;

  // reader must outlive this.
  KinesisSource(StreamReader* reader, Options options, const std::vector<ShardCheckpoint>& saved);

  struct PollResult {
    size_t records = 0;   // buffered by this poll
    bool more = false;    // a shard had a full batch or just finished: poll again soon
  };
  // NotFound when the stream is gone; other reader or buffer errors as they
  // come (checkpoints of shards read before the error are saved).
  Result<PollResult> Poll(RecordBuffer& buffer, const SaveCheckpoints& save);

  // The shard's checkpoint, for tests.
  ShardCheckpoint checkpoint(const std::string& shard_id) const;

 private:
  StreamReader* reader_;
  Options options_;
  std::map<std::string, ShardCheckpoint> shards_;  // by shard id
};

}  // namespace tarn::firehose
