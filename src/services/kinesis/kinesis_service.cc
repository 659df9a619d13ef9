#include "services/kinesis/kinesis_service.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <deque>
#include <set>
#include <shared_mutex>

#include "common/encoding.h"
#include "common/log.h"
#include "services/kinesis/reshard.h"
#include "services/kinesis/sequence_number.h"

namespace tarn::kinesis {

using storage::SegmentLog;

namespace {

constexpr int kMinRetentionHours = 24;
constexpr int kMaxRetentionHours = 8760;
constexpr int kMaxTagsPerResource = 50;
constexpr size_t kMaxGetRecordsBytes = 10u << 20;
constexpr int kMaxGetRecordsLimit = 10000;
constexpr int kMaxShardsPerUpdate = 10000;
constexpr int64_t kMsPerHour = 3600 * 1000;
// AppendGroupAsync combines queued groups up to this many bytes per append
// (the SegmentLog takes at most storage::kMaxAppendBytes of frames), counting
// each record's data, key and this much framing.
constexpr size_t kMaxCombinedAppendBytes = 8u << 20;
constexpr size_t kFrameOverheadBytes = 64;

const std::vector<std::string> kAllMetrics = {
    "IncomingBytes",      "IncomingRecords",
    "OutgoingBytes",      "OutgoingRecords",
    "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds"};

Status Err(Code code, std::string aws, std::string message) {
  return Status(code, std::move(message), std::move(aws));
}
Status InvalidArg(std::string message) {
  return Err(Code::kInvalidArgument, "InvalidArgumentException", std::move(message));
}
Status InUse(std::string message) {
  return Err(Code::kFailedPrecondition, "ResourceInUseException", std::move(message));
}
Status Missing(std::string message) {
  return Err(Code::kNotFound, "ResourceNotFoundException", std::move(message));
}
Status Limit(std::string message) {
  return Err(Code::kResourceExhausted, "LimitExceededException", std::move(message));
}
Status Validation(std::string message) {
  return Err(Code::kInvalidArgument, "ValidationException", std::move(message));
}

std::string StreamDirName(uint64_t number) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%012llu", static_cast<unsigned long long>(number));
  return buf;
}

// Removes a directory tree through the Env (segments, then directories).
Status RemoveTree(storage::Env* env, const std::string& path) {
  TARN_ASSIGN_OR_RETURN(bool is_dir, env->IsDirectory(path));
  if (!is_dir) return env->DeleteFile(path);
  TARN_ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(path));
  for (const std::string& name : names) TARN_RETURN_IF_ERROR(RemoveTree(env, path + "/" + name));
  return env->DeleteDir(path);
}

// Letters, digits, white space and _ . / = + - % @ (AWS's tag alphabet);
// bytes >= 0x80 are taken as parts of Unicode letters.
bool ValidTagText(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80 || std::isalnum(c) || c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (std::string_view("_./=+-%@:").find(static_cast<char>(c)) != std::string_view::npos) continue;
    return false;
  }
  return true;
}

Status CheckTags(const Tags& tags) {
  for (const auto& [k, v] : tags) {
    if (k.empty() || k.size() > 128) return InvalidArg("Tag keys must be 1 to 128 characters long.");
    if (v.size() > 256) return InvalidArg("Tag values must be at most 256 characters long.");
    if (!ValidTagText(k) || !ValidTagText(v)) {
      return InvalidArg(
          "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white "
          "space, _ . / = + - % @.");
    }
    if (k.rfind("aws:", 0) == 0) {
      return InvalidArg("Some tags start with 'aws:', which is reserved for AWS use.");
    }
  }
  return Status::OK();
}

// Opaque paging tokens: base64 of a small JSON document with an expiry.
std::string MakeToken(nlohmann::json doc) { return Base64Encode(doc.dump()); }

Result<nlohmann::json> ReadToken(const std::string& token, UnixMillis now, const char* kind) {
  std::optional<std::string> raw = Base64Decode(token);
  nlohmann::json doc = raw ? nlohmann::json::parse(*raw, nullptr, false) : nlohmann::json();
  if (!doc.is_object() || !doc.contains("x") || !doc["x"].is_number_integer()) {
    return InvalidArg(std::string("Invalid ") + kind + ".");
  }
  if (doc["x"].get<int64_t>() < now) {
    return Err(Code::kFailedPrecondition, "ExpiredNextTokenException",
               std::string("The ") + kind + " has expired.");
  }
  return doc;
}

