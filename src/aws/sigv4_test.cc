#include "aws/sigv4.h"

#include <gtest/gtest.h>

#include <map>

#include "common/encoding.h"
#include "common/hash.h"

namespace tarn::aws {
namespace {

// ---- fixtures ---------------------------------------------------------------

// The S3 API Reference examples ("Signature Calculations for the
// Authorization Header", "Authenticating Requests: Using Query Parameters").
constexpr char kS3Key[] = "AKIAIOSFODNN7EXAMPLE";
constexpr char kS3Secret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr char kS3Date[] = "20130524T000000Z";
constexpr char kS3Host[] = "examplebucket.s3.amazonaws.com";

// The SigV4 test suite ("Signature Version 4 Test Suite" in the AWS General
// Reference; files in awslabs/aws-c-auth tests/aws-signing-test-suite/v4).
constexpr char kSuiteKey[] = "AKIDEXAMPLE";
constexpr char kSuiteSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kSuiteDate[] = "20150830T123600Z";
constexpr char kSuiteHost[] = "example.amazonaws.com";

constexpr char kEmptySha[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

UnixMillis At(const char* amz_date) { return *ParseAmzDate(amz_date); }

http::Request MakeRequest(std::string method, std::string target,
                          std::vector<std::pair<std::string, std::string>> headers) {
  http::Request r;
  r.method = std::move(method);
  r.target = target;
  size_t q = target.find('?');
  r.path = target.substr(0, q);
  r.query = q == std::string::npos ? "" : target.substr(q + 1);
  for (auto& [n, v] : headers) r.headers.Add(n, v);
  return r;
}

SecretLookup Secrets(std::map<std::string, std::string> keys) {
  return [keys = std::move(keys)](std::string_view id) -> std::optional<std::string> {
    auto it = keys.find(std::string(id));
    if (it == keys.end()) return std::nullopt;
    return it->second;
  };
}

SecretLookup S3Secrets() { return Secrets({{kS3Key, kS3Secret}}); }
SecretLookup SuiteSecrets() { return Secrets({{kSuiteKey, kSuiteSecret}}); }

std::string SuiteAuthorization(std::string_view signed_headers, std::string_view signature) {
  return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=" +
         std::string(signed_headers) + ", Signature=" + std::string(signature);
}

std::string S3Authorization(std::string_view signed_headers, std::string_view signature) {
  return "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
         "SignedHeaders=" +
         std::string(signed_headers) + ",Signature=" + std::string(signature);
}

// A test-suite request (service "service"): authenticates, then finishes
// with the body's hash as the JSON/query layers would.
Status VerifySuite(const http::Request& request, std::string_view body = "") {
  auto ctx = Authenticate(request, SuiteSecrets(), At(kSuiteDate));
  if (!ctx.ok()) return ctx.status();
  EXPECT_TRUE(ctx->needs_body_hash);
  return VerifyWithBody(*ctx, body);
}

void ExpectError(const Status& s, Code code, std::string_view aws_code) {
  EXPECT_EQ(s.code(), code) << s.ToString();
  EXPECT_EQ(s.aws_code(), aws_code) << s.ToString();
}

// ---- building blocks --------------------------------------------------------

TEST(SigV4Vectors, IamDocSigningKey) {
  // AWS General Reference, "Calculate the signature": the derived key.
  EXPECT_EQ(HexEncode(DeriveSigningKey(kSuiteSecret, "20150830", "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

TEST(SigV4Vectors, SuiteQueryOrderKeyCaseCanonicalRequestAndStringToSign) {
  // The worked example of the test-suite page: .creq and .sts.
  auto r = MakeRequest("GET", "/?Param2=value2&Param1=value1",
                       {{"Host", kSuiteHost}, {"X-Amz-Date", kSuiteDate}});
  std::string creq = CanonicalRequest(r.method, r.path, r.query, r.headers, "host;x-amz-date",
                                      kEmptySha, "service", false);
  EXPECT_EQ(creq,
            "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\n"
            "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
                std::string(kEmptySha));
  EXPECT_EQ(HexEncode(Sha256(creq)),
            "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0");
  EXPECT_EQ(StringToSign(kSuiteDate, "20150830/us-east-1/service/aws4_request", creq),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0");
}

TEST(SigV4Vectors, S3GetObjectCanonicalRequestHash) {
  auto r = MakeRequest("GET", "/test.txt",
                       {{"Host", kS3Host},
                        {"Range", "bytes=0-9"},
                        {"x-amz-content-sha256", kEmptySha},
                        {"x-amz-date", kS3Date}});
  std::string creq = CanonicalRequest(r.method, r.path, r.query, r.headers,
                                      "host;range;x-amz-content-sha256;x-amz-date", kEmptySha,
                                      "s3", false);
  EXPECT_EQ(HexEncode(Sha256(creq)),
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
}

// ---- S3 developer guide examples -------------------------------------------

TEST(SigV4Vectors, S3GetObjectWithRange) {
  auto r = MakeRequest(
      "GET", "/test.txt",
      {{"Host", kS3Host},
       {"Range", "bytes=0-9"},
       {"x-amz-content-sha256", kEmptySha},
       {"x-amz-date", kS3Date},
       {"Authorization",
        S3Authorization("host;range;x-amz-content-sha256;x-amz-date",
                        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")}});
  auto ctx = Authenticate(r, S3Secrets(), At(kS3Date));
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->access_key_id, kS3Key);
  EXPECT_EQ(ctx->region, "us-east-1");
  EXPECT_EQ(ctx->service, "s3");
  EXPECT_EQ(ctx->scope, "20130524/us-east-1/s3/aws4_request");
  EXPECT_EQ(ctx->payload_mode, PayloadMode::kSignedHash);
  EXPECT_EQ(ctx->payload_sha256_hex, kEmptySha);
  EXPECT_FALSE(ctx->needs_body_hash);
  EXPECT_FALSE(ctx->presigned);

  // And the client side produces the very same header.
  http::Headers h;
  h.Add("Host", kS3Host);
  h.Add("Range", "bytes=0-9");
  SignRequest("GET", "/test.txt", "", h, kEmptySha, kS3Key, kS3Secret, "us-east-1", "s3",
              At(kS3Date));
  EXPECT_EQ(*h.Get("Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(*h.Get("x-amz-date"), kS3Date);
}

TEST(SigV4Vectors, S3PutObject) {
  const std::string body_sha = HexEncode(Sha256("Welcome to Amazon S3."));
  ASSERT_EQ(body_sha, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  auto r = MakeRequest(
      "PUT", "/test%24file.text",
      {{"Host", kS3Host},
       {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
       {"x-amz-date", kS3Date},
       {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
       {"x-amz-content-sha256", body_sha},
       {"Authorization",
        S3Authorization("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")}});
  auto ctx = Authenticate(r, S3Secrets(), At(kS3Date));
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->payload_sha256_hex, body_sha);
}

TEST(SigV4Vectors, S3GetBucketLifecycle) {
  auto r = MakeRequest(
      "GET", "/?lifecycle",
      {{"Host", kS3Host},
       {"x-amz-date", kS3Date},
       {"x-amz-content-sha256", kEmptySha},
       {"Authorization",
        S3Authorization("host;x-amz-content-sha256;x-amz-date",
                        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")}});
  EXPECT_TRUE(Authenticate(r, S3Secrets(), At(kS3Date)).ok());
}

TEST(SigV4Vectors, S3ListObjects) {
  auto r = MakeRequest(
      "GET", "/?max-keys=2&prefix=J",
      {{"Host", kS3Host},
       {"x-amz-date", kS3Date},
       {"x-amz-content-sha256", kEmptySha},
       {"Authorization",
        S3Authorization("host;x-amz-content-sha256;x-amz-date",
                        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")}});
  EXPECT_TRUE(Authenticate(r, S3Secrets(), At(kS3Date)).ok());
}

constexpr char kPresignedQuery[] =
    "X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
    "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

TEST(SigV4Vectors, S3PresignedUrl) {
  auto r = MakeRequest("GET", std::string("/test.txt?") + kPresignedQuery, {{"Host", kS3Host}});
  auto ctx = Authenticate(r, S3Secrets(), At(kS3Date) + 3600 * 1000);
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_TRUE(ctx->presigned);
  EXPECT_EQ(ctx->payload_mode, PayloadMode::kUnsigned);

  http::Headers h;
  h.Add("Host", kS3Host);
  EXPECT_EQ(PresignQuery("GET", "/test.txt", "", h, "UNSIGNED-PAYLOAD", kS3Key, kS3Secret,
                         "us-east-1", "s3", At(kS3Date), 86400),
            kPresignedQuery);
}

TEST(SigV4Vectors, S3ChunkedUploadSeedSignature) {
  auto r = MakeRequest(
      "PUT", "/examplebucket/chunkObject.txt",
      {{"Host", "s3.amazonaws.com"},
       {"x-amz-date", kS3Date},
       {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
       {"Authorization",
        S3Authorization("content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
                        "x-amz-decoded-content-length;x-amz-storage-class",
                        "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")},
       {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
       {"Content-Encoding", "aws-chunked"},
       {"x-amz-decoded-content-length", "66560"},
       {"Content-Length", "66824"}});
  auto ctx = Authenticate(r, S3Secrets(), At(kS3Date));
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->payload_mode, PayloadMode::kStreamingSigned);
  EXPECT_EQ(ctx->seed_signature,
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
  EXPECT_EQ(ctx->amz_date, kS3Date);
  EXPECT_EQ(ctx->signing_key, DeriveSigningKey(kS3Secret, "20130524", "us-east-1", "s3"));
}

// ---- the generic SigV4 test suite ------------------------------------------

struct SuiteCase {
  const char* name;
  const char* target;
  std::vector<std::pair<std::string, std::string>> extra_headers;
  const char* signed_headers;
  const char* signature;
};

class SigV4Suite : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(SigV4Suite, Verifies) {
  const SuiteCase& c = GetParam();
  std::vector<std::pair<std::string, std::string>> headers = {{"Host", kSuiteHost}};
  for (auto& h : c.extra_headers) headers.push_back(h);
  headers.emplace_back("X-Amz-Date", kSuiteDate);
  headers.emplace_back("Authorization", SuiteAuthorization(c.signed_headers, c.signature));
  auto r = MakeRequest("GET", c.target, headers);
  EXPECT_TRUE(VerifySuite(r).ok()) << c.name << ": " << VerifySuite(r).ToString();

  // One changed hex digit of the signature must fail.
  std::string wrong = c.signature;
  wrong[10] = wrong[10] == '0' ? '1' : '0';
  headers.back().second = SuiteAuthorization(c.signed_headers, wrong);
  ExpectError(VerifySuite(MakeRequest("GET", c.target, headers)), Code::kUnauthenticated,
              "SignatureDoesNotMatch");
}

INSTANTIATE_TEST_SUITE_P(
    Published, SigV4Suite,
    ::testing::Values(
        SuiteCase{"get-vanilla", "/", {}, "host;x-amz-date",
                  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        SuiteCase{"get-vanilla-query-order-key-case", "/?Param2=value2&Param1=value1", {},
                  "host;x-amz-date",
                  "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
        SuiteCase{"get-vanilla-empty-query-key", "/?Param1=value1", {}, "host;x-amz-date",
                  "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
        SuiteCase{"get-utf8", "/\xE1\x88\xB4", {}, "host;x-amz-date",
                  "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
        SuiteCase{"get-vanilla-utf8-query", "/?\xE1\x88\xB4=bar", {}, "host;x-amz-date",
                  "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
        SuiteCase{"get-space-normalized", "/example space/", {}, "host;x-amz-date",
                  "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
        SuiteCase{"get-slash-dot-slash-normalized", "/./", {}, "host;x-amz-date",
                  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        SuiteCase{"get-relative-relative-normalized", "/example1/example2/../..", {},
                  "host;x-amz-date",
                  "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        SuiteCase{"get-unreserved",
                  "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", {},
                  "host;x-amz-date",
                  "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
        SuiteCase{"get-header-value-trim", "/",
                  {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\" "}},
                  "host;my-header1;my-header2;x-amz-date",
                  "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
        SuiteCase{"get-header-key-duplicate", "/",
                  {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
                  "host;my-header1;x-amz-date",
                  "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"}),
    [](const ::testing::TestParamInfo<SuiteCase>& info) {
      std::string n = info.param.name;
      for (char& c : n) {
        if (c == '-') c = '_';
      }
      return n;
    });

TEST(SigV4Vectors, SuitePostFormUrlencodedHashesTheBody) {
  // post-x-www-form-urlencoded: no x-amz-content-sha256, so the signature
  // covers the SHA-256 of "Param1=value1", known only once the body is read.
  auto r = MakeRequest(
      "POST", "/",
      {{"Content-Type", "application/x-www-form-urlencoded"},
       {"Host", kSuiteHost},
       {"X-Amz-Date", kSuiteDate},
       {"Authorization",
        SuiteAuthorization("content-type;host;x-amz-date",
                           "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")}});
  auto ctx = Authenticate(r, SuiteSecrets(), At(kSuiteDate));
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_TRUE(ctx->needs_body_hash);
  EXPECT_EQ(ctx->payload_mode, PayloadMode::kSignedHash);
  EXPECT_TRUE(ctx->payload_sha256_hex.empty());

  AuthContext wrong_body = *ctx;
  ExpectError(VerifyWithBody(wrong_body, "Param1=value2"), Code::kUnauthenticated,
              "SignatureDoesNotMatch");
  EXPECT_TRUE(wrong_body.needs_body_hash);

  ASSERT_TRUE(VerifyWithBody(*ctx, "Param1=value1").ok());
  EXPECT_FALSE(ctx->needs_body_hash);
  EXPECT_EQ(ctx->payload_sha256_hex,
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  // Idempotent once verified.
  EXPECT_TRUE(VerifyWithBodyHash(*ctx, kEmptySha).ok());
}

TEST(SigV4Vectors, SuitePostFormUrlencodedWithContentSha256Header) {
  // aws-c-auth's variant of the same case, which states the body hash.
  auto r = MakeRequest(
      "POST", "/",
      {{"Content-Type", "application/x-www-form-urlencoded"},
       {"Host", kSuiteHost},
       {"Content-Length", "13"},
       {"x-amz-content-sha256", "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"},
       {"Authorization",
        SuiteAuthorization("content-length;content-type;host;x-amz-content-sha256;x-amz-date",
                           "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b")},
       {"X-Amz-Date", kSuiteDate}});
  auto ctx = Authenticate(r, SuiteSecrets(), At(kSuiteDate));
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_FALSE(ctx->needs_body_hash);
  EXPECT_EQ(ctx->payload_sha256_hex,
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
}

TEST(SigV4Vectors, IamListUsers) {
  // AWS General Reference, "Create a signed AWS API request" (IAM ListUsers).
  auto r = MakeRequest(
      "GET", "/?Action=ListUsers&Version=2010-05-08",
      {{"Host", "iam.amazonaws.com"},
       {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
       {"X-Amz-Date", kSuiteDate},
       {"Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"}});
  auto ctx = Authenticate(r, SuiteSecrets(), At(kSuiteDate));
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->service, "iam");
  EXPECT_EQ(HexEncode(Sha256(ctx->canonical_request_prefix + kEmptySha)),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  EXPECT_TRUE(VerifyWithBody(*ctx, "").ok());
}

// ---- canonicalization -------------------------------------------------------

std::string CanonicalUriOf(std::string_view path, std::string_view service) {
  http::Headers h;
  h.Add("host", "h");
  std::string creq = CanonicalRequest("GET", path, "", h, "host", "x", service, false);
  return creq.substr(4, creq.find('\n', 4) - 4);
}

std::string CanonicalQueryOf(std::string_view query, bool drop_signature = false) {
  http::Headers h;
  h.Add("host", "h");
  std::string creq = CanonicalRequest("GET", "/", query, h, "host", "x", "s3", drop_signature);
  size_t start = creq.find('\n', 4) + 1;
  return creq.substr(start, creq.find('\n', start) - start);
}

TEST(SigV4Canonical, EmptyPathIsSlash) {
  EXPECT_EQ(CanonicalUriOf("", "s3"), "/");
  EXPECT_EQ(CanonicalUriOf("", "kinesis"), "/");
}

TEST(SigV4Canonical, S3PathIsDecodedThenEncodedOnceWithoutNormalization) {
  EXPECT_EQ(CanonicalUriOf("/bucket/a%20b", "s3"), "/bucket/a%20b");
  EXPECT_EQ(CanonicalUriOf("/bucket/a b", "s3"), "/bucket/a%20b");
  EXPECT_EQ(CanonicalUriOf("/bucket/a+b", "s3"), "/bucket/a%2Bb");
  EXPECT_EQ(CanonicalUriOf("/bucket/./x/../y//z/", "s3"), "/bucket/./x/../y//z/");
  EXPECT_EQ(CanonicalUriOf("/bucket/caf%C3%A9~%7e", "s3"), "/bucket/caf%C3%A9~~");
  EXPECT_EQ(CanonicalUriOf("/test%24file.text", "s3"), "/test%24file.text");
}

TEST(SigV4Canonical, OtherServicesNormalizeAndEncodeTwice) {
  EXPECT_EQ(CanonicalUriOf("/a//b/./c/../d/", "lambda"), "/a/b/d/");
  EXPECT_EQ(CanonicalUriOf("/..", "lambda"), "/");
  EXPECT_EQ(CanonicalUriOf("/2015-03-31/functions/arn%3Aaws%3Alambda/invocations", "lambda"),
            "/2015-03-31/functions/arn%253Aaws%253Alambda/invocations");
}

TEST(SigV4Canonical, QueryIsDecodedReencodedAndSorted) {
  EXPECT_EQ(CanonicalQueryOf(""), "");
  EXPECT_EQ(CanonicalQueryOf("acl"), "acl=");
  EXPECT_EQ(CanonicalQueryOf("b=2&a=&c"), "a=&b=2&c=");
  // '+' is a literal plus in SigV4, not a space.
  EXPECT_EQ(CanonicalQueryOf("prefix=a+b"), "prefix=a%2Bb");
  EXPECT_EQ(CanonicalQueryOf("prefix=a%20b"), "prefix=a%20b");
  EXPECT_EQ(CanonicalQueryOf("k=a/b~"), "k=a%2Fb~");
  // Sorted by encoded name, then value; uppercase before lowercase.
  EXPECT_EQ(CanonicalQueryOf("b=1&B=2&a=2&a=1"), "B=2&a=1&a=2&b=1");
  EXPECT_EQ(CanonicalQueryOf("&&x=1&"), "x=1");
  EXPECT_EQ(CanonicalQueryOf("X-Amz-Signature=abc&y=1", true), "y=1");
  EXPECT_EQ(CanonicalQueryOf("X-Amz-Signature=abc&y=1", false), "X-Amz-Signature=abc&y=1");
}

TEST(SigV4Canonical, HeadersAreTrimmedCollapsedAndJoined) {
  http::Headers h;
  h.Add("Host", "h");
  h.Add("X-Amz-Meta-A", "  one   two\t\tthree  ");
  h.Add("x-amz-meta-a", "four");
  h.Add("X-AMZ-META-B", "");
  std::string creq = CanonicalRequest("GET", "/", "", h, "host;x-amz-meta-a;x-amz-meta-b", "p",
                                      "s3", false);
  EXPECT_EQ(creq,
            "GET\n/\n\nhost:h\nx-amz-meta-a:one two three,four\nx-amz-meta-b:\n\n"
            "host;x-amz-meta-a;x-amz-meta-b\np");
}

// ---- failures ----------------------------------------------------------------

// A signed S3 GET, for the failure cases to spoil.
http::Request SignedS3Get(UnixMillis at, std::string target = "/bucket/key") {
  http::Headers h;
  h.Add("Host", "localhost:4566");
  size_t q = target.find('?');
  std::string path = target.substr(0, q);
  std::string query = q == std::string::npos ? "" : target.substr(q + 1);
  SignRequest("GET", path, query, h, kEmptySha, kS3Key, kS3Secret, "us-east-1", "s3", at);
  http::Request r = MakeRequest("GET", target, {});
  r.headers = h;
  return r;
}

TEST(SigV4Auth, RoundTripWithAwkwardKeysAndQueries) {
  const UnixMillis now = At("20240229T235959Z");
  for (std::string target :
       {"/bucket/a%20b/c%2Bd/%E2%82%AC", "/bucket/", "/bucket/./dots/../x",
        "/bucket?list-type=2&prefix=a%2Fb&delimiter=%2F&encoding-type=url",
        "/bucket/k?uploads", "/bucket/k?partNumber=1&uploadId=a+b%3D"}) {
    auto ctx = Authenticate(SignedS3Get(now, target), S3Secrets(), now);
    EXPECT_TRUE(ctx.ok()) << target << ": " << ctx.status().ToString();
  }
}

TEST(SigV4Auth, SpacesAfterCommasAreOptional) {
  http::Request r = SignedS3Get(At(kS3Date));
  std::string auth = *r.headers.Get("Authorization");
  std::string compact, roomy;
  for (char c : auth) {
    if (c == ' ' && !compact.empty() && compact.back() == ',') continue;
    compact += c;
  }
  for (char c : auth) {
    roomy += c;
    if (c == ',') roomy += "   ";
  }
  for (const std::string& v : {compact, roomy}) {
    r.headers.Set("Authorization", v);
    EXPECT_TRUE(Authenticate(r, S3Secrets(), At(kS3Date)).ok()) << v;
  }
}

TEST(SigV4Auth, AnonymousRequestIsAccessDenied) {
  auto r = MakeRequest("GET", "/bucket/key", {{"Host", "h"}});
  EXPECT_FALSE(HasSignature(r));
  ExpectError(Authenticate(r, S3Secrets(), At(kS3Date)).status(), Code::kPermissionDenied,
              "AccessDenied");
}

TEST(SigV4Auth, UnknownAccessKeyIsInvalidAccessKeyId) {
  http::Headers h;
  h.Add("Host", "h");
  SignRequest("GET", "/b", "", h, kEmptySha, "AKIDUNKNOWN", kS3Secret, "us-east-1", "s3",
              At(kS3Date));
  auto r = MakeRequest("GET", "/b", {});
  r.headers = h;
  ExpectError(Authenticate(r, S3Secrets(), At(kS3Date)).status(), Code::kUnauthenticated,
              "InvalidAccessKeyId");
}

TEST(SigV4Auth, WrongSecretIsSignatureDoesNotMatch) {
  http::Headers h;
  h.Add("Host", "h");
  SignRequest("GET", "/b", "", h, kEmptySha, kS3Key, "not-the-secret", "us-east-1", "s3",
              At(kS3Date));
  auto r = MakeRequest("GET", "/b", {});
  r.headers = h;
  Status s = Authenticate(r, S3Secrets(), At(kS3Date)).status();
  ExpectError(s, Code::kUnauthenticated, "SignatureDoesNotMatch");
  EXPECT_EQ(s.message(),
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.");
}

TEST(SigV4Auth, TamperedRequestIsSignatureDoesNotMatch) {
  const UnixMillis now = At(kS3Date);
  http::Request r = SignedS3Get(now, "/bucket/key?versionId=1");
  r.path = "/bucket/other";
  ExpectError(Authenticate(r, S3Secrets(), now).status(), Code::kUnauthenticated,
              "SignatureDoesNotMatch");
  r = SignedS3Get(now, "/bucket/key?versionId=1");
  r.query = "versionId=2";
  ExpectError(Authenticate(r, S3Secrets(), now).status(), Code::kUnauthenticated,
              "SignatureDoesNotMatch");
  r = SignedS3Get(now);
  r.method = "DELETE";
  ExpectError(Authenticate(r, S3Secrets(), now).status(), Code::kUnauthenticated,
              "SignatureDoesNotMatch");
  r = SignedS3Get(now);
  r.headers.Set("Host", "evil");
  ExpectError(Authenticate(r, S3Secrets(), now).status(), Code::kUnauthenticated,
              "SignatureDoesNotMatch");
}

TEST(SigV4Auth, ClockSkewBeyondFifteenMinutesIsRejected) {
  const UnixMillis signed_at = At(kS3Date);
  http::Request r = SignedS3Get(signed_at);
  const int64_t minute = 60 * 1000;
  EXPECT_TRUE(Authenticate(r, S3Secrets(), signed_at + 14 * minute).ok());
  EXPECT_TRUE(Authenticate(r, S3Secrets(), signed_at - 14 * minute).ok());
  ExpectError(Authenticate(r, S3Secrets(), signed_at + 16 * minute).status(),
              Code::kUnauthenticated, "RequestTimeTooSkewed");
  ExpectError(Authenticate(r, S3Secrets(), signed_at - 16 * minute).status(),
              Code::kUnauthenticated, "RequestTimeTooSkewed");
}

TEST(SigV4Auth, DateHeaderIsUsedWithoutXAmzDate) {
  // Signed with the building blocks: Date instead of X-Amz-Date.
  auto r = MakeRequest("GET", "/b/k",
                       {{"Host", "h"},
                        {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                        {"x-amz-content-sha256", kEmptySha}});
  std::string creq = CanonicalRequest("GET", "/b/k", "", r.headers,
                                      "date;host;x-amz-content-sha256", kEmptySha, "s3", false);
  std::string sig = HexEncode(HmacSha256(
      DeriveSigningKey(kS3Secret, "20130524", "us-east-1", "s3"),
      StringToSign(kS3Date, "20130524/us-east-1/s3/aws4_request", creq)));
  r.headers.Add("Authorization", S3Authorization("date;host;x-amz-content-sha256", sig));
  auto ctx = Authenticate(r, S3Secrets(), At(kS3Date));
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ(ctx->amz_date, kS3Date);
}

TEST(SigV4Auth, MissingOrBadDateIsAccessDenied) {
  http::Request r = SignedS3Get(At(kS3Date));
  r.headers.Remove("X-Amz-Date");
  ExpectError(Authenticate(r, S3Secrets(), At(kS3Date)).status(), Code::kPermissionDenied,
              "AccessDenied");
  r.headers.Set("X-Amz-Date", "2013-05-24");
  ExpectError(Authenticate(r, S3Secrets(), At(kS3Date)).status(), Code::kPermissionDenied,
              "AccessDenied");
}

TEST(SigV4Auth, CredentialDateMustMatchRequestDate) {
  http::Request r = SignedS3Get(At(kS3Date));
  std::string auth = *r.headers.Get("Authorization");
  auth.replace(auth.find("20130524"), 8, "20130523");
  r.headers.Set("Authorization", auth);
  ExpectError(Authenticate(r, S3Secrets(), At(kS3Date)).status(), Code::kInvalidArgument,
              "AuthorizationHeaderMalformed");
}

TEST(SigV4Auth, MalformedAuthorizationHeaders) {
  const std::string cred = "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request";
  const std::string sig = "Signature=" + std::string(64, 'a');
  const std::vector<std::string> malformed = {
      "AWS4-HMAC-SHA256 " + cred + ", " + sig,                                  // no SignedHeaders
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date",           // no Signature
      "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, " + sig,                 // no Credential
      "AWS4-HMAC-SHA256 Credential=AKIA/20130524/us-east-1/s3, SignedHeaders=host;x-amz-date, " +
          sig,                                                                  // short scope
      "AWS4-HMAC-SHA256 Credential=AKIA/2013-05-24/us-east-1/s3/aws4_request, "
      "SignedHeaders=host;x-amz-date, " + sig,                                  // bad date
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date, " + sig,        // host unsigned
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host, " + sig,              // date unsigned
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;x-amz-date, " + sig,  // empty name
      "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date, Foo=1, " + sig,  // unknown
      "AWS4-HMAC-SHA256 " + cred + ", " + cred + ", SignedHeaders=host;x-amz-date, " + sig,
      "AWS4-HMAC-SHA256 " + cred + " SignedHeaders=host;x-amz-date " + sig,     // no commas
  };
  for (const std::string& value : malformed) {
    auto r = MakeRequest("GET", "/b",
                         {{"Host", "h"},
                          {"x-amz-date", kS3Date},
                          {"x-amz-content-sha256", kEmptySha},
                          {"Authorization", value}});
    Status s = Authenticate(r, S3Secrets(), At(kS3Date)).status();
    ExpectError(s, Code::kInvalidArgument, "AuthorizationHeaderMalformed");
    EXPECT_NE(s.message().find("The authorization header is malformed"), std::string::npos);
  }
}

TEST(SigV4Auth, OtherSchemesAreUnsupported) {
  for (const char* value : {"AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=",
                            "AWS4-HMAC-SHA256", "Bearer abc",
                            "AWS4-ECDSA-P256-SHA256 Credential=AKIA/20130524/s3/aws4_request"}) {
    auto r = MakeRequest("GET", "/b", {{"Host", "h"}, {"Authorization", value}});
    EXPECT_TRUE(HasSignature(r));
    ExpectError(Authenticate(r, S3Secrets(), At(kS3Date)).status(), Code::kInvalidArgument,
                "InvalidRequest");
  }
  auto v2 = MakeRequest("GET", "/b/k?AWSAccessKeyId=AKIA&Expires=1&Signature=x", {{"Host", "h"}});
  EXPECT_TRUE(HasSignature(v2));
  ExpectError(Authenticate(v2, S3Secrets(), At(kS3Date)).status(), Code::kInvalidArgument,
              "InvalidRequest");
}

TEST(SigV4Auth, PayloadHashHeaderSetsTheMode) {
  struct {
    const char* value;
    PayloadMode mode;
  } cases[] = {
      {"UNSIGNED-PAYLOAD", PayloadMode::kUnsigned},
      {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", PayloadMode::kStreamingSigned},
      {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", PayloadMode::kStreamingSignedTrailer},
      {"STREAMING-UNSIGNED-PAYLOAD-TRAILER", PayloadMode::kStreamingUnsignedTrailer},
      {"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
       PayloadMode::kSignedHash},
  };
  for (const auto& c : cases) {
    http::Headers h;
    h.Add("Host", "h");
    SignRequest("PUT", "/b/k", "", h, c.value, kS3Key, kS3Secret, "us-east-1", "s3", At(kS3Date));
    auto r = MakeRequest("PUT", "/b/k", {});
    r.headers = h;
    auto ctx = Authenticate(r, S3Secrets(), At(kS3Date));
    ASSERT_TRUE(ctx.ok()) << c.value << ": " << ctx.status().ToString();
    EXPECT_EQ(ctx->payload_mode, c.mode) << c.value;
    if (c.mode == PayloadMode::kSignedHash) {
      EXPECT_EQ(ctx->payload_sha256_hex, kEmptySha);
    }
  }
  for (const char* bad : {"", "abc", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
                          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"}) {
    http::Headers h;
    h.Add("Host", "h");
    SignRequest("PUT", "/b/k", "", h, bad, kS3Key, kS3Secret, "us-east-1", "s3", At(kS3Date));
    auto r = MakeRequest("PUT", "/b/k", {});
    r.headers = h;
    ExpectError(Authenticate(r, S3Secrets(), At(kS3Date)).status(), Code::kInvalidArgument,
                "InvalidArgument");
  }
}

TEST(SigV4Auth, S3HeaderAuthRequiresContentSha256) {
  http::Request r = SignedS3Get(At(kS3Date));
  r.headers.Remove("x-amz-content-sha256");
  ExpectError(Authenticate(r, S3Secrets(), At(kS3Date)).status(), Code::kInvalidArgument,
              "InvalidRequest");
}

TEST(SigV4Auth, SessionTokenIsCarried) {
  http::Headers h;
  h.Add("Host", "h");
  h.Add("X-Amz-Security-Token", "token-123");
  SignRequest("GET", "/b", "", h, kEmptySha, kS3Key, kS3Secret, "us-east-1", "s3", At(kS3Date));
  auto r = MakeRequest("GET", "/b", {});
  r.headers = h;
  auto ctx = Authenticate(r, S3Secrets(), At(kS3Date));
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ(ctx->session_token, "token-123");
}

TEST(SigV4Auth, PeekSigningServiceReadsTheScopeUnverified) {
  EXPECT_EQ(PeekSigningService(SignedS3Get(At(kS3Date))), "s3");
  auto r = MakeRequest("GET", "/?X-Amz-Credential=AK%2F20150830%2Fus-east-1%2Fsts%2Faws4_request",
                       {{"Host", "h"}});
  EXPECT_EQ(PeekSigningService(r), "sts");
  EXPECT_EQ(PeekSigningService(MakeRequest("GET", "/", {{"Host", "h"}})), std::nullopt);
}

// Found by fuzz/sigv4_fuzz: "Credential =" (blank before '=') verifies, so
// the router's look at the header must read it the same way.
TEST(SigV4Auth, PeekSigningServiceReadsTheHeaderAsAuthenticateDoes) {
  http::Request r = SignedS3Get(At(kS3Date));
  std::string auth = *r.headers.Get("Authorization");
  auth.replace(auth.find("Credential="), 11, "Credential =");
  r.headers.Set("Authorization", auth);
  ASSERT_TRUE(Authenticate(r, S3Secrets(), At(kS3Date)).ok());
  EXPECT_EQ(PeekSigningService(r), "s3");
  // A credential-shaped text inside another component is not the credential.
  r.headers.Set("Authorization", "AWS4-HMAC-SHA256 Signature=Credential=A/20130524/us-east-1/"
                                 "sts/aws4_request, SignedHeaders=host, Credential=" +
                                     std::string(kS3Key) + "/20130524/us-east-1/s3/aws4_request");
  EXPECT_EQ(PeekSigningService(r), "s3");
}

// ---- presigned URLs ---------------------------------------------------------

http::Request Presigned(UnixMillis at, int64_t expires_s, std::string path = "/bucket/key",
                        std::string query = "") {
  http::Headers h;
  h.Add("Host", "localhost:4566");
  std::string q = PresignQuery("GET", path, query, h, "UNSIGNED-PAYLOAD", kS3Key, kS3Secret,
                               "us-east-1", "s3", at, expires_s);
  auto r = MakeRequest("GET", path + "?" + q, {});
  r.headers = h;
  return r;
}

TEST(SigV4Presign, RoundTripAndExpiry) {
  const UnixMillis at = At(kS3Date);
  http::Request r = Presigned(at, 600, "/bucket/a%20key", "response-content-type=text%2Fplain");
  EXPECT_TRUE(HasSignature(r));
  EXPECT_TRUE(Authenticate(r, S3Secrets(), at).ok());
  EXPECT_TRUE(Authenticate(r, S3Secrets(), at + 600 * 1000).ok());
  Status s = Authenticate(r, S3Secrets(), at + 601 * 1000).status();
  ExpectError(s, Code::kPermissionDenied, "AccessDenied");
  EXPECT_EQ(s.message(), "Request has expired");
  // A URL dated well in the future is not valid yet.
  ExpectError(Authenticate(r, S3Secrets(), at - 20 * 60 * 1000).status(), Code::kPermissionDenied,
              "AccessDenied");
}

TEST(SigV4Presign, ExpiresOverAWeekIsRejected) {
  const UnixMillis at = At(kS3Date);
  EXPECT_TRUE(Authenticate(Presigned(at, 604800), S3Secrets(), at).ok());
  ExpectError(Authenticate(Presigned(at, 604801), S3Secrets(), at).status(),
              Code::kInvalidArgument, "AuthorizationQueryParametersError");
}

TEST(SigV4Presign, TamperedQueryIsSignatureDoesNotMatch) {
  const UnixMillis at = At(kS3Date);
  http::Request r = Presigned(at, 600, "/bucket/key", "versionId=1");
  r.query.replace(r.query.find("versionId=1"), 11, "versionId=2");
  ExpectError(Authenticate(r, S3Secrets(), at).status(), Code::kUnauthenticated,
              "SignatureDoesNotMatch");
  r = Presigned(at, 600);
  r.query.replace(r.query.find("X-Amz-Expires=600"), 17, "X-Amz-Expires=900");
  ExpectError(Authenticate(r, S3Secrets(), at).status(), Code::kUnauthenticated,
              "SignatureDoesNotMatch");
}

TEST(SigV4Presign, BadParametersAreAuthorizationQueryParametersError) {
  const UnixMillis at = At(kS3Date);
  const std::string good = Presigned(at, 600).query;
  auto with = [&](std::string from, std::string to) {
    std::string q = good;
    size_t pos = q.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    q.replace(pos, from.size(), to);
    auto r = MakeRequest("GET", "/bucket/key?" + q, {{"Host", "localhost:4566"}});
    return Authenticate(r, S3Secrets(), at).status();
  };
  for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1"},
           {"X-Amz-Expires=600", "X-Amz-Expires=ten"},
           {"X-Amz-Expires=600", "X-Amz-Expires=-1"},
           {"X-Amz-Expires=600&", ""},
           {"X-Amz-Date=20130524T000000Z", "X-Amz-Date=2013"},
           {"X-Amz-Date=20130524T000000Z", "X-Amz-Date=20130525T000000Z"},
           {"X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date"},
           {"X-Amz-Credential=", "X-Amz-Credential=AKIA%2Fbad&X-Amz-Foo="},
           {"X-Amz-Expires=600", "X-Amz-Expires=600&X-Amz-Expires=600"},
       }) {
    ExpectError(with(from, to), Code::kInvalidArgument, "AuthorizationQueryParametersError");
  }
}

TEST(SigV4Presign, HeaderAndQueryTogetherIsInvalidArgument) {
  http::Request r = Presigned(At(kS3Date), 600);
  r.headers.Add("Authorization", *SignedS3Get(At(kS3Date)).headers.Get("Authorization"));
  ExpectError(Authenticate(r, S3Secrets(), At(kS3Date)).status(), Code::kInvalidArgument,
              "InvalidArgument");
}

TEST(SigV4Presign, NonS3ServiceSignsTheBodyHash) {
  const UnixMillis at = At(kSuiteDate);
  http::Headers h;
  h.Add("Host", "sts.amazonaws.com");
  std::string q = PresignQuery("GET", "/", "Action=GetCallerIdentity&Version=2011-06-15", h,
                               kEmptySha, kSuiteKey, kSuiteSecret, "us-east-1", "sts", at, 60);
  auto r = MakeRequest("GET", "/?" + q, {});
  r.headers = h;
  auto ctx = Authenticate(r, SuiteSecrets(), at);
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_TRUE(ctx->needs_body_hash);
  EXPECT_TRUE(VerifyWithBody(*ctx, "").ok());
}

}  // namespace
}  // namespace tarn::aws
