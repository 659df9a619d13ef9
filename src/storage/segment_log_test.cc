#include "storage/segment_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "storage/fault_injection_env.h"
#include "storage/test_temp_dir.h"

namespace tarn::storage {
namespace {

// From docs/segment-log.md: 8-byte prefix (length, CRC) + 20 fixed body bytes.
constexpr size_t kFrameHeader = 28;
constexpr size_t kSealFrame = kFrameHeader + 8;
constexpr int64_t kT0 = 1'700'000'000'000;

// A record the test keeps, to compare with what the log gives back.
struct Rec {
  std::string key, data, hash_key;
};

size_t FrameSize(const Rec& r) {
  return kFrameHeader + r.key.size() + r.hash_key.size() + r.data.size();
}

Result<SegmentLog::Appended> AppendRecs(SegmentLog& log, const std::vector<Rec>& recs) {
  std::vector<AppendRecord> in;
  for (const Rec& r : recs) in.push_back({r.key, r.data, r.hash_key});
  return log.Append(in);
}

std::vector<Rec> MakeRecs(int n, const std::string& tag, size_t data_size = 100) {
  std::vector<Rec> out;
  for (int i = 0; i < n; ++i) {
    Rec r;
    r.key = "pk-" + tag + "-" + std::to_string(i);
    r.data = tag + ":" + std::to_string(i) + ":";
    r.data.resize(std::max(data_size, r.data.size()), static_cast<char>('a' + i % 26));
    if (i % 3 == 0) r.hash_key = std::to_string(1000000 + i);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::string> SegmentFiles(const std::string& dir) {
  auto names = Env::Default()->ListDir(dir);
  EXPECT_TRUE(names.ok()) << names.status().ToString();
  return names.ok() ? *names : std::vector<std::string>{};
}

std::string SegName(uint64_t base) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020llu.seg", static_cast<unsigned long long>(base));
  return buf;
}

void FlipByte(const std::string& path, uint64_t pos) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good()) << path;
  f.seekg(static_cast<std::streamoff>(pos));
  char c;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(pos));
  f.write(&c, 1);
}

uint64_t FileSize(const std::string& path) {
  auto s = Env::Default()->GetFileSize(path);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : 0;
}

class SegmentLogTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(tmp_.path().empty()); }

  SegmentLog::Options Opts(uint64_t segment_bytes = 64ull << 20) {
    SegmentLog::Options o;
    o.dir = dir_;
    o.segment_bytes = segment_bytes;
    o.clock = &clock_;
    return o;
  }

  std::unique_ptr<SegmentLog> Open(const SegmentLog::Options& o, Env* env = Env::Default()) {
    auto log = SegmentLog::Open(env, o);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(*log) : nullptr;
  }

  // Appends recs as one Append and remembers them.
  SegmentLog::Appended Add(SegmentLog& log, const std::vector<Rec>& recs) {
    auto a = AppendRecs(log, recs);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    if (!a.ok()) return {};
    EXPECT_EQ(a->first_offset, expected_.size());
    for (const Rec& r : recs) {
      expected_.push_back(r);
      arrivals_.push_back(a->arrival_ms);
    }
    return *a;
  }

  std::vector<LogRecord> ReadAll(SegmentLog& log, uint64_t from) {
    std::vector<LogRecord> all;
    for (;;) {
      auto got = log.Read(from, 7, 1 << 20);
      EXPECT_TRUE(got.ok()) << got.status().ToString();
      if (!got.ok() || got->empty()) break;
      from = got->back().offset + 1;
      for (auto& r : *got) all.push_back(std::move(r));
    }
    return all;
  }

  // Everything from `from` to the end reads back as appended.
  void ExpectContents(SegmentLog& log, uint64_t from) {
    ASSERT_EQ(log.end_offset(), expected_.size());
    std::vector<LogRecord> all = ReadAll(log, from);
    ASSERT_EQ(all.size(), expected_.size() - from);
    for (size_t i = 0; i < all.size(); ++i) {
      const uint64_t o = from + i;
      ASSERT_EQ(all[i].offset, o);
      EXPECT_EQ(all[i].partition_key, expected_[o].key) << o;
      EXPECT_EQ(all[i].data, expected_[o].data) << o;
      EXPECT_EQ(all[i].explicit_hash_key, expected_[o].hash_key) << o;
      EXPECT_EQ(all[i].arrival_ms, arrivals_[o]) << o;
    }
  }

  std::string SegPath(uint64_t base) const { return dir_ + "/" + SegName(base); }

  TestTempDir tmp_;
  std::string dir_ = tmp_.Join("shard");
  ManualClock clock_{kT0};
  std::vector<Rec> expected_;
  std::vector<int64_t> arrivals_;
};

