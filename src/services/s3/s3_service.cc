#include "services/s3/s3_service.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "common/encoding.h"
#include "common/ids.h"
#include "common/log.h"

namespace tarn::s3 {

using storage::BlobId;

// ---------------------------------------------------------------- validation

Status ValidateBucketName(std::string_view n) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("The specified bucket is not valid: " + why, "InvalidBucketName");
  };
  if (n.size() < 3 || n.size() > 63) return bad("bucket names must be 3 to 63 characters long");
  for (char c : n) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) {
      return bad("bucket names may contain only lowercase letters, digits, dots and hyphens");
    }
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(n.front()) || !alnum(n.back())) {
    return bad("bucket names must begin and end with a letter or digit");
  }
  if (n.find("..") != std::string_view::npos) return bad("bucket names must not contain '..'");
  // Formatted like an IPv4 address.
  int dots = 0;
  bool digits_and_dots = true;
  for (char c : n) {
    if (c == '.') {
      dots++;
    } else if (c < '0' || c > '9') {
      digits_and_dots = false;
    }
  }
  if (digits_and_dots && dots == 3) return bad("bucket names must not look like IP addresses");
  for (std::string_view p : {"xn--", "sthree-", "amzn-s3-demo-"}) {
    if (n.substr(0, p.size()) == p) return bad("bucket names must not start with '" + std::string(p) + "'");
  }
  for (std::string_view s : {"-s3alias", "--ol-s3", ".mrap", "--x-s3"}) {
    if (n.size() >= s.size() && n.substr(n.size() - s.size()) == s) {
      return bad("bucket names must not end with '" + std::string(s) + "'");
    }
  }
  return Status::OK();
}

Status ValidateKey(std::string_view key) {
  if (key.empty()) return InvalidArgument("Object keys must not be empty", "InvalidArgument");
  if (key.size() > kMaxKeyBytes) {
    return InvalidArgument("Your key is too long: keys may be at most 1024 bytes of UTF-8",
                           "KeyTooLongError");
  }
  if (!IsValidUtf8(key)) {
    return InvalidArgument("Object keys must be valid UTF-8", "InvalidArgument");
  }
  return Status::OK();
}

Status ValidateTags(const KeyValues& tags) {
  if (tags.size() > static_cast<size_t>(kMaxTags)) {
    return InvalidArgument("Object tags cannot be greater than 10", "BadRequest");
  }
  std::unordered_set<std::string> seen;
  for (const auto& [k, v] : tags) {
    if (k.empty() || k.size() > 128 || !IsValidUtf8(k)) {
      return InvalidArgument("The TagKey you have provided is invalid", "InvalidTag");
    }
    if (v.size() > 256 || !IsValidUtf8(v)) {
      return InvalidArgument("The TagValue you have provided is invalid", "InvalidTag");
    }
    if (!seen.insert(k).second) {
      return InvalidArgument("Cannot provide multiple Tags with the same key", "InvalidTag");
    }
  }
  return Status::OK();
}

Result<std::string> NormalizeChecksumAlgorithm(std::string_view name) {
  std::string upper(name);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  if (upper.empty() || upper == "CRC32" || upper == "CRC32C" || upper == "SHA1" ||
      upper == "SHA256") {
    return upper;
  }
  return InvalidArgument("Checksum algorithm '" + std::string(name) + "' is not supported",
                         "InvalidRequest");
}

// ------------------------------------------------------------------ BodySink

BodySink::BodySink(storage::BlobStore* blobs, size_t inline_threshold,
                   std::string checksum_algorithm)
    : blobs_(blobs),
      inline_threshold_(inline_threshold),
      checksum_algorithm_(std::move(checksum_algorithm)) {
  if (checksum_algorithm_ == "SHA1") digest_.emplace(DigestKind::kSha1);
  if (checksum_algorithm_ == "SHA256") digest_.emplace(DigestKind::kSha256);
}

BodySink::~BodySink() {
  if (writer_) writer_->Abort();
}

