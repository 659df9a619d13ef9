#include "services/kinesis/kinesis_api.h"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <limits>

#include "common/log.h"

namespace tarn::kinesis {

namespace asio = boost::asio;
using aws::Json;

namespace {

constexpr size_t kMaxPutRecords = 500;
constexpr size_t kMaxRecordBytes = 1u << 20;  // data + partition key
constexpr size_t kMaxPutRecordsBytes = 5u << 20;
constexpr int kMaxRouteAttempts = 8;

// --- Request validation, as AWS's front end reports it ----------------------

std::string LowerFirst(std::string_view s) {
  std::string out(s);
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

// Length in characters (UTF-8 code points), as the model's limits count.
size_t CharCount(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool IsName(std::string_view s) {  // [a-zA-Z0-9_.-]+
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

// 0|([1-9]\d{0,max_more})
bool IsDecimal(std::string_view s, size_t max_more) {
  if (s.empty() || s.size() > max_more + 1) return false;
  if (s == "0") return true;
  if (s[0] < '1' || s[0] > '9') return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}
bool IsHashKey(std::string_view s) { return IsDecimal(s, 38); }
bool IsSequenceNumber(std::string_view s) { return IsDecimal(s, 128); }

// ARN patterns from the model, matched by hand: std::regex recurses per
// character and can exhaust the stack on long input.
//
// Calls rest(resource) for every split of s as
// "arn:aws" .* ":kinesis:" .* ":" 12 digits ":" resource, until one is true.
template <typename Rest>
bool MatchKinesisArn(std::string_view s, Rest rest) {
  if (s.size() > 2048 || s.substr(0, 7) != "arn:aws") return false;
  for (size_t k = s.find(":kinesis:", 7); k != std::string_view::npos; k = s.find(":kinesis:", k + 1)) {
    for (size_t p = s.find(':', k + 9); p != std::string_view::npos; p = s.find(':', p + 1)) {
      if (p + 14 > s.size() || s[p + 13] != ':') continue;
      bool digits = true;
      for (size_t i = p + 1; i < p + 13 && digits; ++i) digits = s[i] >= '0' && s[i] <= '9';
      if (digits && rest(s.substr(p + 14))) return true;
    }
  }
  return false;
}

// arn:aws.*:kinesis:.*:\d{12}:stream/.+
bool IsStreamArn(std::string_view s) {
  return MatchKinesisArn(s, [](std::string_view r) { return r.size() > 7 && r.substr(0, 7) == "stream/"; });
}

// ^(arn):aws.*:kinesis:.*:\d{12}:.*stream\/[a-zA-Z0-9_.-]+\/consumer\/[a-zA-Z0-9_.-]+:[0-9]+
// (a prefix match, as the model's pattern is not anchored at the end)
bool IsConsumerArn(std::string_view s) {
  return MatchKinesisArn(s, [](std::string_view r) {
    for (size_t st = r.find("stream/"); st != std::string_view::npos; st = r.find("stream/", st + 1)) {
      size_t name = st + 7;
      size_t slash = r.find("/consumer/", name);
      if (slash == std::string_view::npos || slash == name) continue;
      if (!IsName(r.substr(name, slash - name))) continue;
      size_t cname = slash + 10;
      size_t colon = cname;
      while (colon < r.size() && r[colon] != ':') ++colon;
      if (colon == cname || colon + 1 >= r.size() || !IsName(r.substr(cname, colon - cname))) continue;
      if (r[colon + 1] >= '0' && r[colon + 1] <= '9') return true;
    }
    return false;
  });
}

// arn:aws.*:kinesis:.*:\d{12}:.+
bool IsResourceArn(std::string_view s) {
  return MatchKinesisArn(s, [](std::string_view r) { return !r.empty(); });
}

struct StrRule {
  bool required = false;
  size_t min = 0;
  size_t max = std::numeric_limits<size_t>::max();
  bool (*pattern)(std::string_view) = nullptr;
  const char* pattern_text = nullptr;
  std::vector<std::string_view> one_of = {};
};

const StrRule kStreamName{false, 1, 128, IsName, "[a-zA-Z0-9_.-]+"};
const StrRule kStreamArn{false, 1, 2048, IsStreamArn, "arn:aws.*:kinesis:.*:\\d{12}:stream/.+"};
const StrRule kShardId{true, 1, 128, IsName, "[a-zA-Z0-9_.-]+"};
const StrRule kConsumerName{false, 1, 128, IsName, "[a-zA-Z0-9_.-]+"};
const StrRule kConsumerArn{
    false, 1, 2048, IsConsumerArn,
    "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+"};
const StrRule kResourceArn{true, 1, 2048, IsResourceArn, "arn:aws.*:kinesis:.*:\\d{12}:.+"};
const StrRule kHashKey{false, 0, std::numeric_limits<size_t>::max(), IsHashKey, "0|([1-9]\\d{0,38})"};
const StrRule kSequenceNumber{false, 0, std::numeric_limits<size_t>::max(), IsSequenceNumber,
                              "0|([1-9]\\d{0,128})"};
const StrRule kNextToken{false, 1, 1048576};

// Collects the violations of one request. Getters return what they could
// read (a default when the member is absent or wrong); Finish() reports.
class Input {
 public:
  explicit Input(const Json& j, std::string prefix = "") : j_(j), prefix_(std::move(prefix)) {}
  // Element `index` (0-based) of the list `list`: paths read
  // "<list>.<index + 1>.member.<name>", built only when a finding needs one.
  Input(const Json& j, std::string_view list, size_t index) : j_(j), list_(list), index_(index) {}

  std::string Str(std::string_view member, const StrRule& rule) {
    const Json* v = Find(member);
    if (!v) {
      if (rule.required) Violation("null", member, "Member must not be null");
      return "";
    }
    if (!v->is_string()) {
      TypeError(member, "a string");
      return "";
    }
    const std::string& s = v->get_ref<const std::string&>();
    size_t len = CharCount(s);
    if (len < rule.min) {
      Violation(Quote(s), member,
                "Member must have length greater than or equal to " + std::to_string(rule.min));
    }
    if (len > rule.max) {
      Violation(Quote(s), member,
                "Member must have length less than or equal to " + std::to_string(rule.max));
    }
    if (rule.pattern && len <= rule.max && !rule.pattern(s)) {
      Violation(Quote(s), member,
                std::string("Member must satisfy regular expression pattern: ") + rule.pattern_text);
    }
    if (!rule.one_of.empty() &&
        std::find(rule.one_of.begin(), rule.one_of.end(), s) == rule.one_of.end()) {
      std::string set;
      for (auto e : rule.one_of) set += (set.empty() ? "" : ", ") + std::string(e);
      Violation(Quote(s), member, "Member must satisfy enum value set: [" + set + "]");
    }
    return s;
  }

  std::optional<int64_t> Int(std::string_view member, bool required,
                             std::optional<int64_t> min = std::nullopt,
                             std::optional<int64_t> max = std::nullopt) {
    const Json* v = Find(member);
    if (!v) {
      if (required) Violation("null", member, "Member must not be null");
      return std::nullopt;
    }
    if (!v->is_number_integer()) {
      TypeError(member, "an integer");
      return std::nullopt;
    }
    int64_t n = v->is_number_unsigned()
                    ? static_cast<int64_t>(std::min<uint64_t>(v->get<uint64_t>(), INT64_MAX))
                    : v->get<int64_t>();
    if (min && n < *min) {
      Violation(Quote(std::to_string(n)), member,
                "Member must have value greater than or equal to " + std::to_string(*min));
    }
    if (max && n > *max) {
      Violation(Quote(std::to_string(n)), member,
                "Member must have value less than or equal to " + std::to_string(*max));
    }
    return n;
  }

  std::optional<bool> Bool(std::string_view member) {
    const Json* v = Find(member);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) {
      TypeError(member, "a boolean");
      return std::nullopt;
    }
    return v->get<bool>();
  }

  std::optional<UnixMillis> Time(std::string_view member, bool required) {
    if (!Find(member)) {
      if (required) Violation("null", member, "Member must not be null");
      return std::nullopt;
    }
    auto t = aws::GetTimestamp(j_, member);
    if (!t.ok()) {
      Note(t.status());
      return std::nullopt;
    }
    return *t;
  }

  // A nested structure; null when absent or not an object.
  const Json* Struct(std::string_view member, bool required) {
    const Json* v = Find(member);
    if (!v) {
      if (required) Violation("null", member, "Member must not be null");
      return nullptr;
    }
    if (!v->is_object()) {
      TypeError(member, "a structure");
      return nullptr;
    }
    return v;
  }

  const Json* List(std::string_view member, bool required, size_t min, size_t max) {
    const Json* v = Find(member);
    if (!v) {
      if (required) Violation("null", member, "Member must not be null");
      return nullptr;
    }
    if (!v->is_array()) {
      TypeError(member, "a list");
      return nullptr;
    }
    if (v->size() < min) {
      Violation("[]", member, "Member must have length greater than or equal to " + std::to_string(min));
    }
    if (v->size() > max) {
      Violation("[...]", member, "Member must have length less than or equal to " + std::to_string(max));
    }
    return v;
  }

  std::vector<std::string> StrList(std::string_view member, bool required, size_t min, size_t max,
                                   const StrRule& each) {
    std::vector<std::string> out;
    const Json* list = List(member, required, min, max);
    if (!list) return out;
    for (const Json& e : *list) {
      if (!e.is_string()) {
        TypeError(member, "a list of strings");
        return {};
      }
      const std::string& s = e.get_ref<const std::string&>();
      size_t len = CharCount(s);
      if (len < each.min || len > each.max || (each.pattern && !each.pattern(s)) ||
          (!each.one_of.empty() &&
           std::find(each.one_of.begin(), each.one_of.end(), s) == each.one_of.end())) {
        std::string constraint = "Member must satisfy constraint: [";
        if (!each.one_of.empty()) {
          std::string set;
          for (auto v : each.one_of) set += (set.empty() ? "" : ", ") + std::string(v);
          constraint += "Member must satisfy enum value set: [" + set + "]]";
        } else {
          constraint += "Member must have length less than or equal to " + std::to_string(each.max) +
                        ", Member must have length greater than or equal to " +
                        std::to_string(each.min) + "]";
        }
        Violation("[" + (s.size() > 256 ? s.substr(0, 256) + "..." : s) + "]", member, constraint);
        return {};
      }
      out.push_back(s);
    }
    return out;
  }

  Tags TagMap(std::string_view member, bool required) {
    Tags tags;
    const Json* v = Find(member);
    if (!v) {
      if (required) Violation("null", member, "Member must not be null");
      return tags;
    }
    if (!v->is_object()) {
      TypeError(member, "a map");
      return tags;
    }
    if (v->size() < 1) {
      Violation("{}", member, "Member must have length greater than or equal to 1");
    }
    if (v->size() > 200) {
      Violation("{...}", member, "Member must have length less than or equal to 200");
    }
    for (auto it = v->begin(); it != v->end(); ++it) {
      if (!it.value().is_string()) {
        TypeError(member, "a map of strings");
        return {};
      }
      size_t klen = CharCount(it.key());
      if (klen < 1 || klen > 128) {
        Violation("{...}", member,
                  "Map keys must satisfy constraint: [Member must have length less than or equal "
                  "to 128, Member must have length greater than or equal to 1]");
      }
      const std::string& value = it.value().get_ref<const std::string&>();
      if (CharCount(value) > 256) {
        Violation("{...}", member,
                  "Map value must satisfy constraint: [Member must have length less than or "
                  "equal to 256, Member must have length greater than or equal to 0]");
      }
      tags[it.key()] = value;
    }
    return tags;
  }

  void Note(const Status& st) {
    if (serialization_.ok()) serialization_ = st;
  }

  // Takes a nested structure's findings as this request's own.
  void Absorb(const Input& sub) {
    Note(sub.serialization_);
    for (const std::string& e : sub.errors_) {
      if (errors_.size() < 10) errors_.push_back(e);
    }
  }

  void Violation(std::string value, std::string_view member, std::string constraint) {
    if (errors_.size() >= 10) return;  // AWS lists at most ten
    errors_.push_back("Value " + value + " at '" + Prefix() + LowerFirst(member) +
                      "' failed to satisfy constraint: " + constraint);
  }

  Status Finish() const {
    if (!serialization_.ok()) return serialization_;
    if (errors_.empty()) return Status::OK();
    std::string msg = std::to_string(errors_.size()) + " validation error" +
                      (errors_.size() > 1 ? "s" : "") + " detected: ";
    for (size_t i = 0; i < errors_.size(); ++i) msg += (i ? "; " : "") + errors_[i];
    return Status(Code::kInvalidArgument, msg, "ValidationException");
  }

 private:
  const Json* Find(std::string_view member) const {
    auto it = j_.find(member);
    if (it == j_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  void TypeError(std::string_view member, const char* expected) {
    Note(Status(Code::kInvalidArgument,
                "Member '" + Prefix() + std::string(member) + "' must be " + expected + ".",
                "SerializationException"));
  }

  static std::string Quote(const std::string& s) {
    // Long values are cut, as AWS does in its messages.
    return "'" + (s.size() > 256 ? s.substr(0, 256) + "..." : s) + "'";
  }

  const Json& j_;
  std::string Prefix() const {
    if (list_.empty()) return prefix_;
    return std::string(list_) + "." + std::to_string(index_ + 1) + ".member.";
  }

  std::string prefix_;
  std::string_view list_;
  size_t index_ = 0;
  std::vector<std::string> errors_;
  Status serialization_;
};

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
    std::string name = in.Str("StreamName", StrRule{true, 1, 128, IsName, "[a-zA-Z0-9_.-]+"});
    std::optional<int64_t> count = in.Int("ShardCount", false, 1, 100000);
    std::optional<StreamMode> mode;
    if (const Json* details = in.Struct("StreamModeDetails", false)) {
      Input sub(*details, "streamModeDetails.");
      std::string m = sub.Str("StreamMode", StrRule{true, 0, SIZE_MAX, nullptr, nullptr,
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
    std::string start = in.Str("ExclusiveStartShardId", StrRule{false, 1, 128, IsName, "[a-zA-Z0-9_.-]+"});
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
        in.Str("ExclusiveStartShardId", StrRule{false, 1, 128, IsName, "[a-zA-Z0-9_.-]+"});
    q.max_results = static_cast<int>(in.Int("MaxResults", false, 1, 10000).value_or(1000));
    q.stream_creation_timestamp = in.Time("StreamCreationTimestamp", false);
    if (const Json* filter = in.Struct("ShardFilter", false)) {
      Input sub(*filter, "shardFilter.");
      std::string type = sub.Str("Type", StrRule{true, 0, SIZE_MAX, nullptr, nullptr,
                                                 {"AFTER_SHARD_ID", "AT_TRIM_HORIZON",
                                                  "FROM_TRIM_HORIZON", "AT_LATEST", "AT_TIMESTAMP",
                                                  "FROM_TIMESTAMP"}});
      q.filter_shard_id = sub.Str("ShardId", StrRule{false, 1, 128, IsName, "[a-zA-Z0-9_.-]+"});
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
    in.Str("ScalingType", StrRule{true, 0, SIZE_MAX, nullptr, nullptr, {"UNIFORM_SCALING"}});
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
                     StrRule{true, 0, SIZE_MAX, nullptr, nullptr, {"PROVISIONED", "ON_DEMAND"}});
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
        in.Str("EncryptionType", StrRule{true, 0, SIZE_MAX, nullptr, nullptr, {"NONE", "KMS"}});
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
        StrRule{true, 0, SIZE_MAX, nullptr, nullptr,
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

namespace {

// One PutRecords/PutRecord entry, validated, with views into the request.
struct ParsedRecords {
  std::vector<std::string> data;  // decoded blobs (PutEntry views point here)
  std::vector<PutEntry> entries;
};

// Reads and validates Records (or, for PutRecord, the request itself as
// its one record). member_prefix is "records.N.member." or "".
Status ParseRecord(Input& in, const Json& obj, ParsedRecords& out, size_t* total_bytes) {
  std::string_view key;
  auto pk = obj.find("PartitionKey");
  if (pk == obj.end() || pk->is_null()) {
    in.Violation("null", "PartitionKey", "Member must not be null");
  } else if (!pk->is_string()) {
    in.Note(Status(Code::kInvalidArgument, "Member 'PartitionKey' must be a string.",
                   "SerializationException"));
  } else {
    key = pk->get_ref<const std::string&>();
    size_t chars = CharCount(key);
    if (chars < 1) {
      in.Violation("''", "PartitionKey", "Member must have length greater than or equal to 1");
    } else if (chars > 256) {
      in.Violation("'" + std::string(key.substr(0, 256)) + "...'", "PartitionKey",
                   "Member must have length less than or equal to 256");
    }
  }
  std::optional<HashKey> explicit_key;
  auto ek = obj.find("ExplicitHashKey");
  if (ek != obj.end() && !ek->is_null()) {
    if (!ek->is_string()) {
      in.Note(Status(Code::kInvalidArgument, "Member 'ExplicitHashKey' must be a string.",
                     "SerializationException"));
    } else {
      const std::string& text = ek->get_ref<const std::string&>();
      if (!IsHashKey(text)) {
        in.Violation("'" + text + "'", "ExplicitHashKey",
                     "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})");
      } else {
        explicit_key = HashKey::Parse(text);
        if (!explicit_key) {
          return Status(Code::kInvalidArgument,
                        "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, "
                        "2^128-1]. Specified value was " + text,
                        "InvalidArgumentException");
        }
      }
    }
  }
  auto blob = aws::GetBlob(obj, "Data");
  if (!blob.ok()) {
    in.Note(blob.status());
    return Status::OK();
  }
  if (!blob->has_value()) {
    in.Violation("null", "Data", "Member must not be null");
    return Status::OK();
  }
  std::string& data = out.data.emplace_back(std::move(**blob));
  if (data.size() > kMaxRecordBytes) {
    in.Violation("'java.nio.HeapByteBuffer[pos=0 lim=" + std::to_string(data.size()) +
                     " cap=" + std::to_string(data.size()) + "]'",
                 "Data", "Member must have length less than or equal to 1048576");
  } else if (data.size() + key.size() > kMaxRecordBytes) {
    return Status(Code::kInvalidArgument,
                  "Record size exceeds the 1 MiB limit (data and partition key together).",
                  "InvalidArgumentException");
  }
  if (key.size() > storage::kMaxPartitionKeyBytes && CharCount(key) <= 256) {
    // 256 characters but more than 256 bytes of UTF-8: beyond what the
    // segment format stores.
    return Status(Code::kInvalidArgument,
                  "PartitionKey is longer than 256 bytes in UTF-8, which tarn does not support.",
                  "InvalidArgumentException");
  }
  *total_bytes += data.size() + key.size();
  out.entries.push_back(PutEntry{key, std::string_view(), explicit_key});
  return Status::OK();
}

}  // namespace

asio::awaitable<Result<Json>> KinesisApi::PutRecords(const Json& j) {
  Input in(j);
  std::string name_in = in.Str("StreamName", kStreamName);
  std::string arn_in = in.Str("StreamARN", kStreamArn);
  const Json* records = in.List("Records", true, 1, kMaxPutRecords);
  ParsedRecords parsed;
  size_t total = 0;
  if (records && records->size() <= kMaxPutRecords) {
    parsed.data.reserve(records->size());
    parsed.entries.reserve(records->size());
    for (size_t i = 0; i < records->size(); ++i) {
      const Json& r = (*records)[i];
      if (!r.is_object()) {
        in.Note(Status(Code::kInvalidArgument, "Member 'Records' must be a list of structures.",
                       "SerializationException"));
        break;
      }
      Input rec(r, "records", i);
      TARN_CO_RETURN_IF_ERROR(ParseRecord(rec, r, parsed, &total));
      in.Absorb(rec);
    }
  }
  TARN_CO_RETURN_IF_ERROR(in.Finish());
  if (total > kMaxPutRecordsBytes) {
    co_return Status(Code::kInvalidArgument,
                     "Records size exceeds 5 MB limit (" + std::to_string(total) +
                         " bytes of data and partition keys).",
                     "InvalidArgumentException");
  }
  for (size_t i = 0; i < parsed.entries.size(); ++i) parsed.entries[i].data = parsed.data[i];
  TARN_CO_ASSIGN_OR_RETURN(std::string name, service_->ResolveStreamName(name_in, arn_in));

  std::vector<PutOutcome> outcomes(parsed.entries.size());
  std::span<const PutEntry> entries(parsed.entries);
  std::vector<uint32_t> pending;
  std::string encryption = "NONE";
  for (int attempt = 0;; ++attempt) {
    TARN_CO_ASSIGN_OR_RETURN(KinesisService::PutRoute route,
                             service_->RoutePut(name, entries, pending));
    encryption = service_->EncryptionTypeOf(route);
    std::vector<Status> results;
    co_await AppendAll(*service_, *pool_, route, entries, outcomes, results);
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
        outcomes[i].error_code = "InternalFailure";
        outcomes[i].error_message = "Internal service failure.";
      }
    }
    if (pending.empty()) break;
    std::sort(pending.begin(), pending.end());  // keep request order within a shard
  }

  int failed = 0;
  Json list = Json::array();
  for (const PutOutcome& o : outcomes) {
    if (o.error_code.empty()) {
      list.push_back(Json{{"SequenceNumber", o.sequence_number}, {"ShardId", o.shard_id}});
    } else {
      ++failed;
      list.push_back(Json{{"ErrorCode", o.error_code}, {"ErrorMessage", o.error_message}});
    }
  }
  co_return Json{{"FailedRecordCount", failed},
                 {"Records", std::move(list)},
                 {"EncryptionType", encryption}};
}

asio::awaitable<Result<Json>> KinesisApi::PutRecord(const Json& j) {
  Input in(j);
  std::string name_in = in.Str("StreamName", kStreamName);
  std::string arn_in = in.Str("StreamARN", kStreamArn);
  in.Str("SequenceNumberForOrdering", kSequenceNumber);  // accepted; order is per shard anyway
  ParsedRecords parsed;
  size_t total = 0;
  TARN_CO_RETURN_IF_ERROR(ParseRecord(in, j, parsed, &total));
  TARN_CO_RETURN_IF_ERROR(in.Finish());
  parsed.entries[0].data = parsed.data[0];
  TARN_CO_ASSIGN_OR_RETURN(std::string name, service_->ResolveStreamName(name_in, arn_in));
  std::span<const PutEntry> entries(parsed.entries);
  std::vector<PutOutcome> outcome(1);
  for (int attempt = 0;; ++attempt) {
    TARN_CO_ASSIGN_OR_RETURN(KinesisService::PutRoute route, service_->RoutePut(name, entries));
    std::vector<Status> results;
    co_await AppendAll(*service_, *pool_, route, entries, outcome, results);
    Status st = results.empty() ? Internal("no shard for the record") : results[0];
    if (st.code() == Code::kAborted && attempt + 1 < kMaxRouteAttempts) continue;
    TARN_CO_RETURN_IF_ERROR(st);
    co_return Json{{"ShardId", outcome[0].shard_id},
                   {"SequenceNumber", outcome[0].sequence_number},
                   {"EncryptionType", service_->EncryptionTypeOf(route)}};
  }
}

asio::awaitable<Result<Json>> KinesisApi::GetShardIterator(const Json& j) {
  Input in(j);
  std::string name_in = in.Str("StreamName", kStreamName);
  std::string arn_in = in.Str("StreamARN", kStreamArn);
  std::string shard = in.Str("ShardId", kShardId);
  std::string type_text = in.Str("ShardIteratorType",
                                 StrRule{true, 0, SIZE_MAX, nullptr, nullptr,
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
