// SegmentLog on an Env: frames as specified in docs/segment-log.md.
#include "storage/segment_log.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <limits>
#include <mutex>
#include <utility>

#include "common/hash.h"
#include "common/log.h"

namespace tarn::storage {
namespace {

// Frame layout (docs/segment-log.md):
//
//   0  u32 length      bytes after the CRC field
//   4  u32 crc         CRC-32C of bytes [0,4) then [8, 8+length)
//   8  u64 offset
//  16  i64 arrival_ms
//  24  u16 key length
//  26  u8  explicit hash key length
//  27  u8  flags
//  28  key, explicit hash key, data
constexpr size_t kPrefixBytes = 8;      // length + crc
constexpr size_t kBodyFixedBytes = 20;  // offset .. flags
constexpr size_t kHeaderBytes = kPrefixBytes + kBodyFixedBytes;
constexpr uint8_t kFlagEnd = 0x01;   // last record of its Append
constexpr uint8_t kFlagSeal = 0x02;  // the segment's closing frame
constexpr uint8_t kKnownFlags = kFlagEnd | kFlagSeal;
constexpr size_t kSealDataBytes = 8;  // the segment's first arrival
constexpr size_t kSealFrameBytes = kHeaderBytes + kSealDataBytes;
constexpr size_t kMaxBodyBytes =
    kBodyFixedBytes + kMaxPartitionKeyBytes + kMaxExplicitHashKeyBytes + kMaxRecordDataBytes;

// One index entry per this many bytes of frames: a read starts at most this
// far before the record it wants. 64 MiB segments -> 4,096 entries (96 KiB).
constexpr uint64_t kIndexIntervalBytes = 16 << 10;
// A group stops growing here (or at segment_bytes), so a burst of writers
// is split into a few syncs instead of one huge buffer.
constexpr size_t kMaxGroupBytes = 4 << 20;
// The leader's encode buffer is given back when a big group grew it past this.
constexpr size_t kKeepBufferBytes = 8 << 20;
constexpr size_t kReadChunkBytes = 64 << 10;
constexpr size_t kScanChunkBytes = 1 << 20;
constexpr size_t kNameDigits = 20;
constexpr std::string_view kSegmentSuffix = ".seg";

void PutU16(char* p, uint16_t v) {
  p[0] = static_cast<char>(v);
  p[1] = static_cast<char>(v >> 8);
}
void PutU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void PutU64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
uint16_t GetU16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>(u[0] | (u[1] << 8));
}
uint32_t GetU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | u[i];
  return v;
}
uint64_t GetU64(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | u[i];
  return v;
}

// The CRC covers the length field too, so a flipped length bit is caught
// even when the wrong length still lands inside the file.
uint32_t FrameCrc(const char* frame, uint32_t length) {
  uint32_t crc = Crc32c(0, std::string_view(frame, 4));
  return Crc32c(crc, std::string_view(frame + kPrefixBytes, length));
}

size_t RecordFrameBytes(const AppendRecord& r) {
  return kHeaderBytes + r.partition_key.size() + r.explicit_hash_key.size() + r.data.size();
}

// Writes one frame at p (RecordFrameBytes or kSealFrameBytes long).
void EncodeFrame(char* p, uint64_t offset, int64_t arrival, uint8_t flags, std::string_view key,
                 std::string_view hash_key, std::string_view data) {
  const auto length =
      static_cast<uint32_t>(kBodyFixedBytes + key.size() + hash_key.size() + data.size());
  PutU32(p, length);
  PutU64(p + 8, offset);
  PutU64(p + 16, static_cast<uint64_t>(arrival));
  PutU16(p + 24, static_cast<uint16_t>(key.size()));
  p[26] = static_cast<char>(hash_key.size());
  p[27] = static_cast<char>(flags);
  char* q = p + kHeaderBytes;
  if (!key.empty()) std::memcpy(q, key.data(), key.size());
  q += key.size();
  if (!hash_key.empty()) std::memcpy(q, hash_key.data(), hash_key.size());
  q += hash_key.size();
  if (!data.empty()) std::memcpy(q, data.data(), data.size());
  PutU32(p + 4, FrameCrc(p, length));
}

struct Frame {
  uint64_t pos = 0;   // where the frame starts in its file
  uint32_t size = 0;  // the whole frame
  uint64_t offset = 0;
  int64_t arrival = 0;
  uint8_t flags = 0;
  std::string_view key, hash_key, data;  // into the reader's buffer
  bool seal() const { return (flags & kFlagSeal) != 0; }
};

// Checks and decodes the frame at p whose body (length bytes) is all there.
bool DecodeFrame(const char* p, uint32_t length, bool verify_crc, Frame* f, std::string* why) {
  if (verify_crc && FrameCrc(p, length) != GetU32(p + 4)) {
    *why = "CRC mismatch";
    return false;
  }
  f->size = static_cast<uint32_t>(kPrefixBytes + length);
  f->offset = GetU64(p + 8);
  f->arrival = static_cast<int64_t>(GetU64(p + 16));
  const size_t key_len = GetU16(p + 24);
  const size_t hash_len = static_cast<unsigned char>(p[26]);
  f->flags = static_cast<uint8_t>(p[27]);
  if ((f->flags & ~kKnownFlags) != 0) {
    *why = "unknown flags";
    return false;
  }
  const size_t var = length - kBodyFixedBytes;
  if (f->seal()) {
    if (f->flags != kFlagSeal || key_len != 0 || hash_len != 0 || var != kSealDataBytes) {
      *why = "malformed seal frame";
      return false;
    }
  } else if (key_len > kMaxPartitionKeyBytes || key_len + hash_len > var ||
             var - key_len - hash_len > kMaxRecordDataBytes) {
    *why = "field lengths out of range";
    return false;
  }
  const char* q = p + kHeaderBytes;
  f->key = std::string_view(q, key_len);
  f->hash_key = std::string_view(q + key_len, hash_len);
  f->data = std::string_view(q + key_len + hash_len, var - key_len - hash_len);
  return true;
}

