// Request validation for the Glue Data Catalog, as Glue's front end reports
// it: every violation of the botocore model's constraints (required
// members, lengths, patterns, ranges, enums) is InvalidInputException,
//   "1 validation error detected: Value 'x' at 'tableInput.name' failed to
//    satisfy constraint: Member must have length less than or equal to 255",
// naming the member by its path; a member of the wrong JSON type is
// SerializationException. At most ten violations are listed.
//
// The document checks (CheckDatabaseInput, CheckTableInput, ...) also
// produce the document tarn stores: a copy of the input, unknown members
// kept so that newer SDKs' fields round-trip, with names lowercased as
// Glue does, timestamps as integer epoch milliseconds and blobs as base64
// text (glue_documents.h renders them back).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace tarn::glue {

using Json = nlohmann::json;

struct StrRule {
  bool required = false;
  size_t min = 0;
  size_t max = std::numeric_limits<size_t>::max();
  enum Pattern { kAny, kSingleLine, kMultiLine } pattern = kAny;
  std::vector<std::string_view> one_of = {};
};

// The model's common string shapes.
extern const StrRule kNameRule;         // NameString: 1..255, single line
extern const StrRule kCatalogIdRule;    // CatalogIdString
extern const StrRule kDescriptionRule;  // DescriptionString: 0..2048, multi-line
extern const StrRule kValueRule;        // ValueString: 0..1024
extern const StrRule kVersionRule;      // VersionString: 1..255
extern const StrRule kTokenRule;        // Token

// ASCII letters folded to lowercase, as Glue folds database and table
// names "for Hive compatibility" (other characters are kept).
std::string LowerName(std::string_view name);

// Collects the violations of one request (or of a nested structure, whose
// findings the parent Absorb()s). Getters return what they could read, or
// a default when the member is absent or wrong; Finish() reports.
class Checker {
 public:
  // path: the member path prefix for messages, "" or "tableInput.".
  explicit Checker(const Json& j, std::string path = "");

  std::string Str(std::string_view member, const StrRule& rule);
  std::optional<int64_t> Int(std::string_view member, bool required,
                             std::optional<int64_t> min = std::nullopt,
                             std::optional<int64_t> max = std::nullopt);
  std::optional<double> Double(std::string_view member, bool required,
                               std::optional<double> min = std::nullopt);
  std::optional<bool> Bool(std::string_view member);
  std::optional<UnixMillis> Time(std::string_view member, bool required);
  std::optional<std::string> Blob(std::string_view member, bool required);
  const Json* Struct(std::string_view member, bool required);
  const Json* List(std::string_view member, bool required, size_t min = 0,
                   size_t max = std::numeric_limits<size_t>::max());
  std::vector<std::string> StrList(std::string_view member, bool required, size_t min, size_t max,
                                   const StrRule& each);
  std::map<std::string, std::string> StrMap(std::string_view member, bool required, size_t max,
                                            const StrRule& key, const StrRule& value);

  // The path of a nested member: "tableInput." + "storageDescriptor." etc.
  std::string Path(std::string_view member) const;
  // The path of element i (0-based) of a list member: "columns.1.member.".
  std::string ElementPath(std::string_view member, size_t i) const;

  void Violation(const std::string& value, std::string_view member, const std::string& constraint);
  void Absorb(const Checker& sub);
  Status Finish() const;
  bool ok() const { return errors_.empty() && serialization_.ok(); }

 private:
  const Json* Find(std::string_view member) const;
  void TypeError(std::string_view member, const char* expected);
  bool CheckString(const std::string& s, std::string_view member, const StrRule& rule);

  const Json& j_;
  std::string path_;
  std::vector<std::string> errors_;
  Status serialization_;
};

// Document checks: `c` reads the input structure, `out` (a copy of it)
// receives the stored form. Violations go to `c`.
void CheckDatabaseInput(Checker& c, Json& out);
void CheckTableInput(Checker& c, Json& out);
void CheckPartitionInput(Checker& c, Json& out);
void CheckColumnStatistics(Checker& c, Json& out);

// InvalidInputException with a message.
Status InvalidInput(std::string message);

}  // namespace tarn::glue
