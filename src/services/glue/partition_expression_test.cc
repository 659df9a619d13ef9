#include "services/glue/partition_expression.h"

#include <gtest/gtest.h>

#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace tarn::glue {
namespace {

// The table every case runs against: the partition layout Athena and Spark
// tables commonly have, one key of each comparison kind.
const std::vector<PartitionKey> kKeys = {
    {"region", "string"},       {"year", "int"},     {"month", "smallint"}, {"dt", "date"},
    {"price", "decimal(38,2)"}, {"ratio", "double"}, {"ts", "timestamp"},   {"flag", "boolean"},
    {"big", "bigint"},
};

// region, year, month, dt, price, ratio, ts, flag, big
const std::vector<std::string> kEuRow = {"eu-west-1",           "2021",  "3",
                                         "2021-03-09",          "10.50", "0.25",
                                         "2021-03-09 12:30:00", "true",  "12345678901234567890123"};
const std::vector<std::string> kUsRow = {
    "us-east-1", "2019", "12", "2019-12-31", "9.99", "1e3", "2019-12-31 23:59:59.5", "FALSE", "-5"};
const std::vector<std::string> kNullRow = {std::string(kHiveNullPartition),
                                           "notanumber",
                                           "7",
                                           "2020-02-29",
                                           "0",
                                           "-0.5",
                                           "2020-02-29",
                                           "true",
                                           "0"};

struct Case {
  const char* expression;
  bool eu;    // matches kEuRow
  bool us;    // matches kUsRow
  bool null;  // matches kNullRow
};

const Case kCases[] = {
    // Equality and inequality on strings.
    {"", true, true, true},
    {"   ", true, true, true},
    {"region = 'eu-west-1'", true, false, false},
    {"region == \"us-east-1\"", false, true, false},
    {"region <> 'eu-west-1'", false, true, false},  // null row: UNKNOWN
    {"region != 'eu-west-1'", false, true, false},
    {"region > 'f'", false, true, false},
    {"region <= 'eu-west-1'", true, false, false},
    {"'eu-west-1' = region", true, false, false},
    // Integers compare as numbers, not strings ("3" > "12" as text).
    {"month > 10", false, true, false},
    {"month < 10", true, false, true},
    {"month >= 3 AND month <= 3", true, false, false},
    {"year = '2021'", true, false, false},
    {"year > 2020", true, false, false},
    {"2020 < year", true, false, false},
    {"year = 2021.0", true, false, false},
    {"year < -1", false, false, false},
    {"big > 1000000000000000000000", true, false, false},
    {"big < 0", false, true, false},
    {"big = -5", false, true, false},
    // Decimals exactly; doubles as doubles.
    {"price > 10.49", true, false, false},
    {"price = 10.5", true, false, false},
    {"price between 9.99 and 10", false, true, false},
    {"price >= 0 and price < 0.01", false, false, true},
    {"ratio < 0", false, false, true},
    {"ratio = 1000", false, true, false},
    {"ratio > 0.2", true, true, false},
    // Dates and timestamps chronologically.
    {"dt = '2021-03-09'", true, false, false},
    {"dt = DATE '2021-03-09'", true, false, false},
    {"dt >= date '2020-01-01'", true, false, true},
    {"dt < '2020-1-1'", false, true, false},
    {"dt BETWEEN '2019-12-31' AND '2020-02-29'", false, true, true},
    {"ts > TIMESTAMP '2021-03-09 12:29:59'", true, false, false},
    {"ts > '2019-12-31 23:59:59'", true, true, true},
    {"ts < '2019-12-31 23:59:59.6'", false, true, false},
    {"ts = '2020-02-29 00:00:00'", false, false, true},
    {"ts < '9999-12-31 23:59:59.999999999'", true, true, true},
    {"ts > '0001-01-01 00:00:00'", true, true, true},
    {"dt < '9999-12-31' AND dt > '0001-01-01'", true, true, true},
    // Booleans case-insensitively.
    {"flag = true", true, false, true},
    {"flag = 'false'", false, true, false},
    // AND, OR, NOT and precedence (AND binds tighter).
    {"region = 'us-east-1' OR year = 2021 AND month = 3", true, true, false},
    {"(region = 'us-east-1' OR year = 2021) AND month = 3", true, false, false},
    {"NOT region = 'eu-west-1'", false, true, false},
    {"not (year = 2021 or year = 2019)", false, false, false},
    {"NOT NOT month = 7", false, false, true},
    {"year = 2021 and month = 3 and region = 'eu-west-1'", true, false, false},
    {"((((month = 12))))", false, true, false},
    // UNKNOWN: the null row's region and year are not values.
    {"region = 'x' OR month = 7", false, false, true},
    {"year = 1 OR month = 7", false, false, true},
    {"NOT (year = 1)", true, true, false},
    // IN and NOT IN.
    {"month IN (3, 12)", true, true, false},
    {"month in ('3')", true, false, false},
    {"month NOT IN (3, 12)", false, false, true},
    {"region IN ('eu-west-1', 'ap-south-1')", true, false, false},
    {"region NOT IN ('eu-west-1')", false, true, false},
    // BETWEEN and NOT BETWEEN; the AND of BETWEEN is not a conjunction.
    {"month BETWEEN 1 AND 6 AND year = 2021", true, false, false},
    {"month NOT BETWEEN 1 AND 6", false, true, true},
    {"year BETWEEN 2019 AND 2019", false, true, false},
    // LIKE.
    {"region LIKE 'eu-%'", true, false, false},
    {"region LIKE '%-1'", true, true, false},
    {"region LIKE '__-east-_'", false, true, false},
    {"region NOT LIKE 'eu%'", false, true, false},
    {"dt LIKE '2021-%'", true, false, false},
    // IS NULL matches the Hive null partition.
    {"region IS NULL", false, false, true},
    {"region IS NOT NULL", true, true, false},
    {"year is not null", true, true, true},
    // Case-insensitive keywords and keys, backquoted keys.
    {"`Region` = 'eu-west-1' And `year` > 2000", true, false, false},
    {"YEAR = 2019", false, true, false},
    // ANSI-quoted key names, where the other side is the literal.
    {"\"region\" = 'eu-west-1'", true, false, false},
    {"'eu-west-1' = \"region\"", true, false, false},
    {"\"month\" IN (3, 7)", true, false, true},
    {"region = \"month\"", false, false, false},  // a key already: "month" is a string
    // Quotes inside strings.
    {"region = 'it''s'", false, false, false},
    {"region <> 'it\\'s'", true, true, false},
};

TEST(PartitionExpression, TableOfExpressions) {
  for (const Case& c : kCases) {
    auto p = PartitionPredicate::Compile(c.expression, kKeys);
    ASSERT_TRUE(p.ok()) << c.expression << ": " << p.status().ToString();
    EXPECT_EQ(p->Matches(kEuRow), c.eu) << c.expression << " (eu row)";
    EXPECT_EQ(p->Matches(kUsRow), c.us) << c.expression << " (us row)";
    EXPECT_EQ(p->Matches(kNullRow), c.null) << c.expression << " (null row)";
  }
}

struct BadCase {
  const char* expression;
  const char* message_part;  // the message must name the problem
};

const BadCase kBadCases[] = {
    {"yeer = 2020", "unknown partition key 'yeer'"},
    {"year = ", "expected a partition key or a literal but found the end"},
    {"year = 'abc'",
     "'abc' at position 8 is not a valid number for partition key 'year' of type int"},
    {"dt = '2021-02-30'", "not a valid date for partition key 'dt'"},
    {"dt = DATE 'x'", "not a valid date"},
    {"ts > '2021-13-01'", "not a valid timestamp"},
    {"flag = 'maybe'", "not a valid boolean"},
    {"year = 2020 AND", "expected a partition key or a literal but found the end"},
    {"(year = 2020", "expected ')'"},
    {"year = 2020)", "expected the end of the expression but found ')'"},
    {"region = 'eu", "unterminated string"},
    {"`region = 'eu'", "unterminated quoted name"},
    {"year = month", "must compare one partition key with a literal"},
    {"1 = 1", "must compare one partition key with a literal"},
    {"year", "expected a comparison, IN, BETWEEN, LIKE or IS after 'year'"},
    {"year IN 2020", "expected '(' after IN"},
    {"year IN (2020 2021)", "expected ',' or ')' in the IN list"},
    {"year IN ()", "expected a partition key or a literal but found ')'"},
    {"year BETWEEN 1 OR 2", "expected AND"},
    {"year BETWEEN month AND 2", "must be a literal, not the partition key 'month'"},
    {"region IS 'x'", "expected NULL"},
    {"region NOT = 'x'", "expected IN, BETWEEN or LIKE after NOT"},
    {"year ~ 2020", "unexpected character '~' at position 6"},
    {"year = 2020 year = 2021", "expected the end of the expression but found 'year'"},
    {"'x'", "must be compared with a partition key"},
};

TEST(PartitionExpression, BadExpressionsNameTheProblem) {
  for (const BadCase& c : kBadCases) {
    auto p = PartitionPredicate::Compile(c.expression, kKeys);
    ASSERT_FALSE(p.ok()) << c.expression;
    EXPECT_EQ(p.status().code(), Code::kInvalidArgument) << c.expression;
    EXPECT_EQ(p.status().aws_code(), "InvalidInputException") << c.expression;
    EXPECT_NE(p.status().message().find(c.message_part), std::string::npos)
        << c.expression << " -> " << p.status().message();
  }
}

TEST(PartitionExpression, DeepNestingIsRefusedNotCrashed) {
  std::string e(5000, '(');
  e += "year = 1";
  e += std::string(5000, ')');
  auto p = PartitionPredicate::Compile(e, kKeys);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("nested more than 100 levels"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 1000; ++i) nots += "NOT ";
  EXPECT_FALSE(PartitionPredicate::Compile(nots + "year = 1", kKeys).ok());
}

TEST(PartitionExpression, KeyNamedLikeAKeyword) {
  const std::vector<PartitionKey> keys = {{"date", "string"}, {"timestamp", "int"}};
  auto p = PartitionPredicate::Compile("date = '2020-01-01' AND `timestamp` > 5", keys);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->Matches(std::vector<std::string>{"2020-01-01", "6"}));
  EXPECT_FALSE(p->Matches(std::vector<std::string>{"2020-01-01", "5"}));
}

