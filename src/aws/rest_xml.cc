#include "aws/rest_xml.h"

#include <unordered_map>

#include "common/encoding.h"

namespace tarn::aws {

XmlWriter::XmlWriter() { out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"; }

XmlWriter& XmlWriter::Open(std::string_view name, std::string_view xmlns) {
  out_ += '<';
  out_ += name;
  if (!xmlns.empty()) {
    out_ += " xmlns=\"";
    out_ += xmlns;
    out_ += '"';
  }
  out_ += '>';
  open_.emplace_back(name);
  return *this;
}

XmlWriter& XmlWriter::Close() {
  if (open_.empty()) return *this;
  out_ += "</";
  out_ += open_.back();
  out_ += '>';
  open_.pop_back();
  return *this;
}

XmlWriter& XmlWriter::Element(std::string_view name, std::string_view text) {
  out_ += '<';
  out_ += name;
  out_ += '>';
  out_ += XmlEscape(text);
  out_ += "</";
  out_ += name;
  out_ += '>';
  return *this;
}

XmlWriter& XmlWriter::Text(std::string_view text) {
  out_ += XmlEscape(text);
  return *this;
}

XmlWriter& XmlWriter::Element(std::string_view name, int64_t value) {
  return Element(name, std::to_string(value));
}

XmlWriter& XmlWriter::Bool(std::string_view name, bool value) {
  return Element(name, value ? "true" : "false");
}

std::string XmlWriter::Finish() {
  while (!open_.empty()) Close();
  return std::move(out_);
}

std::string S3ErrorCode(const Status& status) {
  if (!status.aws_code().empty()) return status.aws_code();
  switch (status.code()) {
    case Code::kOk: return "";
    case Code::kInvalidArgument: return "InvalidArgument";
    case Code::kNotFound: return "NoSuchKey";
    case Code::kAlreadyExists: return "BucketAlreadyExists";
    case Code::kFailedPrecondition: return "PreconditionFailed";
    case Code::kPermissionDenied: return "AccessDenied";
    case Code::kUnauthenticated: return "AccessDenied";
    // S3 has no 507: a full disk is a 503 that says so (S3ErrorMessage); a
    // client retries it later. SlowDown is for overload, which sets it.
    case Code::kResourceExhausted: return "ServiceUnavailable";
    case Code::kUnimplemented: return "NotImplemented";
    case Code::kAborted: return "OperationAborted";
    case Code::kUnavailable: return "ServiceUnavailable";
    case Code::kIOError:
    case Code::kCorruption:
    case Code::kInternal: return "InternalError";
  }
  return "InternalError";
}

std::string S3ErrorMessage(const Status& status) {
  if (status.aws_code().empty()) {
    switch (status.code()) {
      case Code::kIOError:
      case Code::kCorruption:
      case Code::kInternal: return "We encountered an internal error. Please try again.";
      case Code::kResourceExhausted:
        return "The server is out of storage space and cannot accept this request. "
               "Please try again once space has been freed.";
      default: break;
    }
  }
  if (S3ErrorCode(status) == "InternalError") {
    return "We encountered an internal error. Please try again.";
  }
  return status.message();
}

int S3HttpStatus(std::string_view code) {
  // From the S3 API reference's error code list.
  static const std::unordered_map<std::string_view, int> kStatus = {
      {"AccessDenied", 403},
      {"AuthorizationHeaderMalformed", 400},
      {"AuthorizationQueryParametersError", 400},
      {"BadDigest", 400},
      {"BadRequest", 400},
      {"BucketAlreadyExists", 409},
      {"BucketAlreadyOwnedByYou", 409},
      {"BucketNotEmpty", 409},
      {"EntityTooLarge", 400},
      {"EntityTooSmall", 400},
      {"IllegalLocationConstraintException", 400},
      {"IncompleteBody", 400},
      {"InternalError", 500},
      {"InvalidAccessKeyId", 403},
      {"InvalidArgument", 400},
      {"InvalidBucketName", 400},
      {"InvalidDigest", 400},
      {"InvalidLocationConstraint", 400},
      {"InvalidPart", 400},
      {"InvalidPartNumber", 416},
      {"InvalidPartOrder", 400},
      {"InvalidRange", 416},
      {"InvalidRequest", 400},
      {"InvalidTag", 400},
      {"InvalidURI", 400},
      {"KeyTooLongError", 400},
      {"MalformedXML", 400},
      {"MetadataTooLarge", 400},
      {"MethodNotAllowed", 405},
      {"MissingContentLength", 411},
      {"MissingRequestBodyError", 400},
      {"NoSuchBucket", 404},
      {"NoSuchKey", 404},
      {"NoSuchUpload", 404},
      {"NotImplemented", 501},
      {"NotModified", 304},
      {"OperationAborted", 409},
      {"PreconditionFailed", 412},
      {"RequestTimeTooSkewed", 403},
      {"RequestTimeout", 400},
      {"ServiceUnavailable", 503},
      {"SignatureDoesNotMatch", 403},
      {"SlowDown", 503},
      {"UnexpectedContent", 400},
      {"XAmzContentSHA256Mismatch", 400},
  };
  auto it = kStatus.find(code);
  return it == kStatus.end() ? 400 : it->second;
}

std::string RenderS3Error(std::string_view code, std::string_view message,
                          std::string_view resource, std::string_view request_id) {
  XmlWriter w;
  w.Open("Error").Element("Code", code).Element("Message", message);
  if (!resource.empty()) w.Element("Resource", resource);
  w.Element("RequestId", request_id);
  return w.Finish();
}

}  // namespace tarn::aws