template <typename T>
std::optional<T> TokenField(const nlohmann::json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end()) return std::nullopt;
  try {
    return it->get<T>();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

// --- In-memory state ----------------------------------------------------------

// One shard. Its log is used (appended, read) with `gate` held shared; it is
// closed or destroyed with `gate` held exclusively, so a close sees no
// append in flight and end_offset is final.
struct KinesisService::Shard {
  uint64_t index = 0;
  std::string id;
  std::optional<uint64_t> parent;
  std::optional<uint64_t> adjacent_parent;
  HashKeyRange range;
  UnixMillis created_ms = 0;
  std::string dir;
  // Null for a shard closed before it held a record (a resharding
  // intermediate, or any closed shard with end_offset 0): it reads empty.
  std::unique_ptr<SegmentLog> log;

  mutable std::shared_mutex gate;
  // Written with gate held exclusively and the stream's mu held; read with
  // either held.
  bool closed = false;
  UnixMillis closed_ms = 0;
  uint64_t end_offset = 0;
  bool destroyed = false;

  // Groups waiting for AppendGroupAsync's combined append.
  struct Pending {
    std::shared_ptr<KinesisService::Stream> stream;
    const std::vector<uint32_t>* indices;
    std::span<const PutEntry> entries;
    std::span<PutOutcome> outcomes;
    std::function<void(Status)> done;
    size_t bytes = 0;
  };
  std::mutex queue_mu;
  std::deque<Pending> queue;  // GUARDED_BY(queue_mu)
  bool draining = false;      // GUARDED_BY(queue_mu): a pool thread runs DrainAppends

  uint64_t EndOffset() const {  // gate held
    if (closed) return end_offset;
    return log ? log->end_offset() : 0;
  }
  uint64_t FirstOffset() const {  // gate held
    return log ? log->first_offset() : 0;
  }
  ShardRow Row() const {
    ShardRow r;
    r.index = index;
    r.parent = parent;
    r.adjacent_parent = adjacent_parent;
    r.range = range;
    r.created_ms = created_ms;
    if (closed) r.closed_ms = closed_ms;
    r.end_offset = end_offset;
    return r;
  }
};

// The open shards, sorted by starting hash key: what a put routes by.
struct Routing {
  std::vector<HashKey> starts;
  std::vector<std::shared_ptr<KinesisService::Shard>> shards;

  const std::shared_ptr<KinesisService::Shard>& Route(HashKey key) const {
    auto it = std::upper_bound(starts.begin(), starts.end(), key);
    return shards[static_cast<size_t>(it - starts.begin()) - 1];
  }
};

struct KinesisService::Stream {
  uint64_t number = 0;  // const after construction
  std::string name;     // const
  std::string arn;      // const
  std::string dir;      // const

  mutable std::mutex mu;
  StreamRow row;                                 // GUARDED_BY(mu)
  std::map<uint64_t, std::shared_ptr<Shard>> shards;  // GUARDED_BY(mu)
  std::shared_ptr<const Routing> routing;        // GUARDED_BY(mu)
  std::map<std::string, ConsumerRow> consumers;  // GUARDED_BY(mu)
  bool purged = false;                           // GUARDED_BY(mu)

  void Reroute() {  // mu held
    auto r = std::make_shared<Routing>();
    for (const auto& [index, shard] : shards) {
      if (!shard->closed) r->shards.push_back(shard);
    }
    std::sort(r->shards.begin(), r->shards.end(),
              [](const auto& a, const auto& b) { return a->range.start < b->range.start; });
    for (const auto& s : r->shards) r->starts.push_back(s->range.start);
    routing = std::move(r);
  }
};

namespace {

// The status a stored row shows at `now`; nullopt once a DELETING row's
// time is over (the stream is gone).
std::optional<StreamStatus> EffectiveStatus(const StreamRow& row, UnixMillis now) {
  switch (row.status) {
    case StreamStatus::kCreating:
    case StreamStatus::kUpdating:
      return now >= row.status_until_ms ? StreamStatus::kActive : row.status;
    case StreamStatus::kDeleting:
      if (now >= row.status_until_ms) return std::nullopt;
      return row.status;
    case StreamStatus::kActive:
      return row.status;
  }
  return row.status;
}

std::optional<ConsumerStatus> EffectiveConsumerStatus(const ConsumerRow& c, UnixMillis now) {
  switch (c.status) {
    case ConsumerStatus::kCreating:
      return now >= c.status_until_ms ? ConsumerStatus::kActive : c.status;
    case ConsumerStatus::kDeleting:
      if (now >= c.status_until_ms) return std::nullopt;
      return c.status;
    case ConsumerStatus::kActive:
      return c.status;
  }
  return c.status;
}

}  // namespace

// --- Construction -------------------------------------------------------------

KinesisService::KinesisService(storage::MetaStore* meta, ServiceOptions options)
    : meta_(meta), options_(std::move(options)), store_(meta) {}

KinesisService::~KinesisService() { Stop(); }

void KinesisService::Stop() {
  {
    std::lock_guard<std::mutex> lock(maintenance_mu_);
    stopping_ = true;
  }
  maintenance_cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
}

std::string KinesisService::StreamArn(std::string_view name) const {
  return "arn:aws:kinesis:" + options_.region + ":" + options_.account_id + ":stream/" +
         std::string(name);
}

Result<std::string> KinesisService::ResolveStreamName(std::string_view name,
                                                      std::string_view arn) const {
  if (arn.empty()) {
    if (name.empty()) {
      return Validation("Either StreamName or StreamARN must be provided.");
    }
    return std::string(name);
  }
  // arn:<partition>:kinesis:<region>:<account>:stream/<name>
  auto parts = Split(arn, ':');
  if (parts.size() != 6 || parts[0] != "arn" || parts[1].rfind("aws", 0) != 0 ||
      parts[2] != "kinesis" || parts[5].rfind("stream/", 0) != 0 || parts[5].size() <= 7 ||
      parts[5].find('/', 7) != std::string_view::npos) {
    return InvalidArg("StreamARN " + std::string(arn) + " is not a valid stream ARN.");
  }
  std::string from_arn(parts[5].substr(7));
  if (parts[3] != options_.region || parts[4] != options_.account_id) {
    return Missing("Stream " + from_arn + " under account " + std::string(parts[4]) +
                   " not found.");
  }
  if (!name.empty() && name != from_arn) {
    return InvalidArg("StreamARN " + std::string(arn) + " and StreamName " + std::string(name) +
                      " do not name the same stream.");
  }
  return from_arn;
}

Result<std::shared_ptr<KinesisService::Shard>> KinesisService::OpenShard(const Stream& stream,
                                                                         const ShardRow& row,
                                                                         bool with_log) {
  auto shard = std::make_shared<Shard>();
  shard->index = row.index;
  shard->id = ShardIdFor(row.index);
  shard->parent = row.parent;
  shard->adjacent_parent = row.adjacent_parent;
  shard->range = row.range;
  shard->created_ms = row.created_ms;
  shard->dir = stream.dir + "/" + shard->id;
  shard->closed = row.closed_ms.has_value();
  shard->closed_ms = row.closed_ms.value_or(0);
  shard->end_offset = row.end_offset;
  if (with_log) {
    auto log = options_.open_log(shard->dir);
    if (!log.ok()) return log.status().WithContext("opening the log of " + shard->id);
    shard->log = std::move(*log);
  }
  return shard;
}

Status KinesisService::Start() {
  if (!options_.open_log) return Internal("KinesisService needs ServiceOptions::open_log");
  if (options_.streams_dir.empty()) return Internal("KinesisService needs a streams directory");
  TARN_RETURN_IF_ERROR(store_.Migrate().WithContext("migrating the kinesis schema"));
  TARN_ASSIGN_OR_RETURN(std::string key, store_.IteratorKey());
  iterators_ = std::make_unique<IteratorCodec>(key, options_.iterator_ttl_ms);
  if (!options_.env->FileExists(options_.streams_dir)) {
    TARN_RETURN_IF_ERROR(options_.env->CreateDirs(options_.streams_dir));
    std::string parent = options_.streams_dir.substr(0, options_.streams_dir.rfind('/'));
    if (!parent.empty()) TARN_RETURN_IF_ERROR(options_.env->SyncDir(parent));
  }

  TARN_ASSIGN_OR_RETURN(std::vector<StoredStream> stored, store_.LoadAll());
  for (StoredStream& s : stored) {
    auto stream = std::make_shared<Stream>();
    stream->number = s.stream.number;
    stream->name = s.stream.name;
    stream->arn = StreamArn(s.stream.name);
    stream->dir = options_.streams_dir + "/" + StreamDirName(s.stream.number);
    stream->row = s.stream;
    for (const ShardRow& row : s.shards) {
      bool with_log = !(row.closed_ms && row.end_offset == 0);
      TARN_ASSIGN_OR_RETURN(ShardPtr shard, OpenShard(*stream, row, with_log));
      if (shard->log && shard->closed && shard->log->end_offset() < shard->end_offset) {
        // Cannot happen with a log that keeps what it acknowledged; say so
        // rather than hand out offsets that do not exist.
        TARN_LOG(Error, "kinesis: closed shard's log is shorter than its recorded end")
            .Kv("stream", stream->name)
            .Kv("shard", shard->id)
            .Kv("log_end", shard->log->end_offset())
            .Kv("recorded_end", shard->end_offset);
        shard->end_offset = shard->log->end_offset();
      }
      stream->shards[row.index] = std::move(shard);
    }
    for (ConsumerRow& c : s.consumers) stream->consumers[c.name] = std::move(c);
    stream->Reroute();
    std::lock_guard<std::mutex> lock(registry_mu_);
    by_name_[stream->name] = stream;
    by_number_[stream->number] = stream;
  }
  TARN_RETURN_IF_ERROR(SweepOrphans());
  TARN_RETURN_IF_ERROR(RunMaintenance());
  if (options_.maintenance_interval_ms > 0) {
    stopping_ = false;
    maintenance_ = std::thread([this] { MaintenanceLoop(); });
  }
  return Status::OK();
}

// Stream and shard directories that no stream owns: left by a crash between
// creating a log and committing its metadata, or between deleting a
// stream's metadata and its files.
Status KinesisService::SweepOrphans() {
  storage::Env* env = options_.env;
  TARN_ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(options_.streams_dir));
  std::map<std::string, StreamPtr> known;
  for (const StreamPtr& s : AllStreams()) known[StreamDirName(s->number)] = s;
  for (const std::string& name : names) {
    std::string path = options_.streams_dir + "/" + name;
    auto it = known.find(name);
    if (it == known.end()) {
      TARN_LOG(Info, "kinesis: removing orphan stream directory").Kv("path", path);
      TARN_RETURN_IF_ERROR(RemoveTree(env, path));
      continue;
    }
    std::set<std::string> shard_dirs;
    {
      std::lock_guard<std::mutex> lock(it->second->mu);
      for (const auto& [index, shard] : it->second->shards) {
        if (shard->log) shard_dirs.insert(shard->id);
      }
    }
    TARN_ASSIGN_OR_RETURN(std::vector<std::string> entries, env->ListDir(path));
    for (const std::string& entry : entries) {
      if (shard_dirs.count(entry)) continue;
      TARN_LOG(Info, "kinesis: removing orphan shard directory").Kv("path", path + "/" + entry);
      TARN_RETURN_IF_ERROR(RemoveTree(env, path + "/" + entry));
    }
  }
  return Status::OK();
}

void KinesisService::MaintenanceLoop() {
  std::unique_lock<std::mutex> lock(maintenance_mu_);
  while (!stopping_) {
    maintenance_cv_.wait_for(lock, std::chrono::milliseconds(options_.maintenance_interval_ms));
    if (stopping_) break;
    lock.unlock();
    Status st = RunMaintenance();
    if (!st.ok()) TARN_LOG(Warn, "kinesis: maintenance pass failed").Kv("error", st.ToString());
    lock.lock();
  }
}

// --- Lookup -------------------------------------------------------------------

std::vector<KinesisService::StreamPtr> KinesisService::AllStreams() const {
  std::lock_guard<std::mutex> lock(registry_mu_);
  std::vector<StreamPtr> out;
  out.reserve(by_name_.size());
  for (const auto& [name, s] : by_name_) out.push_back(s);
  return out;
}

Result<KinesisService::StreamPtr> KinesisService::Find(const std::string& name) const {
  StreamPtr stream;
  {
    std::lock_guard<std::mutex> lock(registry_mu_);
    auto it = by_name_.find(name);
    if (it != by_name_.end()) stream = it->second;
  }
  if (stream) {
    std::lock_guard<std::mutex> lock(stream->mu);
    if (!stream->purged && EffectiveStatus(stream->row, options_.clock->Now())) return stream;
  }
  return Missing("Stream " + name + " under account " + options_.account_id + " not found.");
}

KinesisService::StreamPtr KinesisService::FindByNumber(uint64_t number) const {
  StreamPtr stream;
  {
    std::lock_guard<std::mutex> lock(registry_mu_);
    auto it = by_number_.find(number);
    if (it != by_number_.end()) stream = it->second;
  }
  if (!stream) return nullptr;
  std::lock_guard<std::mutex> lock(stream->mu);
  if (stream->purged || !EffectiveStatus(stream->row, options_.clock->Now())) return nullptr;
  return stream;
}

// A stream an administrative operation may change: ACTIVE (or, when
// allow_updating, UPDATING). admin_mu_ held.
Result<KinesisService::StreamPtr> KinesisService::FindForAdmin(const std::string& name,
                                                                bool allow_updating) {
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, Find(name));
  std::lock_guard<std::mutex> lock(stream->mu);
  auto status = EffectiveStatus(stream->row, options_.clock->Now());
  if (status == StreamStatus::kActive || (allow_updating && status == StreamStatus::kUpdating)) {
    return stream;
  }
  if (status == StreamStatus::kDeleting) {
    return Missing("Stream " + name + " under account " + options_.account_id + " not found.");
  }
  return InUse("Stream " + name + " under account " + options_.account_id +
               " not ACTIVE, instead in state " + std::string(StatusName(*status)));
}

Result<KinesisService::StreamPtr> KinesisService::StreamFromArn(const std::string& arn) const {
  TARN_ASSIGN_OR_RETURN(std::string name, ResolveStreamName("", arn));
  return Find(name);
}

int KinesisService::OpenShardCountLocked() const {
  int open = 0;
  UnixMillis now = options_.clock->Now();
  for (const StreamPtr& s : AllStreams()) {
    std::lock_guard<std::mutex> lock(s->mu);
    if (s->purged || !EffectiveStatus(s->row, now)) continue;
    open += static_cast<int>(s->routing->shards.size());
  }
  return open;
}

Status KinesisService::SaveRow(Stream& stream, const StreamRow& row) {
  TARN_RETURN_IF_ERROR(store_.UpdateStream(row));
  std::lock_guard<std::mutex> lock(stream.mu);
  stream.row = row;
  return Status::OK();
}

// --- Streams ------------------------------------------------------------------

