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
// Writing to s3:// (COPY ... TO, CTAS) is not served yet: opening for
// writing is an error naming the path.
#pragma once

#include <memory>

#include "duckdb/common/file_system.hpp"
#include "query/query_engine.h"

namespace tarn::query {

duckdb::unique_ptr<duckdb::FileSystem> NewLakeFileSystem(Lake* lake);

}  // namespace tarn::query
