#include "storage/blob_store.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "storage/fault_injection_env.h"
#include "storage/test_temp_dir.h"

namespace tarn::storage {
namespace {

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto s = BlobStore::Open(&env_, dir_.path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }

  BlobId Put(std::string_view data) {
    auto w = store_->NewWriter();
    EXPECT_TRUE(w.ok());
    if (!w.ok()) return BlobId();
    EXPECT_TRUE((*w)->Append(data).ok());
    auto id = (*w)->Commit();
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : BlobId();
  }

  std::string Get(const BlobId& id) {
    auto f = store_->Open(id);
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    if (!f.ok()) return {};
    std::string out((*f)->size(), '\0');
    auto n = (*f)->Read(0, out.size(), out.data());
    EXPECT_TRUE(n.ok());
    return out;
  }

  std::vector<std::string> TmpEntries() {
    auto names = Env::Default()->ListDir(dir_.Join("tmp"));
    EXPECT_TRUE(names.ok());
    return names.ok() ? *names : std::vector<std::string>{};
  }

  // Every committed blob file under blobs/.
  std::set<std::string> BlobFiles() {
    std::set<std::string> out;
    auto list = [](const std::string& dir) {
      auto names = Env::Default()->ListDir(dir);
      EXPECT_TRUE(names.ok()) << names.status().ToString();
      return names.ok() ? *names : std::vector<std::string>{};
    };
    for (const auto& a : list(dir_.Join("blobs"))) {
      if (a.size() != 2) continue;
      for (const auto& b : list(dir_.Join("blobs/" + a))) {
        for (const auto& f : list(dir_.Join("blobs/" + a + "/" + b))) out.insert(f);
      }
    }
    return out;
  }

  TestTempDir dir_;
  FaultInjectionEnv env_{Env::Default()};
  std::unique_ptr<BlobStore> store_;
};

TEST(BlobId, NewIsThirtyTwoLowercaseHexAndParses) {
  BlobId id = BlobId::New();
  ASSERT_EQ(id.str().size(), 32u);
  EXPECT_EQ(BlobId::Parse(id.str()), id);
  EXPECT_NE(BlobId::New(), id);
}

TEST(BlobId, ParseRejectsWrongLengthAndUppercase) {
  EXPECT_TRUE(BlobId::Parse("").empty());
  EXPECT_TRUE(BlobId::Parse("abc").empty());
  EXPECT_TRUE(BlobId::Parse("0123456789ABCDEF0123456789abcdef").empty());
  EXPECT_TRUE(BlobId::Parse("0123456789abcdef0123456789abcdeg").empty());
  EXPECT_FALSE(BlobId::Parse("0123456789abcdef0123456789abcdef").empty());
}

TEST_F(BlobStoreTest, OpenCreatesBlobsAndTmp) {
  EXPECT_TRUE(*Env::Default()->IsDirectory(dir_.Join("blobs")));
  EXPECT_TRUE(*Env::Default()->IsDirectory(dir_.Join("tmp")));
}

TEST_F(BlobStoreTest, CommittedBlobReadsBackByRange) {
  auto w = store_->NewWriter();
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append("hello, ").ok());
  ASSERT_TRUE((*w)->Append("blob world").ok());
  EXPECT_EQ((*w)->size(), 17u);
  auto id = (*w)->Commit();
  ASSERT_TRUE(id.ok()) << id.status().ToString();

  auto f = store_->Open(*id);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->size(), 17u);
  char buf[32];
  auto n = (*f)->Read(7, 4, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string_view(buf, *n), "blob");
  n = (*f)->Read(12, 100, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string_view(buf, *n), "world");
}

TEST_F(BlobStoreTest, CommitRenamesIntoShardDirectoryAndEmptiesTmp) {
  BlobId id = Put("x");
  const std::string& s = id.str();
  EXPECT_EQ(store_->PathOf(id),
            dir_.path() + "/blobs/" + s.substr(0, 2) + "/" + s.substr(2, 2) + "/" + s);
  EXPECT_TRUE(Env::Default()->FileExists(store_->PathOf(id)));
  EXPECT_TRUE(TmpEntries().empty());
}