Status BodySink::Append(std::string_view data) {
  md5_.Update(data);
  if (digest_) {
    digest_->Update(data);
  } else if (checksum_algorithm_ == "CRC32") {
    crc_ = Crc32(crc_, data);
  } else if (checksum_algorithm_ == "CRC32C") {
    crc_ = Crc32c(crc_, data);
  }
  size_ += data.size();
  if (!writer_ && memory_.size() + data.size() <= inline_threshold_) {
    memory_.append(data);
    return Status::OK();
  }
  if (!writer_) {
    TARN_ASSIGN_OR_RETURN(writer_, blobs_->NewWriter());
    if (!memory_.empty()) {
      TARN_RETURN_IF_ERROR(writer_->Append(memory_));
      std::string().swap(memory_);
    }
  }
  return writer_->Append(data);
}

// ---------------------------------------------------------------- ObjectReader

std::vector<ObjectReader::Piece> ObjectReader::Pieces(uint64_t offset, uint64_t length) const {
  std::vector<Piece> out;
  if (offset >= size_ || length == 0) return out;
  length = std::min(length, size_ - offset);
  if (parts_.empty()) {
    out.push_back(Piece{std::string_view(inline_data_).substr(offset, length), nullptr, 0, length});
    return out;
  }
  // First extent containing offset.
  auto it = std::upper_bound(parts_.begin(), parts_.end(), offset,
                             [](uint64_t off, const Part& p) { return off < p.start; });
  --it;
  uint64_t end = offset + length;
  for (; it != parts_.end() && it->start < end; ++it) {
    uint64_t from = std::max(offset, it->start);
    uint64_t to = std::min(end, it->start + it->extent.length);
    out.push_back(Piece{{}, it->file.get(), it->extent.offset + (from - it->start), to - from});
  }
  return out;
}

Result<size_t> ObjectReader::ReadAt(uint64_t offset, char* buf, size_t n) const {
  size_t done = 0;
  for (const Piece& p : Pieces(offset, n)) {
    if (!p.file) {
      std::memcpy(buf + done, p.memory.data(), p.memory.size());
      done += p.memory.size();
      continue;
    }
    TARN_ASSIGN_OR_RETURN(size_t got, p.file->Read(p.offset, p.length, buf + done));
    if (got != p.length) return Corruption("blob is shorter than its extent");
    done += got;
  }
  return done;
}

// ----------------------------------------------------------------- S3Service

S3Service::S3Service(storage::MetaStore* meta, storage::BlobStore* blobs, ServiceOptions options,
                     Clock* clock)
    : blobs_(blobs), store_(meta), options_(std::move(options)), clock_(clock) {}

Status S3Service::Start() {
  TARN_RETURN_IF_ERROR(store_.Migrate());
  TARN_ASSIGN_OR_RETURN(std::vector<std::string> live_ids, store_.LiveBlobs());
  std::unordered_set<std::string> live(live_ids.begin(), live_ids.end());
  TARN_ASSIGN_OR_RETURN(size_t removed, blobs_->SweepOrphans([&](const BlobId& id) {
    return live.count(id.str()) > 0;
  }));
  if (removed > 0) TARN_LOG(Info, "swept orphan blobs").Kv("count", removed);
  return Status::OK();
}

void S3Service::DeleteBlobs(const std::vector<BlobId>& dead) {
  for (const BlobId& id : dead) {
    Status s = blobs_->Delete(id);
    // Not fatal: the metadata no longer references it; the next start-up
    // sweep removes what is left.
    if (!s.ok()) TARN_LOG(Warn, "deleting blob failed").Kv("blob", id.str()).Kv("error", s.ToString());
  }
}