TEST_F(SegmentLogTest, RoundTripAcrossSeveralSegments) {
  auto log = Open(Opts(4096));
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->first_offset(), 0u);
  EXPECT_EQ(log->end_offset(), 0u);
  for (int i = 0; i < 60; ++i) {
    clock_.Advance(10);
    Add(*log, MakeRecs(1 + i % 9, "r" + std::to_string(i), 50 + 13 * (i % 7)));
  }
  ExpectContents(*log, 0);
  ExpectContents(*log, 123);
  EXPECT_GE(log->stats().segments_rolled, 5u);

  // Every file is named after its first offset; closed ones stay within
  // segment_bytes (plus the seal) because no group here is that big.
  std::vector<std::string> files = SegmentFiles(dir_);
  ASSERT_GE(files.size(), 6u);
  EXPECT_EQ(files.front(), SegName(0));
  for (size_t i = 0; i + 1 < files.size(); ++i) {
    EXPECT_LE(FileSize(dir_ + "/" + files[i]), 4096u + kSealFrame) << files[i];
    auto first = log->Read(std::stoull(files[i].substr(0, 20)), 1, 1);
    ASSERT_TRUE(first.ok());
    ASSERT_EQ(first->size(), 1u);
  }

  log.reset();
  log = Open(Opts(4096));
  ASSERT_NE(log, nullptr);
  ExpectContents(*log, 0);
  ExpectContents(*log, expected_.size() - 1);
  Add(*log, MakeRecs(3, "after-reopen"));
  ExpectContents(*log, 0);
}

TEST_F(SegmentLogTest, ReadsAnywhereInALargeSegmentThroughTheSparseIndex) {
  auto log = Open(Opts(1 << 20));
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 40; ++i) Add(*log, MakeRecs(250, "b" + std::to_string(i), 100));
  auto check = [&](SegmentLog& l) {
    for (uint64_t from : {0ul, 1ul, 127ul, 128ul, 4999ul, 5000ul, 7777ul, 9998ul, 9999ul}) {
      auto got = l.Read(from, 2, 1 << 20);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ASSERT_EQ(got->size(), from + 1 < expected_.size() ? 2u : 1u) << from;
      EXPECT_EQ((*got)[0].offset, from);
      EXPECT_EQ((*got)[0].data, expected_[from].data);
    }
  };
  check(*log);
  // After a reopen the closed segments' indexes are built on first use and
  // the last one's by recovery.
  log.reset();
  log = Open(Opts(1 << 20));
  ASSERT_NE(log, nullptr);
  check(*log);
  ExpectContents(*log, 0);
}

TEST_F(SegmentLogTest, ConcurrentAppendersGetDenseUniqueOffsets) {
  SegmentLog::Options o = Opts(256 << 10);
  o.clock = Clock::Real();
  auto log = Open(o);
  ASSERT_NE(log, nullptr);
  constexpr int kThreads = 16;
  constexpr int kAppends = 30;
  struct Done {
    uint64_t first;
    size_t n;
    int thread, seq;
  };
  std::vector<std::vector<Done>> done(kThreads);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};

  // A reader polling the tail meanwhile sees a dense prefix and never more
  // than end_offset() said was durable.
  std::thread reader([&] {
    uint64_t next = 0;
    while (!stop.load()) {
      const uint64_t end = log->end_offset();
      auto got = log->Read(next, 1000, 1 << 20);
      if (!got.ok()) {
        failures++;
        return;
      }
      for (const LogRecord& r : *got) {
        if (r.offset != next++) failures++;
      }
      if (!got->empty() && got->back().offset >= std::max(end, log->end_offset())) failures++;
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int s = 0; s < kAppends; ++s) {
        auto recs =
            MakeRecs(1 + (t * 7 + s) % 20, "t" + std::to_string(t) + "s" + std::to_string(s), 60);
        auto a = AppendRecs(*log, recs);
        if (!a.ok()) {
          failures++;
          continue;
        }
        done[t].push_back({a->first_offset, recs.size(), t, s});
      }
    });
  }
  for (auto& th : threads) th.join();
  stop = true;
  reader.join();
  ASSERT_EQ(failures.load(), 0);

  std::map<uint64_t, Done> by_offset;
  for (const auto& d : done) {
    for (const Done& x : d) by_offset[x.first] = x;
  }
  ASSERT_EQ(by_offset.size(), static_cast<size_t>(kThreads * kAppends));
  uint64_t next = 0;
  std::vector<LogRecord> all = ReadAll(*log, 0);
  for (const auto& [first, d] : by_offset) {
    ASSERT_EQ(first, next) << "offsets are not dense";
    auto recs = MakeRecs(static_cast<int>(d.n),
                         "t" + std::to_string(d.thread) + "s" + std::to_string(d.seq), 60);
    for (size_t i = 0; i < d.n; ++i) {
      ASSERT_LT(first + i, all.size());
      EXPECT_EQ(all[first + i].data, recs[i].data);
      EXPECT_EQ(all[first + i].arrival_ms, all[first].arrival_ms);
    }
    next += d.n;
  }
  EXPECT_EQ(next, log->end_offset());
  EXPECT_EQ(all.size(), next);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LE(all[i - 1].arrival_ms, all[i].arrival_ms);

  const SegmentLog::Stats st = log->stats();
  EXPECT_EQ(st.appends, static_cast<uint64_t>(kThreads * kAppends));
  EXPECT_EQ(st.records, next);
  EXPECT_LT(st.groups, st.appends) << "no two appends shared a sync";
}

