// AthenaService: Amazon Athena, free of HTTP: workgroups, named queries,
// prepared statements, the data catalog view over Glue, and query
// executions with their QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED
// life cycle. Running the SQL is the QueryRunner's (query_run.h); this
// decides when a query runs, keeps its record in the MetaStore
// (athena_store.h) and reads its result file back for GetQueryResults.
//
// Queries run on the service's own query threads (options.query_threads,
// 2 by default): a query takes seconds to hours and must hold neither an
// I/O thread nor a worker-pool thread. StartQueryExecution records the
// query QUEUED and hands it to them; beyond the pool's size queries wait
// QUEUED in submission order. StopQueryExecution cancels a QUEUED query at
// once and asks a RUNNING one to stop (the runner sees the flag and ends
// Aborted: CANCELLED). Queries found QUEUED or RUNNING at Start() belonged
// to a server that stopped: they become FAILED (kServerStopped).
//
// PREPARE, EXECUTE and DEALLOCATE PREPARE are the service's own
// (statement.h): PREPARE and DEALLOCATE change the workgroup's prepared
// statements without the engine; EXECUTE runs the prepared statement's
// text with the USING literals (or ExecutionParameters) as parameters.
//
// Errors carry Athena's codes: InvalidRequestException (bad input, unknown
// workgroup / named query / query execution, as Athena answers),
// ResourceNotFoundException (prepared statements), MetadataException
// (catalog lookups), InternalServerException.
//
// Thread-safety: all methods are thread-safe and may block on SQLite or on
// reading a result file (call them from a worker pool). Shutdown() (also
// run by the destructor) stops the running queries and joins the query
// threads; the MetaStore, the runner, the result objects and Glue must
// outlive it.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "services/athena/athena_store.h"
#include "services/athena/query_run.h"
#include "services/athena/result_csv.h"
#include "storage/meta_store.h"

namespace tarn::glue {
class GlueService;
}

namespace tarn::athena {

using Json = nlohmann::json;

// Where GetQueryResults reads result files from: s3://bucket/key. The
// server's reads tarn's S3 (s3_results.h); tests keep files in memory.
class ResultObjects {
 public:
  struct Object {
    uint64_t size = 0;
    ReadAtFunction read_at;  // valid as long as the Object
  };
  virtual ~ResultObjects() = default;
  // InvalidRequestException when the object is gone (deleted by the user).
  virtual Result<Object> Open(const std::string& bucket, const std::string& key) = 0;
};

struct AthenaOptions {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  Clock* clock = Clock::Real();
  int query_threads = 2;  // queries run at once; more wait QUEUED
  // How long a ClientRequestToken names the query it started.
  int64_t token_window_ms = 24LL * 3600 * 1000;
};

// StartQueryExecution's input, validated.
struct StartQuery {
  std::string query;
  std::string client_token;
  std::string database;  // "" = default
  std::string catalog;   // "" = AwsDataCatalog
  std::string output_location;
  Json encryption;  // EncryptionConfiguration, or null
  std::string workgroup = std::string(kPrimary);
  std::vector<std::string> execution_parameters;
};

class AthenaService {
 public:
  static constexpr std::string_view kServerStopped = "the server stopped while the query ran";
  static constexpr std::string_view kCatalog = "AwsDataCatalog";
  static constexpr std::string_view kEngineVersion = "Athena engine version 3";

  // runner may be null: queries that need the engine are then refused
  // (InternalServerException "query engine not available"). results and
  // glue may be null in tests (their operations then fail Internal).
  AthenaService(storage::MetaStore* meta, QueryRunner* runner, ResultObjects* results,
                glue::GlueService* glue, AthenaOptions options);
  ~AthenaService();
  AthenaService(const AthenaService&) = delete;
  AthenaService& operator=(const AthenaService&) = delete;

  // Creates or upgrades the schema, fails queries a stopped server left
  // QUEUED or RUNNING, and starts the query threads.
  Status Start();
  // Stops running queries (they end FAILED, kServerStopped), joins the
  // query threads; StartQueryExecution fails afterwards. Idempotent.
  void Shutdown();
  // Blocks until no query is queued or running (tests).
  void WaitIdle();

  // --- Workgroups ---
  Status CreateWorkGroup(const std::string& name, const Json& configuration,
                         const std::string& description, const Tags& tags);
  Result<Json> GetWorkGroup(const std::string& name);
  Result<Json> ListWorkGroups(const std::string& next_token, int max_results);
  // updates: WorkGroupConfigurationUpdates ({} for none).
  Status UpdateWorkGroup(const std::string& name, const std::optional<std::string>& description,
                         const Json& updates, const std::optional<std::string>& state);
  Status DeleteWorkGroup(const std::string& name, bool recursive);

