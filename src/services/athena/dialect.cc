#include "services/athena/dialect.h"

#include <cctype>
#include <map>
#include <vector>

namespace tarn::athena {

namespace {

const std::map<std::string, std::string>& Renames() {
  static const std::map<std::string, std::string> kRenames = {
      {"approx_distinct", "approx_count_distinct"},
      {"array_join", "array_to_string"},
      {"cardinality", "len"},
      {"regexp_like", "regexp_matches"},
      {"json_extract_scalar", "json_extract_string"},
      {"to_unixtime", "epoch"},
      {"from_unixtime", "to_timestamp"},
      {"sequence", "generate_series"},  // both inclusive of the stop
  };
  return kRenames;
}

bool IdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The end (one past) of the quoted text or comment starting at i, or i when
// there is none there.
size_t SkipOpaque(std::string_view s, size_t i) {
  const char c = s[i];
  if (c == '\'' || c == '"') {
    size_t j = i + 1;
    while (j < s.size()) {
      if (s[j] == c) {
        if (j + 1 < s.size() && s[j + 1] == c) {
          j += 2;
          continue;
        }
        return j + 1;
      }
      ++j;
    }
    return s.size();
  }
  if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
    const size_t end = s.find('\n', i);
    return end == std::string_view::npos ? s.size() : end;
  }
  if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
    const size_t end = s.find("*/", i + 2);
    return end == std::string_view::npos ? s.size() : end + 2;
  }
  return i;
}

// The arguments of the call whose '(' is at `open`, split at top-level
// commas; *close is the index of the matching ')'.
bool Arguments(std::string_view s, size_t open, std::vector<std::string_view>* args, size_t* close) {
  int depth = 0;
  size_t start = open + 1;
  for (size_t i = open; i < s.size();) {
    const size_t skipped = SkipOpaque(s, i);
    if (skipped != i) {
      i = skipped;
      continue;
    }
    const char c = s[i];
    if (c == '(') ++depth;
    if (c == ')' && --depth == 0) {
      args->push_back(s.substr(start, i - start));
      *close = i;
      return true;
    }
    if (c == ',' && depth == 1) {
      args->push_back(s.substr(start, i - start));
      start = i + 1;
    }
    ++i;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The text of a plain string literal ('it''s' -> it's); false otherwise.
bool Literal(std::string_view s, std::string* out) {
  s = Trim(s);
  if (s.size() < 2 || s.front() != '\'' || s.back() != '\'') return false;
  out->clear();
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\'') {
      if (s[i + 1] != '\'') return false;
      ++i;
    }
    *out += s[i];
  }
  return true;
}

std::string Quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

Result<std::string> Translate(std::string_view s);

Result<std::string> Special(const std::string& name, const std::vector<std::string_view>& raw) {
  std::vector<std::string> args;
  for (std::string_view a : raw) {
    TARN_ASSIGN_OR_RETURN(std::string t, Translate(a));
    args.push_back(std::move(t));
  }
  auto arity = [&](size_t n) -> Status {
    if (args.size() == n) return Status::OK();
    return InvalidArgument(name + " takes " + std::to_string(n) + " arguments, not " +
                           std::to_string(args.size()));
  };
  if (name == "from_iso8601_timestamp") {
    TARN_RETURN_IF_ERROR(arity(1));
    return "CAST(" + args[0] + " AS TIMESTAMPTZ)";
  }
  if (name == "from_iso8601_date") {
    TARN_RETURN_IF_ERROR(arity(1));
    return "CAST(" + args[0] + " AS DATE)";
  }
  // date_parse / date_format
  TARN_RETURN_IF_ERROR(arity(2));
  std::string format;
  if (!Literal(raw[1], &format)) {
    return InvalidArgument(name + " needs its format as a string literal in tarn's Athena: "
                           "DuckDB must know the format when it plans the query");
  }
  return std::string(name == "date_parse" ? "strptime(" : "strftime(") + args[0] + ", " +
         Quote(TranslateDateFormat(format)) + ")";
}

Result<std::string> Translate(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const size_t skipped = SkipOpaque(s, i);
    if (skipped != i) {
      out.append(s.substr(i, skipped - i));
      i = skipped;
      continue;
    }
    if (!IdentStart(s[i]) || (i > 0 && (IdentChar(s[i - 1]) || s[i - 1] == '.'))) {
      out += s[i++];
      continue;
    }
    size_t end = i;
    while (end < s.size() && IdentChar(s[end])) ++end;
    std::string word(s.substr(i, end - i));
    std::string lower;
    for (char c : word) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t paren = end;
    while (paren < s.size() && std::isspace(static_cast<unsigned char>(s[paren]))) ++paren;
    const bool call = paren < s.size() && s[paren] == '(';
    if (call && (lower == "from_iso8601_timestamp" || lower == "from_iso8601_date" ||
                 lower == "date_parse" || lower == "date_format")) {
      std::vector<std::string_view> args;
      size_t close = 0;
      if (!Arguments(s, paren, &args, &close)) {
        return InvalidArgument("unbalanced parentheses after " + word);
      }
      TARN_ASSIGN_OR_RETURN(std::string replaced, Special(lower, args));
      out += replaced;
      i = close + 1;
      continue;
    }
    auto rename = call ? Renames().find(lower) : Renames().end();
    out += rename != Renames().end() ? rename->second : word;
    i = end;
  }
  return out;
}

}  // namespace

std::string TranslateDateFormat(std::string_view f) {
  std::string out;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%' || i + 1 == f.size()) {
      out += f[i];
      continue;
    }
    const char c = f[++i];
    switch (c) {
      case 'i': out += "%M"; break;           // minutes
      case 's': out += "%S"; break;           // seconds
      case 'M': out += "%B"; break;           // month name
      case 'W': out += "%A"; break;           // weekday name
      case 'h': out += "%I"; break;           // hour 01-12
      case 'T': out += "%H:%M:%S"; break;
      case 'r': out += "%I:%M:%S %p"; break;
      case 'c': out += "%-m"; break;          // month, no padding
      case 'e': out += "%-d"; break;          // day, no padding
      case 'k': out += "%-H"; break;
      case 'l': out += "%-I"; break;
      default:
        out += '%';
        out += c;
    }
  }
  return out;
}

Result<std::string> TranslateDialect(std::string_view sql) { return Translate(sql); }

}  // namespace tarn::athena
