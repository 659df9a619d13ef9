#include "services/glue/crawler_service.h"

#include <algorithm>
#include <system_error>

#include "aws/json_protocol.h"
#include "common/encoding.h"
#include "common/ids.h"
#include "common/log.h"
#include "services/glue/glue_validate.h"

namespace tarn::glue {

namespace {

Status EntityNotFound(std::string message) {
  return NotFound(std::move(message), "EntityNotFoundException");
}

std::string MakeToken(std::string_view after) { return Base64Encode(after); }

Result<std::string> ReadToken(const std::string& token) {
  if (token.empty()) return std::string();
  auto after = Base64Decode(token);
  if (!after || after->empty())
    return InvalidInput("Invalid NextToken: it was not returned by this operation.");
  return *after;
}

std::string StringMember(const Json& doc, const char* member) {
  auto it = doc.find(member);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
}

Json ParseObject(std::string_view text) {
  Json j = Json::parse(text, nullptr, false);
  return j.is_object() ? j : Json::object();
}

// A crawl's id in its log lines, as Glue's MessagePrefix: a UUID.
std::string NewMessagePrefix() {
  std::string hex = RandomHex(16);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

// LastCrawlInfo in stored form (StartTime in epoch millis).
std::string LastCrawlDoc(const std::string& crawler, std::string_view status,
                         const std::string& error, UnixMillis start_ms) {
  Json doc{{"Status", status},
           {"LogGroup", CrawlerService::kLogGroup},
           {"LogStream", crawler},
           {"MessagePrefix", NewMessagePrefix()},
           {"StartTime", start_ms}};
  // ErrorMessage is a DescriptionString: at most 2048 characters.
  if (!error.empty())
    doc["ErrorMessage"] = error.size() > 2000 ? error.substr(0, 2000) + "..." : error;
  return doc.dump();
}

double Seconds(const CrawlRunRow& run) {
  return static_cast<double>(std::max<int64_t>(0, run.end_ms - run.start_ms)) / 1000.0;
}

void SetDefault(Json& doc, const char* member, Json value) {
  if (!doc.contains(member) || doc[member].is_null()) doc[member] = std::move(value);
}

}  // namespace

CrawlerService::CrawlerService(storage::MetaStore* meta, CrawlerOptions options)
    : meta_(meta), options_(std::move(options)), store_(meta, options_.max_crawlers) {}

CrawlerService::~CrawlerService() { Shutdown(); }

Status CrawlerService::Start() {
  TARN_RETURN_IF_ERROR(store_.Migrate());
  // The threads of those crawls died with the server that ran them.
  TARN_ASSIGN_OR_RETURN(
      int failed, store_.FailInterruptedCrawls([](const std::string& name, UnixMillis start_ms) {
        return LastCrawlDoc(name, "FAILED", std::string(kServerStopped), start_ms);
      }));
  if (failed > 0) TARN_LOG(Warn, "crawls interrupted by a stop failed").Kv("crawlers", failed);
  return Status::OK();
}

void CrawlerService::Shutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutting_down_ = true;
  stopping_ = true;
  for (auto& [name, run] : runs_) run->stop = true;
  // Crawl threads never take mu_, so joining under it cannot deadlock.
  for (auto& [name, run] : runs_) {
    if (run->thread.joinable()) run->thread.join();
  }
  runs_.clear();
}

void CrawlerService::WaitIdle() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, run] : runs_) {
    if (run->thread.joinable()) run->thread.join();
  }
  runs_.clear();
}

void CrawlerService::ReapLocked() {
  for (auto it = runs_.begin(); it != runs_.end();) {
    if (it->second->done) {
      it->second->thread.join();
      it = runs_.erase(it);
    } else {
      ++it;
    }
  }
}

std::string CrawlerService::CrawlerArn(const std::string& name) const {
  return "arn:aws:glue:" + options_.region + ":" + options_.account_id + ":crawler/" + name;
}

