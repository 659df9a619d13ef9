#include "services/firehose/jq_extraction.h"

#include <charconv>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

namespace tarn::firehose {
namespace {

using nlohmann::json;

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }

std::string TypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "a number";
  }
}

// A scalar as jq prints it: strings raw, and a float with an integral value
// (10.0) as an integer, since jq keeps all numbers as doubles and prints 10.
std::string JqText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 1e17) {
      return std::to_string(static_cast<int64_t>(d));
    }
  }
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Far beyond any record's timestamp, and well inside time_t and struct tm.
constexpr double kMaxEpochSeconds = 1e13;

// jq's strftime on a number: epoch seconds, UTC, the fraction dropped
// toward zero as jq does (-0.5 is 1970-01-01T00:00:00).
std::string StrftimeUtc(double epoch_seconds, const std::string& format) {
  if (format.empty()) return "";
  const std::time_t seconds = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  // strftime reports 0 both for "did not fit" and for an empty result: grow
  // a few times, then take the empty result.
  for (size_t size = format.size() * 4 + 64; size <= 64 * 1024; size *= 4) {
    std::string out(size, '\0');
    const size_t n = std::strftime(out.data(), out.size(), format.c_str(), &tm);
    if (n > 0) {
      out.resize(n);
      return out;
    }
  }
  return "";
}

}  // namespace

