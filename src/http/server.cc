// The HTTP/1.1 server. The only translation unit that includes Beast.
//
// Shape: N workers, each one io_context run by one thread. The acceptor
// lives on worker 0 and hands each accepted socket to the next worker in
// turn; from then on a connection is one coroutine (Connection::Run) on its
// worker, plus a watchdog timer on the same worker. Nothing of a connection
// is shared across threads, so it needs no locks; the server-wide state that
// is (connection counts, the stopping flag) is in Server::Impl.
//
// Request heads are parsed by Beast's request_parser, set up by
// request_parser.h (which the HTTP fuzzer shares). Bodies with a
// Content-Length bypass the parser and are read from the socket straight
// into the handler's buffer (no copy through Beast's buffer); chunked bodies
// go through the parser, which decodes the framing into the handler's
// buffer. Response heads are written by hand and leave in the same writev as
// the first body bytes.
#include "http/server.h"

#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <vector>

#include "common/log.h"
#include "common/time.h"
#include "http/request_parser.h"

namespace tarn::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using boost::system::error_code;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// First read of a request: large enough for any ordinary head in one go.
constexpr size_t kFirstReadBytes = 16 * 1024;
// Scratch for discarding bodies.
constexpr size_t kScratchBytes = 64 * 1024;
// WriteFile ranges up to this are pread into memory and sent with the head
// in one writev; longer ones use sendfile(2).
constexpr uint64_t kSendfileMinBytes = 64 * 1024;
// Lingering close: after a response we close on while the client may still
// be sending, read and discard for this long (or this much) so the kernel
// does not answer with a RST that destroys the response in flight.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr uint64_t kLingerBytes = 8 * 1024 * 1024;
// Connections being answered 503 at once; beyond it they are just closed.
constexpr size_t kMaxOverflowConnections = 64;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

thread_local const void* tl_current_server = nullptr;

std::string_view HttpDateNow() {
  thread_local int64_t cached_second = -1;
  thread_local std::string cached;
  UnixMillis now = Clock::Real()->Now();
  int64_t second = now / 1000;
  if (second != cached_second) {
    cached = FormatHttpDate(second * 1000);
    cached_second = second;
  }
  return cached;
}

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  size_t start = out.size();
  out += value;
  for (size_t i = start; i < out.size(); i++) {
    char c = out[i];
    if (c == '\r' || c == '\n' || c == '\0') out[i] = ' ';
  }
  out += "\r\n";
}

// "close" appears as a token in a Connection header value.
bool HasCloseToken(std::string_view value) {
  size_t i = 0;
  while (i < value.size()) {
    size_t j = value.find(',', i);
    if (j == std::string_view::npos) j = value.size();
    std::string_view token = value.substr(i, j - i);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
      token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (EqualsIgnoreCase(token, "close")) return true;
    i = j + 1;
  }
  return false;
}

std::string MinimalResponse(int status, std::string_view reason, bool retry_after) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  AppendHeader(out, "Date", HttpDateNow());
  AppendHeader(out, "Server", "tarn");
  if (retry_after) AppendHeader(out, "Retry-After", "1");
  out += "Content-Length: 0\r\nConnection: close\r\n\r\n";
  return out;
}

std::string FormatEndpoint(const tcp::endpoint& ep) {
  auto addr = ep.address();
  if (addr.is_v6()) {
    auto v6 = addr.to_v6();
    if (v6.is_v4_mapped()) {
      return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string() + ":" +
             std::to_string(ep.port());
    }
    return "[" + v6.to_string() + "]:" + std::to_string(ep.port());
  }
  return addr.to_string() + ":" + std::to_string(ep.port());
}

class Connection;

struct Worker {
  asio::io_context ioc{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::thread thread;
  // Touched only on this worker's thread.
  std::unordered_set<Connection*> connections;
};

}  // namespace

struct Server::Impl {
  Options options;
  Handler handler;
  std::vector<std::unique_ptr<Worker>> workers;
  std::unique_ptr<tcp::acceptor> acceptor;          // on workers[0]
  std::unique_ptr<asio::steady_timer> accept_wait;  // on workers[0]
  uint16_t port = 0;
  size_t next_worker = 0;  // acceptor coroutine only
  std::atomic<bool> stopping{false};

  mutable std::mutex mu;
  std::condition_variable cv;
  size_t active = 0;    // GUARDED_BY(mu)
  size_t overflow = 0;  // GUARDED_BY(mu)

  std::mutex shutdown_mu;
  bool shut_down = false;  // GUARDED_BY(shutdown_mu)

  std::mutex join_mu;
  std::thread shutdown_helper;  // GUARDED_BY(join_mu)

  bool OnIoThread() const { return tl_current_server == this; }
  asio::awaitable<void> AcceptLoop();
  void ConnectionDone(bool was_overflow);
  void DoShutdown(std::chrono::milliseconds grace);
};