Status KinesisService::CreateStream(const std::string& name, std::optional<int> shard_count,
                                    std::optional<StreamMode> mode, const Tags& tags) {
  StreamMode m = mode.value_or(StreamMode::kProvisioned);
  uint32_t count = 0;
  if (m == StreamMode::kOnDemand) {
    count = options_.on_demand_shards;
  } else {
    if (!shard_count) {
      return InvalidArg("ShardCount is required for a stream in PROVISIONED mode.");
    }
    if (*shard_count < 1) {
      return Validation("1 validation error detected: Value '" + std::to_string(*shard_count) +
                        "' at 'shardCount' failed to satisfy constraint: Member must have value "
                        "greater than or equal to 1");
    }
    count = static_cast<uint32_t>(*shard_count);
  }
  TARN_RETURN_IF_ERROR(CheckTags(tags));
  if (tags.size() > kMaxTagsPerResource) {
    return InvalidArg("A stream cannot have more than 50 tags associated with it.");
  }

  std::lock_guard<std::mutex> admin(admin_mu_);
  StreamPtr existing;
  {
    std::lock_guard<std::mutex> lock(registry_mu_);
    auto it = by_name_.find(name);
    if (it != by_name_.end()) existing = it->second;
  }
  if (existing) {
    bool gone;
    {
      std::lock_guard<std::mutex> lock(existing->mu);
      gone = existing->purged || !EffectiveStatus(existing->row, options_.clock->Now());
    }
    if (!gone) {
      return InUse("Stream " + name + " under account " + options_.account_id +
                   " already exists.");
    }
    TARN_RETURN_IF_ERROR(Purge(existing));
  }

  int open = OpenShardCountLocked();
  if (open + static_cast<int64_t>(count) > options_.shard_limit) {
    return Limit("This request would exceed the shard limit for the account " +
                 options_.account_id + " in " + options_.region +
                 ". Current shard count for the account: " + std::to_string(open) +
                 ". Limit: " + std::to_string(options_.shard_limit) +
                 ". Number of additional shards that would have resulted from this request: " +
                 std::to_string(count) + ".");
  }
  if (m == StreamMode::kOnDemand) {
    int on_demand = 0;
    for (const StreamPtr& s : AllStreams()) {
      std::lock_guard<std::mutex> lock(s->mu);
      if (!s->purged && s->row.mode == StreamMode::kOnDemand) ++on_demand;
    }
    if (on_demand >= options_.on_demand_stream_limit) {
      return Limit("This request would exceed the limit of " +
                   std::to_string(options_.on_demand_stream_limit) +
                   " ON_DEMAND streams for the account " + options_.account_id + ".");
    }
  }

  UnixMillis now = options_.clock->Now();
  StreamRow row;
  row.name = name;
  row.status = options_.status_delay_ms > 0 ? StreamStatus::kCreating : StreamStatus::kActive;
  row.status_until_ms = now + options_.status_delay_ms;
  row.mode = m;
  row.created_ms = now;
  row.retention_hours = kMinRetentionHours;
  row.next_shard_index = count;
  row.tags = tags;
  std::vector<ShardRow> shards;
  std::vector<HashKeyRange> ranges = EvenRanges(count);
  for (uint32_t i = 0; i < count; ++i) {
    ShardRow s;
    s.index = i;
    s.range = ranges[i];
    s.created_ms = now;
    shards.push_back(s);
  }
  auto number = store_.CreateStream(row, shards);
  if (!number.ok()) {
    if (number.status().code() == Code::kAlreadyExists) {
      return InUse("Stream " + name + " under account " + options_.account_id +
                   " already exists.");
    }
    return number.status();
  }
  row.number = *number;

  auto stream = std::make_shared<Stream>();
  stream->number = row.number;
  stream->name = name;
  stream->arn = StreamArn(name);
  stream->dir = options_.streams_dir + "/" + StreamDirName(row.number);
  stream->row = row;
  // The stream's directory entry must be durable before the first
  // acknowledged record: the logs sync only their own directories.
  Status made = options_.env->CreateDirs(stream->dir);
  if (made.ok()) made = options_.env->SyncDir(options_.streams_dir);
  if (!made.ok()) {
    (void)store_.DeleteStream(row.number);
    return made;
  }
  for (const ShardRow& s : shards) {
    auto shard = OpenShard(*stream, s, true);
    if (!shard.ok()) {
      // Undo: the metadata goes, and the start-up sweep would remove any
      // directory left behind.
      Status undo = store_.DeleteStream(row.number);
      (void)RemoveTree(options_.env, stream->dir);
      if (!undo.ok()) TARN_LOG(Warn, "kinesis: undoing a failed create").Kv("error", undo.ToString());
      return shard.status();
    }
    stream->shards[s.index] = std::move(*shard);
  }
  stream->Reroute();
  std::lock_guard<std::mutex> lock(registry_mu_);
  by_name_[name] = stream;
  by_number_[row.number] = stream;
  return Status::OK();
}

Status KinesisService::DeleteStream(const std::string& name, bool enforce_consumer_deletion) {
  std::lock_guard<std::mutex> admin(admin_mu_);
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, Find(name));
  StreamRow row;
  UnixMillis now = options_.clock->Now();
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    row = stream->row;
    auto status = EffectiveStatus(row, now);
    if (status == StreamStatus::kDeleting) {
      return Missing("Stream " + name + " under account " + options_.account_id + " not found.");
    }
    if (status == StreamStatus::kCreating) {
      return InUse("Stream " + name + " under account " + options_.account_id +
                   " not ACTIVE, instead in state CREATING");
    }
    if (!enforce_consumer_deletion) {
      for (const auto& [cname, c] : stream->consumers) {
        if (EffectiveConsumerStatus(c, now)) {
          return InUse("Stream " + name + " under account " + options_.account_id +
                       " has registered consumers. Deregister them first or set "
                       "EnforceConsumerDeletion.");
        }
      }
    }
  }
  row.status = StreamStatus::kDeleting;
  row.status_until_ms = now + options_.status_delay_ms;
  TARN_RETURN_IF_ERROR(SaveRow(*stream, row));
  if (options_.status_delay_ms <= 0) return Purge(stream);
  return Status::OK();
}

Status KinesisService::Purge(const StreamPtr& stream) {
  // Metadata first: a crash after it leaves only files, which the start-up
  // sweep removes; the other order could leave metadata without its logs.
  TARN_RETURN_IF_ERROR(store_.DeleteStream(stream->number));
  std::vector<ShardPtr> shards;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    stream->purged = true;
    for (const auto& [index, shard] : stream->shards) shards.push_back(shard);
  }
  {
    std::lock_guard<std::mutex> lock(registry_mu_);
    auto it = by_name_.find(stream->name);
    if (it != by_name_.end() && it->second == stream) by_name_.erase(it);
    by_number_.erase(stream->number);
  }
  for (const ShardPtr& shard : shards) {
    std::unique_lock<std::shared_mutex> gate(shard->gate);
    shard->destroyed = true;
    if (shard->log) {
      Status st = shard->log->Destroy();
      if (!st.ok()) TARN_LOG(Warn, "kinesis: destroying a shard log").Kv("error", st.ToString());
    }
  }
  if (options_.env->FileExists(stream->dir)) {
    Status st = RemoveTree(options_.env, stream->dir);
    if (!st.ok()) TARN_LOG(Warn, "kinesis: removing a stream directory").Kv("error", st.ToString());
  }
  return Status::OK();
}

ShardInfo KinesisService::DescribeShard(const Stream& stream, const Shard& shard) const {
  ShardInfo info;
  info.shard_id = shard.id;
  if (shard.parent) info.parent_shard_id = ShardIdFor(*shard.parent);
  if (shard.adjacent_parent) info.adjacent_parent_shard_id = ShardIdFor(*shard.adjacent_parent);
  info.range = shard.range;
  info.starting_sequence_number = SequenceNumber{stream.number, shard.index, 0}.ToString();
  if (shard.closed) {
    uint64_t last = shard.end_offset > 0 ? shard.end_offset - 1 : 0;
    info.ending_sequence_number = SequenceNumber{stream.number, shard.index, last}.ToString();
  }
  return info;
}

StreamSummary KinesisService::Summarize(const Stream& stream, UnixMillis now) const {
  // stream.mu held
  StreamSummary s;
  s.name = stream.name;
  s.arn = stream.arn;
  s.status = EffectiveStatus(stream.row, now).value_or(StreamStatus::kDeleting);
  s.mode = stream.row.mode;
  s.retention_hours = stream.row.retention_hours;
  s.created_ms = stream.row.created_ms;
  s.shard_level_metrics = stream.row.shard_level_metrics;
  s.encryption_type = stream.row.encryption_type;
  s.key_id = stream.row.key_id;
  s.open_shard_count = static_cast<int>(stream.routing->shards.size());
  for (const auto& [name, c] : stream.consumers) {
    if (EffectiveConsumerStatus(c, now)) ++s.consumer_count;
  }
  return s;
}

Result<StreamDescription> KinesisService::DescribeStream(const std::string& name,
                                                         const std::string& exclusive_start,
                                                         int limit) {
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, Find(name));
  StreamDescription d;
  std::lock_guard<std::mutex> lock(stream->mu);
  d.summary = Summarize(*stream, options_.clock->Now());
  for (const auto& [index, shard] : stream->shards) {
    if (!exclusive_start.empty() && shard->id <= exclusive_start) continue;
    if (static_cast<int>(d.shards.size()) >= limit) {
      d.has_more_shards = true;
      break;
    }
    d.shards.push_back(DescribeShard(*stream, *shard));
  }
  return d;
}

Result<StreamSummary> KinesisService::DescribeStreamSummary(const std::string& name) {
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, Find(name));
  std::lock_guard<std::mutex> lock(stream->mu);
  return Summarize(*stream, options_.clock->Now());
}

