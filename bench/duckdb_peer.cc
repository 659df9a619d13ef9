// duckdb_peer: DuckDB alone, the peer bench/athena_bench measures tarn's
// Athena against. It links the same libduckdb.so tarn's query module loads
// and talks to it through DuckDB's C API (duckdb.h): by DESIGN.md only
// src/query includes DuckDB's C++ headers.
//
//   duckdb_peer exec  [options] SCRIPT     run a SQL script (the data
//                                          generation: COPY ... TO parquet);
//                                          prints {"ms": ...}
//   duckdb_peer serve [options] [--init SCRIPT]
//       reads commands from stdin, one a line, tab-separated:
//         run <warmups> <runs> <query.sql> <out.tsv or ->
//       runs the query warmups + runs times on one connection and answers
//       one JSON line {"rows": N, "ms": [one per timed run]} (or {"error"})
//       after writing the last run's rows to out.tsv: values as DuckDB casts
//       them to VARCHAR, tab-separated, \N for NULL, \t \n \\ escaped.
//
// Options: --threads N (0: DuckDB's default, one per core), --memory-limit
// 2GiB, --temp-dir DIR. athena_bench passes what tarn's LakeEngine uses
// (src/server/app.cc), so both engines get the same threads and memory.
//
// A timed run is duckdb_query() returning a materialized result: every row
// fetched into the client's memory, as a client reading results would.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "duckdb.h"

namespace {

struct Options {
  int threads = 0;
  std::string memory_limit;
  std::string temp_dir;
  std::string init;
  std::vector<std::string> args;
};

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// One database and one connection, closed when it goes.
class Peer {
 public:
  bool Open(const Options& o, std::string* error) {
    duckdb_config config;
    if (duckdb_create_config(&config) != DuckDBSuccess) return Fail("duckdb_create_config", error);
    bool ok = duckdb_set_config(config, "autoinstall_known_extensions", "false") == DuckDBSuccess;
    if (o.threads > 0) {
      ok = ok &&
           duckdb_set_config(config, "threads", std::to_string(o.threads).c_str()) == DuckDBSuccess;
    }
    if (!o.memory_limit.empty()) {
      ok = ok && duckdb_set_config(config, "memory_limit", o.memory_limit.c_str()) == DuckDBSuccess;
    }
    if (!o.temp_dir.empty()) {
      ok = ok && duckdb_set_config(config, "temp_directory", o.temp_dir.c_str()) == DuckDBSuccess;
    }
    if (!ok) {
      duckdb_destroy_config(&config);
      return Fail("setting threads / memory_limit / temp_directory", error);
    }
    char* open_error = nullptr;
    const bool opened = duckdb_open_ext(nullptr, &db_, config, &open_error) == DuckDBSuccess;
    duckdb_destroy_config(&config);
    if (!opened) {
      *error = open_error ? open_error : "duckdb_open_ext failed";
      duckdb_free(open_error);
      return false;
    }
    open_ = true;
    if (duckdb_connect(db_, &connection_) != DuckDBSuccess) return Fail("duckdb_connect", error);
    connected_ = true;
    return true;
  }

  ~Peer() {
    if (connected_) duckdb_disconnect(&connection_);
    if (open_) duckdb_close(&db_);
  }

  // Runs sql to the end (all statements; the last one's rows materialized).
  // On success *result must be destroyed by the caller.
  bool Query(const std::string& sql, duckdb_result* result, std::string* error) {
    if (duckdb_query(connection_, sql.c_str(), result) == DuckDBSuccess) return true;
    const char* message = duckdb_result_error(result);
    *error = message ? message : "query failed";
    duckdb_destroy_result(result);
    return false;
  }

 private:
  static bool Fail(const char* what, std::string* error) {
    *error = std::string(what) + " failed";
    return false;
  }

