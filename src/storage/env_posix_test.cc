// The Env conformance suite runs against every implementation (the POSIX env
// and the fault-injection env with no faults switched on), then the
// fault-injection switches are tested one by one.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "storage/env.h"
#include "storage/fault_injection_env.h"
#include "storage/test_temp_dir.h"

namespace tarn::storage {
namespace {

std::string ReadAll(Env* env, const std::string& path) {
  auto f = env->NewRandomAccessFile(path);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  if (!f.ok()) return {};
  std::string out((*f)->size(), '\0');
  auto n = (*f)->Read(0, out.size(), out.data());
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  out.resize(n.ok() ? *n : 0);
  return out;
}

void WriteFile(Env* env, const std::string& path, std::string_view data) {
  auto f = env->NewWritableFile(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_TRUE((*f)->Append(data).ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Close().ok());
}

struct EnvFactory {
  const char* name;
  std::function<std::unique_ptr<Env>()> make;  // null: Env::Default()
};

class EnvConformance : public ::testing::TestWithParam<EnvFactory> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    if (GetParam().make) {
      owned_ = GetParam().make();
      env_ = owned_.get();
    } else {
      env_ = Env::Default();
    }
  }

  TestTempDir dir_;
  std::unique_ptr<Env> owned_;
  Env* env_ = nullptr;
};

TEST_P(EnvConformance, AppendedBytesReadBackAtAnyOffset) {
  const std::string path = dir_.Join("f");
  auto w = env_->NewWritableFile(path);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*w)->Append("hello ").ok());
  ASSERT_TRUE((*w)->Append("world").ok());
  EXPECT_EQ((*w)->size(), 11u);
  ASSERT_TRUE((*w)->Sync().ok());
  ASSERT_TRUE((*w)->Close().ok());

  auto r = env_->NewRandomAccessFile(path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->size(), 11u);
  char buf[16];
  auto n = (*r)->Read(6, 5, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string_view(buf, *n), "world");
}

TEST_P(EnvConformance, ReadAcrossEndOfFileReturnsFewerBytes) {
  const std::string path = dir_.Join("f");
  WriteFile(env_, path, "abcdef");
  auto r = env_->NewRandomAccessFile(path);
  ASSERT_TRUE(r.ok());
  char buf[16];
  auto n = (*r)->Read(4, 10, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string_view(buf, *n), "ef");
  n = (*r)->Read(100, 10, buf);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

TEST_P(EnvConformance, LargeAppendRoundTrips) {
  std::string data(8 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 + i / 4096);
  const std::string path = dir_.Join("big");
  WriteFile(env_, path, data);
  EXPECT_EQ(ReadAll(env_, path), data);
}

TEST_P(EnvConformance, NewWritableFileTruncatesExistingFile) {
  const std::string path = dir_.Join("f");
  WriteFile(env_, path, "a long first version");
  WriteFile(env_, path, "v2");
  EXPECT_EQ(ReadAll(env_, path), "v2");
}

TEST_P(EnvConformance, AppendableFileContinuesAtItsEnd) {
  const std::string path = dir_.Join("f");
  WriteFile(env_, path, "abc");
  auto w = env_->NewAppendableFile(path);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->size(), 3u);
  ASSERT_TRUE((*w)->Append("def").ok());
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_EQ(ReadAll(env_, path), "abcdef");
}

TEST_P(EnvConformance, AppendableFileIsCreatedWhenMissing) {
  const std::string path = dir_.Join("new");
  auto w = env_->NewAppendableFile(path);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->size(), 0u);
  EXPECT_TRUE(env_->FileExists(path));
}

TEST_P(EnvConformance, CloseIsIdempotentAndAppendAfterCloseFails) {
  auto w = env_->NewWritableFile(dir_.Join("f"));
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE((*w)->Close().ok());
  EXPECT_TRUE((*w)->Close().ok());
  EXPECT_EQ((*w)->Append("x").code(), Code::kFailedPrecondition);
}

