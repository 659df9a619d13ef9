// LakeQueryRunner over a real S3 service, Glue catalog and query module
// (this test runs from bin/, beside libtarn_query.so).
#include "services/athena/query_runner.h"

#include <gtest/gtest.h>

#include "query/query_loader.h"
#include "services/s3/s3_lake.h"
#include "storage/test_temp_dir.h"

namespace tarn::athena {
namespace {

using Json = nlohmann::json;

TEST(BindParameters, ReplacesPlaceholdersOutsideQuotes) {
  auto r = BindParameters("SELECT * FROM t WHERE a = ? AND b = '?' AND \"c?\" = ? -- ?\n", {"1", "'x'"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "SELECT * FROM t WHERE a = 1 AND b = '?' AND \"c?\" = 'x' -- ?\n");
  EXPECT_FALSE(BindParameters("SELECT ?", {}).ok());
  EXPECT_FALSE(BindParameters("SELECT 1", {"2"}).ok());
  EXPECT_EQ(*BindParameters("SELECT 'it''s ?', ?", {"3"}), "SELECT 'it''s ?', 3");
}

TEST(Types, DuckDbToAthena) {
  ResultColumn c = AthenaColumn("x", "DECIMAL(12,3)");
  EXPECT_EQ(c.type, "decimal");
  EXPECT_EQ(c.precision, 12);
  EXPECT_EQ(c.scale, 3);
  EXPECT_EQ(AthenaColumn("x", "VARCHAR").type, "varchar");
  EXPECT_EQ(AthenaColumn("x", "INTEGER[]").type, "array");
  EXPECT_EQ(AthenaColumn("x", "BIGINT").precision, 19);
}

class QueryRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::MetaStore::Options mo;
    mo.path = dir_.Join("meta.db");
    mo.synchronous = false;
    auto meta = storage::MetaStore::Open(mo);
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
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
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    LakeQueryRunner::Deps deps;
    deps.glue = glue_.get();
    deps.s3 = s3_.get();
    deps.lake = lake_.get();
    deps.engine = [this]() -> Result<query::QueryEngine*> { return engine_.get(); };
    runner_ = std::make_unique<LakeQueryRunner>(deps);
    ASSERT_TRUE(s3_->CreateBucket("lake", "").ok());
    ASSERT_TRUE(s3_->CreateBucket("results", "").ok());
    ASSERT_TRUE(glue_->CreateDatabase(Json{{"Name", "shop"}}, {}).ok());
  }

  void Put(const std::string& key, const std::string& data) {
    auto body = s3_->NewBody("");
    ASSERT_TRUE(body.ok());
    ASSERT_TRUE((*body)->Append(data).ok());
    s3::PutObjectInput in;
    in.bucket = "lake";
    in.key = key;
    ASSERT_TRUE(s3_->PutObject(in, std::move(*body)).ok());
  }

  std::string Get(const std::string& bucket, const std::string& key) {
    auto obj = s3_->GetObject(bucket, key);
    if (!obj.ok()) return "<" + obj.status().ToString() + ">";
    auto reader = s3_->OpenReader(*obj);
    std::string out((*reader)->size(), '\0');
    EXPECT_TRUE((*reader)->ReadAt(0, out.data(), out.size()).ok());
    return out;
  }

  Result<QueryOutcome> Run(const std::string& sql, std::vector<std::string> params = {}) {
    QueryRequest r;
    r.query_execution_id = "q" + std::to_string(++n_);
    r.sql = sql;
    r.database = "shop";
    r.output_location = "s3://results/athena/";
    r.execution_parameters = std::move(params);
    std::atomic<bool> stop{false};
    return runner_->Run(r, stop);
  }

  std::string Csv(const QueryOutcome& o) {
    return Get("results", o.result_location.substr(std::string("s3://results/").size()));
  }

