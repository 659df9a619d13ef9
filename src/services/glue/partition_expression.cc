#include "services/glue/partition_expression.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <utility>

namespace tarn::glue {

namespace {

// Deep nesting is refused before it can exhaust the parser's stack.
constexpr int kMaxDepth = 100;

Status Invalid(std::string message) {
  return InvalidArgument("Invalid partition expression: " + std::move(message),
                         "InvalidInputException");
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

// --- Typed values ---------------------------------------------------------------

enum class Kind { kString, kDecimal, kDouble, kDate, kTimestamp, kBoolean };

// The comparison kind of a Hive type name: "decimal(10,2)" -> kDecimal.
Kind KindOfType(std::string_view type) {
  std::string t = ToLower(type);
  while (!t.empty() && t.back() == ' ') t.pop_back();
  size_t paren = t.find('(');
  std::string base = t.substr(0, paren);
  while (!base.empty() && base.back() == ' ') base.pop_back();
  if (base == "tinyint" || base == "smallint" || base == "int" || base == "integer" ||
      base == "bigint" || base == "long" || base == "decimal" || base == "numeric") {
    return Kind::kDecimal;
  }
  if (base == "double" || base == "float" || base == "real") return Kind::kDouble;
  if (base == "date") return Kind::kDate;
  if (base == "timestamp") return Kind::kTimestamp;
  if (base == "boolean") return Kind::kBoolean;
  return Kind::kString;
}

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kString: return "string";
    case Kind::kDecimal: return "number";
    case Kind::kDouble: return "double";
    case Kind::kDate: return "date";
    case Kind::kTimestamp: return "timestamp";
    case Kind::kBoolean: return "boolean";
  }
  return "value";
}

// An exact decimal: sign, integer digits without leading zeros, fraction
// digits without trailing zeros. Zero is never negative.
struct Decimal {
  bool negative = false;
  std::string whole;
  std::string fraction;
};

std::optional<Decimal> ParseDecimal(std::string_view s) {
  size_t i = 0;
  Decimal d;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) d.negative = s[i++] == '-';
  size_t start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  std::string_view whole = s.substr(start, i - start);
  std::string_view fraction;
  if (i < s.size() && s[i] == '.') {
    size_t f = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    fraction = s.substr(f, i - f);
  }
  if (i != s.size() || (whole.empty() && fraction.empty())) return std::nullopt;
  while (!whole.empty() && whole.front() == '0') whole.remove_prefix(1);
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  d.whole = std::string(whole);
  d.fraction = std::string(fraction);
  if (d.whole.empty() && d.fraction.empty()) d.negative = false;
  return d;
}

int CompareMagnitude(const Decimal& a, const Decimal& b) {
  if (a.whole.size() != b.whole.size()) return a.whole.size() < b.whole.size() ? -1 : 1;
  if (int c = a.whole.compare(b.whole); c != 0) return c < 0 ? -1 : 1;
  int c = a.fraction.compare(b.fraction);  // no trailing zeros: lexical is numeric
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int CompareDecimal(const Decimal& a, const Decimal& b) {
  if (a.negative != b.negative) return a.negative ? -1 : 1;
  int m = CompareMagnitude(a, b);
  return a.negative ? -m : m;
}

std::optional<double> ParseDouble(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  std::string text(s);  // strtod needs a terminator
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || std::isnan(v)) return std::nullopt;
  return v;
}

