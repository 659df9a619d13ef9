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
//   - timestamps are epoch seconds (a number, possibly fractional) in
//     JSON and CBOR tag 1 over an integer of epoch *milliseconds* in CBOR
//     (what the AWS Java SDK v1 and v2 send and expect for
//     x-amz-cbor-1.1; RFC 8949 says seconds, the SDKs use millis).
//     Services write them with MakeTimestamp() and read them with
//     GetTimestamp(). In a document a timestamp is an opaque value (a json
//     binary value with subtype 1) that only these functions interpret;
//     a decoded CBOR tag-1 number arrives in that form too.
//
// Errors: a service returns a Status whose aws_code() is the error shape's
// name ("ResourceNotFoundException"); the handler renders
//   {"__type": "<code>", "message": "<message>"}
// plus the members its AddErrorMembers adds (Athena's AthenaErrorCode),
// with the x-amzn-ErrorType header and the HTTP status from the service's
// error table (400 unless the model says otherwise; InternalFailure 500,
// ServiceUnavailable 503). Authentication failures become the JSON
// protocol's own codes (UnrecognizedClientException,
// InvalidSignatureException, MissingAuthenticationTokenException, ...).
// An unknown operation is UnknownOperationException (400): the handler
// answers it for an unregistered prefix, a service for an operation it does
// not know (return UnknownOperation(name), or any Code::kUnimplemented
// status without an aws_code).
//
// A Status without an aws_code gets a code from its kind (JsonErrorCode):
//   kInvalidArgument -> ValidationException     kNotFound -> ResourceNotFoundException
//   kAlreadyExists, kFailedPrecondition -> ResourceInUseException
//   kPermissionDenied -> AccessDeniedException  kUnauthenticated -> UnrecognizedClientException
//   kUnimplemented -> UnknownOperationException
//   kResourceExhausted, kUnavailable, kAborted -> ServiceUnavailable (503)
//   kIOError, kCorruption, kInternal -> InternalFailure (500, generic message)
// A service that means throttling names it (LimitExceededException, ...).
//
// Request limits: a body larger than max_request_bytes() is answered 413
// with no error type (as AWS's front end does; botocore reports code
// "413"). An empty body is {}. A body that does not decode, or is not an
// object, is SerializationException (400).
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

namespace tarn {
class WorkerPool;
}

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
  // HTTP status for an error code, when it is not 400. (InternalFailure is
  // always 500 and ServiceUnavailable 503, whatever this says.)
  virtual int ErrorStatus(std::string_view aws_code) const { return 400; }
  // Adds the members an error shape has besides `message` (Athena's
  // InvalidRequestException.AthenaErrorCode) to `members`, for every
  // service error but internal failures.
  virtual void AddErrorMembers(const Status& status, Json& members) const {}
  // Runs one operation. Called on an I/O thread: offload blocking work.
  virtual boost::asio::awaitable<Result<Json>> Invoke(const JsonRequest& request) = 0;

  // A hot operation may decode its own JSON body instead of receiving a
  // document (building one can cost more than the operation itself). For
  // an operation this names, on the JSON wire, the handler calls InvokeRaw
  // with the body once its signature is verified; request.input is null
  // and the result is the encoded response body. Decoding it is the
  // service's job, errors included (DecodeJsonObject gives the handler's).
  virtual bool TakesRawBody(std::string_view operation) const { return false; }
  virtual boost::asio::awaitable<Result<std::string>> InvokeRaw(const JsonRequest& request,
                                                                std::string body);
};

// Blob and timestamp members, independent of the wire format.
Json MakeBlob(std::string_view bytes);
// A blob member: base64 text (JSON) or a byte string (CBOR). nullopt when
// absent; InvalidArgument naming the member when malformed.
Result<std::optional<std::string>> GetBlob(const Json& object, std::string_view member);
Json MakeTimestamp(UnixMillis t);
Result<std::optional<UnixMillis>> GetTimestamp(const Json& object, std::string_view member);

