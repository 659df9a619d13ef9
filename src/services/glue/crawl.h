// One crawl: reads the objects under a crawler's S3 targets, infers their
// formats and schemas, groups them into tables with partitions the way Glue
// does, and writes the result into the catalog.
//
//   - Objects are listed through the lake (query::Lake) under each target
//     path; exclusions (glob patterns relative to the path, as Glue takes
//     them) and hidden files (_SUCCESS, .crc, names starting '_' or '.'),
//     empty objects and "folder" keys are skipped.
//   - Files are sampled one per leaf folder (plus every file directly at a
//     table's root) and their schemas inferred with the query engine
//     (query/schema_inference.h), honouring custom classifiers.
//   - Layout (crawl_layout.h): when the files under a folder share a format
//     and a compatible schema and sit at one depth, they are one table
//     rooted there, the folders below it partitions (key=value folders name
//     their keys; others are partition_0, partition_1, ...); otherwise each
//     subfolder is looked at the same way.
//   - Tables are created (TablePrefix + folder name), or updated when their
//     schema or partition keys changed (SchemaChangePolicy.UpdateBehavior
//     UPDATE_IN_DATABASE; LOG leaves them); new partitions are added;
//     tables of the crawler that are gone are handled per DeleteBehavior.
//     With RecrawlPolicy CRAWL_NEW_FOLDERS_ONLY, folders already catalogued
//     as partitions are not sampled again.
//
// Blocking (S3 listings, DuckDB, SQLite): run it on a worker thread. It
// checks `stop` between files and returns Aborted when asked to stop.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "query/query_engine.h"
#include "services/glue/glue_service.h"

namespace tarn::glue {

// A custom classifier, as CreateClassifier stores it (only what a crawl
// uses).
struct CsvClassifierSpec {
  std::string name;
  std::optional<char> delimiter;
  std::string contains_header;  // PRESENT, ABSENT, UNKNOWN ("" = UNKNOWN)
  std::vector<std::string> header;  // column names
};

struct JsonClassifierSpec {
  std::string name;
  std::string json_path;  // "$[*]" for arrays of records
};

struct CrawlSpec {
  std::string crawler_name;
  std::string database;  // created when missing
  std::string table_prefix;
  struct S3Target {
    std::string path;  // s3://bucket/prefix/
    std::vector<std::string> exclusions;
  };
  std::vector<S3Target> s3_targets;
  std::string update_behavior = "UPDATE_IN_DATABASE";    // or LOG
  std::string delete_behavior = "DEPRECATE_IN_DATABASE";  // or LOG, DELETE_FROM_DATABASE
  std::string recrawl_behavior = "CRAWL_EVERYTHING";     // or CRAWL_NEW_FOLDERS_ONLY
  std::vector<CsvClassifierSpec> csv_classifiers;
  std::vector<JsonClassifierSpec> json_classifiers;
};

// What a crawl did, for GetCrawlerMetrics and LastCrawl.
struct CrawlResult {
  int64_t tables_created = 0;
  int64_t tables_updated = 0;
  int64_t tables_deleted = 0;  // deleted, or marked deprecated
  int64_t partitions_created = 0;
  int64_t files_read = 0;
  std::vector<std::string> messages;  // one line per notable event (log)
};

struct CrawlContext {
  GlueService* glue = nullptr;
  query::QueryEngine* engine = nullptr;  // reads s3:// through `lake`
  query::Lake* lake = nullptr;
  const std::atomic<bool>* stop = nullptr;  // may be null
};

// Errors: a target that is not s3://bucket/... is InvalidInputException; a
// missing bucket EntityNotFoundException; a stop request Aborted; catalog
// and engine errors as they come.
Result<CrawlResult> RunCrawl(const CrawlSpec& spec, const CrawlContext& context);

}  // namespace tarn::glue