namespace {

class ServerBodyReader;
class ServerResponseWriter;

// What to do with the connection after a request.
enum class Next { kKeepAlive, kClose, kLingerClose, kAbort };

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server::Impl& server, Worker& worker, tcp::socket socket)
      : server_(server),
        opts_(server.options),
        worker_(worker),
        socket_(std::move(socket)),
        timer_(worker.ioc),
        buffer_(RequestBufferBytes(opts_.max_header_bytes)) {
    error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    if (!ec) remote_ = FormatEndpoint(ep);
    socket_.set_option(tcp::no_delay(true), ec);
    socket_.native_non_blocking(true, ec);
    check_interval_ = std::min({opts_.idle_timeout, opts_.header_timeout, opts_.io_timeout});
    if (check_interval_ <= std::chrono::milliseconds(0)) check_interval_ = std::chrono::seconds(1);
  }

  asio::awaitable<void> Run();
  asio::awaitable<void> RejectOverloaded();

  // Called on the worker thread when the server starts shutting down: an
  // idle keep-alive connection stops waiting (a request that already
  // arrived is still answered, with Connection: close).
  void OnShutdown() {
    if (idle_) {
      error_code ec;
      socket_.cancel(ec);
    }
  }
  // Called on the worker thread when the grace period is over.
  void ForceClose() { Abort(); }

  // For the reader and writer.
  tcp::socket& socket() { return socket_; }
  beast::flat_buffer& buffer() { return buffer_; }
  const Server::Options& options() const { return opts_; }
  bool stopping() const { return server_.stopping.load(std::memory_order_relaxed); }
  bool timed_out() const { return timed_out_; }
  bool OnOwnThread() const { return worker_.ioc.get_executor().running_in_this_thread(); }
  const std::string& remote() const { return remote_; }
  std::span<char> Scratch() {
    if (!scratch_) scratch_ = std::make_unique_for_overwrite<char[]>(kScratchBytes);
    return {scratch_.get(), kScratchBytes};
  }

  void SetDeadline(std::chrono::milliseconds d) {
    deadline_ = SteadyClock::now() + d;
    io_active_ = true;
    if (deadline_ < armed_) {
      // The watchdog sleeps past the new deadline: wake it so it re-arms.
      armed_ = deadline_;
      timer_.cancel();
    }
  }
  void ClearDeadline() { io_active_ = false; }

  template <typename Buffers>
  asio::awaitable<error_code> WriteAll(const Buffers& buffers) {
    SetDeadline(opts_.io_timeout);
    auto [ec, n] = co_await asio::async_write(socket_, buffers, kUseTuple);
    ClearDeadline();
    co_return ec;
  }

 private:
  asio::awaitable<Next> ServeOne();
  asio::awaitable<void> LingeringClose();
  void Close();
  // Fails every pending and later socket operation; the coroutine notices
  // and closes. The descriptor stays open until Close() so it cannot be
  // reused under a sendfile(2) in progress.
  void Abort() {
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.cancel(ec);
  }
  void ArmWatchdog(SteadyClock::time_point at) {
    armed_ = at;
    timer_.expires_at(at);
    timer_.async_wait([self = shared_from_this()](const error_code&) { self->OnWatchdog(); });
  }
  void OnWatchdog() {
    if (closed_) return;
    auto now = SteadyClock::now();
    if (io_active_ && deadline_ <= now) {
      timed_out_ = true;
      Abort();
      return;
    }
    ArmWatchdog(io_active_ ? deadline_ : now + check_interval_);
  }
  void LogRequest(const Request& req, SteadyClock::time_point start, int status, uint64_t bytes_in,
                  uint64_t bytes_out, std::string_view request_id, std::string_view note);

  Server::Impl& server_;
  const Server::Options& opts_;
  Worker& worker_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::string remote_;
  std::unique_ptr<char[]> scratch_;
  std::chrono::milliseconds check_interval_;
  SteadyClock::time_point deadline_ = SteadyClock::time_point::max();
  SteadyClock::time_point armed_ = SteadyClock::time_point::max();
  bool io_active_ = false;
  bool timed_out_ = false;
  bool closed_ = false;
  bool idle_ = false;
};

// ---------------------------------------------------------------------------
// BodyReader

class ServerBodyReader final : public BodyReader {
 public:
  ServerBodyReader(Connection& c, RequestParser& parser, const Request& req, bool expect_continue)
      : c_(c), parser_(parser), expect_continue_(expect_continue) {
    chunked_ = !req.content_length.has_value();
    remaining_ = req.content_length.value_or(0);
    done_ = !chunked_ && remaining_ == 0;
  }
  void set_writer(const ServerResponseWriter* w) { writer_ = w; }

  asio::awaitable<Result<size_t>> Read(std::span<char> buf) override;

  bool done() const { return done_; }
  bool failed() const { return !error_.ok(); }
  uint64_t bytes_read() const { return bytes_read_; }
  // Whether the connection can carry another request once the handler is
  // done: the body is complete, or its remainder is short and will come.
  bool CanFinishBody() const {
    if (done_) return true;
    if (failed() || chunked_) return false;
    if (expect_continue_ && !continue_sent_) return false;  // the client may never send it
    return remaining_ <= c_.options().max_drain_bytes;
  }
  // Reads and discards the rest of the body. False if that failed.
  asio::awaitable<bool> Drain() {
    std::span<char> scratch = c_.Scratch();
    while (!done_) {
      Result<size_t> n = co_await Read(scratch);
      if (!n.ok()) co_return false;
    }
    co_return true;
  }

