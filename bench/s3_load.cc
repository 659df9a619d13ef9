// s3_load: an S3 load generator that signs SigV4 itself.
//
//   s3_load --endpoint 127.0.0.1:PORT --bucket B --mode put --size 4096
//           --connections 16 --duration 10
//
// One thread drives every connection on an epoll loop: HTTP/1.1 keep-alive,
// one request in flight per connection, bodies sent with writev from one
// shared buffer, responses streamed through one scratch buffer. So the
// client costs a few microseconds per request and one copy per byte, and
// leaves the machine's other core to the server.
//
// Object i of a run has the key <prefix>[dNNNNN/]kNNNNNNNNN and a body whose
// first 8 bytes are i (little-endian) and whose rest is one pseudo-random
// buffer shared by all objects. GET checks status and length of every
// response, and the index and the CRC-32C of the rest of every
// --verify-every'th body, so an error page or a wrong object can never be
// counted as a success.
//
// Modes (each prints one JSON object on stdout, progress on stderr):
//   mkbucket   PUT /bucket (200, or 409 BucketAlreadyOwnedByYou)
//   put        PUT objects first.. (--ops N or --duration S)
//   get        GET objects first..first+keys-1, round-robin
//   delete     DELETE objects first..first+keys-1
//   list       ListObjectsV2 pages of --max-keys, walking the bucket with
//              continuation tokens (restarting at the end); each page timed
//   disk       bandwidth of new --size files ended by fdatasync (buffered and
//              O_DIRECT), and the 4 KiB append+fdatasync rate, in --dir
//   startup    runs the command after "--" --repeat times: time from exec to
//              the first 200 from --health-path, and VmRSS 250 ms later
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "aws/sigv4.h"
#include "common/encoding.h"
#include "common/hash.h"
#include "common/time.h"
#include "http/handler.h"

namespace tarn::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

double SecondsSince(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

[[noreturn]] void Die(const char* fmt, const char* arg = "") {
  std::fprintf(stderr, "s3_load: ");
  std::fprintf(stderr, fmt, arg);
  std::fprintf(stderr, "\n");
  std::exit(2);
}

// ---------------------------------------------------------------------------
// Options

enum class Mode { kMkBucket, kPut, kGet, kDelete, kList, kDisk, kStartup };

struct Options {
  Mode mode = Mode::kPut;
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string access_key = "tarn-bench";
  std::string secret_key = "tarn-bench-secret";
  std::string region = "us-east-1";
  std::string bucket = "bench";
  std::string prefix = "obj/";
  uint64_t dir_size = 0;  // >0: keys grouped in directories of this many
  uint64_t size = 4096;
  int connections = 16;
  double duration_s = 0;  // 0: bounded by ops
  uint64_t ops = 0;       // 0: bounded by duration
  uint64_t first = 0;
  uint64_t keys = 0;
  bool signed_payload = false;
  uint64_t verify_every = 1;
  // list
  int max_keys = 1000;
  std::string list_prefix;
  std::string delimiter;
  // disk
  std::string dir;
  // startup
  int repeat = 10;
  std::string health_path = "/_tarn/health";
  std::string server_log = "/dev/null";
  std::vector<std::string> command;
  bool quiet = false;
};

constexpr std::pair<std::string_view, Mode> kModeNames[] = {
    {"mkbucket", Mode::kMkBucket}, {"put", Mode::kPut},   {"get", Mode::kGet},
    {"delete", Mode::kDelete},     {"list", Mode::kList}, {"disk", Mode::kDisk},
    {"startup", Mode::kStartup},
};

std::optional<Mode> ModeByName(std::string_view name) {
  for (const auto& [n, m] : kModeNames) {
    if (n == name) return m;
  }
  return std::nullopt;
}

const char* ModeName(Mode mode) {
  for (const auto& [n, m] : kModeNames) {
    if (m == mode) return n.data();
  }
  return "?";
}

uint64_t ParseSize(const std::string& s) {
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  std::string unit = end ? std::string(end) : "";
  static const std::pair<std::string_view, double> kUnits[] = {
      {"", 1},        {"B", 1},         {"K", 1024.0},  {"KiB", 1024.0},
      {"M", 1 << 20}, {"MiB", 1 << 20}, {"G", 1 << 30}, {"GiB", 1 << 30},
  };
  double mult = 0;
  for (const auto& [name, m] : kUnits) {
    if (unit == name) mult = m;
  }
  if (mult == 0) Die("bad size '%s' (use 4096, 4KiB, 64MiB)", s.c_str());
  return static_cast<uint64_t>(v * mult);
}

void Usage() {
  std::fprintf(
      stderr,
      "usage: s3_load --mode mkbucket|put|get|delete|list|disk|startup [options] [-- cmd...]\n"
      "  --endpoint HOST:PORT   server (127.0.0.1 only)\n"
      "  --access-key K --secret-key S --region R   (env AWS_ACCESS_KEY_ID/...)\n"
      "  --bucket B --prefix P --dir-size N   keys P[dXXXXX/]kNNNNNNNNN\n"
      "  --size BYTES|4KiB|64MiB --connections C --duration SEC --ops N\n"
      "  --first I --keys N     object index range (get, delete)\n"
      "  --signed-payload       hash bodies (default UNSIGNED-PAYLOAD)\n"
      "  --verify-every N       GET: check index+CRC of every Nth body (1)\n"
      "  --max-keys N --list-prefix P --delimiter D   list\n"
      "  --dir DIR              disk: where to write test files\n"
      "  --repeat N --health-path P --server-log F -- cmd args   startup\n");
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  if (const char* v = std::getenv("AWS_ACCESS_KEY_ID")) o.access_key = v;
  if (const char* v = std::getenv("AWS_SECRET_ACCESS_KEY")) o.secret_key = v;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      for (++i; i < argc; ++i) o.command.emplace_back(argv[i]);
      break;
    }
    if (a == "-h" || a == "--help") {
      Usage();
      std::exit(0);
    }
    if (a == "--signed-payload") {
      o.signed_payload = true;
      continue;
    }
    if (a == "--quiet") {
      o.quiet = true;
      continue;
    }
    if (i + 1 >= argc) Die("missing value for %s", a.c_str());
    std::string v = argv[++i];
    if (a == "--mode") {
      std::optional<Mode> m = ModeByName(v);
      if (!m) Die("unknown mode '%s'", v.c_str());
      o.mode = *m;
    } else if (a == "--endpoint") {
      size_t colon = v.rfind(':');
      if (colon == std::string::npos) Die("--endpoint wants HOST:PORT, got '%s'", v.c_str());
      o.host = v.substr(0, colon);
      o.port = static_cast<uint16_t>(std::stoi(v.substr(colon + 1)));
    } else if (a == "--access-key") {
      o.access_key = v;
    } else if (a == "--secret-key") {
      o.secret_key = v;
    } else if (a == "--region") {
      o.region = v;
    } else if (a == "--bucket") {
      o.bucket = v;
    } else if (a == "--prefix") {
      o.prefix = v;
    } else if (a == "--dir-size") {
      o.dir_size = std::stoull(v);
    } else if (a == "--size") {
      o.size = ParseSize(v);
    } else if (a == "--connections") {
      o.connections = std::max(1, std::stoi(v));
    } else if (a == "--duration") {
      o.duration_s = std::stod(v);
    } else if (a == "--ops") {
      o.ops = std::stoull(v);
    } else if (a == "--first") {
      o.first = std::stoull(v);
    } else if (a == "--keys") {
      o.keys = std::stoull(v);
    } else if (a == "--verify-every") {
      o.verify_every = std::max<uint64_t>(1, std::stoull(v));
    } else if (a == "--max-keys") {
      o.max_keys = std::stoi(v);
    } else if (a == "--list-prefix") {
      o.list_prefix = v;
    } else if (a == "--delimiter") {
      o.delimiter = v;
    } else if (a == "--dir") {
      o.dir = v;
    } else if (a == "--repeat") {
      o.repeat = std::max(1, std::stoi(v));
    } else if (a == "--health-path") {
      o.health_path = v;
    } else if (a == "--server-log") {
      o.server_log = v;
    } else {
      Usage();
      Die("unknown option %s", a.c_str());
    }
  }
  return o;
}

