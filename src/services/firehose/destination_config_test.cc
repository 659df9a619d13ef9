#include "services/firehose/destination_config.h"

#include <gtest/gtest.h>

namespace tarn::firehose {
namespace {

Json Base() {
  return Json{{"RoleARN", "arn:aws:iam::000000000000:role/r"}, {"BucketARN", "arn:aws:s3:::lake"}};
}

Status Check(const Json& doc, Json* stored = nullptr) {
  const Json request = {{"ExtendedS3DestinationConfiguration", doc}};
  Checker c(request);
  const Json* v = c.Struct("ExtendedS3DestinationConfiguration", true);
  Checker sub(*v, c.Path("ExtendedS3DestinationConfiguration"));
  CheckExtendedS3Destination(sub, false);
  c.Absorb("ExtendedS3DestinationConfiguration", sub);
  if (stored) *stored = sub.out();
  return c.Finish();
}

Result<std::shared_ptr<const DestinationSettings>> Compile(const Json& doc, bool conversion = true) {
  CompileOptions o;
  o.conversion_available = conversion;
  return CompileDestination(doc, o);
}

Json WithProcessor(Json doc, const std::string& type,
                   std::vector<std::pair<std::string, std::string>> params) {
  Json list = Json::array();
  for (auto& [k, v] : params) list.push_back(Json{{"ParameterName", k}, {"ParameterValue", v}});
  doc["ProcessingConfiguration"] = Json{{"Enabled", true},
                                        {"Processors", Json::array({{{"Type", type}, {"Parameters", list}}})}};
  return doc;
}

TEST(DestinationConfig, ModelViolationsNameTheMemberPath) {
  Json d = Base();
  d["BufferingHints"] = Json{{"SizeInMBs", 0}, {"IntervalInSeconds", 901}};
  d["CompressionFormat"] = "SNAPPY";
  d.erase("RoleARN");
  Status st = Check(d);
  EXPECT_EQ(st.aws_code(), "InvalidArgumentException");
  EXPECT_NE(st.message().find("4 validation errors detected"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("'extendedS3DestinationConfiguration.roleARN' failed to satisfy "
                              "constraint: Member must not be null"),
            std::string::npos);
  EXPECT_NE(st.message().find("extendedS3DestinationConfiguration.bufferingHints.sizeInMBs"),
            std::string::npos);
  EXPECT_NE(st.message().find("Member must satisfy enum value set: [UNCOMPRESSED, GZIP, ZIP, "
                              "Snappy, HADOOP_SNAPPY]"),
            std::string::npos);
  Json bad_type = Base();
  bad_type["BufferingHints"] = Json{{"SizeInMBs", "5"}};
  EXPECT_EQ(Check(bad_type).aws_code(), "SerializationException");
}

TEST(DestinationConfig, StoredFormKeepsKnownMembersOnly) {
  Json d = Base();
  d["Prefix"] = "p/";
  d["Unknown"] = 1;
  d["BufferingHints"] = Json{{"IntervalInSeconds", 0}};
  Json stored;
  ASSERT_TRUE(Check(d, &stored).ok());
  EXPECT_FALSE(stored.contains("Unknown"));
  EXPECT_EQ(stored["Prefix"], "p/");
  EXPECT_EQ(stored["BufferingHints"]["IntervalInSeconds"], 0) << "zero buffering is allowed";
}

TEST(DestinationConfig, DescribeFillsTheDefaults) {
  Json desc = DescribeDestination(Base());
  EXPECT_EQ(desc["DestinationId"], kDestinationId);
  const Json& ext = desc["ExtendedS3DestinationDescription"];
  EXPECT_EQ(ext["BufferingHints"], (Json{{"SizeInMBs", 5}, {"IntervalInSeconds", 300}}));
  EXPECT_EQ(ext["CompressionFormat"], "UNCOMPRESSED");
  EXPECT_EQ(ext["EncryptionConfiguration"], (Json{{"NoEncryptionConfig", "NoEncryption"}}));
  EXPECT_EQ(ext["S3BackupMode"], "Disabled");
  EXPECT_EQ(desc["S3DestinationDescription"]["BucketARN"], "arn:aws:s3:::lake");
  EXPECT_FALSE(desc["S3DestinationDescription"].contains("S3BackupMode"));
}

TEST(DestinationConfig, UpdatesMergeObjectsAndReplaceLists) {
  Json stored = WithProcessor(Base(), "AppendDelimiterToRecord", {});
  stored["BufferingHints"] = Json{{"SizeInMBs", 5}, {"IntervalInSeconds", 60}};
  Json update = {{"BufferingHints", {{"IntervalInSeconds", 1}}},
                 {"ProcessingConfiguration", {{"Processors", Json::array()}}},
                 {"S3BackupUpdate", {{"Prefix", "b/"}}}};
  Json merged = MergeDestinationUpdate(stored, update);
  EXPECT_EQ(merged["BufferingHints"], (Json{{"SizeInMBs", 5}, {"IntervalInSeconds", 1}}));
  EXPECT_TRUE(merged["ProcessingConfiguration"]["Processors"].empty());
  EXPECT_EQ(merged["ProcessingConfiguration"]["Enabled"], true);
  EXPECT_EQ(merged["S3BackupConfiguration"]["Prefix"], "b/");
  EXPECT_EQ(merged["RoleARN"], stored["RoleARN"]);
}

TEST(DestinationConfig, CompilesHintsCompressionAndExtension) {
  Json d = Base();
  d["BufferingHints"] = Json{{"SizeInMBs", 2}, {"IntervalInSeconds", 7}};
  d["CompressionFormat"] = "GZIP";
  auto s = Compile(d);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->bucket, "lake");
  EXPECT_EQ((*s)->buffer_bytes, 2u << 20);
  EXPECT_EQ((*s)->buffer_interval_ms, 7000);
  EXPECT_EQ((*s)->extension, ".gz");
  d["FileExtension"] = ".json.gz";
  EXPECT_EQ((*Compile(d))->extension, ".json.gz");
}

TEST(DestinationConfig, RefusesWhatTarnDoesNotProvideByName) {
  struct Case {
    Json doc;
    std::string needle;
  };
  Json tz = Base();
  tz["CustomTimeZone"] = "Asia/Tokyo";
  Json backup = Base();
  backup["S3BackupMode"] = "Enabled";
  Json lambda_prefix = Base();
  lambda_prefix["Prefix"] = "!{partitionKeyFromLambda:a}/";
  lambda_prefix["ErrorOutputPrefix"] = "e/";
  lambda_prefix["DynamicPartitioningConfiguration"] = Json{{"Enabled", true}};
  std::vector<Case> cases = {
      {WithProcessor(Base(), "Lambda", {{"LambdaArn", "arn:aws:lambda:us-east-1:1:function:f"}}),
       "Lambda processors are not supported by tarn"},
      {WithProcessor(Base(), "Decompression", {{"CompressionFormat", "GZIP"}}), "Decompression"},
      {tz, "CustomTimeZone"},
      {backup, "S3BackupMode"},
      {lambda_prefix, "DynamicPartitioningConfiguration"},
  };
  for (const Case& c : cases) {
    auto s = Compile(c.doc);
    ASSERT_FALSE(s.ok()) << c.needle;
    EXPECT_EQ(s.status().aws_code(), "InvalidArgumentException");
    EXPECT_NE(s.status().message().find(c.needle), std::string::npos) << s.status().message();
  }
}

TEST(DestinationConfig, DynamicPartitioningNeedsAQueryWhoseKeysThePrefixUses) {
  Json d = WithProcessor(Base(), "MetadataExtraction",
                         {{"MetadataExtractionQuery", "{a: .a}"}, {"JsonParsingEngine", "JQ-1.6"}});
  d["Prefix"] = "a=!{partitionKeyFromQuery:a}/";
  d["ErrorOutputPrefix"] = "err/";
  auto no_dp = Compile(d);
  ASSERT_FALSE(no_dp.ok());
  d["DynamicPartitioningConfiguration"] = Json{{"Enabled", true}};
  auto ok = Compile(d);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE((*ok)->dynamic_partitioning);
  EXPECT_EQ((*ok)->query->Keys(), std::vector<std::string>{"a"});
  d["Prefix"] = "b=!{partitionKeyFromQuery:b}/";
  auto unknown_key = Compile(d);
  ASSERT_FALSE(unknown_key.ok());
  EXPECT_NE(unknown_key.status().message().find("partitionKeyFromQuery:b"), std::string::npos);
  Json engine = WithProcessor(Base(), "MetadataExtraction",
                              {{"MetadataExtractionQuery", "{a: .a}"}, {"JsonParsingEngine", "JQ-1.5"}});
  engine["DynamicPartitioningConfiguration"] = Json{{"Enabled", true}};
  engine["Prefix"] = "!{partitionKeyFromQuery:a}/";
  engine["ErrorOutputPrefix"] = "e/";
  EXPECT_NE(Compile(engine).status().message().find("JQ-1.6"), std::string::npos);
}

TEST(DestinationConfig, ProcessorParametersAreChecked) {
  auto delimited = Compile(WithProcessor(Base(), "RecordDeAggregation",
                                         {{"SubRecordType", "DELIMITED"}, {"Delimiter", "IyMjIw=="}}));
  ASSERT_TRUE(delimited.ok()) << delimited.status().ToString();
  EXPECT_EQ((*delimited)->deaggregation->delimiter, "####");
  EXPECT_FALSE(Compile(WithProcessor(Base(), "RecordDeAggregation", {{"SubRecordType", "DELIMITED"}})).ok());
  EXPECT_FALSE(Compile(WithProcessor(Base(), "RecordDeAggregation", {{"SubRecordType", "CSV"}})).ok());
  auto append = Compile(WithProcessor(Base(), "AppendDelimiterToRecord", {}));
  EXPECT_EQ(*(*append)->record_delimiter, "\n");
  auto stray = Compile(WithProcessor(Base(), "AppendDelimiterToRecord", {{"SubRecordType", "JSON"}}));
  EXPECT_NE(stray.status().message().find("does not apply"), std::string::npos);
  Json disabled = WithProcessor(Base(), "Lambda", {});
  disabled["ProcessingConfiguration"]["Enabled"] = false;
  EXPECT_TRUE(Compile(disabled).ok()) << "disabled processors are not looked at";
}

TEST(DestinationConfig, ConversionRules) {
  Json d = Base();
  d["DataFormatConversionConfiguration"] = Json{
      {"SchemaConfiguration", {{"DatabaseName", "db"}, {"TableName", "t"}, {"VersionId", "LATEST"}}},
      {"InputFormatConfiguration", {{"Deserializer", {{"OpenXJsonSerDe", {{"CaseInsensitive", false},
                                                                          {"ColumnToJsonKeyMappings", {{"ts", "time"}}}}}}}}},
      {"OutputFormatConfiguration", {{"Serializer", {{"ParquetSerDe", Json::object()}}}}}};
  auto s = Compile(d);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->extension, ".parquet");
  EXPECT_EQ((*s)->conversion->table.table, "t");
  EXPECT_FALSE((*s)->conversion->spec.case_insensitive);
  EXPECT_EQ((*s)->conversion->spec.compression, "SNAPPY");
  ASSERT_EQ((*s)->conversion->spec.column_to_json_key.size(), 1u);
  EXPECT_FALSE(Compile(d, false).ok()) << "no converter wired: refused";

