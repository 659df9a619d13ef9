#include "services/firehose/jq_extraction.h"

#include <gtest/gtest.h>

namespace tarn::firehose {
namespace {

// The developer guide's sample record and its partitioning keys.
constexpr std::string_view kGuideRecord = R"({
  "type": {"device": "mobile", "event": "user_clicked_submit_button"},
  "customer_id": "1234567890",
  "event_timestamp": 1565382027,
  "region": "sample_region"
})";
constexpr std::string_view kGuideQuery =
    R"({customer_id:.customer_id, device: .type.device, year: .event_timestamp| strftime("%Y"),
        month: .event_timestamp| strftime("%m"), day: .event_timestamp| strftime("%d"),
        hour: .event_timestamp| strftime("%H")})";

MetadataExtractionQuery Query(std::string_view text) {
  auto q = MetadataExtractionQuery::Parse(text);
  EXPECT_TRUE(q.ok()) << text << ": " << q.status().ToString();
  return std::move(q).value();
}

// The message of a failed parse, "" if it parsed.
std::string ParseError(std::string_view text) {
  auto q = MetadataExtractionQuery::Parse(text);
  if (q.ok()) return "";
  EXPECT_EQ(q.status().code(), Code::kInvalidArgument);
  return q.status().message();
}

// The message of a failed evaluation, "" if it succeeded.
std::string EvalError(std::string_view query, std::string_view record) {
  auto keys = Query(query).Evaluate(record);
  if (keys.ok()) return "";
  EXPECT_EQ(keys.status().code(), Code::kInvalidArgument);
  return keys.status().message();
}

TEST(MetadataExtractionQuery, GuideExampleBuildsItsPartitionKeys) {
  MetadataExtractionQuery q = Query(kGuideQuery);
  EXPECT_EQ(q.Keys(),
            (std::vector<std::string>{"customer_id", "device", "year", "month", "day", "hour"}));
  auto keys = q.Evaluate(kGuideRecord);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  // 1565382027 is 2019-08-09T20:20:27Z: the guide's customer_id=1234567890/
  // device=mobile/year=2019/month=08/day=09/hour=20/.
  EXPECT_EQ(*keys, (PartitionKeys{{"customer_id", "1234567890"},
                                  {"device", "mobile"},
                                  {"year", "2019"},
                                  {"month", "08"},
                                  {"day", "09"},
                                  {"hour", "20"}}));
}

// Expected values below are what jq 1.6 prints for the same query.
TEST(MetadataExtractionQuery, ScalarsRenderAsJqPrintsThem) {
  auto keys = Query(R"({a: .a, a_str: .a | tostring, b: .b, c: .c, d: .d, big: .big})")
                  .Evaluate(R"({"a": 10.0, "b": 2.5, "c": 1565382027, "d": true,
                                "big": 1e17})");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(*keys, (PartitionKeys{{"a", "10"},
                                  {"a_str", "10"},
                                  {"b", "2.5"},
                                  {"c", "1565382027"},
                                  {"d", "true"},
                                  {"big", "1e+17"}}));
}

TEST(MetadataExtractionQuery, PathsReachNestedAndQuotedNamesAndIndexes) {
  auto keys = Query(R"({
        x: .["x y"], y: ."x y", z: .a.b.c, first: .list[0], last: .list[-1],
        deep: .list[1].k, s: .a["b"].c, "quoted key": .a.b | .c, shorthand, "x y",
        arr: .list | tostring, again: . | .shorthand
      })")
                  .Evaluate(R"({"x y": "spaced", "a": {"b": {"c": "nested"}},
                        "list": ["zero", {"k": "v"}, "two"], "shorthand": 7})");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(*keys, (PartitionKeys{{"x", "spaced"},
                                  {"y", "spaced"},
                                  {"z", "nested"},
                                  {"first", "zero"},
                                  {"last", "two"},
                                  {"deep", "v"},
                                  {"s", "nested"},
                                  {"quoted key", "nested"},
                                  {"shorthand", "7"},
                                  {"x y", "spaced"},
                                  {"arr", R"(["zero",{"k":"v"},"two"])"},
                                  {"again", "7"}}));
}

