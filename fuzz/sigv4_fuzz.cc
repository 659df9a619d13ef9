// SigV4 (aws/sigv4.h): Authorization-header and presigned-query parsing,
// canonicalization and verification. The first byte picks a mode; the rest
// is a request head as text (head_text.h).
//
//   '@' 'A' (mode 0, 1)  the head as received: Authenticate() it with the
//        known keys (AWS's documented example keys) at the time the request
//        states, sometimes skewed.
//   'B' (mode 2)  sign the head with SignRequest(), then mutate the signed
//        head (replace, insert or delete one byte, several times).
//   'C' (mode 3)  the same with a presigned URL (PresignQuery()).
//
// Checks: no crash, leak or UB; every failure is one of the documented AWS
// errors with its matching kind; a success names the known key and a
// well-formed scope, signing key and signature, and PeekSigningService()
// (the router's unverified look) agrees with it; a request just signed by
// tarn's own signer verifies; a mutated one either verifies to the very same
// context or fails with a documented error; and CanonicalRequest() has its
// shape (one line per part, a URI and a query made only of unreserved
// characters and escapes, the query sorted) and is a fixed point for S3
// (canonicalizing the canonical URI and query changes nothing).
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "aws/sigv4.h"
#include "common/encoding.h"
#include "common/hash.h"
#include "common/time.h"
#include "fuzz_check.h"
#include "head_text.h"

