#include "services/firehose/parquet_converter.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include "common/time.h"
#include "query/hive_type.h"
#include "query/query_loader.h"

namespace tarn::firehose {

using Json = nlohmann::json;
using query::HiveType;

// The converters' files: whole objects in memory, one bucket.
class ScratchLake final : public query::Lake {
 public:
  static constexpr char kBucket[] = "scratch";

  void Put(const std::string& key, std::string bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    objects_[key] = std::make_shared<const std::string>(std::move(bytes));
  }
  // The object's bytes, removed; NotFound when absent.
  Result<std::string> Take(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return NotFound("no scratch object " + key);
    std::string bytes = *it->second;
    objects_.erase(it);
    return bytes;
  }

  Status List(std::string_view bucket, std::string_view prefix,
              const std::function<bool(const Entry&)>& visit) override {
    if (bucket != kBucket) return NotFound("no such bucket");
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = objects_.lower_bound(std::string(prefix)); it != objects_.end(); ++it) {
      if (it->first.compare(0, prefix.size(), prefix) != 0) break;
      if (!visit(Entry{it->first, it->second->size(), 0})) break;
    }
    return Status::OK();
  }

  Result<std::unique_ptr<query::LakeObject>> Open(std::string_view bucket,
                                                  std::string_view key) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(std::string(key));
    if (bucket != kBucket || it == objects_.end()) return NotFound("no such key");
    return std::unique_ptr<query::LakeObject>(std::make_unique<Object>(it->second));
  }

  Result<std::unique_ptr<query::LakeWriter>> Create(std::string_view bucket,
                                                    std::string_view key) override {
    if (bucket != kBucket) return NotFound("no such bucket");
    return std::unique_ptr<query::LakeWriter>(std::make_unique<Writer>(this, std::string(key)));
  }

  Status Delete(std::string_view bucket, std::string_view key) override {
    std::lock_guard<std::mutex> lock(mu_);
    objects_.erase(std::string(key));
    return Status::OK();
  }

 private:
  class Object final : public query::LakeObject {
   public:
    explicit Object(std::shared_ptr<const std::string> bytes) : bytes_(std::move(bytes)) {}
    uint64_t size() const override { return bytes_->size(); }
    int64_t last_modified_ms() const override { return 0; }
    Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) override {
      if (offset >= bytes_->size()) return size_t{0};
      return bytes_->copy(buf, n, offset);
    }

   private:
    std::shared_ptr<const std::string> bytes_;
  };

  class Writer final : public query::LakeWriter {
   public:
    Writer(ScratchLake* lake, std::string key) : lake_(lake), key_(std::move(key)) {}
    Status Append(std::string_view data) override {
      data_ += data;
      return Status::OK();
    }
    Status Commit() override {
      lake_->Put(key_, std::move(data_));
      return Status::OK();
    }

   private:
    ScratchLake* lake_;
    std::string key_;
    std::string data_;
  };

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const std::string>> objects_;
};

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
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

std::string Describe(const Json& v) {
  std::string text = v.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return std::string(v.type_name()) + " " + text;
}

Status Mismatch(std::string_view path, std::string_view type, const Json& v) {
  return InvalidArgument("column '" + std::string(path) + "': cannot convert " + Describe(v) +
                         " to " + std::string(type));
}

// A number from a JSON number or numeric string.
std::optional<double> Number(const Json& v) {
  if (v.is_number()) return v.get<double>();
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

// An integer in [lo, hi] from a JSON integer or integral numeric string.
std::optional<int64_t> Integer(const Json& v, int64_t lo, int64_t hi) {
  int64_t n = 0;
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(hi)) {
      return std::nullopt;
    }
    n = v.get<int64_t>();
  } else if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    char* end = nullptr;
    errno = 0;
    long long parsed = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE) return std::nullopt;
    n = parsed;
  } else if (v.is_number_float()) {
    double d = v.get<double>();
    if (d != std::floor(d) || std::fabs(d) > 9.0e15) return std::nullopt;
    n = static_cast<int64_t>(d);
  } else {
    return std::nullopt;
  }
  if (n < lo || n > hi) return std::nullopt;
  return n;
}

// Epoch seconds (integer or fractional) and epoch millis (integers past
// year 5138 in seconds), or text: ISO 8601 with a zone, or Hive's
// "yyyy-MM-dd HH:mm:ss[.fff]" read as UTC. As Firehose parses them.
std::optional<UnixMillis> Timestamp(const Json& v) {
  if (v.is_number_integer()) {
    int64_t n = v.get<int64_t>();
    return std::llabs(n) >= 100'000'000'000LL ? n : n * 1000;
  }
  if (v.is_number_float()) return static_cast<UnixMillis>(std::llround(v.get<double>() * 1000));
  if (!v.is_string()) return std::nullopt;
  std::string s = v.get<std::string>();
  if (s.size() >= 19 && s[10] == ' ') s[10] = 'T';
  if (s.size() >= 19 && s.back() != 'Z' && s.find('+', 19) == std::string::npos &&
      s.find('-', 19) == std::string::npos) {
    s += 'Z';
  }
  return ParseIso8601(s);
}

