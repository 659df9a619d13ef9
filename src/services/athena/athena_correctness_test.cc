// Correctness: analytical queries (joins, aggregates, window functions,
// subqueries, CTEs, string and date functions, NULLs, Athena's dialect)
// through the Athena runner over Glue tables in tarn's S3 must give exactly
// what DuckDB gives on the same Parquet files read from a local directory.
// Runs from bin/, beside libtarn_query.so.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "query/query_loader.h"
#include "services/athena/query_runner.h"
#include "services/s3/s3_lake.h"
#include "storage/test_temp_dir.h"

namespace tarn::athena {
namespace {

using Json = nlohmann::json;

// Synthetic TPC-H-like tables, deterministic.
struct TableDef {
  const char* name;
  const char* columns;  // Hive DDL columns
  const char* select;   // DuckDB SQL generating the rows
};

const TableDef kTables[] = {
    {"customers", "c_id bigint, c_name string, c_region string, c_joined date",
     "SELECT i AS c_id, 'cust#' || i AS c_name, (['ASIA','EUROPE','AMERICA','AFRICA'])[i % 4 + 1] AS c_region, "
     "DATE '2020-01-01' + CAST(i % 700 AS INTEGER) AS c_joined FROM range(1000) t(i)"},
    {"orders", "o_id bigint, o_cust bigint, o_date date, o_total decimal(12,2), o_status string",
     "SELECT i AS o_id, (i * 7) % 1000 AS o_cust, DATE '2023-01-01' + CAST((i * 13) % 500 AS INTEGER) AS o_date, "
     "CAST(((i * 37) % 100000) / 100.0 AS DECIMAL(12,2)) AS o_total, (['F','O','P'])[i % 3 + 1] AS o_status "
     "FROM range(10000) t(i)"},
    {"lineitems", "l_order bigint, l_line int, l_qty int, l_price double, l_ship timestamp, l_comment string",
     "SELECT i // 4 AS l_order, CAST(i % 4 AS INTEGER) AS l_line, CAST(1 + (i * 11) % 50 AS INTEGER) AS l_qty, "
     "((i * 17) % 10000) / 10.0 AS l_price, TIMESTAMP '2023-01-01 00:00:00' + INTERVAL (i % 100000) MINUTE AS l_ship, "
     "CASE WHEN i % 5 = 0 THEN NULL ELSE 'note ' || (i % 13) END AS l_comment FROM range(40000) t(i)"},
};

// (Athena SQL, the same in DuckDB's SQL when it differs: "" = the same).
// Table names are replaced by local read_parquet calls for DuckDB.
const std::pair<const char*, const char*> kQueries[] = {
    {"SELECT c_region AS region, count(*) AS n, sum(o_total) AS total FROM customers "
     "JOIN orders ON c_id = o_cust GROUP BY c_region ORDER BY region", ""},
    {"SELECT o_cust AS cust, o_id AS id, rank() OVER (PARTITION BY o_cust ORDER BY o_total DESC, o_id) AS r "
     "FROM orders WHERE o_cust < 20 ORDER BY cust, r", ""},
    {"SELECT c_name AS name FROM customers WHERE c_id IN (SELECT o_cust FROM orders WHERE o_total > 990) "
     "ORDER BY name LIMIT 20", ""},
    {"SELECT o.o_id AS id FROM orders o WHERE o.o_total > (SELECT avg(o_total) FROM orders i "
     "WHERE i.o_cust = o.o_cust) ORDER BY id LIMIT 30", ""},
    {"SELECT upper(substr(c_name, 1, 3)) AS p, length(c_name) AS l, c_name LIKE '%7%' AS has7, "
     "replace(c_name, '#', '-') AS r FROM customers ORDER BY c_id LIMIT 12", ""},
    {"SELECT date_trunc('month', o_date) AS m, count(*) AS n FROM orders GROUP BY 1 ORDER BY 1", ""},
    {"SELECT year(o_date) AS y, month(o_date) AS mo, date_diff('day', min(o_date), max(o_date)) AS span "
     "FROM orders GROUP BY 1, 2 ORDER BY 1, 2", ""},
    {"SELECT o_status AS s, CASE WHEN sum(o_total) > 1600000 THEN 'big' ELSE 'small' END AS size, "
     "count(*) AS n FROM orders GROUP BY o_status HAVING count(*) > 10 ORDER BY s", ""},
    {"SELECT c_region AS region, round(sum(l_qty * l_price), 2) AS revenue FROM customers "
     "JOIN orders ON c_id = o_cust JOIN lineitems ON l_order = o_id GROUP BY 1 ORDER BY 1", ""},
    {"SELECT count(*) AS n, count(l_comment) AS with_comment, coalesce(max(l_comment), 'none') AS top "
     "FROM lineitems", ""},
    {"WITH big AS (SELECT o_cust, sum(o_total) AS t FROM orders GROUP BY o_cust) "
     "SELECT count(*) AS n, max(t) AS top FROM big WHERE t > 4500", ""},
    {"SELECT date_format(o_date, '%Y-%m') AS ym, count(*) AS n FROM orders GROUP BY 1 ORDER BY 1 LIMIT 5",
     "SELECT strftime(o_date, '%Y-%m') AS ym, count(*) AS n FROM orders GROUP BY 1 ORDER BY 1 LIMIT 5"},
    {"SELECT array_join(list(DISTINCT c_region ORDER BY c_region), ',') AS regions, "
     "cardinality(list(DISTINCT c_region)) AS n FROM customers",
     "SELECT array_to_string(list(DISTINCT c_region ORDER BY c_region), ',') AS regions, "
     "len(list(DISTINCT c_region)) AS n FROM customers"},
    {"SELECT l_line AS line, avg(l_price) AS avg_price, stddev_samp(l_qty) AS sd, "
     "sum(l_qty) FILTER (WHERE l_comment IS NULL) AS no_comment FROM lineitems GROUP BY 1 ORDER BY 1", ""},
    {"SELECT hour(l_ship) AS h, count(*) AS n FROM lineitems WHERE l_ship < TIMESTAMP '2023-01-02 00:00:00' "
     "GROUP BY 1 ORDER BY 1", ""},
    {"SELECT o_status AS s, count(*) AS n, sum(o_total) AS t FROM orders_by_status "
     "WHERE o_status IN ('F', 'O') GROUP BY 1 ORDER BY 1",
     "SELECT o_status AS s, count(*) AS n, sum(o_total) AS t FROM orders "
     "WHERE o_status IN ('F', 'O') GROUP BY 1 ORDER BY 1"},
};

class AthenaCorrectness : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::MetaStore::Options mo;
    mo.path = dir_.Join("meta.db");
    mo.synchronous = false;
    auto meta = storage::MetaStore::Open(mo);
    ASSERT_TRUE(meta.ok());
    meta_ = std::move(*meta);
    auto blobs = storage::BlobStore::Open(storage::Env::Default(), dir_.path());
    ASSERT_TRUE(blobs.ok());
    blobs_ = std::move(*blobs);
    s3_ = std::make_unique<s3::S3Service>(meta_.get(), blobs_.get(), s3::ServiceOptions{});
    ASSERT_TRUE(s3_->Start().ok());
    glue_ = std::make_unique<glue::GlueService>(meta_.get(), glue::ServiceOptions{});
    ASSERT_TRUE(glue_->Start().ok());
    lake_ = std::make_unique<s3::S3Lake>(s3_.get());
    query::QueryConfig config;
    config.threads = 2;
    config.lake = lake_.get();
    auto engine = query::CreateQueryEngine(config);
    ASSERT_TRUE(engine.ok());
    engine_ = std::move(*engine);
    // DuckDB on its own, over local files (and able to write the lake).
    config.local_files = true;
    auto direct = query::CreateQueryEngine(config);
    ASSERT_TRUE(direct.ok());
    direct_ = std::move(*direct);
    LakeQueryRunner::Deps deps;
    deps.glue = glue_.get();
    deps.s3 = s3_.get();
    deps.lake = lake_.get();
    deps.engine = [this]() -> Result<query::QueryEngine*> { return engine_.get(); };
    runner_ = std::make_unique<LakeQueryRunner>(deps);
    ASSERT_TRUE(s3_->CreateBucket("lake", "").ok());
    ASSERT_TRUE(s3_->CreateBucket("results", "").ok());
    ASSERT_TRUE(glue_->CreateDatabase(Json{{"Name", "tpch"}}, {}).ok());
    local_ = dir_.Join("local");
    std::filesystem::create_directories(local_);
  }