// --- Rendering -------------------------------------------------------------------

Json CrawlerService::RenderCrawler(const CrawlerRow& row) const {
  Json c = ParseObject(row.definition);
  c["Name"] = row.name;
  // What Glue reports for members a crawler was created without.
  SetDefault(c, "Classifiers", Json::array());
  SetDefault(
      c, "SchemaChangePolicy",
      Json{{"UpdateBehavior", "UPDATE_IN_DATABASE"}, {"DeleteBehavior", "DEPRECATE_IN_DATABASE"}});
  SetDefault(c, "RecrawlPolicy", Json{{"RecrawlBehavior", "CRAWL_EVERYTHING"}});
  SetDefault(c, "LineageConfiguration", Json{{"CrawlerLineageSettings", "DISABLE"}});
  SetDefault(c, "LakeFormationConfiguration",
             Json{{"UseLakeFormationCredentials", false}, {"AccountId", ""}});
  if (c.contains("Schedule") && c["Schedule"].is_null()) c.erase("Schedule");
  c["State"] = row.state;
  int64_t elapsed = 0;
  if (row.state != kCrawlerReady && row.crawl_start_ms > 0)
    elapsed = std::max<int64_t>(0, options_.clock->Now() - row.crawl_start_ms);
  c["CrawlElapsedTime"] = elapsed;
  c["CreationTime"] = aws::MakeTimestamp(row.create_ms);
  c["LastUpdated"] = aws::MakeTimestamp(row.update_ms);
  c["Version"] = row.version;
  if (!row.last_crawl.empty()) {
    Json last = ParseObject(row.last_crawl);
    if (auto t = last.find("StartTime"); t != last.end() && t->is_number_integer())
      *t = aws::MakeTimestamp(t->get<int64_t>());
    c["LastCrawl"] = std::move(last);
  }
  return c;
}

Json CrawlerService::RenderClassifier(const ClassifierRow& row) const {
  Json c = ParseObject(row.definition);
  c["Name"] = row.name;
  c["CreationTime"] = aws::MakeTimestamp(row.create_ms);
  c["LastUpdated"] = aws::MakeTimestamp(row.update_ms);
  c["Version"] = row.version;
  if (row.kind == "CsvClassifier") {
    SetDefault(c, "ContainsHeader", "UNKNOWN");
    SetDefault(c, "DisableValueTrimming", false);
    SetDefault(c, "AllowSingleColumn", false);
  }
  return Json{{row.kind, std::move(c)}};
}

// --- Crawlers --------------------------------------------------------------------

Status CrawlerService::CheckDefinition(const Json& definition) const {
  auto behavior = [&](const char* policy, const char* member) {
    auto p = definition.find(policy);
    return p != definition.end() && p->is_object() ? StringMember(*p, member) : std::string();
  };
  if (behavior("RecrawlPolicy", "RecrawlBehavior") == "CRAWL_NEW_FOLDERS_ONLY" &&
      (behavior("SchemaChangePolicy", "UpdateBehavior") != "LOG" ||
       behavior("SchemaChangePolicy", "DeleteBehavior") != "LOG")) {
    // A crawl that looks only at new folders cannot tell that a table's
    // schema changed or that its data went away.
    return InvalidInput(
        "The SchemaChangePolicy of a crawler with RecrawlBehavior CRAWL_NEW_FOLDERS_ONLY "
        "must be UpdateBehavior LOG and DeleteBehavior LOG.");
  }
  return Status::OK();
}

Status CrawlerService::CreateCrawler(const std::string& name, const Json& definition,
                                     const Tags& tags) {
  TARN_RETURN_IF_ERROR(CheckDefinition(definition));
  CrawlerRow row;
  row.name = name;
  row.definition = definition.dump();
  row.create_ms = options_.clock->Now();
  row.update_ms = row.create_ms;
  row.tags = tags;
  return store_.CreateCrawler(row);
}

