#include "storage/meta_store.h"

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "common/log.h"

namespace tarn::storage {
namespace {

// A group larger than this waits for the next commit: it bounds how long the
// writer holds the write lock and how many callers one failure touches.
constexpr size_t kMaxGroup = 1024;
constexpr int kBusyTimeoutMs = 5000;
// Statements are cached by SQL text; code that builds SQL dynamically would
// otherwise grow the cache without bound. Past this the cache is emptied
// between callbacks.
constexpr size_t kMaxCachedStatements = 512;

// Maps an SQLite result code to a Status (the table is in meta_store.h).
Status SqliteStatus(int rc, sqlite3* db, std::string_view what, const char* sql = nullptr) {
  std::string m("sqlite: ");
  m += what;
  m += ": ";
  m += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  m += " (sqlite code ";
  m += std::to_string(rc);
  m += ')';
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return AlreadyExists(std::move(m));
      }
      return FailedPrecondition(std::move(m));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(std::move(m));
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return ResourceExhausted(std::move(m));
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_PERM:
      return IOError(std::move(m));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Corruption(std::move(m));
    case SQLITE_TOOBIG:
      return InvalidArgument(std::move(m));
    case SQLITE_INTERRUPT:
    case SQLITE_ABORT:
      return Status(Code::kAborted, std::move(m));
    default:
      // SQLITE_ERROR (syntax, no such table), MISUSE, RANGE, SCHEMA: a bug in
      // the SQL; the text helps whoever reads the log.
      if (sql != nullptr) {
        m += " in: ";
        m += sql;
      }
      return Internal(std::move(m));
  }
}

bool IsBlankOrSemicolons(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != ';') return false;
  }
  return true;
}

struct TransparentHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Runs a caller's callback; an exception stops here (no exceptions across
// module boundaries, and none may kill the writer thread).
Status RunCallback(const std::function<Status(Conn&)>& fn, Conn& conn) {
  try {
    return fn(conn);
  } catch (const std::exception& e) {
    return Internal(std::string("exception in metadata callback: ") + e.what());
  } catch (...) {
    return Internal("unknown exception in metadata callback");
  }
}

class SqliteConn final : public Conn {
 public:
  explicit SqliteConn(sqlite3* db) : db_(db) {}
  ~SqliteConn() override {
    ClearCache();
    sqlite3_close_v2(db_);
  }
  SqliteConn(const SqliteConn&) = delete;
  SqliteConn& operator=(const SqliteConn&) = delete;

