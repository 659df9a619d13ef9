#include "storage/meta_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <thread>

#include "storage/fault_injection_vfs.h"
#include "storage/test_temp_dir.h"

namespace tarn::storage {
namespace {

using namespace std::chrono_literals;

const std::vector<std::string> kKvSchema = {
    "CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)",
};

std::unique_ptr<MetaStore> OpenStore(const std::string& path, bool synchronous = false) {
  MetaStore::Options options;
  options.path = path;
  options.read_connections = 4;
  options.synchronous = synchronous;
  auto store = MetaStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(*store) : nullptr;
}

Status Put(Conn& conn, std::string_view k, std::string_view v) {
  TARN_ASSIGN_OR_RETURN(Stmt * s, conn.Prepare("INSERT INTO kv(k, v) VALUES(?1, ?2)"));
  s->Bind(1, k).Bind(2, v);
  return s->Exec();
}

Result<int64_t> Count(Conn& conn, const std::string& table) {
  TARN_ASSIGN_OR_RETURN(Stmt * s, conn.Prepare("SELECT count(*) FROM " + table));
  TARN_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return Internal("count returned no row");
  return s->Int64(0);
}

int64_t CountIn(MetaStore& store, const std::string& table) {
  int64_t n = -1;
  Status s = store.Read([&](Conn& conn) -> Status {
    TARN_ASSIGN_OR_RETURN(n, Count(conn, table));
    return Status::OK();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return n;
}

std::set<std::string> Keys(MetaStore& store) {
  std::set<std::string> keys;
  Status s = store.Read([&](Conn& conn) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * q, conn.Prepare("SELECT k FROM kv"));
    for (;;) {
      TARN_ASSIGN_OR_RETURN(bool row, q->Step());
      if (!row) return Status::OK();
      keys.emplace(q->Text(0));
    }
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return keys;
}

class MetaStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    path_ = dir_.Join("meta.db");
    store_ = OpenStore(path_);
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(store_->Migrate("test", kKvSchema).ok());
  }

  TestTempDir dir_;
  std::string path_;
  std::unique_ptr<MetaStore> store_;
};

// ---- migrations ----

TEST_F(MetaStoreTest, MigrationsAreIdempotentAcrossReopen) {
  std::vector<std::string> steps = {
      "CREATE TABLE log (step INTEGER); INSERT INTO log VALUES (1);",
      "CREATE TABLE extra (x INTEGER); INSERT INTO log VALUES (2);",
  };
  ASSERT_TRUE(store_->Migrate("svc", steps).ok());
  ASSERT_TRUE(store_->Migrate("svc", steps).ok());
  EXPECT_EQ(CountIn(*store_, "log"), 2);

  store_.reset();
  store_ = OpenStore(path_);
  ASSERT_TRUE(store_->Migrate("svc", steps).ok());
  EXPECT_EQ(CountIn(*store_, "log"), 2);

  // A newer binary appends a step: only that one runs.
  steps.push_back("INSERT INTO log VALUES (3);");
  ASSERT_TRUE(store_->Migrate("svc", steps).ok());
  EXPECT_EQ(CountIn(*store_, "log"), 3);
  // The first component's version is its own.
  EXPECT_TRUE(store_->Migrate("test", kKvSchema).ok());
}

TEST_F(MetaStoreTest, MigrateRefusesADatabaseNewerThanTheBinary) {
  std::vector<std::string> steps = {"CREATE TABLE a (x)", "CREATE TABLE b (x)"};
  ASSERT_TRUE(store_->Migrate("svc", steps).ok());
  steps.pop_back();
  EXPECT_EQ(store_->Migrate("svc", steps).code(), Code::kFailedPrecondition);
}

TEST_F(MetaStoreTest, FailingMigrationStepKeepsEarlierStepsAndCanBeRetried) {
  std::vector<std::string> steps = {"CREATE TABLE a (x)", "CREATE TABLE b (x); THIS IS NOT SQL"};
  Status s = store_->Migrate("svc", steps);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("version 2"), std::string::npos) << s.ToString();
  // Step 2 left nothing behind (its own transaction), step 1 stays.
  EXPECT_EQ(CountIn(*store_, "a"), 0);
  EXPECT_FALSE(store_->Read([](Conn& c) { return Count(c, "b").status(); }).ok());
  steps[1] = "CREATE TABLE b (x)";
  EXPECT_TRUE(store_->Migrate("svc", steps).ok());
  EXPECT_EQ(CountIn(*store_, "b"), 0);
}

// ---- writes and reads ----

TEST_F(MetaStoreTest, CommittedWriteIsVisibleToRead) {
  const MetaStore::Stats before = store_->stats();
  ASSERT_TRUE(store_->Write([](Conn& c) { return Put(c, "a", "1"); }).ok());
  EXPECT_EQ(store_->stats().transactions, before.transactions + 1);
  EXPECT_EQ(store_->stats().commits, before.commits + 1);
  std::string v;
  Status s = store_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * q, c.Prepare("SELECT v FROM kv WHERE k = ?1"));
    q->Bind(1, "a");
    TARN_ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) return NotFound("a");
    v = std::string(q->Text(0));
    return Status::OK();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(v, "1");
}

