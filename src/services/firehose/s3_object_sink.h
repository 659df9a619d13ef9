// ObjectSink over tarn's S3: delivered objects are ordinary S3 objects,
// written through S3Service's public interface (durable before Put returns).
#pragma once

#include "services/firehose/ports.h"
#include "services/s3/s3_service.h"

namespace tarn::firehose {

class S3ObjectSink : public ObjectSink {
 public:
  // s3 must outlive the sink.
  explicit S3ObjectSink(s3::S3Service* s3) : s3_(s3) {}
  Status Put(const std::string& bucket, const std::string& key, std::string_view body,
             std::string_view content_encoding) override;

 private:
  s3::S3Service* s3_;
};

}  // namespace tarn::firehose