TEST(PartitionExpression, MissingValuesReadAsNull) {
  auto p = PartitionPredicate::Compile("month IS NULL", kKeys);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->Matches(std::vector<std::string>{"eu", "2020"}));
  EXPECT_FALSE(p->Matches(kEuRow));
}

TEST(PartitionExpression, EmptyExpressionMatchesAll) {
  auto p = PartitionPredicate::Compile("", {});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->MatchesAll());
  EXPECT_TRUE(p->Matches({}));
  auto q = PartitionPredicate::Compile("year = 1", kKeys);
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->MatchesAll());
}

TEST(PartitionExpression, NoPartitionKeysNamesThat) {
  auto p = PartitionPredicate::Compile("year = 1", {});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("has no partition keys"), std::string::npos);
}

// Mutations of valid expressions (bytes dropped, swapped, replaced) either
// compile or fail with InvalidInputException; none crash or hang.
TEST(PartitionExpression, MutatedInputNeverCrashes) {
  std::mt19937 rng(42);
  const std::string alphabet = "()'\"`,=<>!-+.%_ aAnNoOtTiIbBlLkK0123456789yeardtmonth\\";
  int compiled = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string e = kCases[rng() % std::size(kCases)].expression;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits && !e.empty(); ++k) {
      size_t at = rng() % e.size();
      switch (rng() % 3) {
        case 0: e.erase(at, 1); break;
        case 1: std::swap(e[at], e[rng() % e.size()]); break;
        default: e[at] = alphabet[rng() % alphabet.size()]; break;
      }
    }
    auto p = PartitionPredicate::Compile(e, kKeys);
    if (p.ok()) {
      ++compiled;
      (void)p->Matches(kEuRow);
      (void)p->Matches(kNullRow);
    } else {
      ASSERT_EQ(p.status().aws_code(), "InvalidInputException") << e;
    }
  }
  EXPECT_GT(compiled, 0);
}

TEST(LikeMatch, Patterns) {
  struct {
    const char* text;
    const char* pattern;
    bool match;
  } cases[] = {
      {"", "", true},
      {"", "%", true},
      {"a", "", false},
      {"abc", "abc", true},
      {"abc", "a%", true},
      {"abc", "%c", true},
      {"abc", "%b%", true},
      {"abc", "a_c", true},
      {"abc", "a__c", false},
      {"abc", "_", false},
      {"abc", "%%%", true},
      {"a%c", "a\\%c", true},
      {"abc", "a\\%c", false},
      {"a_c", "a\\_c", true},
      {"aXc", "a\\_c", false},
      {"héllo", "h_llo", true},
      {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "%a%a%a%a%a%b", true},
      {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "%a%a%a%a%a%b", false},
      {"mississippi", "%iss%pi", true},
      {"ABC", "abc", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(LikeMatch(c.text, c.pattern), c.match) << c.text << " LIKE " << c.pattern;
  }
}

}  // namespace
}  // namespace tarn::glue
