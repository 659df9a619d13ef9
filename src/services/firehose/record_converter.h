// Record format conversion (DataFormatConversionConfiguration): JSON
// records in, one columnar object out, with the columns of the Glue table
// named in SchemaConfiguration.
//
// The delivery code owns buffering and naming; a converter owns only the
// bytes of one output object. The implementation over the embedded engine
// (Parquet) is parquet_converter.{h,cc}; tests may use their own.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tarn::firehose {

// One column of the target table, as the Glue table declares it.
struct ConversionColumn {
  std::string name;
  std::string type;  // Hive type: string, int, bigint, double, boolean,
                     // timestamp, date, decimal(p,s), array<...>, struct<...>, map<...>
};

struct ConversionSpec {
  std::vector<ConversionColumn> columns;  // the table's columns (not its partition keys)
  std::string output_format = "PARQUET";  // OutputFormatConfiguration.Serializer
  std::string compression = "SNAPPY";     // ParquetSerDe.Compression: SNAPPY | GZIP | UNCOMPRESSED
  // InputFormatConfiguration.Deserializer.OpenXJsonSerDe
  bool case_insensitive = true;
  // ColumnToJsonKeyMappings: column name -> JSON key
  std::vector<std::pair<std::string, std::string>> column_to_json_key;
  // HiveJsonSerDe.TimestampFormats (Joda patterns or "millis"); empty = the defaults
  std::vector<std::string> timestamp_formats;
};

// One output object in the making. Not thread-safe; one per flush.
class RecordConverter {
 public:
  virtual ~RecordConverter() = default;
  // Adds one record. InvalidArgument when the record is not a JSON object or
  // a value cannot take its column's type: the record goes to the error
  // prefix (error-output-type "format-conversion-failed") and the object
  // goes on without it.
  virtual Status Add(std::string_view record) = 0;
  // The records added so far, as one object's bytes.
  virtual Result<std::string> Finish() = 0;
  virtual size_t records() const = 0;
};

class RecordConverterFactory {
 public:
  virtual ~RecordConverterFactory() = default;
  // InvalidArgument when the spec cannot be converted (an unsupported type
  // or format), naming it.
  virtual Result<std::unique_ptr<RecordConverter>> Make(const ConversionSpec& spec) = 0;
};

}  // namespace tarn::firehose
