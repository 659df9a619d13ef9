#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "services/glue/crawler_service.h"
#include "services/glue/crawler_validate.h"
#include "storage/test_temp_dir.h"

namespace tarn::glue {
namespace {

const UnixMillis kStart = 1'700'000'000'000;

// A crawl the test controls: it runs until Release() or a stop request,
// then returns `result` (or Aborted when stopped).
class FakeCrawl {
 public:
  Result<CrawlResult> Run(const CrawlSpec& spec, const std::atomic<bool>& stop) {
    std::unique_lock<std::mutex> lock(mu_);
    specs_.push_back(spec);
    started_ = true;
    cv_.notify_all();
    while (!released_ && !stop) cv_.wait_for(lock, std::chrono::milliseconds(5));
    if (!released_) return Status(Code::kAborted, "crawl stopped");
    released_ = false;
    return result_;
  }
  void Release(Result<CrawlResult> result) {
    std::lock_guard<std::mutex> lock(mu_);
    result_ = std::move(result);
    released_ = true;
    cv_.notify_all();
  }
  void WaitStarted() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return started_; });
    started_ = false;
  }
  std::vector<CrawlSpec> specs() {
    std::lock_guard<std::mutex> lock(mu_);
    return specs_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  bool released_ = false;
  Result<CrawlResult> result_ = CrawlResult{};
  std::vector<CrawlSpec> specs_;
};

class CrawlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::MetaStore::Options o;
    o.path = dir_.Join("meta.db");
    o.synchronous = false;
    auto meta = storage::MetaStore::Open(o);
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    meta_ = std::move(*meta);
    OpenService();
  }

  void OpenService() {
    service_.reset();
    CrawlerOptions options;
    options.clock = &clock_;
    options.crawl = [this](const CrawlSpec& spec, const std::atomic<bool>& stop) {
      return crawl_.Run(spec, stop);
    };
    service_ = std::make_unique<CrawlerService>(meta_.get(), options);
    ASSERT_TRUE(service_->Start().ok());
  }

  static Json Request(const std::string& name) {
    return Json{
        {"Name", name},
        {"Role", "arn:aws:iam::000000000000:role/crawler"},
        {"DatabaseName", "Lake"},
        {"Targets",
         {{"S3Targets", Json::array({Json{{"Path", "s3://lake/sales/"},
                                          {"Exclusions", Json::array({"**/_tmp/**"})}}})}}}};
  }

  void Create(const std::string& name, Json request = Json()) {
    if (request.is_null()) request = Request(name);
    auto def = CheckCrawlerDefinition(request, true);
    ASSERT_TRUE(def.ok()) << def.status().ToString();
    Status st = service_->CreateCrawler(name, *def, {});
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  Json Get(const std::string& name) {
    auto got = service_->GetCrawler(name);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? (*got)["Crawler"] : Json();
  }

  storage::TestTempDir dir_;
  ManualClock clock_{kStart};
  FakeCrawl crawl_;
  std::unique_ptr<storage::MetaStore> meta_;
  std::unique_ptr<CrawlerService> service_;
};

TEST_F(CrawlerTest, CreatedCrawlerRoundTripsWithGlueDefaults) {
  Json req = Request("sales");
  req["Schedule"] = "cron(15 12 * * ? *)";
  req["TablePrefix"] = "raw_";
  req["Configuration"] = R"({"Version":1.0})";
  Create("sales", req);
  Json c = Get("sales");
  EXPECT_EQ(c["Name"], "sales");
  EXPECT_EQ(c["Role"], "arn:aws:iam::000000000000:role/crawler");
  EXPECT_EQ(c["DatabaseName"], "lake");  // folded as Glue folds database names
  EXPECT_EQ(c["Targets"]["S3Targets"][0]["Path"], "s3://lake/sales/");
  EXPECT_EQ(c["Targets"]["S3Targets"][0]["Exclusions"], Json::array({"**/_tmp/**"}));
  EXPECT_EQ(c["Targets"]["JdbcTargets"], Json::array());
  EXPECT_EQ(c["TablePrefix"], "raw_");
  EXPECT_EQ(c["Configuration"], R"({"Version":1.0})");
  EXPECT_EQ(c["Schedule"],
            (Json{{"ScheduleExpression", "cron(15 12 * * ? *)"}, {"State", "SCHEDULED"}}));
  EXPECT_EQ(c["SchemaChangePolicy"]["UpdateBehavior"], "UPDATE_IN_DATABASE");
  EXPECT_EQ(c["SchemaChangePolicy"]["DeleteBehavior"], "DEPRECATE_IN_DATABASE");
  EXPECT_EQ(c["RecrawlPolicy"]["RecrawlBehavior"], "CRAWL_EVERYTHING");
  EXPECT_EQ(c["State"], "READY");
  EXPECT_EQ(c["Version"], 1);
  EXPECT_EQ(c["CrawlElapsedTime"], 0);
  EXPECT_FALSE(c.contains("LastCrawl"));

  Status dup =
      service_->CreateCrawler("sales", *CheckCrawlerDefinition(Request("sales"), true), {});
  EXPECT_EQ(dup.aws_code(), "AlreadyExistsException");
  EXPECT_EQ(service_->GetCrawler("nope").status().aws_code(), "EntityNotFoundException");
}

