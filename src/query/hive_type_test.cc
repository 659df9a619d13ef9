#include "query/hive_type.h"

#include <gtest/gtest.h>

namespace tarn::query {
namespace {

TEST(HiveType, DuckDbNames) {
  EXPECT_EQ(DuckDbType("string"), "VARCHAR");
  EXPECT_EQ(DuckDbType("varchar(20)"), "VARCHAR");
  EXPECT_EQ(DuckDbType("BIGINT"), "BIGINT");
  EXPECT_EQ(DuckDbType("decimal"), "DECIMAL(10,0)");
  EXPECT_EQ(DuckDbType("decimal(12, 2)"), "DECIMAL(12,2)");
  EXPECT_EQ(DuckDbType("array<struct<a:int,b:decimal(10,2)>>"),
            "STRUCT(\"a\" INTEGER, \"b\" DECIMAL(10,2))[]");
  EXPECT_EQ(DuckDbType("map<string,array<bigint>>"), "MAP(VARCHAR, BIGINT[])");
  EXPECT_EQ(DuckDbType("struct<`Odd Name`:timestamp, d:date>"),
            "STRUCT(\"Odd Name\" TIMESTAMP, \"d\" DATE)");
  // What does not parse reads as text.
  EXPECT_EQ(DuckDbType("uniontype<int,string>"), "VARCHAR");
}

TEST(HiveType, TreeAndErrors) {
  Result<HiveType> t = ParseHiveType("map<string, struct<x:double>>");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->kind, HiveType::Kind::kMap);
  ASSERT_EQ(t->children.size(), 2u);
  EXPECT_EQ(t->children[1].type.kind, HiveType::Kind::kStruct);
  EXPECT_EQ(t->children[1].type.children[0].name, "x");

  for (const char* bad : {"", "array<int", "map<string>", "struct<a int>", "decimal(40,2)",
                          "decimal(5,6)", "int extra", "array<>", "blob"}) {
    EXPECT_FALSE(ParseHiveType(bad).ok()) << bad;
  }
  EXPECT_NE(ParseHiveType("array<int").status().message().find("expected '>'"), std::string::npos);
}

}  // namespace
}  // namespace tarn::query