bool ReadDigits(std::string_view s, size_t& i, size_t min, size_t max, int64_t& out) {
  size_t start = i;
  out = 0;
  while (i < s.size() && i - start < max && s[i] >= '0' && s[i] <= '9')
    out = out * 10 + (s[i++] - '0');
  return i - start >= min;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// yyyy-m[m]-d[d] at s[i...]; advances i.
std::optional<int64_t> ReadDate(std::string_view s, size_t& i) {
  int64_t y = 0, m = 0, d = 0;
  if (!ReadDigits(s, i, 4, 4, y) || i >= s.size() || s[i++] != '-') return std::nullopt;
  if (!ReadDigits(s, i, 1, 2, m) || i >= s.size() || s[i++] != '-') return std::nullopt;
  if (!ReadDigits(s, i, 1, 2, d)) return std::nullopt;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return std::nullopt;
  if (d > kDays[m - 1] + (m == 2 && IsLeap(y) ? 1 : 0)) return std::nullopt;
  return DaysFromCivil(y, m, d);
}

std::optional<int64_t> ParseDate(std::string_view s) {
  size_t i = 0;
  auto days = ReadDate(s, i);
  if (!days || i != s.size()) return std::nullopt;
  return days;
}

// A timestamp: seconds since the epoch and nanoseconds within the second
// (one int64 of nanoseconds would overflow past the year 2262).
struct Instant {
  int64_t seconds = 0;
  int64_t nanos = 0;
};

// yyyy-mm-dd[( |T)hh:mm[:ss[.fraction]]].
std::optional<Instant> ParseTimestamp(std::string_view s) {
  size_t i = 0;
  auto days = ReadDate(s, i);
  if (!days) return std::nullopt;
  int64_t h = 0, mi = 0, sec = 0, nanos = 0;
  if (i < s.size()) {
    if (s[i] != ' ' && s[i] != 'T') return std::nullopt;
    ++i;
    if (!ReadDigits(s, i, 1, 2, h) || i >= s.size() || s[i++] != ':') return std::nullopt;
    if (!ReadDigits(s, i, 1, 2, mi)) return std::nullopt;
    if (i < s.size() && s[i] == ':') {
      ++i;
      if (!ReadDigits(s, i, 1, 2, sec)) return std::nullopt;
      if (i < s.size() && s[i] == '.') {
        ++i;
        size_t start = i;
        int64_t frac = 0;
        if (!ReadDigits(s, i, 1, 9, frac)) return std::nullopt;
        for (size_t n = i - start; n < 9; ++n) frac *= 10;
        nanos = frac;
      }
    }
  }
  if (i != s.size() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  return Instant{((*days * 24 + h) * 60 + mi) * 60 + sec, nanos};
}

// One value of a kind; only the member of its kind is meaningful.
struct Value {
  std::string text;     // kString, kBoolean (lowercased)
  Decimal decimal;      // kDecimal
  double number = 0;    // kDouble
  int64_t ordinal = 0;  // kDate (days), kTimestamp (seconds)
  int64_t nanos = 0;    // kTimestamp
};

std::optional<Value> Convert(Kind kind, std::string_view s) {
  Value v;
  switch (kind) {
    case Kind::kString: v.text = std::string(s); return v;
    case Kind::kBoolean:
      if (!EqualsIgnoreCase(s, "true") && !EqualsIgnoreCase(s, "false")) return std::nullopt;
      v.text = ToLower(s);
      return v;
    case Kind::kDecimal: {
      auto d = ParseDecimal(s);
      if (!d) return std::nullopt;
      v.decimal = std::move(*d);
      return v;
    }
    case Kind::kDouble: {
      auto d = ParseDouble(s);
      if (!d) return std::nullopt;
      v.number = *d;
      return v;
    }
    case Kind::kDate: {
      auto d = ParseDate(s);
      if (!d) return std::nullopt;
      v.ordinal = *d;
      return v;
    }
    case Kind::kTimestamp: {
      auto t = ParseTimestamp(s);
      if (!t) return std::nullopt;
      v.ordinal = t->seconds;
      v.nanos = t->nanos;
      return v;
    }
  }
  return std::nullopt;
}

int Compare(Kind kind, const Value& a, const Value& b) {
  switch (kind) {
    case Kind::kString:
    case Kind::kBoolean: {
      int c = a.text.compare(b.text);
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Kind::kDecimal: return CompareDecimal(a.decimal, b.decimal);
    case Kind::kDouble: return a.number < b.number ? -1 : (a.number > b.number ? 1 : 0);
    case Kind::kDate:
    case Kind::kTimestamp:
      if (a.ordinal != b.ordinal) return a.ordinal < b.ordinal ? -1 : 1;
      return a.nanos < b.nanos ? -1 : (a.nanos > b.nanos ? 1 : 0);
  }
  return 0;
}

// --- Tokens ------------------------------------------------------------------------

enum class Tok { kEnd, kIdent, kQuotedIdent, kString, kNumber, kOp, kLParen, kRParen, kComma };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;            // identifier, unescaped string, number or operator
  size_t pos = 0;              // 1-based column, for messages
  bool double_quoted = false;  // a "string": may be an ANSI-quoted key name
};

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> out;
    while (true) {
      while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
      Token t;
      t.pos = i_ + 1;
      if (i_ >= s_.size()) {
        out.push_back(std::move(t));
        return out;
      }
      char c = s_[i_];
      if (c == '\'' || c == '"') {
        TARN_ASSIGN_OR_RETURN(t.text, Quoted(c, "string"));
        t.kind = Tok::kString;
        t.double_quoted = c == '"';
      } else if (c == '`') {
        TARN_ASSIGN_OR_RETURN(t.text, Quoted(c, "quoted name"));
        t.kind = Tok::kQuotedIdent;
      } else if (IsIdentStart(c)) {
        size_t start = i_;
        while (i_ < s_.size() && IsIdentChar(s_[i_])) ++i_;
        t.kind = Tok::kIdent;
        t.text = std::string(s_.substr(start, i_ - start));
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 (c == '.' && i_ + 1 < s_.size() &&
                  std::isdigit(static_cast<unsigned char>(s_[i_ + 1])))) {
        t.kind = Tok::kNumber;
        t.text = Number();
      } else if (c == '(' || c == ')' || c == ',') {
        t.kind = c == '(' ? Tok::kLParen : (c == ')' ? Tok::kRParen : Tok::kComma);
        t.text = std::string(1, c);
        ++i_;
      } else if (c == '-' || c == '+') {
        t.kind = Tok::kOp;
        t.text = std::string(1, c);
        ++i_;
      } else if (auto op = Operator(); !op.empty()) {
        t.kind = Tok::kOp;
        t.text = std::move(op);
      } else {
        return Invalid("unexpected character '" + std::string(1, c) + "' at position " +
                       std::to_string(t.pos));
      }
      out.push_back(std::move(t));
    }
  }

 private:
  // A quoted run; the quote doubled, or a backslash, escapes (Hive and SQL
  // clients use either).
  Result<std::string> Quoted(char quote, const char* what) {
    size_t start = i_ + 1;
    std::string out;
    for (size_t j = i_ + 1; j < s_.size(); ++j) {
      char c = s_[j];
      if (c == '\\' && quote != '`' && j + 1 < s_.size()) {
        out.push_back(s_[++j]);
      } else if (c == quote) {
        if (j + 1 < s_.size() && s_[j + 1] == quote) {
          out.push_back(quote);
          ++j;
        } else {
          i_ = j + 1;
          return out;
        }
      } else {
        out.push_back(c);
      }
    }
    return Invalid(std::string("unterminated ") + what + " starting at position " +
                   std::to_string(start));
  }

  std::string Number() {
    size_t start = i_;
    while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.'))
      ++i_;
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      size_t j = i_ + 1;
      if (j < s_.size() && (s_[j] == '+' || s_[j] == '-')) ++j;
      if (j < s_.size() && std::isdigit(static_cast<unsigned char>(s_[j]))) {
        i_ = j;
        while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
      }
    }
    // A number glued to letters (12abc) is refused by the parser as the
    // identifier that follows it.
    return std::string(s_.substr(start, i_ - start));
  }

  std::string Operator() {
    static constexpr std::string_view kOps[] = {"<=", ">=", "<>", "!=", "==", "=", "<", ">"};
    for (std::string_view op : kOps) {
      if (s_.substr(i_, op.size()) == op) {
        i_ += op.size();
        return std::string(op);
      }
    }
    return "";
  }

  std::string_view s_;
  size_t i_ = 0;
};