// Cuts the file at several places inside the last frame: in its length, in
// its CRC, in its body. Each time the frame is gone and the rest survives.
TEST_F(SegmentLogTest, TornTailIsTruncatedOnRecovery) {
  for (uint64_t cut_into : {uint64_t{1}, uint64_t{6}, uint64_t{20}, uint64_t{kFrameHeader + 40}}) {
    SCOPED_TRACE(cut_into);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    expected_.clear();
    arrivals_.clear();
    auto log = Open(Opts());
    ASSERT_NE(log, nullptr);
    uint64_t size = 0;
    for (int i = 0; i < 10; ++i) {
      auto recs = MakeRecs(1, "torn" + std::to_string(i), 100);
      size += FrameSize(recs[0]);
      Add(*log, recs);
    }
    log.reset();
    const uint64_t last_frame = FrameSize(expected_.back());
    ASSERT_EQ(FileSize(SegPath(0)), size);
    ASSERT_TRUE(Env::Default()->TruncateFile(SegPath(0), size - last_frame + cut_into).ok());

    log = Open(Opts());
    ASSERT_NE(log, nullptr);
    expected_.pop_back();
    arrivals_.pop_back();
    ExpectContents(*log, 0);
    EXPECT_EQ(FileSize(SegPath(0)), size - last_frame);
  }
}

TEST_F(SegmentLogTest, CorruptByteDropsThatFrameAndEverythingAfter) {
  auto log = Open(Opts());
  ASSERT_NE(log, nullptr);
  std::vector<uint64_t> starts;
  uint64_t pos = 0;
  for (int i = 0; i < 10; ++i) {
    auto recs = MakeRecs(1, "c" + std::to_string(i), 80);
    starts.push_back(pos);
    pos += FrameSize(recs[0]);
    Add(*log, recs);
  }
  log.reset();
  // A byte in the 7th record's data: the CRC catches it.
  FlipByte(SegPath(0), starts[6] + kFrameHeader + expected_[6].key.size() + 5);

  log = Open(Opts());
  ASSERT_NE(log, nullptr);
  expected_.resize(6);
  arrivals_.resize(6);
  ExpectContents(*log, 0);
  EXPECT_EQ(FileSize(SegPath(0)), starts[6]);
}

TEST_F(SegmentLogTest, CorruptLengthFieldIsCaughtByTheCrc) {
  auto log = Open(Opts());
  ASSERT_NE(log, nullptr);
  std::vector<uint64_t> starts;
  uint64_t pos = 0;
  for (int i = 0; i < 6; ++i) {
    auto recs = MakeRecs(1, "l" + std::to_string(i), 80);
    starts.push_back(pos);
    pos += FrameSize(recs[0]);
    Add(*log, recs);
  }
  log.reset();
  FlipByte(SegPath(0), starts[3]);  // low byte of the 4th frame's length
  log = Open(Opts());
  ASSERT_NE(log, nullptr);
  expected_.resize(3);
  arrivals_.resize(3);
  ExpectContents(*log, 0);
}

