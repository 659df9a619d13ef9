#include "services/kinesis/kinesis_api.h"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <limits>

#include "common/log.h"
#include "services/kinesis/put_records.h"
#include "services/kinesis/request_input.h"

namespace tarn::kinesis {

namespace asio = boost::asio;
using aws::Json;

namespace {

constexpr int kMaxRouteAttempts = 8;

// --- Rendering ----------------------------------------------------------------

Json HashRangeJson(const HashKeyRange& r) {
  return Json{{"StartingHashKey", r.start.ToString()}, {"EndingHashKey", r.end.ToString()}};
}

Json ShardJson(const ShardInfo& s) {
  Json j = Json::object();
  j["ShardId"] = s.shard_id;
  if (s.parent_shard_id) j["ParentShardId"] = *s.parent_shard_id;
  if (s.adjacent_parent_shard_id) j["AdjacentParentShardId"] = *s.adjacent_parent_shard_id;
  j["HashKeyRange"] = HashRangeJson(s.range);
  Json seq = Json{{"StartingSequenceNumber", s.starting_sequence_number}};
  if (s.ending_sequence_number) seq["EndingSequenceNumber"] = *s.ending_sequence_number;
  j["SequenceNumberRange"] = std::move(seq);
  return j;
}

Json ModeJson(StreamMode mode) { return Json{{"StreamMode", std::string(ModeName(mode))}}; }

void SummaryFields(Json& j, const StreamSummary& s) {
  j["StreamName"] = s.name;
  j["StreamARN"] = s.arn;
  j["StreamStatus"] = std::string(StatusName(s.status));
  j["StreamModeDetails"] = ModeJson(s.mode);
  j["RetentionPeriodHours"] = s.retention_hours;
  j["StreamCreationTimestamp"] = aws::MakeTimestamp(s.created_ms);
  j["EnhancedMonitoring"] = Json::array({Json{{"ShardLevelMetrics", s.shard_level_metrics}}});
  j["EncryptionType"] = s.encryption_type;
  if (!s.key_id.empty()) j["KeyId"] = s.key_id;
}

Json ConsumerJson(const ConsumerInfo& c, bool with_stream) {
  Json j = {{"ConsumerName", c.name},
            {"ConsumerARN", c.arn},
            {"ConsumerStatus", std::string(ConsumerStatusName(c.status))},
            {"ConsumerCreationTimestamp", aws::MakeTimestamp(c.created_ms)}};
  if (with_stream) j["StreamARN"] = c.stream_arn;
  return j;
}

Status Unsupported(std::string_view op, std::string_view why) {
  return Status(Code::kUnimplemented, std::string(op) + " is not supported by tarn: " + std::string(why),
                "UnknownOperationException");
}

// Queues every group of a routed put on its shard (AppendGroupAsync) and
// resumes the caller, on its own executor, once all have completed;
// results[g] is group g's status.
asio::awaitable<void> AppendAll(KinesisService& service, WorkerPool& pool,
                                const KinesisService::PutRoute& route,
                                std::span<const PutEntry> entries, std::span<PutOutcome> outcomes,
                                std::vector<Status>& results) {
  results.assign(route.groups.size(), Status::OK());
  if (route.groups.empty()) co_return;
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
      [&](auto handler) {
        using Handler = std::decay_t<decltype(handler)>;
        struct State {
          std::atomic<size_t> left;
          std::optional<Handler> handler;
          asio::associated_executor_t<Handler> home;
        };
        auto state = std::make_shared<State>();
        state->left = route.groups.size();
        state->home = asio::get_associated_executor(handler);
        state->handler.emplace(std::move(handler));
        KinesisService::Post post = [&pool](std::function<void()> fn) {
          asio::post(pool.executor(), std::move(fn));
        };
        for (size_t g = 0; g < route.groups.size(); ++g) {
          service.AppendGroupAsync(
              route, route.groups[g], entries, outcomes,
              [state, &results, g](Status st) {
                results[g] = std::move(st);
                if (state->left.fetch_sub(1) == 1) {
                  asio::dispatch(state->home, [state] { std::move(*state->handler)(); });
                }
              },
              post);
        }
      },
      asio::use_awaitable);
}

}  // namespace

int KinesisApi::ErrorStatus(std::string_view aws_code) const {
  if (aws_code == "InternalFailure") return 500;
  if (aws_code == "ServiceUnavailable") return 503;
  return 400;
}