// --- The tree ------------------------------------------------------------------------

enum class Truth { kFalse, kTrue, kUnknown };

Truth Not(Truth t) {
  if (t == Truth::kUnknown) return t;
  return t == Truth::kTrue ? Truth::kFalse : Truth::kTrue;
}

enum class CmpOp { kEq, kNe, kLt, kLe, kGt, kGe };

CmpOp Flip(CmpOp op) {
  switch (op) {
    case CmpOp::kLt: return CmpOp::kGt;
    case CmpOp::kLe: return CmpOp::kGe;
    case CmpOp::kGt: return CmpOp::kLt;
    case CmpOp::kGe: return CmpOp::kLe;
    default: return op;
  }
}

struct Node {
  enum Type { kAnd, kOr, kNot, kCompare, kIn, kBetween, kLike, kIsNull } type = kAnd;
  std::vector<std::unique_ptr<Node>> children;  // kAnd, kOr (2+), kNot (1)
  size_t key = 0;                               // index into the keys
  CmpOp op = CmpOp::kEq;                        // kCompare
  bool negated = false;                         // NOT IN/BETWEEN/LIKE, IS NOT NULL
  std::vector<Value> values;                    // operands: 1, IN list, BETWEEN low/high
  std::string pattern;                          // kLike
};

struct Literal {
  std::string text;
  size_t pos = 0;
  bool double_quoted = false;
  enum { kPlain, kDate, kTimestamp } tag = kPlain;  // DATE 'x', TIMESTAMP 'x'
};