// All or none: a crash in the middle of one Append's frames loses the whole
// Append, not just its torn record.
TEST_F(SegmentLogTest, TornAppendIsDroppedWhole) {
  auto log = Open(Opts());
  ASSERT_NE(log, nullptr);
  Add(*log, MakeRecs(3, "whole"));
  uint64_t keep = 0;
  for (const Rec& r : expected_) keep += FrameSize(r);
  auto torn = MakeRecs(5, "torn");
  ASSERT_TRUE(AppendRecs(*log, torn).ok());
  log.reset();
  const uint64_t cut = keep + FrameSize(torn[0]) + FrameSize(torn[1]) + FrameSize(torn[2]) + 17;
  ASSERT_TRUE(Env::Default()->TruncateFile(SegPath(0), cut).ok());

  log = Open(Opts());
  ASSERT_NE(log, nullptr);
  ExpectContents(*log, 0);
  EXPECT_EQ(FileSize(SegPath(0)), keep);
}

TEST_F(SegmentLogTest, RecoveryThenAppendContinuesDensely) {
  auto log = Open(Opts(2048));
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 20; ++i) Add(*log, MakeRecs(2, "a" + std::to_string(i)));
  auto last = MakeRecs(2, "lost");
  auto a = AppendRecs(*log, last);
  ASSERT_TRUE(a.ok());
  log.reset();
  std::vector<std::string> files = SegmentFiles(dir_);
  const std::string tail = dir_ + "/" + files.back();
  ASSERT_TRUE(Env::Default()->TruncateFile(tail, FileSize(tail) - 3).ok());

  log = Open(Opts(2048));
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->end_offset(), a->first_offset);
  clock_.Advance(5);
  for (int i = 0; i < 10; ++i) Add(*log, MakeRecs(3, "b" + std::to_string(i)));
  ExpectContents(*log, 0);
  log.reset();
  log = Open(Opts(2048));
  ASSERT_NE(log, nullptr);
  ExpectContents(*log, 0);
}

TEST_F(SegmentLogTest, MissingDirectoryIsCreated) {
  dir_ = tmp_.Join("streams/s-1/shardId-000000000000");
  auto log = Open(Opts());
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(SegmentFiles(dir_), std::vector<std::string>{SegName(0)});
  EXPECT_EQ(log->end_offset(), 0u);
  auto empty = log->Read(0, 10, 1 << 20);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  Add(*log, MakeRecs(4, "x"));
  ExpectContents(*log, 0);
}

// A crash right after a roll leaves an empty newest segment; one between
// sealing a segment and creating the next leaves a sealed newest segment.
TEST_F(SegmentLogTest, EmptyOrSealedLastSegmentIsRecovered) {
  auto log = Open(Opts(1024));
  ASSERT_NE(log, nullptr);
  while (SegmentFiles(dir_).size() < 3) Add(*log, MakeRecs(2, "e"));
  log.reset();
  std::vector<std::string> files = SegmentFiles(dir_);
  const uint64_t last_base = std::stoull(files.back().substr(0, 20));
  ASSERT_TRUE(Env::Default()->DeleteFile(dir_ + "/" + files.back()).ok());
  expected_.resize(last_base);
  arrivals_.resize(last_base);

  // Sealed, without a successor.
  log = Open(Opts(1024));
  ASSERT_NE(log, nullptr);
  ExpectContents(*log, 0);
  log.reset();

  // Empty successor.
  {
    auto f = Env::Default()->NewWritableFile(SegPath(last_base));
    ASSERT_TRUE(f.ok());
  }
  log = Open(Opts(1024));
  ASSERT_NE(log, nullptr);
  ExpectContents(*log, 0);
  Add(*log, MakeRecs(2, "after"));
  ExpectContents(*log, 0);
  EXPECT_EQ(SegmentFiles(dir_).back(), SegName(last_base));
  log.reset();

  // And the sealed case again, now appending.
  ASSERT_TRUE(Env::Default()->DeleteFile(SegPath(last_base)).ok());
  expected_.resize(last_base);
  arrivals_.resize(last_base);
  log = Open(Opts(1024));
  ASSERT_NE(log, nullptr);
  Add(*log, MakeRecs(2, "after-sealed"));
  ExpectContents(*log, 0);
  EXPECT_EQ(SegmentFiles(dir_).back(), SegName(last_base));
}

