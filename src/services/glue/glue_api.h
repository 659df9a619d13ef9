// GlueApi: binds the AWS Glue Data Catalog operations (JSON 1.1,
// X-Amz-Target AWSGlue.<Operation>) to GlueService.
//
// Each operation's request is checked against the botocore model
// (glue_validate.h: InvalidInputException naming the member, or
// SerializationException for a wrong JSON type), names are lowercased,
// CatalogId is checked against the server's account, and the service is
// called. All of it runs on the worker pool (one hop per request): the I/O
// thread never waits on SQLite nor copies large documents.
//
// Crawlers and classifiers (crawler_api.cc) are served when a
// CrawlerService is given. Other operations (jobs, triggers, ...) answer
// UnknownOperationException naming the operation.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <map>
#include <string>
#include <string_view>

#include "aws/json_protocol.h"
#include "common/worker_pool.h"
#include "services/glue/crawler_service.h"
#include "services/glue/glue_service.h"

namespace tarn::glue {

class GlueApi : public aws::JsonService {
 public:
  // The services and pool must outlive the api. crawlers may be null: the
  // crawler and classifier operations are then unknown.
  GlueApi(GlueService* service, WorkerPool* pool, CrawlerService* crawlers = nullptr);

  std::string_view target_prefix() const override { return "AWSGlue"; }
  std::string_view json_version() const override { return "1.1"; }
  // 100 partitions with wide storage descriptors, or a table whose
  // parameters hold large values (up to 512,000 characters each).
  size_t max_request_bytes() const override { return 16u << 20; }
  int ErrorStatus(std::string_view aws_code) const override;
  boost::asio::awaitable<Result<aws::Json>> Invoke(const aws::JsonRequest& request) override;

 private:
  using Json = aws::Json;
  using Handler = Result<Json> (GlueApi::*)(const Json&);

  Result<Json> CreateDatabase(const Json& in);
  Result<Json> GetDatabase(const Json& in);
  Result<Json> GetDatabases(const Json& in);
  Result<Json> UpdateDatabase(const Json& in);
  Result<Json> DeleteDatabase(const Json& in);
  Result<Json> CreateTable(const Json& in);
  Result<Json> GetTable(const Json& in);
  Result<Json> GetTables(const Json& in);
  Result<Json> UpdateTable(const Json& in);
  Result<Json> DeleteTable(const Json& in);
  Result<Json> BatchDeleteTable(const Json& in);
  Result<Json> GetTableVersions(const Json& in);
  Result<Json> GetTableVersion(const Json& in);
  Result<Json> DeleteTableVersion(const Json& in);
  Result<Json> BatchDeleteTableVersion(const Json& in);
  Result<Json> SearchTables(const Json& in);
  Result<Json> CreatePartition(const Json& in);
  Result<Json> BatchCreatePartition(const Json& in);
  Result<Json> GetPartition(const Json& in);
  Result<Json> GetPartitions(const Json& in);
  Result<Json> BatchGetPartition(const Json& in);
  Result<Json> UpdatePartition(const Json& in);
  Result<Json> BatchUpdatePartition(const Json& in);
  Result<Json> DeletePartition(const Json& in);
  Result<Json> BatchDeletePartition(const Json& in);
  Result<Json> UpdateColumnStatisticsForTable(const Json& in);
  Result<Json> GetColumnStatisticsForTable(const Json& in);
  Result<Json> DeleteColumnStatisticsForTable(const Json& in);
  Result<Json> UpdateColumnStatisticsForPartition(const Json& in);
  Result<Json> GetColumnStatisticsForPartition(const Json& in);
  Result<Json> DeleteColumnStatisticsForPartition(const Json& in);
  Result<Json> TagResource(const Json& in);
  Result<Json> UntagResource(const Json& in);
  Result<Json> GetTags(const Json& in);

  // Crawlers and classifiers (crawler_api.cc).
  void AddCrawlerHandlers();
  Result<Json> CreateCrawler(const Json& in);
  Result<Json> GetCrawler(const Json& in);
  Result<Json> GetCrawlers(const Json& in);
  Result<Json> ListCrawlers(const Json& in);
  Result<Json> BatchGetCrawlers(const Json& in);
  Result<Json> UpdateCrawler(const Json& in);
  Result<Json> DeleteCrawler(const Json& in);
  Result<Json> StartCrawler(const Json& in);
  Result<Json> StopCrawler(const Json& in);
  Result<Json> GetCrawlerMetrics(const Json& in);
  Result<Json> CreateClassifier(const Json& in);
  Result<Json> GetClassifier(const Json& in);
  Result<Json> GetClassifiers(const Json& in);
  Result<Json> UpdateClassifier(const Json& in);
  Result<Json> DeleteClassifier(const Json& in);

  // One handler per operation; each runs on a pool thread.
  // Column statistics, shared by the table and partition variants.
  Result<Json> UpdateStatistics(const Json& in, bool partition);
  Result<Json> GetStatistics(const Json& in, bool partition);
  Result<Json> DeleteStatistics(const Json& in, bool partition);

  GlueService* service_;
  WorkerPool* pool_;
  CrawlerService* crawlers_;
  std::map<std::string, Handler, std::less<>> handlers_;
};

}  // namespace tarn::glue
