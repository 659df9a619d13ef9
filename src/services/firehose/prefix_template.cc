#include "services/firehose/prefix_template.h"

#include <ctime>

#include "common/ids.h"

namespace tarn::firehose {
namespace {

// The default time prefix, !{timestamp:yyyy/MM/dd/HH/}.
constexpr std::string_view kDefaultTimeFormat = "%Y/%m/%d/%H/";
constexpr size_t kMaxEvaluatedLength = 512;
constexpr size_t kRandomStringLength = 11;

std::string FieldName(PrefixKind kind) {
  return kind == PrefixKind::kPrefix ? "Prefix" : "ErrorOutputPrefix";
}

Status BadExpression(PrefixKind kind, std::string_view expression, std::string_view why) {
  return InvalidArgument(FieldName(kind) + ": " + std::string(expression) + " " + std::string(why));
}

void AppendLiteral(std::string* format, std::string_view text) {
  for (char c : text) {
    if (c == '%') format->push_back('%');  // strftime's escape for itself
    format->push_back(c);
  }
}

// The strftime format for a Java DateTimeFormatter pattern, or the reason it
// is not supported. Letters are reserved for fields in Java, so a letter run
// tarn does not know is refused rather than copied.
Result<std::string> TimestampFormat(std::string_view pattern) {
  struct Field {
    char letter;
    size_t count;
    std::string_view directive;
  };
  static constexpr Field kFields[] = {
      {'y', 4, "%Y"}, {'y', 2, "%y"}, {'M', 2, "%m"}, {'d', 2, "%d"},
      {'H', 2, "%H"}, {'m', 2, "%M"}, {'s', 2, "%S"},
  };
  std::string format;
  size_t i = 0;
  while (i < pattern.size()) {
    const char c = pattern[i];
    if (c == '\'') {
      // 'text' is literal; '' is a quote, inside quoted text too.
      std::string literal;
      size_t j = i + 1;
      if (j < pattern.size() && pattern[j] == '\'') {
        AppendLiteral(&format, "'");
        i = j + 1;
        continue;
      }
      for (;; ++j) {
        if (j >= pattern.size()) return InvalidArgument("has an unclosed quote");
        if (pattern[j] != '\'') {
          literal.push_back(pattern[j]);
        } else if (j + 1 < pattern.size() && pattern[j + 1] == '\'') {
          literal.push_back('\'');
          ++j;
        } else {
          break;
        }
      }
      AppendLiteral(&format, literal);
      i = j + 1;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      size_t run = 1;
      while (i + run < pattern.size() && pattern[i + run] == c) ++run;
      const Field* field = nullptr;
      for (const Field& f : kFields) {
        if (f.letter == c && f.count == run) field = &f;
      }
      if (field == nullptr) {
        return InvalidArgument("uses pattern letters '" + std::string(run, c) +
                               "', which are not supported (use yyyy, yy, MM, dd, HH, mm, ss "
                               "and 'quoted' text)");
      }
      format.append(field->directive);
      i += run;
    } else if (c == '[' || c == ']' || c == '{' || c == '#') {
      return InvalidArgument(std::string("uses '") + c +
                             "', which DateTimeFormatter reserves and tarn does not support");
    } else {
      AppendLiteral(&format, std::string_view(&c, 1));
      ++i;
    }
  }
  return format;
}

// ms since the epoch, in UTC, through a strftime format.
std::string FormatUtc(int64_t ms, std::string_view format) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  // Each directive is two characters and yields at most four (%Y) in the
  // years a record can arrive in; the slack covers the rest.
  std::string out(format.size() * 2 + 32, '\0');
  out.resize(std::strftime(out.data(), out.size(), std::string(format).c_str(), &tm));
  return out;
}

Result<std::string_view> KeyValue(const std::map<std::string, std::string>* keys,
                                  const std::string& name, std::string_view ns) {
  if (keys != nullptr) {
    if (auto it = keys->find(name); it != keys->end()) return std::string_view(it->second);
  }
  return InvalidArgument("the record has no partition key '" + name + "' for !{" + std::string(ns) +
                         ":" + name + "}");
}

}  // namespace

