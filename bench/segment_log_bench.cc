// segment_log_bench: SegmentLog on the real disk, in-process (no HTTP): the
// storage floor under Kinesis PutRecords / GetRecords (DESIGN.md
// §Performance targets: >= 200,000 records/s of 100 B, durable).
//
//   segment_log_bench [--dir DIR] [--seconds 5] [--producers 8] [--batch 500]
//                     [--size 100] [--segment-mib 64] [--no-sync]
//
// Phases, each printed as a row of one Markdown table:
//   append       P producers, each calling Append(batch) in a loop
//   read         one consumer reading everything back, Read(from, 10000, 10 MiB)
//   tail         the append load again, plus one consumer polling the tail;
//                put->get latency from a timestamp in each record
//   reopen       Open() on what the phases wrote (recovery scan of the last
//                segment)
// The data directory (default: a fresh one under the current directory, i.e.
// on the repository's disk, never tmpfs) is removed at the end.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "storage/env.h"
#include "storage/segment_log.h"

namespace {

using Clock = std::chrono::steady_clock;
using tarn::storage::AppendRecord;
using tarn::storage::Env;
using tarn::storage::SegmentLog;

struct Options {
  std::string dir;
  double seconds = 5;
  int producers = 8;
  int batch = 500;
  size_t size = 100;
  uint64_t segment_mib = 64;
  bool sync = true;
};

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "segment_log_bench: %s\n", msg.c_str());
  std::exit(1);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fprintf(stderr,
                   "usage: segment_log_bench [--dir DIR] [--seconds S] [--producers P] "
                   "[--batch N] [--size BYTES] [--segment-mib M] [--no-sync]\n");
      std::exit(0);
    }
    if (a == "--no-sync") {
      o.sync = false;
      continue;
    }
    if (i + 1 >= argc) Die("missing value for " + a);
    std::string v = argv[++i];
    if (a == "--dir") {
      o.dir = v;
    } else if (a == "--seconds") {
      o.seconds = std::stod(v);
    } else if (a == "--producers") {
      o.producers = std::max(1, std::stoi(v));
    } else if (a == "--batch") {
      o.batch = std::max(1, std::stoi(v));
    } else if (a == "--size") {
      o.size = std::max<size_t>(16, std::stoull(v));
    } else if (a == "--segment-mib") {
      o.segment_mib = std::max<uint64_t>(1, std::stoull(v));
    } else {
      Die("unknown option " + a);
    }
  }
  return o;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

struct AppendResult {
  uint64_t records = 0;
  uint64_t appends = 0;
  double seconds = 0;
  uint64_t syncs = 0;
  uint64_t groups = 0;
  std::vector<double> latency_ms;  // per Append
};

