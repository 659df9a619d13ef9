// The DuckDB side of QueryEngine, compiled into libtarn_query.so.
//
// This is the one translation unit that includes duckdb.hpp (heavy: keep it
// that way, build time on 2 cores is a feature). Every DuckDB call is made
// inside a try block: exceptions stop here and become a Status.

#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "duckdb.hpp"
#include "query/lake_filesystem.h"
#include "query/query_engine.h"
#include "query/query_module.h"

#ifndef TARN_QUERY_ABI_ID
#error "TARN_QUERY_ABI_ID must be defined by the build (src/query/CMakeLists.txt)"
#endif

#define TARN_QUERY_EXPORT extern "C" __attribute__((visibility("default")))

namespace tarn::query {
namespace {

// Which side is at fault, from DuckDB's exception type.
Code CodeForDuckDbError(duckdb::ExceptionType type) {
  using T = duckdb::ExceptionType;
  switch (type) {
    case T::OUT_OF_MEMORY:
      return Code::kResourceExhausted;
    case T::IO:
      return Code::kIOError;
    case T::INTERRUPT:
      return Code::kAborted;
    case T::NOT_IMPLEMENTED:
      return Code::kUnimplemented;
    case T::PERMISSION:
      return Code::kPermissionDenied;
    case T::TRANSACTION:
      return Code::kAborted;
    case T::FATAL:
    case T::INTERNAL:
    case T::SERIALIZATION:
    case T::SCHEDULER:
    case T::NULL_POINTER:
      return Code::kInternal;
    default:
      // Parser, binder, catalog, conversion, invalid input, ...: the query.
      return Code::kInvalidArgument;
  }
}

Status StatusFromErrorData(duckdb::ErrorData& error) {
  return Status(CodeForDuckDbError(error.Type()), error.Message());
}

Status StatusFromException(const std::exception& e) {
  duckdb::ErrorData error(e);
  return StatusFromErrorData(error);
}

// Appends one chunk's rows, in the ExecuteToText format.
Status AppendChunk(duckdb::DataChunk& chunk, std::string& out) {
  const duckdb::idx_t columns = chunk.ColumnCount();
  for (duckdb::idx_t row = 0; row < chunk.size(); ++row) {
    if (!out.empty()) out += '\n';
    for (duckdb::idx_t col = 0; col < columns; ++col) {
      if (col > 0) out += '\t';
      duckdb::Value value = chunk.GetValue(col, row);
      out += value.IsNull() ? std::string("NULL") : value.ToString();
    }
    if (out.size() > QueryEngine::kMaxTextResultBytes) {
      return ResourceExhausted("query result exceeds " +
                               std::to_string(QueryEngine::kMaxTextResultBytes) +
                               " bytes of text");
    }
  }
  return Status::OK();
}

class DuckDbEngine final : public QueryEngine {
 public:
  explicit DuckDbEngine(std::unique_ptr<duckdb::DuckDB> db) : db_(std::move(db)) {}

  std::string DuckDbVersion() const override { return duckdb::DuckDB::LibraryVersion(); }

  Result<std::string> ExecuteToText(std::string_view sql) override {
    try {
      // A Connection is not thread-safe; one per call makes this method so.
      duckdb::Connection connection(*db_);
      auto result = connection.SendQuery(std::string(sql));
      // Several statements give a chain of results, the last one streaming.
      duckdb::QueryResult* last = result.get();
      for (duckdb::QueryResult* r = last; r != nullptr; r = r->next.get()) {
        if (r->HasError()) return StatusFromErrorData(r->GetErrorObject());
        last = r;
      }
      std::string text;
      while (true) {
        duckdb::unique_ptr<duckdb::DataChunk> chunk;  // DuckDB's own unique_ptr
        duckdb::ErrorData error;
        if (!last->TryFetch(chunk, error)) {
          return error.HasError() ? StatusFromErrorData(error)
                                  : StatusFromErrorData(last->GetErrorObject());
        }
        if (!chunk || chunk->size() == 0) break;
        Status appended = AppendChunk(*chunk, text);
        if (!appended.ok()) return appended;
      }
      return text;
    } catch (const std::exception& e) {
      return StatusFromException(e);
    } catch (...) {
      return Internal("unknown exception from DuckDB");
    }
  }

