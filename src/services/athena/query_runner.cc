#include "services/athena/query_runner.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <optional>
#include <set>

#include "common/encoding.h"
#include "query/hive_type.h"
#include "query/schema_inference.h"

#include "services/athena/ddl.h"
#include "services/athena/dialect.h"
#include "services/glue/glue_validate.h"

namespace tarn::athena {

namespace {

using Json = nlohmann::json;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.back())) || s.back() == ';')) {
    s.remove_suffix(1);
  }
  return s;
}

// The statement's words, lowercased, quotes removed: enough to tell its kind
// and, for SHOW / DESCRIBE, its target.
std::vector<std::string> Words(std::string_view sql) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < sql.size()) {
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
    size_t start = i;
    while (i < sql.size() && !std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
    if (i > start) {
      std::string w;
      for (char c : sql.substr(start, i - start)) {
        if (c != '"' && c != '`' && c != '\'') w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      out.push_back(w);
    }
  }
  return out;
}

std::string SqlString(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string Ident(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// s3://bucket/prefix -> bucket and "prefix/" (or "").
bool SplitS3(std::string_view url, std::string* bucket, std::string* prefix) {
  for (std::string_view scheme : {"s3://", "s3a://", "s3n://"}) {
    if (url.substr(0, scheme.size()) != scheme) continue;
    url.remove_prefix(scheme.size());
    const size_t slash = url.find('/');
    *bucket = std::string(url.substr(0, slash));
    *prefix = slash == std::string_view::npos ? "" : std::string(url.substr(slash + 1));
    if (!prefix->empty() && prefix->back() != '/') *prefix += '/';
    return !bucket->empty();
  }
  return false;
}

// Files a table reads: everything under its folder but hidden files and
// Spark's / Hadoop's markers.
bool Hidden(std::string_view rel) {
  size_t start = 0;
  while (start <= rel.size()) {
    size_t slash = rel.find('/', start);
    std::string_view part = rel.substr(start, slash == std::string_view::npos ? std::string_view::npos
                                                                               : slash - start);
    if (!part.empty() && (part[0] == '.' || part[0] == '_')) return true;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return false;
}

// --- The catalog ------------------------------------------------------------------------

// A view as Athena stores it in Glue: ViewOriginalText is
// "/* Presto View: <base64 of {"originalSql": ..., ...}> */".
constexpr std::string_view kViewPrefix = "/* Presto View: ";
constexpr std::string_view kViewSuffix = " */";

std::string ViewText(const std::string& sql, const std::string& db, const Json& columns) {
  Json view = {{"originalSql", sql}, {"catalog", "awsdatacatalog"}, {"schema", db},
               {"columns", columns}};
  return std::string(kViewPrefix) + Base64Encode(view.dump()) + std::string(kViewSuffix);
}

Result<std::string> ViewSql(const Json& table) {
  const std::string original = table.value("ViewOriginalText", "");
  std::string_view text = original;
  if (text.substr(0, kViewPrefix.size()) != kViewPrefix || text.size() < kViewPrefix.size() + kViewSuffix.size()) {
    return InvalidArgument("view " + table.value("Name", "") + " is not a Presto view");
  }
  text = text.substr(kViewPrefix.size(), text.size() - kViewPrefix.size() - kViewSuffix.size());
  std::optional<std::string> decoded = Base64Decode(text);
  Json view = decoded ? Json::parse(*decoded, nullptr, false) : Json();
  if (!view.is_object() || !view["originalSql"].is_string()) {
    return InvalidArgument("view " + table.value("Name", "") + " has a malformed definition");
  }
  return TranslateDialect(view["originalSql"].get<std::string>());
}

class GlueCatalog : public query::Catalog {
 public:
  GlueCatalog(glue::GlueService* glue, query::Lake* lake, std::string database)
      : glue_(glue), lake_(lake), database_(std::move(database)) {}

  Result<std::string> TableSql(std::string_view database, std::string_view table) override {
    const std::string db = glue::LowerName(database.empty() ? database_ : database);
    Result<Json> got = glue_->GetTable(db, glue::LowerName(table));
    if (!got.ok()) {
      if (got.status().aws_code() == "EntityNotFoundException") {
        return NotFound("no table " + db + "." + std::string(table));
      }
      return got.status();
    }
    const Json& t = (*got)["Table"];
    if (t.value("TableType", "") == "VIRTUAL_VIEW") return ViewSql(t);
    const Json& sd = t.value("StorageDescriptor", Json::object());
    std::vector<std::pair<std::string, std::string>> columns;
    for (const Json& c : sd.value("Columns", Json::array())) {
      columns.emplace_back(c.value("Name", ""), query::DuckDbType(c.value("Type", "string")));
    }
    std::vector<std::string> keys;
    for (const Json& k : t.value("PartitionKeys", Json::array())) keys.push_back(k.value("Name", ""));
    Format format = FormatOf(t, sd);

    std::vector<std::string> selects;
    if (keys.empty()) {
      TARN_ASSIGN_OR_RETURN(std::string read, Read(format, sd.value("Location", ""), columns));
      if (!read.empty()) selects.push_back("SELECT " + Projection(columns) + " FROM " + read);
    } else {
      glue::PartitionQuery q;
      do {
        TARN_ASSIGN_OR_RETURN(Json page, glue_->GetPartitions(db, glue::LowerName(table), q));
        for (const Json& p : page.value("Partitions", Json::array())) {
          const std::string loc = p.value("StorageDescriptor", Json::object()).value("Location", "");
          TARN_ASSIGN_OR_RETURN(std::string read, Read(format, loc, columns));
          if (read.empty()) continue;
          std::string select = "SELECT " + Projection(columns);
          const std::vector<std::string> values = p.value("Values", std::vector<std::string>{});
          for (size_t i = 0; i < keys.size(); ++i) {
            select += ", " + (i < values.size() ? SqlString(values[i]) : std::string("NULL")) +
                      "::VARCHAR AS " + Ident(keys[i]);
          }
          selects.push_back(select + " FROM " + read);
        }
        q.next_token = page.value("NextToken", "");
      } while (!q.next_token.empty());
    }
    if (selects.empty()) {
      // No files: the table's columns and no rows.
      std::string select = "SELECT ";
      bool first = true;
      for (const auto& [name, type] : columns) {
        select += (first ? "" : ", ") + std::string("NULL::") + type + " AS " + Ident(name);
        first = false;
      }
      for (const std::string& k : keys) {
        select += (first ? "" : ", ") + std::string("NULL::VARCHAR AS ") + Ident(k);
        first = false;
      }
      return select + " LIMIT 0";
    }
    std::string sql;
    for (size_t i = 0; i < selects.size(); ++i) sql += (i ? " UNION ALL " : "") + selects[i];
    return sql;
  }

 private:
  struct Format {
    std::string kind;  // csv, json, parquet
    char delimiter = ',';
    int skip_header = 0;
  };

  static Format FormatOf(const Json& t, const Json& sd) {
    Format f;
    const Json& params = t.value("Parameters", Json::object());
    const Json& serde = sd.value("SerdeInfo", Json::object());
    const std::string lib = serde.value("SerializationLibrary", "");
    const std::string input = sd.value("InputFormat", "");
    f.kind = Lower(params.value("classification", ""));
    if (f.kind.empty()) {
      if (lib.find("Parquet") != std::string::npos || input.find("Parquet") != std::string::npos) {
        f.kind = "parquet";
      } else if (lib.find("Json") != std::string::npos || lib.find("json") != std::string::npos) {
        f.kind = "json";
      } else {
        f.kind = "csv";
      }
    }
    const Json& sp = serde.value("Parameters", Json::object());
    std::string delim = sp.value("field.delim", sp.value("separatorChar", params.value("delimiter", ",")));
    if (!delim.empty()) f.delimiter = delim[0];
    const std::string skip = params.value("skip.header.line.count", "0");
    f.skip_header = std::atoi(skip.c_str());
    return f;
  }

  static std::string Projection(const std::vector<std::pair<std::string, std::string>>& columns) {
    std::string out;
    for (const auto& [name, type] : columns) {
      out += (out.empty() ? "" : ", ") + Ident(name) + "::" + type + " AS " + Ident(name);
    }
    return out.empty() ? "*" : out;
  }

  // read_csv / read_json / read_parquet over the files under `location`;
  // "" when there are none.
  Result<std::string> Read(const Format& f, const std::string& location,
                           const std::vector<std::pair<std::string, std::string>>& columns) {
    std::string bucket, prefix;
    if (!SplitS3(location, &bucket, &prefix)) {
      return InvalidArgument("table location '" + location + "' is not an s3:// path");
    }
    std::string files;
    Status listed = lake_->List(bucket, prefix, [&](const query::Lake::Entry& e) {
      if (e.size == 0 || e.key.back() == '/' || Hidden(std::string_view(e.key).substr(prefix.size()))) {
        return true;
      }
      files += (files.empty() ? "" : ", ") + SqlString("s3://" + bucket + "/" + e.key);
      return true;
    });
    if (!listed.ok() && listed.code() != Code::kNotFound) return listed;
    if (files.empty()) return std::string();
    std::string struct_columns;
    for (const auto& [name, type] : columns) {
      struct_columns += (struct_columns.empty() ? "" : ", ") + SqlString(name) + ": " + SqlString(type);
    }
    const std::string list = "[" + files + "]";
    if (f.kind == "parquet") {
      return "read_parquet(" + list + ", hive_partitioning = false, union_by_name = true)";
    }
    if (f.kind == "json") {
      return "read_json(" + list + ", hive_partitioning = false, format = 'newline_delimited'" +
             (struct_columns.empty() ? "" : ", columns = {" + struct_columns + "}") + ")";
    }
    return "read_csv(" + list + ", hive_partitioning = false, delim = " +
           SqlString(std::string(1, f.delimiter)) + ", header = " +
           (f.skip_header > 0 ? "true" : "false") +
           (struct_columns.empty() ? "" : ", columns = {" + struct_columns + "}") + ")";
  }

  glue::GlueService* glue_;
  query::Lake* lake_;
  std::string database_;
};

// What one query reads from the lake, up to its workgroup's
// BytesScannedCutoffPerQuery: DataScannedInBytes.
std::shared_ptr<query::ScanMeter> NewScanMeter(const QueryRequest& request) {
  auto scan = std::make_shared<query::ScanMeter>();
  scan->limit = request.bytes_scanned_cutoff;
  return scan;
}

// A query that read past its cutoff is cancelled, as Athena cancels it;
// otherwise `st` stands.
Status ScanFailure(const query::ScanMeter& scan, Status st) {
  if (!scan.exceeded()) return st;
  return Status(Code::kAborted, std::string(kBytesScannedLimitExceeded) +
                                    ": the query read more than the workgroup's "
                                    "BytesScannedCutoffPerQuery of " +
                                    std::to_string(scan.limit) + " bytes");
}

// --- Results --------------------------------------------------------------------------

struct Output {
  std::string bucket;
  std::string prefix;
};

Status PutText(s3::S3Service* s3, const std::string& bucket, const std::string& key,
               std::string_view body, const std::string& content_type) {
  TARN_ASSIGN_OR_RETURN(std::unique_ptr<s3::BodySink> sink, s3->NewBody(""));
  TARN_RETURN_IF_ERROR(sink->Append(body));
  s3::PutObjectInput in;
  in.bucket = bucket;
  in.key = key;
  in.headers.content_type = content_type;
  return s3->PutObject(std::move(in), std::move(sink)).status();
}

Json MetadataJson(const std::vector<ResultColumn>& columns) {
  Json list = Json::array();
  for (const ResultColumn& c : columns) {
    list.push_back(Json{{"Name", c.name}, {"Type", c.type}, {"Precision", c.precision},
                        {"Scale", c.scale}, {"Nullable", c.nullable ? "UNKNOWN" : "NOT_NULL"}});
  }
  return Json{{"ColumnInfo", std::move(list)}};
}

// A result made by tarn itself (SHOW, DESCRIBE): one varchar column, as
// Athena writes utility results, a .txt of one value per line.
Result<QueryOutcome> WriteLines(s3::S3Service* s3, const Output& out, const std::string& id,
                                const std::string& column, const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  QueryOutcome o;
  o.statement_type = "UTILITY";
  o.columns.push_back(ResultColumn{column, "varchar", 2147483647, 0, true});
  o.rows = static_cast<int64_t>(lines.size());
  const std::string key = out.prefix + id + ".txt";
  TARN_RETURN_IF_ERROR(PutText(s3, out.bucket, key, text, "text/plain"));
  TARN_RETURN_IF_ERROR(PutText(s3, out.bucket, key + ".metadata", MetadataJson(o.columns).dump(),
                               "application/json"));
  o.result_location = "s3://" + out.bucket + "/" + key;
  return o;
}

Status Unsupported(std::string_view what) {
  return InvalidArgument(std::string(what) +
                         " is not supported by tarn's Athena yet: SELECT, WITH, VALUES, EXPLAIN, "
                         "SHOW DATABASES, SHOW TABLES, SHOW PARTITIONS and DESCRIBE are");
}

}  // namespace

Result<std::string> BindParameters(std::string_view sql, const std::vector<std::string>& values) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {  // a literal or quoted identifier, copied whole
      size_t j = i + 1;
      while (j < sql.size() && !(sql[j] == c && (j + 1 >= sql.size() || sql[j + 1] != c))) {
        j += sql[j] == c ? 2 : 1;
      }
      out.append(sql.substr(i, j - i + 1));
      i = j;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const size_t end = sql.find('\n', i);
      out.append(sql.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i));
      if (end == std::string_view::npos) break;
      i = end - 1;
    } else if (c == '?') {
      if (next == values.size()) {
        return InvalidArgument("the query has more ? placeholders than ExecutionParameters (" +
                               std::to_string(values.size()) + ")");
      }
      out += values[next++];
    } else {
      out += c;
    }
  }
  if (next != values.size()) {
    return InvalidArgument("ExecutionParameters has " + std::to_string(values.size()) +
                           " values for " + std::to_string(next) + " ? placeholders");
  }
  return out;
}

