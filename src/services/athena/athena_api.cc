#include "services/athena/athena_api.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>
#include <type_traits>

#include "aws/model_checker.h"

namespace tarn::athena {

namespace asio = boost::asio;
using aws::Json;

namespace {

constexpr size_t kNoMax = std::numeric_limits<size_t>::max();

bool IsWorkGroupName(std::string_view s) {
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

bool IsStatementName(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '@' && c != ':') return false;
  }
  return true;
}

// Collects the model violations of one request, as Athena's front end
// reports them (aws/model_checker.h), answered InvalidRequestException.
class Checker : public aws::ModelChecker {
 public:
  explicit Checker(const Json& j, std::string path = "")
      : ModelChecker(j, std::move(path), "InvalidRequestException") {}

  using ModelChecker::Find;
  using ModelChecker::Str;

  std::string Str(std::string_view member, bool required, size_t min = 0, size_t max = kNoMax,
                  std::vector<std::string_view> one_of = {}) {
    return Str(member, aws::StrRule{required, min, max, {}, std::move(one_of)});
  }

  // A WorkGroupName: [a-zA-Z0-9._-]{1,128}; `dflt` when absent.
  std::string WorkGroup(std::string_view member, bool required, std::string dflt = "primary") {
    std::string s =
        Str(member, aws::StrRule{required, 1, 128, {IsWorkGroupName, "[a-zA-Z0-9._-]{1,128}"}});
    return s.empty() && !Find(member) ? dflt : s;
  }

  std::optional<int64_t> Int(std::string_view member, int64_t min, int64_t max) {
    return ModelChecker::Int(member, false, min, max);
  }

  const Json* Struct(std::string_view member) { return ModelChecker::Struct(member, false); }

  std::vector<std::string> StrList(std::string_view member, bool required, size_t min, size_t max,
                                   size_t each_min, size_t each_max) {
    std::vector<std::string> out;
    const Json* v = List(member, required, min, max);
    if (!v) return out;
    for (size_t i = 0; i < v->size(); ++i) {
      const Json& e = (*v)[i];
      if (!e.is_string()) {
        TypeError(member, "a list of strings");
        return {};
      }
      const std::string& s = e.get_ref<const std::string&>();
      CheckString(s, LowerFirst(member) + "." + std::to_string(i + 1) + ".member",
                  aws::StrRule{false, each_min, each_max});
      out.push_back(s);
    }
    return out;
  }

  // A TagList: [{"Key", "Value"}].
  Tags TagList(std::string_view member, bool required) {
    Tags tags;
    const Json* v = Find(member);
    if (!v) {
      if (required) Violation("null", member, "Member must not be null");
      return tags;
    }
    if (!v->is_array()) {
      TypeError(member, "a list");
      return tags;
    }
    for (const Json& t : *v) {
      if (!t.is_object() || !t.value("Key", Json()).is_string()) {
        TypeError(member, "a list of Tag structures with a Key");
        return {};
      }
      std::string key = t["Key"].get<std::string>();
      std::string value = t.value("Value", Json("")).is_string() ? t.value("Value", "") : "";
      if (key.empty() || aws::CharCount(key) > 128)
        Violation(Quote(key), member, "Tag keys must have length between 1 and 128");
      if (aws::CharCount(value) > 256)
        Violation(Quote(value), member, "Tag values must have length at most 256");
      tags[key] = value;
    }
    if (tags.size() > 50) Violation("'[...]'", member, "A resource may have at most 50 tags");
    return tags;
  }

