#include "query/query_loader.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace tarn::query {
namespace {

// This test is built into the same directory as libtarn_query.so, so the
// loader finds it the way the tarn binary does (beside /proc/self/exe).

TEST(QueryLoader, ModulePathIsBesideTheExecutable) {
  if (std::getenv("TARN_QUERY_MODULE") != nullptr) GTEST_SKIP() << "TARN_QUERY_MODULE is set";
  Result<std::string> path = QueryModulePath();
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(std::filesystem::path(*path).filename(), "libtarn_query.so");
  EXPECT_EQ(std::filesystem::path(*path).parent_path(),
            std::filesystem::read_symlink("/proc/self/exe").parent_path());
}

// The module is loaded once per process, so the missing case runs in a
// fresh child process.
TEST(QueryLoaderDeathTest, MissingModuleIsNotFoundNamingThePath) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ::setenv("TARN_QUERY_MODULE", "/nonexistent/libtarn_query.so", 1);
        Result<QueryEngine*> engine = LoadQueryEngine(QueryConfig{});
        std::fprintf(stderr, "%s\n%s\n", engine.status().ToString().c_str(),
                     DescribeQueryEngine().c_str());
        std::exit(!engine.ok() && engine.status().code() == Code::kNotFound ? 0 : 1);
      },
      ::testing::ExitedWithCode(0),
      "NotFound: query module /nonexistent/libtarn_query.so not found.*\n"
      "DuckDB unavailable: NotFound");
}

TEST(QueryLoader, ReportsDuckDb144WithoutOpeningADatabase) {
  Result<std::string> version = QueryModuleDuckDbVersion();
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(version->rfind("v1.4.4", 0), 0u) << *version;
  EXPECT_EQ(DescribeQueryEngine().rfind("DuckDB v1.4.4 (", 0), 0u) << DescribeQueryEngine();
}

TEST(QueryLoader, SharedEngineRunsSql) {
  Result<QueryEngine*> engine = LoadQueryEngine(QueryConfig{});
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  EXPECT_EQ((*engine)->DuckDbVersion().rfind("v1.4.4", 0), 0u);
  Result<std::string> rows = (*engine)->ExecuteToText("SELECT 42");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, "42");
}

TEST(QueryLoader, SharedEngineIsOpenedOnce) {
  Result<QueryEngine*> a = LoadQueryEngine(QueryConfig{});
  Result<QueryEngine*> b = LoadQueryEngine(QueryConfig{});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  // The first config stays in force; asking for another is an error, not a
  // silent second engine.
  QueryConfig other;
  other.threads = 1;
  Result<QueryEngine*> c = LoadQueryEngine(other);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kFailedPrecondition);
}

TEST(QueryLoader, ConcurrentFirstUseGivesOneEngine) {
  std::vector<QueryEngine*> seen(4, nullptr);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&seen, i] {
      Result<QueryEngine*> e = LoadQueryEngine(QueryConfig{});
      if (e.ok()) seen[i] = *e;
    });
  }
  for (auto& t : threads) t.join();
  for (QueryEngine* e : seen) {
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e, seen[0]);
  }
}

TEST(QueryEngine, RendersRowsColumnsAndNulls) {
  Result<QueryEngine*> engine = LoadQueryEngine(QueryConfig{});
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  Result<std::string> rows = (*engine)->ExecuteToText(
      "SELECT * FROM (VALUES (2, NULL), (1, 'a b')) t(n, s) ORDER BY n");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, "1\ta b\n2\tNULL");

  Result<std::string> empty = (*engine)->ExecuteToText("SELECT 1 WHERE false");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(*empty, "");
}

TEST(QueryEngine, SeveralStatementsGiveTheLastResult) {
  std::unique_ptr<QueryEngine> engine;
  {
    auto created = CreateQueryEngine(QueryConfig{});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    engine = std::move(created).value();
  }
  Result<std::string> rows = engine->ExecuteToText(
      "CREATE TABLE t AS SELECT range AS i FROM range(3000); SELECT count(*), sum(i) FROM t");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, "3000\t4498500");

  // Many chunks (DuckDB's are 2048 rows): all rows come back, in order.
  Result<std::string> many = engine->ExecuteToText("SELECT i FROM t ORDER BY i");
  ASSERT_TRUE(many.ok()) << many.status().ToString();
  EXPECT_EQ(many->substr(0, 6), "0\n1\n2\n");
  EXPECT_EQ(many->substr(many->size() - 5), "\n2999");
}

