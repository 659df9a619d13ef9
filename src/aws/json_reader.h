// JsonReader: a pull reader over one JSON text (RFC 8259), for the few hot
// request shapes a service decodes without building a document: Kinesis
// PutRecords now, Firehose PutRecordBatch next. On those, building an
// nlohmann document (a map node and a string per member, every byte
// appended one at a time) costs more than the work the request asks for.
//
// The reader walks the text once, never allocates for unescaped strings
// and stops at the first thing it does not like: a syntax error, invalid
// UTF-8, a lone surrogate escape, nesting deeper than kMaxDepth. It then
// stays failed, and every call returns false. It accepts a subset of what
// DecodeJsonBody accepts, with the same meaning (json_protocol_fuzz checks
// it), so a caller that gets anything unexpected can hand the body to
// DecodeJsonBody, which reports the error the client should see.
//
//   JsonReader r(body);
//   std::string_view name;
//   if (!r.EnterObject()) ...
//   while (r.NextMember(&name)) {
//     if (name == "Records" && r.EnterArray()) {
//       while (r.NextElement()) { ... }
//     } ...
//   }
//   if (r.failed() || !r.AtEnd()) ... fall back
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tarn::aws {

class JsonReader {
 public:
  // The kinds of value Peek() tells apart.
  enum class Kind { kObject, kArray, kString, kNumber, kBool, kNull, kNone };
  static constexpr int kMaxDepth = 64;

  explicit JsonReader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  // The kind of the next value (kNone at the end or after a failure).
  // Consumes nothing but whitespace.
  Kind Peek();
  // Consumes '{' / '['. false (and the reader fails) if the next value is
  // not an object / array.
  bool EnterObject();
  bool EnterArray();
  // In an object: true with the next member's name (its value comes next);
  // false at the object's end, which it consumes, or on failure.
  bool NextMember(std::string_view* name);
  // In an array: true when another element comes next; false at the
  // array's end, which it consumes, or on failure.
  bool NextElement();
  // Reads a string value. The view stays valid until the next call: it
  // points into the text, or into a scratch buffer when the string has
  // escapes.
  bool ReadString(std::string_view* value);
  // Consumes a null. false (and the reader fails) for anything else.
  bool ReadNull();

  // True once the top-level value has been read and only whitespace
  // follows.
  bool AtEnd();
  bool failed() const { return failed_; }

 private:
  bool Fail() {
    failed_ = true;
    return false;
  }
  void SkipSpace();
  // Consumes the ',' or the closing bracket before the next element of
  // the innermost container; *more is false at its end.
  bool Advance(char close, bool* more);
  bool ScanString(std::string_view* out, std::string* scratch);
  // Appends the code point of a \uXXXX escape (a surrogate pair taking
  // two) at p_, which is just past the 'u'.
  bool ReadUnicodeEscape(std::string* out);
  bool Push(char close);

  const char* p_;
  const char* end_;
  bool failed_ = false;
  bool started_ = false;  // the top-level value has begun
  int depth_ = 0;
  // Per open container: its closing bracket, and whether an element has
  // been read (so the next one needs a comma).
  char close_[kMaxDepth] = {};
  bool any_[kMaxDepth] = {};
  std::string scratch_;
  std::string name_scratch_;
};

}  // namespace tarn::aws
