#include "services/athena/athena_service.h"

#include <algorithm>
#include <system_error>

#include "aws/json_protocol.h"
#include "common/encoding.h"
#include "common/ids.h"
#include "common/log.h"
#include "services/athena/statement.h"
#include "services/glue/glue_service.h"

namespace tarn::athena {

namespace {

// Athena's ErrorCategory and the ErrorType tarn reports with it
// (docs/athena.md §Errors).
constexpr int kSystemCategory = 1;
constexpr int kUserCategory = 2;
constexpr int kSystemErrorType = 1000;
constexpr int kUserErrorType = 1100;
constexpr int kResourceErrorType = 1102;

Status InvalidRequest(std::string message) {
  return InvalidArgument(std::move(message), "InvalidRequestException");
}

Status InternalServer(std::string message) {
  return Internal(std::move(message), "InternalServerException");
}

Status MetadataError(std::string message) {
  return InvalidArgument(std::move(message), "MetadataException");
}

std::string NewUuid() {
  std::string hex = RandomHex(16);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

std::string MakeToken(std::string_view after) { return Base64Encode(after); }

Result<std::string> ReadToken(const std::string& token) {
  if (token.empty()) return std::string();
  auto after = Base64Decode(token);
  if (!after || after->empty())
    return InvalidRequest("Invalid NextToken: it was not returned by this operation.");
  return *after;
}

Result<int64_t> ReadSeqToken(const std::string& token) {
  TARN_ASSIGN_OR_RETURN(std::string after, ReadToken(token));
  if (after.empty()) return int64_t{0};
  try {
    return static_cast<int64_t>(std::stoll(after));
  } catch (const std::exception&) {
    return InvalidRequest("Invalid NextToken: it was not returned by this operation.");
  }
}

Json ParseObject(std::string_view text) {
  Json j = Json::parse(text, nullptr, false);
  return j.is_object() ? j : Json::object();
}

std::string StringMember(const Json& doc, const char* member) {
  auto it = doc.find(member);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// s3://bucket/key -> (bucket, key).
Result<std::pair<std::string, std::string>> SplitS3Uri(const std::string& uri) {
  if (uri.rfind("s3://", 0) != 0) return InvalidRequest(uri + " is not an s3:// location.");
  size_t slash = uri.find('/', 5);
  if (slash == 5 || uri.size() == 5) return InvalidRequest(uri + " names no bucket.");
  if (slash == std::string::npos) return std::make_pair(uri.substr(5), std::string());
  return std::make_pair(uri.substr(5, slash - 5), uri.substr(slash + 1));
}

Json EngineVersionDoc() {
  return Json{{"SelectedEngineVersion", "AUTO"},
              {"EffectiveEngineVersion", AthenaService::kEngineVersion}};
}

Status CheckEngineVersion(const Json& config) {
  auto it = config.find("EngineVersion");
  if (it == config.end() || !it->is_object()) return Status::OK();
  std::string selected = StringMember(*it, "SelectedEngineVersion");
  if (selected.empty() || selected == "AUTO" || selected == AthenaService::kEngineVersion)
    return Status::OK();
  return InvalidRequest("Engine version " + selected + " is not available: tarn runs " +
                        std::string(AthenaService::kEngineVersion) + " (or AUTO).");
}

// The stored outcome of a successful run (docs/athena.md §Query history).
Json OutcomeDoc(const QueryOutcome& o) {
  Json columns = Json::array();
  for (const ResultColumn& c : o.columns) {
    columns.push_back(Json{{"Name", c.name},
                           {"Type", c.type},
                           {"Precision", c.precision},
                           {"Scale", c.scale},
                           {"Nullable", c.nullable}});
  }
  return Json{{"StatementType", o.statement_type}, {"ResultLocation", o.result_location},
              {"Columns", std::move(columns)},     {"Rows", o.rows},
              {"DataScannedBytes", o.data_scanned_bytes},
              {"EngineMs", o.engine_execution_ms}};
}

int64_t IntMember(const Json& doc, const char* member) {
  auto it = doc.find(member);
  return it != doc.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

// Athena's TableMetadata from a Glue table document.
Json TableMetadataOf(const Json& table) {
  Json out{{"Name", StringMember(table, "Name")}};
  if (auto t = table.find("CreateTime"); t != table.end()) out["CreateTime"] = *t;
  if (auto t = table.find("LastAccessTime"); t != table.end()) out["LastAccessTime"] = *t;
  if (std::string type = StringMember(table, "TableType"); !type.empty()) out["TableType"] = type;
  auto columns_of = [](const Json& list) {
    Json out = Json::array();
    if (!list.is_array()) return out;
    for (const Json& c : list) {
      Json col{{"Name", StringMember(c, "Name")}};
      if (std::string t = StringMember(c, "Type"); !t.empty()) col["Type"] = t;
      if (std::string m = StringMember(c, "Comment"); !m.empty()) col["Comment"] = m;
      out.push_back(std::move(col));
    }
    return out;
  };
  Json sd = table.value("StorageDescriptor", Json::object());
  out["Columns"] = columns_of(sd.value("Columns", Json::array()));
  out["PartitionKeys"] = columns_of(table.value("PartitionKeys", Json::array()));
  // Athena folds the storage descriptor into Parameters.
  Json params = Json::object();
  if (auto p = table.find("Parameters"); p != table.end() && p->is_object()) params = *p;
  if (std::string v = StringMember(sd, "Location"); !v.empty()) params["location"] = v;
  if (std::string v = StringMember(sd, "InputFormat"); !v.empty()) params["inputformat"] = v;
  if (std::string v = StringMember(sd, "OutputFormat"); !v.empty()) params["outputformat"] = v;
  Json serde = sd.value("SerdeInfo", Json::object());
  if (std::string v = StringMember(serde, "SerializationLibrary"); !v.empty())
    params["serde.serialization.lib"] = v;
  if (auto p = serde.find("Parameters"); p != serde.end() && p->is_object()) {
    for (auto it = p->begin(); it != p->end(); ++it) params["serde.param." + it.key()] = it.value();
  }
  out["Parameters"] = std::move(params);
  return out;
}

// A Glue error in Athena's terms.
Status FromGlue(const Status& st) {
  if (st.ok()) return st;
  if (st.code() == Code::kNotFound) return MetadataError(st.message());
  if (st.code() == Code::kInvalidArgument) return InvalidRequest(st.message());
  return st;
}

// Glue folds ASCII letters of database and table names to lowercase.
std::string LowerAscii(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

Json TagList(const Tags& tags) {
  Json out = Json::array();
  for (const auto& [k, v] : tags) out.push_back(Json{{"Key", k}, {"Value", v}});
  return out;
}

}  // namespace

AthenaService::AthenaService(storage::MetaStore* meta, QueryRunner* runner,
                             ResultObjects* results, glue::GlueService* glue,
                             AthenaOptions options)
    : meta_(meta),
      runner_(runner),
      results_(results),
      glue_(glue),
      options_(std::move(options)),
      store_(meta) {}

AthenaService::~AthenaService() { Shutdown(); }

Status AthenaService::Start() {
  TARN_RETURN_IF_ERROR(store_.Migrate(options_.clock->Now()));
  // The threads that ran those queries died with the server.
  TARN_ASSIGN_OR_RETURN(int failed, store_.FailInterruptedQueries(std::string(kServerStopped),
                                                                  options_.clock->Now()));
  if (failed > 0) TARN_LOG(Warn, "queries interrupted by a stop failed").Kv("queries", failed);
  std::lock_guard<std::mutex> lock(mu_);
  int n = std::max(1, options_.query_threads);
  try {
    for (int i = 0; i < n; ++i) threads_.emplace_back([this] { QueryThread(); });
  } catch (const std::system_error& e) {
    return Internal(std::string("no thread for Athena queries: ") + e.what());
  }
  return Status::OK();
}

void AthenaService::Shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    shutdown_ = true;
    for (auto& [id, stop] : running_) *stop = true;
    threads.swap(threads_);
  }
  work_cv_.notify_all();
  // Query threads take mu_ between queries: join outside it.
  for (std::thread& t : threads) t.join();
}

void AthenaService::WaitIdle() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [&] { return stopping_ || (queue_.empty() && running_.empty()); });
}

void AthenaService::Enqueue(const std::string& id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(id);
  }
  work_cv_.notify_one();
}