std::string_view ErrorOutputTypeName(ErrorOutputType t) {
  switch (t) {
    case ErrorOutputType::kProcessingFailed: return "processing-failed";
    case ErrorOutputType::kFormatConversionFailed: return "format-conversion-failed";
    case ErrorOutputType::kPartitioningFailed: return "partitioning-failed";
    case ErrorOutputType::kDecompressionFailed: return "decompression-failed";
  }
  return "";
}

PrefixTemplate::PrefixTemplate(PrefixKind kind, std::vector<Piece> pieces)
    : kind_(kind), pieces_(std::move(pieces)) {
  for (const Piece& p : pieces_) {
    if (p.source != Source::kLiteral) has_expressions_ = true;
  }
}

Result<PrefixTemplate> PrefixTemplate::Parse(std::string_view text, PrefixKind kind) {
  std::vector<Piece> pieces;
  std::string literal;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find("!{", pos);
    if (open == std::string_view::npos) {
      literal.append(text.substr(pos));
      break;
    }
    literal.append(text.substr(pos, open - pos));
    const size_t close = text.find('}', open);
    if (close == std::string_view::npos) {
      return BadExpression(kind, text.substr(open),
                           "is not closed: '!{' may only start an expression !{namespace:value}");
    }
    const std::string_view expression = text.substr(open, close + 1 - open);
    const std::string_view body = expression.substr(2, expression.size() - 3);
    const size_t colon = body.find(':');
    if (colon == std::string_view::npos) {
      return BadExpression(kind, expression, "is not of the form !{namespace:value}");
    }
    const std::string_view ns = body.substr(0, colon);
    const std::string_view value = body.substr(colon + 1);
    if (value.empty()) return BadExpression(kind, expression, "has an empty value");
    if (value.find("!{") != std::string_view::npos) {
      return BadExpression(kind, expression, "contains '!{' inside an expression");
    }

    Piece piece{Source::kLiteral, std::string(value)};
    if (ns == "timestamp") {
      auto format = TimestampFormat(value);
      if (!format.ok()) return BadExpression(kind, expression, format.status().message());
      piece = {Source::kTimestamp, std::move(*format)};
    } else if (ns == "firehose") {
      if (value == "error-output-type") {
        if (kind == PrefixKind::kPrefix) {
          return BadExpression(kind, expression, "can only be used in ErrorOutputPrefix");
        }
        piece.source = Source::kErrorOutputType;
      } else if (value == "random-string") {
        piece.source = Source::kRandomString;
      } else {
        return BadExpression(kind, expression,
                             "is not a firehose value (use error-output-type or random-string)");
      }
    } else if (ns == "partitionKeyFromQuery" || ns == "partitionKeyFromLambda") {
      if (kind == PrefixKind::kErrorOutputPrefix) {
        return BadExpression(kind, expression, "cannot be used in ErrorOutputPrefix");
      }
      piece.source = ns == "partitionKeyFromQuery" ? Source::kQueryKey : Source::kLambdaKey;
    } else {
      return BadExpression(kind, expression,
                           "has an unknown namespace (use timestamp, firehose, "
                           "partitionKeyFromQuery or partitionKeyFromLambda)");
    }
    if (!literal.empty()) pieces.push_back({Source::kLiteral, std::move(literal)});
    literal.clear();
    pieces.push_back(std::move(piece));
    pos = close + 1;
  }
  if (!literal.empty()) pieces.push_back({Source::kLiteral, std::move(literal)});

  PrefixTemplate parsed(kind, std::move(pieces));
  if (kind == PrefixKind::kErrorOutputPrefix && parsed.has_expressions_ &&
      !parsed.Uses(Source::kErrorOutputType)) {
    return InvalidArgument(
        "ErrorOutputPrefix: an ErrorOutputPrefix with expressions must include "
        "!{firehose:error-output-type}");
  }
  return parsed;
}

