// The JSON protocol (awsJson1_0 / awsJson1_1), shared by every JSON-protocol
// service: Kinesis, Firehose, Glue, Athena, Step Functions, KMS, Logs, ...
//
// A request is `POST /` with `X-Amz-Target: <Prefix>.<Operation>` and a
// JSON body (Content-Type application/x-amz-json-1.0 or -1.1), or a CBOR
// body (application/x-amz-cbor-1.1, the AWS Java SDK's default for
// Kinesis). The handler reads the bounded body, finishes the SigV4 check
// over it, decodes it into a nlohmann::json document, dispatches to the
// service registered for the prefix, and encodes the result (or the
// error) in the wire format the client used.
//
// Wire differences the services never see:
//   - blobs are base64 strings in JSON and byte strings in CBOR. Services
//     read them with GetBlob() (accepting either) and write them with
//     MakeBlob() (a json binary value the encoder renders per wire);
//   - timestamps are epoch seconds (a number) in JSON and a CBOR tag-1
//     epoch value in CBOR. Services write them with MakeTimestamp() and
//     read them with GetTimestamp().
//
// Errors: a service returns a Status whose aws_code() is the error shape's
// name ("ResourceNotFoundException"); the handler renders
//   {"__type": "<code>", "message": "<message>"}
// with the x-amzn-ErrorType header and the HTTP status from the service's
// error table (400 unless the model says otherwise; InternalFailure 500,
// ServiceUnavailable 503). Authentication failures become the JSON
// protocol's own codes (UnrecognizedClientException,
// InvalidSignatureException, MissingAuthenticationTokenException, ...).
// An unknown operation is UnknownOperationException (400).
#pragma once

#include <nlohmann/json.hpp>

#include <boost/asio/awaitable.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "aws/sigv4.h"
#include "common/status.h"
#include "common/time.h"
#include "http/handler.h"

namespace tarn::aws {

using Json = nlohmann::json;

enum class JsonWire { kJson, kCbor };

struct JsonRequest {
  std::string operation;  // "PutRecords"
  Json input;             // an object; {} for an empty body
  JsonWire wire = JsonWire::kJson;
  const AuthContext* auth = nullptr;
  std::string request_id;
};

// A service that speaks the JSON protocol.
class JsonService {
 public:
  virtual ~JsonService() = default;
  // The X-Amz-Target prefix, e.g. "Kinesis_20131202".
  virtual std::string_view target_prefix() const = 0;
  // "1.0" or "1.1": the response Content-Type is application/x-amz-json-<v>.
  virtual std::string_view json_version() const = 0;
  // The largest request body accepted (Kinesis: 5 MiB of records plus
  // base64 and framing overhead).
  virtual size_t max_request_bytes() const = 0;
  // HTTP status for an error code, when it is not 400.
  virtual int ErrorStatus(std::string_view aws_code) const { return 400; }
  // Runs one operation. Called on an I/O thread: offload blocking work.
  virtual boost::asio::awaitable<Result<Json>> Invoke(const JsonRequest& request) = 0;
};

// Blob and timestamp members, independent of the wire format.
Json MakeBlob(std::string_view bytes);
// A blob member: base64 text (JSON) or a byte string (CBOR). nullopt when
// absent; InvalidArgument naming the member when malformed.
Result<std::optional<std::string>> GetBlob(const Json& object, std::string_view member);
Json MakeTimestamp(UnixMillis t);
Result<std::optional<UnixMillis>> GetTimestamp(const Json& object, std::string_view member);

// Decoding and encoding, public for tests and fuzzing.
Result<Json> DecodeJsonBody(std::string_view body, JsonWire wire);
std::string EncodeJsonBody(const Json& document, JsonWire wire);
// The wire format from Content-Type; JSON when absent.
Result<JsonWire> WireFromContentType(std::string_view content_type);

// Routes JSON-protocol requests to registered services by target prefix.
class JsonProtocolHandler {
 public:
  // The service must outlive the handler.
  void Register(JsonService* service);
  // True when the request's X-Amz-Target names a registered service.
  bool Handles(const http::Request& request) const;
  // Answers one request whose head SigV4 has already authenticated; the
  // body-dependent part of the signature is verified here.
  boost::asio::awaitable<void> Handle(http::Request& request, http::BodyReader& body,
                                      http::ResponseWriter& out, AuthContext& auth,
                                      const std::string& request_id);
  // Renders an authentication failure (from Authenticate) in this
  // protocol's error shape, for the router.
  boost::asio::awaitable<void> RenderAuthError(const Status& status, http::ResponseWriter& out,
                                               const std::string& request_id);

 private:
  std::map<std::string, JsonService*, std::less<>> services_;
};

}  // namespace tarn::aws
