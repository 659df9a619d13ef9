// Parsers for S3's request headers: Range, conditional requests, copy
// sources, tag sets in query form. Pure functions: they face the network,
// so they are unit-tested and fuzzed on their own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/time.h"
#include "http/handler.h"
#include "services/s3/s3_types.h"

namespace tarn::s3 {

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
  uint64_t length() const { return last - first + 1; }
};

// Range: "bytes=a-b", "bytes=a-", "bytes=-n" against an object of size.
// nullopt when there is no usable single range (absent, malformed or
// multi-range headers are ignored, as S3 does: the whole object is sent).
// InvalidRange (416) when the range cannot be satisfied.
Result<std::optional<ByteRange>> ParseRange(std::string_view header, uint64_t size);

// x-amz-copy-source-range: "bytes=first-last", both required.
Result<ByteRange> ParseCopySourceRange(std::string_view header);

enum class Precondition { kProceed, kNotModified, kFailed };

// Evaluates If-Match, If-None-Match, If-Modified-Since and
// If-Unmodified-Since (with the given header-name prefix, "" for GET/HEAD or
// "x-amz-copy-source-" for copies) as S3 does:
//   If-Match false -> 412; else If-Unmodified-Since false (without If-Match) -> 412;
//   If-None-Match matches -> 304 (412 for copies); else If-Modified-Since
//   not modified (without If-None-Match) -> 304 (412 for copies).
Precondition EvaluatePreconditions(const http::Headers& headers, std::string_view prefix,
                                   std::string_view etag, UnixMillis last_modified);

struct CopySource {
  std::string bucket;
  std::string key;
  std::string version_id;
};
// "/bucket/key", "bucket/key" (URL-encoded), optional "?versionId=...".
Result<CopySource> ParseCopySource(std::string_view header);

// "k1=v1&k2=v2" (URL-encoded), as in x-amz-tagging. InvalidArgument for bad
// encoding or a repeated tag name.
Result<KeyValues> ParseTagQuery(std::string_view text);

// Removes surrounding quotes (and a W/ prefix) from an ETag.
std::string_view UnquoteEtag(std::string_view etag);

}  // namespace tarn::s3
