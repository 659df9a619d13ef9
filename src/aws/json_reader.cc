#include "aws/json_reader.h"

namespace tarn::aws {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The length of the well-formed UTF-8 sequence at p (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0.
size_t Utf8Length(const unsigned char* p, const unsigned char* end) {
  const unsigned char c = *p;
  auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return p + i < end && p[i] >= lo && p[i] <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | cp >> 6);
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | cp >> 12);
    *out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | cp >> 18);
    *out += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
    *out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

void JsonReader::SkipSpace() {
  while (p_ < end_ && IsSpace(*p_)) ++p_;
}

JsonReader::Kind JsonReader::Peek() {
  SkipSpace();
  if (failed_ || p_ == end_) return Kind::kNone;
  switch (*p_) {
    case '{': return Kind::kObject;
    case '[': return Kind::kArray;
    case '"': return Kind::kString;
    case 't':
    case 'f': return Kind::kBool;
    case 'n': return Kind::kNull;
    default:
      return *p_ == '-' || (*p_ >= '0' && *p_ <= '9') ? Kind::kNumber : Kind::kNone;
  }
}

bool JsonReader::Push(char close) {
  if (depth_ == kMaxDepth) return Fail();
  close_[depth_] = close;
  any_[depth_] = false;
  ++depth_;
  ++p_;
  return true;
}

bool JsonReader::EnterObject() {
  SkipSpace();
  if (failed_ || p_ == end_ || *p_ != '{' || (depth_ == 0 && started_)) return Fail();
  started_ = true;
  return Push('}');
}

bool JsonReader::EnterArray() {
  SkipSpace();
  if (failed_ || p_ == end_ || *p_ != '[' || (depth_ == 0 && started_)) return Fail();
  started_ = true;
  return Push(']');
}

bool JsonReader::Advance(char close, bool* more) {
  if (failed_ || depth_ == 0 || close_[depth_ - 1] != close) return Fail();
  SkipSpace();
  if (p_ == end_) return Fail();
  if (*p_ == close) {
    ++p_;
    --depth_;
    *more = false;
    return true;
  }
  if (any_[depth_ - 1]) {
    if (*p_ != ',') return Fail();
    ++p_;
  }
  any_[depth_ - 1] = true;
  *more = true;
  return true;
}

bool JsonReader::NextMember(std::string_view* name) {
  bool more = false;
  if (!Advance('}', &more) || !more) return false;
  SkipSpace();
  if (!ScanString(name, &name_scratch_)) return false;
  SkipSpace();
  if (p_ == end_ || *p_ != ':') return Fail();
  ++p_;
  return true;
}

bool JsonReader::NextElement() {
  bool more = false;
  return Advance(']', &more) && more;
}

bool JsonReader::ReadString(std::string_view* value) {
  SkipSpace();
  if (failed_ || (depth_ == 0 && started_)) return Fail();
  started_ = true;
  return ScanString(value, &scratch_);
}

bool JsonReader::ReadNull() {
  SkipSpace();
  if (failed_ || (depth_ == 0 && started_) || end_ - p_ < 4 ||
      std::string_view(p_, 4) != "null") {
    return Fail();
  }
  started_ = true;
  p_ += 4;
  return true;
}

bool JsonReader::AtEnd() {
  SkipSpace();
  return !failed_ && started_ && depth_ == 0 && p_ == end_;
}

bool JsonReader::ScanString(std::string_view* out, std::string* scratch) {
  if (failed_ || p_ == end_ || *p_ != '"') return Fail();
  const char* const start = ++p_;
  bool escaped = false;  // the value is being built in *scratch
  while (true) {
    if (p_ == end_) return Fail();
    const auto c = static_cast<unsigned char>(*p_);
    if (c == '"') {
      if (escaped) {
        *out = *scratch;
      } else {
        *out = std::string_view(start, static_cast<size_t>(p_ - start));
      }
      ++p_;
      return true;
    }
    if (c < 0x20) return Fail();
    if (c == '\\') {
      if (!escaped) {
        scratch->assign(start, p_);
        escaped = true;
      }
      if (++p_ == end_) return Fail();
      const char e = *p_++;
      switch (e) {
        case '"': *scratch += '"'; break;
        case '\\': *scratch += '\\'; break;
        case '/': *scratch += '/'; break;
        case 'b': *scratch += '\b'; break;
        case 'f': *scratch += '\f'; break;
        case 'n': *scratch += '\n'; break;
        case 'r': *scratch += '\r'; break;
        case 't': *scratch += '\t'; break;
        case 'u':
          if (!ReadUnicodeEscape(scratch)) return Fail();
          break;
        default: return Fail();
      }
      continue;
    }
    size_t n = 1;
    if (c >= 0x80) {
      n = Utf8Length(reinterpret_cast<const unsigned char*>(p_),
                     reinterpret_cast<const unsigned char*>(end_));
      if (n == 0) return Fail();
    }
    if (escaped) scratch->append(p_, n);
    p_ += n;
  }
}

bool JsonReader::ReadUnicodeEscape(std::string* out) {
  auto hex4 = [this](uint32_t* v) {
    if (end_ - p_ < 4) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = HexValue(p_[i]);
      if (h < 0) return false;
      *v = *v << 4 | static_cast<uint32_t>(h);
    }
    p_ += 4;
    return true;
  };
  uint32_t cp = 0;
  if (!hex4(&cp)) return false;
  if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a low surrogate alone
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    uint32_t low = 0;
    if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
    p_ += 2;
    if (!hex4(&low) || low < 0xDC00 || low > 0xDFFF) return false;
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  }
  AppendUtf8(cp, out);
  return true;
}

}  // namespace tarn::aws
