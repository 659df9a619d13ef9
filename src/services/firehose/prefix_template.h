// The Prefix and ErrorOutputPrefix of an S3 destination, with Firehose's
// custom prefix expressions !{namespace:value}, and the names of delivered
// objects.
//
// Expressions:
//   !{timestamp:<pattern>}         the arrival time (UTC) of the object's oldest
//                                  record; pattern letters yyyy yy MM dd HH mm ss,
//                                  'quoted' literal text, '' for a quote; any
//                                  other character is itself
//   !{firehose:error-output-type}  processing-failed, partitioning-failed, ...
//                                  (ErrorOutputPrefix only)
//   !{firehose:random-string}      11 random characters, new at each use
//   !{partitionKeyFromQuery:name}  a key of the MetadataExtractionQuery and
//   !{partitionKeyFromLambda:name} of the Lambda's metadata.partitionKeys (Prefix
//                                  only, and only with dynamic partitioning)
//
// Where Firehose adds a time, it is the default yyyy/MM/dd/HH/:
//   Prefix "logs/", no timestamp expression      -> logs/2018/08/27/10/
//   Prefix with partition keys (dynamic)         -> no time added
//   ErrorOutputPrefix without expressions "err/" -> err/processing-failed/2018/08/27/10/
//   ErrorOutputPrefix with expressions           -> no time added
// An absent ErrorOutputPrefix behaves as the Prefix's text parsed as an
// ErrorOutputPrefix (ValidatePair ensures that text has no expressions):
//   Prefix "logs/", no ErrorOutputPrefix -> logs/processing-failed/2018/08/27/10/
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tarn::firehose {

enum class PrefixKind { kPrefix, kErrorOutputPrefix };

// Why a record went to the error prefix: the value of
// !{firehose:error-output-type} and the folder of a static error prefix.
enum class ErrorOutputType {
  kProcessingFailed,        // the Lambda transform failed or rejected it
  kFormatConversionFailed,  // DataFormatConversion could not read it
  kPartitioningFailed,      // dynamic partitioning found no key for it
  kDecompressionFailed,     // the Decompression processor could not read it
};
std::string_view ErrorOutputTypeName(ErrorOutputType t);  // "processing-failed", ...

// A parsed prefix. Immutable and thread-safe once built.
class PrefixTemplate {
 public:
  // Parses text as the given field. InvalidArgument naming the field and the
  // offending expression: a "!{" outside an expression, an unknown namespace
  // or firehose value, an unsupported timestamp pattern, error-output-type in
  // a Prefix, partition keys in an ErrorOutputPrefix, an ErrorOutputPrefix
  // with expressions but no !{firehose:error-output-type}.
  static Result<PrefixTemplate> Parse(std::string_view text, PrefixKind kind);

  // The rules that span both fields. error_prefix is nullptr when the request
  // has no (or an empty) ErrorOutputPrefix. InvalidArgument when the Prefix
  // has expressions and there is no ErrorOutputPrefix; when dynamic
  // partitioning is enabled and the Prefix uses no partition key or there is
  // no ErrorOutputPrefix; when it is disabled and the Prefix uses one.
  static Status ValidatePair(const PrefixTemplate& prefix, const PrefixTemplate* error_prefix,
                             bool dynamic_partitioning);

  bool HasExpressions() const { return has_expressions_; }
  // Names used in partitionKeyFromQuery / partitionKeyFromLambda expressions,
  // each once, in order of first use.
  std::vector<std::string> QueryKeys() const;
  std::vector<std::string> LambdaKeys() const;

  struct Values {
    int64_t arrival_ms = 0;  // milliseconds since the epoch
    ErrorOutputType error_output_type = ErrorOutputType::kProcessingFailed;
    // A record's partition keys; nullptr when there are none.
    const std::map<std::string, std::string>* query_keys = nullptr;
    const std::map<std::string, std::string>* lambda_keys = nullptr;
  };
  // The evaluated prefix, with the default time where Firehose adds it (see
  // above). InvalidArgument when a partition key has no value (the record
  // goes to partitioning-failed) or the result exceeds 512 characters.
  Result<std::string> Render(const Values& v) const;

 private:
  enum class Source {
    kLiteral,
    kTimestamp,
    kErrorOutputType,
    kRandomString,
    kQueryKey,
    kLambdaKey
  };
  struct Piece {
    Source source;
    // kLiteral: the text; kTimestamp: a strftime format; partition keys: the name.
    std::string text;
  };

  PrefixTemplate(PrefixKind kind, std::vector<Piece> pieces);
  std::vector<std::string> KeysFrom(Source source) const;
  bool Uses(Source source) const;

  PrefixKind kind_;
  std::vector<Piece> pieces_;
  bool has_expressions_ = false;
};

// The name of a delivered object after its prefix:
// <stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>, the time in UTC.
//   ObjectName("s", 1, <2019-08-09T23:55:09Z>, "a9fa96af-...", ".gz")
//     == "s-1-2019-08-09-23-55-09-a9fa96af-....gz"
std::string ObjectName(std::string_view stream, int version, int64_t ms, std::string_view uuid,
                       std::string_view extension);

}  // namespace tarn::firehose