 private:
  Status Fail(const error_code& ec) {
    if (ec == asio::error::eof || ec == bhttp::error::partial_message ||
        ec == bhttp::error::end_of_stream) {
      error_ =
          InvalidArgument("the request body ended before its declared length", "IncompleteBody");
    } else if (c_.timed_out()) {
      error_ = Unavailable("the client did not send the request body in time", "RequestTimeout");
    } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_chunk).category()) {
      error_ = InvalidArgument("malformed chunked request body: " + ec.message());
    } else {
      error_ = Unavailable("reading the request body: " + ec.message());
    }
    return error_;
  }
  bool HeadSent() const;

  Connection& c_;
  RequestParser& parser_;
  const ServerResponseWriter* writer_ = nullptr;
  bool chunked_ = false;
  bool expect_continue_ = false;
  bool continue_sent_ = false;
  bool done_ = false;
  uint64_t remaining_ = 0;  // Content-Length bodies
  uint64_t bytes_read_ = 0;
  Status error_;
};

asio::awaitable<Result<size_t>> ServerBodyReader::Read(std::span<char> buf) {
  if (!c_.OnOwnThread()) {
    co_return Internal("BodyReader::Read called off the connection's I/O thread");
  }
  if (!error_.ok()) co_return error_;
  if (done_) co_return size_t{0};
  if (buf.empty()) co_return Internal("BodyReader::Read called with an empty buffer");

  if (expect_continue_ && !continue_sent_) {
    continue_sent_ = true;
    // A 100 after the final response's head would be out of order; the
    // client sends the body on its own after its wait in that case.
    if (!HeadSent()) {
      error_code ec = co_await c_.WriteAll(asio::buffer(kContinue.data(), kContinue.size()));
      if (ec) co_return Fail(ec);
    }
  }

  if (!chunked_) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), remaining_));
    size_t got = 0;
    beast::flat_buffer& pending = c_.buffer();
    if (pending.size() > 0) {
      got = asio::buffer_copy(asio::buffer(buf.data(), want), pending.data());
      pending.consume(got);
    }
    error_code ec;
    if (got < want) {
      c_.SetDeadline(c_.options().io_timeout);
      auto [read_ec, n] = co_await asio::async_read(
          c_.socket(), asio::buffer(buf.data() + got, want - got), kUseTuple);
      c_.ClearDeadline();
      ec = read_ec;
      got += n;
    }
    remaining_ -= got;
    bytes_read_ += got;
    if (remaining_ == 0) done_ = true;
    if (ec) {
      Status s = Fail(ec);
      if (got == 0) co_return s;  // otherwise the error comes with the next Read()
    }
    co_return got;
  }

  auto& body = parser_.get().body();
  body.data = buf.data();
  body.size = buf.size();
  body.more = true;
  c_.SetDeadline(c_.options().io_timeout);
  auto [ec, n] = co_await bhttp::async_read(c_.socket(), c_.buffer(), parser_, kUseTuple);
  c_.ClearDeadline();
  size_t got = buf.size() - body.size;
  body.data = nullptr;
  body.size = 0;
  bytes_read_ += got;
  if (ec == bhttp::error::need_buffer) ec = {};
  if (!ec && parser_.is_done()) done_ = true;
  if (ec) {
    Status s = Fail(ec);
    if (got == 0) co_return s;
  }
  co_return got;
}

// ---------------------------------------------------------------------------
// ResponseWriter

class ServerResponseWriter final : public ResponseWriter {
 public:
  ServerResponseWriter(Connection& c, const Request& req, unsigned version, bool request_keep_alive,
                       ServerBodyReader& reader)
      : c_(c),
        reader_(reader),
        version_(version),
        request_keep_alive_(request_keep_alive),
        is_head_(req.method == "HEAD") {}

  asio::awaitable<Status> Begin(ResponseHead head) override;
  asio::awaitable<Status> Write(std::string_view data) override;
  asio::awaitable<Status> Finish() override;
  asio::awaitable<Status> WriteFile(int fd, uint64_t offset, uint64_t length) override;
  bool begun() const override { return begun_; }

  // The response must be the last on this connection.
  void ForceClose() { force_close_ = true; }
  bool finished() const { return finished_; }
  bool keep_alive() const { return keep_alive_; }
  bool head_sent() const { return head_sent_; }
  int status() const { return status_; }
  uint64_t bytes_written() const { return bytes_written_; }
  const std::string& request_id() const { return request_id_; }

 private:
  enum class Framing { kNone, kLength, kChunked, kUntilClose };

