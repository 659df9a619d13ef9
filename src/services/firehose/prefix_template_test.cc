#include "services/firehose/prefix_template.h"

#include <gtest/gtest.h>

namespace tarn::firehose {
namespace {

constexpr int64_t kAug27At1030 = 1535365800000;  // 2018-08-27T10:30:00Z
constexpr int64_t kJul6At2315 = 1530918900000;   // 2018-07-06T23:15:00Z

PrefixTemplate Prefix(std::string_view text) {
  auto t = PrefixTemplate::Parse(text, PrefixKind::kPrefix);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status().ToString();
  return std::move(t).value();
}
PrefixTemplate ErrorPrefix(std::string_view text) {
  auto t = PrefixTemplate::Parse(text, PrefixKind::kErrorOutputPrefix);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status().ToString();
  return std::move(t).value();
}
std::string Render(const PrefixTemplate& t, int64_t ms,
                   ErrorOutputType type = ErrorOutputType::kProcessingFailed) {
  auto r = t.Render({.arrival_ms = ms, .error_output_type = type});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "";
}
// The message of a failed parse, "" if it parsed.
std::string ParseError(std::string_view text, PrefixKind kind) {
  auto t = PrefixTemplate::Parse(text, kind);
  if (t.ok()) return "";
  EXPECT_EQ(t.status().code(), Code::kInvalidArgument);
  return t.status().message();
}

bool IsLowerHex(std::string_view s) {
  return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// The rows of "Prefix and ErrorOutputPrefix examples" in the developer guide
// (its evaluated dates have typos; these are the instants the rows name).
TEST(PrefixTemplate, AwsExampleUnspecifiedPrefixGetsTheDefaultTime) {
  PrefixTemplate prefix = Prefix("");
  PrefixTemplate error = ErrorPrefix("myFirehoseFailures/!{firehose:error-output-type}/");
  EXPECT_TRUE(PrefixTemplate::ValidatePair(prefix, &error, false).ok());
  EXPECT_EQ(Render(prefix, kAug27At1030), "2018/08/27/10/");
  EXPECT_EQ(Render(error, kAug27At1030), "myFirehoseFailures/processing-failed/");
}

TEST(PrefixTemplate, AwsExampleExpressionsNeedAnErrorOutputPrefix) {
  PrefixTemplate prefix = Prefix("!{timestamp:yyyy/MM/dd}");
  Status s = PrefixTemplate::ValidatePair(prefix, nullptr, false);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "ErrorOutputPrefix can't be null when Prefix contains expressions");
}

TEST(PrefixTemplate, AwsExampleRandomStringAndSeveralTimestamps) {
  PrefixTemplate prefix =
      Prefix("myFirehose/DeliveredYear=!{timestamp:yyyy}/anyMonth/rand=!{firehose:random-string}");
  PrefixTemplate error = ErrorPrefix(
      "myFirehoseFailures/!{firehose:error-output-type}/!{timestamp:yyyy}/anyMonth/"
      "!{timestamp:dd}");
  EXPECT_TRUE(PrefixTemplate::ValidatePair(prefix, &error, false).ok());
  const std::string p = Render(prefix, kAug27At1030);
  const std::string head = "myFirehose/DeliveredYear=2018/anyMonth/rand=";
  ASSERT_EQ(p.size(), head.size() + 11);
  EXPECT_EQ(p.substr(0, head.size()), head);
  EXPECT_TRUE(IsLowerHex(p.substr(head.size())));
  EXPECT_NE(Render(prefix, kAug27At1030), p) << "random-string is new at each evaluation";
  EXPECT_EQ(Render(error, kAug27At1030), "myFirehoseFailures/processing-failed/2018/anyMonth/27");
}

TEST(PrefixTemplate, AwsExampleQuotedLiteralsInsideOnePattern) {
  PrefixTemplate prefix = Prefix(
      "myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"
      "hour=!{timestamp:HH}/");
  PrefixTemplate error = ErrorPrefix(
      "myErrorPrefix/!{timestamp:'year='yyyy'/month='MM'/day='dd'/hour='HH}/"
      "!{firehose:error-output-type}");
  EXPECT_EQ(Render(prefix, kJul6At2315), "myPrefix/year=2018/month=07/day=06/hour=23/");
  EXPECT_EQ(Render(error, kJul6At2315),
            "myErrorPrefix/year=2018/month=07/day=06/hour=23/processing-failed");
}

TEST(PrefixTemplate, PlainPrefixWithoutErrorPrefixUsesItForErrors) {
  // Firehose concatenates: the guide's row shows slashes that the rule
  // ("<specified-prefix>YYYY/MM/DD/HH/") and the service do not add.
  PrefixTemplate prefix = Prefix("myFirehosePrefix/");
  EXPECT_TRUE(PrefixTemplate::ValidatePair(prefix, nullptr, false).ok());
  EXPECT_EQ(Render(prefix, kAug27At1030), "myFirehosePrefix/2018/08/27/10/");
  PrefixTemplate error = ErrorPrefix("myFirehosePrefix/");
  EXPECT_EQ(Render(error, kAug27At1030), "myFirehosePrefix/processing-failed/2018/08/27/10/");
  EXPECT_EQ(Render(error, kAug27At1030, ErrorOutputType::kFormatConversionFailed),
            "myFirehosePrefix/format-conversion-failed/2018/08/27/10/");
  EXPECT_EQ(Render(ErrorPrefix(""), kAug27At1030), "processing-failed/2018/08/27/10/");
}

TEST(PrefixTemplate, DefaultTimeIsAddedWhenThePrefixHasNoTimestamp) {
  EXPECT_EQ(Render(Prefix("logs/"), kAug27At1030), "logs/2018/08/27/10/");
  const std::string r = Render(Prefix("!{firehose:random-string}/"), kAug27At1030);
  EXPECT_EQ(r.substr(11), "/2018/08/27/10/");
  EXPECT_EQ(Render(Prefix("logs/!{timestamp:yyyy}/"), kAug27At1030), "logs/2018/");
}

TEST(PrefixTemplate, AwsDynamicPartitioningExample) {
  PrefixTemplate prefix = Prefix(
      "customer_id=!{partitionKeyFromQuery:customer_id}/device=!{partitionKeyFromQuery:device}/"
      "year=!{partitionKeyFromQuery:year}/month=!{partitionKeyFromQuery:month}/"
      "day=!{partitionKeyFromQuery:day}/hour=!{partitionKeyFromQuery:hour}/");
  PrefixTemplate error = ErrorPrefix("errors/!{firehose:error-output-type}/");
  EXPECT_TRUE(PrefixTemplate::ValidatePair(prefix, &error, true).ok());
  EXPECT_EQ(prefix.QueryKeys(),
            (std::vector<std::string>{"customer_id", "device", "year", "month", "day", "hour"}));
  EXPECT_TRUE(prefix.LambdaKeys().empty());

  const std::map<std::string, std::string> keys = {{"customer_id", "1234567890"},
                                                   {"device", "mobile"},
                                                   {"year", "2019"},
                                                   {"month", "08"},
                                                   {"day", "09"},
                                                   {"hour", "20"}};
  auto r = prefix.Render({.arrival_ms = kAug27At1030, .query_keys = &keys});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // No default time: dynamic partitioning prefixes are used as written.
  EXPECT_EQ(*r, "customer_id=1234567890/device=mobile/year=2019/month=08/day=09/hour=20/");
  EXPECT_EQ(*r + ObjectName("my-delivery-stream", 1, 1565394909000,
                            "a9fa96af-e4e4-409f-bac3-1f804714faaa", ""),
            "customer_id=1234567890/device=mobile/year=2019/month=08/day=09/hour=20/"
            "my-delivery-stream-1-2019-08-09-23-55-09-a9fa96af-e4e4-409f-bac3-1f804714faaa");
  EXPECT_EQ(Render(error, kAug27At1030, ErrorOutputType::kPartitioningFailed),
            "errors/partitioning-failed/");
}

TEST(PrefixTemplate, QueryAndLambdaKeysAreSeparateNamespaces) {
  PrefixTemplate prefix = Prefix(
      "q=!{partitionKeyFromQuery:id}/l=!{partitionKeyFromLambda:id}/again=!{partitionKeyFromQuery:"
      "id}/!{timestamp:yyyy}/");
  EXPECT_EQ(prefix.QueryKeys(), std::vector<std::string>{"id"});
  EXPECT_EQ(prefix.LambdaKeys(), std::vector<std::string>{"id"});
  const std::map<std::string, std::string> query = {{"id", "from-query"}};
  const std::map<std::string, std::string> lambda = {{"id", "from-lambda"}};
  auto r =
      prefix.Render({.arrival_ms = kAug27At1030, .query_keys = &query, .lambda_keys = &lambda});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "q=from-query/l=from-lambda/again=from-query/2018/");