Result<Json> CrawlerService::GetCrawler(const std::string& name) {
  TARN_ASSIGN_OR_RETURN(CrawlerRow row, store_.GetCrawler(name));
  return Json{{"Crawler", RenderCrawler(row)}};
}

Result<Json> CrawlerService::GetCrawlers(const std::string& next_token, int max_results) {
  TARN_ASSIGN_OR_RETURN(std::string after, ReadToken(next_token));
  // One more than asked says whether another page follows.
  TARN_ASSIGN_OR_RETURN(std::vector<CrawlerRow> rows, store_.ListCrawlers(after, max_results + 1));
  Json list = Json::array();
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(max_results); ++i)
    list.push_back(RenderCrawler(rows[i]));
  Json out{{"Crawlers", std::move(list)}};
  if (rows.size() > static_cast<size_t>(max_results))
    out["NextToken"] = MakeToken(rows[max_results - 1].name);
  return out;
}

Result<Json> CrawlerService::ListCrawlers(const std::string& next_token, int max_results,
                                          const Tags& tags) {
  TARN_ASSIGN_OR_RETURN(std::string after, ReadToken(next_token));
  Json names = Json::array();
  std::string last;
  bool more = false;
  constexpr int kBatch = 1000;
  while (!more) {
    TARN_ASSIGN_OR_RETURN(std::vector<CrawlerRow> rows, store_.ListCrawlers(after, kBatch));
    for (const CrawlerRow& row : rows) {
      after = row.name;
      bool match = std::all_of(tags.begin(), tags.end(), [&](const auto& tag) {
        auto it = row.tags.find(tag.first);
        return it != row.tags.end() && it->second == tag.second;
      });
      if (!match) continue;
      if (names.size() == static_cast<size_t>(max_results)) {
        more = true;
        break;
      }
      names.push_back(row.name);
      last = row.name;
    }
    if (rows.size() < static_cast<size_t>(kBatch)) break;
  }
  Json out{{"CrawlerNames", std::move(names)}};
  if (more) out["NextToken"] = MakeToken(last);
  return out;
}

Result<Json> CrawlerService::BatchGetCrawlers(const std::vector<std::string>& names) {
  Json found = Json::array();
  Json missing = Json::array();
  for (const std::string& name : names) {
    Result<CrawlerRow> row = store_.GetCrawler(name);
    if (row.ok()) {
      found.push_back(RenderCrawler(*row));
    } else if (row.status().code() == Code::kNotFound) {
      missing.push_back(name);
    } else {
      return row.status();
    }
  }
  return Json{{"Crawlers", std::move(found)}, {"CrawlersNotFound", std::move(missing)}};
}

Status CrawlerService::UpdateCrawler(const std::string& name, const Json& changes) {
  // Read, merge, write if nobody wrote in between; a concurrent update is
  // merged again rather than lost.
  constexpr int kAttempts = 5;
  for (int attempt = 0;; ++attempt) {
    TARN_ASSIGN_OR_RETURN(CrawlerRow row, store_.GetCrawler(name));
    if (row.state != kCrawlerReady) {
      return FailedPrecondition(
          "Crawler with name " + name + " has already started (state " + row.state + ").",
          "CrawlerRunningException");
    }
    Json definition = ParseObject(row.definition);
    for (auto it = changes.begin(); it != changes.end(); ++it) definition[it.key()] = it.value();
    TARN_RETURN_IF_ERROR(CheckDefinition(definition));
    Result<int64_t> version =
        store_.UpdateCrawler(name, definition.dump(), row.version, options_.clock->Now());
    if (version.ok()) return Status::OK();
    if (version.status().aws_code() != "VersionMismatchException" || attempt + 1 == kAttempts)
      return version.status();
  }
}

Status CrawlerService::DeleteCrawler(const std::string& name) { return store_.DeleteCrawler(name); }

