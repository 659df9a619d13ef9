#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>

#include "services/athena/athena_service.h"
#include "services/athena/result_csv.h"
#include "services/athena/statement.h"
#include "storage/test_temp_dir.h"

namespace tarn::athena {
namespace {

const UnixMillis kStart = 1'700'000'000'000;
const std::string kToken = "0123456789abcdef0123456789abcdef";

// A runner the test controls: each run waits until Release() or its stop
// flag, then returns the released result (Aborted when stopped).
class FakeRunner : public QueryRunner {
 public:
  Result<QueryOutcome> Run(const QueryRequest& request, const std::atomic<bool>& stop) override {
    std::unique_lock<std::mutex> lock(mu_);
    requests_.push_back(request);
    ++running_;
    cv_.notify_all();
    while (releases_ == 0 && !stop) cv_.wait_for(lock, std::chrono::milliseconds(5));
    --running_;
    // A stopped run never takes a release meant for another.
    if (stop) return Status(Code::kAborted, "query stopped");
    --releases_;
    return result_;
  }
  void Release(Result<QueryOutcome> result) {
    std::lock_guard<std::mutex> lock(mu_);
    result_ = std::move(result);
    ++releases_;
    cv_.notify_all();
  }
  void WaitRunning(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return running_ >= n; });
  }
  std::vector<QueryRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0;
  int releases_ = 0;
  Result<QueryOutcome> result_ = QueryOutcome{};
  std::vector<QueryRequest> requests_;
};

class MemoryResults : public ResultObjects {
 public:
  Result<Object> Open(const std::string& bucket, const std::string& key) override {
    auto it = files.find(bucket + "/" + key);
    if (it == files.end()) return InvalidArgument("gone", "InvalidRequestException");
    const std::string* data = &it->second;
    return Object{data->size(), [data](uint64_t offset, char* buf, size_t n) -> Result<size_t> {
                    size_t k = std::min<size_t>(n, data->size() - offset);
                    std::memcpy(buf, data->data() + offset, k);
                    return k;
                  }};
  }
  std::map<std::string, std::string> files;
};

std::vector<std::vector<std::optional<std::string>>> ReadAll(const std::string& text,
                                                             CsvReader::Format f = CsvReader::Format::kCsv) {
  CsvReader r(
      [&](uint64_t offset, char* buf, size_t n) -> Result<size_t> {
        size_t k = std::min<size_t>(n, text.size() - offset);
        std::memcpy(buf, text.data() + offset, k);
        return k;
      },
      text.size(), 0, f);
  std::vector<std::vector<std::optional<std::string>>> out;
  std::vector<std::optional<std::string>> row;
  while (true) {
    Result<bool> more = r.Next(&row);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) break;
    out.push_back(row);
  }
  return out;
}

TEST(ResultCsv, QuotesEscapesNullsAndNewlines) {
  auto rows = ReadAll("\"a\",\"b\",\"c\"\n\"x \"\"y\"\"\",,\"\"\n\"line1\nline2\",\"1,2\",\"\"\r\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][0], "a");
  EXPECT_EQ(rows[1][0], "x \"y\"");
  EXPECT_FALSE(rows[1][1].has_value());  // empty unquoted: NULL
  EXPECT_EQ(rows[1][2], "");             // "": the empty string
  EXPECT_EQ(rows[2][0], "line1\nline2");
  EXPECT_EQ(rows[2][1], "1,2");
  EXPECT_EQ(rows[2][2], "");
}

TEST(ResultCsv, LastRecordWithoutNewlineAndTrailingNull) {
  auto rows = ReadAll("\"1\",");
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_EQ(rows[0].size(), 2u);
  EXPECT_EQ(rows[0][0], "1");
  EXPECT_FALSE(rows[0][1].has_value());
}

TEST(ResultCsv, MalformedFilesAreCorruption) {
  for (std::string bad : {"\"open", "\"a\"x\n", "a\"b\n"}) {
    CsvReader r(
        [&](uint64_t offset, char* buf, size_t n) -> Result<size_t> {
          size_t k = std::min<size_t>(n, bad.size() - offset);
          std::memcpy(buf, bad.data() + offset, k);
          return k;
        },
        bad.size(), 0);
    std::vector<std::optional<std::string>> row;
    Result<bool> got = r.Next(&row);
    EXPECT_FALSE(got.ok()) << bad;
  }
}

TEST(ResultCsv, TextResultsAreOneValuePerLine) {
  auto rows = ReadAll("t1\nt2\n", CsvReader::Format::kText);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][0], "t2");
}