enum class FrameStatus {
  kOk,    // a frame
  kEnd,   // exactly at the limit
  kTorn,  // a frame starts but does not fit before the limit (or the file's end)
  kBad,   // a frame that fails a check (why())
};

// Reads frames sequentially from [pos, limit) of a file with large preads.
class FrameReader {
 public:
  FrameReader(const RandomAccessFile& file, uint64_t pos, uint64_t limit, size_t chunk)
      : file_(file), pos_(pos), limit_(limit), chunk_(chunk) {}

  // On kOk, *f's views stay valid until the next call.
  Result<FrameStatus> Next(bool verify_crc, Frame* f) {
    for (;;) {
      const char* p = buf_.data() + cur_;
      const size_t avail = len_ - cur_;
      size_t need = kPrefixBytes;
      if (avail >= kPrefixBytes) {
        const uint32_t length = GetU32(p);
        if (length < kBodyFixedBytes || length > kMaxBodyBytes) {
          why_ = "frame length " + std::to_string(length) + " out of range";
          return FrameStatus::kBad;
        }
        need = kPrefixBytes + length;
        if (avail >= need) {
          if (!DecodeFrame(p, length, verify_crc, f, &why_)) return FrameStatus::kBad;
          f->pos = pos_;
          cur_ += need;
          pos_ += need;
          return FrameStatus::kOk;
        }
      }
      if (avail == 0 && pos_ >= limit_) return FrameStatus::kEnd;
      if (pos_ + need > limit_) {
        why_ = avail < kPrefixBytes ? "short frame header" : "frame runs past the end";
        return FrameStatus::kTorn;
      }
      TARN_RETURN_IF_ERROR(Fill(need));
    }
  }

  uint64_t pos() const { return pos_; }
  const std::string& why() const { return why_; }

 private:
  // Makes the buffer hold at least need bytes from pos_ (pos_ + need <=
  // limit_), reading ahead up to chunk_; lowers limit_ if the file is shorter.
  Status Fill(size_t need) {
    const size_t avail = len_ - cur_;
    if (cur_ > 0 && avail > 0) std::memmove(buf_.data(), buf_.data() + cur_, avail);
    cur_ = 0;
    len_ = avail;
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(std::max(need, chunk_), limit_ - pos_));
    if (buf_.size() < want) buf_.resize(want);
    TARN_ASSIGN_OR_RETURN(size_t n, file_.Read(pos_ + avail, want - avail, buf_.data() + avail));
    len_ += n;
    if (n < want - avail) limit_ = pos_ + len_;
    return Status::OK();
  }

  const RandomAccessFile& file_;
  uint64_t pos_;  // file position of buf_[cur_]
  uint64_t limit_;
  const size_t chunk_;
  std::string buf_;
  size_t cur_ = 0;
  size_t len_ = 0;
  std::string why_;
};

struct IndexEntry {
  uint64_t offset;
  uint64_t pos;
  int64_t arrival;
};

// What a sequential scan of one segment found.
struct ScanResult {
  // The prefix that holds only whole Appends (and the seal, if any): a
  // recovered segment is truncated here.
  uint64_t valid_bytes = 0;
  uint64_t data_bytes = 0;  // record frames in that prefix (the seal follows)
  uint64_t end_offset = 0;  // one past the last record in it
  int64_t first_arrival = 0;
  int64_t last_arrival = 0;
  bool sealed = false;
  std::vector<IndexEntry> index;  // entries inside data_bytes
  std::string stop_reason;        // why the scan ended before the file did
};

Result<ScanResult> ScanSegment(const RandomAccessFile& file, uint64_t base, uint64_t limit,
                               bool verify_crc) {
  ScanResult s;
  s.end_offset = base;
  FrameReader reader(file, 0, limit, kScanChunkBytes);
  uint64_t expect = base;
  int64_t first_arrival = 0;
  int64_t last_arrival = 0;
  Frame f;
  for (;;) {
    TARN_ASSIGN_OR_RETURN(FrameStatus st, reader.Next(verify_crc, &f));
    if (st == FrameStatus::kEnd) break;
    if (st != FrameStatus::kOk) {
      s.stop_reason = reader.why() + " at byte " + std::to_string(reader.pos());
      break;
    }
    if (f.offset != expect) {
      s.stop_reason = "offset " + std::to_string(f.offset) + " where " + std::to_string(expect) +
                      " was expected at byte " + std::to_string(f.pos);
      break;
    }
    if (f.seal()) {
      if (f.pos != s.valid_bytes) {
        s.stop_reason = "seal after an incomplete Append at byte " + std::to_string(f.pos);
        break;
      }
      s.sealed = true;
      s.valid_bytes = reader.pos();
      if (reader.pos() < limit) {
        s.stop_reason = "bytes after the seal at byte " + std::to_string(reader.pos());
      }
      break;
    }
    if (s.index.empty() || f.pos - s.index.back().pos >= kIndexIntervalBytes) {
      s.index.push_back({f.offset, f.pos, f.arrival});
    }
    if (expect == base) first_arrival = f.arrival;
    last_arrival = f.arrival;
    ++expect;
    if ((f.flags & kFlagEnd) != 0) {
      s.valid_bytes = s.data_bytes = reader.pos();
      s.end_offset = expect;
      s.first_arrival = first_arrival;
      s.last_arrival = last_arrival;
    }
  }
  if (s.stop_reason.empty() && s.valid_bytes < reader.pos()) {
    s.stop_reason = "incomplete Append at byte " + std::to_string(s.valid_bytes);
  }
  while (!s.index.empty() && s.index.back().pos >= s.data_bytes) s.index.pop_back();
  return s;
}

