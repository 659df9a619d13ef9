#include "aws/sigv4.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "common/encoding.h"
#include "common/hash.h"

namespace tarn::aws {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
constexpr std::string_view kStreamingSigned = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
constexpr std::string_view kStreamingSignedTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
constexpr std::string_view kStreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

// ---- errors, worded as AWS words them -------------------------------------

Status HeaderMalformed(std::string_view detail) {
  return InvalidArgument("The authorization header is malformed; " + std::string(detail),
                         "AuthorizationHeaderMalformed");
}

Status QueryParametersError(std::string message) {
  return InvalidArgument(std::move(message), "AuthorizationQueryParametersError");
}

Status SignatureDoesNotMatch() {
  return Unauthenticated(
      "The request signature we calculated does not match the signature you provided. Check "
      "your key and signing method.",
      "SignatureDoesNotMatch");
}

Status UnsupportedMechanism() {
  return InvalidArgument(
      "The authorization mechanism you have provided is not supported. Please use "
      "AWS4-HMAC-SHA256.",
      "InvalidRequest");
}

Status MissingDate() {
  return PermissionDenied("AWS authentication requires a valid Date or x-amz-date header",
                          "AccessDenied");
}

// ---- small parsing helpers ------------------------------------------------

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsLowerHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool IsHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// Query parameters, decoded; '+' stays '+' (SigV4 does not use form
// encoding). A malformed escape keeps the raw text.
std::vector<std::pair<std::string, std::string>> DecodeQuery(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> params;
  if (raw_query.empty()) return params;
  for (std::string_view part : Split(raw_query, '&')) {
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string_view name = part.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    auto n = UriDecode(name);
    auto v = UriDecode(value);
    params.emplace_back(n ? std::move(*n) : std::string(name),
                        v ? std::move(*v) : std::string(value));
  }
  return params;
}

// RFC 3986 remove_dot_segments, also dropping empty segments (repeated
// slashes), as SigV4 normalizes paths for services other than S3.
// "/a//b/../c/" -> "/a/c/", "/.." -> "/".
std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> out;
  for (std::string_view seg : Split(path, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(seg);
  }
  std::string result = "/";
  for (size_t i = 0; i < out.size(); i++) {
    if (i > 0) result += '/';
    result += out[i];
  }
  if (!out.empty() && path.back() == '/') result += '/';
  return result;
}

std::string CanonicalUri(std::string_view raw_path, bool s3) {
  if (raw_path.empty()) return "/";
  if (s3) {
    auto decoded = UriDecode(raw_path);
    return UriEncode(decoded ? std::string_view(*decoded) : raw_path, /*keep_slash=*/true);
  }
  return UriEncode(NormalizePath(raw_path), /*keep_slash=*/true);
}

std::string CanonicalQuery(std::string_view raw_query, bool drop_signature_param) {
  auto params = DecodeQuery(raw_query);
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (auto& [name, value] : params) {
    if (drop_signature_param && name == "X-Amz-Signature") continue;
    encoded.emplace_back(UriEncode(name, false), UriEncode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (size_t i = 0; i < encoded.size(); i++) {
    if (i > 0) out += '&';
    out += encoded[i].first;
    out += '=';
    out += encoded[i].second;
  }
  return out;
}

// Every value of the named header, trimmed, inner whitespace runs collapsed
// to one space, joined with ','. "a   b " + "c" -> "a b,c".
void AppendCanonicalHeaderValue(const http::Headers& headers, std::string_view name,
                                std::string& out) {
  bool first = true;
  for (const auto& [field, value] : headers.fields()) {
    if (!http::EqualsIgnoreCase(field, name)) continue;
    if (!first) out += ',';
    first = false;
    std::string_view v = Trim(value);
    bool in_space = false;
    for (char c : v) {
      if (IsSpace(c)) {
        in_space = true;
        continue;
      }
      if (in_space) out += ' ';
      in_space = false;
      out += c;
    }
  }
}

std::string ComputeSignature(std::string_view signing_key, std::string_view amz_date,
                             std::string_view scope, std::string_view canonical_request) {
  return HexEncode(HmacSha256(signing_key, StringToSign(amz_date, scope, canonical_request)));
}

// ---- the credential scope -------------------------------------------------

struct Credential {
  std::string access_key_id;
  std::string date;  // YYYYMMDD
  std::string region;
  std::string service;
  std::string scope() const {
    return date + "/" + region + "/" + service + "/" + std::string(kTerminator);
  }
};

std::optional<Credential> ParseCredential(std::string_view text) {
  auto parts = Split(text, '/');
  if (parts.size() != 5 || parts[0].empty() || parts[1].size() != 8 || !AllDigits(parts[1]) ||
      parts[2].empty() || parts[3].empty() || parts[4] != kTerminator) {
    return std::nullopt;
  }
  return Credential{std::string(parts[0]), std::string(parts[1]), std::string(parts[2]),
                    std::string(parts[3])};
}

constexpr std::string_view kCredentialShape =
    "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"";

// ---- the parts common to both forms ---------------------------------------

// What each form (header or query) extracts before the common checks.
struct SignedParts {
  Credential credential;
  std::string signed_headers;  // lowercase, ';'-separated
  std::string signature;       // lowercase hex as sent
  std::string amz_date;        // YYYYMMDDTHHMMSSZ
  UnixMillis time = 0;
};

Result<PayloadMode> ParsePayloadMode(std::string_view value, std::string* hash) {
  if (value == kUnsignedPayload) return PayloadMode::kUnsigned;
  if (value == kStreamingSigned) return PayloadMode::kStreamingSigned;
  if (value == kStreamingSignedTrailer) return PayloadMode::kStreamingSignedTrailer;
  if (value == kStreamingUnsignedTrailer) return PayloadMode::kStreamingUnsignedTrailer;
  if (IsHex64(value)) {
    *hash = ToLower(value);
    return PayloadMode::kSignedHash;
  }
  return InvalidArgument(
      "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, or a "
      "valid sha256 value.",
      "InvalidArgument");
}

const std::string* QueryParam(const std::vector<std::pair<std::string, std::string>>& params,
                              std::string_view name, int* count) {
  const std::string* found = nullptr;
  *count = 0;
  for (const auto& [n, v] : params) {
    if (n == name) {
      if (!found) found = &v;
      ++*count;
    }
  }
  return found;
}

Status CheckSignedHeaders(std::string_view signed_headers, bool presigned) {
  auto names = Split(signed_headers, ';');
  bool has_host = false;
  for (std::string_view n : names) {
    if (n.empty()) {
      return presigned ? QueryParametersError("X-Amz-SignedHeaders has an empty header name.")
                       : HeaderMalformed("SignedHeaders has an empty header name.");
    }
    if (n == "host") has_host = true;
  }
  if (!has_host) {
    return presigned ? QueryParametersError("X-Amz-SignedHeaders must include the host header.")
                     : HeaderMalformed("SignedHeaders must include the host header.");
  }
  return Status::OK();
}

// The three components of an Authorization header, unvalidated.
struct AuthorizationComponents {
  std::string_view credential, signed_headers, signature;
};

// Splits "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."
// into its components. The one reading of the header's syntax, shared by
// Authenticate() and PeekSigningService() so that they never disagree.
Status SplitAuthorizationHeader(std::string_view value, AuthorizationComponents& out) {
  value = Trim(value);
  if (!StartsWith(value, kAlgorithm) || value.size() == kAlgorithm.size() ||
      !IsSpace(value[kAlgorithm.size()])) {
    return UnsupportedMechanism();
  }
  std::string_view rest = value.substr(kAlgorithm.size());
  std::optional<std::string_view> credential, signed_headers, signature;
  for (std::string_view item : Split(rest, ',')) {
    item = Trim(item);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return HeaderMalformed("expecting \"<key>=<value>\" but found \"" + std::string(item) +
                             "\".");
    }
    std::string_view key = Trim(item.substr(0, eq));
    std::string_view val = Trim(item.substr(eq + 1));
    std::optional<std::string_view>* slot = key == "Credential"      ? &credential
                                            : key == "SignedHeaders" ? &signed_headers
                                            : key == "Signature"     ? &signature
                                                                     : nullptr;
    if (!slot) {
      return HeaderMalformed("unknown component \"" + std::string(key) +
                             "\"; expecting Credential, SignedHeaders and Signature.");
    }
    if (slot->has_value()) {
      return HeaderMalformed("component \"" + std::string(key) + "\" appears twice.");
    }
    *slot = val;
  }
  if (!credential) return HeaderMalformed("Authorization header requires 'Credential' parameter.");
  if (!signed_headers) {
    return HeaderMalformed("Authorization header requires 'SignedHeaders' parameter.");
  }
  if (!signature) return HeaderMalformed("Authorization header requires 'Signature' parameter.");
  out = {*credential, *signed_headers, *signature};
  return Status::OK();
}

// Parses and checks the Authorization header.
Status ParseAuthorizationHeader(std::string_view value, SignedParts& parts) {
  AuthorizationComponents c;
  TARN_RETURN_IF_ERROR(SplitAuthorizationHeader(value, c));
  auto cred = ParseCredential(c.credential);
  if (!cred) {
    return HeaderMalformed("the Credential is mal-formed; expecting " +
                           std::string(kCredentialShape) + ".");
  }
  parts.credential = std::move(*cred);
  parts.signed_headers = ToLower(c.signed_headers);
  parts.signature = ToLower(c.signature);
  return CheckSignedHeaders(parts.signed_headers, /*presigned=*/false);
}

}  // namespace

// ---- building blocks ------------------------------------------------------

std::string CanonicalRequest(std::string_view method, std::string_view raw_path,
                             std::string_view raw_query, const http::Headers& headers,
                             std::string_view signed_headers, std::string_view payload_hash,
                             std::string_view service, bool drop_signature_param) {
  std::string out;
  out.reserve(256 + raw_path.size() + raw_query.size());
  out += method;
  out += '\n';
  out += CanonicalUri(raw_path, service == "s3");
  out += '\n';
  out += CanonicalQuery(raw_query, drop_signature_param);
  out += '\n';
  for (std::string_view name : Split(signed_headers, ';')) {
    out += name;
    out += ':';
    AppendCanonicalHeaderValue(headers, name, out);
    out += '\n';
  }
  out += '\n';
  out += signed_headers;
  out += '\n';
  out += payload_hash;
  return out;
}

std::string DeriveSigningKey(std::string_view secret, std::string_view date,
                             std::string_view region, std::string_view service) {
  std::string k = HmacSha256("AWS4" + std::string(secret), date);
  k = HmacSha256(k, region);
  k = HmacSha256(k, service);
  return HmacSha256(k, kTerminator);
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string sts;
  sts.reserve(kAlgorithm.size() + amz_date.size() + scope.size() + 68);
  sts += kAlgorithm;
  sts += '\n';
  sts += amz_date;
  sts += '\n';
  sts += scope;
  sts += '\n';
  sts += HexEncode(Sha256(canonical_request));
  return sts;
}

// ---- verification ---------------------------------------------------------

bool HasSignature(const http::Request& request) {
  if (request.headers.Has("Authorization")) return true;
  if (request.query.empty()) return false;
  for (const auto& [name, value] : DecodeQuery(request.query)) {
    if (name == "X-Amz-Algorithm" || name == "X-Amz-Credential" || name == "X-Amz-Signature" ||
        name == "AWSAccessKeyId" || name == "Signature") {
      return true;
    }
  }
  return false;
}

std::optional<std::string> PeekSigningService(const http::Request& request) {
  if (const std::string* auth = request.headers.Get("Authorization")) {
    AuthorizationComponents c;
    if (!SplitAuthorizationHeader(*auth, c).ok()) return std::nullopt;
    if (auto cred = ParseCredential(c.credential)) return cred->service;
    return std::nullopt;
  }
  for (const auto& [name, value] : DecodeQuery(request.query)) {
    if (name == "X-Amz-Credential") {
      if (auto cred = ParseCredential(value)) return cred->service;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

Result<AuthContext> Authenticate(const http::Request& request, const SecretLookup& secrets,
                                 UnixMillis now, const SigV4Options& options) {
  const std::string* authorization = request.headers.Get("Authorization");
  auto params = DecodeQuery(request.query);
  int count = 0;
  const std::string* algorithm = QueryParam(params, "X-Amz-Algorithm", &count);
  const bool presigned = algorithm != nullptr;

  if (authorization && presigned) {
    return InvalidArgument(
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature "
        "query string parameter or the Authorization header should be specified",
        "InvalidArgument");
  }
  if (!authorization && !presigned) {
    int unused = 0;
    if (QueryParam(params, "AWSAccessKeyId", &unused) || QueryParam(params, "Signature", &unused)) {
      return UnsupportedMechanism();  // a SigV2 presigned URL
    }
    return PermissionDenied(
        "Access Denied: the request is not signed; tarn requires AWS Signature Version 4",
        "AccessDenied");
  }

  SignedParts parts;
  int64_t expires_s = 0;
  if (!presigned) {
    TARN_RETURN_IF_ERROR(ParseAuthorizationHeader(*authorization, parts));
    const std::vector<std::string_view> signed_names = Split(parts.signed_headers, ';');
    // The date: x-amz-date, else Date (RFC 1123).
    if (const std::string* amz_date = request.headers.Get("x-amz-date")) {
      auto t = ParseAmzDate(Trim(*amz_date));
      if (!t) return MissingDate();
      parts.time = *t;
    } else if (const std::string* date = request.headers.Get("Date")) {
      auto t = ParseHttpDate(Trim(*date));
      if (!t) return MissingDate();
      parts.time = *t;
    } else {
      return MissingDate();
    }
    parts.amz_date = FormatAmzDate(parts.time);
    const bool date_signed =
        std::find(signed_names.begin(), signed_names.end(),
                  request.headers.Has("x-amz-date") ? "x-amz-date" : "date") != signed_names.end();
    if (!date_signed) {
      return HeaderMalformed("SignedHeaders must include the request date (x-amz-date or date).");
    }
    if (parts.credential.date != std::string_view(parts.amz_date).substr(0, 8)) {
      return HeaderMalformed("Invalid credential date \"" + parts.credential.date +
                             "\". This date is not the same as X-Amz-Date: \"" +
                             parts.amz_date.substr(0, 8) + "\".");
    }
    int64_t skew = now - parts.time;
    if (skew > options.max_skew_ms || -skew > options.max_skew_ms) {
      return Unauthenticated(
          "The difference between the request time (" + parts.amz_date +
              ") and the current time (" + FormatAmzDate(now) + ") is too large.",
          "RequestTimeTooSkewed");
    }
  } else {
    static constexpr std::string_view kRequired =
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
        "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
    int n_alg = count, n_cred = 0, n_date = 0, n_exp = 0, n_sh = 0, n_sig = 0;
    const std::string* credential = QueryParam(params, "X-Amz-Credential", &n_cred);
    const std::string* date = QueryParam(params, "X-Amz-Date", &n_date);
    const std::string* expires = QueryParam(params, "X-Amz-Expires", &n_exp);
    const std::string* signed_headers = QueryParam(params, "X-Amz-SignedHeaders", &n_sh);
    const std::string* signature = QueryParam(params, "X-Amz-Signature", &n_sig);
    if (!credential || !date || !expires || !signed_headers || !signature) {
      return QueryParametersError(std::string(kRequired));
    }
    if (n_alg > 1 || n_cred > 1 || n_date > 1 || n_exp > 1 || n_sh > 1 || n_sig > 1) {
      return QueryParametersError("Each X-Amz-* authentication parameter may appear only once.");
    }
    if (*algorithm != kAlgorithm) {
      return QueryParametersError("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
    }
    auto cred = ParseCredential(*credential);
    if (!cred) {
      return QueryParametersError("Error parsing the X-Amz-Credential parameter; expecting " +
                                  std::string(kCredentialShape) + ".");
    }
    parts.credential = std::move(*cred);
    auto t = ParseAmzDate(*date);
    if (!t) {
      return QueryParametersError(
          "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    }
    parts.time = *t;
    parts.amz_date = *date;
    if (parts.credential.date != std::string_view(parts.amz_date).substr(0, 8)) {
      return QueryParametersError("Invalid credential date \"" + parts.credential.date +
                                  "\". This date is not the same as X-Amz-Date: \"" +
                                  parts.amz_date.substr(0, 8) + "\".");
    }
    if (!AllDigits(*expires) || expires->size() > 18) {
      if (!expires->empty() && (*expires)[0] == '-') {
        return QueryParametersError("X-Amz-Expires must be non-negative");
      }
      return QueryParametersError("X-Amz-Expires should be a number");
    }
    std::from_chars(expires->data(), expires->data() + expires->size(), expires_s);
    if (expires_s > options.max_presign_expiry_s) {
      return QueryParametersError("X-Amz-Expires must be less than a week (in seconds) that is " +
                                  std::to_string(options.max_presign_expiry_s));
    }
    parts.signed_headers = ToLower(*signed_headers);
    TARN_RETURN_IF_ERROR(CheckSignedHeaders(parts.signed_headers, /*presigned=*/true));
    parts.signature = ToLower(*signature);
    if (parts.time - now > options.max_skew_ms) {
      return PermissionDenied("Request is not valid yet", "AccessDenied");
    }
    if (now > parts.time + expires_s * 1000) {
      return PermissionDenied("Request has expired", "AccessDenied");
    }
  }

  AuthContext ctx;
  ctx.access_key_id = parts.credential.access_key_id;
  ctx.region = parts.credential.region;
  ctx.service = parts.credential.service;
  ctx.amz_date = parts.amz_date;
  ctx.scope = parts.credential.scope();
  ctx.seed_signature = parts.signature;
  ctx.presigned = presigned;
  if (const std::string* token = request.headers.Get("x-amz-security-token")) {
    ctx.session_token = *token;
  } else if (const std::string* qt = QueryParam(params, "X-Amz-Security-Token", &count)) {
    ctx.session_token = *qt;
  }

  // The payload hash the signature covers.
  const bool s3 = ctx.service == "s3";
  std::string payload_hash;
  // A presigned URL may carry the hash as a (signed) query parameter, which
  // wins over a header the URL's user added.
  const std::string* content_sha =
      presigned ? QueryParam(params, "X-Amz-Content-Sha256", &count) : nullptr;
  if (!content_sha) content_sha = request.headers.Get("x-amz-content-sha256");
  if (content_sha) {
    std::string_view v = Trim(*content_sha);
    TARN_ASSIGN_OR_RETURN(ctx.payload_mode, ParsePayloadMode(v, &ctx.payload_sha256_hex));
    payload_hash = std::string(v);
  } else if (presigned && s3) {
    ctx.payload_mode = PayloadMode::kUnsigned;
    payload_hash = std::string(kUnsignedPayload);
  } else if (s3) {
    return InvalidArgument("Missing required header for this request: x-amz-content-sha256",
                           "InvalidRequest");
  } else {
    ctx.payload_mode = PayloadMode::kSignedHash;
    ctx.needs_body_hash = true;
  }

  std::optional<std::string> secret = secrets(ctx.access_key_id);
  if (!secret) {
    return Unauthenticated("The AWS Access Key Id you provided does not exist in our records.",
                           "InvalidAccessKeyId");
  }
  ctx.signing_key = DeriveSigningKey(*secret, parts.credential.date, ctx.region, ctx.service);

  std::string canonical =
      CanonicalRequest(request.method, request.path, request.query, request.headers,
                       parts.signed_headers, payload_hash, ctx.service, presigned);
  if (ctx.needs_body_hash) {
    ctx.canonical_request_prefix = std::move(canonical);
    return ctx;
  }
  std::string expected = ComputeSignature(ctx.signing_key, ctx.amz_date, ctx.scope, canonical);
  if (!ConstantTimeEquals(expected, ctx.seed_signature)) return SignatureDoesNotMatch();
  return ctx;
}

Status VerifyWithBodyHash(AuthContext& auth, std::string_view body_sha256_hex) {
  if (!auth.needs_body_hash) return Status::OK();
  std::string hash = ToLower(body_sha256_hex);
  if (!IsLowerHex64(hash)) return Internal("VerifyWithBodyHash: not a hex SHA-256");
  std::string canonical = auth.canonical_request_prefix + hash;
  std::string expected = ComputeSignature(auth.signing_key, auth.amz_date, auth.scope, canonical);
  if (!ConstantTimeEquals(expected, auth.seed_signature)) return SignatureDoesNotMatch();
  auth.needs_body_hash = false;
  auth.payload_sha256_hex = std::move(hash);
  auth.canonical_request_prefix.clear();
  return Status::OK();
}

Status VerifyWithBody(AuthContext& auth, std::string_view body) {
  if (!auth.needs_body_hash) return Status::OK();
  return VerifyWithBodyHash(auth, HexEncode(Sha256(body)));
}

// ---- signing (client side) ------------------------------------------------

namespace {

bool IsUnsignedHeader(std::string_view lower_name) {
  return lower_name == "authorization" || lower_name == "user-agent" || lower_name == "expect" ||
         lower_name == "connection" || lower_name == "transfer-encoding" ||
         lower_name == "x-amzn-trace-id";
}

std::string SignedHeaderList(const http::Headers& headers) {
  std::vector<std::string> names;
  for (const auto& [name, value] : headers.fields()) {
    std::string lower = ToLower(name);
    if (!IsUnsignedHeader(lower)) names.push_back(std::move(lower));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string out;
  for (size_t i = 0; i < names.size(); i++) {
    if (i > 0) out += ';';
    out += names[i];
  }
  return out;
}

}  // namespace

void SignRequest(std::string_view method, std::string_view raw_path, std::string_view raw_query,
                 http::Headers& headers, std::string_view payload_hash,
                 std::string_view access_key, std::string_view secret, std::string_view region,
                 std::string_view service, UnixMillis now) {
  std::string amz_date = FormatAmzDate(now);
  std::string date = amz_date.substr(0, 8);
  headers.Remove("Authorization");
  headers.Set("X-Amz-Date", amz_date);
  headers.Set("x-amz-content-sha256", std::string(payload_hash));
  std::string signed_headers = SignedHeaderList(headers);
  std::string scope = date + "/" + std::string(region) + "/" + std::string(service) + "/" +
                      std::string(kTerminator);
  std::string canonical = CanonicalRequest(method, raw_path, raw_query, headers, signed_headers,
                                           payload_hash, service, false);
  std::string signature = ComputeSignature(DeriveSigningKey(secret, date, region, service),
                                           amz_date, scope, canonical);
  headers.Set("Authorization", std::string(kAlgorithm) + " Credential=" + std::string(access_key) +
                                   "/" + scope + ", SignedHeaders=" + signed_headers +
                                   ", Signature=" + signature);
}

std::string PresignQuery(std::string_view method, std::string_view raw_path,
                         std::string_view raw_query, const http::Headers& headers,
                         std::string_view payload_hash, std::string_view access_key,
                         std::string_view secret, std::string_view region,
                         std::string_view service, UnixMillis now, int64_t expires_s) {
  std::string amz_date = FormatAmzDate(now);
  std::string date = amz_date.substr(0, 8);
  std::string scope = date + "/" + std::string(region) + "/" + std::string(service) + "/" +
                      std::string(kTerminator);
  std::string signed_headers = SignedHeaderList(headers);
  std::string query(raw_query);
  auto add = [&query](std::string_view name, std::string_view value) {
    if (!query.empty()) query += '&';
    query += name;
    query += '=';
    query += UriEncode(value, false);
  };
  add("X-Amz-Algorithm", kAlgorithm);
  add("X-Amz-Credential", std::string(access_key) + "/" + scope);
  add("X-Amz-Date", amz_date);
  add("X-Amz-Expires", std::to_string(expires_s));
  add("X-Amz-SignedHeaders", signed_headers);
  std::string canonical = CanonicalRequest(method, raw_path, query, headers, signed_headers,
                                           payload_hash, service, true);
  add("X-Amz-Signature", ComputeSignature(DeriveSigningKey(secret, date, region, service),
                                          amz_date, scope, canonical));
  return query;
}

}  // namespace tarn::aws