Status S3Service::CreateBucket(const std::string& name, const std::string& location_constraint) {
  TARN_RETURN_IF_ERROR(ValidateBucketName(name));
  // us-east-1 is spelled as no constraint; any other must match our region.
  if (!location_constraint.empty() && location_constraint != options_.region &&
      !(location_constraint == "US" && options_.region == "us-east-1")) {
    return InvalidArgument("The " + location_constraint +
                               " location constraint is incompatible for the region specific "
                               "endpoint this request was sent to.",
                           "IllegalLocationConstraintException");
  }
  return store_.CreateBucket(BucketInfo{name, clock_->Now(), options_.region});
}

Result<BucketInfo> S3Service::GetBucket(const std::string& name) {
  TARN_ASSIGN_OR_RETURN(std::optional<BucketInfo> b, store_.GetBucket(name));
  if (!b) return NotFound("The specified bucket does not exist", "NoSuchBucket");
  return *b;
}

Status S3Service::DeleteBucket(const std::string& name) {
  TARN_ASSIGN_OR_RETURN(std::vector<BlobId> dead, store_.DeleteBucket(name));
  DeleteBlobs(dead);
  return Status::OK();
}

Result<std::vector<BucketInfo>> S3Service::ListBuckets() { return store_.ListBuckets(); }

Result<std::unique_ptr<BodySink>> S3Service::NewBody(const std::string& checksum_algorithm) {
  TARN_ASSIGN_OR_RETURN(std::string alg, NormalizeChecksumAlgorithm(checksum_algorithm));
  return std::unique_ptr<BodySink>(new BodySink(blobs_, options_.inline_threshold, alg));
}

Result<S3Service::FinishedBody> S3Service::FinishBody(std::unique_ptr<BodySink> body,
                                                      const BodyExpectations& expect) {
  FinishedBody out;
  out.size = body->size_;
  out.md5 = body->md5_.Final();
  if (!expect.content_md5.empty()) {
    std::optional<std::string> want = Base64Decode(expect.content_md5);
    if (!want || want->size() != 16) {
      return InvalidArgument("The Content-MD5 you specified was invalid.", "InvalidDigest");
    }
    if (*want != out.md5) {
      return InvalidArgument("The Content-MD5 you specified did not match what we received.",
                             "BadDigest");
    }
  }
  const std::string& alg = body->checksum_algorithm_;
  if (!alg.empty()) {
    std::string raw = body->digest_ ? body->digest_->Final() : Crc32Bytes(body->crc_);
    out.checksum = Checksum{alg, Base64Encode(raw), "FULL_OBJECT"};
    if (!expect.checksum_value.empty() && expect.checksum_value != out.checksum.value) {
      return InvalidArgument("The " + alg + " you specified did not match the calculated checksum.",
                             "BadDigest");
    }
  }
  if (body->writer_) {
    std::unique_ptr<storage::BlobWriter> writer = std::move(body->writer_);
    TARN_ASSIGN_OR_RETURN(BlobId id, writer->Commit());
    out.extents.push_back(Extent{id, 0, out.size});
  } else {
    out.is_inline = true;
    out.inline_data = std::move(body->memory_);
  }
  return out;
}

Result<ObjectMeta> S3Service::PutObject(PutObjectInput in, std::unique_ptr<BodySink> body) {
  TARN_RETURN_IF_ERROR(ValidateKey(in.key));
  TARN_RETURN_IF_ERROR(ValidateTags(in.tags));
  if (body->size() > kMaxSinglePutSize) {
    return InvalidArgument("Your proposed upload exceeds the maximum allowed size",
                           "EntityTooLarge");
  }
  TARN_ASSIGN_OR_RETURN(FinishedBody fb, FinishBody(std::move(body), in.expect));
  StoredObject o;
  o.meta.key = in.key;
  o.meta.size = fb.size;
  o.meta.etag = HexEncode(fb.md5);
  o.meta.last_modified = clock_->Now();
  o.meta.headers = std::move(in.headers);
  o.meta.user_metadata = std::move(in.user_metadata);
  o.meta.tags = std::move(in.tags);
  o.meta.checksum = fb.checksum;
  o.is_inline = fb.is_inline;
  o.inline_data = std::move(fb.inline_data);
  o.extents = fb.extents;
  Result<std::vector<BlobId>> dead = store_.PutObject(in.bucket, o);
  if (!dead.ok()) {
    DeleteBlobs([&] {
      std::vector<BlobId> ids;
      for (const Extent& e : fb.extents) ids.push_back(e.blob);
      return ids;
    }());
    return dead.status();
  }
  DeleteBlobs(*dead);
  return o.meta;
}