// ---------------------------------------------------------------------------
// Statistics

struct Stats {
  uint64_t ops = 0;
  uint64_t errors = 0;
  uint64_t verified = 0;
  uint64_t bytes = 0;    // object bodies moved (list: response bytes)
  uint64_t entries = 0;  // list: keys + common prefixes seen
  std::vector<uint32_t> latency_us;
  double seconds = 0;
};

double Percentile(std::vector<uint32_t>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(q * static_cast<double>(v.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1] / 1000.0;
}

void PrintStats(const char* mode, Stats& s, const Options& o) {
  double secs = s.seconds > 0 ? s.seconds : 1e-9;
  double p50 = Percentile(s.latency_us, 0.50);
  double p99 = Percentile(s.latency_us, 0.99);
  double max = s.latency_us.empty() ? 0 : s.latency_us.back() / 1000.0;
  std::printf("{\"mode\":\"%s\",\"connections\":%d,\"size\":%" PRIu64 ",\"ops\":%" PRIu64
              ",\"errors\":%" PRIu64 ",\"verified\":%" PRIu64 ",\"bytes\":%" PRIu64
              ",\"seconds\":%.3f,\"ops_per_s\":%.1f,\"mib_per_s\":%.1f,\"p50_ms\":%.3f,"
              "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"entries_per_op\":%.1f}\n",
              mode, o.connections, o.size, s.ops, s.errors, s.verified, s.bytes, s.seconds,
              static_cast<double>(s.ops) / secs,
              static_cast<double>(s.bytes) / secs / (1024.0 * 1024.0), p50, p99, max,
              s.ops ? static_cast<double>(s.entries) / static_cast<double>(s.ops) : 0.0);
  std::fflush(stdout);
  if (!o.quiet) {
    std::fprintf(stderr,
                 "s3_load: %s: %" PRIu64 " ops, %" PRIu64
                 " errors in %.2fs: %.0f ops/s, "
                 "%.1f MiB/s, p50 %.2f ms, p99 %.2f ms\n",
                 mode, s.ops, s.errors, s.seconds, static_cast<double>(s.ops) / secs,
                 static_cast<double>(s.bytes) / secs / (1024.0 * 1024.0), p50, p99);
  }
}

// ---------------------------------------------------------------------------
// Object bodies and keys

class Bodies {
 public:
  explicit Bodies(uint64_t size) : size_(size), data_(size) {
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (uint64_t i = 0; i < size; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      data_[i] = static_cast<char>(x);
    }
    if (size > 8) tail_crc_ = Crc32c(0, std::string_view(data_.data() + 8, size - 8));
  }
  uint64_t size() const { return size_; }
  size_t prefix_len() const { return static_cast<size_t>(std::min<uint64_t>(8, size_)); }
  // The first min(8, size) bytes of object `index`.
  static void Prefix(uint64_t index, char out[8]) {
    for (int b = 0; b < 8; ++b) out[b] = static_cast<char>(index >> (8 * b));
  }
  std::string_view tail() const {
    return size_ > 8 ? std::string_view(data_.data() + 8, size_ - 8) : std::string_view();
  }
  uint32_t tail_crc() const { return tail_crc_; }
  std::string Sha256Hex(uint64_t index) const {
    char p[8];
    Prefix(index, p);
    Digest d(DigestKind::kSha256);
    d.Update(std::string_view(p, prefix_len()));
    d.Update(tail());
    return HexEncode(d.Final());
  }

 private:
  uint64_t size_;
  std::vector<char> data_;
  uint32_t tail_crc_ = 0;
};

std::string KeyFor(const Options& o, uint64_t index) {
  char buf[64];
  if (o.dir_size > 0) {
    std::snprintf(buf, sizeof buf, "d%05" PRIu64 "/k%09" PRIu64, index / o.dir_size, index);
  } else {
    std::snprintf(buf, sizeof buf, "k%09" PRIu64, index);
  }
  return o.prefix + buf;
}

// ---------------------------------------------------------------------------
// SigV4: the signing key is derived once per day, so a request costs one
// SHA-256 of its canonical form and one HMAC.

class Signer {
 public:
  explicit Signer(const Options& o) : o_(o) { host_ = o.host + ":" + std::to_string(o.port); }
  const std::string& host() const { return host_; }

  // The signed header lines (each ending in CRLF) for one request.
  std::string HeaderLines(std::string_view method, std::string_view path, std::string_view query,
                          std::string_view payload_hash) {
    UnixMillis now = Clock::Real()->Now();
    if (now / 1000 != date_second_) {
      date_second_ = now / 1000;
      amz_date_ = FormatAmzDate(now);
      std::string day = amz_date_.substr(0, 8);
      if (day != day_) {
        day_ = day;
        key_ = aws::DeriveSigningKey(o_.secret_key, day_, o_.region, "s3");
        scope_ = day_ + "/" + o_.region + "/s3/aws4_request";
      }
    }
    http::Headers h;
    h.Add("host", host_);
    h.Add("x-amz-content-sha256", std::string(payload_hash));
    h.Add("x-amz-date", amz_date_);
    static constexpr std::string_view kSigned = "host;x-amz-content-sha256;x-amz-date";
    std::string canonical =
        aws::CanonicalRequest(method, path, query, h, kSigned, payload_hash, "s3", false);
    std::string signature =
        HexEncode(HmacSha256(key_, aws::StringToSign(amz_date_, scope_, canonical)));
    std::string out;
    out.reserve(320);
    out += "Host: " + host_ + "\r\n";
    out += "x-amz-content-sha256: ";
    out += payload_hash;
    out += "\r\nx-amz-date: " + amz_date_ + "\r\n";
    out += "Authorization: AWS4-HMAC-SHA256 Credential=" + o_.access_key + "/" + scope_ +
           ", SignedHeaders=" + std::string(kSigned) + ", Signature=" + signature + "\r\n";
    return out;
  }

 private:
  const Options& o_;
  std::string host_;
  int64_t date_second_ = -1;
  std::string amz_date_, day_, key_, scope_;
};

int ConnectTcp(const std::string& host, uint16_t port, bool nonblocking) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
    Die("bad IPv4 host '%s'", host.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (nonblocking) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

// Finds `tag`'s text in a small XML document, entities decoded.
std::optional<std::string> XmlText(std::string_view xml, std::string_view tag) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  size_t a = xml.find(open);
  if (a == std::string_view::npos) return std::nullopt;
  a += open.size();
  size_t b = xml.find(close, a);
  if (b == std::string_view::npos) return std::nullopt;
  std::string_view raw = xml.substr(a, b - a);
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '&') {
      out += raw[i];
      continue;
    }
    static const std::pair<std::string_view, char> kEntities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    bool done = false;
    for (auto& [name, ch] : kEntities) {
      if (raw.substr(i, name.size()) == name) {
        out += ch;
        i += name.size() - 1;
        done = true;
        break;
      }
    }
    if (!done) out += '&';
  }
  return out;
}