ResultColumn AthenaColumn(const std::string& name, std::string_view duckdb_type) {
  ResultColumn c;
  c.name = name;
  const std::string t(Trim(duckdb_type));
  auto is = [&](const char* p) { return t == p; };
  if (!t.empty() && t.back() == ']') {
    c.type = "array";
  } else if (t.rfind("STRUCT", 0) == 0) {
    c.type = "row";
  } else if (t.rfind("MAP", 0) == 0) {
    c.type = "map";
  } else if (t.rfind("DECIMAL", 0) == 0) {
    c.type = "decimal";
    std::sscanf(t.c_str(), "DECIMAL(%d,%d)", &c.precision, &c.scale);
  } else if (is("BIGINT") || is("UBIGINT") || is("UINTEGER")) {
    c.type = "bigint";
    c.precision = 19;
  } else if (is("INTEGER") || is("USMALLINT")) {
    c.type = "integer";
    c.precision = 10;
  } else if (is("SMALLINT") || is("UTINYINT")) {
    c.type = "smallint";
    c.precision = 5;
  } else if (is("TINYINT")) {
    c.type = "tinyint";
    c.precision = 3;
  } else if (is("HUGEINT") || is("UHUGEINT")) {
    c.type = "decimal";
    c.precision = 38;
  } else if (is("DOUBLE")) {
    c.type = "double";
    c.precision = 17;
  } else if (is("FLOAT")) {
    c.type = "float";
    c.precision = 17;
  } else if (is("BOOLEAN")) {
    c.type = "boolean";
  } else if (is("DATE")) {
    c.type = "date";
  } else if (t.rfind("TIMESTAMP", 0) == 0) {
    c.type = "timestamp";
    c.precision = 3;
  } else if (is("BLOB")) {
    c.type = "varbinary";
  } else {
    c.type = "varchar";
    c.precision = 2147483647;
  }
  return c;
}

