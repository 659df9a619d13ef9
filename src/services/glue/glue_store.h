// GlueStore: the Glue Data Catalog in the MetaStore (databases, tables and
// their versions, partitions, column statistics, tags). The only file with
// Glue SQL; the tables are specified in docs/glue-catalog.md.
//
// Documents (DatabaseInput, TableInput, PartitionInput, ColumnStatistics)
// are stored as the JSON text the client sent, after glue_validate's
// normalization; the store never looks inside them. Names arrive already
// lowercased.
//
// Every method blocks (run it on a worker pool). Each write is one
// group-committed transaction whose checks (existence, limits, versions)
// run inside it, so concurrent requests cannot race past them. Errors carry
// Glue's codes: EntityNotFoundException, AlreadyExistsException,
// ResourceNumberLimitExceededException, ConcurrentModificationException,
// InvalidInputException.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "storage/meta_store.h"

namespace tarn::glue {

using Tags = std::map<std::string, std::string>;

struct Limits {
  int64_t databases = 10'000;  // per catalog
  int64_t tables_per_database = 200'000;
  int64_t partitions_per_table = 10'000'000;
  int64_t versions_per_table = 100'000;
};

struct DatabaseRow {
  std::string name;
  std::string input;  // DatabaseInput JSON
  UnixMillis create_ms = 0;
  Tags tags;
};

struct TableRow {
  std::string database;
  std::string name;
  std::string input;  // TableInput JSON of the current version
  UnixMillis create_ms = 0;
  UnixMillis update_ms = 0;
  int64_t version = 0;  // the current VersionId
  Tags tags;
};

struct TableVersionRow {
  int64_t version = 0;
  std::string input;  // TableInput JSON as of that version
  UnixMillis update_ms = 0;
};

struct PartitionRow {
  std::string key;    // the values as a JSON array: the partition's identity
  std::string input;  // PartitionInput JSON (its Values included)
  UnixMillis create_ms = 0;
};

// One partition seen by ScanPartitions. input is read only when asked
// (reading it is most of a scan's cost on wide tables).
class PartitionCursor {
 public:
  virtual ~PartitionCursor() = default;
  virtual std::string_view key() const = 0;
  virtual std::string_view input() const = 0;
  virtual UnixMillis create_ms() const = 0;
};

class GlueStore {
 public:
  GlueStore(storage::MetaStore* meta, Limits limits) : meta_(meta), limits_(limits) {}

  // Creates or upgrades the schema (component "glue").
  Status Migrate();

  // --- Databases ---
  Status CreateDatabase(const DatabaseRow& row);
  Result<DatabaseRow> GetDatabase(const std::string& name);
  // Up to `limit` databases after `after` (exclusive; "" from the start), by name.
  Result<std::vector<DatabaseRow>> ListDatabases(const std::string& after, int limit);
  Status UpdateDatabase(const std::string& name, const std::string& input);
  // Removes the database with its tables, versions, partitions and statistics.
  Status DeleteDatabase(const std::string& name);

  // --- Tables ---
  // Inserts the table as version 0. EntityNotFound without the database.
  Status CreateTable(const TableRow& row);
  Result<TableRow> GetTable(const std::string& db, const std::string& name);
  // Calls fn for the tables of db after `after`, by name, until it returns false.
  Status ScanTables(const std::string& db, const std::string& after,
                    const std::function<bool(const TableRow&)>& fn);
  // Every table of every database (SearchTables).
  Status ScanAllTables(const std::function<bool(const TableRow&)>& fn);
  // Makes `input` the next version. expected_version: ConcurrentModification
  // when it is not the current one. skip_archive: the previous version is
  // replaced rather than kept. Returns the new version.
  Result<int64_t> UpdateTable(const std::string& db, const std::string& name,
                              const std::string& input, std::optional<int64_t> expected_version,
                              bool skip_archive, UnixMillis now);
  Status DeleteTable(const std::string& db, const std::string& name);

  // --- Versions ---
  Result<std::vector<TableVersionRow>> ListVersions(const std::string& db, const std::string& table,
                                                    std::optional<int64_t> below, int limit);
  Result<TableVersionRow> GetVersion(const std::string& db, const std::string& table,
                                     int64_t version);
  // InvalidInput for the current version; EntityNotFound when absent.
  Status DeleteVersion(const std::string& db, const std::string& table, int64_t version);

  // --- Partitions ---
  // Inserts each row that does not exist yet, in one transaction; results[i]
  // is row i's outcome (AlreadyExists, ResourceNumberLimitExceeded). Fails
  // as a whole (EntityNotFound) when the table is missing.
  Result<std::vector<Status>> CreatePartitions(const std::string& db, const std::string& table,
                                               const std::vector<PartitionRow>& rows);
  Result<PartitionRow> GetPartition(const std::string& db, const std::string& table,
                                    const std::string& key);
  // Partitions of the table after `after` (exclusive), in key order, in
  // segment `segment` of `total_segments` (0 of 1: all). fn returns false
  // to stop.
  Status ScanPartitions(const std::string& db, const std::string& table, const std::string& after,
                        int segment, int total_segments,
                        const std::function<bool(const PartitionCursor&)>& fn);
  // Replaces the partition's input; new_key differs when Values change
  // (AlreadyExists when another partition has them).
  Status UpdatePartition(const std::string& db, const std::string& table, const std::string& key,
                         const std::string& new_key, const std::string& input);
  // results[i]: OK or EntityNotFound, per key.
  Result<std::vector<Status>> DeletePartitions(const std::string& db, const std::string& table,
                                               const std::vector<std::string>& keys);

  // --- Column statistics (partition_key "" for the table's own) ---
  Status PutColumnStatistics(const std::string& db, const std::string& table,
                             const std::string& partition_key,
                             const std::vector<std::pair<std::string, std::string>>& stats);
  // column -> statistics JSON, for those of `columns` that have some.
  Result<std::map<std::string, std::string>> GetColumnStatistics(
      const std::string& db, const std::string& table, const std::string& partition_key,
      const std::vector<std::string>& columns);
  Status DeleteColumnStatistics(const std::string& db, const std::string& table,
                                const std::string& partition_key, const std::string& column);

  // --- Tags (table "" for the database's own) ---
  Result<Tags> GetTags(const std::string& db, const std::string& table);
  Status ChangeTags(const std::string& db, const std::string& table, const Tags& add,
                    const std::vector<std::string>& remove);

  // The segment a partition key falls in, of `total` (stable hash).
  static int SegmentOf(const std::string& key, int total);

 private:
  storage::MetaStore* meta_;
  Limits limits_;
};

}  // namespace tarn::glue
