#include "services/firehose/firehose_service.h"

#include <algorithm>
#include <cstdio>
#include <future>
#include <set>

#include "common/ids.h"
#include "common/log.h"
#include "services/firehose/kinesis_source.h"
#include "services/firehose/object_builder.h"
#include "services/firehose/record_processing.h"

namespace tarn::firehose {

namespace {

// One flush reads at most this many records (besides BufferingHints' size).
constexpr size_t kMaxRecordsPerFlush = 1u << 20;
// A delivery task flushes at most this many times before giving its thread
// to other streams (it runs again at once if still due).
constexpr int kMaxFlushesPerRun = 16;
// When deleting, the final flushes stop after this many rounds.
constexpr int kMaxFinalFlushes = 64;
// A Kinesis source stops reading ahead while its buffer holds this many
// undelivered bytes, or four buffers' worth if that is more (a failing
// destination must not fill the disk from the source).
constexpr uint64_t kMinSourceBacklogBytes = 64u << 20;
constexpr int kMaxTags = 50;

Status NotFoundError(const std::string& name, const std::string& account) {
  return Status(Code::kNotFound, "Firehose " + name + " under account " + account + " not found.",
                "ResourceNotFoundException");
}

Status InUse(std::string message) {
  return Status(Code::kFailedPrecondition, std::move(message), "ResourceInUseException");
}

Status LimitExceeded(std::string message) {
  return Status(Code::kResourceExhausted, std::move(message), "LimitExceededException");
}

std::string UuidV4() {
  std::string b = RandomBytes(16);
  b[6] = static_cast<char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3F) | 0x80);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[(static_cast<unsigned char>(b[i]) >> 4) & 0xF];
    out += kHex[static_cast<unsigned char>(b[i]) & 0xF];
  }
  return out;
}

// Removes a buffer directory no stream owns (flat: segment files only).
Status RemoveDir(storage::Env* env, const std::string& dir) {
  TARN_ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(dir));
  for (const std::string& n : names) TARN_RETURN_IF_ERROR(env->DeleteFile(dir + "/" + n));
  return env->DeleteDir(dir);
}

uint64_t DeliveryKey(uint64_t number) { return number * 2; }
uint64_t SourceKey(uint64_t number) { return number * 2 + 1; }

}  // namespace

std::string MakeRecordId(uint64_t stream_number, uint64_t offset) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(stream_number),
                static_cast<unsigned long long>(offset));
  return buf;
}

// A live delivery stream. Registered once its buffer is open.
struct FirehoseService::Stream {
  uint64_t number = 0;
  std::string name;
  std::string dir;
  SourceType type = SourceType::kDirectPut;

  mutable std::mutex mu;
  StreamRow row;                                        // GUARDED_BY(mu)
  std::shared_ptr<const DestinationSettings> settings;  // GUARDED_BY(mu); null if it does not compile
  std::string delivery_failure;                         // GUARDED_BY(mu)
  std::string source_failure;                           // GUARDED_BY(mu)

  std::unique_ptr<RecordBuffer> buffer;   // set before registration, then fixed
  std::unique_ptr<KinesisSource> source;  // Kinesis-source streams; the source task's

  // The delivery task's own (one run at a time).
  struct Prepared {
    int64_t version = 0;
    std::vector<OutputObject> objects;
    size_t written = 0;  // objects already in S3 (a retry goes on from here)
    uint64_t end_offset = 0;
    uint64_t data_bytes = 0;
    int64_t last_arrival_ms = 0;
  };
  std::optional<Prepared> prepared;
  int delivery_attempts = 0;
  int64_t delivery_retry_at = 0;
  // The source task's own.
  int source_attempts = 0;
  int64_t source_retry_at = 0;

  // row.status with the lazy transition applied.
  StreamStatus StatusAt(int64_t now) const {
    if (row.status == StreamStatus::kCreating && now >= row.status_until_ms) return StreamStatus::kActive;
    return row.status;
  }
};

