#include "services/firehose/firehose_api.h"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>

#include "services/firehose/destination_config.h"
#include "services/firehose/firehose_validate.h"
#include "services/firehose/put_record_batch.h"

namespace tarn::firehose {

namespace asio = boost::asio;
using aws::Json;

namespace {

const StrRule kTagKeyRule{true, 1, 128, {IsTagKey, "^(?!aws:)[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@%]*$"}};
const StrRule kTagValueRule{false, 0, 256, {IsTagValue, "^[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@%]*$"}};
const StrRule kDestinationIdRule{true, 1, 100, {IsDestinationId, "[a-zA-Z0-9-]+"}};
const StrRule kVersionIdRule{true, 1, 50, {IsVersionId, "[0-9]+"}};
const StrRule kStreamTypeRule{false, 0, SIZE_MAX, {},
                              {"DirectPut", "KinesisStreamAsSource", "MSKAsSource", "DatabaseAsSource"}};
const StrRule kKeyTypeRule{true, 0, SIZE_MAX, {}, {"AWS_OWNED_CMK", "CUSTOMER_MANAGED_CMK"}};
const StrRule kKmsKeyArnRule{false, 1, 512, kKmsKeyArnPattern};

// The destinations of CreateDeliveryStream / UpdateDestination tarn does not
// deliver to.
constexpr const char* kOtherDestinations[] = {
    "RedshiftDestinationConfiguration", "ElasticsearchDestinationConfiguration",
    "AmazonopensearchserviceDestinationConfiguration", "SplunkDestinationConfiguration",
    "HttpEndpointDestinationConfiguration", "AmazonOpenSearchServerlessDestinationConfiguration",
    "SnowflakeDestinationConfiguration", "IcebergDestinationConfiguration"};
constexpr const char* kOtherUpdates[] = {
    "RedshiftDestinationUpdate", "ElasticsearchDestinationUpdate",
    "AmazonopensearchserviceDestinationUpdate", "SplunkDestinationUpdate",
    "HttpEndpointDestinationUpdate", "AmazonOpenSearchServerlessDestinationUpdate",
    "SnowflakeDestinationUpdate", "IcebergDestinationUpdate"};

bool Present(const Json& j, const char* member) {
  auto it = j.find(member);
  return it != j.end() && !it->is_null();
}

Tags CheckTagList(Checker& c, const char* member, bool required) {
  Tags tags;
  const Json* list = c.List(member, required, 1, 50);
  if (!list) return tags;
  for (size_t i = 0; i < list->size(); ++i) {
    Checker t((*list)[i], c.ElementPath(member, i));
    std::string key = t.Str("Key", kTagKeyRule);
    std::string value = t.Str("Value", kTagValueRule);
    if (t.ok()) tags[key] = value;
    c.AbsorbElement(member, t);
  }
  return tags;
}

// DeliveryStreamEncryptionConfigurationInput, checked; its stored form.
Json CheckEncryptionInput(Checker& c, const char* member) {
  const Json* v = c.Struct(member, false);
  if (!v) return Json::object();
  Checker e(*v, c.Path(member));
  std::string arn = e.Str("KeyARN", kKmsKeyArnRule);
  std::string type = e.Str("KeyType", kKeyTypeRule);
  if (type == "CUSTOMER_MANAGED_CMK" && arn.empty()) {
    e.Violation("null", "KeyARN", "Member must not be null when KeyType is CUSTOMER_MANAGED_CMK");
  }
  if (type == "AWS_OWNED_CMK" && !arn.empty()) {
    e.Violation("'" + arn + "'", "KeyARN", "Member must be null when KeyType is AWS_OWNED_CMK");
  }
  c.Absorb(member, e);
  return e.out();
}

Status NotSupported(const std::string& what) {
  return InvalidArg(what + " is not supported by tarn: tarn delivers to S3 only "
                           "(ExtendedS3DestinationConfiguration or S3DestinationConfiguration).");
}

Json DescriptionJson(const FirehoseService& svc, const StreamView& v, bool with_destination) {
  const StreamRow& r = v.row;
  Json d = Json::object();
  d["DeliveryStreamName"] = r.name;
  d["DeliveryStreamARN"] = svc.StreamArn(r.name);
  d["DeliveryStreamStatus"] = std::string(StatusName(r.status));
  if (!v.failure.empty()) {
    d["FailureDescription"] = Json{{"Type", "UNKNOWN_ERROR"}, {"Details", v.failure}};
  }
  Json enc = r.encryption.empty() ? Json{{"Status", "DISABLED"}} : r.encryption;
  d["DeliveryStreamEncryptionConfiguration"] = enc;
  d["DeliveryStreamType"] = std::string(SourceTypeName(r.type));
  d["VersionId"] = std::to_string(r.version);
  d["CreateTimestamp"] = aws::MakeTimestamp(r.created_ms);
  if (r.updated_ms > 0) d["LastUpdateTimestamp"] = aws::MakeTimestamp(r.updated_ms);
  if (r.type == SourceType::kKinesisStream) {
    Json k = r.source;
    k["DeliveryStartTimestamp"] = aws::MakeTimestamp(r.created_ms);
    d["Source"] = Json{{"KinesisStreamSourceDescription", std::move(k)}};
  } else if (r.source.contains("ThroughputHintInMBs")) {
    d["Source"] = Json{{"DirectPutSourceDescription", r.source}};
  }
  Json dests = Json::array();
  if (with_destination) dests.push_back(DescribeDestination(r.destination));
  d["Destinations"] = std::move(dests);
  d["HasMoreDestinations"] = false;
  return Json{{"DeliveryStreamDescription", std::move(d)}};
}

// PutRecordBatch's answer: record ids, or, when the buffer could not take
// the records, each one failed in place (so a producer retries just those,
// here all of them).
Result<Json> BatchResponse(Result<PutOutcome> put, size_t count) {
  Json responses = Json::array();
  int failed = 0;
  bool encrypted = false;
  if (put.ok()) {
    encrypted = put->encrypted;
    for (std::string& id : put->record_ids) responses.push_back(Json{{"RecordId", std::move(id)}});
  } else if (put.status().aws_code() == "ServiceUnavailableException") {
    failed = static_cast<int>(count);
    for (size_t i = 0; i < count; ++i) {
      responses.push_back(Json{{"ErrorCode", "ServiceUnavailableException"},
                               {"ErrorMessage", put.status().message()}});
    }
  } else {
    return put.status();
  }
  return Json{{"FailedPutCount", failed},
              {"Encrypted", encrypted},
              {"RequestResponses", std::move(responses)}};
}

}  // namespace

bool FirehoseApi::TakesRawBody(std::string_view operation) const {
  return operation == "PutRecordBatch";
}

asio::awaitable<Result<std::string>> FirehoseApi::InvokeRaw(const aws::JsonRequest& request,
                                                            std::string body) {
  if (request.operation != "PutRecordBatch") co_return aws::UnknownOperation(request.operation);
  // Bodies past a few records are decoded on the pool, off the I/O thread.
  const bool offload = body.size() > 64 * 1024;
  std::optional<PutBatchRequest> fast;
  auto decode_fast = [&] { fast = DecodePutRecordBatchFast(body); };
  if (offload) {
    co_await pool_->Run(decode_fast);
  } else {
    decode_fast();
  }
  if (!fast) {
    // Not the common form: the document path validates and says what is wrong.
    Result<Json> doc = Internal("not decoded");
    auto decode = [&] { doc = aws::DecodeJsonObject(body, aws::JsonWire::kJson); };
    if (offload) {
      co_await pool_->Run(decode);
    } else {
      decode();
    }
    TARN_CO_RETURN_IF_ERROR(doc.status());
    body = std::string();
    TARN_CO_ASSIGN_OR_RETURN(Json out, co_await PutRecords(*doc, true));
    co_return aws::EncodeJsonBody(out, aws::JsonWire::kJson);
  }
  body = std::string();
  std::vector<std::string_view> records = fast->Records();
  Result<PutOutcome> put = co_await Put(fast->stream_name, records);
  if (put.ok()) co_return EncodePutRecordBatchResult(put->record_ids, put->encrypted);
  TARN_CO_ASSIGN_OR_RETURN(Json out, BatchResponse(std::move(put), records.size()));
  co_return aws::EncodeJsonBody(out, aws::JsonWire::kJson);
}

int FirehoseApi::ErrorStatus(std::string_view aws_code) const {
  if (aws_code == "ServiceUnavailableException") return 503;
  if (aws_code == "InternalFailure") return 500;
  return 400;
}

asio::awaitable<Result<Json>> FirehoseApi::Invoke(const aws::JsonRequest& request) {
  Result<Json> out = co_await Dispatch(request.operation, request.input);
  co_return out;
}

asio::awaitable<Result<Json>> FirehoseApi::Dispatch(const std::string& op, const Json& j) {
  FirehoseService* svc = service_;
  if (op == "PutRecordBatch") co_return co_await PutRecords(j, true);
  if (op == "PutRecord") co_return co_await PutRecords(j, false);
  if (op == "CreateDeliveryStream") co_return co_await Create(j);
  if (op == "DescribeDeliveryStream") co_return co_await Describe(j);
  if (op == "UpdateDestination") co_return co_await Update(j);

  Checker c(j);
  if (op == "DeleteDeliveryStream") {
    std::string name = c.Str("DeliveryStreamName", kStreamNameRule);
    c.Bool("AllowForceDelete");
    TARN_CO_RETURN_IF_ERROR(c.Finish());
    TARN_CO_RETURN_IF_ERROR(co_await pool_->Run([&] { return svc->Delete(name); }));
    co_return Json::object();
  }

  if (op == "ListDeliveryStreams") {
    int limit = static_cast<int>(c.Int("Limit", false, 1, 10000).value_or(10));
    std::string type = c.Str("DeliveryStreamType", kStreamTypeRule);
    StrRule start_rule = kStreamNameRule;
    start_rule.required = false;
    std::string start = c.Str("ExclusiveStartDeliveryStreamName", start_rule);
    TARN_CO_RETURN_IF_ERROR(c.Finish());
    std::optional<SourceType> filter;
    if (type == "DirectPut") filter = SourceType::kDirectPut;
    if (type == "KinesisStreamAsSource") filter = SourceType::kKinesisStream;
    ListResult r;
    if (type == "MSKAsSource" || type == "DatabaseAsSource") {
      r = ListResult{};  // tarn holds none of these
    } else {
      TARN_CO_ASSIGN_OR_RETURN(r, svc->List(limit, filter, start));
    }
    co_return Json{{"DeliveryStreamNames", r.names}, {"HasMoreDeliveryStreams", r.has_more}};
  }

  if (op == "TagDeliveryStream") {
    std::string name = c.Str("DeliveryStreamName", kStreamNameRule);
    Tags tags = CheckTagList(c, "Tags", true);
    TARN_CO_RETURN_IF_ERROR(c.Finish());
    TARN_CO_RETURN_IF_ERROR(co_await pool_->Run([&] { return svc->Tag(name, tags); }));
    co_return Json::object();
  }

  if (op == "UntagDeliveryStream") {
    std::string name = c.Str("DeliveryStreamName", kStreamNameRule);
    std::vector<std::string> keys = c.StrList("TagKeys", true, 1, 50, kTagKeyRule);
    TARN_CO_RETURN_IF_ERROR(c.Finish());
    TARN_CO_RETURN_IF_ERROR(co_await pool_->Run([&] { return svc->Untag(name, keys); }));
    co_return Json::object();
  }

  if (op == "ListTagsForDeliveryStream") {
    std::string name = c.Str("DeliveryStreamName", kStreamNameRule);
    StrRule start_rule = kTagKeyRule;
    start_rule.required = false;
    std::string start = c.Str("ExclusiveStartTagKey", start_rule);
    int limit = static_cast<int>(c.Int("Limit", false, 1, 50).value_or(50));
    TARN_CO_RETURN_IF_ERROR(c.Finish());
    TARN_CO_ASSIGN_OR_RETURN(auto page, svc->ListTags(name, start, limit));
    Json tags = Json::array();
    for (const auto& [k, v] : page.first) tags.push_back(Json{{"Key", k}, {"Value", v}});
    co_return Json{{"Tags", std::move(tags)}, {"HasMoreTags", page.second}};
  }

  if (op == "StartDeliveryStreamEncryption") {
    std::string name = c.Str("DeliveryStreamName", kStreamNameRule);
    Json enc = CheckEncryptionInput(c, "DeliveryStreamEncryptionConfigurationInput");
    TARN_CO_RETURN_IF_ERROR(c.Finish());
    TARN_CO_RETURN_IF_ERROR(co_await pool_->Run([&] { return svc->StartEncryption(name, enc); }));
    co_return Json::object();
  }

  if (op == "StopDeliveryStreamEncryption") {
    std::string name = c.Str("DeliveryStreamName", kStreamNameRule);
    TARN_CO_RETURN_IF_ERROR(c.Finish());
    TARN_CO_RETURN_IF_ERROR(co_await pool_->Run([&] { return svc->StopEncryption(name); }));
    co_return Json::object();
  }

  co_return aws::UnknownOperation(op);
}

asio::awaitable<Result<Json>> FirehoseApi::Create(const Json& j) {
  Checker c(j);
  CreateInput in;
  in.name = c.Str("DeliveryStreamName", kStreamNameRule);
  std::string type = c.Str("DeliveryStreamType", kStreamTypeRule);
  if (const Json* v = c.Struct("DirectPutSourceConfiguration", false)) {
    Checker d(*v, c.Path("DirectPutSourceConfiguration"));
    d.Int("ThroughputHintInMBs", true, 1, 100);
    c.Absorb("DirectPutSourceConfiguration", d);
    in.source = d.out();
  }
  const bool kinesis_config = Present(j, "KinesisStreamSourceConfiguration");
  if (const Json* v = c.Struct("KinesisStreamSourceConfiguration", false)) {
    Checker k(*v, c.Path("KinesisStreamSourceConfiguration"));
    k.Str("KinesisStreamARN",
          StrRule{true, 1, 512, {IsKinesisStreamArn,
                  "arn:.*:kinesis:[a-zA-Z0-9\\-]+:\\d{12}:stream/[a-zA-Z0-9_.-]+"}});
    k.Str("RoleARN", kRoleArnRule);
    c.Absorb("KinesisStreamSourceConfiguration", k);
    in.source = k.out();
  }
  in.encryption = CheckEncryptionInput(c, "DeliveryStreamEncryptionConfigurationInput");
  const char* destination = nullptr;
  for (const char* member : {"ExtendedS3DestinationConfiguration", "S3DestinationConfiguration"}) {
    if (const Json* v = c.Struct(member, false)) {
      Checker d(*v, c.Path(member));
      if (std::string_view(member) == "S3DestinationConfiguration") {
        CheckS3Destination(d, false);
      } else {
        CheckExtendedS3Destination(d, false);
      }
      c.Absorb(member, d);
      if (!destination) {
        destination = member;
        in.destination = d.out();
      } else {
        destination = "both";
      }
    }
  }
  in.tags = CheckTagList(c, "Tags", false);
  TARN_CO_RETURN_IF_ERROR(c.Finish());

  // Firehose's own rules about which members go together.
  for (const char* other : kOtherDestinations) {
    if (Present(j, other)) co_return NotSupported(other);
  }
  if (type == "MSKAsSource" || type == "DatabaseAsSource" || Present(j, "MSKSourceConfiguration") ||
      Present(j, "DatabaseSourceConfiguration")) {
    co_return InvalidArg("DeliveryStreamType " + (type.empty() ? std::string("MSKAsSource") : type) +
                         " is not supported by tarn: sources are DirectPut and "
                         "KinesisStreamAsSource.");
  }
  if (destination == nullptr) {
    co_return InvalidArg("A destination is required: ExtendedS3DestinationConfiguration (or "
                         "S3DestinationConfiguration).");
  }
  if (std::string_view(destination) == "both") {
    co_return InvalidArg("Only one destination may be given: ExtendedS3DestinationConfiguration "
                         "or S3DestinationConfiguration, not both.");
  }
  in.type = type == "KinesisStreamAsSource" ? SourceType::kKinesisStream : SourceType::kDirectPut;
  if (in.type == SourceType::kKinesisStream && !kinesis_config) {
    co_return InvalidArg("KinesisStreamSourceConfiguration is required when DeliveryStreamType is "
                         "KinesisStreamAsSource.");
  }
  if (in.type == SourceType::kDirectPut && kinesis_config) {
    co_return InvalidArg("KinesisStreamSourceConfiguration is only allowed when DeliveryStreamType "
                         "is KinesisStreamAsSource.");
  }
  TARN_CO_RETURN_IF_ERROR(co_await pool_->Run([&] { return service_->Create(in); }));
  co_return Json{{"DeliveryStreamARN", service_->StreamArn(in.name)}};
}

asio::awaitable<Result<Json>> FirehoseApi::Describe(const Json& j) {
  Checker c(j);
  std::string name = c.Str("DeliveryStreamName", kStreamNameRule);
  c.Int("Limit", false, 1, 10000);
  StrRule start_rule = kDestinationIdRule;
  start_rule.required = false;
  std::string start = c.Str("ExclusiveStartDestinationId", start_rule);
  TARN_CO_RETURN_IF_ERROR(c.Finish());
  TARN_CO_ASSIGN_OR_RETURN(StreamView v, service_->Describe(name));
  // One destination: a page that starts after it is empty.
  co_return DescriptionJson(*service_, v, start != kDestinationId);
}

asio::awaitable<Result<Json>> FirehoseApi::Update(const Json& j) {
  Checker c(j);
  std::string name = c.Str("DeliveryStreamName", kStreamNameRule);
  std::string version = c.Str("CurrentDeliveryStreamVersionId", kVersionIdRule);
  std::string destination_id = c.Str("DestinationId", kDestinationIdRule);
  std::optional<Json> update;
  int given = 0;
  for (const char* member : {"ExtendedS3DestinationUpdate", "S3DestinationUpdate"}) {
    if (const Json* v = c.Struct(member, false)) {
      Checker d(*v, c.Path(member));
      if (std::string_view(member) == "S3DestinationUpdate") {
        CheckS3Destination(d, true);
      } else {
        CheckExtendedS3Destination(d, true);
      }
      c.Absorb(member, d);
      update = d.out();
      ++given;
    }
  }
  TARN_CO_RETURN_IF_ERROR(c.Finish());
  for (const char* other : kOtherUpdates) {
    if (Present(j, other)) co_return NotSupported(other);
  }
  if (given == 0) {
    co_return InvalidArg("UpdateDestination needs ExtendedS3DestinationUpdate (or "
                         "S3DestinationUpdate).");
  }
  if (given > 1) {
    co_return InvalidArg("Only one of ExtendedS3DestinationUpdate and S3DestinationUpdate may be "
                         "given.");
  }
  TARN_CO_RETURN_IF_ERROR(co_await pool_->Run(
      [&] { return service_->UpdateDestination(name, version, destination_id, *update); }));
  co_return Json::object();
}

asio::awaitable<Result<Json>> FirehoseApi::PutRecords(const Json& j, bool batch) {
  Checker c(j);
  std::string name = c.Str("DeliveryStreamName", kStreamNameRule);
  std::vector<std::string> data;
  if (batch) {
    const Json* list = c.List("Records", true, 1, kMaxBatchRecords);
    if (list && list->size() <= kMaxBatchRecords) {
      data.reserve(list->size());
      for (size_t i = 0; i < list->size(); ++i) {
        Checker r((*list)[i], c.ElementPath("Records", i));
        std::optional<std::string> blob = r.Blob("Data", true, kMaxRecordBytes);
        c.AbsorbElement("Records", r);
        data.push_back(blob ? std::move(*blob) : std::string());
      }
    }
  } else if (const Json* rec = c.Struct("Record", true)) {
    Checker r(*rec, c.Path("Record"));
    std::optional<std::string> blob = r.Blob("Data", true, kMaxRecordBytes);
    c.Absorb("Record", r);
    data.push_back(blob ? std::move(*blob) : std::string());
  }
  TARN_CO_RETURN_IF_ERROR(c.Finish());
  size_t total = 0;
  for (const std::string& d : data) total += d.size();
  if (total > kMaxBatchBytes) {
    co_return InvalidArg("Records size exceeds 4 MB limit: the batch holds " + std::to_string(total) +
                         " bytes of data (at most " + std::to_string(kMaxBatchBytes) + ").");
  }
  std::vector<std::string_view> views(data.begin(), data.end());
  Result<PutOutcome> put = co_await Put(name, views);
  if (!batch) {
    if (!put.ok()) co_return put.status();
    co_return Json{{"RecordId", put->record_ids[0]}, {"Encrypted", put->encrypted}};
  }
  co_return BatchResponse(std::move(put), data.size());
}

asio::awaitable<Result<PutOutcome>> FirehoseApi::Put(const std::string& name,
                                                     std::span<const std::string_view> records) {
  std::optional<Result<PutOutcome>> result;
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
      [&](auto handler) {
        using Handler = std::decay_t<decltype(handler)>;
        struct State {
          std::optional<Handler> handler;
          asio::associated_executor_t<Handler> home;
        };
        auto state = std::make_shared<State>();
        state->home = asio::get_associated_executor(handler);
        state->handler.emplace(std::move(handler));
        FirehoseService::Post post = [this](std::function<void()> fn) {
          asio::post(pool_->executor(), std::move(fn));
        };
        service_->PutAsync(
            name, records,
            [state, &result](Result<PutOutcome> r) {
              result.emplace(std::move(r));
              asio::dispatch(state->home, [state] { std::move(*state->handler)(); });
            },
            post);
      },
      asio::use_awaitable);
  co_return std::move(*result);
}

}  // namespace tarn::firehose