std::string SegmentName(uint64_t base) {
  char name[kNameDigits + 1];
  std::snprintf(name, sizeof(name), "%020llu", static_cast<unsigned long long>(base));
  return std::string(name) + std::string(kSegmentSuffix);
}

bool ParseSegmentName(std::string_view name, uint64_t* base) {
  if (name.size() != kNameDigits + kSegmentSuffix.size() ||
      name.substr(kNameDigits) != kSegmentSuffix) {
    return false;
  }
  for (size_t i = 0; i < kNameDigits; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  auto [end, ec] = std::from_chars(name.data(), name.data() + kNameDigits, *base);
  return ec == std::errc() && end == name.data() + kNameDigits;
}

std::string ParentDir(const std::string& dir) {
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  const size_t slash = d.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return d.substr(0, slash);
}

// One segment file. base, path and file are fixed; the rest is guarded by
// the log's mutex.
struct Segment {
  Segment(uint64_t b, std::string p, std::unique_ptr<RandomAccessFile> f)
      : base(b), path(std::move(p)), file(std::move(f)), end(b) {}

  const uint64_t base;
  const std::string path;
  // Open for the segment's life; reads pread it, also after retention has
  // unlinked it under a reader that still holds the segment.
  const std::unique_ptr<RandomAccessFile> file;

  uint64_t end;             // one past the last durable record
  uint64_t data_bytes = 0;  // durable record frames (a seal may follow)
  int64_t first_arrival = 0;
  int64_t last_arrival = 0;  // both valid when end > base
  bool sealed = false;
  // Closed segments trusted on their seal at Open get their index on the
  // first read that needs it (a scan); the others have it from the start.
  bool index_loaded = false;
  std::vector<IndexEntry> index;

  bool empty() const { return end == base; }
};

class SegmentLogImpl final : public SegmentLog {
 public:
  SegmentLogImpl(Env* env, const Options& options)
      : env_(env), options_(options), clock_(options.clock ? options.clock : Clock::Real()) {
    while (options_.dir.size() > 1 && options_.dir.back() == '/') options_.dir.pop_back();
  }

  Status Recover();

  Result<Appended> Append(std::span<const AppendRecord> records) override;
  Result<std::vector<LogRecord>> Read(uint64_t from, size_t max_records, size_t max_bytes) override;
  uint64_t first_offset() const override { return first_offset_.load(std::memory_order_acquire); }
  uint64_t end_offset() const override { return end_offset_.load(std::memory_order_acquire); }
  Result<uint64_t> OffsetAtTime(int64_t t) override;
  Result<size_t> DeleteSegmentsBefore(int64_t cutoff_ms) override;
  Status Destroy() override;
  Stats stats() const override;

 private:
  // A call waiting in the writer queue. The one at the front is the leader:
  // it does the I/O for itself and, for appends, for the appends queued
  // behind it (leveldb's DBImpl::Write), then wakes them.
  struct Writer {
    enum class Op { kAppend, kRoll, kDestroy };
    explicit Writer(Op o) : op(o) {}
    const Op op;
    std::span<const AppendRecord> records;
    size_t bytes = 0;       // encoded frames
    int64_t cutoff_ms = 0;  // kRoll: roll only if the active segment is older
    Status status;
    Appended result;
    bool done = false;
    std::condition_variable cv;
  };

  std::string SegmentPath(uint64_t base) const { return options_.dir + "/" + SegmentName(base); }

  Status OpenClosedSegment(uint64_t base, uint64_t next_base);
  Status RecoverLastSegment(uint64_t base);

  // Queues w and waits until it is done or at the front of the queue.
  void Enqueue(Writer* w, std::unique_lock<std::mutex>& lock);
  // Pops the first n writers (the finished group) and hands leadership on.
  void FinishFront(size_t n);
  void LeadAppendGroup(std::unique_lock<std::mutex>& lock);
  Status RunExclusive(Writer* w);
  // Leader only, mu_ not held: seals the active segment and starts a new
  // one at its end.
  Status Roll();
  void RecordFailure(const Status& s);  // mu_ held

  // Builds a closed segment's index if it has none yet; mu_ not held.
  Status LoadIndex(const std::shared_ptr<Segment>& seg);
  // The segment holding offset (first_offset_ <= offset < end_offset_); mu_ held.
  std::shared_ptr<Segment> FindSegment(uint64_t offset) const;

  Env* const env_;
  Options options_;
  Clock* const clock_;

  mutable std::mutex mu_;
  std::deque<Writer*> writers_;                                 // GUARDED_BY(mu_)
  std::deque<std::shared_ptr<Segment>> segments_;               // GUARDED_BY(mu_); back() is active
  Status sticky_;                                               // GUARDED_BY(mu_)
  bool destroyed_ = false;                                      // GUARDED_BY(mu_)
  int64_t last_arrival_ = std::numeric_limits<int64_t>::min();  // GUARDED_BY(mu_)
  // Written under mu_, read without it by the getters.
  std::atomic<uint64_t> first_offset_{0};
  std::atomic<uint64_t> end_offset_{0};

  // Owned by the leader (the writer at the front of writers_), or by Open.
  std::unique_ptr<WritableFile> active_file_;  // null while the active segment is sealed
  uint64_t active_size_ = 0;                   // bytes in the active file
  int64_t active_index_pos_ = -1;              // last index entry's position, -1: none
  std::string buf_;
  std::vector<Writer*> group_;
  std::vector<IndexEntry> new_index_;

  std::mutex retention_mu_;  // one DeleteSegmentsBefore at a time

  std::atomic<uint64_t> stat_appends_{0}, stat_records_{0}, stat_groups_{0}, stat_syncs_{0},
      stat_bytes_{0}, stat_rolled_{0};
};

// ---------------------------------------------------------------- Open

Status SegmentLogImpl::Recover() {
  const std::string& dir = options_.dir;
  if (!env_->FileExists(dir)) {
    TARN_RETURN_IF_ERROR(env_->CreateDirs(dir));
    if (options_.sync) TARN_RETURN_IF_ERROR(env_->SyncDir(ParentDir(dir)));
  }
  TARN_ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(dir));
  std::vector<uint64_t> bases;
  for (const std::string& name : names) {
    uint64_t base;
    if (ParseSegmentName(name, &base)) bases.push_back(base);
  }
  std::sort(bases.begin(), bases.end());
  if (bases.empty()) {
    TARN_ASSIGN_OR_RETURN(auto f, env_->NewWritableFile(SegmentPath(0)));
    TARN_RETURN_IF_ERROR(f->Close());
    if (options_.sync) TARN_RETURN_IF_ERROR(env_->SyncDir(dir));
    bases.push_back(0);
  }
  for (size_t i = 0; i + 1 < bases.size(); ++i) {
    TARN_RETURN_IF_ERROR(OpenClosedSegment(bases[i], bases[i + 1]));
  }
  TARN_RETURN_IF_ERROR(RecoverLastSegment(bases.back()));

  // No reader or writer exists yet; the lock is for form's sake.
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& seg : segments_) {
    if (!seg->empty()) last_arrival_ = std::max(last_arrival_, seg->last_arrival);
  }
  first_offset_.store(segments_.front()->base);
  end_offset_.store(segments_.back()->end);
  return Status::OK();
}