struct Operand {
  std::optional<size_t> key;  // a partition key, or
  Literal literal;            // a literal
  size_t pos = 0;
};

}  // namespace

struct PartitionPredicate::Program {
  std::vector<Kind> kinds;     // one per partition key
  std::unique_ptr<Node> root;  // null: everything matches
};

namespace {

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::span<const PartitionKey> keys, std::vector<Kind> kinds)
      : t_(std::move(tokens)), keys_(keys), kinds_(std::move(kinds)) {}

  Result<std::unique_ptr<Node>> Parse() {
    TARN_ASSIGN_OR_RETURN(auto root, Or(0));
    if (Peek().kind != Tok::kEnd) return Unexpected("the end of the expression");
    return root;
  }

 private:
  const Token& Peek(size_t ahead = 0) const { return t_[std::min(i_ + ahead, t_.size() - 1)]; }
  const Token& Next() { return t_[std::min(i_++, t_.size() - 1)]; }

  bool IsKeyword(const Token& t, std::string_view word) const {
    return t.kind == Tok::kIdent && EqualsIgnoreCase(t.text, word);
  }
  bool Accept(std::string_view word) {
    if (!IsKeyword(Peek(), word)) return false;
    ++i_;
    return true;
  }

  Status Unexpected(std::string_view expected) const {
    const Token& t = Peek();
    std::string found = t.kind == Tok::kEnd ? "the end of the expression" : "'" + t.text + "'";
    return Invalid("expected " + std::string(expected) + " but found " + found + " at position " +
                   std::to_string(t.pos));
  }

  Result<std::unique_ptr<Node>> Or(int depth) {
    TARN_ASSIGN_OR_RETURN(auto left, And(depth));
    if (!IsKeyword(Peek(), "OR")) return left;
    auto node = std::make_unique<Node>();
    node->type = Node::kOr;
    node->children.push_back(std::move(left));
    while (Accept("OR")) {
      TARN_ASSIGN_OR_RETURN(auto right, And(depth));
      node->children.push_back(std::move(right));
    }
    return node;
  }

  Result<std::unique_ptr<Node>> And(int depth) {
    TARN_ASSIGN_OR_RETURN(auto left, Unary(depth));
    if (!IsKeyword(Peek(), "AND")) return left;
    auto node = std::make_unique<Node>();
    node->type = Node::kAnd;
    node->children.push_back(std::move(left));
    while (Accept("AND")) {
      TARN_ASSIGN_OR_RETURN(auto right, Unary(depth));
      node->children.push_back(std::move(right));
    }
    return node;
  }

  Result<std::unique_ptr<Node>> Unary(int depth) {
    if (depth > kMaxDepth) return Invalid("the expression is nested more than 100 levels deep");
    if (Accept("NOT")) {
      TARN_ASSIGN_OR_RETURN(auto child, Unary(depth + 1));
      auto node = std::make_unique<Node>();
      node->type = Node::kNot;
      node->children.push_back(std::move(child));
      return node;
    }
    if (Peek().kind == Tok::kLParen) {
      ++i_;
      TARN_ASSIGN_OR_RETURN(auto inner, Or(depth + 1));
      if (Peek().kind != Tok::kRParen) return Unexpected("')'");
      ++i_;
      return inner;
    }
    return Predicate();
  }

  // A key name: an identifier that names a partition key (case-insensitive).
  std::optional<size_t> FindKey(std::string_view name) const {
    for (size_t k = 0; k < keys_.size(); ++k) {
      if (EqualsIgnoreCase(keys_[k].name, name)) return k;
    }
    return std::nullopt;
  }

  Result<Operand> ReadOperand() {
    const Token& t = Peek();
    Operand o;
    o.pos = t.pos;
    switch (t.kind) {
      case Tok::kQuotedIdent:
      case Tok::kIdent: {
        // DATE '...' and TIMESTAMP '...' are typed literals, unless the word
        // is a key's name used as such (a key called "date").
        bool typed = t.kind == Tok::kIdent && Peek(1).kind == Tok::kString &&
                     (EqualsIgnoreCase(t.text, "DATE") || EqualsIgnoreCase(t.text, "TIMESTAMP"));
        if (typed) {
          o.literal.tag = EqualsIgnoreCase(t.text, "DATE") ? Literal::kDate : Literal::kTimestamp;
          ++i_;
          o.literal.text = Next().text;
          o.literal.pos = o.pos;
          return o;
        }
        if (t.kind == Tok::kIdent &&
            (EqualsIgnoreCase(t.text, "TRUE") || EqualsIgnoreCase(t.text, "FALSE")) &&
            !FindKey(t.text)) {
          o.literal.text = ToLower(t.text);
          o.literal.pos = o.pos;
          ++i_;
          return o;
        }
        o.key = FindKey(t.text);
        if (!o.key) {
          std::string known;
          for (const PartitionKey& k : keys_) known += (known.empty() ? "" : ", ") + k.name;
          return Invalid("unknown partition key '" + t.text + "' at position " +
                         std::to_string(t.pos) +
                         (keys_.empty() ? " (the table has no partition keys)"
                                        : " (partition keys: " + known + ")"));
        }
        ++i_;
        return o;
      }
      case Tok::kString:
        o.literal.text = t.text;
        o.literal.pos = t.pos;
        o.literal.double_quoted = t.double_quoted;
        ++i_;
        return o;
      case Tok::kNumber:
        o.literal.text = t.text;
        o.literal.pos = t.pos;
        ++i_;
        return o;
      case Tok::kOp:
        if ((t.text == "-" || t.text == "+") && Peek(1).kind == Tok::kNumber) {
          o.literal.text = (t.text == "-" ? "-" : "") + Peek(1).text;
          o.literal.pos = t.pos;
          i_ += 2;
          return o;
        }
        break;
      default: break;
    }
    return Unexpected("a partition key or a literal");
  }

  Result<Value> Bind(size_t key, const Literal& lit) const {
    Kind kind = kinds_[key];
    bool fits = lit.tag == Literal::kPlain || (lit.tag == Literal::kDate && kind == Kind::kDate) ||
                (lit.tag == Literal::kTimestamp && kind == Kind::kTimestamp) ||
                kind == Kind::kString;
    std::optional<Value> v;
    if (fits) v = Convert(kind, lit.text);
    if (!v) {
      return Invalid("'" + lit.text + "' at position " + std::to_string(lit.pos) +
                     " is not a valid " + (kind == Kind::kDecimal ? "number" : KindName(kind)) +
                     " for partition key '" + keys_[key].name + "' of type " + keys_[key].type);
    }
    return std::move(*v);
  }

  Result<Literal> ReadLiteral(std::string_view what) {
    size_t pos = Peek().pos;
    TARN_ASSIGN_OR_RETURN(Operand o, ReadOperand());
    if (o.key) {
      return Invalid(std::string(what) + " at position " + std::to_string(pos) +
                     " must be a literal, not the partition key '" + keys_[*o.key].name + "'");
    }
    return o.literal;
  }

  // "year" is a string in Hive's dialect but a name in ANSI SQL's, which
  // some clients use for keys: a double-quoted operand that names a key, in
  // a predicate that has no key otherwise, is that key.
  void PromoteQuotedKey(Operand& o) const {
    if (!o.key && o.literal.double_quoted) o.key = FindKey(o.literal.text);
  }

  Result<std::unique_ptr<Node>> Predicate() {
    TARN_ASSIGN_OR_RETURN(Operand left, ReadOperand());
    auto node = std::make_unique<Node>();
    const Token& t = Peek();
    if (t.kind == Tok::kOp && t.text != "-" && t.text != "+") {
      ++i_;
      CmpOp op = t.text == "=" || t.text == "=="    ? CmpOp::kEq
                 : t.text == "<>" || t.text == "!=" ? CmpOp::kNe
                 : t.text == "<"                    ? CmpOp::kLt
                 : t.text == "<="                   ? CmpOp::kLe
                 : t.text == ">"                    ? CmpOp::kGt
                                                    : CmpOp::kGe;
      TARN_ASSIGN_OR_RETURN(Operand right, ReadOperand());
      if (!left.key && !right.key) {
        PromoteQuotedKey(left);
        if (!left.key) PromoteQuotedKey(right);
      }
      if (left.key.has_value() == right.key.has_value()) {
        return Invalid("the comparison at position " + std::to_string(left.pos) +
                       " must compare one partition key with a literal");
      }
      if (!left.key) {
        std::swap(left, right);
        op = Flip(op);
      }
      node->type = Node::kCompare;
      node->key = *left.key;
      node->op = op;
      TARN_ASSIGN_OR_RETURN(Value v, Bind(node->key, right.literal));
      node->values.push_back(std::move(v));
      return node;
    }
    PromoteQuotedKey(left);
    if (!left.key) {
      return Invalid("the literal at position " + std::to_string(left.pos) +
                     " must be compared with a partition key");
    }
    node->key = *left.key;
    if (Accept("IS")) {
      node->type = Node::kIsNull;
      node->negated = Accept("NOT");
      if (!Accept("NULL")) return Unexpected("NULL");
      return node;
    }
    node->negated = Accept("NOT");
    if (Accept("IN")) return In(std::move(node));
    if (Accept("BETWEEN")) {
      node->type = Node::kBetween;
      TARN_ASSIGN_OR_RETURN(Literal low, ReadLiteral("the lower bound of BETWEEN"));
      if (!Accept("AND")) return Unexpected("AND");
      TARN_ASSIGN_OR_RETURN(Literal high, ReadLiteral("the upper bound of BETWEEN"));
      TARN_ASSIGN_OR_RETURN(Value lv, Bind(node->key, low));
      TARN_ASSIGN_OR_RETURN(Value hv, Bind(node->key, high));
      node->values.push_back(std::move(lv));
      node->values.push_back(std::move(hv));
      return node;
    }
    if (Accept("LIKE")) {
      node->type = Node::kLike;
      TARN_ASSIGN_OR_RETURN(Literal pattern, ReadLiteral("the pattern of LIKE"));
      node->pattern = pattern.text;
      return node;
    }
    return Unexpected(node->negated ? "IN, BETWEEN or LIKE after NOT"
                                    : "a comparison, IN, BETWEEN, LIKE or IS after '" +
                                          keys_[node->key].name + "'");
  }

  Result<std::unique_ptr<Node>> In(std::unique_ptr<Node> node) {
    node->type = Node::kIn;
    if (Peek().kind != Tok::kLParen) return Unexpected("'(' after IN");
    ++i_;
    while (true) {
      TARN_ASSIGN_OR_RETURN(Literal lit, ReadLiteral("an IN list entry"));
      TARN_ASSIGN_OR_RETURN(Value v, Bind(node->key, lit));
      node->values.push_back(std::move(v));
      if (Peek().kind == Tok::kComma) {
        ++i_;
        continue;
      }
      if (Peek().kind == Tok::kRParen) {
        ++i_;
        return node;
      }
      return Unexpected("',' or ')' in the IN list");
    }
  }

  std::vector<Token> t_;
  size_t i_ = 0;
  std::span<const PartitionKey> keys_;
  std::vector<Kind> kinds_;
};

