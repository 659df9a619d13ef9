#include "services/firehose/firehose_service.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "services/firehose/firehose_test_fakes.h"
#include "storage/test_temp_dir.h"

namespace tarn::firehose {
namespace {

const UnixMillis kStart = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

Json Destination(int interval_s = 60, int size_mb = 5) {
  return Json{{"RoleARN", "arn:aws:iam::000000000000:role/r"},
              {"BucketARN", "arn:aws:s3:::lake"},
              {"BufferingHints", {{"IntervalInSeconds", interval_s}, {"SizeInMBs", size_mb}}}};
}

Json Processors(std::vector<Json> list) {
  return Json{{"Enabled", true}, {"Processors", list}};
}

Json Processor(const std::string& type, std::vector<std::pair<std::string, std::string>> params = {}) {
  Json p = Json::array();
  for (auto& [k, v] : params) p.push_back(Json{{"ParameterName", k}, {"ParameterValue", v}});
  return Json{{"Type", type}, {"Parameters", p}};
}

class FirehoseServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void TearDown() override {
    service_.reset();
    meta_.reset();
  }

  void Open() {
    service_.reset();
    meta_.reset();
    storage::MetaStore::Options mo;
    mo.path = dir_.Join("meta.db");
    mo.synchronous = false;
    auto meta = storage::MetaStore::Open(mo);
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    meta_ = std::move(*meta);
    ServiceOptions o;
    o.buffers_dir = dir_.Join("firehose");
    o.status_delay_ms = 0;
    o.delivery_threads = 0;
    o.clock = &clock_;
    o.retry_initial_ms = 1000;
    o.retry_max_ms = 4000;
    o.open_log = [this](const std::string& d) {
      storage::SegmentLog::Options lo;
      lo.dir = d;
      lo.sync = false;
      lo.clock = &clock_;
      lo.segment_bytes = 4096;  // small, so trimming is exercised
      return storage::SegmentLog::Open(storage::Env::Default(), lo);
    };
    ServiceDeps deps;
    deps.sink = &sink_;
    deps.kinesis = &reader_;
    deps.schemas = &schemas_;
    deps.converters = &converters_;
    service_ = std::make_unique<FirehoseService>(meta_.get(), o, deps);
    Status st = service_->Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  Status Create(const std::string& name, Json destination, Tags tags = {}) {
    CreateInput in;
    in.name = name;
    in.destination = std::move(destination);
    in.tags = std::move(tags);
    return service_->Create(in);
  }

  void Put(const std::string& name, std::vector<std::string> records) {
    std::vector<std::string_view> views(records.begin(), records.end());
    auto r = service_->Put(name, views);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->record_ids.size(), records.size());
  }

  std::string Body(const std::string& key) { return sink_.objects.at(key).body; }