Status CrawlerService::StartCrawler(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) {
    return Unavailable("The server is stopping; start the crawler again once it is back.",
                       "ServiceUnavailable");
  }
  if (!options_.crawl) return Internal("the crawler service was started without a crawl function");
  ReapLocked();
  UnixMillis start_ms = options_.clock->Now();
  TARN_RETURN_IF_ERROR(store_.MarkRunning(name, start_ms));
  // The previous crawl of this crawler committed READY and is about to
  // end its thread: join it before its slot is reused.
  if (auto it = runs_.find(name); it != runs_.end()) {
    if (it->second->thread.joinable()) it->second->thread.join();
    runs_.erase(it);
  }
  auto run = std::make_unique<Run>();
  Run* r = run.get();
  try {
    r->thread = std::thread([this, name, start_ms, r] { CrawlThread(name, start_ms, r); });
  } catch (const std::system_error& e) {
    CrawlRunRow failed{start_ms, options_.clock->Now(), "FAILED", 0, 0, 0};
    std::string why = std::string("no thread for the crawl: ") + e.what();
    TARN_RETURN_IF_ERROR(
        store_.FinishCrawl(name, LastCrawlDoc(name, "FAILED", why, start_ms), failed));
    return Internal("Could not start crawler " + name + ": " + why);
  }
  runs_[name] = std::move(run);
  return Status::OK();
}

void CrawlerService::CrawlThread(const std::string& name, UnixMillis start_ms, Run* run) {
  Result<CrawlResult> result = [&]() -> Result<CrawlResult> {
    TARN_ASSIGN_OR_RETURN(CrawlerRow row, store_.GetCrawler(name));
    TARN_ASSIGN_OR_RETURN(CrawlSpec spec, SpecOf(row));
    return options_.crawl(spec, run->stop);
  }();
  CrawlRunRow record;
  record.start_ms = start_ms;
  record.end_ms = options_.clock->Now();
  std::string error;
  if (result.ok()) {
    record.status = "SUCCEEDED";
    record.tables_created = result->tables_created;
    record.tables_updated = result->tables_updated;
    record.tables_deleted = result->tables_deleted;
  } else if (stopping_) {
    record.status = "FAILED";
    error = std::string(kServerStopped);
  } else if (run->stop && result.status().code() == Code::kAborted) {
    record.status = "CANCELLED";
  } else {
    record.status = "FAILED";
    error = result.status().message();
  }
  Status st = store_.FinishCrawl(name, LastCrawlDoc(name, record.status, error, start_ms), record);
  if (!st.ok()) {
    // The crawler stays RUNNING until the next start fails it (Start()).
    TARN_LOG(Error, "recording the end of a crawl").Kv("crawler", name).Kv("error", st.ToString());
  }
  TARN_LOG(Info, "crawl finished")
      .Kv("crawler", name)
      .Kv("status", record.status)
      .Kv("ms", record.end_ms - record.start_ms);
  run->done = true;
}

Status CrawlerService::StopCrawler(const std::string& name) {
  TARN_RETURN_IF_ERROR(store_.MarkStopping(name));
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = runs_.find(name); it != runs_.end()) it->second->stop = true;
  return Status::OK();
}

