#include "services/athena/athena_api.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>
#include <type_traits>

namespace tarn::athena {

namespace asio = boost::asio;
using aws::Json;

namespace {

constexpr size_t kNoMax = std::numeric_limits<size_t>::max();

// Collects the model violations of one request, as Athena's front end
// reports them ("1 validation error detected: Value 'x' at 'workGroup'
// failed to satisfy constraint: ..."); a wrong JSON type is
// SerializationException.
class Checker {
 public:
  explicit Checker(const Json& j) : j_(j) {}

  const Json* Find(std::string_view member) {
    auto it = j_.find(std::string(member));
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }

  std::string Str(std::string_view member, bool required, size_t min = 0, size_t max = kNoMax,
                  std::vector<std::string_view> one_of = {}) {
    const Json* v = Find(member);
    if (!v) {
      if (required) Violation("null", member, "Member must not be null");
      return "";
    }
    if (!v->is_string()) {
      TypeError(member, "a string");
      return "";
    }
    std::string s = v->get<std::string>();
    if (s.size() < min)
      Violation(s, member, "Member must have length greater than or equal to " + std::to_string(min));
    if (s.size() > max)
      Violation(s.substr(0, 64), member,
                "Member must have length less than or equal to " + std::to_string(max));
    if (!one_of.empty() && std::find(one_of.begin(), one_of.end(), s) == one_of.end()) {
      std::string set;
      for (std::string_view o : one_of) set += (set.empty() ? "" : ", ") + std::string(o);
      Violation(s, member, "Member must satisfy enum value set: [" + set + "]");
    }
    return s;
  }

  // A WorkGroupName: [a-zA-Z0-9._-]{1,128}; `dflt` when absent.
  std::string WorkGroup(std::string_view member, bool required, std::string dflt = "primary") {
    std::string s = Str(member, required, 1, 128);
    if (s.empty()) return Find(member) ? s : dflt;
    for (char c : s) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
        Violation(s, member, "Member must satisfy regular expression pattern: [a-zA-Z0-9._-]{1,128}");
        break;
      }
    }
    return s;
  }