size_t CountOf(std::string_view s, std::string_view needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != std::string_view::npos;
       p = s.find(needle, p + needle.size()))
    ++n;
  return n;
}

// ---------------------------------------------------------------------------
// The load loop

struct Op {
  std::string head;       // request line and headers, CRLF CRLF
  uint64_t index = 0;     // object index
  uint64_t body_len = 0;  // bytes of object body to send after head
  bool verify = false;    // GET: check the body's index and CRC
  SteadyClock::time_point start;
};

enum class RecvState { kHead, kBody, kChunkSize, kChunkData, kChunkDataEnd, kTrailer, kDone };

struct Conn {
  int id = 0;
  int fd = -1;
  bool active = false;  // an op is in flight
  bool finished = false;
  Op op;
  // send progress
  size_t head_sent = 0;
  uint64_t body_sent = 0;
  bool send_done = false;
  // receive state
  RecvState rs = RecvState::kHead;
  std::string in;  // head bytes, chunk-size lines
  int status = 0;
  bool close_after = false;
  bool chunked = false;
  bool no_body = false;
  uint64_t content_length = 0;
  uint64_t body_remaining = 0;  // kBody, kChunkData
  uint64_t body_received = 0;
  std::string body;  // kept for non-object responses (errors, listings)
  char got_prefix[8] = {};
  uint32_t crc = 0;
  // list cursor
  std::string token;
  uint32_t epoll_events = 0;
};