bool IsDate(const Json& v) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  const int year = std::stoi(s.substr(0, 4)), month = std::stoi(s.substr(5, 2)),
            day = std::stoi(s.substr(8, 2));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

// The member of `object` that a column or field named `name` reads.
const Json* Member(const Json& object, const std::string& name, bool case_insensitive) {
  auto exact = object.find(name);
  if (exact != object.end()) return &*exact;
  if (!case_insensitive) return nullptr;
  const std::string lower = Lower(name);
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (Lower(it.key()) == lower) return &*it;
  }
  return nullptr;
}

// `v` as DuckDB's read_json reads `type` without error; InvalidArgument
// naming the column path otherwise.
Result<Json> Normalize(const Json& v, const HiveType& type, const std::string& path,
                       bool case_insensitive) {
  using K = HiveType::Kind;
  if (v.is_null()) return Json(nullptr);
  switch (type.kind) {
    case K::kString:
      return v.is_string() ? v : Json(v.dump());
    case K::kBinary:
      if (!v.is_string()) return Mismatch(path, "binary", v);
      return v;
    case K::kTinyint:
    case K::kSmallint:
    case K::kInt:
    case K::kBigint: {
      static const std::map<K, std::pair<int64_t, int64_t>> kRanges = {
          {K::kTinyint, {-128, 127}},
          {K::kSmallint, {-32768, 32767}},
          {K::kInt, {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()}},
          {K::kBigint, {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}},
      };
      auto [lo, hi] = kRanges.at(type.kind);
      std::optional<int64_t> n = Integer(v, lo, hi);
      if (!n) return Mismatch(path, Lower(type.DuckDb()), v);
      return Json(*n);
    }
    case K::kFloat:
    case K::kDouble: {
      std::optional<double> d = Number(v);
      if (!d) return Mismatch(path, "double", v);
      return Json(*d);
    }
    case K::kDecimal: {
      std::optional<double> d = Number(v);
      if (!d) return Mismatch(path, "decimal", v);
      if (std::fabs(*d) >= std::pow(10.0, type.precision - type.scale)) {
        return Mismatch(path, Lower(type.DuckDb()), v);
      }
      return v.is_string() ? v : Json(v.dump());  // exact digits, as written
    }
    case K::kBoolean:
      if (v.is_boolean()) return v;
      if (v.is_string()) {
        std::string s = Lower(v.get<std::string>());
        if (s == "true" || s == "false") return Json(s == "true");
      }
      return Mismatch(path, "boolean", v);
    case K::kDate:
      if (!IsDate(v)) return Mismatch(path, "date", v);
      return v;
    case K::kTimestamp: {
      std::optional<UnixMillis> t = Timestamp(v);
      if (!t) return Mismatch(path, "timestamp", v);
      std::string text = FormatIso8601(*t);  // 2015-08-30T12:36:00.000Z
      text[10] = ' ';
      text.pop_back();
      return Json(text);
    }
    case K::kArray: {
      if (!v.is_array()) return Mismatch(path, "array", v);
      Json out = Json::array();
      for (const Json& e : v) {
        TARN_ASSIGN_OR_RETURN(Json n, Normalize(e, type.children[0].type, path + "[]",
                                                case_insensitive));
        out.push_back(std::move(n));
      }
      return out;
    }
    case K::kMap: {
      if (!v.is_object()) return Mismatch(path, "map", v);
      Json out = Json::object();
      for (auto it = v.begin(); it != v.end(); ++it) {
        TARN_ASSIGN_OR_RETURN(Json key, Normalize(Json(it.key()), type.children[0].type,
                                                  path + ".key", case_insensitive));
        TARN_ASSIGN_OR_RETURN(Json value, Normalize(it.value(), type.children[1].type,
                                                    path + "." + it.key(), case_insensitive));
        out[key.is_string() ? key.get<std::string>() : key.dump()] = std::move(value);
      }
      return out;
    }
    case K::kStruct: {
      if (!v.is_object()) return Mismatch(path, "struct", v);
      Json out = Json::object();
      for (const auto& [field, field_type] : type.children) {
        const Json* member = Member(v, field, case_insensitive);
        Json value = nullptr;
        if (member != nullptr) {
          TARN_ASSIGN_OR_RETURN(value, Normalize(*member, field_type, path + "." + field,
                                                 case_insensitive));
        }
        out[field] = std::move(value);
      }
      return out;
    }
  }
  return Mismatch(path, "its type", v);
}

struct Column {
  std::string name;  // the Parquet column's
  std::string key;   // the JSON key it reads
  HiveType type;
};

