#include "services/athena/ddl.h"

#include <gtest/gtest.h>

namespace tarn::athena {
namespace {

TEST(Ddl, CreateExternalTableAsAthenaWritesIt) {
  Result<Ddl> d = ParseDdl(R"(
    CREATE EXTERNAL TABLE IF NOT EXISTS sales.`Orders` (
      id bigint COMMENT 'the order',
      items array<struct<sku:string,qty:int>>,
      price decimal(10,2)
    )
    COMMENT 'orders by day'
    PARTITIONED BY (dt string, hour int)
    ROW FORMAT DELIMITED FIELDS TERMINATED BY '\t'
    STORED AS TEXTFILE
    LOCATION 's3://lake/orders/'
    TBLPROPERTIES ('skip.header.line.count' = '1');)");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->kind, Ddl::Kind::kCreateTable);
  EXPECT_TRUE(d->if_exists);
  EXPECT_EQ(d->database, "sales");
  EXPECT_EQ(d->name, "orders");
  const nlohmann::json& t = d->table_input;
  EXPECT_EQ(t["Name"], "orders");
  EXPECT_EQ(t["Description"], "orders by day");
  EXPECT_EQ(t["StorageDescriptor"]["Columns"][1]["Type"], "array<struct<sku:string,qty:int>>");
  EXPECT_EQ(t["StorageDescriptor"]["Columns"][2]["Type"], "decimal(10,2)");
  EXPECT_EQ(t["StorageDescriptor"]["Columns"][0]["Comment"], "the order");
  EXPECT_EQ(t["StorageDescriptor"]["Location"], "s3://lake/orders/");
  EXPECT_EQ(t["StorageDescriptor"]["SerdeInfo"]["Parameters"]["field.delim"], "\t");
  EXPECT_EQ(t["PartitionKeys"][1]["Name"], "hour");
  EXPECT_EQ(t["Parameters"]["skip.header.line.count"], "1");
  EXPECT_EQ(t["Parameters"]["classification"], "csv");
}

TEST(Ddl, ParquetJsonAndSerdes) {
  Result<Ddl> d = ParseDdl("CREATE EXTERNAL TABLE p (a int) STORED AS PARQUET LOCATION 's3://b/p/'");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->table_input["Parameters"]["classification"], "parquet");
  EXPECT_EQ(d->table_input["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"],
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe");
  d = ParseDdl("CREATE EXTERNAL TABLE j (a int) ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' "
               "WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true') LOCATION 's3://b/j/'");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->table_input["Parameters"]["classification"], "json");
  EXPECT_EQ(d->table_input["StorageDescriptor"]["SerdeInfo"]["Parameters"]["ignore.malformed.json"], "true");
}

TEST(Ddl, OtherStatements) {
  Result<Ddl> d = ParseDdl("ALTER TABLE t ADD IF NOT EXISTS PARTITION (dt = '2024-01-01', h = 3) "
                           "LOCATION 's3://b/x/' PARTITION (dt='2024-01-02', h=4)");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->kind, Ddl::Kind::kAddPartitions);
  ASSERT_EQ(d->partitions.size(), 2u);
  EXPECT_EQ(d->partitions[0].location, "s3://b/x/");
  EXPECT_EQ(d->partitions[1].values[1].second, "4");
  d = ParseDdl("ALTER TABLE db.t DROP PARTITION (dt = '1'), PARTITION (dt = '2')");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->partitions.size(), 2u);
  EXPECT_EQ(ParseDdl("MSCK REPAIR TABLE t")->kind, Ddl::Kind::kRepairTable);
  d = ParseDdl("CREATE OR REPLACE VIEW v AS SELECT a, 'x;y' FROM t WHERE a > 1;");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(d->or_replace);
  EXPECT_EQ(d->view_sql, "SELECT a, 'x;y' FROM t WHERE a > 1");
  EXPECT_EQ(ParseDdl("DROP VIEW IF EXISTS v")->kind, Ddl::Kind::kDropView);
  d = ParseDdl("DROP DATABASE IF EXISTS d CASCADE");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->cascade && d->if_exists);
  EXPECT_TRUE(IsDdl("create external table x (a int) location 's3://b/'"));
  EXPECT_FALSE(IsDdl("SELECT 1"));
  EXPECT_FALSE(IsDdl("INSERT INTO t VALUES (1)"));
}

TEST(Ddl, CreateTableAs) {
  Result<Ddl> d = ParseDdl(
      "CREATE TABLE db.t WITH (format = 'PARQUET', external_location = 's3://b/t/', "
      "partitioned_by = ARRAY['Year', 'month'], write_compression = 'SNAPPY') AS\n"
      "SELECT a, year, month FROM src;");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->kind, Ddl::Kind::kCreateTableAs);
  EXPECT_EQ(d->database, "db");
  EXPECT_EQ(d->properties["partitioned_by"], "year,month");
  EXPECT_EQ(d->properties["external_location"], "s3://b/t/");
  EXPECT_EQ(d->view_sql, "SELECT a, year, month FROM src");
  d = ParseDdl("CREATE TABLE t AS SELECT 1 AS x");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(d->properties.empty());
  EXPECT_FALSE(ParseDdl("CREATE TABLE t WITH (format = ) AS SELECT 1").ok());
}

TEST(Ddl, ErrorsSayWhereAndWhat) {
  Result<Ddl> d = ParseDdl("CREATE EXTERNAL TABLE t (a int\nLOCATION 's3://b/'");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("line 2:1"), std::string::npos) << d.status().ToString();
  d = ParseDdl("CREATE EXTERNAL TABLE t (a int)");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("LOCATION"), std::string::npos);
  d = ParseDdl("CREATE EXTERNAL TABLE t (a int) STORED AS ORC LOCATION 's3://b/'");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("ORC"), std::string::npos);
  EXPECT_FALSE(ParseDdl("ALTER TABLE t RENAME TO u").ok());
  EXPECT_FALSE(ParseDdl("CREATE EXTERNAL TABLE t (a int) LOCATION 's3://b/' junk").ok());
  EXPECT_FALSE(ParseDdl("CREATE EXTERNAL TABLE t (a 'int").ok());
}

}  // namespace
}  // namespace tarn::athena
