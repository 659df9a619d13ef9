#include "services/glue/crawler_validate.h"

#include <cctype>
#include <charconv>
#include <vector>

namespace tarn::glue {

namespace {

const StrRule kRoleRule{true, 1, 2048, kSingleLine};
const StrRule kOptionalRoleRule{false, 1, 2048, kSingleLine};
const StrRule kOptionalNameRule{false, 1, 255, kSingleLine};
const StrRule kPathRule{true, 1, 4096, kSingleLine};
const StrRule kPatternRule{false, 0, 4096, kSingleLine};
const StrRule kPrefixRule{false, 0, 128};
const StrRule kSecurityConfigRule{false, 0, 128};
const StrRule kConfigurationRule{false, 0, 1 << 20};
const StrRule kScheduleRule{false, 0, 256};
const StrRule kAccountRule{false, 0, 12};
const StrRule kJsonPathRule{false, 0, 4096};
const StrRule kCharRule{false, 1, 1};

// Target kinds a Glue crawler may have that tarn does not crawl.
constexpr std::string_view kUnsupportedTargets[] = {
    "JdbcTargets",  "MongoDBTargets", "DynamoDBTargets", "CatalogTargets",
    "DeltaTargets", "IcebergTargets", "HudiTargets"};
// The kinds Glue returns in Targets, empty when unused.
constexpr std::string_view kReturnedTargets[] = {"JdbcTargets", "MongoDBTargets", "DynamoDBTargets",
                                                 "CatalogTargets", "DeltaTargets"};

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out;
}

// S3Targets, checked; `unsupported` collects what tarn cannot crawl.
Json CheckTargets(Checker& in, std::vector<std::string>& unsupported) {
  Json out = Json::object();
  const Json* targets = in.Struct("Targets", false);
  if (!targets) return out;
  Checker t(*targets, in.Path("Targets"));
  for (std::string_view kind : kUnsupportedTargets) {
    if (const Json* list = t.List(kind, false); list && !list->empty()) {
      unsupported.push_back(std::string(kind));
    }
  }
  Json s3 = Json::array();
  if (const Json* list = t.List("S3Targets", false)) {
    for (size_t i = 0; i < list->size(); ++i) {
      Checker st((*list)[i], t.ElementPath("S3Targets", i));
      if (!(*list)[i].is_object()) {
        t.Violation("null", t.ElementPath("S3Targets", i), "Member must be a structure");
        continue;
      }
      std::string path = st.Str("Path", kPathRule);
      if (!path.empty()) {
        bool s3_url = path.rfind("s3://", 0) == 0 && path.size() > 5 && path[5] != '/';
        if (!s3_url) {
          st.Violation("'" + path + "'", "Path", "Member must be an S3 path, s3://bucket/prefix");
        }
      }
      std::vector<std::string> exclusions =
          st.StrList("Exclusions", false, 0, SIZE_MAX, kPatternRule);
      std::optional<int64_t> sample = st.Int("SampleSize", false, 1, 249);
      std::string connection = st.Str("ConnectionName", StrRule{false, 0, 2048});
      if (!st.Str("EventQueueArn", StrRule{false, 0, 2048}).empty() ||
          !st.Str("DlqEventQueueArn", StrRule{false, 0, 2048}).empty()) {
        unsupported.push_back("S3Targets.EventQueueArn (event mode)");
      }
      t.Absorb(st);
      Json target{{"Path", path}, {"Exclusions", exclusions}};
      if (sample) target["SampleSize"] = *sample;
      if (!connection.empty()) target["ConnectionName"] = connection;
      s3.push_back(std::move(target));
    }
  }
  in.Absorb(t);
  out["S3Targets"] = std::move(s3);
  for (std::string_view kind : kReturnedTargets) out[std::string(kind)] = Json::array();
  return out;
}

bool IsCronChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '*' || c == '?' || c == ',' ||
         c == '-' || c == '/' || c == '#';
}

