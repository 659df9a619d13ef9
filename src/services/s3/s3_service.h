// S3Service: buckets, objects and multipart uploads as S3 defines them,
// free of HTTP. Every method blocks on disk or on the MetaStore's group
// commit: call it from a worker pool, never from an I/O thread.
//
// Errors carry the S3 error code in Status::aws_code() (NoSuchBucket,
// InvalidBucketName, BadDigest, InvalidPart, ...); s3_api renders them.
//
// Thread-safety: all methods are thread-safe. A BodySink or ObjectReader is
// used by one thread at a time.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/hash.h"
#include "common/status.h"
#include "common/time.h"
#include "services/s3/s3_store.h"
#include "services/s3/s3_types.h"
#include "storage/blob_store.h"
#include "storage/meta_store.h"

namespace tarn::s3 {

struct ServiceOptions {
  std::string region = "us-east-1";
  // Bodies up to this size are kept in the metadata database, so a small
  // PUT costs one group-committed SQLite transaction and no file of its own.
  size_t inline_threshold = 64 * 1024;
  // AWS's minimum part size; tests may lower it.
  uint64_t min_part_size = kMinPartSize;
};

// Collects a request body for an object or a part: hashes it (MD5 always,
// plus the requested additional checksum) and keeps it in memory while it
// is small, spilling to a blob once it outgrows the inline threshold.
class BodySink {
 public:
  ~BodySink();
  Status Append(std::string_view data);
  uint64_t size() const { return size_; }
  // Whether appending n more bytes touches the disk (callers offload then).
  bool WouldSpill(size_t n) const { return writer_ || memory_.size() + n > inline_threshold_; }
  const std::string& checksum_algorithm() const { return checksum_algorithm_; }

 private:
  friend class S3Service;
  BodySink(storage::BlobStore* blobs, size_t inline_threshold, std::string checksum_algorithm);

  storage::BlobStore* blobs_;
  size_t inline_threshold_;
  std::string checksum_algorithm_;
  Digest md5_{DigestKind::kMd5};
  std::optional<Digest> digest_;  // SHA1 / SHA256 checksums
  uint32_t crc_ = 0;              // CRC32 / CRC32C checksums
  uint64_t size_ = 0;
  std::string memory_;
  std::unique_ptr<storage::BlobWriter> writer_;
};

// What a client declared about the body it sent, checked on commit.
struct BodyExpectations {
  std::string content_md5;      // base64, from Content-MD5
  std::string checksum_value;   // base64, from x-amz-checksum-<alg> (header or trailer)
};

struct PutObjectInput {
  std::string bucket;
  std::string key;
  ContentHeaders headers;
  KeyValues user_metadata;
  KeyValues tags;
  BodyExpectations expect;
};

struct CopyObjectInput {
  std::string src_bucket, src_key;
  std::string bucket, key;
  bool replace_metadata = false;  // x-amz-metadata-directive: REPLACE
  bool replace_tags = false;      // x-amz-tagging-directive: REPLACE
  ContentHeaders headers;         // used when replace_metadata
  KeyValues user_metadata;        // used when replace_metadata
  KeyValues tags;                 // used when replace_tags
};

struct CompletedPart {
  int part_number = 0;
  std::string etag;  // quotes removed
  std::string checksum_value;  // optional, base64
};

// Reads an object's bytes by offset over its extents (or inline body).
class ObjectReader {
 public:
  struct Piece {
    // Either a slice of the inline body or a file range.
    std::string_view memory;
    const storage::RandomAccessFile* file = nullptr;
    uint64_t offset = 0;
    uint64_t length = 0;
  };
  // The pieces covering [offset, offset + length), in order.
  std::vector<Piece> Pieces(uint64_t offset, uint64_t length) const;
  // Copies up to n bytes at offset into buf; returns bytes copied.
  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const;
  uint64_t size() const { return size_; }

 private:
  friend class S3Service;
  struct Part {
    uint64_t start;  // offset of this extent within the object
    Extent extent;
    std::shared_ptr<storage::RandomAccessFile> file;
  };
  std::string inline_data_;
  std::vector<Part> parts_;
  uint64_t size_ = 0;
};

class S3Service {
 public:
  S3Service(storage::MetaStore* meta, storage::BlobStore* blobs, ServiceOptions options,
            Clock* clock = Clock::Real());

