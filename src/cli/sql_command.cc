#include "cli/sql_command.h"

#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <thread>

#include "aws/sigv4.h"
#include "common/encoding.h"
#include "common/hash.h"
#include "common/status.h"
#include "common/time.h"

namespace tarn::cli {

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using Json = nlohmann::json;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

struct Credentials {
  std::string key, secret;
};

// The aws CLI's: the environment, else ~/.aws/credentials.
Result<Credentials> FindCredentials() {
  Credentials c{Env("AWS_ACCESS_KEY_ID"), Env("AWS_SECRET_ACCESS_KEY")};
  if (!c.key.empty() && !c.secret.empty()) return c;
  std::string path = Env("AWS_SHARED_CREDENTIALS_FILE");
  if (path.empty()) path = Env("HOME") + "/.aws/credentials";
  std::string profile = Env("AWS_PROFILE");
  if (profile.empty()) profile = "default";
  std::ifstream in(path);
  std::string line, section;
  auto trim = [](std::string s) {
    s.erase(0, s.find_first_not_of(" \t\r"));
    s.erase(s.find_last_not_of(" \t\r") + 1);
    return s;
  };
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.size() > 2 && line.front() == '[' && line.back() == ']') {
      section = trim(line.substr(1, line.size() - 2));
      continue;
    }
    const size_t eq = line.find('=');
    if (section != profile || eq == std::string::npos) continue;
    const std::string k = trim(line.substr(0, eq)), v = trim(line.substr(eq + 1));
    if (k == "aws_access_key_id") c.key = v;
    if (k == "aws_secret_access_key") c.secret = v;
  }
  if (c.key.empty() || c.secret.empty()) {
    return NotFound("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (tarn serve "
                    "prints them on first start), or a [" + profile + "] profile in " + path);
  }
  return c;
}

// A JSON-protocol client for one endpoint.
class Client {
 public:
  Client(std::string host, std::string port, std::string region, Credentials creds)
      : host_(std::move(host)), port_(std::move(port)), region_(std::move(region)),
        creds_(std::move(creds)) {}