namespace {

// "k=v/k2=v2/" folders under a table's location, for MSCK REPAIR TABLE.
std::vector<std::vector<std::string>> HivePartitions(const std::vector<std::string>& keys,
                                                     std::string_view rel_key) {
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> values;
  size_t start = 0;
  for (const std::string& k : keys) {
    const size_t slash = rel_key.find('/', start);
    if (slash == std::string_view::npos) return out;
    std::string_view part = rel_key.substr(start, slash - start);
    if (part.substr(0, k.size() + 1) != k + "=") return out;
    values.emplace_back(part.substr(k.size() + 1));
    start = slash + 1;
  }
  out.push_back(std::move(values));
  return out;
}

Status IgnoreIf(bool ignore, const Status& st, std::string_view code) {
  if (ignore && st.aws_code() == code) return Status::OK();
  return st;
}

}  // namespace

// Writes `query`'s rows as Parquet under `location` (s3://.../ ending in
// '/'), partitioned by `keys` (the query's last columns), into files named
// after `name`. Returns the rows written.
Result<int64_t> LakeQueryRunner::WriteParquet(const std::string& query, const std::string& db,
                                              const std::string& location,
                                              const std::vector<std::string>& keys,
                                              const std::string& name, const std::string& compression,
                                              const std::atomic<bool>& stop,
                                              const std::shared_ptr<query::ScanMeter>& scan) {
  TARN_ASSIGN_OR_RETURN(query::QueryEngine * engine, deps_.engine());
  GlueCatalog catalog(deps_.glue, deps_.lake, db);
  query::CsvOptions options;
  options.catalog = &catalog;
  options.database = db;
  options.stop = &stop;
  options.scan = scan;
  std::string copy = "COPY (" + query + ") TO ";
  if (keys.empty()) {
    copy += SqlString(location + name + ".parquet") + " (FORMAT parquet, COMPRESSION " + compression + ")";
  } else {
    std::string by;
    for (const std::string& k : keys) by += (by.empty() ? "" : ", ") + Ident(k);
    copy += SqlString(location.substr(0, location.size() - 1)) + " (FORMAT parquet, COMPRESSION " +
            compression + ", PARTITION_BY (" + by + "), FILENAME_PATTERN " + SqlString(name + "_{i}") +
            ", OVERWRITE_OR_IGNORE true)";
  }
  std::string answer;
  Result<query::CsvSummary> copied =
      engine->ExecuteToCsv(copy, options, [&](std::string_view chunk) {
        answer += chunk;
        return Status::OK();
      });
  if (!copied.ok()) return ScanFailure(*scan, copied.status());
  // COPY answers one row: the count, quoted ("Count"\n"30"\n).
  const size_t nl = answer.find('\n');
  std::string count = nl == std::string::npos ? "" : answer.substr(nl + 1);
  count.erase(std::remove_if(count.begin(), count.end(), [](char c) { return c == '"' || c == '\n'; }),
              count.end());
  return count.empty() ? 0 : std::stoll(count);
}