  // Migrates the schema and sweeps orphan blobs and tmp/ (start-up).
  Status Start();

  const ServiceOptions& options() const { return options_; }

  // --- Buckets ---
  Status CreateBucket(const std::string& name, const std::string& location_constraint);
  Result<BucketInfo> GetBucket(const std::string& name);  // NoSuchBucket
  // NoSuchBucket, BucketNotEmpty (objects only: pending multipart uploads
  // are aborted with the bucket, as S3 does).
  Status DeleteBucket(const std::string& name);
  Result<std::vector<BucketInfo>> ListBuckets();

  // --- Objects ---
  // checksum_algorithm: "", "CRC32", "CRC32C", "SHA1" or "SHA256".
  Result<std::unique_ptr<BodySink>> NewBody(const std::string& checksum_algorithm);
  Result<ObjectMeta> PutObject(PutObjectInput input, std::unique_ptr<BodySink> body);
  // NoSuchBucket / NoSuchKey.
  Result<StoredObject> GetObject(const std::string& bucket, const std::string& key);
  Result<std::unique_ptr<ObjectReader>> OpenReader(const StoredObject& object);
  Status DeleteObject(const std::string& bucket, const std::string& key);
  Result<ObjectMeta> CopyObject(const CopyObjectInput& input);
  Status PutObjectTags(const std::string& bucket, const std::string& key, const KeyValues& tags);
  Result<ListResult> ListObjects(const std::string& bucket, const ListRequest& request);

  // --- Multipart uploads ---
  Result<UploadInfo> CreateUpload(UploadInfo upload);
  Result<PartInfo> UploadPart(const std::string& bucket, const std::string& key,
                              const std::string& upload_id, int part_number,
                              const BodyExpectations& expect, std::unique_ptr<BodySink> body);
  // Copies [first, last] of the source object (the whole object when
  // range is nullopt) as a part, referencing its bytes rather than copying.
  Result<PartInfo> UploadPartCopy(const std::string& bucket, const std::string& key,
                                  const std::string& upload_id, int part_number,
                                  const StoredObject& source,
                                  std::optional<std::pair<uint64_t, uint64_t>> range);
  Result<ObjectMeta> CompleteUpload(const std::string& bucket, const std::string& key,
                                    const std::string& upload_id,
                                    const std::vector<CompletedPart>& parts);
  Status AbortUpload(const std::string& bucket, const std::string& key,
                     const std::string& upload_id);
  Result<UploadInfo> GetUpload(const std::string& bucket, const std::string& key,
                               const std::string& upload_id);
  Result<std::vector<PartInfo>> ListParts(const std::string& upload_id, int after_part,
                                          int max_parts, bool* truncated);
  Result<std::vector<UploadInfo>> ListUploads(const std::string& bucket, const std::string& prefix,
                                              const std::string& key_marker,
                                              const std::string& upload_id_marker, int max,
                                              bool* truncated);

 private:
  // Finishes a body: verifies MD5 and checksum expectations, commits the
  // blob if it spilled. Fills size, etag and checksum.
  struct FinishedBody {
    uint64_t size = 0;
    std::string md5;  // raw
    Checksum checksum;
    bool is_inline = false;
    std::string inline_data;
    std::vector<Extent> extents;
  };
  Result<FinishedBody> FinishBody(std::unique_ptr<BodySink> body, const BodyExpectations& expect);
  void DeleteBlobs(const std::vector<storage::BlobId>& dead);

  storage::BlobStore* blobs_;
  S3Store store_;
  ServiceOptions options_;
  Clock* clock_;
};

// Validation shared with the API layer.
Status ValidateBucketName(std::string_view name);
Status ValidateKey(std::string_view key);
Status ValidateTags(const KeyValues& tags);
// "CRC32" etc. from any case; InvalidRequest for an unknown algorithm.
Result<std::string> NormalizeChecksumAlgorithm(std::string_view name);

}  // namespace tarn::s3