  Status Check(std::string_view what, uint64_t length);
  // Sends the pending head (if any), then `parts`; `body_bytes` of them are body.
  asio::awaitable<Status> Send(std::span<const asio::const_buffer> parts, uint64_t body_bytes);
  // Sends bytes with MSG_MORE: more follow at once (sendfile), so the kernel
  // packs them with what comes next.
  asio::awaitable<Status> SendMore(std::string_view bytes);
  asio::awaitable<Status> Sendfile(int fd, uint64_t offset, uint64_t length);
  Status Broken(std::string_view what, const error_code& ec) {
    error_ = Unavailable(std::string(what) + ": " + ec.message());
    return error_;
  }

  Connection& c_;
  ServerBodyReader& reader_;
  unsigned version_;
  bool request_keep_alive_;
  bool is_head_;
  bool force_close_ = false;
  bool begun_ = false;
  bool finished_ = false;
  bool keep_alive_ = false;
  bool head_sent_ = false;
  Framing framing_ = Framing::kNone;
  int status_ = 0;
  uint64_t remaining_ = 0;  // kLength: body bytes still owed
  uint64_t bytes_written_ = 0;
  std::string head_;
  std::string request_id_;
  Status error_;
};

bool ServerBodyReader::HeadSent() const { return writer_ != nullptr && writer_->head_sent(); }

asio::awaitable<Status> ServerResponseWriter::Begin(ResponseHead head) {
  if (!c_.OnOwnThread()) {
    co_return Internal("ResponseWriter::Begin called off the connection's I/O thread");
  }
  if (begun_) co_return Internal("ResponseWriter::Begin called twice");
  if (head.status < 200 || head.status > 999) {
    co_return Internal("ResponseWriter::Begin: bad status " + std::to_string(head.status));
  }
  begun_ = true;
  status_ = head.status;

  bool close = force_close_ || !request_keep_alive_ || c_.stopping() || !reader_.CanFinishBody();
  bool has_date = false, has_server = false;
  head_.clear();
  head_.reserve(256 + head.headers.fields().size() * 64);
  head_ += "HTTP/1.1 ";
  head_ += std::to_string(head.status);
  head_ += ' ';
  auto reason = bhttp::obsolete_reason(bhttp::int_to_status(static_cast<unsigned>(head.status)));
  if (bhttp::int_to_status(static_cast<unsigned>(head.status)) != bhttp::status::unknown) {
    head_.append(reason.data(), reason.size());
  }
  head_ += "\r\n";
  for (const auto& [name, value] : head.headers.fields()) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) continue;
    if (EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "transfer-encoding")) {
      continue;
    }
    if (EqualsIgnoreCase(name, "connection")) {
      if (HasCloseToken(value)) close = true;
      continue;
    }
    if (EqualsIgnoreCase(name, "date")) has_date = true;
    if (EqualsIgnoreCase(name, "server")) has_server = true;
    if (request_id_.empty() && EqualsIgnoreCase(name, "x-amz-request-id")) request_id_ = value;
    AppendHeader(head_, name, value);
  }
  if (!has_date) AppendHeader(head_, "Date", HttpDateNow());
  if (!has_server) AppendHeader(head_, "Server", "tarn");

  if (head.status == 204 || head.status == 304) {
    framing_ = Framing::kNone;
  } else if (head.content_length) {
    head_ += "Content-Length: ";
    head_ += std::to_string(*head.content_length);
    head_ += "\r\n";
    framing_ = is_head_ ? Framing::kNone : Framing::kLength;
    remaining_ = *head.content_length;
  } else if (is_head_) {
    framing_ = Framing::kNone;
  } else if (version_ >= 11) {
    head_ += "Transfer-Encoding: chunked\r\n";
    framing_ = Framing::kChunked;
  } else {
    framing_ = Framing::kUntilClose;  // HTTP/1.0 has no chunked encoding
    close = true;
  }
  if (close) {
    head_ += "Connection: close\r\n";
  } else if (version_ < 11) {
    head_ += "Connection: keep-alive\r\n";
  }
  head_ += "\r\n";
  keep_alive_ = !close;
  co_return Status();
}

Status ServerResponseWriter::Check(std::string_view what, uint64_t length) {
  if (!c_.OnOwnThread()) {
    return Internal("ResponseWriter::" + std::string(what) +
                    " called off the connection's I/O thread");
  }
  if (!begun_) return Internal("ResponseWriter::" + std::string(what) + " before Begin");
  if (finished_) return Internal("ResponseWriter::" + std::string(what) + " after Finish");
  if (!error_.ok()) return error_;
  if (framing_ == Framing::kLength && length > remaining_) {
    error_ = Internal("response body longer than its Content-Length");
    return error_;
  }
  return Status();
}

asio::awaitable<Status> ServerResponseWriter::Send(std::span<const asio::const_buffer> parts,
                                                   uint64_t body_bytes) {
  std::array<asio::const_buffer, 5> buffers;
  size_t count = 0;
  if (!head_sent_) buffers[count++] = asio::buffer(head_);
  for (const auto& p : parts) buffers[count++] = p;
  error_code ec = co_await c_.WriteAll(std::span<const asio::const_buffer>(buffers.data(), count));
  if (ec) co_return Broken("writing the response", ec);
  head_sent_ = true;
  bytes_written_ += body_bytes;
  if (framing_ == Framing::kLength) remaining_ -= body_bytes;
  co_return Status();
}