TEST_F(BlobStoreTest, EmptyBlobCommits) {
  BlobId id = Put("");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(Get(id), "");
}

TEST_F(BlobStoreTest, AbortLeavesNothing) {
  auto w = store_->NewWriter();
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append("doomed").ok());
  EXPECT_EQ(TmpEntries().size(), 1u);
  (*w)->Abort();
  EXPECT_TRUE(TmpEntries().empty());
  EXPECT_TRUE(BlobFiles().empty());
  EXPECT_FALSE((*w)->Commit().ok());
  EXPECT_FALSE((*w)->Append("more").ok());
}

TEST_F(BlobStoreTest, DestructorWithoutCommitLeavesNothingInTmp) {
  {
    auto w = store_->NewWriter();
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append("abandoned").ok());
  }
  EXPECT_TRUE(TmpEntries().empty());
  EXPECT_TRUE(BlobFiles().empty());
}

TEST_F(BlobStoreTest, CommitTwiceFailsAndKeepsTheBlob) {
  auto w = store_->NewWriter();
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append("once").ok());
  auto id = (*w)->Commit();
  ASSERT_TRUE(id.ok());
  EXPECT_EQ((*w)->Commit().status().code(), Code::kFailedPrecondition);
  (*w)->Abort();
  EXPECT_EQ(Get(*id), "once");
}

TEST_F(BlobStoreTest, OpenMissingBlobIsNotFound) {
  EXPECT_EQ(store_->Open(BlobId::New()).status().code(), Code::kNotFound);
}

TEST_F(BlobStoreTest, DeleteRemovesBlobAndDeletingAgainIsOk) {
  BlobId id = Put("bye");
  ASSERT_TRUE(store_->Delete(id).ok());
  EXPECT_EQ(store_->Open(id).status().code(), Code::kNotFound);
  EXPECT_TRUE(store_->Delete(id).ok());
}

TEST_F(BlobStoreTest, SweepRemovesTmpFilesAndNonLiveBlobsButKeepsLiveOnes) {
  BlobId live1 = Put("live one");
  BlobId live2 = Put("live two");
  BlobId dead1 = Put("dead one");
  BlobId dead2 = Put("dead two");
  // An upload in flight when the process died, and a directory owned by
  // someone else in tmp/.
  {
    auto f = Env::Default()->NewWritableFile(dir_.Join("tmp/" + BlobId::New().str()));
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append("partial").ok());
  }
  ASSERT_TRUE(Env::Default()->CreateDirs(dir_.Join("tmp/duckdb")).ok());
  // A file under blobs/ that is not a blob: left alone.
  {
    auto f = Env::Default()->NewWritableFile(dir_.Join("blobs/README"));
    ASSERT_TRUE(f.ok());
  }

  std::set<BlobId> live{live1, live2};
  auto removed = store_->SweepOrphans([&](const BlobId& id) { return live.count(id) > 0; });
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 2u);
  EXPECT_EQ(TmpEntries(), std::vector<std::string>{"duckdb"});
  EXPECT_EQ(Get(live1), "live one");
  EXPECT_EQ(Get(live2), "live two");
  EXPECT_EQ(store_->Open(dead1).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->Open(dead2).status().code(), Code::kNotFound);
  EXPECT_TRUE(Env::Default()->FileExists(dir_.Join("blobs/README")));

  // A second sweep with the same liveness finds nothing more.
  removed = store_->SweepOrphans([&](const BlobId& id) { return live.count(id) > 0; });
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 0u);
}

