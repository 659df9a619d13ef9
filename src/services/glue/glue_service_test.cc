#include "services/glue/glue_service.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "aws/json_protocol.h"
#include "storage/test_temp_dir.h"

namespace tarn::glue {
namespace {

const UnixMillis kStart = 1'700'000'000'000;

class GlueServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    service_.reset();
    meta_.reset();
    storage::MetaStore::Options o;
    o.path = dir_.Join("meta.db");
    o.synchronous = false;
    auto meta = storage::MetaStore::Open(o);
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    meta_ = std::move(*meta);
    ServiceOptions options;
    options.clock = &clock_;
    options.limits = limits_;
    service_ = std::make_unique<GlueService>(meta_.get(), options);
    ASSERT_TRUE(service_->Start().ok());
  }

  static Json Table(const std::string& name, Json keys = Json::array()) {
    return Json{
        {"Name", name},
        {"Description", "events of " + name},
        {"StorageDescriptor",
         {{"Columns",
           Json::array({Json{{"Name", "id"}, {"Type", "bigint"}},
                        Json{{"Name", "payload"}, {"Type", "string"}, {"Comment", "raw"}}})},
          {"Location", "s3://lake/" + name + "/"},
          {"SerdeInfo",
           {{"SerializationLibrary",
             "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}}}},
        {"PartitionKeys", std::move(keys)},
        {"Parameters", {{"classification", "parquet"}}}};
  }

  static Json Partition(std::vector<std::string> values) {
    return Json{{"Values", values},
                {"StorageDescriptor", {{"Location", "s3://lake/x/" + values[0]}}}};
  }

  static PartitionQuery Query(std::string expression, int max_results = 1000, int segment = 0,
                              int total_segments = 1) {
    PartitionQuery q;
    q.expression = std::move(expression);
    q.max_results = max_results;
    q.segment = segment;
    q.total_segments = total_segments;
    return q;
  }

  static Json TwoKeys() {
    return Json::array(
        {Json{{"Name", "year"}, {"Type", "int"}}, Json{{"Name", "region"}, {"Type", "string"}}});
  }

  void MakeDb(const std::string& name) {
    ASSERT_TRUE(service_->CreateDatabase(Json{{"Name", name}}, {}).ok());
  }

  storage::TestTempDir dir_;
  ManualClock clock_{kStart};
  Limits limits_;
  std::unique_ptr<storage::MetaStore> meta_;
  std::unique_ptr<GlueService> service_;
};

TEST_F(GlueServiceTest, DatabaseRoundTripAndDefaults) {
  Json input = {{"Name", "sales"},
                {"Description", "d"},
                {"LocationUri", "s3://lake/sales"},
                {"Parameters", {{"k", "v"}}}};
  ASSERT_TRUE(service_->CreateDatabase(input, {{"team", "data"}}).ok());
  auto got = service_->GetDatabase("sales");
  ASSERT_TRUE(got.ok());
  const Json& db = (*got)["Database"];
  EXPECT_EQ(db["Description"], "d");
  EXPECT_EQ(db["LocationUri"], "s3://lake/sales");
  EXPECT_EQ(db["Parameters"]["k"], "v");
  EXPECT_EQ(db["CatalogId"], "000000000000");
  EXPECT_EQ(db["CreateTime"], aws::MakeTimestamp(kStart));
  EXPECT_EQ(db["CreateTableDefaultPermissions"][0]["Principal"]["DataLakePrincipalIdentifier"],
            "IAM_ALLOWED_PRINCIPALS");

  Status again = service_->CreateDatabase(input, {});
  EXPECT_EQ(again.aws_code(), "AlreadyExistsException");
  EXPECT_EQ(service_->GetDatabase("nope").status().aws_code(), "EntityNotFoundException");

  ASSERT_TRUE(
      service_->UpdateDatabase("sales", Json{{"Name", "sales"}, {"Description", "new"}}).ok());
  EXPECT_EQ((*service_->GetDatabase("sales"))["Database"]["Description"], "new");
  EXPECT_FALSE((*service_->GetDatabase("sales"))["Database"].contains("LocationUri"));
  EXPECT_EQ(service_->UpdateDatabase("sales", Json{{"Name", "other"}}).aws_code(),
            "InvalidInputException");
  EXPECT_EQ(service_->UpdateDatabase("nope", Json{{"Name", "nope"}}).aws_code(),
            "EntityNotFoundException");
}

TEST_F(GlueServiceTest, GetDatabasesPagesInNameOrder) {
  for (int i = 0; i < 7; ++i) MakeDb("db" + std::to_string(i));
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = service_->GetDatabases(token, 3);
    ASSERT_TRUE(page.ok());
    for (const Json& d : (*page)["DatabaseList"]) seen.push_back(d["Name"]);
    token = page->value("NextToken", "");
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"db0", "db1", "db2", "db3", "db4", "db5", "db6"}));
  EXPECT_EQ(service_->GetDatabases("!!not base64", 3).status().aws_code(), "InvalidInputException");
}

TEST_F(GlueServiceTest, TableRoundTripsExactlyWithGlueFields) {
  MakeDb("db");
  Json input = Table("events", TwoKeys());
  input["FutureMember"] = {{"nested", Json::array({1, 2})}};
  ASSERT_TRUE(service_->CreateTable("db", input).ok());
  auto got = service_->GetTable("db", "events");
  ASSERT_TRUE(got.ok());
  Json t = (*got)["Table"];
  for (const char* added : {"DatabaseName", "CreateTime", "UpdateTime", "Retention",
                            "IsRegisteredWithLakeFormation", "CatalogId", "VersionId"}) {
    ASSERT_TRUE(t.contains(added)) << added;
  }
  EXPECT_EQ(t["VersionId"], "0");
  EXPECT_EQ(t["DatabaseName"], "db");
  EXPECT_EQ(t["IsRegisteredWithLakeFormation"], false);
  for (const char* added : {"DatabaseName", "CreateTime", "UpdateTime", "Retention",
                            "IsRegisteredWithLakeFormation", "CatalogId", "VersionId"}) {
    t.erase(added);
  }
  EXPECT_EQ(t, input);  // everything the client sent, unchanged
  EXPECT_EQ(service_->CreateTable("db", input).aws_code(), "AlreadyExistsException");
  EXPECT_EQ(service_->CreateTable("nodb", input).aws_code(), "EntityNotFoundException");
}

TEST_F(GlueServiceTest, GetTablesPatternAndPaging) {
  MakeDb("db");
  for (const char* n : {"events", "events_2024", "clicks", "orders", "order_items"}) {
    ASSERT_TRUE(service_->CreateTable("db", Table(n)).ok());
  }
  auto names = [&](const std::string& pattern) {
    std::vector<std::string> out;
    auto r = service_->GetTables("db", pattern, "", 100);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) {
      for (const Json& t : (*r)["TableList"]) out.push_back(t["Name"]);
    }
    return out;
  };
  EXPECT_EQ(names(""),
            (std::vector<std::string>{"clicks", "events", "events_2024", "order_items", "orders"}));
  EXPECT_EQ(names("events*"), (std::vector<std::string>{"events", "events_2024"}));
  EXPECT_EQ(names("EVENTS"), (std::vector<std::string>{"events"}));
  EXPECT_EQ(names("order.*"), (std::vector<std::string>{"order_items", "orders"}));
  EXPECT_EQ(names("clicks|orders"), (std::vector<std::string>{"clicks", "orders"}));
  EXPECT_EQ(names("*s"), (std::vector<std::string>{"clicks", "events", "order_items", "orders"}));
  EXPECT_EQ(service_->GetTables("db", "(", "", 10).status().aws_code(), "InvalidInputException");

  std::vector<std::string> paged;
  std::string token;
  do {
    auto r = service_->GetTables("db", "*", token, 2);
    ASSERT_TRUE(r.ok());
    for (const Json& t : (*r)["TableList"]) paged.push_back(t["Name"]);
    token = r->value("NextToken", "");
  } while (!token.empty());
  EXPECT_EQ(paged.size(), 5u);
}

TEST_F(GlueServiceTest, VersionsConcurrencyAndSkipArchive) {
  MakeDb("db");
  ASSERT_TRUE(service_->CreateTable("db", Table("t")).ok());
  for (int i = 1; i <= 3; ++i) {
    clock_.Advance(1000);
    Json next = Table("t");
    next["Description"] = std::string("v").append(std::to_string(i));
    ASSERT_TRUE(service_->UpdateTable("db", next, std::to_string(i - 1), false).ok());
  }
  auto t = service_->GetTable("db", "t");
  EXPECT_EQ((*t)["Table"]["VersionId"], "3");
  EXPECT_EQ((*t)["Table"]["Description"], "v3");
  EXPECT_EQ((*t)["Table"]["UpdateTime"], aws::MakeTimestamp(kStart + 3000));
  EXPECT_EQ((*t)["Table"]["CreateTime"], aws::MakeTimestamp(kStart));

  // A writer that read version 1 loses.
  Status stale = service_->UpdateTable("db", Table("t"), "1", false);
  EXPECT_EQ(stale.aws_code(), "ConcurrentModificationException");

  auto versions = service_->GetTableVersions("db", "t", "", 100);
  ASSERT_TRUE(versions.ok());
  std::vector<std::string> ids;
  for (const Json& v : (*versions)["TableVersions"]) ids.push_back(v["VersionId"]);
  EXPECT_EQ(ids, (std::vector<std::string>{"3", "2", "1", "0"}));
  auto v1 = service_->GetTableVersion("db", "t", "1");
  EXPECT_EQ((*v1)["TableVersion"]["Table"]["Description"], "v1");

  // SkipArchive replaces version 3 instead of keeping it.
  Json v4 = Table("t");
  v4["Description"] = "v4";
  ASSERT_TRUE(service_->UpdateTable("db", v4, "", true).ok());
  EXPECT_EQ(service_->GetTableVersion("db", "t", "3").status().aws_code(),
            "EntityNotFoundException");
  EXPECT_EQ((*service_->GetTableVersion("db", "t", ""))["TableVersion"]["VersionId"], "4");

  EXPECT_EQ(service_->DeleteTableVersion("db", "t", "4").aws_code(), "InvalidInputException");
  ASSERT_TRUE(service_->DeleteTableVersion("db", "t", "0").ok());
  auto batch = service_->BatchDeleteTableVersion("db", "t", {"1", "0", "x"});
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ((*batch)["Errors"].size(), 2u);
  EXPECT_EQ((*batch)["Errors"][0]["VersionId"], "0");
  EXPECT_EQ((*batch)["Errors"][0]["ErrorDetail"]["ErrorCode"], "EntityNotFoundException");
  EXPECT_EQ((*batch)["Errors"][1]["ErrorDetail"]["ErrorCode"], "InvalidInputException");

  auto paged = service_->GetTableVersions("db", "t", "", 1);
  ASSERT_TRUE(paged.ok());
  EXPECT_EQ((*paged)["TableVersions"][0]["VersionId"], "4");
  auto rest = service_->GetTableVersions("db", "t", (*paged)["NextToken"], 1);
  EXPECT_EQ((*rest)["TableVersions"][0]["VersionId"], "2");
}

TEST_F(GlueServiceTest, ConcurrentUpdatesOfOneVersionHaveOneWinner) {
  MakeDb("db");
  ASSERT_TRUE(service_->CreateTable("db", Table("t")).ok());
  constexpr int kWriters = 8;
  std::vector<Status> results(kWriters);
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      Json next = Table("t");
      next["Description"] = std::string("writer ").append(std::to_string(i));
      results[i] = service_->UpdateTable("db", next, "0", false);
    });
  }
  for (auto& w : writers) w.join();
  int winners = 0;
  for (const Status& st : results) {
    if (st.ok()) {
      ++winners;
    } else {
      EXPECT_EQ(st.aws_code(), "ConcurrentModificationException") << st.ToString();
    }
  }
  EXPECT_EQ(winners, 1);
  EXPECT_EQ((*service_->GetTable("db", "t"))["Table"]["VersionId"], "1");
}

