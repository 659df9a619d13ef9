// StreamReader over tarn's Kinesis Data Streams: a Kinesis-source delivery
// stream reads its shards through KinesisService's public interface
// (ListShards, GetShardIterator, GetRecords), as a consumer would.
#pragma once

#include "services/firehose/ports.h"
#include "services/kinesis/kinesis_service.h"

namespace tarn::firehose {

class KinesisStreamReader : public StreamReader {
 public:
  // kinesis must outlive this.
  explicit KinesisStreamReader(kinesis::KinesisService* kinesis) : kinesis_(kinesis) {}
  Status CheckStream(const std::string& stream_arn) override;
  Result<std::vector<Shard>> ListShards(const std::string& stream_arn) override;
  Result<Batch> Read(const std::string& stream_arn, const std::string& shard_id,
                     const std::string& after_sequence, int64_t from_ms,
                     size_t max_records) override;

 private:
  kinesis::KinesisService* kinesis_;
};

}  // namespace tarn::firehose
