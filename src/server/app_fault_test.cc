// The whole server under failure, end to end and in process: an App on an
// ephemeral port whose stores sit on a FaultInjectionEnv (blobs) and a
// FaultInjectionVfs (metadata), driven over real HTTP with SigV4-signed
// requests. Each test states one line of docs/failure-model.md: what the
// client sees, that nothing acknowledged is lost, that reads go on.
// Failure probes are compiled into this test only (STYLE.md).
#include "server/app.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "aws/rest_xml.h"
#include "aws/sigv4.h"
#include "common/encoding.h"
#include "common/hash.h"
#include "common/time.h"
#include "http/handler.h"
#include "storage/fault_injection_env.h"
#include "storage/fault_injection_vfs.h"
#include "storage/test_temp_dir.h"

namespace tarn::server {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr size_t kBlobSize = 300 * 1024;  // above the 64 KiB inline threshold

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  // The text of <name> in an XML body ("" when absent).
  std::string Xml(const std::string& name) const {
    size_t b = body.find("<" + name + ">");
    if (b == std::string::npos) return "";
    b += name.size() + 2;
    size_t e = body.find("</" + name + ">", b);
    return e == std::string::npos ? "" : body.substr(b, e - b);
  }
};

int Connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("connect failed");
  }
  return fd;
}

void SendAll(int fd, std::string_view data) {
  for (size_t sent = 0; sent < data.size();) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server answered early and closed
    sent += static_cast<size_t>(n);
  }
}

// Reads a response to EOF (requests say Connection: close).
Response ReadResponse(int fd) {
  std::string in;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20000) <= 0) break;
    char buf[64 * 1024];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  Response r;
  size_t head_end = in.find("\r\n\r\n");
  if (in.size() < 12 || head_end == std::string::npos) return r;  // status 0: no answer
  r.status = std::stoi(in.substr(9, 3));
  size_t line = in.find("\r\n") + 2;
  while (line < head_end) {
    size_t eol = in.find("\r\n", line);
    std::string field = in.substr(line, eol - line);
    size_t colon = field.find(':');
    if (colon != std::string::npos) {
      r.headers[ToLower(field.substr(0, colon))] = std::string(Trim(field.substr(colon + 1)));
    }
    line = eol + 2;
  }
  r.body = in.substr(head_end + 4);
  return r;
}

class FaultyServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }
  void TearDown() override { Stop(); }

  void Start(size_t max_inflight = 256) {
    ServeOptions o;
    o.data_dir = dir_.Join("data");
    o.port = 0;
    o.io_threads = 1;
    o.worker_threads = 4;
    o.log_requests = false;
    o.max_inflight_requests = max_inflight;
    auto app = App::Start(o, &env_);
    ASSERT_TRUE(app.ok()) << app.status().ToString();
    app_ = std::move(*app);
  }
  void Stop() {
    if (app_) app_->Shutdown(1s);
    app_.reset();
  }
  void Restart() {
    Stop();
    Start();
  }

  // The signed request head (and body) for one S3 call.
  // target: path, optionally "?query" (already encoded).
  std::string Build(const std::string& method, const std::string& target, std::string_view body,
                    size_t content_length, const http::Headers& extra = {}) {
    const size_t q = target.find('?');
    const std::string path = target.substr(0, q);
    const std::string query = q == std::string::npos ? "" : target.substr(q + 1);
    http::Headers h;
    h.Add("Host", "127.0.0.1:" + std::to_string(app_->port()));
    for (const auto& [k, v] : extra.fields()) h.Add(k, v);
    h.Add("Content-Length", std::to_string(content_length));
    aws::SignRequest(method, path, query, h, "UNSIGNED-PAYLOAD", app_->access_key_id(),
                     app_->secret_access_key(), "us-east-1", "s3", Clock::Real()->Now());
    h.Add("Connection", "close");
    std::string raw = method + " " + target + " HTTP/1.1\r\n";
    for (const auto& [k, v] : h.fields()) raw += k + ": " + v + "\r\n";
    raw += "\r\n";
    raw += body;
    return raw;
  }

  Response Call(const std::string& method, const std::string& path, std::string_view body = {},
                const http::Headers& extra = {}) {
    int fd = Connect(app_->port());
    SendAll(fd, Build(method, path, body, body.size(), extra));
    return ReadResponse(fd);
  }

  Response Put(const std::string& key, const std::string& body) {
    return Call("PUT", "/bucket/" + key, body);
  }
  Response Get(const std::string& key) { return Call("GET", "/bucket/" + key); }

  void CreateBucket() { ASSERT_EQ(Call("PUT", "/bucket").status, 200); }

  size_t FilesUnder(const std::string& sub) {
    size_t n = 0;
    for (auto& e : fs::recursive_directory_iterator(dir_.Join("data/" + sub))) {
      if (e.is_regular_file()) n++;
    }
    return n;
  }

  static std::string Body(char c, size_t n = kBlobSize) { return std::string(n, c); }

  storage::TestTempDir dir_;
  // Declared before the App so they outlive it: its files use them.
  storage::FaultInjectionVfs vfs_;
  storage::FaultInjectionEnv env_{storage::Env::Default()};
  std::unique_ptr<App> app_;
};

