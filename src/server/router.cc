#include "server/router.h"

#include <nlohmann/json.hpp>

#include "aws/rest_xml.h"
#include "aws/sigv4.h"
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

asio::awaitable<void> Router::Handle(http::Request& request, http::BodyReader& body,
                                     http::ResponseWriter& out) {
  const std::string request_id = NewRequestId();
  // Names starting with '_' can never be buckets, so /_tarn/ is ours.
  if (request.path == "/_tarn/health" || request.path.rfind("/_tarn/health?", 0) == 0) {
    co_await Health(out, request_id);
    co_return;
  }

  auto secrets = [this](std::string_view key) -> std::optional<std::string> {
    if (key == credentials_.access_key_id) return credentials_.secret_access_key;
    return std::nullopt;
  };
  Result<aws::AuthContext> auth = aws::Authenticate(request, secrets, clock_->Now());
  if (!auth.ok()) {
    std::string code = aws::S3ErrorCode(auth.status());
    http::Headers h;
    h.Add("Content-Type", "application/xml");
    h.Add("x-amz-request-id", request_id);
    h.Add("x-amz-id-2", request_id);
    co_await out.Send(aws::S3HttpStatus(code), std::move(h),
                      aws::RenderS3Error(code, auth.status().message(), request.path, request_id));
    co_return;
  }
  co_await s3_->Handle(request, body, out, &*auth, request_id);
}

}  // namespace tarn::server
