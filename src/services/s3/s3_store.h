// S3Store: the S3 service's metadata in the MetaStore. The only file with
// S3's SQL. Every method is a blocking call (run it on a worker pool) and
// every write is one group-committed transaction.
//
// Blob references are counted in s3_blobs: an extent that points at a blob
// holds one reference. Methods that drop references return the blobs whose
// count reached zero; the caller deletes those files after the commit (a
// crash in between leaves orphans that the start-up sweep removes).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "services/s3/s3_types.h"
#include "storage/meta_store.h"

namespace tarn::s3 {

class S3Store {
 public:
  explicit S3Store(storage::MetaStore* meta) : meta_(meta) {}

  // Creates or upgrades the S3 schema.
  Status Migrate();

  // Buckets.
  Status CreateBucket(const BucketInfo& bucket);  // AlreadyExists if present
  Result<std::optional<BucketInfo>> GetBucket(const std::string& name);
  Result<std::vector<BucketInfo>> ListBuckets();
  // FailedPrecondition "BucketNotEmpty" when it holds objects. Incomplete
  // multipart uploads do not keep a bucket alive (as in S3): they are
  // aborted with it. Returns blobs to delete.
  Result<std::vector<storage::BlobId>> DeleteBucket(const std::string& name);

  // Objects.
  Result<std::optional<StoredObject>> GetObject(const std::string& bucket, const std::string& key);
  // Inserts or replaces; the bucket must exist. Returns blobs to delete.
  Result<std::vector<storage::BlobId>> PutObject(const std::string& bucket,
                                                 const StoredObject& object);
  // Deleting a missing key is OK. Returns blobs to delete.
  Result<std::vector<storage::BlobId>> DeleteObject(const std::string& bucket,
                                                    const std::string& key);
  // Replaces the tags of an existing object (NotFound otherwise).
  Status SetObjectTags(const std::string& bucket, const std::string& key, const KeyValues& tags);
  Result<ListResult> ListObjects(const std::string& bucket, const ListRequest& request);

  // Multipart uploads.
  Status CreateUpload(const UploadInfo& upload);
  Result<std::optional<UploadInfo>> GetUpload(const std::string& upload_id);
  // Inserts or replaces part_number; returns blobs to delete.
  Result<std::vector<storage::BlobId>> PutPart(const std::string& upload_id, const PartInfo& part);
  Result<std::vector<PartInfo>> ListParts(const std::string& upload_id, int after_part,
                                          int max_parts, bool* truncated);
  // The whole upload's parts, in part-number order.
  Result<std::vector<PartInfo>> AllParts(const std::string& upload_id);
  // Uploads of a bucket in (key, upload id) order, after the markers.
  Result<std::vector<UploadInfo>> ListUploads(const std::string& bucket, const std::string& prefix,
                                              const std::string& key_marker,
                                              const std::string& upload_id_marker, int max,
                                              bool* truncated);
  // Atomically: writes the object, removes the upload and its parts.
  // Returns blobs to delete (the replaced object's, and unused parts').
  Result<std::vector<storage::BlobId>> CompleteUpload(const std::string& upload_id,
                                                      const StoredObject& object);
  // Removes the upload and its parts; NotFound if missing.
  Result<std::vector<storage::BlobId>> AbortUpload(const std::string& upload_id);

  // Whether a blob is referenced (for the start-up orphan sweep).
  Result<bool> IsBlobLive(const storage::BlobId& blob);
  // All referenced blob ids, for the sweep on large stores.
  Result<std::vector<std::string>> LiveBlobs();

 private:
  storage::MetaStore* meta_;
};

}  // namespace tarn::s3