Result<ListStreamsResult> KinesisService::ListStreams(const std::string& exclusive_start_name,
                                                      const std::string& next_token, int limit) {
  UnixMillis now = options_.clock->Now();
  std::string after = exclusive_start_name;
  if (!next_token.empty()) {
    TARN_ASSIGN_OR_RETURN(nlohmann::json doc, ReadToken(next_token, now, "NextToken"));
    auto last = TokenField<std::string>(doc, "after");
    if (!last) return InvalidArg("Invalid NextToken.");
    after = *last;
  }
  ListStreamsResult out;
  for (const StreamPtr& s : AllStreams()) {  // sorted by name
    if (!after.empty() && s->name <= after) continue;
    std::lock_guard<std::mutex> lock(s->mu);
    if (s->purged || !EffectiveStatus(s->row, now)) continue;
    if (static_cast<int>(out.streams.size()) >= limit) {
      out.has_more = true;
      break;
    }
    StreamSummary sum;
    sum.name = s->name;
    sum.arn = s->arn;
    sum.status = *EffectiveStatus(s->row, now);
    sum.mode = s->row.mode;
    sum.created_ms = s->row.created_ms;
    out.streams.push_back(std::move(sum));
  }
  if (out.has_more && !out.streams.empty()) {
    out.next_token = MakeToken({{"after", out.streams.back().name},
                                {"x", now + options_.next_token_ttl_ms}});
  }
  return out;
}

Result<ListShardsResult> KinesisService::ListShards(const ListShardsInput& in) {
  UnixMillis now = options_.clock->Now();
  ListShardsInput q = in;
  if (!in.next_token.empty()) {
    if (!in.stream_name.empty()) {
      return InvalidArg("NextToken and StreamName cannot be provided together.");
    }
    if (!in.exclusive_start_shard_id.empty()) {
      return InvalidArg("NextToken and ExclusiveStartShardId cannot be provided together.");
    }
    if (in.filter != ShardFilterType::kNone) {
      return InvalidArg("NextToken and ShardFilter cannot be provided together.");
    }
    TARN_ASSIGN_OR_RETURN(nlohmann::json doc, ReadToken(in.next_token, now, "NextToken"));
    auto stream = TokenField<std::string>(doc, "stream");
    auto after = TokenField<std::string>(doc, "after");
    auto filter = TokenField<int>(doc, "filter");
    if (!stream || !after || !filter) return InvalidArg("Invalid NextToken.");
    q.stream_name = *stream;
    q.exclusive_start_shard_id = *after;
    q.filter = static_cast<ShardFilterType>(*filter);
    q.filter_shard_id = TokenField<std::string>(doc, "fshard").value_or("");
    if (auto ts = TokenField<int64_t>(doc, "fts")) q.filter_timestamp = *ts;
    if (auto created = TokenField<int64_t>(doc, "created")) q.stream_creation_timestamp = *created;
  } else if (in.stream_name.empty()) {
    return InvalidArg("Either NextToken or StreamName should be provided.");
  }
  switch (q.filter) {
    case ShardFilterType::kAfterShardId:
      if (q.filter_shard_id.empty()) {
        return InvalidArg("ShardId must be provided for ShardFilter type AFTER_SHARD_ID.");
      }
      break;
    case ShardFilterType::kAtTimestamp:
    case ShardFilterType::kFromTimestamp:
      if (!q.filter_timestamp) {
        return InvalidArg("Timestamp must be provided for ShardFilter type AT_TIMESTAMP or "
                          "FROM_TIMESTAMP.");
      }
      break;
    default:
      if (!q.filter_shard_id.empty() || q.filter_timestamp) {
        if (q.filter != ShardFilterType::kNone) {
          return InvalidArg("ShardId and Timestamp are only valid with ShardFilter types "
                            "AFTER_SHARD_ID, AT_TIMESTAMP and FROM_TIMESTAMP.");
        }
      }
      break;
  }

  TARN_ASSIGN_OR_RETURN(StreamPtr stream, Find(q.stream_name));
  std::lock_guard<std::mutex> lock(stream->mu);
  if (q.stream_creation_timestamp &&
      std::llabs(*q.stream_creation_timestamp - stream->row.created_ms) >= 1000) {
    return Missing("Stream " + q.stream_name + " under account " + options_.account_id +
                   " with the given creation timestamp not found.");
  }
  auto open_at = [](const Shard& s, UnixMillis t) {
    return s.created_ms <= t && (!s.closed || s.closed_ms > t);
  };
  std::vector<const Shard*> chosen;
  for (const auto& [index, shard] : stream->shards) {
    const Shard& s = *shard;
    bool take = true;
    switch (q.filter) {
      case ShardFilterType::kNone:
      case ShardFilterType::kFromTrimHorizon:
        break;
      case ShardFilterType::kAfterShardId:
        take = s.id > q.filter_shard_id;
        break;
      case ShardFilterType::kAtTrimHorizon: {
        // The shards a consumer starts from: those whose parents are gone
        // (expired) or never existed.
        bool parent_kept = (s.parent && stream->shards.count(*s.parent)) ||
                           (s.adjacent_parent && stream->shards.count(*s.adjacent_parent));
        take = !parent_kept;
        break;
      }
      case ShardFilterType::kAtLatest:
        take = !s.closed;
        break;
      case ShardFilterType::kAtTimestamp: {
        UnixMillis t = *q.filter_timestamp;
        if (t < stream->row.created_ms) t = stream->row.created_ms;
        take = open_at(s, t);
        break;
      }
      case ShardFilterType::kFromTimestamp:
        take = !s.closed || s.closed_ms >= *q.filter_timestamp;
        break;
    }
    if (take) chosen.push_back(&s);
  }
  ListShardsResult out;
  for (const Shard* s : chosen) {
    if (!q.exclusive_start_shard_id.empty() && s->id <= q.exclusive_start_shard_id) continue;
    if (static_cast<int>(out.shards.size()) >= q.max_results) {
      nlohmann::json doc = {{"stream", stream->name},
                            {"after", out.shards.back().shard_id},
                            {"filter", static_cast<int>(q.filter)},
                            {"created", stream->row.created_ms},
                            {"x", now + options_.next_token_ttl_ms}};
      if (!q.filter_shard_id.empty()) doc["fshard"] = q.filter_shard_id;
      if (q.filter_timestamp) doc["fts"] = *q.filter_timestamp;
      out.next_token = MakeToken(std::move(doc));
      break;
    }
    out.shards.push_back(DescribeShard(*stream, *s));
  }
  return out;
}

Status KinesisService::UpdateStreamMode(const std::string& name, StreamMode mode) {
  std::lock_guard<std::mutex> admin(admin_mu_);
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, FindForAdmin(name, false));
  StreamRow row;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    row = stream->row;
  }
  if (mode == StreamMode::kOnDemand && row.mode != StreamMode::kOnDemand) {
    int on_demand = 0;
    for (const StreamPtr& s : AllStreams()) {
      std::lock_guard<std::mutex> lock(s->mu);
      if (!s->purged && s->row.mode == StreamMode::kOnDemand) ++on_demand;
    }
    if (on_demand >= options_.on_demand_stream_limit) {
      return Limit("This request would exceed the limit of " +
                   std::to_string(options_.on_demand_stream_limit) +
                   " ON_DEMAND streams for the account " + options_.account_id + ".");
    }
  }
  UnixMillis now = options_.clock->Now();
  row.mode = mode;
  row.status = options_.status_delay_ms > 0 ? StreamStatus::kUpdating : StreamStatus::kActive;
  row.status_until_ms = now + options_.status_delay_ms;
  return SaveRow(*stream, row);
}

namespace {
Status CheckRetentionRange(int hours) {
  if (hours < kMinRetentionHours) {
    return InvalidArg("Minimum allowed retention period is 24 hours. Requested retention period (" +
                      std::to_string(hours) + " hours) is too short.");
  }
  if (hours > kMaxRetentionHours) {
    return InvalidArg(
        "Maximum allowed retention period is 8760 hours. Requested retention period (" +
        std::to_string(hours) + " hours) is too long.");
  }
  return Status::OK();
}
}  // namespace

Status KinesisService::IncreaseRetention(const std::string& name, int hours) {
  TARN_RETURN_IF_ERROR(CheckRetentionRange(hours));
  std::lock_guard<std::mutex> admin(admin_mu_);
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, FindForAdmin(name, false));
  StreamRow row;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    row = stream->row;
  }
  if (hours < row.retention_hours) {
    return InvalidArg("Requested retention period (" + std::to_string(hours) +
                      " hours) for stream " + name +
                      " can not be shorter than existing retention period (" +
                      std::to_string(row.retention_hours) +
                      " hours). Use DecreaseStreamRetentionPeriod API.");
  }
  row.retention_hours = hours;
  return SaveRow(*stream, row);
}

Status KinesisService::DecreaseRetention(const std::string& name, int hours) {
  TARN_RETURN_IF_ERROR(CheckRetentionRange(hours));
  std::lock_guard<std::mutex> admin(admin_mu_);
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, FindForAdmin(name, false));
  StreamRow row;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    row = stream->row;
  }
  if (hours > row.retention_hours) {
    return InvalidArg("Requested retention period (" + std::to_string(hours) +
                      " hours) for stream " + name +
                      " can not be longer than existing retention period (" +
                      std::to_string(row.retention_hours) +
                      " hours). Use IncreaseStreamRetentionPeriod API.");
  }
  row.retention_hours = hours;
  return SaveRow(*stream, row);
}

Status KinesisService::StartEncryption(const std::string& name, const std::string& type,
                                       const std::string& key) {
  return SetEncryption(name, type, key, true);
}

Status KinesisService::StopEncryption(const std::string& name, const std::string& type,
                                      const std::string& key) {
  return SetEncryption(name, type, key, false);
}