// P producers appending batches for o.seconds. Each record's data starts
// with the steady-clock time it was built, for the tail phase.
AppendResult RunAppends(SegmentLog& log, const Options& o) {
  const SegmentLog::Stats before = log.stats();
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> lat(static_cast<size_t>(o.producers));
  std::vector<uint64_t> counts(static_cast<size_t>(o.producers), 0);
  std::atomic<int> failures{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int p = 0; p < o.producers; ++p) {
    threads.emplace_back([&, p] {
      // Built once: the producer's buffer and its views (no per-record allocation).
      std::vector<std::string> keys(static_cast<size_t>(o.batch));
      std::string data(static_cast<size_t>(o.batch) * o.size, 'x');
      std::vector<AppendRecord> recs(static_cast<size_t>(o.batch));
      for (int i = 0; i < o.batch; ++i) {
        keys[static_cast<size_t>(i)] = "pk-" + std::to_string(p) + "-" + std::to_string(i);
        recs[static_cast<size_t>(i)].partition_key = keys[static_cast<size_t>(i)];
        recs[static_cast<size_t>(i)].data =
            std::string_view(data).substr(static_cast<size_t>(i) * o.size, o.size);
      }
      auto& my_lat = lat[static_cast<size_t>(p)];
      while (!stop.load(std::memory_order_relaxed)) {
        const int64_t t = NowNs();
        for (int i = 0; i < o.batch; ++i) {
          std::memcpy(data.data() + static_cast<size_t>(i) * o.size, &t, sizeof(t));
        }
        auto a = log.Append(recs);
        if (!a.ok()) {
          std::fprintf(stderr, "append: %s\n", a.status().ToString().c_str());
          failures++;
          return;
        }
        my_lat.push_back(static_cast<double>(NowNs() - t) / 1e6);
        counts[static_cast<size_t>(p)] += static_cast<uint64_t>(o.batch);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  stop = true;
  for (auto& t : threads) t.join();
  if (failures.load() > 0) Die("appends failed");
  AppendResult r;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (uint64_t c : counts) r.records += c;
  for (auto& l : lat) {
    r.appends += l.size();
    r.latency_ms.insert(r.latency_ms.end(), l.begin(), l.end());
  }
  const SegmentLog::Stats after = log.stats();
  r.syncs = after.syncs - before.syncs;
  r.groups = after.groups - before.groups;
  return r;
}

void Row(const char* phase, const std::string& what, const std::string& result) {
  std::printf("| %s | %s | %s |\n", phase, what.c_str(), result.c_str());
}

std::string Fmt(const char* fmt, double a, double b = 0, double c = 0, double d = 0) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), fmt, a, b, c, d);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseOptions(argc, argv);
  bool made_dir = false;
  if (o.dir.empty()) {
    char tmpl[] = "segment-log-bench-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) Die("mkdtemp failed");
    o.dir = std::filesystem::absolute(tmpl).string();
    made_dir = true;
  }
  const std::string log_dir = o.dir + "/shard";
  SegmentLog::Options lo;
  lo.dir = log_dir;
  lo.segment_bytes = o.segment_mib << 20;
  lo.sync = o.sync;
  auto opened = SegmentLog::Open(Env::Default(), lo);
  if (!opened.ok()) Die(opened.status().ToString());
  std::unique_ptr<SegmentLog> log = std::move(*opened);

  const double frame = 28.0 + 8 + static_cast<double>(o.size);  // header + ~key + data
  std::printf(
      "SegmentLog, %d producers x batches of %d x %zu B records, %.0f s phases, "
      "%s, segments %llu MiB, dir %s\n\n",
      o.producers, o.batch, o.size, o.seconds, o.sync ? "fdatasync per group" : "NO SYNC",
      static_cast<unsigned long long>(o.segment_mib), o.dir.c_str());
  std::printf("| phase | what | result |\n|---|---|---|\n");

  // append
  AppendResult a = RunAppends(*log, o);
  const double rps = static_cast<double>(a.records) / a.seconds;
  Row("append", "records/s (data MiB/s)",
      Fmt("%.0f (%.1f MiB/s)", rps, rps * static_cast<double>(o.size) / (1 << 20)));
  Row("append", "fsyncs/s; appends per group; records per fsync",
      Fmt("%.0f; %.1f; %.0f", static_cast<double>(a.syncs) / a.seconds,
          static_cast<double>(a.appends) / std::max<double>(1, static_cast<double>(a.groups)),
          static_cast<double>(a.records) / std::max<double>(1, static_cast<double>(a.syncs))));
  Row("append", "Append latency p50 / p99",
      Fmt("%.2f ms / %.2f ms", Percentile(a.latency_ms, 0.5), Percentile(a.latency_ms, 0.99)));
  Row("append", "frame MiB/s written", Fmt("%.1f", rps * frame / (1 << 20)));

  // read everything back
  {
    const auto start = Clock::now();
    uint64_t from = log->first_offset(), n = 0, bytes = 0;
    for (;;) {
      auto got = log->Read(from, 10000, 10 << 20);
      if (!got.ok()) Die(got.status().ToString());
      if (got->empty()) break;
      for (const auto& r : *got) bytes += r.data.size();
      n += got->size();
      from = got->back().offset + 1;
    }
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    if (n != log->end_offset() - log->first_offset()) Die("read back fewer records than written");
    Row("read", "records/s (data MiB/s), one consumer, 10,000 per Read",
        Fmt("%.0f (%.1f MiB/s)", static_cast<double>(n) / s,
            static_cast<double>(bytes) / s / (1 << 20)));
  }

  // tail: producers plus one polling consumer
  {
    std::atomic<bool> stop{false};
    std::vector<double> lag_ms;
    uint64_t polls = 0, seen = 0;
    std::thread consumer([&] {
      uint64_t next = log->end_offset();
      while (!stop.load(std::memory_order_relaxed)) {
        auto got = log->Read(next, 10000, 10 << 20);
        if (!got.ok()) Die(got.status().ToString());
        ++polls;
        if (got->empty()) {
          std::this_thread::sleep_for(std::chrono::microseconds(200));
          continue;
        }
        const int64_t now = NowNs();
        for (size_t i = 0; i < got->size(); i += 97) {
          int64_t t;
          std::memcpy(&t, (*got)[i].data.data(), sizeof(t));
          lag_ms.push_back(static_cast<double>(now - t) / 1e6);
        }
        seen += got->size();
        next = got->back().offset + 1;
      }
    });
    AppendResult t = RunAppends(*log, o);
    stop = true;
    consumer.join();
    Row("tail", "append records/s with a tail consumer",
        Fmt("%.0f", static_cast<double>(t.records) / t.seconds));
    Row("tail", "consumer records/s; polls/s",
        Fmt("%.0f; %.0f", static_cast<double>(seen) / t.seconds,
            static_cast<double>(polls) / t.seconds));
    Row("tail", "put->get latency p50 / p99",
        Fmt("%.2f ms / %.2f ms", Percentile(lag_ms, 0.5), Percentile(lag_ms, 0.99)));
  }

  // reopen
  {
    const uint64_t end = log->end_offset();
    log.reset();
    const auto start = Clock::now();
    auto again = SegmentLog::Open(Env::Default(), lo);
    if (!again.ok()) Die(again.status().ToString());
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if ((*again)->end_offset() != end) Die("reopen lost records");
    auto names = Env::Default()->ListDir(log_dir);
    Row("reopen", "Open() time; segments; records",
        Fmt("%.1f ms; %.0f; %.0f", ms, names.ok() ? static_cast<double>(names->size()) : 0,
            static_cast<double>(end)));
  }

  std::error_code ec;
  std::filesystem::remove_all(made_dir ? o.dir : log_dir, ec);
  return 0;
}