  // Takes a nested structure's findings.
  void Absorb(const Checker& sub) { AbsorbFindings(sub); }
};

Result<Json> Empty(const Status& st) {
  TARN_RETURN_IF_ERROR(st);
  return Json::object();
}

std::string Token(Checker& in) { return in.Str("NextToken", false, 1, 1024); }

int Page(Checker& in, int64_t min, int64_t max, int64_t dflt) {
  return static_cast<int>(in.Int("MaxResults", min, max).value_or(dflt));
}

// A WorkGroupConfiguration as stored: its members checked, kept as given.
void CheckConfiguration(Checker& in, std::string_view member, const Json* config) {
  if (!config) return;
  Checker c(*config, in.Path(member));
  c.Bool("EnforceWorkGroupConfiguration");
  c.Bool("PublishCloudWatchMetricsEnabled");
  c.Bool("RequesterPaysEnabled");
  c.Bool("RemoveBytesScannedCutoffPerQuery");
  c.Int("BytesScannedCutoffPerQuery", 10'000'000, std::numeric_limits<int64_t>::max());
  for (const char* result : {"ResultConfiguration", "ResultConfigurationUpdates"}) {
    if (const Json* r = c.Struct(result)) {
      Checker rc(*r, c.Path(result));
      std::string out = rc.Str("OutputLocation", false, 0, 1024);
      if (!out.empty() && out.rfind("s3://", 0) != 0)
        rc.Violation(Checker::Quote(out), "OutputLocation", "Member must be an s3:// location");
      if (const Json* enc = rc.Struct("EncryptionConfiguration")) {
        Checker ec(*enc, rc.Path("EncryptionConfiguration"));
        ec.Str("EncryptionOption", true, 0, kNoMax, {"SSE_S3", "SSE_KMS", "CSE_KMS"});
        in.Absorb(ec);
      }
      in.Absorb(rc);
    }
  }
  in.Absorb(c);
}

}  // namespace

AthenaApi::AthenaApi(AthenaService* service, WorkerPool* pool) : service_(service), pool_(pool) {
  handlers_ = {
      {"StartQueryExecution", &AthenaApi::StartQueryExecution},
      {"GetQueryExecution", &AthenaApi::GetQueryExecution},
      {"BatchGetQueryExecution", &AthenaApi::BatchGetQueryExecution},
      {"ListQueryExecutions", &AthenaApi::ListQueryExecutions},
      {"StopQueryExecution", &AthenaApi::StopQueryExecution},
      {"GetQueryRuntimeStatistics", &AthenaApi::GetQueryRuntimeStatistics},
      {"GetQueryResults", &AthenaApi::GetQueryResults},
      {"CreateWorkGroup", &AthenaApi::CreateWorkGroup},
      {"GetWorkGroup", &AthenaApi::GetWorkGroup},
      {"ListWorkGroups", &AthenaApi::ListWorkGroups},
      {"UpdateWorkGroup", &AthenaApi::UpdateWorkGroup},
      {"DeleteWorkGroup", &AthenaApi::DeleteWorkGroup},
      {"CreateNamedQuery", &AthenaApi::CreateNamedQuery},
      {"GetNamedQuery", &AthenaApi::GetNamedQuery},
      {"BatchGetNamedQuery", &AthenaApi::BatchGetNamedQuery},
      {"ListNamedQueries", &AthenaApi::ListNamedQueries},
      {"UpdateNamedQuery", &AthenaApi::UpdateNamedQuery},
      {"DeleteNamedQuery", &AthenaApi::DeleteNamedQuery},
      {"CreatePreparedStatement", &AthenaApi::CreatePreparedStatement},
      {"GetPreparedStatement", &AthenaApi::GetPreparedStatement},
      {"BatchGetPreparedStatement", &AthenaApi::BatchGetPreparedStatement},
      {"ListPreparedStatements", &AthenaApi::ListPreparedStatements},
      {"UpdatePreparedStatement", &AthenaApi::UpdatePreparedStatement},
      {"DeletePreparedStatement", &AthenaApi::DeletePreparedStatement},
      {"ListDataCatalogs", &AthenaApi::ListDataCatalogs},
      {"GetDataCatalog", &AthenaApi::GetDataCatalog},
      {"ListDatabases", &AthenaApi::ListDatabases},
      {"GetDatabase", &AthenaApi::GetDatabase},
      {"ListTableMetadata", &AthenaApi::ListTableMetadata},
      {"GetTableMetadata", &AthenaApi::GetTableMetadata},
      {"TagResource", &AthenaApi::TagResource},
      {"UntagResource", &AthenaApi::UntagResource},
      {"ListTagsForResource", &AthenaApi::ListTagsForResource},
  };
}