bool Holds(CmpOp op, int c) {
  switch (op) {
    case CmpOp::kEq: return c == 0;
    case CmpOp::kNe: return c != 0;
    case CmpOp::kLt: return c < 0;
    case CmpOp::kLe: return c <= 0;
    case CmpOp::kGt: return c > 0;
    case CmpOp::kGe: return c >= 0;
  }
  return false;
}

Truth Of(bool b) { return b ? Truth::kTrue : Truth::kFalse; }

// Evaluates one node; values of the partition are converted lazily, once
// per key per call (cache[k] set when converted).
class Evaluator {
 public:
  Evaluator(const std::vector<Kind>& kinds, std::span<const std::string> values)
      : kinds_(kinds), values_(values), cache_(kinds.size()), state_(kinds.size(), kUnread) {}

  Truth Eval(const Node& n) {
    switch (n.type) {
      case Node::kAnd: {
        Truth out = Truth::kTrue;
        for (const auto& c : n.children) {
          Truth t = Eval(*c);
          if (t == Truth::kFalse) return t;
          if (t == Truth::kUnknown) out = t;
        }
        return out;
      }
      case Node::kOr: {
        Truth out = Truth::kFalse;
        for (const auto& c : n.children) {
          Truth t = Eval(*c);
          if (t == Truth::kTrue) return t;
          if (t == Truth::kUnknown) out = t;
        }
        return out;
      }
      case Node::kNot: return Not(Eval(*n.children[0]));
      case Node::kIsNull: return Of(IsNull(n.key) != n.negated);
      case Node::kLike: {
        if (IsNull(n.key)) return Truth::kUnknown;
        return Of(LikeMatch(values_[n.key], n.pattern) != n.negated);
      }
      default: break;
    }
    const Value* v = Get(n.key);
    if (!v) return Truth::kUnknown;
    Kind kind = kinds_[n.key];
    switch (n.type) {
      case Node::kCompare: return Of(Holds(n.op, Compare(kind, *v, n.values[0])));
      case Node::kIn: {
        bool found = false;
        for (const Value& e : n.values) {
          if (Compare(kind, *v, e) == 0) {
            found = true;
            break;
          }
        }
        return Of(found != n.negated);
      }
      case Node::kBetween: {
        bool in = Compare(kind, *v, n.values[0]) >= 0 && Compare(kind, *v, n.values[1]) <= 0;
        return Of(in != n.negated);
      }
      default: return Truth::kUnknown;
    }
  }