Result<StoredObject> S3Service::GetObject(const std::string& bucket, const std::string& key) {
  TARN_ASSIGN_OR_RETURN(std::optional<StoredObject> o, store_.GetObject(bucket, key));
  if (!o) {
    TARN_ASSIGN_OR_RETURN(std::optional<BucketInfo> b, store_.GetBucket(bucket));
    if (!b) return NotFound("The specified bucket does not exist", "NoSuchBucket");
    return NotFound("The specified key does not exist.", "NoSuchKey");
  }
  return std::move(*o);
}

Result<std::unique_ptr<ObjectReader>> S3Service::OpenReader(const StoredObject& object) {
  auto reader = std::unique_ptr<ObjectReader>(new ObjectReader());
  reader->size_ = object.meta.size;
  if (object.is_inline) {
    reader->inline_data_ = object.inline_data;
    return reader;
  }
  // Opening every blob now pins the bytes: a concurrent overwrite or delete
  // unlinks the files, but open descriptors keep reading them.
  std::vector<std::pair<std::string, std::shared_ptr<storage::RandomAccessFile>>> opened;
  uint64_t start = 0;
  for (const Extent& e : object.extents) {
    std::shared_ptr<storage::RandomAccessFile> file;
    for (const auto& [id, f] : opened) {
      if (id == e.blob.str()) file = f;
    }
    if (!file) {
      Result<std::unique_ptr<storage::RandomAccessFile>> f = blobs_->Open(e.blob);
      if (!f.ok()) {
        return f.status().code() == Code::kNotFound
                   ? NotFound("The specified key does not exist.", "NoSuchKey")
                   : f.status();
      }
      file = std::move(*f);
      opened.emplace_back(e.blob.str(), file);
    }
    reader->parts_.push_back(ObjectReader::Part{start, e, file});
    start += e.length;
  }
  return reader;
}

Status S3Service::DeleteObject(const std::string& bucket, const std::string& key) {
  TARN_RETURN_IF_ERROR(ValidateKey(key));
  TARN_ASSIGN_OR_RETURN(std::vector<BlobId> dead, store_.DeleteObject(bucket, key));
  DeleteBlobs(dead);
  return Status::OK();
}

Result<ObjectMeta> S3Service::CopyObject(const CopyObjectInput& in) {
  TARN_RETURN_IF_ERROR(ValidateKey(in.key));
  TARN_ASSIGN_OR_RETURN(StoredObject src, GetObject(in.src_bucket, in.src_key));
  if (in.src_bucket == in.bucket && in.src_key == in.key && !in.replace_metadata) {
    return InvalidArgument(
        "This copy request is illegal because it is trying to copy an object to itself without "
        "changing the object's metadata, storage class, website redirect location or encryption "
        "attributes.",
        "InvalidRequest");
  }
  StoredObject o = std::move(src);
  o.meta.key = in.key;
  o.meta.last_modified = clock_->Now();
  if (in.replace_metadata) {
    o.meta.headers = in.headers;
    o.meta.user_metadata = in.user_metadata;
  }
  if (in.replace_tags) {
    TARN_RETURN_IF_ERROR(ValidateTags(in.tags));
    o.meta.tags = in.tags;
  }
  // The copy shares the source's blobs: no bytes move.
  TARN_ASSIGN_OR_RETURN(std::vector<BlobId> dead, store_.PutObject(in.bucket, o));
  DeleteBlobs(dead);
  return o.meta;
}