int AthenaApi::ErrorStatus(std::string_view aws_code) const {
  if (aws_code == "InternalServerException") return 500;
  return 400;
}

// Athena's InvalidRequestException carries an AthenaErrorCode next to its
// message; a bad request to the API is INVALID_INPUT there.
void AthenaApi::AddErrorMembers(const Status& status, Json& members) const {
  if (aws::JsonErrorCode(status) == "InvalidRequestException") {
    members["AthenaErrorCode"] = "INVALID_INPUT";
  }
}

asio::awaitable<Result<Json>> AthenaApi::Invoke(const aws::JsonRequest& request) {
  auto it = handlers_.find(request.operation);
  if (it == handlers_.end()) co_return aws::UnknownOperation(request.operation);
  // Polling a query this server runs is answered here, from memory, without
  // a trip to the pool: a client polls every few ms on a machine whose
  // cores are running the query.
  if (request.operation == "GetQueryExecution") {
    Checker in(request.input);
    std::string id = in.Str("QueryExecutionId", true, 1, 128);
    if (in.Finish().ok()) {
      if (std::optional<Json> recent = service_->RecentQueryExecution(id)) co_return *recent;
    }
  }
  Handler handler = it->second;
  const Json& input = request.input;
  Result<Json> out =
      co_await pool_->Run([this, handler, &input] { return (this->*handler)(input); });
  co_return out;
}

// --- Query executions ------------------------------------------------------------

Result<Json> AthenaApi::StartQueryExecution(const Json& j) {
  Checker in(j);
  StartQuery q;
  q.query = in.Str("QueryString", true, 1, 262144);
  q.client_token = in.Str("ClientRequestToken", false, 32, 128);
  q.workgroup = in.WorkGroup("WorkGroup", false);
  q.execution_parameters = in.StrList("ExecutionParameters", false, 1, kNoMax, 1, 1024);
  if (const Json* ctx = in.Struct("QueryExecutionContext")) {
    Checker c(*ctx, in.Path("QueryExecutionContext"));
    q.database = c.Str("Database", false, 1, 255);
    q.catalog = c.Str("Catalog", false, 1, 256);
    in.Absorb(c);
  }
  if (const Json* rc = in.Struct("ResultConfiguration")) {
    Checker c(*rc, in.Path("ResultConfiguration"));
    q.output_location = c.Str("OutputLocation", false, 0, 1024);
    if (!q.output_location.empty() && q.output_location.rfind("s3://", 0) != 0)
      c.Violation(Checker::Quote(q.output_location), "OutputLocation",
                  "Member must be an s3:// location");
    if (const Json* enc = c.Struct("EncryptionConfiguration")) {
      Checker e(*enc, c.Path("EncryptionConfiguration"));
      e.Str("EncryptionOption", true, 0, kNoMax, {"SSE_S3", "SSE_KMS", "CSE_KMS"});
      e.Str("KmsKey", false);
      c.Absorb(e);
      q.encryption = *enc;
    }
    in.Absorb(c);
  }
  in.Struct("ResultReuseConfiguration");
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->StartQueryExecution(q);
}

Result<Json> AthenaApi::GetQueryExecution(const Json& j) {
  Checker in(j);
  std::string id = in.Str("QueryExecutionId", true, 1, 128);
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->GetQueryExecution(id);
}

Result<Json> AthenaApi::BatchGetQueryExecution(const Json& j) {
  Checker in(j);
  auto ids = in.StrList("QueryExecutionIds", true, 1, 50, 1, 128);
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->BatchGetQueryExecution(ids);
}

Result<Json> AthenaApi::ListQueryExecutions(const Json& j) {
  Checker in(j);
  std::string token = Token(in);
  int max = Page(in, 0, 50, 50);
  std::string wg = in.WorkGroup("WorkGroup", false);
  TARN_RETURN_IF_ERROR(in.Finish());
  // MaxResults 0 is allowed by the model; it means the default.
  return service_->ListQueryExecutions(wg, token, max == 0 ? 50 : max);
}

