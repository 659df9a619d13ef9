// FirehoseApi: binds Amazon Data Firehose's JSON-protocol operations
// (X-Amz-Target Firehose_20150804.<Operation>, JSON 1.1) to FirehoseService.
//
// Each request is checked against the botocore model (firehose_validate.h:
// InvalidArgumentException naming the member's path, SerializationException
// for a wrong JSON type); the service applies Firehose's own rules.
// Destinations other than S3 / ExtendedS3 and sources other than DirectPut
// and Kinesis streams answer InvalidArgumentException naming what tarn does
// not support; operations outside the 2015-08-04 API answer
// UnknownOperationException naming the operation.
//
// PutRecord and PutRecordBatch queue their records on the stream's buffer
// and resume once they are durable; no thread waits meanwhile. A batch the
// buffer cannot take fails in place (FailedPutCount, each record's
// ErrorCode ServiceUnavailableException), as Firehose reports it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string_view>

#include "aws/json_protocol.h"
#include "common/worker_pool.h"
#include "services/firehose/firehose_service.h"

namespace tarn::firehose {

// PutRecordBatch's limits.
inline constexpr size_t kMaxBatchRecords = 500;
inline constexpr size_t kMaxRecordBytes = 1'024'000;   // 1,000 KiB
inline constexpr size_t kMaxBatchBytes = 4u << 20;     // 4 MiB of data

class FirehoseApi : public aws::JsonService {
 public:
  // The service and pool must outlive the api.
  FirehoseApi(FirehoseService* service, WorkerPool* pool) : service_(service), pool_(pool) {}

  std::string_view target_prefix() const override { return "Firehose_20150804"; }
  std::string_view json_version() const override { return "1.1"; }
  // 4 MiB of records, base64-encoded (x 4/3), plus JSON framing for 500.
  size_t max_request_bytes() const override { return 8u << 20; }
  int ErrorStatus(std::string_view aws_code) const override;
  boost::asio::awaitable<Result<aws::Json>> Invoke(const aws::JsonRequest& request) override;
  // PutRecordBatch on the JSON wire decodes its own body (put_record_batch.h).
  bool TakesRawBody(std::string_view operation) const override;
  boost::asio::awaitable<Result<std::string>> InvokeRaw(const aws::JsonRequest& request,
                                                        std::string body) override;

 private:
  using Json = aws::Json;
  boost::asio::awaitable<Result<Json>> Dispatch(const std::string& op, const Json& in);
  boost::asio::awaitable<Result<Json>> Create(const Json& in);
  boost::asio::awaitable<Result<Json>> Describe(const Json& in);
  boost::asio::awaitable<Result<Json>> Update(const Json& in);
  boost::asio::awaitable<Result<Json>> PutRecords(const Json& in, bool batch);
  // Queues records on the stream and resumes when they are durable.
  boost::asio::awaitable<Result<PutOutcome>> Put(const std::string& name,
                                                 std::span<const std::string_view> records);

  FirehoseService* service_;
  WorkerPool* pool_;
};

}  // namespace tarn::firehose
