// MemoryLog: a SegmentLog kept in memory, for the service's unit tests
// (fast, and independent of the disk format). "Segments" are fixed runs of
// records so that retention can be exercised. Not for production.
#pragma once

#include <algorithm>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/segment_log.h"

namespace tarn::kinesis {

class MemoryLog : public storage::SegmentLog {
 public:
  explicit MemoryLog(Clock* clock, size_t records_per_segment = 4)
      : clock_(clock), per_segment_(records_per_segment) {}

  Result<Appended> Append(std::span<const storage::AppendRecord> records) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (destroyed_) return FailedPrecondition("log destroyed");
    if (fail_appends_) return IOError("injected append failure");
    if (records.empty()) return InvalidArgument("empty append");
    int64_t now = std::max<int64_t>(clock_->Now(), last_arrival_);
    last_arrival_ = now;
    Appended a{first_ + records_.size(), now};
    for (const auto& r : records) {
      storage::LogRecord rec;
      rec.offset = first_ + records_.size();
      rec.arrival_ms = now;
      rec.partition_key = std::string(r.partition_key);
      rec.data = std::string(r.data);
      rec.explicit_hash_key = std::string(r.explicit_hash_key);
      records_.push_back(std::move(rec));
    }
    stats_.appends++;
    stats_.records += records.size();
    return a;
  }

  Result<std::vector<storage::LogRecord>> Read(uint64_t from, size_t max_records,
                                               size_t max_bytes) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (destroyed_) return FailedPrecondition("log destroyed");
    if (from < first_) return NotFound("trimmed", "TrimmedData");
    std::vector<storage::LogRecord> out;
    size_t bytes = 0;
    for (uint64_t o = from; o < first_ + records_.size() && out.size() < max_records; ++o) {
      const auto& r = records_[o - first_];
      if (!out.empty() && bytes + r.data.size() > max_bytes) break;
      bytes += r.data.size();
      out.push_back(r);
    }
    return out;
  }

  uint64_t first_offset() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return first_;
  }
  uint64_t end_offset() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return first_ + records_.size();
  }

  Result<uint64_t> OffsetAtTime(int64_t t) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& r : records_) {
      if (r.arrival_ms >= t) return r.offset;
    }
    return first_ + records_.size();
  }

  // Drops whole runs of per_segment_ records (never the last, partial run)
  // whose newest record is older than the cutoff.
  Result<size_t> DeleteSegmentsBefore(int64_t cutoff_ms) override {
    std::lock_guard<std::mutex> lock(mu_);
    size_t deleted = 0;
    while (records_.size() > per_segment_ && records_[per_segment_ - 1].arrival_ms < cutoff_ms) {
      records_.erase(records_.begin(), records_.begin() + static_cast<long>(per_segment_));
      first_ += per_segment_;
      ++deleted;
    }
    return deleted;
  }

  Status Destroy() override {
    std::lock_guard<std::mutex> lock(mu_);
    destroyed_ = true;
    records_.clear();
    return Status::OK();
  }

  Stats stats() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

  void set_fail_appends(bool fail) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_appends_ = fail;
  }

 private:
  Clock* clock_;
  size_t per_segment_;
  mutable std::mutex mu_;
  std::deque<storage::LogRecord> records_;
  uint64_t first_ = 0;
  int64_t last_arrival_ = 0;
  bool destroyed_ = false;
  bool fail_appends_ = false;
  Stats stats_;
};

}  // namespace tarn::kinesis