TEST_F(SegmentLogTest, MissingMiddleSegmentIsCorruption) {
  auto log = Open(Opts(1024));
  ASSERT_NE(log, nullptr);
  while (SegmentFiles(dir_).size() < 4) Add(*log, MakeRecs(2, "m"));
  log.reset();
  std::vector<std::string> files = SegmentFiles(dir_);
  ASSERT_TRUE(Env::Default()->DeleteFile(dir_ + "/" + files[1]).ok());
  auto reopened = SegmentLog::Open(Env::Default(), Opts(1024));
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), Code::kCorruption) << reopened.status().ToString();
}

TEST_F(SegmentLogTest, DamagedSealFallsBackToScanningTheSegment) {
  auto log = Open(Opts(1024));
  ASSERT_NE(log, nullptr);
  while (SegmentFiles(dir_).size() < 3) Add(*log, MakeRecs(2, "s"));
  log.reset();
  const std::string first = SegPath(0);
  FlipByte(first, FileSize(first) - 3);  // inside the seal's payload
  log = Open(Opts(1024));
  ASSERT_NE(log, nullptr);
  ExpectContents(*log, 0);
  log.reset();

  // With the seal damaged, a damaged record in that closed segment leaves
  // no way to prove continuity: Open refuses rather than dropping data.
  FlipByte(first, kFrameHeader + 2);
  auto reopened = SegmentLog::Open(Env::Default(), Opts(1024));
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), Code::kCorruption) << reopened.status().ToString();
}

TEST_F(SegmentLogTest, CorruptRecordInAClosedSegmentIsReportedOnRead) {
  auto log = Open(Opts(1024));
  ASSERT_NE(log, nullptr);
  while (SegmentFiles(dir_).size() < 3) Add(*log, MakeRecs(2, "k"));
  log.reset();
  FlipByte(SegPath(0), kFrameHeader + 3);  // the first record's key
  log = Open(Opts(1024));
  ASSERT_NE(log, nullptr);  // trusted on its seal
  auto bad = log->Read(0, 10, 1 << 20);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kCorruption) << bad.status().ToString();
  // The records after it are fine, and appends go on.
  auto ok = log->Read(1, 1, 1 << 20);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)[0].data, expected_[1].data);
  Add(*log, MakeRecs(1, "more"));
}

TEST_F(SegmentLogTest, RetentionDeletesWholeSegmentsOnlyAndOldReadsAreTrimmed) {
  auto log = Open(Opts(1024));
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 40; ++i) {
    clock_.Advance(1000);
    Add(*log, MakeRecs(2, "t" + std::to_string(i)));
  }
  std::vector<std::string> files = SegmentFiles(dir_);
  ASSERT_GE(files.size(), 5u);
  // A cutoff inside the third segment: its older records are expired, its
  // newer are not, so it stays, and so do all after it.
  const uint64_t third = std::stoull(files[2].substr(0, 20));
  const uint64_t fourth = std::stoull(files[3].substr(0, 20));
  const int64_t cutoff = arrivals_[(third + fourth) / 2];
  ASSERT_LT(arrivals_[third], cutoff);
  auto deleted = log->DeleteSegmentsBefore(cutoff);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 2u);
  EXPECT_EQ(log->first_offset(), third);
  std::vector<std::string> left = SegmentFiles(dir_);
  EXPECT_EQ(std::vector<std::string>(files.begin() + 2, files.end()), left);

  for (uint64_t from : {uint64_t{0}, third - 1}) {
    auto old = log->Read(from, 10, 1 << 20);
    ASSERT_FALSE(old.ok());
    EXPECT_EQ(old.status().code(), Code::kNotFound);
    EXPECT_EQ(old.status().aws_code(), "TrimmedData");
  }
  ExpectContents(*log, third);
  auto again = log->DeleteSegmentsBefore(cutoff);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);
  auto at = log->OffsetAtTime(0);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(*at, third);

  log.reset();
  log = Open(Opts(1024));
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->first_offset(), third);
  ExpectContents(*log, third);
}