FirehoseService::FirehoseService(storage::MetaStore* meta, ServiceOptions options, ServiceDeps deps)
    : meta_(meta),
      options_(std::move(options)),
      deps_(deps),
      store_(meta),
      scheduler_(options_.delivery_threads, options_.clock) {}

FirehoseService::~FirehoseService() { Stop(); }

std::string FirehoseService::StreamArn(std::string_view name) const {
  return "arn:aws:firehose:" + options_.region + ":" + options_.account_id + ":deliverystream/" +
         std::string(name);
}

Result<std::shared_ptr<const DestinationSettings>> FirehoseService::Compile(
    const Json& destination) const {
  CompileOptions co;
  co.conversion_available = deps_.converters != nullptr && deps_.schemas != nullptr;
  return CompileDestination(destination, co);
}

int64_t FirehoseService::Backoff(int attempts) const {
  int64_t ms = options_.retry_initial_ms;
  for (int i = 1; i < attempts && ms < options_.retry_max_ms; ++i) ms *= 2;
  return std::min(ms, options_.retry_max_ms);
}

Status FirehoseService::Start() {
  if (!options_.open_log) return Internal("FirehoseService needs ServiceOptions::open_log");
  if (options_.buffers_dir.empty()) return Internal("FirehoseService needs a buffers directory");
  if (deps_.sink == nullptr) return Internal("FirehoseService needs an ObjectSink");
  TARN_RETURN_IF_ERROR(store_.Migrate().WithContext("migrating the firehose schema"));
  storage::Env* env = options_.env;
  if (!env->FileExists(options_.buffers_dir)) {
    TARN_RETURN_IF_ERROR(env->CreateDirs(options_.buffers_dir));
    std::string parent = options_.buffers_dir.substr(0, options_.buffers_dir.rfind('/'));
    if (!parent.empty()) TARN_RETURN_IF_ERROR(env->SyncDir(parent));
  }
  TARN_ASSIGN_OR_RETURN(std::vector<StoredStream> stored, store_.LoadAll());
  std::set<std::string> owned;
  for (StoredStream& s : stored) {
    auto stream = std::make_shared<Stream>();
    stream->number = s.row.number;
    stream->name = s.row.name;
    stream->type = s.row.type;
    stream->dir = options_.buffers_dir + "/" + std::to_string(s.row.number);
    stream->row = std::move(s.row);
    Result<std::shared_ptr<const DestinationSettings>> settings = Compile(stream->row.destination);
    if (settings.ok()) {
      stream->settings = *settings;
    } else {
      // Stored while it compiled; a server without the converter, say, can
      // no longer deliver it. Keep the records and say why.
      stream->delivery_failure = "The destination configuration cannot be delivered: " +
                                 settings.status().message();
      TARN_LOG(Error, "firehose: stream configuration does not compile")
          .Kv("stream", stream->name)
          .Kv("error", settings.status().ToString());
    }
    if (stream->type == SourceType::kKinesisStream && deps_.kinesis != nullptr) {
      KinesisSource::Options so;
      so.stream_arn = stream->row.source.value("KinesisStreamARN", "");
      so.start_ms = stream->row.created_ms;
      stream->source = std::make_unique<KinesisSource>(deps_.kinesis, so, s.shards);
    }
    owned.insert(std::to_string(stream->number));
    TARN_RETURN_IF_ERROR(Open(stream).WithContext("opening the buffer of " + stream->name));
    std::lock_guard<std::mutex> lock(registry_mu_);
    by_name_[stream->name] = stream;
  }
  // Buffers no stream owns: a crash between creating one and committing
  // its stream, or between deleting a stream and its files.
  TARN_ASSIGN_OR_RETURN(std::vector<std::string> dirs, env->ListDir(options_.buffers_dir));
  for (const std::string& d : dirs) {
    if (owned.count(d)) continue;
    TARN_LOG(Info, "firehose: removing orphan buffer").Kv("dir", d);
    TARN_RETURN_IF_ERROR(RemoveDir(env, options_.buffers_dir + "/" + d));
  }
  scheduler_.Start();
  return Status::OK();
}

void FirehoseService::Stop() { scheduler_.Stop(); }