TEST_F(GlueServiceTest, VersionLimitAnswersResourceNumberLimitExceeded) {
  limits_.versions_per_table = 2;
  Open();
  MakeDb("db");
  ASSERT_TRUE(service_->CreateTable("db", Table("t")).ok());
  ASSERT_TRUE(service_->UpdateTable("db", Table("t"), "", false).ok());
  EXPECT_EQ(service_->UpdateTable("db", Table("t"), "", false).aws_code(),
            "ResourceNumberLimitExceededException");
  EXPECT_TRUE(service_->UpdateTable("db", Table("t"), "", true).ok());  // replaces, adds none
}

TEST_F(GlueServiceTest, TableAndDatabaseLimits) {
  limits_.databases = 2;
  limits_.tables_per_database = 1;
  limits_.partitions_per_table = 3;
  Open();
  MakeDb("a");
  MakeDb("b");
  EXPECT_EQ(service_->CreateDatabase(Json{{"Name", "c"}}, {}).aws_code(),
            "ResourceNumberLimitExceededException");
  ASSERT_TRUE(service_->CreateTable("a", Table("t", TwoKeys())).ok());
  EXPECT_EQ(service_->CreateTable("a", Table("u")).aws_code(),
            "ResourceNumberLimitExceededException");
  std::vector<Json> parts;
  for (int i = 0; i < 5; ++i) parts.push_back(Partition({std::to_string(2020 + i), "eu"}));
  auto r = service_->BatchCreatePartition("a", "t", parts);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ((*r)["Errors"].size(), 2u);
  EXPECT_EQ((*r)["Errors"][0]["ErrorDetail"]["ErrorCode"], "ResourceNumberLimitExceededException");
}