asio::awaitable<Status> ServerResponseWriter::Write(std::string_view data) {
  TARN_CO_RETURN_IF_ERROR(Check("Write", data.size()));
  if (framing_ == Framing::kNone || data.empty()) co_return Status();
  if (framing_ == Framing::kChunked) {
    char line[24];
    int n = std::snprintf(line, sizeof line, "%zx\r\n", data.size());
    std::array<asio::const_buffer, 3> parts = {asio::buffer(line, static_cast<size_t>(n)),
                                               asio::buffer(data.data(), data.size()),
                                               asio::buffer("\r\n", 2)};
    co_return co_await Send(parts, data.size());
  }
  std::array<asio::const_buffer, 1> parts = {asio::buffer(data.data(), data.size())};
  co_return co_await Send(parts, data.size());
}

asio::awaitable<Status> ServerResponseWriter::Finish() {
  if (!c_.OnOwnThread()) {
    co_return Internal("ResponseWriter::Finish called off the connection's I/O thread");
  }
  if (!begun_) co_return Internal("ResponseWriter::Finish before Begin");
  if (finished_) co_return Internal("ResponseWriter::Finish called twice");
  if (!error_.ok()) co_return error_;
  if (framing_ == Framing::kLength && remaining_ > 0) {
    error_ = Internal("response body shorter than its Content-Length (" +
                      std::to_string(remaining_) + " bytes missing)");
    co_return error_;
  }
  if (framing_ == Framing::kChunked) {
    std::array<asio::const_buffer, 1> parts = {asio::buffer("0\r\n\r\n", 5)};
    TARN_CO_RETURN_IF_ERROR(co_await Send(parts, 0));
  } else if (!head_sent_) {
    TARN_CO_RETURN_IF_ERROR(co_await Send({}, 0));
  }
  finished_ = true;
  co_return Status();
}

asio::awaitable<Status> ServerResponseWriter::WriteFile(int fd, uint64_t offset, uint64_t length) {
  TARN_CO_RETURN_IF_ERROR(Check("WriteFile", length));
  if (framing_ == Framing::kNone || length == 0) co_return Status();
  if (length < kSendfileMinBytes) {
    // Small: one pread and one writev with the head beats two sends.
    co_return co_await ResponseWriter::WriteFile(fd, offset, length);
  }
  std::string prefix;
  if (!head_sent_) prefix = head_;
  if (framing_ == Framing::kChunked) {
    char line[24];
    int n = std::snprintf(line, sizeof line, "%llx\r\n", static_cast<unsigned long long>(length));
    prefix.append(line, static_cast<size_t>(n));
  }
  if (!prefix.empty()) {
    TARN_CO_RETURN_IF_ERROR(co_await SendMore(prefix));
    head_sent_ = true;
  }
  TARN_CO_RETURN_IF_ERROR(co_await Sendfile(fd, offset, length));
  if (framing_ == Framing::kChunked) {
    error_code ec = co_await c_.WriteAll(asio::buffer("\r\n", 2));
    if (ec) co_return Broken("writing the response", ec);
  }
  co_return Status();
}

asio::awaitable<Status> ServerResponseWriter::SendMore(std::string_view bytes) {
  tcp::socket& socket = c_.socket();
  size_t sent = 0;
  while (sent < bytes.size()) {
    c_.SetDeadline(c_.options().io_timeout);
    auto [ec, n] = co_await socket.async_send(
        asio::buffer(bytes.data() + sent, bytes.size() - sent), MSG_MORE, kUseTuple);
    c_.ClearDeadline();
    if (ec) co_return Broken("writing the response", ec);
    sent += n;
  }
  co_return Status();
}

