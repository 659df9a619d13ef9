// The lake filesystem through the loaded module: DuckDB's file functions
// over s3:// paths served from a Lake held in memory.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "query/memory_lake.h"
#include "query/query_loader.h"

namespace tarn::query {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class QueryLake : public ::testing::Test {
 protected:
  void SetUp() override {
    QueryConfig config;
    config.threads = 2;
    config.lake = &lake_;
    config.local_files = true;  // the fixtures write Parquet locally
    Result<std::unique_ptr<QueryEngine>> engine = CreateQueryEngine(config);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    dir_ = std::filesystem::temp_directory_path() / ("tarn-lake-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A Parquet file DuckDB writes locally, put into the lake at bucket/key.
  void PutParquet(const std::string& key, const std::string& select) {
    const std::string local = (dir_ / "tmp.parquet").string();
    Result<std::string> r =
        engine_->ExecuteToText("COPY (" + select + ") TO '" + local + "' (FORMAT parquet)");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    lake_.Put("lake", key, ReadFile(local));
  }

  std::string Query(const std::string& sql) {
    Result<std::string> r = engine_->ExecuteToText(sql);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    return r.ok() ? *r : "";
  }

  MemoryLake lake_;
  std::unique_ptr<QueryEngine> engine_;
  std::filesystem::path dir_;
};

TEST_F(QueryLake, ParquetWithHivePartitionsAndPruning) {
  PutParquet("events/year=2024/month=01/part-0.parquet",
             "SELECT i AS id, i * 2 AS v FROM range(100) t(i)");
  PutParquet("events/year=2024/month=02/part-0.parquet",
             "SELECT i AS id, i * 3 AS v FROM range(10) t(i)");
  PutParquet("events/year=2025/month=01/part-0.parquet",
             "SELECT i AS id, 1 AS v FROM range(7) t(i)");
  lake_.Put("lake", "events/_SUCCESS", "");
  EXPECT_EQ(Query("SELECT count(*), sum(v) FROM read_parquet('s3://lake/events/**/*.parquet', "
                  "hive_partitioning = true)"),
            "117\t10042");
  EXPECT_EQ(Query("SELECT year, month, count(*) FROM read_parquet("
                  "'s3://lake/events/*/*/*.parquet', hive_partitioning = true) "
                  "GROUP BY ALL ORDER BY ALL"),
            "2024\t01\t100\n2024\t02\t10\n2025\t01\t7");
  // Partition pruning: files of other years are not read (the first file
  // is opened once, for the schema).
  lake_.opened.clear();
  EXPECT_EQ(Query("SELECT sum(v) FROM read_parquet('s3a://lake/events/**/*.parquet', "
                  "hive_partitioning = true) WHERE year = 2025"),
            "7");
  EXPECT_GE(lake_.opened.count("events/year=2025/month=01/part-0.parquet"), 1u);
  EXPECT_EQ(lake_.opened.count("events/year=2024/month=02/part-0.parquet"), 0u);
}

TEST_F(QueryLake, CsvAndJsonLines) {
  lake_.Put("lake", "csv/a.csv", "name,n\nann,1\nbob,2\n");
  lake_.Put("lake", "csv/b.csv", "name,n\ncid,3\n");
  lake_.Put("lake", "json/x.json", "{\"a\": 1, \"b\": \"x\"}\n{\"a\": 2, \"b\": \"y\"}\n");
  EXPECT_EQ(Query("SELECT name, n FROM read_csv('s3://lake/csv/*.csv') ORDER BY n"),
            "ann\t1\nbob\t2\ncid\t3");
  EXPECT_EQ(Query("SELECT sum(a), string_agg(b, '') FROM read_json_auto('s3://lake/json/x.json')"),
            "3\txy");
}

TEST_F(QueryLake, MissingFilesAndWritesAreErrors) {
  lake_.Put("lake", "x/a.csv", "a\n1\n");
  Result<std::string> r = engine_->ExecuteToText("SELECT * FROM read_csv('s3://lake/none/*.csv')");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("No files found"), std::string::npos) << r.status().ToString();
  r = engine_->ExecuteToText("SELECT * FROM read_csv('s3://nobucket/x/a.csv')");
  ASSERT_FALSE(r.ok());
  // Appending to an object is not something S3 does.
  r = engine_->ExecuteToText("COPY (SELECT 1 AS a) TO 's3://nobucket/out.csv'");
  ASSERT_FALSE(r.ok());
}

TEST_F(QueryLake, CopyWritesObjectsPartitionedOrNot) {
  lake_.Put("lake", "seed", "");
  Result<std::string> r = engine_->ExecuteToText(
      "COPY (SELECT i AS id, i % 3 AS k FROM range(30) t(i)) TO 's3://lake/out/all.parquet' "
      "(FORMAT parquet)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Query("SELECT count(*), sum(id) FROM read_parquet('s3://lake/out/all.parquet')"), "30\t435");
  r = engine_->ExecuteToText(
      "COPY (SELECT i AS id, i % 3 AS k FROM range(30) t(i)) TO 's3://lake/parts' "
      "(FORMAT parquet, PARTITION_BY (k), FILENAME_PATTERN 'q1_{i}')");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Query("SELECT k, count(*) FROM read_parquet('s3://lake/parts/*/*.parquet', "
                  "hive_partitioning = true) GROUP BY k ORDER BY k"),
            "0\t10\n1\t10\n2\t10");
  EXPECT_EQ(Query("SELECT count(*) FROM glob('s3://lake/parts/k=1/*')"), "1");
}

TEST_F(QueryLake, ReadErrorsReachTheQuery) {
  lake_.Put("lake", "bad/a.csv", "a\n1\n");
  lake_.FailReads("bad/a.csv");
  Result<std::string> r = engine_->ExecuteToText("SELECT * FROM read_csv('s3://lake/bad/a.csv')");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("injected"), std::string::npos) << r.status().ToString();
  // The engine goes on serving.
  EXPECT_EQ(Query("SELECT 1"), "1");
}

TEST_F(QueryLake, GlobListsOnlyUnderTheLiteralPrefix) {
  for (int i = 0; i < 50; ++i) lake_.Put("lake", "other/" + std::to_string(i) + ".csv", "a\n1\n");
  lake_.Put("lake", "logs/2024/a.csv", "a\n5\n");
  lake_.Put("lake", "logs/2024/b.txt", "a\n6\n");
  EXPECT_EQ(Query("SELECT sum(a) FROM read_csv('s3://lake/logs/*/*.csv')"), "5");
  EXPECT_EQ(Query("SELECT count(*) FROM glob('s3://lake/logs/**')"), "2");
}

class FakeCatalog : public Catalog {
 public:
  Result<std::string> TableSql(std::string_view database, std::string_view table) override {
    calls.push_back(std::string(database) + "." + std::string(table));
    if (table == "people" && (database.empty() || database == "hr")) {
      return std::string("SELECT * FROM read_csv('s3://lake/people/*.csv')");
    }
    if (table == "broken") return IOError("the catalog is unreachable");
    return NotFound("no such table");
  }
  std::vector<std::string> calls;
};

TEST_F(QueryLake, CsvResultsAndCatalogTables) {
  lake_.Put("lake", "people/a.csv", "name,age\nann,31\n\"bo \"\"b\"\"\",\n");
  FakeCatalog catalog;
  CsvOptions options;
  options.catalog = &catalog;
  options.database = "hr";
  std::string out;
  auto sink = [&](std::string_view s) {
    out += s;
    return Status::OK();
  };
  Result<CsvSummary> r = engine_->ExecuteToCsv(
      "SELECT name, age, age * 2 AS twice FROM hr.people ORDER BY name", options, sink);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->returns_rows);
  EXPECT_EQ(r->rows, 2);
  ASSERT_EQ(r->columns.size(), 3u);
  EXPECT_EQ(r->columns[1].type, "BIGINT");
  EXPECT_EQ(out, "\"name\",\"age\",\"twice\"\n\"ann\",\"31\",\"62\"\n\"bo \"\"b\"\"\",,\n");
  // Unqualified names are the current database's.
  out.clear();
  r = engine_->ExecuteToCsv("SELECT count(*) AS n FROM people", options, sink);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(out, "\"n\"\n\"2\"\n");
  // Unknown tables are DuckDB's error; a failing catalog is the query's error.
  EXPECT_FALSE(engine_->ExecuteToCsv("SELECT * FROM nope", options, sink).ok());
  Result<CsvSummary> broken = engine_->ExecuteToCsv("SELECT * FROM broken", options, sink);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("unreachable"), std::string::npos);
  // Without a catalog the name is simply unknown.
  EXPECT_FALSE(engine_->ExecuteToCsv("SELECT * FROM people", CsvOptions{}, sink).ok());
}

