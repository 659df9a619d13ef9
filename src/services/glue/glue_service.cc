#include "services/glue/glue_service.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <regex>
#include <tuple>

#include "aws/json_protocol.h"
#include "common/encoding.h"
#include "services/glue/glue_validate.h"
#include "services/glue/partition_expression.h"

namespace tarn::glue {

namespace {

constexpr std::string_view kLakeFormationDefaultPrincipal = "IAM_ALLOWED_PRINCIPALS";

Status EntityNotFound(std::string message) {
  return NotFound(std::move(message), "EntityNotFoundException");
}

std::string DatabaseNameOf(const Json& input) {
  auto it = input.find("Name");
  return it != input.end() && it->is_string() ? it->get<std::string>() : "";
}

// Stored timestamps (epoch millis) back to wire timestamps.
void RenderTime(Json& doc, const char* member) {
  auto it = doc.find(member);
  if (it != doc.end() && it->is_number_integer()) *it = aws::MakeTimestamp(it->get<int64_t>());
}

// NextTokens are opaque to clients: the last key of the page, base64.
std::string MakeToken(std::string_view after) { return Base64Encode(after); }

Result<std::string> ReadToken(const std::string& token) {
  if (token.empty()) return std::string();
  auto after = Base64Decode(token);
  if (!after || after->empty())
    return InvalidInput("Invalid NextToken: it was not returned by this operation.");
  return *after;
}

Json ErrorDetail(const Status& st) {
  std::string code = st.aws_code().empty() ? aws::JsonErrorCode(st) : st.aws_code();
  return Json{{"ErrorCode", code}, {"ErrorMessage", st.message()}};
}

std::vector<PartitionKey> KeysOf(const Json& table_input) {
  std::vector<PartitionKey> keys;
  auto it = table_input.find("PartitionKeys");
  if (it == table_input.end() || !it->is_array()) return keys;
  for (const Json& col : *it) {
    PartitionKey k;
    if (auto n = col.find("Name"); n != col.end() && n->is_string()) k.name = n->get<std::string>();
    if (auto t = col.find("Type"); t != col.end() && t->is_string()) k.type = t->get<std::string>();
    keys.push_back(std::move(k));
  }
  return keys;
}

std::vector<std::string> ValuesOf(const Json& partition_input) {
  std::vector<std::string> values;
  auto it = partition_input.find("Values");
  if (it == partition_input.end() || !it->is_array()) return values;
  for (const Json& v : *it) {
    if (v.is_string()) values.push_back(v.get<std::string>());
  }
  return values;
}

bool ContainsIgnoreCase(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
  return it != hay.end();
}

// SearchTables' "fuzzy" name match: the field split on punctuation into
// tokens, one of which must equal the value (case-insensitively).
bool TokenMatches(std::string_view field, std::string_view value) {
  std::string token;
  auto flush = [&]() {
    bool hit = !token.empty() && LowerName(token) == LowerName(value);
    token.clear();
    return hit;
  };
  for (char c : field) {
    if (std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80) {
      token.push_back(c);
    } else if (flush()) {
      return true;
    }
  }
  return flush() || LowerName(field) == LowerName(value);
}

std::string StringMember(const Json& doc, const char* member) {
  auto it = doc.find(member);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

std::string EncodePartitionKey(const std::vector<std::string>& values) {
  return Json(values).dump();
}

std::vector<std::string> DecodePartitionKey(std::string_view key) {
  std::vector<std::string> values;
  Json j = Json::parse(key, nullptr, false);
  if (!j.is_array()) return values;
  for (const Json& v : j) values.push_back(v.is_string() ? v.get<std::string>() : "");
  return values;
}

Result<std::function<bool(const std::string&)>> CompileTableNamePattern(
    const std::string& pattern) {
  if (pattern.empty())
    return std::function<bool(const std::string&)>([](const std::string&) { return true; });
  // Hive's convention, which Glue follows: '*' alone is "any run", '|'
  // separates alternatives; the rest is a regular expression that must
  // match the whole name, case-insensitively.
  std::string regex;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '*' && (i == 0 || pattern[i - 1] != '.')) {
      regex += ".*";
    } else {
      regex.push_back(pattern[i]);
    }
  }
  try {
    auto re = std::make_shared<std::regex>(regex, std::regex::ECMAScript | std::regex::icase);
    return std::function<bool(const std::string&)>([re](const std::string& name) {
      try {
        return std::regex_match(name, *re);
      } catch (const std::regex_error&) {
        return false;  // too complex for this name: treat as no match
      }
    });
  } catch (const std::regex_error& e) {
    return InvalidInput("Expression '" + pattern +
                        "' is not a valid table name pattern: " + e.what());
  }
}

struct GlueService::TableInfo {
  TableRow row;
  Json input;
  std::vector<PartitionKey> keys;
};

GlueService::GlueService(storage::MetaStore* meta, ServiceOptions options)
    : meta_(meta), options_(std::move(options)), store_(meta, options_.limits) {}

Status GlueService::Start() { return store_.Migrate(); }

Status GlueService::CheckCatalog(const std::string& catalog_id) const {
  if (catalog_id.empty() || catalog_id == options_.account_id) return Status::OK();
  bool account_like =
      catalog_id.size() == 12 && std::all_of(catalog_id.begin(), catalog_id.end(),
                                             [](char c) { return c >= '0' && c <= '9'; });
  if (account_like) {
    return PermissionDenied(
        "Cross-account access is not allowed: this server serves the catalog of account " +
            options_.account_id + ", not " + catalog_id + ".",
        "AccessDeniedException");
  }
  return EntityNotFound("Catalog " + catalog_id + " not found.");
}

std::string GlueService::DatabaseArn(const std::string& db) const {
  return "arn:aws:glue:" + options_.region + ":" + options_.account_id + ":database/" + db;
}

std::string GlueService::TableArn(const std::string& db, const std::string& table) const {
  return "arn:aws:glue:" + options_.region + ":" + options_.account_id + ":table/" + db + "/" +
         table;
}

// --- Databases -------------------------------------------------------------------

Json GlueService::RenderDatabase(const DatabaseRow& row) const {
  Json db = Json::parse(row.input, nullptr, false);
  if (!db.is_object()) db = Json::object();
  db["Name"] = row.name;
  db["CreateTime"] = aws::MakeTimestamp(row.create_ms);
  db["CatalogId"] = options_.account_id;
  if (!db.contains("CreateTableDefaultPermissions")) {
    // What Glue reports for a catalog not governed by Lake Formation.
    db["CreateTableDefaultPermissions"] = Json::array(
        {Json{{"Principal", Json{{"DataLakePrincipalIdentifier", kLakeFormationDefaultPrincipal}}},
              {"Permissions", Json::array({"ALL"})}}});
  }
  return db;
}

Status GlueService::CreateDatabase(const Json& input, const Tags& tags) {
  DatabaseRow row;
  row.name = DatabaseNameOf(input);
  row.input = input.dump();
  row.create_ms = options_.clock->Now();
  row.tags = tags;
  return store_.CreateDatabase(row);
}

Result<Json> GlueService::GetDatabase(const std::string& name) {
  TARN_ASSIGN_OR_RETURN(DatabaseRow row, store_.GetDatabase(name));
  return Json{{"Database", RenderDatabase(row)}};
}

Result<Json> GlueService::GetDatabases(const std::string& next_token, int max_results) {
  TARN_ASSIGN_OR_RETURN(std::string after, ReadToken(next_token));
  // One more than asked says whether another page follows.
  TARN_ASSIGN_OR_RETURN(std::vector<DatabaseRow> rows,
                        store_.ListDatabases(after, max_results + 1));
  Json list = Json::array();
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(max_results); ++i) {
    list.push_back(RenderDatabase(rows[i]));
  }
  Json out{{"DatabaseList", std::move(list)}};
  if (rows.size() > static_cast<size_t>(max_results))
    out["NextToken"] = MakeToken(rows[max_results - 1].name);
  return out;
}

