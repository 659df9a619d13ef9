// One Athena query, run: the SQL (Athena's dialect) executed by the embedded
// engine over the Glue catalog and the lake, its result written to the
// output location in tarn's S3 as Athena writes it.
//
// The service around it (athena_service.h: query executions, workgroups,
// named queries, prepared statements) decides when a query runs and keeps
// its record; this is only the run. Blocking: call it on a query worker
// thread, never an I/O thread.
//
// Results: s3://<output>/<QueryExecutionId>.csv, RFC 4180 with every field
// double-quoted and a header row (what Athena writes; NULL is an empty
// unquoted field), plus <QueryExecutionId>.csv.metadata (tarn writes the
// column metadata as JSON there; Athena's is a binary protobuf no client
// reads directly). Utility statements (SHOW, DESCRIBE) write a .txt of one
// value per line, as Athena does.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tarn::athena {

struct QueryRequest {
  std::string query_execution_id;
  std::string sql;
  std::string catalog = "AwsDataCatalog";  // QueryExecutionContext.Catalog
  std::string database = "default";         // QueryExecutionContext.Database
  std::string output_location;              // s3://bucket/prefix/ (ResultConfiguration or workgroup)
  std::vector<std::string> execution_parameters;  // bound to ? in order
  int64_t bytes_scanned_cutoff = 0;               // the workgroup's; 0 = none
};

// One result column as GetQueryResults' ResultSetMetadata.ColumnInfo has it.
struct ResultColumn {
  std::string name;
  std::string type;  // Athena's: varchar, bigint, integer, double, boolean, date,
                     // timestamp, decimal, array, map, row, ...
  int precision = 0;
  int scale = 0;
  bool nullable = true;
};

struct QueryOutcome {
  std::string statement_type;  // DML, DDL or UTILITY (GetQueryExecution.StatementType)
  std::string result_location; // s3://bucket/key of the .csv (or .txt)
  std::vector<ResultColumn> columns;
  int64_t rows = 0;
  int64_t data_scanned_bytes = 0;  // read from the lake (query_engine.h ScanMeter)
  int64_t engine_execution_ms = 0;
};

// Athena's StateChangeReason for a query its workgroup's
// BytesScannedCutoffPerQuery cancelled.
inline constexpr std::string_view kBytesScannedLimitExceeded = "Bytes scanned limit was exceeded";

// Errors are the query's: InvalidArgument for what Athena reports as
// FAILED with a syntax or semantic error (its message becomes the
// StateChangeReason); Aborted when `stop` was set, or when the query read
// more than bytes_scanned_cutoff (its message then starts with
// kBytesScannedLimitExceeded): CANCELLED; ResourceExhausted when it ran
// out of memory.
class QueryRunner {
 public:
  virtual ~QueryRunner() = default;
  virtual Result<QueryOutcome> Run(const QueryRequest& request, const std::atomic<bool>& stop) = 0;
};

}  // namespace tarn::athena
