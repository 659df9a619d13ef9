#include "server/router.h"

#include <nlohmann/json.hpp>

#include "aws/rest_xml.h"
#include "aws/sigv4.h"
#include "common/encoding.h"
#include "common/ids.h"
#include "common/log.h"

#ifndef TARN_VERSION
#define TARN_VERSION "0.0.0"
#endif

namespace tarn::server {

namespace asio = boost::asio;

Router::Router(RootCredentials credentials, s3::S3Api* s3, Clock* clock)
    : credentials_(std::move(credentials)), s3_(s3), clock_(clock), started_(clock->Now()) {}

asio::awaitable<void> Router::Health(http::ResponseWriter& out, const std::string& request_id) {
  nlohmann::json j = {{"status", "ok"},
                      {"version", TARN_VERSION},
                      {"uptime_ms", clock_->Now() - started_}};
  http::Headers h;
  h.Add("Content-Type", "application/json");
  h.Add("x-amz-request-id", request_id);
  co_await out.Send(200, std::move(h), j.dump() + "\n");
}

namespace {

// Counts a request as in flight for as long as its handler runs (also when
// its coroutine is destroyed unfinished at shutdown).
class InflightGuard {
 public:
  explicit InflightGuard(std::atomic<size_t>& n)
      : n_(n), now_(n.fetch_add(1, std::memory_order_relaxed) + 1) {}
  ~InflightGuard() { n_.fetch_sub(1, std::memory_order_relaxed); }
  InflightGuard(const InflightGuard&) = delete;
  InflightGuard& operator=(const InflightGuard&) = delete;
  // In flight, this one included, when it arrived.
  size_t count() const { return now_; }

 private:
  std::atomic<size_t>& n_;
  const size_t now_;
};

}  // namespace

asio::awaitable<void> Router::RejectOverloaded(const http::Request& request,
                                               http::ResponseWriter& out,
                                               const std::string& request_id) {
  rejected_.fetch_add(1, std::memory_order_relaxed);
  const std::string message = "tarn has " + std::to_string(max_inflight_) +
                              " requests in flight, its limit: reduce your request rate "
                              "and retry.";
  http::Headers h;
  h.Add("x-amz-request-id", request_id);
  h.Add("Retry-After", "1");
  if (request.headers.Has("X-Amz-Target")) {
    // The JSON protocol's throttling error, in the wire format the client
    // used (CBOR for a CBOR client).
    Result<aws::JsonWire> wire =
        aws::WireFromContentType(request.headers.GetOr("content-type", ""));
    const aws::JsonWire w = wire.ok() ? *wire : aws::JsonWire::kJson;
    h.Add("x-amzn-RequestId", request_id);
    h.Add("x-amzn-ErrorType", "ThrottlingException");
    h.Add("Content-Type",
          w == aws::JsonWire::kCbor ? "application/x-amz-cbor-1.1" : "application/x-amz-json-1.1");
    aws::Json doc = {{"__type", "ThrottlingException"}, {"message", message}};
    co_await out.Send(400, std::move(h), aws::EncodeJsonBody(doc, w));
    co_return;
  }
  h.Add("x-amz-id-2", request_id);
  h.Add("Content-Type", "application/xml");
  co_await out.Send(aws::S3HttpStatus("SlowDown"), std::move(h),
                    aws::RenderS3Error("SlowDown", message, request.path, request_id));
}

asio::awaitable<void> Router::Handle(http::Request& request, http::BodyReader& body,
                                     http::ResponseWriter& out) {
  const std::string request_id = NewRequestId();
  // Names starting with '_' can never be buckets, so /_tarn/ is ours.
  if (request.path == "/_tarn/health" || request.path.rfind("/_tarn/health?", 0) == 0) {
    co_await Health(out, request_id);
    co_return;
  }
  InflightGuard inflight(inflight_);
  if (max_inflight_ > 0 && inflight.count() > max_inflight_) {
    co_await RejectOverloaded(request, out, request_id);
    co_return;
  }

  auto secrets = [this](std::string_view key) -> std::optional<std::string> {
    if (key == credentials_.access_key_id) return credentials_.secret_access_key;
    return std::nullopt;
  };
  Result<aws::AuthContext> auth = aws::Authenticate(request, secrets, clock_->Now());
  // S3 never sends X-Amz-Target; every JSON-protocol client does. Unknown
  // prefixes are answered by the JSON handler too (UnknownOperationException).
  if (request.headers.Has("X-Amz-Target")) {
    if (!auth.ok()) {
      co_await json_.RenderAuthError(auth.status(), out, request_id, &request);
    } else {
      co_await json_.Handle(request, body, out, *auth, request_id);
    }
    co_return;
  }
  if (!auth.ok()) {
    Status error = auth.status();
    // A path that is not valid percent-encoding cannot be canonicalized, so
    // its signature never matches: name the real problem instead.
    if (!UriDecode(request.path)) {
      error = InvalidArgument("Couldn't parse the specified URI.", "InvalidURI");
    }
    std::string code = aws::S3ErrorCode(error);
    http::Headers h;
    h.Add("Content-Type", "application/xml");
    h.Add("x-amz-request-id", request_id);
    h.Add("x-amz-id-2", request_id);
    co_await out.Send(aws::S3HttpStatus(code), std::move(h),
                      aws::RenderS3Error(code, error.message(), request.path, request_id));
    co_return;
  }
  co_await s3_->Handle(request, body, out, &*auth, request_id);
}

}  // namespace tarn::server