  Result<QueryOutcome> Run(const std::string& sql) {
    QueryRequest r;
    r.query_execution_id = "q" + std::to_string(++n_);
    r.sql = sql;
    r.database = "tpch";
    r.output_location = "s3://results/";
    std::atomic<bool> stop{false};
    return runner_->Run(r, stop);
  }

  std::string Get(const std::string& location) {
    auto obj = s3_->GetObject("results", location.substr(std::string("s3://results/").size()));
    if (!obj.ok()) return "<" + obj.status().ToString() + ">";
    auto reader = s3_->OpenReader(*obj);
    std::string out((*reader)->size(), '\0');
    EXPECT_TRUE((*reader)->ReadAt(0, out.data(), out.size()).ok());
    return out;
  }

  std::string Direct(std::string sql) {
    for (const TableDef& t : kTables) {
      sql = std::regex_replace(sql, std::regex(std::string("\\b") + t.name + "\\b"),
                               "read_parquet('" + local_ + "/" + t.name + ".parquet')");
    }
    std::string out;
    Result<query::CsvSummary> r = direct_->ExecuteToCsv(sql, query::CsvOptions{}, [&](std::string_view s) {
      out += s;
      return Status::OK();
    });
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    return out;
  }

  storage::TestTempDir dir_;
  std::unique_ptr<storage::MetaStore> meta_;
  std::unique_ptr<storage::BlobStore> blobs_;
  std::unique_ptr<s3::S3Service> s3_;
  std::unique_ptr<glue::GlueService> glue_;
  std::unique_ptr<s3::S3Lake> lake_;
  std::unique_ptr<query::QueryEngine> engine_, direct_;
  std::unique_ptr<LakeQueryRunner> runner_;
  std::string local_;
  int n_ = 0;
};