class Loop {
 public:
  Loop(const Options& o, const Bodies& bodies) : o_(o), bodies_(bodies), signer_(o) {
    scratch_.resize(1 << 20);
  }

  Stats Run() {
    epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) Die("epoll_create1 failed");
    int nconns = o_.mode == Mode::kMkBucket ? 1 : o_.connections;
    conns_.resize(static_cast<size_t>(nconns));
    t0_ = SteadyClock::now();
    if (o_.duration_s > 0) {
      deadline_ = t0_ + std::chrono::duration_cast<SteadyClock::duration>(
                            std::chrono::duration<double>(o_.duration_s));
    }
    last_report_ = t0_;
    last_done_ = t0_;
    for (int i = 0; i < nconns; ++i) {
      conns_[i].id = i;
      StartNext(conns_[i]);
    }
    std::vector<epoll_event> events(static_cast<size_t>(nconns) + 1);
    while (true) {
      bool any_active = false;
      for (auto& c : conns_) any_active |= c.active;
      if (!any_active) break;
      int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), 100);
      if (n < 0 && errno != EINTR) Die("epoll_wait failed");
      for (int i = 0; i < n; ++i) {
        Conn& c = conns_[events[i].data.u32];
        if (!c.active) continue;
        if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) OnReadable(c);
        if (c.active && !c.send_done && (events[i].events & EPOLLOUT)) OnWritable(c);
      }
      Progress();
    }
    stats_.seconds = std::chrono::duration<double>(last_done_ - t0_).count();
    for (auto& c : conns_) {
      if (c.fd >= 0) ::close(c.fd);
    }
    ::close(epfd_);
    return std::move(stats_);
  }

 private:
  void Progress() {
    if (o_.quiet) return;
    auto now = SteadyClock::now();
    if (now - last_report_ < std::chrono::seconds(5)) return;
    last_report_ = now;
    std::fprintf(stderr, "s3_load: ... %" PRIu64 " ops, %" PRIu64 " errors, %.0fs\n", stats_.ops,
                 stats_.errors, SecondsSince(t0_));
  }

  // The next op for a connection, or nullopt when the run is over for it.
  std::optional<Op> NextOp(Conn& c) {
    if (o_.duration_s > 0 && SteadyClock::now() >= deadline_) return std::nullopt;
    uint64_t limit = o_.ops;
    if ((o_.mode == Mode::kDelete) && o_.keys > 0)
      limit = o_.ops ? std::min(o_.ops, o_.keys) : o_.keys;
    if (o_.mode == Mode::kMkBucket) limit = 1;
    if (limit > 0 && issued_ >= limit) return std::nullopt;
    if (o_.duration_s <= 0 && limit == 0) return std::nullopt;
    uint64_t seq = issued_++;
    Op op;
    std::string method, path = "/" + o_.bucket, query, payload_hash = "UNSIGNED-PAYLOAD";
    switch (o_.mode) {
      case Mode::kMkBucket: method = "PUT"; break;
      case Mode::kPut:
        method = "PUT";
        op.index = o_.first + seq;
        op.body_len = bodies_.size();
        path += "/" + KeyFor(o_, op.index);
        break;
      case Mode::kGet:
        method = "GET";
        op.index = o_.first + (o_.keys ? seq % o_.keys : seq);
        op.verify = seq % o_.verify_every == 0;
        path += "/" + KeyFor(o_, op.index);
        break;
      case Mode::kDelete:
        method = "DELETE";
        op.index = o_.first + seq;
        path += "/" + KeyFor(o_, op.index);
        break;
      case Mode::kList: {
        method = "GET";
        // In canonical (sorted) order; values URI-encoded.
        if (!c.token.empty()) query += "continuation-token=" + UriEncode(c.token, false) + "&";
        if (!o_.delimiter.empty()) query += "delimiter=" + UriEncode(o_.delimiter, false) + "&";
        query += "list-type=2&max-keys=" + std::to_string(o_.max_keys);
        if (!o_.list_prefix.empty()) query += "&prefix=" + UriEncode(o_.list_prefix, false);
        path += "/";
        break;
      }
      case Mode::kDisk:
      case Mode::kStartup: return std::nullopt;
    }
    if (o_.signed_payload) {
      payload_hash = op.body_len ? bodies_.Sha256Hex(op.index) : HexEncode(Sha256(""));
    }
    std::string target = path + (query.empty() ? "" : "?" + query);
    op.head.reserve(512);
    op.head = method + " " + target + " HTTP/1.1\r\n";
    op.head += signer_.HeaderLines(method, path, query, payload_hash);
    if (method == "PUT") op.head += "Content-Length: " + std::to_string(op.body_len) + "\r\n";
    op.head += "\r\n";
    return op;
  }

  void Watch(Conn& c, uint32_t events) {
    if (c.epoll_events == events) return;
    epoll_event ev{};
    ev.events = events;
    ev.data.u32 = static_cast<uint32_t>(c.id);
    int op = c.epoll_events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (::epoll_ctl(epfd_, op, c.fd, &ev) != 0) Die("epoll_ctl failed");
    c.epoll_events = events;
  }

  void CloseConn(Conn& c) {
    if (c.fd >= 0) {
      ::epoll_ctl(epfd_, EPOLL_CTL_DEL, c.fd, nullptr);
      ::close(c.fd);
    }
    c.fd = -1;
    c.epoll_events = 0;
  }

  void StartNext(Conn& c) {
    std::optional<Op> op = NextOp(c);
    if (!op) {
      c.active = false;
      c.finished = true;
      return;
    }
    if (c.fd < 0) {
      c.fd = ConnectTcp(o_.host, o_.port, true);
      if (c.fd < 0) {
        Error(c, "connect failed");
        c.active = false;
        c.finished = true;
        return;
      }
    }
    c.op = std::move(*op);
    c.op.start = SteadyClock::now();
    c.active = true;
    c.head_sent = 0;
    c.body_sent = 0;
    c.send_done = false;
    c.rs = RecvState::kHead;
    c.in.clear();
    c.body.clear();
    c.status = 0;
    c.close_after = false;
    c.chunked = false;
    c.no_body = false;
    c.content_length = 0;
    c.body_received = 0;
    c.crc = 0;
    std::memset(c.got_prefix, 0, sizeof c.got_prefix);
    OnWritable(c);
    if (c.active && c.fd >= 0) Watch(c, c.send_done ? EPOLLIN : (EPOLLIN | EPOLLOUT));
  }

  void OnWritable(Conn& c) {
    char prefix[8];
    Bodies::Prefix(c.op.index, prefix);
    size_t plen = bodies_.prefix_len();
    std::string_view tail = bodies_.tail();
    while (!c.send_done) {
      iovec iov[3];
      int n = 0;
      if (c.head_sent < c.op.head.size()) {
        iov[n++] = {c.op.head.data() + c.head_sent, c.op.head.size() - c.head_sent};
      }
      uint64_t sent = c.body_sent;
      if (c.op.body_len > 0) {
        if (sent < plen) iov[n++] = {prefix + sent, plen - sent};
        uint64_t toff = sent > plen ? sent - plen : 0;
        if (toff < tail.size()) {
          iov[n++] = {const_cast<char*>(tail.data()) + toff, tail.size() - toff};
        }
      }
      if (n == 0) {
        c.send_done = true;
        break;
      }
      ssize_t w = ::writev(c.fd, iov, n);
      if (w < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EINTR) continue;
        Fail(c, "write failed");
        return;
      }
      size_t left = static_cast<size_t>(w);
      size_t h = std::min(left, c.op.head.size() - c.head_sent);
      c.head_sent += h;
      left -= h;
      c.body_sent += left;
    }
    if (c.send_done && c.epoll_events != 0) Watch(c, EPOLLIN);
  }

  void OnReadable(Conn& c) {
    while (c.active && c.fd >= 0) {
      ssize_t r = ::recv(c.fd, scratch_.data(), scratch_.size(), 0);
      if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EINTR) continue;
        Fail(c, "read failed");
        return;
      }
      if (r == 0) {
        Fail(c, "connection closed by server mid-response");
        return;
      }
      Consume(c, std::string_view(scratch_.data(), static_cast<size_t>(r)));
    }
  }

  // Body bytes of the response, whatever the framing.
  void OnBody(Conn& c, std::string_view data) {
    bool object_get = o_.mode == Mode::kGet && c.status == 200;
    if (object_get) {
      uint64_t off = c.body_received;
      if (off < 8) {
        size_t n = static_cast<size_t>(std::min<uint64_t>(8 - off, data.size()));
        std::memcpy(c.got_prefix + off, data.data(), n);
      }
      if (c.op.verify && off + data.size() > 8) {
        size_t skip = off < 8 ? static_cast<size_t>(8 - off) : 0;
        c.crc = Crc32c(c.crc, data.substr(skip));
      }
    } else if (c.body.size() < (64u << 20)) {
      c.body.append(data);
    }
    c.body_received += data.size();
  }

  void Consume(Conn& c, std::string_view data) {
    while (!data.empty() && c.active) {
      switch (c.rs) {
        case RecvState::kHead: {
          size_t before = c.in.size();
          c.in.append(data);
          size_t end = c.in.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
          if (end == std::string::npos) {
            if (c.in.size() > 65536) return Fail(c, "response head too large");
            return;
          }
          size_t head_len = end + 4;
          size_t rest_from = head_len - before;
          data = data.substr(rest_from);
          HeadResult hr = ParseHead(c, std::string_view(c.in).substr(0, head_len));
          c.in.clear();
          if (hr == HeadResult::kFailed) return;
          if (hr == HeadResult::kInterim) break;  // 100 Continue: the real head follows
          if (c.no_body) {
            c.rs = RecvState::kDone;
          } else if (c.chunked) {
            c.rs = RecvState::kChunkSize;
          } else {
            c.body_remaining = c.content_length;
            c.rs = c.body_remaining ? RecvState::kBody : RecvState::kDone;
          }
          break;
        }
        case RecvState::kBody:
        case RecvState::kChunkData: {
          size_t n = static_cast<size_t>(std::min<uint64_t>(c.body_remaining, data.size()));
          OnBody(c, data.substr(0, n));
          data = data.substr(n);
          c.body_remaining -= n;
          if (c.body_remaining == 0) {
            c.rs = c.rs == RecvState::kBody ? RecvState::kDone : RecvState::kChunkDataEnd;
          }
          break;
        }
        case RecvState::kChunkSize:
        case RecvState::kChunkDataEnd:
        case RecvState::kTrailer: {
          size_t nl = data.find('\n');
          c.in.append(data.substr(0, nl == std::string_view::npos ? data.size() : nl + 1));
          if (nl == std::string_view::npos) {
            if (c.in.size() > 4096) return Fail(c, "bad chunk framing");
            return;
          }
          data = data.substr(nl + 1);
          std::string line = c.in;
          c.in.clear();
          while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
          if (c.rs == RecvState::kChunkDataEnd) {
            if (!line.empty()) return Fail(c, "bad chunk end");
            c.rs = RecvState::kChunkSize;
          } else if (c.rs == RecvState::kChunkSize) {
            uint64_t size = std::strtoull(line.c_str(), nullptr, 16);
            c.body_remaining = size;
            c.rs = size ? RecvState::kChunkData : RecvState::kTrailer;
          } else if (line.empty()) {
            c.rs = RecvState::kDone;
          }
          break;
        }
        case RecvState::kDone: return Fail(c, "unexpected bytes after the response");
      }
      if (c.rs == RecvState::kDone) {
        // One request in flight per connection: nothing may follow.
        if (!data.empty()) return Fail(c, "unexpected bytes after the response");
        return Complete(c);
      }
    }
    if (c.active && c.rs == RecvState::kDone) Complete(c);
  }

  enum class HeadResult { kOk, kInterim, kFailed };

  HeadResult ParseHead(Conn& c, std::string_view head) {
    // "HTTP/1.1 200 OK\r\n"
    if (head.substr(0, 5) != "HTTP/" || head.size() < 12) {
      Fail(c, "not an HTTP response");
      return HeadResult::kFailed;
    }
    c.status = std::atoi(std::string(head.substr(9, 3)).c_str());
    if (c.status == 100) return HeadResult::kInterim;  // never asked for, but tolerated
    bool http10 = head.substr(0, 8) == "HTTP/1.0";
    c.close_after = http10;
    size_t pos = head.find("\r\n") + 2;
    bool have_length = false;
    while (pos < head.size()) {
      size_t eol = head.find("\r\n", pos);
      if (eol == std::string_view::npos || eol == pos) break;
      std::string_view line = head.substr(pos, eol - pos);
      pos = eol + 2;
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string name = ToLower(line.substr(0, colon));
      std::string value = ToLower(Trim(line.substr(colon + 1)));
      if (name == "content-length") {
        c.content_length = std::strtoull(value.c_str(), nullptr, 10);
        have_length = true;
      } else if (name == "transfer-encoding") {
        c.chunked = value.find("chunked") != std::string::npos;
      } else if (name == "connection") {
        if (value.find("close") != std::string::npos) c.close_after = true;
        if (value.find("keep-alive") != std::string::npos) c.close_after = false;
      }
    }
    if (c.status == 204 || c.status == 304) c.no_body = true;
    if (!have_length && !c.chunked && !c.no_body) {
      Fail(c, "response without Content-Length or chunked framing");
      return HeadResult::kFailed;
    }
    return HeadResult::kOk;
  }

  // The response is complete: judge it, then start the next op.
  void Complete(Conn& c) {
    auto now = SteadyClock::now();
    last_done_ = now;
    bool ok = false;
    const char* why = "unexpected status";
    switch (o_.mode) {
      case Mode::kMkBucket:
        ok = c.status == 200 ||
             (c.status == 409 && c.body.find("BucketAlreadyOwnedByYou") != std::string::npos);
        break;
      case Mode::kPut:
        ok = c.status == 200;
        if (ok) stats_.bytes += c.op.body_len;
        break;
      case Mode::kDelete: ok = c.status == 204 || c.status == 200; break;
      case Mode::kGet:
        ok = c.status == 200;
        if (ok && c.body_received != bodies_.size()) {
          ok = false;
          why = "wrong body length";
        }
        if (ok) {
          char want[8];
          Bodies::Prefix(c.op.index, want);
          if (std::memcmp(want, c.got_prefix, bodies_.prefix_len()) != 0) {
            ok = false;
            why = "body of another object";
          } else if (c.op.verify && bodies_.size() > 8 && c.crc != bodies_.tail_crc()) {
            ok = false;
            why = "body CRC mismatch";
          } else if (c.op.verify) {
            ++stats_.verified;
          }
        }
        if (ok) stats_.bytes += c.body_received;
        break;
      case Mode::kList: {
        ok = c.status == 200 && c.body.find("<ListBucketResult") != std::string::npos;
        if (!ok) break;
        std::string_view xml = c.body;
        stats_.entries += CountOf(xml, "<Key>") + CountOf(xml, "<CommonPrefixes>");
        std::optional<std::string> truncated = XmlText(xml, "IsTruncated");
        std::optional<std::string> next = XmlText(xml, "NextContinuationToken");
        if (truncated && *truncated == "true") {
          if (!next || next->empty()) {
            ok = false;
            why = "truncated page without NextContinuationToken";
          } else {
            c.token = *next;
          }
        } else {
          c.token.clear();  // walked the whole listing: start again
        }
        stats_.bytes += c.body_received;
        break;
      }
      case Mode::kDisk:
      case Mode::kStartup: break;
    }
    if (ok) {
      ++stats_.ops;
      stats_.latency_us.push_back(static_cast<uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(now - c.op.start).count()));
    } else {
      Error(c, why);
    }
    c.active = false;
    if (c.close_after || !c.send_done) CloseConn(c);
    StartNext(c);
  }

  void Error(Conn& c, const char* why) {
    ++stats_.errors;
    if (stats_.errors <= 5 && !o_.quiet) {
      std::string snippet = c.body.substr(0, 300);
      std::replace(snippet.begin(), snippet.end(), '\n', ' ');
      std::fprintf(stderr, "s3_load: error (%s): status %d, op %" PRIu64 ": %s\n", why, c.status,
                   c.op.index, snippet.c_str());
    }
  }

  void Fail(Conn& c, const char* why) {
    last_done_ = SteadyClock::now();
    Error(c, why);
    c.active = false;
    CloseConn(c);
    StartNext(c);
  }

  const Options& o_;
  const Bodies& bodies_;
  Signer signer_;
  std::vector<Conn> conns_;
  std::vector<char> scratch_;
  int epfd_ = -1;
  uint64_t issued_ = 0;
  Stats stats_;
  SteadyClock::time_point t0_, deadline_, last_report_, last_done_;
};

