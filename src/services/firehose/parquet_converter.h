// Record format conversion to Parquet on the embedded engine.
//
// Each record is checked and normalized against the table's columns as it
// is added (so one bad record goes to the error prefix, not the object):
// keys are matched as the OpenX JSON SerDe does (case-insensitively unless
// told otherwise, or through ColumnToJsonKeyMappings), values are coerced
// to their column's type (numeric strings to numbers, epoch seconds or
// millis and Hive or ISO 8601 text to timestamps) and keys the table does
// not have are dropped. Finish() hands the normalized JSON lines to DuckDB,
// which writes them as one Parquet object with the table's column types.
//
// The engine is a small one of the factory's own, created on first use,
// whose only files are the converter's scratch objects: the JSON going in
// and the Parquet coming out never touch disk or tarn's S3.
#pragma once

#include <memory>
#include <mutex>

#include "query/query_engine.h"
#include "services/firehose/record_converter.h"

namespace tarn::firehose {

class ScratchLake;

class ParquetConverterFactory final : public RecordConverterFactory {
 public:
  ParquetConverterFactory();
  ~ParquetConverterFactory() override;

  Result<std::unique_ptr<RecordConverter>> Make(const ConversionSpec& spec) override;

 private:
  Result<query::QueryEngine*> Engine();

  std::unique_ptr<ScratchLake> lake_;
  std::mutex mu_;  // guards engine_'s creation
  std::unique_ptr<query::QueryEngine> engine_;
};

}  // namespace tarn::firehose
