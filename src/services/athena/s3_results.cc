#include "services/athena/s3_results.h"

#include <memory>

namespace tarn::athena {

Result<ResultObjects::Object> S3ResultObjects::Open(const std::string& bucket,
                                                    const std::string& key) {
  Result<s3::StoredObject> stored = s3_->GetObject(bucket, key);
  if (!stored.ok()) {
    if (stored.status().code() != Code::kNotFound) return stored.status();
    // The user deleted the result (or its bucket): Athena cannot read it either.
    return InvalidArgument("The query's result s3://" + bucket + "/" + key +
                               " is gone: " + stored.status().message(),
                           "InvalidRequestException");
  }
  TARN_ASSIGN_OR_RETURN(std::unique_ptr<s3::ObjectReader> reader, s3_->OpenReader(*stored));
  std::shared_ptr<s3::ObjectReader> shared(std::move(reader));
  Object object;
  object.size = shared->size();
  object.read_at = [shared](uint64_t offset, char* buf, size_t n) {
    return shared->ReadAt(offset, buf, n);
  };
  return object;
}

}  // namespace tarn::athena
