#include "services/kinesis/kinesis_types.h"

namespace tarn::kinesis {

std::string_view StatusName(StreamStatus status) {
  switch (status) {
    case StreamStatus::kCreating: return "CREATING";
    case StreamStatus::kActive: return "ACTIVE";
    case StreamStatus::kUpdating: return "UPDATING";
    case StreamStatus::kDeleting: return "DELETING";
  }
  return "ACTIVE";
}

std::string_view ModeName(StreamMode mode) {
  return mode == StreamMode::kOnDemand ? "ON_DEMAND" : "PROVISIONED";
}

std::optional<StreamMode> ParseMode(std::string_view name) {
  if (name == "PROVISIONED") return StreamMode::kProvisioned;
  if (name == "ON_DEMAND") return StreamMode::kOnDemand;
  return std::nullopt;
}

std::string_view ConsumerStatusName(ConsumerStatus status) {
  switch (status) {
    case ConsumerStatus::kCreating: return "CREATING";
    case ConsumerStatus::kActive: return "ACTIVE";
    case ConsumerStatus::kDeleting: return "DELETING";
  }
  return "ACTIVE";
}

std::optional<ShardFilterType> ParseShardFilterType(std::string_view name) {
  if (name == "AFTER_SHARD_ID") return ShardFilterType::kAfterShardId;
  if (name == "AT_TRIM_HORIZON") return ShardFilterType::kAtTrimHorizon;
  if (name == "FROM_TRIM_HORIZON") return ShardFilterType::kFromTrimHorizon;
  if (name == "AT_LATEST") return ShardFilterType::kAtLatest;
  if (name == "AT_TIMESTAMP") return ShardFilterType::kAtTimestamp;
  if (name == "FROM_TIMESTAMP") return ShardFilterType::kFromTimestamp;
  return std::nullopt;
}

std::optional<IteratorType> ParseIteratorType(std::string_view name) {
  if (name == "AT_SEQUENCE_NUMBER") return IteratorType::kAtSequenceNumber;
  if (name == "AFTER_SEQUENCE_NUMBER") return IteratorType::kAfterSequenceNumber;
  if (name == "TRIM_HORIZON") return IteratorType::kTrimHorizon;
  if (name == "LATEST") return IteratorType::kLatest;
  if (name == "AT_TIMESTAMP") return IteratorType::kAtTimestamp;
  return std::nullopt;
}

}  // namespace tarn::kinesis
