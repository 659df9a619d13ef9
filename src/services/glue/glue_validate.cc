#include "services/glue/glue_validate.h"

#include <algorithm>

#include "aws/json_protocol.h"
#include "common/encoding.h"

namespace tarn::glue {

namespace {

// The model's "single line" patterns exclude control characters but tab
// (and, for multi-line strings, CR and LF).
bool IsSingleLine(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 && c != '\t') return false;
  }
  return true;
}

bool IsMultiLine(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

}  // namespace

constinit const aws::Pattern kSingleLine{
    IsSingleLine, "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*"};
constinit const aws::Pattern kMultiLine{
    IsMultiLine, "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\r\\n\\t]*"};

const StrRule kNameRule{true, 1, 255, kSingleLine};
const StrRule kCatalogIdRule{false, 1, 255, kSingleLine};
const StrRule kDescriptionRule{false, 0, 2048, kMultiLine};
const StrRule kValueRule{false, 0, 1024};
const StrRule kVersionRule{false, 1, 255, kSingleLine};
const StrRule kTokenRule{false, 0, 1 << 20};

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

Checker::Checker(const Json& j, std::string path)
    : ModelChecker(j, std::move(path), "InvalidInputException") {}

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

const StrRule kKeyRule{true, 1, 255, kSingleLine};
const StrRule kParamValueRule{true, 0, 512000};
const StrRule kOptionalName{false, 1, 255, kSingleLine};

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
    sub.Str("Type", StrRule{false, 0, 131072, kSingleLine});
    sub.Str("Comment", StrRule{false, 0, 255, kSingleLine});
    CheckParameters(sub);
    c.Absorb(sub);
  }
}

void CheckStorageDescriptor(Checker& c) {
  const Json* sd = c.Struct("StorageDescriptor", false);
  if (!sd) return;
  Checker s(*sd, c.Path("StorageDescriptor"));
  CheckColumns(s, "Columns");
  const StrRule location{false, 0, 2056, kMultiLine};
  s.Str("Location", location);
  s.StrList("AdditionalLocations", false, 0, SIZE_MAX, location);
  s.Str("InputFormat", StrRule{false, 0, 128, kSingleLine});
  s.Str("OutputFormat", StrRule{false, 0, 128, kSingleLine});
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
  c.Str("LocationUri", StrRule{false, 1, 1024, kMultiLine});
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
                          {},
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
  c.Str("ColumnType", StrRule{true, 0, 20000, kSingleLine});
  StoreTime(c, out, "AnalyzedTime", true);
  const Json* data = c.Struct("StatisticsData", true);
  if (!data) return;
  Checker d(*data, c.Path("StatisticsData"));
  Json& dout = out["StatisticsData"];
  std::string type =
      d.Str("Type", StrRule{true,
                            0,
                            SIZE_MAX,
                            {},
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