Status FirehoseService::Open(const StreamPtr& stream) {
  TARN_ASSIGN_OR_RETURN(std::unique_ptr<storage::SegmentLog> log, options_.open_log(stream->dir));
  uint64_t delivered;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    delivered = stream->row.delivered_offset;
  }
  stream->buffer = std::make_unique<RecordBuffer>(std::move(log), delivered);
  // Records recovered from before a restart, and a deletion to finish, are
  // due at once.
  int64_t now = options_.clock->Now();
  bool due = stream->buffer->end() > stream->buffer->delivered();
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    due = due || stream->row.status == StreamStatus::kDeleting;
  }
  std::weak_ptr<Stream> weak = stream;
  scheduler_.Add(
      DeliveryKey(stream->number),
      [this, weak]() -> std::optional<int64_t> {
        StreamPtr s = weak.lock();
        if (!s) return TaskScheduler::kRemove;
        return DeliveryTask(s);
      },
      due ? std::optional<int64_t>(now) : std::nullopt);
  if (stream->source) {
    scheduler_.Add(
        SourceKey(stream->number),
        [this, weak]() -> std::optional<int64_t> {
          StreamPtr s = weak.lock();
          if (!s) return TaskScheduler::kRemove;
          return SourceTask(s);
        },
        now);
  }
  return Status::OK();
}

Result<FirehoseService::StreamPtr> FirehoseService::Find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(registry_mu_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return NotFoundError(name, options_.account_id);
  return it->second;
}

Result<FirehoseService::StreamPtr> FirehoseService::FindActive(const std::string& name) {
  TARN_ASSIGN_OR_RETURN(StreamPtr s, Find(name));
  std::lock_guard<std::mutex> lock(s->mu);
  if (s->row.status == StreamStatus::kDeleting) return NotFoundError(name, options_.account_id);
  return s;
}

Status FirehoseService::SaveRow(Stream& stream, const StreamRow& row) {
  TARN_RETURN_IF_ERROR(store_.Update(row));
  stream.row = row;
  return Status::OK();
}

// --- Lifecycle ------------------------------------------------------------------

Status FirehoseService::Create(const CreateInput& in) {
  std::lock_guard<std::mutex> admin(admin_mu_);
  {
    std::lock_guard<std::mutex> lock(registry_mu_);
    if (by_name_.count(in.name)) {
      return InUse("Firehose " + in.name + " under accountId " + options_.account_id +
                   " already exists");
    }
    if (static_cast<int>(by_name_.size()) >= options_.stream_limit) {
      return LimitExceeded("You have already consumed your firehose quota of " +
                           std::to_string(options_.stream_limit) + " delivery streams; delete one "
                           "before creating " + in.name + ".");
    }
  }
  TARN_ASSIGN_OR_RETURN(std::shared_ptr<const DestinationSettings> settings, Compile(in.destination));
  std::string source_arn;
  if (in.type == SourceType::kKinesisStream) {
    if (deps_.kinesis == nullptr) return InvalidArg("KinesisStreamAsSource is not available on this server");
    source_arn = in.source.value("KinesisStreamARN", "");
    Status st = deps_.kinesis->CheckStream(source_arn);
    if (!st.ok()) {
      if (st.code() != Code::kNotFound && st.code() != Code::kInvalidArgument) return st;
      return InvalidArg("KinesisStreamSourceConfiguration.KinesisStreamARN: " + source_arn +
                        " is not a stream this server holds (" + st.message() + ")");
    }
    if (!in.encryption.empty()) {
      return InvalidArg("DeliveryStreamEncryptionConfigurationInput: server-side encryption is not "
                        "supported for KinesisStreamAsSource delivery streams");
    }
  }
  int64_t now = options_.clock->Now();
  StreamRow row;
  row.name = in.name;
  row.type = in.type;
  row.status = options_.status_delay_ms > 0 ? StreamStatus::kCreating : StreamStatus::kActive;
  row.status_until_ms = now + options_.status_delay_ms;
  row.version = 1;
  row.created_ms = now;
  row.source = in.source;
  row.destination = in.destination;
  row.encryption = in.encryption;
  if (!row.encryption.empty()) row.encryption["Status"] = "ENABLED";
  row.tags = in.tags;
  Result<uint64_t> number = store_.Create(row);
  if (!number.ok()) {
    if (number.status().code() == Code::kAlreadyExists) {
      return InUse("Firehose " + in.name + " under accountId " + options_.account_id + " already exists");
    }
    return number.status();
  }
  row.number = *number;
  auto stream = std::make_shared<Stream>();
  stream->number = row.number;
  stream->name = row.name;
  stream->type = row.type;
  stream->dir = options_.buffers_dir + "/" + std::to_string(row.number);
  stream->row = row;
  stream->settings = settings;
  if (row.type == SourceType::kKinesisStream) {
    KinesisSource::Options so;
    so.stream_arn = source_arn;
    so.start_ms = row.created_ms;
    stream->source = std::make_unique<KinesisSource>(deps_.kinesis, so, std::vector<ShardCheckpoint>{});
  }
  Status opened = Open(stream);
  if (!opened.ok()) {
    Status undo = store_.Delete(row.number);
    if (!undo.ok()) TARN_LOG(Error, "firehose: undoing a create failed").Kv("error", undo.ToString());
    return opened;
  }
  std::lock_guard<std::mutex> lock(registry_mu_);
  by_name_[row.name] = stream;
  return Status::OK();
}