  // One call; an AWS error answer is a Status with its code and message.
  Result<Json> Call(const std::string& target, const std::string& service, const Json& input) {
    const std::string body = input.dump();
    Result<std::pair<int, std::string>> r =
        Send("POST", "/", body,
             {{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", target}}, service);
    if (!r.ok()) return r.status();
    Json out = Json::parse(r->second, nullptr, false);
    if (r->first != 200) {
      std::string type = out.is_object() ? out.value("__type", "") : "";
      if (const size_t hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
      std::string message = out.is_object() ? out.value("message", out.value("Message", "")) : r->second;
      return Status(Code::kInvalidArgument, type + ": " + message, type);
    }
    return out.is_object() ? out : Json::object();
  }

  // A raw request (S3's REST calls); returns the status and the body.
  Result<std::pair<int, std::string>> Send(const std::string& method, const std::string& path,
                                           const std::string& body,
                                           std::vector<std::pair<std::string, std::string>> extra,
                                           const std::string& service) {
    try {
      if (!stream_) Connect();
      http::Headers headers;
      headers.Add("Host", host_ + ":" + port_);
      for (auto& [k, v] : extra) headers.Add(k, v);
      const std::string hash = HexEncode(Sha256(body));
      aws::SignRequest(method, path, "", headers, hash, creds_.key, creds_.secret, region_, service,
                       Clock::Real()->Now());
      bhttp::request<bhttp::string_body> req{method == "PUT" ? bhttp::verb::put : bhttp::verb::post,
                                             path, 11};
      for (const auto& [k, v] : headers.fields()) req.set(k, v);
      req.body() = body;
      req.prepare_payload();
      bhttp::write(*stream_, req);
      beast::flat_buffer buffer;
      bhttp::response<bhttp::string_body> res;
      bhttp::read(*stream_, buffer, res);
      if (!res.keep_alive()) stream_.reset();
      return std::make_pair(static_cast<int>(res.result_int()), std::move(res.body()));
    } catch (const std::exception& e) {
      stream_.reset();
      return Unavailable(std::string("cannot reach tarn at ") + host_ + ":" + port_ + ": " + e.what());
    }
  }

 private:
  void Connect() {
    tcp::resolver resolver(io_);
    stream_ = std::make_unique<beast::tcp_stream>(io_);
    stream_->connect(resolver.resolve(host_, port_));
  }

  boost::asio::io_context io_;
  std::unique_ptr<beast::tcp_stream> stream_;
  std::string host_, port_, region_;
  Credentials creds_;
};

// http://host:port -> host, port.
bool ParseEndpoint(std::string url, std::string* host, std::string* port) {
  if (url.rfind("http://", 0) == 0) {
    url = url.substr(7);
  } else if (url.find("://") != std::string::npos) {
    return false;  // https is not served by tarn itself
  }
  if (const size_t slash = url.find('/'); slash != std::string::npos) url = url.substr(0, slash);
  const size_t colon = url.rfind(':');
  *host = colon == std::string::npos ? url : url.substr(0, colon);
  *port = colon == std::string::npos ? "80" : url.substr(colon + 1);
  return !host->empty() && !port->empty();
}

// Makes the results bucket when it is missing (a fresh server has none).
void EnsureBucket(Client& client, const std::string& location) {
  if (location.rfind("s3://", 0) != 0) return;
  std::string bucket = location.substr(5);
  bucket = bucket.substr(0, bucket.find('/'));
  if (bucket.empty()) return;
  (void)client.Send("PUT", "/" + bucket, "", {}, "s3");  // an existing bucket is fine
}

struct Table {
  std::vector<std::string> names;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

void PrintTable(const Table& t, const std::string& format) {
  if (format == "csv") {
    auto field = [](const std::string& s) {
      if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
      std::string out = "\"";
      for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
      return out + "\"";
    };
    for (size_t i = 0; i < t.names.size(); ++i) std::cout << (i ? "," : "") << field(t.names[i]);
    std::cout << "\n";
    for (const auto& row : t.rows) {
      for (size_t i = 0; i < row.size(); ++i) std::cout << (i ? "," : "") << (row[i] ? field(*row[i]) : "");
      std::cout << "\n";
    }
    return;
  }
  if (format == "json") {
    for (const auto& row : t.rows) {
      Json o = Json::object();
      for (size_t i = 0; i < row.size() && i < t.names.size(); ++i) {
        o[t.names[i]] = row[i] ? Json(*row[i]) : Json(nullptr);
      }
      std::cout << o.dump() << "\n";
    }
    return;
  }
  std::vector<size_t> width(t.names.size());
  for (size_t i = 0; i < t.names.size(); ++i) width[i] = t.names[i].size();
  for (const auto& row : t.rows) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i] ? row[i]->size() : 4);
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t i = 0; i < cells.size(); ++i) {
      text += (i ? " | " : " ") + cells[i] + std::string(width[i] - cells[i].size(), ' ');
    }
    text.erase(text.find_last_not_of(' ') + 1);
    std::cout << text << "\n";
  };
  line(t.names);
  for (size_t i = 0; i < width.size(); ++i) std::cout << (i ? "-+-" : "-") << std::string(width[i], '-');
  std::cout << "-\n";
  for (const auto& row : t.rows) {
    std::vector<std::string> cells;
    for (size_t i = 0; i < row.size(); ++i) cells.push_back(row[i] ? *row[i] : "NULL");
    line(cells);
  }
  std::cout << "(" << t.rows.size() << " row" << (t.rows.size() == 1 ? "" : "s") << ")\n";
}

}  // namespace