// A closed segment is checked by its seal alone: one pread of its last
// frame, whose offset must be the next segment's first. Without a valid seal
// (e.g. the seal's write was lost), the whole segment is scanned instead.
Status SegmentLogImpl::OpenClosedSegment(uint64_t base, uint64_t next_base) {
  const std::string path = SegmentPath(base);
  TARN_ASSIGN_OR_RETURN(auto file, env_->NewRandomAccessFile(path));
  const uint64_t size = file->size();
  auto seg = std::make_shared<Segment>(base, path, std::move(file));
  if (size >= kSealFrameBytes) {
    char tail[kSealFrameBytes];
    TARN_ASSIGN_OR_RETURN(size_t n, seg->file->Read(size - kSealFrameBytes, sizeof(tail), tail));
    Frame f;
    std::string why;
    if (n == sizeof(tail) && GetU32(tail) == kSealFrameBytes - kPrefixBytes &&
        DecodeFrame(tail, kSealFrameBytes - kPrefixBytes, /*verify_crc=*/true, &f, &why) &&
        f.seal() && f.offset == next_base && next_base > base) {
      seg->end = next_base;
      seg->data_bytes = size - kSealFrameBytes;
      seg->first_arrival = static_cast<int64_t>(GetU64(f.data.data()));
      seg->last_arrival = f.arrival;
      seg->sealed = true;
      segments_.push_back(std::move(seg));
      return Status::OK();
    }
  }
  // Only continuity matters here: a damaged seal after the last record
  // loses nothing (reads stop at data_bytes).
  TARN_ASSIGN_OR_RETURN(ScanResult scan, ScanSegment(*seg->file, base, size, /*verify_crc=*/true));
  if (scan.end_offset != next_base) {
    return Corruption("segment " + path + " ends at offset " + std::to_string(scan.end_offset) +
                      (scan.stop_reason.empty() ? "" : " (" + scan.stop_reason + ")") +
                      " but the next segment starts at " + std::to_string(next_base));
  }
  if (!scan.sealed) {
    TARN_LOG(Warn, "segment log: closed segment without a valid seal")
        .Kv("path", path)
        .Kv("reason", scan.stop_reason);
  }
  seg->end = scan.end_offset;
  seg->data_bytes = scan.data_bytes;
  seg->first_arrival = scan.first_arrival;
  seg->last_arrival = scan.last_arrival;
  seg->sealed = scan.sealed;
  seg->index = std::move(scan.index);
  seg->index_loaded = true;
  segments_.push_back(std::move(seg));
  return Status::OK();
}