void AthenaService::QueryThread() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::string id = std::move(queue_.front());
    queue_.pop_front();
    auto stop = std::make_shared<std::atomic<bool>>(false);
    running_[id] = stop;
    lock.unlock();
    RunQuery(id, *stop);
    lock.lock();
    running_.erase(id);
    idle_cv_.notify_all();
  }
}

void AthenaService::RunQuery(const std::string& id, const std::atomic<bool>& stop) {
  Result<QueryRow> row = store_.GetQuery(id);
  if (!row.ok()) {
    TARN_LOG(Error, "loading a queued query").Kv("query", id).Kv("error", row.status().ToString());
    return;
  }
  UnixMillis start_ms = options_.clock->Now();
  Result<bool> marked = store_.MarkRunning(id, start_ms);
  // Not QUEUED any more: stopped before it began.
  if (!marked.ok() || !*marked) return;

  Json request = ParseObject(row->request);
  Json run = request.value("Run", Json::object());
  QueryRequest q;
  q.query_execution_id = id;
  q.sql = StringMember(run, "Sql");
  q.catalog = StringMember(run, "Catalog");
  q.database = StringMember(run, "Database");
  q.output_location = StringMember(run, "OutputLocation");
  q.bytes_scanned_cutoff = IntMember(run, "BytesScannedCutoff");
  for (const Json& p : run.value("Parameters", Json::array())) {
    if (p.is_string()) q.execution_parameters.push_back(p.get<std::string>());
  }
  Result<QueryOutcome> outcome = stop ? Result<QueryOutcome>(Status(Code::kAborted, "stopped"))
                                      : runner_ ? runner_->Run(q, stop)
                                                : Result<QueryOutcome>(InternalServer(
                                                      "query engine not available"));
  QueryEnd end;
  end.end_ms = options_.clock->Now();
  if (outcome.ok()) {
    end.state = kSucceeded;
    end.statement_type = outcome->statement_type;
    end.outcome = OutcomeDoc(*outcome).dump();
  } else {
    const Status& st = outcome.status();
    end.state = kFailed;
    if (shutdown_) {
      end.reason = kServerStopped;
      end.error_category = kSystemCategory;
      end.error_type = kSystemErrorType;
    } else if (st.code() == Code::kAborted) {
      end.state = kCancelled;
      // Cancelled by its workgroup's cutoff rather than by StopQueryExecution.
      if (st.message().rfind(kBytesScannedLimitExceeded, 0) == 0) end.reason = st.message();
    } else if (st.code() == Code::kInvalidArgument) {
      end.reason = st.message();
      end.error_category = kUserCategory;
      end.error_type = kUserErrorType;
    } else if (st.code() == Code::kResourceExhausted) {
      // The runner names the limit (the workgroup's cutoff, the server's
      // memory); DuckDB's own out-of-memory errors do not.
      constexpr std::string_view kExhausted = "Query exhausted resources";
      end.reason = st.message().rfind(kExhausted, 0) == 0
                       ? st.message()
                       : std::string(kExhausted) + " at this scale factor: " + st.message();
      end.error_category = kUserCategory;
      end.error_type = kResourceErrorType;
    } else {
      end.reason = st.message();
      end.error_category = kSystemCategory;
      end.error_type = kSystemErrorType;
    }
  }
  Result<bool> finished = store_.FinishQuery(id, end);
  if (!finished.ok()) {
    // The query stays RUNNING until the next start fails it.
    TARN_LOG(Error, "recording the end of a query")
        .Kv("query", id)
        .Kv("error", finished.status().ToString());
  }
  TARN_LOG(Info, "query finished")
      .Kv("query", id)
      .Kv("state", end.state)
      .Kv("ms", end.end_ms - start_ms);
}