  Json gz = d;
  gz["CompressionFormat"] = "GZIP";
  EXPECT_NE(Compile(gz).status().message().find("CompressionFormat"), std::string::npos);
  Json orc = d;
  orc["DataFormatConversionConfiguration"]["OutputFormatConfiguration"]["Serializer"] =
      Json{{"OrcSerDe", Json::object()}};
  EXPECT_NE(Compile(orc).status().message().find("ORC"), std::string::npos);
  Json no_table = d;
  no_table["DataFormatConversionConfiguration"]["SchemaConfiguration"].erase("TableName");
  EXPECT_NE(Compile(no_table).status().message().find("TableName"), std::string::npos);
  Json off = d;
  off["DataFormatConversionConfiguration"]["Enabled"] = false;
  off["CompressionFormat"] = "GZIP";
  EXPECT_TRUE(Compile(off).ok()) << "a disabled conversion is only stored";
}

TEST(DestinationConfig, BucketArns) {
  EXPECT_EQ(*BucketFromArn("arn:aws:s3:::my-bucket"), "my-bucket");
  EXPECT_EQ(*BucketFromArn("arn:aws-cn:s3:::b"), "b");
  for (const char* bad : {"arn:aws:s3:::", "arn:aws:s3:::b/key", "arn:aws:kinesis:::b", "bucket"}) {
    auto r = BucketFromArn(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("BucketARN"), std::string::npos);
  }
}

}  // namespace
}  // namespace tarn::firehose