// ---------------------------------------------------------------------------
// disk: the bandwidth of whole-file writes that end in fdatasync, and the
// rate of 4 KiB appends each followed by fdatasync.
//
// Every file is new and kept until the end, as a server's objects are: a
// file rewritten in place would reuse page-cache pages that are already
// warm, which on a VM (where freed memory goes back to the host) is far
// cheaper than what a server writing new objects pays. The O_DIRECT pass
// measures the device without the page cache.

// Writes `files` new files of `size` bytes, each ended by fdatasync; MiB/s.
double WriteFiles(const std::string& dir, const char* tag, uint64_t size, int files, bool direct) {
  constexpr size_t kChunk = 1 << 20;
  void* mem = nullptr;
  if (::posix_memalign(&mem, 4096, kChunk) != 0) Die("out of memory");
  std::unique_ptr<char, decltype(&std::free)> buf(static_cast<char*>(mem), &std::free);
  uint64_t x = 0x2545F4914F6CDD1Dull;
  for (size_t i = 0; i < kChunk; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    buf.get()[i] = static_cast<char>(x);
  }
  std::vector<std::string> paths;
  double total_s = 0;
  for (int f = 0; f < files; ++f) {
    std::string path = dir + "/s3_load-" + tag + "-" + std::to_string(f) + ".tmp";
    paths.push_back(path);
    auto t0 = SteadyClock::now();
    int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (direct ? O_DIRECT : 0);
    int fd = ::open(path.c_str(), flags, 0600);
    if (fd < 0) Die("cannot create %s", path.c_str());
    for (uint64_t off = 0; off < size;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, size - off));
      buf.get()[0] = static_cast<char>(f);  // not the same bytes twice
      ssize_t w = ::write(fd, buf.get(), n);
      if (w <= 0) Die("write failed in %s", path.c_str());
      off += static_cast<uint64_t>(w);
    }
    if (::fdatasync(fd) != 0) Die("fdatasync failed");
    ::close(fd);
    total_s += SecondsSince(t0);
  }
  for (const std::string& p : paths) ::unlink(p.c_str());
  return static_cast<double>(size) * files / total_s / (1024.0 * 1024.0);
}