  auto missing = prefix.Render({.arrival_ms = kAug27At1030, .query_keys = &query});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(missing.status().message(),
            "the record has no partition key 'id' for !{partitionKeyFromLambda:id}");
}

TEST(PrefixTemplate, DynamicPartitioningKeysAreRequiredOrForbidden) {
  PrefixTemplate error = ErrorPrefix("errors/!{firehose:error-output-type}/");
  PrefixTemplate keyed = Prefix("c=!{partitionKeyFromLambda:c}/");
  PrefixTemplate plain = Prefix("logs/!{timestamp:yyyy}/");

  Status s = PrefixTemplate::ValidatePair(keyed, &error, false);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "Prefix: !{partitionKeyFromLambda:c} needs dynamic partitioning enabled");

  s = PrefixTemplate::ValidatePair(plain, &error, true);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("when dynamic partitioning is enabled"), std::string::npos);

  s = PrefixTemplate::ValidatePair(keyed, nullptr, true);
  EXPECT_EQ(s.message(), "ErrorOutputPrefix is required when dynamic partitioning is enabled");

  EXPECT_TRUE(PrefixTemplate::ValidatePair(keyed, &error, true).ok());
  EXPECT_TRUE(PrefixTemplate::ValidatePair(plain, &error, false).ok());
}

