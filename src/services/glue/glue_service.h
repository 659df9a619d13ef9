// GlueService: the AWS Glue Data Catalog, free of HTTP: databases, tables
// with their version history, partitions (with the GetPartitions
// expression language, partition_expression.h), column statistics and tags.
//
// Requests arrive validated and normalized by glue_validate (names
// lowercased, documents in stored form); the service applies Glue's rules
// (partition values match the keys, versions, limits, CatalogId) and answers
// with the response documents Glue returns (timestamps made with
// aws::MakeTimestamp). Everything is in the MetaStore (GlueStore); nothing
// is cached, so every answer reflects the last committed write.
//
// Errors carry Glue's codes in aws_code(): EntityNotFoundException,
// AlreadyExistsException, InvalidInputException,
// ConcurrentModificationException, ResourceNumberLimitExceededException,
// AccessDeniedException.
//
// Thread-safety: all methods are thread-safe. Every method may block on
// SQLite: call them from a worker pool.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "services/glue/glue_store.h"
#include "storage/meta_store.h"

namespace tarn::glue {

using Json = nlohmann::json;

struct ServiceOptions {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  Limits limits;
  Clock* clock = Clock::Real();
};

// One SearchTables filter (PropertyPredicate).
struct SearchFilter {
  std::string key;
  std::string value;
  std::string comparator;  // EQUALS (default), GREATER_THAN, ...
};

// The partition selection of GetPartitions.
struct PartitionQuery {
  std::string expression;
  std::string next_token;
  int max_results = 1000;
  int segment = 0;
  int total_segments = 1;
  bool exclude_column_schema = false;
};

class GlueService {
 public:
  GlueService(storage::MetaStore* meta, ServiceOptions options);

  // Creates or upgrades the schema.
  Status Start();
  const ServiceOptions& options() const { return options_; }

  // OK for an empty id or this server's account id; AccessDeniedException
  // for another account's, EntityNotFoundException for anything else.
  Status CheckCatalog(const std::string& catalog_id) const;

  // --- Databases (input: a stored DatabaseInput) ---
  Status CreateDatabase(const Json& input, const Tags& tags);
  Result<Json> GetDatabase(const std::string& name);  // {"Database": ...}
  Result<Json> GetDatabases(const std::string& next_token, int max_results);
  // The input's Name must be the database's (renaming is not supported).
  Status UpdateDatabase(const std::string& name, const Json& input);
  Status DeleteDatabase(const std::string& name);

  // --- Tables (input: a stored TableInput) ---
  Status CreateTable(const std::string& db, const Json& input);
  Result<Json> GetTable(const std::string& db, const std::string& name);
  // expression: Glue's table-name pattern ("*" any run, "|" alternatives,
  // otherwise a regular expression matched case-insensitively).
  Result<Json> GetTables(const std::string& db, const std::string& expression,
                         const std::string& next_token, int max_results);
  // version_id: the version the caller read (ConcurrentModificationException
  // when it is no longer current).
  Status UpdateTable(const std::string& db, const Json& input, const std::string& version_id,
                     bool skip_archive);
  Status DeleteTable(const std::string& db, const std::string& name);
  Result<Json> BatchDeleteTable(const std::string& db, const std::vector<std::string>& names);
  Result<Json> GetTableVersions(const std::string& db, const std::string& table,
                                const std::string& next_token, int max_results);
  // version_id empty: the current version.
  Result<Json> GetTableVersion(const std::string& db, const std::string& table,
                               const std::string& version_id);
  Status DeleteTableVersion(const std::string& db, const std::string& table,
                            const std::string& version_id);
  Result<Json> BatchDeleteTableVersion(const std::string& db, const std::string& table,
                                       const std::vector<std::string>& version_ids);
  Result<Json> SearchTables(const std::string& text, const std::vector<SearchFilter>& filters,
                            const std::string& sort_field, bool descending,
                            const std::string& next_token, int max_results);

  // --- Partitions (input: a stored PartitionInput) ---
  Status CreatePartition(const std::string& db, const std::string& table, const Json& input);
  // {"Errors": [...]}: one entry per partition that was not created.
  Result<Json> BatchCreatePartition(const std::string& db, const std::string& table,
                                    const std::vector<Json>& inputs);
  Result<Json> GetPartition(const std::string& db, const std::string& table,
                            const std::vector<std::string>& values);
  Result<Json> GetPartitions(const std::string& db, const std::string& table,
                             const PartitionQuery& query);
  Result<Json> BatchGetPartition(const std::string& db, const std::string& table,
                                 const std::vector<std::vector<std::string>>& keys);
  Status UpdatePartition(const std::string& db, const std::string& table,
                         const std::vector<std::string>& values, const Json& input);
  // entries: (the partition's values, its new stored PartitionInput).
  // {"Errors": [...]}: one entry per partition not updated.
  Result<Json> BatchUpdatePartition(
      const std::string& db, const std::string& table,
      const std::vector<std::pair<std::vector<std::string>, Json>>& entries);
  Status DeletePartition(const std::string& db, const std::string& table,
                         const std::vector<std::string>& values);
  Result<Json> BatchDeletePartition(const std::string& db, const std::string& table,
                                    const std::vector<std::vector<std::string>>& keys);

  // --- Column statistics (values empty: the table's own) ---
  // stats: stored ColumnStatistics documents. {"Errors": [...]}.
  Result<Json> UpdateColumnStatistics(const std::string& db, const std::string& table,
                                      const std::vector<std::string>* values,
                                      const std::vector<Json>& stats);
  Result<Json> GetColumnStatistics(const std::string& db, const std::string& table,
                                   const std::vector<std::string>* values,
                                   const std::vector<std::string>& columns);
  Status DeleteColumnStatistics(const std::string& db, const std::string& table,
                                const std::vector<std::string>* values, const std::string& column);

  // --- Tags, by ARN (arn:aws:glue:<region>:<account>:database/<db> or
  // table/<db>/<table>) ---
  Status TagResource(const std::string& arn, const Tags& tags);
  Status UntagResource(const std::string& arn, const std::vector<std::string>& keys);
  Result<Tags> GetTags(const std::string& arn);

  std::string DatabaseArn(const std::string& db) const;
  std::string TableArn(const std::string& db, const std::string& table) const;

 private:
  struct TableInfo;
  Result<TableInfo> LoadTable(const std::string& db, const std::string& table);
  Json RenderTable(const TableRow& row, const std::string& input, int64_t version,
                   UnixMillis update_ms) const;
  Json RenderPartition(const std::string& db, const std::string& table, std::string_view input,
                       UnixMillis create_ms, bool exclude_columns) const;
  Json RenderDatabase(const DatabaseRow& row) const;
  Result<std::pair<std::string, std::string>> ResolveArn(const std::string& arn) const;
  Result<std::string> PartitionKeyOf(const TableInfo& table,
                                     const std::vector<std::string>& values) const;

  storage::MetaStore* meta_;
  ServiceOptions options_;
  GlueStore store_;
};

// The identity of a partition: its values as a JSON array. Public for tests.
std::string EncodePartitionKey(const std::vector<std::string>& values);
std::vector<std::string> DecodePartitionKey(std::string_view key);

// Glue's table-name pattern, as GetTables applies it, compiled once: a
// matcher of names. InvalidInputException for a pattern that is not a
// regular expression. Public for tests.
Result<std::function<bool(const std::string&)>> CompileTableNamePattern(const std::string& pattern);

}  // namespace tarn::glue
