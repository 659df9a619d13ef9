// The processors of an S3 destination, applied to one flush's records in
// Firehose's fixed order, whatever order the configuration lists them in:
//
//   KPL de-aggregation (Kinesis-source streams, always, as Firehose does)
//   -> RecordDeAggregation (JSON or DELIMITED sub-records)
//   -> MetadataExtraction (the JQ query: the record's partition keys)
//   -> AppendDelimiterToRecord (not for format conversion, whose input is
//      one JSON document per record)
//
// A record a processor cannot handle is not dropped: it becomes a
// FailedRecord, delivered under the error prefix with its error type (the
// whole original record, once, even when only some of its sub-records
// failed). Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "services/firehose/destination_config.h"
#include "services/firehose/jq_extraction.h"
#include "services/firehose/prefix_template.h"
#include "storage/segment_log.h"

namespace tarn::firehose {

struct ProcessedRecord {
  std::string data;  // delimiter appended when configured
  int64_t arrival_ms = 0;
  PartitionKeys keys;  // dynamic partitioning only
};

struct FailedRecord {
  ErrorOutputType type = ErrorOutputType::kProcessingFailed;
  std::string error_code;     // "DynamicPartitioning.MetadataExtractionFailed", ...
  std::string error_message;
  std::string raw;            // the record as it arrived
  int64_t arrival_ms = 0;
  std::string sequence_number;  // Kinesis-source streams
  int64_t sub_sequence = -1;    // the KPL sub-record's index, when one failed
};

struct ProcessedBatch {
  std::vector<ProcessedRecord> records;
  std::vector<FailedRecord> failed;
};

// Buffered records in, processed and failed records out. Kinesis-source
// records carry their sequence number in explicit_hash_key
// (docs/firehose.md §Storage).
ProcessedBatch ProcessRecords(const DestinationSettings& settings, bool kinesis_source,
                              std::span<const storage::LogRecord> records);

}  // namespace tarn::firehose
