#include "services/firehose/object_builder.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "common/hash.h"
#include "services/firehose/firehose_test_fakes.h"
#include "services/firehose/record_processing.h"

namespace tarn::firehose {
namespace {

const int64_t kT = 1'565'394'909'000;  // 2019-08-09T23:55:09Z

std::shared_ptr<const DestinationSettings> Settings(Json extra) {
  Json d = {{"RoleARN", "arn:aws:iam::1:role/r"}, {"BucketARN", "arn:aws:s3:::lake"}};
  d.merge_patch(extra);
  CompileOptions o;
  o.conversion_available = true;
  auto s = CompileDestination(d, o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : nullptr;
}

std::vector<storage::LogRecord> Log(std::vector<std::string> data, std::string sequence = "") {
  std::vector<storage::LogRecord> out;
  for (size_t i = 0; i < data.size(); ++i) {
    storage::LogRecord r;
    r.offset = i;
    r.arrival_ms = kT + static_cast<int64_t>(i);
    r.data = data[i];
    r.explicit_hash_key = sequence;
    out.push_back(r);
  }
  return out;
}

BuildContext Context(const DestinationSettings* s) {
  BuildContext c;
  c.stream_name = "st";
  c.version = 3;
  c.settings = s;
  c.now_ms = kT + 60'000;
  c.new_uuid = [] { return std::string("a9fa96af-e4b3-4e77-a4a9-c1fd2c7c1ac1"); };
  return c;
}

std::string Gunzip(const std::string& in) {
  z_stream z{};
  inflateInit2(&z, 16 + MAX_WBITS);
  std::string out(1 << 16, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  inflate(&z, Z_FINISH);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

TEST(ObjectBuilder, ConcatenatesCompressesAndNamesAsFirehoseDoes) {
  auto s = Settings({{"CompressionFormat", "GZIP"}, {"Prefix", "logs/"},
                     {"ProcessingConfiguration", {{"Processors", {{{"Type", "AppendDelimiterToRecord"}}}}}}});
  auto records = Log({"a", "b"});
  auto objects = BuildObjects(ProcessRecords(*s, false, records), Context(s.get()));
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  ASSERT_EQ(objects->size(), 1u);
  const OutputObject& o = (*objects)[0];
  EXPECT_EQ(o.key, "logs/2019/08/09/23/st-3-2019-08-09-23-56-09-a9fa96af-e4b3-4e77-a4a9-c1fd2c7c1ac1.gz");
  EXPECT_EQ(o.content_encoding, "gzip");
  EXPECT_EQ(Gunzip(o.body), "a\nb\n");
  EXPECT_EQ(o.records, 2u);
  EXPECT_FALSE(o.error);
}

TEST(ObjectBuilder, DelimitedSubRecordsAreSplitAndBadOnesFailWhole) {
  auto s = Settings({{"ProcessingConfiguration",
                      {{"Processors", {{{"Type", "RecordDeAggregation"},
                                        {"Parameters", {{{"ParameterName", "SubRecordType"}, {"ParameterValue", "JSON"}}}}},
                                       {{"Type", "AppendDelimiterToRecord"}}}}}}});
  auto records = Log({R"({"a":1}{"a":2})", R"({"a":3} garbage)"});
  ProcessedBatch batch = ProcessRecords(*s, false, records);
  ASSERT_EQ(batch.records.size(), 2u);
  EXPECT_EQ(batch.records[1].data, "{\"a\":2}\n");
  ASSERT_EQ(batch.failed.size(), 1u);
  EXPECT_EQ(batch.failed[0].type, ErrorOutputType::kProcessingFailed);
  EXPECT_EQ(batch.failed[0].raw, R"({"a":3} garbage)") << "the whole original record";
  auto objects = BuildObjects(std::move(batch), Context(s.get()));
  ASSERT_EQ(objects->size(), 2u);
  const OutputObject& err = (*objects)[1];
  EXPECT_TRUE(err.error);
  EXPECT_EQ(err.key.rfind("processing-failed/2019/08/09/23/st-3-", 0), 0u) << err.key;
  Json doc = Json::parse(err.body);
  EXPECT_EQ(doc["errorCode"], "RecordDeAggregation.ParseFailed");
  EXPECT_EQ(doc["attemptEndingTimestamp"], kT + 60'000);
  EXPECT_EQ(doc["arrivalTimestamp"], kT + 1);
  EXPECT_FALSE(doc.contains("sequenceNumber"));
}

// A KPL aggregate of the given records (partition key "pk").
std::string Kpl(const std::vector<std::string>& datas) {
  auto varint = [](uint64_t v) {
    std::string out;
    while (v >= 0x80) {
      out += static_cast<char>((v & 0x7F) | 0x80);
      v >>= 7;
    }
    return out + static_cast<char>(v);
  };
  auto field = [&](int n, const std::string& bytes) {
    return varint((n << 3) | 2) + varint(bytes.size()) + bytes;
  };
  std::string pb = field(1, "pk");
  for (const std::string& d : datas) pb += field(3, std::string("\x08\x00", 2) + field(3, d));
  return std::string("\xF3\x89\x9A\xC2", 4) + pb + Md5(pb);
}

TEST(RecordProcessing, KinesisRecordsAreDeaggregatedAndCorruptAggregatesFailWithTheirSequence) {
  auto s = Settings({{"ProcessingConfiguration", {{"Processors", {{{"Type", "AppendDelimiterToRecord"}}}}}}});
  std::string good = Kpl({"x", "y"});
  std::string bad = good.substr(0, good.size() - 1);  // truncated MD5
  auto records = Log({good, "plain", bad}, "4960");
  ProcessedBatch batch = ProcessRecords(*s, true, records);
  ASSERT_EQ(batch.records.size(), 3u);
  EXPECT_EQ(batch.records[0].data, "x\n");
  EXPECT_EQ(batch.records[1].data, "y\n");
  EXPECT_EQ(batch.records[2].data, "plain\n");
  ASSERT_EQ(batch.failed.size(), 1u);
  EXPECT_EQ(batch.failed[0].sequence_number, "4960");
  auto objects = BuildObjects(std::move(batch), Context(s.get()));
  Json doc = Json::parse((*objects)[1].body);
  EXPECT_EQ(doc["sequenceNumber"], "4960");
  EXPECT_EQ(doc["errorCode"], "RecordDeAggregation.KplDeaggregationFailed");
}

TEST(ObjectBuilder, ConversionRoutesRecordsTheConverterRefuses) {
  auto s = Settings({{"DataFormatConversionConfiguration",
                      {{"SchemaConfiguration", {{"DatabaseName", "db"}, {"TableName", "t"}}},
                       {"InputFormatConfiguration", {{"Deserializer", {{"HiveJsonSerDe", Json::object()}}}}},
                       {"OutputFormatConfiguration", {{"Serializer", {{"ParquetSerDe", Json::object()}}}}}}},
                     {"ProcessingConfiguration", {{"Processors", {{{"Type", "AppendDelimiterToRecord"}}}}}}});
  FakeConverterFactory converters;
  ConversionSpec spec = s->conversion->spec;
  spec.columns = {{"a", "int"}};
  BuildContext c = Context(s.get());
  c.converters = &converters;
  c.spec = &spec;
  auto records = Log({R"({"a":1})", "nope", "nope again"});
  auto objects = BuildObjects(ProcessRecords(*s, false, records), c);
  ASSERT_EQ(objects->size(), 2u);
  EXPECT_EQ((*objects)[0].body, "PARQUET\na=1;\n") << "no delimiter before conversion";
  EXPECT_TRUE((*objects)[0].key.ends_with(".parquet"));
  EXPECT_TRUE((*objects)[0].content_encoding.empty());
  EXPECT_EQ((*objects)[1].records, 2u);
  EXPECT_EQ((*objects)[1].key.rfind("format-conversion-failed/", 0), 0u);

  // Nothing converts: no data object at all, only the errors.
  auto only_bad = BuildObjects(ProcessRecords(*s, false, Log({"x"})), c);
  ASSERT_EQ(only_bad->size(), 1u);
  EXPECT_TRUE((*only_bad)[0].error);
}

}  // namespace
}  // namespace tarn::firehose