TEST_F(CrawlerTest, UpdateMergesBumpsVersionAndRemovesSchedule) {
  Json req = Request("c");
  req["Schedule"] = "cron(0 * * * ? *)";
  Create("c", req);
  clock_.Advance(1000);
  auto changes = CheckCrawlerDefinition(
      Json{{"Name", "c"}, {"Description", "nightly"}, {"Schedule", ""}}, false);
  ASSERT_TRUE(changes.ok()) << changes.status().ToString();
  ASSERT_TRUE(service_->UpdateCrawler("c", *changes).ok());
  Json c = Get("c");
  EXPECT_EQ(c["Version"], 2);
  EXPECT_EQ(c["Description"], "nightly");
  EXPECT_FALSE(c.contains("Schedule"));
  EXPECT_EQ(c["Targets"]["S3Targets"][0]["Path"], "s3://lake/sales/");  // kept
  EXPECT_NE(c["LastUpdated"], c["CreationTime"]);
}

TEST_F(CrawlerTest, NewFoldersOnlyNeedsLogPolicies) {
  Json req = Request("c");
  req["RecrawlPolicy"] = {{"RecrawlBehavior", "CRAWL_NEW_FOLDERS_ONLY"}};
  auto def = CheckCrawlerDefinition(req, true);
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(service_->CreateCrawler("c", *def, {}).aws_code(), "InvalidInputException");
  req["SchemaChangePolicy"] = {{"UpdateBehavior", "LOG"}, {"DeleteBehavior", "LOG"}};
  EXPECT_TRUE(service_->CreateCrawler("c", *CheckCrawlerDefinition(req, true), {}).ok());
}

TEST_F(CrawlerTest, CrawlRunsToSucceededAndRecordsMetrics) {
  Create("c");
  ASSERT_TRUE(service_->StartCrawler("c").ok());
  crawl_.WaitStarted();
  clock_.Advance(4000);
  Json running = Get("c");
  EXPECT_EQ(running["State"], "RUNNING");
  EXPECT_EQ(running["CrawlElapsedTime"], 4000);

  CrawlResult result;
  result.tables_created = 2;
  result.tables_updated = 1;
  crawl_.Release(result);
  service_->WaitIdle();
  Json c = Get("c");
  EXPECT_EQ(c["State"], "READY");
  EXPECT_EQ(c["LastCrawl"]["Status"], "SUCCEEDED");
  EXPECT_EQ(c["LastCrawl"]["LogGroup"], "/aws-glue/crawlers");
  EXPECT_EQ(c["LastCrawl"]["LogStream"], "c");
  EXPECT_FALSE(c["LastCrawl"].contains("ErrorMessage"));

  // A second, slower run: the median is over both.
  ASSERT_TRUE(service_->StartCrawler("c").ok());
  crawl_.WaitStarted();
  clock_.Advance(8000);
  crawl_.Release(CrawlResult{});
  service_->WaitIdle();
  auto metrics = service_->GetCrawlerMetrics({"c", "missing"}, "", 100);
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
  ASSERT_EQ((*metrics)["CrawlerMetricsList"].size(), 1u);
  Json m = (*metrics)["CrawlerMetricsList"][0];
  EXPECT_EQ(m["CrawlerName"], "c");
  EXPECT_DOUBLE_EQ(m["LastRuntimeSeconds"].get<double>(), 8.0);
  EXPECT_DOUBLE_EQ(m["MedianRuntimeSeconds"].get<double>(), 6.0);
  EXPECT_EQ(m["TablesCreated"], 0);  // of the last run
  EXPECT_EQ(m["StillEstimating"], false);

  ASSERT_EQ(crawl_.specs().size(), 2u);
  const CrawlSpec spec = crawl_.specs()[0];
  EXPECT_EQ(spec.crawler_name, "c");
  EXPECT_EQ(spec.database, "lake");
  ASSERT_EQ(spec.s3_targets.size(), 1u);
  EXPECT_EQ(spec.s3_targets[0].path, "s3://lake/sales/");
  EXPECT_EQ(spec.s3_targets[0].exclusions, std::vector<std::string>{"**/_tmp/**"});
}