  // A CSV table partitioned by dt, with a header line to skip.
  void MakeOrders() {
    Put("orders/dt=2024-01-01/a.csv", "id,item,price\n1,apple,1.5\n2,pear,2.25\n");
    Put("orders/dt=2024-01-02/a.csv", "id,item,price\n3,\"plum, red\",3\n");
    Put("orders/dt=2024-01-02/_SUCCESS", "x");
    Json sd = {{"Columns", Json::array({{{"Name", "id"}, {"Type", "bigint"}},
                                        {{"Name", "item"}, {"Type", "string"}},
                                        {{"Name", "price"}, {"Type", "double"}}})},
               {"Location", "s3://lake/orders/"},
               {"SerdeInfo", {{"SerializationLibrary", "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"},
                              {"Parameters", {{"field.delim", ","}}}}}};
    Json table = {{"Name", "orders"},
                  {"TableType", "EXTERNAL_TABLE"},
                  {"Parameters", {{"classification", "csv"}, {"skip.header.line.count", "1"}}},
                  {"PartitionKeys", Json::array({{{"Name", "dt"}, {"Type", "string"}}})},
                  {"StorageDescriptor", sd}};
    ASSERT_TRUE(glue_->CreateTable("shop", table).ok());
    for (const char* dt : {"2024-01-01", "2024-01-02", "2024-01-03"}) {
      Json psd = sd;
      psd["Location"] = std::string("s3://lake/orders/dt=") + dt + "/";
      ASSERT_TRUE(glue_->CreatePartition("shop", "orders",
                                         Json{{"Values", Json::array({dt})}, {"StorageDescriptor", psd}})
                      .ok());
    }
  }

  storage::TestTempDir dir_;
  std::unique_ptr<storage::MetaStore> meta_;
  std::unique_ptr<storage::BlobStore> blobs_;
  std::unique_ptr<s3::S3Service> s3_;
  std::unique_ptr<glue::GlueService> glue_;
  std::unique_ptr<s3::S3Lake> lake_;
  std::unique_ptr<query::QueryEngine> engine_;
  std::unique_ptr<LakeQueryRunner> runner_;
  int n_ = 0;
};

TEST_F(QueryRunnerTest, SelectOverAPartitionedGlueTable) {
  MakeOrders();
  Result<QueryOutcome> o = Run("SELECT dt, count(*) AS n, sum(price) AS total FROM orders GROUP BY dt ORDER BY dt");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(Csv(*o), "\"dt\",\"n\",\"total\"\n\"2024-01-01\",\"2\",\"3.75\"\n\"2024-01-02\",\"1\",\"3.0\"\n");
  EXPECT_EQ(o->statement_type, "DML");
  EXPECT_EQ(o->rows, 2);
  ASSERT_EQ(o->columns.size(), 3u);
  EXPECT_EQ(o->columns[0].type, "varchar");
  EXPECT_EQ(o->columns[1].type, "bigint");
  EXPECT_EQ(o->columns[2].type, "double");
  EXPECT_GT(o->data_scanned_bytes, 0);
  EXPECT_EQ(o->result_location, "s3://results/athena/q1.csv");
  Json meta = Json::parse(Get("results", "athena/q1.csv.metadata"));
  EXPECT_EQ(meta["ColumnInfo"][1]["Type"], "bigint");
  // Qualified names, quoted values, parameters, partition filters.
  o = Run("SELECT item FROM shop.orders WHERE dt = ? AND price > ? ORDER BY id", {"'2024-01-02'", "1"});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(Csv(*o), "\"item\"\n\"plum, red\"\n");
  // Athena's (Trino's) functions.
  o = Run("SELECT approx_distinct(item) AS d, array_join(list(item ORDER BY item), '|') AS j, "
          "date_format(date_parse(dt, '%Y-%m-%d'), '%M %e') AS m FROM orders WHERE id = 3 GROUP BY dt");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(Csv(*o), "\"d\",\"j\",\"m\"\n\"1\",\"plum, red\",\"January 2\"\n");
}

TEST_F(QueryRunnerTest, ShowAndDescribeComeFromTheCatalog) {
  MakeOrders();
  Result<QueryOutcome> o = Run("SHOW TABLES");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(Csv(*o), "orders\n");
  EXPECT_EQ(o->result_location, "s3://results/athena/q1.txt");
  o = Run("SHOW PARTITIONS orders");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(Csv(*o), "dt=2024-01-01\ndt=2024-01-02\ndt=2024-01-03\n");
  o = Run("DESCRIBE shop.orders");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_NE(Csv(*o).find("dt\tstring\tpartition key\n"), std::string::npos) << Csv(*o);
  o = Run("SHOW DATABASES");
  ASSERT_TRUE(o.ok());
  EXPECT_NE(Csv(*o).find("shop\n"), std::string::npos);
}

TEST_F(QueryRunnerTest, ErrorsAreTheQuerys) {
  MakeOrders();
  Result<QueryOutcome> o = Run("SELECT nope FROM orders");
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), Code::kInvalidArgument);
  o = Run("SELECT * FROM no_such_table");
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), Code::kInvalidArgument);
  o = Run("UPDATE orders SET price = 0");
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("update is not supported"), std::string::npos)
      << o.status().ToString();
  // SQL cannot reach the server's files.
  o = Run("SELECT * FROM read_csv('/etc/hostname')");
  ASSERT_FALSE(o.ok());
}