class MetadataExtractionQuery::Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<MetadataExtractionQuery> Query() {
    MetadataExtractionQuery q;
    SkipSpace();
    if (!Consume('{')) return Error("expected '{' (the query must build an object)");
    SkipSpace();
    if (Consume('}')) return Error("the object builds no partition keys");
    for (;;) {
      SkipSpace();
      const size_t field_at = pos_;
      TARN_ASSIGN_OR_RETURN(Field field, ParseField());
      for (const std::string& k : q.keys_) {
        if (k == field.key) {
          pos_ = field_at;
          return Error("key '" + field.key + "' is built twice");
        }
      }
      q.keys_.push_back(field.key);
      q.fields_.push_back(std::move(field));
      SkipSpace();
      if (Consume('}')) break;
      if (!Consume(',')) return Error("expected ',' or '}'");
    }
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected text after the object");
    return q;
  }

 private:
  Status Error(std::string what) const {
    return InvalidArgument("MetadataExtractionQuery: " + what + " at offset " +
                           std::to_string(pos_));
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r')) {
      ++pos_;
    }
  }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  std::string Ident() {
    const size_t start = pos_;
    while (!AtEnd() && IsIdentChar(Peek())) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  // A JSON string literal; jq's \( interpolation is refused.
  Result<std::string> String() {
    const size_t start = pos_;
    ++pos_;  // the opening quote
    while (!AtEnd() && Peek() != '"') {
      if (Peek() == '\\') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '(') {
          return Error("string interpolation \\( is not supported");
        }
        ++pos_;
      }
      ++pos_;
    }
    if (!Consume('"')) {
      pos_ = start;
      return Error("unterminated string");
    }
    json decoded = json::parse(text_.substr(start, pos_ - start), nullptr, false);
    if (!decoded.is_string()) {
      pos_ = start;
      return Error("invalid string literal");
    }
    return decoded.get<std::string>();
  }

  Result<Field> ParseField() {
    Field field;
    if (IsIdentStart(Peek())) {
      field.key = Ident();
    } else if (Peek() == '"') {
      TARN_ASSIGN_OR_RETURN(field.key, String());
    } else {
      return Error("expected a key (a name or a \"string\")");
    }
    SkipSpace();
    if (Peek() == ',' || Peek() == '}') {  // {a} is {a: .a}
      field.steps.push_back(Key{field.key});
      return field;
    }
    if (!Consume(':')) return Error("expected ':' after key '" + field.key + "'");
    SkipSpace();
    TARN_RETURN_IF_ERROR(ParsePipe(&field.steps));
    return field;
  }

  Status ParsePipe(std::vector<Step>* steps) {
    for (;;) {
      TARN_RETURN_IF_ERROR(ParseStage(steps));
      SkipSpace();
      if (!Consume('|')) return Status::OK();
      SkipSpace();
    }
  }

  Status ParseStage(std::vector<Step>* steps) {
    if (Peek() == '.') return ParsePath(steps);
    if (!IsIdentStart(Peek())) return Error("expected a path, tostring or strftime(\"...\")");
    const size_t start = pos_;
    const std::string name = Ident();
    if (name == "tostring") {
      steps->push_back(ToString{});
      return Status::OK();
    }
    if (name == "strftime") {
      SkipSpace();
      if (!Consume('(')) return Error("expected '(' after strftime");
      SkipSpace();
      if (Peek() != '"') return Error("strftime takes a \"format\" string");
      TARN_ASSIGN_OR_RETURN(std::string format, String());
      SkipSpace();
      if (!Consume(')')) return Error("expected ')' after the strftime format");
      steps->push_back(Strftime{std::move(format)});
      return Status::OK();
    }
    pos_ = start;
    return Error("'" + name +
                 "' is not supported (a value is a path, optionally piped to tostring or "
                 "strftime(\"...\"))");
  }

  // '.' [name] suffix*, with no whitespace inside.
  Status ParsePath(std::vector<Step>* steps) {
    ++pos_;  // the leading '.'
    if (IsIdentStart(Peek()) || Peek() == '"') TARN_RETURN_IF_ERROR(ParseName(steps));
    for (;;) {
      if (Consume('.')) {
        if (!IsIdentStart(Peek()) && Peek() != '"') return Error("expected a name after '.'");
        TARN_RETURN_IF_ERROR(ParseName(steps));
      } else if (Consume('[')) {
        TARN_RETURN_IF_ERROR(ParseBracket(steps));
      } else {
        return Status::OK();
      }
    }
  }

  Status ParseName(std::vector<Step>* steps) {
    if (Peek() == '"') {
      TARN_ASSIGN_OR_RETURN(std::string name, String());
      steps->push_back(Key{std::move(name)});
    } else {
      steps->push_back(Key{Ident()});
    }
    return Status::OK();
  }

  // After '[': a "key" or an integer index, then ']'.
  Status ParseBracket(std::vector<Step>* steps) {
    SkipSpace();
    if (Peek() == '"') {
      TARN_ASSIGN_OR_RETURN(std::string name, String());
      steps->push_back(Key{std::move(name)});
    } else {
      int64_t index = 0;
      const char* begin = text_.data() + pos_;
      const char* end = text_.data() + text_.size();
      auto [ptr, ec] = std::from_chars(begin, end, index);
      if (ec != std::errc() || ptr == begin) {
        return Error("expected a \"key\" or an integer index in '[...]'");
      }
      pos_ += static_cast<size_t>(ptr - begin);
      steps->push_back(Index{index});
    }
    SkipSpace();
    if (!Consume(']')) return Error("expected ']'");
    return Status::OK();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

Result<MetadataExtractionQuery> MetadataExtractionQuery::Parse(std::string_view query) {
  return Parser(query).Query();
}

Result<PartitionKeys> MetadataExtractionQuery::Evaluate(std::string_view record) const {
  const json doc = json::parse(record, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgument("the record is not JSON");
  static const json kNull;

  PartitionKeys keys;
  for (const Field& field : fields_) {
    auto fail = [&](const std::string& why) {
      return InvalidArgument("partition key '" + field.key + "': " + why);
    };
    const json* value = &doc;
    json computed;  // holds what tostring and strftime make
    for (const Step& step : field.steps) {
      if (const Key* key = std::get_if<Key>(&step)) {
        if (value->is_object()) {
          auto it = value->find(key->name);
          value = it == value->end() ? &kNull : &*it;
        } else if (!value->is_null()) {
          return fail("cannot index " + TypeName(*value) + " with \"" + key->name + "\"");
        }
      } else if (const Index* index = std::get_if<Index>(&step)) {
        if (value->is_array()) {
          const int64_t size = static_cast<int64_t>(value->size());
          const int64_t i = index->index < 0 ? index->index + size : index->index;
          value = i >= 0 && i < size ? &(*value)[static_cast<size_t>(i)] : &kNull;
        } else if (!value->is_null()) {
          return fail("cannot index " + TypeName(*value) + " with a number");
        }
      } else if (const Strftime* f = std::get_if<Strftime>(&step)) {
        if (!value->is_number()) {
          return fail("strftime needs epoch seconds, not " + TypeName(*value));
        }
        const double seconds = value->get<double>();
        if (!std::isfinite(seconds) || std::fabs(seconds) > kMaxEpochSeconds) {
          return fail("strftime: " + JqText(*value) + " is out of range");
        }
        computed = StrftimeUtc(seconds, f->format);
        value = &computed;
      } else if (!value->is_string()) {  // tostring
        computed = JqText(*value);
        value = &computed;
      }
    }
    if (value->is_null()) return fail("is null or missing in the record");
    if (value->is_object() || value->is_array()) {
      return fail("is " + TypeName(*value) + ", not a string or number");
    }
    keys[field.key] = JqText(*value);
  }
  return keys;
}

}  // namespace tarn::firehose