TEST(Statement, PrepareExecuteDeallocate) {
  auto p = ParseStatement("  -- note\n prepare my_stmt FROM SELECT * FROM t WHERE a = ?;");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, ParsedStatement::kPrepare);
  EXPECT_EQ(p->name, "my_stmt");
  EXPECT_EQ(p->body, "SELECT * FROM t WHERE a = ?");

  auto e = ParseStatement("EXECUTE my_stmt USING 1, 'it''s, here', DATE '2024-01-01', -2.5e3");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->kind, ParsedStatement::kExecute);
  EXPECT_EQ(e->parameters,
            (std::vector<std::string>{"1", "'it''s, here'", "DATE '2024-01-01'", "-2.5e3"}));

  auto bare = ParseStatement("/* c */ execute s1");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->kind, ParsedStatement::kExecute);
  EXPECT_TRUE(bare->parameters.empty());

  auto d = ParseStatement("DEALLOCATE PREPARE s1;");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->kind, ParsedStatement::kDeallocate);
  EXPECT_EQ(d->name, "s1");

  auto other = ParseStatement("SELECT 'EXECUTE x'");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->kind, ParsedStatement::kOther);
}

TEST(Statement, MalformedFormsAreInvalidRequest) {
  for (const char* bad : {"PREPARE FROM SELECT 1", "PREPARE s SELECT 1", "PREPARE s FROM",
                          "EXECUTE", "EXECUTE s USING", "EXECUTE s USING 'open",
                          "EXECUTE s USING 1,,2", "EXECUTE s WITH 1", "DEALLOCATE s",
                          "DEALLOCATE PREPARE s extra"}) {
    auto r = ParseStatement(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().aws_code(), "InvalidRequestException") << bad;
  }
}

TEST(Statement, TypeGuess) {
  EXPECT_EQ(StatementTypeOf("  (select 1)"), "DML");
  EXPECT_EQ(StatementTypeOf("WITH a AS (SELECT 1) SELECT * FROM a"), "DML");
  EXPECT_EQ(StatementTypeOf("create external table t (a int)"), "DDL");
  EXPECT_EQ(StatementTypeOf("SHOW TABLES"), "DDL");
  EXPECT_EQ(StatementTypeOf("EXPLAIN SELECT 1"), "UTILITY");
}

class AthenaTest : public ::testing::Test {
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

  void OpenService(int threads = 2) {
    service_.reset();
    AthenaOptions options;
    options.clock = &clock_;
    options.query_threads = threads;
    service_ = std::make_unique<AthenaService>(meta_.get(), &runner_, &results_, nullptr, options);
    ASSERT_TRUE(service_->Start().ok());
  }

  std::string Start(const std::string& sql, const std::string& token = "",
                    std::vector<std::string> params = {}) {
    StartQuery q;
    q.query = sql;
    q.client_token = token;
    q.output_location = "s3://results/athena";
    q.execution_parameters = std::move(params);
    auto got = service_->StartQueryExecution(q);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? (*got)["QueryExecutionId"].get<std::string>() : "";
  }

  Json Get(const std::string& id) {
    auto got = service_->GetQueryExecution(id);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? (*got)["QueryExecution"] : Json();
  }
  std::string State(const std::string& id) { return Get(id)["Status"]["State"]; }

  storage::TestTempDir dir_;
  ManualClock clock_{kStart};
  FakeRunner runner_;
  MemoryResults results_;
  std::unique_ptr<storage::MetaStore> meta_;
  std::unique_ptr<AthenaService> service_;
};

