#include "query/lake_glob.h"

#include <gtest/gtest.h>

namespace tarn::query {
namespace {

TEST(LakeGlob, Wildcards) {
  struct Case {
    const char* pattern;
    const char* key;
    bool match;
  } cases[] = {
      {"events/a.parquet", "events/a.parquet", true},
      {"events/a.parquet", "events/a.parquetx", false},
      {"events/*.parquet", "events/a.parquet", true},
      {"events/*.parquet", "events/.parquet", true},
      {"events/*.parquet", "events/x/a.parquet", false},
      {"events/*", "events/a/b", false},
      {"events/*/*.csv", "events/year=2024/a.csv", true},
      {"events/**/*.csv", "events/a.csv", true},
      {"events/**/*.csv", "events/y=1/m=2/a.csv", true},
      {"events/**/*.csv", "events/y=1/m=2/a.json", false},
      {"events/**", "events/y=1/a.csv", true},
      {"**/*.csv", "a/b/c.csv", true},
      {"events/?.csv", "events/a.csv", true},
      {"events/?.csv", "events/ab.csv", false},
      {"events/[ab].csv", "events/b.csv", true},
      {"events/[!ab].csv", "events/b.csv", false},
      {"events/[^ab].csv", "events/c.csv", true},
      {"events/[a-c]x", "events/bx", true},
      {"events/[a-c]x", "events/dx", false},
      {"events/[]x].csv", "events/].csv", true},
      {"events/[ab", "events/[ab", true},  // no ']': a literal '['
      {"a*b*c", "aXbYbZc", true},
      {"a*b*c", "aXbYbZ", false},
      {"part-*", "part-00000-uuid.c000.snappy.parquet", true},
      {"", "", true},
      {"x/", "x/", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.key), c.match) << c.pattern << " vs " << c.key;
  }
}

TEST(LakeGlob, PrefixIsEverythingBeforeTheFirstWildcard) {
  EXPECT_EQ(GlobPrefix("events/y=2024/*.parquet"), "events/y=2024/");
  EXPECT_EQ(GlobPrefix("events/part-?.csv"), "events/part-");
  EXPECT_EQ(GlobPrefix("plain/key"), "plain/key");
  EXPECT_TRUE(HasGlob("a/[bc]"));
  EXPECT_FALSE(HasGlob("a/b=c/d.parquet"));
}

}  // namespace
}  // namespace tarn::query