Status KinesisService::SetEncryption(const std::string& name, const std::string& type,
                                     const std::string& key, bool on) {
  if (type != "KMS") {
    return InvalidArg(std::string("Only KMS is a valid EncryptionType for ") +
                      (on ? "StartStreamEncryption." : "StopStreamEncryption."));
  }
  if (key.empty()) return InvalidArg("KeyId must be provided.");
  std::lock_guard<std::mutex> admin(admin_mu_);
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, FindForAdmin(name, false));
  StreamRow row;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    row = stream->row;
  }
  UnixMillis now = options_.clock->Now();
  row.encryption_type = on ? "KMS" : "NONE";
  row.key_id = on ? key : "";
  row.status = options_.status_delay_ms > 0 ? StreamStatus::kUpdating : StreamStatus::kActive;
  row.status_until_ms = now + options_.status_delay_ms;
  return SaveRow(*stream, row);
}

Result<MonitoringResult> KinesisService::SetEnhancedMonitoring(
    const std::string& name, const std::vector<std::string>& metrics, bool enable) {
  std::lock_guard<std::mutex> admin(admin_mu_);
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, FindForAdmin(name, false));
  StreamRow row;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    row = stream->row;
  }
  std::set<std::string> requested;
  for (const std::string& m : metrics) {
    if (m == "ALL") {
      requested.insert(kAllMetrics.begin(), kAllMetrics.end());
    } else {
      requested.insert(m);
    }
  }
  MonitoringResult out;
  out.stream_name = name;
  out.stream_arn = stream->arn;
  out.current = row.shard_level_metrics;
  std::vector<std::string> desired;
  for (const std::string& m : kAllMetrics) {  // AWS's order
    bool had = std::find(row.shard_level_metrics.begin(), row.shard_level_metrics.end(), m) !=
               row.shard_level_metrics.end();
    bool want = enable ? (had || requested.count(m)) : (had && !requested.count(m));
    if (want) desired.push_back(m);
  }
  row.shard_level_metrics = desired;
  TARN_RETURN_IF_ERROR(SaveRow(*stream, row));
  out.desired = std::move(desired);
  return out;
}

Result<Limits> KinesisService::DescribeLimits() {
  Limits l;
  l.shard_limit = options_.shard_limit;
  l.on_demand_stream_count_limit = options_.on_demand_stream_limit;
  UnixMillis now = options_.clock->Now();
  for (const StreamPtr& s : AllStreams()) {
    std::lock_guard<std::mutex> lock(s->mu);
    if (s->purged || !EffectiveStatus(s->row, now)) continue;
    l.open_shard_count += static_cast<int>(s->routing->shards.size());
    if (s->row.mode == StreamMode::kOnDemand) ++l.on_demand_stream_count;
  }
  return l;
}

// --- Resharding ---------------------------------------------------------------

Status KinesisService::ApplyPlan(const StreamPtr& stream, const ReshardPlan& plan) {
  UnixMillis now = options_.clock->Now();
  std::set<uint64_t> created_ids;
  for (const PlannedShard& p : plan.created) created_ids.insert(p.index);
  std::set<uint64_t> closed_ids(plan.closed.begin(), plan.closed.end());

  // 1. Logs for the shards that stay open (intermediates get none).
  std::vector<ShardPtr> created;
  std::vector<ShardRow> created_rows;
  auto undo_logs = [&] {
    for (const ShardPtr& s : created) {
      if (s->log) (void)s->log->Destroy();
    }
  };
  for (const PlannedShard& p : plan.created) {
    ShardRow row;
    row.index = p.index;
    row.parent = p.parent;
    row.adjacent_parent = p.adjacent_parent;
    row.range = p.range;
    row.created_ms = now;
    bool intermediate = closed_ids.count(p.index) > 0;
    if (intermediate) {
      row.closed_ms = now;
      row.end_offset = 0;
    }
    auto shard = OpenShard(*stream, row, !intermediate);
    if (!shard.ok()) {
      undo_logs();
      return shard.status();
    }
    created.push_back(*shard);
    created_rows.push_back(row);
  }

  // 2. Close the existing parents: no append is in flight once their gates
  // are held, so their end offsets are final.
  std::vector<ShardPtr> parents;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    for (uint64_t index : plan.closed) {
      if (created_ids.count(index)) continue;
      auto it = stream->shards.find(index);
      if (it != stream->shards.end()) parents.push_back(it->second);
    }
  }
  std::vector<std::unique_lock<std::shared_mutex>> gates;
  std::vector<ShardRow> closed_rows;
  for (const ShardPtr& p : parents) {
    gates.emplace_back(p->gate);
    ShardRow row = p->Row();
    row.closed_ms = now;
    row.end_offset = p->log ? p->log->end_offset() : 0;
    closed_rows.push_back(row);
  }

  StreamRow row;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    row = stream->row;
  }
  row.next_shard_index = plan.next_index;
  row.status = options_.status_delay_ms > 0 ? StreamStatus::kUpdating : StreamStatus::kActive;
  row.status_until_ms = now + options_.status_delay_ms;
  Status st = store_.ApplyReshard(row, closed_rows, created_rows);
  if (!st.ok()) {
    gates.clear();
    undo_logs();
    return st;
  }

  std::lock_guard<std::mutex> lock(stream->mu);
  for (size_t i = 0; i < parents.size(); ++i) {
    parents[i]->closed = true;
    parents[i]->closed_ms = now;
    parents[i]->end_offset = closed_rows[i].end_offset;
  }
  for (const ShardPtr& s : created) stream->shards[s->index] = s;
  stream->row = row;
  stream->Reroute();
  return Status::OK();
}

Status KinesisService::SplitShard(const std::string& name, const std::string& shard_id,
                                  const std::string& new_starting_hash_key) {
  std::lock_guard<std::mutex> admin(admin_mu_);
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, FindForAdmin(name, false));
  auto key = HashKey::Parse(new_starting_hash_key);
  if (!key) {
    return InvalidArg("NewStartingHashKey " + new_starting_hash_key +
                      " is not a valid hash key: it must be a decimal integer in [0, 2^128-1].");
  }
  ShardSpan span;
  uint64_t next = 0;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    if (stream->row.mode == StreamMode::kOnDemand) {
      return Validation("SplitShard is not supported for stream " + name +
                        " because it is in ON_DEMAND mode.");
    }
    auto index = ParseShardId(shard_id);
    auto it = index ? stream->shards.find(*index) : stream->shards.end();
    if (it == stream->shards.end()) {
      return Missing("Could not find shard " + shard_id + " in stream " + name +
                     " under account " + options_.account_id + ".");
    }
    const Shard& s = *it->second;
    if (s.closed) {
      return InvalidArg("Shard " + s.id + " in stream " + name + " under account " +
                        options_.account_id +
                        " has already been merged or split, and thus is not eligible for "
                        "merging or splitting.");
    }
    bool above_start = s.range.start.value() + 1 < key->value();
    bool below_end = *key < s.range.end;
    if (!above_start || !below_end) {
      return InvalidArg("NewStartingHashKey " + new_starting_hash_key +
                        " used in SplitShard() on shard " + s.id + " in stream " + name +
                        " under account " + options_.account_id +
                        " is not both greater than one plus the shard's StartingHashKey " +
                        s.range.start.ToString() + " and less than the shard's EndingHashKey " +
                        s.range.end.ToString() + ".");
    }
    span = {s.index, s.range};
    next = stream->row.next_shard_index;
  }
  int open = OpenShardCountLocked();
  if (open + 1 > options_.shard_limit) {
    return Limit("This request would exceed the shard limit for the account " +
                 options_.account_id + " in " + options_.region +
                 ". Current shard count for the account: " + std::to_string(open) +
                 ". Limit: " + std::to_string(options_.shard_limit) +
                 ". Number of additional shards that would have resulted from this request: 1.");
  }
  return ApplyPlan(stream, PlanSplit(span, *key, next));
}

Status KinesisService::MergeShards(const std::string& name, const std::string& shard_id,
                                   const std::string& adjacent_shard_id) {
  std::lock_guard<std::mutex> admin(admin_mu_);
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, FindForAdmin(name, false));
  ShardSpan spans[2];
  uint64_t next = 0;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    if (stream->row.mode == StreamMode::kOnDemand) {
      return Validation("MergeShards is not supported for stream " + name +
                        " because it is in ON_DEMAND mode.");
    }
    const std::string* ids[2] = {&shard_id, &adjacent_shard_id};
    for (int i = 0; i < 2; ++i) {
      auto index = ParseShardId(*ids[i]);
      auto it = index ? stream->shards.find(*index) : stream->shards.end();
      if (it == stream->shards.end()) {
        return Missing("Could not find shard " + *ids[i] + " in stream " + name +
                       " under account " + options_.account_id + ".");
      }
      if (it->second->closed) {
        return InvalidArg("Shard " + it->second->id + " in stream " + name + " under account " +
                          options_.account_id +
                          " has already been merged or split, and thus is not eligible for "
                          "merging or splitting.");
      }
      spans[i] = {it->second->index, it->second->range};
    }
    if (spans[0].index == spans[1].index || !Adjacent(spans[0].range, spans[1].range)) {
      return InvalidArg("Shards " + shard_id + " and " + adjacent_shard_id + " in stream " + name +
                        " under account " + options_.account_id +
                        " are not an adjacent pair of shards eligible for merging");
    }
    next = stream->row.next_shard_index;
  }
  return ApplyPlan(stream, PlanMerge(spans[0], spans[1], next));
}