// Blob commit: fdatasync fails -> 500 InternalError; nothing written before is
// lost, nothing of the failed PUT remains; blobs are independent files, so the
// blob store is not sticky and the next PUT succeeds.
TEST_F(FaultyServerTest, BlobFsyncFailureIs500AndLosesNothingAcknowledged) {
  CreateBucket();
  ASSERT_EQ(Put("kept", Body('k')).status, 200);
  env_.FailNextSync();
  Response failed = Put("failed", Body('f'));
  EXPECT_EQ(failed.status, 500) << failed.body;
  EXPECT_EQ(failed.Xml("Code"), "InternalError");
  EXPECT_EQ(failed.Xml("Message"), "We encountered an internal error. Please try again.");
  EXPECT_EQ(failed.body.find(dir_.path()), std::string::npos) << "paths stay in the log";
  EXPECT_GT(env_.injected_faults(), 0u);

  EXPECT_EQ(Get("kept").body, Body('k'));
  EXPECT_EQ(Get("failed").status, 404);
  EXPECT_EQ(FilesUnder("tmp"), 0u);
  EXPECT_EQ(FilesUnder("blobs"), 1u);
  ASSERT_EQ(Put("after", Body('a')).status, 200);
  EXPECT_EQ(Get("after").body, Body('a'));
}

// Metadata commit: fsync of the WAL fails -> 500, and the metadata store is
// sticky: writes are refused until restart, reads go on. The failed PUT's
// blob is an orphan the start-up sweep removes.
TEST_F(FaultyServerTest, MetadataFsyncFailureIsStickyUntilRestartAndReadsGoOn) {
  CreateBucket();
  ASSERT_EQ(Put("kept", Body('k')).status, 200);
  ASSERT_EQ(Put("small", "tiny").status, 200);
  vfs_.SetSyncFailure(true);
  Response failed = Put("failed", Body('f'));
  vfs_.SetSyncFailure(false);
  EXPECT_EQ(failed.status, 500) << failed.body;
  EXPECT_EQ(failed.Xml("Code"), "InternalError");

  // The disk works again, but the store cannot know what it lost.
  Response refused = Put("refused", "x");
  EXPECT_EQ(refused.status, 500);
  EXPECT_EQ(Call("DELETE", "/bucket/kept").status, 500);
  // Reads go on.
  EXPECT_EQ(Get("kept").body, Body('k'));
  EXPECT_EQ(Get("small").body, "tiny");
  Response list = Call("GET", "/bucket?list-type=2");
  EXPECT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("<Key>kept</Key>"), std::string::npos);
  EXPECT_EQ(Call("HEAD", "/bucket").status, 200);

  Restart();
  EXPECT_EQ(Get("failed").status, 404);
  EXPECT_EQ(Get("kept").body, Body('k'));
  EXPECT_EQ(FilesUnder("blobs"), 1u) << "the failed PUT's blob is swept at start";
  ASSERT_EQ(Put("refused", "x").status, 200);
  EXPECT_EQ(Get("refused").body, "x");
}

// Disk full while writing a blob -> 503 ServiceUnavailable that says so;
// not sticky: once there is room, writes succeed.
TEST_F(FaultyServerTest, DiskFullOnBlobIs503AndRecoversWhenSpaceReturns) {
  CreateBucket();
  ASSERT_EQ(Put("kept", Body('k')).status, 200);
  env_.SetNoSpace(true);
  Response full = Put("full", Body('f'));
  EXPECT_EQ(full.status, 503) << full.body;
  EXPECT_EQ(full.Xml("Code"), "ServiceUnavailable");
  EXPECT_NE(full.Xml("Message").find("out of storage space"), std::string::npos) << full.body;
  EXPECT_EQ(Get("kept").body, Body('k'));  // reads go on
  env_.SetNoSpace(false);
  EXPECT_EQ(FilesUnder("tmp"), 0u);
  ASSERT_EQ(Put("full", Body('f')).status, 200);
  EXPECT_EQ(Get("full").body, Body('f'));
}