// Decoding and encoding, public for tests and fuzzing.
// Decode: an empty body is {}; anything else must be one JSON (or CBOR)
// value, nested at most 128 deep, strings valid UTF-8; otherwise
// InvalidArgument with aws_code SerializationException. Any value is
// returned (the handler insists on an object).
Result<Json> DecodeJsonBody(std::string_view body, JsonWire wire);
// DecodeJsonBody, insisting on an object (SerializationException
// otherwise): what the handler does before Invoke.
Result<Json> DecodeJsonObject(std::string_view body, JsonWire wire);
// Encode: blobs become base64 strings (JSON) or byte strings (CBOR),
// timestamps epoch seconds (JSON) or tag 1 + epoch millis (CBOR); invalid
// UTF-8 in strings is replaced by U+FFFD. Never fails.
std::string EncodeJsonBody(const Json& document, JsonWire wire);
// Appends `s` as a JSON string, as EncodeJsonBody writes strings (escapes;
// invalid UTF-8 as U+FFFD): for services that write a hot response by hand.
void AppendJsonString(std::string& out, std::string_view s);
// The wire format from Content-Type: application/x-amz-json-1.0/1.1 and
// application/json are JSON, application/x-amz-cbor-1.1 is CBOR; JSON when
// absent. Anything else: InvalidArgument (UnknownOperationException).
Result<JsonWire> WireFromContentType(std::string_view content_type);

// The status a service returns for an operation it does not implement:
// UnknownOperationException (400) naming it.
Status UnknownOperation(std::string_view operation);
// The error code rendered for a status: its aws_code() when set, else the
// code for its kind (table above).
std::string JsonErrorCode(const Status& status);

// Routes JSON-protocol requests to registered services by target prefix.
class JsonProtocolHandler {
 public:
  // Registers before serving starts (not thread-safe against Handle); a
  // second service with the same prefix replaces the first. The service
  // must outlive the handler.
  void Register(JsonService* service);
  // Optional: decode and encode bodies larger than 64 KiB (and the body's
  // SHA-256) on this pool instead of the I/O thread. Set before serving;
  // the pool must outlive the handler.
  void set_worker_pool(WorkerPool* pool) { pool_ = pool; }
  // True when the request's X-Amz-Target names a registered service.
  bool Handles(const http::Request& request) const;
  // Answers one request whose head SigV4 has already authenticated; the
  // body-dependent part of the signature is verified here. A method other
  // than POST (403 AccessDeniedException) or an unsupported Content-Type is
  // refused before the body is read; everything else, an unknown target
  // included, is answered only once the signature is verified.
  boost::asio::awaitable<void> Handle(http::Request& request, http::BodyReader& body,
                                      http::ResponseWriter& out, AuthContext& auth,
                                      const std::string& request_id);
  // Renders an authentication failure (from Authenticate, or a SigV4 /
  // payload status) in this protocol's error shape, for the router:
  //   AccessDenied (unsigned request)   -> MissingAuthenticationTokenException 400
  //   InvalidAccessKeyId                -> UnrecognizedClientException 400
  //   SignatureDoesNotMatch, XAmzContentSHA256Mismatch
  //                                     -> InvalidSignatureException 400
  //   RequestTimeTooSkewed              -> InvalidSignatureException 400, "Signature
  //                                        expired: ..." / "Signature not yet current: ..."
  //   AuthorizationHeaderMalformed, AuthorizationQueryParametersError,
  //   InvalidRequest, InvalidArgument, AccessDenied (no date)
  //                                     -> IncompleteSignatureException 400
  //   (InvalidArgument for header + query together -> InvalidSignatureException 400)
  // When request is given, the error is encoded in its wire format (CBOR
  // for a CBOR client) with its service's JSON version.
  boost::asio::awaitable<void> RenderAuthError(const Status& status, http::ResponseWriter& out,
                                               const std::string& request_id,
                                               const http::Request* request = nullptr);

 private:
  // The registered service and operation named by X-Amz-Target; nullptr
  // when the prefix is not registered.
  JsonService* Resolve(const http::Request& request, std::string* operation) const;

  std::map<std::string, JsonService*, std::less<>> services_;
  WorkerPool* pool_ = nullptr;
};

}  // namespace tarn::aws
