// QueryEngine: tarn's narrow interface to the SQL engine (DuckDB).
//
// Nothing here includes DuckDB. The implementation lives in the shared module
// libtarn_query.so, which query_loader.h loads on first use, so a server that
// never runs a query never maps libduckdb.so.
//
// Changing this header changes the module ABI: the build derives an ABI id
// from it, and the loader refuses a module built from a different version.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tarn::query {

// The lake: tarn's S3 objects as the engine reads them, at s3://bucket/key
// (s3a:// and s3n:// too, as Spark writes table locations). The server
// implements it over its S3 service (services/s3/s3_lake.h); tests over
// memory. Thread-safe: queries read from several threads at once.
class LakeObject {
 public:
  virtual ~LakeObject() = default;
  virtual uint64_t size() const = 0;
  virtual int64_t last_modified_ms() const = 0;
  // Reads up to n bytes at offset into buf: fewer only at the object's end.
  // A LakeObject is read by one thread at a time.
  virtual Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) = 0;
};

// A new object being written; nothing is visible until Commit.
class LakeWriter {
 public:
  virtual ~LakeWriter() = default;  // without Commit: nothing is written
  virtual Status Append(std::string_view data) = 0;
  // Makes the object (durably) what was appended.
  virtual Status Commit() = 0;
};

class Lake {
 public:
  struct Entry {
    std::string key;
    uint64_t size = 0;
    int64_t last_modified_ms = 0;
  };
  virtual ~Lake() = default;
  // Every object of `bucket` whose key starts with `prefix`, in key order,
  // until visit returns false. NotFound when there is no such bucket.
  virtual Status List(std::string_view bucket, std::string_view prefix,
                      const std::function<bool(const Entry&)>& visit) = 0;
  // One object, as it is now (later writes to the key do not change what
  // the returned object reads). NotFound when absent.
  virtual Result<std::unique_ptr<LakeObject>> Open(std::string_view bucket,
                                                   std::string_view key) = 0;
  // Writes (CTAS, INSERT INTO): a new object at bucket/key, replacing any
  // when committed; deleting one (absent is fine).
  virtual Result<std::unique_ptr<LakeWriter>> Create(std::string_view bucket,
                                                     std::string_view key) = 0;
  virtual Status Delete(std::string_view bucket, std::string_view key) = 0;
};

// Table names in SQL, resolved by tarn (the Glue catalog, for Athena): the
// engine asks for a table it does not know, and gets the SQL that reads it
// (a SELECT over read_parquet / read_csv / read_json of s3:// paths).
class Catalog {
 public:
  virtual ~Catalog() = default;
  // `database` is "" for an unqualified name (the query's current
  // database). NotFound when there is no such table.
  virtual Result<std::string> TableSql(std::string_view database, std::string_view table) = 0;
};

struct ResultColumnType {
  std::string name;
  std::string type;  // DuckDB's type text: BIGINT, VARCHAR, DECIMAL(10,2), INTEGER[], ...
};

// What one query reads from the lake, counted as DuckDB reads it: the
// footers and column chunks a Parquet scan needs (not the columns and row
// groups it skips), whole CSV and JSON files. Athena's DataScannedInBytes.
// Past `limit` (0: none), the read that crosses it fails the query.
struct ScanMeter {
  std::atomic<int64_t> bytes{0};
  int64_t limit = 0;

  bool exceeded() const { return limit > 0 && bytes.load(std::memory_order_relaxed) > limit; }
};

struct CsvOptions {
  Catalog* catalog = nullptr;    // none: only the engine's own tables
  std::string database;          // the current database for unqualified names
  const std::atomic<bool>* stop = nullptr;  // set: the query is interrupted (Aborted)
  // Names result columns the SELECT list leaves unnamed (an expression
  // without an alias, not a plain column) "_col<position>", as Trino and
  // Athena do, instead of DuckDB's expression text ("count_star()").
  bool trino_column_names = false;
  // Counts what the query reads from the lake (shared: a file DuckDB
  // still holds open after the query may count into it).
  std::shared_ptr<ScanMeter> scan;
};

struct CsvSummary {
  std::vector<ResultColumnType> columns;
  int64_t rows = 0;
  bool returns_rows = false;  // a query (vs. a statement without a result set)
};

// What the engine needs of a memory guard, as plain functions (they cross
// into the query module).
struct MemoryGuardHooks {
  void (*set_query_thread)(bool refusable);
  bool (*over_limit)();
  uint64_t (*refusals)();  // allocations refused so far, ever
  uint64_t (*limit)();     // bytes
};

struct QueryConfig {
  // Worker threads for query execution; 0 lets DuckDB use one per core.
  uint32_t threads = 0;
  // Memory the engine may use, in DuckDB's syntax ("2GiB", "512MB");
  // empty means DuckDB's default (80% of physical memory).
  std::string memory_limit;
  // Where queries spill when they exceed memory_limit (e.g.
  // <data>/tmp/duckdb); empty disables spilling.
  std::string temp_dir;
  // The server's memory guard (server/memory_guard.h), if any: the engine
  // runs its worker threads itself and marks them, and each query's own
  // thread, as threads whose allocations the guard may refuse; a query
  // running while the process is over its limit is interrupted and fails
  // ResourceExhausted. Must outlive the engine.
  const MemoryGuardHooks* memory_guard = nullptr;
  // What s3:// paths read; none: s3:// paths are an error. Must outlive the
  // engine.
  Lake* lake = nullptr;
  // Whether SQL may touch the server's own files (read_csv('/etc/passwd'),
  // COPY ... TO '/tmp/x'). Off in the server: SQL reaches the lake and
  // nothing else. Tests turn it on to make fixtures.
  bool local_files = false;

  bool operator==(const QueryConfig&) const = default;
};

// One engine is one DuckDB database instance (in memory; tables it reads live
// in the lake). All methods are thread-safe: each call runs on its own
// connection.
class QueryEngine {
 public:
  // Largest result ExecuteToText returns; a larger one is ResourceExhausted.
  static constexpr size_t kMaxTextResultBytes = 16 << 20;

  virtual ~QueryEngine() = default;

  // The DuckDB library version, e.g. "v1.4.4".
  virtual std::string DuckDbVersion() const = 0;

  // Runs `sql` and renders the rows as text: columns separated by '\t', rows
  // by '\n' (none after the last), NULL as "NULL", no header. For several
  // statements, the result of the last. `SELECT 42` gives "42".
  // Errors: the query's fault (syntax, unknown table, bad cast) is
  // InvalidArgument; out of memory is ResourceExhausted; an I/O failure is
  // IOError; a bug in the engine is Internal.
  virtual Result<std::string> ExecuteToText(std::string_view sql) = 0;

  // Runs `sql` (one statement) and streams its result to `sink` as CSV the
  // way Athena writes results: a header row, every field double-quoted with
  // "" for a quote, NULL as an empty unquoted field, rows ending "\n".
  // Table names the engine does not know go to options.catalog.
  virtual Result<CsvSummary> ExecuteToCsv(std::string_view sql, const CsvOptions& options,
                                          const std::function<Status(std::string_view)>& sink) = 0;
};

}  // namespace tarn::query