  Result<Stmt*> Prepare(std::string_view sql) override {
    auto it = cache_.find(sql);
    if (it != cache_.end()) {
      it->second.stmt->Reset();
      sqlite3_clear_bindings(it->second.raw);
      return it->second.stmt.get();
    }
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &raw, &tail);
    if (rc != SQLITE_OK) {
      std::string text(sql);
      return SqliteStatus(rc, db_, "prepare", text.c_str());
    }
    if (raw == nullptr)
      return InvalidArgument("Prepare: no SQL statement in '" + std::string(sql) + "'");
    if (tail != nullptr &&
        !IsBlankOrSemicolons(std::string_view(tail, sql.data() + sql.size() - tail))) {
      sqlite3_finalize(raw);
      return InvalidArgument("Prepare takes one statement: '" + std::string(sql) + "'");
    }
    auto stmt = std::make_unique<Stmt>(raw);
    Stmt* out = stmt.get();
    cache_.emplace(std::string(sql), Cached{raw, std::move(stmt)});
    return out;
  }

  Status ExecScript(std::string_view sql) override {
    const std::string text(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) return SqliteStatus(rc, db_, "exec", text.c_str());
    return Status::OK();
  }

  int64_t Changes() override { return sqlite3_changes64(db_); }

  // A cached statement run to completion: BEGIN, SAVEPOINT, COMMIT, ...
  Status Exec(std::string_view sql) {
    TARN_ASSIGN_OR_RETURN(Stmt * stmt, Prepare(sql));
    return stmt->Exec();
  }

  // The first column of the first row of a one-off statement (PRAGMA x=y).
  Result<std::string> QueryText(const char* sql) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql, -1, &raw, nullptr);
    if (rc != SQLITE_OK) return SqliteStatus(rc, db_, "prepare", sql);
    std::string value;
    rc = sqlite3_step(raw);
    if (rc == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(raw, 0);
      if (t != nullptr) value = reinterpret_cast<const char*>(t);
    } else if (rc != SQLITE_DONE) {
      Status s = SqliteStatus(rc, db_, "step", sql);
      sqlite3_finalize(raw);
      return s;
    }
    sqlite3_finalize(raw);
    return value;
  }

  // Called when a callback returns: statements it left mid-iteration are
  // reset so they hold no snapshot and no pointers survive, and the cache is
  // bounded.
  void EndCallback() {
    for (sqlite3_stmt* s = sqlite3_next_stmt(db_, nullptr); s != nullptr;
         s = sqlite3_next_stmt(db_, s)) {
      if (sqlite3_stmt_busy(s)) sqlite3_reset(s);
    }
    if (cache_.size() > kMaxCachedStatements) ClearCache();
  }

  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

  // Deferred foreign keys are only checked by the outermost COMMIT, where a
  // violation would fail the whole group; checking after each callback pins
  // the failure on its author.
  bool HasDeferredForeignKeyViolation() {
    int current = 0;
    int highwater = 0;
    sqlite3_db_status(db_, SQLITE_DBSTATUS_DEFERRED_FKS, &current, &highwater, 0);
    return current > 0;
  }

 private:
  struct Cached {
    sqlite3_stmt* raw;
    std::unique_ptr<Stmt> stmt;
  };

  void ClearCache() {
    for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.raw);
    cache_.clear();
  }

  sqlite3* const db_;
  std::unordered_map<std::string, Cached, TransparentHash, std::equal_to<>> cache_;
};

Result<std::unique_ptr<SqliteConn>> OpenConnection(const MetaStore::Options& options, bool writer) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  if (writer) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(options.path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = SqliteStatus(rc, db, "opening " + options.path);
    sqlite3_close_v2(db);
    return s;
  }
  auto conn = std::make_unique<SqliteConn>(db);
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);

  if (writer) {
    // journal_mode is persistent in the file; readers then find WAL set.
    TARN_ASSIGN_OR_RETURN(std::string mode, conn->QueryText("PRAGMA journal_mode=WAL"));
    if (mode != "wal") {
      return FailedPrecondition("meta store " + options.path +
                                ": cannot enable WAL (journal_mode=" + mode + ")");
    }
  }
  std::string pragmas =
      "PRAGMA foreign_keys=ON;"
      "PRAGMA temp_store=MEMORY;"
      "PRAGMA mmap_size=268435456;";
  // FULL: in WAL mode every commit fsyncs the WAL, so a committed Write
  // survives power loss. NORMAL would only sync at checkpoints.
  pragmas += options.synchronous ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=OFF;";
  if (writer) {
    pragmas +=
        "PRAGMA cache_size=-16384;"             // 16 MiB
        "PRAGMA journal_size_limit=67108864;";  // WAL shrinks back to 64 MiB
  } else {
    pragmas +=
        "PRAGMA query_only=ON;"
        "PRAGMA cache_size=-4096;";  // 4 MiB each; mmap serves the rest
  }
  TARN_RETURN_IF_ERROR(conn->ExecScript(pragmas));
  return conn;
}

class MetaStoreImpl final : public MetaStore {
 public:
  explicit MetaStoreImpl(Options options) : options_(std::move(options)) {}
  ~MetaStoreImpl() override;

  Status Init();