Status GlueService::UpdateDatabase(const std::string& name, const Json& input) {
  if (DatabaseNameOf(input) != name) {
    return InvalidInput("DatabaseInput.Name '" + DatabaseNameOf(input) + "' differs from Name '" +
                        name + "': Glue databases cannot be renamed.");
  }
  return store_.UpdateDatabase(name, input.dump());
}

Status GlueService::DeleteDatabase(const std::string& name) { return store_.DeleteDatabase(name); }

// --- Tables ----------------------------------------------------------------------

Json GlueService::RenderTable(const TableRow& row, const std::string& input, int64_t version,
                              UnixMillis update_ms) const {
  Json t = Json::parse(input, nullptr, false);
  if (!t.is_object()) t = Json::object();
  RenderTime(t, "LastAccessTime");
  RenderTime(t, "LastAnalyzedTime");
  t["Name"] = row.name;
  t["DatabaseName"] = row.database;
  t["CreateTime"] = aws::MakeTimestamp(row.create_ms);
  t["UpdateTime"] = aws::MakeTimestamp(update_ms);
  if (!t.contains("Retention")) t["Retention"] = 0;
  if (!t.contains("PartitionKeys")) t["PartitionKeys"] = Json::array();
  t["IsRegisteredWithLakeFormation"] = false;
  t["CatalogId"] = options_.account_id;
  t["VersionId"] = std::to_string(version);
  return t;
}

