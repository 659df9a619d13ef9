// AthenaStore: Athena's workgroups, named queries, prepared statements and
// query history in the MetaStore. The only file with Athena SQL; the
// tables are specified in docs/athena.md §Tables.
//
// Documents (a workgroup's Configuration, a query's request and outcome)
// are stored as JSON text in the form athena_service renders from; the
// store never looks inside them. A query's state is a column so that every
// transition is checked inside the transaction that makes it: a stop and
// the end of a run cannot both win.
//
// Every method blocks (run it on a worker pool or a query thread). Errors
// carry Athena's codes: InvalidRequestException (Athena answers it for
// unknown workgroups, named queries and query executions too),
// ResourceNotFoundException (prepared statements).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "storage/meta_store.h"

namespace tarn::athena {

using Tags = std::map<std::string, std::string>;

inline constexpr std::string_view kQueued = "QUEUED";
inline constexpr std::string_view kRunning = "RUNNING";
inline constexpr std::string_view kSucceeded = "SUCCEEDED";
inline constexpr std::string_view kFailed = "FAILED";
inline constexpr std::string_view kCancelled = "CANCELLED";
inline constexpr std::string_view kPrimary = "primary";

struct WorkGroupRow {
  std::string name;
  std::string state = "ENABLED";  // ENABLED, DISABLED
  std::string description;
  std::string configuration = "{}";  // JSON WorkGroupConfiguration as given
  UnixMillis create_ms = 0;
  Tags tags;
};

struct NamedQueryRow {
  std::string id;
  std::string workgroup;
  std::string name;
  std::string description;
  std::string database;
  std::string query;
  std::string client_token;  // "" when none was given
  UnixMillis create_ms = 0;
  int64_t seq = 0;  // creation order (set by the store)
};

struct PreparedStatementRow {
  std::string workgroup;
  std::string name;
  std::string query;
  std::string description;
  UnixMillis update_ms = 0;
};

struct QueryRow {
  std::string id;
  std::string workgroup;
  std::string query;           // as submitted (an EXECUTE stays an EXECUTE)
  std::string statement_type;  // DDL, DML, UTILITY
  std::string state = std::string(kQueued);
  std::string reason;          // StateChangeReason
  int error_category = 0;      // AthenaError.ErrorCategory; 0: none
  int error_type = 0;          // AthenaError.ErrorType
  UnixMillis submit_ms = 0;
  UnixMillis start_ms = 0;     // RUNNING since; 0 before
  UnixMillis end_ms = 0;       // 0 until finished
  std::string request = "{}";  // JSON: context, result configuration, the run's SQL and parameters
  std::string outcome = "{}";  // JSON: the QueryOutcome once SUCCEEDED
  std::string client_token;
  int64_t seq = 0;  // submission order (set by the store)
};

// How a query ended, written by FinishQuery.
struct QueryEnd {
  std::string state;  // SUCCEEDED, FAILED, CANCELLED
  std::string reason;
  int error_category = 0;
  int error_type = 0;
  UnixMillis end_ms = 0;
  std::string statement_type;  // "" keeps the stored one
  std::string outcome;         // "" keeps the stored one
  bool only_if_queued = false;  // a stop: a RUNNING query is left to its thread
};

enum class PutMode { kCreate, kUpdate };

class AthenaStore {
 public:
  explicit AthenaStore(storage::MetaStore* meta) : meta_(meta) {}

  // Creates or upgrades the schema (component "athena") and the "primary"
  // workgroup when it does not exist.
  Status Migrate(UnixMillis now);

  // --- Workgroups ---
  Status CreateWorkGroup(const WorkGroupRow& row);
  Result<WorkGroupRow> GetWorkGroup(const std::string& name);
  // Up to `limit` after `after` (exclusive), by name.
  Result<std::vector<WorkGroupRow>> ListWorkGroups(const std::string& after, int limit);
  // Replaces state, description and configuration.
  Status UpdateWorkGroup(const WorkGroupRow& row);
  // Without `recursive`, a workgroup that still has named queries or
  // prepared statements is InvalidRequestException; with it they go too.
  // Its query history stays (ListQueryExecutions of a new workgroup of
  // the same name shows it, as it shows queries of the old one in AWS
  // until they expire).
  Status DeleteWorkGroup(const std::string& name, bool recursive);
  Status ChangeTags(const std::string& name, const Tags& add, const std::vector<std::string>& remove);