// Registers the partitions that exist under a table's location.
Status LakeQueryRunner::AddFoundPartitions(const std::string& db, const std::string& table,
                                           const std::vector<std::string>& keys, const Json& sd,
                                           const std::string& location) {
  std::string bucket, prefix;
  if (!SplitS3(location, &bucket, &prefix)) return InvalidArgument("'" + location + "' is not s3://");
  std::set<std::vector<std::string>> found;
  TARN_RETURN_IF_ERROR(deps_.lake->List(bucket, prefix, [&](const query::Lake::Entry& e) {
    for (auto& v : HivePartitions(keys, std::string_view(e.key).substr(prefix.size()))) found.insert(v);
    return true;
  }));
  std::vector<Json> inputs;
  for (const auto& values : found) {
    std::string loc = location;
    for (size_t i = 0; i < keys.size(); ++i) loc += keys[i] + "=" + values[i] + "/";
    Json psd = sd;
    psd["Location"] = loc;
    inputs.push_back(Json{{"Values", values}, {"StorageDescriptor", psd}});
  }
  for (size_t i = 0; i < inputs.size(); i += 100) {
    std::vector<Json> batch(inputs.begin() + i, inputs.begin() + std::min(inputs.size(), i + 100));
    TARN_ASSIGN_OR_RETURN(Json r, deps_.glue->BatchCreatePartition(db, table, batch));
    for (const Json& e : r.value("Errors", Json::array())) {
      if (e.value("ErrorDetail", Json::object()).value("ErrorCode", "") != "AlreadyExistsException") {
        return Internal("partition not added: " + e.dump());
      }
    }
  }
  return Status::OK();
}

