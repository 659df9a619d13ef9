// CrawlerStore: Glue crawlers, their runs and custom classifiers in the
// MetaStore. The only file with crawler SQL; the tables are specified in
// docs/glue-catalog.md §Crawlers.
//
// Definitions (a crawler's settings, a classifier's) are stored as JSON
// text in the form crawler_service renders from; the store never looks
// inside them. A crawler's state (READY, RUNNING, STOPPING) is a column so
// that state changes are checked inside the transaction that makes them:
// two StartCrawler calls cannot both find it READY.
//
// Every method blocks (run it on a worker pool or a crawl thread). Errors
// carry Glue's codes: EntityNotFoundException, AlreadyExistsException,
// CrawlerRunningException, CrawlerNotRunningException,
// CrawlerStoppingException, ResourceNumberLimitExceededException.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "services/glue/glue_store.h"
#include "storage/meta_store.h"

namespace tarn::glue {

inline constexpr std::string_view kCrawlerReady = "READY";
inline constexpr std::string_view kCrawlerRunning = "RUNNING";
inline constexpr std::string_view kCrawlerStopping = "STOPPING";

struct CrawlerRow {
  std::string name;
  std::string definition;  // JSON: the crawler's settings (crawler_service.cc)
  std::string state = std::string(kCrawlerReady);
  int64_t version = 1;
  UnixMillis create_ms = 0;
  UnixMillis update_ms = 0;
  UnixMillis crawl_start_ms = 0;  // of the crawl in progress; 0 when READY
  std::string last_crawl;         // JSON LastCrawlInfo (StartTime in millis); "" before the first
  Tags tags;
};

// One finished crawl, for GetCrawlerMetrics.
struct CrawlRunRow {
  UnixMillis start_ms = 0;
  UnixMillis end_ms = 0;
  std::string status;  // SUCCEEDED, CANCELLED, FAILED
  int64_t tables_created = 0;
  int64_t tables_updated = 0;
  int64_t tables_deleted = 0;
};

struct ClassifierRow {
  std::string name;
  std::string kind;        // CsvClassifier, JsonClassifier
  std::string definition;  // JSON: the classifier's members but Name and times
  int64_t version = 1;
  UnixMillis create_ms = 0;
  UnixMillis update_ms = 0;
};

class CrawlerStore {
 public:
  // Runs kept per crawler: enough for a stable median, bounded.
  static constexpr int kRunsKept = 100;

  CrawlerStore(storage::MetaStore* meta, int64_t max_crawlers)
      : meta_(meta), max_crawlers_(max_crawlers) {}

  // Creates or upgrades the schema (component "glue_crawlers").
  Status Migrate();

  // --- Crawlers ---
  Status CreateCrawler(const CrawlerRow& row);
  Result<CrawlerRow> GetCrawler(const std::string& name);
  // Up to `limit` crawlers after `after` (exclusive; "" from the start), by name.
  Result<std::vector<CrawlerRow>> ListCrawlers(const std::string& after, int limit);
  // Replaces the definition and bumps the version; CrawlerRunningException
  // unless READY, VersionMismatchException unless at expected_version.
  Result<int64_t> UpdateCrawler(const std::string& name, const std::string& definition,
                                int64_t expected_version, UnixMillis now);
  // CrawlerRunningException unless READY. Removes its runs too.
  Status DeleteCrawler(const std::string& name);
  // READY -> RUNNING with the crawl's start time; CrawlerRunningException
  // when RUNNING or STOPPING.
  Status MarkRunning(const std::string& name, UnixMillis start_ms);
  // RUNNING -> STOPPING; CrawlerNotRunningException when READY,
  // CrawlerStoppingException when STOPPING.
  Status MarkStopping(const std::string& name);
  // Back to READY with `last_crawl`, and the run recorded (the oldest runs
  // beyond kRunsKept dropped). A crawler deleted meanwhile is not an error.
  Status FinishCrawl(const std::string& name, const std::string& last_crawl,
                     const CrawlRunRow& run);
  // Every crawler left RUNNING or STOPPING (by a server that stopped) made
  // READY with `last_crawl` built from its start time. Returns how many.
  Result<int> FailInterruptedCrawls(
      const std::function<std::string(const std::string& name, UnixMillis start_ms)>& last_crawl);
  // The crawler's runs, oldest first.
  Result<std::vector<CrawlRunRow>> ListRuns(const std::string& name);

  Result<Tags> GetTags(const std::string& name);
  Status ChangeTags(const std::string& name, const Tags& add,
                    const std::vector<std::string>& remove);

  // --- Classifiers ---
  Status CreateClassifier(const ClassifierRow& row);
  Result<ClassifierRow> GetClassifier(const std::string& name);
  Result<std::vector<ClassifierRow>> ListClassifiers(const std::string& after, int limit);
  // Replaces the definition and bumps the version. InvalidInputException
  // when `kind` differs from the stored one (a CSV classifier stays CSV).
  Status UpdateClassifier(const std::string& name, const std::string& kind,
                          const std::string& definition, UnixMillis now);
  Status DeleteClassifier(const std::string& name);

 private:
  storage::MetaStore* meta_;
  int64_t max_crawlers_;
};

}  // namespace tarn::glue