Result<GlueService::TableInfo> GlueService::LoadTable(const std::string& db,
                                                      const std::string& table) {
  TableInfo info;
  TARN_ASSIGN_OR_RETURN(info.row, store_.GetTable(db, table));
  info.input = Json::parse(info.row.input, nullptr, false);
  if (!info.input.is_object()) info.input = Json::object();
  info.keys = KeysOf(info.input);
  return info;
}

Status GlueService::CreateTable(const std::string& db, const Json& input) {
  TableRow row;
  row.database = db;
  row.name = StringMember(input, "Name");
  row.input = input.dump();
  row.create_ms = options_.clock->Now();
  row.update_ms = row.create_ms;
  row.version = 0;
  return store_.CreateTable(row);
}

Result<Json> GlueService::GetTable(const std::string& db, const std::string& name) {
  TARN_ASSIGN_OR_RETURN(TableRow row, store_.GetTable(db, name));
  return Json{{"Table", RenderTable(row, row.input, row.version, row.update_ms)}};
}

Result<Json> GlueService::GetTables(const std::string& db, const std::string& expression,
                                    const std::string& next_token, int max_results) {
  TARN_ASSIGN_OR_RETURN(auto matches, CompileTableNamePattern(expression));
  TARN_ASSIGN_OR_RETURN(std::string after, ReadToken(next_token));
  Json list = Json::array();
  std::string last;
  bool more = false;
  TARN_RETURN_IF_ERROR(store_.ScanTables(db, after, [&](const TableRow& row) {
    if (!matches(row.name)) return true;
    if (list.size() == static_cast<size_t>(max_results)) {
      more = true;
      return false;
    }
    list.push_back(RenderTable(row, row.input, row.version, row.update_ms));
    last = row.name;
    return true;
  }));
  Json out{{"TableList", std::move(list)}};
  if (more) out["NextToken"] = MakeToken(last);
  return out;
}

Status GlueService::UpdateTable(const std::string& db, const Json& input,
                                const std::string& version_id, bool skip_archive) {
  std::string name = StringMember(input, "Name");
  std::optional<int64_t> expected;
  if (!version_id.empty()) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(version_id.data(), version_id.data() + version_id.size(), v);
    if (ec != std::errc() || p != version_id.data() + version_id.size()) {
      return InvalidInput("VersionId '" + version_id + "' is not a version of table " + name + ".");
    }
    expected = v;
  }
  TARN_ASSIGN_OR_RETURN(TableInfo current, LoadTable(db, name));
  // Changing the partition keys of a table with partitions would strand
  // them (their values no longer line up): Glue refuses it too.
  if (KeysOf(input).size() != current.keys.size()) {
    bool has_partitions = false;
    TARN_RETURN_IF_ERROR(store_.ScanPartitions(db, name, "", 0, 1, [&](const PartitionCursor&) {
      has_partitions = true;
      return false;
    }));
    if (has_partitions) {
      return InvalidInput("Table " + name +
                          " has partitions: its number of partition keys cannot change.");
    }
  }
  return store_.UpdateTable(db, name, input.dump(), expected, skip_archive, options_.clock->Now())
      .status();
}

Status GlueService::DeleteTable(const std::string& db, const std::string& name) {
  return store_.DeleteTable(db, name);
}

Result<Json> GlueService::BatchDeleteTable(const std::string& db,
                                           const std::vector<std::string>& names) {
  TARN_RETURN_IF_ERROR(store_.GetDatabase(db).status());
  Json errors = Json::array();
  for (const std::string& name : names) {
    Status st = store_.DeleteTable(db, name);
    if (st.code() == Code::kNotFound) {
      errors.push_back(Json{{"TableName", name}, {"ErrorDetail", ErrorDetail(st)}});
    } else if (!st.ok()) {
      return st;
    }
  }
  return Json{{"Errors", std::move(errors)}};
}

namespace {

Result<int64_t> ParseVersion(const std::string& id, const std::string& table) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
  if (ec != std::errc() || p != id.data() + id.size() || v < 0) {
    return InvalidInput("VersionId '" + id + "' is not a version of table " + table +
                        ": version ids are whole numbers.");
  }
  return v;
}

}  // namespace

Result<Json> GlueService::GetTableVersions(const std::string& db, const std::string& table,
                                           const std::string& next_token, int max_results) {
  TARN_ASSIGN_OR_RETURN(std::string after, ReadToken(next_token));
  std::optional<int64_t> below;
  if (!after.empty()) {
    TARN_ASSIGN_OR_RETURN(int64_t v, ParseVersion(after, table));
    below = v;
  }
  TARN_ASSIGN_OR_RETURN(TableRow row, store_.GetTable(db, table));
  TARN_ASSIGN_OR_RETURN(auto versions, store_.ListVersions(db, table, below, max_results + 1));
  Json list = Json::array();
  for (size_t i = 0; i < versions.size() && i < static_cast<size_t>(max_results); ++i) {
    const TableVersionRow& v = versions[i];
    list.push_back(Json{{"Table", RenderTable(row, v.input, v.version, v.update_ms)},
                        {"VersionId", std::to_string(v.version)}});
  }
  Json out{{"TableVersions", std::move(list)}};
  if (versions.size() > static_cast<size_t>(max_results)) {
    out["NextToken"] = MakeToken(std::to_string(versions[max_results - 1].version));
  }
  return out;
}

