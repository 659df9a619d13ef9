// KinesisStore: Kinesis's metadata in the MetaStore (streams, shards,
// consumers, tags, the iterator key). The only file with Kinesis SQL. Every
// method blocks (run it on a worker pool); every write is one
// group-committed transaction. Records are not here: they live in one
// SegmentLog per shard (docs/kinesis.md §Storage).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "services/kinesis/hash_key.h"
#include "services/kinesis/kinesis_types.h"
#include "storage/meta_store.h"

namespace tarn::kinesis {

// One stream incarnation. status and status_until_ms store a transition:
// CREATING or UPDATING become ACTIVE at status_until_ms; DELETING streams
// disappear then (KinesisService applies this lazily).
struct StreamRow {
  uint64_t number = 0;  // assigned by CreateStream; never reused
  std::string name;
  StreamStatus status = StreamStatus::kCreating;
  UnixMillis status_until_ms = 0;
  StreamMode mode = StreamMode::kProvisioned;
  UnixMillis created_ms = 0;
  int retention_hours = 24;
  std::string encryption_type = "NONE";
  std::string key_id;
  std::vector<std::string> shard_level_metrics;
  uint64_t next_shard_index = 0;
  Tags tags;
};

struct ShardRow {
  uint64_t index = 0;
  std::optional<uint64_t> parent;
  std::optional<uint64_t> adjacent_parent;
  HashKeyRange range;
  UnixMillis created_ms = 0;
  std::optional<UnixMillis> closed_ms;  // set when closed
  uint64_t end_offset = 0;              // one past its last record, once closed
};

struct ConsumerRow {
  std::string name;
  ConsumerStatus status = ConsumerStatus::kCreating;
  UnixMillis status_until_ms = 0;
  UnixMillis created_ms = 0;
  Tags tags;
};

struct StoredStream {
  StreamRow stream;
  std::vector<ShardRow> shards;  // by index
  std::vector<ConsumerRow> consumers;
};

class KinesisStore {
 public:
  explicit KinesisStore(storage::MetaStore* meta) : meta_(meta) {}

  // Creates or upgrades the schema (component "kinesis").
  Status Migrate();

  // The HMAC key for shard iterators: created (32 random bytes) on first
  // use, the same ever after.
  Result<std::string> IteratorKey();

  // Every stream with its shards and consumers, by stream number.
  Result<std::vector<StoredStream>> LoadAll();

  // Inserts a stream and its first shards; returns its new number.
  // AlreadyExists if a stream row of that name exists.
  Result<uint64_t> CreateStream(const StreamRow& stream, std::span<const ShardRow> shards);
  // Rewrites the stream's mutable columns (status, mode, retention,
  // encryption, metrics, next shard index, tags).
  Status UpdateStream(const StreamRow& stream);
  // Atomically: the stream row, the shards that closed (closed_ms,
  // end_offset) and the shards created.
  Status ApplyReshard(const StreamRow& stream, std::span<const ShardRow> closed,
                      std::span<const ShardRow> created);
  // Removes a stream with its shards and consumers.
  Status DeleteStream(uint64_t number);
  // Removes expired closed shards.
  Status DeleteShards(uint64_t number, std::span<const uint64_t> indices);

  // Inserts or replaces a consumer; AlreadyExists when insert_only and a
  // consumer of that name exists.
  Status PutConsumer(uint64_t number, const ConsumerRow& consumer, bool insert_only);
  Status DeleteConsumer(uint64_t number, const std::string& name);

 private:
  storage::MetaStore* meta_;
};

}  // namespace tarn::kinesis
