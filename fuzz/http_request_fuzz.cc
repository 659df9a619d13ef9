// The HTTP/1.1 request parser as the server runs it (http/request_parser.h):
// the input is what a client sends on one connection, possibly several
// pipelined requests with bodies.
//
// Each input is read three ways: all bytes available at once, in random
// slices, and (for short inputs) one byte per read. The server's way of
// reading is mirrored: heads through Beast's read_header into a buffer of
// the server's capacity, chunked bodies through the same parser into the
// handler's buffer, Content-Length bodies straight from the buffer and the
// stream, the next request only on a kept-alive connection.
//
// Checks: no crash, leak or UB (ASan, UBSan, Beast's assertions); a failed
// head maps to 400, 431 or a silent close; every parsed head is well formed
// (token method, target without controls, token header names, values without
// CR, LF or NUL, path/query that rebuild the target, content_length that
// agrees with the headers); a chunked body decodes to no more bytes than
// were sent; and the outcome, a transcript of every head and body, is the
// same however the bytes were sliced: TCP segmentation must not change what
// the server accepts (a refused head may be refused with another status).
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "http/handler.h"
#include "http/request_parser.h"
#include "http/server.h"

namespace tarn::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using fuzz::Choices;

enum class Slicing { kWhole, kRandom, kBytes };

// A SyncReadStream over the input: each read_some returns the next slice.
class SliceStream {
 public:
  SliceStream(std::string_view data, Slicing slicing, Choices& choices)
      : data_(data), slicing_(slicing), choices_(choices) {}

  template <typename MutableBuffers>
  size_t read_some(const MutableBuffers& buffers, error_code& ec) {
    ec = {};
    if (pos_ == data_.size()) {
      ec = asio::error::eof;
      return 0;
    }
    size_t n = data_.size() - pos_;
    if (slicing_ == Slicing::kBytes) n = 1;
    if (slicing_ == Slicing::kRandom) n = std::min(n, choices_.Between(1, 300));
    n = asio::buffer_copy(buffers, asio::buffer(data_.data() + pos_, n));
    pos_ += n;
    return n;
  }
  template <typename MutableBuffers>
  size_t read_some(const MutableBuffers& buffers) {
    error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  std::string_view data_;
  Slicing slicing_;
  Choices& choices_;
  size_t pos_ = 0;
};

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);
    if (!ok) return false;
  }
  return true;
}