Result<Json> GlueService::GetTableVersion(const std::string& db, const std::string& table,
                                          const std::string& version_id) {
  TARN_ASSIGN_OR_RETURN(TableRow row, store_.GetTable(db, table));
  int64_t version = row.version;
  if (!version_id.empty()) {
    TARN_ASSIGN_OR_RETURN(version, ParseVersion(version_id, table));
  }
  TARN_ASSIGN_OR_RETURN(TableVersionRow v, store_.GetVersion(db, table, version));
  return Json{{"TableVersion", Json{{"Table", RenderTable(row, v.input, v.version, v.update_ms)},
                                    {"VersionId", std::to_string(v.version)}}}};
}

Status GlueService::DeleteTableVersion(const std::string& db, const std::string& table,
                                       const std::string& version_id) {
  TARN_ASSIGN_OR_RETURN(int64_t version, ParseVersion(version_id, table));
  return store_.DeleteVersion(db, table, version);
}

Result<Json> GlueService::BatchDeleteTableVersion(const std::string& db, const std::string& table,
                                                  const std::vector<std::string>& version_ids) {
  TARN_RETURN_IF_ERROR(store_.GetTable(db, table).status());
  Json errors = Json::array();
  for (const std::string& id : version_ids) {
    Result<int64_t> version = ParseVersion(id, table);
    Status st = version.ok() ? store_.DeleteVersion(db, table, *version) : version.status();
    if (st.code() == Code::kNotFound || st.code() == Code::kInvalidArgument) {
      errors.push_back(
          Json{{"TableName", table}, {"VersionId", id}, {"ErrorDetail", ErrorDetail(st)}});
    } else if (!st.ok()) {
      return st;
    }
  }
  return Json{{"Errors", std::move(errors)}};
}

namespace {

// Everything SearchText looks at: names, description, owner, columns and
// their comments, partition keys, parameters.
bool TextMatches(const TableRow& row, const Json& input, const std::string& text) {
  if (ContainsIgnoreCase(row.name, text) || ContainsIgnoreCase(row.database, text)) return true;
  for (const char* m : {"Description", "Owner", "TableType"}) {
    if (ContainsIgnoreCase(StringMember(input, m), text)) return true;
  }
  auto columns_match = [&](const Json* list) {
    if (!list || !list->is_array()) return false;
    for (const Json& col : *list) {
      for (const char* m : {"Name", "Comment", "Type"}) {
        if (ContainsIgnoreCase(StringMember(col, m), text)) return true;
      }
    }
    return false;
  };
  if (auto sd = input.find("StorageDescriptor"); sd != input.end() && sd->is_object()) {
    if (auto cols = sd->find("Columns"); cols != sd->end() && columns_match(&*cols)) return true;
    if (ContainsIgnoreCase(StringMember(*sd, "Location"), text)) return true;
  }
  if (auto pk = input.find("PartitionKeys"); pk != input.end() && columns_match(&*pk)) return true;
  if (auto params = input.find("Parameters"); params != input.end() && params->is_object()) {
    for (auto it = params->begin(); it != params->end(); ++it) {
      if (ContainsIgnoreCase(it.key(), text)) return true;
      if (it.value().is_string() && ContainsIgnoreCase(it.value().get<std::string>(), text))
        return true;
    }
  }
  return false;
}

bool CompareHolds(const std::string& comparator, double a, double b) {
  if (comparator == "GREATER_THAN") return a > b;
  if (comparator == "LESS_THAN") return a < b;
  if (comparator == "GREATER_THAN_EQUALS") return a >= b;
  if (comparator == "LESS_THAN_EQUALS") return a <= b;
  return a == b;
}

bool FilterMatches(const TableRow& row, const Json& input, const SearchFilter& f) {
  if (f.key == "DatabaseName") return LowerName(row.database) == LowerName(f.value);
  if (f.key == "Name" || f.key == "TableName") return TokenMatches(row.name, f.value);
  if (f.key == "Description") return TokenMatches(StringMember(input, "Description"), f.value);
  if (f.key == "Owner" || f.key == "TableType")
    return StringMember(input, f.key.c_str()) == f.value;
  if (f.key == "CreateTime" || f.key == "UpdateTime") {
    // Values are epoch seconds, as the console sends them.
    char* end = nullptr;
    double v = std::strtod(f.value.c_str(), &end);
    if (end == f.value.c_str()) return false;
    double t = static_cast<double>(f.key == "CreateTime" ? row.create_ms : row.update_ms) / 1000.0;
    return CompareHolds(f.comparator, t, v);
  }
  auto params = input.find("Parameters");
  if (params == input.end() || !params->is_object()) return false;
  auto it = params->find(f.key);
  return it != params->end() && it->is_string() && it->get<std::string>() == f.value;
}

}  // namespace

