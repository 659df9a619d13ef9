// MetaStore: all of tarn's metadata, in one SQLite database in WAL mode.
//
// Writes run on one writer thread that groups the transactions submitted
// concurrently into one SQLite transaction and one commit (group commit), so
// one fsync serves many requests. Each submitted function runs inside its own
// SAVEPOINT: if it returns an error, only its own changes are rolled back and
// only its caller sees the error. Write() returns once the group's commit is
// durable (synchronous=FULL), or with the commit's error.
//
// Reads run on a pool of read-only connections, concurrently with the writer
// (WAL snapshot isolation); Read() on any thread.
//
// SQL lives only in storage/ and in each service's own store file (e.g.
// services/s3/s3_store.cc), which call Write()/Read() with their statements.
//
// Sticky error: if a commit fails with an I/O error (fsync or write EIO),
// the store refuses further writes with that error until reopened; reads go
// on. A commit that fails because the disk is full (ResourceExhausted) is
// rolled back and fails its group only: the OS never accepted those bytes,
// so the next write may succeed once there is room (docs/failure-model.md).
//
// Errors from SQLite map to Status kinds: UNIQUE / PRIMARY KEY violations ->
// AlreadyExists; other constraint violations (NOT NULL, CHECK, FOREIGN KEY,
// also deferred ones, checked when the callback returns) ->
// FailedPrecondition; BUSY/LOCKED -> Unavailable; FULL -> ResourceExhausted;
// IOERR/CANTOPEN -> IOError; CORRUPT/NOTADB -> Corruption; SQL errors (no
// such table, syntax) -> Internal, as they are bugs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tarn::storage {

// A prepared statement, owned and cached by its Conn. Bind indexes are
// 1-based as in SQLite; column indexes 0-based. Prepare() returns it reset
// with bindings cleared. A Stmt* is valid until the callback that prepared it
// returns; statements still stepping then are reset.
//
//   TARN_ASSIGN_OR_RETURN(Stmt* q, conn.Prepare("SELECT size FROM t WHERE k = ?1"));
//   q->Bind(1, key);
//   TARN_ASSIGN_OR_RETURN(bool row, q->Step());
//   if (!row) return NotFound("no such key");
//   int64_t size = q->Int64(0);
class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* stmt) : stmt_(stmt) {}
  // Text and bytes are copied. A failed bind (bad index, too big) makes the
  // next Step/Exec return the error.
  Stmt& Bind(int idx, int64_t v);
  Stmt& Bind(int idx, std::string_view text);  // TEXT
  Stmt& BindBlob(int idx, std::string_view bytes);  // BLOB
  Stmt& BindNull(int idx);
  Stmt& BindDouble(int idx, double v);  // REAL
  // Steps once: true when a row is available, false when done.
  Result<bool> Step();
  // Runs to completion, ignoring rows.
  Status Exec();

  bool IsNull(int col) const;
  int64_t Int64(int col) const;
  std::string_view Text(int col) const;  // valid until the next Step
  std::string_view Blob(int col) const;  // valid until the next Step
  double Double(int col) const;

  // Rewinds to run again; keeps the bindings.
  void Reset();

 private:
  sqlite3_stmt* stmt_;
  int bind_rc_ = 0;  // first failed bind since the last Reset, SQLITE_OK if none
};

// A connection: the writer's (inside Write) or a reader's (inside Read).
// Not thread-safe; only used inside the callback it was passed to.
class Conn {
 public:
  virtual ~Conn() = default;
  // Prepared once per connection and cached by SQL text; sql must hold one
  // statement. Preparing the SQL of a statement that is still stepping
  // resets it.
  virtual Result<Stmt*> Prepare(std::string_view sql) = 0;
  // Runs one or more statements without results (DDL). No BEGIN/COMMIT: the
  // callback already runs inside a transaction.
  virtual Status ExecScript(std::string_view sql) = 0;
  // Rows changed by the last INSERT/UPDATE/DELETE.
  virtual int64_t Changes() = 0;
};

class MetaStore {
 public:
  struct Options {
    std::string path;     // e.g. <data>/meta.db
    int read_connections = 8;
    // Tests may turn durability off for speed; servers never do.
    bool synchronous = true;
  };

  // Opens (creating if missing) the database; the directory must exist.
  static Result<std::unique_ptr<MetaStore>> Open(const Options& options);
  // Finishes the queued writes, then closes. No Write or Read may be in
  // progress or start during destruction.
  virtual ~MetaStore() = default;

  // Brings `component`'s schema to the newest version: steps[i] is the
  // script that moves it from version i to i+1. Applied steps are recorded
  // in a schema_versions table; each step runs in its own transaction (so no
  // PRAGMA or VACUUM in steps). Steps must never be edited once released:
  // append new ones. FailedPrecondition when the database is newer than
  // steps.size().
  virtual Status Migrate(std::string_view component, const std::vector<std::string>& steps) = 0;

  // Runs fn on the writer thread inside a group-committed transaction and
  // blocks until it is durable. fn must not block on anything but SQLite,
  // and must not call Write (Internal error) nor wait for other writers.
  // When fn returns an error its changes are rolled back and Write returns
  // that error. fn runs at most once: if SQLite rolls back the whole group
  // (an I/O error or a full disk inside a statement), the callers whose fn
  // already ran in it get that error.
  virtual Status Write(std::function<Status(Conn&)> fn) = 0;

  // Runs fn on a read connection (a consistent snapshot for its duration).
  // Blocks while all read connections are busy; do not nest Read calls.
  virtual Status Read(const std::function<Status(Conn&)>& fn) = 0;

  // Statistics for tests and benchmarks: commits done, transactions in them.
  struct Stats {
    uint64_t commits = 0;
    uint64_t transactions = 0;
  };
  virtual Stats stats() const = 0;
};

}  // namespace tarn::storage