 private:
  enum State { kUnread, kValid, kNull };

  bool IsNull(size_t k) const { return k >= values_.size() || values_[k] == kHiveNullPartition; }

  const Value* Get(size_t k) {
    if (state_[k] == kUnread) {
      std::optional<Value> v;
      if (!IsNull(k)) v = Convert(kinds_[k], values_[k]);
      state_[k] = v ? kValid : kNull;
      if (v) cache_[k] = std::move(*v);
    }
    return state_[k] == kValid ? &cache_[k] : nullptr;
  }

  const std::vector<Kind>& kinds_;
  std::span<const std::string> values_;
  std::vector<Value> cache_;
  std::vector<State> state_;
};

}  // namespace

Result<PartitionPredicate> PartitionPredicate::Compile(std::string_view expression,
                                                       std::span<const PartitionKey> keys) {
  auto program = std::make_shared<Program>();
  for (const PartitionKey& k : keys) program->kinds.push_back(KindOfType(k.type));
  TARN_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lexer(expression).Run());
  if (tokens.size() > 1) {
    Parser parser(std::move(tokens), keys, program->kinds);
    TARN_ASSIGN_OR_RETURN(program->root, parser.Parse());
  }
  return PartitionPredicate(std::move(program));
}

bool PartitionPredicate::MatchesAll() const { return program_->root == nullptr; }

