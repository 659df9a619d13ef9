// The JSON protocol route end to end: a real http::Server and Router on an
// ephemeral port, a fake JSON service, requests signed the way botocore and
// the Java SDK sign them, bytes checked on the wire.
#include "server/router.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <stdexcept>
#include <string>

#include "aws/sigv4.h"
#include "common/encoding.h"
#include "common/hash.h"
#include "common/worker_pool.h"
#include "http/server.h"

namespace tarn::server {
namespace {

using aws::Json;
using aws::JsonWire;
using namespace std::chrono_literals;

constexpr char kKey[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kPrefix[] = "Kinesis_20131202";
constexpr size_t kLimit = 256 * 1024;

// ---- a fake JSON service --------------------------------------------------------

class FakeService : public aws::JsonService {
 public:
  FakeService(std::string prefix, std::string version)
      : prefix_(std::move(prefix)), version_(std::move(version)) {}
  std::string_view target_prefix() const override { return prefix_; }
  std::string_view json_version() const override { return version_; }
  size_t max_request_bytes() const override { return kLimit; }
  int ErrorStatus(std::string_view code) const override {
    return code == "TeapotException" ? 418 : 400;
  }

  boost::asio::awaitable<Result<Json>> Invoke(const aws::JsonRequest& r) override {
    if (r.operation == "Echo") {
      co_return Json{{"Input", r.input},
                     {"Operation", r.operation},
                     {"SigningService", r.auth->service},
                     {"Verified", !r.auth->needs_body_hash},
                     {"Cbor", r.wire == JsonWire::kCbor}};
    }
    if (r.operation == "Blob") {
      // Data + "!" and At + 1 ms: proves both directions of both types.
      auto data = aws::GetBlob(r.input, "Data");
      if (!data.ok()) co_return data.status();
      auto at = aws::GetTimestamp(r.input, "At");
      if (!at.ok()) co_return at.status();
      co_return Json{{"Data", aws::MakeBlob(data->value_or("") + "!")},
                     {"At", aws::MakeTimestamp(at->value_or(0) + 1)}};
    }
    if (r.operation == "Nothing") co_return Json();
    if (r.operation == "Missing")
      co_return NotFound("Stream s not found.", "ResourceNotFoundException");
    if (r.operation == "Crash") co_return IOError("/data/segments/0001: Input/output error");
    if (r.operation == "Busy") co_return Unavailable("try later");
    if (r.operation == "Teapot") co_return InvalidArgument("short and stout", "TeapotException");
    co_return aws::UnknownOperation(r.operation);
  }

 private:
  std::string prefix_;
  std::string version_;
};

// ---- a blocking HTTP client -------------------------------------------------------

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  Json JsonBody() const { return Json::parse(body); }
  Json CborBody() const {
    Result<Json> doc = aws::DecodeJsonBody(body, JsonWire::kCbor);
    if (!doc.ok()) throw std::runtime_error(doc.status().ToString());
    return *doc;
  }
};

// Sends one request (the caller adds "Connection: close") and reads the
// response to EOF.
Response Exchange(uint16_t port, const std::string& raw) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("connect failed");
  }
  for (size_t sent = 0; sent < raw.size();) {
    ssize_t n = ::send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) and stop reading
    sent += static_cast<size_t>(n);
  }
  std::string in;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) break;
    char buf[64 * 1024];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  Response r;
  size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos) throw std::runtime_error("no response head: " + in);
  r.status = std::atoi(in.c_str() + 9);
  size_t pos = in.find("\r\n") + 2;
  while (pos < head_end) {
    size_t eol = in.find("\r\n", pos);
    std::string line = in.substr(pos, eol - pos);
    size_t colon = line.find(':');
    r.headers[ToLower(line.substr(0, colon))] = std::string(Trim(line.substr(colon + 1)));
    pos = eol + 2;
  }
  r.body = in.substr(head_end + 4);
  if (!r.Header("content-length").empty()) {
    r.body.resize(std::min<size_t>(r.body.size(), std::stoul(r.Header("content-length"))));
  }
  return r;
}

