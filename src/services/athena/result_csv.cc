#include "services/athena/result_csv.h"

namespace tarn::athena {

namespace {

constexpr size_t kBufferBytes = 64 * 1024;
// A single value larger than this is not a result Athena would write; the
// bound keeps a corrupt file from growing one value without limit.
constexpr size_t kMaxValueBytes = 64u << 20;

Status Malformed(uint64_t offset, const char* what) {
  return Corruption("The query's result file is malformed at byte " + std::to_string(offset) +
                    ": " + what + ".");
}

}  // namespace

CsvReader::CsvReader(ReadAtFunction read_at, uint64_t size, uint64_t start, Format format)
    : read_at_(std::move(read_at)), size_(size), offset_(start), format_(format) {}

Result<int> CsvReader::Peek(size_t ahead) {
  uint64_t at = offset_ + ahead;
  if (at >= size_) return -1;
  if (at < buffer_start_ || at >= buffer_start_ + buffer_.size()) {
    buffer_.resize(static_cast<size_t>(std::min<uint64_t>(kBufferBytes, size_ - at)));
    TARN_ASSIGN_OR_RETURN(size_t got, read_at_(at, buffer_.data(), buffer_.size()));
    if (got == 0) return Malformed(at, "the file ended before its stated size");
    buffer_.resize(got);
    buffer_start_ = at;
  }
  return static_cast<unsigned char>(buffer_[at - buffer_start_]);
}

Result<bool> CsvReader::Next(std::vector<std::optional<std::string>>* fields) {
  fields->clear();
  TARN_ASSIGN_OR_RETURN(int c, Peek());
  if (c < 0) return false;
  if (format_ == Format::kText) {
    std::string line;
    while (true) {
      TARN_ASSIGN_OR_RETURN(c, Peek());
      if (c < 0) break;
      Advance(1);
      if (c == '\n') break;
      line.push_back(static_cast<char>(c));
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    fields->emplace_back(std::move(line));
    return true;
  }
  while (true) {
    TARN_ASSIGN_OR_RETURN(c, Peek());
    std::optional<std::string> value;
    if (c == '"') {
      Advance(1);
      std::string v;
      while (true) {
        TARN_ASSIGN_OR_RETURN(c, Peek());
        if (c < 0) return Malformed(offset_, "a quoted value is not terminated");
        Advance(1);
        if (c == '"') {
          TARN_ASSIGN_OR_RETURN(int next, Peek());
          if (next != '"') break;
          Advance(1);
        }
        v.push_back(static_cast<char>(c));
        if (v.size() > kMaxValueBytes) return Malformed(offset_, "a value is too large");
      }
      value = std::move(v);
      TARN_ASSIGN_OR_RETURN(c, Peek());
    } else {
      std::string v;
      while (c >= 0 && c != ',' && c != '\n' && c != '\r') {
        if (c == '"') return Malformed(offset_, "a quote inside an unquoted value");
        v.push_back(static_cast<char>(c));
        if (v.size() > kMaxValueBytes) return Malformed(offset_, "a value is too large");
        Advance(1);
        TARN_ASSIGN_OR_RETURN(c, Peek());
      }
      // An empty unquoted field is NULL; "" is the empty string.
      if (!v.empty()) value = std::move(v);
    }
    fields->push_back(std::move(value));
    if (c == ',') {
      Advance(1);
      continue;
    }
    if (c == '\r') {
      Advance(1);
      TARN_ASSIGN_OR_RETURN(c, Peek());
      if (c != '\n') return Malformed(offset_, "a carriage return outside quotes without a line feed");
    }
    if (c == '\n') {
      Advance(1);
      return true;
    }
    if (c < 0) return true;
    return Malformed(offset_, "text after a closing quote");
  }
}

}  // namespace tarn::athena