// The well-formedness of a head the server hands to its handler.
void CheckHead(const RequestParser& parser, const Request& req) {
  FUZZ_CHECK(IsToken(req.method), req.method);
  FUZZ_CHECK(!req.target.empty(), req.target);
  for (unsigned char c : req.target) FUZZ_CHECK(c > 0x20 && c != 0x7f, req.target);
  if (req.target.front() == '/') {
    std::string rebuilt = req.path;
    if (req.target.find('?') != std::string::npos) rebuilt += "?" + req.query;
    FUZZ_CHECK(rebuilt == req.target, req.target + " -> " + rebuilt);
  }
  // Content-Length fields: each a list of equal decimal numbers (RFC 9110
  // lets a recipient take "42, 42" as 42), all fields the same number.
  std::optional<uint64_t> declared;
  for (const auto& [name, value] : req.headers.fields()) {
    FUZZ_CHECK(IsToken(name), name);
    FUZZ_CHECK(value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos,
               name + ": " + value);
    if (!EqualsIgnoreCase(name, "content-length")) continue;
    std::string_view rest = value;
    while (true) {
      size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
      FUZZ_CHECK(!item.empty() && ec == std::errc() && end == item.data() + item.size(), value);
      FUZZ_CHECK(!declared || *declared == n, value);
      declared = n;
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
  }
  if (parser.chunked()) {
    FUZZ_CHECK(!req.content_length.has_value(), req.target);
    FUZZ_CHECK(req.headers.Has("transfer-encoding"), req.target);
    FUZZ_CHECK(!declared.has_value(), "chunked with a Content-Length: " + req.target);
  } else {
    FUZZ_CHECK(req.content_length == declared.value_or(0), req.target);
  }
}

// Serves the connection's requests as the server would, without handlers:
// each body is read to its end. Returns the transcript.
std::string ServeConnection(std::string_view input, Slicing slicing, size_t max_header_bytes,
                            Choices& choices) {
  SliceStream stream(input, slicing, choices);
  beast::flat_buffer buffer(RequestBufferBytes(max_header_bytes));
  std::string out;
  for (int i = 0; i < 16; i++) {
    RequestParser parser;
    ConfigureRequestParser(parser, max_header_bytes);
    error_code ec;
    size_t head_bytes = bhttp::read_header(stream, buffer, parser, ec);
    EnforceHeadLimit(head_bytes, max_header_bytes, ec);
    if (ec) {
      int status = HeadErrorStatus(ec);
      FUZZ_CHECK(status == 0 || status == 400 || status == 431, ec.message());
      // A head is refused either way; how may depend on the slicing: Beast
      // checks a start line as soon as it has bytes, but a line split across
      // reads only once the whole head is in, so "GET \x01" whole is a 400
      // and byte by byte a close at end of input.
      out += "head refused\n";
      return out;
    }
    Request req;
    FillRequestHead(parser, req);
    CheckHead(parser, req);
    out += req.method + " " + req.target + " [" + req.path + "] [" + req.query + "]\n";
    for (const auto& [name, value] : req.headers.fields()) out += name + ": " + value + "\n";
    const auto& msg = parser.get();
    out += "version " + std::to_string(msg.version()) + " keep-alive " +
           std::to_string(msg.keep_alive()) + "\n";

    // The body, read as ServerBodyReader reads it.
    std::string body;
    bool body_ok = true;
    if (!req.content_length.has_value()) {
      std::string chunk;
      while (!parser.is_done()) {
        size_t want = slicing == Slicing::kWhole   ? 256 * 1024
                      : slicing == Slicing::kBytes ? 1
                                                   : choices.Between(1, 4096);
        chunk.resize(want);
        auto& b = parser.get().body();
        b.data = chunk.data();
        b.size = chunk.size();
        b.more = true;
        bhttp::read(stream, buffer, parser, ec);
        size_t got = want - b.size;
        b.data = nullptr;
        b.size = 0;
        body.append(chunk.data(), got);
        if (ec == bhttp::error::need_buffer) ec = {};
        if (ec) {
          body_ok = false;
          break;
        }
      }
      FUZZ_CHECK(body.size() <= input.size(), std::to_string(body.size()));
    } else {
      uint64_t remaining = *req.content_length;
      size_t from_buffer = static_cast<size_t>(std::min<uint64_t>(remaining, buffer.size()));
      body.append(static_cast<const char*>(buffer.data().data()), from_buffer);
      buffer.consume(from_buffer);
      remaining -= from_buffer;
      char scratch[4096];
      while (remaining > 0) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(remaining, sizeof scratch));
        size_t n = stream.read_some(asio::buffer(scratch, want), ec);
        body.append(scratch, n);
        remaining -= n;
        if (ec) {
          body_ok = false;
          break;
        }
      }
    }
    out += "body " + std::to_string(body.size()) + (body_ok ? " ok\n" : " cut\n");
    out += body;
    out += "\n";
    if (!body_ok || !msg.keep_alive()) return out;
  }
  return out;
}

}  // namespace
}  // namespace tarn::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tarn::http;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  tarn::fuzz::Choices choices(input);
  // Mostly the server's default head limit; sometimes a small one, so that
  // short inputs reach the 431 paths too.
  size_t max_header_bytes = Server::Options{}.max_header_bytes;
  if (choices.Next() % 4 == 0) max_header_bytes = choices.Between(16, 2048);

  std::string whole = ServeConnection(input, Slicing::kWhole, max_header_bytes, choices);
  std::string sliced = ServeConnection(input, Slicing::kRandom, max_header_bytes, choices);
  FUZZ_CHECK(whole == sliced, "whole vs sliced, " + tarn::fuzz::FirstDifference(whole, sliced));
  if (size <= 512) {
    std::string bytes = ServeConnection(input, Slicing::kBytes, max_header_bytes, choices);
    FUZZ_CHECK(whole == bytes,
               "whole vs byte by byte, " + tarn::fuzz::FirstDifference(whole, bytes));
  }
  return 0;
}