struct Call {
  std::string target = std::string(kPrefix) + ".Echo";
  std::string content_type = "application/x-amz-json-1.1";
  std::string body = "{}";
  std::string method = "POST";
  std::string key = kKey;
  std::string secret = kSecret;
  UnixMillis now = Clock::Real()->Now();
  bool sign = true;
  // true: sign the body's hash without stating it, as botocore and the Java
  // SDK do for non-S3 services; false: state it in x-amz-content-sha256.
  bool hash_in_signature_only = true;
  std::string body_on_wire;  // when set, sent instead of body (tampering)
  bool chunked = false;
  std::string authorization;  // when set, replaces the computed one
};

std::string Render(const Call& c, uint16_t port) {
  http::Headers h;
  h.Add("Host", "127.0.0.1:" + std::to_string(port));
  h.Add("Content-Type", c.content_type);
  h.Add("X-Amz-Target", c.target);
  if (c.sign && c.hash_in_signature_only) {
    const std::string amz_date = FormatAmzDate(c.now);
    const std::string date = amz_date.substr(0, 8);
    h.Set("X-Amz-Date", amz_date);
    const std::string signed_headers = "content-type;host;x-amz-date;x-amz-target";
    const std::string scope = date + "/us-east-1/kinesis/aws4_request";
    std::string canonical = aws::CanonicalRequest(c.method, "/", "", h, signed_headers,
                                                  HexEncode(Sha256(c.body)), "kinesis", false);
    std::string signature =
        HexEncode(HmacSha256(aws::DeriveSigningKey(c.secret, date, "us-east-1", "kinesis"),
                             aws::StringToSign(amz_date, scope, canonical)));
    h.Set("Authorization", "AWS4-HMAC-SHA256 Credential=" + c.key + "/" + scope +
                               ", SignedHeaders=" + signed_headers + ", Signature=" + signature);
  } else if (c.sign) {
    aws::SignRequest(c.method, "/", "", h, HexEncode(Sha256(c.body)), c.key, c.secret, "us-east-1",
                     "kinesis", c.now);
  }
  if (!c.authorization.empty()) h.Set("Authorization", c.authorization);
  const std::string& wire_body = c.body_on_wire.empty() ? c.body : c.body_on_wire;
  std::string raw = c.method + " / HTTP/1.1\r\n";
  for (const auto& [name, value] : h.fields()) raw += name + ": " + value + "\r\n";
  raw += "Connection: close\r\n";
  if (c.chunked) {
    raw += "Transfer-Encoding: chunked\r\n\r\n";
    for (size_t at = 0; at < wire_body.size(); at += 8192) {
      std::string piece = wire_body.substr(at, 8192);
      char size[16];
      std::snprintf(size, sizeof size, "%zx", piece.size());
      raw += std::string(size) + "\r\n" + piece + "\r\n";
    }
    raw += "0\r\n\r\n";
  } else {
    raw += "Content-Length: " + std::to_string(wire_body.size()) + "\r\n\r\n" + wire_body;
  }
  return raw;
}

class JsonRouteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RootCredentials credentials;
    credentials.access_key_id = kKey;
    credentials.secret_access_key = kSecret;
    router_ = std::make_unique<Router>(credentials, /*s3=*/nullptr);
    router_->json()->Register(&kinesis_);
    router_->json()->Register(&v10_);
    router_->json()->set_worker_pool(&pool_);
    http::Server::Options options;
    options.port = 0;
    options.io_threads = 2;
    options.log_requests = false;
    Router* router = router_.get();
    auto server = http::Server::Start(
        options, [router](http::Request& req, http::BodyReader& body, http::ResponseWriter& out) {
          return router->Handle(req, body, out);
        });
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }
  void TearDown() override {
    if (server_) {
      server_->Shutdown(2s);
      server_->Wait();
    }
  }

  Response Send(const Call& c) { return Exchange(server_->port(), Render(c, server_->port())); }

  // A JSON-shaped error: status, __type, x-amzn-ErrorType, request ids.
  static void ExpectError(const Response& r, int status, const std::string& type) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.Header("x-amzn-errortype"), type);
    EXPECT_FALSE(r.Header("x-amzn-requestid").empty());
    EXPECT_EQ(r.Header("x-amz-request-id"), r.Header("x-amzn-requestid"));
    Json body = Json::parse(r.body);
    EXPECT_EQ(body["__type"], type) << r.body;
    EXPECT_TRUE(body["message"].is_string()) << r.body;
  }

  FakeService kinesis_{kPrefix, "1.1"};
  FakeService v10_{"Fake_20240101", "1.0"};
  WorkerPool pool_{2};
  std::unique_ptr<Router> router_;
  std::unique_ptr<http::Server> server_;
};

TEST_F(JsonRouteTest, SignedRequestReachesTheService) {
  Call c;
  c.body = R"({"StreamName":"s","Limit":5})";
  Response r = Send(c);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/x-amz-json-1.1");
  EXPECT_FALSE(r.Header("x-amzn-requestid").empty());
  EXPECT_EQ(r.Header("x-amz-request-id"), r.Header("x-amzn-requestid"));
  EXPECT_EQ(r.Header("x-amzn-errortype"), "");
  Json body = r.JsonBody();
  EXPECT_EQ(body["Input"], Json::parse(c.body));
  EXPECT_EQ(body["Operation"], "Echo");
  EXPECT_EQ(body["SigningService"], "kinesis");
  EXPECT_EQ(body["Verified"], true);
}

TEST_F(JsonRouteTest, StatedPayloadHashAlsoAuthenticates) {
  Call c;
  c.hash_in_signature_only = false;
  c.body = R"({"StreamName":"s"})";
  Response r = Send(c);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.JsonBody()["Verified"], true);
}

TEST_F(JsonRouteTest, EmptyBodyIsAnEmptyObjectAndNullResultIsEmptyObject) {
  Call c;
  c.body = "";
  Response r = Send(c);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.JsonBody()["Input"], Json::object());
  c.target = std::string(kPrefix) + ".Nothing";
  r = Send(c);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{}");
}

TEST_F(JsonRouteTest, JsonVersionComesFromTheService) {
  Call c;
  c.target = "Fake_20240101.Echo";
  c.content_type = "application/x-amz-json-1.0";
  Response r = Send(c);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/x-amz-json-1.0");
}

TEST_F(JsonRouteTest, UnknownOperationIsNamed) {
  Call c;
  c.target = std::string(kPrefix) + ".Frobnicate";
  Response r = Send(c);
  ExpectError(r, 400, "UnknownOperationException");
  EXPECT_NE(r.JsonBody()["message"].get<std::string>().find("Frobnicate"), std::string::npos);
}

TEST_F(JsonRouteTest, UnknownPrefixIsUnknownOperation) {
  for (const char* target : {"DynamoDB_20120810.ListTables", "NoDotAtAll", "Kinesis_20131202."}) {
    Call c;
    c.target = target;
    ExpectError(Send(c), 400, "UnknownOperationException");
    c.secret = "wrong";  // the signature is checked first
    ExpectError(Send(c), 400, "InvalidSignatureException");
  }
}

TEST_F(JsonRouteTest, BadJsonIsSerializationException) {
  for (const char* body : {"{\"StreamName\":", "[1,2]", "\"s\"", "nope"}) {
    Call c;
    c.body = body;
    ExpectError(Send(c), 400, "SerializationException");
  }
}

TEST_F(JsonRouteTest, BadContentTypeIsRefused) {
  Call c;
  c.content_type = "application/x-www-form-urlencoded";
  ExpectError(Send(c), 400, "UnknownOperationException");
}