Result<UpdateShardCountResult> KinesisService::UpdateShardCount(const std::string& name,
                                                                int target) {
  std::lock_guard<std::mutex> admin(admin_mu_);
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, FindForAdmin(name, false));
  std::vector<ShardSpan> open;
  uint64_t next = 0;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    if (stream->row.mode == StreamMode::kOnDemand) {
      return Validation("UpdateShardCount is not supported for stream " + name +
                        " because it is in ON_DEMAND mode.");
    }
    for (const auto& s : stream->routing->shards) open.push_back({s->index, s->range});
    next = stream->row.next_shard_index;
  }
  const int current = static_cast<int>(open.size());
  if (target > 2 * current) {
    return Limit("UpdateShardCount cannot scale up over double the current open shard count (" +
                 std::to_string(current) + ") for stream " + name + ".");
  }
  if (2 * target < current) {
    return Limit("UpdateShardCount cannot scale down below half the current open shard count (" +
                 std::to_string(current) + ") for stream " + name + ".");
  }
  if (target > kMaxShardsPerUpdate) {
    return Limit("UpdateShardCount cannot scale a stream to more than 10000 shards.");
  }
  int total = OpenShardCountLocked();
  if (total - current + target > options_.shard_limit) {
    return Limit("This request would exceed the shard limit for the account " +
                 options_.account_id + " in " + options_.region +
                 ". Current shard count for the account: " + std::to_string(total) +
                 ". Limit: " + std::to_string(options_.shard_limit) + ".");
  }
  ReshardPlan plan = PlanUniformScaling(open, static_cast<uint32_t>(target), next);
  if (!plan.created.empty()) TARN_RETURN_IF_ERROR(ApplyPlan(stream, plan));
  UpdateShardCountResult out;
  out.stream_name = name;
  out.stream_arn = stream->arn;
  out.current = current;
  out.target = target;
  return out;
}

// --- Records ------------------------------------------------------------------

Result<KinesisService::PutRoute> KinesisService::RoutePut(const std::string& name,
                                                          std::span<const PutEntry> entries,
                                                          std::span<const uint32_t> subset) {
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, Find(name));
  std::shared_ptr<const Routing> routing;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    auto status = EffectiveStatus(stream->row, options_.clock->Now());
    if (status != StreamStatus::kActive && status != StreamStatus::kUpdating) {
      return Missing("Stream " + name + " under account " + options_.account_id + " not found.");
    }
    routing = stream->routing;
  }
  PutRoute route;
  route.stream = stream;
  // Group index per routed shard; streams have few open shards, so a
  // linear scan of the groups beats a map.
  auto place = [&](uint32_t i) {
    const PutEntry& e = entries[i];
    HashKey key = e.explicit_hash_key ? *e.explicit_hash_key
                                      : HashKey::FromPartitionKey(e.partition_key);
    const ShardPtr& shard = routing->Route(key);
    for (PutRoute::Group& g : route.groups) {
      if (g.shard == shard) {
        g.entries.push_back(i);
        return;
      }
    }
    route.groups.push_back(PutRoute::Group{shard, {i}});
  };
  if (subset.empty()) {
    for (uint32_t i = 0; i < entries.size(); ++i) place(i);
  } else {
    for (uint32_t i : subset) place(i);
  }
  return route;
}

Status KinesisService::AppendGroup(const PutRoute& route, const PutRoute::Group& group,
                                   std::span<const PutEntry> entries,
                                   std::span<PutOutcome> outcomes) {
  Shard& shard = *group.shard;
  std::vector<storage::AppendRecord> records;
  records.reserve(group.entries.size());
  for (uint32_t i : group.entries) {
    const PutEntry& e = entries[i];
    storage::AppendRecord r;
    r.partition_key = e.partition_key;
    r.data = e.data;
    records.push_back(r);
  }
  std::shared_lock<std::shared_mutex> gate(shard.gate);
  if (shard.destroyed) {
    return Missing("Stream " + route.stream->name + " under account " + options_.account_id +
                   " not found.");
  }
  if (shard.closed) return Status(Code::kAborted, "shard closed after routing");
  auto appended = shard.log->Append(records);
  if (!appended.ok()) return appended.status();
  for (size_t k = 0; k < group.entries.size(); ++k) {
    PutOutcome& o = outcomes[group.entries[k]];
    o.shard_id = shard.id;
    o.sequence_number =
        SequenceNumber{route.stream->number, shard.index, appended->first_offset + k}.ToString();
  }
  return Status::OK();
}

void KinesisService::AppendGroupAsync(const PutRoute& route, const PutRoute::Group& group,
                                      std::span<const PutEntry> entries,
                                      std::span<PutOutcome> outcomes,
                                      std::function<void(Status)> done, const Post& post) {
  Shard::Pending p;
  p.stream = route.stream;
  p.indices = &group.entries;
  p.entries = entries;
  p.outcomes = outcomes;
  p.done = std::move(done);
  for (uint32_t i : group.entries) {
    p.bytes += entries[i].data.size() + entries[i].partition_key.size() + kFrameOverheadBytes;
  }
  bool start;
  {
    std::lock_guard<std::mutex> lock(group.shard->queue_mu);
    group.shard->queue.push_back(std::move(p));
    start = !group.shard->draining;
    group.shard->draining = true;
  }
  if (start) post([this, shard = group.shard] { DrainAppends(shard); });
}

void KinesisService::DrainAppends(const ShardPtr& shard) {
  std::vector<Shard::Pending> batch;
  std::vector<storage::AppendRecord> records;
  while (true) {
    batch.clear();
    {
      std::lock_guard<std::mutex> lock(shard->queue_mu);
      size_t bytes = 0;
      while (!shard->queue.empty() &&
             (batch.empty() || bytes + shard->queue.front().bytes <= kMaxCombinedAppendBytes)) {
        bytes += shard->queue.front().bytes;
        batch.push_back(std::move(shard->queue.front()));
        shard->queue.pop_front();
      }
      if (batch.empty()) {
        shard->draining = false;
        return;
      }
    }
    Status status;
    {
      std::shared_lock<std::shared_mutex> gate(shard->gate);
      if (shard->destroyed) {
        status = Missing("Stream " + batch[0].stream->name + " under account " +
                         options_.account_id + " not found.");
      } else if (shard->closed) {
        status = Status(Code::kAborted, "shard closed after routing");
      } else {
        records.clear();
        for (const Shard::Pending& p : batch) {
          for (uint32_t i : *p.indices) {
            records.push_back(storage::AppendRecord{p.entries[i].partition_key, p.entries[i].data, {}});
          }
        }
        auto appended = shard->log->Append(records);
        if (appended.ok()) {
          uint64_t offset = appended->first_offset;
          for (const Shard::Pending& p : batch) {
            for (uint32_t i : *p.indices) {
              PutOutcome& o = p.outcomes[i];
              o.shard_id = shard->id;
              o.sequence_number = SequenceNumber{p.stream->number, shard->index, offset++}.ToString();
            }
          }
        } else {
          status = appended.status();
        }
      }
    }
    for (Shard::Pending& p : batch) p.done(status);
  }
}

std::string KinesisService::EncryptionTypeOf(const PutRoute& route) const {
  std::lock_guard<std::mutex> lock(route.stream->mu);
  return route.stream->row.encryption_type;
}

Result<PutRecordsResult> KinesisService::PutRecords(const std::string& name,
                                                    std::span<const PutEntry> entries) {
  PutRecordsResult out;
  out.records.resize(entries.size());
  std::vector<uint32_t> pending;
  for (int attempt = 0;; ++attempt) {
    TARN_ASSIGN_OR_RETURN(PutRoute route, RoutePut(name, entries, pending));
    out.encryption_type = EncryptionTypeOf(route);
    pending.clear();
    for (const PutRoute::Group& g : route.groups) {
      Status st = AppendGroup(route, g, entries, out.records);
      if (st.ok()) continue;
      if (st.code() == Code::kAborted && attempt < 8) {
        pending.insert(pending.end(), g.entries.begin(), g.entries.end());
        continue;
      }
      if (st.code() == Code::kNotFound) return st;
      for (uint32_t i : g.entries) {
        out.records[i].error_code = "InternalFailure";
        out.records[i].error_message = "Internal service failure.";
      }
      TARN_LOG(Error, "kinesis: append failed").Kv("stream", name).Kv("error", st.ToString());
    }
    if (pending.empty()) break;
  }
  for (const PutOutcome& o : out.records) {
    if (!o.error_code.empty()) ++out.failed;
  }
  return out;
}

Result<std::string> KinesisService::GetShardIterator(const std::string& name,
                                                     const std::string& shard_id,
                                                     IteratorType type,
                                                     const std::string& sequence_number,
                                                     std::optional<UnixMillis> timestamp) {
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, Find(name));
  ShardPtr shard;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    auto status = EffectiveStatus(stream->row, options_.clock->Now());
    if (status != StreamStatus::kActive && status != StreamStatus::kUpdating) {
      return Missing("Stream " + name + " under account " + options_.account_id + " not found.");
    }
    auto index = ParseShardId(shard_id);
    auto it = index ? stream->shards.find(*index) : stream->shards.end();
    if (it != stream->shards.end()) shard = it->second;
  }
  if (!shard) {
    return Missing("Shard " + shard_id + " in stream " + name + " under account " +
                   options_.account_id + " does not exist");
  }
  std::optional<SequenceNumber> seq;
  if (type == IteratorType::kAtSequenceNumber || type == IteratorType::kAfterSequenceNumber) {
    if (sequence_number.empty()) {
      return InvalidArg("StartingSequenceNumber must be provided for ShardIteratorType "
                        "AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER.");
    }
    seq = SequenceNumber::Parse(sequence_number);
    if (!seq || seq->stream_number != stream->number) {
      return InvalidArg("StartingSequenceNumber " + sequence_number +
                        " used in GetShardIterator on shard " + shard->id + " in stream " + name +
                        " under account " + options_.account_id +
                        " is invalid because it did not come from this stream.");
    }
    if (seq->shard_index != shard->index) {
      return InvalidArg("Invalid StartingSequenceNumber. It encodes " +
                        ShardIdFor(seq->shard_index) +
                        ", while it was used in a call to a shard with " + shard->id);
    }
  }
  if (type == IteratorType::kAtTimestamp && !timestamp) {
    return InvalidArg("Timestamp must be provided for ShardIteratorType AT_TIMESTAMP.");
  }

  std::shared_lock<std::shared_mutex> gate(shard->gate);
  if (shard->destroyed) {
    return Missing("Shard " + shard_id + " in stream " + name + " under account " +
                   options_.account_id + " does not exist");
  }
  const uint64_t end = shard->EndOffset();
  uint64_t offset = 0;
  switch (type) {
    case IteratorType::kTrimHorizon:
      offset = shard->FirstOffset();
      break;
    case IteratorType::kLatest:
      offset = end;
      break;
    case IteratorType::kAtTimestamp:
      if (shard->log) {
        TARN_ASSIGN_OR_RETURN(offset, shard->log->OffsetAtTime(*timestamp));
      }
      offset = std::min(offset, end);
      break;
    case IteratorType::kAtSequenceNumber:
    case IteratorType::kAfterSequenceNumber: {
      offset = seq->offset + (type == IteratorType::kAfterSequenceNumber ? 1 : 0);
      if (offset > end) {
        if (!shard->closed) {
          return InvalidArg("StartingSequenceNumber " + sequence_number +
                            " used in GetShardIterator on shard " + shard->id + " in stream " +
                            name + " under account " + options_.account_id +
                            " is invalid because it has not been assigned yet.");
        }
        offset = end;
      }
      break;
    }
  }
  return iterators_->Encode(
      IteratorPosition{stream->number, shard->index, offset, options_.clock->Now()});
}