int RunDisk(const Options& o) {
  if (o.dir.empty()) Die("disk mode needs --dir");
  uint64_t size = o.size;
  int files = o.ops ? static_cast<int>(o.ops) : 8;
  double bw = WriteFiles(o.dir, "buffered", size, files, false);
  double direct_bw = WriteFiles(o.dir, "direct", size, files, true);

  // 4 KiB appends, each made durable.
  std::string path = o.dir + "/s3_load-append.tmp";
  std::vector<char> buf(4096, 'x');
  double dur = o.duration_s > 0 ? o.duration_s : 3.0;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) Die("cannot create %s", path.c_str());
  uint64_t syncs = 0;
  std::vector<uint32_t> lat;
  auto t0 = SteadyClock::now();
  while (SecondsSince(t0) < dur) {
    auto t1 = SteadyClock::now();
    if (::write(fd, buf.data(), buf.size()) != 4096) Die("write failed");
    if (::fdatasync(fd) != 0) Die("fdatasync failed");
    lat.push_back(static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - t1).count()));
    ++syncs;
  }
  double fs = SecondsSince(t0);
  ::close(fd);
  ::unlink(path.c_str());
  std::printf("{\"mode\":\"disk\",\"file_size\":%" PRIu64
              ",\"files\":%d,\"fdatasync_mib_per_s\":%.1f,"
              "\"direct_mib_per_s\":%.1f,\"fsync_4k_per_s\":%.1f,\"fsync_4k_p50_ms\":%.3f,"
              "\"fsync_4k_p99_ms\":%.3f}\n",
              size, files, bw, direct_bw, static_cast<double>(syncs) / fs, Percentile(lat, 0.5),
              Percentile(lat, 0.99));
  if (!o.quiet) {
    std::fprintf(stderr,
                 "s3_load: disk: %.0f MiB/s buffered, %.0f MiB/s O_DIRECT (%d new files of %" PRIu64
                 " MiB + fdatasync); %.0f 4 KiB append+fdatasync/s\n",
                 bw, direct_bw, files, size >> 20, static_cast<double>(syncs) / fs);
  }
  return 0;
}

