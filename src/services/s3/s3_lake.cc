#include "services/s3/s3_lake.h"

#include <string>
#include <utility>

namespace tarn::s3 {

namespace {

class S3LakeObject : public query::LakeObject {
 public:
  S3LakeObject(std::unique_ptr<ObjectReader> reader, int64_t last_modified_ms)
      : reader_(std::move(reader)), last_modified_ms_(last_modified_ms) {}

  uint64_t size() const override { return reader_->size(); }
  int64_t last_modified_ms() const override { return last_modified_ms_; }
  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) override {
    if (offset >= reader_->size()) return size_t{0};
    return reader_->ReadAt(offset, buf, n);
  }

 private:
  // Holds the object's blob files open: an overwrite or delete meanwhile
  // does not change what this reads.
  std::unique_ptr<ObjectReader> reader_;
  int64_t last_modified_ms_;
};

class S3LakeWriter : public query::LakeWriter {
 public:
  S3LakeWriter(S3Service* s3, std::string bucket, std::string key, std::unique_ptr<BodySink> body)
      : s3_(s3), bucket_(std::move(bucket)), key_(std::move(key)), body_(std::move(body)) {}

  Status Append(std::string_view data) override {
    if (!body_) return FailedPrecondition("the object was already committed");
    return body_->Append(data);
  }

  Status Commit() override {
    if (!body_) return FailedPrecondition("the object was already committed");
    PutObjectInput in;
    in.bucket = bucket_;
    in.key = key_;
    return s3_->PutObject(std::move(in), std::move(body_)).status();
  }

 private:
  S3Service* s3_;
  std::string bucket_, key_;
  std::unique_ptr<BodySink> body_;  // null once committed
};

}  // namespace

Result<std::unique_ptr<query::LakeWriter>> S3Lake::Create(std::string_view bucket,
                                                         std::string_view key) {
  TARN_RETURN_IF_ERROR(s3_->GetBucket(std::string(bucket)).status());
  TARN_ASSIGN_OR_RETURN(std::unique_ptr<BodySink> body, s3_->NewBody(""));
  return std::unique_ptr<query::LakeWriter>(std::make_unique<S3LakeWriter>(
      s3_, std::string(bucket), std::string(key), std::move(body)));
}

Status S3Lake::Delete(std::string_view bucket, std::string_view key) {
  return s3_->DeleteObject(std::string(bucket), std::string(key));
}

Status S3Lake::List(std::string_view bucket, std::string_view prefix,
                    const std::function<bool(const Entry&)>& visit) {
  ListRequest request;
  request.prefix = std::string(prefix);
  const std::string name(bucket);
  while (true) {
    TARN_ASSIGN_OR_RETURN(ListResult page, s3_->ListObjects(name, request));
    for (const ListEntry& e : page.entries) {
      if (!visit(Entry{e.key, e.meta.size, e.meta.last_modified})) return Status::OK();
    }
    if (!page.truncated || page.entries.empty()) return Status::OK();
    request.after = page.entries.back().key;
  }
}

Result<std::unique_ptr<query::LakeObject>> S3Lake::Open(std::string_view bucket,
                                                        std::string_view key) {
  TARN_ASSIGN_OR_RETURN(StoredObject object, s3_->GetObject(std::string(bucket), std::string(key)));
  TARN_ASSIGN_OR_RETURN(std::unique_ptr<ObjectReader> reader, s3_->OpenReader(object));
  return std::unique_ptr<query::LakeObject>(
      std::make_unique<S3LakeObject>(std::move(reader), object.meta.last_modified));
}

}  // namespace tarn::s3