TEST(PrefixTemplate, NamespacesAreCheckedPerField) {
  EXPECT_EQ(ParseError("x/!{firehose:error-output-type}/", PrefixKind::kPrefix),
            "Prefix: !{firehose:error-output-type} can only be used in ErrorOutputPrefix");
  EXPECT_EQ(ParseError("e/!{firehose:error-output-type}/!{partitionKeyFromQuery:a}",
                       PrefixKind::kErrorOutputPrefix),
            "ErrorOutputPrefix: !{partitionKeyFromQuery:a} cannot be used in ErrorOutputPrefix");
  EXPECT_EQ(ParseError("e/!{timestamp:yyyy}/", PrefixKind::kErrorOutputPrefix),
            "ErrorOutputPrefix: an ErrorOutputPrefix with expressions must include "
            "!{firehose:error-output-type}");
  EXPECT_EQ(ParseError("static-errors/", PrefixKind::kErrorOutputPrefix), "");
  EXPECT_EQ(ParseError("e/!{firehose:random-string}/!{firehose:error-output-type}",
                       PrefixKind::kErrorOutputPrefix),
            "");
}

TEST(PrefixTemplate, MalformedExpressionsAreNamed) {
  EXPECT_EQ(ParseError("a/!{timestamp:yyyy", PrefixKind::kPrefix),
            "Prefix: !{timestamp:yyyy is not closed: '!{' may only start an expression "
            "!{namespace:value}");
  EXPECT_EQ(ParseError("!{timestamp}", PrefixKind::kPrefix),
            "Prefix: !{timestamp} is not of the form !{namespace:value}");
  EXPECT_EQ(ParseError("!{timestamp:}", PrefixKind::kPrefix),
            "Prefix: !{timestamp:} has an empty value");
  EXPECT_EQ(ParseError("!{Timestamp:yyyy}", PrefixKind::kPrefix),
            "Prefix: !{Timestamp:yyyy} has an unknown namespace (use timestamp, firehose, "
            "partitionKeyFromQuery or partitionKeyFromLambda)");
  EXPECT_EQ(ParseError("!{firehose:uuid}", PrefixKind::kPrefix),
            "Prefix: !{firehose:uuid} is not a firehose value (use error-output-type or "
            "random-string)");
  EXPECT_EQ(ParseError("!{partitionKeyFromQuery:a!{b}", PrefixKind::kPrefix),
            "Prefix: !{partitionKeyFromQuery:a!{b} contains '!{' inside an expression");
  // A lone brace or exclamation mark is text.
  EXPECT_EQ(ParseError("a}b!c{d/", PrefixKind::kPrefix), "");
}