TEST_F(AthenaTest, QuerySucceedsAndResultsArePagedWithTheHeaderFirst) {
  std::string id = Start("SELECT a, b FROM t");
  runner_.WaitRunning(1);
  EXPECT_EQ(State(id), "RUNNING");
  // What the API answers from memory is what meta.db holds, at every state.
  // (A second service over the same meta.db, never started, has nothing in
  // memory: it reads the row from SQLite.)
  AthenaOptions reader_options;
  reader_options.clock = &clock_;
  AthenaService reader(meta_.get(), nullptr, &results_, nullptr, reader_options);
  auto same_as_stored = [&] {
    std::optional<Json> recent = service_->RecentQueryExecution(id);
    ASSERT_TRUE(recent.has_value());
    EXPECT_FALSE(reader.RecentQueryExecution(id).has_value());
    Result<Json> stored = reader.GetQueryExecution(id);
    ASSERT_TRUE(stored.ok()) << stored.status().ToString();
    EXPECT_EQ(*recent, *stored);
  };
  same_as_stored();
  auto early = service_->GetQueryResults(id, "", 10);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().message(), "Query has not yet finished. Current state: RUNNING");

  std::string location = "s3://results/athena/" + id + ".csv";
  results_.files["results/athena/" + id + ".csv"] = "\"a\",\"b\"\n\"1\",\n\"2\",\"x\"\n";
  QueryOutcome outcome;
  outcome.statement_type = "DML";
  outcome.result_location = location;
  outcome.columns = {{"a", "integer", 10, 0, true}, {"b", "varchar", 2147483647, 0, true}};
  outcome.rows = 2;
  outcome.data_scanned_bytes = 123;
  runner_.Release(outcome);
  service_->WaitIdle();

  Json q = Get(id);
  EXPECT_EQ(q["Status"]["State"], "SUCCEEDED");
  same_as_stored();
  EXPECT_FALSE(service_->RecentQueryExecution("no-such-query").has_value());
  EXPECT_EQ(q["ResultConfiguration"]["OutputLocation"], location);
  EXPECT_EQ(q["Statistics"]["DataScannedInBytes"], 123);
  EXPECT_EQ(q["QueryExecutionContext"]["Database"], "default");
  EXPECT_EQ(runner_.requests()[0].output_location, "s3://results/athena/");

  auto page1 = service_->GetQueryResults(id, "", 2);
  ASSERT_TRUE(page1.ok()) << page1.status().ToString();
  Json rows = (*page1)["ResultSet"]["Rows"];
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["Data"][0]["VarCharValue"], "a");
  EXPECT_EQ(rows[1]["Data"][1], Json::object());  // NULL
  Json columns = (*page1)["ResultSet"]["ResultSetMetadata"]["ColumnInfo"];
  EXPECT_EQ(columns[1]["Type"], "varchar");
  EXPECT_EQ(columns[1]["CaseSensitive"], true);
  EXPECT_EQ(columns[0]["CaseSensitive"], false);
  ASSERT_TRUE(page1->contains("NextToken"));
  auto page2 = service_->GetQueryResults(id, (*page1)["NextToken"], 2);
  ASSERT_TRUE(page2.ok());
  ASSERT_EQ((*page2)["ResultSet"]["Rows"].size(), 1u);
  EXPECT_EQ((*page2)["ResultSet"]["Rows"][0]["Data"][1]["VarCharValue"], "x");
  EXPECT_FALSE(page2->contains("NextToken"));

  // The text the API writes without a document is the same response.
  for (const std::string& token : {std::string(), (*page1)["NextToken"].get<std::string>()}) {
    auto doc = service_->GetQueryResults(id, token, 2);
    auto text = service_->GetQueryResultsJson(id, token, 2);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    EXPECT_EQ(Json::parse(*text), *doc) << *text;
  }
  EXPECT_EQ(service_->GetQueryResultsJson(id, "bogus", 2).status().aws_code(),
            "InvalidRequestException");
}

TEST_F(AthenaTest, FailuresAreCategorized) {
  std::string user = Start("SELEC 1");
  runner_.WaitRunning(1);
  runner_.Release(InvalidArgument("line 1:1: mismatched input 'SELEC'"));
  service_->WaitIdle();
  Json q = Get(user);
  EXPECT_EQ(q["Status"]["State"], "FAILED");
  EXPECT_EQ(q["Status"]["StateChangeReason"], "line 1:1: mismatched input 'SELEC'");
  EXPECT_EQ(q["Status"]["AthenaError"]["ErrorCategory"], 2);

  std::string sys = Start("SELECT 2");
  runner_.WaitRunning(1);
  runner_.Release(IOError("disk on fire"));
  service_->WaitIdle();
  EXPECT_EQ(Get(sys)["Status"]["AthenaError"]["ErrorCategory"], 1);
  auto results = service_->GetQueryResults(sys, "", 10);
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.status().aws_code(), "InvalidRequestException");
}

TEST_F(AthenaTest, StopCancelsRunningAndQueuedQueriesBeyondThePool) {
  std::string a = Start("SELECT 1");
  std::string b = Start("SELECT 2");
  std::string c = Start("SELECT 3");
  runner_.WaitRunning(2);
  // Two query threads: the third waits.
  EXPECT_EQ(State(c), "QUEUED");
  ASSERT_TRUE(service_->StopQueryExecution(c).ok());
  EXPECT_EQ(State(c), "CANCELLED");
  ASSERT_TRUE(service_->StopQueryExecution(a).ok());
  runner_.Release(QueryOutcome{});
  service_->WaitIdle();
  EXPECT_EQ(State(a), "CANCELLED");
  EXPECT_EQ(State(b), "SUCCEEDED");
  // Stopping a finished query is a successful no-op.
  ASSERT_TRUE(service_->StopQueryExecution(b).ok());
  EXPECT_EQ(State(b), "SUCCEEDED");
  EXPECT_EQ(runner_.requests().size(), 2u);
}

