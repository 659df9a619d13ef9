// Loading the query module (libtarn_query.so) on first use.
//
// The tarn binary links this loader, never libduckdb.so: DuckDB is mapped
// only when something first asks for a query engine, so a server that never
// queries pays nothing for it at start-up.
//
// Where the module is: $TARN_QUERY_MODULE (a path to the .so) if set, else
// libtarn_query.so in the directory of the running executable
// (/proc/self/exe); libduckdb.so sits beside it. The module is loaded once
// per process, and never unloaded.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "query/query_engine.h"

namespace tarn::query {

// The process's engine, opened with `config` on the first successful call.
// Later calls return the same engine; a later call with a different config is
// FailedPrecondition (the first one's config stays in force).
// The engine belongs to the loader and must never be deleted; it is closed at
// exit. Thread-safe.
// Errors: the module is missing (NotFound) or unusable (Internal: not
// loadable, or from another build); the config is invalid (InvalidArgument).
// A failed engine open is not remembered: a later call tries again.
Result<QueryEngine*> LoadQueryEngine(const QueryConfig& config);

// A new engine of its own, owned by the caller (tests, one-shot tools).
// Same errors as LoadQueryEngine. Thread-safe.
Result<std::unique_ptr<QueryEngine>> CreateQueryEngine(const QueryConfig& config);

// DuckDB's version, from the module, without opening a database: "v1.4.4".
// Loads the module if it is not loaded yet. Same module errors as above.
Result<std::string> QueryModuleDuckDbVersion();

// One line for `tarn version`: "DuckDB v1.4.4 (/path/libtarn_query.so)", or
// "DuckDB unavailable: <why>". Never fails.
std::string DescribeQueryEngine();

// The path the module is (or would be) loaded from, as described above.
Result<std::string> QueryModulePath();

}  // namespace tarn::query
