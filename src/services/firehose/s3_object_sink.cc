#include "services/firehose/s3_object_sink.h"

namespace tarn::firehose {

Status S3ObjectSink::Put(const std::string& bucket, const std::string& key, std::string_view body,
                         std::string_view content_encoding) {
  TARN_ASSIGN_OR_RETURN(std::unique_ptr<s3::BodySink> sink, s3_->NewBody(""));
  TARN_RETURN_IF_ERROR(sink->Append(body));
  s3::PutObjectInput in;
  in.bucket = bucket;
  in.key = key;
  in.headers.content_encoding = std::string(content_encoding);
  return s3_->PutObject(std::move(in), std::move(sink)).status();
}

}  // namespace tarn::firehose