// The last segment may end in a torn write: keep the longest prefix of whole
// Appends and cut the file there.
Status SegmentLogImpl::RecoverLastSegment(uint64_t base) {
  const std::string path = SegmentPath(base);
  if (!segments_.empty() && segments_.back()->end != base) {
    return Corruption("segment " + path + " does not continue segment " + segments_.back()->path +
                      " (which ends at offset " + std::to_string(segments_.back()->end) + ")");
  }
  TARN_ASSIGN_OR_RETURN(auto file, env_->NewRandomAccessFile(path));
  const uint64_t size = file->size();
  auto seg = std::make_shared<Segment>(base, path, std::move(file));
  TARN_ASSIGN_OR_RETURN(ScanResult scan, ScanSegment(*seg->file, base, size, /*verify_crc=*/true));
  if (scan.valid_bytes < size) {
    TARN_LOG(Warn, "segment log: truncating torn tail")
        .Kv("path", path)
        .Kv("reason", scan.stop_reason)
        .Kv("from_bytes", size)
        .Kv("to_bytes", scan.valid_bytes);
    TARN_RETURN_IF_ERROR(env_->TruncateFile(path, scan.valid_bytes));
  }
  seg->end = scan.end_offset;
  seg->data_bytes = scan.data_bytes;
  seg->first_arrival = scan.first_arrival;
  seg->last_arrival = scan.last_arrival;
  seg->sealed = scan.sealed;
  seg->index = std::move(scan.index);
  seg->index_loaded = true;
  active_size_ = scan.valid_bytes;
  active_index_pos_ = seg->index.empty() ? -1 : static_cast<int64_t>(seg->index.back().pos);
  if (!seg->sealed) {
    // Sealed (a crash between sealing and creating the next file): the next
    // Append rolls first.
    TARN_ASSIGN_OR_RETURN(active_file_, env_->NewAppendableFile(path));
    if (active_file_->size() != active_size_) {
      return IOError("segment " + path + " is " + std::to_string(active_file_->size()) +
                     " bytes after truncating it to " + std::to_string(active_size_));
    }
  }
  segments_.push_back(std::move(seg));
  return Status::OK();
}

// ---------------------------------------------------------------- writes

void SegmentLogImpl::Enqueue(Writer* w, std::unique_lock<std::mutex>& lock) {
  writers_.push_back(w);
  while (!w->done && writers_.front() != w) w->cv.wait(lock);
}

