// A blocking HTTP/1.1 keep-alive client for AWS's JSON protocol that signs
// SigV4 itself (aws::SignRequest): what the load generators and timing
// clients in bench/ send requests with, so that the client's CPU is small
// next to the server's.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "aws/sigv4.h"
#include "common/encoding.h"
#include "common/hash.h"
#include "common/time.h"
#include "http/handler.h"

namespace tarn::bench {

struct Endpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string access_key;
  std::string secret_key;
  std::string region = "us-east-1";
  std::string service;        // SigV4's service name: "kinesis", "athena"
  std::string target_prefix;  // X-Amz-Target's: "Kinesis_20131202", "AmazonAthena"
};

class JsonClient {
 public:
  explicit JsonClient(Endpoint e) : e_(std::move(e)), host_(e_.host + ":" + std::to_string(e_.port)) {}
  ~JsonClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  JsonClient(const JsonClient&) = delete;
  JsonClient& operator=(const JsonClient&) = delete;

  // Sends one operation; returns the HTTP status (0 on a transport error)
  // and fills body. payload_sha256_hex may be precomputed.
  int Call(std::string_view operation, std::string_view payload, std::string* body,
           const std::string& payload_sha256_hex = "") {
    const std::string head = Head(operation, payload, payload_sha256_hex);
    iovec iov[2] = {{const_cast<char*>(head.data()), head.size()},
                    {const_cast<char*>(payload.data()), payload.size()}};
    return Exchange(iov, 2, body);
  }

  // A signed request to send many times (Send): a SigV4 signature stays
  // valid for 15 minutes, so a poll re-sends the same bytes instead of
  // signing again.
  std::string Prepare(std::string_view operation, std::string_view payload) {
    return Head(operation, payload, "") + std::string(payload);
  }
  int Send(const std::string& request, std::string* body) {
    iovec iov[1] = {{const_cast<char*>(request.data()), request.size()}};
    return Exchange(iov, 1, body);
  }

 private:
  // The request line and signed headers for `payload`.
  std::string Head(std::string_view operation, std::string_view payload,
                   const std::string& payload_sha256_hex) {
    http::Headers h;
    h.Add("Host", host_);
    h.Add("Content-Type", "application/x-amz-json-1.1");
    h.Add("X-Amz-Target", e_.target_prefix + "." + std::string(operation));
    std::string hash = payload_sha256_hex.empty() ? HexEncode(Sha256(payload)) : payload_sha256_hex;
    aws::SignRequest("POST", "/", "", h, hash, e_.access_key, e_.secret_key, e_.region, e_.service,
                     Clock::Real()->Now());
    std::string head = "POST / HTTP/1.1\r\n";
    for (const auto& [k, v] : h.fields()) head += k + ": " + v + "\r\n";
    return head + "Content-Length: " + std::to_string(payload.size()) + "\r\n\r\n";
  }

  // Writes the request and reads the answer: the HTTP status (0 on a
  // transport error), the body in `body`. A kept-alive connection the
  // server closed is opened again, once.
  int Exchange(const iovec* request, int n, std::string* body) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (fd_ < 0 && !Connect()) return 0;
      iovec iov[2];
      std::copy(request, request + n, iov);
      if (!WriteAll(iov, n)) {
        Reset();
        continue;
      }
      int status = ReadResponse(body);
      if (status == 0) {
        Reset();
        if (attempt == 0) continue;
      }
      return status;
    }
    return 0;
  }

 private:
  bool Connect() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(e_.port);
    ::inet_pton(AF_INET, e_.host.c_str(), &addr.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      Reset();
      return false;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    buf_.clear();
    return true;
  }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buf_.clear();
  }
  bool WriteAll(iovec* iov, int n) {
    while (n > 0) {
      ssize_t w = ::writev(fd_, iov, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      size_t left = static_cast<size_t>(w);
      while (n > 0 && left >= iov->iov_len) {
        left -= iov->iov_len;
        ++iov;
        --n;
      }
      if (n > 0) {
        iov->iov_base = static_cast<char*>(iov->iov_base) + left;
        iov->iov_len -= left;
      }
    }
    return true;
  }
  bool Fill() {
    char tmp[1 << 16];
    ssize_t r = ::read(fd_, tmp, sizeof tmp);
    if (r <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(r));
    return true;
  }
  int ReadResponse(std::string* body) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return 0;
    }
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    int status = 0;
    if (head.size() > 12) status = std::atoi(head.c_str() + 9);
    std::string lower = ToLower(head);
    size_t cl = lower.find("\r\ncontent-length:");
    size_t length = cl == std::string::npos ? 0 : std::strtoul(lower.c_str() + cl + 17, nullptr, 10);
    while (buf_.size() < length) {
      if (!Fill()) return 0;
    }
    body->assign(buf_, 0, length);
    buf_.erase(0, length);
    if (lower.find("\r\nconnection: close") != std::string::npos) Reset();
    return status;
  }

  const Endpoint e_;
  const std::string host_;
  int fd_ = -1;
  std::string buf_;
};

// "Member":"value" -> value (no escapes in the values we look for).
inline std::optional<std::string> JsonString(std::string_view doc, std::string_view member, size_t from = 0) {
  std::string needle = "\"" + std::string(member) + "\":\"";
  size_t a = doc.find(needle, from);
  if (a == std::string_view::npos) return std::nullopt;
  a += needle.size();
  size_t b = doc.find('"', a);
  if (b == std::string_view::npos) return std::nullopt;
  return std::string(doc.substr(a, b - a));
}

inline std::optional<int64_t> JsonInt(std::string_view doc, std::string_view member) {
  std::string needle = "\"" + std::string(member) + "\":";
  size_t a = doc.find(needle);
  if (a == std::string_view::npos) return std::nullopt;
  return std::strtoll(doc.data() + a + needle.size(), nullptr, 10);
}

}  // namespace tarn::bench