// Disk full while committing metadata (SQLITE_FULL) -> 503; not sticky.
TEST_F(FaultyServerTest, DiskFullOnMetadataIs503AndNotSticky) {
  CreateBucket();
  ASSERT_EQ(Put("kept", "small body").status, 200);
  vfs_.SetNoSpace(true);
  Response full = Put("full", "another small body");
  vfs_.SetNoSpace(false);
  EXPECT_EQ(full.status, 503) << full.body;
  EXPECT_EQ(full.Xml("Code"), "ServiceUnavailable");
  EXPECT_EQ(Get("full").status, 404);
  ASSERT_EQ(Put("full", "another small body").status, 200);
  EXPECT_EQ(Get("full").body, "another small body");
  EXPECT_EQ(Get("kept").body, "small body");
}

// A write cut short by EIO -> 500; the half-written tmp file is removed.
TEST_F(FaultyServerTest, ShortWriteIs500AndLeavesNothing) {
  CreateBucket();
  env_.SetShortWrite(true);
  Response failed = Put("short", Body('s'));
  env_.SetShortWrite(false);
  EXPECT_EQ(failed.status, 500) << failed.body;
  EXPECT_EQ(failed.Xml("Code"), "InternalError");
  EXPECT_EQ(Get("short").status, 404);
  EXPECT_EQ(FilesUnder("tmp"), 0u);
  EXPECT_EQ(FilesUnder("blobs"), 0u);
  ASSERT_EQ(Put("short", Body('s')).status, 200);
  EXPECT_EQ(Get("short").body, Body('s'));
}

// EIO reading a blob -> GET answers 500 InternalError (not a 200 cut
// short); what needs no blob read (HEAD, inline bodies, listings, writes)
// goes on, and so does the object once the disk reads again.
TEST_F(FaultyServerTest, ReadErrorIs500AndTheServerKeepsServing) {
  CreateBucket();
  ASSERT_EQ(Put("big", Body('b')).status, 200);
  ASSERT_EQ(Put("small", "inline").status, 200);
  env_.SetReadError(true);
  Response failed = Get("big");
  EXPECT_EQ(failed.status, 500) << failed.body.substr(0, 200);
  EXPECT_EQ(failed.Xml("Code"), "InternalError");
  Response ranged = Call("GET", "/bucket/big", {}, [] {
    http::Headers h;
    h.Add("Range", "bytes=1000-1999");
    return h;
  }());
  EXPECT_EQ(ranged.status, 500);
  EXPECT_EQ(Call("HEAD", "/bucket/big").status, 200);
  EXPECT_EQ(Get("small").body, "inline");
  EXPECT_EQ(Put("during", Body('d')).status, 200);
  env_.SetReadError(false);
  EXPECT_EQ(Get("big").body, Body('b'));
  EXPECT_EQ(Get("during").body, Body('d'));
}

// Multipart: a part whose blob cannot be made durable fails alone; the
// upload stays open, the part can be sent again, and the object completes.
TEST_F(FaultyServerTest, FailedPartCanBeRetriedAndTheUploadCompletes) {
  CreateBucket();
  Response created = Call("POST", "/bucket/mp?uploads");
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string upload = created.Xml("UploadId");
  const std::string part = "/bucket/mp?partNumber=1&uploadId=" + upload;
  const std::string data = Body('p', 5 * 1024 * 1024 + 7);
  env_.FailNextSync();
  int fd = Connect(app_->port());
  SendAll(fd, Build("PUT", part, data, data.size()));
  EXPECT_EQ(ReadResponse(fd).status, 500);
  fd = Connect(app_->port());
  SendAll(fd, Build("PUT", part, data, data.size()));
  Response ok = ReadResponse(fd);
  ASSERT_EQ(ok.status, 200) << ok.body;
  const std::string complete = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" +
                               ok.Header("etag") + "</ETag></Part></CompleteMultipartUpload>";
  fd = Connect(app_->port());
  SendAll(fd, Build("POST", "/bucket/mp?uploadId=" + upload, complete, complete.size()));
  Response done = ReadResponse(fd);
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(Get("mp").body, data);
  EXPECT_EQ(FilesUnder("blobs"), 1u);
  EXPECT_EQ(FilesUnder("tmp"), 0u);
}

