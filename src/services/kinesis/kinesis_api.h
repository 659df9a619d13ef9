// KinesisApi: binds Kinesis Data Streams' JSON-protocol operations
// (X-Amz-Target Kinesis_20131202.<Operation>) to KinesisService.
//
// It validates each request against the botocore model's constraints
// (required members, lengths, patterns, enums, ranges) and answers
// violations the way AWS's front end does: ValidationException,
// "1 validation error detected: Value 'x' at 'streamName' failed to satisfy
// constraint: ...", with the member's path; a member of the wrong JSON type
// is SerializationException. Rules of the service itself (hash key ranges,
// retention bounds, iterator contents) come back from KinesisService as
// InvalidArgumentException and friends.
//
// Blocking service calls run on the worker pool. PutRecords queues its
// records per shard (KinesisService::AppendGroupAsync) and resumes when every
// shard's append is durable; no thread waits for it meanwhile.
// SubscribeToShard answers UnknownOperationException: it needs an HTTP/2
// event stream, which tarn's HTTP/1.1 listener does not serve.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string_view>

#include "aws/json_protocol.h"
#include "common/worker_pool.h"
#include "services/kinesis/kinesis_service.h"
#include "services/kinesis/put_records.h"

namespace tarn::kinesis {

class KinesisApi : public aws::JsonService {
 public:
  // The service and pool must outlive the api.
  KinesisApi(KinesisService* service, WorkerPool* pool) : service_(service), pool_(pool) {}

  std::string_view target_prefix() const override { return "Kinesis_20131202"; }
  std::string_view json_version() const override { return "1.1"; }
  // 5 MiB of records, base64-encoded (x 4/3), plus partition keys, explicit
  // hash keys and JSON framing for 500 records.
  size_t max_request_bytes() const override { return 8u << 20; }
  int ErrorStatus(std::string_view aws_code) const override;
  boost::asio::awaitable<Result<aws::Json>> Invoke(const aws::JsonRequest& request) override;
  // PutRecords on the JSON wire decodes its own body (put_records.h).
  bool TakesRawBody(std::string_view operation) const override;
  boost::asio::awaitable<Result<std::string>> InvokeRaw(const aws::JsonRequest& request,
                                                        std::string body) override;

 private:
  using Json = aws::Json;
  boost::asio::awaitable<Result<Json>> Dispatch(const std::string& op, const Json& in);
  boost::asio::awaitable<Result<Json>> PutRecord(const Json& in);
  boost::asio::awaitable<Result<Json>> PutRecords(const Json& in);
  boost::asio::awaitable<Result<Json>> GetRecords(const Json& in);
  boost::asio::awaitable<Result<Json>> GetShardIterator(const Json& in);

  struct PutResult {
    std::vector<PutOutcome> outcomes;  // one per record, in request order
    std::string encryption_type;
  };
  boost::asio::awaitable<Result<PutResult>> Put(const PutRecordsRequest& request);

  KinesisService* service_;
  WorkerPool* pool_;
};

}  // namespace tarn::kinesis