Result<Json> CrawlerService::GetCrawlerMetrics(const std::vector<std::string>& names,
                                               const std::string& next_token, int max_results) {
  std::vector<std::string> selected;
  std::string token;
  if (names.empty()) {
    TARN_ASSIGN_OR_RETURN(std::string after, ReadToken(next_token));
    TARN_ASSIGN_OR_RETURN(std::vector<CrawlerRow> rows,
                          store_.ListCrawlers(after, max_results + 1));
    for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(max_results); ++i)
      selected.push_back(rows[i].name);
    if (rows.size() > static_cast<size_t>(max_results)) token = MakeToken(selected.back());
  } else {
    // At most 100 names: one page. Names that are not crawlers are left out.
    for (const std::string& name : names) {
      Result<CrawlerRow> row = store_.GetCrawler(name);
      if (row.ok()) {
        selected.push_back(name);
      } else if (row.status().code() != Code::kNotFound) {
        return row.status();
      }
    }
  }
  Json list = Json::array();
  for (const std::string& name : selected) {
    TARN_ASSIGN_OR_RETURN(std::vector<CrawlRunRow> runs, store_.ListRuns(name));
    Json m{{"CrawlerName", name},       {"TimeLeftSeconds", 0.0},      {"StillEstimating", false},
           {"LastRuntimeSeconds", 0.0}, {"MedianRuntimeSeconds", 0.0}, {"TablesCreated", 0},
           {"TablesUpdated", 0},        {"TablesDeleted", 0}};
    if (!runs.empty()) {
      const CrawlRunRow& last = runs.back();
      m["LastRuntimeSeconds"] = Seconds(last);
      m["TablesCreated"] = last.tables_created;
      m["TablesUpdated"] = last.tables_updated;
      m["TablesDeleted"] = last.tables_deleted;
      std::vector<double> seconds;
      for (const CrawlRunRow& r : runs) seconds.push_back(Seconds(r));
      std::sort(seconds.begin(), seconds.end());
      size_t n = seconds.size();
      m["MedianRuntimeSeconds"] =
          n % 2 ? seconds[n / 2] : (seconds[n / 2 - 1] + seconds[n / 2]) / 2.0;
    }
    list.push_back(std::move(m));
  }
  Json out{{"CrawlerMetricsList", std::move(list)}};
  if (!token.empty()) out["NextToken"] = token;
  return out;
}

Result<CrawlSpec> CrawlerService::SpecOf(const CrawlerRow& row) {
  Json def = ParseObject(row.definition);
  CrawlSpec spec;
  spec.crawler_name = row.name;
  spec.database = StringMember(def, "DatabaseName");
  if (spec.database.empty()) {
    return InvalidInput("Crawler " + row.name +
                        " has no DatabaseName: set one (UpdateCrawler) for its tables.");
  }
  spec.table_prefix = StringMember(def, "TablePrefix");
  if (auto targets = def.find("Targets"); targets != def.end() && targets->is_object()) {
    for (const Json& t : targets->value("S3Targets", Json::array())) {
      CrawlSpec::S3Target target;
      target.path = StringMember(t, "Path");
      for (const Json& e : t.value("Exclusions", Json::array())) {
        if (e.is_string()) target.exclusions.push_back(e.get<std::string>());
      }
      spec.s3_targets.push_back(std::move(target));
    }
  }
  if (auto p = def.find("SchemaChangePolicy"); p != def.end() && p->is_object()) {
    if (std::string v = StringMember(*p, "UpdateBehavior"); !v.empty()) spec.update_behavior = v;
    if (std::string v = StringMember(*p, "DeleteBehavior"); !v.empty()) spec.delete_behavior = v;
  }
  if (auto p = def.find("RecrawlPolicy"); p != def.end() && p->is_object()) {
    if (std::string v = StringMember(*p, "RecrawlBehavior"); !v.empty()) spec.recrawl_behavior = v;
  }
  for (const Json& n : def.value("Classifiers", Json::array())) {
    if (!n.is_string()) continue;
    Result<ClassifierRow> c = store_.GetClassifier(n.get<std::string>());
    if (!c.ok()) {
      return c.status().code() == Code::kNotFound
                 ? EntityNotFound("Classifier " + n.get<std::string>() + " of crawler " + row.name +
                                  " does not exist.")
                 : c.status();
    }
    Json cdef = ParseObject(c->definition);
    if (c->kind == "CsvClassifier") {
      CsvClassifierSpec csv;
      csv.name = c->name;
      if (std::string d = StringMember(cdef, "Delimiter"); !d.empty()) csv.delimiter = d[0];
      csv.contains_header = StringMember(cdef, "ContainsHeader");
      for (const Json& h : cdef.value("Header", Json::array())) {
        if (h.is_string()) csv.header.push_back(h.get<std::string>());
      }
      spec.csv_classifiers.push_back(std::move(csv));
    } else if (c->kind == "JsonClassifier") {
      spec.json_classifiers.push_back(JsonClassifierSpec{c->name, StringMember(cdef, "JsonPath")});
    }
  }
  return spec;
}