// --- Workgroups ------------------------------------------------------------------

std::string AthenaService::WorkGroupArn(const std::string& name) const {
  return "arn:aws:athena:" + options_.region + ":" + options_.account_id + ":workgroup/" + name;
}

Json AthenaService::RenderWorkGroup(const WorkGroupRow& row) const {
  Json config = ParseObject(row.configuration);
  // What Athena reports for settings a workgroup was created without.
  for (const char* flag :
       {"EnforceWorkGroupConfiguration", "PublishCloudWatchMetricsEnabled", "RequesterPaysEnabled"}) {
    if (!config.contains(flag)) config[flag] = false;
  }
  if (!config.contains("ResultConfiguration")) config["ResultConfiguration"] = Json::object();
  config["EngineVersion"] = EngineVersionDoc();
  Json wg{{"Name", row.name},
          {"State", row.state},
          {"Configuration", std::move(config)},
          {"CreationTime", aws::MakeTimestamp(row.create_ms)}};
  if (!row.description.empty()) wg["Description"] = row.description;
  return wg;
}

Status AthenaService::CreateWorkGroup(const std::string& name, const Json& configuration,
                                      const std::string& description, const Tags& tags) {
  TARN_RETURN_IF_ERROR(CheckEngineVersion(configuration));
  WorkGroupRow row;
  row.name = name;
  row.description = description;
  Json config = configuration;
  // The effective version is the server's; only the choice is kept.
  config.erase("EngineVersion");
  row.configuration = config.dump();
  row.create_ms = options_.clock->Now();
  row.tags = tags;
  return store_.CreateWorkGroup(row);
}

Result<Json> AthenaService::GetWorkGroup(const std::string& name) {
  TARN_ASSIGN_OR_RETURN(WorkGroupRow row, store_.GetWorkGroup(name));
  return Json{{"WorkGroup", RenderWorkGroup(row)}};
}

Result<Json> AthenaService::ListWorkGroups(const std::string& next_token, int max_results) {
  TARN_ASSIGN_OR_RETURN(std::string after, ReadToken(next_token));
  TARN_ASSIGN_OR_RETURN(std::vector<WorkGroupRow> rows,
                        store_.ListWorkGroups(after, max_results + 1));
  Json list = Json::array();
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(max_results); ++i) {
    Json s{{"Name", rows[i].name},
           {"State", rows[i].state},
           {"CreationTime", aws::MakeTimestamp(rows[i].create_ms)},
           {"EngineVersion", EngineVersionDoc()}};
    if (!rows[i].description.empty()) s["Description"] = rows[i].description;
    list.push_back(std::move(s));
  }
  Json out{{"WorkGroups", std::move(list)}};
  if (rows.size() > static_cast<size_t>(max_results))
    out["NextToken"] = MakeToken(rows[max_results - 1].name);
  return out;
}

Status AthenaService::UpdateWorkGroup(const std::string& name,
                                      const std::optional<std::string>& description,
                                      const Json& updates, const std::optional<std::string>& state) {
  TARN_RETURN_IF_ERROR(CheckEngineVersion(updates));
  TARN_ASSIGN_OR_RETURN(WorkGroupRow row, store_.GetWorkGroup(name));
  if (description) row.description = *description;
  if (state) row.state = *state;
  Json config = ParseObject(row.configuration);
  // Plain settings replace; Remove* flags and ResultConfigurationUpdates
  // edit (WorkGroupConfigurationUpdates).
  for (const char* member : {"EnforceWorkGroupConfiguration", "PublishCloudWatchMetricsEnabled",
                             "BytesScannedCutoffPerQuery", "RequesterPaysEnabled",
                             "AdditionalConfiguration", "ExecutionRole",
                             "CustomerContentEncryptionConfiguration"}) {
    if (auto it = updates.find(member); it != updates.end()) config[member] = *it;
  }
  if (updates.value("RemoveBytesScannedCutoffPerQuery", false))
    config.erase("BytesScannedCutoffPerQuery");
  if (updates.value("RemoveCustomerContentEncryptionConfiguration", false))
    config.erase("CustomerContentEncryptionConfiguration");
  if (auto r = updates.find("ResultConfigurationUpdates"); r != updates.end() && r->is_object()) {
    Json result = config.value("ResultConfiguration", Json::object());
    for (const char* member :
         {"OutputLocation", "EncryptionConfiguration", "ExpectedBucketOwner", "AclConfiguration"}) {
      if (r->value(std::string("Remove") + member, false)) result.erase(member);
      if (auto it = r->find(member); it != r->end()) result[member] = *it;
    }
    config["ResultConfiguration"] = std::move(result);
  }
  row.configuration = config.dump();
  return store_.UpdateWorkGroup(row);
}

Status AthenaService::DeleteWorkGroup(const std::string& name, bool recursive) {
  if (name == kPrimary) return InvalidRequest("The primary workgroup cannot be deleted.");
  return store_.DeleteWorkGroup(name, recursive);
}

// --- Named queries ---------------------------------------------------------------

namespace {

Json RenderNamedQuery(const NamedQueryRow& row) {
  Json q{{"Name", row.name},
         {"Database", row.database},
         {"QueryString", row.query},
         {"NamedQueryId", row.id},
         {"WorkGroup", row.workgroup}};
  if (!row.description.empty()) q["Description"] = row.description;
  return q;
}

}  // namespace

