// Request validation for Firehose's JSON operations: the botocore model's
// constraints (required members, lengths, patterns, enums, ranges), checked
// the way AWS's front end states them and answered with the model's own
// error shape, InvalidArgumentException (the Firehose model declares no
// ValidationException), naming every offending member by its path:
//
//   1 validation error detected: Value '0' at
//   'extendedS3DestinationConfiguration.bufferingHints.sizeInMBs' failed to
//   satisfy constraint: Member must have value greater than or equal to 1
//
// A member of the wrong JSON type is SerializationException. At most ten
// violations are listed.
//
// A Checker also builds the stored form of what it read: every member a
// getter accepted is copied into out() (unknown members are dropped, as
// AWS drops them), so a configuration is stored exactly as validated.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/model_checker.h"
#include "common/status.h"

namespace tarn::firehose {

using Json = nlohmann::json;

// Rules name their pattern as a matcher and the model's text:
// StrRule{true, 1, 64, {IsStreamName, "[a-zA-Z0-9_.-]+"}}.
using aws::StrRule;

// The model's patterns, matched by hand.
bool IsStreamName(std::string_view s);   // [a-zA-Z0-9_.-]+
bool IsArn(std::string_view s);          // arn:.*
bool IsKinesisStreamArn(std::string_view s);  // arn:.*:kinesis:[a-zA-Z0-9\-]+:\d{12}:stream/[a-zA-Z0-9_.-]+
bool IsKmsKeyArn(std::string_view s);    // arn:.*:kms:[a-zA-Z0-9\-]+:\d{12}:(key|alias)/[a-zA-Z_0-9+=,.@\-_/]+
bool IsNonBlank(std::string_view s);     // ^(?!\s*$).+
bool IsNoWhitespace(std::string_view s); // ^\S+$
bool IsFileExtension(std::string_view s);  // ^$|\.[0-9a-z!\-_.*'()]+
bool IsTimeZone(std::string_view s);     // ^$|[a-zA-Z/_]+
bool IsTagKey(std::string_view s);       // ^(?!aws:)[\p{L}\p{Z}\p{N}_.:\/=+\-@%]*$
bool IsTagValue(std::string_view s);     // ^[\p{L}\p{Z}\p{N}_.:\/=+\-@%]*$
bool IsDestinationId(std::string_view s);  // [a-zA-Z0-9-]+
bool IsVersionId(std::string_view s);    // [0-9]+

// KMS key ARNs: IsKmsKeyArn with the model's pattern text.
extern const aws::Pattern kKmsKeyArnPattern;

extern const StrRule kStreamNameRule;    // DeliveryStreamName: 1..64
extern const StrRule kRoleArnRule;       // RoleARN: 1..512, arn:.*
extern const StrRule kBucketArnRule;     // BucketARN: 1..2048, arn:.*
extern const StrRule kPrefixRule;        // Prefix / ErrorOutputPrefix: 0..1024

using aws::CharCount;

// Finish() reports InvalidArgumentException.
class Checker : public aws::ModelChecker {
 public:
  // path: the member path prefix for messages, "" or "extendedS3DestinationConfiguration.".
  // j is referenced, not copied: it must outlive the checker.
  explicit Checker(const Json& j, std::string path = "");

  // Each getter validates one member, copies it into out() when present and
  // valid, and returns it (a default when absent or wrong).
  std::optional<double> Double(std::string_view member, bool required, double min, double max);
  std::optional<std::string> Blob(std::string_view member, bool required, size_t max);
  std::vector<std::string> StrList(std::string_view member, bool required, size_t min, size_t max,
                                   const StrRule& each);
  // A map of strings to strings (ColumnToJsonKeyMappings).
  std::vector<std::pair<std::string, std::string>> StrMap(std::string_view member,
                                                          const StrRule& key,
                                                          const StrRule& value);

  // A nested structure's checker, Checker sub(*v, c.Path(member)), or a
  // list element's, at ElementPath(member, i): its findings and its stored
  // form.
  void Absorb(std::string_view member, const Checker& sub);
  void AbsorbElement(std::string_view member, const Checker& sub);

  const Json& out() const { return out_; }
  Json& out() { return out_; }

 private:
  void Accept(std::string_view member, Json value) override { out_[std::string(member)] = std::move(value); }

  Json out_ = Json::object();
};

// InvalidArgumentException with a message.
Status InvalidArg(std::string message);

}  // namespace tarn::firehose