Status S3Service::PutObjectTags(const std::string& bucket, const std::string& key,
                                const KeyValues& tags) {
  TARN_RETURN_IF_ERROR(ValidateTags(tags));
  TARN_ASSIGN_OR_RETURN(StoredObject o, GetObject(bucket, key));  // precise not-found errors
  (void)o;
  return store_.SetObjectTags(bucket, key, tags);
}

Result<ListResult> S3Service::ListObjects(const std::string& bucket, const ListRequest& request) {
  return store_.ListObjects(bucket, request);
}

// ----------------------------------------------------------------- multipart

Result<UploadInfo> S3Service::CreateUpload(UploadInfo upload) {
  TARN_RETURN_IF_ERROR(ValidateKey(upload.key));
  TARN_RETURN_IF_ERROR(ValidateTags(upload.tags));
  TARN_ASSIGN_OR_RETURN(upload.checksum_algorithm,
                        NormalizeChecksumAlgorithm(upload.checksum_algorithm));
  // Upload ids are opaque to clients; long random ids cannot be guessed.
  upload.upload_id = RandomHex(24);
  upload.initiated = clock_->Now();
  TARN_RETURN_IF_ERROR(store_.CreateUpload(upload));
  return upload;
}

Result<UploadInfo> S3Service::GetUpload(const std::string& bucket, const std::string& key,
                                        const std::string& upload_id) {
  TARN_ASSIGN_OR_RETURN(std::optional<UploadInfo> u, store_.GetUpload(upload_id));
  if (!u || u->bucket != bucket || u->key != key) {
    TARN_ASSIGN_OR_RETURN(std::optional<BucketInfo> b, store_.GetBucket(bucket));
    if (!b) return NotFound("The specified bucket does not exist", "NoSuchBucket");
    return NotFound(
        "The specified upload does not exist. The upload ID may be invalid, or the upload may "
        "have been aborted or completed.",
        "NoSuchUpload");
  }
  return *u;
}

static Status CheckPartNumber(int part_number) {
  if (part_number < 1 || part_number > kMaxPartNumber) {
    return InvalidArgument("Part number must be an integer between 1 and 10000, inclusive",
                           "InvalidArgument");
  }
  return Status::OK();
}

Result<PartInfo> S3Service::UploadPart(const std::string& bucket, const std::string& key,
                                       const std::string& upload_id, int part_number,
                                       const BodyExpectations& expect,
                                       std::unique_ptr<BodySink> body) {
  TARN_RETURN_IF_ERROR(CheckPartNumber(part_number));
  TARN_ASSIGN_OR_RETURN(UploadInfo upload, GetUpload(bucket, key, upload_id));
  if (body->size() > kMaxPartSize) {
    return InvalidArgument("Your proposed upload exceeds the maximum allowed size",
                           "EntityTooLarge");
  }
  TARN_ASSIGN_OR_RETURN(FinishedBody fb, FinishBody(std::move(body), expect));
  PartInfo p;
  p.part_number = part_number;
  p.size = fb.size;
  p.etag = HexEncode(fb.md5);
  p.last_modified = clock_->Now();
  p.checksum = fb.checksum;
  if (fb.is_inline) {
    // Parts always live in blobs so completion can reference them.
    TARN_ASSIGN_OR_RETURN(std::unique_ptr<storage::BlobWriter> w, blobs_->NewWriter());
    TARN_RETURN_IF_ERROR(w->Append(fb.inline_data));
    TARN_ASSIGN_OR_RETURN(BlobId id, w->Commit());
    p.extents.push_back(Extent{id, 0, fb.size});
  } else {
    p.extents = fb.extents;
  }
  Result<std::vector<BlobId>> dead = store_.PutPart(upload_id, p);
  if (!dead.ok()) {
    for (const Extent& e : p.extents) (void)blobs_->Delete(e.blob);
    return dead.status();
  }
  DeleteBlobs(*dead);
  return p;
}

