// S3's header parsers (services/s3/s3_headers.h). The first byte picks the
// parser ('R', 'C', 'P', 'S', 'T'; any other byte mod 5); the rest:
//
//   R  ParseRange:            "<object size>\n<Range value>"
//   C  ParseCopySourceRange:  "<x-amz-copy-source-range value>"
//   P  EvaluatePreconditions: "<etag>\n<last-modified ms>\n<copy|get>\n<Name: value>..."
//   S  ParseCopySource:       "<x-amz-copy-source value>"
//   T  ParseTagQuery:         "<x-amz-tagging value>"
//
// Checks: no crash, leak or UB; errors carry their documented AWS code
// (InvalidRange, InvalidArgument); a range lies within the object, first <=
// last, and equals what the plain forms ("bytes=a-b", "bytes=a-",
// "bytes=-n") mean; preconditions follow S3's order (no conditions:
// proceed; copies never answer 304; a matching If-None-Match alone: 304, or
// 412 for copies); a copy source names a bucket without '/' and a non-empty
// key; copy sources and tag sets survive being written back (URI-encoded)
// and parsed again; tag names are unique.
#include <charconv>
#include <string>
#include <string_view>

#include "common/encoding.h"
#include "fuzz_check.h"
#include "services/s3/s3_headers.h"