Result<Json> GlueService::SearchTables(const std::string& text,
                                       const std::vector<SearchFilter>& filters,
                                       const std::string& sort_field, bool descending,
                                       const std::string& next_token, int max_results) {
  TARN_ASSIGN_OR_RETURN(std::string offset_text, ReadToken(next_token));
  size_t offset = 0;
  if (!offset_text.empty()) {
    auto [p, ec] =
        std::from_chars(offset_text.data(), offset_text.data() + offset_text.size(), offset);
    if (ec != std::errc())
      return InvalidInput("Invalid NextToken: it was not returned by SearchTables.");
  }
  // A quoted text asks for an exact match of a name.
  bool exact = text.size() >= 2 && text.front() == '"' && text.back() == '"';
  std::string needle = exact ? text.substr(1, text.size() - 2) : text;
  std::vector<TableRow> hits;
  TARN_RETURN_IF_ERROR(store_.ScanAllTables([&](const TableRow& row) {
    Json input = Json::parse(row.input, nullptr, false);
    if (!input.is_object()) return true;
    bool text_ok = exact ? (LowerName(row.name) == LowerName(needle) ||
                            LowerName(row.database) == LowerName(needle))
                         : TextMatches(row, input, needle);
    if (!text_ok) return true;
    for (const SearchFilter& f : filters) {
      if (!FilterMatches(row, input, f)) return true;
    }
    hits.push_back(row);
    return true;
  }));
  auto key = [&](const TableRow& r) -> std::tuple<int64_t, std::string, std::string> {
    if (sort_field == "CreateTime") return {r.create_ms, r.database, r.name};
    if (sort_field == "UpdateTime") return {r.update_ms, r.database, r.name};
    if (sort_field == "Name" || sort_field == "TableName") return {0, r.name, r.database};
    return {0, r.database, r.name};
  };
  std::stable_sort(hits.begin(), hits.end(), [&](const TableRow& a, const TableRow& b) {
    return descending ? key(b) < key(a) : key(a) < key(b);
  });
  Json list = Json::array();
  size_t end = std::min(hits.size(), offset + static_cast<size_t>(max_results));
  for (size_t i = offset; i < end; ++i) {
    list.push_back(RenderTable(hits[i], hits[i].input, hits[i].version, hits[i].update_ms));
  }
  Json out{{"TableList", std::move(list)}};
  if (end < hits.size()) out["NextToken"] = MakeToken(std::to_string(end));
  return out;
}

// --- Partitions ------------------------------------------------------------------

Result<std::string> GlueService::PartitionKeyOf(const TableInfo& table,
                                                const std::vector<std::string>& values) const {
  if (values.size() != table.keys.size()) {
    return InvalidInput("The number of partition values (" + std::to_string(values.size()) +
                        ") does not match the number of partition keys of table " + table.row.name +
                        " (" + std::to_string(table.keys.size()) + ").");
  }
  return EncodePartitionKey(values);
}

Json GlueService::RenderPartition(const std::string& db, const std::string& table,
                                  std::string_view input, UnixMillis create_ms,
                                  bool exclude_columns) const {
  Json p = Json::parse(input, nullptr, false);
  if (!p.is_object()) p = Json::object();
  RenderTime(p, "LastAccessTime");
  RenderTime(p, "LastAnalyzedTime");
  p["DatabaseName"] = db;
  p["TableName"] = table;
  p["CreationTime"] = aws::MakeTimestamp(create_ms);
  p["CatalogId"] = options_.account_id;
  if (exclude_columns) {
    if (auto sd = p.find("StorageDescriptor"); sd != p.end() && sd->is_object())
      sd->erase("Columns");
  }
  return p;
}

Status GlueService::CreatePartition(const std::string& db, const std::string& table,
                                    const Json& input) {
  TARN_ASSIGN_OR_RETURN(Json errors, BatchCreatePartition(db, table, {input}));
  const Json& list = errors["Errors"];
  if (list.empty()) return Status::OK();
  const Json& detail = list[0]["ErrorDetail"];
  std::string code = detail.value("ErrorCode", "InternalServiceException");
  std::string message = detail.value("ErrorMessage", "");
  Code kind = code == "AlreadyExistsException"                 ? Code::kAlreadyExists
              : code == "ResourceNumberLimitExceededException" ? Code::kResourceExhausted
                                                               : Code::kInvalidArgument;
  return Status(kind, message, code);
}