TEST_F(BlobStoreTest, CommitWithFileSyncFailureReturnsErrorAndLeavesNoBlob) {
  auto w = store_->NewWriter();
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append("not durable").ok());
  env_.FailNextSync();
  auto id = (*w)->Commit();
  EXPECT_EQ(id.status().code(), Code::kIOError);
  EXPECT_TRUE(BlobFiles().empty());
  EXPECT_TRUE(TmpEntries().empty());
}

TEST_F(BlobStoreTest, CommitWithDirectorySyncFailureReturnsErrorAndLeavesNoBlob) {
  auto w = store_->NewWriter();
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append("rename not durable").ok());
  env_.SetDirSyncFailure(true);
  auto id = (*w)->Commit();
  env_.ClearFaults();
  EXPECT_EQ(id.status().code(), Code::kIOError);
  EXPECT_TRUE(BlobFiles().empty());
  EXPECT_TRUE(TmpEntries().empty());
  // The store keeps working once the disk does.
  BlobId ok = Put("after");
  EXPECT_EQ(Get(ok), "after");
}

TEST_F(BlobStoreTest, CommitWithRenameFailureLeavesNothing) {
  auto w = store_->NewWriter();
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append("x").ok());
  env_.SetRenameFailure(true);
  EXPECT_FALSE((*w)->Commit().ok());
  env_.ClearFaults();
  EXPECT_TRUE(BlobFiles().empty());
  EXPECT_TRUE(TmpEntries().empty());
}

TEST_F(BlobStoreTest, AppendOnFullDiskIsResourceExhaustedAndCommitRepeatsIt) {
  auto w = store_->NewWriter();
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append("some").ok());
  env_.SetNoSpace(true);
  EXPECT_EQ((*w)->Append("more").code(), Code::kResourceExhausted);
  env_.ClearFaults();
  // A writer that lost bytes never commits, even once the disk has room.
  EXPECT_EQ((*w)->Append("again").code(), Code::kResourceExhausted);
  EXPECT_EQ((*w)->Commit().status().code(), Code::kResourceExhausted);
  EXPECT_TRUE(BlobFiles().empty());
  EXPECT_TRUE(TmpEntries().empty());
}

TEST_F(BlobStoreTest, ShortWriteBreaksTheWriter) {
  auto w = store_->NewWriter();
  ASSERT_TRUE(w.ok());
  env_.SetShortWrite(true);
  EXPECT_EQ((*w)->Append("0123456789").code(), Code::kIOError);
  env_.ClearFaults();
  EXPECT_FALSE((*w)->Commit().ok());
  EXPECT_TRUE(TmpEntries().empty());
}

TEST_F(BlobStoreTest, ReadErrorSurfacesAsIOError) {
  BlobId id = Put("abc");
  auto f = store_->Open(id);
  ASSERT_TRUE(f.ok());
  env_.SetReadError(true);
  char buf[3];
  EXPECT_EQ((*f)->Read(0, 3, buf).status().code(), Code::kIOError);
}

TEST_F(BlobStoreTest, ConcurrentWritersAllCommit) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  std::vector<std::vector<BlobId>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto w = store_->NewWriter();
        if (!w.ok()) return;
        if (!(*w)->Append("t" + std::to_string(t) + "i" + std::to_string(i)).ok()) return;
        auto id = (*w)->Commit();
        if (id.ok()) ids[t].push_back(*id);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(ids[t].size(), static_cast<size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) {
      EXPECT_EQ(Get(ids[t][i]), "t" + std::to_string(t) + "i" + std::to_string(i));
    }
  }
  EXPECT_TRUE(TmpEntries().empty());
}

TEST_F(BlobStoreTest, ReopenedStoreReadsEarlierBlobs) {
  BlobId id = Put("persisted");
  store_.reset();
  auto s = BlobStore::Open(Env::Default(), dir_.path() + "/");
  ASSERT_TRUE(s.ok());
  auto f = (*s)->Open(id);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->size(), 9u);
}

}  // namespace
}  // namespace tarn::storage
