// The S3 domain: buckets, objects, multipart uploads, as tarn stores them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/time.h"
#include "storage/blob_store.h"

namespace tarn::s3 {

// AWS limits that shape validation.
inline constexpr size_t kMaxKeyBytes = 1024;
inline constexpr size_t kMaxUserMetadataBytes = 2048;
inline constexpr uint64_t kMinPartSize = 5ull << 20;          // except the last part
inline constexpr uint64_t kMaxPartSize = 5ull << 30;
inline constexpr uint64_t kMaxSinglePutSize = 5ull << 30;
inline constexpr int kMaxPartNumber = 10000;
inline constexpr int kMaxTags = 10;
inline constexpr int kMaxKeysPerPage = 1000;
inline constexpr int kMaxDeleteObjects = 1000;

using KeyValues = std::vector<std::pair<std::string, std::string>>;

struct BucketInfo {
  std::string name;
  UnixMillis created = 0;
  std::string region;
};

// A contiguous piece of a blob. An object's body is its extents in order
// (or inline bytes for small objects), so completing a multipart upload or
// copying whole parts references bytes instead of copying them.
struct Extent {
  storage::BlobId blob;
  uint64_t offset = 0;
  uint64_t length = 0;
};

// Headers S3 stores with an object and returns on GET/HEAD.
struct ContentHeaders {
  std::string content_type;
  std::string content_encoding;
  std::string content_disposition;
  std::string content_language;
  std::string cache_control;
  std::string expires;  // as the client sent it
};

// Additional checksums (x-amz-checksum-*), base64 as on the wire. Only the
// algorithm the client asked for is set. For multipart objects the value
// is a checksum of part checksums, suffixed "-N" (type COMPOSITE).
struct Checksum {
  std::string algorithm;  // "CRC32", "CRC32C", "SHA1", "SHA256" or empty
  std::string value;
  std::string type;  // "FULL_OBJECT" or "COMPOSITE"
  bool empty() const { return algorithm.empty(); }
};

struct ObjectMeta {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // without quotes: hex md5, or hex md5-of-md5s "-N"
  UnixMillis last_modified = 0;
  ContentHeaders headers;
  KeyValues user_metadata;  // names lowercase, without "x-amz-meta-"
  KeyValues tags;
  Checksum checksum;
  // For multipart objects: the size of each part, so GET ?partNumber= can
  // address it. Empty for single-PUT objects.
  std::vector<uint64_t> part_sizes;
};

// An object as stored: metadata plus where its bytes are.
struct StoredObject {
  ObjectMeta meta;
  std::vector<Extent> extents;
  std::string inline_data;  // small bodies live in the metadata row
  bool is_inline = false;
};

struct UploadInfo {
  std::string upload_id;
  std::string bucket;
  std::string key;
  UnixMillis initiated = 0;
  ContentHeaders headers;
  KeyValues user_metadata;
  KeyValues tags;
  std::string checksum_algorithm;  // requested at create, may be empty
};

struct PartInfo {
  int part_number = 0;
  uint64_t size = 0;
  std::string etag;  // hex md5, no quotes
  UnixMillis last_modified = 0;
  Checksum checksum;
  std::vector<Extent> extents;
};

// One page of a listing, before protocol rendering.
struct ListRequest {
  std::string prefix;
  std::string delimiter;
  // Keys strictly after this are listed (StartAfter / Marker / decoded
  // ContinuationToken).
  std::string after;
  // When set, every key beginning with this prefix is skipped too (the
  // continuation point was a CommonPrefix).
  bool after_is_prefix = false;
  int max_keys = kMaxKeysPerPage;
};

struct ListEntry {
  bool is_prefix = false;  // a CommonPrefix rather than an object
  std::string key;         // key or common prefix
  ObjectMeta meta;         // objects only
};

struct ListResult {
  std::vector<ListEntry> entries;  // in UTF-8 byte order
  bool truncated = false;
};

}  // namespace tarn::s3