Result<Json> AthenaApi::StopQueryExecution(const Json& j) {
  Checker in(j);
  std::string id = in.Str("QueryExecutionId", true, 1, 128);
  TARN_RETURN_IF_ERROR(in.Finish());
  return Empty(service_->StopQueryExecution(id));
}

Result<Json> AthenaApi::GetQueryRuntimeStatistics(const Json& j) {
  Checker in(j);
  std::string id = in.Str("QueryExecutionId", true, 1, 128);
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->GetQueryRuntimeStatistics(id);
}

namespace {

// GetQueryResults' request: id, NextToken, MaxResults.
struct ResultsRequest {
  std::string id;
  std::string token;
  int max = 1000;
};

Result<ResultsRequest> ParseResultsRequest(const Json& j) {
  Checker in(j);
  ResultsRequest r;
  r.id = in.Str("QueryExecutionId", true, 1, 128);
  r.token = Token(in);
  r.max = Page(in, 1, 1000, 1000);
  in.Str("QueryResultType", false, 0, kNoMax, {"DATA_MANIFEST", "DATA_ROWS"});
  TARN_RETURN_IF_ERROR(in.Finish());
  return r;
}

}  // namespace

Result<Json> AthenaApi::GetQueryResults(const Json& j) {
  TARN_ASSIGN_OR_RETURN(ResultsRequest r, ParseResultsRequest(j));
  return service_->GetQueryResults(r.id, r.token, r.max);
}

Result<std::string> AthenaApi::GetQueryResultsJson(const Json& j) {
  TARN_ASSIGN_OR_RETURN(ResultsRequest r, ParseResultsRequest(j));
  return service_->GetQueryResultsJson(r.id, r.token, r.max);
}

bool AthenaApi::TakesRawBody(std::string_view operation) const {
  return operation == "GetQueryResults";
}

asio::awaitable<Result<std::string>> AthenaApi::InvokeRaw(const aws::JsonRequest& request,
                                                          std::string body) {
  if (request.operation != "GetQueryResults") co_return aws::UnknownOperation(request.operation);
  Result<std::string> out = co_await pool_->Run([this, &body]() -> Result<std::string> {
    TARN_ASSIGN_OR_RETURN(Json input, aws::DecodeJsonObject(body, aws::JsonWire::kJson));
    return GetQueryResultsJson(input);
  });
  co_return out;
}

// --- Workgroups ------------------------------------------------------------------

Result<Json> AthenaApi::CreateWorkGroup(const Json& j) {
  Checker in(j);
  std::string name = in.WorkGroup("Name", true);
  std::string description = in.Str("Description", false, 0, 1024);
  const Json* config = in.Struct("Configuration");
  CheckConfiguration(in, "Configuration", config);
  Tags tags = in.TagList("Tags", false);
  TARN_RETURN_IF_ERROR(in.Finish());
  return Empty(service_->CreateWorkGroup(name, config ? *config : Json::object(), description, tags));
}

Result<Json> AthenaApi::GetWorkGroup(const Json& j) {
  Checker in(j);
  std::string name = in.WorkGroup("WorkGroup", true);
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->GetWorkGroup(name);
}

Result<Json> AthenaApi::ListWorkGroups(const Json& j) {
  Checker in(j);
  std::string token = Token(in);
  int max = Page(in, 1, 50, 50);
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->ListWorkGroups(token, max);
}

Result<Json> AthenaApi::UpdateWorkGroup(const Json& j) {
  Checker in(j);
  std::string name = in.WorkGroup("WorkGroup", true);
  std::optional<std::string> description;
  if (in.Find("Description")) description = in.Str("Description", false, 0, 1024);
  const Json* updates = in.Struct("ConfigurationUpdates");
  CheckConfiguration(in, "ConfigurationUpdates", updates);
  std::optional<std::string> state;
  if (in.Find("State")) state = in.Str("State", false, 0, kNoMax, {"ENABLED", "DISABLED"});
  TARN_RETURN_IF_ERROR(in.Finish());
  return Empty(service_->UpdateWorkGroup(name, description, updates ? *updates : Json::object(), state));
}

