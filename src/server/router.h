// Router: the one Handler behind tarn's listener. It answers tarn's own
// endpoints (/_tarn/health), authenticates every other request with SigV4
// and hands it to the service the request addresses (DESIGN.md §Requests).
// Today every authenticated request is S3; JSON-protocol services
// (X-Amz-Target) and query-protocol services slot in here.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

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

 private:
  boost::asio::awaitable<void> Health(http::ResponseWriter& out, const std::string& request_id);

  RootCredentials credentials_;
  s3::S3Api* s3_;
  Clock* clock_;
  UnixMillis started_;
};

}  // namespace tarn::server