TEST_F(GlueServiceTest, PartitionsBatchErrorsInPlace) {
  MakeDb("db");
  ASSERT_TRUE(service_->CreateTable("db", Table("t", TwoKeys())).ok());
  ASSERT_TRUE(service_->CreatePartition("db", "t", Partition({"2020", "eu"})).ok());
  EXPECT_EQ(service_->CreatePartition("db", "t", Partition({"2020", "eu"})).aws_code(),
            "AlreadyExistsException");
  EXPECT_EQ(service_->CreatePartition("db", "t", Partition({"2020"})).aws_code(),
            "InvalidInputException");

  auto r = service_->BatchCreatePartition("db", "t",
                                          {Partition({"2021", "eu"}), Partition({"2020", "eu"}),
                                           Partition({"x"}), Partition({"2021", "eu"})});
  ASSERT_TRUE(r.ok());
  const Json& errors = (*r)["Errors"];
  ASSERT_EQ(errors.size(), 3u);
  std::multiset<std::string> codes;
  for (const Json& e : errors) codes.insert(e["ErrorDetail"]["ErrorCode"]);
  EXPECT_EQ(codes.count("AlreadyExistsException"), 2u);
  EXPECT_EQ(codes.count("InvalidInputException"), 1u);

  auto p = service_->GetPartition("db", "t", {"2021", "eu"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)["Partition"]["TableName"], "t");
  EXPECT_EQ((*p)["Partition"]["StorageDescriptor"]["Location"], "s3://lake/x/2021");
  EXPECT_EQ((*p)["Partition"]["CreationTime"], aws::MakeTimestamp(kStart));
  EXPECT_EQ(service_->GetPartition("db", "t", {"1999", "eu"}).status().aws_code(),
            "EntityNotFoundException");

  auto got =
      service_->BatchGetPartition("db", "t", {{"2021", "eu"}, {"1999", "eu"}, {"2020", "eu"}});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["Partitions"].size(), 2u);
  EXPECT_TRUE((*got)["UnprocessedKeys"].empty());

  // Renaming a partition (new values), and onto an existing one.
  Json moved = Partition({"2022", "eu"});
  ASSERT_TRUE(service_->UpdatePartition("db", "t", {"2021", "eu"}, moved).ok());
  EXPECT_TRUE(service_->GetPartition("db", "t", {"2022", "eu"}).ok());
  EXPECT_FALSE(service_->GetPartition("db", "t", {"2021", "eu"}).ok());
  EXPECT_EQ(
      service_->UpdatePartition("db", "t", {"2022", "eu"}, Partition({"2020", "eu"})).aws_code(),
      "AlreadyExistsException");

  auto updated = service_->BatchUpdatePartition(
      "db", "t",
      {{{"2022", "eu"}, Partition({"2022", "eu"})}, {{"1999", "eu"}, Partition({"1999", "eu"})}});
  ASSERT_TRUE(updated.ok());
  ASSERT_EQ((*updated)["Errors"].size(), 1u);
  EXPECT_EQ((*updated)["Errors"][0]["PartitionValueList"], Json::array({"1999", "eu"}));
  EXPECT_EQ((*updated)["Errors"][0]["ErrorDetail"]["ErrorCode"], "EntityNotFoundException");

  auto del = service_->BatchDeletePartition("db", "t", {{"2022", "eu"}, {"1999", "eu"}});
  ASSERT_TRUE(del.ok());
  ASSERT_EQ((*del)["Errors"].size(), 1u);
  EXPECT_EQ((*del)["Errors"][0]["PartitionValues"], Json::array({"1999", "eu"}));
  EXPECT_TRUE(service_->DeletePartition("db", "t", {"2020", "eu"}).ok());
  EXPECT_EQ(service_->DeletePartition("db", "t", {"2020", "eu"}).aws_code(),
            "EntityNotFoundException");
}

