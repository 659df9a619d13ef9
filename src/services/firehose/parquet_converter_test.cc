#include "services/firehose/parquet_converter.h"

#include <gtest/gtest.h>

#include "query/memory_lake.h"
#include "query/query_loader.h"

namespace tarn::firehose {
namespace {

ConversionSpec Spec() {
  ConversionSpec spec;
  spec.columns = {{"id", "bigint"},          {"name", "string"},
                  {"ts", "timestamp"},       {"price", "decimal(10,2)"},
                  {"tags", "array<string>"}, {"attrs", "struct<a:int,b:boolean>"},
                  {"day", "date"}};
  return spec;
}

// Reads Parquet bytes back with a separate engine.
std::string Query(const std::string& parquet, const std::string& select,
                  const std::string& where = "") {
  query::MemoryLake lake;
  lake.Put("t", "x.parquet", parquet);
  query::QueryConfig config;
  config.lake = &lake;
  auto engine = query::CreateQueryEngine(config);
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  auto text = (*engine)->ExecuteToText(select + " FROM read_parquet('s3://t/x.parquet') " + where);
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return text.ok() ? *text : "";
}

TEST(ParquetConverter, NormalizesRecordsToTheTableTypes) {
  ParquetConverterFactory factory;
  auto converter = factory.Make(Spec());
  ASSERT_TRUE(converter.ok()) << converter.status().ToString();
  RecordConverter& c = **converter;
  // Keys in any case, numeric strings, epoch seconds and millis, Hive and
  // ISO text, keys the table lacks (dropped), missing columns (NULL).
  ASSERT_TRUE(c.Add(R"({"ID": 1, "Name": "apple", "ts": 1518033528, "price": 1.5,
                        "tags": ["a", "b"], "attrs": {"A": 7, "b": "true"}, "day": "2024-02-29",
                        "extra": {"x": 1}})").ok());
  ASSERT_TRUE(c.Add(R"({"id": "2", "name": 42, "ts": "2018-02-07 19:58:48.5",
                        "price": "3.25"})").ok());
  ASSERT_TRUE(c.Add(R"({"id": 3, "ts": 1518033528123})").ok());
  ASSERT_TRUE(c.Add(R"({"id": 4, "ts": "2018-02-07T19:58:48Z"})").ok());
  EXPECT_EQ(c.records(), 4u);

  // Bad records are refused one by one, naming the column.
  Status bad = c.Add(R"({"id": "two"})");
  EXPECT_EQ(bad.code(), Code::kInvalidArgument);
  EXPECT_NE(bad.message().find("column 'id'"), std::string::npos) << bad.message();
  EXPECT_FALSE(c.Add(R"({"id": 1, "tags": "not a list"})").ok());
  EXPECT_FALSE(c.Add(R"({"id": 1, "attrs": {"a": 99999999999}})").ok());
  EXPECT_FALSE(c.Add(R"({"id": 1, "price": 123456789.5})").ok());
  EXPECT_FALSE(c.Add(R"({"id": 1, "day": "2024-02-30"})").ok());
  EXPECT_FALSE(c.Add("not json").ok());
  EXPECT_FALSE(c.Add("[1, 2]").ok());
  EXPECT_EQ(c.records(), 4u);

  Result<std::string> parquet = c.Finish();
  ASSERT_TRUE(parquet.ok()) << parquet.status().ToString();
  ASSERT_GT(parquet->size(), 8u);
  EXPECT_EQ(parquet->substr(0, 4), "PAR1");

  EXPECT_EQ(Query(*parquet, "SELECT count(*), sum(id), sum(price)"), "4\t10\t4.75");
  EXPECT_EQ(Query(*parquet, "SELECT typeof(id), typeof(ts), typeof(price), typeof(attrs)",
                  "LIMIT 1"),
            "BIGINT\tTIMESTAMP\tDECIMAL(10,2)\tSTRUCT(a INTEGER, b BOOLEAN)");
  EXPECT_EQ(Query(*parquet, "SELECT name, ts, tags, attrs.a, attrs.b, day", "WHERE id = 1"),
            "apple\t2018-02-07 19:58:48\t[a, b]\t7\ttrue\t2024-02-29");
  EXPECT_EQ(Query(*parquet, "SELECT name, ts", "WHERE id = 2"), "42\t2018-02-07 19:58:48.5");
  EXPECT_EQ(Query(*parquet, "SELECT ts", "WHERE id = 3"), "2018-02-07 19:58:48.123");
  EXPECT_EQ(Query(*parquet, "SELECT ts, name IS NULL", "WHERE id = 4"),
            "2018-02-07 19:58:48\ttrue");
}

TEST(ParquetConverter, KeyMappingsCaseSensitivityAndCompression) {
  ParquetConverterFactory factory;
  ConversionSpec spec;
  spec.columns = {{"user_id", "int"}, {"v", "double"}};
  spec.column_to_json_key = {{"user_id", "userId"}};
  spec.case_insensitive = false;
  spec.compression = "GZIP";
  auto converter = factory.Make(spec);
  ASSERT_TRUE(converter.ok()) << converter.status().ToString();
  ASSERT_TRUE((*converter)->Add(R"({"userId": 5, "V": 1.5, "v": 2.5})").ok());
  Result<std::string> parquet = (*converter)->Finish();
  ASSERT_TRUE(parquet.ok()) << parquet.status().ToString();
  EXPECT_EQ(Query(*parquet, "SELECT user_id, v"), "5\t2.5");

  spec.output_format = "ORC";
  EXPECT_EQ(factory.Make(spec).status().code(), Code::kInvalidArgument);
  spec.output_format = "PARQUET";
  spec.compression = "LZO";
  EXPECT_EQ(factory.Make(spec).status().code(), Code::kInvalidArgument);
  spec.compression = "SNAPPY";
  spec.columns = {{"x", "uniontype<int>"}};
  EXPECT_EQ(factory.Make(spec).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace tarn::firehose
