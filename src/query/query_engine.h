// QueryEngine: tarn's narrow interface to the SQL engine (DuckDB).
//
// Nothing here includes DuckDB. The implementation lives in the shared module
// libtarn_query.so, which query_loader.h loads on first use, so a server that
// never runs a query never maps libduckdb.so.
//
// Changing this header changes the module ABI: the build derives an ABI id
// from it, and the loader refuses a module built from a different version.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tarn::query {

struct QueryConfig {
  // Worker threads for query execution; 0 lets DuckDB use one per core.
  uint32_t threads = 0;
  // Memory the engine may use, in DuckDB's syntax ("2GiB", "512MB");
  // empty means DuckDB's default (80% of physical memory).
  std::string memory_limit;
  // Where queries spill when they exceed memory_limit (e.g.
  // <data>/tmp/duckdb); empty disables spilling.
  std::string temp_dir;

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
};

}  // namespace tarn::query