class ParquetConverter final : public RecordConverter {
 public:
  ParquetConverter(std::vector<Column> columns, const ConversionSpec& spec,
                   query::QueryEngine* engine, ScratchLake* lake)
      : columns_(std::move(columns)),
        case_insensitive_(spec.case_insensitive),
        compression_(Lower(spec.compression)),
        engine_(engine),
        lake_(lake) {}

  Status Add(std::string_view record) override {
    Json doc = Json::parse(record.begin(), record.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return InvalidArgument("the record is not valid JSON");
    if (!doc.is_object()) {
      return InvalidArgument("the record is a JSON " + std::string(doc.type_name()) +
                             ", not an object");
    }
    Json row = Json::object();
    for (const Column& c : columns_) {
      const Json* v = Member(doc, c.key, case_insensitive_);
      Json value = nullptr;
      if (v != nullptr) {
        TARN_ASSIGN_OR_RETURN(value, Normalize(*v, c.type, c.name, case_insensitive_));
      }
      row[c.name] = std::move(value);
    }
    lines_ += row.dump();
    lines_ += '\n';
    ++records_;
    return Status::OK();
  }

  Result<std::string> Finish() override {
    static std::atomic<uint64_t> next_id{0};
    const std::string id = "c" + std::to_string(next_id.fetch_add(1));
    const std::string in = id + ".json", out = id + ".parquet";
    lake_->Put(in, std::move(lines_));
    lines_.clear();
    std::string columns;
    for (const Column& c : columns_) {
      if (!columns.empty()) columns += ", ";
      columns += SqlString(c.name) + ": " + SqlString(c.type.DuckDb());
    }
    const std::string base = std::string("s3://") + ScratchLake::kBucket + "/";
    std::string sql = "COPY (SELECT * FROM read_json(" + SqlString(base + in) +
                      ", format = 'newline_delimited', columns = {" + columns +
                      "})) TO " + SqlString(base + out) +
                      " (FORMAT parquet, COMPRESSION " + compression_ + ")";
    Result<std::string> copied = engine_->ExecuteToText(sql);
    (void)lake_->Delete(ScratchLake::kBucket, in);
    if (!copied.ok()) {
      (void)lake_->Delete(ScratchLake::kBucket, out);
      return copied.status().WithContext("writing Parquet");
    }
    return lake_->Take(out);
  }

  size_t records() const override { return records_; }

 private:
  const std::vector<Column> columns_;
  const bool case_insensitive_;
  const std::string compression_;
  query::QueryEngine* engine_;
  ScratchLake* lake_;
  std::string lines_;  // normalized records, JSON lines
  size_t records_ = 0;
};

}  // namespace

ParquetConverterFactory::ParquetConverterFactory() : lake_(std::make_unique<ScratchLake>()) {}
ParquetConverterFactory::~ParquetConverterFactory() = default;

Result<query::QueryEngine*> ParquetConverterFactory::Engine() {
  std::lock_guard<std::mutex> lock(mu_);
  if (engine_) return engine_.get();
  query::QueryConfig config;
  config.threads = 1;  // one object at a time per flush; delivery threads run several
  config.memory_limit = "512MiB";
  config.lake = lake_.get();
  TARN_ASSIGN_OR_RETURN(engine_, query::CreateQueryEngine(config));
  return engine_.get();
}

Result<std::unique_ptr<RecordConverter>> ParquetConverterFactory::Make(const ConversionSpec& spec) {
  if (spec.output_format != "PARQUET") {
    return InvalidArgument("OutputFormatConfiguration: " + spec.output_format +
                           " output is not supported by tarn (Parquet is)");
  }
  const std::string compression = Lower(spec.compression);
  if (compression != "snappy" && compression != "gzip" && compression != "uncompressed") {
    return InvalidArgument("ParquetSerDe.Compression: " + spec.compression +
                           " is not one of SNAPPY, GZIP, UNCOMPRESSED");
  }
  if (spec.columns.empty()) return InvalidArgument("the conversion table has no columns");
  std::map<std::string, std::string> keys;
  for (const auto& [column, key] : spec.column_to_json_key) keys[Lower(column)] = key;
  std::vector<Column> columns;
  for (const ConversionColumn& c : spec.columns) {
    Result<HiveType> type = query::ParseHiveType(c.type);
    if (!type.ok()) {
      return InvalidArgument("column '" + c.name + "' of the conversion table: " +
                             type.status().message());
    }
    const std::string name = Lower(c.name);
    auto mapped = keys.find(name);
    columns.push_back(Column{name, mapped != keys.end() ? mapped->second : name, *std::move(type)});
  }
  TARN_ASSIGN_OR_RETURN(query::QueryEngine * engine, Engine());
  return std::unique_ptr<RecordConverter>(
      std::make_unique<ParquetConverter>(std::move(columns), spec, engine, lake_.get()));
}

}  // namespace tarn::firehose