Result<Json> AthenaService::CreateNamedQuery(const std::string& workgroup, const std::string& name,
                                             const std::string& description,
                                             const std::string& database,
                                             const std::string& query,
                                             const std::string& client_token) {
  NamedQueryRow row;
  row.id = NewUuid();
  row.workgroup = workgroup;
  row.name = name;
  row.description = description;
  row.database = database;
  row.query = query;
  row.client_token = client_token;
  row.create_ms = options_.clock->Now();
  TARN_ASSIGN_OR_RETURN(std::string id, store_.CreateNamedQuery(row));
  return Json{{"NamedQueryId", id}};
}

Result<Json> AthenaService::GetNamedQuery(const std::string& id) {
  TARN_ASSIGN_OR_RETURN(NamedQueryRow row, store_.GetNamedQuery(id));
  return Json{{"NamedQuery", RenderNamedQuery(row)}};
}

Result<Json> AthenaService::BatchGetNamedQuery(const std::vector<std::string>& ids) {
  Json found = Json::array();
  Json missing = Json::array();
  for (const std::string& id : ids) {
    Result<NamedQueryRow> row = store_.GetNamedQuery(id);
    if (row.ok()) {
      found.push_back(RenderNamedQuery(*row));
    } else if (row.status().aws_code() == "InvalidRequestException") {
      missing.push_back(Json{{"NamedQueryId", id},
                             {"ErrorCode", "INVALID_INPUT"},
                             {"ErrorMessage", row.status().message()}});
    } else {
      return row.status();
    }
  }
  return Json{{"NamedQueries", std::move(found)}, {"UnprocessedNamedQueryIds", std::move(missing)}};
}

Result<Json> AthenaService::ListNamedQueries(const std::string& workgroup,
                                             const std::string& next_token, int max_results) {
  TARN_RETURN_IF_ERROR(store_.GetWorkGroup(workgroup).status());
  TARN_ASSIGN_OR_RETURN(int64_t after, ReadSeqToken(next_token));
  TARN_ASSIGN_OR_RETURN(std::vector<NamedQueryRow> rows,
                        store_.ListNamedQueries(workgroup, after, max_results + 1));
  Json ids = Json::array();
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(max_results); ++i)
    ids.push_back(rows[i].id);
  Json out{{"NamedQueryIds", std::move(ids)}};
  if (rows.size() > static_cast<size_t>(max_results))
    out["NextToken"] = MakeToken(std::to_string(rows[max_results - 1].seq));
  return out;
}

Status AthenaService::UpdateNamedQuery(const std::string& id, const std::string& name,
                                       const std::string& description, const std::string& query) {
  return store_.UpdateNamedQuery(id, name, description, query);
}

Status AthenaService::DeleteNamedQuery(const std::string& id) { return store_.DeleteNamedQuery(id); }

// --- Prepared statements ---------------------------------------------------------

namespace {

Json RenderPrepared(const PreparedStatementRow& row) {
  Json p{{"StatementName", row.name},
         {"QueryStatement", row.query},
         {"WorkGroupName", row.workgroup},
         {"LastModifiedTime", aws::MakeTimestamp(row.update_ms)}};
  if (!row.description.empty()) p["Description"] = row.description;
  return p;
}

}  // namespace

Status AthenaService::CreatePreparedStatement(const std::string& workgroup, const std::string& name,
                                              const std::string& query,
                                              const std::string& description) {
  PreparedStatementRow row{workgroup, name, query, description, options_.clock->Now()};
  return store_.PutPreparedStatement(row, PutMode::kCreate);
}

Result<Json> AthenaService::GetPreparedStatement(const std::string& workgroup,
                                                 const std::string& name) {
  TARN_RETURN_IF_ERROR(store_.GetWorkGroup(workgroup).status());
  TARN_ASSIGN_OR_RETURN(PreparedStatementRow row, store_.GetPreparedStatement(workgroup, name));
  return Json{{"PreparedStatement", RenderPrepared(row)}};
}

Result<Json> AthenaService::BatchGetPreparedStatement(const std::string& workgroup,
                                                      const std::vector<std::string>& names) {
  TARN_RETURN_IF_ERROR(store_.GetWorkGroup(workgroup).status());
  Json found = Json::array();
  Json missing = Json::array();
  for (const std::string& name : names) {
    Result<PreparedStatementRow> row = store_.GetPreparedStatement(workgroup, name);
    if (row.ok()) {
      found.push_back(RenderPrepared(*row));
    } else if (row.status().code() == Code::kNotFound) {
      missing.push_back(Json{{"StatementName", name},
                             {"ErrorCode", "STATEMENT_NOT_FOUND"},
                             {"ErrorMessage", row.status().message()}});
    } else {
      return row.status();
    }
  }
  return Json{{"PreparedStatements", std::move(found)},
              {"UnprocessedPreparedStatementNames", std::move(missing)}};
}

Result<Json> AthenaService::ListPreparedStatements(const std::string& workgroup,
                                                   const std::string& next_token, int max_results) {
  TARN_RETURN_IF_ERROR(store_.GetWorkGroup(workgroup).status());
  TARN_ASSIGN_OR_RETURN(std::string after, ReadToken(next_token));
  TARN_ASSIGN_OR_RETURN(std::vector<PreparedStatementRow> rows,
                        store_.ListPreparedStatements(workgroup, after, max_results + 1));
  Json list = Json::array();
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(max_results); ++i) {
    list.push_back(Json{{"StatementName", rows[i].name},
                        {"LastModifiedTime", aws::MakeTimestamp(rows[i].update_ms)}});
  }
  Json out{{"PreparedStatements", std::move(list)}};
  if (rows.size() > static_cast<size_t>(max_results))
    out["NextToken"] = MakeToken(rows[max_results - 1].name);
  return out;
}

Status AthenaService::UpdatePreparedStatement(const std::string& workgroup, const std::string& name,
                                              const std::string& query,
                                              const std::string& description) {
  PreparedStatementRow row{workgroup, name, query, description, options_.clock->Now()};
  return store_.PutPreparedStatement(row, PutMode::kUpdate);
}