// Every number in a cron field is within [lo, hi] ("1-5/2", "MON#2", "L").
bool NumbersInRange(std::string_view field, int lo, int hi) {
  size_t i = 0;
  while (i < field.size()) {
    if (!std::isdigit(static_cast<unsigned char>(field[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < field.size() && std::isdigit(static_cast<unsigned char>(field[j]))) ++j;
    int n = 0;
    std::from_chars(field.data() + i, field.data() + j, n);
    bool after_slash = i > 0 && field[i - 1] == '/';
    bool after_hash = i > 0 && field[i - 1] == '#';
    // Increments (x/n) and weekday ordinals (d#n) are counts, not values.
    if (!after_slash && !after_hash && (n < lo || n > hi)) return false;
    if (j - i > 4) return false;
    i = j;
  }
  return true;
}

}  // namespace

Status CheckCronExpression(std::string_view expression) {
  auto invalid = [&](const std::string& why) {
    return InvalidInput("Invalid schedule expression '" + std::string(expression) + "': " + why +
                        ". Glue schedules are cron(Minutes Hours Day-of-month Month "
                        "Day-of-week Year), e.g. cron(15 12 * * ? *).");
  };
  if (expression.size() < 7 || expression.substr(0, 5) != "cron(" || expression.back() != ')') {
    return invalid("it is not cron(...)");
  }
  std::string_view body = expression.substr(5, expression.size() - 6);
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < body.size()) {
    while (i < body.size() && body[i] == ' ') ++i;
    size_t j = i;
    while (j < body.size() && body[j] != ' ') ++j;
    if (j > i) fields.push_back(body.substr(i, j - i));
    i = j;
  }
  if (fields.size() != 6)
    return invalid("it has " + std::to_string(fields.size()) + " fields, not 6");
  static const char* kNames[] = {"minutes", "hours",       "day-of-month",
                                 "month",   "day-of-week", "year"};
  static const int kLo[] = {0, 0, 1, 1, 1, 1970};
  static const int kHi[] = {59, 23, 31, 12, 7, 2199};
  for (size_t f = 0; f < 6; ++f) {
    for (char c : fields[f]) {
      if (!IsCronChar(c))
        return invalid(std::string("the ") + kNames[f] + " field has '" + c + "'");
    }
    if (fields[f].find('?') != std::string_view::npos && f != 2 && f != 4) {
      return invalid(std::string("'?' is allowed in the day fields only, not in ") + kNames[f]);
    }
    if (!NumbersInRange(fields[f], kLo[f], kHi[f])) {
      return invalid(std::string("the ") + kNames[f] + " field is out of range " +
                     std::to_string(kLo[f]) + "-" + std::to_string(kHi[f]));
    }
  }
  if ((fields[2] == "?") == (fields[4] == "?")) {
    return invalid("exactly one of day-of-month and day-of-week must be '?'");
  }
  return Status::OK();
}

Result<Json> CheckCrawlerDefinition(const Json& request, bool create) {
  Checker in(request);
  Json out = Json::object();
  std::vector<std::string> unsupported;

  std::string role = in.Str("Role", create ? kRoleRule : kOptionalRoleRule);
  if (request.contains("Role")) out["Role"] = role;
  if (request.contains("DatabaseName")) {
    out["DatabaseName"] = LowerName(in.Str("DatabaseName", kOptionalNameRule));
  }
  if (request.contains("Description")) out["Description"] = in.Str("Description", kDescriptionRule);
  if (request.contains("Targets") || create) {
    if (create) in.Struct("Targets", true);
    Json targets = CheckTargets(in, unsupported);
    if (!targets.empty()) out["Targets"] = std::move(targets);
  }
  if (request.contains("Classifiers")) {
    out["Classifiers"] = in.StrList("Classifiers", false, 0, SIZE_MAX, kNameRule);
  }
  if (request.contains("TablePrefix")) out["TablePrefix"] = in.Str("TablePrefix", kPrefixRule);
  if (const Json* policy = in.Struct("SchemaChangePolicy", false)) {
    Checker p(*policy, in.Path("SchemaChangePolicy"));
    std::string update =
        p.Str("UpdateBehavior",
              StrRule{false, 0, SIZE_MAX, {}, {"LOG", "UPDATE_IN_DATABASE"}});
    std::string del =
        p.Str("DeleteBehavior", StrRule{false,
                                        0,
                                        SIZE_MAX,
                                        {},
                                        {"LOG", "DELETE_FROM_DATABASE", "DEPRECATE_IN_DATABASE"}});
    in.Absorb(p);
    out["SchemaChangePolicy"] =
        Json{{"UpdateBehavior", update.empty() ? "UPDATE_IN_DATABASE" : update},
             {"DeleteBehavior", del.empty() ? "DEPRECATE_IN_DATABASE" : del}};
  }
  if (const Json* policy = in.Struct("RecrawlPolicy", false)) {
    Checker p(*policy, in.Path("RecrawlPolicy"));
    std::string behavior =
        p.Str("RecrawlBehavior",
              StrRule{false,
                      0,
                      SIZE_MAX,
                      {},
                      {"CRAWL_EVERYTHING", "CRAWL_NEW_FOLDERS_ONLY", "CRAWL_EVENT_MODE"}});
    in.Absorb(p);
    if (behavior == "CRAWL_EVENT_MODE") unsupported.push_back("RecrawlPolicy CRAWL_EVENT_MODE");
    out["RecrawlPolicy"] =
        Json{{"RecrawlBehavior", behavior.empty() ? "CRAWL_EVERYTHING" : behavior}};
  }
  if (const Json* lineage = in.Struct("LineageConfiguration", false)) {
    Checker p(*lineage, in.Path("LineageConfiguration"));
    std::string setting = p.Str("CrawlerLineageSettings",
                                StrRule{false, 0, SIZE_MAX, {}, {"ENABLE", "DISABLE"}});
    in.Absorb(p);
    out["LineageConfiguration"] =
        Json{{"CrawlerLineageSettings", setting.empty() ? "DISABLE" : setting}};
  }
  if (const Json* lf = in.Struct("LakeFormationConfiguration", false)) {
    Checker p(*lf, in.Path("LakeFormationConfiguration"));
    bool use = p.Bool("UseLakeFormationCredentials").value_or(false);
    std::string account = p.Str("AccountId", kAccountRule);
    in.Absorb(p);
    out["LakeFormationConfiguration"] =
        Json{{"UseLakeFormationCredentials", use}, {"AccountId", account}};
  }
  std::string configuration = in.Str("Configuration", kConfigurationRule);
  if (request.contains("Configuration")) out["Configuration"] = configuration;
  if (request.contains("CrawlerSecurityConfiguration")) {
    out["CrawlerSecurityConfiguration"] =
        in.Str("CrawlerSecurityConfiguration", kSecurityConfigRule);
  }
  std::string schedule = in.Str("Schedule", kScheduleRule);
  if (request.contains("Schedule")) {
    out["Schedule"] = schedule.empty()
                          ? Json(nullptr)
                          : Json{{"ScheduleExpression", schedule}, {"State", "SCHEDULED"}};
  }
  TARN_RETURN_IF_ERROR(in.Finish());

  if (!unsupported.empty()) {
    return InvalidInput("tarn crawls S3 targets only; not supported: " + Join(unsupported) + ".");
  }
  if (create && (!out.contains("Targets") || out["Targets"]["S3Targets"].empty())) {
    return InvalidInput("A crawler needs at least one target: give Targets.S3Targets.");
  }
  if (out.contains("Targets") && out["Targets"]["S3Targets"].empty()) {
    return InvalidInput("A crawler needs at least one target: Targets.S3Targets is empty.");
  }
  if (!configuration.empty()) {
    Json config = Json::parse(configuration, nullptr, false);
    if (!config.is_object()) {
      return InvalidInput("Configuration must be a JSON object, e.g. {\"Version\":1.0}.");
    }
  }
  if (!schedule.empty()) TARN_RETURN_IF_ERROR(CheckCronExpression(schedule));
  return out;
}

Result<Json> CheckClassifierRequest(const Json& request, bool create, std::string* kind,
                                    std::string* name) {
  Checker in(request);
  std::vector<std::string> given;
  for (const char* k : {"GrokClassifier", "XMLClassifier", "JsonClassifier", "CsvClassifier"}) {
    if (in.Struct(k, false)) given.push_back(k);
  }
  TARN_RETURN_IF_ERROR(in.Finish());
  if (given.size() != 1) {
    return InvalidInput(given.empty() ? "Give one classifier: CsvClassifier or JsonClassifier."
                                      : "Give one classifier, not " + Join(given) + ".");
  }
  *kind = given[0];
  if (*kind == "GrokClassifier" || *kind == "XMLClassifier") {
    return InvalidInput(*kind +
                        " is not supported: tarn's crawlers classify with CsvClassifier and "
                        "JsonClassifier custom classifiers only.");
  }
  const Json& doc = request[*kind];
  Checker c(doc, in.Path(*kind));
  *name = c.Str("Name", kNameRule);
  Json out = Json::object();
  if (*kind == "JsonClassifier") {
    StrRule path_rule = kJsonPathRule;
    path_rule.required = create;
    std::string path = c.Str("JsonPath", path_rule);
    if (doc.contains("JsonPath")) out["JsonPath"] = path;
    if (!path.empty() && path[0] != '$') {
      c.Violation("'" + path + "'", "JsonPath", "Member must be a JSON path starting with '$'");
    }
  } else {
    for (const char* member : {"Delimiter", "QuoteSymbol"}) {
      std::string v = c.Str(member, kCharRule);
      if (v == "\n" || v == "\r") {
        c.Violation("'\\n'", member, "Member must satisfy regular expression pattern: [^\\r\\n]");
      }
      if (doc.contains(member)) out[member] = v;
    }
    std::string header_option =
        c.Str("ContainsHeader",
              StrRule{false, 0, SIZE_MAX, {}, {"UNKNOWN", "PRESENT", "ABSENT"}});
    if (doc.contains("ContainsHeader")) out["ContainsHeader"] = header_option;
    if (doc.contains("Header")) {
      out["Header"] = c.StrList("Header", false, 0, SIZE_MAX, kNameRule);
    }
    for (const char* member :
         {"DisableValueTrimming", "AllowSingleColumn", "CustomDatatypeConfigured"}) {
      std::optional<bool> v = c.Bool(member);
      if (v) out[member] = *v;
    }
    if (doc.contains("CustomDatatypes")) {
      out["CustomDatatypes"] = c.StrList("CustomDatatypes", false, 0, SIZE_MAX, kNameRule);
    }
  }
  in.Absorb(c);
  TARN_RETURN_IF_ERROR(in.Finish());
  return out;
}

}  // namespace tarn::glue
