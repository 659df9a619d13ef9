// The rest-xml protocol (S3): an XML writer for response bodies and the
// S3 error shape, with the one mapping from Status to S3 error code and
// HTTP status.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tarn::aws {

inline constexpr std::string_view kS3Xmlns = "http://s3.amazonaws.com/doc/2006-03-01/";

// Builds an XML document. Text is escaped; element names are trusted.
//
//   XmlWriter w;
//   w.Open("ListBucketResult", kS3Xmlns).Element("Name", bucket).Close();
class XmlWriter {
 public:
  XmlWriter();
  XmlWriter& Open(std::string_view name, std::string_view xmlns = {});
  XmlWriter& Close();  // closes the innermost open element
  XmlWriter& Element(std::string_view name, std::string_view text);
  XmlWriter& Text(std::string_view text);  // inside the innermost open element
  XmlWriter& Element(std::string_view name, int64_t value);
  XmlWriter& Bool(std::string_view name, bool value);
  std::string Finish();  // closes what is open and returns the document

 private:
  std::string out_;
  std::vector<std::string> open_;
};

// The S3 error code for a status: its aws_code() when set, else one
// derived from its kind (NotFound -> NoSuchKey, IOError -> InternalError).
// The server's own failures (docs/failure-model.md):
//   kIOError, kCorruption, kInternal  -> InternalError       500
//   kResourceExhausted (disk full)    -> ServiceUnavailable  503
//   kUnavailable                      -> ServiceUnavailable  503
// Overload (too many requests in flight) names SlowDown (503) itself.
std::string S3ErrorCode(const Status& status);
// The message to send with it: the status's own, except for the server's
// own failures, whose details (paths, errno) go to the log and not to the
// client: InternalError gets S3's generic message, a full disk says so.
std::string S3ErrorMessage(const Status& status);
// The HTTP status S3 uses for that error code.
int S3HttpStatus(std::string_view error_code);

// <Error><Code/><Message/><Resource/><RequestId/></Error>
std::string RenderS3Error(std::string_view code, std::string_view message,
                          std::string_view resource, std::string_view request_id);

}  // namespace tarn::aws