Status AthenaService::DeletePreparedStatement(const std::string& workgroup,
                                              const std::string& name) {
  TARN_RETURN_IF_ERROR(store_.GetWorkGroup(workgroup).status());
  return store_.DeletePreparedStatement(workgroup, name);
}

// --- Query executions ------------------------------------------------------------

Result<Json> AthenaService::StartQueryExecution(const StartQuery& in) {
  if (shutdown_) return InternalServer("The server is stopping; submit the query again once it is back.");
  TARN_ASSIGN_OR_RETURN(WorkGroupRow wg, store_.GetWorkGroup(in.workgroup));
  if (wg.state != "ENABLED")
    return InvalidRequest("WorkGroup " + in.workgroup + " is disabled.");
  Json config = ParseObject(wg.configuration);
  Json wg_result = config.value("ResultConfiguration", Json::object());
  std::string wg_output = StringMember(wg_result, "OutputLocation");
  bool enforce = config.value("EnforceWorkGroupConfiguration", false);
  // An enforced workgroup's settings override the client's.
  std::string output = enforce && !wg_output.empty() ? wg_output
                       : in.output_location.empty()  ? wg_output
                                                     : in.output_location;
  if (output.empty()) {
    return InvalidRequest(
        "No output location provided. An output location is required either through the "
        "Workgroup result configuration setting or as an API input.");
  }
  TARN_RETURN_IF_ERROR(SplitS3Uri(output).status());
  if (output.back() != '/') output += '/';
  Json encryption = enforce && wg_result.contains("EncryptionConfiguration")
                        ? wg_result["EncryptionConfiguration"]
                        : in.encryption;

  TARN_ASSIGN_OR_RETURN(ParsedStatement parsed, ParseStatement(in.query));
  std::string sql = in.query;
  std::vector<std::string> parameters = in.execution_parameters;
  if (parsed.kind == ParsedStatement::kExecute) {
    if (!parsed.parameters.empty() && !in.execution_parameters.empty()) {
      return InvalidRequest(
          "EXECUTE ... USING and ExecutionParameters cannot both be given: use one.");
    }
    Result<PreparedStatementRow> prepared = store_.GetPreparedStatement(in.workgroup, parsed.name);
    if (!prepared.ok()) {
      if (prepared.status().code() != Code::kNotFound) return prepared.status();
      return InvalidRequest("Prepared statement " + parsed.name + " does not exist in workgroup " +
                            in.workgroup + ".");
    }
    sql = prepared->query;
    if (!parsed.parameters.empty()) parameters = parsed.parameters;
  }

  QueryRow row;
  row.id = NewUuid();
  row.workgroup = in.workgroup;
  row.query = in.query;
  row.submit_ms = options_.clock->Now();
  row.client_token = in.client_token;
  std::string database = in.database.empty() ? "default" : in.database;
  std::string catalog = in.catalog.empty() ? std::string(kCatalog) : in.catalog;
  Json context{{"Database", database}, {"Catalog", catalog}};
  Json result_config{{"OutputLocation", output}};
  if (!encryption.is_null()) result_config["EncryptionConfiguration"] = encryption;
  Json request{{"QueryExecutionContext", context}, {"ResultConfiguration", result_config}};
  if (!in.execution_parameters.empty()) request["ExecutionParameters"] = in.execution_parameters;
  request["Run"] = Json{{"Sql", sql},
                        {"Parameters", parameters},
                        {"Database", database},
                        {"Catalog", catalog},
                        {"OutputLocation", output},
                        {"BytesScannedCutoff", IntMember(config, "BytesScannedCutoffPerQuery")}};
  row.request = request.dump();

  if (parsed.kind == ParsedStatement::kPrepare) {
    row.statement_type = "UTILITY";
    PreparedStatementRow p{in.workgroup, parsed.name, parsed.body, "", row.submit_ms};
    return RunUtility(std::move(row), [this, p] { return store_.UpsertPreparedStatement(p); });
  }
  if (parsed.kind == ParsedStatement::kDeallocate) {
    row.statement_type = "UTILITY";
    std::string wg_name = in.workgroup;
    std::string name = parsed.name;
    return RunUtility(std::move(row), [this, wg_name, name] {
      return store_.DeletePreparedStatement(wg_name, name);
    });
  }
  if (runner_ == nullptr) return InternalServer("query engine not available");
  row.statement_type = StatementTypeOf(sql);
  TARN_ASSIGN_OR_RETURN(auto inserted,
                        store_.InsertQuery(row, row.submit_ms - options_.token_window_ms));
  if (inserted.second) Enqueue(inserted.first);
  return Json{{"QueryExecutionId", inserted.first}};
}

Result<Json> AthenaService::RunUtility(QueryRow row, const std::function<Status()>& apply) {
  row.state = kRunning;
  row.start_ms = row.submit_ms;
  TARN_ASSIGN_OR_RETURN(auto inserted,
                        store_.InsertQuery(row, row.submit_ms - options_.token_window_ms));
  if (!inserted.second) return Json{{"QueryExecutionId", inserted.first}};
  Status st = apply();
  QueryEnd end;
  end.end_ms = options_.clock->Now();
  if (st.ok()) {
    end.state = kSucceeded;
  } else if (st.code() == Code::kNotFound || st.code() == Code::kInvalidArgument) {
    end.state = kFailed;
    end.reason = st.message();
    end.error_category = kUserCategory;
    end.error_type = kUserErrorType;
  } else {
    end.state = kFailed;
    end.reason = st.message();
    end.error_category = kSystemCategory;
    end.error_type = kSystemErrorType;
  }
  TARN_RETURN_IF_ERROR(store_.FinishQuery(row.id, end).status());
  return Json{{"QueryExecutionId", row.id}};
}

