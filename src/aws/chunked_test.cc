#include "aws/chunked.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "aws/sigv4.h"
#include "common/encoding.h"
#include "common/hash.h"

namespace tarn::aws {
namespace {

// Writes every event to a log, so tests can compare whole decodes.
class RecordingSink : public ChunkedSink {
 public:
  Status OnChunkStart(uint64_t size, std::string_view signature) override {
    log += "[" + std::to_string(size) + (signature.empty() ? "" : ";" + std::string(signature)) +
           "]";
    return Status::OK();
  }
  Status OnData(std::string_view d) override {
    data += d;
    log += d;
    return Status::OK();
  }
  Status OnChunkEnd() override {
    log += "|";
    return Status::OK();
  }
  Status OnTrailer(std::string_view name, std::string_view value) override {
    log += "{" + std::string(name) + "=" + std::string(value) + "}";
    return Status::OK();
  }
  Status OnTrailerSignature(std::string_view signature) override {
    log += "{sig=" + std::string(signature) + "}";
    return Status::OK();
  }
  std::string log;
  std::string data;
};

const std::string kSigA(64, 'a');
const std::string kSigB(64, 'b');
const std::string kSigC(64, 'c');

ChunkedOptions Unsigned() {
  ChunkedOptions o;
  o.signed_chunks = false;
  return o;
}

// Decodes body fed in the given piece sizes (cycled); returns the log, or
// the error's aws_code prefixed with "!".
std::string Decode(std::string_view body, ChunkedOptions options = {},
                   std::vector<size_t> pieces = {}) {
  ChunkedDecoder d(options);
  RecordingSink sink;
  size_t i = 0, k = 0;
  while (i < body.size()) {
    size_t n = pieces.empty() ? body.size() : std::max<size_t>(1, pieces[k++ % pieces.size()]);
    n = std::min(n, body.size() - i);
    Status s = d.Feed(body.substr(i, n), sink);
    if (!s.ok()) return "!" + s.aws_code();
    i += n;
  }
  Status s = d.Finish();
  if (!s.ok()) return "!" + s.aws_code();
  EXPECT_EQ(d.decoded_bytes(), sink.data.size());
  return sink.log;
}

const std::string kSignedBody = "5;chunk-signature=" + kSigA + "\r\nhello\r\n" +
                                "7;chunk-signature=" + kSigB + "\r\n, \r\nw\r\n\r\n" +
                                "0;chunk-signature=" + kSigC + "\r\n\r\n";
const std::string kSignedLog = "[5;" + kSigA + "]hello|[7;" + kSigB + "], \r\nw\r\n|[0;" + kSigC +
                               "]|";

TEST(ChunkedDecoder, SignedBody) { EXPECT_EQ(Decode(kSignedBody), kSignedLog); }

TEST(ChunkedDecoder, SplitAtEveryOffsetGivesTheSameResult) {
  for (size_t cut = 0; cut <= kSignedBody.size(); cut++) {
    ChunkedDecoder d;
    RecordingSink sink;
    ASSERT_TRUE(d.Feed(std::string_view(kSignedBody).substr(0, cut), sink).ok()) << cut;
    ASSERT_TRUE(d.Feed(std::string_view(kSignedBody).substr(cut), sink).ok()) << cut;
    ASSERT_TRUE(d.Finish().ok()) << cut;
    // Data may arrive in two pieces; the events and bytes are the same.
    EXPECT_EQ(sink.data, "hello, \r\nw\r\n") << cut;
  }
  EXPECT_EQ(Decode(kSignedBody, {}, {1}), kSignedLog);
  EXPECT_EQ(Decode(kSignedBody, {}, {2, 3, 5, 7}), kSignedLog);
  EXPECT_EQ(Decode(kSignedBody, {}, {0}), kSignedLog);  // zero-length feeds are fine
}

TEST(ChunkedDecoder, TruncatedAtEveryOffsetIsIncompleteBody) {
  for (size_t len = 0; len < kSignedBody.size(); len++) {
    EXPECT_EQ(Decode(std::string_view(kSignedBody).substr(0, len)), "!IncompleteBody") << len;
  }
}

TEST(ChunkedDecoder, UnsignedTrailerVariant) {
  const std::string body =
      "5\r\nhello\r\nA\r\n0123456789\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
  const std::string expect = "[5]hello|[10]0123456789|[0]|{x-amz-checksum-crc32=NhCmhg==}";
  EXPECT_EQ(Decode(body, Unsigned()), expect);
  for (size_t cut = 0; cut <= body.size(); cut++) {
    EXPECT_EQ(Decode(body, Unsigned(), {cut, body.size()}), expect) << cut;
  }
  EXPECT_EQ(Decode("0\r\n\r\n", Unsigned()), "[0]|");
}

TEST(ChunkedDecoder, SignedTrailerVariant) {
  const std::string body = "3;chunk-signature=" + kSigA + "\r\nabc\r\n0;chunk-signature=" +
                           kSigB + "\r\nx-amz-checksum-crc32c:sOO8/Q==\r\n" +
                           "x-amz-trailer-signature:" + kSigC + "\r\n\r\n";
  EXPECT_EQ(Decode(body), "[3;" + kSigA + "]abc|[0;" + kSigB +
                              "]|{x-amz-checksum-crc32c=sOO8/Q==}{sig=" + kSigC + "}");
  EXPECT_EQ(Decode(body, {}, {1}), Decode(body));
}

TEST(ChunkedDecoder, TrailerNamesAreLowercasedAndValuesTrimmed) {
  EXPECT_EQ(Decode("0\r\nX-Amz-Checksum-CRC32:  AAAAAA==  \r\nX-Amz-Meta:\r\n\r\n", Unsigned()),
            "[0]|{x-amz-checksum-crc32=AAAAAA==}{x-amz-meta=}");
}

TEST(ChunkedDecoder, UppercaseAndPaddedHexSizes) {
  EXPECT_EQ(Decode("A\r\n0123456789\r\n0000\r\n\r\n", Unsigned()), "[10]0123456789|[0]|");
  EXPECT_EQ(Decode("000000000000000a\r\n0123456789\r\n0\r\n\r\n", Unsigned()),
            "[10]0123456789|[0]|");
}

TEST(ChunkedDecoder, BadFraming) {
  const std::string sig = ";chunk-signature=" + kSigA;
  struct {
    std::string body;
    bool signed_chunks;
    const char* why;
  } cases[] = {
      {"5" + sig + "\r\nhelloX\r\n0" + sig + "\r\n\r\n", true, "data longer than declared"},
      {"5" + sig + "\r\nhello\rX0" + sig + "\r\n\r\n", true, "data CR not followed by LF"},
      {"5" + sig + "\nhello\r\n0" + sig + "\r\n\r\n", true, "bare LF after size line"},
      {"5" + sig + "\r\r\nhello\r\n", true, "stray CR"},
      {"\r\n", true, "empty size line"},
      {"g" + sig + "\r\n", true, "size not hex"},
      {"-5" + sig + "\r\n", true, "negative size"},
      {" 5" + sig + "\r\n", true, "space before size"},
      {"00000000000000005" + sig + "\r\n", true, "17 hex digits"},
      {"5\r\nhello\r\n", true, "signed body without signature"},
      {"5;chunk-signature=abc\r\n", true, "short signature"},
      {"5;chunk-signature=" + std::string(64, 'z') + "\r\n", true, "signature not hex"},
      {"5;chunk-signature=" + kSigA + "0\r\n", true, "65-digit signature"},
      {"5;foo=bar\r\n", true, "unknown extension"},
      {"5;chunk-signature=" + kSigA + "\r\nhello\r\n", false, "signature in unsigned body"},
      {"0\r\nno-colon\r\n\r\n", false, "trailer without colon"},
      {"0\r\n:value\r\n\r\n", false, "trailer without name"},
      {"0\r\nbad name:v\r\n\r\n", false, "space in trailer name"},
      {"0\r\nx:a\x01z\r\n\r\n", false, "control character in trailer"},
      {"0\r\nx-amz-trailer-signature:" + kSigA + "\r\nx:y\r\n\r\n", false,
       "trailer after signature"},
      {"0\r\nx:y\n\r\n", false, "trailer line with bare LF"},
      {"0\r\n\r\nX", false, "bytes after the end"},
      {std::string(300, '0') + "\r\n", false, "size line too long"},
  };
  for (const auto& c : cases) {
    ChunkedOptions o;
    o.signed_chunks = c.signed_chunks;
    EXPECT_EQ(Decode(c.body, o), "!InvalidRequest") << c.why;
    EXPECT_EQ(Decode(c.body, o, {1}), "!InvalidRequest") << c.why << " (byte by byte)";
  }
}

TEST(ChunkedDecoder, TrailerLimits) {
  ChunkedOptions o = Unsigned();
  o.max_trailer_bytes = 64;
  o.max_trailers = 3;
  EXPECT_EQ(Decode("0\r\na:1\r\nb:2\r\nc:3\r\n\r\n", o), "[0]|{a=1}{b=2}{c=3}");
  EXPECT_EQ(Decode("0\r\na:1\r\nb:2\r\nc:3\r\nd:4\r\n\r\n", o), "!InvalidRequest");
  EXPECT_EQ(Decode("0\r\na:" + std::string(70, 'v') + "\r\n\r\n", o), "!InvalidRequest");
  // A line that never ends is refused once it passes the limit, not buffered.
  ChunkedDecoder d(o);
  RecordingSink sink;
  ASSERT_TRUE(d.Feed("0\r\na:", sink).ok());
  Status s = d.Feed(std::string(100, 'v'), sink);
  EXPECT_EQ(s.aws_code(), "InvalidRequest");
}

TEST(ChunkedDecoder, ErrorsAreSticky) {
  ChunkedDecoder d(Unsigned());
  RecordingSink sink;
  Status first = d.Feed("zz\r\n", sink);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(d.Feed("0\r\n\r\n", sink).message(), first.message());
  EXPECT_EQ(d.Finish().message(), first.message());
  EXPECT_FALSE(d.done());
}

TEST(ChunkedDecoder, SinkErrorsStopDecoding) {
  class Refusing : public RecordingSink {
   public:
    Status OnData(std::string_view) override { return Unauthenticated("no", "Custom"); }
  } sink;
  ChunkedDecoder d(Unsigned());
  Status s = d.Feed("3\r\nabc\r\n0\r\n\r\n", sink);
  EXPECT_EQ(s.aws_code(), "Custom");
  EXPECT_EQ(d.Finish().aws_code(), "Custom");
}

TEST(ChunkedDecoder, RandomSplitsOfALargeBody) {
  std::mt19937 rng(42);
  std::string body, expect;
  for (int c = 0; c < 50; c++) {
    size_t n = rng() % 5000 + 1;
    std::string data(n, '\0');
    for (char& ch : data) ch = static_cast<char>(rng());
    char hex[32];
    snprintf(hex, sizeof hex, "%zx", n);
    body += std::string(hex) + "\r\n" + data + "\r\n";
    expect += data;
  }
  body += "0\r\n\r\n";
  for (int round = 0; round < 20; round++) {
    ChunkedDecoder d(Unsigned());
    RecordingSink sink;
    size_t i = 0;
    while (i < body.size()) {
      size_t n = std::min<size_t>(rng() % 3000, body.size() - i);
      ASSERT_TRUE(d.Feed(std::string_view(body).substr(i, n), sink).ok());
      i += n;
    }
    ASSERT_TRUE(d.Finish().ok());
    EXPECT_EQ(sink.data, expect);
  }
}

TEST(ChunkedDecoder, MutatedBodiesDecodeTheSameWhateverTheSplit) {
  // Whatever the input, the outcome (events or error) must not depend on
  // where the input was split; and nothing may crash (run under ASan).
  const std::string unsigned_body =
      "5\r\nhello\r\n3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
  std::mt19937 rng(7);
  int failures = 0;
  for (int round = 0; round < 3000; round++) {
    const bool is_signed = round % 2 == 0;
    std::string body = is_signed ? kSignedBody : unsigned_body;
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; e++) {
      size_t pos = rng() % (body.size() + 1);
      switch (rng() % 4) {
        case 0:
          if (pos < body.size()) body[pos] = static_cast<char>(rng());
          break;
        case 1:
          body.insert(pos, 1, "\r\n0;:x"[rng() % 7]);
          break;
        case 2:
          if (pos < body.size()) body.erase(pos, 1 + rng() % 4);
          break;
        default:
          body.resize(pos);
      }
    }
    ChunkedOptions o;
    o.signed_chunks = is_signed;
    const std::string whole = Decode(body, o);
    EXPECT_EQ(Decode(body, o, {1}), whole) << round;
    EXPECT_EQ(Decode(body, o, {rng() % 9, rng() % 40}), whole) << round;
    if (!whole.empty() && whole[0] == '!') failures++;
  }
  EXPECT_GT(failures, 1000);  // the mutations did hit the error paths
}

// ---- chunk signatures -------------------------------------------------------

// "Signature Calculations for the Authorization Header: Transferring Payload
// in Multiple Chunks", Example: PUT Object (64 KiB + 1 KiB of 'a').
TEST(ChunkSignatures, S3DocExample) {
  const std::string key =
      DeriveSigningKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3");
  const std::string scope = "20130524/us-east-1/s3/aws4_request";
  const std::string date = "20130524T000000Z";
  std::string prev = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
  prev = ChunkSignature(key, date, scope, prev, HexEncode(Sha256(std::string(65536, 'a'))));
  EXPECT_EQ(prev, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
  prev = ChunkSignature(key, date, scope, prev, HexEncode(Sha256(std::string(1024, 'a'))));
  EXPECT_EQ(prev, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
  prev = ChunkSignature(key, date, scope, prev, HexEncode(Sha256("")));
  EXPECT_EQ(prev, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");
}

TEST(ChunkSignatures, TrailerSignatureDependsOnEveryInput) {
  const std::string key = DeriveSigningKey("secret", "20130524", "us-east-1", "s3");
  const std::string h = HexEncode(Sha256("x-amz-checksum-crc32c:sOO8/Q==\n"));
  const std::string base = TrailerSignature(key, "20130524T000000Z", "s", kSigA, h);
  EXPECT_EQ(base.size(), 64u);
  EXPECT_NE(base, TrailerSignature(key, "20130524T000000Z", "s", kSigB, h));
  EXPECT_NE(base, TrailerSignature(key, "20130524T000001Z", "s", kSigA, h));
  EXPECT_NE(base, TrailerSignature(key, "20130524T000000Z", "s", kSigA, HexEncode(Sha256(""))));
  // A trailer signature is not a chunk signature over the same hash.
  EXPECT_NE(base, ChunkSignature(key, "20130524T000000Z", "s", kSigA, h));
}

}  // namespace
}  // namespace tarn::aws