TEST_F(CrawlerTest, RunningCrawlerRefusesStartUpdateDeleteAndStopsCancelled) {
  Create("c");
  EXPECT_EQ(service_->StopCrawler("c").aws_code(), "CrawlerNotRunningException");
  ASSERT_TRUE(service_->StartCrawler("c").ok());
  crawl_.WaitStarted();
  EXPECT_EQ(service_->StartCrawler("c").aws_code(), "CrawlerRunningException");
  auto changes = CheckCrawlerDefinition(Json{{"Name", "c"}, {"Description", "x"}}, false);
  EXPECT_EQ(service_->UpdateCrawler("c", *changes).aws_code(), "CrawlerRunningException");
  EXPECT_EQ(service_->DeleteCrawler("c").aws_code(), "CrawlerRunningException");

  ASSERT_TRUE(service_->StopCrawler("c").ok());
  // STOPPING until the crawl notices; a second stop is told so.
  Status again = service_->StopCrawler("c");
  EXPECT_TRUE(again.ok() || again.aws_code() == "CrawlerStoppingException" ||
              again.aws_code() == "CrawlerNotRunningException")
      << again.ToString();
  service_->WaitIdle();
  Json c = Get("c");
  EXPECT_EQ(c["State"], "READY");
  EXPECT_EQ(c["LastCrawl"]["Status"], "CANCELLED");
  EXPECT_TRUE(service_->DeleteCrawler("c").ok());
  EXPECT_EQ(service_->GetCrawler("c").status().aws_code(), "EntityNotFoundException");
}

TEST_F(CrawlerTest, StoppingStateIsVisibleBeforeTheCrawlEnds) {
  Create("c");
  // No thread: the store alone, as StopCrawler leaves it.
  CrawlerStore store(meta_.get(), 1000);
  ASSERT_TRUE(store.MarkRunning("c", kStart).ok());
  EXPECT_EQ(store.MarkRunning("c", kStart).aws_code(), "CrawlerRunningException");
  ASSERT_TRUE(store.MarkStopping("c").ok());
  EXPECT_EQ(Get("c")["State"], "STOPPING");
  EXPECT_EQ(store.MarkStopping("c").aws_code(), "CrawlerStoppingException");
  EXPECT_EQ(store.MarkRunning("c", kStart).aws_code(), "CrawlerRunningException");
}

TEST_F(CrawlerTest, FailedCrawlKeepsItsError) {
  Create("c");
  ASSERT_TRUE(service_->StartCrawler("c").ok());
  crawl_.WaitStarted();
  crawl_.Release(NotFound("The bucket lake does not exist.", "EntityNotFoundException"));
  service_->WaitIdle();
  Json last = Get("c")["LastCrawl"];
  EXPECT_EQ(last["Status"], "FAILED");
  EXPECT_EQ(last["ErrorMessage"], "The bucket lake does not exist.");
}

TEST_F(CrawlerTest, MissingClassifierFailsTheCrawlNotTheStart) {
  Json req = Request("c");
  req["Classifiers"] = Json::array({"gone"});
  Create("c", req);
  ASSERT_TRUE(service_->StartCrawler("c").ok());
  service_->WaitIdle();
  Json last = Get("c")["LastCrawl"];
  EXPECT_EQ(last["Status"], "FAILED");
  EXPECT_NE(last["ErrorMessage"].get<std::string>().find("gone"), std::string::npos);
  EXPECT_TRUE(crawl_.specs().empty());
}