TEST_F(JsonRouteTest, GetIsRefused) {
  Call c;
  c.method = "GET";
  c.body = "";
  ExpectError(Send(c), 403, "AccessDeniedException");
}

// ---- authentication -----------------------------------------------------------------

TEST_F(JsonRouteTest, WrongSecretIsInvalidSignature) {
  Call c;
  c.secret = "not-the-secret";
  Response r = Send(c);
  ExpectError(r, 400, "InvalidSignatureException");
  EXPECT_NE(r.JsonBody()["message"].get<std::string>().find("does not match"), std::string::npos);
}

TEST_F(JsonRouteTest, TamperedBodyIsInvalidSignature) {
  // The signature covers the body's hash, checked only once the body is in.
  Call c;
  c.body = R"({"StreamName":"mine"})";
  c.body_on_wire = R"({"StreamName":"evil"})";
  ExpectError(Send(c), 400, "InvalidSignatureException");
  c.hash_in_signature_only = false;  // stated hash, body differs
  ExpectError(Send(c), 400, "InvalidSignatureException");
}

TEST_F(JsonRouteTest, UnknownAccessKeyIsUnrecognizedClient) {
  Call c;
  c.key = "AKIDUNKNOWN";
  Response r = Send(c);
  ExpectError(r, 400, "UnrecognizedClientException");
  EXPECT_EQ(r.JsonBody()["message"], "The security token included in the request is invalid.");
}

TEST_F(JsonRouteTest, UnsignedIsMissingAuthenticationToken) {
  Call c;
  c.sign = false;
  Response r = Send(c);
  ExpectError(r, 400, "MissingAuthenticationTokenException");
  EXPECT_EQ(r.JsonBody()["message"], "Missing Authentication Token");
}

TEST_F(JsonRouteTest, SkewedClockIsSignatureExpired) {
  Call c;
  c.now = Clock::Real()->Now() - 20 * 60 * 1000;
  Response r = Send(c);
  ExpectError(r, 400, "InvalidSignatureException");
  std::string message = r.JsonBody()["message"];
  EXPECT_EQ(
      message.rfind("Signature expired: " + FormatAmzDate(c.now) + " is now earlier than ", 0), 0u)
      << message;
  EXPECT_NE(message.find(" - 15 min.)"), std::string::npos) << message;

  c.now = Clock::Real()->Now() + 20 * 60 * 1000;
  r = Send(c);
  ExpectError(r, 400, "InvalidSignatureException");
  EXPECT_EQ(r.JsonBody()["message"].get<std::string>().rfind("Signature not yet current: ", 0), 0u);
}

TEST_F(JsonRouteTest, MalformedAuthorizationIsIncompleteSignature) {
  Call c;
  c.authorization = "AWS4-HMAC-SHA256 Credential=" + std::string(kKey) + "/20150830/us-east-1";
  ExpectError(Send(c), 400, "IncompleteSignatureException");
}

// ---- limits -------------------------------------------------------------------------

TEST_F(JsonRouteTest, OversizedBodyIs413AndTheServerKeepsServing) {
  Call c;
  c.body = "{\"Data\":\"" + std::string(kLimit, 'A') + "\"}";
  Response r = Send(c);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.Header("x-amzn-errortype"), "");
  EXPECT_EQ(r.JsonBody()["message"], "Request Entity Too Large");

  c.chunked = true;  // no Content-Length: caught while reading
  r = Send(c);
  EXPECT_EQ(r.status, 413);

  Call ok;
  EXPECT_EQ(Send(ok).status, 200);
}

TEST_F(JsonRouteTest, LargeBodiesAreDecodedAndEncodedOnThePool) {
  Call c;
  Json records = Json::array();
  for (int i = 0; i < 2000; ++i)
    records.push_back({{"Data", "AAAA"}, {"PartitionKey", std::to_string(i)}});
  c.body = Json{{"Records", records}}.dump();
  ASSERT_GT(c.body.size(), 64u * 1024);
  c.chunked = true;
  Response r = Send(c);
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 200);
  EXPECT_EQ(r.JsonBody()["Input"]["Records"].size(), 2000u);
}