Status PrefixTemplate::ValidatePair(const PrefixTemplate& prefix,
                                    const PrefixTemplate* error_prefix, bool dynamic_partitioning) {
  const bool uses_keys = prefix.Uses(Source::kQueryKey) || prefix.Uses(Source::kLambdaKey);
  if (dynamic_partitioning) {
    if (!uses_keys) {
      return InvalidArgument(
          "Prefix must contain !{partitionKeyFromQuery:...} or !{partitionKeyFromLambda:...} "
          "expressions when dynamic partitioning is enabled");
    }
    if (error_prefix == nullptr) {
      return InvalidArgument("ErrorOutputPrefix is required when dynamic partitioning is enabled");
    }
  } else if (uses_keys) {
    for (const Piece& p : prefix.pieces_) {
      if (p.source == Source::kQueryKey || p.source == Source::kLambdaKey) {
        const char* ns =
            p.source == Source::kQueryKey ? "partitionKeyFromQuery" : "partitionKeyFromLambda";
        return BadExpression(PrefixKind::kPrefix, "!{" + std::string(ns) + ":" + p.text + "}",
                             "needs dynamic partitioning enabled");
      }
    }
  }
  if (prefix.HasExpressions() && error_prefix == nullptr) {
    return InvalidArgument("ErrorOutputPrefix can't be null when Prefix contains expressions");
  }
  return Status::OK();
}

bool PrefixTemplate::Uses(Source source) const {
  for (const Piece& p : pieces_) {
    if (p.source == source) return true;
  }
  return false;
}

std::vector<std::string> PrefixTemplate::KeysFrom(Source source) const {
  std::vector<std::string> keys;
  for (const Piece& p : pieces_) {
    if (p.source != source) continue;
    bool seen = false;
    for (const std::string& k : keys) seen = seen || k == p.text;
    if (!seen) keys.push_back(p.text);
  }
  return keys;
}

std::vector<std::string> PrefixTemplate::QueryKeys() const { return KeysFrom(Source::kQueryKey); }
std::vector<std::string> PrefixTemplate::LambdaKeys() const { return KeysFrom(Source::kLambdaKey); }

Result<std::string> PrefixTemplate::Render(const Values& v) const {
  const std::string_view error_type = ErrorOutputTypeName(v.error_output_type);
  std::string out;
  for (const Piece& p : pieces_) {
    switch (p.source) {
      case Source::kLiteral: out += p.text; break;
      case Source::kTimestamp: out += FormatUtc(v.arrival_ms, p.text); break;
      case Source::kErrorOutputType: out += error_type; break;
      case Source::kRandomString: out += RandomHex(6).substr(0, kRandomStringLength); break;
      case Source::kQueryKey: {
        TARN_ASSIGN_OR_RETURN(std::string_view value,
                              KeyValue(v.query_keys, p.text, "partitionKeyFromQuery"));
        out += value;
        break;
      }
      case Source::kLambdaKey: {
        TARN_ASSIGN_OR_RETURN(std::string_view value,
                              KeyValue(v.lambda_keys, p.text, "partitionKeyFromLambda"));
        out += value;
        break;
      }
    }
  }
  if (kind_ == PrefixKind::kPrefix) {
    // Dynamic partitioning prefixes are used as written.
    if (!Uses(Source::kTimestamp) && !Uses(Source::kQueryKey) && !Uses(Source::kLambdaKey)) {
      out += FormatUtc(v.arrival_ms, kDefaultTimeFormat);
    }
  } else if (!has_expressions_) {
    out += error_type;
    out += '/';
    out += FormatUtc(v.arrival_ms, kDefaultTimeFormat);
  }
  if (out.size() > kMaxEvaluatedLength) {
    return InvalidArgument(FieldName(kind_) + " evaluates to " + std::to_string(out.size()) +
                           " characters, more than " + std::to_string(kMaxEvaluatedLength));
  }
  return out;
}

std::string ObjectName(std::string_view stream, int version, int64_t ms, std::string_view uuid,
                       std::string_view extension) {
  std::string name(stream);
  name += '-';
  name += std::to_string(version);
  name += '-';
  name += FormatUtc(ms, "%Y-%m-%d-%H-%M-%S");
  name += '-';
  name += uuid;
  name += extension;
  return name;
}

}  // namespace tarn::firehose