namespace tarn::s3 {
namespace {

bool AllDigits(std::string_view s) {
  if (s.empty() || s.size() > 19) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

uint64_t ToU64(std::string_view s) {
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

std::pair<std::string_view, std::string_view> CutLine(std::string_view s) {
  size_t nl = s.find('\n');
  if (nl == std::string_view::npos) return {s, {}};
  return {s.substr(0, nl), s.substr(nl + 1)};
}

void CheckError(const Status& s, std::string_view aws_code) {
  FUZZ_CHECK(s.code() == Code::kInvalidArgument && s.aws_code() == aws_code, s.ToString());
}

void CheckRange(std::string_view input) {
  auto [size_text, header] = CutLine(input);
  uint64_t size = ToU64(size_text);
  auto r = ParseRange(header, size);
  if (!r.ok()) {
    CheckError(r.status(), "InvalidRange");
    return;
  }
  if (r->has_value()) {
    const ByteRange& b = **r;
    FUZZ_CHECK(
        size > 0 && b.first <= b.last && b.last < size,
        std::to_string(b.first) + "-" + std::to_string(b.last) + " of " + std::to_string(size));
    FUZZ_CHECK(b.length() >= 1 && b.length() <= size, std::to_string(b.length()));
  }
  // The plain forms, by their definition (RFC 9110 §14.1.2).
  if (header.substr(0, 6) != "bytes=") return;
  std::string_view spec = header.substr(6);
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return;
  std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  if (a.empty() && AllDigits(b)) {
    uint64_t n = ToU64(b);
    if (n == 0 || size == 0) return;  // unsatisfiable: checked above
    uint64_t first = n >= size ? 0 : size - n;
    FUZZ_CHECK(r->has_value() && (*r)->first == first && (*r)->last == size - 1, header);
  } else if (AllDigits(a) && (b.empty() || AllDigits(b))) {
    uint64_t first = ToU64(a);
    uint64_t last = b.empty() ? UINT64_MAX : ToU64(b);
    if (last < first) {
      FUZZ_CHECK(!r->has_value(), header);  // invalid: ignored
    } else if (first < size) {
      FUZZ_CHECK(r->has_value() && (*r)->first == first && (*r)->last == std::min(last, size - 1),
                 header);
    }
  }
}

void CheckCopySourceRange(std::string_view input) {
  auto r = ParseCopySourceRange(input);
  if (!r.ok()) return CheckError(r.status(), "InvalidArgument");
  FUZZ_CHECK(r->first <= r->last, input);
}

void CheckPreconditions(std::string_view input) {
  auto [etag, rest] = CutLine(input);
  auto [modified_text, rest2] = CutLine(rest);
  auto [mode, fields] = CutLine(rest2);
  UnixMillis last_modified = static_cast<UnixMillis>(ToU64(modified_text) % (1ULL << 50));
  const bool copy = mode == "copy";
  const std::string prefix = copy ? "x-amz-copy-source-" : "";
  http::Headers headers;
  while (!fields.empty()) {
    auto [line, more] = CutLine(fields);
    fields = more;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    headers.Add(std::string(line.substr(0, colon)), std::string(Trim(line.substr(colon + 1))));
  }
  Precondition p = EvaluatePreconditions(headers, prefix, etag, last_modified);
  FUZZ_CHECK(
      p == Precondition::kProceed || p == Precondition::kNotModified || p == Precondition::kFailed,
      "out of range");
  if (copy) FUZZ_CHECK(p != Precondition::kNotModified, "304 for a copy");
  const std::string* if_match = headers.Get(prefix + "if-match");
  const std::string* if_none_match = headers.Get(prefix + "if-none-match");
  const std::string* if_modified = headers.Get(prefix + "if-modified-since");
  const std::string* if_unmodified = headers.Get(prefix + "if-unmodified-since");
  if (!if_match && !if_none_match && !if_modified && !if_unmodified) {
    FUZZ_CHECK(p == Precondition::kProceed, "a condition out of nothing");
  }
  bool md5_like = !etag.empty() && etag.find_first_not_of("0123456789abcdef-") == std::string::npos;
  if (md5_like && !if_match && !if_modified && !if_unmodified && if_none_match &&
      Trim(*if_none_match) == "\"" + std::string(etag) + "\"") {
    FUZZ_CHECK(p == (copy ? Precondition::kFailed : Precondition::kNotModified), *if_none_match);
  }
}

void CheckCopySource(std::string_view input) {
  auto r = ParseCopySource(input);
  if (!r.ok()) return CheckError(r.status(), "InvalidArgument");
  FUZZ_CHECK(!r->bucket.empty() && r->bucket.find('/') == std::string::npos && !r->key.empty(),
             r->bucket + " / " + r->key);
  std::string again = "/" + UriEncode(r->bucket, false) + "/" + UriEncode(r->key, true);
  // The '&' keeps a version id's trailing blanks from the header's trim.
  if (!r->version_id.empty()) again += "?versionId=" + r->version_id + "&";
  auto r2 = ParseCopySource(again);
  FUZZ_CHECK(
      r2.ok() && r2->bucket == r->bucket && r2->key == r->key && r2->version_id == r->version_id,
      again);
}

void CheckTagQuery(std::string_view input) {
  auto r = ParseTagQuery(input);
  if (!r.ok()) return CheckError(r.status(), "InvalidArgument");
  std::string again;
  for (size_t i = 0; i < r->size(); i++) {
    for (size_t j = 0; j < i; j++) FUZZ_CHECK((*r)[i].first != (*r)[j].first, (*r)[i].first);
    if (i > 0) again += '&';
    again += UriEncode((*r)[i].first, false) + "=" + UriEncode((*r)[i].second, false);
  }
  auto r2 = ParseTagQuery(again);
  FUZZ_CHECK(r2.ok() && *r2 == *r, again);
}

}  // namespace
}  // namespace tarn::s3

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tarn::s3;
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  int which = data[0] == 'R'   ? 0
              : data[0] == 'C' ? 1
              : data[0] == 'P' ? 2
              : data[0] == 'S' ? 3
              : data[0] == 'T' ? 4
                               : data[0] % 5;
  switch (which) {
    case 0: CheckRange(input); break;
    case 1: CheckCopySourceRange(input); break;
    case 2: CheckPreconditions(input); break;
    case 3: CheckCopySource(input); break;
    case 4: CheckTagQuery(input); break;
  }
  std::string_view unquoted = UnquoteEtag(input);
  FUZZ_CHECK(unquoted.size() <= input.size(), "UnquoteEtag grew");
  return 0;
}
