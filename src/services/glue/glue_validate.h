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

#include "aws/model_checker.h"
#include "common/status.h"
#include "common/time.h"

namespace tarn::glue {

using Json = nlohmann::json;

using aws::StrRule;

// The model's "single line" and "multi line" string patterns: no control
// characters but tab (and, multi-line, CR and LF).
extern const aws::Pattern kSingleLine;
extern const aws::Pattern kMultiLine;

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
// findings the parent Absorb()s); Finish() reports InvalidInputException.
class Checker : public aws::ModelChecker {
 public:
  // path: the member path prefix for messages, "" or "tableInput.".
  explicit Checker(const Json& j, std::string path = "");

  std::optional<double> Double(std::string_view member, bool required,
                               std::optional<double> min = std::nullopt);
  std::optional<UnixMillis> Time(std::string_view member, bool required);
  std::optional<std::string> Blob(std::string_view member, bool required);
  std::vector<std::string> StrList(std::string_view member, bool required, size_t min, size_t max,
                                   const StrRule& each);
  std::map<std::string, std::string> StrMap(std::string_view member, bool required, size_t max,
                                            const StrRule& key, const StrRule& value);

  void Absorb(const Checker& sub) { AbsorbFindings(sub); }
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