  // --- Named queries ---
  Result<Json> CreateNamedQuery(const std::string& workgroup, const std::string& name,
                                const std::string& description, const std::string& database,
                                const std::string& query, const std::string& client_token);
  Result<Json> GetNamedQuery(const std::string& id);
  Result<Json> BatchGetNamedQuery(const std::vector<std::string>& ids);
  Result<Json> ListNamedQueries(const std::string& workgroup, const std::string& next_token,
                                int max_results);
  Status UpdateNamedQuery(const std::string& id, const std::string& name,
                          const std::string& description, const std::string& query);
  Status DeleteNamedQuery(const std::string& id);

  // --- Prepared statements ---
  Status CreatePreparedStatement(const std::string& workgroup, const std::string& name,
                                 const std::string& query, const std::string& description);
  Result<Json> GetPreparedStatement(const std::string& workgroup, const std::string& name);
  Result<Json> BatchGetPreparedStatement(const std::string& workgroup,
                                         const std::vector<std::string>& names);
  Result<Json> ListPreparedStatements(const std::string& workgroup, const std::string& next_token,
                                      int max_results);
  Status UpdatePreparedStatement(const std::string& workgroup, const std::string& name,
                                 const std::string& query, const std::string& description);
  Status DeletePreparedStatement(const std::string& workgroup, const std::string& name);

  // --- Query executions ---
  Result<Json> StartQueryExecution(const StartQuery& request);  // {"QueryExecutionId"}
  Result<Json> GetQueryExecution(const std::string& id);
  // GetQueryExecution of a query this server submitted recently, from
  // memory: never blocks, so the API answers it on the I/O thread (clients
  // poll it while a query runs). nullopt: ask GetQueryExecution.
  std::optional<Json> RecentQueryExecution(const std::string& id) const;
  Result<Json> BatchGetQueryExecution(const std::vector<std::string>& ids);
  Result<Json> ListQueryExecutions(const std::string& workgroup, const std::string& next_token,
                                   int max_results);
  Status StopQueryExecution(const std::string& id);
  Result<Json> GetQueryRuntimeStatistics(const std::string& id);
  Result<Json> GetQueryResults(const std::string& id, const std::string& next_token,
                               int max_results);
  // The same response, encoded as JSON text without building a document
  // (a page of 1,000 rows is 1,000s of small objects otherwise).
  Result<std::string> GetQueryResultsJson(const std::string& id, const std::string& next_token,
                                          int max_results);

  // --- Data catalogs (AwsDataCatalog: the Glue catalog) ---
  Result<Json> ListDataCatalogs();
  Result<Json> GetDataCatalog(const std::string& name);
  Result<Json> ListDatabases(const std::string& catalog, const std::string& next_token,
                             int max_results);
  Result<Json> GetDatabase(const std::string& catalog, const std::string& database);
  Result<Json> ListTableMetadata(const std::string& catalog, const std::string& database,
                                 const std::string& expression, const std::string& next_token,
                                 int max_results);
  Result<Json> GetTableMetadata(const std::string& catalog, const std::string& database,
                                const std::string& table);

  // --- Tags (workgroups: arn:aws:athena:<region>:<account>:workgroup/<name>) ---
  Status TagResource(const std::string& arn, const Tags& tags);
  Status UntagResource(const std::string& arn, const std::vector<std::string>& keys);
  Result<Json> ListTagsForResource(const std::string& arn, const std::string& next_token,
                                   int max_results);
  std::string WorkGroupArn(const std::string& name) const;

 private:
  // One page of a finished query's results, read from its result file.
  struct ResultPage {
    Json column_info;  // ResultSetMetadata.ColumnInfo
    int64_t update_count = 0;
    std::vector<std::vector<std::optional<std::string>>> rows;  // nullopt: NULL
    std::string next_token;                                      // empty: the last page
  };
  Result<ResultPage> ReadResultPage(const std::string& id, const std::string& next_token,
                                    int max_results);

  Json RenderWorkGroup(const WorkGroupRow& row) const;
  Json RenderQuery(const QueryRow& row) const;
  Result<std::string> WorkGroupOfArn(const std::string& arn) const;
  Status CheckCatalog(const std::string& catalog) const;
  // Records a statement the service runs itself (PREPARE, DEALLOCATE):
  // RUNNING, then `apply`, then SUCCEEDED or FAILED with its error.
  Result<Json> RunUtility(QueryRow row, const std::function<Status()>& apply);
  void Enqueue(const std::string& id);
  // The body of a query thread.
  void QueryThread();
  void RunQuery(const std::string& id, const std::atomic<bool>& stop);

  storage::MetaStore* meta_;
  QueryRunner* runner_;
  ResultObjects* results_;
  glue::GlueService* glue_;
  AthenaOptions options_;
  AthenaStore store_;

  std::mutex mu_;
  std::condition_variable work_cv_;  // queue_ gained an id, or stopping
  std::condition_variable idle_cv_;  // a query finished
  bool stopping_ = false;                                          // GUARDED_BY(mu_)
  std::deque<std::string> queue_;                                  // GUARDED_BY(mu_)
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> running_;  // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;  // started by Start, joined by Shutdown
  // stopping_ as query threads read it while a query runs, without mu_.
  std::atomic<bool> shutdown_{false};
};

}  // namespace tarn::athena
