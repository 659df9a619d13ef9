// LakeFileSystem: DuckDB's view of tarn's S3 objects (DESIGN.md §Query).
//
// Registered with the engine's file system for s3://, s3a:// and s3n://
// paths, it serves DuckDB's file functions straight from the lake
// (query_engine.h Lake): Glob lists the object index by the pattern's
// literal prefix and matches the rest (lake_glob.h), and reads are
// positioned reads on the object's stored bytes. Nothing is copied, and
// read_parquet(..., hive_partitioning = true) prunes partitions from the
// key names as it does for local files.
//
// Writes (COPY ... TO 's3://...', which CTAS and INSERT INTO use) create
// objects through the lake, front to back; an object appears when DuckDB
// syncs or closes it, so a failed COPY leaves no half object. Folders are
// implied by keys; a move is a copy and a delete.
#pragma once

#include <memory>

#include "duckdb/common/file_system.hpp"
#include "query/query_engine.h"

namespace duckdb {
class ClientContext;
}  // namespace duckdb

namespace tarn::query {

// The meter of the query running in `context`; null when it has none.
using ScanMeterOf = std::shared_ptr<ScanMeter> (*)(duckdb::ClientContext& context);

duckdb::unique_ptr<duckdb::FileSystem> NewLakeFileSystem(Lake* lake, ScanMeterOf scan_of = nullptr);

}  // namespace tarn::query
