// Request heads written as text, the way they travel:
//
//   PUT /bucket/key?tagging HTTP/1.1
//   Host: localhost:4566
//   x-amz-date: 20240310T120000Z
//
// so that seeds are readable captures of real requests. Lines end in LF or
// CRLF; the first line is "METHOD target [version]"; then "name: value"
// fields up to an empty line (values trimmed of spaces and tabs, as the
// server's parser hands them over); the rest is ignored. Nothing is
// rejected: any bytes make some request.
#pragma once

#include <string>
#include <string_view>

#include "common/encoding.h"
#include "http/handler.h"

namespace tarn::fuzz {

inline http::Request ParseHeadText(std::string_view text) {
  http::Request req;
  bool first = true;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first) {
      first = false;
      size_t sp = line.find(' ');
      req.method = std::string(line.substr(0, sp));
      std::string_view target = sp == std::string_view::npos ? "/" : line.substr(sp + 1);
      target = target.substr(0, target.find(' '));
      req.target = std::string(target);
      size_t q = target.find('?');
      req.path = std::string(target.substr(0, q));
      if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
      continue;
    }
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    req.headers.Add(std::string(line.substr(0, colon)), std::string(Trim(line.substr(colon + 1))));
  }
  return req;
}

// The inverse, for requests whose parts hold no CR or LF.
inline std::string HeadText(const http::Request& req) {
  std::string out = req.method + " " + req.path;
  if (!req.query.empty()) out += "?" + req.query;
  out += " HTTP/1.1\r\n";
  for (const auto& [name, value] : req.headers.fields()) out += name + ": " + value + "\r\n";
  return out + "\r\n";
}

}  // namespace tarn::fuzz