void SegmentLogImpl::FinishFront(size_t n) {
  for (size_t i = 0; i < n; ++i) {
    Writer* w = writers_.front();
    writers_.pop_front();
    w->done = true;
    if (i > 0) w->cv.notify_one();  // the leader (i == 0) is not waiting
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
}

void SegmentLogImpl::RecordFailure(const Status& s) {
  if (sticky_.ok()) {
    sticky_ = s;
    TARN_LOG(Error, "segment log: write failed; refusing appends until reopened")
        .Kv("dir", options_.dir)
        .Kv("error", s.ToString());
  }
}

Result<SegmentLog::Appended> SegmentLogImpl::Append(std::span<const AppendRecord> records) {
  if (records.empty()) return InvalidArgument("SegmentLog::Append: no records");
  size_t bytes = 0;
  for (const AppendRecord& r : records) {
    if (r.partition_key.size() > kMaxPartitionKeyBytes) {
      return InvalidArgument("partition key of " + std::to_string(r.partition_key.size()) +
                             " bytes exceeds " + std::to_string(kMaxPartitionKeyBytes));
    }
    if (r.explicit_hash_key.size() > kMaxExplicitHashKeyBytes) {
      return InvalidArgument("explicit hash key of " + std::to_string(r.explicit_hash_key.size()) +
                             " bytes exceeds " + std::to_string(kMaxExplicitHashKeyBytes));
    }
    if (r.data.size() > kMaxRecordDataBytes) {
      return InvalidArgument("record data of " + std::to_string(r.data.size()) + " bytes exceeds " +
                             std::to_string(kMaxRecordDataBytes));
    }
    bytes += RecordFrameBytes(r);
  }
  if (bytes > kMaxAppendBytes) {
    return InvalidArgument("append of " + std::to_string(bytes) + " bytes exceeds " +
                           std::to_string(kMaxAppendBytes));
  }

  Writer w(Writer::Op::kAppend);
  w.records = records;
  w.bytes = bytes;
  std::unique_lock<std::mutex> lock(mu_);
  if (destroyed_) return FailedPrecondition("segment log " + options_.dir + " was destroyed");
  if (!sticky_.ok()) return sticky_;
  Enqueue(&w, lock);
  if (!w.done) LeadAppendGroup(lock);
  if (!w.status.ok()) return w.status;
  return w.result;
}

// mu_ held on entry and exit; writers_.front() is an append and its caller
// is the leader.
void SegmentLogImpl::LeadAppendGroup(std::unique_lock<std::mutex>& lock) {
  group_.clear();
  size_t group_bytes = 0;
  const size_t cap = std::max<size_t>(writers_.front()->bytes,
                                      std::min<uint64_t>(kMaxGroupBytes, options_.segment_bytes));
  for (Writer* w : writers_) {
    if (w->op != Writer::Op::kAppend) break;
    if (!group_.empty() && group_bytes + w->bytes > cap) break;
    group_.push_back(w);
    group_bytes += w->bytes;
  }

  Status s =
      destroyed_ ? FailedPrecondition("segment log " + options_.dir + " was destroyed") : sticky_;
  if (!s.ok()) {
    for (Writer* w : group_) w->status = s;
    FinishFront(group_.size());
    return;
  }

  // Offsets and the arrival time are fixed under the lock; nobody else
  // appends until this group is finished, so they cannot change meanwhile.
  const uint64_t first = end_offset_.load(std::memory_order_relaxed);
  const int64_t arrival = std::max(clock_->Now(), last_arrival_);
  uint64_t next = first;
  size_t records = 0;
  for (Writer* w : group_) {
    w->result.first_offset = next;
    w->result.arrival_ms = arrival;
    next += w->records.size();
    records += w->records.size();
  }
  const Segment& active = *segments_.back();
  const bool roll =
      active.sealed || (active_size_ > 0 && active_size_ + group_bytes > options_.segment_bytes);
  lock.unlock();

  if (roll) s = Roll();
  std::string active_path;
  const uint64_t size_before = active_size_;
  const int64_t index_pos_before = active_index_pos_;
  if (s.ok()) {
    // One buffer, one write, one sync for the whole group.
    if (buf_.size() < group_bytes) buf_.resize(std::max(group_bytes, 2 * buf_.size()));
    new_index_.clear();
    char* p = buf_.data();
    uint64_t pos = active_size_;
    uint64_t offset = first;
    for (Writer* w : group_) {
      const size_t n = w->records.size();
      for (size_t i = 0; i < n; ++i) {
        const AppendRecord& r = w->records[i];
        if (active_index_pos_ < 0 ||
            pos - static_cast<uint64_t>(active_index_pos_) >= kIndexIntervalBytes) {
          new_index_.push_back({offset, pos, arrival});
          active_index_pos_ = static_cast<int64_t>(pos);
        }
        const uint8_t flags = i + 1 == n ? kFlagEnd : 0;
        EncodeFrame(p, offset, arrival, flags, r.partition_key, r.explicit_hash_key, r.data);
        const size_t frame = RecordFrameBytes(r);
        p += frame;
        pos += frame;
        ++offset;
      }
    }
    s = active_file_->Append(std::string_view(buf_.data(), group_bytes));
    if (s.ok() && options_.sync) {
      s = active_file_->Sync();
      stat_syncs_.fetch_add(1, std::memory_order_relaxed);
    }
    if (!s.ok()) {
      // Cut the group off so that its unacknowledged records do not come
      // back after a reopen. Best effort: the disk has just failed.
      {
        std::lock_guard<std::mutex> relock(mu_);
        active_path = segments_.back()->path;
      }
      Status undo = env_->TruncateFile(active_path, size_before);
      if (!undo.ok()) {
        TARN_LOG(Warn, "segment log: could not cut a failed group off")
            .Kv("path", active_path)
            .Kv("error", undo.ToString());
      }
      active_index_pos_ = index_pos_before;
    }
  }
  if (buf_.size() > kKeepBufferBytes) std::string().swap(buf_);

  lock.lock();
  if (s.ok()) {
    Segment& seg = *segments_.back();
    if (seg.empty()) seg.first_arrival = arrival;
    seg.last_arrival = arrival;
    seg.end = next;
    seg.data_bytes += group_bytes;
    seg.index.insert(seg.index.end(), new_index_.begin(), new_index_.end());
    active_size_ += group_bytes;
    last_arrival_ = arrival;
    end_offset_.store(next, std::memory_order_release);
    stat_appends_.fetch_add(group_.size(), std::memory_order_relaxed);
    stat_records_.fetch_add(records, std::memory_order_relaxed);
    stat_groups_.fetch_add(1, std::memory_order_relaxed);
    stat_bytes_.fetch_add(group_bytes, std::memory_order_relaxed);
  } else {
    s = s.WithContext("appending to segment log " + options_.dir);
    RecordFailure(s);
    for (Writer* w : group_) w->status = s;
  }
  FinishFront(group_.size());
}

// Writes the seal (offset = the segment's end, arrival = its newest, data =
// its first arrival), syncs it, then creates the next segment. A crash
// between the two leaves a sealed last segment, which Open accepts.
Status SegmentLogImpl::Roll() {
  std::shared_ptr<Segment> old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = segments_.back();
  }
  // Only the leader changes these fields, so reading them unlocked is safe.
  const uint64_t end = old->end;
  if (!old->sealed) {
    if (old->empty()) return Internal("rolling an empty segment " + old->path);
    char seal[kSealFrameBytes];
    char first_arrival[kSealDataBytes];
    PutU64(first_arrival, static_cast<uint64_t>(old->first_arrival));
    EncodeFrame(seal, end, old->last_arrival, kFlagSeal, {}, {},
                std::string_view(first_arrival, sizeof(first_arrival)));
    TARN_RETURN_IF_ERROR(active_file_->Append(std::string_view(seal, sizeof(seal))));
    if (options_.sync) {
      TARN_RETURN_IF_ERROR(active_file_->Sync());
      stat_syncs_.fetch_add(1, std::memory_order_relaxed);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      old->sealed = true;
    }
  }
  if (active_file_ != nullptr) {
    Status closed = active_file_->Close();
    active_file_.reset();
    TARN_RETURN_IF_ERROR(closed);
  }
  const std::string path = SegmentPath(end);
  TARN_ASSIGN_OR_RETURN(auto writable, env_->NewWritableFile(path));
  TARN_ASSIGN_OR_RETURN(auto readable, env_->NewRandomAccessFile(path));
  if (options_.sync) TARN_RETURN_IF_ERROR(env_->SyncDir(options_.dir));
  auto seg = std::make_shared<Segment>(end, path, std::move(readable));
  seg->index_loaded = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    segments_.push_back(std::move(seg));
  }
  active_file_ = std::move(writable);
  active_size_ = 0;
  active_index_pos_ = -1;
  stat_rolled_.fetch_add(1, std::memory_order_relaxed);
  return Status::OK();
}