Status FirehoseService::Delete(const std::string& name) {
  StreamPtr s;
  {
    std::lock_guard<std::mutex> admin(admin_mu_);
    TARN_ASSIGN_OR_RETURN(s, Find(name));
    std::lock_guard<std::mutex> lock(s->mu);
    if (s->row.status == StreamStatus::kDeleting) return Status::OK();
    StreamRow row = s->row;
    row.status = StreamStatus::kDeleting;
    row.status_until_ms = options_.clock->Now() + options_.status_delay_ms;
    TARN_RETURN_IF_ERROR(SaveRow(*s, row));
  }
  // The delivery task makes a last attempt at what is buffered, then purges.
  scheduler_.Wake(DeliveryKey(s->number), options_.clock->Now());
  return Status::OK();
}

Status FirehoseService::Purge(const StreamPtr& stream) {
  std::lock_guard<std::mutex> admin(admin_mu_);
  if (stream->source) scheduler_.Remove(SourceKey(stream->number));
  TARN_RETURN_IF_ERROR(store_.Delete(stream->number));
  {
    std::lock_guard<std::mutex> lock(registry_mu_);
    auto it = by_name_.find(stream->name);
    if (it != by_name_.end() && it->second == stream) by_name_.erase(it);
  }
  // Metadata first: a crash now leaves an orphan buffer, which Start removes.
  Status st = stream->buffer->Destroy();
  if (!st.ok()) TARN_LOG(Warn, "firehose: removing a deleted buffer failed").Kv("error", st.ToString());
  return Status::OK();
}

Result<StreamView> FirehoseService::Describe(const std::string& name) {
  TARN_ASSIGN_OR_RETURN(StreamPtr s, Find(name));
  std::lock_guard<std::mutex> lock(s->mu);
  StreamView v;
  v.row = s->row;
  v.row.status = s->StatusAt(options_.clock->Now());
  v.failure = !s->delivery_failure.empty() ? s->delivery_failure : s->source_failure;
  return v;
}

Result<ListResult> FirehoseService::List(int limit, std::optional<SourceType> type,
                                         const std::string& exclusive_start) {
  std::vector<StreamPtr> all;
  {
    std::lock_guard<std::mutex> lock(registry_mu_);
    for (auto it = by_name_.upper_bound(exclusive_start); it != by_name_.end(); ++it) {
      all.push_back(it->second);
    }
  }
  ListResult out;
  for (const StreamPtr& s : all) {
    if (type && s->type != *type) continue;
    if (static_cast<int>(out.names.size()) == limit) {
      out.has_more = true;
      break;
    }
    out.names.push_back(s->name);
  }
  return out;
}

