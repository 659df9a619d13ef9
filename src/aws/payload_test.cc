#include "aws/payload.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <optional>

#include "common/encoding.h"
#include "common/hash.h"

namespace tarn::aws {
namespace {

namespace asio = boost::asio;

// A body held in memory, handed out in pieces of the given sizes (cycled),
// optionally failing after it has been read.
class MemoryBody : public http::BodyReader {
 public:
  explicit MemoryBody(std::string data, std::vector<size_t> pieces = {},
                      Status fail_at_end = Status::OK())
      : data_(std::move(data)), pieces_(std::move(pieces)), fail_at_end_(std::move(fail_at_end)) {}

  asio::awaitable<Result<size_t>> Read(std::span<char> buf) override {
    reads_++;
    if (pos_ == data_.size()) {
      if (!fail_at_end_.ok()) co_return fail_at_end_;
      co_return size_t{0};
    }
    size_t n = std::min(buf.size(), data_.size() - pos_);
    if (!pieces_.empty()) n = std::min(n, std::max<size_t>(1, pieces_[k_++ % pieces_.size()]));
    std::memcpy(buf.data(), data_.data() + pos_, n);
    pos_ += n;
    co_return n;
  }

  size_t remaining() const { return data_.size() - pos_; }
  int reads() const { return reads_; }

 private:
  std::string data_;
  std::vector<size_t> pieces_;
  Status fail_at_end_;
  size_t pos_ = 0, k_ = 0;
  int reads_ = 0;
};

// Runs a coroutine to completion on a private io_context.
template <typename Fn>
auto RunSync(Fn fn) {
  using T = typename decltype(fn())::value_type;
  asio::io_context io;
  std::optional<T> out;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { out.emplace(co_await fn()); },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  return std::move(*out);
}

// Reads the whole payload with a buffer of buf_size bytes.
Result<std::string> ReadAll(PayloadReader& reader, size_t buf_size = 4096) {
  return RunSync([&]() -> asio::awaitable<Result<std::string>> {
    std::string out;
    std::vector<char> buf(buf_size);
    while (true) {
      auto r = co_await reader.Read(std::span<char>(buf));
      if (!r.ok()) co_return r.status();
      if (*r == 0) co_return out;
      out.append(buf.data(), *r);
    }
  });
}

Result<std::string> ReadAll(const http::Request& request, const AuthContext* auth,
                            std::string body, std::vector<size_t> pieces = {},
                            size_t buf_size = 4096) {
  MemoryBody b(std::move(body), std::move(pieces));
  PayloadReader reader(b, request, auth);
  auto r = ReadAll(reader, buf_size);
  if (r.ok()) {
    EXPECT_EQ(reader.bytes_read(), r->size());
  }
  return r;
}

std::string Sha256Hex(std::string_view s) { return HexEncode(Sha256(s)); }

constexpr char kKey[] = "AKIAIOSFODNN7EXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr char kDate[] = "20130524T000000Z";

UnixMillis Now() { return *ParseAmzDate(kDate); }

SecretLookup Secrets() {
  return [](std::string_view id) -> std::optional<std::string> {
    if (id == kKey) return std::string(kSecret);
    return std::nullopt;
  };
}

http::Request Request(std::string method, std::string path, http::Headers headers) {
  http::Request r;
  r.method = std::move(method);
  r.path = path;
  r.target = path;
  r.headers = std::move(headers);
  return r;
}

// An S3 PUT signed by tarn's own client code.
http::Request SignedPut(std::string_view payload_hash,
                        std::vector<std::pair<std::string, std::string>> extra = {}) {
  http::Headers h;
  h.Add("Host", "localhost");
  for (auto& [n, v] : extra) h.Add(n, v);
  SignRequest("PUT", "/bucket/key", "", h, payload_hash, kKey, kSecret, "us-east-1", "s3", Now());
  return Request("PUT", "/bucket/key", std::move(h));
}

AuthContext Auth(const http::Request& r) {
  auto ctx = Authenticate(r, Secrets(), Now());
  EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
  return ctx.ok() ? *ctx : AuthContext{};
}

// Builds a signed aws-chunked body chained from ctx's seed signature.
std::string SignedChunkedBody(const AuthContext& ctx, const std::vector<std::string>& chunks,
                              const std::vector<std::pair<std::string, std::string>>& trailers = {},
                              bool trailer_signature = false) {
  std::string body, prev = ctx.seed_signature;
  char hex[32];
  for (const std::string& data : chunks) {
    prev = ChunkSignature(ctx.signing_key, ctx.amz_date, ctx.scope, prev, Sha256Hex(data));
    snprintf(hex, sizeof hex, "%zx", data.size());
    body += std::string(hex) + ";chunk-signature=" + prev + "\r\n" + data + "\r\n";
  }
  prev = ChunkSignature(ctx.signing_key, ctx.amz_date, ctx.scope, prev, Sha256Hex(""));
  body += "0;chunk-signature=" + prev + "\r\n";
  std::string canonical;
  for (const auto& [n, v] : trailers) {
    body += n + ":" + v + "\r\n";
    canonical += n + ":" + v + "\n";
  }
  if (trailer_signature) {
    body += "x-amz-trailer-signature:" +
            TrailerSignature(ctx.signing_key, ctx.amz_date, ctx.scope, prev,
                             Sha256Hex(canonical)) +
            "\r\n";
  }
  return body + "\r\n";
}

// ---- pass-through modes -----------------------------------------------------

TEST(PayloadReader, UnsignedPayloadPassesThrough) {
  http::Request r = SignedPut("UNSIGNED-PAYLOAD");
  AuthContext ctx = Auth(r);
  const std::string body = "any bytes at all\r\n0\r\n";
  for (size_t buf : {1, 3, 4096}) {
    auto got = ReadAll(r, &ctx, body, {2, 5}, buf);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, body);
  }
}

TEST(PayloadReader, S3DocPutObjectBodyMatchesItsHash) {
  const std::string body = "Welcome to Amazon S3.";
  http::Request r = SignedPut(Sha256Hex(body));
  AuthContext ctx = Auth(r);
  auto got = ReadAll(r, &ctx, body, {4});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, body);
}

