// tarn: the command line. Subcommands: serve, sql, version.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "cli/sql_command.h"
#include "common/log.h"
#include "query/query_loader.h"
#include "server/app.h"

#ifndef TARN_VERSION
#define TARN_VERSION "0.0.0"
#endif

namespace {

// "HOST:PORT" or "[v6]:PORT" -> host, port.
bool ParseListen(const std::string& s, std::string* host, uint16_t* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon + 1 == s.size()) return false;
  std::string h = s.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty()) return false;
  unsigned long p = 0;
  try {
    size_t used = 0;
    p = std::stoul(s.substr(colon + 1), &used);
    if (used != s.size() - colon - 1 || p > 65535) return false;
  } catch (...) {
    return false;
  }
  *host = h;
  *port = static_cast<uint16_t>(p);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tarn: the AWS data-engineering stack on one machine"};
  app.require_subcommand(1);

  tarn::server::ServeOptions serve;
  std::string listen = "127.0.0.1:4566";
  std::string log_level = "info";
  bool quiet_requests = false;
  CLI::App* serve_cmd = app.add_subcommand("serve", "Run the server");
  serve_cmd->add_option("--data-dir", serve.data_dir, "Data directory")
      ->envname("TARN_DATA_DIR")
      ->capture_default_str();
  serve_cmd->add_option("--listen", listen, "Address to listen on, HOST:PORT (port 0: ephemeral)")
      ->envname("TARN_LISTEN")
      ->capture_default_str();
  serve_cmd->add_option("--region", serve.region, "AWS region the server reports")
      ->envname("TARN_REGION")
      ->capture_default_str();
  // Bounded like --worker-threads: an absurd count would fail thread
  // creation inside the HTTP server, which ends the process with an
  // uncaught std::system_error instead of a message.
  serve_cmd->add_option("--io-threads", serve.io_threads, "HTTP I/O threads (0: one per core)")
      ->envname("TARN_IO_THREADS")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  serve_cmd->add_option("--worker-threads", serve.worker_threads,
                        "Threads for blocking work (disk, fsync, metadata)")
      ->envname("TARN_WORKER_THREADS")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  serve_cmd->add_option("--max-connections", serve.max_connections,
                        "Concurrent connections; more are answered 503")
      ->envname("TARN_MAX_CONNECTIONS")
      ->capture_default_str();
  serve_cmd->add_option("--max-inflight-requests", serve.max_inflight_requests,
                        "Requests processed at once; more are answered 503 SlowDown (0: no limit)")
      ->envname("TARN_MAX_INFLIGHT_REQUESTS")
      ->capture_default_str();
  serve_cmd->add_option("--kinesis-status-delay-ms", serve.kinesis_status_delay_ms,
                        "How long Kinesis streams stay CREATING/UPDATING/DELETING")
      ->envname("TARN_KINESIS_STATUS_DELAY_MS")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  serve_cmd->add_option("--query-threads", serve.query_threads,
                        "Athena queries run at once; more wait QUEUED")
      ->envname("TARN_QUERY_THREADS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  serve_cmd->add_option("--query-memory-mib", serve.query_memory_mib,
                        "Memory an Athena query may hold before it spills to disk (MiB)")
      ->envname("TARN_QUERY_MEMORY_MIB")
      ->check(CLI::Range(int64_t{16}, int64_t{1} << 30))
      ->capture_default_str();
  serve_cmd->add_option("--log-level", log_level, "debug, info, warn or error")
      ->envname("TARN_LOG_LEVEL")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  serve_cmd->add_flag("--no-request-log", quiet_requests, "Do not log one line per request")
      ->envname("TARN_NO_REQUEST_LOG");

  tarn::cli::SqlOptions sql;
  CLI::App* sql_cmd = app.add_subcommand(
      "sql", "Run a query through a running server's Athena API and print the result");
  sql_cmd->add_option("query", sql.sql, "The SQL (default: read it from stdin)");
  sql_cmd->add_option("--endpoint", sql.endpoint,
                      "The server, http://HOST:PORT ($AWS_ENDPOINT_URL, else http://127.0.0.1:4566)");
  sql_cmd->add_option("--region", sql.region, "Region ($AWS_REGION, else us-east-1)");
  sql_cmd->add_option("--database", sql.database, "The Glue database unqualified names are in");
  sql_cmd->add_option("--workgroup", sql.workgroup, "The Athena workgroup (default: primary)");
  sql_cmd->add_option("--output-location", sql.output_location, "Where results go in tarn's S3")
      ->capture_default_str();
  sql_cmd->add_option("--format", sql.format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();

  CLI::App* version_cmd = app.add_subcommand("version", "Print tarn's and DuckDB's versions");

  CLI11_PARSE(app, argc, argv);

  if (version_cmd->parsed()) {
    std::printf("tarn %s\n%s\n", TARN_VERSION, tarn::query::DescribeQueryEngine().c_str());
    return 0;
  }
  if (sql_cmd->parsed()) return tarn::cli::RunSql(sql);
  if (serve_cmd->parsed()) {
    if (!ParseListen(listen, &serve.host, &serve.port)) {
      std::fprintf(stderr, "tarn: --listen must be HOST:PORT, got '%s'\n", listen.c_str());
      return 2;
    }
    serve.log_requests = !quiet_requests;
    tarn::SetLogLevel(log_level == "debug"  ? tarn::LogLevel::Debug
                      : log_level == "warn" ? tarn::LogLevel::Warn
                      : log_level == "error" ? tarn::LogLevel::Error
                                             : tarn::LogLevel::Info);
    return tarn::server::RunServe(serve);
  }
  return 0;
}