TEST_F(QueryRunnerTest, DdlActsOnTheCatalog) {
  Put("events/year=2024/month=01/a.json", "{\"user\": \"ann\", \"n\": 1}\n{\"user\": \"bob\", \"n\": 2}\n");
  Put("events/year=2024/month=02/a.json", "{\"user\": \"ann\", \"n\": 5}\n");
  Put("events/year=2025/month=01/a.json", "{\"user\": \"cy\", \"n\": 7}\n");
  Result<QueryOutcome> o = Run(
      "CREATE EXTERNAL TABLE events (user string, n bigint) PARTITIONED BY (year string, month string) "
      "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://lake/events/'");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->statement_type, "DDL");
  EXPECT_EQ(Csv(*o), "");
  // No partitions yet: no rows.
  o = Run("SELECT count(*) AS c FROM events");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(Csv(*o), "\"c\"\n\"0\"\n");
  ASSERT_TRUE(Run("MSCK REPAIR TABLE events").ok());
  o = Run("SELECT year, sum(n) AS s FROM events GROUP BY year ORDER BY year");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(Csv(*o), "\"year\",\"s\"\n\"2024\",\"8\"\n\"2025\",\"7\"\n");
  ASSERT_TRUE(Run("ALTER TABLE events DROP PARTITION (year = '2025', month = '01')").ok());
  o = Run("SELECT count(*) AS c FROM events");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(Csv(*o), "\"c\"\n\"3\"\n");
  ASSERT_TRUE(Run("ALTER TABLE events ADD PARTITION (year = '2025', month = '01')").ok());
  EXPECT_FALSE(Run("ALTER TABLE events ADD PARTITION (year = '2025', month = '01')").ok());
  ASSERT_TRUE(Run("ALTER TABLE events ADD IF NOT EXISTS PARTITION (year = '2025', month = '01')").ok());
  // Views: stored in Glue as Athena does, read like tables.
  o = Run("CREATE VIEW top_users AS SELECT user, sum(n) AS total FROM events GROUP BY user");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  Result<Json> view = glue_->GetTable("shop", "top_users");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ((*view)["Table"]["TableType"], "VIRTUAL_VIEW");
  // DuckDB sums bigints as HUGEINT.
  EXPECT_EQ((*view)["Table"]["StorageDescriptor"]["Columns"][1]["Type"], "decimal(38,0)");
  EXPECT_EQ((*view)["Table"]["ViewOriginalText"].get<std::string>().rfind("/* Presto View: ", 0), 0u)
      << (*view)["Table"].dump();
  o = Run("SELECT user FROM top_users WHERE total > 5 ORDER BY user");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(Csv(*o), "\"user\"\n\"ann\"\n\"cy\"\n");
  ASSERT_TRUE(Run("DROP VIEW top_users").ok());
  ASSERT_TRUE(Run("DROP TABLE events").ok());
  EXPECT_FALSE(Run("DROP TABLE events").ok());
  EXPECT_TRUE(Run("DROP TABLE IF EXISTS events").ok());
  ASSERT_TRUE(Run("CREATE DATABASE IF NOT EXISTS scratch").ok());
  EXPECT_TRUE(glue_->GetDatabase("scratch").ok());
}