Result<PartInfo> S3Service::UploadPartCopy(const std::string& bucket, const std::string& key,
                                           const std::string& upload_id, int part_number,
                                           const StoredObject& source,
                                           std::optional<std::pair<uint64_t, uint64_t>> range) {
  TARN_RETURN_IF_ERROR(CheckPartNumber(part_number));
  TARN_ASSIGN_OR_RETURN(UploadInfo upload, GetUpload(bucket, key, upload_id));
  uint64_t first = 0, length = source.meta.size;
  if (range) {
    if (range->first > range->second || range->second >= source.meta.size) {
      return InvalidArgument(
          "The x-amz-copy-source-range value must be of the form bytes=first-last where first "
          "and last are the zero-based offsets of the first and last bytes to copy",
          "InvalidArgument");
    }
    first = range->first;
    length = range->second - range->first + 1;
  }
  if (length > kMaxPartSize) {
    return InvalidArgument("Your proposed upload exceeds the maximum allowed size",
                           "EntityTooLarge");
  }
  // The part references the source's bytes. Its ETag is the MD5 of those
  // bytes, which means reading them once (but never writing them again).
  TARN_ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> reader, OpenReader(source));
  Digest md5(DigestKind::kMd5);
  std::string buf(1 << 20, '\0');
  for (uint64_t off = 0; off < length;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), length - off));
    TARN_ASSIGN_OR_RETURN(size_t got, reader->ReadAt(first + off, buf.data(), n));
    if (got != n) return Corruption("object is shorter than its metadata says");
    md5.Update(std::string_view(buf.data(), n));
    off += n;
  }
  PartInfo p;
  p.part_number = part_number;
  p.size = length;
  p.etag = HexEncode(md5.Final());
  p.last_modified = clock_->Now();
  bool new_blob = false;
  if (source.is_inline) {
    TARN_ASSIGN_OR_RETURN(std::unique_ptr<storage::BlobWriter> w, blobs_->NewWriter());
    TARN_RETURN_IF_ERROR(w->Append(std::string_view(source.inline_data).substr(first, length)));
    TARN_ASSIGN_OR_RETURN(BlobId id, w->Commit());
    p.extents.push_back(Extent{id, 0, length});
    new_blob = true;
  } else {
    // Map the range onto the source's extents.
    uint64_t pos = 0, end = first + length;
    for (const Extent& e : source.extents) {
      uint64_t e_end = pos + e.length;
      if (e_end > first && pos < end) {
        uint64_t from = std::max(first, pos), to = std::min(end, e_end);
        p.extents.push_back(Extent{e.blob, e.offset + (from - pos), to - from});
      }
      pos = e_end;
    }
  }
  Result<std::vector<BlobId>> dead = store_.PutPart(upload_id, p);
  if (!dead.ok()) {
    if (new_blob) (void)blobs_->Delete(p.extents[0].blob);
    return dead.status();
  }
  DeleteBlobs(*dead);
  return p;
}