TEST_F(CrawlerTest, ShutdownDuringACrawlFailsIt) {
  Create("c");
  ASSERT_TRUE(service_->StartCrawler("c").ok());
  crawl_.WaitStarted();
  service_->Shutdown();
  EXPECT_EQ(service_->StartCrawler("c").aws_code(), "ServiceUnavailable");
  Json last = Get("c")["LastCrawl"];
  EXPECT_EQ(last["Status"], "FAILED");
  EXPECT_EQ(last["ErrorMessage"], std::string(CrawlerService::kServerStopped));
}

TEST_F(CrawlerTest, CrawlerLeftRunningByADeadServerIsFailedAtStart) {
  Create("c");
  CrawlerStore store(meta_.get(), 1000);
  ASSERT_TRUE(store.MarkRunning("c", kStart - 5000).ok());
  OpenService();
  Json c = Get("c");
  EXPECT_EQ(c["State"], "READY");
  EXPECT_EQ(c["LastCrawl"]["Status"], "FAILED");
  EXPECT_EQ(c["LastCrawl"]["ErrorMessage"], std::string(CrawlerService::kServerStopped));
  EXPECT_TRUE(service_->StartCrawler("c").ok());
  crawl_.WaitStarted();
  crawl_.Release(CrawlResult{});
  service_->WaitIdle();
}