// An idle shard's records expire too: the active segment is closed, and an
// empty segment keeps the next offset across a reopen.
TEST_F(SegmentLogTest, RetentionExpiresAnIdleActiveSegmentAndOffsetsContinue) {
  auto log = Open(Opts());
  ASSERT_NE(log, nullptr);
  Add(*log, MakeRecs(5, "idle"));
  auto none = log->DeleteSegmentsBefore(kT0);  // nothing is older than kT0
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
  clock_.Advance(86'400'000);
  auto deleted = log->DeleteSegmentsBefore(kT0 + 1);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 1u);
  EXPECT_EQ(log->first_offset(), 5u);
  EXPECT_EQ(log->end_offset(), 5u);
  EXPECT_EQ(SegmentFiles(dir_), std::vector<std::string>{SegName(5)});
  auto trimmed = log->Read(4, 1, 1 << 20);
  EXPECT_EQ(trimmed.status().aws_code(), "TrimmedData");
  log.reset();

  log = Open(Opts());
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->first_offset(), 5u);
  EXPECT_EQ(log->end_offset(), 5u);
  Add(*log, MakeRecs(2, "later"));
  ExpectContents(*log, 5);
}

TEST_F(SegmentLogTest, OffsetAtTimeWithAClockStepBackwards) {
  auto log = Open(Opts(1024));
  ASSERT_NE(log, nullptr);
  clock_.Set(1000);
  auto a = Add(*log, MakeRecs(3, "a"));
  clock_.Set(2000);
  auto b = Add(*log, MakeRecs(3, "b"));
  clock_.Set(1500);  // NTP stepped the clock back
  auto c = Add(*log, MakeRecs(3, "c"));
  clock_.Set(3000);
  auto d = Add(*log, MakeRecs(3, "d"));
  EXPECT_EQ(a.arrival_ms, 1000);
  EXPECT_EQ(b.arrival_ms, 2000);
  EXPECT_EQ(c.arrival_ms, 2000) << "arrival times must never decrease";
  EXPECT_EQ(d.arrival_ms, 3000);

  auto at = [&](int64_t t) {
    auto r = log->OffsetAtTime(t);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ~0ull;
  };
  EXPECT_EQ(at(0), 0u);
  EXPECT_EQ(at(1000), 0u);
  EXPECT_EQ(at(1001), 3u);
  EXPECT_EQ(at(1500), 3u);
  EXPECT_EQ(at(2000), 3u);
  EXPECT_EQ(at(2001), 9u);
  EXPECT_EQ(at(3000), 9u);
  EXPECT_EQ(at(3001), 12u);

  // Many more across segments, with steps back, against a linear search;
  // then again after a reopen (closed segments' indexes built lazily).
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    clock_.Advance(static_cast<int64_t>(rng() % 50) - 10);
    Add(*log, MakeRecs(1 + static_cast<int>(rng() % 4), "m" + std::to_string(i), 40));
  }
  auto check_all = [&] {
    for (int64_t t = arrivals_.front() - 5; t <= arrivals_.back() + 5; t += 3) {
      const uint64_t want =
          std::lower_bound(arrivals_.begin(), arrivals_.end(), t) - arrivals_.begin();
      ASSERT_EQ(at(t), want) << t;
    }
  };
  ASSERT_TRUE(std::is_sorted(arrivals_.begin(), arrivals_.end()));
  check_all();
  log.reset();
  log = Open(Opts(1024));
  ASSERT_NE(log, nullptr);
  check_all();
}

TEST_F(SegmentLogTest, ReadLimitsOnRecordsAndBytes) {
  auto log = Open(Opts());
  ASSERT_NE(log, nullptr);
  Add(*log, MakeRecs(10, "lim", 100));
  auto n = [&](uint64_t from, size_t max_records, size_t max_bytes) -> size_t {
    auto r = log->Read(from, max_records, max_bytes);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->size() : 9999;
  };
  EXPECT_EQ(n(0, 3, 1 << 20), 3u);
  EXPECT_EQ(n(0, 100, 1 << 20), 10u);
  EXPECT_EQ(n(0, 100, 250), 2u);  // a third would make 300 > 250
  EXPECT_EQ(n(0, 100, 300), 3u);  // exactly at the limit is fine
  EXPECT_EQ(n(0, 100, 10), 1u) << "one record even when it exceeds max_bytes";
  EXPECT_EQ(n(0, 100, 0), 1u);
  EXPECT_EQ(n(8, 100, 1 << 20), 2u);
  EXPECT_EQ(n(0, 0, 1 << 20), 0u);
  EXPECT_EQ(n(10, 100, 1 << 20), 0u);
  EXPECT_EQ(n(1000, 100, 1 << 20), 0u);
}