// --- Records ------------------------------------------------------------------

void FirehoseService::PutAsync(const std::string& name, std::span<const std::string_view> records,
                               std::function<void(Result<PutOutcome>)> done, const Post& post) {
  Result<StreamPtr> found = FindActive(name);
  if (found.ok() && (*found)->type != SourceType::kDirectPut) {
    found = InvalidArg("This operation is not permitted on KinesisStreamAsSource delivery stream type.");
  }
  if (!found.ok()) {
    Status st = found.status();
    post([done = std::move(done), st] { done(st); });
    return;
  }
  StreamPtr s = *found;
  bool encrypted;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    encrypted = s->row.encryption.value("Status", "") == "ENABLED";
  }
  // The records' views must outlive the append: they live with the request.
  auto appends = std::make_shared<std::vector<storage::AppendRecord>>();
  appends->reserve(records.size());
  for (std::string_view r : records) appends->push_back(storage::AppendRecord{{}, r, {}});
  // The stream must outlive the append's drain, which runs on the pool.
  RecordBuffer::Post keep_alive = [post, s](std::function<void()> fn) {
    post([s, fn = std::move(fn)] { fn(); });
  };
  s->buffer->AppendAsync(
      *appends,
      [this, s, appends, encrypted, done = std::move(done)](Result<uint64_t> first) {
        if (!first.ok()) {
          TARN_LOG(Error, "firehose: buffering records failed")
              .Kv("stream", s->name)
              .Kv("error", first.status().ToString());
          done(Status(Code::kUnavailable,
                      "Slow down. The delivery stream could not buffer the records: " +
                          first.status().message(),
                      "ServiceUnavailableException"));
          return;
        }
        PutOutcome out;
        out.encrypted = encrypted;
        out.record_ids.reserve(appends->size());
        for (size_t i = 0; i < appends->size(); ++i) {
          out.record_ids.push_back(MakeRecordId(s->number, *first + i));
        }
        WakeDelivery(s);
        done(std::move(out));
      },
      keep_alive);
}

Result<PutOutcome> FirehoseService::Put(const std::string& name,
                                        std::span<const std::string_view> records) {
  std::promise<Result<PutOutcome>> promise;
  auto future = promise.get_future();
  PutAsync(
      name, records, [&promise](Result<PutOutcome> r) { promise.set_value(std::move(r)); },
      [](std::function<void()> fn) { fn(); });
  return future.get();
}

void FirehoseService::WakeDelivery(const StreamPtr& s) {
  int64_t now = options_.clock->Now();
  uint64_t threshold;
  int64_t interval;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    if (!s->settings) return;
    threshold = s->settings->buffer_bytes;
    interval = s->settings->buffer_interval_ms;
  }
  int64_t due;
  if (s->buffer->pending_bytes() >= threshold) {
    due = now;
  } else {
    due = s->buffer->oldest_pending_ms().value_or(now) + interval;
  }
  scheduler_.Wake(DeliveryKey(s->number), due);
}

// --- Configuration ----------------------------------------------------------------

Status FirehoseService::UpdateDestination(const std::string& name, const std::string& current_version,
                                          const std::string& destination_id, const Json& update) {
  TARN_ASSIGN_OR_RETURN(StreamPtr s, Find(name));
  {
    std::lock_guard<std::mutex> lock(s->mu);
    StreamStatus status = s->StatusAt(options_.clock->Now());
    if (status != StreamStatus::kActive) {
      return InUse("Firehose " + name + " is not in the ACTIVE state (it is " +
                   std::string(StatusName(status)) + ").");
    }
    if (current_version != std::to_string(s->row.version)) {
      return Status(Code::kAborted,
                    "Cannot update firehose: " + name + " since the current version id: " +
                        std::to_string(s->row.version) + " and specified version id: " +
                        current_version + " do not match",
                    "ConcurrentModificationException");
    }
    if (destination_id != kDestinationId) {
      return InvalidArg("DestinationId " + destination_id + " is not a destination of " + name +
                        " (its destination is " + kDestinationId + ").");
    }
    Json merged = MergeDestinationUpdate(s->row.destination, update);
    TARN_ASSIGN_OR_RETURN(std::shared_ptr<const DestinationSettings> settings, Compile(merged));
    bool was = s->settings ? s->settings->dynamic_partitioning : false;
    if (was != settings->dynamic_partitioning) {
      return InvalidArg(std::string("ExtendedS3DestinationUpdate.DynamicPartitioningConfiguration: "
                                    "dynamic partitioning cannot be ") +
                        (was ? "disabled" : "enabled") + " on an existing delivery stream");
    }
    StreamRow row = s->row;
    row.destination = std::move(merged);
    row.version += 1;
    row.updated_ms = options_.clock->Now();
    TARN_RETURN_IF_ERROR(SaveRow(*s, row));
    s->settings = settings;
    s->delivery_failure.clear();
  }
  WakeDelivery(s);
  return Status::OK();
}

