// FirehoseService: Amazon Data Firehose delivery streams into tarn's S3,
// free of HTTP. A delivery stream takes records from PutRecord(Batch)
// (DirectPut) or reads them from a Kinesis stream (KinesisStreamAsSource),
// keeps them in a durable buffer, and delivers them as objects under the
// destination's prefixes when its BufferingHints say so.
//
//   producers ──PutRecordBatch──► RecordBuffer (SegmentLog, fsynced before
//   Kinesis ──KinesisSource─────►   the acknowledgment)
//                                      │ delivery task, on TaskScheduler's
//                                      ▼ threads: size or interval reached
//          ProcessRecords ─► BuildObjects ─► ObjectSink (S3) ─► checkpoint
//                                                                (meta.db)
//
// Guarantees: a record acknowledged by PutRecord(Batch) is in S3 eventually,
// even across kill -9: delivery reads the buffer from the checkpoint, and
// the checkpoint moves only after every object of a flush is written. A
// crash between the two delivers that flush again (at-least-once). A flush
// that fails (a missing bucket, a missing Glue table) is retried with
// backoff; DescribeDeliveryStream reports the failure meanwhile.
//
// Errors carry Firehose's codes in aws_code(): ResourceNotFoundException,
// ResourceInUseException, InvalidArgumentException, LimitExceededException,
// ConcurrentModificationException, ServiceUnavailableException.
//
// Thread-safety: all methods are thread-safe and may block on disk or
// SQLite: call them from a worker pool, never an I/O thread.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "services/firehose/destination_config.h"
#include "services/firehose/firehose_store.h"
#include "services/firehose/ports.h"
#include "services/firehose/record_buffer.h"
#include "services/firehose/record_converter.h"
#include "services/firehose/task_scheduler.h"
#include "storage/env.h"
#include "storage/meta_store.h"
#include "storage/segment_log.h"

namespace tarn::firehose {

struct ServiceOptions {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  // Buffers live in <buffers_dir>/<stream number>/.
  std::string buffers_dir;
  // How long CREATING and DELETING last (0: no visible transition).
  int64_t status_delay_ms = 100;
  // Delivery threads (flushes and Kinesis reads of all streams share them).
  // 0: nothing runs by itself; tests drive RunDueTasks().
  int delivery_threads = 2;
  int stream_limit = 5000;
  // Retry backoff after a failed flush or source read: doubles from the
  // first to the cap.
  int64_t retry_initial_ms = 500;
  int64_t retry_max_ms = 10'000;
  // How often an idle Kinesis-source stream looks for new records.
  int64_t source_poll_ms = 200;
  Clock* clock = Clock::Real();
  storage::Env* env = storage::Env::Default();
  // Opens (creating if missing) the SegmentLog of one buffer in dir.
  std::function<Result<std::unique_ptr<storage::SegmentLog>>(const std::string& dir)> open_log;
};

// What the service reads and writes outside itself. sink is required; the
// others may be null (Kinesis sources, format conversion are then refused
// at creation with InvalidArgumentException).
struct ServiceDeps {
  ObjectSink* sink = nullptr;
  StreamReader* kinesis = nullptr;
  TableSchemas* schemas = nullptr;
  RecordConverterFactory* converters = nullptr;
};

// CreateDeliveryStream, validated against the model by the API (documents
// in stored form).
struct CreateInput {
  std::string name;
  SourceType type = SourceType::kDirectPut;
  Json source = Json::object();       // KinesisStreamSourceConfiguration (or DirectPut's)
  Json destination = Json::object();  // ExtendedS3 (or S3) destination configuration
  Json encryption = Json::object();   // DeliveryStreamEncryptionConfigurationInput
  Tags tags;
};

// A delivery stream as DescribeDeliveryStream shows it.
struct StreamView {
  StreamRow row;
  // Why delivery or the source read is failing, while it is; else empty.
  std::string failure;
};

struct ListResult {
  std::vector<std::string> names;
  bool has_more = false;
};

struct PutOutcome {
  std::vector<std::string> record_ids;  // one per record, in order
  bool encrypted = false;
};

class FirehoseService {
 public:
  FirehoseService(storage::MetaStore* meta, ServiceOptions options, ServiceDeps deps);
  ~FirehoseService();
  FirehoseService(const FirehoseService&) = delete;
  FirehoseService& operator=(const FirehoseService&) = delete;