 private:
  // duckdb::DuckDB is thread-safe; connections are made per call.
  const std::unique_ptr<duckdb::DuckDB> db_;
};

Result<std::unique_ptr<QueryEngine>> OpenEngine(const TarnQueryConfig& config) {
  duckdb::DBConfig db_config;
  try {
    // Nothing is downloaded at run time: Parquet, JSON and ICU are built into
    // libduckdb.so; any other extension is an error, not a fetch.
    db_config.SetOptionByName("autoinstall_known_extensions", duckdb::Value::BOOLEAN(false));
    db_config.SetOptionByName("allow_community_extensions", duckdb::Value::BOOLEAN(false));
    if (config.threads > 0) {
      db_config.SetOptionByName("threads", duckdb::Value::BIGINT(config.threads));
    }
    if (config.memory_limit != nullptr && config.memory_limit[0] != '\0') {
      db_config.SetOptionByName("memory_limit", duckdb::Value(config.memory_limit));
    }
    const bool spill = config.temp_dir != nullptr && config.temp_dir[0] != '\0';
    db_config.options.use_temporary_directory = spill;
    db_config.options.temporary_directory = spill ? config.temp_dir : "";
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("query engine configuration: ") +
                           StatusFromException(e).message());
  }
  try {
    auto db = std::make_unique<duckdb::DuckDB>(nullptr, &db_config);
    if (config.lake != nullptr) {
      db->instance->GetFileSystem().RegisterSubSystem(NewLakeFileSystem(config.lake));
    }
    if (!config.local_files) {
      // SQL reaches the lake and nothing else on this machine: no local
      // files, no ATTACH, no extensions. The engine's own spill files are
      // not SQL's, so they still work. (DuckDB takes these only once the
      // database runs.) The settings are then locked: SQL cannot SET its
      // way out.
      duckdb::Connection connection(*db);
      auto locked = connection.Query(
          "SET allowed_directories = ['s3://', 's3a://', 's3n://'];"
          "SET enable_external_access = false;"
          "SET lock_configuration = true;");
      for (duckdb::QueryResult* r = locked.get(); r != nullptr; r = r->next.get()) {
        if (r->HasError()) return StatusFromErrorData(r->GetErrorObject());
      }
    }
    return std::unique_ptr<QueryEngine>(std::make_unique<DuckDbEngine>(std::move(db)));
  } catch (const std::exception& e) {
    return StatusFromException(e).WithContext("opening DuckDB");
  } catch (...) {
    return Internal("unknown exception opening DuckDB");
  }
}

}  // namespace
}  // namespace tarn::query

TARN_QUERY_EXPORT const char* tarn_query_abi_id() { return TARN_QUERY_ABI_ID; }

TARN_QUERY_EXPORT const char* tarn_query_duckdb_version() {
  return duckdb::DuckDB::LibraryVersion();
}

TARN_QUERY_EXPORT tarn::query::QueryEngine* tarn_query_engine_create(const TarnQueryConfig* config,
                                                                     TarnQueryError* error) {
  tarn::Status status;
  if (config == nullptr) {
    status = tarn::InvalidArgument("no query engine configuration");
  } else {
    tarn::Result<std::unique_ptr<tarn::query::QueryEngine>> engine =
        tarn::query::OpenEngine(*config);
    if (engine.ok()) return std::move(engine).value().release();
    status = engine.status();
  }
  if (error != nullptr) {
    error->code = static_cast<int>(status.code());
    std::snprintf(error->message, sizeof(error->message), "%s", status.message().c_str());
  }
  return nullptr;
}

// Each entry point must match the type the loader casts it to.
static_assert(std::is_same_v<decltype(&tarn_query_abi_id), TarnQueryAbiIdFn>);
static_assert(std::is_same_v<decltype(&tarn_query_duckdb_version), TarnQueryDuckDbVersionFn>);
static_assert(std::is_same_v<decltype(&tarn_query_engine_create), TarnQueryEngineCreateFn>);
