// FirehoseStore: Firehose's metadata in the MetaStore (migration component
// "firehose"): delivery streams with their configuration documents, the
// delivery checkpoint of each stream's buffer, and the per-shard read
// checkpoints of Kinesis-source streams. The only file with Firehose SQL.
// Records are not here: they wait in each stream's buffer (record_buffer.h,
// docs/firehose.md §Storage).
//
// Every method blocks on SQLite (run it off the I/O threads); every write is
// one group-committed transaction.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "storage/meta_store.h"

namespace tarn::firehose {

using Json = nlohmann::json;
// Tag key -> value, sorted by key (ListTagsForDeliveryStream pages by key).
using Tags = std::map<std::string, std::string>;

enum class StreamStatus { kCreating, kActive, kDeleting };
std::string_view StatusName(StreamStatus status);  // "CREATING", ...

enum class SourceType { kDirectPut, kKinesisStream };
std::string_view SourceTypeName(SourceType type);  // "DirectPut", "KinesisStreamAsSource"

// One delivery stream incarnation. CREATING becomes ACTIVE at
// status_until_ms; a DELETING stream is purged after it.
struct StreamRow {
  uint64_t number = 0;  // assigned by Create; never reused
  std::string name;
  SourceType type = SourceType::kDirectPut;
  StreamStatus status = StreamStatus::kCreating;
  UnixMillis status_until_ms = 0;
  int64_t version = 1;       // VersionId; UpdateDestination adds one
  UnixMillis created_ms = 0;
  UnixMillis updated_ms = 0;  // 0: never updated
  // Stored (validated) documents: the source configuration
  // (KinesisStreamSourceConfiguration, or DirectPutSourceConfiguration, or
  // {}), the ExtendedS3 destination configuration, and the server-side
  // encryption setting ({} or {KeyType, KeyARN?, Status}).
  Json source = Json::object();
  Json destination = Json::object();
  Json encryption = Json::object();
  Tags tags;
  // Every buffered record below this offset is in S3.
  uint64_t delivered_offset = 0;
};

// How far a Kinesis-source stream has read one shard.
struct ShardCheckpoint {
  std::string shard_id;
  std::string sequence_number;  // the last record buffered; "" for none yet
  bool finished = false;        // closed and read to its end
};

struct StoredStream {
  StreamRow row;
  std::vector<ShardCheckpoint> shards;  // by shard id
};

class FirehoseStore {
 public:
  explicit FirehoseStore(storage::MetaStore* meta) : meta_(meta) {}

  Status Migrate();
  Result<std::vector<StoredStream>> LoadAll();

  // Inserts a stream; returns its number. AlreadyExists when a stream of
  // that name exists.
  Result<uint64_t> Create(const StreamRow& row);
  // Rewrites the mutable columns: status, version, updated_ms, documents, tags.
  Status Update(const StreamRow& row);
  Status SetDelivered(uint64_t number, uint64_t delivered_offset);
  // Inserts or replaces these shards' checkpoints.
  Status SaveShardCheckpoints(uint64_t number, std::span<const ShardCheckpoint> shards);
  // Removes a stream and its checkpoints.
  Status Delete(uint64_t number);

 private:
  storage::MetaStore* meta_;
};

}  // namespace tarn::firehose
