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
  // 0 when the request has neither (it has no body); check
  // headers.Has("content-length") to tell "absent" from "0".
  std::optional<uint64_t> content_length;
  std::string remote_address;  // "127.0.0.1:53122"
  int64_t received_at_ms = 0;  // steady clock, for the request log
};

// Pulls the request body. Read() returns the number of bytes placed in buf,
// 0 at the end of the body. A body that ends before its Content-Length
// fails with Code::kInvalidArgument and aws_code "IncompleteBody"; a broken
// connection fails with Code::kUnavailable (aws_code "RequestTimeout" when
// the client stalled past the server's I/O timeout). When the client sent
// "Expect: 100-continue", the first Read() sends "100 Continue" first.
//
// The server's reader fills buf unless the body ends first, so a large buf
// (256 KiB - 1 MiB) gives large reads; callers must not rely on that (other
// readers may return less). buf must not be empty. After an error every
// further Read() returns the same error. Call it on the handler's own
// executor (where the server started the handler); the server's reader
// fails a call from another thread with kInternal.
//
// If the handler returns without reading the whole body, the server
// discards a small remainder (up to 1 MiB by default) to keep the connection
// alive, and otherwise closes the connection after the response.
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
// once. The server adds Date and Server (unless the handler set them) and
// Connection; it owns the framing, so Content-Length, Transfer-Encoding and
// Connection headers set by the handler are dropped ("Connection: close"
// from the handler is honoured: the connection closes after the response).
// Header values containing CR, LF or NUL have those bytes replaced by
// spaces. Status must be 200-999 (1xx responses are the server's business).
//
// The server's writer may hold the head back until the first Write(),
// WriteFile() or Finish(), so that head and body leave in one write. Each
// Write() is one socket write; pass large pieces (256 KiB - 1 MiB) for
// throughput. Writing more than content_length fails with kInternal and
// writes nothing; Finish() after fewer bytes than content_length fails with
// kInternal and the connection is closed. For HEAD requests and statuses
// 204 and 304 no body is sent and Write() data is ignored. A failed socket
// write returns kUnavailable and every later call fails the same way.
//
// If a handler returns after Begin() without a successful Finish(), the
// server closes the connection (a response cut short must never look
// complete to the client). If it returns without calling Begin() at all,
// the server answers 500 with an empty body and closes the connection.
//
// Like BodyReader, call it from the handler's own executor.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  virtual asio::awaitable<Status> Begin(ResponseHead head) = 0;
  virtual asio::awaitable<Status> Write(std::string_view data) = 0;
  virtual asio::awaitable<Status> Finish() = 0;
  // True once Begin() has been called: the status line is committed.
  virtual bool begun() const = 0;

  // Sends `length` bytes of the open file `fd` starting at `offset` as the
  // next part of the body (after Begin(), before Finish(); counts against
  // content_length like Write()). The fd stays owned by the caller and must
  // stay open until the returned awaitable completes; its file position is
  // not used or changed. Fails with kIOError if the file ends before
  // offset + length; the response is then cut short, the server's writer
  // fails Finish() and the connection closes.
  //
  // The server's writer sends large ranges zero-copy with sendfile(2); on a
  // page-cache miss that read blocks the I/O thread, like the default
  // implementation, which pread()s through a 256 KiB buffer into Write().
  // Fakes need not override it.
  virtual asio::awaitable<Status> WriteFile(int fd, uint64_t offset, uint64_t length);

  // Begin + Write + Finish for a body already in memory.
  asio::awaitable<Status> Send(int status, Headers headers, std::string_view body);
};

// Handlers must not throw; a handler that does gets its connection closed
// (with a 500 first if it had not called Begin()).
// Long or blocking work is offloaded by the handler (common/worker_pool.h);
// the coroutine runs on an I/O thread.
using Handler = std::function<asio::awaitable<void>(Request&, BodyReader&, ResponseWriter&)>;

}  // namespace tarn::http
