// `tarn sql`: runs a query through a running server's Athena API, as the aws
// CLI would, and prints the result.
//
//   tarn sql "SELECT ..."          the query as an argument, or on stdin
//   --endpoint URL                 $AWS_ENDPOINT_URL, else http://127.0.0.1:4566
//   --region R                     $AWS_REGION / $AWS_DEFAULT_REGION, else us-east-1
//   --database DB, --workgroup WG  QueryExecutionContext.Database, WorkGroup
//   --output-location s3://...     where results go (default
//                                  s3://tarn-query-results/, made if missing)
//   --format table|csv|json        aligned columns (default), CSV, JSON lines
//
// Credentials are the aws CLI's: $AWS_ACCESS_KEY_ID / $AWS_SECRET_ACCESS_KEY,
// else the [default] (or $AWS_PROFILE) profile of ~/.aws/credentials. A
// query running over a second shows its progress on stderr when that is a
// terminal. Exit status: 0 on success, 1 when the query failed (the reason
// on stderr), 2 for bad usage or an unreachable server.
#pragma once

#include <string>

namespace tarn::cli {

struct SqlOptions {
  std::string sql;  // empty: read stdin
  std::string endpoint;
  std::string region;
  std::string database;
  std::string workgroup;
  std::string output_location = "s3://tarn-query-results/";
  std::string format = "table";
};

int RunSql(SqlOptions options);

}  // namespace tarn::cli
