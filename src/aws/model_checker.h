// Request validation against a botocore model's constraints (required
// members, lengths, patterns, ranges, enums), reported the way AWS's front
// ends report it, naming each offending member by its path:
//
//   2 validation errors detected: Value 'x' at 'tableInput.name' failed to
//   satisfy constraint: Member must have length less than or equal to 255;
//   Value null at 'databaseName' failed to satisfy constraint: Member must
//   not be null
//
// with the service's own error code (Glue's InvalidInputException,
// Firehose's InvalidArgumentException, ...). A member of the wrong JSON type
// is SerializationException. At most ten violations are listed.
//
// ModelChecker reads one structure; a service's checker derives from it to
// add its own shapes (timestamps, blobs, maps) and what it keeps of the
// request. Getters return what they could read, or a default when the
// member is absent or wrong; Finish() reports.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tarn::aws {

// A model pattern, matched by hand (std::regex recurses per character and
// can exhaust the stack on long input), with its text for the message.
struct Pattern {
  bool (*matches)(std::string_view) = nullptr;  // none: any string
  const char* text = nullptr;
};

// A string member's constraints.
struct StrRule {
  bool required = false;
  size_t min = 0;
  size_t max = std::numeric_limits<size_t>::max();
  Pattern pattern = {};
  std::vector<std::string_view> one_of = {};
};

// Length in characters (UTF-8 code points), as the model's limits count.
size_t CharCount(std::string_view s);

class ModelChecker {
 public:
  using Json = nlohmann::json;

  // `j` is referenced, not copied: it must outlive the checker. `path` is
  // the member path prefix for messages, "" or "tableInput.". `error_code`
  // (a literal: it is not copied) is what Finish() answers a violation with.
  ModelChecker(const Json& j, std::string path, std::string_view error_code);
  // Element `index` (0-based) of the list member `list`: paths read
  // "<list>.<index + 1>.member.<name>", built only when a finding needs one
  // (PutRecords checks 500 records a call).
  ModelChecker(const Json& j, std::string_view list, size_t index, std::string_view error_code);
  virtual ~ModelChecker() = default;

  std::string Str(std::string_view member, const StrRule& rule);
  std::optional<int64_t> Int(std::string_view member, bool required,
                             std::optional<int64_t> min = std::nullopt,
                             std::optional<int64_t> max = std::nullopt);
  std::optional<bool> Bool(std::string_view member);
  // A nested structure: nullptr when absent (a violation when required) or
  // not an object. Check its members with a checker at Path(member).
  const Json* Struct(std::string_view member, bool required);
  // A list: nullptr when absent or not an array; its length checked. Check
  // each element with a checker at ElementPath(member, i).
  const Json* List(std::string_view member, bool required, size_t min = 0,
                   size_t max = std::numeric_limits<size_t>::max());

  // The path of a nested member: "tableInput." + "storageDescriptor.".
  std::string Path(std::string_view member) const;
  // The path of element i (0-based) of a list member: "columns.1.member.".
  std::string ElementPath(std::string_view member, size_t i) const;

  void Violation(const std::string& value, std::string_view member, const std::string& constraint);
  // A failure to read the request that the caller found (a wrong JSON type,
  // bad base64): the first one is the answer, ahead of any violation.
  void Note(const Status& st);
  // Takes a nested checker's findings.
  void AbsorbFindings(const ModelChecker& sub);
  Status Finish() const;
  bool ok() const { return errors_.empty() && serialization_.ok(); }

  // "'value'", cut as AWS cuts long values in its messages: a Violation's
  // value.
  static std::string Quote(const std::string& s);

 protected:
  // Called with each member a getter read and found valid: a service that
  // stores the request as validated keeps it here.
  virtual void Accept(std::string_view member, Json value) {}

  const Json* Find(std::string_view member) const;
  void TypeError(std::string_view member, const char* expected);
  // The path prefix of this checker's members: "" or "tableInput.".
  std::string Prefix() const;
  // Checks s against rule, reporting as `member`; true when it passes.
  bool CheckString(const std::string& s, std::string_view member, const StrRule& rule);
  // "tableName" for "TableName": paths name members as the wire's
  // lowerCamelCase shapes do.
  static std::string LowerFirst(std::string_view s);

  const Json& j_;

 private:
  const std::string path_;
  const std::string_view list_;  // an element checker's list, else empty
  const size_t index_ = 0;
  const std::string_view error_code_;
  std::vector<std::string> errors_;
  Status serialization_;
};

}  // namespace tarn::aws