asio::awaitable<Result<Json>> KinesisApi::Invoke(const aws::JsonRequest& request) {
  const Json& in = request.input;
  if (!in.is_object()) co_return Status(Code::kInvalidArgument, "The request body must be a JSON object.", "SerializationException");
  Result<Json> out = co_await Dispatch(request.operation, in);
  co_return out;
}

// Stream named by StreamName or StreamARN, after validation.
#define STREAM_REF(in)                                  \
  std::string name_in = (in).Str("StreamName", kStreamName); \
  std::string arn_in = (in).Str("StreamARN", kStreamArn)

asio::awaitable<Result<Json>> KinesisApi::Dispatch(const std::string& op, const Json& j) {
  KinesisService* svc = service_;
  Input in(j);

  if (op == "PutRecords") co_return co_await PutRecords(j);
  if (op == "PutRecord") co_return co_await PutRecord(j);
  if (op == "GetRecords") co_return co_await GetRecords(j);
  if (op == "GetShardIterator") co_return co_await GetShardIterator(j);

  if (op == "CreateStream") {
    std::string name = in.Str("StreamName", StrRule{true, 1, 128, kNamePattern});
    std::optional<int64_t> count = in.Int("ShardCount", false, 1, 100000);
    std::optional<StreamMode> mode;
    if (const Json* details = in.Struct("StreamModeDetails", false)) {
      Input sub(*details, "streamModeDetails.");
      std::string m = sub.Str("StreamMode", StrRule{true, 0, SIZE_MAX, {},
                                                    {"PROVISIONED", "ON_DEMAND"}});
      in.Absorb(sub);
      mode = ParseMode(m);
    }
    Tags tags = in.TagMap("Tags", false);
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    std::optional<int> shards;
    if (count) shards = static_cast<int>(*count);
    TARN_CO_RETURN_IF_ERROR(
        co_await pool_->Run([&] { return svc->CreateStream(name, shards, mode, tags); }));
    co_return Json::object();
  }

  if (op == "DeleteStream") {
    STREAM_REF(in);
    bool enforce = in.Bool("EnforceConsumerDeletion").value_or(false);
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    TARN_CO_ASSIGN_OR_RETURN(std::string name, svc->ResolveStreamName(name_in, arn_in));
    TARN_CO_RETURN_IF_ERROR(co_await pool_->Run([&] { return svc->DeleteStream(name, enforce); }));
    co_return Json::object();
  }

  if (op == "DescribeStream") {
    STREAM_REF(in);
    int limit = static_cast<int>(in.Int("Limit", false, 1, 10000).value_or(100));
    std::string start = in.Str("ExclusiveStartShardId", StrRule{false, 1, 128, kNamePattern});
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    TARN_CO_ASSIGN_OR_RETURN(std::string name, svc->ResolveStreamName(name_in, arn_in));
    TARN_CO_ASSIGN_OR_RETURN(StreamDescription d, svc->DescribeStream(name, start, limit));
    Json desc = Json::object();
    SummaryFields(desc, d.summary);
    Json shards = Json::array();
    for (const ShardInfo& s : d.shards) shards.push_back(ShardJson(s));
    desc["Shards"] = std::move(shards);
    desc["HasMoreShards"] = d.has_more_shards;
    co_return Json{{"StreamDescription", std::move(desc)}};
  }

  if (op == "DescribeStreamSummary") {
    STREAM_REF(in);
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    TARN_CO_ASSIGN_OR_RETURN(std::string name, svc->ResolveStreamName(name_in, arn_in));
    TARN_CO_ASSIGN_OR_RETURN(StreamSummary s, svc->DescribeStreamSummary(name));
    Json desc = Json::object();
    SummaryFields(desc, s);
    desc["OpenShardCount"] = s.open_shard_count;
    desc["ConsumerCount"] = s.consumer_count;
    co_return Json{{"StreamDescriptionSummary", std::move(desc)}};
  }

  if (op == "ListStreams") {
    int limit = static_cast<int>(in.Int("Limit", false, 1, 10000).value_or(100));
    std::string start = in.Str("ExclusiveStartStreamName", kStreamName);
    std::string token = in.Str("NextToken", kNextToken);
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    TARN_CO_ASSIGN_OR_RETURN(ListStreamsResult r, svc->ListStreams(start, token, limit));
    Json names = Json::array();
    Json summaries = Json::array();
    for (const StreamSummary& s : r.streams) {
      names.push_back(s.name);
      summaries.push_back(Json{{"StreamName", s.name},
                               {"StreamARN", s.arn},
                               {"StreamStatus", std::string(StatusName(s.status))},
                               {"StreamModeDetails", ModeJson(s.mode)},
                               {"StreamCreationTimestamp", aws::MakeTimestamp(s.created_ms)}});
    }
    Json out = {{"StreamNames", std::move(names)},
                {"HasMoreStreams", r.has_more},
                {"StreamSummaries", std::move(summaries)}};
    if (!r.next_token.empty()) out["NextToken"] = r.next_token;
    co_return out;
  }

  if (op == "ListShards") {
    STREAM_REF(in);
    ListShardsInput q;
    q.next_token = in.Str("NextToken", kNextToken);
    q.exclusive_start_shard_id =
        in.Str("ExclusiveStartShardId", StrRule{false, 1, 128, kNamePattern});
    q.max_results = static_cast<int>(in.Int("MaxResults", false, 1, 10000).value_or(1000));
    q.stream_creation_timestamp = in.Time("StreamCreationTimestamp", false);
    if (const Json* filter = in.Struct("ShardFilter", false)) {
      Input sub(*filter, "shardFilter.");
      std::string type = sub.Str("Type", StrRule{true, 0, SIZE_MAX, {},
                                                 {"AFTER_SHARD_ID", "AT_TRIM_HORIZON",
                                                  "FROM_TRIM_HORIZON", "AT_LATEST", "AT_TIMESTAMP",
                                                  "FROM_TIMESTAMP"}});
      q.filter_shard_id = sub.Str("ShardId", StrRule{false, 1, 128, kNamePattern});
      q.filter_timestamp = sub.Time("Timestamp", false);
      in.Absorb(sub);
      q.filter = ParseShardFilterType(type).value_or(ShardFilterType::kNone);
    }
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    if (q.next_token.empty() || !name_in.empty() || !arn_in.empty()) {
      if (!q.next_token.empty()) {
        co_return Status(Code::kInvalidArgument,
                         "NextToken and StreamName cannot be provided together.",
                         "InvalidArgumentException");
      }
      TARN_CO_ASSIGN_OR_RETURN(q.stream_name, svc->ResolveStreamName(name_in, arn_in));
    }
    TARN_CO_ASSIGN_OR_RETURN(ListShardsResult r, svc->ListShards(q));
    Json shards = Json::array();
    for (const ShardInfo& s : r.shards) shards.push_back(ShardJson(s));
    Json out = {{"Shards", std::move(shards)}};
    if (!r.next_token.empty()) out["NextToken"] = r.next_token;
    co_return out;
  }

  if (op == "IncreaseStreamRetentionPeriod" || op == "DecreaseStreamRetentionPeriod") {
    STREAM_REF(in);
    std::optional<int64_t> hours = in.Int("RetentionPeriodHours", true);
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    TARN_CO_ASSIGN_OR_RETURN(std::string name, svc->ResolveStreamName(name_in, arn_in));
    int h = static_cast<int>(std::clamp<int64_t>(*hours, INT32_MIN, INT32_MAX));
    bool increase = op[0] == 'I';
    TARN_CO_RETURN_IF_ERROR(co_await pool_->Run([&] {
      return increase ? svc->IncreaseRetention(name, h) : svc->DecreaseRetention(name, h);
    }));
    co_return Json::object();
  }

  if (op == "AddTagsToStream") {
    STREAM_REF(in);
    Tags tags = in.TagMap("Tags", true);
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    TARN_CO_ASSIGN_OR_RETURN(std::string name, svc->ResolveStreamName(name_in, arn_in));
    TARN_CO_RETURN_IF_ERROR(co_await pool_->Run([&] { return svc->AddTags(name, tags); }));
    co_return Json::object();
  }

  if (op == "RemoveTagsFromStream") {
    STREAM_REF(in);
    std::vector<std::string> keys = in.StrList("TagKeys", true, 1, 50, StrRule{true, 1, 128});
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    TARN_CO_ASSIGN_OR_RETURN(std::string name, svc->ResolveStreamName(name_in, arn_in));
    TARN_CO_RETURN_IF_ERROR(co_await pool_->Run([&] { return svc->RemoveTags(name, keys); }));
    co_return Json::object();
  }

  if (op == "ListTagsForStream") {
    STREAM_REF(in);
    std::string start = in.Str("ExclusiveStartTagKey", StrRule{false, 1, 128});
    int limit = static_cast<int>(in.Int("Limit", false, 1, 50).value_or(50));
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    TARN_CO_ASSIGN_OR_RETURN(std::string name, svc->ResolveStreamName(name_in, arn_in));
    TARN_CO_ASSIGN_OR_RETURN(TagsPage page, svc->ListTags(name, start, limit));
    Json tags = Json::array();
    for (const auto& [k, v] : page.tags) tags.push_back(Json{{"Key", k}, {"Value", v}});
    co_return Json{{"Tags", std::move(tags)}, {"HasMoreTags", page.has_more}};
  }

  if (op == "TagResource") {
    std::string arn = in.Str("ResourceARN", kResourceArn);
    Tags tags = in.TagMap("Tags", true);
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    TARN_CO_RETURN_IF_ERROR(co_await pool_->Run([&] { return svc->TagResource(arn, tags); }));
    co_return Json::object();
  }

  if (op == "UntagResource") {
    std::string arn = in.Str("ResourceARN", kResourceArn);
    std::vector<std::string> keys = in.StrList("TagKeys", true, 1, 50, StrRule{true, 1, 128});
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    TARN_CO_RETURN_IF_ERROR(co_await pool_->Run([&] { return svc->UntagResource(arn, keys); }));
    co_return Json::object();
  }

  if (op == "ListTagsForResource") {
    std::string arn = in.Str("ResourceARN", kResourceArn);
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    TARN_CO_ASSIGN_OR_RETURN(Tags tags, svc->ListTagsForResource(arn));
    Json list = Json::array();
    for (const auto& [k, v] : tags) list.push_back(Json{{"Key", k}, {"Value", v}});
    co_return Json{{"Tags", std::move(list)}};
  }

  if (op == "SplitShard") {
    STREAM_REF(in);
    std::string shard = in.Str("ShardToSplit", kShardId);
    StrRule key_rule = kHashKey;
    key_rule.required = true;
    std::string key = in.Str("NewStartingHashKey", key_rule);
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    TARN_CO_ASSIGN_OR_RETURN(std::string name, svc->ResolveStreamName(name_in, arn_in));
    TARN_CO_RETURN_IF_ERROR(co_await pool_->Run([&] { return svc->SplitShard(name, shard, key); }));
    co_return Json::object();
  }

  if (op == "MergeShards") {
    STREAM_REF(in);
    std::string a = in.Str("ShardToMerge", kShardId);
    std::string b = in.Str("AdjacentShardToMerge", kShardId);
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    TARN_CO_ASSIGN_OR_RETURN(std::string name, svc->ResolveStreamName(name_in, arn_in));
    TARN_CO_RETURN_IF_ERROR(co_await pool_->Run([&] { return svc->MergeShards(name, a, b); }));
    co_return Json::object();
  }

  if (op == "UpdateShardCount") {
    STREAM_REF(in);
    std::optional<int64_t> target = in.Int("TargetShardCount", true, 1);
    in.Str("ScalingType", StrRule{true, 0, SIZE_MAX, {}, {"UNIFORM_SCALING"}});
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    TARN_CO_ASSIGN_OR_RETURN(std::string name, svc->ResolveStreamName(name_in, arn_in));
    int t = static_cast<int>(std::min<int64_t>(*target, INT32_MAX));
    TARN_CO_ASSIGN_OR_RETURN(UpdateShardCountResult r,
                             co_await pool_->Run([&] { return svc->UpdateShardCount(name, t); }));
    co_return Json{{"StreamName", r.stream_name},
                   {"CurrentShardCount", r.current},
                   {"TargetShardCount", r.target},
                   {"StreamARN", r.stream_arn}};
  }

  if (op == "UpdateStreamMode") {
    StrRule arn_rule = kStreamArn;
    arn_rule.required = true;
    std::string arn = in.Str("StreamARN", arn_rule);
    std::string mode;
    if (const Json* details = in.Struct("StreamModeDetails", true)) {
      Input sub(*details, "streamModeDetails.");
      mode = sub.Str("StreamMode",
                     StrRule{true, 0, SIZE_MAX, {}, {"PROVISIONED", "ON_DEMAND"}});
      in.Absorb(sub);
    }
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    TARN_CO_ASSIGN_OR_RETURN(std::string name, svc->ResolveStreamName("", arn));
    StreamMode m = ParseMode(mode).value_or(StreamMode::kProvisioned);
    TARN_CO_RETURN_IF_ERROR(co_await pool_->Run([&] { return svc->UpdateStreamMode(name, m); }));
    co_return Json::object();
  }

  if (op == "StartStreamEncryption" || op == "StopStreamEncryption") {
    STREAM_REF(in);
    std::string type =
        in.Str("EncryptionType", StrRule{true, 0, SIZE_MAX, {}, {"NONE", "KMS"}});
    std::string key = in.Str("KeyId", StrRule{true, 1, 2048});
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    TARN_CO_ASSIGN_OR_RETURN(std::string name, svc->ResolveStreamName(name_in, arn_in));
    bool start = op[2] == 'a';
    TARN_CO_RETURN_IF_ERROR(co_await pool_->Run([&] {
      return start ? svc->StartEncryption(name, type, key) : svc->StopEncryption(name, type, key);
    }));
    co_return Json::object();
  }

  if (op == "EnableEnhancedMonitoring" || op == "DisableEnhancedMonitoring") {
    STREAM_REF(in);
    std::vector<std::string> metrics = in.StrList(
        "ShardLevelMetrics", true, 1, 7,
        StrRule{true, 0, SIZE_MAX, {},
                {"IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
                 "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
                 "IteratorAgeMilliseconds", "ALL"}});
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    TARN_CO_ASSIGN_OR_RETURN(std::string name, svc->ResolveStreamName(name_in, arn_in));
    bool enable = op[0] == 'E';
    TARN_CO_ASSIGN_OR_RETURN(
        MonitoringResult r,
        co_await pool_->Run([&] { return svc->SetEnhancedMonitoring(name, metrics, enable); }));
    co_return Json{{"StreamName", r.stream_name},
                   {"CurrentShardLevelMetrics", r.current},
                   {"DesiredShardLevelMetrics", r.desired},
                   {"StreamARN", r.stream_arn}};
  }

  if (op == "DescribeLimits") {
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    TARN_CO_ASSIGN_OR_RETURN(Limits l, svc->DescribeLimits());
    co_return Json{{"ShardLimit", l.shard_limit},
                   {"OpenShardCount", l.open_shard_count},
                   {"OnDemandStreamCount", l.on_demand_stream_count},
                   {"OnDemandStreamCountLimit", l.on_demand_stream_count_limit}};
  }

  if (op == "RegisterStreamConsumer") {
    StrRule arn_rule = kStreamArn;
    arn_rule.required = true;
    StrRule name_rule = kConsumerName;
    name_rule.required = true;
    std::string arn = in.Str("StreamARN", arn_rule);
    std::string name = in.Str("ConsumerName", name_rule);
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    TARN_CO_ASSIGN_OR_RETURN(ConsumerInfo c,
                             co_await pool_->Run([&] { return svc->RegisterConsumer(arn, name); }));
    co_return Json{{"Consumer", ConsumerJson(c, false)}};
  }

  if (op == "DescribeStreamConsumer" || op == "DeregisterStreamConsumer") {
    std::string arn = in.Str("StreamARN", kStreamArn);
    std::string name = in.Str("ConsumerName", kConsumerName);
    std::string consumer_arn = in.Str("ConsumerARN", kConsumerArn);
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    if (op[0] == 'D' && op[2] == 's') {  // DescribeStreamConsumer
      TARN_CO_ASSIGN_OR_RETURN(ConsumerInfo c, svc->DescribeConsumer(arn, name, consumer_arn));
      co_return Json{{"ConsumerDescription", ConsumerJson(c, true)}};
    }
    TARN_CO_RETURN_IF_ERROR(
        co_await pool_->Run([&] { return svc->DeregisterConsumer(arn, name, consumer_arn); }));
    co_return Json::object();
  }

  if (op == "ListStreamConsumers") {
    std::string arn = in.Str("StreamARN", kStreamArn);
    std::string token = in.Str("NextToken", kNextToken);
    int max = static_cast<int>(in.Int("MaxResults", false, 1, 10000).value_or(100));
    in.Time("StreamCreationTimestamp", false);
    TARN_CO_RETURN_IF_ERROR(in.Finish());
    if (arn.empty() && token.empty()) {
      in.Violation("null", "StreamARN", "Member must not be null");
      TARN_CO_RETURN_IF_ERROR(in.Finish());
    }
    TARN_CO_ASSIGN_OR_RETURN(ListConsumersResult r, svc->ListConsumers(arn, token, max));
    Json list = Json::array();
    for (const ConsumerInfo& c : r.consumers) list.push_back(ConsumerJson(c, false));
    Json out = {{"Consumers", std::move(list)}};
    if (!r.next_token.empty()) out["NextToken"] = r.next_token;
    co_return out;
  }

  if (op == "SubscribeToShard") {
    co_return Unsupported(op,
                          "it streams records over an HTTP/2 event stream, which tarn's HTTP/1.1 "
                          "endpoint does not serve. Poll with GetShardIterator and GetRecords "
                          "instead.");
  }

  co_return aws::UnknownOperation(op);
}