Result<Json> GlueService::BatchCreatePartition(const std::string& db, const std::string& table,
                                               const std::vector<Json>& inputs) {
  TARN_ASSIGN_OR_RETURN(TableInfo info, LoadTable(db, table));
  Json errors = Json::array();
  std::vector<PartitionRow> rows;
  std::vector<std::vector<std::string>> row_values;
  UnixMillis now = options_.clock->Now();
  for (const Json& input : inputs) {
    std::vector<std::string> values = ValuesOf(input);
    Result<std::string> key = PartitionKeyOf(info, values);
    if (!key.ok()) {
      errors.push_back(
          Json{{"PartitionValues", values}, {"ErrorDetail", ErrorDetail(key.status())}});
      continue;
    }
    rows.push_back(PartitionRow{*key, input.dump(), now});
    row_values.push_back(std::move(values));
  }
  // Two entries of one request with the same values: the second is a duplicate.
  TARN_ASSIGN_OR_RETURN(std::vector<Status> results, store_.CreatePartitions(db, table, rows));
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok()) {
      errors.push_back(
          Json{{"PartitionValues", row_values[i]}, {"ErrorDetail", ErrorDetail(results[i])}});
    }
  }
  return Json{{"Errors", std::move(errors)}};
}

Result<Json> GlueService::GetPartition(const std::string& db, const std::string& table,
                                       const std::vector<std::string>& values) {
  TARN_ASSIGN_OR_RETURN(TableInfo info, LoadTable(db, table));
  TARN_ASSIGN_OR_RETURN(std::string key, PartitionKeyOf(info, values));
  TARN_ASSIGN_OR_RETURN(PartitionRow row, store_.GetPartition(db, table, key));
  return Json{{"Partition", RenderPartition(db, table, row.input, row.create_ms, false)}};
}

Result<Json> GlueService::GetPartitions(const std::string& db, const std::string& table,
                                        const PartitionQuery& q) {
  TARN_ASSIGN_OR_RETURN(TableInfo info, LoadTable(db, table));
  TARN_ASSIGN_OR_RETURN(PartitionPredicate predicate,
                        PartitionPredicate::Compile(q.expression, info.keys));
  if (q.total_segments < 1 || q.segment < 0 || q.segment >= q.total_segments) {
    return InvalidInput("SegmentNumber " + std::to_string(q.segment) +
                        " is not below TotalSegments " + std::to_string(q.total_segments) + ".");
  }
  TARN_ASSIGN_OR_RETURN(std::string after, ReadToken(q.next_token));
  Json list = Json::array();
  std::string last;
  bool more = false;
  TARN_RETURN_IF_ERROR(store_.ScanPartitions(
      db, table, after, q.segment, q.total_segments, [&](const PartitionCursor& p) {
        if (!predicate.MatchesAll() && !predicate.Matches(DecodePartitionKey(p.key()))) return true;
        if (list.size() == static_cast<size_t>(q.max_results)) {
          more = true;  // a match beyond this page: there is a next one
          return false;
        }
        list.push_back(
            RenderPartition(db, table, p.input(), p.create_ms(), q.exclude_column_schema));
        last = std::string(p.key());
        return true;
      }));
  Json out{{"Partitions", std::move(list)}};
  if (more) out["NextToken"] = MakeToken(last);
  return out;
}

Result<Json> GlueService::BatchGetPartition(const std::string& db, const std::string& table,
                                            const std::vector<std::vector<std::string>>& keys) {
  TARN_ASSIGN_OR_RETURN(TableInfo info, LoadTable(db, table));
  Json partitions = Json::array();
  for (const auto& values : keys) {
    TARN_ASSIGN_OR_RETURN(std::string key, PartitionKeyOf(info, values));
    Result<PartitionRow> row = store_.GetPartition(db, table, key);
    if (row.ok()) {
      partitions.push_back(RenderPartition(db, table, row->input, row->create_ms, false));
    } else if (row.status().code() != Code::kNotFound) {
      return row.status();
    }
  }
  // Every key is processed at once: tarn never throttles a batch.
  return Json{{"Partitions", std::move(partitions)}, {"UnprocessedKeys", Json::array()}};
}

Status GlueService::UpdatePartition(const std::string& db, const std::string& table,
                                    const std::vector<std::string>& values, const Json& input) {
  TARN_ASSIGN_OR_RETURN(TableInfo info, LoadTable(db, table));
  TARN_ASSIGN_OR_RETURN(std::string key, PartitionKeyOf(info, values));
  Json stored = input;
  std::string new_key = key;
  if (input.contains("Values")) {
    TARN_ASSIGN_OR_RETURN(new_key, PartitionKeyOf(info, ValuesOf(input)));
  } else {
    stored["Values"] = values;
  }
  return store_.UpdatePartition(db, table, key, new_key, stored.dump());
}

