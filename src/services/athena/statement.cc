#include "services/athena/statement.h"

#include <cctype>

namespace tarn::athena {

namespace {

Status InvalidRequest(std::string message) {
  return InvalidArgument(std::move(message), "InvalidRequestException");
}

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdent(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '@' || c == ':';
}

// A cursor over the statement that skips whitespace and comments.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}

  void SkipBlank() {
    while (pos_ < s_.size()) {
      if (IsSpace(s_[pos_])) {
        ++pos_;
      } else if (s_.substr(pos_, 2) == "--") {
        size_t nl = s_.find('\n', pos_);
        pos_ = nl == std::string_view::npos ? s_.size() : nl + 1;
      } else if (s_.substr(pos_, 2) == "/*") {
        size_t end = s_.find("*/", pos_ + 2);
        pos_ = end == std::string_view::npos ? s_.size() : end + 2;
      } else {
        break;
      }
    }
  }

  // The next word ([A-Za-z_][A-Za-z0-9_@:]*), uppercased when `upper`;
  // "" when there is none. Consumes it.
  std::string Word(bool upper) {
    SkipBlank();
    size_t start = pos_;
    if (pos_ < s_.size() && IsIdentStart(s_[pos_])) {
      while (pos_ < s_.size() && IsIdent(s_[pos_])) ++pos_;
    }
    std::string w(s_.substr(start, pos_ - start));
    if (upper) {
      for (char& c : w) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return w;
  }

  std::string_view Rest() {
    SkipBlank();
    return s_.substr(pos_);
  }
  size_t pos() const { return pos_; }
  void set_pos(size_t p) { pos_ = p; }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

std::string_view TrimStatement(std::string_view s) {
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  if (!s.empty() && s.back() == ';') s.remove_suffix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Splits "1, 'a,b', DATE '2024-01-01'" at top-level commas.
Result<std::vector<std::string>> SplitLiterals(std::string_view list) {
  std::vector<std::string> out;
  std::string current;
  int depth = 0;
  auto flush = [&]() -> Status {
    size_t b = 0, e = current.size();
    while (b < e && IsSpace(current[b])) ++b;
    while (e > b && IsSpace(current[e - 1])) --e;
    if (b == e) return InvalidRequest("EXECUTE ... USING has an empty parameter.");
    out.push_back(current.substr(b, e - b));
    current.clear();
    return Status::OK();
  };
  for (size_t i = 0; i < list.size(); ++i) {
    char c = list[i];
    if (c == '\'') {
      size_t j = i + 1;
      while (true) {
        if (j >= list.size()) return InvalidRequest("EXECUTE ... USING has an unterminated string.");
        if (list[j] == '\'') {
          if (j + 1 < list.size() && list[j + 1] == '\'') {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      current.append(list.substr(i, j - i + 1));
      i = j;
    } else if (c == '(' || c == '[') {
      ++depth;
      current.push_back(c);
    } else if (c == ')' || c == ']') {
      --depth;
      current.push_back(c);
    } else if (c == ',' && depth == 0) {
      TARN_RETURN_IF_ERROR(flush());
    } else {
      current.push_back(c);
    }
  }
  TARN_RETURN_IF_ERROR(flush());
  return out;
}

}  // namespace

Result<ParsedStatement> ParseStatement(std::string_view sql) {
  sql = TrimStatement(sql);
  Cursor cur(sql);
  ParsedStatement out;
  std::string first = cur.Word(true);
  if (first == "PREPARE") {
    out.name = cur.Word(false);
    if (out.name.empty()) return InvalidRequest("PREPARE needs a statement name: PREPARE name FROM ...");
    if (cur.Word(true) != "FROM")
      return InvalidRequest("PREPARE " + out.name + " needs FROM and the statement to prepare.");
    out.body = std::string(cur.Rest());
    if (out.body.empty()) return InvalidRequest("PREPARE " + out.name + " FROM has no statement.");
    out.kind = ParsedStatement::kPrepare;
    return out;
  }
  if (first == "EXECUTE") {
    out.name = cur.Word(false);
    if (out.name.empty()) return InvalidRequest("EXECUTE needs a statement name: EXECUTE name [USING ...]");
    out.kind = ParsedStatement::kExecute;
    std::string_view rest = cur.Rest();
    if (rest.empty()) return out;
    if (cur.Word(true) != "USING") {
      return InvalidRequest("EXECUTE " + out.name + " may only be followed by USING and the parameters.");
    }
    std::string_view list = cur.Rest();
    if (list.empty()) return InvalidRequest("EXECUTE " + out.name + " USING has no parameters.");
    TARN_ASSIGN_OR_RETURN(out.parameters, SplitLiterals(list));
    return out;
  }
  if (first == "DEALLOCATE") {
    if (cur.Word(true) != "PREPARE") return InvalidRequest("DEALLOCATE needs PREPARE: DEALLOCATE PREPARE name");
    out.name = cur.Word(false);
    if (out.name.empty()) return InvalidRequest("DEALLOCATE PREPARE needs a statement name.");
    if (!cur.Rest().empty()) return InvalidRequest("DEALLOCATE PREPARE " + out.name + " takes nothing after the name.");
    out.kind = ParsedStatement::kDeallocate;
    return out;
  }
  return out;
}

std::string StatementTypeOf(std::string_view sql) {
  Cursor cur(sql);
  // "(SELECT ...)" is a query too.
  cur.SkipBlank();
  std::string_view rest = cur.Rest();
  while (!rest.empty() && rest.front() == '(') {
    cur.set_pos(cur.pos() + 1);
    rest = cur.Rest();
  }
  std::string w = cur.Word(true);
  for (const char* dml : {"SELECT", "WITH", "INSERT", "VALUES", "UPDATE", "DELETE", "MERGE", "TABLE"})
    if (w == dml) return "DML";
  for (const char* ddl : {"CREATE", "DROP", "ALTER", "MSCK", "SHOW", "DESCRIBE", "DESC"})
    if (w == ddl) return "DDL";
  return "UTILITY";
}

}  // namespace tarn::athena