TEST_F(CrawlerTest, PagingListingAndTagFilter) {
  for (const char* n : {"a", "b", "c", "d", "e"}) Create(n);
  ASSERT_TRUE(service_->TagResource(service_->CrawlerArn("b"), {{"team", "x"}}).ok());
  ASSERT_TRUE(service_->TagResource(service_->CrawlerArn("d"), {{"team", "x"}}).ok());
  std::vector<std::string> seen;
  std::string token;
  do {
    auto page = service_->GetCrawlers(token, 2);
    ASSERT_TRUE(page.ok());
    for (const Json& c : (*page)["Crawlers"]) seen.push_back(c["Name"]);
    token = page->value("NextToken", "");
  } while (!token.empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c", "d", "e"}));

  auto tagged = service_->ListCrawlers("", 1, {{"team", "x"}});
  ASSERT_TRUE(tagged.ok());
  EXPECT_EQ((*tagged)["CrawlerNames"], Json::array({"b"}));
  auto rest = service_->ListCrawlers((*tagged)["NextToken"], 1, {{"team", "x"}});
  EXPECT_EQ((*rest)["CrawlerNames"], Json::array({"d"}));
  EXPECT_FALSE(rest->contains("NextToken"));

  auto batch = service_->BatchGetCrawlers({"a", "zz"});
  EXPECT_EQ((*batch)["Crawlers"].size(), 1u);
  EXPECT_EQ((*batch)["CrawlersNotFound"], Json::array({"zz"}));

  auto tags = service_->GetTags(service_->CrawlerArn("b"));
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(tags->at("team"), "x");
  ASSERT_TRUE(service_->UntagResource(service_->CrawlerArn("b"), {"team"}).ok());
  EXPECT_TRUE(service_->GetTags(service_->CrawlerArn("b"))->empty());
  EXPECT_EQ(service_->GetTags("arn:aws:glue:eu-west-1:000000000000:crawler/b").status().aws_code(),
            "EntityNotFoundException");
  EXPECT_TRUE(CrawlerService::IsCrawlerArn("arn:aws:glue:us-east-1:1:crawler/x"));
  EXPECT_FALSE(CrawlerService::IsCrawlerArn("arn:aws:glue:us-east-1:1:database/x"));
}

TEST_F(CrawlerTest, ClassifiersRoundTripAndResolveIntoTheSpec) {
  std::string kind, name;
  auto csv = CheckClassifierRequest(Json{{"CsvClassifier",
                                          {{"Name", "pipes"},
                                           {"Delimiter", "|"},
                                           {"ContainsHeader", "ABSENT"},
                                           {"Header", Json::array({"id", "name"})}}}},
                                    true, &kind, &name);
  ASSERT_TRUE(csv.ok()) << csv.status().ToString();
  EXPECT_EQ(kind, "CsvClassifier");
  ASSERT_TRUE(service_->CreateClassifier(kind, name, *csv).ok());
  auto json = CheckClassifierRequest(
      Json{{"JsonClassifier", {{"Name", "arrays"}, {"JsonPath", "$[*]"}}}}, true, &kind, &name);
  ASSERT_TRUE(json.ok());
  ASSERT_TRUE(service_->CreateClassifier(kind, name, *json).ok());
  EXPECT_EQ(service_->CreateClassifier(kind, name, *json).aws_code(), "AlreadyExistsException");

  auto got = service_->GetClassifier("pipes");
  ASSERT_TRUE(got.ok());
  Json c = (*got)["Classifier"]["CsvClassifier"];
  EXPECT_EQ(c["Delimiter"], "|");
  EXPECT_EQ(c["Header"], Json::array({"id", "name"}));
  EXPECT_EQ(c["Version"], 1);

  auto update = CheckClassifierRequest(
      Json{{"CsvClassifier", {{"Name", "pipes"}, {"ContainsHeader", "PRESENT"}}}}, false, &kind,
      &name);
  ASSERT_TRUE(update.ok());
  ASSERT_TRUE(service_->UpdateClassifier(kind, name, *update).ok());
  c = (*service_->GetClassifier("pipes"))["Classifier"]["CsvClassifier"];
  EXPECT_EQ(c["ContainsHeader"], "PRESENT");
  EXPECT_EQ(c["Delimiter"], "|");  // kept
  EXPECT_EQ(c["Version"], 2);
  EXPECT_EQ(service_->UpdateClassifier("JsonClassifier", "pipes", Json::object()).aws_code(),
            "InvalidInputException");

  auto list = service_->GetClassifiers("", 1);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)["Classifiers"].size(), 1u);
  EXPECT_TRUE(list->contains("NextToken"));

  Json req = Request("c");
  req["Classifiers"] = Json::array({"pipes", "arrays"});
  Create("c", req);
  auto row = CrawlerStore(meta_.get(), 1000).GetCrawler("c");
  ASSERT_TRUE(row.ok());
  auto spec = service_->SpecOf(*row);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  ASSERT_EQ(spec->csv_classifiers.size(), 1u);
  EXPECT_EQ(spec->csv_classifiers[0].delimiter, '|');
  EXPECT_EQ(spec->csv_classifiers[0].contains_header, "PRESENT");
  EXPECT_EQ(spec->csv_classifiers[0].header, (std::vector<std::string>{"id", "name"}));
  ASSERT_EQ(spec->json_classifiers.size(), 1u);
  EXPECT_EQ(spec->json_classifiers[0].json_path, "$[*]");

  ASSERT_TRUE(service_->DeleteClassifier("pipes").ok());
  EXPECT_EQ(service_->DeleteClassifier("pipes").aws_code(), "EntityNotFoundException");
}

// --- Validation ------------------------------------------------------------------

TEST(CrawlerValidate, OtherTargetKindsAreRefusedByName) {
  Json req{{"Name", "c"},
           {"Role", "r"},
           {"Targets",
            {{"S3Targets", Json::array({Json{{"Path", "s3://b/x/"}}})},
             {"JdbcTargets", Json::array({Json{{"ConnectionName", "pg"}}})},
             {"DynamoDBTargets", Json::array({Json{{"Path", "t"}}})}}}};
  auto out = CheckCrawlerDefinition(req, true);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().aws_code(), "InvalidInputException");
  EXPECT_NE(out.status().message().find("JdbcTargets"), std::string::npos);
  EXPECT_NE(out.status().message().find("DynamoDBTargets"), std::string::npos);
}