TEST(MetadataExtractionQuery, StrftimeIsUtcAndDropsFractions) {
  auto keys = Query(R"({t: .ts | strftime("%Y-%m-%dT%H:%M:%SZ"), f: .frac | strftime("%S"),
                        neg: .neg | strftime("%Y-%m-%d %H:%M:%S")})")
                  .Evaluate(R"({"ts": 1565382027, "frac": 1565382027.9, "neg": -1.5})");
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(keys->at("t"), "2019-08-09T20:20:27Z");
  EXPECT_EQ(keys->at("f"), "27");
  EXPECT_EQ(keys->at("neg"), "1969-12-31 23:59:59");  // toward zero, as jq
  auto zero = Query(R"({t: .t | strftime("%Y-%m-%d %H:%M:%S")})").Evaluate(R"({"t": -0.5})");
  EXPECT_EQ(zero->at("t"), "1970-01-01 00:00:00");
}

TEST(MetadataExtractionQuery, RecordsWithoutAUsableKeyFail) {
  EXPECT_EQ(EvalError("{id: .id}", "not json"), "the record is not JSON");
  EXPECT_EQ(EvalError("{id: .id}", R"({"other": 1})"),
            "partition key 'id': is null or missing in the record");
  EXPECT_EQ(EvalError("{id: .id}", R"({"id": null})"),
            "partition key 'id': is null or missing in the record");
  EXPECT_EQ(EvalError("{id: .a.b.c}", R"({"a": null})"),
            "partition key 'id': is null or missing in the record");
  EXPECT_EQ(EvalError("{id: .list[5]}", R"({"list": [1]})"),
            "partition key 'id': is null or missing in the record");
  EXPECT_EQ(EvalError("{id: .a.b}", R"({"a": 5})"),
            "partition key 'id': cannot index a number with \"b\"");
  EXPECT_EQ(EvalError("{id: .a[0]}", R"({"a": {"k": 1}})"),
            "partition key 'id': cannot index an object with a number");
  EXPECT_EQ(EvalError("{id: .a}", R"({"a": {"k": 1}})"),
            "partition key 'id': is an object, not a string or number");
  EXPECT_EQ(EvalError("{id: .a}", R"({"a": [1]})"),
            "partition key 'id': is an array, not a string or number");
  EXPECT_EQ(EvalError(R"({y: .t | strftime("%Y")})", R"({"t": "2019-08-09"})"),
            "partition key 'y': strftime needs epoch seconds, not a string");
  EXPECT_EQ(EvalError(R"({y: .t | strftime("%Y")})", R"({"t": 1e300})"),
            "partition key 'y': strftime: 1e+300 is out of range");
}

TEST(MetadataExtractionQuery, UnsupportedJqIsRefusedAtParseTime) {
  EXPECT_EQ(ParseError(".customer_id"),
            "MetadataExtractionQuery: expected '{' (the query must build an object) at offset 0");
  EXPECT_EQ(ParseError("{id: .id | ascii_downcase}"),
            "MetadataExtractionQuery: 'ascii_downcase' is not supported (a value is a path, "
            "optionally piped to tostring or strftime(\"...\")) at offset 11");
  EXPECT_EQ(ParseError("{id: .a + .b}"),
            "MetadataExtractionQuery: expected ',' or '}' at offset 8");
  EXPECT_EQ(ParseError("{id: .list[]}"),
            "MetadataExtractionQuery: expected a \"key\" or an integer index in '[...]' at offset "
            "11");
  EXPECT_EQ(ParseError("{id: ..}"),
            "MetadataExtractionQuery: expected a name after '.' at offset 7");
  EXPECT_EQ(ParseError(R"q({"\(.k)": .v})q"),
            "MetadataExtractionQuery: string interpolation \\( is not supported at offset 2");
  EXPECT_EQ(ParseError("{id: $x}"),
            "MetadataExtractionQuery: expected a path, tostring or strftime(\"...\") at offset 5");
  EXPECT_EQ(ParseError("{(.k): .v}"),
            "MetadataExtractionQuery: expected a key (a name or a \"string\") at offset 1");
  EXPECT_EQ(ParseError("{y: .t | strftime(.fmt)}"),
            "MetadataExtractionQuery: strftime takes a \"format\" string at offset 18");
  EXPECT_EQ(ParseError("{}"),
            "MetadataExtractionQuery: the object builds no partition keys at "
            "offset 2");
  EXPECT_EQ(ParseError("{a: .a, a: .b}"),
            "MetadataExtractionQuery: key 'a' is built twice at offset 8");
  EXPECT_EQ(ParseError("{a: .a} | .a"),
            "MetadataExtractionQuery: unexpected text after the object at offset 8");
  EXPECT_EQ(ParseError(R"({a: .["unterminated]})"),
            "MetadataExtractionQuery: unterminated string at offset 6");
  EXPECT_EQ(ParseError("{a .a}"),
            "MetadataExtractionQuery: expected ':' after key 'a' at offset 3");
}

}  // namespace
}  // namespace tarn::firehose
