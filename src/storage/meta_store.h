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
// Sticky error: if a commit fails (fsync error, disk full), the store
// refuses further writes with that error until reopened; reads go on.
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
// with bindings cleared.
class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Stmt& Bind(int idx, int64_t v);
  Stmt& Bind(int idx, std::string_view text);  // TEXT
  Stmt& BindBlob(int idx, std::string_view bytes);  // BLOB
  Stmt& BindNull(int idx);
  // Steps once: true when a row is available, false when done.
  Result<bool> Step();
  // Runs to completion, ignoring rows.
  Status Exec();

  bool IsNull(int col) const;
  int64_t Int64(int col) const;
  std::string_view Text(int col) const;  // valid until the next Step
  std::string_view Blob(int col) const;  // valid until the next Step

  void Reset();

 private:
  sqlite3_stmt* stmt_;
};

// A connection: the writer's (inside Write) or a reader's (inside Read).
// Not thread-safe; only used inside the callback it was passed to.
class Conn {
 public:
  virtual ~Conn() = default;
  // Prepared once per connection and cached by SQL text.
  virtual Result<Stmt*> Prepare(std::string_view sql) = 0;
  // Runs one or more statements without results (DDL).
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

  static Result<std::unique_ptr<MetaStore>> Open(const Options& options);
  virtual ~MetaStore() = default;

  // Brings `component`'s schema to the newest version: steps[i] is the
  // script that moves it from version i to i+1. Applied steps are recorded
  // in a schema_versions table; each step runs in its own transaction.
  virtual Status Migrate(std::string_view component, const std::vector<std::string>& steps) = 0;

  // Runs fn on the writer thread inside a group-committed transaction and
  // blocks until it is durable. fn must not block on anything but SQLite.
  virtual Status Write(std::function<Status(Conn&)> fn) = 0;

  // Runs fn on a read connection (a consistent snapshot for its duration).
  virtual Status Read(const std::function<Status(Conn&)>& fn) = 0;

  // Statistics for tests and benchmarks: commits done, transactions in them.
  struct Stats {
    uint64_t commits = 0;
    uint64_t transactions = 0;
  };
  virtual Stats stats() const = 0;
};

}  // namespace tarn::storage
