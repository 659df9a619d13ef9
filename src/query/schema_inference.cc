#include "query/schema_inference.h"

#include <zlib.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <memory>

namespace tarn::query {

namespace {

constexpr size_t kHeadBytes = 64 << 10;
constexpr char kGzipMagic[] = "\x1f\x8b";

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Inflates as much of a gzip stream's head as it holds (at most kHeadBytes).
std::string InflateHead(std::string_view gz) {
  std::string out(kHeadBytes, '\0');
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return "";
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  inflate(&z, Z_SYNC_FLUSH);  // a cut-off stream inflates as far as it goes
  out.resize(out.size() - z.avail_out);
  inflateEnd(&z);
  return out;
}

// Text that reads like CSV: no NUL bytes, and a first line with one of the
// usual delimiters.
bool LooksLikeCsv(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return false;
  std::string_view first = text.substr(0, text.find('\n'));
  return first.find_first_of(",\t|;") != std::string_view::npos;
}

DataFormat ClassifyText(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 BOM
  std::string_view t = Trim(text);
  if (t.empty()) return DataFormat::kUnknown;
  if (t.front() == '{' || t.front() == '[') return DataFormat::kJson;
  return LooksLikeCsv(t) ? DataFormat::kCsv : DataFormat::kUnknown;
}

// Splits at top-level commas (outside parentheses and double quotes).
std::vector<std::string_view> SplitTopLevel(std::string_view s) {
  std::vector<std::string_view> out;
  int depth = 0;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(Trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(Trim(s.substr(start)));
  return out;
}

// A STRUCT field: `name TYPE` or `"quoted ""name""" TYPE`.
std::string StructField(std::string_view field) {
  std::string name;
  std::string_view rest;
  if (!field.empty() && field.front() == '"') {
    size_t i = 1;
    for (; i < field.size(); ++i) {
      if (field[i] == '"') {
        if (i + 1 < field.size() && field[i + 1] == '"') {
          name += '"';
          ++i;
          continue;
        }
        break;
      }
      name += field[i];
    }
    rest = field.substr(std::min(i + 1, field.size()));
  } else {
    const size_t space = field.find(' ');
    name = std::string(field.substr(0, space));
    rest = space == std::string_view::npos ? std::string_view() : field.substr(space + 1);
  }
  return name + ":" + HiveType(rest);
}

std::string BaseType(const std::string& t) {
  static const std::pair<const char*, const char*> kNames[] = {
      {"BIGINT", "bigint"},       {"INT8", "bigint"},          {"LONG", "bigint"},
      {"INTEGER", "int"},         {"INT4", "int"},             {"INT", "int"},
      {"SIGNED", "int"},          {"SMALLINT", "smallint"},    {"INT2", "smallint"},
      {"TINYINT", "tinyint"},     {"INT1", "tinyint"},         {"UTINYINT", "smallint"},
      {"USMALLINT", "int"},       {"UINTEGER", "bigint"},      {"UBIGINT", "decimal(20,0)"},
      {"HUGEINT", "decimal(38,0)"}, {"UHUGEINT", "decimal(38,0)"}, {"DOUBLE", "double"},
      {"FLOAT8", "double"},       {"FLOAT", "float"},          {"REAL", "float"},
      {"FLOAT4", "float"},        {"VARCHAR", "string"},       {"TEXT", "string"},
      {"STRING", "string"},       {"BOOLEAN", "boolean"},      {"BOOL", "boolean"},
      {"DATE", "date"},           {"BLOB", "binary"},          {"BYTEA", "binary"},
  };
  for (const auto& [duck, hive] : kNames) {
    if (t == duck) return hive;
  }
  if (t.rfind("TIMESTAMP", 0) == 0 || t == "DATETIME") return "timestamp";
  return "string";  // TIME, INTERVAL, UUID, JSON, UNION, NULL, ...: as text
}

}  // namespace

std::string_view DataFormatName(DataFormat format) {
  switch (format) {
    case DataFormat::kCsv: return "csv";
    case DataFormat::kJson: return "json";
    case DataFormat::kParquet: return "parquet";
    case DataFormat::kUnknown: break;
  }
  return "UNKNOWN";
}

HeadClass ClassifyHead(std::string_view key, std::string_view head) {
  HeadClass c;
  if (head.substr(0, 4) == "PAR1") {
    c.format = DataFormat::kParquet;
    return c;
  }
  if (head.substr(0, 2) == std::string_view(kGzipMagic, 2)) {
    c.gzip = true;
    c.format = ClassifyText(InflateHead(head));
    return c;
  }
  c.format = ClassifyText(head.substr(0, kHeadBytes));
  return c;
}

std::string HiveType(std::string_view duckdb_type) {
  std::string_view t = Trim(duckdb_type);
  if (t.empty()) return "string";
  if (t.back() == ']') {
    const size_t open = t.rfind('[');
    if (open != std::string_view::npos) return "array<" + HiveType(t.substr(0, open)) + ">";
  }
  const size_t paren = t.find('(');
  if (paren != std::string_view::npos && t.back() == ')') {
    const std::string head = Upper(Trim(t.substr(0, paren)));
    std::string_view inner = t.substr(paren + 1, t.size() - paren - 2);
    if (head == "STRUCT") {
      std::string out = "struct<";
      bool first = true;
      for (std::string_view field : SplitTopLevel(inner)) {
        if (field.empty()) continue;
        if (!first) out += ',';
        first = false;
        out += StructField(field);
      }
      return out + ">";
    }
    if (head == "MAP") {
      std::vector<std::string_view> kv = SplitTopLevel(inner);
      if (kv.size() == 2) return "map<" + HiveType(kv[0]) + "," + HiveType(kv[1]) + ">";
      return "string";
    }
    if (head == "DECIMAL" || head == "NUMERIC") {
      std::vector<std::string_view> ps = SplitTopLevel(inner);
      std::string out = "decimal(" + std::string(ps[0]);
      if (ps.size() > 1) out += "," + std::string(ps[1]);
      return out + ")";
    }
    return "string";
  }
  return BaseType(Upper(t));
}

std::string SqlQuote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

Result<InferredSchema> InferSchema(QueryEngine& engine, Lake& lake, std::string_view bucket,
                                   std::string_view key, const CsvOverrides& csv) {
  InferredSchema schema;
  {
    TARN_ASSIGN_OR_RETURN(std::unique_ptr<LakeObject> object, lake.Open(bucket, key));
    std::string head(std::min<uint64_t>(object->size(), kHeadBytes), '\0');
    size_t got = 0;
    while (got < head.size()) {
      TARN_ASSIGN_OR_RETURN(size_t n, object->ReadAt(got, head.data() + got, head.size() - got));
      if (n == 0) break;
      got += n;
    }
    head.resize(got);
    HeadClass c = ClassifyHead(key, head);
    schema.format = c.format;
    schema.gzip = c.gzip;
  }
  const std::string path = SqlQuote("s3://" + std::string(bucket) + "/" + std::string(key));
  const std::string compression = schema.gzip ? "'gzip'" : "'none'";
  std::string reader;
  switch (schema.format) {
    case DataFormat::kParquet:
      reader = "read_parquet(" + path + ", hive_partitioning = false)";
      break;
    case DataFormat::kJson:
      // (read_json names "none" "uncompressed")
      reader = "read_json(" + path + ", hive_partitioning = false, compression = " +
               (schema.gzip ? "'gzip'" : "'uncompressed'") + ")";
      break;
    case DataFormat::kCsv: {
      TARN_ASSIGN_OR_RETURN(
          std::string sniffed,
          engine.ExecuteToText("SELECT to_json({d: Delimiter, h: HasHeader}) FROM sniff_csv(" +
                               path + ", compression = " + compression + ")"));
      nlohmann::json s = nlohmann::json::parse(sniffed, nullptr, false);
      if (!s.is_object() || !s["d"].is_string() || !s["h"].is_boolean()) {
        return Internal("sniff_csv answered " + sniffed);
      }
      const std::string d = s["d"].get<std::string>();
      schema.delimiter = csv.delimiter.value_or(d.empty() ? ',' : d[0]);
      schema.header = csv.header.value_or(s["h"].get<bool>());
      reader = "read_csv(" + path + ", hive_partitioning = false, compression = " + compression +
               ", delim = " + SqlQuote(std::string(1, schema.delimiter)) +
               ", header = " + (schema.header ? "true" : "false") + ")";
      break;
    }
    case DataFormat::kUnknown:
      return InvalidArgument("s3://" + std::string(bucket) + "/" + std::string(key) +
                                 " is not CSV, JSON or Parquet",
                             "UNKNOWN");
  }
  // hive_partitioning off: the folders' key=value pairs are the crawler's
  // to read as partitions, not columns of the file.
  TARN_ASSIGN_OR_RETURN(
      std::string described,
      engine.ExecuteToText("SELECT to_json(list({n: column_name, t: column_type})) FROM "
                           "(DESCRIBE SELECT * FROM " + reader + ")"));
  nlohmann::json columns = nlohmann::json::parse(described, nullptr, false);
  if (!columns.is_array()) return Internal("DESCRIBE answered " + described);
  for (const nlohmann::json& c : columns) {
    if (!c.is_object() || !c["n"].is_string() || !c["t"].is_string()) {
      return Internal("DESCRIBE answered " + described);
    }
    std::string name = c["n"].get<std::string>();
    // A CSV file without a header: Glue names its columns col0, col1, ...
    // (DuckDB's are column0 or column00, ...)
    if (schema.format == DataFormat::kCsv && !schema.header && name.size() > 6 &&
        name.rfind("column", 0) == 0 &&
        std::all_of(name.begin() + 6, name.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      name = "col" + std::to_string(std::stoul(name.substr(6)));
    }
    schema.columns.push_back(InferredColumn{std::move(name), HiveType(c["t"].get<std::string>())});
  }
  if (schema.format == DataFormat::kCsv && !schema.header) {
    for (size_t i = 0; i < csv.names.size() && i < schema.columns.size(); ++i) {
      schema.columns[i].name = csv.names[i];
    }
  }
  return schema;
}

}  // namespace tarn::query