bool PartitionPredicate::Matches(std::span<const std::string> values) const {
  if (!program_->root) return true;
  Evaluator e(program_->kinds, values);
  return e.Eval(*program_->root) == Truth::kTrue;
}

namespace {

// Length of the UTF-8 sequence starting with byte c (1 for stray bytes).
size_t SeqLen(unsigned char c) {
  if (c >= 0xF0) return 4;
  if (c >= 0xE0) return 3;
  if (c >= 0xC0) return 2;
  return 1;
}

}  // namespace

bool LikeMatch(std::string_view text, std::string_view pattern) {
  // Greedy matching with one backtrack point (the last '%'): O(n*m) at
  // worst, never exponential.
  size_t t = 0, p = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '%') {
      star_p = ++p;
      star_t = t;
      continue;
    }
    if (p < pattern.size()) {
      if (pattern[p] == '_') {
        t += std::min(SeqLen(static_cast<unsigned char>(text[t])), text.size() - t);
        ++p;
        continue;
      }
      size_t q = p;
      if (pattern[q] == '\\' && q + 1 < pattern.size()) ++q;
      if (pattern[q] == text[t]) {
        p = q + 1;
        ++t;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    star_t = std::min(star_t + SeqLen(static_cast<unsigned char>(text[star_t])), text.size());
    t = star_t;
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

}  // namespace tarn::glue