#undef STREAM_REF

// --- The data path ------------------------------------------------------------

bool KinesisApi::TakesRawBody(std::string_view operation) const {
  return operation == "PutRecords";
}

asio::awaitable<Result<std::string>> KinesisApi::InvokeRaw(const aws::JsonRequest& request,
                                                           std::string body) {
  if (request.operation != "PutRecords") co_return aws::UnknownOperation(request.operation);
  // Bodies past a few records are decoded on the pool, off the I/O thread.
  const bool offload = body.size() > 64 * 1024;
  std::optional<PutRecordsRequest> fast;
  auto decode_fast = [&] { fast = DecodePutRecordsFast(body); };
  if (offload) {
    co_await pool_->Run(decode_fast);
  } else {
    decode_fast();
  }
  if (!fast) {
    // Not the common form: the document path decodes, validates and says
    // what is wrong.
    Result<PutRecordsRequest> parsed = Internal("not decoded");
    auto decode = [&] {
      Result<Json> doc = aws::DecodeJsonObject(body, aws::JsonWire::kJson);
      parsed = doc.ok() ? ParsePutRecords(*doc) : Result<PutRecordsRequest>(doc.status());
    };
    if (offload) {
      co_await pool_->Run(decode);
    } else {
      decode();
    }
    TARN_CO_RETURN_IF_ERROR(parsed.status());
    fast = std::move(*parsed);
  }
  body = std::string();
  TARN_CO_ASSIGN_OR_RETURN(PutResult result, co_await Put(*fast));
  co_return EncodePutRecordsResult(result.outcomes, result.encryption_type);
}