  storage::TestTempDir dir_;
  ManualClock clock_{kStart};
  FakeSink sink_;
  FakeStreamReader reader_;
  FakeSchemas schemas_;
  FakeConverterFactory converters_;
  std::unique_ptr<storage::MetaStore> meta_;
  std::unique_ptr<FirehoseService> service_;
};

TEST_F(FirehoseServiceTest, IntervalFlushWritesOneObjectUnderTheDefaultTimePrefix) {
  ASSERT_TRUE(Create("s", Destination(60)).ok());
  Put("s", {"a", "bb", "ccc"});
  service_->RunDueTasks();
  EXPECT_TRUE(sink_.objects.empty()) << "nothing is due before the interval";
  clock_.Advance(59'000);
  service_->RunDueTasks();
  EXPECT_TRUE(sink_.objects.empty());
  clock_.Advance(1'000);
  service_->RunDueTasks();
  auto keys = sink_.Keys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].rfind("lake/2023/11/14/22/s-1-2023-11-14-22-14-20-", 0), 0u) << keys[0];
  EXPECT_EQ(Body(keys[0]), "abbccc");
  EXPECT_EQ(service_->stats().flushes, 1u);
}

TEST_F(FirehoseServiceTest, SizeTriggersAFlushBeforeTheInterval) {
  ASSERT_TRUE(Create("s", Destination(900, 1)).ok());
  std::string big(700 * 1024, 'x');
  Put("s", {big});
  service_->RunDueTasks();
  EXPECT_TRUE(sink_.objects.empty());
  Put("s", {big});  // 1.4 MiB pending: over 1 MiB
  service_->RunDueTasks();
  auto keys = sink_.Keys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(Body(keys[0]).size(), big.size()) << "a flush takes at most SizeInMBs";
  clock_.Advance(900'000);
  service_->RunDueTasks();
  EXPECT_EQ(sink_.Keys().size(), 2u);
}

TEST_F(FirehoseServiceTest, ZeroIntervalFlushesAtOnce) {
  ASSERT_TRUE(Create("s", Destination(0)).ok());
  Put("s", {"x"});
  service_->RunDueTasks();
  EXPECT_EQ(sink_.Keys().size(), 1u);
}

TEST_F(FirehoseServiceTest, AcknowledgedRecordsSurviveARestartAndAreDeliveredOnce) {
  ASSERT_TRUE(Create("s", Destination(300)).ok());
  Put("s", {"one", "two"});
  Open();  // "crash": nothing was flushed
  service_->RunDueTasks();
  auto keys = sink_.Keys();
  ASSERT_EQ(keys.size(), 1u) << "recovered records are due at once";
  EXPECT_EQ(Body(keys[0]), "onetwo");
  Open();  // the checkpoint says they are in S3
  service_->RunDueTasks();
  clock_.Advance(1'000'000);
  service_->RunDueTasks();
  EXPECT_EQ(sink_.Keys().size(), 1u);
}

TEST_F(FirehoseServiceTest, ManyFlushesTrimTheBufferAndKeepOrder) {
  ASSERT_TRUE(Create("s", Destination(1)).ok());
  std::string expected;
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string> batch;
    for (int i = 0; i < 10; ++i) batch.push_back("r" + std::to_string(round * 10 + i) + ";");
    for (auto& b : batch) expected += b;
    Put("s", batch);
    clock_.Advance(1'000);
    service_->RunDueTasks();
  }
  std::string all;
  for (const auto& k : sink_.Keys()) all += Body(k);
  EXPECT_EQ(all, expected);
  // Segments behind the checkpoint are gone (4 KiB segments, ~2 KiB of frames).
  size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.Join("firehose"))) {
    files += e.is_regular_file();
  }
  EXPECT_LE(files, 2u);
}