Status SegmentLogImpl::RunExclusive(Writer* w) {
  std::unique_lock<std::mutex> lock(mu_);
  Enqueue(w, lock);
  if (w->op == Writer::Op::kRoll) {
    if (destroyed_) {
      w->status = FailedPrecondition("segment log " + options_.dir + " was destroyed");
    } else if (!sticky_.ok()) {
      w->status = sticky_;
    } else if (!segments_.back()->empty() && segments_.back()->last_arrival < w->cutoff_ms) {
      lock.unlock();
      Status s = Roll();
      lock.lock();
      if (!s.ok()) {
        s = s.WithContext("closing segment in " + options_.dir);
        RecordFailure(s);
        w->status = s;
      }
    }
  } else if (w->op == Writer::Op::kDestroy) {
    if (!destroyed_) {
      destroyed_ = true;
      std::deque<std::shared_ptr<Segment>> doomed;
      doomed.swap(segments_);
      lock.unlock();
      if (active_file_ != nullptr) {
        (void)active_file_->Close();  // nothing unsynced is in it
        active_file_.reset();
      }
      Status s;
      for (const auto& seg : doomed) {
        Status d = env_->DeleteFile(seg->path);
        if (!d.ok() && d.code() != Code::kNotFound && s.ok()) s = d;
      }
      if (s.ok()) {
        s = env_->DeleteDir(options_.dir);
        if (s.code() == Code::kNotFound) s = Status::OK();
      }
      lock.lock();
      w->status = s;
    }
  }
  FinishFront(1);
  return w->status;
}

// ---------------------------------------------------------------- reads

std::shared_ptr<Segment> SegmentLogImpl::FindSegment(uint64_t offset) const {
  auto it =
      std::upper_bound(segments_.begin(), segments_.end(), offset,
                       [](uint64_t o, const std::shared_ptr<Segment>& s) { return o < s->base; });
  return it == segments_.begin() ? nullptr : *std::prev(it);
}

Status SegmentLogImpl::LoadIndex(const std::shared_ptr<Segment>& seg) {
  uint64_t limit;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (seg->index_loaded) return Status::OK();
    limit = seg->data_bytes;
  }
  // Structure only: the records a read returns are CRC-checked then.
  TARN_ASSIGN_OR_RETURN(ScanResult scan,
                        ScanSegment(*seg->file, seg->base, limit, /*verify_crc=*/false));
  std::lock_guard<std::mutex> lock(mu_);
  if (!seg->index_loaded) {
    seg->index = std::move(scan.index);
    seg->index_loaded = true;
  }
  return Status::OK();
}

Result<std::vector<LogRecord>> SegmentLogImpl::Read(uint64_t from, size_t max_records,
                                                    size_t max_bytes) {
  std::vector<LogRecord> out;
  size_t bytes = 0;
  uint64_t next = from;
  bool full = max_records == 0;
  while (!full) {
    std::shared_ptr<Segment> seg;
    uint64_t seg_end = 0, limit = 0, pos = 0, at = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (destroyed_) return FailedPrecondition("segment log " + options_.dir + " was destroyed");
      const uint64_t first = first_offset_.load(std::memory_order_relaxed);
      if (next < first) {
        return NotFound("offset " + std::to_string(next) + " was trimmed; the log starts at " +
                            std::to_string(first),
                        "TrimmedData");
      }
      if (next >= end_offset_.load(std::memory_order_relaxed)) break;
      seg = FindSegment(next);
      if (seg == nullptr || next >= seg->end)
        return Internal("no segment holds offset " + std::to_string(next));
      if (!seg->index_loaded) {
        lock.unlock();
        TARN_RETURN_IF_ERROR(LoadIndex(seg));
        continue;
      }
      seg_end = seg->end;
      limit = seg->data_bytes;
      at = seg->base;
      auto it = std::upper_bound(seg->index.begin(), seg->index.end(), next,
                                 [](uint64_t o, const IndexEntry& e) { return o < e.offset; });
      if (it != seg->index.begin()) {
        --it;
        pos = it->pos;
        at = it->offset;
      }
    }
    if (out.empty()) {
      out.reserve(static_cast<size_t>(std::min<uint64_t>({max_records, seg_end - next, 4096})));
    }

    FrameReader reader(*seg->file, pos, limit, kReadChunkBytes);
    Frame f;
    while (next < seg_end) {
      TARN_ASSIGN_OR_RETURN(FrameStatus st, reader.Next(/*verify_crc=*/at >= next, &f));
      if (st != FrameStatus::kOk || f.offset != at || f.seal()) {
        return Corruption(
            "segment " + seg->path + " at byte " + std::to_string(reader.pos()) + ": " +
            (st == FrameStatus::kOk ? "offset " + std::to_string(f.offset) + " where " +
                                          std::to_string(at) + " was expected"
             : st == FrameStatus::kEnd ? "ends early"
                                       : reader.why()));
      }
      ++at;
      if (f.offset < next) continue;
      if (!out.empty() && bytes + f.data.size() > max_bytes) {
        full = true;
        break;
      }
      LogRecord& r = out.emplace_back();
      r.offset = f.offset;
      r.arrival_ms = f.arrival;
      r.partition_key.assign(f.key);
      r.data.assign(f.data);
      r.explicit_hash_key.assign(f.hash_key);
      bytes += f.data.size();
      ++next;
      if (out.size() >= max_records) {
        full = true;
        break;
      }
    }
  }
  return out;
}