int RunSql(SqlOptions o) {
  if (o.format != "table" && o.format != "csv" && o.format != "json") {
    std::fprintf(stderr, "tarn sql: --format is table, csv or json\n");
    return 2;
  }
  if (o.sql.empty()) o.sql.assign(std::istreambuf_iterator<char>(std::cin), {});
  if (o.sql.find_first_not_of(" \t\r\n;") == std::string::npos) {
    std::fprintf(stderr, "tarn sql: no query (give it as an argument or on stdin)\n");
    return 2;
  }
  if (o.endpoint.empty()) o.endpoint = Env("AWS_ENDPOINT_URL");
  if (o.endpoint.empty()) o.endpoint = "http://127.0.0.1:4566";
  if (o.region.empty()) o.region = Env("AWS_REGION");
  if (o.region.empty()) o.region = Env("AWS_DEFAULT_REGION");
  if (o.region.empty()) o.region = "us-east-1";
  std::string host, port;
  if (!ParseEndpoint(o.endpoint, &host, &port)) {
    std::fprintf(stderr, "tarn sql: --endpoint must be http://HOST:PORT, got '%s'\n", o.endpoint.c_str());
    return 2;
  }
  Result<Credentials> creds = FindCredentials();
  if (!creds.ok()) {
    std::fprintf(stderr, "tarn sql: %s\n", creds.status().message().c_str());
    return 2;
  }
  Client client(host, port, o.region, *creds);
  EnsureBucket(client, o.output_location);

  Json start = {{"QueryString", o.sql}, {"ResultConfiguration", {{"OutputLocation", o.output_location}}}};
  if (!o.database.empty()) start["QueryExecutionContext"] = {{"Database", o.database}};
  if (!o.workgroup.empty()) start["WorkGroup"] = o.workgroup;
  Result<Json> started = client.Call("AmazonAthena.StartQueryExecution", "athena", start);
  if (!started.ok()) {
    std::fprintf(stderr, "tarn sql: %s\n", started.status().message().c_str());
    return started.status().code() == Code::kUnavailable ? 2 : 1;
  }
  const std::string id = started->value("QueryExecutionId", "");

  // Poll until it ends: quickly at first, then every 250 ms.
  const auto begun = std::chrono::steady_clock::now();
  const bool tty = ::isatty(STDERR_FILENO);
  bool shown = false;
  Json execution;
  for (int polls = 0;; ++polls) {
    Result<Json> got = client.Call("AmazonAthena.GetQueryExecution", "athena", {{"QueryExecutionId", id}});
    if (!got.ok()) {
      std::fprintf(stderr, "tarn sql: %s\n", got.status().message().c_str());
      return 1;
    }
    execution = (*got)["QueryExecution"];
    const std::string state = execution["Status"].value("State", "");
    if (state == "SUCCEEDED" || state == "FAILED" || state == "CANCELLED") break;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - begun).count();
    if (tty && secs >= 1.0) {
      std::fprintf(stderr, "\r%s %.1f s", state.c_str(), secs);
      shown = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(polls < 10 ? 20 : 250));
  }
  if (shown) std::fprintf(stderr, "\r\033[K");
  const std::string state = execution["Status"].value("State", "");
  if (state != "SUCCEEDED") {
    std::fprintf(stderr, "tarn sql: query %s: %s\n", state.c_str(),
                 execution["Status"].value("StateChangeReason", "").c_str());
    return 1;
  }

  Table table;
  std::string token;
  bool first_page = true;
  do {
    Json req = {{"QueryExecutionId", id}, {"MaxResults", 1000}};
    if (!token.empty()) req["NextToken"] = token;
    Result<Json> page = client.Call("AmazonAthena.GetQueryResults", "athena", req);
    if (!page.ok()) {
      std::fprintf(stderr, "tarn sql: %s\n", page.status().message().c_str());
      return 1;
    }
    const Json& rs = (*page)["ResultSet"];
    if (first_page) {
      for (const Json& c : rs["ResultSetMetadata"].value("ColumnInfo", Json::array())) {
        table.names.push_back(c.value("Name", ""));
      }
    }
    const Json& rows = rs.value("Rows", Json::array());
    for (size_t r = 0; r < rows.size(); ++r) {
      // Athena puts the header first on a SELECT's first page.
      if (first_page && r == 0 && execution.value("StatementType", "") == "DML") continue;
      std::vector<std::optional<std::string>> row;
      for (const Json& d : rows[r].value("Data", Json::array())) {
        row.push_back(d.contains("VarCharValue") ? std::optional<std::string>(d["VarCharValue"].get<std::string>())
                                                 : std::nullopt);
      }
      table.rows.push_back(std::move(row));
    }
    token = page->value("NextToken", "");
    first_page = false;
  } while (!token.empty());
  PrintTable(table, o.format);
  return 0;
}

}  // namespace tarn::cli