TEST_F(GlueServiceTest, GetPartitionsExpressionSegmentsAndPaging) {
  MakeDb("db");
  ASSERT_TRUE(service_->CreateTable("db", Table("t", TwoKeys())).ok());
  std::vector<Json> batch;
  for (int y = 2000; y < 2050; ++y) {
    for (const char* r : {"eu", "us"}) batch.push_back(Partition({std::to_string(y), r}));
    if (batch.size() == 100) {
      ASSERT_TRUE(service_->BatchCreatePartition("db", "t", batch).ok());
      batch.clear();
    }
  }
  auto count = [&](PartitionQuery q) {
    size_t n = 0;
    do {
      auto r = service_->GetPartitions("db", "t", q);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok()) return n;
      n += (*r)["Partitions"].size();
      q.next_token = r->value("NextToken", "");
    } while (!q.next_token.empty());
    return n;
  };
  EXPECT_EQ(count({}), 100u);
  EXPECT_EQ(count(Query("year >= 2040 AND region = 'eu'")), 10u);
  EXPECT_EQ(count(Query("year between 2010 and 2019", 3)), 20u);
  EXPECT_EQ(count(Query("year = 1")), 0u);

  // Segments split the partitions into disjoint sets that cover them all.
  std::set<std::string> all;
  size_t total = 0;
  for (int s = 0; s < 4; ++s) {
    PartitionQuery q = Query("", 7, s, 4);
    do {
      auto r = service_->GetPartitions("db", "t", q);
      ASSERT_TRUE(r.ok());
      for (const Json& p : (*r)["Partitions"]) {
        all.insert(p["Values"].dump());
        ++total;
      }
      q.next_token = r->value("NextToken", "");
    } while (!q.next_token.empty());
  }
  EXPECT_EQ(total, 100u);
  EXPECT_EQ(all.size(), 100u);

  auto bad = service_->GetPartitions("db", "t", Query("yeer = 1"));
  EXPECT_EQ(bad.status().aws_code(), "InvalidInputException");
  auto excluded = service_->GetPartitions("db", "t", [] {
    PartitionQuery q = Query("", 1);
    q.exclude_column_schema = true;
    return q;
  }());
  ASSERT_TRUE(excluded.ok());
  EXPECT_EQ((*excluded)["Partitions"].size(), 1u);
}