TEST(PrefixTemplate, TimestampPatternsSupportTheCommonLettersOnly) {
  EXPECT_EQ(Render(Prefix("!{timestamp:yy-MM-dd HH:mm:ss}"), kJul6At2315), "18-07-06 23:15:00");
  EXPECT_EQ(Render(Prefix("!{timestamp:yyyy'T'HH''mm'%'}"), kJul6At2315), "2018T23'15%");
  EXPECT_EQ(Render(Prefix("!{timestamp:'it''s 'yyyy}"), kJul6At2315), "it's 2018");
  // Before the epoch, seconds round down, not toward zero.
  EXPECT_EQ(Render(Prefix("!{timestamp:yyyy-MM-dd HH:mm:ss}"), -1), "1969-12-31 23:59:59");

  EXPECT_EQ(ParseError("!{timestamp:yyyy-MMM}", PrefixKind::kPrefix),
            "Prefix: !{timestamp:yyyy-MMM} uses pattern letters 'MMM', which are not supported "
            "(use yyyy, yy, MM, dd, HH, mm, ss and 'quoted' text)");
  EXPECT_NE(ParseError("!{timestamp:yyy}", PrefixKind::kPrefix), "");
  EXPECT_NE(ParseError("!{timestamp:M}", PrefixKind::kPrefix), "");
  EXPECT_NE(ParseError("!{timestamp:SSS}", PrefixKind::kPrefix), "");
  EXPECT_EQ(ParseError("!{timestamp:'year=yyyy}", PrefixKind::kPrefix),
            "Prefix: !{timestamp:'year=yyyy} has an unclosed quote");
  EXPECT_EQ(ParseError("!{timestamp:yyyy[MM]}", PrefixKind::kPrefix),
            "Prefix: !{timestamp:yyyy[MM]} uses '[', which DateTimeFormatter reserves and tarn "
            "does not support");
}

TEST(PrefixTemplate, EvaluatedPrefixIsAtMost512Characters) {
  const std::string long_key(500, 'k');
  PrefixTemplate prefix = Prefix("0123456789/!{partitionKeyFromQuery:k}/");
  const std::map<std::string, std::string> fits = {{"k", long_key}};
  EXPECT_TRUE(prefix.Render({.query_keys = &fits}).ok());  // 512 characters
  const std::map<std::string, std::string> too_long = {{"k", long_key + "k"}};
  auto r = prefix.Render({.query_keys = &too_long});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "Prefix evaluates to 513 characters, more than 512");
}

TEST(ObjectName, IsStreamVersionTimeUuidAndExtension) {
  EXPECT_EQ(ObjectName("logs", 3, 1530918900999, "0f1e2d3c-aaaa-bbbb-cccc-0123456789ab", ".gz"),
            "logs-3-2018-07-06-23-15-00-0f1e2d3c-aaaa-bbbb-cccc-0123456789ab.gz");
}

TEST(ErrorOutputType, NamesAreFirehoses) {
  EXPECT_EQ(ErrorOutputTypeName(ErrorOutputType::kProcessingFailed), "processing-failed");
  EXPECT_EQ(ErrorOutputTypeName(ErrorOutputType::kFormatConversionFailed),
            "format-conversion-failed");
  EXPECT_EQ(ErrorOutputTypeName(ErrorOutputType::kPartitioningFailed), "partitioning-failed");
  EXPECT_EQ(ErrorOutputTypeName(ErrorOutputType::kDecompressionFailed), "decompression-failed");
}

}  // namespace
}  // namespace tarn::firehose