TEST(QueryEngine, BadSqlIsInvalidArgument) {
  Result<QueryEngine*> engine = LoadQueryEngine(QueryConfig{});
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  Result<std::string> syntax = (*engine)->ExecuteToText("SELEKT 1");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().code(), Code::kInvalidArgument);
  EXPECT_NE(syntax.status().message().find("syntax error"), std::string::npos)
      << syntax.status().ToString();

  Result<std::string> missing = (*engine)->ExecuteToText("SELECT * FROM no_such_table");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kInvalidArgument);

  // An error in an earlier statement stops the script.
  Result<std::string> script = (*engine)->ExecuteToText("SELECT 1/'x'::INT; SELECT 2");
  ASSERT_FALSE(script.ok());
  EXPECT_EQ(script.status().code(), Code::kInvalidArgument);
}

TEST(QueryEngine, TooLargeResultIsResourceExhausted) {
  Result<QueryEngine*> engine = LoadQueryEngine(QueryConfig{});
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  Result<std::string> rows =
      (*engine)->ExecuteToText("SELECT repeat('x', 1000) FROM range(20000)");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), Code::kResourceExhausted);
}

TEST(QueryEngine, ConfigIsApplied) {
  std::string temp = ::testing::TempDir() + "tarn_query_spill_" + std::to_string(::getpid());
  QueryConfig config;
  config.threads = 1;
  config.memory_limit = "256MiB";
  config.temp_dir = temp;
  auto engine = CreateQueryEngine(config);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  Result<std::string> rows = (*engine)->ExecuteToText(
      "SELECT current_setting('threads'), current_setting('memory_limit'), "
      "current_setting('temp_directory')");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, "1\t256.0 MiB\t" + temp);
  // Nothing may be downloaded at run time.
  Result<std::string> autoinstall =
      (*engine)->ExecuteToText("SELECT current_setting('autoinstall_known_extensions')");
  ASSERT_TRUE(autoinstall.ok()) << autoinstall.status().ToString();
  EXPECT_EQ(*autoinstall, "false");
  std::filesystem::remove_all(temp);
}

// With local files closed to SQL, a query larger than memory still spills
// to the temporary directory.
TEST(QueryEngine, SpillsWithLocalFilesClosed) {
  std::string temp = ::testing::TempDir() + "tarn_query_spill2_" + std::to_string(::getpid());
  QueryConfig config;
  config.threads = 1;
  config.memory_limit = "32MiB";
  config.temp_dir = temp;
  auto engine = CreateQueryEngine(config);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  Result<std::string> rows = (*engine)->ExecuteToText(
      "SELECT count(*), sum(x) FROM (SELECT range AS x, md5(range::VARCHAR) AS pad FROM "
      "range(2000000) ORDER BY pad)");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, "2000000\t1999999000000");
  std::filesystem::remove_all(temp);
}

TEST(QueryEngine, BadConfigIsInvalidArgument) {
  QueryConfig config;
  config.memory_limit = "plenty";
  auto engine = CreateQueryEngine(config);
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), Code::kInvalidArgument);
  EXPECT_NE(engine.status().message().find("query engine configuration"), std::string::npos)
      << engine.status().ToString();
}

TEST(QueryEngine, ParquetIsBuiltIn) {
  std::string dir = ::testing::TempDir() + "tarn_query_parquet_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::string file = dir + "/t.parquet";
  QueryConfig config;
  config.local_files = true;
  auto engine = CreateQueryEngine(config);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  Result<std::string> written = (*engine)->ExecuteToText(
      "COPY (SELECT range AS id, 'row' || range AS name FROM range(10)) TO '" + file +
      "' (FORMAT parquet)");
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  Result<std::string> read = (*engine)->ExecuteToText(
      "SELECT count(*), max(name) FROM read_parquet('" + file + "')");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, "10\trow9");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tarn::query