TEST(PayloadReader, SignedHashMismatchFailsAtTheEnd) {
  http::Request r = SignedPut(Sha256Hex("Welcome to Amazon S3."));
  AuthContext ctx = Auth(r);
  MemoryBody b("Welcome to Amazon S4.");
  PayloadReader reader(b, r, &ctx);
  char buf[64];
  auto first = RunSync([&] { return reader.Read(std::span<char>(buf)); });
  ASSERT_TRUE(first.ok());  // bytes come before the check
  EXPECT_EQ(*first, 21u);
  auto end = ReadAll(reader);
  EXPECT_EQ(end.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(end.status().aws_code(), "XAmzContentSHA256Mismatch");
  // Sticky.
  EXPECT_EQ(ReadAll(reader).status().aws_code(), "XAmzContentSHA256Mismatch");
}

TEST(PayloadReader, NonS3BodyHashFinishesTheSignature) {
  // The SigV4 suite's post-x-www-form-urlencoded: the signature covers the
  // body's hash, which only the body can give.
  http::Headers h;
  h.Add("Content-Type", "application/x-www-form-urlencoded");
  h.Add("Host", "example.amazonaws.com");
  h.Add("X-Amz-Date", "20150830T123600Z");
  h.Add("Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
  http::Request r = Request("POST", "/", std::move(h));
  auto ctx = Authenticate(
      r,
      [](std::string_view) -> std::optional<std::string> {
        return "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
      },
      *ParseAmzDate("20150830T123600Z"));
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  ASSERT_TRUE(ctx->needs_body_hash);
  auto good = ReadAll(r, &*ctx, "Param1=value1", {3});
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(*good, "Param1=value1");
  auto bad = ReadAll(r, &*ctx, "Param1=value2");
  EXPECT_EQ(bad.status().aws_code(), "SignatureDoesNotMatch");
  EXPECT_EQ(bad.status().code(), Code::kUnauthenticated);
}

TEST(PayloadReader, BodyErrorsPropagateAndStick) {
  http::Request r = SignedPut("UNSIGNED-PAYLOAD");
  AuthContext ctx = Auth(r);
  MemoryBody b("abc", {}, Unavailable("connection reset"));
  PayloadReader reader(b, r, &ctx);
  auto got = ReadAll(reader);
  EXPECT_EQ(got.status().code(), Code::kUnavailable);
  int reads = b.reads();
  EXPECT_EQ(ReadAll(reader).status().code(), Code::kUnavailable);
  EXPECT_EQ(b.reads(), reads);  // no further reads after an error
}

// ---- aws-chunked ------------------------------------------------------------

// The S3 API Reference's chunked upload example, whole.
struct DocChunked {
  http::Request request;
  std::string body;
};

DocChunked DocExample() {
  http::Headers h;
  h.Add("Host", "s3.amazonaws.com");
  h.Add("x-amz-date", kDate);
  h.Add("x-amz-storage-class", "REDUCED_REDUNDANCY");
  h.Add("Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
        "x-amz-decoded-content-length;x-amz-storage-class,"
        "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
  h.Add("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  h.Add("Content-Encoding", "aws-chunked");
  h.Add("x-amz-decoded-content-length", "66560");
  h.Add("Content-Length", "66824");
  DocChunked d{Request("PUT", "/examplebucket/chunkObject.txt", std::move(h)), ""};
  d.body = "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
           "\r\n" +
           std::string(65536, 'a') +
           "\r\n400;chunk-signature="
           "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n" +
           std::string(1024, 'a') +
           "\r\n0;chunk-signature="
           "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n";
  return d;
}

TEST(PayloadReader, S3DocChunkedExampleVerifies) {
  DocChunked d = DocExample();
  ASSERT_EQ(d.body.size(), 66824u);  // the example's Content-Length
  AuthContext ctx = Auth(d.request);
  ASSERT_EQ(ctx.payload_mode, PayloadMode::kStreamingSigned);
  for (auto [pieces, buf] : std::vector<std::pair<std::vector<size_t>, size_t>>{
           {{}, 65536}, {{}, 1000}, {{1}, 7}, {{17, 4096, 3}, 8192}}) {
    auto got = ReadAll(d.request, &ctx, d.body, pieces, buf);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, std::string(66560, 'a'));
  }
}

TEST(PayloadReader, ChangedChunkDataIsSignatureDoesNotMatch) {
  DocChunked d = DocExample();
  AuthContext ctx = Auth(d.request);
  for (size_t pos : {size_t{100}, size_t{65626 + 86 + 5}}) {  // in chunk 1, in chunk 2
    std::string body = d.body;
    ASSERT_EQ(body[pos], 'a');
    body[pos] = 'b';
    auto got = ReadAll(d.request, &ctx, body);
    EXPECT_EQ(got.status().aws_code(), "SignatureDoesNotMatch") << pos;
    EXPECT_EQ(got.status().code(), Code::kUnauthenticated);
  }
  // Reordered chunks: the chain breaks even with valid signatures.
  std::string swapped = d.body;
  std::string final_sig = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";
  swapped.replace(swapped.find(final_sig), 64,
                  "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
  EXPECT_EQ(ReadAll(d.request, &ctx, swapped).status().aws_code(), "SignatureDoesNotMatch");
}

TEST(PayloadReader, TruncatedChunkedBodyIsIncompleteBody) {
  DocChunked d = DocExample();
  AuthContext ctx = Auth(d.request);
  for (size_t len : {size_t{0}, size_t{50}, size_t{30000}, d.body.size() - 2}) {
    auto got = ReadAll(d.request, &ctx, d.body.substr(0, len));
    EXPECT_EQ(got.status().aws_code(), "IncompleteBody") << len;
  }
}

TEST(PayloadReader, DecodedContentLengthIsEnforced) {
  DocChunked d = DocExample();
  AuthContext ctx = Auth(d.request);
  http::Request more = d.request;
  more.headers.Set("x-amz-decoded-content-length", "66561");
  EXPECT_EQ(ReadAll(more, &ctx, d.body).status().aws_code(), "IncompleteBody");
  http::Request less = d.request;
  less.headers.Set("x-amz-decoded-content-length", "1000");
  EXPECT_EQ(ReadAll(less, &ctx, d.body).status().aws_code(), "InvalidRequest");
  http::Request junk = d.request;
  junk.headers.Set("x-amz-decoded-content-length", "12x");
  EXPECT_EQ(ReadAll(junk, &ctx, d.body).status().aws_code(), "InvalidArgument");
}

TEST(PayloadReader, DataAfterTheChunkedBodyIsRejected) {
  DocChunked d = DocExample();
  AuthContext ctx = Auth(d.request);
  EXPECT_EQ(ReadAll(d.request, &ctx, d.body + "x").status().aws_code(), "InvalidRequest");
  // Even when it arrives in a separate read after the end.
  EXPECT_EQ(ReadAll(d.request, &ctx, d.body + "x", {65626, 1112, 86}).status().aws_code(),
            "InvalidRequest");
}

TEST(PayloadReader, SignedTrailerRoundTrip) {
  const std::string data(20000, 'z');
  const std::string crc = Base64Encode(Crc32Bytes(Crc32(0, data)));
  http::Request r = SignedPut("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                              {{"Content-Encoding", "aws-chunked"},
                               {"x-amz-trailer", "x-amz-checksum-crc32"},
                               {"x-amz-decoded-content-length", "20000"}});
  AuthContext ctx = Auth(r);
  ASSERT_EQ(ctx.payload_mode, PayloadMode::kStreamingSignedTrailer);
  const std::string body = SignedChunkedBody(ctx, {data.substr(0, 8192), data.substr(8192)},
                                             {{"x-amz-checksum-crc32", crc}}, true);
  MemoryBody b(body, {333});
  PayloadReader reader(b, r, &ctx);
  auto got = ReadAll(reader, 1024);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, data);
  ASSERT_EQ(reader.trailers().size(), 1u);
  EXPECT_EQ(reader.trailers()[0].first, "x-amz-checksum-crc32");
  EXPECT_EQ(reader.trailers()[0].second, crc);

  // A changed trailer value breaks the trailer signature.
  std::string tampered = body;
  tampered.replace(tampered.find(crc), crc.size(), "AAAAAA==");
  EXPECT_EQ(ReadAll(r, &ctx, tampered).status().aws_code(), "SignatureDoesNotMatch");
  // The trailer signature is required in this mode.
  std::string unsigned_trailer =
      SignedChunkedBody(ctx, {data}, {{"x-amz-checksum-crc32", crc}}, false);
  EXPECT_EQ(ReadAll(r, &ctx, unsigned_trailer).status().aws_code(), "InvalidRequest");
}

TEST(PayloadReader, SignedChunksOfVariedBytesInAnyPieces) {
  // Uniform data would hide a reader that hashes bytes after moving them.
  std::string data(50000, '\0');
  uint32_t x = 1;
  for (char& c : data) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 16);
  }
  http::Request r = SignedPut("STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                              {{"x-amz-decoded-content-length", "50000"}});
  AuthContext ctx = Auth(r);
  const std::string body =
      SignedChunkedBody(ctx, {data.substr(0, 8192), data.substr(8192, 30000), data.substr(38192)});
  for (auto [pieces, buf] : std::vector<std::pair<std::vector<size_t>, size_t>>{
           {{}, 100000}, {{1}, 3}, {{4097}, 4096}, {{100, 7, 9000}, 65536}}) {
    auto got = ReadAll(r, &ctx, body, pieces, buf);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, data);
  }
  for (size_t pos : {size_t{200}, size_t{20000}, size_t{49000}}) {
    std::string tampered = body;
    size_t at = tampered.find(data.substr(pos, 32));
    ASSERT_NE(at, std::string::npos);
    tampered[at] = static_cast<char>(tampered[at] ^ 1);
    EXPECT_EQ(ReadAll(r, &ctx, tampered, {1000}).status().aws_code(), "SignatureDoesNotMatch")
        << pos;
  }
}

