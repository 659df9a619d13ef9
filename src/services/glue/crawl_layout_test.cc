#include "services/glue/crawl_layout.h"

#include <gtest/gtest.h>

namespace tarn::glue {
namespace {

using query::DataFormat;
using query::InferredSchema;

InferredSchema Csv(std::vector<std::pair<std::string, std::string>> cols, bool header = true) {
  InferredSchema s;
  s.format = DataFormat::kCsv;
  s.header = header;
  for (auto& [n, t] : cols) s.columns.push_back({n, t});
  return s;
}

InferredSchema Json(std::vector<std::pair<std::string, std::string>> cols) {
  InferredSchema s = Csv(std::move(cols));
  s.format = DataFormat::kJson;
  s.header = false;
  return s;
}

DataFolder Folder(InferredSchema s, int64_t objects = 1, int64_t bytes = 100) {
  return DataFolder{std::move(s), objects, bytes};
}

std::string Keys(const TableLayout& t) {
  std::string out;
  for (const auto& k : t.partition_keys) out += (out.empty() ? "" : ",") + k;
  return out;
}

std::string Columns(const TableLayout& t) {
  std::string out;
  for (const auto& c : t.schema.columns) out += (out.empty() ? "" : " ") + c.name + ":" + c.type;
  return out;
}

TEST(CrawlLayout, HivePartitionsBecomeKeysOfOneTable) {
  auto s = Csv({{"id", "bigint"}, {"amount", "double"}});
  std::map<std::string, DataFolder> folders = {
      {"sales/year=2024/month=01/", Folder(s, 2, 200)},
      {"sales/year=2024/month=02/", Folder(s)},
      {"sales/year=2025/month=01/", Folder(s)},
  };
  auto tables = LayoutTables("b", "sales/", folders, "");
  ASSERT_EQ(tables.size(), 1u);
  const TableLayout& t = tables[0];
  EXPECT_EQ(t.name, "sales");
  EXPECT_EQ(t.root, "sales/");
  EXPECT_EQ(Keys(t), "year,month");
  ASSERT_EQ(t.partitions.size(), 3u);
  EXPECT_EQ(t.partitions[0].values, (std::vector<std::string>{"2024", "01"}));
  EXPECT_EQ(t.partitions[0].folder, "sales/year=2024/month=01/");
  EXPECT_EQ(t.partitions[2].values, (std::vector<std::string>{"2025", "01"}));
  EXPECT_EQ(t.objects, 4);
  EXPECT_EQ(t.bytes, 400);
}

TEST(CrawlLayout, UnnamedFoldersArePartitionN) {
  auto s = Json({{"a", "bigint"}});
  std::map<std::string, DataFolder> folders = {
      {"logs/2024/01/", Folder(s)},
      {"logs/2024/02/", Folder(s)},
  };
  auto tables = LayoutTables("b", "logs/", folders, "raw_");
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].name, "raw_logs");
  EXPECT_EQ(Keys(tables[0]), "partition_0,partition_1");
  EXPECT_EQ(tables[0].partitions[1].values, (std::vector<std::string>{"2024", "02"}));
}

TEST(CrawlLayout, IncompatibleFoldersAreSeparateTables) {
  std::map<std::string, DataFolder> folders = {
      {"lake/customers/", Folder(Csv({{"id", "bigint"}, {"name", "string"}}))},
      {"lake/orders/dt=1/", Folder(Json({{"order", "bigint"}, {"total", "double"}}))},
      {"lake/orders/dt=2/", Folder(Json({{"order", "bigint"}, {"total", "bigint"}}))},
  };
  auto tables = LayoutTables("b", "lake/", folders, "");
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[0].name, "customers");
  EXPECT_EQ(tables[0].root, "lake/customers/");
  EXPECT_TRUE(tables[0].partition_keys.empty());
  EXPECT_EQ(tables[1].name, "orders");
  EXPECT_EQ(Keys(tables[1]), "dt");
  EXPECT_EQ(Columns(tables[1]), "order:bigint total:double");  // widened
}

TEST(CrawlLayout, UnevenDepthsSplitAndRootFilesStandAlone) {
  auto s = Json({{"a", "bigint"}});
  std::map<std::string, DataFolder> folders = {
      {"d/", Folder(s)},
      {"d/x/", Folder(s)},
      {"d/y/z/", Folder(s)},
  };
  auto tables = LayoutTables("bkt", "d/", folders, "");
  ASSERT_EQ(tables.size(), 3u);
  EXPECT_EQ(tables[0].root, "d/");
  EXPECT_EQ(tables[0].name, "d");
  EXPECT_EQ(tables[1].root, "d/x/");
  EXPECT_EQ(tables[2].root, "d/y/");
  EXPECT_EQ(Keys(tables[2]), "partition_0");
  // The bucket's root names its table after the bucket.
  tables = LayoutTables("My-Bucket", "", {{"", Folder(s)}}, "");
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].name, "my_bucket");
}

