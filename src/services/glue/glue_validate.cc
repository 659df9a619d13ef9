#include "services/glue/glue_validate.h"

#include <algorithm>

#include "aws/json_protocol.h"
#include "common/encoding.h"

namespace tarn::glue {

const StrRule kNameRule{true, 1, 255, StrRule::kSingleLine};
const StrRule kCatalogIdRule{false, 1, 255, StrRule::kSingleLine};
const StrRule kDescriptionRule{false, 0, 2048, StrRule::kMultiLine};
const StrRule kValueRule{false, 0, 1024};
const StrRule kVersionRule{false, 1, 255, StrRule::kSingleLine};
const StrRule kTokenRule{false, 0, 1 << 20};

namespace {

constexpr size_t kMaxErrors = 10;

const char* PatternText(StrRule::Pattern p) {
  return p == StrRule::kMultiLine
             ? "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\r\\n\\t]*"
             : "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*";
}

// The model's "single line" patterns exclude control characters but tab
// (and, for multi-line strings, CR and LF).
bool MatchesPattern(std::string_view s, StrRule::Pattern p) {
  if (p == StrRule::kAny) return true;
  for (unsigned char c : s) {
    if (c >= 0x20 || c == '\t') continue;
    if (p == StrRule::kMultiLine && (c == '\r' || c == '\n')) continue;
    return false;
  }
  return true;
}

// Length in characters (UTF-8 code points), as the model's limits count.
size_t CharCount(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string LowerFirst(std::string_view s) {
  std::string out(s);
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z')
    out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

std::string Quote(const std::string& s) {
  return "'" + (s.size() > 256 ? s.substr(0, 256) + "..." : s) + "'";
}

}  // namespace

Status InvalidInput(std::string message) {
  return Status(Code::kInvalidArgument, std::move(message), "InvalidInputException");
}

std::string LowerName(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Checker::Checker(const Json& j, std::string path) : j_(j), path_(std::move(path)) {}

const Json* Checker::Find(std::string_view member) const {
  if (!j_.is_object()) return nullptr;
  auto it = j_.find(member);
  if (it == j_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string Checker::Path(std::string_view member) const {
  return path_ + LowerFirst(member) + ".";
}

std::string Checker::ElementPath(std::string_view member, size_t i) const {
  return path_ + LowerFirst(member) + "." + std::to_string(i + 1) + ".member.";
}

void Checker::Violation(const std::string& value, std::string_view member,
                        const std::string& constraint) {
  if (errors_.size() >= kMaxErrors) return;
  errors_.push_back("Value " + value + " at '" + path_ + LowerFirst(member) +
                    "' failed to satisfy constraint: " + constraint);
}

void Checker::TypeError(std::string_view member, const char* expected) {
  if (!serialization_.ok()) return;
  serialization_ = Status(Code::kInvalidArgument,
                          "Member '" + path_ + LowerFirst(member) + "' must be " + expected + ".",
                          "SerializationException");
}

void Checker::Absorb(const Checker& sub) {
  if (serialization_.ok()) serialization_ = sub.serialization_;
  for (const std::string& e : sub.errors_) {
    if (errors_.size() < kMaxErrors) errors_.push_back(e);
  }
}

Status Checker::Finish() const {
  if (!serialization_.ok()) return serialization_;
  if (errors_.empty()) return Status::OK();
  std::string msg = std::to_string(errors_.size()) + " validation error" +
                    (errors_.size() > 1 ? "s" : "") + " detected: ";
  for (size_t i = 0; i < errors_.size(); ++i) msg += (i ? "; " : "") + errors_[i];
  return InvalidInput(std::move(msg));
}

bool Checker::CheckString(const std::string& s, std::string_view member, const StrRule& rule) {
  size_t before = errors_.size();
  size_t len = CharCount(s);
  if (len < rule.min) {
    Violation(Quote(s), member,
              "Member must have length greater than or equal to " + std::to_string(rule.min));
  }
  if (len > rule.max) {
    Violation(Quote(s), member,
              "Member must have length less than or equal to " + std::to_string(rule.max));
  }
  if (!MatchesPattern(s, rule.pattern)) {
    Violation(Quote(s), member,
              std::string("Member must satisfy regular expression pattern: ") +
                  PatternText(rule.pattern));
  }
  if (!rule.one_of.empty() &&
      std::find(rule.one_of.begin(), rule.one_of.end(), s) == rule.one_of.end()) {
    std::string set;
    for (auto e : rule.one_of) set += (set.empty() ? "" : ", ") + std::string(e);
    Violation(Quote(s), member, "Member must satisfy enum value set: [" + set + "]");
  }
  return errors_.size() == before;
}

std::string Checker::Str(std::string_view member, const StrRule& rule) {
  const Json* v = Find(member);
  if (!v) {
    if (rule.required) Violation("null", member, "Member must not be null");
    return "";
  }
  if (!v->is_string()) {
    TypeError(member, "a string");
    return "";
  }
  const std::string& s = v->get_ref<const std::string&>();
  CheckString(s, member, rule);
  return s;
}

std::optional<int64_t> Checker::Int(std::string_view member, bool required,
                                    std::optional<int64_t> min, std::optional<int64_t> max) {
  const Json* v = Find(member);
  if (!v) {
    if (required) Violation("null", member, "Member must not be null");
    return std::nullopt;
  }
  if (!v->is_number_integer()) {
    TypeError(member, "an integer");
    return std::nullopt;
  }
  int64_t n = v->is_number_unsigned()
                  ? static_cast<int64_t>(std::min<uint64_t>(v->get<uint64_t>(), INT64_MAX))
                  : v->get<int64_t>();
  if (min && n < *min) {
    Violation(Quote(std::to_string(n)), member,
              "Member must have value greater than or equal to " + std::to_string(*min));
  }
  if (max && n > *max) {
    Violation(Quote(std::to_string(n)), member,
              "Member must have value less than or equal to " + std::to_string(*max));
  }
  return n;
}

std::optional<double> Checker::Double(std::string_view member, bool required,
                                      std::optional<double> min) {
  const Json* v = Find(member);
  if (!v) {
    if (required) Violation("null", member, "Member must not be null");
    return std::nullopt;
  }
  if (!v->is_number()) {
    TypeError(member, "a number");
    return std::nullopt;
  }
  double d = v->get<double>();
  if (min && d < *min) {
    Violation(Quote(v->dump()), member,
              "Member must have value greater than or equal to " + std::to_string(*min));
  }
  return d;
}

std::optional<bool> Checker::Bool(std::string_view member) {
  const Json* v = Find(member);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    TypeError(member, "a boolean");
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<UnixMillis> Checker::Time(std::string_view member, bool required) {
  if (!Find(member)) {
    if (required) Violation("null", member, "Member must not be null");
    return std::nullopt;
  }
  auto t = aws::GetTimestamp(j_, member);
  if (!t.ok()) {
    TypeError(member, "a timestamp (epoch seconds)");
    return std::nullopt;
  }
  return *t;
}

std::optional<std::string> Checker::Blob(std::string_view member, bool required) {
  if (!Find(member)) {
    if (required) Violation("null", member, "Member must not be null");
    return std::nullopt;
  }
  auto b = aws::GetBlob(j_, member);
  if (!b.ok()) {
    TypeError(member, "a blob (base64 text)");
    return std::nullopt;
  }
  return *b;
}

const Json* Checker::Struct(std::string_view member, bool required) {
  const Json* v = Find(member);
  if (!v) {
    if (required) Violation("null", member, "Member must not be null");
    return nullptr;
  }
  if (!v->is_object()) {
    TypeError(member, "a structure");
    return nullptr;
  }
  return v;
}

const Json* Checker::List(std::string_view member, bool required, size_t min, size_t max) {
  const Json* v = Find(member);
  if (!v) {
    if (required) Violation("null", member, "Member must not be null");
    return nullptr;
  }
  if (!v->is_array()) {
    TypeError(member, "a list");
    return nullptr;
  }
  if (v->size() < min) {
    Violation("[]", member,
              "Member must have length greater than or equal to " + std::to_string(min));
  }
  if (v->size() > max) {
    Violation("[...]", member,
              "Member must have length less than or equal to " + std::to_string(max));
  }
  return v;
}

std::vector<std::string> Checker::StrList(std::string_view member, bool required, size_t min,
                                          size_t max, const StrRule& each) {
  std::vector<std::string> out;
  const Json* list = List(member, required, min, max);
  if (!list) return out;
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& e = (*list)[i];
    if (!e.is_string()) {
      TypeError(member, "a list of strings");
      return {};
    }
    const std::string& s = e.get_ref<const std::string&>();
    CheckString(s, LowerFirst(member) + "." + std::to_string(i + 1) + ".member", each);
    out.push_back(s);
  }
  return out;
}

std::map<std::string, std::string> Checker::StrMap(std::string_view member, bool required,
                                                   size_t max, const StrRule& key,
                                                   const StrRule& value) {
  std::map<std::string, std::string> out;
  const Json* v = Find(member);
  if (!v) {
    if (required) Violation("null", member, "Member must not be null");
    return out;
  }
  if (!v->is_object()) {
    TypeError(member, "a map");
    return out;
  }
  if (v->size() > max) {
    Violation("{...}", member,
              "Member must have length less than or equal to " + std::to_string(max));
  }
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it.value().is_string()) {
      TypeError(member, "a map of strings");
      return {};
    }
    const std::string& val = it.value().get_ref<const std::string&>();
    CheckString(it.key(), LowerFirst(member) + ".key", key);
    CheckString(val, LowerFirst(member) + "." + it.key(), value);
    out[it.key()] = val;
  }
  return out;
}

// --- Documents ---------------------------------------------------------------

namespace {

const StrRule kKeyRule{true, 1, 255, StrRule::kSingleLine};
const StrRule kParamValueRule{true, 0, 512000};
const StrRule kOptionalName{false, 1, 255, StrRule::kSingleLine};

void CheckParameters(Checker& c) {
  c.StrMap("Parameters", false, SIZE_MAX, kKeyRule, kParamValueRule);
}

// Replaces a timestamp member of `out` by its epoch milliseconds.
void StoreTime(Checker& c, Json& out, std::string_view member, bool required) {
  if (auto t = c.Time(member, required)) out[std::string(member)] = *t;
}

void CheckColumns(Checker& c, std::string_view member) {
  const Json* list = c.List(member, false);
  if (!list) return;
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& col = (*list)[i];
    if (!col.is_object()) {
      Checker sub(*list);
      sub.Violation("null", c.ElementPath(member, i), "Member must be a structure");
      c.Absorb(sub);
      continue;
    }
    Checker sub(col, c.ElementPath(member, i));
    sub.Str("Name", kNameRule);
    sub.Str("Type", StrRule{false, 0, 131072, StrRule::kSingleLine});
    sub.Str("Comment", StrRule{false, 0, 255, StrRule::kSingleLine});
    CheckParameters(sub);
    c.Absorb(sub);
  }
}

void CheckStorageDescriptor(Checker& c) {
  const Json* sd = c.Struct("StorageDescriptor", false);
  if (!sd) return;
  Checker s(*sd, c.Path("StorageDescriptor"));
  CheckColumns(s, "Columns");
  const StrRule location{false, 0, 2056, StrRule::kMultiLine};
  s.Str("Location", location);
  s.StrList("AdditionalLocations", false, 0, SIZE_MAX, location);
  s.Str("InputFormat", StrRule{false, 0, 128, StrRule::kSingleLine});
  s.Str("OutputFormat", StrRule{false, 0, 128, StrRule::kSingleLine});
  s.Bool("Compressed");
  s.Int("NumberOfBuckets", false);
  if (const Json* serde = s.Struct("SerdeInfo", false)) {
    Checker sub(*serde, s.Path("SerdeInfo"));
    sub.Str("Name", kOptionalName);
    sub.Str("SerializationLibrary", kOptionalName);
    CheckParameters(sub);
    s.Absorb(sub);
  }
  s.StrList("BucketColumns", false, 0, SIZE_MAX, kNameRule);
  if (const Json* sort = s.List("SortColumns", false)) {
    for (size_t i = 0; i < sort->size(); ++i) {
      Checker sub((*sort)[i], s.ElementPath("SortColumns", i));
      sub.Str("Column", kNameRule);
      sub.Int("SortOrder", true, 0, 1);
      s.Absorb(sub);
    }
  }
  CheckParameters(s);
  if (const Json* skew = s.Struct("SkewedInfo", false)) {
    Checker sub(*skew, s.Path("SkewedInfo"));
    sub.StrList("SkewedColumnNames", false, 0, SIZE_MAX, kNameRule);
    sub.StrList("SkewedColumnValues", false, 0, SIZE_MAX, StrRule{});
    sub.StrMap("SkewedColumnValueLocationMaps", false, SIZE_MAX, StrRule{}, StrRule{});
    s.Absorb(sub);
  }
  s.Bool("StoredAsSubDirectories");
  s.Struct("SchemaReference", false);
  c.Absorb(s);
}

void CheckTableIdentifier(Checker& c, std::string_view member) {
  if (const Json* id = c.Struct(member, false)) {
    Checker sub(*id, c.Path(member));
    sub.Str("CatalogId", kCatalogIdRule);
    sub.Str("DatabaseName", kOptionalName);
    sub.Str("Name", kOptionalName);
    c.Absorb(sub);
  }
}

}  // namespace

void CheckDatabaseInput(Checker& c, Json& out) {
  std::string name = c.Str("Name", kNameRule);
  out["Name"] = LowerName(name);
  c.Str("Description", kDescriptionRule);
  c.Str("LocationUri", StrRule{false, 1, 1024, StrRule::kMultiLine});
  CheckParameters(c);
  if (const Json* perms = c.List("CreateTableDefaultPermissions", false)) {
    for (size_t i = 0; i < perms->size(); ++i) {
      Checker sub((*perms)[i], c.ElementPath("CreateTableDefaultPermissions", i));
      if (const Json* p = sub.Struct("Principal", false)) {
        Checker pc(*p, sub.Path("Principal"));
        pc.Str("DataLakePrincipalIdentifier", StrRule{false, 1, 255});
        sub.Absorb(pc);
      }
      sub.StrList("Permissions", false, 0, SIZE_MAX,
                  StrRule{false,
                          0,
                          SIZE_MAX,
                          StrRule::kAny,
                          {"ALL", "SELECT", "ALTER", "DROP", "DELETE", "INSERT", "CREATE_DATABASE",
                           "CREATE_TABLE", "DATA_LOCATION_ACCESS"}});
      c.Absorb(sub);
    }
  }
  if (const Json* target = c.Struct("TargetDatabase", false)) {
    Checker sub(*target, c.Path("TargetDatabase"));
    sub.Str("CatalogId", kCatalogIdRule);
    sub.Str("DatabaseName", kOptionalName);
    c.Absorb(sub);
  }
}

void CheckTableInput(Checker& c, Json& out) {
  std::string name = c.Str("Name", kNameRule);
  out["Name"] = LowerName(name);
  c.Str("Description", kDescriptionRule);
  c.Str("Owner", kOptionalName);
  StoreTime(c, out, "LastAccessTime", false);
  StoreTime(c, out, "LastAnalyzedTime", false);
  c.Int("Retention", false, 0);
  CheckStorageDescriptor(c);
  CheckColumns(c, "PartitionKeys");
  c.Str("ViewOriginalText", StrRule{false, 0, 409600});
  c.Str("ViewExpandedText", StrRule{false, 0, 409600});
  c.Str("TableType", StrRule{false, 0, 255});
  CheckParameters(c);
  CheckTableIdentifier(c, "TargetTable");
}

void CheckPartitionInput(Checker& c, Json& out) {
  c.StrList("Values", false, 0, SIZE_MAX, kValueRule);
  StoreTime(c, out, "LastAccessTime", false);
  CheckStorageDescriptor(c);
  CheckParameters(c);
  StoreTime(c, out, "LastAnalyzedTime", false);
}

namespace {

void CheckStatsCounts(Checker& c, std::initializer_list<std::string_view> required) {
  for (std::string_view m : required) c.Int(m, true, 0);
}

void CheckDecimal(Checker& c, Json& out, std::string_view member) {
  const Json* d = c.Struct(member, false);
  if (!d) return;
  Checker sub(*d, c.Path(member));
  auto bytes = sub.Blob("UnscaledValue", true);
  sub.Int("Scale", true);
  c.Absorb(sub);
  if (bytes) out[std::string(member)]["UnscaledValue"] = Base64Encode(*bytes);
}

}  // namespace

void CheckColumnStatistics(Checker& c, Json& out) {
  c.Str("ColumnName", kNameRule);
  c.Str("ColumnType", StrRule{true, 0, 20000, StrRule::kSingleLine});
  StoreTime(c, out, "AnalyzedTime", true);
  const Json* data = c.Struct("StatisticsData", true);
  if (!data) return;
  Checker d(*data, c.Path("StatisticsData"));
  Json& dout = out["StatisticsData"];
  std::string type =
      d.Str("Type", StrRule{true,
                            0,
                            SIZE_MAX,
                            StrRule::kAny,
                            {"BOOLEAN", "DATE", "DECIMAL", "DOUBLE", "LONG", "STRING", "BINARY"}});
  // The member that must hold the statistics for each Type.
  static const std::map<std::string, std::string, std::less<>> kMemberOf = {
      {"BOOLEAN", "BooleanColumnStatisticsData"}, {"DATE", "DateColumnStatisticsData"},
      {"DECIMAL", "DecimalColumnStatisticsData"}, {"DOUBLE", "DoubleColumnStatisticsData"},
      {"LONG", "LongColumnStatisticsData"},       {"STRING", "StringColumnStatisticsData"},
      {"BINARY", "BinaryColumnStatisticsData"}};
  auto it = kMemberOf.find(type);
  if (it != kMemberOf.end()) {
    const std::string& member = it->second;
    const Json* s = d.Struct(member, false);
    if (!s && d.ok()) {
      d.Violation("null", member, "Member must not be null when Type is " + type);
    } else if (s) {
      Checker st(*s, d.Path(member));
      Json& sout = dout[member];
      if (type == "BOOLEAN") {
        CheckStatsCounts(st, {"NumberOfTrues", "NumberOfFalses", "NumberOfNulls"});
      } else if (type == "DATE") {
        StoreTime(st, sout, "MinimumValue", false);
        StoreTime(st, sout, "MaximumValue", false);
        CheckStatsCounts(st, {"NumberOfNulls", "NumberOfDistinctValues"});
      } else if (type == "DECIMAL") {
        CheckDecimal(st, sout, "MinimumValue");
        CheckDecimal(st, sout, "MaximumValue");
        CheckStatsCounts(st, {"NumberOfNulls", "NumberOfDistinctValues"});
      } else if (type == "DOUBLE") {
        st.Double("MinimumValue", false);
        st.Double("MaximumValue", false);
        CheckStatsCounts(st, {"NumberOfNulls", "NumberOfDistinctValues"});
      } else if (type == "LONG") {
        st.Int("MinimumValue", false);
        st.Int("MaximumValue", false);
        CheckStatsCounts(st, {"NumberOfNulls", "NumberOfDistinctValues"});
      } else if (type == "STRING") {
        CheckStatsCounts(st, {"MaximumLength", "NumberOfNulls", "NumberOfDistinctValues"});
        st.Double("AverageLength", true, 0.0);
      } else {
        CheckStatsCounts(st, {"MaximumLength", "NumberOfNulls"});
        st.Double("AverageLength", true, 0.0);
      }
      d.Absorb(st);
    }
  }
  c.Absorb(d);
}

}  // namespace tarn::glue