TEST_F(QueryLake, StopInterruptsARunningQuery) {
  std::atomic<bool> stop{false};
  CsvOptions options;
  options.stop = &stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop = true;
  });
  Result<CsvSummary> r = engine_->ExecuteToCsv(
      "SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3", options,
      [](std::string_view) { return Status::OK(); });
  stopper.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kAborted) << r.status().ToString();
}

TEST(QueryResults, TrinoNamesUnnamedColumns) {
  QueryConfig config;
  Result<std::unique_ptr<QueryEngine>> engine = CreateQueryEngine(config);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  auto header = [&](const std::string& sql, bool trino) {
    CsvOptions options;
    options.trino_column_names = trino;
    std::string csv;
    Result<CsvSummary> r = (*engine)->ExecuteToCsv(sql, options, [&](std::string_view chunk) {
      csv += chunk;
      return Status::OK();
    });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return csv.substr(0, csv.find('\n'));
  };
  const std::string sql = "SELECT a, 1 + 1, count(*) AS n, max(a) FROM (SELECT 1 AS a) GROUP BY a";
  EXPECT_EQ(header(sql, true), "\"a\",\"_col1\",\"n\",\"_col3\"");
  EXPECT_EQ(header(sql, false), "\"a\",\"(1 + 1)\",\"n\",\"max(a)\"");
  EXPECT_EQ(header("SELECT * FROM (SELECT 1 AS a, 2 AS b)", true), "\"a\",\"b\"");
  EXPECT_EQ(header("SELECT 1 UNION ALL SELECT 2", true), "\"_col0\"");
}