TEST_F(AthenaTest, RestartFailsQueriesThatWereRunning) {
  std::string a = Start("SELECT 1");
  runner_.WaitRunning(1);
  OpenService();  // shutdown stops the run; the new service marks it
  Json q = Get(a);
  EXPECT_EQ(q["Status"]["State"], "FAILED");
  EXPECT_EQ(q["Status"]["StateChangeReason"], std::string(AthenaService::kServerStopped));
  auto list = service_->ListQueryExecutions("primary", "", 50);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)["QueryExecutionIds"], Json::array({a}));
}

TEST_F(AthenaTest, ClientTokenIsIdempotentForADay) {
  std::string a = Start("SELECT 1", kToken);
  EXPECT_EQ(Start("SELECT 1", kToken), a);
  StartQuery other;
  other.query = "SELECT 2";
  other.client_token = kToken;
  other.output_location = "s3://results/x/";
  auto refused = service_->StartQueryExecution(other);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().aws_code(), "InvalidRequestException");
  clock_.Advance(24LL * 3600 * 1000 + 1);
  EXPECT_NE(Start("SELECT 1", kToken), a);
  runner_.Release(QueryOutcome{});
  runner_.Release(QueryOutcome{});
  service_->WaitIdle();
}

TEST_F(AthenaTest, PrepareExecuteDeallocate) {
  std::string p = Start("PREPARE by_id FROM SELECT * FROM t WHERE id = ? AND n = ?");
  Json q = Get(p);
  EXPECT_EQ(q["Status"]["State"], "SUCCEEDED");
  EXPECT_EQ(q["StatementType"], "UTILITY");
  auto stmt = service_->GetPreparedStatement("primary", "by_id");
  ASSERT_TRUE(stmt.ok());
  EXPECT_EQ((*stmt)["PreparedStatement"]["QueryStatement"], "SELECT * FROM t WHERE id = ? AND n = ?");

  std::string e = Start("EXECUTE by_id USING 1, 'x'");
  runner_.WaitRunning(1);
  runner_.Release(QueryOutcome{});
  service_->WaitIdle();
  std::string e2 = Start("EXECUTE by_id", "", {"2", "'y'"});
  runner_.WaitRunning(1);
  runner_.Release(QueryOutcome{});
  service_->WaitIdle();
  auto reqs = runner_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].sql, "SELECT * FROM t WHERE id = ? AND n = ?");
  EXPECT_EQ(reqs[0].execution_parameters, (std::vector<std::string>{"1", "'x'"}));
  EXPECT_EQ(reqs[1].execution_parameters, (std::vector<std::string>{"2", "'y'"}));
  EXPECT_EQ(Get(e)["Query"], "EXECUTE by_id USING 1, 'x'");

  std::string d = Start("DEALLOCATE PREPARE by_id");
  EXPECT_EQ(State(d), "SUCCEEDED");
  EXPECT_EQ(service_->GetPreparedStatement("primary", "by_id").status().aws_code(),
            "ResourceNotFoundException");
  std::string again = Start("DEALLOCATE PREPARE by_id");
  EXPECT_EQ(State(again), "FAILED");
}