TEST_P(EnvConformance, MissingPathsAreNotFound) {
  const std::string missing = dir_.Join("missing");
  EXPECT_FALSE(env_->FileExists(missing));
  EXPECT_EQ(env_->NewRandomAccessFile(missing).status().code(), Code::kNotFound);
  EXPECT_EQ(env_->GetFileSize(missing).status().code(), Code::kNotFound);
  EXPECT_EQ(env_->DeleteFile(missing).code(), Code::kNotFound);
  EXPECT_EQ(env_->IsDirectory(missing).status().code(), Code::kNotFound);
  EXPECT_EQ(env_->ListDir(missing).status().code(), Code::kNotFound);
  EXPECT_EQ(env_->NewWritableFile(dir_.Join("no/such/dir/f")).status().code(), Code::kNotFound);
}

TEST_P(EnvConformance, RenameReplacesTheTarget) {
  WriteFile(env_, dir_.Join("a"), "new");
  WriteFile(env_, dir_.Join("b"), "old");
  ASSERT_TRUE(env_->RenameFile(dir_.Join("a"), dir_.Join("b")).ok());
  EXPECT_FALSE(env_->FileExists(dir_.Join("a")));
  EXPECT_EQ(ReadAll(env_, dir_.Join("b")), "new");
  EXPECT_TRUE(env_->SyncDir(dir_.path()).ok());
}

TEST_P(EnvConformance, TruncateFileShrinksIt) {
  const std::string path = dir_.Join("f");
  WriteFile(env_, path, "0123456789");
  ASSERT_TRUE(env_->TruncateFile(path, 4).ok());
  auto size = env_->GetFileSize(path);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 4u);
  EXPECT_EQ(ReadAll(env_, path), "0123");
}

TEST_P(EnvConformance, CreateDirsMakesParentsAndIsIdempotent) {
  const std::string deep = dir_.Join("a/b/c/");
  ASSERT_TRUE(env_->CreateDirs(deep).ok());
  ASSERT_TRUE(env_->CreateDirs(deep).ok());
  auto is_dir = env_->IsDirectory(dir_.Join("a/b/c"));
  ASSERT_TRUE(is_dir.ok());
  EXPECT_TRUE(*is_dir);
  EXPECT_TRUE(env_->SyncDir(dir_.Join("a/b")).ok());
}

TEST_P(EnvConformance, CreateDirsOverAFileFails) {
  WriteFile(env_, dir_.Join("file"), "x");
  EXPECT_FALSE(env_->CreateDirs(dir_.Join("file")).ok());
  EXPECT_FALSE(env_->CreateDirs(dir_.Join("file/sub")).ok());
}

TEST_P(EnvConformance, DeleteDirRefusesANonEmptyDirectory) {
  ASSERT_TRUE(env_->CreateDirs(dir_.Join("d")).ok());
  WriteFile(env_, dir_.Join("d/f"), "x");
  EXPECT_FALSE(env_->DeleteDir(dir_.Join("d")).ok());
  ASSERT_TRUE(env_->DeleteFile(dir_.Join("d/f")).ok());
  EXPECT_TRUE(env_->DeleteDir(dir_.Join("d")).ok());
  EXPECT_FALSE(env_->FileExists(dir_.Join("d")));
}

TEST_P(EnvConformance, ListDirReturnsSortedNamesWithoutDots) {
  WriteFile(env_, dir_.Join("b"), "");
  WriteFile(env_, dir_.Join("a"), "");
  ASSERT_TRUE(env_->CreateDirs(dir_.Join("c")).ok());
  auto names = env_->ListDir(dir_.path());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b", "c"}));
}

TEST_P(EnvConformance, SyncDirOfMissingDirectoryFails) {
  EXPECT_EQ(env_->SyncDir(dir_.Join("missing")).code(), Code::kNotFound);
}

TEST_P(EnvConformance, OpeningADirectoryForReadingFails) {
  EXPECT_FALSE(env_->NewRandomAccessFile(dir_.path()).ok());
}

INSTANTIATE_TEST_SUITE_P(
    AllEnvs, EnvConformance,
    ::testing::Values(EnvFactory{"Posix", nullptr},
                      EnvFactory{
                          "FaultInjectionNoFaults",
                          [] { return std::make_unique<FaultInjectionEnv>(Env::Default()); }}),
    [](const ::testing::TestParamInfo<EnvFactory>& info) { return std::string(info.param.name); });

