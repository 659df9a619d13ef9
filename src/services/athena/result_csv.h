// Reads the result files a query writes (query_run.h): the .csv, RFC 4180
// with every value double-quoted ("" inside a value is one "), NULL as an
// empty unquoted field, records ending in \n or \r\n, line breaks allowed
// inside quotes; and the .txt of DDL and utility statements, one value per
// line.
//
// The reader streams: it holds one buffer (64 KiB) and the record being
// parsed, never the file, and can start at any record boundary it reported
// (offset()), which is what a GetQueryResults NextToken resumes from.
//
//   CsvReader r(read_at, size, 0);
//   std::vector<std::optional<std::string>> row;
//   while (true) { TARN_ASSIGN_OR_RETURN(bool more, r.Next(&row)); if (!more) break; ... }
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace tarn::athena {

// Copies up to n bytes at offset into buf; returns how many (0 only at the end).
using ReadAtFunction = std::function<Result<size_t>(uint64_t offset, char* buf, size_t n)>;

class CsvReader {
 public:
  enum class Format { kCsv, kText };

  CsvReader(ReadAtFunction read_at, uint64_t size, uint64_t start, Format format = Format::kCsv);

  // The next record into *fields (each nullopt for NULL); false at the end.
  // Corruption for a file that is not in the form above (a quote inside an
  // unquoted value, text after a closing quote, an unterminated quote).
  Result<bool> Next(std::vector<std::optional<std::string>>* fields);
  // The offset just past the last record Next returned.
  uint64_t offset() const { return offset_; }

 private:
  // The byte at offset_ + ahead, or -1 at the end.
  Result<int> Peek(size_t ahead = 0);
  void Advance(size_t n) { offset_ += n; }

  ReadAtFunction read_at_;
  uint64_t size_;
  uint64_t offset_;
  Format format_;
  std::string buffer_;
  uint64_t buffer_start_ = 0;
};

}  // namespace tarn::athena