TEST_F(SegmentLogTest, RejectsOversizedRecordsAndEmptyAppends) {
  auto log = Open(Opts());
  ASSERT_NE(log, nullptr);
  std::string big_key(kMaxPartitionKeyBytes + 1, 'k');
  std::string big_hash(kMaxExplicitHashKeyBytes + 1, '1');
  std::string big_data(kMaxRecordDataBytes + 1, 'd');
  std::string max_data(kMaxRecordDataBytes, 'd');
  std::string max_key(kMaxPartitionKeyBytes, 'k');
  for (const AppendRecord& bad : {AppendRecord{big_key, "x", ""}, AppendRecord{"k", big_data, ""},
                                  AppendRecord{"k", "x", big_hash}}) {
    auto r = log->Append(std::span<const AppendRecord>(&bad, 1));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  }
  auto empty = log->Append({});
  EXPECT_EQ(empty.status().code(), Code::kInvalidArgument);
  std::vector<AppendRecord> too_many(17, AppendRecord{"k", max_data, ""});
  EXPECT_EQ(log->Append(too_many).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log->end_offset(), 0u);

  // The largest record fits, and reads back whole even with a small max_bytes.
  Add(*log, {Rec{max_key, max_data, std::string(kMaxExplicitHashKeyBytes, '9')}});
  log.reset();
  log = Open(Opts());
  ASSERT_NE(log, nullptr);
  ExpectContents(*log, 0);
  auto one = log->Read(0, 10, 1);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].data.size(), kMaxRecordDataBytes);
}

// A group bigger than segment_bytes gets a segment of its own rather than
// being split (one Append never spans two files).
TEST_F(SegmentLogTest, AppendLargerThanASegmentIsNotSplit) {
  auto log = Open(Opts(1024));
  ASSERT_NE(log, nullptr);
  Add(*log, MakeRecs(2, "small"));
  Add(*log, MakeRecs(40, "big", 200));
  Add(*log, MakeRecs(2, "small2"));
  EXPECT_EQ(SegmentFiles(dir_), (std::vector<std::string>{SegName(0), SegName(2), SegName(42)}));
  ExpectContents(*log, 0);
}

TEST_F(SegmentLogTest, SyncFailureIsStickyAndNothingAcknowledgedIsLost) {
  FaultInjectionEnv env(Env::Default());
  auto log = Open(Opts(), &env);
  ASSERT_NE(log, nullptr);
  Add(*log, MakeRecs(5, "acked"));
  const uint64_t size = FileSize(SegPath(0));

  env.FailNextSync();
  auto failed = AppendRecs(*log, MakeRecs(3, "failed"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), Code::kIOError) << failed.status().ToString();
  env.ClearFaults();
  auto refused = AppendRecs(*log, MakeRecs(1, "refused"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kIOError) << "the error must be sticky";
  EXPECT_EQ(log->end_offset(), 5u);
  ExpectContents(*log, 0);  // reads go on, and see only acknowledged records
  EXPECT_EQ(FileSize(SegPath(0)), size) << "the failed group was not cut off";

  log.reset();
  log = Open(Opts(), &env);
  ASSERT_NE(log, nullptr);
  ExpectContents(*log, 0);
  Add(*log, MakeRecs(2, "after"));
  ExpectContents(*log, 0);
}

// The roll writes a seal, syncs it, creates the next file and syncs the
// directory: a failure at either sync leaves a log that reopens whole.
TEST_F(SegmentLogTest, FailureWhileRollingIsStickyAndReopensWhole) {
  for (bool dir_sync : {false, true}) {
    SCOPED_TRACE(dir_sync ? "directory fsync fails" : "seal fdatasync fails");
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    expected_.clear();
    arrivals_.clear();
    FaultInjectionEnv env(Env::Default());
    auto log = Open(Opts(1024), &env);
    ASSERT_NE(log, nullptr);
    Add(*log, MakeRecs(8, "fill"));  // > 1024 bytes: the next append rolls
    if (dir_sync) {
      env.SetDirSyncFailure(true);
    } else {
      env.FailNextSync();
    }
    auto a = AppendRecs(*log, MakeRecs(2, "roll"));
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.status().code(), Code::kIOError) << a.status().ToString();
    env.ClearFaults();
    EXPECT_EQ(log->stats().segments_rolled, 0u);
    EXPECT_EQ(SegmentFiles(dir_).size(), dir_sync ? 2u : 1u);
    EXPECT_FALSE(AppendRecs(*log, MakeRecs(1, "again")).ok());
    ExpectContents(*log, 0);
    log.reset();

    log = Open(Opts(1024), &env);
    ASSERT_NE(log, nullptr);
    ExpectContents(*log, 0);
    Add(*log, MakeRecs(2, "after"));
    ExpectContents(*log, 0);
    log.reset();
    log = Open(Opts(1024), &env);
    ASSERT_NE(log, nullptr);
    ExpectContents(*log, 0);
  }
}