Result<GetRecordsResult> KinesisService::GetRecords(std::string_view iterator, int limit) {
  UnixMillis now = options_.clock->Now();
  TARN_ASSIGN_OR_RETURN(IteratorPosition pos, iterators_->Decode(iterator, now));
  StreamPtr stream = FindByNumber(pos.stream_number);
  if (!stream) {
    return Missing("Shard " + ShardIdFor(pos.shard_index) +
                   " in a deleted stream under account " + options_.account_id +
                   " does not exist");
  }
  ShardPtr shard;
  std::string encryption;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    auto it = stream->shards.find(pos.shard_index);
    if (it != stream->shards.end()) shard = it->second;
    encryption = stream->row.encryption_type;
  }
  if (!shard) {
    return Missing("Shard " + ShardIdFor(pos.shard_index) + " in stream " + stream->name +
                   " under account " + options_.account_id + " does not exist");
  }

  GetRecordsResult out;
  out.encryption_type = encryption;
  std::shared_lock<std::shared_mutex> gate(shard->gate);
  if (shard->destroyed) {
    return Missing("Shard " + shard->id + " in stream " + stream->name + " under account " +
                   options_.account_id + " does not exist");
  }
  const uint64_t end = shard->EndOffset();
  // Records trimmed by retention are skipped, as AWS does for an iterator
  // older than the trim horizon.
  uint64_t next = std::max(pos.offset, shard->FirstOffset());
  if (next < end && shard->log) {
    size_t max_records = static_cast<size_t>(std::min(limit, kMaxGetRecordsLimit));
    max_records = std::min<uint64_t>(max_records, end - next);
    auto read = shard->log->Read(next, max_records, kMaxGetRecordsBytes);
    if (!read.ok() && read.status().aws_code() == "TrimmedData") {
      next = shard->FirstOffset();  // retention ran between the two calls
      read = shard->log->Read(next, max_records, kMaxGetRecordsBytes);
    }
    if (!read.ok()) return read.status();
    out.records.reserve(read->size());
    for (storage::LogRecord& r : *read) {
      Record rec;
      rec.sequence_number = SequenceNumber{stream->number, shard->index, r.offset}.ToString();
      rec.arrival_ms = r.arrival_ms;
      rec.partition_key = std::move(r.partition_key);
      rec.data = std::move(r.data);
      out.records.push_back(std::move(rec));
      next = r.offset + 1;
    }
  }
  const uint64_t tip = shard->closed ? end : (shard->log ? shard->log->end_offset() : 0);
  if (next < tip && !out.records.empty()) {
    out.millis_behind_latest = std::max<int64_t>(0, now - out.records.back().arrival_ms);
  }
  if (shard->closed && next >= end) {
    std::lock_guard<std::mutex> lock(stream->mu);
    for (const auto& [index, child] : stream->shards) {
      bool is_child = (child->parent && *child->parent == shard->index) ||
                      (child->adjacent_parent && *child->adjacent_parent == shard->index);
      if (!is_child) continue;
      ChildShard c;
      c.shard_id = child->id;
      if (child->parent) c.parent_shards.push_back(ShardIdFor(*child->parent));
      if (child->adjacent_parent) c.parent_shards.push_back(ShardIdFor(*child->adjacent_parent));
      c.range = child->range;
      out.child_shards.push_back(std::move(c));
    }
  } else {
    out.next_iterator =
        iterators_->Encode(IteratorPosition{stream->number, shard->index, next, now});
  }
  return out;
}

// --- Tags ---------------------------------------------------------------------

Status KinesisService::AddTags(const std::string& name, const Tags& tags) {
  TARN_RETURN_IF_ERROR(CheckTags(tags));
  std::lock_guard<std::mutex> admin(admin_mu_);
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, FindForAdmin(name, true));
  StreamRow row;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    row = stream->row;
  }
  for (const auto& [k, v] : tags) row.tags[k] = v;
  if (row.tags.size() > kMaxTagsPerResource) {
    return InvalidArg("Failed to add tags to stream " + name + " under account " +
                      options_.account_id +
                      " because a given stream cannot have more than 50 tags associated with "
                      "it.");
  }
  return SaveRow(*stream, row);
}

Status KinesisService::RemoveTags(const std::string& name, const std::vector<std::string>& keys) {
  std::lock_guard<std::mutex> admin(admin_mu_);
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, FindForAdmin(name, true));
  StreamRow row;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    row = stream->row;
  }
  for (const std::string& k : keys) row.tags.erase(k);
  return SaveRow(*stream, row);
}

Result<TagsPage> KinesisService::ListTags(const std::string& name,
                                          const std::string& exclusive_start_key, int limit) {
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, Find(name));
  TagsPage page;
  std::lock_guard<std::mutex> lock(stream->mu);
  auto it = exclusive_start_key.empty() ? stream->row.tags.begin()
                                        : stream->row.tags.upper_bound(exclusive_start_key);
  for (; it != stream->row.tags.end(); ++it) {
    if (static_cast<int>(page.tags.size()) >= limit) {
      page.has_more = true;
      break;
    }
    page.tags.emplace_back(it->first, it->second);
  }
  return page;
}

namespace {
// A consumer ARN: <stream arn>/consumer/<name>:<creation epoch seconds>.
struct ConsumerArnParts {
  std::string stream_arn;
  std::string name;
  std::string created;
};
std::optional<ConsumerArnParts> ParseConsumerArn(const std::string& arn) {
  size_t marker = arn.find("/consumer/");
  if (marker == std::string::npos) return std::nullopt;
  size_t colon = arn.rfind(':');
  if (colon == std::string::npos || colon < marker) return std::nullopt;
  ConsumerArnParts p;
  p.stream_arn = arn.substr(0, marker);
  p.name = arn.substr(marker + 10, colon - marker - 10);
  p.created = arn.substr(colon + 1);
  if (p.name.empty() || p.created.empty()) return std::nullopt;
  return p;
}
}  // namespace

std::string KinesisService::ConsumerArn(const std::string& stream_name,
                                        const ConsumerRow& c) const {
  return StreamArn(stream_name) + "/consumer/" + c.name + ":" + std::to_string(c.created_ms / 1000);
}

Result<std::pair<KinesisService::StreamPtr, std::string>> KinesisService::ResolveConsumer(
    const std::string& stream_arn, const std::string& name, const std::string& consumer_arn) {
  std::string sarn = stream_arn;
  std::string cname = name;
  std::string created;
  if (!consumer_arn.empty()) {
    auto parts = ParseConsumerArn(consumer_arn);
    if (!parts) return InvalidArg("ConsumerARN " + consumer_arn + " is not a valid consumer ARN.");
    if ((!stream_arn.empty() && stream_arn != parts->stream_arn) ||
        (!name.empty() && name != parts->name)) {
      return InvalidArg("ConsumerARN " + consumer_arn +
                        " does not match the given StreamARN or ConsumerName.");
    }
    sarn = parts->stream_arn;
    cname = parts->name;
    created = parts->created;
  } else if (stream_arn.empty() || name.empty()) {
    return InvalidArg("Either ConsumerARN or both StreamARN and ConsumerName must be provided.");
  }
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, StreamFromArn(sarn));
  std::lock_guard<std::mutex> lock(stream->mu);
  auto it = stream->consumers.find(cname);
  bool found = it != stream->consumers.end() &&
               EffectiveConsumerStatus(it->second, options_.clock->Now()).has_value() &&
               (created.empty() || created == std::to_string(it->second.created_ms / 1000));
  if (!found) {
    return Missing("Consumer " + cname + " under stream " + stream->name + " under account " +
                   options_.account_id + " not found.");
  }
  return std::make_pair(stream, cname);
}

Status KinesisService::TagResource(const std::string& arn, const Tags& tags) {
  TARN_RETURN_IF_ERROR(CheckTags(tags));
  if (arn.find("/consumer/") == std::string::npos) {
    TARN_ASSIGN_OR_RETURN(std::string name, ResolveStreamName("", arn));
    return AddTags(name, tags);
  }
  std::lock_guard<std::mutex> admin(admin_mu_);
  TARN_ASSIGN_OR_RETURN(auto found, ResolveConsumer("", "", arn));
  auto& [stream, cname] = found;
  ConsumerRow c;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    c = stream->consumers[cname];
  }
  for (const auto& [k, v] : tags) c.tags[k] = v;
  if (c.tags.size() > kMaxTagsPerResource) {
    return InvalidArg("A resource cannot have more than 50 tags associated with it.");
  }
  TARN_RETURN_IF_ERROR(store_.PutConsumer(stream->number, c, false));
  std::lock_guard<std::mutex> lock(stream->mu);
  stream->consumers[cname] = c;
  return Status::OK();
}

