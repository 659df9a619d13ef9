// tarn's HTTP/1.1 server: accepts connections, parses request heads, streams
// bodies both ways and hands each request to one Handler (http/handler.h).
//
//   http::Server::Options opts;
//   opts.port = 0;  // ephemeral
//   TARN_ASSIGN_OR_RETURN(auto server, http::Server::Start(opts, handler));
//   ... server->port() ...
//   server->Shutdown(std::chrono::seconds(10));  // from any thread
//   server->Wait();
//
// Threading: io_threads threads, each running its own event loop. Every
// connection lives on one of them (round-robin at accept) as one coroutine,
// so a connection's requests, and the handler calls for them, run one at a
// time on that thread. Handlers offload blocking work (common/worker_pool.h).
//
// Limits: beyond max_connections concurrent connections the server still
// accepts, answers "503 Service Unavailable" (Retry-After: 1, empty body,
// Connection: close) and closes, so clients see a retryable error rather
// than a hanging connect. Sizes and timeouts are in Options.
//
// Process-wide effect: Start() sets SIGPIPE to SIG_IGN (sendfile(2) has no
// MSG_NOSIGNAL).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/handler.h"

namespace tarn::http {

class Server {
 public:
  struct Options {
    std::string host = "127.0.0.1";  // an address or a resolvable name
    uint16_t port = 4566;            // 0: an ephemeral port, see port()
    int io_threads = 0;              // 0: std::thread::hardware_concurrency()
    // Request line plus header fields. S3 allows 8 KiB of user metadata;
    // SigV4 headers add more. Larger heads get 431.
    size_t max_header_bytes = 64 * 1024;
    // A keep-alive connection waiting for its next request is closed after
    // this long.
    std::chrono::milliseconds idle_timeout{60'000};
    // Once the first byte of a request arrived, the whole head must follow
    // within this (slow-loris guard).
    std::chrono::milliseconds header_timeout{30'000};
    // A body read, a response write or a 100-continue that makes no progress
    // for this long closes the connection.
    std::chrono::milliseconds io_timeout{120'000};
    // Concurrent connections; more get 503 and are closed.
    size_t max_connections = 1024;
    // A body remainder the handler did not read is discarded to keep the
    // connection alive if it is at most this long; longer: close.
    uint64_t max_drain_bytes = 1024 * 1024;
    // One "request" log line per request (method, path, status, bytes_in,
    // bytes_out, ms, request_id).
    bool log_requests = true;
  };

  // Binds (SO_REUSEADDR), listens and starts the I/O threads. Fails with
  // kInvalidArgument for a bad host or options and kUnavailable when the
  // address cannot be bound (in use, no permission).
  static Result<std::unique_ptr<Server>> Start(Options options, Handler handler);

  // Shuts down with no grace if Shutdown() was not called, then waits.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound port (the ephemeral one when Options.port was 0).
  uint16_t port() const;
  // Connections currently open, including ones being answered 503.
  size_t connection_count() const;

  // Stops accepting, closes idle keep-alive connections at once, lets
  // requests in flight finish (their responses carry Connection: close) for
  // up to `grace`, then closes what is left and stops the I/O threads.
  // Blocks until then, except when called from one of the server's own I/O
  // threads (a handler), where it starts the same sequence on a helper
  // thread and returns at once. Thread-safe and idempotent: a second call
  // waits for the first to finish.
  //
  // Handler coroutines still suspended elsewhere when the threads stop (for
  // example inside a WorkerPool job) are destroyed with the Server: stop
  // such pools before destroying it.
  void Shutdown(std::chrono::milliseconds grace);

  // Blocks until the I/O threads have exited (after Shutdown()).
  void Wait();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tarn::http
