// The S3 destination of a delivery stream: its configuration document as
// the API carries it (ExtendedS3DestinationConfiguration, or the older
// S3DestinationConfiguration, which is a subset), checked against the
// model, merged by UpdateDestination, rendered by DescribeDeliveryStream,
// and compiled into the DestinationSettings delivery runs on.
//
// Two layers of checks:
//   - CheckS3Destination / CheckExtendedS3Destination: the model's
//     constraints, member by member (firehose_validate.h), producing the
//     stored document;
//   - CompileDestination: Firehose's own rules over the whole document
//     (prefix expressions, processors and their parameters, the JQ query,
//     dynamic partitioning, format conversion), InvalidArgumentException
//     naming the offending field. Features tarn does not provide (Lambda,
//     Decompression and CloudWatchLogProcessing processors, S3 backup, ORC,
//     time zones other than UTC) are refused here by name, never accepted
//     and ignored.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "services/firehose/compression.h"
#include "services/firehose/firehose_validate.h"
#include "services/firehose/jq_extraction.h"
#include "services/firehose/kpl_deaggregation.h"
#include "services/firehose/ports.h"
#include "services/firehose/prefix_template.h"
#include "services/firehose/record_converter.h"

namespace tarn::firehose {

// Firehose's defaults when BufferingHints leaves them out.
inline constexpr int64_t kDefaultBufferSizeMiB = 5;
inline constexpr int64_t kDefaultBufferIntervalSeconds = 300;
// The one destination a delivery stream has.
inline constexpr const char* kDestinationId = "destinationId-000000000001";

// Model checks. c reads the structure (at its path) and receives its stored
// form in c.out(). For the *Update shapes nothing is required.
void CheckS3Destination(Checker& c, bool update);
void CheckExtendedS3Destination(Checker& c, bool update);

// UpdateDestination: the stored configuration with the update's members
// applied (nested structures merged member by member, lists replaced).
// S3BackupUpdate updates S3BackupConfiguration.
Json MergeDestinationUpdate(const Json& stored, const Json& update);

// DescribeDeliveryStream's destination entry: DestinationId,
// ExtendedS3DestinationDescription (defaults filled in) and the
// S3DestinationDescription subset AWS reports beside it.
Json DescribeDestination(const Json& stored);

// RecordDeAggregation processor: records holding several sub-records.
struct Deaggregation {
  SubRecordType type = SubRecordType::kJson;
  std::string delimiter;  // DELIMITED: the decoded delimiter bytes
};

// DataFormatConversionConfiguration, compiled: the table to read columns
// from at each flush and the rest of the converter's spec.
struct ConversionSettings {
  TableSchemas::TableRef table;
  ConversionSpec spec;  // columns left empty, filled from the table
};

// Everything delivery needs, compiled once per configuration version.
// Immutable and shared by the flushes of that version.
struct DestinationSettings {
  std::string bucket;  // from BucketARN arn:aws:s3:::<bucket>
  // Always set by CompileDestination (optional only because a template has
  // no empty state). error_prefix is the Prefix's text when no
  // ErrorOutputPrefix is configured, as prefix_template.h describes.
  std::optional<PrefixTemplate> prefix;
  std::optional<PrefixTemplate> error_prefix;
  uint64_t buffer_bytes = kDefaultBufferSizeMiB << 20;
  int64_t buffer_interval_ms = kDefaultBufferIntervalSeconds * 1000;
  Compression compression = Compression::kUncompressed;
  // The object name's extension: FileExtension when set, else .parquet for
  // converted output, else the compression's.
  std::string extension;
  bool dynamic_partitioning = false;
  std::optional<MetadataExtractionQuery> query;
  std::optional<Deaggregation> deaggregation;
  std::optional<std::string> record_delimiter;  // AppendDelimiterToRecord
  std::optional<ConversionSettings> conversion;
};

struct CompileOptions {
  bool conversion_available = false;  // a RecordConverterFactory is wired
};

Result<std::shared_ptr<const DestinationSettings>> CompileDestination(const Json& stored,
                                                                      const CompileOptions& options);

// The bucket of an S3 bucket ARN (arn:<partition>:s3:::<bucket>);
// InvalidArgumentException naming BucketARN otherwise.
Result<std::string> BucketFromArn(std::string_view arn);

}  // namespace tarn::firehose