TEST_F(GlueServiceTest, ColumnStatisticsRoundTrip) {
  MakeDb("db");
  ASSERT_TRUE(service_->CreateTable("db", Table("t", TwoKeys())).ok());
  ASSERT_TRUE(service_->CreatePartition("db", "t", Partition({"2020", "eu"})).ok());
  Json stats = {{"ColumnName", "id"},
                {"ColumnType", "bigint"},
                {"AnalyzedTime", kStart},
                {"StatisticsData",
                 {{"Type", "LONG"},
                  {"LongColumnStatisticsData",
                   {{"MinimumValue", 1},
                    {"MaximumValue", 9},
                    {"NumberOfNulls", 0},
                    {"NumberOfDistinctValues", 9}}}}}};
  Json unknown = stats;
  unknown["ColumnName"] = "nope";
  auto r = service_->UpdateColumnStatistics("db", "t", nullptr, {stats, unknown});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ((*r)["Errors"].size(), 1u);
  EXPECT_EQ((*r)["Errors"][0]["Error"]["ErrorCode"], "EntityNotFoundException");

  auto got = service_->GetColumnStatistics("db", "t", nullptr, {"ID", "payload"});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ((*got)["ColumnStatisticsList"].size(), 1u);
  Json expected = stats;
  expected["AnalyzedTime"] = aws::MakeTimestamp(kStart);
  EXPECT_EQ((*got)["ColumnStatisticsList"][0], expected);
  EXPECT_EQ((*got)["Errors"][0]["ColumnName"], "payload");

  std::vector<std::string> values = {"2020", "eu"};
  ASSERT_TRUE(service_->UpdateColumnStatistics("db", "t", &values, {stats}).ok());
  EXPECT_EQ(
      (*service_->GetColumnStatistics("db", "t", &values, {"id"}))["ColumnStatisticsList"].size(),
      1u);
  std::vector<std::string> missing = {"1999", "eu"};
  EXPECT_EQ(service_->UpdateColumnStatistics("db", "t", &missing, {stats}).status().aws_code(),
            "EntityNotFoundException");

  ASSERT_TRUE(service_->DeleteColumnStatistics("db", "t", nullptr, "id").ok());
  EXPECT_EQ(service_->DeleteColumnStatistics("db", "t", nullptr, "id").aws_code(),
            "EntityNotFoundException");
  // The partition's statistics go with the partition.
  ASSERT_TRUE(service_->DeletePartition("db", "t", values).ok());
  ASSERT_TRUE(service_->CreatePartition("db", "t", Partition(values)).ok());
  EXPECT_EQ(
      (*service_->GetColumnStatistics("db", "t", &values, {"id"}))["ColumnStatisticsList"].size(),
      0u);
}

