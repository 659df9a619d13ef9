#include "services/s3/s3_headers.h"

#include <charconv>

#include "common/encoding.h"

namespace tarn::s3 {

namespace {

bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

Status InvalidRange(uint64_t size) {
  return Status(Code::kInvalidArgument,
                "The requested range is not satisfiable (object size " + std::to_string(size) + ")",
                "InvalidRange");
}

// True when the comma-separated ETag list matches etag (or is "*").
bool EtagListMatches(std::string_view list, std::string_view etag) {
  for (std::string_view item : Split(list, ',')) {
    item = Trim(item);
    if (item == "*") return true;
    if (UnquoteEtag(item) == etag) return true;
  }
  return false;
}

}  // namespace

std::string_view UnquoteEtag(std::string_view e) {
  e = Trim(e);
  if (e.size() >= 2 && e[0] == 'W' && e[1] == '/') e.remove_prefix(2);
  if (e.size() >= 2 && e.front() == '"' && e.back() == '"') e = e.substr(1, e.size() - 2);
  return e;
}

Result<std::optional<ByteRange>> ParseRange(std::string_view header, uint64_t size) {
  header = Trim(header);
  constexpr std::string_view kPrefix = "bytes=";
  if (header.substr(0, kPrefix.size()) != kPrefix) return std::optional<ByteRange>();
  std::string_view spec = Trim(header.substr(kPrefix.size()));
  if (spec.find(',') != std::string_view::npos) return std::optional<ByteRange>();
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::optional<ByteRange>();
  std::string_view a = Trim(spec.substr(0, dash)), b = Trim(spec.substr(dash + 1));
  uint64_t first = 0, last = 0;
  if (a.empty()) {
    // Suffix range: the last n bytes.
    uint64_t n = 0;
    if (!ParseU64(b, &n)) return std::optional<ByteRange>();
    if (n == 0 || size == 0) return InvalidRange(size);
    first = n >= size ? 0 : size - n;
    return std::optional<ByteRange>(ByteRange{first, size - 1});
  }
  if (!ParseU64(a, &first)) return std::optional<ByteRange>();
  if (b.empty()) {
    last = size == 0 ? 0 : size - 1;
  } else {
    if (!ParseU64(b, &last) || last < first) return std::optional<ByteRange>();
    if (last >= size && size > 0) last = size - 1;
  }
  if (first >= size) return InvalidRange(size);
  return std::optional<ByteRange>(ByteRange{first, last});
}

Result<ByteRange> ParseCopySourceRange(std::string_view header) {
  auto bad = [] {
    return InvalidArgument(
        "The x-amz-copy-source-range value must be of the form bytes=first-last where first and "
        "last are the zero-based offsets of the first and last bytes to copy",
        "InvalidArgument");
  };
  header = Trim(header);
  if (header.substr(0, 6) != "bytes=") return bad();
  std::string_view spec = header.substr(6);
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return bad();
  ByteRange r;
  if (!ParseU64(spec.substr(0, dash), &r.first) || !ParseU64(spec.substr(dash + 1), &r.last) ||
      r.last < r.first) {
    return bad();
  }
  return r;
}

Precondition EvaluatePreconditions(const http::Headers& headers, std::string_view prefix,
                                   std::string_view etag, UnixMillis last_modified) {
  auto get = [&](std::string_view name) -> const std::string* {
    return headers.Get(std::string(prefix) + std::string(name));
  };
  const bool copy = !prefix.empty();
  // HTTP dates have second resolution; compare at that resolution.
  const int64_t modified_s = last_modified / 1000;
  const std::string* if_match = get(copy ? "if-match" : "If-Match");
  const std::string* if_none_match = get(copy ? "if-none-match" : "If-None-Match");
  const std::string* if_modified = get(copy ? "if-modified-since" : "If-Modified-Since");
  const std::string* if_unmodified = get(copy ? "if-unmodified-since" : "If-Unmodified-Since");

  if (if_match) {
    if (!EtagListMatches(*if_match, etag)) return Precondition::kFailed;
  } else if (if_unmodified) {
    std::optional<UnixMillis> t = ParseHttpDate(*if_unmodified);
    if (t && modified_s > *t / 1000) return Precondition::kFailed;
  }
  const Precondition not_modified = copy ? Precondition::kFailed : Precondition::kNotModified;
  if (if_none_match) {
    if (EtagListMatches(*if_none_match, etag)) return not_modified;
  } else if (if_modified) {
    std::optional<UnixMillis> t = ParseHttpDate(*if_modified);
    if (t && modified_s <= *t / 1000) return not_modified;
  }
  return Precondition::kProceed;
}

Result<CopySource> ParseCopySource(std::string_view header) {
  auto bad = [] {
    return InvalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
                           "InvalidArgument");
  };
  std::string_view v = Trim(header);
  CopySource out;
  size_t q = v.find('?');
  if (q != std::string_view::npos) {
    std::string_view query = v.substr(q + 1);
    v = v.substr(0, q);
    for (std::string_view kv : Split(query, '&')) {
      if (kv.substr(0, 10) == "versionId=") out.version_id = std::string(kv.substr(10));
    }
  }
  std::optional<std::string> decoded = UriDecode(v);
  if (!decoded) return bad();
  std::string_view d = *decoded;
  if (!d.empty() && d.front() == '/') d.remove_prefix(1);
  size_t slash = d.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == d.size()) return bad();
  out.bucket = std::string(d.substr(0, slash));
  out.key = std::string(d.substr(slash + 1));
  return out;
}

Result<KeyValues> ParseTagQuery(std::string_view text) {
  KeyValues out;
  if (Trim(text).empty()) return out;
  for (std::string_view pair : Split(text, '&')) {
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::optional<std::string> k = UriDecode(pair.substr(0, eq), true);
    std::optional<std::string> v =
        eq == std::string_view::npos ? std::string() : UriDecode(pair.substr(eq + 1), true);
    auto bad = [] {
      return InvalidArgument(
          "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query "
          "parameters without tag name duplicates.",
          "InvalidArgument");
    };
    if (!k || !v) return bad();
    // S3 refuses a repeated tag name here as a header encoding error
    // (InvalidArgument), not as InvalidTag.
    for (const auto& [name, value] : out) {
      if (name == *k) return bad();
    }
    out.emplace_back(std::move(*k), std::move(*v));
  }
  return out;
}

}  // namespace tarn::s3
