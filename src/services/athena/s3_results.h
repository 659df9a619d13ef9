// Result files read back from tarn's S3 for GetQueryResults.
#pragma once

#include "services/athena/athena_service.h"
#include "services/s3/s3_service.h"

namespace tarn::athena {

class S3ResultObjects : public ResultObjects {
 public:
  // s3 must outlive this.
  explicit S3ResultObjects(s3::S3Service* s3) : s3_(s3) {}
  Result<Object> Open(const std::string& bucket, const std::string& key) override;

 private:
  s3::S3Service* s3_;
};

}  // namespace tarn::athena
