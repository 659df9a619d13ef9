// The Kinesis Data Streams domain, as KinesisService returns it: streams,
// shards, consumers, records. Wire names are AWS's; kinesis_api renders
// these structs field for field.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "services/kinesis/hash_key.h"

namespace tarn::kinesis {

enum class StreamStatus { kCreating, kActive, kUpdating, kDeleting };
std::string_view StatusName(StreamStatus status);  // "CREATING", ...

enum class StreamMode { kProvisioned, kOnDemand };
std::string_view ModeName(StreamMode mode);  // "PROVISIONED", "ON_DEMAND"
std::optional<StreamMode> ParseMode(std::string_view name);

enum class ConsumerStatus { kCreating, kActive, kDeleting };
std::string_view ConsumerStatusName(ConsumerStatus status);

// Tag key -> value, sorted by key.
using Tags = std::map<std::string, std::string>;

struct ShardInfo {
  std::string shard_id;
  std::optional<std::string> parent_shard_id;
  std::optional<std::string> adjacent_parent_shard_id;
  HashKeyRange range;
  std::string starting_sequence_number;
  std::optional<std::string> ending_sequence_number;  // set once closed
};

struct StreamSummary {
  std::string name;
  std::string arn;
  StreamStatus status = StreamStatus::kActive;
  StreamMode mode = StreamMode::kProvisioned;
  int retention_hours = 24;
  UnixMillis created_ms = 0;
  std::vector<std::string> shard_level_metrics;
  std::string encryption_type = "NONE";  // or "KMS"
  std::string key_id;                    // when KMS
  int open_shard_count = 0;
  int consumer_count = 0;
};

struct StreamDescription {
  StreamSummary summary;
  std::vector<ShardInfo> shards;
  bool has_more_shards = false;
};

struct ListStreamsResult {
  std::vector<StreamSummary> streams;  // StreamNames and StreamSummaries
  bool has_more = false;
  std::string next_token;  // empty when !has_more
};

enum class ShardFilterType {
  kNone,
  kAfterShardId,
  kAtTrimHorizon,
  kFromTrimHorizon,
  kAtLatest,
  kAtTimestamp,
  kFromTimestamp,
};
std::optional<ShardFilterType> ParseShardFilterType(std::string_view name);

struct ListShardsInput {
  std::string stream_name;   // empty when next_token is given
  std::string next_token;
  std::string exclusive_start_shard_id;
  int max_results = 1000;
  std::optional<UnixMillis> stream_creation_timestamp;
  ShardFilterType filter = ShardFilterType::kNone;
  std::string filter_shard_id;
  std::optional<UnixMillis> filter_timestamp;
};

struct ListShardsResult {
  std::vector<ShardInfo> shards;
  std::string next_token;  // empty at the end
};

// One record of a PutRecord(s) request. Views into the request.
struct PutEntry {
  std::string_view partition_key;
  std::string_view data;
  std::optional<HashKey> explicit_hash_key;
};

// Per record: a shard and sequence number, or an error code and message.
struct PutOutcome {
  std::string shard_id;
  std::string sequence_number;
  std::string error_code;  // empty on success
  std::string error_message;
};

struct PutRecordsResult {
  std::vector<PutOutcome> records;
  int failed = 0;
  std::string encryption_type = "NONE";
};

enum class IteratorType { kAtSequenceNumber, kAfterSequenceNumber, kTrimHorizon, kLatest, kAtTimestamp };
std::optional<IteratorType> ParseIteratorType(std::string_view name);

struct Record {
  std::string sequence_number;
  UnixMillis arrival_ms = 0;
  std::string partition_key;
  std::string data;
};

struct ChildShard {
  std::string shard_id;
  std::vector<std::string> parent_shards;
  HashKeyRange range;
};

struct GetRecordsResult {
  std::vector<Record> records;
  std::optional<std::string> next_iterator;  // nullopt at the end of a closed shard
  int64_t millis_behind_latest = 0;
  std::vector<ChildShard> child_shards;      // at the end of a closed shard
  std::string encryption_type = "NONE";
};

struct ConsumerInfo {
  std::string name;
  std::string arn;
  ConsumerStatus status = ConsumerStatus::kCreating;
  UnixMillis created_ms = 0;
  std::string stream_arn;
};

struct ListConsumersResult {
  std::vector<ConsumerInfo> consumers;
  std::string next_token;
};

struct TagsPage {
  std::vector<std::pair<std::string, std::string>> tags;
  bool has_more = false;
};

struct Limits {
  int shard_limit = 0;
  int open_shard_count = 0;
  int on_demand_stream_count = 0;
  int on_demand_stream_count_limit = 0;
};

struct MonitoringResult {
  std::string stream_name;
  std::string stream_arn;
  std::vector<std::string> current;
  std::vector<std::string> desired;
};

struct UpdateShardCountResult {
  std::string stream_name;
  std::string stream_arn;
  int current = 0;
  int target = 0;
};

}  // namespace tarn::kinesis