asio::awaitable<Result<Json>> KinesisApi::PutRecords(const Json& j) {
  TARN_CO_ASSIGN_OR_RETURN(PutRecordsRequest request, ParsePutRecords(j));
  TARN_CO_ASSIGN_OR_RETURN(PutResult result, co_await Put(request));
  co_return PutRecordsResultDocument(result.outcomes, result.encryption_type);
}

asio::awaitable<Result<Json>> KinesisApi::PutRecord(const Json& j) {
  TARN_CO_ASSIGN_OR_RETURN(PutRecordsRequest request, ParsePutRecord(j));
  TARN_CO_ASSIGN_OR_RETURN(PutResult result, co_await Put(request));
  const PutOutcome& o = result.outcomes[0];
  if (!o.error_code.empty()) {
    // PutRecord has no per-record errors: the request fails.
    co_return Status(Code::kInternal, o.error_message);
  }
  co_return Json{{"ShardId", o.shard_id},
                 {"SequenceNumber", o.sequence_number},
                 {"EncryptionType", result.encryption_type}};
}

// Appends the request's records to their shards, retrying those whose
// shard closed under them (a reshard between routing and appending) on the
// route that replaced it. A shard's failure fails its records in place.
asio::awaitable<Result<KinesisApi::PutResult>> KinesisApi::Put(const PutRecordsRequest& request) {
  TARN_CO_ASSIGN_OR_RETURN(std::string name,
                           service_->ResolveStreamName(request.stream_name, request.stream_arn));
  const std::vector<PutEntry> all = request.Entries();
  std::span<const PutEntry> entries(all);
  PutResult out;
  out.outcomes.resize(entries.size());
  std::vector<uint32_t> pending;
  for (int attempt = 0;; ++attempt) {
    TARN_CO_ASSIGN_OR_RETURN(KinesisService::PutRoute route,
                             service_->RoutePut(name, entries, pending));
    out.encryption_type = service_->EncryptionTypeOf(route);
    std::vector<Status> results;
    co_await AppendAll(*service_, *pool_, route, entries, out.outcomes, results);
    pending.clear();
    for (size_t g = 0; g < route.groups.size(); ++g) {
      const Status& st = results[g];
      if (st.ok()) continue;
      if (st.code() == Code::kAborted && attempt + 1 < kMaxRouteAttempts) {
        pending.insert(pending.end(), route.groups[g].entries.begin(), route.groups[g].entries.end());
        continue;
      }
      if (st.code() == Code::kNotFound) co_return st;
      TARN_LOG(Error, "kinesis: append failed").Kv("stream", name).Kv("error", st.ToString());
      for (uint32_t i : route.groups[g].entries) {
        out.outcomes[i].error_code = "InternalFailure";
        out.outcomes[i].error_message = "Internal service failure.";
      }
    }
    if (pending.empty()) break;
    std::sort(pending.begin(), pending.end());  // keep request order within a shard
  }
  co_return out;
}