asio::awaitable<Status> ServerResponseWriter::Sendfile(int fd, uint64_t offset, uint64_t length) {
  tcp::socket& socket = c_.socket();
  off_t pos = static_cast<off_t>(offset);
  uint64_t left = length;
  while (left > 0) {
    if (!socket.is_open()) co_return Broken("writing the response", asio::error::bad_descriptor);
    size_t want = static_cast<size_t>(std::min<uint64_t>(left, 1u << 30));
    ssize_t n = ::sendfile(socket.native_handle(), fd, &pos, want);
    if (n > 0) {
      left -= static_cast<uint64_t>(n);
      bytes_written_ += static_cast<uint64_t>(n);
      if (framing_ == Framing::kLength) remaining_ -= static_cast<uint64_t>(n);
      continue;
    }
    if (n == 0) {
      error_ = IOError("WriteFile: the file ends before the requested range");
      co_return error_;
    }
    int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EWOULDBLOCK) {
      c_.SetDeadline(c_.options().io_timeout);
      auto [ec] = co_await socket.async_wait(tcp::socket::wait_write, kUseTuple);
      c_.ClearDeadline();
      if (ec) co_return Broken("writing the response", ec);
      continue;
    }
    if ((err == EINVAL || err == ENOSYS) && left == length) {
      // This fd cannot be sent from (not a regular file): copy instead.
      // Nothing of the range went out, so the framing written is intact.
      break;
    }
    if (err == EIO || err == EINVAL || err == EOVERFLOW || err == ESPIPE || err == EBADF) {
      error_ = ErrnoStatus("sendfile", err);
      co_return error_;
    }
    co_return Broken("writing the response", error_code(err, boost::system::system_category()));
  }
  if (left == 0) co_return Status();
  // Fallback copy of the whole range, written raw (the chunk line, if any,
  // is already out).
  std::span<char> scratch = c_.Scratch();
  while (left > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(left, scratch.size()));
    ssize_t n = ::pread(fd, scratch.data(), want, pos);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error_ = ErrnoStatus("pread", errno);
      co_return error_;
    }
    if (n == 0) {
      error_ = IOError("WriteFile: the file ends before the requested range");
      co_return error_;
    }
    error_code ec = co_await c_.WriteAll(asio::buffer(scratch.data(), static_cast<size_t>(n)));
    if (ec) co_return Broken("writing the response", ec);
    pos += n;
    left -= static_cast<uint64_t>(n);
    bytes_written_ += static_cast<uint64_t>(n);
    if (framing_ == Framing::kLength) remaining_ -= static_cast<uint64_t>(n);
  }
  co_return Status();
}

// ---------------------------------------------------------------------------
// Connection

void Connection::Close() {
  closed_ = true;
  timer_.cancel();
  error_code ec;
  socket_.close(ec);
}

void Connection::LogRequest(const Request& req, SteadyClock::time_point start, int status,
                            uint64_t bytes_in, uint64_t bytes_out, std::string_view request_id,
                            std::string_view note) {
  if (!opts_.log_requests || GetLogLevel() > LogLevel::Info) return;
  double ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
  char ms_text[32];
  std::snprintf(ms_text, sizeof ms_text, "%.3f", ms);
  LogLine line(LogLevel::Info, "request");
  line.Kv("method", req.method)
      .Kv("path", req.path)
      .Kv("status", status)
      .Kv("bytes_in", bytes_in)
      .Kv("bytes_out", bytes_out)
      .Kv("ms", std::string_view(ms_text))
      .Kv("remote", remote_);
  if (!request_id.empty()) line.Kv("request_id", request_id);
  if (!note.empty()) line.Kv("note", note);
}

asio::awaitable<Next> Connection::ServeOne() {
  RequestParser parser;
  ConfigureRequestParser(parser, opts_.max_header_bytes);

  SetDeadline(opts_.header_timeout);
  auto [ec, n] = co_await bhttp::async_read_header(socket_, buffer_, parser, kUseTuple);
  ClearDeadline();
  EnforceHeadLimit(n, opts_.max_header_bytes, ec);
  if (ec) {
    int status = HeadErrorStatus(ec);
    if (status == 0) co_return Next::kAbort;  // closed, reset, timed out or shut down
    std::string_view reason = status == 431 ? "Request Header Fields Too Large" : "Bad Request";
    if (opts_.log_requests) {
      TARN_LOG(Info, "request")
          .Kv("status", status)
          .Kv("error", ec.message())
          .Kv("remote", remote_);
    }
    std::string response = MinimalResponse(status, reason, false);
    buffer_.consume(buffer_.size());
    error_code wec = co_await WriteAll(asio::buffer(response));
    co_return wec ? Next::kAbort : Next::kLingerClose;
  }

  auto& msg = parser.get();
  Request req;
  SteadyClock::time_point start = SteadyClock::now();
  req.received_at_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(start.time_since_epoch()).count();
  FillRequestHead(parser, req);
  req.remote_address = remote_;
  unsigned version = msg.version();
  bool expect_continue = false;
  if (version >= 11) {
    const std::string* expect = req.headers.Get("expect");
    expect_continue = expect != nullptr && EqualsIgnoreCase(*expect, "100-continue");
  }

  ServerBodyReader reader(*this, parser, req, expect_continue);
  ServerResponseWriter writer(*this, req, version, msg.keep_alive(), reader);
  reader.set_writer(&writer);

  bool threw = false;
  try {
    co_await server_.handler(req, reader, writer);
  } catch (const std::exception& e) {
    threw = true;
    TARN_LOG(Error, "http handler threw")
        .Kv("method", req.method)
        .Kv("path", req.path)
        .Kv("error", e.what());
  } catch (...) {
    threw = true;
    TARN_LOG(Error, "http handler threw").Kv("method", req.method).Kv("path", req.path);
  }

  Next next = Next::kKeepAlive;
  std::string_view note;
  if (!OnOwnThread()) {
    // The handler finished somewhere else; the connection's state belongs to
    // this worker, so give up on it rather than race.
    note = "handler returned off its I/O thread";
    next = Next::kAbort;
  } else if (!writer.begun()) {
    note = threw ? "handler threw before responding" : "handler did not respond";
    writer.ForceClose();
    ResponseHead head;
    head.status = 500;
    head.content_length = 0;
    Status s = co_await writer.Begin(std::move(head));
    if (s.ok()) s = co_await writer.Finish();
    next = s.ok() ? (reader.done() ? Next::kClose : Next::kLingerClose) : Next::kAbort;
  } else if (!writer.finished()) {
    note = threw ? "handler threw mid-response" : "handler did not finish the response";
    next = Next::kAbort;
  } else if (reader.failed()) {
    next = Next::kAbort;
  } else if (!writer.keep_alive()) {
    next = reader.done() ? Next::kClose : Next::kLingerClose;
  } else if (!reader.done()) {
    if (!reader.CanFinishBody()) {
      next = Next::kLingerClose;
    } else if (!co_await reader.Drain()) {
      next = Next::kAbort;
    }
  }
  LogRequest(req, start, writer.begun() ? writer.status() : 500, reader.bytes_read(),
             writer.bytes_written(), writer.request_id(), note);
  co_return next;
}