  std::optional<int64_t> Int(std::string_view member, int64_t min, int64_t max) {
    const Json* v = Find(member);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) {
      TypeError(member, "an integer");
      return std::nullopt;
    }
    int64_t n = v->get<int64_t>();
    if (n < min)
      Violation(std::to_string(n), member,
                "Member must have value greater than or equal to " + std::to_string(min));
    if (n > max)
      Violation(std::to_string(n), member,
                "Member must have value less than or equal to " + std::to_string(max));
    return n;
  }

  std::optional<bool> Bool(std::string_view member) {
    const Json* v = Find(member);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) {
      TypeError(member, "a boolean");
      return std::nullopt;
    }
    return v->get<bool>();
  }

  const Json* Struct(std::string_view member) {
    const Json* v = Find(member);
    if (v && !v->is_object()) {
      TypeError(member, "a structure");
      return nullptr;
    }
    return v;
  }

  std::vector<std::string> StrList(std::string_view member, bool required, size_t min, size_t max,
                                   size_t each_min, size_t each_max) {
    std::vector<std::string> out;
    const Json* v = Find(member);
    if (!v) {
      if (required) Violation("null", member, "Member must not be null");
      return out;
    }
    if (!v->is_array()) {
      TypeError(member, "a list");
      return out;
    }
    if (v->size() < min || v->size() > max) {
      Violation("[...]", member,
                "Member must have length between " + std::to_string(min) + " and " +
                    (max == kNoMax ? std::string("unbounded") : std::to_string(max)));
    }
    for (const Json& e : *v) {
      if (!e.is_string()) {
        TypeError(member, "a list of strings");
        return {};
      }
      std::string s = e.get<std::string>();
      if (s.size() < each_min || s.size() > each_max) {
        Violation(s.substr(0, 64), member,
                  "Member must have length between " + std::to_string(each_min) + " and " +
                      std::to_string(each_max));
      }
      out.push_back(std::move(s));
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
      if (key.empty() || key.size() > 128)
        Violation(key, member, "Tag keys must have length between 1 and 128");
      if (value.size() > 256)
        Violation(value.substr(0, 64), member, "Tag values must have length at most 256");
      tags[key] = value;
    }
    if (tags.size() > 50) Violation("[...]", member, "A resource may have at most 50 tags");
    return tags;
  }

  void Violation(const std::string& value, std::string_view member, const std::string& constraint) {
    std::string path(member);
    if (!path.empty()) path[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(path[0])));
    errors_.push_back("Value '" + value + "' at '" + path + "' failed to satisfy constraint: " +
                      constraint);
  }

  // Takes a nested structure's findings.
  void Absorb(const Checker& sub) {
    errors_.insert(errors_.end(), sub.errors_.begin(), sub.errors_.end());
    if (serialization_.ok()) serialization_ = sub.serialization_;
  }

  Status Finish() const {
    if (!serialization_.ok()) return serialization_;
    if (errors_.empty()) return Status::OK();
    std::string msg = std::to_string(errors_.size()) + " validation error" +
                      (errors_.size() == 1 ? "" : "s") + " detected: ";
    for (size_t i = 0; i < errors_.size() && i < 10; ++i) msg += (i ? "; " : "") + errors_[i];
    return InvalidArgument(std::move(msg), "InvalidRequestException");
  }

 private:
  void TypeError(std::string_view member, const char* expected) {
    if (serialization_.ok()) {
      serialization_ = InvalidArgument(
          "Member " + std::string(member) + " must be " + expected + ".", "SerializationException");
    }
  }

  const Json& j_;
  std::vector<std::string> errors_;
  Status serialization_;
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
void CheckConfiguration(Checker& in, const Json* config) {
  if (!config) return;
  Checker c(*config);
  c.Bool("EnforceWorkGroupConfiguration");
  c.Bool("PublishCloudWatchMetricsEnabled");
  c.Bool("RequesterPaysEnabled");
  c.Bool("RemoveBytesScannedCutoffPerQuery");
  c.Int("BytesScannedCutoffPerQuery", 10'000'000, std::numeric_limits<int64_t>::max());
  for (const char* result : {"ResultConfiguration", "ResultConfigurationUpdates"}) {
    if (const Json* r = c.Struct(result)) {
      Checker rc(*r);
      std::string out = rc.Str("OutputLocation", false, 0, 1024);
      if (!out.empty() && out.rfind("s3://", 0) != 0)
        rc.Violation(out, "OutputLocation", "Member must be an s3:// location");
      if (const Json* enc = rc.Struct("EncryptionConfiguration")) {
        Checker ec(*enc);
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
    Checker c(*ctx);
    q.database = c.Str("Database", false, 1, 255);
    q.catalog = c.Str("Catalog", false, 1, 256);
    TARN_RETURN_IF_ERROR(c.Finish());
  }
  if (const Json* rc = in.Struct("ResultConfiguration")) {
    Checker c(*rc);
    q.output_location = c.Str("OutputLocation", false, 0, 1024);
    if (!q.output_location.empty() && q.output_location.rfind("s3://", 0) != 0)
      c.Violation(q.output_location, "OutputLocation", "Member must be an s3:// location");
    if (const Json* enc = c.Struct("EncryptionConfiguration")) {
      Checker e(*enc);
      e.Str("EncryptionOption", true, 0, kNoMax, {"SSE_S3", "SSE_KMS", "CSE_KMS"});
      e.Str("KmsKey", false);
      TARN_RETURN_IF_ERROR(e.Finish());
      q.encryption = *enc;
    }
    TARN_RETURN_IF_ERROR(c.Finish());
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
  CheckConfiguration(in, config);
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
  CheckConfiguration(in, updates);
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
  std::string s = in.Str(member, true, 1, 256);
  bool ok = !s.empty() && (std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_');
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '@' && c != ':') ok = false;
  }
  if (!s.empty() && !ok)
    in.Violation(s, member, "Member must satisfy regular expression pattern: [a-zA-Z_][a-zA-Z0-9_@:]{1,256}");
  return s;
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