TEST_F(AthenaCorrectness, QueriesMatchDuckDbOnLocalFiles) {
  for (const TableDef& t : kTables) {
    const std::string gen = t.select;
    ASSERT_TRUE(direct_->ExecuteToText("COPY (" + gen + ") TO '" + local_ + "/" + t.name +
                                       ".parquet' (FORMAT parquet)").ok());
    ASSERT_TRUE(direct_->ExecuteToText("COPY (SELECT * FROM read_parquet('" + local_ + "/" + t.name +
                                       ".parquet')) TO 's3://lake/tpch/" + t.name +
                                       "/part-0.parquet' (FORMAT parquet)").ok());
    Result<QueryOutcome> made = Run(std::string("CREATE EXTERNAL TABLE ") + t.name + " (" + t.columns +
                                    ") STORED AS PARQUET LOCATION 's3://lake/tpch/" + t.name + "/'");
    ASSERT_TRUE(made.ok()) << made.status().ToString();
  }
  // A partitioned copy, made by CTAS.
  Result<QueryOutcome> ctas = Run(
      "CREATE TABLE orders_by_status WITH (partitioned_by = ARRAY['o_status']) AS "
      "SELECT o_id, o_cust, o_date, o_total, o_status FROM orders");
  ASSERT_TRUE(ctas.ok()) << ctas.status().ToString();
  EXPECT_EQ(ctas->rows, 10000);

  for (const auto& [athena, duck] : kQueries) {
    Result<QueryOutcome> o = Run(athena);
    ASSERT_TRUE(o.ok()) << athena << ": " << o.status().ToString();
    const std::string expected = Direct(*duck ? duck : athena);
    EXPECT_EQ(Get(o->result_location), expected) << athena;
    EXPECT_FALSE(expected.empty());
  }
}

}  // namespace
}  // namespace tarn::athena
