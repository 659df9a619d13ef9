// athena_client: times queries through tarn's Athena API for
// bench/athena_bench, with a client light enough that on a 2-core machine
// its polling takes little CPU from the engine it measures: a poll re-sends
// one signed request, ~25 us of CPU where a Python poll costs ~70 us.
//
//   athena_client --endpoint 127.0.0.1:PORT [--access-key K --secret-key S]
//
// Reads commands from stdin, one a line, tab-separated:
//   query <poll_ms> <request.json> <out>
// request.json is StartQueryExecution's body. The client starts the query,
// calls GetQueryExecution every poll_ms until the state is final, then pages
// GetQueryResults (MaxResults 1000) to the end. It answers one JSON line:
//   {"ms", "start_ms", "wait_ms", "results_ms", "polls", "pages"}
// (times in milliseconds from StartQueryExecution's call; -1 "ms" on a
// transport or HTTP error, with "error"), and writes to <out> the last
// GetQueryExecution answer and then each GetQueryResults page, one body a
// line (the server's JSON has no raw newlines), for the caller to parse
// outside the timed path.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "json_client.h"

namespace tarn::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

double MsSince(SteadyClock::time_point t0) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count();
}

void SleepMs(double ms) {
  timespec ts;
  ts.tv_sec = static_cast<time_t>(ms / 1000);
  ts.tv_nsec = static_cast<long>((ms - static_cast<double>(ts.tv_sec) * 1000) * 1e6);
  while (::clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Error(const std::string& what, int status, const std::string& body) {
  std::string out = "{\"ms\":-1,\"error\":";
  // The message as a JSON string: quotes, backslashes and controls escaped.
  std::string msg = what + ": HTTP " + std::to_string(status) + ": " + body.substr(0, 300);
  out += '"';
  for (char c : msg) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"}";
}

// One query, timed from StartQueryExecution's call to the last page.
std::string Query(JsonClient& client, double poll_ms, const std::string& request,
                  const std::string& out_path) {
  std::string body;
  const auto t0 = SteadyClock::now();
  int status = client.Call("StartQueryExecution", request, &body);
  if (status != 200) return Error("StartQueryExecution", status, body);
  const double start_ms = MsSince(t0);
  const std::optional<std::string> id = JsonString(body, "QueryExecutionId");
  if (!id) return Error("StartQueryExecution", status, body);

  const std::string poll =
      client.Prepare("GetQueryExecution", "{\"QueryExecutionId\":\"" + *id + "\"}");
  int polls = 0;
  std::string state;
  while (true) {
    status = client.Send(poll, &body);
    ++polls;
    if (status != 200) return Error("GetQueryExecution", status, body);
    state = JsonString(body, "State").value_or("");
    if (state == "SUCCEEDED" || state == "FAILED" || state == "CANCELLED") break;
    SleepMs(poll_ms);
  }
  const double done_ms = MsSince(t0);
  std::vector<std::string> bodies{body};
  int pages = 0;
  if (state == "SUCCEEDED") {
    std::optional<std::string> token;
    do {
      std::string params = "{\"QueryExecutionId\":\"" + *id + "\",\"MaxResults\":1000";
      if (token) params += ",\"NextToken\":\"" + *token + "\"";
      params += "}";
      status = client.Call("GetQueryResults", params, &body);
      if (status != 200) return Error("GetQueryResults", status, body);
      ++pages;
      token = JsonString(body, "NextToken");
      bodies.push_back(body);
    } while (token);
  }
  const double end_ms = MsSince(t0);

  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  for (const std::string& b : bodies) out << b << '\n';
  char line[256];
  std::snprintf(line, sizeof line,
                "{\"ms\":%.3f,\"start_ms\":%.3f,\"wait_ms\":%.3f,\"results_ms\":%.3f,"
                "\"polls\":%d,\"pages\":%d}",
                end_ms, start_ms, done_ms - start_ms, end_ms - done_ms, polls, pages);
  return line;
}

int Main(int argc, char** argv) {
  Endpoint e;
  e.service = "athena";
  e.target_prefix = "AmazonAthena";
  if (const char* v = std::getenv("AWS_ACCESS_KEY_ID")) e.access_key = v;
  if (const char* v = std::getenv("AWS_SECRET_ACCESS_KEY")) e.secret_key = v;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--endpoint") {
      const size_t colon = v.rfind(':');
      e.host = v.substr(0, colon);
      e.port = static_cast<uint16_t>(std::stoi(v.substr(colon + 1)));
    } else if (a == "--access-key") {
      e.access_key = v;
    } else if (a == "--secret-key") {
      e.secret_key = v;
    } else if (a == "--region") {
      e.region = v;
    } else {
      std::fprintf(stderr, "athena_client: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (e.port == 0) {
    std::fprintf(stderr, "usage: athena_client --endpoint HOST:PORT [--access-key K "
                         "--secret-key S --region R]\n");
    return 2;
  }
  JsonClient client(e);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, '\t');) f.push_back(x);
    std::string answer;
    if (f.size() == 4 && f[0] == "query") {
      answer = Query(client, std::stod(f[1]), ReadFile(f[2]), f[3]);
    } else {
      answer = Error("command", 0, line);
    }
    std::printf("%s\n", answer.c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace tarn::bench

int main(int argc, char** argv) { return tarn::bench::Main(argc, argv); }