Result<Json> GlueService::BatchUpdatePartition(
    const std::string& db, const std::string& table,
    const std::vector<std::pair<std::vector<std::string>, Json>>& entries) {
  TARN_RETURN_IF_ERROR(LoadTable(db, table).status());
  Json errors = Json::array();
  for (const auto& [values, input] : entries) {
    Status st = UpdatePartition(db, table, values, input);
    if (st.code() == Code::kNotFound || st.code() == Code::kAlreadyExists ||
        st.code() == Code::kInvalidArgument) {
      errors.push_back(Json{{"PartitionValueList", values}, {"ErrorDetail", ErrorDetail(st)}});
    } else if (!st.ok()) {
      return st;
    }
  }
  return Json{{"Errors", std::move(errors)}};
}

Status GlueService::DeletePartition(const std::string& db, const std::string& table,
                                    const std::vector<std::string>& values) {
  TARN_ASSIGN_OR_RETURN(TableInfo info, LoadTable(db, table));
  TARN_ASSIGN_OR_RETURN(std::string key, PartitionKeyOf(info, values));
  TARN_ASSIGN_OR_RETURN(std::vector<Status> results, store_.DeletePartitions(db, table, {key}));
  return results[0];
}

Result<Json> GlueService::BatchDeletePartition(const std::string& db, const std::string& table,
                                               const std::vector<std::vector<std::string>>& keys) {
  TARN_ASSIGN_OR_RETURN(TableInfo info, LoadTable(db, table));
  Json errors = Json::array();
  std::vector<std::string> encoded;
  std::vector<const std::vector<std::string>*> originals;
  for (const auto& values : keys) {
    Result<std::string> key = PartitionKeyOf(info, values);
    if (!key.ok()) {
      errors.push_back(
          Json{{"PartitionValues", values}, {"ErrorDetail", ErrorDetail(key.status())}});
      continue;
    }
    encoded.push_back(*key);
    originals.push_back(&values);
  }
  TARN_ASSIGN_OR_RETURN(std::vector<Status> results, store_.DeletePartitions(db, table, encoded));
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok()) {
      errors.push_back(
          Json{{"PartitionValues", *originals[i]}, {"ErrorDetail", ErrorDetail(results[i])}});
    }
  }
  return Json{{"Errors", std::move(errors)}};
}

// --- Column statistics -----------------------------------------------------------

namespace {

// The statistics document as Glue returns it: stored millis and base64
// back to timestamps and blobs.
Json RenderStatistics(std::string_view stored) {
  Json s = Json::parse(stored, nullptr, false);
  if (!s.is_object()) return Json::object();
  RenderTime(s, "AnalyzedTime");
  auto data = s.find("StatisticsData");
  if (data == s.end() || !data->is_object()) return s;
  if (auto d = data->find("DateColumnStatisticsData"); d != data->end() && d->is_object()) {
    RenderTime(*d, "MinimumValue");
    RenderTime(*d, "MaximumValue");
  }
  if (auto d = data->find("DecimalColumnStatisticsData"); d != data->end() && d->is_object()) {
    for (const char* m : {"MinimumValue", "MaximumValue"}) {
      auto v = d->find(m);
      if (v == d->end() || !v->is_object()) continue;
      auto u = v->find("UnscaledValue");
      if (u != v->end() && u->is_string()) {
        *u = aws::MakeBlob(Base64Decode(u->get<std::string>()).value_or(""));
      }
    }
  }
  return s;
}

// Names of the table's data columns (statistics are kept for these).
std::vector<std::string> DataColumns(const Json& input) {
  std::vector<std::string> names;
  auto sd = input.find("StorageDescriptor");
  if (sd == input.end() || !sd->is_object()) return names;
  auto cols = sd->find("Columns");
  if (cols == sd->end() || !cols->is_array()) return names;
  for (const Json& c : *cols) names.push_back(StringMember(c, "Name"));
  return names;
}

}  // namespace

Result<Json> GlueService::UpdateColumnStatistics(const std::string& db, const std::string& table,
                                                 const std::vector<std::string>* values,
                                                 const std::vector<Json>& stats) {
  TARN_ASSIGN_OR_RETURN(TableInfo info, LoadTable(db, table));
  std::string pkey;
  if (values) {
    TARN_ASSIGN_OR_RETURN(pkey, PartitionKeyOf(info, *values));
  }
  std::vector<std::string> columns = DataColumns(info.input);
  Json errors = Json::array();
  std::vector<std::pair<std::string, std::string>> good;
  for (const Json& s : stats) {
    std::string column = StringMember(s, "ColumnName");
    bool known = std::any_of(columns.begin(), columns.end(), [&](const std::string& c) {
      return LowerName(c) == LowerName(column);
    });
    if (!known) {
      Status st = EntityNotFound("Column " + column + " not found in table " + table + ".");
      errors.push_back(
          Json{{"ColumnStatistics", RenderStatistics(s.dump())}, {"Error", ErrorDetail(st)}});
      continue;
    }
    // Column names match case-insensitively, as Hive's do.
    good.emplace_back(LowerName(column), s.dump());
  }
  if (!good.empty()) TARN_RETURN_IF_ERROR(store_.PutColumnStatistics(db, table, pkey, good));
  return Json{{"Errors", std::move(errors)}};
}

