// S3Lake: the S3 service as the query engine's lake (query/query_engine.h),
// so SQL reads s3://bucket/key straight from tarn's objects: listings walk
// the object index page by page, reads are positioned reads on the object's
// extents (inline bodies from memory). No DuckDB here; the engine's
// filesystem (query/lake_filesystem.h) calls this through the interface.
#pragma once

#include "query/query_engine.h"
#include "services/s3/s3_service.h"

namespace tarn::s3 {

class S3Lake : public query::Lake {
 public:
  // The service must outlive the lake.
  explicit S3Lake(S3Service* s3) : s3_(s3) {}

  Status List(std::string_view bucket, std::string_view prefix,
              const std::function<bool(const Entry&)>& visit) override;
  Result<std::unique_ptr<query::LakeObject>> Open(std::string_view bucket,
                                                  std::string_view key) override;
  // A PutObject whose body is streamed in (to a blob past the inline size).
  Result<std::unique_ptr<query::LakeWriter>> Create(std::string_view bucket,
                                                    std::string_view key) override;
  Status Delete(std::string_view bucket, std::string_view key) override;

 private:
  S3Service* const s3_;
};

}  // namespace tarn::s3