TEST(CrawlLayout, MixedKeyNamesAtALevelAreUnnamed) {
  auto s = Json({{"a", "bigint"}});
  auto tables = LayoutTables("b", "t/", {{"t/k=1/", Folder(s)}, {"t/j=2/", Folder(s)}}, "");
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(Keys(tables[0]), "partition_0");
  EXPECT_EQ(tables[0].partitions[0].values[0], "j=2");
}

TEST(CrawlLayout, NameClashesGetASuffix) {
  std::map<std::string, DataFolder> folders = {
      {"p/logs/", Folder(Json({{"a", "bigint"}}))},
      {"p/other/", Folder(Csv({{"b", "string"}, {"c", "string"}}))},
      {"q/logs/", Folder(Csv({{"d", "string"}, {"e", "string"}, {"f", "string"}}))},
      {"q/x/", Folder(Json({{"g", "bigint"}}))},
  };
  auto tables = LayoutTables("bkt", "", folders, "");
  ASSERT_EQ(tables.size(), 4u);
  EXPECT_EQ(tables[0].root, "p/logs/");
  EXPECT_EQ(tables[0].name, "logs");
  EXPECT_EQ(tables[2].root, "q/logs/");
  EXPECT_EQ(tables[2].name.rfind("logs_", 0), 0u) << tables[2].name;
  EXPECT_EQ(tables[2].name.size(), 13u);
}

// A lone chain of folders is one table at the first folder, the rest
// partitions.
TEST(CrawlLayout, LoneChainIsPartitioned) {
  auto tables = LayoutTables("bkt", "", {{"a/data/", Folder(Json({{"x", "bigint"}}))}}, "");
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].name, "bkt");
  EXPECT_EQ(Keys(tables[0]), "partition_0,partition_1");
}

TEST(CrawlLayout, Compatibility) {
  EXPECT_TRUE(SchemasCompatible(Csv({{"a", "bigint"}}), Csv({{"a", "double"}})));
  EXPECT_FALSE(SchemasCompatible(Csv({{"a", "bigint"}}), Csv({{"b", "bigint"}})));
  EXPECT_TRUE(SchemasCompatible(Csv({{"col0", "bigint"}}, false), Csv({{"col0", "string"}}, false)));
  EXPECT_FALSE(SchemasCompatible(Csv({{"a", "bigint"}}), Json({{"a", "bigint"}})));
  // 7 of 10 names in common is similar; 6 is not.
  std::vector<std::pair<std::string, std::string>> ten, seven_of, six_of;
  for (int i = 0; i < 10; ++i) ten.push_back({"c" + std::to_string(i), "bigint"});
  for (int i = 0; i < 10; ++i) seven_of.push_back({(i < 7 ? "c" : "d") + std::to_string(i), "bigint"});
  for (int i = 0; i < 10; ++i) six_of.push_back({(i < 6 ? "c" : "d") + std::to_string(i), "bigint"});
  EXPECT_TRUE(SchemasCompatible(Json(ten), Json(seven_of)));
  EXPECT_FALSE(SchemasCompatible(Json(ten), Json(six_of)));
  InferredSchema merged = MergeSchemas(Json({{"a", "int"}, {"b", "date"}}),
                                       Json({{"a", "bigint"}, {"b", "timestamp"}, {"c", "string"}}));
  ASSERT_EQ(merged.columns.size(), 3u);
  EXPECT_EQ(merged.columns[0].type, "bigint");
  EXPECT_EQ(merged.columns[1].type, "timestamp");
  EXPECT_EQ(MergeSchemas(Json({{"a", "bigint"}}), Json({{"a", "boolean"}})).columns[0].type, "string");
}

TEST(CrawlLayout, ExclusionPatterns) {
  struct Case {
    const char* pattern;
    const char* key;
    bool match;
  } cases[] = {
      {"*.csv", "a.csv", true},
      {"*.csv", "x/a.csv", false},
      {"**.csv", "x/y/a.csv", true},
      {"**/_tmp/**", "a/_tmp/b.json", true},
      {"2024/**", "2024/01/a.json", true},
      {"2024/**", "2025/01/a.json", false},
      {"*.{csv,tsv}", "a.tsv", true},
      {"*.{csv,tsv}", "a.json", false},
      {"part-?.json", "part-1.json", true},
      {"[ab]*", "b.json", true},
      {"[!ab]*", "b.json", false},
      {"year=2024/*", "year=2024/x.csv", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ExclusionMatches(c.pattern, c.key), c.match) << c.pattern << " vs " << c.key;
  }
}

}  // namespace
}  // namespace tarn::glue
