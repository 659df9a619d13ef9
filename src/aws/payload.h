// PayloadReader: the request body as the signature vouches for it.
//
// Wraps the HTTP BodyReader and, according to the AuthContext's mode:
//   kSignedHash    passes bytes through, SHA-256s them, and at the end fails
//                  with XAmzContentSHA256Mismatch (400) if they differ from
//                  x-amz-content-sha256;
//   kUnsigned      passes bytes through;
//   kStreaming*    decodes aws-chunked framing ("<hex-size>;chunk-signature=
//                  <sig>\r\n<data>\r\n" ... "0;chunk-signature=<sig>\r\n"
//                  [trailers] "\r\n"), verifies every chunk signature
//                  (AWS4-HMAC-SHA256-PAYLOAD string to sign, chained from
//                  the seed signature) and the trailer signature, and
//                  collects trailers (x-amz-checksum-crc32 etc.).
//                  Errors: SignatureDoesNotMatch (403) for a bad chunk
//                  signature; IncompleteBody (400) for a truncated stream;
//                  InvalidRequest/InvalidArgument (400) for bad framing.
// Also checks x-amz-decoded-content-length against the decoded size.
//
// With a context whose needs_body_hash is set (non-S3 request without
// x-amz-content-sha256), the request's signature itself is verified at the
// end, over the SHA-256 of the body (SignatureDoesNotMatch if wrong); the
// caller's AuthContext is not modified.
//
// Read() returns the number of decoded payload bytes placed in buf (which
// must not be empty), 0 at the end (only after every check has passed).
// Bytes are handed out as they arrive, before the check that covers them
// completes (a chunk's signature when the chunk ends, the body hash at the
// end): act on a payload (commit an object, run an operation) only once
// Read() has returned 0. The first error is sticky. Not thread-safe.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "aws/chunked.h"
#include "aws/sigv4.h"
#include "http/handler.h"

namespace tarn::aws {

class PayloadReader {
 public:
  // auth may be null for requests that were not signed (never in a server
  // that requires auth; kept for tests). Both must outlive the reader.
  PayloadReader(http::BodyReader& body, const http::Request& request, const AuthContext* auth);
  ~PayloadReader();

  boost::asio::awaitable<Result<size_t>> Read(std::span<char> buf);

  // Reads and discards the rest of the payload (still verifying it).
  boost::asio::awaitable<Status> Drain();

  // Trailing headers of an aws-chunked body (lowercase names), available
  // after Read() returned 0.
  const std::vector<std::pair<std::string, std::string>>& trailers() const;

  // Decoded payload bytes returned so far.
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t bytes_read_ = 0;
};

}  // namespace tarn::aws
