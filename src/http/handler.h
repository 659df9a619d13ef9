// The contract between tarn's HTTP/1.1 server and whatever answers requests.
//
// A Handler is a coroutine that receives the parsed request head, pulls the
// body through a BodyReader as it needs it (bodies stream; nothing buffers a
// whole body), and answers through a ResponseWriter, which can send a whole
// response at once or stream a body of known or unknown length.
//
// The interfaces are abstract so that handlers can be unit-tested with
// in-memory readers and writers, without a socket.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace tarn::http {

namespace asio = boost::asio;

// HTTP header fields in arrival order; names compare case-insensitively.
class Headers {
 public:
  void Add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
  }
  // Replaces every field of that name with one.
  void Set(std::string_view name, std::string value);
  void Remove(std::string_view name);
  // The first field of that name, or nullptr.
  const std::string* Get(std::string_view name) const;
  std::string_view GetOr(std::string_view name, std::string_view fallback) const {
    const std::string* v = Get(name);
    return v ? std::string_view(*v) : fallback;
  }
  bool Has(std::string_view name) const { return Get(name) != nullptr; }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

struct Request {
  std::string method;  // "GET", "PUT", ... as sent
  std::string target;  // the raw request-target: "/bucket/a%20b?list-type=2"
  std::string path;    // target before '?', still percent-encoded
  std::string query;   // target after '?', raw, without the '?'
  Headers headers;
  // From Content-Length; nullopt when the body uses Transfer-Encoding:
  // chunked (the server decodes that framing; BodyReader yields the payload).
  std::optional<uint64_t> content_length;
  std::string remote_address;  // "127.0.0.1:53122"
  int64_t received_at_ms = 0;  // steady clock, for the request log
};

// Pulls the request body. Read() returns the number of bytes placed in buf,
// 0 at the end of the body. A body that ends before its Content-Length
// fails with Code::kInvalidArgument and aws_code "IncompleteBody"; a broken
// connection fails with Code::kUnavailable. When the client sent
// "Expect: 100-continue", the first Read() sends "100 Continue" first.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  virtual asio::awaitable<Result<size_t>> Read(std::span<char> buf) = 0;
};

struct ResponseHead {
  int status = 200;
  Headers headers;
  // Sent as Content-Length. nullopt streams with chunked transfer encoding.
  // For HEAD requests set it to the length a GET would return; no body is
  // sent whatever Write() is given.
  std::optional<uint64_t> content_length;
};

// Sends one response. Begin() once, Write() any number of times, Finish()
// once. The server adds Date, Server and Connection headers. If a handler
// returns without finishing, the server closes the connection (a response
// cut short must never look complete to the client).
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  virtual asio::awaitable<Status> Begin(ResponseHead head) = 0;
  virtual asio::awaitable<Status> Write(std::string_view data) = 0;
  virtual asio::awaitable<Status> Finish() = 0;
  // True once Begin() has been called: the status line is committed.
  virtual bool begun() const = 0;

  // Begin + Write + Finish for a body already in memory.
  asio::awaitable<Status> Send(int status, Headers headers, std::string_view body);
};

// Handlers must not throw; a handler that does gets its connection closed.
// Long or blocking work is offloaded by the handler (common/worker_pool.h);
// the coroutine runs on an I/O thread.
using Handler = std::function<asio::awaitable<void>(Request&, BodyReader&, ResponseWriter&)>;

}  // namespace tarn::http