Result<Json> GlueService::GetColumnStatistics(const std::string& db, const std::string& table,
                                              const std::vector<std::string>* values,
                                              const std::vector<std::string>& columns) {
  TARN_ASSIGN_OR_RETURN(TableInfo info, LoadTable(db, table));
  std::string pkey;
  if (values) {
    TARN_ASSIGN_OR_RETURN(pkey, PartitionKeyOf(info, *values));
  }
  std::vector<std::string> keys;
  for (const std::string& c : columns) keys.push_back(LowerName(c));
  TARN_ASSIGN_OR_RETURN(auto found, store_.GetColumnStatistics(db, table, pkey, keys));
  Json list = Json::array();
  Json errors = Json::array();
  for (const std::string& c : columns) {
    auto it = found.find(LowerName(c));
    if (it != found.end()) {
      list.push_back(RenderStatistics(it->second));
    } else {
      Status st = EntityNotFound("No statistics for column " + c + ".");
      errors.push_back(Json{{"ColumnName", c}, {"Error", ErrorDetail(st)}});
    }
  }
  return Json{{"ColumnStatisticsList", std::move(list)}, {"Errors", std::move(errors)}};
}

Status GlueService::DeleteColumnStatistics(const std::string& db, const std::string& table,
                                           const std::vector<std::string>* values,
                                           const std::string& column) {
  TARN_ASSIGN_OR_RETURN(TableInfo info, LoadTable(db, table));
  std::string pkey;
  if (values) {
    TARN_ASSIGN_OR_RETURN(pkey, PartitionKeyOf(info, *values));
    TARN_RETURN_IF_ERROR(store_.GetPartition(db, table, pkey).status());
  }
  return store_.DeleteColumnStatistics(db, table, pkey, LowerName(column));
}

// --- Tags ------------------------------------------------------------------------

Result<std::pair<std::string, std::string>> GlueService::ResolveArn(const std::string& arn) const {
  // arn:<partition>:glue:<region>:<account>:<resource>
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    size_t colon = arn.find(':', start);
    if (colon == std::string::npos)
      return InvalidInput("ResourceArn '" + arn + "' is not a Glue ARN.");
    parts.push_back(std::string_view(arn).substr(start, colon - start));
    start = colon + 1;
  }
  std::string_view resource = std::string_view(arn).substr(start);
  if (parts[0] != "arn" || parts[2] != "glue")
    return InvalidInput("ResourceArn '" + arn + "' is not a Glue ARN.");
  if (parts[3] != options_.region || parts[4] != options_.account_id) {
    return EntityNotFound("Resource " + arn + " not found: this server is region " +
                          options_.region + ", account " + options_.account_id + ".");
  }
  if (resource.substr(0, 9) == "database/" && resource.size() > 9) {
    return std::make_pair(LowerName(resource.substr(9)), std::string());
  }
  if (resource.substr(0, 6) == "table/") {
    std::string_view rest = resource.substr(6);
    size_t slash = rest.find('/');
    if (slash != std::string_view::npos && slash > 0 && slash + 1 < rest.size()) {
      return std::make_pair(LowerName(rest.substr(0, slash)), LowerName(rest.substr(slash + 1)));
    }
  }
  return InvalidInput("ResourceArn '" + arn +
                      "': tarn tags Glue databases (database/<name>), tables "
                      "(table/<database>/<name>) and crawlers (crawler/<name>) only.");
}

Status GlueService::TagResource(const std::string& arn, const Tags& tags) {
  TARN_ASSIGN_OR_RETURN(auto target, ResolveArn(arn));
  return store_.ChangeTags(target.first, target.second, tags, {});
}

Status GlueService::UntagResource(const std::string& arn, const std::vector<std::string>& keys) {
  TARN_ASSIGN_OR_RETURN(auto target, ResolveArn(arn));
  return store_.ChangeTags(target.first, target.second, {}, keys);
}

Result<Tags> GlueService::GetTags(const std::string& arn) {
  TARN_ASSIGN_OR_RETURN(auto target, ResolveArn(arn));
  return store_.GetTags(target.first, target.second);
}

}  // namespace tarn::glue