// ---------------------------------------------------------------------------
// startup: exec the server, read its port from stdout ("...127.0.0.1:PORT"),
// poll the health path every millisecond until it answers 200.

int HttpGetStatus(const Options& o, uint16_t port, Signer& signer) {
  int fd = ConnectTcp(o.host, port, false);
  if (fd < 0) return -1;
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string req = "GET " + o.health_path + " HTTP/1.1\r\n" +
                    signer.HeaderLines("GET", o.health_path, "", "UNSIGNED-PAYLOAD") +
                    "Connection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return -1;
  }
  char buf[256];
  ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
  ::close(fd);
  if (n < 12) return -1;
  buf[n] = 0;
  return std::atoi(buf + 9);
}

uint64_t ProcStatusKiB(pid_t pid, const char* field) {
  std::string path = "/proc/" + std::to_string(pid) + "/status";
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return 0;
  char line[256];
  uint64_t v = 0;
  size_t flen = std::strlen(field);
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, field, flen) == 0 && line[flen] == ':') {
      v = std::strtoull(line + flen + 1, nullptr, 10);
      break;
    }
  }
  std::fclose(f);
  return v;
}

int RunStartup(const Options& o) {
  if (o.command.empty()) Die("startup mode needs -- command args...");
  std::vector<double> ms;
  std::vector<double> rss_mib;
  for (int run = 0; run < o.repeat; ++run) {
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) Die("pipe failed");
    auto t0 = SteadyClock::now();
    pid_t pid = ::fork();
    if (pid < 0) Die("fork failed");
    if (pid == 0) {
      ::dup2(pipefd[1], 1);
      int logfd = ::open(o.server_log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (logfd >= 0) ::dup2(logfd, 2);
      std::vector<char*> argv;
      for (const std::string& a : o.command) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      _exit(127);
    }
    ::close(pipefd[1]);
    // Read stdout until a line names the port.
    std::string out;
    uint16_t port = 0;
    char buf[4096];
    while (port == 0) {
      ssize_t n = ::read(pipefd[0], buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
      size_t p = out.find(o.host + ":");
      if (p != std::string::npos) {
        size_t q = p + o.host.size() + 1;
        size_t e = q;
        while (e < out.size() && std::isdigit(static_cast<unsigned char>(out[e]))) ++e;
        if (e > q && e < out.size()) port = static_cast<uint16_t>(std::stoi(out.substr(q, e - q)));
      }
    }
    if (port == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      Die("server printed no listening address; stdout was: %s", out.c_str());
    }
    Options po = o;
    po.port = port;
    Signer signer(po);
    int status = -1;
    for (int tries = 0; tries < 20000 && status != 200; ++tries) {
      status = HttpGetStatus(po, port, signer);
      if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    double t = SecondsSince(t0) * 1000.0;
    if (status != 200) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      Die("server never answered 200 on %s", o.health_path.c_str());
    }
    // Keep draining stdout so a chatty server never blocks on the pipe.
    std::thread drain([fd = pipefd[0]] {
      char b[4096];
      while (::read(fd, b, sizeof b) > 0) {
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    double rss = static_cast<double>(ProcStatusKiB(pid, "VmRSS")) / 1024.0;
    ::kill(pid, SIGTERM);
    int wstatus = 0;
    ::waitpid(pid, &wstatus, 0);
    drain.join();
    ::close(pipefd[0]);
    ms.push_back(t);
    rss_mib.push_back(rss);
    if (!o.quiet)
      std::fprintf(stderr, "s3_load: start %d: %.1f ms, VmRSS %.1f MiB\n", run + 1, t, rss);
  }
  std::vector<double> sorted_ms = ms, sorted_rss = rss_mib;
  std::sort(sorted_ms.begin(), sorted_ms.end());
  std::sort(sorted_rss.begin(), sorted_rss.end());
  auto median = [](const std::vector<double>& v) {
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  };
  std::printf(
      "{\"mode\":\"startup\",\"runs\":%zu,\"first_ms\":%.2f,\"median_ms\":%.2f,\"min_ms\":%.2f,"
      "\"max_ms\":%.2f,\"idle_rss_mib\":%.2f,\"max_idle_rss_mib\":%.2f}\n",
      ms.size(), ms.front(), median(sorted_ms), sorted_ms.front(), sorted_ms.back(),
      median(sorted_rss), sorted_rss.back());
  return 0;
}

}  // namespace
}  // namespace tarn::bench

int main(int argc, char** argv) {
  using namespace tarn::bench;
  ::signal(SIGPIPE, SIG_IGN);
  Options o = ParseOptions(argc, argv);
  if (o.mode == Mode::kDisk) return RunDisk(o);
  if (o.mode == Mode::kStartup) return RunStartup(o);
  if (o.port == 0) Die("--endpoint HOST:PORT is required");
  if (o.mode == Mode::kGet && o.keys == 0) Die("get needs --keys N (objects first..first+N-1)");
  if (o.mode == Mode::kDelete && o.keys == 0) Die("delete needs --keys N");
  if ((o.mode == Mode::kPut || o.mode == Mode::kGet || o.mode == Mode::kList) &&
      o.duration_s <= 0 && o.ops == 0) {
    Die("give --duration SECONDS or --ops N");
  }
  Bodies bodies(o.mode == Mode::kPut || o.mode == Mode::kGet ? o.size : 0);
  Loop loop(o, bodies);
  Stats stats = loop.Run();
  PrintStats(ModeName(o.mode), stats, o);
  return stats.errors == 0 ? 0 : 1;
}
