// kinesis_load: a Kinesis load generator that signs SigV4 itself
// (aws::SignRequest), for bench/kinesis_bench.
//
//   kinesis_load --endpoint 127.0.0.1:PORT --mode put --stream S
//                --record-size 100 --batch 500 --producers 8 --duration 10
//
// Modes (each prints one JSON object on stdout, progress on stderr):
//   create   CreateStream --shards N, then DescribeStreamSummary until ACTIVE
//   put      --producers threads, each with one keep-alive connection,
//            sending PutRecords of --batch records of --record-size bytes
//            with random partition keys, back to back for --duration
//            seconds. Every response is checked: status 200,
//            "FailedRecordCount":0 and --batch sequence numbers; a record
//            counts once acknowledged. Reports records/s, MiB/s of record
//            data, and request latency p50/p99.
//   get      one thread per shard: GetShardIterator TRIM_HORIZON, then
//            GetRecords (Limit --limit) until a call returns no records with
//            MillisBehindLatest 0. Reports records/s and MiB/s of data read
//            (the records' base64 Data, decoded length).
//   latency  one producer PutRecords batches of one record at --rate per
//            second, each record carrying its send time; one consumer polls
//            GetRecords back to back on the same (1-shard) stream; put->get
//            latency is the time from the put being sent to the record being
//            returned. Reports p50/p99/max over --duration seconds.
//
// Requests are built once per producer where they can be: a PutRecords body
// is one of 16 pre-encoded variants (random partition keys, one shared
// pseudo-random payload), so the client spends its time on the wire, not on
// JSON. Threads block on their sockets; there are at most a few dozen.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "json_client.h"
#include "common/encoding.h"

namespace tarn::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "kinesis_load: %s\n", msg.c_str());
  std::exit(2);
}

double SecondsSince(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

struct Options {
  std::string mode = "put";
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string access_key = "tarn-bench";
  std::string secret_key = "tarn-bench-secret";
  std::string region = "us-east-1";
  std::string stream = "bench";
  int shards = 1;
  size_t record_size = 100;
  int batch = 500;
  int producers = 8;
  double duration_s = 10;
  int limit = 10000;
  double rate = 200;
  bool quiet = false;
};

Options ParseOptions(int argc, char** argv) {
  Options o;
  if (const char* v = std::getenv("AWS_ACCESS_KEY_ID")) o.access_key = v;
  if (const char* v = std::getenv("AWS_SECRET_ACCESS_KEY")) o.secret_key = v;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quiet") {
      o.quiet = true;
      continue;
    }
    if (a == "-h" || a == "--help") {
      std::fprintf(stderr,
                   "usage: kinesis_load --mode create|put|get|latency --endpoint HOST:PORT\n"
                   "  --stream S --shards N --record-size B --batch N --producers P\n"
                   "  --duration SEC --limit N --rate PER_S --access-key K --secret-key S\n");
      std::exit(0);
    }
    if (i + 1 >= argc) Die("missing value for " + a);
    std::string v = argv[++i];
    if (a == "--mode") o.mode = v;
    else if (a == "--endpoint") {
      size_t colon = v.rfind(':');
      if (colon == std::string::npos) Die("--endpoint wants HOST:PORT");
      o.host = v.substr(0, colon);
      o.port = static_cast<uint16_t>(std::stoi(v.substr(colon + 1)));
    } else if (a == "--access-key") o.access_key = v;
    else if (a == "--secret-key") o.secret_key = v;
    else if (a == "--region") o.region = v;
    else if (a == "--stream") o.stream = v;
    else if (a == "--shards") o.shards = std::stoi(v);
    else if (a == "--record-size") o.record_size = std::stoul(v);
    else if (a == "--batch") o.batch = std::stoi(v);
    else if (a == "--producers") o.producers = std::stoi(v);
    else if (a == "--duration") o.duration_s = std::stod(v);
    else if (a == "--limit") o.limit = std::stoi(v);
    else if (a == "--rate") o.rate = std::stod(v);
    else Die("unknown option " + a);
  }
  if (o.port == 0) Die("--endpoint is required");
  return o;
}

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(q * static_cast<double>(v.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

// A client of Kinesis's JSON protocol, signing as the options say.
class Client : public JsonClient {
 public:
  explicit Client(const Options& o)
      : JsonClient(Endpoint{o.host, o.port, o.access_key, o.secret_key, o.region, "kinesis",
                            "Kinesis_20131202"}) {}
};

size_t CountOf(std::string_view s, std::string_view needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != std::string_view::npos; p = s.find(needle, p + needle.size())) ++n;
  return n;
}

std::string PseudoRandom(size_t n, uint64_t seed) {
  std::string out(n, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x);
  }
  return out;
}

void Print(const Options& o, const std::string& json) {
  std::printf("%s\n", json.c_str());
  std::fflush(stdout);
  if (!o.quiet) std::fprintf(stderr, "kinesis_load: %s\n", json.c_str());
}

// ---------------------------------------------------------------------------