TEST_F(MetaStoreTest, FailingCallbackRollsBackItsOwnChangesAndReturnsItsError) {
  Status s = store_->Write([](Conn& c) -> Status {
    TARN_RETURN_IF_ERROR(Put(c, "x", "1"));
    return InvalidArgument("changed my mind");
  });
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "changed my mind");
  EXPECT_TRUE(Keys(*store_).empty());
}

TEST_F(MetaStoreTest, FailingCallbackInAGroupRollsBackOnlyItsOwnChanges) {
  // The first write holds the writer thread so that the others pile up in
  // the queue and are taken as one group.
  std::atomic<bool> blocker_running{false};
  std::atomic<bool> release{false};
  std::thread blocker([&] {
    Status s = store_->Write([&](Conn& c) {
      blocker_running = true;
      while (!release) std::this_thread::sleep_for(1ms);
      return Put(c, "blocker", "");
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
  });
  while (!blocker_running) std::this_thread::sleep_for(1ms);
  const MetaStore::Stats before = store_->stats();

  constexpr int kWriters = 8;
  constexpr int kFailing = 3;
  std::vector<Status> results(kWriters);
  std::atomic<int> started{0};
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      ++started;
      results[i] = store_->Write([i](Conn& c) -> Status {
        TARN_RETURN_IF_ERROR(Put(c, "k" + std::to_string(i), ""));
        if (i == kFailing) return FailedPrecondition("writer 3 fails");
        return Status::OK();
      });
    });
  }
  while (started < kWriters) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(300ms);  // let them reach the queue
  release = true;
  blocker.join();
  for (auto& t : writers) t.join();

  for (int i = 0; i < kWriters; ++i) {
    if (i == kFailing) {
      EXPECT_EQ(results[i].code(), Code::kFailedPrecondition);
    } else {
      EXPECT_TRUE(results[i].ok()) << i << ": " << results[i].ToString();
    }
  }
  std::set<std::string> expected{"blocker"};
  for (int i = 0; i < kWriters; ++i) {
    if (i != kFailing) expected.insert("k" + std::to_string(i));
  }
  EXPECT_EQ(Keys(*store_), expected);
  const MetaStore::Stats after = store_->stats();
  EXPECT_EQ(after.transactions - before.transactions, static_cast<uint64_t>(kWriters));
  EXPECT_LT(after.commits - before.commits, after.transactions - before.transactions);
}

TEST_F(MetaStoreTest, ConcurrentWritersAreGroupCommitted) {
  store_.reset();
  store_ = OpenStore(path_, /*synchronous=*/true);
  ASSERT_NE(store_, nullptr);
  const MetaStore::Stats before = store_->stats();
  constexpr int kThreads = 16;
  constexpr int kWrites = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        std::string key = std::to_string(t) + "/" + std::to_string(i);
        if (!store_->Write([&](Conn& c) { return Put(c, key, "v"); }).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(CountIn(*store_, "kv"), kThreads * kWrites);
  const MetaStore::Stats after = store_->stats();
  const uint64_t transactions = after.transactions - before.transactions;
  const uint64_t commits = after.commits - before.commits;
  EXPECT_EQ(transactions, static_cast<uint64_t>(kThreads * kWrites));
  EXPECT_LT(commits, transactions);
  std::printf("group commit: %llu transactions in %llu commits\n",
              static_cast<unsigned long long>(transactions),
              static_cast<unsigned long long>(commits));
}

TEST_F(MetaStoreTest, DataSurvivesReopen) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(store_->Write([i](Conn& c) { return Put(c, "k" + std::to_string(i), "v"); }).ok());
  }
  store_.reset();
  store_ = OpenStore(path_);
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(CountIn(*store_, "kv"), 10);
}

