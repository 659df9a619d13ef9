#include "services/firehose/kinesis_stream_reader.h"

#include <algorithm>

namespace tarn::firehose {

Status KinesisStreamReader::CheckStream(const std::string& stream_arn) {
  TARN_ASSIGN_OR_RETURN(std::string name, kinesis_->ResolveStreamName("", stream_arn));
  return kinesis_->DescribeStreamSummary(name).status();
}

Result<std::vector<StreamReader::Shard>> KinesisStreamReader::ListShards(
    const std::string& stream_arn) {
  TARN_ASSIGN_OR_RETURN(std::string name, kinesis_->ResolveStreamName("", stream_arn));
  std::vector<Shard> out;
  kinesis::ListShardsInput in;
  in.stream_name = name;
  in.max_results = 10000;
  while (true) {
    TARN_ASSIGN_OR_RETURN(kinesis::ListShardsResult page, kinesis_->ListShards(in));
    for (const kinesis::ShardInfo& s : page.shards) {
      Shard shard;
      shard.id = s.shard_id;
      if (s.parent_shard_id) shard.parents.push_back(*s.parent_shard_id);
      if (s.adjacent_parent_shard_id) shard.parents.push_back(*s.adjacent_parent_shard_id);
      out.push_back(std::move(shard));
    }
    if (page.next_token.empty()) break;
    in = kinesis::ListShardsInput{};
    in.next_token = page.next_token;
    in.max_results = 10000;
  }
  return out;
}

Result<StreamReader::Batch> KinesisStreamReader::Read(const std::string& stream_arn,
                                                      const std::string& shard_id,
                                                      const std::string& after_sequence,
                                                      int64_t from_ms, size_t max_records) {
  TARN_ASSIGN_OR_RETURN(std::string name, kinesis_->ResolveStreamName("", stream_arn));
  // A fresh iterator per read: iterators expire after five minutes, and a
  // delivery stream may sit behind a failing destination for longer.
  Result<std::string> iterator =
      after_sequence.empty()
          ? kinesis_->GetShardIterator(name, shard_id, kinesis::IteratorType::kAtTimestamp, "",
                                       from_ms)
          : kinesis_->GetShardIterator(name, shard_id, kinesis::IteratorType::kAfterSequenceNumber,
                                       after_sequence, std::nullopt);
  if (!iterator.ok()) return iterator.status();
  int limit = static_cast<int>(std::clamp<size_t>(max_records, 1, 10000));
  TARN_ASSIGN_OR_RETURN(kinesis::GetRecordsResult r, kinesis_->GetRecords(*iterator, limit));
  Batch out;
  out.records.reserve(r.records.size());
  for (kinesis::Record& rec : r.records) {
    out.records.push_back(Record{std::move(rec.sequence_number), rec.arrival_ms,
                                 std::move(rec.partition_key), std::move(rec.data)});
  }
  out.shard_ended = !r.next_iterator.has_value();
  return out;
}

}  // namespace tarn::firehose