TEST_F(GlueServiceTest, TagsByArn) {
  ASSERT_TRUE(service_->CreateDatabase(Json{{"Name", "db"}}, {{"a", "1"}}).ok());
  ASSERT_TRUE(service_->CreateTable("db", Table("t")).ok());
  std::string db_arn = service_->DatabaseArn("db");
  std::string t_arn = service_->TableArn("db", "t");
  EXPECT_EQ(db_arn, "arn:aws:glue:us-east-1:000000000000:database/db");
  EXPECT_EQ(t_arn, "arn:aws:glue:us-east-1:000000000000:table/db/t");
  EXPECT_EQ(*service_->GetTags(db_arn), (Tags{{"a", "1"}}));
  ASSERT_TRUE(service_->TagResource(t_arn, {{"x", "y"}, {"z", ""}}).ok());
  ASSERT_TRUE(service_->UntagResource(t_arn, {"z", "absent"}).ok());
  EXPECT_EQ(*service_->GetTags(t_arn), (Tags{{"x", "y"}}));
  EXPECT_EQ(
      service_->GetTags("arn:aws:glue:us-east-1:000000000000:table/db/none").status().aws_code(),
      "EntityNotFoundException");
  EXPECT_EQ(
      service_->GetTags("arn:aws:glue:eu-west-1:000000000000:database/db").status().aws_code(),
      "EntityNotFoundException");
  EXPECT_EQ(service_->GetTags("arn:aws:glue:us-east-1:000000000000:crawler/c").status().aws_code(),
            "InvalidInputException");
}

