// aws-chunked: the body framing of SigV4 streaming uploads, and its chunk
// signatures.
//
// Grammar (ABNF-ish, CRLF = "\r\n"):
//
//   body        = *chunk final-chunk trailers CRLF
//   chunk       = size-line data CRLF          ; data is exactly <size> bytes
//   final-chunk = size-line                    ; size 0, no data
//   size-line   = 1*16HEXDIG [ ";chunk-signature=" 64HEXDIG ] CRLF
//   trailers    = *( name ":" value CRLF ) [ "x-amz-trailer-signature:" 64HEXDIG CRLF ]
//
// Signed bodies (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) carry
// ";chunk-signature=" on every size line; unsigned ones
// (STREAMING-UNSIGNED-PAYLOAD-TRAILER) carry none. Examples:
//
//   "5;chunk-signature=<sig1>\r\nhello\r\n0;chunk-signature=<sig2>\r\n\r\n"
//   "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"
//
// ChunkedDecoder is push-style and knows nothing of sockets or signatures:
// feed it the body in slices split anywhere; it reports chunk boundaries,
// payload bytes and trailers to a ChunkedSink. It allocates only its line
// buffer (bounded by the limits below), so it can be fuzzed directly.
// Checking the signatures it reports is PayloadReader's job (payload.h),
// with ChunkSignature() / TrailerSignature() below.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tarn::aws {

// Receives what the decoder finds, in stream order. A non-OK Status from any
// callback stops decoding; the decoder returns that Status (sticky).
class ChunkedSink {
 public:
  virtual ~ChunkedSink() = default;
  // A size line: the declared size and the chunk-signature (empty when the
  // body is unsigned). The final chunk reports size 0.
  virtual Status OnChunkStart(uint64_t size, std::string_view signature) = 0;
  // Payload bytes of the current chunk, in order; valid during the call only.
  virtual Status OnData(std::string_view data) = 0;
  // The current chunk is complete (its data and CRLF were read; for the final
  // chunk, right after its size line).
  virtual Status OnChunkEnd() = 0;
  // A trailing header, name lowercased, value trimmed.
  virtual Status OnTrailer(std::string_view name, std::string_view value) = 0;
  // The value of x-amz-trailer-signature (always the last trailer).
  virtual Status OnTrailerSignature(std::string_view signature) = 0;
};

struct ChunkedOptions {
  // Every size line must carry ";chunk-signature=<64 hex>"; when false, none
  // may.
  bool signed_chunks = true;
  // Longest size line, CRLF excluded ("10000;chunk-signature=<64>" is 87).
  size_t max_size_line = 256;
  // All trailer lines together, CRLFs included, and their number.
  size_t max_trailer_bytes = 16 * 1024;
  size_t max_trailers = 32;
};

// Not thread-safe. Errors are Code::kInvalidArgument with aws_code
// "InvalidRequest" (bad framing) or "IncompleteBody" (Finish() before the
// end), or whatever a sink callback returned; the first error is sticky.
class ChunkedDecoder {
 public:
  explicit ChunkedDecoder(ChunkedOptions options = {});

  // Decodes the next slice of the body (any length, including 0).
  Status Feed(std::string_view input, ChunkedSink& sink);

  // To be called when the body has ended: OK only if the body ended exactly
  // after the empty line that closes the trailers.
  Status Finish();

  // True once the closing empty line has been read. Any further byte fed is
  // an error.
  bool done() const { return state_ == State::kDone; }

  // Payload bytes reported so far.
  uint64_t decoded_bytes() const { return decoded_bytes_; }

 private:
  enum class State { kSizeLine, kData, kDataCr, kDataLf, kTrailerLine, kDone, kFailed };

  Status Fail(Status s);
  Status ProcessSizeLine(ChunkedSink& sink);
  Status ProcessTrailerLine(ChunkedSink& sink);

  ChunkedOptions options_;
  State state_ = State::kSizeLine;
  Status error_;
  std::string line_;            // the line being accumulated, CR included
  uint64_t remaining_ = 0;      // data bytes left in the current chunk
  uint64_t decoded_bytes_ = 0;
  size_t trailer_bytes_ = 0;
  size_t trailer_count_ = 0;
  bool trailer_signature_seen_ = false;
};

// Chunk and trailer signatures (SigV4 streaming), lowercase hex.
//
// A chunk's string to sign is
//   "AWS4-HMAC-SHA256-PAYLOAD\n" amz_date "\n" scope "\n" previous_signature
//   "\n" hex(sha256("")) "\n" hex(sha256(chunk data))
// and the trailer's is
//   "AWS4-HMAC-SHA256-TRAILER\n" amz_date "\n" scope "\n" previous_signature
//   "\n" hex(sha256(trailer lines, each "name:value\n"))
// previous_signature is the seed (the request's) signature for the first
// chunk, then that of the chunk before; the trailer chains from the final
// (zero-length) chunk. signing_key is the raw derived key.
std::string ChunkSignature(std::string_view signing_key, std::string_view amz_date,
                           std::string_view scope, std::string_view previous_signature,
                           std::string_view data_sha256_hex);
std::string TrailerSignature(std::string_view signing_key, std::string_view amz_date,
                             std::string_view scope, std::string_view previous_signature,
                             std::string_view trailer_sha256_hex);

}  // namespace tarn::aws