Result<uint64_t> SegmentLogImpl::OffsetAtTime(int64_t t) {
  for (;;) {
    std::shared_ptr<Segment> seg;
    uint64_t seg_end = 0, limit = 0, pos = 0, at = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (destroyed_) return FailedPrecondition("segment log " + options_.dir + " was destroyed");
      // Arrival times never decrease along the log, so the segments' newest
      // arrivals are sorted too.
      auto it = std::partition_point(
          segments_.begin(), segments_.end(),
          [t](const std::shared_ptr<Segment>& s) { return s->empty() || s->last_arrival < t; });
      if (it == segments_.end()) return end_offset_.load(std::memory_order_relaxed);
      seg = *it;
      if (t <= seg->first_arrival) return seg->base;
      if (!seg->index_loaded) {
        lock.unlock();
        TARN_RETURN_IF_ERROR(LoadIndex(seg));
        continue;
      }
      seg_end = seg->end;
      limit = seg->data_bytes;
      at = seg->base;
      // Start at the last indexed record that arrived before t.
      auto e = std::partition_point(seg->index.begin(), seg->index.end(),
                                    [t](const IndexEntry& x) { return x.arrival < t; });
      if (e != seg->index.begin()) {
        --e;
        pos = e->pos;
        at = e->offset;
      }
    }
    FrameReader reader(*seg->file, pos, limit, kReadChunkBytes);
    Frame f;
    for (; at < seg_end; ++at) {
      TARN_ASSIGN_OR_RETURN(FrameStatus st, reader.Next(/*verify_crc=*/false, &f));
      if (st != FrameStatus::kOk || f.offset != at || f.seal()) {
        return Corruption("segment " + seg->path + " at byte " + std::to_string(reader.pos()) +
                          ": " + (st == FrameStatus::kOk ? "unexpected frame" : reader.why()));
      }
      if (f.arrival >= t) return f.offset;
    }
    return seg_end;  // not reached: the segment's newest arrival is >= t
  }
}

// ---------------------------------------------------------------- retention

Result<size_t> SegmentLogImpl::DeleteSegmentsBefore(int64_t cutoff_ms) {
  std::lock_guard<std::mutex> retention(retention_mu_);
  bool roll;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (destroyed_) return FailedPrecondition("segment log " + options_.dir + " was destroyed");
    const Segment& active = *segments_.back();
    roll = sticky_.ok() && !active.empty() && active.last_arrival < cutoff_ms;
  }
  if (roll) {
    Writer w(Writer::Op::kRoll);
    w.cutoff_ms = cutoff_ms;
    TARN_RETURN_IF_ERROR(RunExclusive(&w));
  }

  std::vector<std::shared_ptr<Segment>> doomed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i + 1 < segments_.size(); ++i) {
      const Segment& s = *segments_[i];
      if (!s.empty() && s.last_arrival >= cutoff_ms) break;
      doomed.push_back(segments_[i]);
    }
  }
  // Oldest first, so that a crash part-way leaves no gap in the offsets.
  // Readers holding a segment keep reading it from its open file.
  size_t deleted = 0;
  Status s;
  for (const auto& seg : doomed) {
    s = env_->DeleteFile(seg->path);
    if (!s.ok() && s.code() != Code::kNotFound) break;
    s = Status::OK();
    ++deleted;
  }
  if (deleted > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < deleted && !segments_.empty() && segments_.front() == doomed[i]; ++i) {
      segments_.pop_front();
    }
    if (!segments_.empty()) first_offset_.store(segments_.front()->base, std::memory_order_release);
  }
  if (!s.ok()) return s.WithContext("deleting expired segments");
  // A deleted segment that comes back after a crash is only deleted again.
  if (deleted > 0 && options_.sync) TARN_RETURN_IF_ERROR(env_->SyncDir(options_.dir));
  return deleted;
}

Status SegmentLogImpl::Destroy() {
  Writer w(Writer::Op::kDestroy);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (destroyed_) return FailedPrecondition("segment log " + options_.dir + " was destroyed");
  }
  return RunExclusive(&w);
}

SegmentLog::Stats SegmentLogImpl::stats() const {
  Stats s;
  s.appends = stat_appends_.load(std::memory_order_relaxed);
  s.records = stat_records_.load(std::memory_order_relaxed);
  s.groups = stat_groups_.load(std::memory_order_relaxed);
  s.syncs = stat_syncs_.load(std::memory_order_relaxed);
  s.bytes = stat_bytes_.load(std::memory_order_relaxed);
  s.segments_rolled = stat_rolled_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace

Result<std::unique_ptr<SegmentLog>> SegmentLog::Open(Env* env, const Options& options) {
  if (env == nullptr) return InvalidArgument("SegmentLog::Open: no env");
  if (options.dir.empty()) return InvalidArgument("SegmentLog::Open: empty dir");
  if (options.segment_bytes == 0) return InvalidArgument("SegmentLog::Open: segment_bytes is 0");
  auto log = std::make_unique<SegmentLogImpl>(env, options);
  Status s = log->Recover();
  if (!s.ok()) return s.WithContext("opening segment log " + options.dir);
  return std::unique_ptr<SegmentLog>(std::move(log));
}

}  // namespace tarn::storage
