// CrawlerService: Glue crawlers and custom classifiers, free of HTTP: their
// definitions, the READY -> RUNNING -> (STOPPING ->) READY life cycle, the
// crawl threads and the metrics of past runs. The crawl itself is RunCrawl
// (crawl.h), reached through CrawlerOptions::crawl so that this file needs
// no query engine and tests can crawl with a function of their own.
//
// StartCrawler marks the crawler RUNNING in the MetaStore and starts one
// std::thread for the crawl: a crawl takes seconds to minutes, and holding
// a worker-pool thread that long would starve requests. When the crawl
// ends the crawler is READY again with LastCrawl (SUCCEEDED, CANCELLED
// after StopCrawler, FAILED with the error) and the run's table counts
// recorded. A crawler found RUNNING at Start() belonged to a server that
// stopped mid-crawl: it is made READY with LastCrawl FAILED.
//
// Errors carry Glue's codes (EntityNotFoundException,
// AlreadyExistsException, InvalidInputException, CrawlerRunningException,
// CrawlerNotRunningException, CrawlerStoppingException).
//
// Thread-safety: all methods are thread-safe and may block on SQLite (call
// them from a worker pool). Shutdown() (also run by the destructor) stops
// the crawls and joins their threads; the MetaStore, and whatever `crawl`
// uses, must outlive it.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "services/glue/crawl.h"
#include "services/glue/crawler_store.h"
#include "storage/meta_store.h"

namespace tarn::glue {

// Runs one crawl on the calling thread (the crawl's own). `stop` turns
// true when the crawl should end; it then returns Aborted.
using CrawlFunction =
    std::function<Result<CrawlResult>(const CrawlSpec& spec, const std::atomic<bool>& stop)>;

struct CrawlerOptions {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  Clock* clock = Clock::Real();
  int64_t max_crawlers = 1'000;
  CrawlFunction crawl;  // required to start crawls
};

class CrawlerService {
 public:
  static constexpr std::string_view kLogGroup = "/aws-glue/crawlers";
  static constexpr std::string_view kServerStopped = "the server stopped during the crawl";

  CrawlerService(storage::MetaStore* meta, CrawlerOptions options);
  ~CrawlerService();
  CrawlerService(const CrawlerService&) = delete;
  CrawlerService& operator=(const CrawlerService&) = delete;

  // Creates or upgrades the schema; fails the crawls a stopped server left
  // RUNNING.
  Status Start();
  // Asks every running crawl to stop and joins the threads; their crawlers
  // end READY with LastCrawl FAILED (kServerStopped). StartCrawler fails
  // afterwards. Idempotent.
  void Shutdown();

  // --- Crawlers (definition: CheckCrawlerDefinition's output) ---
  Status CreateCrawler(const std::string& name, const Json& definition, const Tags& tags);
  Result<Json> GetCrawler(const std::string& name);  // {"Crawler": ...}
  Result<Json> GetCrawlers(const std::string& next_token, int max_results);
  // tags: only crawlers carrying all of them (key and value).
  Result<Json> ListCrawlers(const std::string& next_token, int max_results, const Tags& tags);
  Result<Json> BatchGetCrawlers(const std::vector<std::string>& names);
  // changes: the members to replace (null Schedule removes it).
  Status UpdateCrawler(const std::string& name, const Json& changes);
  Status DeleteCrawler(const std::string& name);
  Status StartCrawler(const std::string& name);
  Status StopCrawler(const std::string& name);
  // names empty: every crawler, paged.
  Result<Json> GetCrawlerMetrics(const std::vector<std::string>& names,
                                 const std::string& next_token, int max_results);

  // --- Classifiers (definition: CheckClassifierRequest's output) ---
  Status CreateClassifier(const std::string& kind, const std::string& name, const Json& definition);
  Result<Json> GetClassifier(const std::string& name);  // {"Classifier": ...}
  Result<Json> GetClassifiers(const std::string& next_token, int max_results);
  // Members present in `changes` replace the stored ones.
  Status UpdateClassifier(const std::string& kind, const std::string& name, const Json& changes);
  Status DeleteClassifier(const std::string& name);

  // --- Tags, by ARN (arn:aws:glue:<region>:<account>:crawler/<name>) ---
  // Whether the ARN names a crawler (its other parts are checked by the calls).
  static bool IsCrawlerArn(std::string_view arn);
  Status TagResource(const std::string& arn, const Tags& tags);
  Status UntagResource(const std::string& arn, const std::vector<std::string>& keys);
  Result<Tags> GetTags(const std::string& arn);
  std::string CrawlerArn(const std::string& name) const;

  // The crawl a stored crawler asks for, its classifiers resolved.
  // EntityNotFoundException for a classifier that does not exist. Public for
  // tests.
  Result<CrawlSpec> SpecOf(const CrawlerRow& row);

  // Blocks until no crawl thread is running (tests).
  void WaitIdle();

 private:
  struct Run {
    std::thread thread;
    std::atomic<bool> stop{false};
    std::atomic<bool> done{false};
  };

  Json RenderCrawler(const CrawlerRow& row) const;
  Json RenderClassifier(const ClassifierRow& row) const;
  Result<std::string> CrawlerOfArn(const std::string& arn) const;
  Status CheckDefinition(const Json& definition) const;
  // The body of a crawl's thread.
  void CrawlThread(const std::string& name, UnixMillis start_ms, Run* run);
  // Joins the threads of finished crawls. Caller holds mu_.
  void ReapLocked();

  storage::MetaStore* meta_;
  CrawlerOptions options_;
  CrawlerStore store_;

  std::mutex mu_;
  bool shutting_down_ = false;  // GUARDED_BY(mu_)
  // shutting_down_ as crawl threads read it, without mu_.
  std::atomic<bool> stopping_{false};
  std::map<std::string, std::unique_ptr<Run>> runs_;  // GUARDED_BY(mu_)
};

}  // namespace tarn::glue