Status FirehoseService::Tag(const std::string& name, const Tags& tags) {
  TARN_ASSIGN_OR_RETURN(StreamPtr s, FindActive(name));
  std::lock_guard<std::mutex> lock(s->mu);
  StreamRow row = s->row;
  for (const auto& [k, v] : tags) row.tags[k] = v;
  if (static_cast<int>(row.tags.size()) > kMaxTags) {
    return LimitExceeded("A delivery stream cannot have more than " + std::to_string(kMaxTags) +
                         " tags; " + name + " would have " + std::to_string(row.tags.size()) + ".");
  }
  return SaveRow(*s, row);
}

Status FirehoseService::Untag(const std::string& name, const std::vector<std::string>& keys) {
  TARN_ASSIGN_OR_RETURN(StreamPtr s, FindActive(name));
  std::lock_guard<std::mutex> lock(s->mu);
  StreamRow row = s->row;
  for (const std::string& k : keys) row.tags.erase(k);
  return SaveRow(*s, row);
}

Result<std::pair<std::vector<std::pair<std::string, std::string>>, bool>> FirehoseService::ListTags(
    const std::string& name, const std::string& exclusive_start, int limit) {
  TARN_ASSIGN_OR_RETURN(StreamPtr s, Find(name));
  std::lock_guard<std::mutex> lock(s->mu);
  std::vector<std::pair<std::string, std::string>> out;
  bool more = false;
  for (auto it = s->row.tags.upper_bound(exclusive_start); it != s->row.tags.end(); ++it) {
    if (static_cast<int>(out.size()) == limit) {
      more = true;
      break;
    }
    out.emplace_back(it->first, it->second);
  }
  return std::make_pair(std::move(out), more);
}

Status FirehoseService::StartEncryption(const std::string& name, const Json& encryption) {
  TARN_ASSIGN_OR_RETURN(StreamPtr s, FindActive(name));
  std::lock_guard<std::mutex> lock(s->mu);
  if (s->type != SourceType::kDirectPut) {
    return InvalidArg("Server-side encryption is not supported for KinesisStreamAsSource delivery "
                      "streams: " + name + " reads from a Kinesis stream, whose own encryption applies.");
  }
  StreamRow row = s->row;
  row.encryption = encryption.empty() ? Json{{"KeyType", "AWS_OWNED_CMK"}} : encryption;
  row.encryption["Status"] = "ENABLED";
  return SaveRow(*s, row);
}

Status FirehoseService::StopEncryption(const std::string& name) {
  TARN_ASSIGN_OR_RETURN(StreamPtr s, FindActive(name));
  std::lock_guard<std::mutex> lock(s->mu);
  if (s->type != SourceType::kDirectPut) {
    return InvalidArg("Server-side encryption is not supported for KinesisStreamAsSource delivery "
                      "streams.");
  }
  StreamRow row = s->row;
  row.encryption = Json{{"Status", "DISABLED"}};
  return SaveRow(*s, row);
}

// --- Delivery -----------------------------------------------------------------

