#include "services/firehose/record_buffer.h"

#include <algorithm>

namespace tarn::firehose {

namespace {

// Queued appends are combined up to this many bytes per SegmentLog::Append
// (two full PutRecordBatch requests; the log takes up to 16 MiB at once).
constexpr size_t kMaxCombinedAppendBytes = 8u << 20;
// Per-record frame overhead, for the combining estimate only.
constexpr size_t kFrameOverheadBytes = 64;

}  // namespace

RecordBuffer::RecordBuffer(std::unique_ptr<storage::SegmentLog> log, uint64_t delivered_offset)
    : log_(std::move(log)) {
  // A checkpoint behind the log's first offset means retention already
  // dropped those records (they were delivered); one past its end cannot
  // happen with a log that keeps what it acknowledged, and is clamped.
  delivered_ = std::clamp<uint64_t>(delivered_offset, log_->first_offset(), log_->end_offset());
  if (delivered_ < log_->end_offset()) chunks_.push_back(Chunk{log_->end_offset(), 0});
}

void RecordBuffer::NoteAppended(uint64_t first, size_t count, uint64_t bytes, int64_t arrival_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t end = first + count;
  // Delivery reads the log directly, so a quick flush may have taken these
  // records before this accounting caught up.
  if (end <= delivered_) return;
  pending_bytes_ += bytes;
  if (!chunks_.empty() && chunks_.back().arrival_ms == arrival_ms) {
    chunks_.back().end_offset = std::max(chunks_.back().end_offset, end);
  } else {
    chunks_.push_back(Chunk{end, arrival_ms});
  }
}

Result<uint64_t> RecordBuffer::Append(std::span<const storage::AppendRecord> records) {
  TARN_ASSIGN_OR_RETURN(storage::SegmentLog::Appended appended, log_->Append(records));
  uint64_t bytes = 0;
  for (const auto& r : records) bytes += r.data.size();
  NoteAppended(appended.first_offset, records.size(), bytes, appended.arrival_ms);
  return appended.first_offset;
}

void RecordBuffer::AppendAsync(std::span<const storage::AppendRecord> records,
                               std::function<void(Result<uint64_t>)> done, const Post& post) {
  Pending p;
  p.records = records;
  p.done = std::move(done);
  for (const auto& r : records) p.bytes += r.data.size() + r.partition_key.size() + kFrameOverheadBytes;
  bool start;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    queue_.push_back(std::move(p));
    start = !draining_;
    draining_ = true;
  }
  if (start) post([this] { Drain(); });
}

void RecordBuffer::Drain() {
  std::vector<Pending> batch;
  std::vector<storage::AppendRecord> records;
  while (true) {
    batch.clear();
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      size_t bytes = 0;
      while (!queue_.empty() &&
             (batch.empty() || bytes + queue_.front().bytes <= kMaxCombinedAppendBytes)) {
        bytes += queue_.front().bytes;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (batch.empty()) {
        draining_ = false;
        return;
      }
    }
    records.clear();
    for (const Pending& p : batch) records.insert(records.end(), p.records.begin(), p.records.end());
    Result<uint64_t> first = Append(records);
    if (!first.ok()) {
      for (Pending& p : batch) p.done(first.status());
      continue;
    }
    uint64_t offset = *first;
    for (Pending& p : batch) {
      p.done(offset);
      offset += p.records.size();
    }
  }
}

Result<std::vector<storage::LogRecord>> RecordBuffer::ReadPending(size_t max_bytes,
                                                                  size_t max_records) {
  return log_->Read(delivered(), max_records, max_bytes);
}

Status RecordBuffer::MarkDelivered(uint64_t offset, uint64_t data_bytes, int64_t last_arrival_ms) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (offset <= delivered_) return Status::OK();
    delivered_ = offset;
    pending_bytes_ -= std::min(pending_bytes_, data_bytes);
    while (!chunks_.empty() && chunks_.front().end_offset <= offset) chunks_.pop_front();
    if (chunks_.empty()) pending_bytes_ = 0;
  }
  // Arrival times never decrease along the log, so a segment whose newest
  // record arrived strictly before the last delivered one holds only
  // delivered records; every pending record arrived at or after it.
  Result<size_t> deleted = log_->DeleteSegmentsBefore(last_arrival_ms);
  return deleted.status();
}

uint64_t RecordBuffer::delivered() const {
  std::lock_guard<std::mutex> lock(mu_);
  return delivered_;
}

uint64_t RecordBuffer::pending_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_bytes_;
}

std::optional<int64_t> RecordBuffer::oldest_pending_ms() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (chunks_.empty()) return std::nullopt;
  return chunks_.front().arrival_ms;
}

Status RecordBuffer::Destroy() { return log_->Destroy(); }

}  // namespace tarn::firehose
