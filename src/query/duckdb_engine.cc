// The DuckDB side of QueryEngine, compiled into libtarn_query.so.
//
// This is the one translation unit that includes duckdb.hpp (heavy: keep it
// that way, build time on 2 cores is a feature). Every DuckDB call is made
// inside a try block: exceptions stop here and become a Status.

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <type_traits>
#include <utility>
#include <vector>

#include "duckdb.hpp"
#include "duckdb/parallel/task_scheduler.hpp"
#include "duckdb/parser/parser.hpp"
#include "duckdb/parser/query_node.hpp"
#include "duckdb/parser/statement/select_statement.hpp"
#include "duckdb/parser/tableref/subqueryref.hpp"
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

// DuckDB 1.4 appends a parser error's "LINE n: ..." excerpt twice; a
// paragraph equal to the one before it is dropped.
std::string WithoutRepeatedParagraphs(const std::string& message) {
  std::string out;
  std::string_view rest = message, previous;
  while (!rest.empty()) {
    const size_t end = rest.find("\n\n");
    std::string_view paragraph = rest.substr(0, end);
    if (paragraph != previous || paragraph.empty()) {
      if (!out.empty()) out += "\n\n";
      out += paragraph;
    }
    previous = paragraph;
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
  }
  return out;
}

Status StatusFromErrorData(duckdb::ErrorData& error) {
  return Status(CodeForDuckDbError(error.Type()), WithoutRepeatedParagraphs(error.Message()));
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

// --- Catalog binding ---------------------------------------------------------------
//
// A replacement scan (DuckDB asks it for any table name it does not know)
// that resolves names through the Catalog of the query that is binding.
// Queries find their catalog by their ClientContext.

struct CatalogBinding {
  Catalog* catalog;
  std::string database;
  std::shared_ptr<ScanMeter> scan;
};

std::mutex g_bindings_mu;
std::unordered_map<const duckdb::ClientContext*, CatalogBinding> g_bindings;

duckdb::unique_ptr<duckdb::TableRef> CatalogScan(duckdb::ClientContext& context,
                                                 duckdb::ReplacementScanInput& input,
                                                 duckdb::optional_ptr<duckdb::ReplacementScanData>) {
  CatalogBinding binding;
  {
    std::lock_guard<std::mutex> lock(g_bindings_mu);
    auto it = g_bindings.find(&context);
    if (it == g_bindings.end() || it->second.catalog == nullptr) return nullptr;
    binding = it->second;
  }
  std::string database = input.schema_name == "main" ? "" : input.schema_name;
  Result<std::string> sql = binding.catalog->TableSql(database, input.table_name);
  if (!sql.ok()) {
    if (sql.status().code() == Code::kNotFound) return nullptr;
    throw duckdb::BinderException("Table %s: %s", input.table_name, sql.status().message());
  }
  duckdb::Parser parser;
  parser.ParseQuery(*sql);
  if (parser.statements.size() != 1 ||
      parser.statements[0]->type != duckdb::StatementType::SELECT_STATEMENT) {
    throw duckdb::InternalException("catalog SQL for %s is not one SELECT", input.table_name);
  }
  auto select = duckdb::unique_ptr_cast<duckdb::SQLStatement, duckdb::SelectStatement>(
      std::move(parser.statements[0]));
  return duckdb::make_uniq<duckdb::SubqueryRef>(std::move(select), input.table_name);
}

// The lake file system's way to the meter of the query reading a file.
std::shared_ptr<ScanMeter> ScanMeterOfQuery(duckdb::ClientContext& context) {
  std::lock_guard<std::mutex> lock(g_bindings_mu);
  auto it = g_bindings.find(&context);
  return it == g_bindings.end() ? nullptr : it->second.scan;
}

// Registers a query's catalog and meter for as long as it lives.
class BindingScope {
 public:
  BindingScope(const duckdb::ClientContext* context, CatalogBinding binding) : context_(context) {
    std::lock_guard<std::mutex> lock(g_bindings_mu);
    g_bindings[context_] = std::move(binding);
  }
  ~BindingScope() {
    std::lock_guard<std::mutex> lock(g_bindings_mu);
    g_bindings.erase(context_);
  }

 private:
  const duckdb::ClientContext* context_;
};

// Watches one running query every 20 ms and interrupts it once `stop` is
// set or the memory guard (if any) finds the process over its limit.
class QueryWatcher {
 public:
  enum class Verdict { kRunning, kStopped, kOutOfMemory };

  QueryWatcher(duckdb::Connection& connection, const std::atomic<bool>* stop,
               const MemoryGuardHooks* guard) {
    if (stop == nullptr && guard == nullptr) return;
    thread_ = std::thread([this, &connection, stop, guard] {
      std::unique_lock<std::mutex> lock(mu_);
      while (!done_) {
        if (stop != nullptr && stop->load()) {
          verdict_ = Verdict::kStopped;
        } else if (guard != nullptr && guard->over_limit()) {
          verdict_ = Verdict::kOutOfMemory;
        }
        if (verdict_ != Verdict::kRunning) {
          connection.Interrupt();
          return;
        }
        cv_.wait_for(lock, std::chrono::milliseconds(20));
      }
    });
  }
  ~QueryWatcher() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Verdict verdict() {
    std::lock_guard<std::mutex> lock(mu_);
    return verdict_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  Verdict verdict_ = Verdict::kRunning;
  std::thread thread_;
};

// The result column names of `sql` as Trino gives them: an unaliased
// expression at position i is "_col<i>". Empty when `sql` is not one
// SELECT, or its list has a * (positions are then unknown until binding).
std::vector<std::string> TrinoColumnNames(const std::string& sql,
                                          const duckdb::vector<std::string>& names) {
  duckdb::Parser parser;
  parser.ParseQuery(sql);
  if (parser.statements.size() != 1 ||
      parser.statements[0]->type != duckdb::StatementType::SELECT_STATEMENT) {
    return {};
  }
  const auto& select = parser.statements[0]->Cast<duckdb::SelectStatement>();
  const auto& list = select.node->GetSelectList();
  if (list.size() != names.size()) return {};
  std::vector<std::string> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const duckdb::ParsedExpression& e = *list[i];
    if (e.GetExpressionClass() == duckdb::ExpressionClass::STAR) return {};
    const bool named =
        !e.GetAlias().empty() || e.GetExpressionClass() == duckdb::ExpressionClass::COLUMN_REF;
    out.push_back(named ? names[i] : "_col" + std::to_string(i));
  }
  return out;
}

void AppendCsvField(std::string_view text, std::string& out) {
  out += '"';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

// Appends a chunk's rows as CSV records. Each column is cast to text in one
// go (the cast Value::ToString makes, one vector at a time instead of one
// Value at a time); NULL is an empty unquoted field.
void AppendCsvRows(duckdb::DataChunk& chunk, std::string& out) {
  const duckdb::idx_t rows = chunk.size();
  std::vector<duckdb::Vector> text;
  text.reserve(chunk.ColumnCount());
  for (duckdb::idx_t col = 0; col < chunk.ColumnCount(); ++col) {
    text.emplace_back(duckdb::LogicalType::VARCHAR, rows);
    duckdb::VectorOperations::DefaultCast(chunk.data[col], text.back(), rows);
    text.back().Flatten(rows);
  }
  for (duckdb::idx_t row = 0; row < rows; ++row) {
    for (duckdb::idx_t col = 0; col < text.size(); ++col) {
      if (col) out += ',';
      if (!duckdb::FlatVector::Validity(text[col]).RowIsValid(row)) continue;
      const duckdb::string_t& value = duckdb::FlatVector::GetData<duckdb::string_t>(text[col])[row];
      AppendCsvField(std::string_view(value.GetData(), value.GetSize()), out);
    }
    out += '\n';
  }
}

class DuckDbEngine final : public QueryEngine {
 public:
  // With a memory guard, DuckDB runs no threads of its own: `workers` of
  // ours run its tasks, marked as query threads (so is each query's own
  // thread, the last of DuckDB's `threads`).
  DuckDbEngine(std::unique_ptr<duckdb::DuckDB> db, const MemoryGuardHooks* guard, int workers)
      : db_(std::move(db)), guard_(guard) {
    for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { RunTasks(); });
  }
  ~DuckDbEngine() override {
    if (workers_.empty()) return;
    running_ = false;
    duckdb::TaskScheduler::GetScheduler(*db_->instance).Signal(workers_.size());
    for (std::thread& t : workers_) t.join();
  }

  std::string DuckDbVersion() const override { return duckdb::DuckDB::LibraryVersion(); }

  Result<CsvSummary> ExecuteToCsv(std::string_view sql, const CsvOptions& options,
                                  const std::function<Status(std::string_view)>& sink) override {
    return Guarded([&] { return RunToCsv(sql, options, sink); });
  }

  Result<std::string> ExecuteToText(std::string_view sql) override {
    return Guarded([&] { return RunToText(sql); });
  }

 private:
  Result<CsvSummary> RunToCsv(std::string_view sql, const CsvOptions& options,
                              const std::function<Status(std::string_view)>& sink) {
    constexpr size_t kFlushBytes = 1 << 20;
    try {
      duckdb::Connection connection(*db_);
      BindingScope binding(connection.context.get(),
                           {options.catalog, options.database, options.scan});
      QueryThread marked(guard_);
      QueryWatcher watcher(connection, options.stop, guard_);
      auto result = connection.SendQuery(std::string(sql));
      auto failed = [&](duckdb::ErrorData& error) -> Status {
        switch (watcher.verdict()) {
          case QueryWatcher::Verdict::kStopped:
            return Status(Code::kAborted, "the query was stopped");
          case QueryWatcher::Verdict::kOutOfMemory:
            return OutOfMemory();
          case QueryWatcher::Verdict::kRunning:
            break;
        }
        return StatusFromErrorData(error);
      };
      if (result->HasError()) return failed(result->GetErrorObject());
      CsvSummary summary;
      summary.returns_rows = result->properties.return_type == duckdb::StatementReturnType::QUERY_RESULT;
      std::vector<std::string> names(result->names.begin(), result->names.end());
      if (options.trino_column_names && summary.returns_rows) {
        std::vector<std::string> trino = TrinoColumnNames(std::string(sql), result->names);
        if (!trino.empty()) names = std::move(trino);
      }
      std::string out;
      for (size_t i = 0; i < names.size(); ++i) {
        summary.columns.push_back({names[i], result->types[i].ToString()});
        if (i) out += ',';
        AppendCsvField(names[i], out);
      }
      out += '\n';
      while (true) {
        duckdb::unique_ptr<duckdb::DataChunk> chunk;
        duckdb::ErrorData error;
        if (!result->TryFetch(chunk, error)) {
          if (error.HasError()) return failed(error);
          return failed(result->GetErrorObject());
        }
        if (!chunk || chunk->size() == 0) break;
        AppendCsvRows(*chunk, out);
        summary.rows += static_cast<int64_t>(chunk->size());
        if (out.size() >= kFlushBytes) {
          Status st = sink(out);
          if (!st.ok()) return st;
          out.clear();
        }
      }
      if (!out.empty()) {
        Status st = sink(out);
        if (!st.ok()) return st;
      }
      return summary;
    } catch (const std::exception& e) {
      return StatusFromException(e);
    } catch (...) {
      return Internal("unknown exception from DuckDB");
    }
  }

  Result<std::string> RunToText(std::string_view sql) {
    try {
      QueryThread marked(guard_);
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

  // Marks the calling thread as a query thread while it lives.
  class QueryThread {
   public:
    explicit QueryThread(const MemoryGuardHooks* guard) : guard_(guard) {
      if (guard_ != nullptr) guard_->set_query_thread(true);
    }
    ~QueryThread() {
      if (guard_ != nullptr) guard_->set_query_thread(false);
    }

   private:
    const MemoryGuardHooks* guard_;
  };

  void RunTasks() {
    guard_->set_query_thread(true);
    auto& scheduler = duckdb::TaskScheduler::GetScheduler(*db_->instance);
    while (running_) {
      // A refused allocation outside a task's own error handling ends up
      // here; the worker goes back to work.
      try {
        scheduler.ExecuteForever(&running_);
      } catch (...) {
      }
    }
  }

  // Runs one query. One that failed while the memory guard refused
  // allocations (in whatever thread, with whatever error DuckDB made of it)
  // ran out of memory; so did one DuckDB found out of memory itself.
  template <typename Run>
  auto Guarded(const Run& run) -> decltype(run()) {
    const uint64_t refusals = guard_ != nullptr ? guard_->refusals() : 0;
    auto result = run();
    if (!result.ok() && guard_ != nullptr && guard_->refusals() != refusals) {
      ReleaseMemory();
      return OutOfMemory();
    }
    if (result.status().code() == Code::kResourceExhausted) ReleaseMemory();
    return result;
  }

  // A query that ran out of memory has given its memory back to the
  // allocators (DuckDB's jemalloc, glibc's malloc); they give it back to the
  // kernel, or the next query would start over the guard's limit.
  static void ReleaseMemory() {
    duckdb::Allocator::FlushAll();
    malloc_trim(0);
  }

  Status OutOfMemory() const {
    constexpr uint64_t kMiB = 1 << 20;
    return ResourceExhausted("Query exhausted resources: the server's memory went past its "
                             "limit of " + std::to_string(guard_->limit() / kMiB) +
                             " MiB while it ran; rewrite the query to hold less at once (fewer "
                             "or smaller groups, lists or window frames)");
  }

  // duckdb::DuckDB is thread-safe; connections are made per call.
  const std::unique_ptr<duckdb::DuckDB> db_;
  const MemoryGuardHooks* const guard_;
  std::atomic<bool> running_{true};
  std::vector<std::thread> workers_;
};

Result<std::unique_ptr<QueryEngine>> OpenEngine(const TarnQueryConfig& config) {
  duckdb::DBConfig db_config;
  int threads = 0;  // DuckDB's total, when the engine runs them
  try {
    // Nothing is downloaded at run time: Parquet, JSON and ICU are built into
    // libduckdb.so; any other extension is an error, not a fetch.
    db_config.SetOptionByName("autoinstall_known_extensions", duckdb::Value::BOOLEAN(false));
    db_config.SetOptionByName("allow_community_extensions", duckdb::Value::BOOLEAN(false));
    if (config.threads > 0) {
      db_config.SetOptionByName("threads", duckdb::Value::BIGINT(config.threads));
    }
    if (config.memory_guard != nullptr) {
      const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
      threads = static_cast<int>(config.threads > 0 ? config.threads : cores);
      db_config.SetOptionByName("threads", duckdb::Value::BIGINT(threads));
      db_config.SetOptionByName("external_threads", duckdb::Value::BIGINT(threads));
    }
    if (config.memory_limit != nullptr && config.memory_limit[0] != '\0') {
      db_config.SetOptionByName("memory_limit", duckdb::Value(config.memory_limit));
    }
    const bool spill = config.temp_dir != nullptr && config.temp_dir[0] != '\0';
    db_config.options.use_temporary_directory = spill;
    db_config.options.temporary_directory = spill ? config.temp_dir : "";
    // Table names DuckDB does not know go to the query's catalog, if any.
    db_config.replacement_scans.emplace_back(CatalogScan);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("query engine configuration: ") +
                           StatusFromException(e).message());
  }
  try {
    auto db = std::make_unique<duckdb::DuckDB>(nullptr, &db_config);
    if (config.lake != nullptr) {
      db->instance->GetFileSystem().RegisterSubSystem(
          NewLakeFileSystem(config.lake, ScanMeterOfQuery));
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
    return std::unique_ptr<QueryEngine>(
        std::make_unique<DuckDbEngine>(std::move(db), config.memory_guard, threads - 1));
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