Json AthenaService::RenderQuery(const QueryRow& row) const {
  Json request = ParseObject(row.request);
  Json outcome = ParseObject(row.outcome);
  Json result = request.value("ResultConfiguration", Json::object());
  std::string location = StringMember(outcome, "ResultLocation");
  if (location.empty()) {
    location = StringMember(result, "OutputLocation") + row.id +
               (row.statement_type == "DML" ? ".csv" : ".txt");
  }
  result["OutputLocation"] = location;
  UnixMillis now = options_.clock->Now();
  UnixMillis end = row.end_ms ? row.end_ms : now;
  UnixMillis started = row.start_ms ? row.start_ms : end;
  int64_t queue_ms = std::max<int64_t>(0, started - row.submit_ms);
  int64_t total_ms = std::max<int64_t>(0, end - row.submit_ms);
  int64_t engine_ms =
      outcome.contains("EngineMs") ? IntMember(outcome, "EngineMs") : std::max<int64_t>(0, end - started);
  engine_ms = std::min(engine_ms, std::max<int64_t>(0, total_ms - queue_ms));
  Json status{{"State", row.state}, {"SubmissionDateTime", aws::MakeTimestamp(row.submit_ms)}};
  if (!row.reason.empty()) status["StateChangeReason"] = row.reason;
  if (row.end_ms) status["CompletionDateTime"] = aws::MakeTimestamp(row.end_ms);
  if (row.error_category) {
    status["AthenaError"] = Json{{"ErrorCategory", row.error_category},
                                 {"ErrorType", row.error_type},
                                 {"Retryable", row.error_category == kSystemCategory},
                                 {"ErrorMessage", row.reason}};
  }
  Json q{{"QueryExecutionId", row.id},
         {"Query", row.query},
         {"StatementType", row.statement_type},
         {"ResultConfiguration", std::move(result)},
         {"QueryExecutionContext", request.value("QueryExecutionContext", Json::object())},
         {"Status", std::move(status)},
         {"Statistics",
          {{"EngineExecutionTimeInMillis", engine_ms},
           {"DataScannedInBytes", IntMember(outcome, "DataScannedBytes")},
           {"TotalExecutionTimeInMillis", total_ms},
           {"QueryQueueTimeInMillis", queue_ms},
           {"QueryPlanningTimeInMillis", 0},
           {"ServiceProcessingTimeInMillis", std::max<int64_t>(0, total_ms - queue_ms - engine_ms)}}},
         {"WorkGroup", row.workgroup},
         {"EngineVersion", EngineVersionDoc()}};
  if (auto p = request.find("ExecutionParameters"); p != request.end()) q["ExecutionParameters"] = *p;
  return q;
}

std::optional<Json> AthenaService::RecentQueryExecution(const std::string& id) const {
  std::optional<QueryRow> row = store_.RecentQuery(id);
  if (!row) return std::nullopt;
  return Json{{"QueryExecution", RenderQuery(*row)}};
}

Result<Json> AthenaService::GetQueryExecution(const std::string& id) {
  TARN_ASSIGN_OR_RETURN(QueryRow row, store_.GetQuery(id));
  return Json{{"QueryExecution", RenderQuery(row)}};
}

Result<Json> AthenaService::BatchGetQueryExecution(const std::vector<std::string>& ids) {
  Json found = Json::array();
  Json missing = Json::array();
  for (const std::string& id : ids) {
    Result<QueryRow> row = store_.GetQuery(id);
    if (row.ok()) {
      found.push_back(RenderQuery(*row));
    } else if (row.status().aws_code() == "InvalidRequestException") {
      missing.push_back(Json{{"QueryExecutionId", id},
                             {"ErrorCode", "INVALID_INPUT"},
                             {"ErrorMessage", row.status().message()}});
    } else {
      return row.status();
    }
  }
  return Json{{"QueryExecutions", std::move(found)},
              {"UnprocessedQueryExecutionIds", std::move(missing)}};
}

Result<Json> AthenaService::ListQueryExecutions(const std::string& workgroup,
                                                const std::string& next_token, int max_results) {
  TARN_RETURN_IF_ERROR(store_.GetWorkGroup(workgroup).status());
  TARN_ASSIGN_OR_RETURN(int64_t before, ReadSeqToken(next_token));
  TARN_ASSIGN_OR_RETURN(std::vector<QueryRow> rows,
                        store_.ListQueries(workgroup, before, max_results + 1));
  Json ids = Json::array();
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(max_results); ++i)
    ids.push_back(rows[i].id);
  Json out{{"QueryExecutionIds", std::move(ids)}};
  if (rows.size() > static_cast<size_t>(max_results))
    out["NextToken"] = MakeToken(std::to_string(rows[max_results - 1].seq));
  return out;
}

Status AthenaService::StopQueryExecution(const std::string& id) {
  TARN_ASSIGN_OR_RETURN(QueryRow row, store_.GetQuery(id));
  // Stopping a finished query succeeds and changes nothing, as in Athena.
  if (row.state != kQueued && row.state != kRunning) return Status::OK();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = running_.find(id); it != running_.end()) *it->second = true;
    auto q = std::find(queue_.begin(), queue_.end(), id);
    if (q != queue_.end()) queue_.erase(q);
  }
  // Still QUEUED: cancelled here. A query thread that took it meanwhile
  // finds it not QUEUED (MarkRunning) or sees its stop flag set above.
  QueryEnd end;
  end.state = kCancelled;
  end.end_ms = options_.clock->Now();
  end.only_if_queued = true;
  TARN_RETURN_IF_ERROR(store_.FinishQuery(id, end).status());
  idle_cv_.notify_all();
  return Status::OK();
}