  Status Migrate(std::string_view component, const std::vector<std::string>& steps) override;
  Status Write(std::function<Status(Conn&)> fn) override;
  Status Read(const std::function<Status(Conn&)>& fn) override;
  Stats stats() const override {
    Stats s;
    s.commits = commits_.load(std::memory_order_relaxed);
    s.transactions = transactions_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  struct WriteItem {
    std::function<Status(Conn&)> fn;
    std::promise<Status> done;
  };
  using Group = std::vector<std::unique_ptr<WriteItem>>;

  void WriterLoop();
  void RunGroup(Group& group);

  const Options options_;

  // The writer connection is used only by the writer thread once it runs.
  std::unique_ptr<SqliteConn> writer_conn_;
  std::thread writer_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<WriteItem>> queue_;  // GUARDED_BY(mu_)
  bool stop_ = false;                             // GUARDED_BY(mu_)
  Status sticky_;                                 // GUARDED_BY(mu_)

  std::vector<std::unique_ptr<SqliteConn>> readers_;
  std::mutex read_mu_;
  std::condition_variable read_cv_;
  std::vector<SqliteConn*> idle_readers_;  // GUARDED_BY(read_mu_)

  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> transactions_{0};
};

Status MetaStoreImpl::Init() {
  if (sqlite3_threadsafe() == 0) return Internal("SQLite was built without thread support");
  TARN_ASSIGN_OR_RETURN(writer_conn_, OpenConnection(options_, /*writer=*/true));
  TARN_RETURN_IF_ERROR(
      writer_conn_->ExecScript("CREATE TABLE IF NOT EXISTS schema_versions ("
                               "  component TEXT PRIMARY KEY,"
                               "  version INTEGER NOT NULL"
                               ")"));
  const int n = options_.read_connections > 0 ? options_.read_connections : 1;
  for (int i = 0; i < n; ++i) {
    TARN_ASSIGN_OR_RETURN(auto reader, OpenConnection(options_, /*writer=*/false));
    idle_readers_.push_back(reader.get());
    readers_.push_back(std::move(reader));
  }
  writer_ = std::thread([this] { WriterLoop(); });
  return Status::OK();
}

MetaStoreImpl::~MetaStoreImpl() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  idle_readers_.clear();
  readers_.clear();
  // Last, so that closing the last connection checkpoints with the writer's
  // settings and removes the WAL.
  writer_conn_.reset();
}

Status MetaStoreImpl::Write(std::function<Status(Conn&)> fn) {
  if (!fn) return InvalidArgument("MetaStore::Write: empty callback");
  if (std::this_thread::get_id() == writer_.get_id()) {
    return Internal("MetaStore::Write called from inside a write callback");
  }
  auto item = std::make_unique<WriteItem>();
  item->fn = std::move(fn);
  std::future<Status> done = item->done.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!sticky_.ok()) return sticky_;
    if (stop_) return Unavailable("meta store is closing");
    queue_.push_back(std::move(item));
  }
  cv_.notify_one();
  return done.get();
}

void MetaStoreImpl::WriterLoop() {
  Group group;
  group.reserve(kMaxGroup);
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything queued is done
    while (!queue_.empty() && group.size() < kMaxGroup) {
      group.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    RunGroup(group);
    group.clear();
    lock.lock();
  }
}

