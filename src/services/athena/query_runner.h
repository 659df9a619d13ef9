// LakeQueryRunner: Athena's QueryRunner (query_run.h) on the embedded
// engine. Glue databases are schemas and Glue tables are tables: a name the
// engine does not know is resolved through GlueCatalog, which turns the
// table's definition (location, format, SerDe, columns, partitions) into
// the SELECT that reads its files from the lake, partition values as
// columns, so a WHERE on partition keys skips whole partitions. Results go
// to tarn's S3 as Athena writes them.
//
// Statements: queries (SELECT, WITH, VALUES, EXPLAIN) run on the engine;
// SHOW DATABASES / SHOW SCHEMAS, SHOW TABLES [IN db], SHOW PARTITIONS t and
// DESCRIBE t answer from the catalog; DDL (ddl.h: CREATE EXTERNAL TABLE,
// DROP TABLE, ALTER TABLE ADD/DROP PARTITION, MSCK REPAIR TABLE, CREATE /
// DROP VIEW, CREATE / DROP DATABASE) acts on the catalog; CTAS and INSERT
// INTO write Parquet into the lake (COPY through the lake filesystem) and
// catalog the table and its partitions. ExecutionParameters replace the
// `?` placeholders, in order, as SQL literals (Athena's rule).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "query/query_engine.h"
#include "services/athena/ddl.h"
#include "services/athena/query_run.h"
#include "services/glue/glue_service.h"
#include "services/s3/s3_service.h"

namespace tarn::athena {

class LakeQueryRunner : public QueryRunner {
 public:
  struct Deps {
    glue::GlueService* glue = nullptr;
    s3::S3Service* s3 = nullptr;
    query::Lake* lake = nullptr;
    // The engine (opened on first use), reading s3:// through `lake`.
    std::function<Result<query::QueryEngine*>()> engine;
  };
  explicit LakeQueryRunner(Deps deps) : deps_(std::move(deps)) {}

  Result<QueryOutcome> Run(const QueryRequest& request, const std::atomic<bool>& stop) override;

 private:
  // DDL acts on the Glue catalog (ddl.h).
  Status ApplyDdl(const Ddl& ddl, const std::string& current_db, const std::atomic<bool>& stop);
  // CTAS and INSERT INTO write Parquet into the lake, then catalog it.
  Result<QueryOutcome> CreateTableAs(const Ddl& ddl, const QueryRequest& request,
                                     const std::string& current_db, const std::atomic<bool>& stop);
  Result<QueryOutcome> InsertInto(std::string_view sql, const std::string& current_db,
                                  const QueryRequest& request, const std::atomic<bool>& stop);
  Result<int64_t> WriteParquet(const std::string& query, const std::string& db,
                               const std::string& location, const std::vector<std::string>& keys,
                               const std::string& name, const std::string& compression,
                               const std::atomic<bool>& stop,
                               const std::shared_ptr<query::ScanMeter>& scan);
  Status AddFoundPartitions(const std::string& db, const std::string& table,
                            const std::vector<std::string>& keys, const nlohmann::json& sd,
                            const std::string& location);

  Deps deps_;
};

// Public for tests.
// `?` placeholders outside quotes and comments replaced by `values` in
// order; InvalidArgument when the counts differ.
Result<std::string> BindParameters(std::string_view sql, const std::vector<std::string>& values);
// A result column's DuckDB type as Athena reports it (name, precision, scale).
ResultColumn AthenaColumn(const std::string& name, std::string_view duckdb_type);

}  // namespace tarn::athena