TEST_F(AthenaTest, WorkGroupsOutputLocationAndDisabledState) {
  Json config{{"ResultConfiguration", {{"OutputLocation", "s3://wg-out/q/"}}},
              {"EnforceWorkGroupConfiguration", true},
              {"BytesScannedCutoffPerQuery", 20'000'000}};
  ASSERT_TRUE(service_->CreateWorkGroup("etl", config, "nightly", {{"team", "data"}}).ok());
  EXPECT_EQ(service_->CreateWorkGroup("etl", Json::object(), "", {}).aws_code(),
            "InvalidRequestException");
  StartQuery q;
  q.query = "SELECT 1";
  q.workgroup = "etl";
  q.output_location = "s3://client/elsewhere/";
  auto started = service_->StartQueryExecution(q);
  ASSERT_TRUE(started.ok());
  runner_.WaitRunning(1);
  EXPECT_EQ(runner_.requests()[0].output_location, "s3://wg-out/q/");
  EXPECT_EQ(runner_.requests()[0].bytes_scanned_cutoff, 20'000'000);
  runner_.Release(QueryOutcome{});
  service_->WaitIdle();

  // No location anywhere.
  StartQuery none;
  none.query = "SELECT 1";
  auto refused = service_->StartQueryExecution(none);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("No output location provided"), std::string::npos);

  ASSERT_TRUE(service_->UpdateWorkGroup("etl", std::nullopt,
                                        Json{{"ResultConfigurationUpdates",
                                              {{"RemoveOutputLocation", true}}},
                                             {"RemoveBytesScannedCutoffPerQuery", true}},
                                        std::string("DISABLED"))
                  .ok());
  auto wg = service_->GetWorkGroup("etl");
  ASSERT_TRUE(wg.ok());
  EXPECT_EQ((*wg)["WorkGroup"]["State"], "DISABLED");
  EXPECT_FALSE((*wg)["WorkGroup"]["Configuration"]["ResultConfiguration"].contains("OutputLocation"));
  EXPECT_FALSE((*wg)["WorkGroup"]["Configuration"].contains("BytesScannedCutoffPerQuery"));
  auto disabled = service_->StartQueryExecution(q);
  ASSERT_FALSE(disabled.ok());
  EXPECT_NE(disabled.status().message().find("disabled"), std::string::npos);

  // Not empty without RecursiveDeleteOption.
  ASSERT_TRUE(service_->CreatePreparedStatement("etl", "s", "SELECT 1", "").ok());
  EXPECT_FALSE(service_->DeleteWorkGroup("etl", false).ok());
  EXPECT_TRUE(service_->DeleteWorkGroup("etl", true).ok());
  EXPECT_FALSE(service_->GetWorkGroup("etl").ok());
  EXPECT_FALSE(service_->DeleteWorkGroup("primary", true).ok());
}

TEST_F(AthenaTest, NamedQueriesRoundTripAndSurviveRestart) {
  auto created = service_->CreateNamedQuery("primary", "daily", "d", "sales", "SELECT 1", kToken);
  ASSERT_TRUE(created.ok());
  std::string id = (*created)["NamedQueryId"];
  auto again = service_->CreateNamedQuery("primary", "daily", "d", "sales", "SELECT 1", kToken);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)["NamedQueryId"], id);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(service_->CreateNamedQuery("primary", "q" + std::to_string(i), "", "db", "SELECT 2", "").ok());
  OpenService();
  auto page = service_->ListNamedQueries("primary", "", 2);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ((*page)["NamedQueryIds"].size(), 2u);
  EXPECT_EQ((*page)["NamedQueryIds"][0], id);
  auto rest = service_->ListNamedQueries("primary", (*page)["NextToken"], 2);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ((*rest)["NamedQueryIds"].size(), 2u);
  EXPECT_FALSE(rest->contains("NextToken"));
  ASSERT_TRUE(service_->UpdateNamedQuery(id, "renamed", "", "SELECT 3").ok());
  auto got = service_->BatchGetNamedQuery({id, "missing"});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["NamedQueries"][0]["Name"], "renamed");
  EXPECT_EQ((*got)["UnprocessedNamedQueryIds"][0]["NamedQueryId"], "missing");
  ASSERT_TRUE(service_->DeleteNamedQuery(id).ok());
  EXPECT_EQ(service_->GetNamedQuery(id).status().aws_code(), "InvalidRequestException");
}

TEST_F(AthenaTest, NullRunnerRefusesEngineQueriesButPrepares) {
  service_.reset();
  AthenaOptions options;
  options.clock = &clock_;
  service_ = std::make_unique<AthenaService>(meta_.get(), nullptr, &results_, nullptr, options);
  ASSERT_TRUE(service_->Start().ok());
  StartQuery q;
  q.query = "SELECT 1";
  q.output_location = "s3://r/";
  auto refused = service_->StartQueryExecution(q);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().aws_code(), "InternalServerException");
  EXPECT_EQ(refused.status().message(), "query engine not available");
  EXPECT_EQ(State(Start("PREPARE s FROM SELECT 1")), "SUCCEEDED");
}

TEST_F(AthenaTest, TagsOnWorkGroups) {
  std::string arn = service_->WorkGroupArn("primary");
  ASSERT_TRUE(service_->TagResource(arn, {{"a", "1"}, {"b", "2"}}).ok());
  ASSERT_TRUE(service_->UntagResource(arn, {"a"}).ok());
  auto tags = service_->ListTagsForResource(arn, "", 100);
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ((*tags)["Tags"], Json::array({Json{{"Key", "b"}, {"Value", "2"}}}));
  EXPECT_EQ(service_->TagResource("arn:aws:athena:us-east-1:000000000000:workgroup/none", {{"a", "1"}})
                .aws_code(),
            "InvalidRequestException");
}

}  // namespace
}  // namespace tarn::athena