TEST(PayloadReader, TrailersNeedATrailerMode) {
  http::Request r = SignedPut("STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  AuthContext ctx = Auth(r);
  EXPECT_TRUE(ReadAll(r, &ctx, SignedChunkedBody(ctx, {"abc"})).ok());
  EXPECT_EQ(ReadAll(r, &ctx, SignedChunkedBody(ctx, {"abc"}, {{"x-amz-checksum-crc32", "x"}}))
                .status()
                .aws_code(),
            "InvalidRequest");
}

TEST(PayloadReader, UnsignedTrailerAsBotocoreSendsIt) {
  const std::string data = "hello, world";
  const std::string crc = Base64Encode(Crc32Bytes(Crc32(0, data)));
  http::Request r = SignedPut("STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                              {{"Content-Encoding", "aws-chunked"},
                               {"x-amz-trailer", "x-amz-checksum-crc32"},
                               {"x-amz-decoded-content-length", "12"}});
  AuthContext ctx = Auth(r);
  ASSERT_EQ(ctx.payload_mode, PayloadMode::kStreamingUnsignedTrailer);
  const std::string body = "c\r\nhello, world\r\n0\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n";
  for (size_t piece = 1; piece <= body.size(); piece++) {
    MemoryBody b(body, {piece});
    PayloadReader reader(b, r, &ctx);
    auto got = ReadAll(reader, 5);
    ASSERT_TRUE(got.ok()) << piece << ": " << got.status().ToString();
    EXPECT_EQ(*got, data);
    ASSERT_EQ(reader.trailers().size(), 1u);
    EXPECT_EQ(reader.trailers()[0].second, crc);
  }
  // A signed trailer line has no place in an unsigned body.
  const std::string with_sig = "c\r\nhello, world\r\n0\r\nx-amz-trailer-signature:" +
                               std::string(64, 'a') + "\r\n\r\n";
  EXPECT_EQ(ReadAll(r, &ctx, with_sig).status().aws_code(), "InvalidRequest");
}

TEST(PayloadReader, DrainVerifiesWhatItDiscards) {
  DocChunked d = DocExample();
  AuthContext ctx = Auth(d.request);
  {
    MemoryBody b(d.body, {4000});
    PayloadReader reader(b, d.request, &ctx);
    Status s = RunSync([&] { return reader.Drain(); });
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(reader.bytes_read(), 66560u);
    EXPECT_EQ(b.remaining(), 0u);
  }
  {
    std::string body = d.body;
    body[66000] = 'b';
    MemoryBody b(body);
    PayloadReader reader(b, d.request, &ctx);
    EXPECT_EQ(RunSync([&] { return reader.Drain(); }).aws_code(), "SignatureDoesNotMatch");
  }
}

TEST(PayloadReader, WithoutAuthTheFramingIsStillDecoded) {
  DocChunked d = DocExample();
  std::string body = d.body;
  body[100] = 'b';  // no key, so no signature check
  auto got = ReadAll(d.request, nullptr, body);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->size(), 66560u);
  EXPECT_EQ(ReadAll(d.request, nullptr, body.substr(0, 500)).status().aws_code(),
            "IncompleteBody");
}

}  // namespace
}  // namespace tarn::aws
