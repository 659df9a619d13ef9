#include "http/request_parser.h"

#include <algorithm>
#include <boost/beast/http/error.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace tarn::http {

namespace bhttp = boost::beast::http;

namespace {

std::string ToString(boost::beast::string_view s) { return std::string(s.data(), s.size()); }

}  // namespace

void ConfigureRequestParser(RequestParser& parser, size_t max_header_bytes) {
  parser.header_limit(static_cast<uint32_t>(std::min<size_t>(max_header_bytes, UINT32_MAX)));
  parser.body_limit(boost::none);  // handlers enforce their own limits
}

void EnforceHeadLimit(size_t head_bytes, size_t max_header_bytes, boost::system::error_code& ec) {
  if (!ec && head_bytes > max_header_bytes) ec = bhttp::error::header_limit;
}

int HeadErrorStatus(const boost::system::error_code& ec) {
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) return 431;
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
      ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
    return 400;
  }
  return 0;  // closed, reset, timed out or shut down
}

void FillRequestHead(const RequestParser& parser, Request& req) {
  const auto& msg = parser.get();
  req.method = ToString(msg.method_string());
  req.target = ToString(msg.target());
  SplitTarget(req);
  for (const auto& field : msg) {
    req.headers.Add(ToString(field.name_string()), ToString(field.value()));
  }
  if (parser.chunked()) {
    req.content_length = std::nullopt;
  } else {
    req.content_length = parser.content_length().value_or(0);
  }
}

void SplitTarget(Request& req) {
  std::string_view t = req.target;
  // absolute-form (proxies): http://host:port/path?query
  if (!t.empty() && t.front() != '/') {
    size_t scheme = t.find("://");
    if (scheme != std::string_view::npos) {
      size_t slash = t.find('/', scheme + 3);
      size_t q = t.find('?', scheme + 3);
      if (slash == std::string_view::npos || (q != std::string_view::npos && q < slash)) {
        req.path.assign(1, '/');  // not = "/": GCC 12 -Wrestrict false positive
        if (q != std::string_view::npos) req.query = std::string(t.substr(q + 1));
        return;
      }
      t = t.substr(slash);
    }
  }
  size_t q = t.find('?');
  if (q == std::string_view::npos) {
    req.path = std::string(t);
  } else {
    req.path = std::string(t.substr(0, q));
    req.query = std::string(t.substr(q + 1));
  }
}

}  // namespace tarn::http
