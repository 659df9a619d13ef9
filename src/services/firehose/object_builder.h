// Turns one flush's processed records into the S3 objects Firehose writes:
//
//   - records are grouped by partition keys (one group without dynamic
//     partitioning), each group one object under the Prefix evaluated with
//     its keys and the arrival time of its oldest record;
//   - a group's body is its records concatenated, or, with format
//     conversion, one Parquet object from the RecordConverter; then the
//     CompressionFormat wraps it;
//   - records that failed (processing, partition keys, conversion, a prefix
//     that does not evaluate) go, per error type, to one object under the
//     ErrorOutputPrefix: one JSON document per line, as Firehose writes them
//     (docs/firehose.md §Error records);
//   - names: <prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><ext>.
//
// No I/O: the caller writes the objects. Not thread-safe per call (the
// converter), fine to call concurrently with separate contexts.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "services/firehose/destination_config.h"
#include "services/firehose/ports.h"
#include "services/firehose/record_converter.h"
#include "services/firehose/record_processing.h"

namespace tarn::firehose {

struct OutputObject {
  std::string key;
  std::string body;
  std::string content_encoding;
  size_t records = 0;
  bool error = false;  // under the ErrorOutputPrefix
};

struct BuildContext {
  std::string stream_name;
  int64_t version = 1;
  const DestinationSettings* settings = nullptr;
  // Format conversion: the factory and the spec with the table's columns.
  RecordConverterFactory* converters = nullptr;
  const ConversionSpec* spec = nullptr;
  int64_t now_ms = 0;
  std::function<std::string()> new_uuid;
};

// InvalidArgument only when the converter refuses the spec itself (an
// unsupported column type): the flush fails and is retried, nothing is lost.
// Internal when compression fails.
Result<std::vector<OutputObject>> BuildObjects(ProcessedBatch batch, const BuildContext& context);

// One failed record as the JSON line Firehose writes for it.
std::string ErrorDocument(const FailedRecord& f, int64_t now_ms, const DestinationSettings& s);

}  // namespace tarn::firehose