TEST(PosixEnv, RandomAccessFileExposesItsDescriptor) {
  TestTempDir dir;
  WriteFile(Env::Default(), dir.Join("f"), "x");
  auto r = Env::Default()->NewRandomAccessFile(dir.Join("f"));
  ASSERT_TRUE(r.ok());
  EXPECT_GE((*r)->fd(), 0);
}

// ---- FaultInjectionEnv switches ----

class FaultInjection : public ::testing::Test {
 protected:
  TestTempDir dir_;
  FaultInjectionEnv env_{Env::Default()};
};

TEST_F(FaultInjection, FailNextSyncFailsExactlyOnce) {
  auto w = env_.NewWritableFile(dir_.Join("f"));
  ASSERT_TRUE(w.ok());
  env_.FailNextSync();
  EXPECT_EQ((*w)->Sync().code(), Code::kIOError);
  EXPECT_TRUE((*w)->Sync().ok());
  EXPECT_EQ(env_.injected_faults(), 1u);
}

TEST_F(FaultInjection, SyncFailureLastsUntilSwitchedOff) {
  auto w = env_.NewWritableFile(dir_.Join("f"));
  ASSERT_TRUE(w.ok());
  env_.SetSyncFailure(true);
  EXPECT_EQ((*w)->Sync().code(), Code::kIOError);
  EXPECT_EQ((*w)->Sync().code(), Code::kIOError);
  env_.SetSyncFailure(false);
  EXPECT_TRUE((*w)->Sync().ok());
}

TEST_F(FaultInjection, ShortWriteLeavesHalfTheDataAndFails) {
  auto w = env_.NewWritableFile(dir_.Join("f"));
  ASSERT_TRUE(w.ok());
  env_.SetShortWrite(true);
  EXPECT_EQ((*w)->Append("12345678").code(), Code::kIOError);
  env_.SetShortWrite(false);
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_EQ(ReadAll(&env_, dir_.Join("f")), "1234");
}

TEST_F(FaultInjection, NoSpaceIsResourceExhaustedAndWritesNothing) {
  auto w = env_.NewWritableFile(dir_.Join("f"));
  ASSERT_TRUE(w.ok());
  env_.SetNoSpace(true);
  EXPECT_EQ((*w)->Append("data").code(), Code::kResourceExhausted);
  EXPECT_EQ((*w)->size(), 0u);
  env_.ClearFaults();
  EXPECT_TRUE((*w)->Append("data").ok());
}

TEST_F(FaultInjection, ReadErrorAppliesToFilesOpenedBefore) {
  WriteFile(&env_, dir_.Join("f"), "abc");
  auto r = env_.NewRandomAccessFile(dir_.Join("f"));
  ASSERT_TRUE(r.ok());
  env_.SetReadError(true);
  char buf[4];
  EXPECT_EQ((*r)->Read(0, 3, buf).status().code(), Code::kIOError);
  env_.SetReadError(false);
  EXPECT_TRUE((*r)->Read(0, 3, buf).ok());
}

TEST_F(FaultInjection, DirSyncAndRenameFailuresLeaveTheFileSystemAlone) {
  WriteFile(&env_, dir_.Join("a"), "x");
  env_.SetRenameFailure(true);
  EXPECT_EQ(env_.RenameFile(dir_.Join("a"), dir_.Join("b")).code(), Code::kIOError);
  EXPECT_TRUE(env_.FileExists(dir_.Join("a")));
  env_.SetDirSyncFailure(true);
  EXPECT_EQ(env_.SyncDir(dir_.path()).code(), Code::kIOError);
  env_.ClearFaults();
  EXPECT_TRUE(env_.SyncDir(dir_.path()).ok());
}

TEST_F(FaultInjection, FilesOutliveTheEnv) {
  std::unique_ptr<WritableFile> w;
  {
    FaultInjectionEnv env(Env::Default());
    auto f = env.NewWritableFile(dir_.Join("f"));
    ASSERT_TRUE(f.ok());
    w = std::move(*f);
  }
  EXPECT_TRUE(w->Append("x").ok());
  EXPECT_TRUE(w->Sync().ok());
}

}  // namespace
}  // namespace tarn::storage