Result<Json> AthenaApi::DeleteWorkGroup(const Json& j) {
  Checker in(j);
  std::string name = in.WorkGroup("WorkGroup", true);
  bool recursive = in.Bool("RecursiveDeleteOption").value_or(false);
  TARN_RETURN_IF_ERROR(in.Finish());
  return Empty(service_->DeleteWorkGroup(name, recursive));
}

// --- Named queries ---------------------------------------------------------------

Result<Json> AthenaApi::CreateNamedQuery(const Json& j) {
  Checker in(j);
  std::string name = in.Str("Name", true, 1, 128);
  std::string description = in.Str("Description", false, 1, 1024);
  std::string database = in.Str("Database", true, 1, 255);
  std::string query = in.Str("QueryString", true, 1, 262144);
  std::string token = in.Str("ClientRequestToken", false, 32, 128);
  std::string wg = in.WorkGroup("WorkGroup", false);
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->CreateNamedQuery(wg, name, description, database, query, token);
}

Result<Json> AthenaApi::GetNamedQuery(const Json& j) {
  Checker in(j);
  std::string id = in.Str("NamedQueryId", true, 1, 128);
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->GetNamedQuery(id);
}

Result<Json> AthenaApi::BatchGetNamedQuery(const Json& j) {
  Checker in(j);
  auto ids = in.StrList("NamedQueryIds", true, 1, 50, 1, 128);
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->BatchGetNamedQuery(ids);
}

Result<Json> AthenaApi::ListNamedQueries(const Json& j) {
  Checker in(j);
  std::string token = Token(in);
  int max = Page(in, 0, 50, 50);
  std::string wg = in.WorkGroup("WorkGroup", false);
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->ListNamedQueries(wg, token, max == 0 ? 50 : max);
}

Result<Json> AthenaApi::UpdateNamedQuery(const Json& j) {
  Checker in(j);
  std::string id = in.Str("NamedQueryId", true, 1, 128);
  std::string name = in.Str("Name", true, 1, 128);
  std::string description = in.Str("Description", false, 0, 1024);
  std::string query = in.Str("QueryString", true, 1, 262144);
  TARN_RETURN_IF_ERROR(in.Finish());
  return Empty(service_->UpdateNamedQuery(id, name, description, query));
}

Result<Json> AthenaApi::DeleteNamedQuery(const Json& j) {
  Checker in(j);
  std::string id = in.Str("NamedQueryId", true, 1, 128);
  TARN_RETURN_IF_ERROR(in.Finish());
  return Empty(service_->DeleteNamedQuery(id));
}

// --- Prepared statements ---------------------------------------------------------

namespace {

std::string StatementName(Checker& in, std::string_view member) {
  return in.Str(member,
                aws::StrRule{true, 1, 256, {IsStatementName, "[a-zA-Z_][a-zA-Z0-9_@:]{1,256}"}});
}

}  // namespace

Result<Json> AthenaApi::CreatePreparedStatement(const Json& j) {
  Checker in(j);
  std::string name = StatementName(in, "StatementName");
  std::string wg = in.WorkGroup("WorkGroup", true);
  std::string query = in.Str("QueryStatement", true, 1, 262144);
  std::string description = in.Str("Description", false, 1, 1024);
  TARN_RETURN_IF_ERROR(in.Finish());
  return Empty(service_->CreatePreparedStatement(wg, name, query, description));
}

Result<Json> AthenaApi::GetPreparedStatement(const Json& j) {
  Checker in(j);
  std::string name = StatementName(in, "StatementName");
  std::string wg = in.WorkGroup("WorkGroup", true);
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->GetPreparedStatement(wg, name);
}

Result<Json> AthenaApi::BatchGetPreparedStatement(const Json& j) {
  Checker in(j);
  auto names = in.StrList("PreparedStatementNames", true, 1, 50, 1, 256);
  std::string wg = in.WorkGroup("WorkGroup", true);
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->BatchGetPreparedStatement(wg, names);
}