TEST_F(SegmentLogTest, SyncFailureFailsEveryWriterInTheGroup) {
  FaultInjectionEnv env(Env::Default());
  SegmentLog::Options o = Opts();
  o.clock = Clock::Real();
  auto log = Open(o, &env);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(AppendRecs(*log, MakeRecs(2, "first")).ok());
  env.SetSyncFailure(true);
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        auto a = AppendRecs(*log, MakeRecs(3, "g" + std::to_string(t)));
        (a.ok() ? ok : failed)++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 0);
  EXPECT_EQ(failed.load(), 40);
  EXPECT_EQ(log->end_offset(), 2u);
}

TEST_F(SegmentLogTest, ShortWriteAndFullDiskAreSticky) {
  for (bool full : {false, true}) {
    SCOPED_TRACE(full ? "ENOSPC" : "short write");
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    expected_.clear();
    arrivals_.clear();
    FaultInjectionEnv env(Env::Default());
    auto log = Open(Opts(), &env);
    ASSERT_NE(log, nullptr);
    Add(*log, MakeRecs(4, "ok"));
    if (full) {
      env.SetNoSpace(true);
    } else {
      env.SetShortWrite(true);
    }
    auto a = AppendRecs(*log, MakeRecs(4, "bad"));
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.status().code(), full ? Code::kResourceExhausted : Code::kIOError)
        << a.status().ToString();
    env.ClearFaults();
    EXPECT_EQ(AppendRecs(*log, MakeRecs(1, "again")).status().code(), a.status().code());
    ExpectContents(*log, 0);
    log.reset();
    log = Open(Opts(), &env);
    ASSERT_NE(log, nullptr);
    ExpectContents(*log, 0);
  }
}

TEST_F(SegmentLogTest, ReadErrorDoesNotStopAppends) {
  FaultInjectionEnv env(Env::Default());
  auto log = Open(Opts(), &env);
  ASSERT_NE(log, nullptr);
  Add(*log, MakeRecs(3, "r"));
  env.SetReadError(true);
  auto r = log->Read(0, 10, 1 << 20);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kIOError);
  Add(*log, MakeRecs(3, "w"));
  env.ClearFaults();
  ExpectContents(*log, 0);
}

TEST_F(SegmentLogTest, DestroyRemovesEverything) {
  auto log = Open(Opts(1024));
  ASSERT_NE(log, nullptr);
  while (SegmentFiles(dir_).size() < 3) Add(*log, MakeRecs(2, "d"));
  ASSERT_TRUE(log->Destroy().ok());
  EXPECT_FALSE(Env::Default()->FileExists(dir_));
  EXPECT_EQ(AppendRecs(*log, MakeRecs(1, "x")).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(log->Read(0, 1, 1).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(log->OffsetAtTime(0).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(log->DeleteSegmentsBefore(kT0).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(log->Destroy().code(), Code::kFailedPrecondition);
  log.reset();
  // The directory can host a new, empty log.
  log = Open(Opts());
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->end_offset(), 0u);
}

TEST_F(SegmentLogTest, DestroyWaitsForAppendsInProgress) {
  SegmentLog::Options o = Opts(4096);
  o.clock = Clock::Real();
  auto log = Open(o);
  ASSERT_NE(log, nullptr);
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto a = AppendRecs(*log, MakeRecs(2, "p"));
        if (a.ok()) {
          ok++;
        } else if (a.status().code() == Code::kFailedPrecondition) {
          refused++;
        } else {
          other++;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(log->Destroy().ok());
  for (auto& th : threads) th.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(ok.load() + refused.load(), 200);
  EXPECT_FALSE(Env::Default()->FileExists(dir_));
}

TEST_F(SegmentLogTest, OpenRejectsBadOptions) {
  SegmentLog::Options o = Opts();
  o.dir.clear();
  EXPECT_EQ(SegmentLog::Open(Env::Default(), o).status().code(), Code::kInvalidArgument);
  o = Opts(0);
  EXPECT_EQ(SegmentLog::Open(Env::Default(), o).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace tarn::storage