  // Migrates the schema, reopens every buffer (recovering torn tails),
  // removes buffers no stream owns, and starts delivery: records buffered
  // before a restart are delivered at once.
  Status Start();
  // Stops the delivery threads (a flush in progress finishes). Idempotent.
  void Stop();

  const ServiceOptions& options() const { return options_; }
  std::string StreamArn(std::string_view name) const;

  Status Create(const CreateInput& input);
  Status Delete(const std::string& name);
  Result<StreamView> Describe(const std::string& name);
  Result<ListResult> List(int limit, std::optional<SourceType> type,
                          const std::string& exclusive_start);

  // Buffers records of a DirectPut stream: done runs (on a thread of
  // `post`'s pool) once they are durable, with their record ids, or with
  // the error (ResourceNotFoundException, InvalidArgumentException for a
  // Kinesis-source stream, ServiceUnavailableException when the buffer
  // cannot take them). records must stay valid until done runs.
  using Post = std::function<void(std::function<void()>)>;
  void PutAsync(const std::string& name, std::span<const std::string_view> records,
                std::function<void(Result<PutOutcome>)> done, const Post& post);
  // PutAsync, waiting.
  Result<PutOutcome> Put(const std::string& name, std::span<const std::string_view> records);

  // update: the stored form of ExtendedS3DestinationUpdate or
  // S3DestinationUpdate.
  Status UpdateDestination(const std::string& name, const std::string& current_version,
                           const std::string& destination_id, const Json& update);

  Status Tag(const std::string& name, const Tags& tags);
  Status Untag(const std::string& name, const std::vector<std::string>& keys);
  // Tags after exclusive_start, at most limit; has_more when some are left.
  Result<std::pair<std::vector<std::pair<std::string, std::string>>, bool>> ListTags(
      const std::string& name, const std::string& exclusive_start, int limit);

  // encryption: {KeyType, KeyARN?} (validated by the API).
  Status StartEncryption(const std::string& name, const Json& encryption);
  Status StopEncryption(const std::string& name);

  // For tests and tools: runs every delivery and source task that is due
  // (delivery_threads == 0), or flushes one stream now whatever its hints.
  int RunDueTasks();
  Status FlushNow(const std::string& name);

  // Counters for tests and benchmarks.
  struct Stats {
    uint64_t flushes = 0;
    uint64_t objects = 0;
    uint64_t failed_flushes = 0;
  };
  Stats stats() const;

 private:
  struct Stream;
  using StreamPtr = std::shared_ptr<Stream>;

  Result<StreamPtr> Find(const std::string& name) const;  // live (not purged)
  Result<StreamPtr> FindActive(const std::string& name);  // not DELETING
  Result<std::shared_ptr<const DestinationSettings>> Compile(const Json& destination) const;
  Status Open(const StreamPtr& stream);  // buffer and tasks
  void Schedule(const StreamPtr& stream, std::optional<int64_t> delivery_due);
  Status SaveRow(Stream& stream, const StreamRow& row);  // stream.mu held

  // The scheduler's tasks.
  std::optional<int64_t> DeliveryTask(const StreamPtr& stream);
  std::optional<int64_t> SourceTask(const StreamPtr& stream);
  // One flush: up to BufferingHints' size of the oldest pending records.
  Status FlushOnce(const StreamPtr& stream);
  Status Purge(const StreamPtr& stream);
  int64_t Backoff(int attempts) const;
  void WakeDelivery(const StreamPtr& stream);

  storage::MetaStore* meta_;
  ServiceOptions options_;
  ServiceDeps deps_;
  FirehoseStore store_;
  TaskScheduler scheduler_;

  // Serializes creates and deletes (limits and names stay exact).
  std::mutex admin_mu_;
  mutable std::mutex registry_mu_;
  std::map<std::string, StreamPtr, std::less<>> by_name_;  // GUARDED_BY(registry_mu_)

  mutable std::mutex stats_mu_;
  Stats stats_;  // GUARDED_BY(stats_mu_)
};

// Record ids: the stream's number and the record's buffer offset, in hex.
std::string MakeRecordId(uint64_t stream_number, uint64_t offset);

}  // namespace tarn::firehose