// ---- overload ----------------------------------------------------------------------

// Requests held in flight (their bodies not yet sent) fill the admission
// limit; one more is answered at once with 503 SlowDown in S3's error shape,
// a JSON-protocol request with ThrottlingException, health checks still
// pass, and once the held requests finish the server answers normally.
TEST_F(FaultyServerTest, BeyondMaxInflightRequestsTheAnswerIsSlowDownAndItRecovers) {
  Stop();
  Start(/*max_inflight=*/2);
  CreateBucket();
  const std::string body = Body('h', 1000);
  std::vector<int> held;
  for (int i = 0; i < 2; ++i) {
    int fd = Connect(app_->port());
    std::string raw = Build("PUT", "/bucket/held" + std::to_string(i), "", body.size());
    SendAll(fd, raw);  // the head only: the handler waits for the body
    held.push_back(fd);
  }
  // The held requests reach the handler asynchronously: poll until full.
  Response rejected;
  for (int i = 0; i < 200 && rejected.status != 503; ++i) {
    rejected = Put("extra", "x");
    if (rejected.status != 503) std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(rejected.status, 503) << rejected.body;
  EXPECT_EQ(rejected.Xml("Code"), "SlowDown");
  EXPECT_EQ(rejected.Header("retry-after"), "1");
  EXPECT_FALSE(rejected.Header("x-amz-request-id").empty());

  int fd = Connect(app_->port());
  {
    std::string json = "{}";
    http::Headers h;
    h.Add("Host", "127.0.0.1:" + std::to_string(app_->port()));
    h.Add("X-Amz-Target", "Kinesis_20131202.ListStreams");
    h.Add("Content-Type", "application/x-amz-json-1.1");
    h.Add("Content-Length", std::to_string(json.size()));
    aws::SignRequest("POST", "/", "", h, HexEncode(Sha256(json)), app_->access_key_id(),
                     app_->secret_access_key(), "us-east-1", "kinesis", Clock::Real()->Now());
    h.Add("Connection", "close");
    std::string raw = "POST / HTTP/1.1\r\n";
    for (const auto& [k, v] : h.fields()) raw += k + ": " + v + "\r\n";
    SendAll(fd, raw + "\r\n" + json);
  }
  Response throttled = ReadResponse(fd);
  EXPECT_EQ(throttled.status, 400);
  EXPECT_EQ(throttled.Header("x-amzn-errortype"), "ThrottlingException");
  EXPECT_NE(throttled.body.find("\"__type\":\"ThrottlingException\""), std::string::npos)
      << throttled.body;

  fd = Connect(app_->port());
  SendAll(fd, "GET /_tarn/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(ReadResponse(fd).status, 200) << "health checks bypass admission";

  for (int h : held) SendAll(h, body);
  for (int h : held) EXPECT_EQ(ReadResponse(h).status, 200);
  EXPECT_EQ(Put("extra", "x").status, 200) << "recovered once the load is gone";
  EXPECT_EQ(Get("held0").body, body);
}

// The one mapping from a failure's kind to S3's error code and status.
TEST(S3ErrorMapping, ServerFailuresMapAsTheFailureModelSays) {
  EXPECT_EQ(aws::S3ErrorCode(IOError("fsync: EIO")), "InternalError");
  EXPECT_EQ(aws::S3ErrorCode(Corruption("bad")), "InternalError");
  EXPECT_EQ(aws::S3ErrorCode(ResourceExhausted("write: No space left on device")),
            "ServiceUnavailable");
  EXPECT_EQ(aws::S3ErrorCode(Unavailable("busy")), "ServiceUnavailable");
  EXPECT_EQ(aws::S3HttpStatus("InternalError"), 500);
  EXPECT_EQ(aws::S3HttpStatus("ServiceUnavailable"), 503);
  EXPECT_EQ(aws::S3HttpStatus("SlowDown"), 503);
  EXPECT_EQ(aws::S3ErrorMessage(IOError("/data/blobs/x: EIO")),
            "We encountered an internal error. Please try again.");
  EXPECT_NE(aws::S3ErrorMessage(ResourceExhausted("/data/tmp/x: ENOSPC")).find("storage space"),
            std::string::npos);
  EXPECT_EQ(aws::S3ErrorMessage(NotFound("The specified key does not exist.", "NoSuchKey")),
            "The specified key does not exist.");
}

}  // namespace
}  // namespace tarn::server
