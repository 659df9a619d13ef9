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
//   InvalidArgument (bad x-amz-content-sha256, header and presigned
//                    query together)     Code::kInvalidArgument    400
//   InvalidRequest (unsupported scheme, SigV2, S3 without
//                   x-amz-content-sha256)  Code::kInvalidArgument    400
//   AccessDenied "Request has expired", "Request is not valid yet" (presigned),
//                "...requires a valid Date or x-amz-date header"
//                                         Code::kPermissionDenied   403
//
// The body hash of non-S3 requests. S3 clients always state the payload hash
// in x-amz-content-sha256. Other services' clients (JSON and query protocol)
// usually do not: their signature covers the hex SHA-256 of the body, which
// cannot be known from the head. For those requests Authenticate() checks
// everything else and returns a context with needs_body_hash set; the
// signature is verified once the body has been read, either by PayloadReader
// (automatically, before its Read() returns 0) or by VerifyWithBodyHash()
// when the caller already holds the body. Until then the request is NOT
// authenticated and must not be acted on (an operation that takes no body
// still calls VerifyWithBody(auth, "") or reads the empty body through a
// PayloadReader to its end).
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
  std::string payload_sha256_hex;  // for kSignedHash; empty while needs_body_hash
  bool presigned = false;
  std::string session_token;  // x-amz-security-token, when sent (not verified here)

  // The signature covers the body's SHA-256, which the request did not state
  // (non-S3 service, no x-amz-content-sha256): the signature has not been
  // verified yet. payload_mode is kSignedHash. See VerifyWithBodyHash().
  bool needs_body_hash = false;
  // While needs_body_hash: the canonical request up to (without) the payload
  // hash line, so the signature can be finished without the request head.
  std::string canonical_request_prefix;
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

// Finishes authentication of a request whose context has needs_body_hash set,
// given the hex SHA-256 of its whole body. On success clears needs_body_hash
// and sets payload_sha256_hex; on a wrong signature returns
// SignatureDoesNotMatch. A context without needs_body_hash is left alone and
// OK is returned.
Status VerifyWithBodyHash(AuthContext& auth, std::string_view body_sha256_hex);
// The same, hashing a body already in memory.
Status VerifyWithBody(AuthContext& auth, std::string_view body);

// The service named by the credential scope (Authorization header or
// X-Amz-Credential), unverified: for routing query-protocol and rest-json
// services before authentication. nullopt when there is none.
std::optional<std::string> PeekSigningService(const http::Request& request);

// Building blocks, public for tests and for tarn's own signing clients
// (benchmarks, `tarn sql`).

// The canonical request for a request head as SigV4 defines it.
// signed_headers: lowercase, ';'-separated, as in the Authorization header.
// raw_path is the path as received (percent-encoded). For S3 it is
// canonicalized without normalization (decoded, then each segment
// URI-encoded once): "/a%20b/./c" -> "/a%20b/./c". For every other service
// dot segments and repeated slashes are removed and the received (already
// encoded) path is URI-encoded once more, which is SigV4's "encode twice":
// "/a%3Ab/../c" -> "/c", "/x/a%3Ab" -> "/x/a%253Ab". raw_query is the query
// as received; '+' in it is a literal '+'. Pass an empty payload_hash to get
// the canonical request without its last line (see canonical_request_prefix).
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
// already be in headers. Every header already in headers is signed, except
// Authorization, User-Agent, Expect, Connection, Transfer-Encoding and
// X-Amzn-Trace-Id.
void SignRequest(std::string_view method, std::string_view raw_path, std::string_view raw_query,
                 http::Headers& headers, std::string_view payload_hash,
                 std::string_view access_key, std::string_view secret, std::string_view region,
                 std::string_view service, UnixMillis now);

// Presigns a request (client side): returns raw_query extended with the
// X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders and
// -Signature parameters, ready to put after '?'. Every header in headers is
// signed (host must be there). payload_hash is "UNSIGNED-PAYLOAD" for S3;
// other services sign the body's hash (that of "" for a GET).
std::string PresignQuery(std::string_view method, std::string_view raw_path,
                         std::string_view raw_query, const http::Headers& headers,
                         std::string_view payload_hash, std::string_view access_key,
                         std::string_view secret, std::string_view region,
                         std::string_view service, UnixMillis now, int64_t expires_s);

}  // namespace tarn::aws