TEST_F(MetaStoreTest, ReadSeesOneSnapshotForItsWholeCallback) {
  ASSERT_TRUE(store_->Write([](Conn& c) { return Put(c, "a", ""); }).ok());
  int64_t first = -1;
  int64_t second = -1;
  Status s = store_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(first, Count(c, "kv"));
    // A write commits meanwhile (WAL lets it pass the open snapshot).
    TARN_RETURN_IF_ERROR(store_->Write([](Conn& w) { return Put(w, "b", ""); }));
    TARN_ASSIGN_OR_RETURN(second, Count(c, "kv"));
    return Status::OK();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
  EXPECT_EQ(CountIn(*store_, "kv"), 2);
}

TEST_F(MetaStoreTest, ReadConnectionsRefuseWrites) {
  Status s = store_->Read([](Conn& c) { return Put(c, "nope", ""); });
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(Keys(*store_).empty());
}

TEST_F(MetaStoreTest, UniqueViolationIsAlreadyExists) {
  ASSERT_TRUE(store_->Write([](Conn& c) { return Put(c, "dup", "1"); }).ok());
  Status s = store_->Write([](Conn& c) { return Put(c, "dup", "2"); });
  EXPECT_EQ(s.code(), Code::kAlreadyExists) << s.ToString();
  // Not a commit failure: the store goes on.
  EXPECT_TRUE(store_->Write([](Conn& c) { return Put(c, "other", "1"); }).ok());
}