Status KinesisService::UntagResource(const std::string& arn, const std::vector<std::string>& keys) {
  if (arn.find("/consumer/") == std::string::npos) {
    TARN_ASSIGN_OR_RETURN(std::string name, ResolveStreamName("", arn));
    return RemoveTags(name, keys);
  }
  std::lock_guard<std::mutex> admin(admin_mu_);
  TARN_ASSIGN_OR_RETURN(auto found, ResolveConsumer("", "", arn));
  auto& [stream, cname] = found;
  ConsumerRow c;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    c = stream->consumers[cname];
  }
  for (const std::string& k : keys) c.tags.erase(k);
  TARN_RETURN_IF_ERROR(store_.PutConsumer(stream->number, c, false));
  std::lock_guard<std::mutex> lock(stream->mu);
  stream->consumers[cname] = c;
  return Status::OK();
}

Result<Tags> KinesisService::ListTagsForResource(const std::string& arn) {
  if (arn.find("/consumer/") == std::string::npos) {
    TARN_ASSIGN_OR_RETURN(std::string name, ResolveStreamName("", arn));
    TARN_ASSIGN_OR_RETURN(StreamPtr stream, Find(name));
    std::lock_guard<std::mutex> lock(stream->mu);
    return stream->row.tags;
  }
  TARN_ASSIGN_OR_RETURN(auto found, ResolveConsumer("", "", arn));
  auto& [stream, cname] = found;
  std::lock_guard<std::mutex> lock(stream->mu);
  return stream->consumers[cname].tags;
}

// --- Consumers ----------------------------------------------------------------

Result<ConsumerInfo> KinesisService::RegisterConsumer(const std::string& stream_arn,
                                                      const std::string& name) {
  std::lock_guard<std::mutex> admin(admin_mu_);
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, StreamFromArn(stream_arn));
  UnixMillis now = options_.clock->Now();
  ConsumerRow c;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    auto status = EffectiveStatus(stream->row, now);
    if (status != StreamStatus::kActive && status != StreamStatus::kUpdating) {
      return InUse("Stream " + stream->name + " under account " + options_.account_id +
                   " not ACTIVE, instead in state " + std::string(StatusName(*status)));
    }
    int live = 0;
    for (const auto& [cname, existing] : stream->consumers) {
      if (!EffectiveConsumerStatus(existing, now)) continue;
      if (cname == name) {
        return InUse("Consumer " + name + " under stream " + stream->name + " under account " +
                     options_.account_id + " already exists.");
      }
      ++live;
    }
    if (live >= options_.max_consumers_per_stream) {
      return Limit("Stream " + stream->name + " under account " + options_.account_id +
                   " already has " + std::to_string(live) +
                   " registered consumers, the most a stream can have.");
    }
  }
  c.name = name;
  c.created_ms = now;
  c.status = options_.status_delay_ms > 0 ? ConsumerStatus::kCreating : ConsumerStatus::kActive;
  c.status_until_ms = now + options_.status_delay_ms;
  // An expired DELETING row of the same name may still be stored.
  TARN_RETURN_IF_ERROR(store_.PutConsumer(stream->number, c, false));
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    stream->consumers[name] = c;
  }
  ConsumerInfo info;
  info.name = name;
  info.arn = ConsumerArn(stream->name, c);
  info.status = c.status;
  info.created_ms = c.created_ms;
  info.stream_arn = stream->arn;
  return info;
}

Result<ConsumerInfo> KinesisService::DescribeConsumer(const std::string& stream_arn,
                                                      const std::string& name,
                                                      const std::string& consumer_arn) {
  TARN_ASSIGN_OR_RETURN(auto found, ResolveConsumer(stream_arn, name, consumer_arn));
  auto& [stream, cname] = found;
  std::lock_guard<std::mutex> lock(stream->mu);
  const ConsumerRow& c = stream->consumers[cname];
  ConsumerInfo info;
  info.name = c.name;
  info.arn = ConsumerArn(stream->name, c);
  info.status = EffectiveConsumerStatus(c, options_.clock->Now()).value_or(ConsumerStatus::kDeleting);
  info.created_ms = c.created_ms;
  info.stream_arn = stream->arn;
  return info;
}

Result<ListConsumersResult> KinesisService::ListConsumers(const std::string& stream_arn,
                                                          const std::string& next_token,
                                                          int max_results) {
  UnixMillis now = options_.clock->Now();
  std::string sarn = stream_arn;
  std::string after;
  if (!next_token.empty()) {
    TARN_ASSIGN_OR_RETURN(nlohmann::json doc, ReadToken(next_token, now, "NextToken"));
    auto a = TokenField<std::string>(doc, "after");
    auto s = TokenField<std::string>(doc, "stream");
    if (!a || !s) return InvalidArg("Invalid NextToken.");
    if (!stream_arn.empty() && stream_arn != *s) {
      return InvalidArg("The NextToken was issued for another stream.");
    }
    after = *a;
    sarn = *s;
  }
  TARN_ASSIGN_OR_RETURN(StreamPtr stream, StreamFromArn(sarn));
  ListConsumersResult out;
  std::lock_guard<std::mutex> lock(stream->mu);
  for (const auto& [cname, c] : stream->consumers) {
    if (!after.empty() && cname <= after) continue;
    auto status = EffectiveConsumerStatus(c, now);
    if (!status) continue;
    if (static_cast<int>(out.consumers.size()) >= max_results) {
      out.next_token = MakeToken(
          {{"after", out.consumers.back().name}, {"stream", sarn}, {"x", now + options_.next_token_ttl_ms}});
      break;
    }
    ConsumerInfo info;
    info.name = c.name;
    info.arn = ConsumerArn(stream->name, c);
    info.status = *status;
    info.created_ms = c.created_ms;
    info.stream_arn = stream->arn;
    out.consumers.push_back(std::move(info));
  }
  return out;
}

Status KinesisService::DeregisterConsumer(const std::string& stream_arn, const std::string& name,
                                          const std::string& consumer_arn) {
  std::lock_guard<std::mutex> admin(admin_mu_);
  TARN_ASSIGN_OR_RETURN(auto found, ResolveConsumer(stream_arn, name, consumer_arn));
  auto& [stream, cname] = found;
  UnixMillis now = options_.clock->Now();
  ConsumerRow c;
  {
    std::lock_guard<std::mutex> lock(stream->mu);
    c = stream->consumers[cname];
  }
  if (c.status == ConsumerStatus::kDeleting) return Status::OK();
  if (options_.status_delay_ms <= 0) {
    TARN_RETURN_IF_ERROR(store_.DeleteConsumer(stream->number, cname));
    std::lock_guard<std::mutex> lock(stream->mu);
    stream->consumers.erase(cname);
    return Status::OK();
  }
  c.status = ConsumerStatus::kDeleting;
  c.status_until_ms = now + options_.status_delay_ms;
  TARN_RETURN_IF_ERROR(store_.PutConsumer(stream->number, c, false));
  std::lock_guard<std::mutex> lock(stream->mu);
  stream->consumers[cname] = c;
  return Status::OK();
}

// --- Maintenance --------------------------------------------------------------

Status KinesisService::RunMaintenance() {
  Status first_error;
  auto note = [&](const Status& st) {
    if (!st.ok() && first_error.ok()) first_error = st;
  };
  for (const StreamPtr& stream : AllStreams()) {
    UnixMillis now = options_.clock->Now();
    bool gone = false;
    int retention_hours = 0;
    std::vector<ShardPtr> shards;
    std::vector<std::string> dead_consumers;
    {
      std::lock_guard<std::mutex> lock(stream->mu);
      if (stream->purged) continue;
      gone = !EffectiveStatus(stream->row, now).has_value();
      retention_hours = stream->row.retention_hours;
      for (const auto& [index, shard] : stream->shards) shards.push_back(shard);
      for (const auto& [cname, c] : stream->consumers) {
        if (!EffectiveConsumerStatus(c, now)) dead_consumers.push_back(cname);
      }
    }
    if (gone) {
      std::lock_guard<std::mutex> admin(admin_mu_);
      note(Purge(stream));
      continue;
    }
    const int64_t cutoff = now - static_cast<int64_t>(retention_hours) * kMsPerHour;
    std::vector<ShardPtr> expired;
    for (const ShardPtr& shard : shards) {
      std::shared_lock<std::shared_mutex> gate(shard->gate);
      if (shard->destroyed) continue;
      if (shard->closed && shard->closed_ms < cutoff) {
        expired.push_back(shard);  // every record is older than the retention
        continue;
      }
      if (shard->log) {
        auto deleted = shard->log->DeleteSegmentsBefore(cutoff);
        if (!deleted.ok()) note(deleted.status());
      }
    }
    if (!expired.empty() || !dead_consumers.empty()) {
      std::lock_guard<std::mutex> admin(admin_mu_);
      if (!expired.empty()) {
        std::vector<uint64_t> indices;
        for (const ShardPtr& s : expired) indices.push_back(s->index);
        Status st = store_.DeleteShards(stream->number, indices);
        note(st);
        if (st.ok()) {
          {
            std::lock_guard<std::mutex> lock(stream->mu);
            for (uint64_t i : indices) stream->shards.erase(i);
          }
          for (const ShardPtr& s : expired) {
            std::unique_lock<std::shared_mutex> gate(s->gate);
            s->destroyed = true;
            if (s->log) note(s->log->Destroy());
          }
        }
      }
      for (const std::string& cname : dead_consumers) {
        Status st = store_.DeleteConsumer(stream->number, cname);
        note(st);
        if (!st.ok()) continue;
        std::lock_guard<std::mutex> lock(stream->mu);
        auto it = stream->consumers.find(cname);
        if (it != stream->consumers.end() && !EffectiveConsumerStatus(it->second, now)) {
          stream->consumers.erase(it);
        }
      }
    }
  }
  return first_error;
}

}  // namespace tarn::kinesis