asio::awaitable<void> Connection::LingeringClose() {
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  buffer_.consume(buffer_.size());
  std::span<char> scratch = Scratch();
  auto until = SteadyClock::now() + kLingerTime;
  uint64_t discarded = 0;
  while (discarded < kLingerBytes) {
    auto left = until - SteadyClock::now();
    if (left <= SteadyClock::duration::zero()) break;
    SetDeadline(std::chrono::duration_cast<std::chrono::milliseconds>(left) +
                std::chrono::milliseconds(1));
    auto [rec, n] = co_await socket_.async_read_some(asio::buffer(scratch), kUseTuple);
    ClearDeadline();
    if (rec) break;
    discarded += n;
  }
}

asio::awaitable<void> Connection::Run() {
  ArmWatchdog(SteadyClock::now() + check_interval_);
  Next next = Next::kAbort;
  try {
    for (;;) {
      if (buffer_.size() == 0) {
        if (stopping()) break;
        idle_ = true;
        SetDeadline(opts_.idle_timeout);
        auto [ec, n] =
            co_await socket_.async_read_some(buffer_.prepare(kFirstReadBytes), kUseTuple);
        ClearDeadline();
        idle_ = false;
        if (ec) break;  // closed by the client, idle timeout or shutdown
        buffer_.commit(n);
      }
      next = co_await ServeOne();
      if (next != Next::kKeepAlive) break;
    }
  } catch (const std::exception& e) {
    TARN_LOG(Warn, "http connection failed").Kv("remote", remote_).Kv("error", e.what());
    next = Next::kAbort;
  }
  if (next == Next::kLingerClose) {
    try {
      co_await LingeringClose();
    } catch (...) {
    }
  }
  Close();
}

asio::awaitable<void> Connection::RejectOverloaded() {
  ArmWatchdog(SteadyClock::now() + check_interval_);
  try {
    std::string response = MinimalResponse(503, "Service Unavailable", true);
    error_code ec = co_await WriteAll(asio::buffer(response));
    if (!ec) co_await LingeringClose();
  } catch (...) {
  }
  Close();
}

asio::awaitable<void> RunConnection(Server::Impl* server, Worker* worker, tcp::socket socket,
                                    bool overflow) {
  try {
    auto c = std::make_shared<Connection>(*server, *worker, std::move(socket));
    worker->connections.insert(c.get());
    if (overflow) {
      co_await c->RejectOverloaded();
    } else {
      co_await c->Run();
    }
    worker->connections.erase(c.get());
  } catch (const std::exception& e) {
    TARN_LOG(Error, "http connection failed").Kv("error", e.what());
  }
  server->ConnectionDone(overflow);
}

}  // namespace

// ---------------------------------------------------------------------------
// Server

asio::awaitable<void> Server::Impl::AcceptLoop() {
  for (;;) {
    Worker& worker = *workers[next_worker++ % workers.size()];
    auto [ec, socket] = co_await acceptor->async_accept(worker.ioc, kUseTuple);
    if (stopping.load()) break;
    if (ec) {
      if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) break;
      // Out of descriptors or memory: back off instead of spinning.
      TARN_LOG(Warn, "http accept failed").Kv("error", ec.message());
      accept_wait->expires_after(std::chrono::milliseconds(50));
      co_await accept_wait->async_wait(kUseTuple);
      continue;
    }
    bool reject = false;
    {
      std::lock_guard lock(mu);
      if (active >= options.max_connections) {
        if (overflow >= kMaxOverflowConnections) {
          error_code ignored;
          socket.close(ignored);
          continue;
        }
        reject = true;
        overflow++;
      } else {
        active++;
      }
    }
    asio::co_spawn(worker.ioc, RunConnection(this, &worker, std::move(socket), reject),
                   asio::detached);
  }
}