int Create(const Options& o) {
  Client c(o);
  std::string body;
  std::string req = "{\"StreamName\":\"" + o.stream + "\",\"ShardCount\":" + std::to_string(o.shards) + "}";
  int status = c.Call("CreateStream", req, &body);
  if (status != 200) Die("CreateStream: " + std::to_string(status) + " " + body);
  auto t0 = SteadyClock::now();
  while (SecondsSince(t0) < 60) {
    status = c.Call("DescribeStreamSummary", "{\"StreamName\":\"" + o.stream + "\"}", &body);
    if (status == 200 && body.find("\"ACTIVE\"") != std::string::npos) {
      Print(o, "{\"mode\":\"create\",\"stream\":\"" + o.stream + "\",\"seconds\":" +
                   std::to_string(SecondsSince(t0)) + "}");
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Die("stream did not become ACTIVE");
}

int Put(const Options& o) {
  // 16 request variants: random partition keys, one shared payload.
  constexpr int kVariants = 16;
  std::string payload_b64 = Base64Encode(PseudoRandom(o.record_size, 7));
  std::vector<std::string> bodies(kVariants);
  std::vector<std::string> hashes(kVariants);
  std::mt19937_64 rng(42);
  for (int v = 0; v < kVariants; ++v) {
    std::string& b = bodies[v];
    b = "{\"StreamName\":\"" + o.stream + "\",\"Records\":[";
    for (int i = 0; i < o.batch; ++i) {
      if (i) b += ',';
      b += "{\"Data\":\"" + payload_b64 + "\",\"PartitionKey\":\"pk-" + std::to_string(rng() % 1000000) + "\"}";
    }
    b += "]}";
    hashes[v] = HexEncode(Sha256(b));
  }

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> records{0}, errors{0};
  std::mutex mu;
  std::vector<double> latencies_ms;
  std::string first_error;
  auto t0 = SteadyClock::now();
  std::vector<std::thread> threads;
  for (int p = 0; p < o.producers; ++p) {
    threads.emplace_back([&, p] {
      Client c(o);
      std::string body;
      std::vector<double> mine;
      for (uint64_t n = p; !stop.load(std::memory_order_relaxed); ++n) {
        int v = static_cast<int>(n % kVariants);
        auto start = SteadyClock::now();
        int status = c.Call("PutRecords", bodies[v], &body, hashes[v]);
        double ms = SecondsSince(start) * 1000;
        bool ok = status == 200 && JsonInt(body, "FailedRecordCount") == 0 &&
                  CountOf(body, "\"SequenceNumber\"") == static_cast<size_t>(o.batch);
        if (!ok) {
          errors++;
          std::lock_guard<std::mutex> lock(mu);
          if (first_error.empty()) first_error = std::to_string(status) + " " + body.substr(0, 300);
          if (status == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
          continue;
        }
        records += static_cast<uint64_t>(o.batch);
        mine.push_back(ms);
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o.duration_s));
  stop = true;
  for (auto& t : threads) t.join();
  double secs = SecondsSince(t0);
  double rps = static_cast<double>(records.load()) / secs;
  double mibps = rps * static_cast<double>(o.record_size) / (1024.0 * 1024.0);
  char out[512];
  std::snprintf(out, sizeof out,
                "{\"mode\":\"put\",\"record_size\":%zu,\"batch\":%d,\"producers\":%d,"
                "\"records\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"seconds\":%.3f,"
                "\"records_per_s\":%.1f,\"mib_per_s\":%.2f,\"p50_ms\":%.2f,\"p99_ms\":%.2f}",
                o.record_size, o.batch, o.producers, records.load(), errors.load(), secs, rps, mibps,
                Percentile(latencies_ms, 0.5), Percentile(latencies_ms, 0.99));
  Print(o, out);
  if (!first_error.empty()) std::fprintf(stderr, "kinesis_load: first error: %s\n", first_error.c_str());
  return errors.load() ? 1 : 0;
}

// Decoded byte count of every "Data":"<base64>" in a GetRecords response.
uint64_t DataBytes(std::string_view doc, size_t* count) {
  uint64_t bytes = 0;
  size_t n = 0;
  constexpr std::string_view kNeedle = "\"Data\":\"";
  for (size_t p = doc.find(kNeedle); p != std::string_view::npos; p = doc.find(kNeedle, p)) {
    p += kNeedle.size();
    size_t e = doc.find('"', p);
    if (e == std::string_view::npos) break;
    size_t len = e - p;
    size_t pad = (len >= 1 && doc[e - 1] == '=') + (len >= 2 && doc[e - 2] == '=');
    bytes += len / 4 * 3 - pad;
    ++n;
    p = e;
  }
  *count = n;
  return bytes;
}

int Get(const Options& o) {
  std::atomic<uint64_t> records{0}, bytes{0}, errors{0};
  auto t0 = SteadyClock::now();
  std::vector<std::thread> threads;
  for (int s = 0; s < o.shards; ++s) {
    threads.emplace_back([&, s] {
      Client c(o);
      std::string body;
      char shard[32];
      std::snprintf(shard, sizeof shard, "shardId-%012d", s);
      int status = c.Call("GetShardIterator",
                          "{\"StreamName\":\"" + o.stream + "\",\"ShardId\":\"" + shard +
                              "\",\"ShardIteratorType\":\"TRIM_HORIZON\"}",
                          &body);
      auto it = JsonString(body, "ShardIterator");
      if (status != 200 || !it) {
        errors++;
        return;
      }
      std::string iterator = *it;
      while (true) {
        status = c.Call("GetRecords",
                        "{\"ShardIterator\":\"" + iterator + "\",\"Limit\":" + std::to_string(o.limit) + "}",
                        &body);
        if (status != 200) {
          errors++;
          return;
        }
        size_t n = 0;
        bytes += DataBytes(body, &n);
        records += n;
        auto next = JsonString(body, "NextShardIterator");
        if (n == 0 || !next) break;  // caught up (or a closed shard's end)
        iterator = *next;
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = SecondsSince(t0);
  char out[512];
  std::snprintf(out, sizeof out,
                "{\"mode\":\"get\",\"shards\":%d,\"records\":%" PRIu64 ",\"errors\":%" PRIu64
                ",\"seconds\":%.3f,\"records_per_s\":%.1f,\"mib_per_s\":%.2f}",
                o.shards, records.load(), errors.load(), secs,
                static_cast<double>(records.load()) / secs,
                static_cast<double>(bytes.load()) / secs / (1024.0 * 1024.0));
  Print(o, out);
  return errors.load() ? 1 : 0;
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             SteadyClock::now().time_since_epoch())
      .count();
}

int Latency(const Options& o) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> errors{0};
  std::vector<double> latencies_ms;
  std::mutex mu;
  // Consumer: LATEST iterator first, so only this run's records count.
  Client consumer(o);
  std::string body;
  int status = consumer.Call("GetShardIterator",
                             "{\"StreamName\":\"" + o.stream +
                                 "\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"LATEST\"}",
                             &body);
  auto first = JsonString(body, "ShardIterator");
  if (status != 200 || !first) Die("GetShardIterator: " + body);
  std::thread reader([&] {
    std::string iterator = *first;
    std::string b;
    while (!stop.load()) {
      int st = consumer.Call("GetRecords", "{\"ShardIterator\":\"" + iterator + "\"}", &b);
      int64_t now = NowMicros();
      if (st != 200) {
        errors++;
        return;
      }
      // Each record's data is base64 of "t=<micros>;".
      constexpr std::string_view kNeedle = "\"Data\":\"";
      for (size_t p = b.find(kNeedle); p != std::string::npos; p = b.find(kNeedle, p)) {
        p += kNeedle.size();
        size_t e = b.find('"', p);
        auto raw = Base64Decode(std::string_view(b).substr(p, e - p));
        if (raw && raw->rfind("t=", 0) == 0) {
          int64_t sent = std::strtoll(raw->c_str() + 2, nullptr, 10);
          std::lock_guard<std::mutex> lock(mu);
          latencies_ms.push_back(static_cast<double>(now - sent) / 1000.0);
        }
        p = e;
      }
      auto next = JsonString(b, "NextShardIterator");
      if (!next) return;
      iterator = *next;
    }
  });
  Client producer(o);
  auto t0 = SteadyClock::now();
  uint64_t sent = 0;
  while (SecondsSince(t0) < o.duration_s) {
    std::string data = "t=" + std::to_string(NowMicros()) + ";";
    std::string req = "{\"StreamName\":\"" + o.stream + "\",\"Records\":[{\"Data\":\"" +
                      Base64Encode(data) + "\",\"PartitionKey\":\"k\"}]}";
    std::string b;
    if (producer.Call("PutRecords", req, &b) != 200) errors++;
    ++sent;
    auto next = t0 + std::chrono::duration<double>(static_cast<double>(sent) / o.rate);
    std::this_thread::sleep_until(next);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  reader.join();
  std::lock_guard<std::mutex> lock(mu);
  size_t got = latencies_ms.size();
  double p50 = Percentile(latencies_ms, 0.5);
  double p99 = Percentile(latencies_ms, 0.99);
  double max = latencies_ms.empty() ? 0 : latencies_ms.back();
  char out[512];
  std::snprintf(out, sizeof out,
                "{\"mode\":\"latency\",\"sent\":%" PRIu64 ",\"received\":%zu,\"errors\":%" PRIu64
                ",\"rate\":%.0f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f}",
                sent, got, errors.load(), o.rate, p50, p99, max);
  Print(o, out);
  return errors.load() ? 1 : 0;
}

}  // namespace
}  // namespace tarn::bench

int main(int argc, char** argv) {
  using namespace tarn::bench;
  Options o = ParseOptions(argc, argv);
  if (o.mode == "create") return Create(o);
  if (o.mode == "put") return Put(o);
  if (o.mode == "get") return Get(o);
  if (o.mode == "latency") return Latency(o);
  Die("unknown mode " + o.mode);
}