Result<Json> AthenaApi::ListPreparedStatements(const Json& j) {
  Checker in(j);
  std::string wg = in.WorkGroup("WorkGroup", true);
  std::string token = Token(in);
  int max = Page(in, 1, 50, 50);
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->ListPreparedStatements(wg, token, max);
}

Result<Json> AthenaApi::UpdatePreparedStatement(const Json& j) {
  Checker in(j);
  std::string name = StatementName(in, "StatementName");
  std::string wg = in.WorkGroup("WorkGroup", true);
  std::string query = in.Str("QueryStatement", true, 1, 262144);
  std::string description = in.Str("Description", false, 1, 1024);
  TARN_RETURN_IF_ERROR(in.Finish());
  return Empty(service_->UpdatePreparedStatement(wg, name, query, description));
}

Result<Json> AthenaApi::DeletePreparedStatement(const Json& j) {
  Checker in(j);
  std::string name = StatementName(in, "StatementName");
  std::string wg = in.WorkGroup("WorkGroup", true);
  TARN_RETURN_IF_ERROR(in.Finish());
  return Empty(service_->DeletePreparedStatement(wg, name));
}

// --- Data catalogs ---------------------------------------------------------------

Result<Json> AthenaApi::ListDataCatalogs(const Json& j) {
  Checker in(j);
  Token(in);
  Page(in, 2, 50, 50);
  in.Str("WorkGroup", false);
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->ListDataCatalogs();
}

Result<Json> AthenaApi::GetDataCatalog(const Json& j) {
  Checker in(j);
  std::string name = in.Str("Name", true, 1, 256);
  in.Str("WorkGroup", false);
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->GetDataCatalog(name);
}

Result<Json> AthenaApi::ListDatabases(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogName", true, 1, 256);
  std::string token = Token(in);
  int max = Page(in, 1, 50, 50);
  in.Str("WorkGroup", false);
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->ListDatabases(catalog, token, max);
}

Result<Json> AthenaApi::GetDatabase(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogName", true, 1, 256);
  std::string db = in.Str("DatabaseName", true, 1, 128);
  in.Str("WorkGroup", false);
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->GetDatabase(catalog, db);
}

Result<Json> AthenaApi::ListTableMetadata(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogName", true, 1, 256);
  std::string db = in.Str("DatabaseName", true, 1, 128);
  std::string expression = in.Str("Expression", false, 0, 256);
  std::string token = Token(in);
  int max = Page(in, 1, 50, 50);
  in.Str("WorkGroup", false);
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->ListTableMetadata(catalog, db, expression, token, max);
}

Result<Json> AthenaApi::GetTableMetadata(const Json& j) {
  Checker in(j);
  std::string catalog = in.Str("CatalogName", true, 1, 256);
  std::string db = in.Str("DatabaseName", true, 1, 128);
  std::string table = in.Str("TableName", true, 1, 128);
  in.Str("WorkGroup", false);
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->GetTableMetadata(catalog, db, table);
}

// --- Tags ------------------------------------------------------------------------

Result<Json> AthenaApi::TagResource(const Json& j) {
  Checker in(j);
  std::string arn = in.Str("ResourceARN", true, 1, 1011);
  Tags tags = in.TagList("Tags", true);
  TARN_RETURN_IF_ERROR(in.Finish());
  return Empty(service_->TagResource(arn, tags));
}

Result<Json> AthenaApi::UntagResource(const Json& j) {
  Checker in(j);
  std::string arn = in.Str("ResourceARN", true, 1, 1011);
  auto keys = in.StrList("TagKeys", true, 0, kNoMax, 1, 128);
  TARN_RETURN_IF_ERROR(in.Finish());
  return Empty(service_->UntagResource(arn, keys));
}

Result<Json> AthenaApi::ListTagsForResource(const Json& j) {
  Checker in(j);
  std::string arn = in.Str("ResourceARN", true, 1, 1011);
  std::string token = Token(in);
  int max = static_cast<int>(in.Int("MaxResults", 75, std::numeric_limits<int>::max()).value_or(1000));
  TARN_RETURN_IF_ERROR(in.Finish());
  return service_->ListTagsForResource(arn, token, max);
}

}  // namespace tarn::athena