Result<Json> AthenaService::GetQueryRuntimeStatistics(const std::string& id) {
  TARN_ASSIGN_OR_RETURN(QueryRow row, store_.GetQuery(id));
  Json q = RenderQuery(row);
  const Json& s = q["Statistics"];
  Json timeline{{"QueryQueueTimeInMillis", s["QueryQueueTimeInMillis"]},
                {"QueryPlanningTimeInMillis", s["QueryPlanningTimeInMillis"]},
                {"EngineExecutionTimeInMillis", s["EngineExecutionTimeInMillis"]},
                {"ServiceProcessingTimeInMillis", s["ServiceProcessingTimeInMillis"]},
                {"TotalExecutionTimeInMillis", s["TotalExecutionTimeInMillis"]}};
  Json stats{{"Timeline", std::move(timeline)}};
  if (row.state == kSucceeded) {
    Json outcome = ParseObject(row.outcome);
    // What the run measured: rows written, bytes read. Input rows and
    // output bytes are not counted by the engine.
    stats["Rows"] = Json{{"InputBytes", IntMember(outcome, "DataScannedBytes")},
                         {"OutputRows", IntMember(outcome, "Rows")}};
  }
  return Json{{"QueryRuntimeStatistics", std::move(stats)}};
}

Result<AthenaService::ResultPage> AthenaService::ReadResultPage(const std::string& id,
                                                                const std::string& next_token,
                                                                int max_results) {
  TARN_ASSIGN_OR_RETURN(QueryRow row, store_.GetQuery(id));
  if (row.state == kQueued || row.state == kRunning)
    return InvalidRequest("Query has not yet finished. Current state: " + row.state);
  if (row.state != kSucceeded)
    return InvalidRequest("Query did not finish successfully. Final query state: " + row.state);
  Json outcome = ParseObject(row.outcome);
  ResultPage page;
  page.column_info = Json::array();
  for (const Json& c : outcome.value("Columns", Json::array())) {
    std::string type = StringMember(c, "Type");
    page.column_info.push_back(Json{{"CatalogName", "hive"},
                                    {"SchemaName", ""},
                                    {"TableName", ""},
                                    {"Name", StringMember(c, "Name")},
                                    {"Label", StringMember(c, "Name")},
                                    {"Type", type},
                                    {"Precision", IntMember(c, "Precision")},
                                    {"Scale", IntMember(c, "Scale")},
                                    {"Nullable", "UNKNOWN"},
                                    {"CaseSensitive", type == "varchar"}});
  }
  if (row.statement_type == "DML" && page.column_info.empty()) {
    page.update_count = IntMember(outcome, "Rows");
  }
  std::string location = StringMember(outcome, "ResultLocation");
  uint64_t offset = 0;
  if (!next_token.empty()) {
    TARN_ASSIGN_OR_RETURN(std::string t, ReadToken(next_token));
    size_t nl = t.find('\n');
    if (nl == std::string::npos || t.substr(0, nl) != id)
      return InvalidRequest("Invalid NextToken: it was not returned for query " + id + ".");
    try {
      offset = std::stoull(t.substr(nl + 1));
    } catch (const std::exception&) {
      return InvalidRequest("Invalid NextToken: it was not returned for query " + id + ".");
    }
  }
  if (!location.empty()) {
    if (results_ == nullptr) return InternalServer("no result storage configured");
    TARN_ASSIGN_OR_RETURN(auto where, SplitS3Uri(location));
    TARN_ASSIGN_OR_RETURN(ResultObjects::Object object, results_->Open(where.first, where.second));
    CsvReader reader(object.read_at, object.size, offset,
                     EndsWith(location, ".csv") ? CsvReader::Format::kCsv
                                                : CsvReader::Format::kText);
    std::vector<std::optional<std::string>> fields;
    while (page.rows.size() < static_cast<size_t>(max_results)) {
      TARN_ASSIGN_OR_RETURN(bool more, reader.Next(&fields));
      if (!more) break;
      page.rows.push_back(std::move(fields));
      fields.clear();
    }
    if (reader.offset() < object.size) {
      page.next_token = MakeToken(id + "\n" + std::to_string(reader.offset()));
    }
  }
  return page;
}

Result<Json> AthenaService::GetQueryResults(const std::string& id, const std::string& next_token,
                                            int max_results) {
  TARN_ASSIGN_OR_RETURN(ResultPage page, ReadResultPage(id, next_token, max_results));
  Json rows = Json::array();
  for (const auto& fields : page.rows) {
    Json data = Json::array();
    for (const auto& f : fields) data.push_back(f ? Json{{"VarCharValue", *f}} : Json::object());
    rows.push_back(Json{{"Data", std::move(data)}});
  }
  Json out;
  if (!page.next_token.empty()) out["NextToken"] = page.next_token;
  out["UpdateCount"] = page.update_count;
  out["ResultSet"] = Json{{"Rows", std::move(rows)},
                          {"ResultSetMetadata", {{"ColumnInfo", std::move(page.column_info)}}}};
  return out;
}

Result<std::string> AthenaService::GetQueryResultsJson(const std::string& id,
                                                       const std::string& next_token,
                                                       int max_results) {
  TARN_ASSIGN_OR_RETURN(ResultPage page, ReadResultPage(id, next_token, max_results));
  std::string out = "{\"ResultSet\":{\"Rows\":[";
  for (size_t r = 0; r < page.rows.size(); ++r) {
    out += r ? ",{\"Data\":[" : "{\"Data\":[";
    for (size_t f = 0; f < page.rows[r].size(); ++f) {
      if (f) out += ',';
      if (!page.rows[r][f]) {
        out += "{}";
        continue;
      }
      out += "{\"VarCharValue\":";
      aws::AppendJsonString(out, *page.rows[r][f]);
      out += '}';
    }
    out += "]}";
  }
  out += "],\"ResultSetMetadata\":{\"ColumnInfo\":";
  out += aws::EncodeJsonBody(page.column_info, aws::JsonWire::kJson);
  out += "}},\"UpdateCount\":";
  out += std::to_string(page.update_count);
  if (!page.next_token.empty()) {
    out += ",\"NextToken\":";
    aws::AppendJsonString(out, page.next_token);
  }
  out += '}';
  return out;
}

