// AthenaApi: binds Amazon Athena's operations (JSON 1.1, X-Amz-Target
// AmazonAthena.<Operation>) to AthenaService.
//
// Each request is checked against the botocore model's constraints
// (required members, lengths, ranges, enums: InvalidRequestException naming
// the member; a member of the wrong JSON type is SerializationException),
// then the service is called. All of it runs on the worker pool: the I/O
// thread only routes. Notebooks, sessions, calculations, capacity
// reservations and data-catalog writes answer UnknownOperationException
// naming the operation.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <map>
#include <string>
#include <string_view>

#include "aws/json_protocol.h"
#include "common/worker_pool.h"
#include "services/athena/athena_service.h"

namespace tarn::athena {

class AthenaApi : public aws::JsonService {
 public:
  // The service and pool must outlive the api.
  AthenaApi(AthenaService* service, WorkerPool* pool);

  std::string_view target_prefix() const override { return "AmazonAthena"; }
  std::string_view json_version() const override { return "1.1"; }
  // A QueryString is at most 256 KiB; named-query batches are small.
  size_t max_request_bytes() const override { return 1u << 20; }
  int ErrorStatus(std::string_view aws_code) const override;
  void AddErrorMembers(const Status& status, aws::Json& members) const override;
  boost::asio::awaitable<Result<aws::Json>> Invoke(const aws::JsonRequest& request) override;
  // GetQueryResults writes its pages of rows as text, not a document.
  bool TakesRawBody(std::string_view operation) const override;
  boost::asio::awaitable<Result<std::string>> InvokeRaw(const aws::JsonRequest& request,
                                                        std::string body) override;

 private:
  using Json = aws::Json;
  using Handler = Result<Json> (AthenaApi::*)(const Json&);

  Result<Json> StartQueryExecution(const Json& in);
  Result<Json> GetQueryExecution(const Json& in);
  Result<Json> BatchGetQueryExecution(const Json& in);
  Result<Json> ListQueryExecutions(const Json& in);
  Result<Json> StopQueryExecution(const Json& in);
  Result<Json> GetQueryRuntimeStatistics(const Json& in);
  Result<Json> GetQueryResults(const Json& in);
  Result<std::string> GetQueryResultsJson(const Json& in);
  Result<Json> CreateWorkGroup(const Json& in);
  Result<Json> GetWorkGroup(const Json& in);
  Result<Json> ListWorkGroups(const Json& in);
  Result<Json> UpdateWorkGroup(const Json& in);
  Result<Json> DeleteWorkGroup(const Json& in);
  Result<Json> CreateNamedQuery(const Json& in);
  Result<Json> GetNamedQuery(const Json& in);
  Result<Json> BatchGetNamedQuery(const Json& in);
  Result<Json> ListNamedQueries(const Json& in);
  Result<Json> UpdateNamedQuery(const Json& in);
  Result<Json> DeleteNamedQuery(const Json& in);
  Result<Json> CreatePreparedStatement(const Json& in);
  Result<Json> GetPreparedStatement(const Json& in);
  Result<Json> BatchGetPreparedStatement(const Json& in);
  Result<Json> ListPreparedStatements(const Json& in);
  Result<Json> UpdatePreparedStatement(const Json& in);
  Result<Json> DeletePreparedStatement(const Json& in);
  Result<Json> ListDataCatalogs(const Json& in);
  Result<Json> GetDataCatalog(const Json& in);
  Result<Json> ListDatabases(const Json& in);
  Result<Json> GetDatabase(const Json& in);
  Result<Json> ListTableMetadata(const Json& in);
  Result<Json> GetTableMetadata(const Json& in);
  Result<Json> TagResource(const Json& in);
  Result<Json> UntagResource(const Json& in);
  Result<Json> ListTagsForResource(const Json& in);

  AthenaService* service_;
  WorkerPool* pool_;
  std::map<std::string, Handler, std::less<>> handlers_;
};

}  // namespace tarn::athena