std::optional<int64_t> FirehoseService::DeliveryTask(const StreamPtr& s) {
  int64_t now = options_.clock->Now();
  StreamStatus status;
  int64_t until;
  std::shared_ptr<const DestinationSettings> settings;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    status = s->row.status;
    until = s->row.status_until_ms;
    settings = s->settings;
  }
  if (status == StreamStatus::kDeleting) {
    // A last attempt at what is buffered; then the stream goes.
    for (int i = 0; settings && i < kMaxFinalFlushes && s->buffer->end() > s->buffer->delivered(); ++i) {
      Status st = FlushOnce(s);
      if (!st.ok()) {
        TARN_LOG(Warn, "firehose: records of a deleted stream were not delivered")
            .Kv("stream", s->name)
            .Kv("records", s->buffer->end() - s->buffer->delivered())
            .Kv("error", st.ToString());
        break;
      }
    }
    if (now < until) return until;
    Status st = Purge(s);
    if (!st.ok()) {
      TARN_LOG(Error, "firehose: purging a deleted stream failed").Kv("stream", s->name).Kv("error", st.ToString());
      return now + Backoff(1);
    }
    return TaskScheduler::kRemove;
  }
  if (!settings) return std::nullopt;
  if (s->delivery_retry_at > now) return s->delivery_retry_at;

  for (int round = 0; round < kMaxFlushesPerRun; ++round) {
    if (s->buffer->end() <= s->buffer->delivered()) return std::nullopt;
    int64_t due = s->buffer->oldest_pending_ms().value_or(now) + settings->buffer_interval_ms;
    if (s->buffer->pending_bytes() < settings->buffer_bytes && now < due) return due;
    Status st = FlushOnce(s);
    if (!st.ok()) {
      s->delivery_attempts += 1;
      s->delivery_retry_at = now + Backoff(s->delivery_attempts);
      {
        std::lock_guard<std::mutex> lock(s->mu);
        s->delivery_failure = st.message() + " (attempt " + std::to_string(s->delivery_attempts) +
                              "; retrying)";
      }
      {
        std::lock_guard<std::mutex> lock(stats_mu_);
        stats_.failed_flushes += 1;
      }
      TARN_LOG(Warn, "firehose: delivery failed")
          .Kv("stream", s->name)
          .Kv("attempt", s->delivery_attempts)
          .Kv("error", st.ToString());
      return s->delivery_retry_at;
    }
    if (s->delivery_attempts > 0) {
      s->delivery_attempts = 0;
      std::lock_guard<std::mutex> lock(s->mu);
      s->delivery_failure.clear();
    }
    now = options_.clock->Now();
  }
  return now;
}