// --- Data catalogs ---------------------------------------------------------------

Status AthenaService::CheckCatalog(const std::string& catalog) const {
  if (glue_ == nullptr) return InternalServer("no data catalog configured");
  if (catalog == kCatalog) return Status::OK();
  return MetadataError("Catalog " + catalog + " does not exist: this server has only " +
                       std::string(kCatalog) + " (the Glue Data Catalog).");
}

Result<Json> AthenaService::ListDataCatalogs() {
  return Json{{"DataCatalogsSummary",
               Json::array({Json{{"CatalogName", kCatalog}, {"Type", "GLUE"}}})}};
}

Result<Json> AthenaService::GetDataCatalog(const std::string& name) {
  if (name != kCatalog) return InvalidRequest("DataCatalog " + name + " was not found.");
  return Json{{"DataCatalog",
               {{"Name", kCatalog},
                {"Description", "AWS Glue Data Catalog"},
                {"Type", "GLUE"},
                {"Parameters", {{"catalog-id", options_.account_id}}}}}};
}

Result<Json> AthenaService::ListDatabases(const std::string& catalog, const std::string& next_token,
                                          int max_results) {
  TARN_RETURN_IF_ERROR(CheckCatalog(catalog));
  Result<Json> got = glue_->GetDatabases(next_token, max_results);
  TARN_RETURN_IF_ERROR(FromGlue(got.status()));
  Json list = Json::array();
  for (const Json& db : got->value("DatabaseList", Json::array())) {
    Json d{{"Name", StringMember(db, "Name")}};
    if (std::string v = StringMember(db, "Description"); !v.empty()) d["Description"] = v;
    if (auto p = db.find("Parameters"); p != db.end()) d["Parameters"] = *p;
    list.push_back(std::move(d));
  }
  Json out{{"DatabaseList", std::move(list)}};
  if (auto t = got->find("NextToken"); t != got->end()) out["NextToken"] = *t;
  return out;
}

Result<Json> AthenaService::GetDatabase(const std::string& catalog, const std::string& database) {
  TARN_RETURN_IF_ERROR(CheckCatalog(catalog));
  Result<Json> got = glue_->GetDatabase(LowerAscii(database));
  TARN_RETURN_IF_ERROR(FromGlue(got.status()));
  Json db = got->value("Database", Json::object());
  Json d{{"Name", StringMember(db, "Name")}};
  if (std::string v = StringMember(db, "Description"); !v.empty()) d["Description"] = v;
  if (auto p = db.find("Parameters"); p != db.end()) d["Parameters"] = *p;
  return Json{{"Database", std::move(d)}};
}

Result<Json> AthenaService::ListTableMetadata(const std::string& catalog,
                                              const std::string& database,
                                              const std::string& expression,
                                              const std::string& next_token, int max_results) {
  TARN_RETURN_IF_ERROR(CheckCatalog(catalog));
  Result<Json> got =
      glue_->GetTables(LowerAscii(database), expression, next_token, max_results);
  TARN_RETURN_IF_ERROR(FromGlue(got.status()));
  Json list = Json::array();
  for (const Json& t : got->value("TableList", Json::array())) list.push_back(TableMetadataOf(t));
  Json out{{"TableMetadataList", std::move(list)}};
  if (auto t = got->find("NextToken"); t != got->end()) out["NextToken"] = *t;
  return out;
}

Result<Json> AthenaService::GetTableMetadata(const std::string& catalog,
                                             const std::string& database,
                                             const std::string& table) {
  TARN_RETURN_IF_ERROR(CheckCatalog(catalog));
  Result<Json> got = glue_->GetTable(LowerAscii(database), LowerAscii(table));
  TARN_RETURN_IF_ERROR(FromGlue(got.status()));
  return Json{{"TableMetadata", TableMetadataOf(got->value("Table", Json::object()))}};
}

// --- Tags ------------------------------------------------------------------------

Result<std::string> AthenaService::WorkGroupOfArn(const std::string& arn) const {
  std::string prefix = "arn:aws:athena:" + options_.region + ":" + options_.account_id + ":workgroup/";
  if (arn.rfind(prefix, 0) != 0 || arn.size() == prefix.size()) {
    return NotFound("Resource " + arn + " not found: tags are kept for workgroups of region " +
                        options_.region + ", account " + options_.account_id + ".",
                    "ResourceNotFoundException");
  }
  return arn.substr(prefix.size());
}

Status AthenaService::TagResource(const std::string& arn, const Tags& tags) {
  TARN_ASSIGN_OR_RETURN(std::string name, WorkGroupOfArn(arn));
  return store_.ChangeTags(name, tags, {});
}

Status AthenaService::UntagResource(const std::string& arn, const std::vector<std::string>& keys) {
  TARN_ASSIGN_OR_RETURN(std::string name, WorkGroupOfArn(arn));
  return store_.ChangeTags(name, {}, keys);
}

Result<Json> AthenaService::ListTagsForResource(const std::string& arn,
                                                const std::string& next_token, int max_results) {
  TARN_ASSIGN_OR_RETURN(std::string name, WorkGroupOfArn(arn));
  TARN_ASSIGN_OR_RETURN(WorkGroupRow row, store_.GetWorkGroup(name));
  TARN_ASSIGN_OR_RETURN(std::string after, ReadToken(next_token));
  Tags page;
  bool more = false;
  for (auto it = row.tags.upper_bound(after); it != row.tags.end(); ++it) {
    if (page.size() == static_cast<size_t>(max_results)) {
      more = true;
      break;
    }
    page.insert(*it);
  }
  Json out{{"Tags", TagList(page)}};
  if (more) out["NextToken"] = MakeToken(page.rbegin()->first);
  return out;
}

}  // namespace tarn::athena