// One SQLite transaction for the whole group, one SAVEPOINT per item:
//
//   BEGIN IMMEDIATE
//     SAVEPOINT tarn_item; fn0; RELEASE tarn_item                 -> OK
//     SAVEPOINT tarn_item; fn1 fails; ROLLBACK TO tarn_item;
//                                     RELEASE tarn_item           -> fn1's error
//     SAVEPOINT tarn_item; fn2; RELEASE tarn_item                 -> OK
//   COMMIT                                        -> fn0, fn2 get its result
void MetaStoreImpl::RunGroup(Group& group) {
  const size_t n = group.size();
  std::vector<Status> results(n);
  auto finish = [&](size_t count) {
    for (size_t i = 0; i < count; ++i) group[i]->done.set_value(results[i]);
  };

  Status sticky;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sticky = sticky_;
  }
  if (!sticky.ok()) {  // queued before the failed commit was seen
    for (Status& r : results) r = sticky;
    finish(n);
    return;
  }

  SqliteConn& conn = *writer_conn_;
  Status begin = conn.Exec("BEGIN IMMEDIATE");
  conn.EndCallback();
  if (!begin.ok()) {
    begin = begin.WithContext("beginning metadata transaction");
    for (Status& r : results) r = begin;
    finish(n);
    return;
  }

  size_t committed_items = 0;
  for (size_t i = 0; i < n; ++i) {
    Status item = conn.Exec("SAVEPOINT tarn_item");
    if (item.ok()) {
      item = RunCallback(group[i]->fn, conn);
      conn.EndCallback();
      if (item.ok() && conn.InTransaction() && conn.HasDeferredForeignKeyViolation()) {
        item = FailedPrecondition("FOREIGN KEY constraint failed (deferred)");
      }
    }
    if (item.ok() && conn.InTransaction()) {
      item = conn.Exec("RELEASE tarn_item");
    }
    if (!item.ok() && conn.InTransaction()) {
      Status undo = conn.Exec("ROLLBACK TO tarn_item");
      if (undo.ok()) undo = conn.Exec("RELEASE tarn_item");
      // If one item cannot be undone on its own, none of the group can stay.
      if (!undo.ok()) (void)conn.Exec("ROLLBACK");
    }

    if (!conn.InTransaction()) {
      // SQLite rolled the whole transaction back (an I/O error or a full
      // disk inside a statement does that), or we had to: the items before
      // this one are lost with it. Those not yet run get a fresh transaction.
      Status lost = item.ok() ? Internal("a write callback ended the group's transaction") : item;
      results[i] = lost;
      for (size_t j = 0; j < i; ++j) {
        if (results[j].ok()) results[j] = lost.WithContext("metadata transaction rolled back");
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (size_t k = n; k > i + 1; --k) queue_.push_front(std::move(group[k - 1]));
      }
      TARN_LOG(Warn, "metadata group rolled back").Kv("error", lost.ToString()).Kv("lost", i);
      finish(i + 1);
      return;
    }
    results[i] = item;
    if (item.ok()) ++committed_items;
  }

  Status commit = conn.Exec("COMMIT");
  conn.EndCallback();
  if (!commit.ok()) {
    if (conn.InTransaction()) (void)conn.Exec("ROLLBACK");
    commit = commit.WithContext("committing metadata");
    // A full disk (SQLITE_FULL: write(2) said ENOSPC) refused the bytes
    // before the OS took them, so nothing was silently lost and SQLite rolled
    // the transaction back: the next group may commit once there is room.
    // Any other failure (an fsync or write error) may have lost pages the
    // OS had accepted: refuse writes until reopened (docs/failure-model.md).
    if (commit.code() == Code::kResourceExhausted) {
      TARN_LOG(Warn, "metadata commit failed: disk full").Kv("error", commit.ToString());
    } else {
      TARN_LOG(Error, "metadata commit failed; refusing further writes until reopened")
          .Kv("error", commit.ToString());
      std::lock_guard<std::mutex> lock(mu_);
      sticky_ = commit;
    }
    for (Status& r : results) {
      if (r.ok()) r = commit;
    }
  } else if (committed_items > 0) {
    commits_.fetch_add(1, std::memory_order_relaxed);
    transactions_.fetch_add(committed_items, std::memory_order_relaxed);
  }
  finish(n);
}

Status MetaStoreImpl::Read(const std::function<Status(Conn&)>& fn) {
  SqliteConn* conn = nullptr;
  {
    std::unique_lock<std::mutex> lock(read_mu_);
    read_cv_.wait(lock, [this] { return !idle_readers_.empty(); });
    conn = idle_readers_.back();
    idle_readers_.pop_back();
  }
  // A deferred BEGIN takes its snapshot at the first read and keeps it until
  // COMMIT, so every statement in fn sees the same state.
  Status s = conn->Exec("BEGIN");
  if (s.ok()) {
    s = RunCallback(fn, *conn);
    conn->EndCallback();
    Status end = conn->Exec("COMMIT");
    if (!end.ok()) {
      if (conn->InTransaction()) (void)conn->Exec("ROLLBACK");
      if (s.ok()) s = end;
    }
  }
  conn->EndCallback();
  {
    std::lock_guard<std::mutex> lock(read_mu_);
    idle_readers_.push_back(conn);
  }
  read_cv_.notify_one();
  return s;
}

