#include "query/query_loader.h"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>

#include "query/query_module.h"

#ifndef TARN_QUERY_ABI_ID
#error "TARN_QUERY_ABI_ID must be defined by the build (src/query/CMakeLists.txt)"
#endif

namespace tarn::query {
namespace {

struct Module {
  std::string path;
  TarnQueryDuckDbVersionFn duckdb_version = nullptr;
  TarnQueryEngineCreateFn engine_create = nullptr;
};

Result<std::string> ExecutableDir() {
  std::string buf(4096, '\0');
  ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size());
  if (n < 0) return ErrnoStatus("readlink /proc/self/exe", errno);
  if (static_cast<size_t>(n) == buf.size()) return Internal("executable path too long");
  buf.resize(static_cast<size_t>(n));
  size_t slash = buf.rfind('/');
  if (slash == std::string::npos) return Internal("executable path '" + buf + "' has no directory");
  buf.resize(slash == 0 ? 1 : slash);
  return buf;
}

template <typename Fn>
Result<Fn> Symbol(void* handle, const std::string& path, const char* name) {
  ::dlerror();
  void* symbol = ::dlsym(handle, name);
  if (symbol == nullptr) {
    const char* why = ::dlerror();
    return Internal("query module " + path + " has no entry point " + name + ": " +
                    (why ? why : "null symbol"));
  }
  return reinterpret_cast<Fn>(symbol);
}

Result<Module> OpenModule() {
  TARN_ASSIGN_OR_RETURN(std::string path, QueryModulePath());
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return NotFound("query module " + path +
                    " not found (build it with scripts/build, or point TARN_QUERY_MODULE at it)");
  }
  // RTLD_NOW: a missing symbol fails here, not in the middle of a query.
  // RTLD_LOCAL: DuckDB's symbols stay out of the program's namespace.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return Internal("cannot load query module " + path + ": " + (why ? why : "unknown error"));
  }
  // From here on the handle is kept for the life of the process: objects the
  // module creates point into its code.
  Module module;
  module.path = path;
  TARN_ASSIGN_OR_RETURN(auto abi_id, Symbol<TarnQueryAbiIdFn>(handle, path, kAbiIdSymbol));
  if (std::string_view(abi_id()) != TARN_QUERY_ABI_ID) {
    return Internal("query module " + path + " is from another build (ABI " + abi_id() +
                    ", this program needs " + TARN_QUERY_ABI_ID + "): rebuild with scripts/build");
  }
  TARN_ASSIGN_OR_RETURN(module.duckdb_version,
                        Symbol<TarnQueryDuckDbVersionFn>(handle, path, kDuckDbVersionSymbol));
  TARN_ASSIGN_OR_RETURN(module.engine_create,
                        Symbol<TarnQueryEngineCreateFn>(handle, path, kEngineCreateSymbol));
  return module;
}

// The module, loaded on the first call; a failure is remembered too (the
// program would have to be restarted anyway to pick up a rebuilt module).
Result<const Module*> LoadModule() {
  static const Result<Module> module = OpenModule();
  if (!module.ok()) return module.status();
  return &module.value();
}

Result<std::unique_ptr<QueryEngine>> CreateWith(const Module& module, const QueryConfig& config) {
  TarnQueryConfig c{config.threads,        config.memory_limit.c_str(),
                    config.temp_dir.c_str(), config.memory_guard,
                    config.lake,             config.local_files};
  TarnQueryError error{static_cast<int>(Code::kInternal), {}};
  QueryEngine* engine = module.engine_create(&c, &error);
  if (engine == nullptr) {
    error.message[sizeof(error.message) - 1] = '\0';
    Code code = static_cast<Code>(error.code);
    if (code == Code::kOk) code = Code::kInternal;
    return Status(code, error.message);
  }
  return std::unique_ptr<QueryEngine>(engine);
}

// The process's engine. Constructed only after the module is loaded, so at
// exit it is destroyed before libduckdb.so's own static objects are.
struct SharedEngine {
  std::mutex mu;
  std::unique_ptr<QueryEngine> engine;  // GUARDED_BY(mu)
  QueryConfig config;                   // GUARDED_BY(mu)
};

}  // namespace

Result<std::string> QueryModulePath() {
  const char* override_path = std::getenv("TARN_QUERY_MODULE");
  if (override_path != nullptr && override_path[0] != '\0') return std::string(override_path);
  TARN_ASSIGN_OR_RETURN(std::string dir, ExecutableDir());
  if (dir.back() != '/') dir += '/';
  return dir + kModuleFileName;
}

Result<QueryEngine*> LoadQueryEngine(const QueryConfig& config) {
  TARN_ASSIGN_OR_RETURN(const Module* module, LoadModule());
  static SharedEngine shared;
  std::lock_guard<std::mutex> lock(shared.mu);
  if (shared.engine != nullptr) {
    if (!(config == shared.config)) {
      return FailedPrecondition("the query engine is already open with another configuration");
    }
    return shared.engine.get();
  }
  TARN_ASSIGN_OR_RETURN(shared.engine, CreateWith(*module, config));
  shared.config = config;
  return shared.engine.get();
}

Result<std::unique_ptr<QueryEngine>> CreateQueryEngine(const QueryConfig& config) {
  TARN_ASSIGN_OR_RETURN(const Module* module, LoadModule());
  return CreateWith(*module, config);
}

Result<std::string> QueryModuleDuckDbVersion() {
  TARN_ASSIGN_OR_RETURN(const Module* module, LoadModule());
  return std::string(module->duckdb_version());
}

std::string DescribeQueryEngine() {
  Result<const Module*> module = LoadModule();
  if (!module.ok()) return "DuckDB unavailable: " + module.status().ToString();
  return std::string("DuckDB ") + (*module)->duckdb_version() + " (" + (*module)->path + ")";
}

}  // namespace tarn::query
