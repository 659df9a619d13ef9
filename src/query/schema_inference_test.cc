#include "query/schema_inference.h"

#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "query/memory_lake.h"
#include "query/query_loader.h"

namespace tarn::query {
namespace {

std::string Gzip(std::string_view text) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  return out;
}

TEST(HiveType, FromDuckDbTypes) {
  struct Case {
    const char* duck;
    const char* hive;
  } cases[] = {
      {"BIGINT", "bigint"},
      {"INTEGER", "int"},
      {"DOUBLE", "double"},
      {"VARCHAR", "string"},
      {"BOOLEAN", "boolean"},
      {"DATE", "date"},
      {"TIMESTAMP", "timestamp"},
      {"TIMESTAMP WITH TIME ZONE", "timestamp"},
      {"TIME", "string"},
      {"HUGEINT", "decimal(38,0)"},
      {"UBIGINT", "decimal(20,0)"},
      {"DECIMAL(10,2)", "decimal(10,2)"},
      {"BLOB", "binary"},
      {"VARCHAR[]", "array<string>"},
      {"BIGINT[][]", "array<array<bigint>>"},
      {"STRUCT(a BIGINT, b VARCHAR)", "struct<a:bigint,b:string>"},
      {"STRUCT(\"x y\" DOUBLE, \"q\"\"t\" STRUCT(z BOOLEAN)[])",
       "struct<x y:double,q\"t:array<struct<z:boolean>>>"},
      {"MAP(VARCHAR, STRUCT(a INTEGER, b DECIMAL(5,1)))", "map<string,struct<a:int,b:decimal(5,1)>>"},
      {"JSON", "string"},
      {"UUID", "string"},
  };
  for (const Case& c : cases) EXPECT_EQ(HiveType(c.duck), c.hive) << c.duck;
}

TEST(ClassifyHead, ByMagicAndFirstCharacters) {
  EXPECT_EQ(ClassifyHead("a.parquet", "PAR1\x15\x04").format, DataFormat::kParquet);
  EXPECT_EQ(ClassifyHead("a", "{\"a\":1}\n{\"a\":2}\n").format, DataFormat::kJson);
  EXPECT_EQ(ClassifyHead("a", "\xEF\xBB\xBF  [1, 2]").format, DataFormat::kJson);
  EXPECT_EQ(ClassifyHead("a.csv", "id,name\n1,x\n").format, DataFormat::kCsv);
  EXPECT_EQ(ClassifyHead("a.tsv", "id\tname\n1\tx\n").format, DataFormat::kCsv);
  EXPECT_EQ(ClassifyHead("a.txt", "just some words\n").format, DataFormat::kUnknown);
  EXPECT_EQ(ClassifyHead("a.bin", std::string("a,b\0\x01", 5)).format, DataFormat::kUnknown);
  HeadClass gz = ClassifyHead("a.json.gz", Gzip("{\"a\": 1}\n"));
  EXPECT_TRUE(gz.gzip);
  EXPECT_EQ(gz.format, DataFormat::kJson);
  // A gzip head cut short still classifies from what it inflates to.
  std::string big;
  for (int i = 0; i < 20000; ++i) big += std::to_string(i) + ",row" + std::to_string(i) + "\n";
  std::string zipped = Gzip(big);
  gz = ClassifyHead("x.gz", std::string_view(zipped).substr(0, 2000));
  EXPECT_TRUE(gz.gzip);
  EXPECT_EQ(gz.format, DataFormat::kCsv);
}

class InferSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    QueryConfig config;
    config.threads = 2;
    config.lake = &lake_;
    config.local_files = true;  // to write Parquet fixtures
    auto engine = CreateQueryEngine(config);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
  }

  Result<InferredSchema> Infer(const std::string& key) {
    return InferSchema(*engine_, lake_, "b", key);
  }

  static std::string Columns(const InferredSchema& s) {
    std::string out;
    for (const InferredColumn& c : s.columns) out += (out.empty() ? "" : " ") + c.name + ":" + c.type;
    return out;
  }

  MemoryLake lake_;
  std::unique_ptr<QueryEngine> engine_;
};