Status MetaStoreImpl::Migrate(std::string_view component, const std::vector<std::string>& steps) {
  if (component.empty()) return InvalidArgument("Migrate: empty component name");
  const std::string name(component);
  const auto newest = static_cast<int64_t>(steps.size());
  // One Write per step: each step commits on its own, so a failing step N
  // leaves the schema at version N, recorded, and the error is returned.
  for (;;) {
    bool up_to_date = false;
    int64_t applied = 0;
    Status s = Write([&](Conn& conn) -> Status {
      TARN_ASSIGN_OR_RETURN(
          Stmt * get, conn.Prepare("SELECT version FROM schema_versions WHERE component = ?1"));
      get->Bind(1, name);
      TARN_ASSIGN_OR_RETURN(bool row, get->Step());
      const int64_t version = row ? get->Int64(0) : 0;
      get->Reset();
      if (version > newest) {
        return FailedPrecondition("schema of '" + name + "' is at version " +
                                  std::to_string(version) + ", newer than this binary's " +
                                  std::to_string(newest));
      }
      if (version == newest) {
        up_to_date = true;
        return Status::OK();
      }
      Status step = conn.ExecScript(steps[static_cast<size_t>(version)]);
      if (!step.ok()) {
        return step.WithContext("migrating '" + name + "' to version " +
                                std::to_string(version + 1));
      }
      TARN_ASSIGN_OR_RETURN(
          Stmt * put,
          conn.Prepare("INSERT INTO schema_versions(component, version) VALUES(?1, ?2)"
                       " ON CONFLICT(component) DO UPDATE SET version = excluded.version"));
      put->Bind(1, name).Bind(2, version + 1);
      TARN_RETURN_IF_ERROR(put->Exec());
      applied = version + 1;
      return Status::OK();
    });
    if (!s.ok()) return s;
    if (up_to_date) return Status::OK();
    TARN_LOG(Info, "schema migrated").Kv("component", name).Kv("version", applied);
  }
}

}  // namespace

// ---- Stmt ----

namespace {
// SQLite binds a NULL pointer as SQL NULL; an empty string_view may have one.
const char kEmpty[1] = {0};
}  // namespace

Stmt& Stmt::Bind(int idx, int64_t v) {
  int rc = sqlite3_bind_int64(stmt_, idx, v);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Stmt& Stmt::Bind(int idx, std::string_view text) {
  const char* p = text.data() != nullptr ? text.data() : kEmpty;
  int rc = sqlite3_bind_text64(stmt_, idx, p, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Stmt& Stmt::BindBlob(int idx, std::string_view bytes) {
  const char* p = bytes.data() != nullptr ? bytes.data() : kEmpty;
  int rc = sqlite3_bind_blob64(stmt_, idx, p, bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Stmt& Stmt::BindNull(int idx) {
  int rc = sqlite3_bind_null(stmt_, idx);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Stmt& Stmt::BindDouble(int idx, double v) {
  int rc = sqlite3_bind_double(stmt_, idx, v);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Result<bool> Stmt::Step() {
  sqlite3* db = sqlite3_db_handle(stmt_);
  if (bind_rc_ != SQLITE_OK) {
    return SqliteStatus(bind_rc_, nullptr, "bind", sqlite3_sql(stmt_));
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(rc, db, "step", sqlite3_sql(stmt_));
}

Status Stmt::Exec() {
  for (;;) {
    TARN_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::OK();
  }
}

bool Stmt::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

int64_t Stmt::Int64(int col) const { return sqlite3_column_int64(stmt_, col); }

double Stmt::Double(int col) const { return sqlite3_column_double(stmt_, col); }

std::string_view Stmt::Text(int col) const {
  // text before bytes: the pointer is to the UTF-8 form bytes() then measures.
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return {};
  int n = sqlite3_column_bytes(stmt_, col);
  return std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
}

std::string_view Stmt::Blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  if (p == nullptr) return {};
  int n = sqlite3_column_bytes(stmt_, col);
  return std::string_view(static_cast<const char*>(p), static_cast<size_t>(n));
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  bind_rc_ = SQLITE_OK;
}

// ---- MetaStore ----

Result<std::unique_ptr<MetaStore>> MetaStore::Open(const Options& options) {
  if (options.path.empty()) return InvalidArgument("MetaStore::Open: empty path");
  auto store = std::make_unique<MetaStoreImpl>(options);
  TARN_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<MetaStore>(std::move(store));
}

}  // namespace tarn::storage