Result<QueryOutcome> LakeQueryRunner::CreateTableAs(const Ddl& d, const QueryRequest& request,
                                                    const std::string& current_db,
                                                    const std::atomic<bool>& stop) {
  const std::string db = d.database.empty() ? current_db : d.database;
  QueryOutcome o;
  o.statement_type = "DDL";
  auto prop = [&](const char* k, const std::string& fallback) {
    auto it = d.properties.find(k);
    return it == d.properties.end() ? fallback : it->second;
  };
  const std::string format = Lower(prop("format", "parquet"));
  if (format != "parquet") {
    return InvalidArgument("CTAS with format '" + format + "' is not supported by tarn's Athena yet: PARQUET is");
  }
  std::string compression = Lower(prop("write_compression", prop("parquet_compression", "snappy")));
  if (compression == "none") compression = "uncompressed";
  if (deps_.glue->GetTable(db, d.name).ok()) {
    if (d.if_exists) return o;
    return Status(Code::kInvalidArgument, "Table " + db + "." + d.name + " already exists",
                  "AlreadyExistsException");
  }
  std::string location = prop("external_location", "");
  if (location.empty()) location = request.output_location + "tables/" + request.query_execution_id + "/";
  if (location.back() != '/') location += '/';
  std::string bucket, prefix;
  if (!SplitS3(location, &bucket, &prefix)) return InvalidArgument("external_location '" + location + "' is not s3://");
  bool occupied = false;
  Status listed = deps_.lake->List(bucket, prefix, [&](const query::Lake::Entry&) {
    occupied = true;
    return false;
  });
  if (!listed.ok()) return listed;
  if (occupied) {
    return InvalidArgument("HIVE_PATH_ALREADY_EXISTS: Target directory for table '" + db + "." + d.name +
                           "' already exists: " + location);
  }
  std::vector<std::string> keys;
  const std::string by = prop("partitioned_by", "");
  for (size_t start = 0; start < by.size();) {
    size_t comma = by.find(',', start);
    if (comma == std::string::npos) comma = by.size();
    keys.push_back(by.substr(start, comma - start));
    start = comma + 1;
  }

  // The query's columns: planned and run with no rows.
  TARN_ASSIGN_OR_RETURN(std::string query, TranslateDialect(d.view_sql));
  TARN_ASSIGN_OR_RETURN(query::QueryEngine * engine, deps_.engine());
  GlueCatalog catalog(deps_.glue, deps_.lake, db);
  query::CsvOptions options;
  options.catalog = &catalog;
  options.database = db;
  options.stop = &stop;
  TARN_ASSIGN_OR_RETURN(query::CsvSummary shape,
                        engine->ExecuteToCsv("SELECT * FROM (" + query + ") LIMIT 0", options,
                                             [](std::string_view) { return Status::OK(); }));
  if (keys.size() >= shape.columns.size()) {
    return InvalidArgument("a CTAS table needs a column that is not a partition key");
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string& last = shape.columns[shape.columns.size() - keys.size() + i].name;
    if (Lower(last) != keys[i]) {
      return InvalidArgument("partitioned_by columns must be the query's last columns, in order: expected " +
                             keys[i] + ", found " + last);
    }
  }
  std::shared_ptr<query::ScanMeter> scan = NewScanMeter(request);
  TARN_ASSIGN_OR_RETURN(o.rows, WriteParquet(query, db, location, keys, request.query_execution_id,
                                             compression, stop, scan));
  o.data_scanned_bytes = scan->bytes;

  Json columns = Json::array(), partition_keys = Json::array();
  for (size_t i = 0; i < shape.columns.size(); ++i) {
    Json c = {{"Name", Lower(shape.columns[i].name)}, {"Type", query::HiveType(shape.columns[i].type)}};
    (i + keys.size() < shape.columns.size() ? columns : partition_keys).push_back(std::move(c));
  }
  Json sd = {{"Columns", columns},
             {"Location", location},
             {"InputFormat", "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"},
             {"OutputFormat", "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"},
             {"Compressed", compression != "uncompressed"},
             {"SerdeInfo", {{"SerializationLibrary", "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
                            {"Parameters", {{"serialization.format", "1"}}}}}};
  Json input = {{"Name", d.name},
                {"TableType", "EXTERNAL_TABLE"},
                {"PartitionKeys", partition_keys},
                {"StorageDescriptor", sd},
                {"Parameters", {{"classification", "parquet"}, {"has_encrypted_data", "false"},
                                {"parquet.compression", Upper(compression)}}}};
  TARN_RETURN_IF_ERROR(deps_.glue->CreateTable(db, input));
  if (!keys.empty()) TARN_RETURN_IF_ERROR(AddFoundPartitions(db, d.name, keys, sd, location));
  return o;
}

Result<QueryOutcome> LakeQueryRunner::InsertInto(std::string_view sql, const std::string& current_db,
                                                 const QueryRequest& request, const std::atomic<bool>& stop) {
  // INSERT INTO [db.]t [(columns)] <query>
  const std::vector<std::string> words = Words(sql);
  if (words.size() < 4 || words[1] != "into") return InvalidArgument("expected INSERT INTO table <query>");
  std::string name = words[2], db = current_db;
  if (const size_t dot = name.find('.'); dot != std::string::npos) {
    db = name.substr(0, dot);
    name = name.substr(dot + 1);
  }
  if (const size_t paren = name.find('('); paren != std::string::npos) name = name.substr(0, paren);
  // The query: everything from the first SELECT / WITH / VALUES on.
  const std::string lower = Lower(sql);
  size_t at = std::string::npos;
  for (const char* kw : {"select", "with", "values"}) {
    for (size_t p = lower.find(kw); p != std::string::npos; p = lower.find(kw, p + 1)) {
      const bool word_start = p == 0 || !std::isalnum(static_cast<unsigned char>(lower[p - 1]));
      const size_t e = p + std::strlen(kw);
      const bool word_end = e >= lower.size() || !std::isalnum(static_cast<unsigned char>(lower[e]));
      if (word_start && word_end) {
        at = std::min(at, p);
        break;
      }
    }
  }
  if (at == std::string::npos) return InvalidArgument("INSERT INTO needs a query (SELECT, WITH or VALUES)");
  TARN_ASSIGN_OR_RETURN(std::string query, TranslateDialect(sql.substr(at)));
  TARN_ASSIGN_OR_RETURN(Json got, deps_.glue->GetTable(glue::LowerName(db), glue::LowerName(name)));
  const Json& table = got["Table"];
  const Json& params = table.value("Parameters", Json::object());
  if (Lower(params.value("classification", "")) != "parquet") {
    return InvalidArgument("INSERT INTO writes Parquet: table " + db + "." + name + " is " +
                           params.value("classification", "not Parquet"));
  }
  Json sd = table.value("StorageDescriptor", Json::object());
  std::string location = sd.value("Location", "");
  if (!location.empty() && location.back() != '/') location += '/';
  std::vector<std::string> keys;
  for (const Json& k : table.value("PartitionKeys", Json::array())) keys.push_back(k.value("Name", ""));
  // The table's column order, whatever the query names its columns.
  std::string cols;
  std::vector<std::string> all;
  for (const Json& c : sd.value("Columns", Json::array())) all.push_back(c.value("Name", ""));
  for (const std::string& k : keys) all.push_back(k);
  for (size_t i = 0; i < all.size(); ++i) {
    cols += (i ? ", " : "") + std::string("column") + std::to_string(i) + " AS " + Ident(all[i]);
  }
  const std::string shaped = "SELECT " + cols + " FROM (" + query + ") AS q(" + [&] {
    std::string names;
    for (size_t i = 0; i < all.size(); ++i) names += (i ? ", " : "") + std::string("column") + std::to_string(i);
    return names;
  }() + ")";
  QueryOutcome o;
  o.statement_type = "DML";
  std::shared_ptr<query::ScanMeter> scan = NewScanMeter(request);
  TARN_ASSIGN_OR_RETURN(o.rows, WriteParquet(shaped, glue::LowerName(db), location, keys,
                                             "insert_" + request.query_execution_id, "snappy", stop,
                                             scan));
  o.data_scanned_bytes = scan->bytes;
  if (!keys.empty()) {
    TARN_RETURN_IF_ERROR(AddFoundPartitions(glue::LowerName(db), glue::LowerName(name), keys, sd, location));
  }
  return o;
}

Status LakeQueryRunner::ApplyDdl(const Ddl& d, const std::string& current_db,
                                 const std::atomic<bool>& stop) {
  glue::GlueService& glue = *deps_.glue;
  const std::string db = d.database.empty() ? current_db : d.database;
  switch (d.kind) {
    case Ddl::Kind::kCreateDatabase:
      return IgnoreIf(d.if_exists, glue.CreateDatabase(Json{{"Name", d.name}}, {}),
                      "AlreadyExistsException");
    case Ddl::Kind::kDropDatabase: {
      if (!d.cascade) {
        Result<Json> tables = glue.GetTables(d.name, "", "", 1);
        if (tables.ok() && !(*tables)["TableList"].empty()) {
          return InvalidArgument("database " + d.name + " is not empty: DROP DATABASE ... CASCADE drops its tables");
        }
      }
      return IgnoreIf(d.if_exists, glue.DeleteDatabase(d.name), "EntityNotFoundException");
    }
    case Ddl::Kind::kCreateTable:
      return IgnoreIf(d.if_exists, glue.CreateTable(db, d.table_input), "AlreadyExistsException");
    case Ddl::Kind::kDropTable:
    case Ddl::Kind::kDropView:
      return IgnoreIf(d.if_exists, glue.DeleteTable(db, d.name), "EntityNotFoundException");
    case Ddl::Kind::kCreateView: {
      TARN_ASSIGN_OR_RETURN(std::string translated, TranslateDialect(d.view_sql));
      TARN_ASSIGN_OR_RETURN(query::QueryEngine * engine, deps_.engine());
      GlueCatalog catalog(deps_.glue, deps_.lake, db);
      query::CsvOptions options;
      options.catalog = &catalog;
      options.database = db;
      options.stop = &stop;
      // The view's columns: its query, planned and run with no rows.
      TARN_ASSIGN_OR_RETURN(query::CsvSummary shape,
                            engine->ExecuteToCsv("SELECT * FROM (" + translated + ") LIMIT 0",
                                                 options, [](std::string_view) { return Status::OK(); }));
      Json columns = Json::array(), view_columns = Json::array();
      for (const query::ResultColumnType& c : shape.columns) {
        columns.push_back(Json{{"Name", c.name}, {"Type", query::HiveType(c.type)}});
        view_columns.push_back(Json{{"name", c.name}, {"type", AthenaColumn(c.name, c.type).type}});
      }
      Json input = {{"Name", d.name},
                    {"TableType", "VIRTUAL_VIEW"},
                    {"Parameters", {{"presto_view", "true"}, {"comment", "Presto View"}}},
                    {"PartitionKeys", Json::array()},
                    {"ViewOriginalText", ViewText(d.view_sql, db, view_columns)},
                    {"ViewExpandedText", "/* Presto View */"},
                    {"StorageDescriptor", {{"Columns", columns}, {"Location", ""},
                                           {"SerdeInfo", Json::object()}}}};
      Status created = glue.CreateTable(db, input);
      if (created.aws_code() != "AlreadyExistsException" || !d.or_replace) return created;
      TARN_ASSIGN_OR_RETURN(Json current, glue.GetTable(db, d.name));
      return glue.UpdateTable(db, input, current["Table"].value("VersionId", ""), false);
    }
    case Ddl::Kind::kCreateTableAs:
      return Internal("CTAS goes through CreateTableAs");
    case Ddl::Kind::kAddPartitions:
    case Ddl::Kind::kDropPartitions:
    case Ddl::Kind::kRepairTable:
      break;
  }
  // Partition statements: the table's keys and storage first.
  TARN_ASSIGN_OR_RETURN(Json got, glue.GetTable(db, d.name));
  const Json& table = got["Table"];
  std::vector<std::string> keys;
  for (const Json& k : table.value("PartitionKeys", Json::array())) keys.push_back(k.value("Name", ""));
  if (keys.empty()) return InvalidArgument("table " + db + "." + d.name + " is not partitioned");
  Json sd = table.value("StorageDescriptor", Json::object());
  std::string base = sd.value("Location", "");
  if (!base.empty() && base.back() != '/') base += '/';

  auto ordered = [&](const Ddl::Partition& p) -> Result<std::vector<std::string>> {
    std::vector<std::string> values;
    for (const std::string& k : keys) {
      auto it = std::find_if(p.values.begin(), p.values.end(),
                             [&](const auto& kv) { return Lower(kv.first) == k; });
      if (it == p.values.end()) return InvalidArgument("PARTITION is missing the key " + k);
      values.push_back(it->second);
    }
    if (p.values.size() != keys.size()) return InvalidArgument("PARTITION names keys the table does not have");
    return values;
  };
  auto input_for = [&](const std::vector<std::string>& values, std::string location) {
    if (location.empty()) {
      location = base;
      for (size_t i = 0; i < keys.size(); ++i) location += keys[i] + "=" + values[i] + "/";
    }
    Json psd = sd;
    psd["Location"] = location;
    return Json{{"Values", values}, {"StorageDescriptor", psd}};
  };

  std::vector<Json> inputs;
  if (d.kind == Ddl::Kind::kDropPartitions) {
    std::vector<std::vector<std::string>> values;
    for (const Ddl::Partition& p : d.partitions) {
      TARN_ASSIGN_OR_RETURN(std::vector<std::string> v, ordered(p));
      values.push_back(std::move(v));
    }
    TARN_ASSIGN_OR_RETURN(Json r, glue.BatchDeletePartition(db, d.name, values));
    if (!d.if_exists && !r.value("Errors", Json::array()).empty()) {
      return InvalidArgument("partition not found: " + r["Errors"][0].dump());
    }
    return Status::OK();
  }
  if (d.kind == Ddl::Kind::kAddPartitions) {
    for (const Ddl::Partition& p : d.partitions) {
      TARN_ASSIGN_OR_RETURN(std::vector<std::string> v, ordered(p));
      inputs.push_back(input_for(v, p.location));
    }
  } else {  // MSCK REPAIR TABLE: every k=v/... folder under the location
    std::string bucket, prefix;
    if (!SplitS3(base, &bucket, &prefix)) return InvalidArgument("table location '" + base + "' is not s3://");
    std::set<std::vector<std::string>> found;
    TARN_RETURN_IF_ERROR(deps_.lake->List(bucket, prefix, [&](const query::Lake::Entry& e) {
      for (auto& v : HivePartitions(keys, std::string_view(e.key).substr(prefix.size()))) found.insert(v);
      return !stop.load();
    }));
    for (const auto& v : found) inputs.push_back(input_for(v, ""));
  }
  for (size_t i = 0; i < inputs.size(); i += 100) {
    std::vector<Json> batch(inputs.begin() + i, inputs.begin() + std::min(inputs.size(), i + 100));
    TARN_ASSIGN_OR_RETURN(Json r, glue.BatchCreatePartition(db, d.name, batch));
    for (const Json& e : r.value("Errors", Json::array())) {
      const std::string code = e.value("ErrorDetail", Json::object()).value("ErrorCode", "");
      // Existing partitions are fine for MSCK and ADD IF NOT EXISTS.
      if (code == "AlreadyExistsException" && (d.if_exists || d.kind == Ddl::Kind::kRepairTable)) continue;
      return InvalidArgument("partition not added: " + e.dump());
    }
  }
  return Status::OK();
}

Result<QueryOutcome> LakeQueryRunner::Run(const QueryRequest& request, const std::atomic<bool>& stop) {
  Output out;
  if (!SplitS3(request.output_location, &out.bucket, &out.prefix)) {
    return InvalidArgument("the output location '" + request.output_location +
                           "' is not an s3://bucket/prefix/ path");
  }
  TARN_ASSIGN_OR_RETURN(std::string sql, BindParameters(Trim(request.sql), request.execution_parameters));
  const std::vector<std::string> words = Words(sql);
  if (words.empty()) return InvalidArgument("the query is empty");
  const std::string& first = words[0];
  const std::string db = glue::LowerName(request.database.empty() ? "default" : request.database);

  // Statements answered from the catalog.
  if (first == "show" && words.size() >= 2) {
    if (words[1] == "databases" || words[1] == "schemas") {
      std::vector<std::string> names;
      std::string token;
      do {
        TARN_ASSIGN_OR_RETURN(Json page, deps_.glue->GetDatabases(token, 1000));
        for (const Json& d : page.value("DatabaseList", Json::array())) names.push_back(d.value("Name", ""));
        token = page.value("NextToken", "");
      } while (!token.empty());
      return WriteLines(deps_.s3, out, request.query_execution_id, "database_name", names);
    }
    if (words[1] == "tables") {
      std::string in = db;
      if (words.size() >= 4 && (words[2] == "in" || words[2] == "from")) in = words[3];
      std::vector<std::string> names;
      std::string token;
      do {
        TARN_ASSIGN_OR_RETURN(Json page, deps_.glue->GetTables(in, "", token, 1000));
        for (const Json& t : page.value("TableList", Json::array())) names.push_back(t.value("Name", ""));
        token = page.value("NextToken", "");
      } while (!token.empty());
      return WriteLines(deps_.s3, out, request.query_execution_id, "tab_name", names);
    }
    if (words[1] == "partitions" && words.size() >= 3) {
      std::string table = words[2], in = db;
      if (const size_t dot = table.find('.'); dot != std::string::npos) {
        in = table.substr(0, dot);
        table = table.substr(dot + 1);
      }
      TARN_ASSIGN_OR_RETURN(Json t, deps_.glue->GetTable(in, table));
      std::vector<std::string> keys;
      for (const Json& k : t["Table"].value("PartitionKeys", Json::array())) keys.push_back(k.value("Name", ""));
      std::vector<std::string> lines;
      glue::PartitionQuery q;
      do {
        TARN_ASSIGN_OR_RETURN(Json page, deps_.glue->GetPartitions(in, table, q));
        for (const Json& p : page.value("Partitions", Json::array())) {
          const std::vector<std::string> values = p.value("Values", std::vector<std::string>{});
          std::string line;
          for (size_t i = 0; i < keys.size() && i < values.size(); ++i) {
            line += (i ? "/" : "") + keys[i] + "=" + values[i];
          }
          lines.push_back(line);
        }
        q.next_token = page.value("NextToken", "");
      } while (!q.next_token.empty());
      std::sort(lines.begin(), lines.end());
      return WriteLines(deps_.s3, out, request.query_execution_id, "partition", lines);
    }
    return Unsupported("SHOW " + Lower(words[1]));
  }
  if ((first == "describe" || first == "desc") && words.size() >= 2) {
    std::string table = words.back(), in = db;
    if (const size_t dot = table.find('.'); dot != std::string::npos) {
      in = table.substr(0, dot);
      table = table.substr(dot + 1);
    }
    TARN_ASSIGN_OR_RETURN(Json t, deps_.glue->GetTable(in, table));
    std::vector<std::string> lines;
    const Json& tt = t["Table"];
    for (const Json& c : tt.value("StorageDescriptor", Json::object()).value("Columns", Json::array())) {
      lines.push_back(c.value("Name", "") + "\t" + c.value("Type", ""));
    }
    for (const Json& k : tt.value("PartitionKeys", Json::array())) {
      lines.push_back(k.value("Name", "") + "\t" + k.value("Type", "") + "\tpartition key");
    }
    return WriteLines(deps_.s3, out, request.query_execution_id, "col_name", lines);
  }
  if (first == "insert") {
    TARN_ASSIGN_OR_RETURN(QueryOutcome o, InsertInto(sql, db, request, stop));
    const std::string key = out.prefix + request.query_execution_id + ".txt";
    TARN_RETURN_IF_ERROR(PutText(deps_.s3, out.bucket, key, "", "text/plain"));
    o.result_location = "s3://" + out.bucket + "/" + key;
    return o;
  }
  if (IsDdl(sql)) {
    TARN_ASSIGN_OR_RETURN(Ddl ddl, ParseDdl(sql));
    QueryOutcome o;
    if (ddl.kind == Ddl::Kind::kCreateTableAs) {
      TARN_ASSIGN_OR_RETURN(o, CreateTableAs(ddl, request, db, stop));
    } else {
      TARN_RETURN_IF_ERROR(ApplyDdl(ddl, db, stop));
    }
    o.statement_type = "DDL";
    const std::string key = out.prefix + request.query_execution_id + ".txt";
    TARN_RETURN_IF_ERROR(PutText(deps_.s3, out.bucket, key, "", "text/plain"));
    o.result_location = "s3://" + out.bucket + "/" + key;
    return o;
  }
  if (first != "select" && first != "with" && first != "values" && first != "explain" &&
      first != "(") {
    return Unsupported(Lower(first) == "create" && words.size() > 1 ? "CREATE " + Lower(words[1])
                                                                    : Lower(first));
  }

  TARN_ASSIGN_OR_RETURN(sql, TranslateDialect(sql));
  TARN_ASSIGN_OR_RETURN(query::QueryEngine * engine, deps_.engine());
  GlueCatalog catalog(deps_.glue, deps_.lake, db);
  query::CsvOptions options;
  options.catalog = &catalog;
  options.database = db;
  options.stop = &stop;
  options.trino_column_names = true;
  options.scan = NewScanMeter(request);
  TARN_ASSIGN_OR_RETURN(std::unique_ptr<s3::BodySink> body, deps_.s3->NewBody(""));
  const auto started = std::chrono::steady_clock::now();
  Result<query::CsvSummary> summary =
      engine->ExecuteToCsv(sql, options, [&](std::string_view chunk) { return body->Append(chunk); });
  if (!summary.ok()) return ScanFailure(*options.scan, summary.status());
  QueryOutcome o;
  o.data_scanned_bytes = options.scan->bytes;
  o.engine_execution_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
  o.statement_type = first == "explain" ? "UTILITY" : "DML";
  o.rows = summary->rows;
  for (const query::ResultColumnType& c : summary->columns) o.columns.push_back(AthenaColumn(c.name, c.type));
  const std::string key = out.prefix + request.query_execution_id + ".csv";
  s3::PutObjectInput in;
  in.bucket = out.bucket;
  in.key = key;
  in.headers.content_type = "text/csv";
  TARN_RETURN_IF_ERROR(deps_.s3->PutObject(std::move(in), std::move(body)).status());
  TARN_RETURN_IF_ERROR(PutText(deps_.s3, out.bucket, key + ".metadata", MetadataJson(o.columns).dump(),
                               "application/json"));
  o.result_location = "s3://" + out.bucket + "/" + key;
  return o;
}

}  // namespace tarn::athena