TEST_F(InferSchemaTest, CsvWithAndWithoutHeaderAndOtherDelimiters) {
  lake_.Put("b", "h.csv", "id,name,price,ok\n1,ann,2.5,true\n2,bob,3.0,false\n");
  Result<InferredSchema> s = Infer("h.csv");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->format, DataFormat::kCsv);
  EXPECT_TRUE(s->header);
  EXPECT_EQ(s->delimiter, ',');
  EXPECT_EQ(Columns(*s), "id:bigint name:string price:double ok:boolean");

  lake_.Put("b", "n.csv", "1|x|2024-01-02\n2|y|2024-02-03\n3|z|2024-03-04\n");
  s = Infer("n.csv");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE(s->header);
  EXPECT_EQ(s->delimiter, '|');
  EXPECT_EQ(Columns(*s), "col0:bigint col1:string col2:date");

  lake_.Put("b", "t.tsv.gz", Gzip("a\tb\nx\t1\ny\t2\n"));
  s = Infer("t.tsv.gz");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->gzip);
  EXPECT_EQ(s->delimiter, '\t');
  EXPECT_EQ(Columns(*s), "a:string b:bigint");
}

TEST_F(InferSchemaTest, CustomCsvClassifierOverridesTheSniffer) {
  lake_.Put("b", "c.csv", "1;x\n2;y\n3;z\n");
  CsvOverrides o;
  o.delimiter = ';';
  o.header = false;
  o.names = {"id"};
  Result<InferredSchema> s = InferSchema(*engine_, lake_, "b", "c.csv", o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->delimiter, ';');
  EXPECT_EQ(Columns(*s), "id:bigint col1:string");
}

TEST_F(InferSchemaTest, JsonLinesNestedAndGzip) {
  std::string lines =
      "{\"id\": 1, \"user\": {\"name\": \"a\", \"tags\": [\"x\"]}, \"score\": 1.5}\n"
      "{\"id\": 2, \"user\": {\"name\": \"b\", \"tags\": []}, \"score\": 2}\n";
  lake_.Put("b", "e.json", lines);
  lake_.Put("b", "e.gz", Gzip(lines));  // no telling extension
  for (const char* key : {"e.json", "e.gz"}) {
    Result<InferredSchema> s = Infer(key);
    ASSERT_TRUE(s.ok()) << key << ": " << s.status().ToString();
    EXPECT_EQ(s->format, DataFormat::kJson);
    EXPECT_EQ(Columns(*s),
              "id:bigint user:struct<name:string,tags:array<string>> score:double")
        << key;
  }
}

TEST_F(InferSchemaTest, ParquetAndUnknown) {
  const std::string local = ::testing::TempDir() + "tarn_infer_" + std::to_string(getpid()) + ".parquet";
  ASSERT_TRUE(engine_
                  ->ExecuteToText("COPY (SELECT 1::INTEGER AS a, 'x' AS b, [1.5, 2.5] AS c, "
                                  "DATE '2024-01-01' AS d, 12.34::DECIMAL(9,2) AS e) TO '" +
                                  local + "' (FORMAT parquet)")
                  .ok());
  std::ifstream in(local, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::filesystem::remove(local);
  lake_.Put("b", "p/part-0000", ss.str());
  Result<InferredSchema> s = Infer("p/part-0000");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->format, DataFormat::kParquet);
  EXPECT_EQ(Columns(*s), "a:int b:string c:array<decimal(2,1)> d:date e:decimal(9,2)");

  lake_.Put("b", "notes.txt", "hello there\n");
  s = Infer("notes.txt");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().aws_code(), "UNKNOWN");
  // A truncated Parquet file is the engine's error, not a crash.
  lake_.Put("b", "broken.parquet", ss.str().substr(0, 40));
  EXPECT_FALSE(Infer("broken.parquet").ok());
  EXPECT_EQ(Infer("missing").status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace tarn::query