TEST_F(FirehoseServiceTest, FailedDeliveryIsRetriedWithBackoffAndReported) {
  ASSERT_TRUE(Create("s", Destination(0)).ok());
  sink_.fail = true;
  Put("s", {"keep me"});
  service_->RunDueTasks();
  auto view = service_->Describe("s");
  ASSERT_TRUE(view.ok());
  EXPECT_NE(view->failure.find("injected failure"), std::string::npos) << view->failure;
  EXPECT_EQ(view->row.status, StreamStatus::kActive);
  int puts = sink_.puts;
  service_->RunDueTasks();
  EXPECT_EQ(sink_.puts, puts) << "no retry before the backoff";
  sink_.fail = false;
  clock_.Advance(1'000);
  service_->RunDueTasks();
  ASSERT_EQ(sink_.Keys().size(), 1u);
  EXPECT_EQ(Body(sink_.Keys()[0]), "keep me");
  EXPECT_TRUE(service_->Describe("s")->failure.empty());
}

TEST_F(FirehoseServiceTest, MissingBucketHoldsRecordsUntilItExists) {
  Json d = Destination(0);
  d["BucketARN"] = "arn:aws:s3:::later";
  ASSERT_TRUE(Create("s", d).ok());
  Put("s", {"r"});
  service_->RunDueTasks();
  EXPECT_NE(service_->Describe("s")->failure.find("s3://later/"), std::string::npos);
  sink_.buckets.insert("later");
  clock_.Advance(10'000);
  service_->RunDueTasks();
  EXPECT_EQ(sink_.Keys("later/").size(), 1u);
}

TEST_F(FirehoseServiceTest, DynamicPartitioningGroupsRecordsAndSendsBadOnesToTheErrorPrefix) {
  Json d = Destination(0);
  d["Prefix"] = "by/!{partitionKeyFromQuery:c}/!{partitionKeyFromQuery:k}/";
  d["ErrorOutputPrefix"] = "err/!{firehose:error-output-type}/";
  d["DynamicPartitioningConfiguration"] = Json{{"Enabled", true}};
  d["ProcessingConfiguration"] = Processors(
      {Processor("MetadataExtraction", {{"MetadataExtractionQuery", "{c: .c, k: .a.b}"},
                                        {"JsonParsingEngine", "JQ-1.6"}}),
       Processor("AppendDelimiterToRecord")});
  ASSERT_TRUE(Create("s", d).ok()) << Create("x", d).ToString();
  Put("s", {R"({"c":"x","a":{"b":1}})", R"({"c":"y","a":{"b":2}})", R"({"c":"x","a":{"b":1},"n":2})",
            "not json", R"({"c":"x"})"});
  service_->RunDueTasks();
  auto x = sink_.Keys("lake/by/x/1/");
  auto y = sink_.Keys("lake/by/y/2/");
  ASSERT_EQ(x.size(), 1u);
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(Body(x[0]), "{\"c\":\"x\",\"a\":{\"b\":1}}\n{\"c\":\"x\",\"a\":{\"b\":1},\"n\":2}\n");
  auto err = sink_.Keys("lake/err/partitioning-failed/");
  ASSERT_EQ(err.size(), 1u);
  std::string body = Body(err[0]);
  EXPECT_EQ(std::count(body.begin(), body.end(), '\n'), 2);
  Json first = Json::parse(body.substr(0, body.find('\n')));
  EXPECT_EQ(first["errorCode"], "DynamicPartitioning.MetadataExtractionFailed");
  EXPECT_EQ(first["rawData"], "bm90IGpzb24=");  // base64("not json")
  EXPECT_EQ(first["arrivalTimestamp"], kStart);
}

TEST_F(FirehoseServiceTest, ConversionWritesParquetAndFailsBadRecordsIntoTheErrorPrefix) {
  schemas_.tables["db.t"] = {{"id", "int"}, {"name", "string"}};
  Json d = Destination(0);
  d["Prefix"] = "tbl/";
  d["DataFormatConversionConfiguration"] = Json{
      {"SchemaConfiguration", {{"DatabaseName", "db"}, {"TableName", "t"}, {"RoleARN", "arn:aws:iam::1:role/r"}}},
      {"InputFormatConfiguration", {{"Deserializer", {{"OpenXJsonSerDe", Json::object()}}}}},
      {"OutputFormatConfiguration", {{"Serializer", {{"ParquetSerDe", {{"Compression", "GZIP"}}}}}}}};
  ASSERT_TRUE(Create("s", d).ok());
  Put("s", {R"({"id":1,"name":"a"})", "[1,2]", R"({"id":2})"});
  service_->RunDueTasks();
  auto data = sink_.Keys("lake/tbl/2023/");
  ASSERT_EQ(data.size(), 1u);
  EXPECT_NE(data[0].find(".parquet"), std::string::npos) << data[0];
  EXPECT_EQ(Body(data[0]), "PARQUET\nid=1;name=\"a\";\nid=2;name=null;\n");
  EXPECT_EQ(converters_.last_spec.compression, "GZIP");
  auto err = sink_.Keys("lake/tbl/format-conversion-failed/");
  ASSERT_EQ(err.size(), 1u);
  Json doc = Json::parse(Body(err[0]));
  EXPECT_EQ(doc["ErrorCode"], "DataFormatConversion.MalformedData");
  EXPECT_EQ(doc["dataCatalogTable"]["tableName"], "t");
}

TEST_F(FirehoseServiceTest, MissingGlueTableIsADeliveryFailureNotALoss) {
  Json d = Destination(0);
  d["DataFormatConversionConfiguration"] = Json{
      {"SchemaConfiguration", {{"DatabaseName", "db"}, {"TableName", "nope"}}},
      {"InputFormatConfiguration", {{"Deserializer", {{"HiveJsonSerDe", Json::object()}}}}},
      {"OutputFormatConfiguration", {{"Serializer", {{"ParquetSerDe", Json::object()}}}}}};
  ASSERT_TRUE(Create("s", d).ok());
  Put("s", {R"({"id":1})"});
  service_->RunDueTasks();
  EXPECT_NE(service_->Describe("s")->failure.find("db.nope"), std::string::npos);
  schemas_.tables["db.nope"] = {{"id", "int"}};
  clock_.Advance(5'000);
  service_->RunDueTasks();
  EXPECT_EQ(sink_.Keys().size(), 1u);
}

TEST_F(FirehoseServiceTest, UpdateDestinationChecksTheVersionAndNamesObjectsWithTheNewOne) {
  ASSERT_TRUE(Create("s", Destination(0)).ok());
  Json update = {{"Prefix", "v2/"}};
  Status stale = service_->UpdateDestination("s", "7", kDestinationId, update);
  EXPECT_EQ(stale.aws_code(), "ConcurrentModificationException");
  Status bad_id = service_->UpdateDestination("s", "1", "destinationId-000000000002", update);
  EXPECT_EQ(bad_id.aws_code(), "InvalidArgumentException");
  ASSERT_TRUE(service_->UpdateDestination("s", "1", kDestinationId, update).ok());
  auto v = service_->Describe("s");
  EXPECT_EQ(v->row.version, 2);
  EXPECT_EQ(v->row.destination["Prefix"], "v2/");
  EXPECT_EQ(v->row.destination["BufferingHints"]["IntervalInSeconds"], 0) << "merged, not replaced";
  Put("s", {"r"});
  service_->RunDueTasks();
  auto keys = sink_.Keys("lake/v2/");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_NE(keys[0].find("/s-2-"), std::string::npos) << keys[0];
  Json enable_dp = {{"DynamicPartitioningConfiguration", {{"Enabled", true}}}};
  EXPECT_EQ(service_->UpdateDestination("s", "2", kDestinationId, enable_dp).aws_code(),
            "InvalidArgumentException");
}

TEST_F(FirehoseServiceTest, CreateRefusesDuplicatesAndBadConfigurations) {
  ASSERT_TRUE(Create("s", Destination()).ok());
  EXPECT_EQ(Create("s", Destination()).aws_code(), "ResourceInUseException");
  Json bad = Destination();
  bad["Prefix"] = "x/!{nope:y}/";
  Status st = Create("t", bad);
  EXPECT_EQ(st.aws_code(), "InvalidArgumentException");
  EXPECT_NE(st.message().find("ExtendedS3DestinationConfiguration.Prefix"), std::string::npos) << st.message();
  Json jq = Destination();
  jq["DynamicPartitioningConfiguration"] = Json{{"Enabled", true}};
  jq["Prefix"] = "!{partitionKeyFromQuery:a}/";
  jq["ErrorOutputPrefix"] = "e/";
  jq["ProcessingConfiguration"] =
      Processors({Processor("MetadataExtraction", {{"MetadataExtractionQuery", "{a: .a | ascii_downcase}"}})});
  st = Create("t", jq);
  EXPECT_EQ(st.aws_code(), "InvalidArgumentException");
  EXPECT_NE(st.message().find("MetadataExtractionQuery"), std::string::npos) << st.message();
  Json lambda = Destination();
  lambda["ProcessingConfiguration"] = Processors({Processor("Lambda", {{"LambdaArn", "arn:aws:lambda:x"}})});
  st = Create("t", lambda);
  EXPECT_NE(st.message().find("Lambda"), std::string::npos);
  Json bucket = Destination();
  bucket["BucketARN"] = "arn:aws:s3:::";
  EXPECT_EQ(Create("t", bucket).aws_code(), "InvalidArgumentException");
  EXPECT_FALSE(service_->Describe("t").ok());
}

TEST_F(FirehoseServiceTest, DeleteDeliversWhatIsBufferedThenRemovesTheStream) {
  ASSERT_TRUE(Create("s", Destination(900)).ok());
  Put("s", {"last"});
  ASSERT_TRUE(service_->Delete("s").ok());
  EXPECT_EQ(service_->Describe("s")->row.status, StreamStatus::kDeleting);
  auto refused = service_->Put("s", std::vector<std::string_view>{"x"});
  EXPECT_EQ(refused.status().aws_code(), "ResourceNotFoundException");
  service_->RunDueTasks();
  ASSERT_EQ(sink_.Keys().size(), 1u);
  EXPECT_EQ(Body(sink_.Keys()[0]), "last");
  EXPECT_EQ(service_->Describe("s").status().aws_code(), "ResourceNotFoundException");
  EXPECT_FALSE(std::filesystem::exists(dir_.Join("firehose/1")));
  ASSERT_TRUE(Create("s", Destination()).ok()) << "the name is free again";
}

TEST_F(FirehoseServiceTest, KinesisSourceReadsParentsBeforeChildrenAndResumesAfterRestart) {
  auto& shards = reader_.shards;
  reader_.Add("shard-0", "old", kStart - 1000);  // before the delivery stream: not delivered
  reader_.Add("shard-0", "p1", kStart + 1);
  reader_.Add("shard-0", "p2", kStart + 2);
  shards["shard-0"].closed = true;
  shards["shard-1"].parents = {"shard-0"};
  reader_.Add("shard-1", "c1", kStart + 3);
  CreateInput in;
  in.name = "k";
  in.type = SourceType::kKinesisStream;
  in.source = Json{{"KinesisStreamARN", reader_.stream_arn}, {"RoleARN", "arn:aws:iam::1:role/r"}};
  in.destination = Destination(0);
  ASSERT_TRUE(service_->Create(in).ok());
  auto put = service_->Put("k", std::vector<std::string_view>{"x"});
  EXPECT_EQ(put.status().aws_code(), "InvalidArgumentException");
  for (int i = 0; i < 4; ++i) service_->RunDueTasks();
  std::string all;
  for (const auto& k : sink_.Keys()) all += Body(k);
  EXPECT_EQ(all, "p1p2c1");

  Open();  // resumes after the checkpoints: nothing read twice
  reader_.Add("shard-1", "c2", kStart + 4);
  for (int i = 0; i < 4; ++i) service_->RunDueTasks();
  all.clear();
  for (const auto& k : sink_.Keys()) all += Body(k);
  std::sort(all.begin(), all.end());
  std::string want = "p1p2c1c2";
  std::sort(want.begin(), want.end());
  EXPECT_EQ(all, want);

  in.name = "k2";
  in.source["KinesisStreamARN"] = "arn:aws:kinesis:us-east-1:000000000000:stream/missing";
  Status missing = service_->Create(in);
  EXPECT_EQ(missing.aws_code(), "InvalidArgumentException");
  EXPECT_NE(missing.message().find("KinesisStreamARN"), std::string::npos);
}

TEST_F(FirehoseServiceTest, TagsAreLimitedAndPaged) {
  Tags tags;
  for (int i = 0; i < 50; ++i) tags["k" + std::to_string(100 + i)] = "v";
  ASSERT_TRUE(Create("s", Destination(), tags).ok());
  EXPECT_EQ(service_->Tag("s", Tags{{"one-more", "v"}}).aws_code(), "LimitExceededException");
  ASSERT_TRUE(service_->Untag("s", {"k100"}).ok());
  auto page = service_->ListTags("s", "", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->first.size(), 10u);
  EXPECT_TRUE(page->second);
  EXPECT_EQ(page->first[0].first, "k101");
  auto rest = service_->ListTags("s", page->first.back().first, 50);
  EXPECT_EQ(rest->first.size(), 39u);
  EXPECT_FALSE(rest->second);
}

TEST_F(FirehoseServiceTest, EncryptionSettingIsStoredAndReported) {
  ASSERT_TRUE(Create("s", Destination()).ok());
  ASSERT_TRUE(service_->StartEncryption("s", Json{{"KeyType", "AWS_OWNED_CMK"}}).ok());
  auto put = service_->Put("s", std::vector<std::string_view>{"x"});
  ASSERT_TRUE(put.ok());
  EXPECT_TRUE(put->encrypted);
  Open();
  EXPECT_EQ(service_->Describe("s")->row.encryption["Status"], "ENABLED");
  ASSERT_TRUE(service_->StopEncryption("s").ok());
  EXPECT_EQ(service_->Describe("s")->row.encryption["Status"], "DISABLED");
}

TEST_F(FirehoseServiceTest, ListPagesByNameAndFiltersByType) {
  for (const char* n : {"c", "a", "b"}) ASSERT_TRUE(Create(n, Destination()).ok());
  auto page = service_->List(2, std::nullopt, "");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->names, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(page->has_more);
  page = service_->List(2, std::nullopt, "b");
  EXPECT_EQ(page->names, (std::vector<std::string>{"c"}));
  EXPECT_FALSE(page->has_more);
  EXPECT_TRUE(service_->List(10, SourceType::kKinesisStream, "")->names.empty());
}

}  // namespace
}  // namespace tarn::firehose
