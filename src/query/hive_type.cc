#include "query/hive_type.h"

#include <cctype>

namespace tarn::query {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Quoted(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// A recursive-descent parser over the text; `at` is the next character.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<HiveType> Type() {
    SkipSpace();
    std::string name = Lower(Word());
    if (name.empty()) return Error("a type name");
    HiveType t;
    using K = HiveType::Kind;
    if (name == "string" || name == "varchar" || name == "char") {
      t.kind = K::kString;
      if (Peek('(')) TARN_RETURN_IF_ERROR(Numbers(nullptr, nullptr));
    } else if (name == "tinyint") {
      t.kind = K::kTinyint;
    } else if (name == "smallint") {
      t.kind = K::kSmallint;
    } else if (name == "int" || name == "integer") {
      t.kind = K::kInt;
    } else if (name == "bigint" || name == "long") {
      t.kind = K::kBigint;
    } else if (name == "float" || name == "real") {
      t.kind = K::kFloat;
    } else if (name == "double") {
      t.kind = K::kDouble;
    } else if (name == "boolean") {
      t.kind = K::kBoolean;
    } else if (name == "date") {
      t.kind = K::kDate;
    } else if (name == "timestamp") {
      t.kind = K::kTimestamp;
    } else if (name == "binary") {
      t.kind = K::kBinary;
    } else if (name == "decimal") {
      t.kind = K::kDecimal;
      t.precision = 10;  // Hive's default decimal is decimal(10,0)
      if (Peek('(')) TARN_RETURN_IF_ERROR(Numbers(&t.precision, &t.scale));
      if (t.precision < 1 || t.precision > 38 || t.scale < 0 || t.scale > t.precision) {
        return InvalidArgument("decimal(" + std::to_string(t.precision) + "," +
                               std::to_string(t.scale) + ") is out of range (precision 1-38)");
      }
    } else if (name == "array") {
      t.kind = K::kArray;
      TARN_RETURN_IF_ERROR(Expect('<'));
      TARN_ASSIGN_OR_RETURN(HiveType element, Type());
      t.children.push_back({"", std::move(element)});
      TARN_RETURN_IF_ERROR(Expect('>'));
    } else if (name == "map") {
      t.kind = K::kMap;
      TARN_RETURN_IF_ERROR(Expect('<'));
      TARN_ASSIGN_OR_RETURN(HiveType key, Type());
      TARN_RETURN_IF_ERROR(Expect(','));
      TARN_ASSIGN_OR_RETURN(HiveType value, Type());
      TARN_RETURN_IF_ERROR(Expect('>'));
      t.children.push_back({"key", std::move(key)});
      t.children.push_back({"value", std::move(value)});
    } else if (name == "struct") {
      t.kind = K::kStruct;
      TARN_RETURN_IF_ERROR(Expect('<'));
      do {
        SkipSpace();
        std::string field(FieldName());  // as written: JSON keys match it exactly
        if (field.empty()) return Error("a struct field name");
        TARN_RETURN_IF_ERROR(Expect(':'));
        TARN_ASSIGN_OR_RETURN(HiveType type, Type());
        t.children.push_back({std::move(field), std::move(type)});
      } while (Accept(','));
      TARN_RETURN_IF_ERROR(Expect('>'));
    } else {
      return InvalidArgument("unknown type '" + name + "'");
    }
    return t;
  }

  bool AtEnd() {
    SkipSpace();
    return at_ == text_.size();
  }
  Status Error(std::string_view wanted) const {
    return InvalidArgument("expected " + std::string(wanted) + " at offset " +
                           std::to_string(at_) + " of '" + std::string(text_) + "'");
  }

 private:
  void SkipSpace() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
  }
  std::string_view Word() {
    size_t start = at_;
    while (at_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[at_])) || text_[at_] == '_')) {
      ++at_;
    }
    return text_.substr(start, at_ - start);
  }
  // Struct field names may be quoted with backquotes (Hive DDL).
  std::string_view FieldName() {
    if (at_ < text_.size() && text_[at_] == '`') {
      size_t end = text_.find('`', at_ + 1);
      if (end == std::string_view::npos) return {};
      std::string_view name = text_.substr(at_ + 1, end - at_ - 1);
      at_ = end + 1;
      return name;
    }
    return Word();
  }
  bool Peek(char c) {
    SkipSpace();
    return at_ < text_.size() && text_[at_] == c;
  }
  bool Accept(char c) {
    if (!Peek(c)) return false;
    ++at_;
    return true;
  }
  Status Expect(char c) {
    if (Accept(c)) return Status::OK();
    return Error(std::string("'") + c + "'");
  }
  // "(p)" or "(p,s)"; either output may be null.
  Status Numbers(int* first, int* second) {
    TARN_RETURN_IF_ERROR(Expect('('));
    int values[2] = {0, 0};
    int n = 0;
    do {
      SkipSpace();
      std::string_view digits = Word();
      if (digits.empty() || digits.size() > 9 ||
          digits.find_first_not_of("0123456789") != std::string_view::npos || n == 2) {
        return Error("a number");
      }
      values[n++] = std::stoi(std::string(digits));
    } while (Accept(','));
    TARN_RETURN_IF_ERROR(Expect(')'));
    if (first != nullptr) *first = values[0];
    if (second != nullptr) *second = n == 2 ? values[1] : 0;
    return Status::OK();
  }

  std::string_view text_;
  size_t at_ = 0;
};

}  // namespace

std::string HiveType::DuckDb() const {
  using K = Kind;
  switch (kind) {
    case K::kString: return "VARCHAR";
    case K::kTinyint: return "TINYINT";
    case K::kSmallint: return "SMALLINT";
    case K::kInt: return "INTEGER";
    case K::kBigint: return "BIGINT";
    case K::kFloat: return "FLOAT";
    case K::kDouble: return "DOUBLE";
    case K::kDecimal:
      return "DECIMAL(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
    case K::kBoolean: return "BOOLEAN";
    case K::kDate: return "DATE";
    case K::kTimestamp: return "TIMESTAMP";
    case K::kBinary: return "BLOB";
    case K::kArray: return children[0].type.DuckDb() + "[]";
    case K::kMap:
      return "MAP(" + children[0].type.DuckDb() + ", " + children[1].type.DuckDb() + ")";
    case K::kStruct: {
      std::string out = "STRUCT(";
      for (size_t i = 0; i < children.size(); ++i) {
        if (i) out += ", ";
        out += Quoted(children[i].name) + " " + children[i].type.DuckDb();
      }
      return out + ")";
    }
  }
  return "VARCHAR";
}

Result<HiveType> ParseHiveType(std::string_view text) {
  Parser parser(text);
  TARN_ASSIGN_OR_RETURN(HiveType type, parser.Type());
  if (!parser.AtEnd()) return parser.Error("the end of the type");
  return type;
}

std::string DuckDbType(std::string_view hive_type) {
  Result<HiveType> type = ParseHiveType(hive_type);
  return type.ok() ? type->DuckDb() : "VARCHAR";
}

}  // namespace tarn::query