void Server::Impl::ConnectionDone(bool was_overflow) {
  {
    std::lock_guard lock(mu);
    if (was_overflow) {
      overflow--;
    } else {
      active--;
    }
  }
  cv.notify_all();
}

void Server::Impl::DoShutdown(std::chrono::milliseconds grace) {
  std::lock_guard shutdown_lock(shutdown_mu);
  if (shut_down) return;
  auto deadline = SteadyClock::now() + grace;
  stopping.store(true);
  asio::post(workers[0]->ioc, [this] {
    error_code ec;
    acceptor->close(ec);
    accept_wait->cancel();
  });
  for (auto& w : workers) {
    asio::post(w->ioc, [w = w.get()] {
      for (Connection* c : w->connections) c->OnShutdown();
    });
  }
  auto all_closed = [this] { return active == 0 && overflow == 0; };
  {
    std::unique_lock lock(mu);
    cv.wait_until(lock, deadline, all_closed);
  }
  for (auto& w : workers) {
    asio::post(w->ioc, [w = w.get()] {
      for (Connection* c : w->connections) c->ForceClose();
    });
    // With no connections left, run() returns on its own.
    asio::post(w->ioc, [w = w.get()] { w->guard.reset(); });
  }
  {
    // Aborted connections unwind at once unless a handler is stuck in work
    // that ignores its socket; do not wait for those forever.
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(1), all_closed);
  }
  for (auto& w : workers) w->ioc.stop();
  shut_down = true;
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  Shutdown(std::chrono::milliseconds(0));
  Wait();
}

uint16_t Server::port() const { return impl_->port; }

size_t Server::connection_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->active + impl_->overflow;
}

void Server::Shutdown(std::chrono::milliseconds grace) {
  // At once, so that a response begun after this call says Connection: close.
  impl_->stopping.store(true);
  if (impl_->OnIoThread()) {
    std::lock_guard lock(impl_->join_mu);
    if (!impl_->shutdown_helper.joinable()) {
      impl_->shutdown_helper =
          std::thread([impl = impl_.get(), grace] { impl->DoShutdown(grace); });
    }
    return;
  }
  impl_->DoShutdown(grace);
}

void Server::Wait() {
  for (auto& w : impl_->workers) {
    if (w->thread.joinable() && w->thread.get_id() != std::this_thread::get_id()) w->thread.join();
  }
  std::lock_guard lock(impl_->join_mu);
  if (impl_->shutdown_helper.joinable()) impl_->shutdown_helper.join();
}

Result<std::unique_ptr<Server>> Server::Start(Options options, Handler handler) {
  if (!handler) return InvalidArgument("http server needs a handler");
  if (options.max_header_bytes < 1024) return InvalidArgument("max_header_bytes below 1 KiB");
  if (options.max_connections == 0) return InvalidArgument("max_connections is 0");
  ::signal(SIGPIPE, SIG_IGN);

  auto impl = std::make_unique<Impl>();
  int threads = options.io_threads > 0
                    ? options.io_threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  impl->options = std::move(options);
  impl->handler = std::move(handler);
  for (int i = 0; i < threads; i++) {
    auto w = std::make_unique<Worker>();
    w->guard.emplace(w->ioc.get_executor());
    impl->workers.push_back(std::move(w));
  }
  const Options& opts = impl->options;
  std::string where = opts.host + ":" + std::to_string(opts.port);
  try {
    asio::io_context& ioc = impl->workers[0]->ioc;
    error_code ec;
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(opts.host, std::to_string(opts.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) {
      return InvalidArgument("cannot resolve listen address " + where + ": " + ec.message());
    }
    tcp::endpoint endpoint = results.begin()->endpoint();
    impl->acceptor = std::make_unique<tcp::acceptor>(ioc);
    impl->accept_wait = std::make_unique<asio::steady_timer>(ioc);
    impl->acceptor->open(endpoint.protocol(), ec);
    if (!ec) impl->acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) impl->acceptor->bind(endpoint, ec);
    if (!ec) impl->acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Unavailable("cannot listen on " + where + ": " + ec.message());
    impl->port = impl->acceptor->local_endpoint(ec).port();
    if (ec) return Unavailable("cannot listen on " + where + ": " + ec.message());
  } catch (const std::exception& e) {
    return Unavailable("cannot listen on " + where + ": " + e.what());
  }

  Impl* raw = impl.get();
  asio::co_spawn(raw->workers[0]->ioc, raw->AcceptLoop(), asio::detached);
  for (auto& w : raw->workers) {
    Worker* worker = w.get();
    worker->thread = std::thread([raw, worker] {
      tl_current_server = raw;
      for (;;) {
        try {
          worker->ioc.run();
          return;
        } catch (const std::exception& e) {
          // Nothing should escape a connection coroutine; keep serving if it does.
          TARN_LOG(Error, "http I/O thread caught").Kv("error", e.what());
        }
      }
    });
  }
  TARN_LOG(Info, "http listening")
      .Kv("host", raw->options.host)
      .Kv("port", raw->port)
      .Kv("io_threads", threads);
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

}  // namespace tarn::http