// ---- service errors -------------------------------------------------------------------

TEST_F(JsonRouteTest, ServiceErrorsGetTheirCodeAndStatus) {
  Call c;
  c.target = std::string(kPrefix) + ".Missing";
  Response r = Send(c);
  ExpectError(r, 400, "ResourceNotFoundException");
  EXPECT_EQ(r.JsonBody()["message"], "Stream s not found.");

  c.target = std::string(kPrefix) + ".Crash";
  r = Send(c);
  ExpectError(r, 500, "InternalFailure");
  EXPECT_EQ(r.JsonBody()["message"].get<std::string>().find("/data"), std::string::npos);

  c.target = std::string(kPrefix) + ".Busy";
  ExpectError(Send(c), 503, "ServiceUnavailable");

  c.target = std::string(kPrefix) + ".Teapot";
  ExpectError(Send(c), 418, "TeapotException");
}

// ---- CBOR ---------------------------------------------------------------------------

TEST_F(JsonRouteTest, CborRoundTripWithBlobsAndTimestamps) {
  // As Jackson writes it: an indefinite-length map, a byte string, tag 1
  // over epoch milliseconds.
  const std::string data("\x00\xffraw\x01", 6);
  std::string body = "\xbf";
  body +=
      "\x64"
      "Data";
  body += static_cast<char>(0x40 + data.size());
  body += data;
  body +=
      "\x62"
      "At";
  body += std::string("\xc1\x1b\x00\x00\x01\x4f\x8f\x21\xf2\xb3", 10);  // 1441215410867
  body += "\xff";
  Call c;
  c.target = std::string(kPrefix) + ".Blob";
  c.content_type = "application/x-amz-cbor-1.1";
  c.body = body;
  Response r = Send(c);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/x-amz-cbor-1.1");
  Json out = r.CborBody();
  EXPECT_EQ(aws::GetBlob(out, "Data").value(), std::optional<std::string>(data + "!"));
  EXPECT_EQ(aws::GetTimestamp(out, "At").value(), std::optional<UnixMillis>(1441215410868));
  // On the wire: tag 1 over an integer of millis (what the SDK reads back).
  EXPECT_NE(r.body.find(std::string("\xc1\x1b\x00\x00\x01\x4f\x8f\x21\xf2\xb4", 10)),
            std::string::npos);

  // The same call in JSON: base64 and epoch seconds.
  c.content_type = "application/x-amz-json-1.1";
  c.body = R"({"Data":")" + Base64Encode(data) + R"(","At":1441215410.867})";
  r = Send(c);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.JsonBody()["Data"], Base64Encode(data + "!"));
  EXPECT_EQ(r.body.find("\"At\":1441215410.868"), 1u) << r.body;
}

TEST_F(JsonRouteTest, CborClientsGetCborErrors) {
  Call c;
  c.target = std::string(kPrefix) + ".Frobnicate";
  c.content_type = "application/x-amz-cbor-1.1";
  c.body = "\xa0";
  Response r = Send(c);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Header("content-type"), "application/x-amz-cbor-1.1");
  EXPECT_EQ(r.Header("x-amzn-errortype"), "UnknownOperationException");
  EXPECT_EQ(r.CborBody()["__type"], "UnknownOperationException");

  c.target = std::string(kPrefix) + ".Echo";
  c.body = "\xa1\x61";  // truncated
  r = Send(c);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.CborBody()["__type"], "SerializationException");

  c.body = "\xa0";
  c.secret = "wrong";
  r = Send(c);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.CborBody()["__type"], "InvalidSignatureException");
}

}  // namespace
}  // namespace tarn::server
