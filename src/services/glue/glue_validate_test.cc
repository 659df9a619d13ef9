#include "services/glue/glue_validate.h"

#include <gtest/gtest.h>

#include "aws/json_protocol.h"

namespace tarn::glue {
namespace {

// Runs `check` over doc (as the member `member` of a request) and returns
// the stored form and the request's status.
template <typename Check>
std::pair<Json, Status> CheckDoc(const Json& doc, const char* path, Check check) {
  Json stored = doc;
  Checker c(doc, path);
  check(c, stored);
  return {stored, c.Finish()};
}

TEST(GlueNames, LowercasedAsGlueDoes) {
  EXPECT_EQ(LowerName("Sales_DB-2024"), "sales_db-2024");
  EXPECT_EQ(LowerName("ÉtéTable"), "Ététable");  // non-ASCII kept as sent
  auto [stored, st] = CheckDoc(Json{{"Name", "MyTable"}}, "tableInput.", CheckTableInput);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(stored["Name"], "mytable");
}

struct NameCase {
  std::string name;
  bool valid;
  const char* constraint;  // part of the message when invalid
};

TEST(GlueNames, LimitsAndPatternNameTheField) {
  const NameCase cases[] = {
      {"a", true, ""},
      {std::string(255, 'x'), true, ""},
      {"with space and\ttab", true, ""},
      {"ünïcödé", true, ""},
      {std::string(254, 'x') + "é", true, ""},  // 255 characters, 256 bytes
      {"", false, "Member must have length greater than or equal to 1"},
      {std::string(256, 'x'), false, "Member must have length less than or equal to 255"},
      {"line\nbreak", false, "Member must satisfy regular expression pattern"},
      {std::string("nul\0x", 5), false, "Member must satisfy regular expression pattern"},
  };
  for (const NameCase& c : cases) {
    auto [stored, st] = CheckDoc(Json{{"Name", c.name}}, "databaseInput.", CheckDatabaseInput);
    EXPECT_EQ(st.ok(), c.valid) << c.name << ": " << st.ToString();
    if (!c.valid) {
      EXPECT_EQ(st.aws_code(), "InvalidInputException");
      EXPECT_NE(st.message().find("at 'databaseInput.name'"), std::string::npos) << st.message();
      EXPECT_NE(st.message().find(c.constraint), std::string::npos) << st.message();
    }
  }
}

TEST(GlueValidate, MissingNameIsRequired) {
  auto [stored, st] = CheckDoc(Json::object(), "tableInput.", CheckTableInput);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(
      st.message(),
      "1 validation error detected: Value null at 'tableInput.name' failed to satisfy constraint: "
      "Member must not be null");
}

TEST(GlueValidate, NestedColumnPathsAndSeveralErrors) {
  Json table = {
      {"Name", "t"},
      {"StorageDescriptor",
       {{"Columns", Json::array({Json{{"Name", "ok"}}, Json{{"Type", "int"}},
                                 Json{{"Name", "c"}, {"Comment", std::string(300, 'c')}}})},
        {"SortColumns", Json::array({Json{{"Column", "ok"}, {"SortOrder", 2}}})}}},
      {"Retention", -1}};
  auto [stored, st] = CheckDoc(table, "tableInput.", CheckTableInput);
  ASSERT_FALSE(st.ok());
  const std::string& m = st.message();
  EXPECT_NE(m.find("4 validation errors detected"), std::string::npos) << m;
  EXPECT_NE(m.find("'tableInput.storageDescriptor.columns.2.member.name'"), std::string::npos) << m;
  EXPECT_NE(m.find("'tableInput.storageDescriptor.columns.3.member.comment'"), std::string::npos)
      << m;
  EXPECT_NE(m.find("'tableInput.storageDescriptor.sortColumns.1.member.sortOrder'"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("'tableInput.retention'"), std::string::npos) << m;
}

TEST(GlueValidate, WrongJsonTypeIsSerializationException) {
  auto [stored, st] = CheckDoc(Json{{"Name", 5}}, "databaseInput.", CheckDatabaseInput);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.aws_code(), "SerializationException");
  EXPECT_NE(st.message().find("databaseInput.name"), std::string::npos);
}

TEST(GlueValidate, TimestampsStoredAsMillisUnknownMembersKept) {
  Json table = {{"Name", "t"}, {"LastAccessTime", 1700000000.5}, {"FutureMember", {{"x", 1}}}};
  auto [stored, st] = CheckDoc(table, "tableInput.", CheckTableInput);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(stored["LastAccessTime"], 1700000000500);
  EXPECT_EQ(stored["FutureMember"], table["FutureMember"]);
}

TEST(GlueValidate, ColumnStatisticsNeedTheirTypedMember) {
  Json stats = {{"ColumnName", "c"},
                {"ColumnType", "bigint"},
                {"AnalyzedTime", 1700000000},
                {"StatisticsData", {{"Type", "LONG"}}}};
  auto [s1, st1] = CheckDoc(stats, "", CheckColumnStatistics);
  ASSERT_FALSE(st1.ok());
  EXPECT_NE(st1.message().find("'statisticsData.longColumnStatisticsData'"), std::string::npos)
      << st1.message();

  stats["StatisticsData"]["LongColumnStatisticsData"] = {
      {"NumberOfNulls", 0}, {"NumberOfDistinctValues", 3}, {"MinimumValue", -4}};
  auto [s2, st2] = CheckDoc(stats, "", CheckColumnStatistics);
  EXPECT_TRUE(st2.ok()) << st2.ToString();
  EXPECT_EQ(s2["AnalyzedTime"], 1700000000000);

  Json decimal = {{"ColumnName", "p"},
                  {"ColumnType", "decimal(10,2)"},
                  {"AnalyzedTime", 1700000000},
                  {"StatisticsData",
                   {{"Type", "DECIMAL"},
                    {"DecimalColumnStatisticsData",
                     {{"NumberOfNulls", 1},
                      {"NumberOfDistinctValues", 2},
                      {"MinimumValue", {{"UnscaledValue", "AQI="}, {"Scale", 2}}}}}}}};
  auto [s3, st3] = CheckDoc(decimal, "", CheckColumnStatistics);
  ASSERT_TRUE(st3.ok()) << st3.ToString();
  EXPECT_EQ(s3["StatisticsData"]["DecimalColumnStatisticsData"]["MinimumValue"]["UnscaledValue"],
            "AQI=");

  Json bad_type = stats;
  bad_type["StatisticsData"]["Type"] = "INTEGER";
  auto [s4, st4] = CheckDoc(bad_type, "", CheckColumnStatistics);
  ASSERT_FALSE(st4.ok());
  EXPECT_NE(st4.message().find("Member must satisfy enum value set"), std::string::npos);
}

TEST(GlueValidate, AtMostTenErrorsAreListed) {
  Json cols = Json::array();
  for (int i = 0; i < 20; ++i) cols.push_back(Json{{"Type", "int"}});
  auto [stored, st] =
      CheckDoc(Json{{"Name", "t"}, {"PartitionKeys", cols}}, "tableInput.", CheckTableInput);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("10 validation errors detected"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace tarn::glue