  // --- Named queries ---
  // Returns the new query's id, or the id of the query created earlier
  // with the same client token (InvalidRequestException when that one
  // differs from `row`).
  Result<std::string> CreateNamedQuery(const NamedQueryRow& row);
  Result<NamedQueryRow> GetNamedQuery(const std::string& id);
  // The workgroup's named queries with seq > after_seq, oldest first.
  Result<std::vector<NamedQueryRow>> ListNamedQueries(const std::string& workgroup,
                                                      int64_t after_seq, int limit);
  Status UpdateNamedQuery(const std::string& id, const std::string& name,
                          const std::string& description, const std::string& query);
  Status DeleteNamedQuery(const std::string& id);

  // --- Prepared statements ---
  // kCreate: InvalidRequestException when it exists; kUpdate:
  // ResourceNotFoundException when it does not.
  Status PutPreparedStatement(const PreparedStatementRow& row, PutMode mode);
  // Creates or replaces (PREPARE as a query does both).
  Status UpsertPreparedStatement(const PreparedStatementRow& row);
  Result<PreparedStatementRow> GetPreparedStatement(const std::string& workgroup,
                                                    const std::string& name);
  Result<std::vector<PreparedStatementRow>> ListPreparedStatements(const std::string& workgroup,
                                                                   const std::string& after,
                                                                   int limit);
  Status DeletePreparedStatement(const std::string& workgroup, const std::string& name);

  // --- Query executions ---
  // Records a query (in whatever state `row` has). With a client token:
  // a query submitted with the same token at or after `token_since_ms`
  // is returned instead (its id) when it has the same query string and
  // workgroup, and is InvalidRequestException when it does not.
  // Returns the id and whether the row was inserted.
  Result<std::pair<std::string, bool>> InsertQuery(const QueryRow& row, UnixMillis token_since_ms);
  Result<QueryRow> GetQuery(const std::string& id);
  // The query as GetQuery gives it, if this server wrote it recently, from
  // memory: no SQLite, never blocks (clients poll GetQueryExecution). The
  // rows' seq is not kept.
  std::optional<QueryRow> RecentQuery(const std::string& id) const;
  // The workgroup's queries with seq < before_seq (0: from the newest),
  // newest first.
  Result<std::vector<QueryRow>> ListQueries(const std::string& workgroup, int64_t before_seq,
                                            int limit);
  // QUEUED -> RUNNING; false (and no change) in any other state.
  Result<bool> MarkRunning(const std::string& id, UnixMillis start_ms);
  // QUEUED or RUNNING (only QUEUED with end.only_if_queued) -> end.state;
  // false (and no change) otherwise: the query had already finished, or
  // a stop and the end of the run raced and the other won.
  Result<bool> FinishQuery(const std::string& id, const QueryEnd& end);
  // Every query left QUEUED or RUNNING by a server that stopped becomes
  // FAILED with `reason`. Returns how many.
  Result<int> FailInterruptedQueries(const std::string& reason, UnixMillis now);
  // The ids of QUEUED queries, oldest first (the queue to resume; tests).
  Result<std::vector<std::string>> QueuedQueries();

 private:
  // The rows of queries this server inserted, kept up to date by every
  // write above (they are the only writes to athena_queries), oldest
  // evicted first past a byte budget.
  class Recent {
   public:
    void Put(const QueryRow& row);
    // Applies `update` to the row if it is kept.
    template <typename Fn>
    void Update(const std::string& id, const Fn& update) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = rows_.find(id);
      if (it != rows_.end()) update(it->second);
    }
    std::optional<QueryRow> Get(const std::string& id) const;
    void Clear();

   private:
    static constexpr size_t kMaxBytes = 16 << 20;
    mutable std::mutex mu_;
    std::unordered_map<std::string, QueryRow> rows_;
    std::deque<std::string> order_;  // insertion order, for eviction
    size_t bytes_ = 0;
  };

  storage::MetaStore* meta_;
  Recent recent_;
};

}  // namespace tarn::athena