TEST_F(GlueServiceTest, DeleteDatabaseDropsEverythingBelowIt) {
  MakeDb("db");
  ASSERT_TRUE(service_->CreateTable("db", Table("t", TwoKeys())).ok());
  ASSERT_TRUE(service_->CreatePartition("db", "t", Partition({"2020", "eu"})).ok());
  ASSERT_TRUE(service_->DeleteDatabase("db").ok());
  EXPECT_EQ(service_->DeleteDatabase("db").aws_code(), "EntityNotFoundException");
  MakeDb("db");
  ASSERT_TRUE(service_->CreateTable("db", Table("t", TwoKeys())).ok());
  auto parts = service_->GetPartitions("db", "t", {});
  ASSERT_TRUE(parts.ok());
  EXPECT_TRUE((*parts)["Partitions"].empty());
  auto versions = service_->GetTableVersions("db", "t", "", 100);
  EXPECT_EQ((*versions)["TableVersions"].size(), 1u);
}

TEST_F(GlueServiceTest, CatalogIdMustBeTheAccount) {
  EXPECT_TRUE(service_->CheckCatalog("").ok());
  EXPECT_TRUE(service_->CheckCatalog("000000000000").ok());
  EXPECT_EQ(service_->CheckCatalog("123456789012").aws_code(), "AccessDeniedException");
  EXPECT_EQ(service_->CheckCatalog("my-catalog").aws_code(), "EntityNotFoundException");
}

TEST_F(GlueServiceTest, SearchTablesTextFiltersAndPaging) {
  MakeDb("sales");
  MakeDb("web");
  ASSERT_TRUE(service_->CreateTable("sales", Table("orders")).ok());
  ASSERT_TRUE(service_->CreateTable("sales", Table("customer-link")).ok());
  Json clicks = Table("clicks");
  clicks["StorageDescriptor"]["Columns"].push_back(
      Json{{"Name", "referrer_url"}, {"Type", "string"}});
  ASSERT_TRUE(service_->CreateTable("web", clicks).ok());
  auto names = [&](const std::string& text, std::vector<SearchFilter> filters) {
    std::vector<std::string> out;
    auto r = service_->SearchTables(text, filters, "", false, "", 100);
    EXPECT_TRUE(r.ok());
    for (const Json& t : (*r)["TableList"])
      out.push_back(t["DatabaseName"].get<std::string>() + "." + t["Name"].get<std::string>());
    return out;
  };
  EXPECT_EQ(names("referrer", {}), (std::vector<std::string>{"web.clicks"}));
  EXPECT_EQ(names("ORDERS", {}), (std::vector<std::string>{"sales.orders"}));
  EXPECT_EQ(names("", {{"DatabaseName", "sales", ""}}),
            (std::vector<std::string>{"sales.customer-link", "sales.orders"}));
  EXPECT_EQ(names("", {{"Name", "link", ""}}), (std::vector<std::string>{"sales.customer-link"}));
  EXPECT_EQ(names("", {{"classification", "parquet", ""}}).size(), 3u);
  auto page = service_->SearchTables("", {}, "Name", true, "", 2);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ((*page)["TableList"][0]["Name"], "orders");
  auto rest = service_->SearchTables("", {}, "Name", true, (*page)["NextToken"], 2);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ((*rest)["TableList"].size(), 1u);
  EXPECT_FALSE(rest->contains("NextToken"));
}

TEST_F(GlueServiceTest, EverythingSurvivesReopening) {
  ASSERT_TRUE(service_->CreateDatabase(Json{{"Name", "db"}}, {{"k", "v"}}).ok());
  ASSERT_TRUE(service_->CreateTable("db", Table("t", TwoKeys())).ok());
  ASSERT_TRUE(service_->UpdateTable("db", Table("t", TwoKeys()), "0", false).ok());
  ASSERT_TRUE(service_->CreatePartition("db", "t", Partition({"2020", "eu"})).ok());
  Open();
  EXPECT_TRUE(service_->GetDatabase("db").ok());
  EXPECT_EQ((*service_->GetTable("db", "t"))["Table"]["VersionId"], "1");
  EXPECT_TRUE(service_->GetPartition("db", "t", {"2020", "eu"}).ok());
  EXPECT_EQ(*service_->GetTags(service_->DatabaseArn("db")), (Tags{{"k", "v"}}));
}

}  // namespace
}  // namespace tarn::glue
