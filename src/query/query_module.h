// The entry points of libtarn_query.so, looked up by the loader with dlsym.
//
// The names are extern "C" so dlsym finds them unmangled; the types crossing
// are tarn's own C++ types, which is safe because the module and the program
// are built together by the same compiler from the same headers, and the
// loader checks that with tarn_query_abi_id() before anything else. The module
// is never unloaded, so objects it created (engines, Status reps) stay valid
// until the process exits.
#pragma once

#include <cstddef>
#include <cstdint>

#include "query/query_engine.h"

extern "C" {

// A plain view of tarn::query::QueryConfig for the factory.
struct TarnQueryConfig {
  uint32_t threads;          // 0: one per core
  const char* memory_limit;  // NUL-terminated; "" = DuckDB's default
  const char* temp_dir;      // NUL-terminated; "" = no spilling
  const tarn::query::MemoryGuardHooks* memory_guard;  // nullptr = none
  tarn::query::Lake* lake;   // s3:// paths; nullptr = none
  bool local_files;          // SQL may read and write local files
};

// The build's ABI id (TARN_QUERY_ABI_ID): a hash of the headers that define
// what crosses the boundary, and of the compiler. Static storage.
using TarnQueryAbiIdFn = const char* (*)();

// DuckDB's library version ("v1.4.4"), without opening a database. Static
// storage.
using TarnQueryDuckDbVersionFn = const char* (*)();

// Why the factory failed: a tarn::Code (common/status.h) and a message.
struct TarnQueryError {
  int code;
  char message[1024];  // NUL-terminated, truncated to fit
};

// Opens a new engine. On success returns it; the caller owns it and deletes
// it through QueryEngine's virtual destructor. On failure returns nullptr and
// fills *error.
using TarnQueryEngineCreateFn = tarn::query::QueryEngine* (*)(const TarnQueryConfig* config,
                                                              TarnQueryError* error);

}  // extern "C"

namespace tarn::query {

inline constexpr char kModuleFileName[] = "libtarn_query.so";
inline constexpr char kAbiIdSymbol[] = "tarn_query_abi_id";
inline constexpr char kDuckDbVersionSymbol[] = "tarn_query_duckdb_version";
inline constexpr char kEngineCreateSymbol[] = "tarn_query_engine_create";

}  // namespace tarn::query