// CSV fields are the text Value::ToString gives (ExecuteToText's), for
// every kind of value, nested ones and NULLs within them included.
TEST(QueryResults, CsvFieldsAreEachValuesText) {
  QueryConfig config;
  Result<std::unique_ptr<QueryEngine>> engine = CreateQueryEngine(config);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  const std::string sql =
      "SELECT 1::TINYINT, -2::BIGINT, 3.25::DOUBLE, 0.1::FLOAT, 12.345::DECIMAL(10,3), "
      "'a\"b,c' AS s, NULL::INTEGER, TRUE, DATE '2024-02-29', TIMESTAMP '2024-01-02 03:04:05.678', "
      "INTERVAL 90 MINUTE, [1, NULL, 3], {'k': 'v', 'n': NULL}, MAP {'a': 1}, '\\x00\\xFF'::BLOB, "
      "[[1], []]::INTEGER[][], 1e300::DOUBLE";
  std::string csv;
  CsvOptions options;
  Result<CsvSummary> r = (*engine)->ExecuteToCsv(sql, options, [&](std::string_view chunk) {
    csv += chunk;
    return Status::OK();
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Result<std::string> text = (*engine)->ExecuteToText(sql);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  // The text row, tab-separated with NULL as "NULL", as CSV fields.
  std::string expected;
  size_t start = 0;
  for (size_t col = 0;; ++col) {
    size_t tab = text->find('\t', start);
    const size_t end = tab == std::string::npos ? text->size() : tab;
    std::string field = text->substr(start, end - start);
    if (col) expected += ',';
    if (col != 6) {  // the NULL::INTEGER column is an empty unquoted field
      expected += '"';
      for (char c : field) expected += c == '"' ? std::string("\"\"") : std::string(1, c);
      expected += '"';
    }
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  EXPECT_EQ(csv.substr(csv.find('\n') + 1), expected + "\n");
}

TEST(QueryErrors, SayWhereOnce) {
  QueryConfig config;
  Result<std::unique_ptr<QueryEngine>> engine = CreateQueryEngine(config);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  Result<std::string> r = (*engine)->ExecuteToText("SELECT * FROM\n  WHERE x = 1");
  ASSERT_EQ(r.status().code(), Code::kInvalidArgument);
  const std::string& m = r.status().message();
  EXPECT_EQ(m.rfind("Parser Error: syntax error at or near \"WHERE\"", 0), 0u) << m;
  const size_t line = m.find("LINE 2:");
  ASSERT_NE(line, std::string::npos) << m;
  EXPECT_EQ(m.find("LINE 2:", line + 1), std::string::npos) << m;
}

// A guard that finds the process over its limit: the running query is
// interrupted and reported as out of memory; the engine's own workers and
// the query's thread were marked as query threads, and are unmarked after.
std::atomic<bool> g_over{false};
std::atomic<int> g_marked{0};
thread_local bool tl_marked = false;
const MemoryGuardHooks kFakeGuard = {
    [](bool refusable) {
      if (refusable != tl_marked) g_marked += refusable ? 1 : -1;
      tl_marked = refusable;
    },
    [] { return g_over.load(); },
    [] { return uint64_t{0}; },
    [] { return uint64_t{2} << 30; },
};

TEST(QueryMemoryGuard, InterruptsQueriesWhileOverTheLimit) {
  QueryConfig config;
  config.threads = 3;
  config.memory_guard = &kFakeGuard;
  Result<std::unique_ptr<QueryEngine>> engine = CreateQueryEngine(config);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  EXPECT_EQ(*(*engine)->ExecuteToText("SELECT count(*) FROM range(1000000)"), "1000000");
  for (int i = 0; i < 500 && g_marked.load() != 2; ++i) {  // workers start
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(g_marked.load(), 2);  // two workers; the caller is unmarked again

  g_over = true;
  Result<CsvSummary> r = (*engine)->ExecuteToCsv(
      "SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3", CsvOptions{},
      [](std::string_view) { return Status::OK(); });
  g_over = false;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted) << r.status().ToString();
  EXPECT_NE(r.status().message().find("Query exhausted resources: the server's memory went past "
                                      "its limit of 2048 MiB"),
            std::string::npos)
      << r.status().message();
  EXPECT_EQ(*(*engine)->ExecuteToText("SELECT 42"), "42");
  engine->reset();  // the workers stop
  EXPECT_EQ(g_marked.load(), 2);  // they exit marked; nothing else stays marked
}

TEST(QueryLakeLockdown, SqlReachesTheLakeAndNothingElse) {
  MemoryLake lake;
  lake.Put("lake", "a.csv", "x\n7\n");
  QueryConfig config;
  config.lake = &lake;
  Result<std::unique_ptr<QueryEngine>> engine = CreateQueryEngine(config);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  Result<std::string> r = (*engine)->ExecuteToText("SELECT x FROM read_csv('s3://lake/a.csv')");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "7");
  EXPECT_FALSE((*engine)->ExecuteToText("SELECT * FROM read_csv('/etc/hostname')").ok());
  EXPECT_FALSE((*engine)->ExecuteToText("COPY (SELECT 1) TO '/tmp/tarn-lockdown.csv'").ok());
  EXPECT_FALSE((*engine)->ExecuteToText("SET enable_external_access = true").ok());
  EXPECT_FALSE((*engine)->ExecuteToText("ATTACH '/tmp/tarn-lockdown.db'").ok());
  Result<std::string> listed = (*engine)->ExecuteToText("SELECT count(*) FROM glob('/etc/*')");
  EXPECT_TRUE(!listed.ok() || *listed == "0") << *listed;
}

}  // namespace
}  // namespace tarn::query