  duckdb_database db_{};
  duckdb_connection connection_{};
  bool open_ = false;
  bool connected_ = false;
};

void AppendEscaped(const char* s, std::string& out) {
  for (; *s; ++s) {
    switch (*s) {
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\\': out += "\\\\"; break;
      default: out += *s;
    }
  }
}

bool WriteRows(duckdb_result* result, const std::string& path) {
  std::string text;
  const idx_t columns = duckdb_column_count(result);
  const idx_t rows = duckdb_row_count(result);
  for (idx_t r = 0; r < rows; ++r) {
    for (idx_t c = 0; c < columns; ++c) {
      if (c) text += '\t';
      if (duckdb_value_is_null(result, c, r)) {
        text += "\\N";
        continue;
      }
      char* value = duckdb_value_varchar(result, c, r);
      AppendEscaped(value ? value : "", text);
      duckdb_free(value);
    }
    text += '\n';
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) return out;
    start = tab + 1;
  }
}

// run <warmups> <runs> <query.sql> <out.tsv or ->
std::string Run(Peer& peer, const std::vector<std::string>& command) {
  if (command.size() != 5 || command[0] != "run") {
    return "{\"error\": \"expected: run <warmups> <runs> <query.sql> <out.tsv or ->\"}";
  }
  const int warmups = std::atoi(command[1].c_str());
  const int runs = std::atoi(command[2].c_str());
  std::string sql;
  if (!ReadFile(command[3], &sql))
    return "{\"error\": " + JsonString("cannot read " + command[3]) + "}";
  std::vector<double> times;
  idx_t rows = 0;
  for (int i = 0; i < warmups + runs; ++i) {
    duckdb_result result;
    std::string error;
    const auto start = std::chrono::steady_clock::now();
    if (!peer.Query(sql, &result, &error)) return "{\"error\": " + JsonString(error) + "}";
    const double ms = MsSince(start);
    rows = duckdb_row_count(&result);
    if (i >= warmups) times.push_back(ms);
    if (i == warmups + runs - 1 && command[4] != "-" && !WriteRows(&result, command[4])) {
      duckdb_destroy_result(&result);
      return "{\"error\": " + JsonString("cannot write " + command[4]) + "}";
    }
    duckdb_destroy_result(&result);
  }
  std::string out = "{\"rows\": " + std::to_string(rows) + ", \"ms\": [";
  for (size_t i = 0; i < times.size(); ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%.3f", i ? ", " : "", times[i]);
    out += buf;
  }
  return out + "]}";
}

int Usage() {
  std::fprintf(
      stderr,
      "usage: duckdb_peer exec [--threads N] [--memory-limit M] [--temp-dir D] SCRIPT\n"
      "       duckdb_peer serve [--threads N] [--memory-limit M] [--temp-dir D] [--init SCRIPT]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string mode = argv[1];
  Options o;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--threads") {
      o.threads = std::atoi(value().c_str());
    } else if (a == "--memory-limit") {
      o.memory_limit = value();
    } else if (a == "--temp-dir") {
      o.temp_dir = value();
    } else if (a == "--init") {
      o.init = value();
    } else {
      o.args.push_back(a);
    }
  }
  if ((mode == "exec" && o.args.size() != 1) || (mode == "serve" && !o.args.empty()) ||
      (mode != "exec" && mode != "serve")) {
    return Usage();
  }
  Peer peer;
  std::string error;
  if (!peer.Open(o, &error)) {
    std::fprintf(stderr, "duckdb_peer: %s\n", error.c_str());
    return 1;
  }
  const std::string script = mode == "exec" ? o.args[0] : o.init;
  if (!script.empty()) {
    std::string sql;
    if (!ReadFile(script, &sql)) {
      std::fprintf(stderr, "duckdb_peer: cannot read %s\n", script.c_str());
      return 1;
    }
    duckdb_result result;
    const auto start = std::chrono::steady_clock::now();
    if (!peer.Query(sql, &result, &error)) {
      std::fprintf(stderr, "duckdb_peer: %s: %s\n", script.c_str(), error.c_str());
      return 1;
    }
    duckdb_destroy_result(&result);
    if (mode == "exec") {
      std::printf("{\"ms\": %.1f}\n", MsSince(start));
      return 0;
    }
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    std::cout << Run(peer, SplitTabs(line)) << std::endl;
  }
  return 0;
}