namespace tarn::aws {
namespace {

using fuzz::Choices;

constexpr std::string_view kAccessKey = "AKIDEXAMPLE";
constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr UnixMillis kNow = 1710072000000;  // 2024-03-10T12:00:00Z
constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// The S3 API Reference's example key, so that its documented streaming
// upload (corpus/sigv4/A_aws_chunked_signed_put.txt) verifies too.
constexpr std::string_view kDocsAccessKey = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kDocsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

std::optional<std::string> Lookup(std::string_view key) {
  if (key == kAccessKey) return std::string(kSecret);
  if (key == kDocsAccessKey) return std::string(kDocsSecret);
  return std::nullopt;
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool IsUnreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Only unreserved characters, escapes with uppercase hex, and (when
// allowed) slashes.
bool IsUriEncoded(std::string_view s, bool slashes) {
  for (size_t i = 0; i < s.size(); i++) {
    char c = s[i];
    if (IsUnreserved(c) || (slashes && c == '/')) continue;
    if (c != '%' || i + 2 >= s.size()) return false;
    for (char h : s.substr(i + 1, 2)) {
      if (!((h >= '0' && h <= '9') || (h >= 'A' && h <= 'F'))) return false;
    }
    i += 2;
  }
  return true;
}

// The documented errors of Authenticate() and VerifyWithBody(), with the
// kind each must carry (sigv4.h).
void CheckAuthError(const Status& s) {
  FUZZ_CHECK(!s.ok(), "not an error");
  const std::string& a = s.aws_code();
  Code want = Code::kOk;
  if (a == "AccessDenied") want = Code::kPermissionDenied;
  if (a == "InvalidAccessKeyId" || a == "SignatureDoesNotMatch" || a == "RequestTimeTooSkewed") {
    want = Code::kUnauthenticated;
  }
  if (a == "AuthorizationHeaderMalformed" || a == "AuthorizationQueryParametersError" ||
      a == "InvalidArgument" || a == "InvalidRequest") {
    want = Code::kInvalidArgument;
  }
  FUZZ_CHECK(want != Code::kOk && s.code() == want, s.ToString() + " [" + a + "]");
  FUZZ_CHECK(!s.message().empty(), a);
}

void CheckContext(const http::Request& req, const AuthContext& ctx) {
  FUZZ_CHECK(ctx.access_key_id == kAccessKey || ctx.access_key_id == kDocsAccessKey,
             ctx.access_key_id);
  FUZZ_CHECK(ctx.scope ==
                 ctx.amz_date.substr(0, 8) + "/" + ctx.region + "/" + ctx.service + "/aws4_request",
             ctx.scope);
  FUZZ_CHECK(ParseAmzDate(ctx.amz_date).has_value(), ctx.amz_date);
  FUZZ_CHECK(ctx.signing_key.size() == 32,
             "signing key of " + std::to_string(ctx.signing_key.size()));
  FUZZ_CHECK(ctx.seed_signature.size() == 64 && IsLowerHex(ctx.seed_signature), ctx.seed_signature);
  if (ctx.payload_mode == PayloadMode::kSignedHash && !ctx.needs_body_hash) {
    FUZZ_CHECK(ctx.payload_sha256_hex.size() == 64 && IsLowerHex(ctx.payload_sha256_hex),
               ctx.payload_sha256_hex);
  }
  FUZZ_CHECK(!ctx.needs_body_hash || ctx.service != "s3", ctx.service);
  FUZZ_CHECK(HasSignature(req), "verified but HasSignature() is false");
  std::optional<std::string> peeked = PeekSigningService(req);
  FUZZ_CHECK(peeked == ctx.service, "router sees service '" + peeked.value_or("(none)") +
                                        "', verified for '" + ctx.service + "'");
}

// Authenticates; on success checks the context and finishes a body-hash
// verification with an empty body. Returns the status.
Status Verify(const http::Request& req, UnixMillis now, AuthContext* out = nullptr) {
  Result<AuthContext> r = Authenticate(req, Lookup, now);
  if (!r.ok()) {
    CheckAuthError(r.status());
    return r.status();
  }
  AuthContext ctx = *r;
  if (ctx.needs_body_hash) {
    Status s = VerifyWithBody(ctx, "");
    if (!s.ok()) {
      CheckAuthError(s);
      FUZZ_CHECK(s.aws_code() == "SignatureDoesNotMatch", s.ToString());
      return s;
    }
    FUZZ_CHECK(!ctx.needs_body_hash && ctx.payload_sha256_hex == kEmptySha256, "body hash");
  }
  CheckContext(req, ctx);
  if (out) *out = std::move(ctx);
  return Status::OK();
}

// The signed header names a request claims, or all of its header names.
std::string SignedHeadersOf(const http::Request& req) {
  if (const std::string* auth = req.headers.Get("Authorization")) {
    size_t p = auth->find("SignedHeaders=");
    if (p != std::string::npos) {
      std::string_view v = std::string_view(*auth).substr(p + 14);
      return ToLower(v.substr(0, v.find(',')));
    }
  }
  std::string names;
  for (const auto& [name, value] : req.headers.fields()) {
    if (!names.empty()) names += ';';
    names += ToLower(name);
  }
  return names;
}

void CheckCanonicalRequest(const http::Request& req) {
  std::string signed_headers = SignedHeadersOf(req);
  if (signed_headers.find('\n') != std::string::npos) return;  // not a shape to check
  size_t n_names = Split(signed_headers, ';').size();
  for (std::string_view service : {"s3", "kinesis"}) {
    std::string c = CanonicalRequest(req.method, req.path, req.query, req.headers, signed_headers,
                                     kEmptySha256, service, false);
    std::vector<std::string_view> lines = Split(c, '\n');
    bool plain = req.method.find('\n') == std::string::npos;
    for (const auto& [name, value] : req.headers.fields()) {
      plain = plain && value.find('\n') == std::string::npos;
    }
    if (!plain) continue;
    FUZZ_CHECK(lines.size() == n_names + 6, c);
    FUZZ_CHECK(lines[0] == req.method, c);
    FUZZ_CHECK(IsUriEncoded(lines[1], true), c);
    // Origin-form targets start with '/'; so does their canonical URI.
    if (req.path.empty() || req.path[0] == '/') FUZZ_CHECK(lines[1].substr(0, 1) == "/", c);
    std::vector<std::string_view> params = Split(lines[2], '&');
    if (!lines[2].empty()) {
      for (std::string_view p : params) {
        size_t eq = p.find('=');
        FUZZ_CHECK(eq != std::string_view::npos, c);
        FUZZ_CHECK(IsUriEncoded(p.substr(0, eq), false) && IsUriEncoded(p.substr(eq + 1), false),
                   c);
      }
      // Sorted by name, then value (byte order).
      std::vector<std::pair<std::string_view, std::string_view>> kv;
      for (std::string_view p : params)
        kv.emplace_back(p.substr(0, p.find('=')), p.substr(p.find('=') + 1));
      FUZZ_CHECK(std::is_sorted(kv.begin(), kv.end()), c);
    }
    FUZZ_CHECK(lines[lines.size() - 3].empty(), c);
    FUZZ_CHECK(lines[lines.size() - 2] == signed_headers, c);
    FUZZ_CHECK(lines.back() == kEmptySha256, c);
    if (service == "s3") {
      std::string again = CanonicalRequest(req.method, lines[1], lines[2], req.headers,
                                           signed_headers, kEmptySha256, service, false);
      FUZZ_CHECK(again == c, "not a fixed point:\n" + c + "\n---\n" + again);
    }
  }
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsUnreserved(c) && std::string_view("!#$%&'*+^`|").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// One byte replaced, inserted or deleted.
std::string Mutate(std::string text, Choices& choices) {
  size_t op = choices.Next() % 3;
  if (text.empty()) op = 1;
  size_t pos = choices.Between(0, text.empty() ? 0 : text.size() - (op == 1 ? 0 : 1));
  char byte = static_cast<char>(choices.Next());
  // Mostly bytes that keep the text a plausible head.
  if (choices.Next() % 4 != 0) byte = "aZ0/%-=;,: \r\nABCDEF7+&?"[choices.Next() % 24];
  if (op == 0) text[pos] = byte;
  if (op == 1) text.insert(text.begin() + static_cast<std::ptrdiff_t>(pos), byte);
  if (op == 2) text.erase(pos, 1);
  return text;
}

void SignAndMutate(std::string_view head, bool presign, Choices& choices) {
  http::Request parsed = fuzz::ParseHeadText(head);
  http::Request req;
  req.method = parsed.method;
  req.path = parsed.path;
  req.query = parsed.query;
  // What reaches Authenticate() went through the HTTP parser: token names.
  for (const auto& [name, value] : parsed.headers.fields()) {
    if (IsToken(name)) req.headers.Add(name, value);
  }
  if (!IsToken(req.method) || req.path.find_first_of(" \r\n") != std::string::npos ||
      req.query.find_first_of(" \r\n") != std::string::npos || HasSignature(req)) {
    return;
  }
  if (!req.headers.Has("host")) req.headers.Add("Host", "localhost:4566");

  static constexpr std::string_view kServices[] = {"s3", "s3", "kinesis", "iam"};
  std::string_view service = kServices[choices.Next() % 4];
  std::string payload(kEmptySha256);
  if (service == "s3") {
    static constexpr std::string_view kPayloads[] = {
        "UNSIGNED-PAYLOAD", kEmptySha256, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"};
    payload = std::string(kPayloads[choices.Next() % 5]);
  }
  if (presign) {
    // PresignQuery() appends its X-Amz-* parameters; a query that already
    // has some is not one to presign.
    if (UriDecode(req.query).value_or(req.query).find("X-Amz-") != std::string::npos) return;
    // A presigned URL states its payload hash itself (or means
    // UNSIGNED-PAYLOAD for S3); a header claiming another would rightly fail.
    req.headers.Remove("x-amz-content-sha256");
    if (service == "s3") payload = "UNSIGNED-PAYLOAD";
    int64_t expires = static_cast<int64_t>(choices.Between(1, 7 * 24 * 3600));
    req.query = PresignQuery(req.method, req.path, req.query, req.headers, payload, kAccessKey,
                             kSecret, "us-east-1", service, kNow, expires);
  } else {
    SignRequest(req.method, req.path, req.query, req.headers, payload, kAccessKey, kSecret,
                "us-east-1", service, kNow);
  }
  AuthContext original;
  Status s = Verify(req, kNow, &original);
  FUZZ_CHECK(s.ok(),
             "a request tarn signed does not verify: " + s.ToString() + "\n" + fuzz::HeadText(req));

  std::string text = fuzz::HeadText(req);
  for (int i = 0; i < 8; i++) {
    std::string mutated = Mutate(text, choices);
    http::Request m = fuzz::ParseHeadText(mutated);
    AuthContext ctx;
    if (!Verify(m, kNow, &ctx).ok()) continue;
    // Verified: it must mean what the signer signed.
    FUZZ_CHECK(ctx.access_key_id == original.access_key_id && ctx.scope == original.scope &&
                   ctx.amz_date == original.amz_date && ctx.signing_key == original.signing_key &&
                   ctx.seed_signature == original.seed_signature &&
                   ctx.payload_mode == original.payload_mode &&
                   ctx.payload_sha256_hex == original.payload_sha256_hex &&
                   ctx.presigned == original.presigned,
               "mutated request verifies differently:\n" + mutated);
  }
}

void AsReceived(std::string_view head, Choices& choices) {
  http::Request req = fuzz::ParseHeadText(head);
  // The time the request states, so that good signatures get past the skew
  // check; sometimes moved, to reach it.
  UnixMillis now = kNow;
  if (const std::string* d = req.headers.Get("x-amz-date")) {
    now = ParseAmzDate(Trim(*d)).value_or(kNow);
  } else if (const std::string* d2 = req.headers.Get("date")) {
    now = ParseHttpDate(Trim(*d2)).value_or(kNow);
  } else if (size_t p = req.query.find("X-Amz-Date="); p != std::string::npos) {
    now = ParseAmzDate(std::string_view(req.query).substr(p + 11, 16)).value_or(kNow);
  }
  if (choices.Next() % 4 == 0)
    now += static_cast<int64_t>(choices.Between(0, 40 * 60'000)) - 20 * 60'000;
  (void)Verify(req, now);
  (void)HasSignature(req);
  (void)PeekSigningService(req);
  CheckCanonicalRequest(req);
}

}  // namespace
}  // namespace tarn::aws

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tarn::aws;
  if (size == 0) return 0;
  std::string_view head(reinterpret_cast<const char*>(data) + 1, size - 1);
  tarn::fuzz::Choices choices(std::string_view(reinterpret_cast<const char*>(data), size));
  switch (data[0] & 3) {
    case 0:
    case 1: AsReceived(head, choices); break;
    case 2: SignAndMutate(head, /*presign=*/false, choices); break;
    case 3: SignAndMutate(head, /*presign=*/true, choices); break;
  }
  return 0;
}
