// AWS Signature Version 4: verification of incoming requests.
//
// Authenticate() checks a request's signature, from the Authorization header
// or from a presigned URL's query parameters, against the secret of the
// access key it names. It checks everything that can be checked from the
// request head: the signature over the canonical request, the credential
// scope, the date and its skew (15 minutes), presigned expiry. What depends
// on the body (the payload hash, aws-chunked chunk signatures, trailers) is
// checked as the body streams, by PayloadReader (payload.h), using the
// AuthContext returned here.
//
// Errors are Statuses whose aws_code() is the AWS error code:
//   AccessDenied (anonymous request)      Code::kPermissionDenied   403
//   InvalidAccessKeyId                    Code::kUnauthenticated    403
//   SignatureDoesNotMatch                 Code::kUnauthenticated    403
//   RequestTimeTooSkewed                  Code::kUnauthenticated    403
//   AuthorizationHeaderMalformed          Code::kInvalidArgument    400
//   AuthorizationQueryParametersError     Code::kInvalidArgument    400
//   InvalidArgument (e.g. bad x-amz-content-sha256)  kInvalidArgument 400
//   AccessDenied "Request has expired"    Code::kPermissionDenied   403
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "http/handler.h"

namespace tarn::aws {

// Looks up the secret for an access key id; nullopt when unknown.
using SecretLookup = std::function<std::optional<std::string>(std::string_view access_key_id)>;

enum class PayloadMode {
  kSignedHash,           // x-amz-content-sha256 is the hex SHA-256 of the body
  kUnsigned,             // UNSIGNED-PAYLOAD (and presigned URLs)
  kStreamingSigned,      // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
  kStreamingSignedTrailer,    // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
  kStreamingUnsignedTrailer,  // STREAMING-UNSIGNED-PAYLOAD-TRAILER
};

// What authentication established, and what the payload reader needs.
struct AuthContext {
  std::string access_key_id;
  std::string region;   // from the credential scope
  std::string service;  // from the credential scope ("s3", "kinesis", ...)
  std::string amz_date;  // 20150830T123600Z
  std::string scope;     // 20150830/us-east-1/s3/aws4_request
  std::string signing_key;  // raw derived key, for chunk signatures
  std::string seed_signature;  // hex, the request's signature
  PayloadMode payload_mode = PayloadMode::kUnsigned;
  std::string payload_sha256_hex;  // for kSignedHash
  bool presigned = false;
};

struct SigV4Options {
  int64_t max_skew_ms = 15 * 60 * 1000;
  // Presigned URLs may not ask for more than 7 days.
  int64_t max_presign_expiry_s = 7 * 24 * 3600;
};

// True when the request carries any SigV4 material (header or query).
bool HasSignature(const http::Request& request);

Result<AuthContext> Authenticate(const http::Request& request, const SecretLookup& secrets,
                                 UnixMillis now, const SigV4Options& options = {});

// Building blocks, public for tests and for tarn's own signing clients
// (benchmarks, `tarn sql`).

// The canonical request for a request head as SigV4 defines it.
// signed_headers: lowercase, ';'-separated, as in the Authorization header.
// raw_path is the path as received (percent-encoded). For S3 it is
// canonicalized without normalization (decoded, then each segment
// URI-encoded once); for every other service dot segments are normalized and
// each segment is URI-encoded twice, as SigV4 specifies.
std::string CanonicalRequest(std::string_view method, std::string_view raw_path,
                             std::string_view raw_query, const http::Headers& headers,
                             std::string_view signed_headers, std::string_view payload_hash,
                             std::string_view service, bool drop_signature_param);

std::string DeriveSigningKey(std::string_view secret, std::string_view date /*YYYYMMDD*/,
                             std::string_view region, std::string_view service);

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);

// Signs a request for a client (used by tarn's own tools and tests): adds
// X-Amz-Date, x-amz-content-sha256 and Authorization to headers. host must
// already be in headers.
void SignRequest(std::string_view method, std::string_view raw_path, std::string_view raw_query,
                 http::Headers& headers, std::string_view payload_hash,
                 std::string_view access_key, std::string_view secret, std::string_view region,
                 std::string_view service, UnixMillis now);

}  // namespace tarn::aws