// --- Classifiers -----------------------------------------------------------------

Status CrawlerService::CreateClassifier(const std::string& kind, const std::string& name,
                                        const Json& definition) {
  ClassifierRow row;
  row.name = name;
  row.kind = kind;
  row.definition = definition.dump();
  row.create_ms = options_.clock->Now();
  row.update_ms = row.create_ms;
  return store_.CreateClassifier(row);
}

Result<Json> CrawlerService::GetClassifier(const std::string& name) {
  TARN_ASSIGN_OR_RETURN(ClassifierRow row, store_.GetClassifier(name));
  return Json{{"Classifier", RenderClassifier(row)}};
}

Result<Json> CrawlerService::GetClassifiers(const std::string& next_token, int max_results) {
  TARN_ASSIGN_OR_RETURN(std::string after, ReadToken(next_token));
  TARN_ASSIGN_OR_RETURN(std::vector<ClassifierRow> rows,
                        store_.ListClassifiers(after, max_results + 1));
  Json list = Json::array();
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(max_results); ++i)
    list.push_back(RenderClassifier(rows[i]));
  Json out{{"Classifiers", std::move(list)}};
  if (rows.size() > static_cast<size_t>(max_results))
    out["NextToken"] = MakeToken(rows[max_results - 1].name);
  return out;
}

Status CrawlerService::UpdateClassifier(const std::string& kind, const std::string& name,
                                        const Json& changes) {
  TARN_ASSIGN_OR_RETURN(ClassifierRow row, store_.GetClassifier(name));
  Json definition = ParseObject(row.definition);
  for (auto it = changes.begin(); it != changes.end(); ++it) definition[it.key()] = it.value();
  return store_.UpdateClassifier(name, kind, definition.dump(), options_.clock->Now());
}

Status CrawlerService::DeleteClassifier(const std::string& name) {
  return store_.DeleteClassifier(name);
}

// --- Tags ------------------------------------------------------------------------

bool CrawlerService::IsCrawlerArn(std::string_view arn) {
  // arn:<partition>:glue:<region>:<account>:crawler/<name>
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    size_t colon = arn.find(':', start);
    if (colon == std::string_view::npos) return false;
    start = colon + 1;
  }
  return arn.substr(0, 4) == "arn:" && arn.substr(start, 8) == "crawler/";
}

Result<std::string> CrawlerService::CrawlerOfArn(const std::string& arn) const {
  std::string prefix = "arn:aws:glue:" + options_.region + ":" + options_.account_id + ":crawler/";
  if (arn.rfind(prefix, 0) != 0 || arn.size() == prefix.size()) {
    return EntityNotFound("Resource " + arn + " not found: this server is region " +
                          options_.region + ", account " + options_.account_id + ".");
  }
  return arn.substr(prefix.size());
}

Status CrawlerService::TagResource(const std::string& arn, const Tags& tags) {
  TARN_ASSIGN_OR_RETURN(std::string name, CrawlerOfArn(arn));
  return store_.ChangeTags(name, tags, {});
}

Status CrawlerService::UntagResource(const std::string& arn, const std::vector<std::string>& keys) {
  TARN_ASSIGN_OR_RETURN(std::string name, CrawlerOfArn(arn));
  return store_.ChangeTags(name, {}, keys);
}

Result<Tags> CrawlerService::GetTags(const std::string& arn) {
  TARN_ASSIGN_OR_RETURN(std::string name, CrawlerOfArn(arn));
  return store_.GetTags(name);
}

}  // namespace tarn::glue