TEST_F(MetaStoreTest, DeferredForeignKeyViolationFailsOnlyItsCaller) {
  ASSERT_TRUE(store_
                  ->Migrate("fk", {"CREATE TABLE parent (id INTEGER PRIMARY KEY);"
                                   "CREATE TABLE child (pid INTEGER REFERENCES parent(id)"
                                   "  DEFERRABLE INITIALLY DEFERRED)"})
                  .ok());
  Status s = store_->Write([](Conn& c) { return c.ExecScript("INSERT INTO child VALUES (42)"); });
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(CountIn(*store_, "child"), 0);
  // Satisfied by the end of the callback: fine.
  s = store_->Write([](Conn& c) {
    return c.ExecScript("INSERT INTO child VALUES (7); INSERT INTO parent VALUES (7);");
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(store_->Write([](Conn& c) { return Put(c, "still", "writable"); }).ok());
}

TEST_F(MetaStoreTest, ImmediateForeignKeysAreEnforced) {
  ASSERT_TRUE(store_
                  ->Migrate("fk", {"CREATE TABLE parent (id INTEGER PRIMARY KEY);"
                                   "CREATE TABLE child (pid INTEGER REFERENCES parent(id))"})
                  .ok());
  Status s = store_->Write([](Conn& c) { return c.ExecScript("INSERT INTO child VALUES (1)"); });
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.ToString();
}

TEST_F(MetaStoreTest, WriteFromInsideAWriteCallbackIsRejected) {
  Status inner;
  Status outer = store_->Write([&](Conn&) {
    inner = store_->Write([](Conn&) { return Status::OK(); });
    return Status::OK();
  });
  EXPECT_TRUE(outer.ok());
  EXPECT_EQ(inner.code(), Code::kInternal);
}

TEST_F(MetaStoreTest, ExceptionInCallbackBecomesInternalAndTheStoreGoesOn) {
  Status s = store_->Write([](Conn& c) -> Status {
    TARN_RETURN_IF_ERROR(Put(c, "thrown", ""));
    throw std::runtime_error("boom");
  });
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_NE(s.message().find("boom"), std::string::npos);
  s = store_->Read([](Conn&) -> Status { throw std::runtime_error("read boom"); });
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_TRUE(store_->Write([](Conn& c) { return Put(c, "after", ""); }).ok());
  EXPECT_EQ(Keys(*store_), std::set<std::string>{"after"});
}

// ---- statements ----

TEST_F(MetaStoreTest, PrepareCachesByTextAndReturnsAResetStatement) {
  Status s = store_->Write([](Conn& c) -> Status {
    TARN_RETURN_IF_ERROR(Put(c, "a", "1"));
    TARN_RETURN_IF_ERROR(Put(c, "b", "2"));
    TARN_ASSIGN_OR_RETURN(Stmt * q1, c.Prepare("SELECT k FROM kv ORDER BY k"));
    TARN_ASSIGN_OR_RETURN(bool row, q1->Step());
    EXPECT_TRUE(row);
    EXPECT_EQ(q1->Text(0), "a");
    // Same text, same statement, rewound.
    TARN_ASSIGN_OR_RETURN(Stmt * q2, c.Prepare("SELECT k FROM kv ORDER BY k"));
    EXPECT_EQ(q1, q2);
    TARN_ASSIGN_OR_RETURN(row, q2->Step());
    EXPECT_TRUE(row);
    EXPECT_EQ(q2->Text(0), "a");
    EXPECT_EQ(c.Changes(), 1);
    return Status::OK();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(MetaStoreTest, PrepareTakesExactlyOneStatement) {
  Status s = store_->Read([](Conn& c) { return c.Prepare("SELECT 1; SELECT 2").status(); });
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  s = store_->Read([](Conn& c) { return c.Prepare("SELECT 1;  ").status(); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  s = store_->Read([](Conn& c) { return c.Prepare("SELEC 1").status(); });
  EXPECT_EQ(s.code(), Code::kInternal);
}

TEST_F(MetaStoreTest, BindToAMissingParameterFailsAtStep) {
  Status s = store_->Write([](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * q, c.Prepare("INSERT INTO kv(k) VALUES(?1)"));
    q->Bind(1, "k").Bind(5, "no such parameter");
    return q->Exec();
  });
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(Keys(*store_).empty());
}

TEST_F(MetaStoreTest, NullTextIsEmptyAndBlobsKeepEmbeddedZeros) {
  ASSERT_TRUE(store_
                  ->Migrate("types", {"CREATE TABLE t (id INTEGER, s TEXT, b BLOB, n INTEGER, "
                                      "d REAL)"})
                  .ok());
  const std::string bytes("a\0b\0", 4);
  Status s = store_->Write([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * ins, c.Prepare("INSERT INTO t VALUES(?1, ?2, ?3, ?4, ?5)"));
    TARN_RETURN_IF_ERROR(ins->Bind(1, 1)
                             .BindNull(2)
                             .BindBlob(3, bytes)
                             .Bind(4, int64_t{1} << 40)
                             .BindDouble(5, 2.5)
                             .Exec());
    TARN_ASSIGN_OR_RETURN(ins, c.Prepare("INSERT INTO t VALUES(?1, ?2, ?3, ?4, ?5)"));
    // Empty (not NULL) text and blob, from default-constructed views.
    return ins->Bind(1, 2).Bind(2, std::string_view()).BindBlob(3, std::string_view()).Exec();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  s = store_->Read([&](Conn& c) -> Status {
    TARN_ASSIGN_OR_RETURN(Stmt * q, c.Prepare("SELECT s, b, n, d FROM t ORDER BY id"));
    TARN_ASSIGN_OR_RETURN(bool row, q->Step());
    EXPECT_TRUE(row);
    EXPECT_TRUE(q->IsNull(0));
    EXPECT_EQ(q->Text(0), "");
    EXPECT_EQ(q->Blob(1), bytes);
    EXPECT_EQ(q->Int64(2), int64_t{1} << 40);
    EXPECT_EQ(q->Double(3), 2.5);
    TARN_ASSIGN_OR_RETURN(row, q->Step());
    EXPECT_TRUE(row);
    EXPECT_FALSE(q->IsNull(0));
    EXPECT_FALSE(q->IsNull(1));
    EXPECT_EQ(q->Text(0), "");
    EXPECT_EQ(q->Blob(1), "");
    TARN_ASSIGN_OR_RETURN(row, q->Step());
    EXPECT_FALSE(row);
    return Status::OK();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(MetaStoreOpen, MissingDirectoryIsAnIOError) {
  MetaStore::Options options;
  options.path = "/nonexistent-dir-for-tarn-tests/meta.db";
  auto store = MetaStore::Open(options);
  EXPECT_EQ(store.status().code(), Code::kIOError);
}

// ---- sticky error ----
//
// FaultInjectionVfs (storage/fault_injection_vfs.h) fails SQLite's xSync or
// xWrite on demand: the one way to make COMMIT itself fail, as a dying or
// full disk does.

TEST(MetaStoreStickyError, FailedCommitRefusesLaterWritesButReadsGoOn) {
  TestTempDir dir;
  const std::string path = dir.Join("meta.db");
  FaultInjectionVfs vfs;
  {
    auto store = OpenStore(path, /*synchronous=*/true);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Migrate("test", kKvSchema).ok());
    ASSERT_TRUE(store->Write([](Conn& c) { return Put(c, "before", ""); }).ok());

    vfs.SetSyncFailure(true);
    Status failed = store->Write([](Conn& c) { return Put(c, "lost", ""); });
    vfs.SetSyncFailure(false);
    EXPECT_EQ(failed.code(), Code::kIOError) << failed.ToString();

    // The disk "works" again, but the store cannot know what it lost.
    Status refused = store->Write([](Conn& c) { return Put(c, "refused", ""); });
    EXPECT_EQ(refused.code(), failed.code());
    EXPECT_EQ(refused.message(), failed.message());
    EXPECT_EQ(Keys(*store), std::set<std::string>{"before"});
  }
  // Reopening recovers.
  auto store = OpenStore(path, /*synchronous=*/true);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->Write([](Conn& c) { return Put(c, "after", ""); }).ok());
  EXPECT_EQ(Keys(*store), (std::set<std::string>{"after", "before"}));
}

// A write that fails for want of space lost nothing the OS had accepted (the
// bytes never reached the page cache), so the store goes on once there is
// room again: disk full is not sticky.
TEST(MetaStoreStickyError, FullDiskFailsTheCommitButIsNotSticky) {
  TestTempDir dir;
  FaultInjectionVfs vfs;
  auto store = OpenStore(dir.Join("meta.db"), /*synchronous=*/true);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Migrate("test", kKvSchema).ok());
  ASSERT_TRUE(store->Write([](Conn& c) { return Put(c, "before", ""); }).ok());

  vfs.SetNoSpace(true);
  Status full = store->Write([](Conn& c) { return Put(c, "full", std::string(64 * 1024, 'x')); });
  EXPECT_EQ(full.code(), Code::kResourceExhausted) << full.ToString();
  EXPECT_GT(vfs.injected_faults(), 0u);
  EXPECT_EQ(Keys(*store), std::set<std::string>{"before"});  // reads go on meanwhile
  vfs.SetNoSpace(false);

  EXPECT_TRUE(store->Write([](Conn& c) { return Put(c, "after", ""); }).ok());
  EXPECT_EQ(Keys(*store), (std::set<std::string>{"after", "before"}));
}

// A write error that is not about space (EIO) is treated like a failed
// fsync: the store cannot tell what reached the disk, so it refuses writes.
TEST(MetaStoreStickyError, WriteErrorAtCommitIsSticky) {
  TestTempDir dir;
  FaultInjectionVfs vfs;
  auto store = OpenStore(dir.Join("meta.db"), /*synchronous=*/true);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Migrate("test", kKvSchema).ok());
  vfs.SetWriteError(true);
  Status failed = store->Write([](Conn& c) { return Put(c, "lost", ""); });
  vfs.SetWriteError(false);
  EXPECT_EQ(failed.code(), Code::kIOError) << failed.ToString();
  EXPECT_EQ(store->Write([](Conn& c) { return Put(c, "refused", ""); }).code(), Code::kIOError);
  EXPECT_TRUE(Keys(*store).empty());
}

}  // namespace
}  // namespace tarn::storage