TEST(CrawlerValidate, RequiredMembersAndS3Paths) {
  auto missing = CheckCrawlerDefinition(Json{{"Name", "c"}}, true);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("'role'"), std::string::npos);
  EXPECT_NE(missing.status().message().find("'targets'"), std::string::npos);

  auto bad_path = CheckCrawlerDefinition(
      Json{{"Role", "r"}, {"Targets", {{"S3Targets", Json::array({Json{{"Path", "/tmp/x"}}})}}}},
      true);
  ASSERT_FALSE(bad_path.ok());
  EXPECT_NE(bad_path.status().message().find("targets.s3Targets.1.member.path"), std::string::npos)
      << bad_path.status().message();

  auto no_target = CheckCrawlerDefinition(Json{{"Role", "r"}, {"Targets", Json::object()}}, true);
  EXPECT_EQ(no_target.status().aws_code(), "InvalidInputException");

  auto wrong_type = CheckCrawlerDefinition(Json{{"Role", 5}, {"Targets", Json::object()}}, true);
  EXPECT_EQ(wrong_type.status().aws_code(), "SerializationException");

  auto bad_config =
      CheckCrawlerDefinition(Json{{"Name", "c"}, {"Configuration", "{not json"}}, false);
  EXPECT_EQ(bad_config.status().aws_code(), "InvalidInputException");

  auto event_mode = CheckCrawlerDefinition(
      Json{{"Name", "c"}, {"RecrawlPolicy", {{"RecrawlBehavior", "CRAWL_EVENT_MODE"}}}}, false);
  EXPECT_NE(event_mode.status().message().find("CRAWL_EVENT_MODE"), std::string::npos);
}

TEST(CrawlerValidate, CronExpressions) {
  for (const char* ok : {"cron(15 12 * * ? *)", "cron(0 18 ? * MON-FRI *)", "cron(0/15 * * * ? *)",
                         "cron(0 8 1 * ? 2030)", "cron(0 10 ? * 6#3 *)", "cron(5,35 14 L * ? *)"}) {
    EXPECT_TRUE(CheckCronExpression(ok).ok()) << ok;
  }
  for (const char* bad : {"rate(5 minutes)", "cron(15 12 * * *)", "cron(15 12 * * * *)",
                          "cron(61 12 * * ? *)", "cron(0 25 * * ? *)", "cron(0 1 ? * ? *)",
                          "cron(0 1 * * ? * 7)", "cron(0 1 * * ? *", "cron(0 1 * * ; *)"}) {
    Status st = CheckCronExpression(bad);
    EXPECT_EQ(st.aws_code(), "InvalidInputException") << bad;
  }
  auto def = CheckCrawlerDefinition(Json{{"Name", "c"}, {"Schedule", "cron(bad)"}}, false);
  EXPECT_EQ(def.status().aws_code(), "InvalidInputException");
}

TEST(CrawlerValidate, ClassifierKinds) {
  std::string kind, name;
  auto grok = CheckClassifierRequest(
      Json{{"GrokClassifier", {{"Name", "g"}, {"Classification", "x"}, {"GrokPattern", "%{x}"}}}},
      true, &kind, &name);
  ASSERT_FALSE(grok.ok());
  EXPECT_EQ(grok.status().aws_code(), "InvalidInputException");
  EXPECT_NE(grok.status().message().find("GrokClassifier is not supported"), std::string::npos);
  auto xml = CheckClassifierRequest(Json{{"XMLClassifier", {{"Name", "x"}}}}, true, &kind, &name);
  EXPECT_NE(xml.status().message().find("XMLClassifier"), std::string::npos);
  EXPECT_EQ(CheckClassifierRequest(Json::object(), true, &kind, &name).status().aws_code(),
            "InvalidInputException");
  auto two = CheckClassifierRequest(Json{{"CsvClassifier", {{"Name", "a"}}},
                                         {"JsonClassifier", {{"Name", "b"}, {"JsonPath", "$"}}}},
                                    true, &kind, &name);
  EXPECT_EQ(two.status().aws_code(), "InvalidInputException");
  auto no_path =
      CheckClassifierRequest(Json{{"JsonClassifier", {{"Name", "j"}}}}, true, &kind, &name);
  EXPECT_NE(no_path.status().message().find("jsonClassifier.jsonPath"), std::string::npos)
      << no_path.status().message();
  auto long_delim = CheckClassifierRequest(
      Json{{"CsvClassifier", {{"Name", "c"}, {"Delimiter", "||"}}}}, true, &kind, &name);
  EXPECT_EQ(long_delim.status().aws_code(), "InvalidInputException");
}

}  // namespace
}  // namespace tarn::glue
