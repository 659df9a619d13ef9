#include "services/athena/dialect.h"

#include <gtest/gtest.h>

namespace tarn::athena {
namespace {

std::string T(std::string_view sql) {
  Result<std::string> r = TranslateDialect(sql);
  EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
  return r.ok() ? *r : "";
}

TEST(Dialect, RenamesFunctionsOutsideQuotesAndComments) {
  EXPECT_EQ(T("SELECT approx_distinct(user), ARRAY_JOIN(tags, ',') FROM t"),
            "SELECT approx_count_distinct(user), array_to_string(tags, ',') FROM t");
  EXPECT_EQ(T("SELECT x FROM UNNEST(sequence(1, 5)) AS t(x)"),
            "SELECT x FROM UNNEST(generate_series(1, 5)) AS t(x)");
  EXPECT_EQ(T("SELECT 'approx_distinct(x)', \"cardinality\" (x) FROM t -- regexp_like(a)\n"),
            "SELECT 'approx_distinct(x)', \"cardinality\" (x) FROM t -- regexp_like(a)\n");
  // Only calls: a column named like a function stays.
  EXPECT_EQ(T("SELECT cardinality FROM t WHERE cardinality (a) > 1"),
            "SELECT cardinality FROM t WHERE len (a) > 1");
  EXPECT_EQ(T("SELECT t.cardinality(a)"), "SELECT t.cardinality(a)");
}

TEST(Dialect, DateParseAndFormatConvertLiteralFormats) {
  EXPECT_EQ(T("SELECT date_parse(s, '%Y-%m-%d %H:%i:%s') FROM t"),
            "SELECT strptime(s, '%Y-%m-%d %H:%M:%S') FROM t");
  EXPECT_EQ(T("SELECT date_format(from_iso8601_timestamp(ts), '%M %e, %Y %T')"),
            "SELECT strftime(CAST(ts AS TIMESTAMPTZ), '%B %-d, %Y %H:%M:%S')");
  EXPECT_EQ(T("SELECT from_iso8601_date('2024-01-02')"), "SELECT CAST('2024-01-02' AS DATE)");
  Result<std::string> r = TranslateDialect("SELECT date_parse(s, fmt) FROM t");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("date_parse needs its format"), std::string::npos);
  EXPECT_FALSE(TranslateDialect("SELECT date_parse(s").ok());
  EXPECT_FALSE(TranslateDialect("SELECT from_iso8601_date(a, b)").ok());
}

TEST(Dialect, DateFormats) {
  EXPECT_EQ(TranslateDateFormat("%Y%m%d"), "%Y%m%d");
  EXPECT_EQ(TranslateDateFormat("%h:%i %r 100%%"), "%I:%M %I:%M:%S %p 100%%");
}

}  // namespace
}  // namespace tarn::athena
