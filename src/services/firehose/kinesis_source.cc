#include "services/firehose/kinesis_source.h"

#include <set>

namespace tarn::firehose {

namespace {

// Records of one shard go to the buffer in appends of at most this many
// bytes (a GetRecords batch may hold 10 MiB; one log append takes 16).
constexpr size_t kMaxAppendBytes = 8u << 20;

}  // namespace

KinesisSource::KinesisSource(StreamReader* reader, Options options,
                             const std::vector<ShardCheckpoint>& saved)
    : reader_(reader), options_(std::move(options)) {
  for (const ShardCheckpoint& cp : saved) shards_[cp.shard_id] = cp;
}

ShardCheckpoint KinesisSource::checkpoint(const std::string& shard_id) const {
  auto it = shards_.find(shard_id);
  return it == shards_.end() ? ShardCheckpoint{shard_id, "", false} : it->second;
}

Result<KinesisSource::PollResult> KinesisSource::Poll(RecordBuffer& buffer,
                                                      const SaveCheckpoints& save) {
  TARN_ASSIGN_OR_RETURN(std::vector<StreamReader::Shard> shards,
                        reader_->ListShards(options_.stream_arn));
  std::set<std::string> listed;
  for (const auto& s : shards) listed.insert(s.id);
  auto finished = [&](const std::string& id) {
    if (!listed.count(id)) return true;  // expired with the stream's retention
    auto it = shards_.find(id);
    return it != shards_.end() && it->second.finished;
  };

  PollResult result;
  std::vector<ShardCheckpoint> moved;
  Status failure;
  for (const StreamReader::Shard& shard : shards) {
    if (finished(shard.id)) continue;
    bool parents_done = true;
    for (const std::string& p : shard.parents) parents_done = parents_done && finished(p);
    if (!parents_done) continue;

    ShardCheckpoint cp = checkpoint(shard.id);
    Result<StreamReader::Batch> batch = reader_->Read(options_.stream_arn, shard.id,
                                                      cp.sequence_number, options_.start_ms,
                                                      options_.max_records_per_read);
    if (!batch.ok()) {
      failure = batch.status();
      break;
    }
    // Sequence numbers ride in the frame's explicit-hash-key field, so an
    // error record can name the Kinesis record it came from.
    std::vector<storage::AppendRecord> records;
    size_t bytes = 0;
    auto flush = [&]() -> Status {
      if (records.empty()) return Status::OK();
      Status st = buffer.Append(records).status();
      records.clear();
      bytes = 0;
      return st;
    };
    for (const StreamReader::Record& r : batch->records) {
      if (bytes + r.data.size() + r.partition_key.size() > kMaxAppendBytes) {
        failure = flush();
        if (!failure.ok()) break;
      }
      records.push_back(storage::AppendRecord{r.partition_key, r.data, r.sequence_number});
      bytes += r.data.size() + r.partition_key.size() + r.sequence_number.size();
    }
    if (failure.ok()) failure = flush();
    if (!failure.ok()) break;

    if (!batch->records.empty()) cp.sequence_number = batch->records.back().sequence_number;
    result.records += batch->records.size();
    if (batch->shard_ended) {
      cp.finished = true;
      result.more = true;  // its children may be read now
    }
    if (batch->records.size() >= options_.max_records_per_read) result.more = true;
    if (!batch->records.empty() || batch->shard_ended) {
      shards_[shard.id] = cp;
      moved.push_back(cp);
    }
  }
  if (!moved.empty()) {
    Status st = save(moved);
    if (!st.ok() && failure.ok()) failure = st;
  }
  if (!failure.ok()) return failure;
  return result;
}

}  // namespace tarn::firehose
