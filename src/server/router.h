// Router: the one Handler behind tarn's listener. It answers tarn's own
// endpoints (/_tarn/health), authenticates every other request with SigV4
// and hands it to the service the request addresses (DESIGN.md §Requests):
// a request with X-Amz-Target goes to the JSON protocol handler (its auth
// errors in JSON shape too), everything else to S3. Query-protocol and
// rest-json services slot in here.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <string>

#include "aws/json_protocol.h"
#include "common/time.h"
#include "http/handler.h"
#include "server/credentials.h"
#include "services/s3/s3_api.h"

namespace tarn::server {

class Router {
 public:
  Router(RootCredentials credentials, s3::S3Api* s3, Clock* clock = Clock::Real());

  boost::asio::awaitable<void> Handle(http::Request& request, http::BodyReader& body,
                                      http::ResponseWriter& out);

  // Where JSON-protocol services register (Register(), set_worker_pool()),
  // before the server starts.
  aws::JsonProtocolHandler* json() { return &json_; }

  // Admission control: at most n requests are processed at once (from
  // their head being read to their response being finished); one more is
  // answered at once, its body unread, with the protocol's throttling
  // error: S3 503 SlowDown, JSON protocol 400 ThrottlingException. Health
  // checks are always answered. 0: no limit. Set before serving starts.
  void set_max_inflight_requests(size_t n) { max_inflight_ = n; }
  size_t inflight_requests() const { return inflight_.load(std::memory_order_relaxed); }
  // Requests refused by admission control since start.
  uint64_t rejected_requests() const { return rejected_.load(std::memory_order_relaxed); }

 private:
  boost::asio::awaitable<void> Health(http::ResponseWriter& out, const std::string& request_id);
  boost::asio::awaitable<void> RejectOverloaded(const http::Request& request,
                                                http::ResponseWriter& out,
                                                const std::string& request_id);

  RootCredentials credentials_;
  s3::S3Api* s3_;
  aws::JsonProtocolHandler json_;
  Clock* clock_;
  UnixMillis started_;
  size_t max_inflight_ = 0;
  std::atomic<size_t> inflight_{0};
  std::atomic<uint64_t> rejected_{0};
};

}  // namespace tarn::server