TEST_F(QueryRunnerTest, CtasAndInsertIntoWriteParquetAndCatalogIt) {
  MakeOrders();
  Result<QueryOutcome> o = Run(
      "CREATE TABLE order_items WITH (format = 'PARQUET', partitioned_by = ARRAY['dt']) AS "
      "SELECT id, upper(item) AS item, price, dt FROM orders");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->statement_type, "DDL");
  EXPECT_EQ(o->rows, 3);
  Result<Json> t = glue_->GetTable("shop", "order_items");
  ASSERT_TRUE(t.ok());
  const Json& table = (*t)["Table"];
  EXPECT_EQ(table["Parameters"]["classification"], "parquet");
  EXPECT_EQ(table["PartitionKeys"][0]["Name"], "dt");
  EXPECT_EQ(table["StorageDescriptor"]["Columns"].size(), 3u);
  EXPECT_EQ(table["StorageDescriptor"]["Location"], "s3://results/athena/tables/q1/");
  glue::PartitionQuery q;
  Result<Json> parts = glue_->GetPartitions("shop", "order_items", q);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ((*parts)["Partitions"].size(), 2u);  // the two days with rows
  o = Run("SELECT dt, string_agg(item, '|' ORDER BY id) AS items FROM order_items GROUP BY dt ORDER BY dt");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(Csv(*o), "\"dt\",\"items\"\n\"2024-01-01\",\"APPLE|PEAR\"\n\"2024-01-02\",\"PLUM, RED\"\n");
  // INSERT INTO adds files and partitions; the table's column order wins.
  o = Run("INSERT INTO order_items SELECT 9, 'kiwi', 0.5, '2024-02-01'");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->rows, 1);
  o = Run("SELECT count(*) AS n, max(dt) AS last FROM order_items");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(Csv(*o), "\"n\",\"last\"\n\"4\",\"2024-02-01\"\n");
  // A second CTAS into an occupied place, or of an existing table, fails.
  o = Run("CREATE TABLE order_items AS SELECT 1 AS x");
  ASSERT_FALSE(o.ok());
  o = Run("CREATE TABLE other WITH (external_location = 's3://results/athena/tables/q1/') AS SELECT 1 AS x");
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("HIVE_PATH_ALREADY_EXISTS"), std::string::npos);
  // Partition keys must come last.
  o = Run("CREATE TABLE bad WITH (partitioned_by = ARRAY['id']) AS SELECT id, item FROM orders");
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("last columns"), std::string::npos);
  // INSERT into a CSV table is refused, naming why.
  o = Run("INSERT INTO orders SELECT 1, 'x', 1.0, '2024-09-09'");
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("Parquet"), std::string::npos);
}

TEST_F(QueryRunnerTest, BytesScannedCutoffCancelsTheQuery) {
  MakeOrders();
  QueryRequest r;
  r.query_execution_id = "cut";
  r.sql = "SELECT count(*) FROM orders";
  r.database = "shop";
  r.output_location = "s3://results/athena/";
  r.bytes_scanned_cutoff = 10;
  std::atomic<bool> stop{false};
  Result<QueryOutcome> o = runner_->Run(r, stop);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), Code::kAborted);
  EXPECT_EQ(o.status().message().rfind(kBytesScannedLimitExceeded, 0), 0u) << o.status().ToString();
}

// DataScannedInBytes, and the cutoff, count what a query reads: of a
// Parquet table, the columns it needs, not every file's size.
TEST_F(QueryRunnerTest, DataScannedIsWhatTheQueryReads) {
  Result<QueryOutcome> o = Run(
      "CREATE TABLE wide WITH (format = 'PARQUET', external_location = 's3://lake/wide/') AS "
      "SELECT i AS id, md5(i::VARCHAR) || md5((i + 1)::VARCHAR) || md5((i + 2)::VARCHAR) AS pad "
      "FROM range(20000) t(i)");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  int64_t files = 0;
  ASSERT_TRUE(lake_->List("lake", "wide/", [&](const query::Lake::Entry& e) {
    files += static_cast<int64_t>(e.size);
    return true;
  }).ok());
  ASSERT_GT(files, 500'000);

  o = Run("SELECT sum(id) FROM wide");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_GT(o->data_scanned_bytes, 0);
  EXPECT_LT(o->data_scanned_bytes, files / 4);
  o = Run("SELECT max(pad) FROM wide");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_GT(o->data_scanned_bytes, files / 2);

  // A cutoff under the files' size lets the narrow query through and
  // cancels the wide one.
  QueryRequest r;
  r.database = "shop";
  r.output_location = "s3://results/athena/";
  r.bytes_scanned_cutoff = files / 2;
  std::atomic<bool> stop{false};
  r.query_execution_id = "narrow";
  r.sql = "SELECT sum(id) FROM wide";
  o = runner_->Run(r, stop);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(Csv(*o), "\"_col0\"\n\"199990000\"\n");
  r.query_execution_id = "wide";
  r.sql = "SELECT max(pad) FROM wide";
  o = runner_->Run(r, stop);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), Code::kAborted) << o.status().ToString();
}

}  // namespace
}  // namespace tarn::athena