Status FirehoseService::FlushOnce(const StreamPtr& s) {
  std::shared_ptr<const DestinationSettings> settings;
  int64_t version;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    settings = s->settings;
    version = s->row.version;
  }
  if (!settings) return FailedPrecondition("the destination configuration does not compile");
  // A retry goes on with the objects it built (some may be in S3 already),
  // unless the configuration changed in between.
  if (s->prepared && s->prepared->version != version) s->prepared.reset();
  if (!s->prepared) {
    TARN_ASSIGN_OR_RETURN(std::vector<storage::LogRecord> records,
                          s->buffer->ReadPending(settings->buffer_bytes, kMaxRecordsPerFlush));
    if (records.empty()) return Status::OK();
    ConversionSpec spec;
    if (settings->conversion) {
      if (deps_.schemas == nullptr || deps_.converters == nullptr) {
        return FailedPrecondition("record format conversion is not available on this server");
      }
      Result<std::vector<ConversionColumn>> columns = deps_.schemas->Columns(settings->conversion->table);
      if (!columns.ok()) {
        return Status(columns.status().code(),
                      "Reading the schema of Glue table " + settings->conversion->table.database +
                          "." + settings->conversion->table.table +
                          " failed: " + columns.status().message());
      }
      spec = settings->conversion->spec;
      spec.columns = std::move(*columns);
    }
    Stream::Prepared p;
    p.version = version;
    p.end_offset = records.back().offset + 1;
    p.last_arrival_ms = records.back().arrival_ms;
    for (const auto& r : records) p.data_bytes += r.data.size();
    ProcessedBatch batch = ProcessRecords(*settings, s->type == SourceType::kKinesisStream, records);
    records.clear();
    BuildContext c;
    c.stream_name = s->name;
    c.version = version;
    c.settings = settings.get();
    c.converters = deps_.converters;
    c.spec = settings->conversion ? &spec : nullptr;
    c.now_ms = options_.clock->Now();
    c.new_uuid = UuidV4;
    TARN_ASSIGN_OR_RETURN(p.objects, BuildObjects(std::move(batch), c));
    s->prepared = std::move(p);
  }
  Stream::Prepared& p = *s->prepared;
  for (; p.written < p.objects.size(); ++p.written) {
    OutputObject& o = p.objects[p.written];
    Status st = deps_.sink->Put(settings->bucket, o.key, o.body, o.content_encoding);
    if (!st.ok()) {
      return Status(st.code(), "Writing s3://" + settings->bucket + "/" + o.key +
                                   " failed: " + st.message());
    }
    o.body = std::string();  // in S3 now; free it before the next
  }
  TARN_RETURN_IF_ERROR(store_.SetDelivered(s->number, p.end_offset));
  Status trimmed = s->buffer->MarkDelivered(p.end_offset, p.data_bytes, p.last_arrival_ms);
  if (!trimmed.ok()) {
    // The checkpoint is committed; old segments just stay until the next flush.
    TARN_LOG(Warn, "firehose: trimming a buffer failed").Kv("stream", s->name).Kv("error", trimmed.ToString());
  }
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    stats_.flushes += 1;
    stats_.objects += p.objects.size();
  }
  s->prepared.reset();
  return Status::OK();
}

std::optional<int64_t> FirehoseService::SourceTask(const StreamPtr& s) {
  int64_t now = options_.clock->Now();
  uint64_t buffer_bytes;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    if (s->row.status == StreamStatus::kDeleting) return TaskScheduler::kRemove;
    buffer_bytes = s->settings ? s->settings->buffer_bytes : (kDefaultBufferSizeMiB << 20);
  }
  if (!s->source) return std::nullopt;
  if (s->source_retry_at > now) return s->source_retry_at;
  if (s->buffer->pending_bytes() > std::max<uint64_t>(kMinSourceBacklogBytes, 4 * buffer_bytes)) {
    return now + options_.source_poll_ms;
  }
  uint64_t number = s->number;
  Result<KinesisSource::PollResult> polled = s->source->Poll(
      *s->buffer, [this, number](std::span<const ShardCheckpoint> cps) {
        return store_.SaveShardCheckpoints(number, cps);
      });
  if (!polled.ok()) {
    s->source_attempts += 1;
    s->source_retry_at = now + Backoff(s->source_attempts);
    std::string arn;
    {
      std::lock_guard<std::mutex> lock(s->mu);
      arn = s->row.source.value("KinesisStreamARN", "");
      s->source_failure = "Reading Kinesis stream " + arn + " failed: " + polled.status().message() +
                          " (attempt " + std::to_string(s->source_attempts) + "; retrying)";
    }
    TARN_LOG(Warn, "firehose: reading the source failed")
        .Kv("stream", s->name)
        .Kv("error", polled.status().ToString());
    return s->source_retry_at;
  }
  if (s->source_attempts > 0) {
    s->source_attempts = 0;
    std::lock_guard<std::mutex> lock(s->mu);
    s->source_failure.clear();
  }
  if (polled->records > 0) WakeDelivery(s);
  return polled->more ? now : now + options_.source_poll_ms;
}

int FirehoseService::RunDueTasks() { return scheduler_.RunDue(); }

Status FirehoseService::FlushNow(const std::string& name) {
  TARN_ASSIGN_OR_RETURN(StreamPtr s, Find(name));
  while (s->buffer->end() > s->buffer->delivered()) TARN_RETURN_IF_ERROR(FlushOnce(s));
  return Status::OK();
}

FirehoseService::Stats FirehoseService::stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  return stats_;
}

}  // namespace tarn::firehose