Result<ObjectMeta> S3Service::CompleteUpload(const std::string& bucket, const std::string& key,
                                             const std::string& upload_id,
                                             const std::vector<CompletedPart>& parts) {
  TARN_ASSIGN_OR_RETURN(UploadInfo upload, GetUpload(bucket, key, upload_id));
  if (parts.empty()) {
    return InvalidArgument(
        "The XML you provided was not well-formed or did not validate against our published "
        "schema",
        "MalformedXML");
  }
  TARN_ASSIGN_OR_RETURN(std::vector<PartInfo> stored, store_.AllParts(upload_id));
  const auto invalid_part = [] {
    return InvalidArgument(
        "One or more of the specified parts could not be found. The part may not have been "
        "uploaded, or the specified entity tag may not match the part's entity tag.",
        "InvalidPart");
  };
  StoredObject o;
  Digest etag_md5(DigestKind::kMd5);
  std::optional<Digest> composite_digest;
  uint32_t composite_crc = 0;
  const std::string& alg = upload.checksum_algorithm;
  if (alg == "SHA1") composite_digest.emplace(DigestKind::kSha1);
  if (alg == "SHA256") composite_digest.emplace(DigestKind::kSha256);
  // The order is a property of the request as a whole: check it before any
  // part, so [2, 1] is InvalidPartOrder rather than part 2's EntityTooSmall.
  for (size_t i = 1; i < parts.size(); i++) {
    if (parts[i].part_number <= parts[i - 1].part_number) {
      return InvalidArgument("The list of parts was not in ascending order. Parts must be ordered "
                             "by part number.",
                             "InvalidPartOrder");
    }
  }
  for (size_t i = 0; i < parts.size(); i++) {
    const CompletedPart& want = parts[i];
    auto it = std::find_if(stored.begin(), stored.end(),
                           [&](const PartInfo& p) { return p.part_number == want.part_number; });
    if (it == stored.end() || it->etag != want.etag) return invalid_part();
    bool last = i + 1 == parts.size();
    if (!last && it->size < options_.min_part_size) {
      return InvalidArgument("Your proposed upload is smaller than the minimum allowed size",
                             "EntityTooSmall");
    }
    std::optional<std::string> raw_md5 = HexDecode(it->etag);
    if (!raw_md5) return Internal("stored part ETag is not hex");
    etag_md5.Update(*raw_md5);
    if (!alg.empty()) {
      if (it->checksum.algorithm != alg) {
        return InvalidArgument("The upload was created using a " + alg +
                                   " checksum. The complete request must include the checksum "
                                   "for each part. It was missing for part " +
                                   std::to_string(want.part_number) + " in the request.",
                               "InvalidRequest");
      }
      if (!want.checksum_value.empty() && want.checksum_value != it->checksum.value) {
        return invalid_part();
      }
      std::optional<std::string> raw = Base64Decode(it->checksum.value);
      if (!raw) return Internal("stored part checksum is not base64");
      if (composite_digest) {
        composite_digest->Update(*raw);
      } else if (alg == "CRC32") {
        composite_crc = Crc32(composite_crc, *raw);
      } else {
        composite_crc = Crc32c(composite_crc, *raw);
      }
    }
    o.meta.part_sizes.push_back(it->size);
    o.meta.size += it->size;
    o.extents.insert(o.extents.end(), it->extents.begin(), it->extents.end());
  }
  const std::string n = std::to_string(parts.size());
  o.meta.key = key;
  o.meta.etag = HexEncode(etag_md5.Final()) + "-" + n;
  o.meta.last_modified = clock_->Now();
  o.meta.headers = upload.headers;
  o.meta.user_metadata = upload.user_metadata;
  o.meta.tags = upload.tags;
  if (!alg.empty()) {
    std::string raw = composite_digest ? composite_digest->Final() : Crc32Bytes(composite_crc);
    o.meta.checksum = Checksum{alg, Base64Encode(raw) + "-" + n, "COMPOSITE"};
  }
  TARN_ASSIGN_OR_RETURN(std::vector<BlobId> dead, store_.CompleteUpload(upload_id, o));
  DeleteBlobs(dead);
  return o.meta;
}

Status S3Service::AbortUpload(const std::string& bucket, const std::string& key,
                              const std::string& upload_id) {
  TARN_ASSIGN_OR_RETURN(UploadInfo upload, GetUpload(bucket, key, upload_id));
  (void)upload;
  TARN_ASSIGN_OR_RETURN(std::vector<BlobId> dead, store_.AbortUpload(upload_id));
  DeleteBlobs(dead);
  return Status::OK();
}

Result<std::vector<PartInfo>> S3Service::ListParts(const std::string& upload_id, int after_part,
                                                   int max_parts, bool* truncated) {
  return store_.ListParts(upload_id, after_part, max_parts, truncated);
}

Result<std::vector<UploadInfo>> S3Service::ListUploads(const std::string& bucket,
                                                       const std::string& prefix,
                                                       const std::string& key_marker,
                                                       const std::string& upload_id_marker,
                                                       int max, bool* truncated) {
  return store_.ListUploads(bucket, prefix, key_marker, upload_id_marker, max, truncated);
}

}  // namespace tarn::s3