asio::awaitable<Result<Json>> KinesisApi::GetShardIterator(const Json& j) {
  Input in(j);
  std::string name_in = in.Str("StreamName", kStreamName);
  std::string arn_in = in.Str("StreamARN", kStreamArn);
  std::string shard = in.Str("ShardId", kShardId);
  std::string type_text = in.Str("ShardIteratorType",
                                 StrRule{true, 0, SIZE_MAX, {},
                                         {"AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER",
                                          "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"}});
  std::string seq = in.Str("StartingSequenceNumber", kSequenceNumber);
  std::optional<UnixMillis> ts = in.Time("Timestamp", false);
  TARN_CO_RETURN_IF_ERROR(in.Finish());
  TARN_CO_ASSIGN_OR_RETURN(std::string name, service_->ResolveStreamName(name_in, arn_in));
  IteratorType type = *ParseIteratorType(type_text);
  TARN_CO_ASSIGN_OR_RETURN(std::string it, co_await pool_->Run([&] {
    return service_->GetShardIterator(name, shard, type, seq, ts);
  }));
  co_return Json{{"ShardIterator", it}};
}

asio::awaitable<Result<Json>> KinesisApi::GetRecords(const Json& j) {
  Input in(j);
  std::string iterator = in.Str("ShardIterator", StrRule{true, 1, 512});
  int limit = static_cast<int>(in.Int("Limit", false, 1, 10000).value_or(10000));
  in.Str("StreamARN", kStreamArn);
  TARN_CO_RETURN_IF_ERROR(in.Finish());
  TARN_CO_ASSIGN_OR_RETURN(GetRecordsResult r,
                           co_await pool_->Run([&] { return service_->GetRecords(iterator, limit); }));
  Json records = Json::array();
  const bool kms = r.encryption_type == "KMS";
  for (Record& rec : r.records) {
    Json e = {{"SequenceNumber", std::move(rec.sequence_number)},
              {"ApproximateArrivalTimestamp", aws::MakeTimestamp(rec.arrival_ms)},
              {"Data", aws::MakeBlob(rec.data)},
              {"PartitionKey", std::move(rec.partition_key)}};
    if (kms) e["EncryptionType"] = "KMS";
    records.push_back(std::move(e));
  }
  Json out = {{"Records", std::move(records)}, {"MillisBehindLatest", r.millis_behind_latest}};
  if (r.next_iterator) out["NextShardIterator"] = *r.next_iterator;
  if (!r.child_shards.empty()) {
    Json children = Json::array();
    for (const ChildShard& c : r.child_shards) {
      children.push_back(Json{{"ShardId", c.shard_id},
                              {"ParentShards", c.parent_shards},
                              {"HashKeyRange", HashRangeJson(c.range)}});
    }
    out["ChildShards"] = std::move(children);
  }
  co_return out;
}

}  // namespace tarn::kinesis
