#include "services/firehose/firehose_validate.h"

#include <algorithm>
#include <cctype>

#include "aws/json_protocol.h"

namespace tarn::firehose {

namespace {

// What element checkers read from: they only check strings handed to them.
const Json& EmptyObject() {
  static const Json empty = Json::object();
  return empty;
}

bool IsAsciiAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

std::string LowerFirst(std::string_view s) {
  std::string out(s);
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

std::string Quote(const std::string& s) {
  // Long values are cut, as AWS does in its messages.
  return "'" + (s.size() > 256 ? s.substr(0, 256) + "..." : s) + "'";
}

bool AllOf(std::string_view s, bool (*ok)(char)) {
  for (char c : s) {
    if (!ok(c)) return false;
  }
  return true;
}

// The tag patterns' class [\p{L}\p{Z}\p{N}_.:\/=+\-@%]: letters, separators
// and numbers of any script, and a few symbols. Non-ASCII code points are
// taken as letters (the symbols and punctuation outside ASCII that the class
// refuses are rare in tags; AWS's own check is the arbiter there).
bool IsTagText(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) continue;
    if (std::isalnum(c) || c == ' ' || std::string_view("_.:/=+-@%").find(static_cast<char>(c)) !=
                                           std::string_view::npos) {
      continue;
    }
    return false;
  }
  return true;
}

// <prefix>[a-zA-Z0-9\-]+:\d{12}:<rest>, the tail shared by the service ARN
// patterns "arn:.*:<service>:[a-zA-Z0-9\-]+:\d{12}:...". Calls rest() for
// every place the service marker occurs until one matches.
template <typename Rest>
bool MatchServiceArn(std::string_view s, std::string_view marker, Rest rest) {
  if (s.substr(0, 4) != "arn:") return false;
  for (size_t k = s.find(marker, 3); k != std::string_view::npos; k = s.find(marker, k + 1)) {
    size_t region = k + marker.size();
    size_t colon = s.find(':', region);
    if (colon == std::string_view::npos || colon == region) continue;
    std::string_view r = s.substr(region, colon - region);
    if (!AllOf(r, [](char c) { return IsAsciiAlnum(c) || c == '-'; })) continue;
    if (colon + 14 > s.size() || s[colon + 13] != ':') continue;
    std::string_view account = s.substr(colon + 1, 12);
    if (!AllOf(account, [](char c) { return c >= '0' && c <= '9'; })) continue;
    if (rest(s.substr(colon + 14))) return true;
  }
  return false;
}

}  // namespace

size_t CharCount(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool IsStreamName(std::string_view s) {
  return !s.empty() && AllOf(s, [](char c) { return IsAsciiAlnum(c) || c == '_' || c == '.' || c == '-'; });
}

bool IsArn(std::string_view s) { return s.substr(0, 4) == "arn:"; }

bool IsKinesisStreamArn(std::string_view s) {
  return MatchServiceArn(s, ":kinesis:", [](std::string_view rest) {
    return rest.size() > 7 && rest.substr(0, 7) == "stream/" && IsStreamName(rest.substr(7));
  });
}

bool IsKmsKeyArn(std::string_view s) {
  return MatchServiceArn(s, ":kms:", [](std::string_view rest) {
    std::string_view id;
    if (rest.substr(0, 4) == "key/") {
      id = rest.substr(4);
    } else if (rest.substr(0, 6) == "alias/") {
      id = rest.substr(6);
    } else {
      return false;
    }
    return !id.empty() && AllOf(id, [](char c) {
      return IsAsciiAlnum(c) || std::string_view("_+=,.@-/").find(c) != std::string_view::npos;
    });
  });
}

bool IsNonBlank(std::string_view s) {
  if (s.empty() || s.find('\n') != std::string_view::npos) return false;
  return !AllOf(s, [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

bool IsNoWhitespace(std::string_view s) {
  return !s.empty() && AllOf(s, [](char c) { return std::isspace(static_cast<unsigned char>(c)) == 0; });
}

bool IsFileExtension(std::string_view s) {
  if (s.empty()) return true;
  return s.size() >= 2 && s[0] == '.' && AllOf(s.substr(1), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                  std::string_view("!-_.*'()").find(c) != std::string_view::npos;
         });
}

bool IsTimeZone(std::string_view s) {
  return AllOf(s, [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '/' || c == '_'; });
}

bool IsTagKey(std::string_view s) { return s.substr(0, 4) != "aws:" && IsTagText(s); }
bool IsTagValue(std::string_view s) { return IsTagText(s); }

bool IsDestinationId(std::string_view s) {
  return !s.empty() && AllOf(s, [](char c) { return IsAsciiAlnum(c) || c == '-'; });
}

bool IsVersionId(std::string_view s) {
  return !s.empty() && AllOf(s, [](char c) { return c >= '0' && c <= '9'; });
}

const StrRule kStreamNameRule{true, 1, 64, IsStreamName, "[a-zA-Z0-9_.-]+"};
const StrRule kRoleArnRule{true, 1, 512, IsArn, "arn:.*"};
const StrRule kBucketArnRule{true, 1, 2048, IsArn, "arn:.*"};
const StrRule kPrefixRule{false, 0, 1024};

Status InvalidArg(std::string message) {
  return Status(Code::kInvalidArgument, std::move(message), "InvalidArgumentException");
}

Checker::Checker(const Json& j, std::string path) : j_(j), path_(std::move(path)) {}

const Json* Checker::Find(std::string_view member) const {
  if (!j_.is_object()) return nullptr;
  auto it = j_.find(member);
  if (it == j_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string Checker::Path(std::string_view member) const {
  return path_ + LowerFirst(member) + ".";
}

std::string Checker::ElementPath(std::string_view member, size_t i) const {
  return path_ + LowerFirst(member) + "." + std::to_string(i + 1) + ".member.";
}

void Checker::Violation(const std::string& value, std::string_view member,
                        const std::string& constraint) {
  if (errors_.size() >= 10) return;  // AWS lists at most ten
  errors_.push_back("Value " + value + " at '" + path_ + LowerFirst(member) +
                    "' failed to satisfy constraint: " + constraint);
}

void Checker::TypeError(std::string_view member, const char* expected) {
  if (!serialization_.ok()) return;
  serialization_ = Status(Code::kInvalidArgument,
                          "Member '" + path_ + LowerFirst(member) + "' must be " + expected + ".",
                          "SerializationException");
}

bool Checker::CheckString(const std::string& s, std::string_view member, const StrRule& rule) {
  size_t before = errors_.size();
  size_t len = CharCount(s);
  if (len < rule.min) {
    Violation(Quote(s), member,
              "Member must have length greater than or equal to " + std::to_string(rule.min));
  }
  if (len > rule.max) {
    Violation(Quote(s), member,
              "Member must have length less than or equal to " + std::to_string(rule.max));
  }
  if (rule.pattern && len >= rule.min && len <= rule.max && !rule.pattern(s)) {
    Violation(Quote(s), member,
              std::string("Member must satisfy regular expression pattern: ") + rule.pattern_text);
  }
  if (!rule.one_of.empty() &&
      std::find(rule.one_of.begin(), rule.one_of.end(), s) == rule.one_of.end()) {
    std::string set;
    for (auto e : rule.one_of) set += (set.empty() ? "" : ", ") + std::string(e);
    Violation(Quote(s), member, "Member must satisfy enum value set: [" + set + "]");
  }
  return errors_.size() == before;
}

std::string Checker::Str(std::string_view member, const StrRule& rule) {
  const Json* v = Find(member);
  if (!v) {
    if (rule.required) Violation("null", member, "Member must not be null");
    return "";
  }
  if (!v->is_string()) {
    TypeError(member, "a string");
    return "";
  }
  const std::string& s = v->get_ref<const std::string&>();
  if (CheckString(s, member, rule)) out_[std::string(member)] = s;
  return s;
}

std::optional<int64_t> Checker::Int(std::string_view member, bool required,
                                    std::optional<int64_t> min, std::optional<int64_t> max) {
  const Json* v = Find(member);
  if (!v) {
    if (required) Violation("null", member, "Member must not be null");
    return std::nullopt;
  }
  if (!v->is_number_integer()) {
    TypeError(member, "an integer");
    return std::nullopt;
  }
  int64_t n = v->is_number_unsigned()
                  ? static_cast<int64_t>(std::min<uint64_t>(v->get<uint64_t>(), INT64_MAX))
                  : v->get<int64_t>();
  bool ok = true;
  if (min && n < *min) {
    ok = false;
    Violation(Quote(std::to_string(n)), member,
              "Member must have value greater than or equal to " + std::to_string(*min));
  }
  if (max && n > *max) {
    ok = false;
    Violation(Quote(std::to_string(n)), member,
              "Member must have value less than or equal to " + std::to_string(*max));
  }
  if (ok) out_[std::string(member)] = n;
  return n;
}

std::optional<double> Checker::Double(std::string_view member, bool required, double min,
                                      double max) {
  const Json* v = Find(member);
  if (!v) {
    if (required) Violation("null", member, "Member must not be null");
    return std::nullopt;
  }
  if (!v->is_number()) {
    TypeError(member, "a number");
    return std::nullopt;
  }
  double d = v->get<double>();
  if (d < min || d > max) {
    Violation(Quote(v->dump()), member,
              "Member must have value between " + Json(min).dump() + " and " + Json(max).dump());
    return d;
  }
  out_[std::string(member)] = d;
  return d;
}

std::optional<bool> Checker::Bool(std::string_view member) {
  const Json* v = Find(member);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    TypeError(member, "a boolean");
    return std::nullopt;
  }
  out_[std::string(member)] = v->get<bool>();
  return v->get<bool>();
}

std::optional<std::string> Checker::Blob(std::string_view member, bool required, size_t max) {
  if (!Find(member)) {
    if (required) Violation("null", member, "Member must not be null");
    return std::nullopt;
  }
  auto blob = aws::GetBlob(j_, member);
  if (!blob.ok()) {
    if (serialization_.ok()) {
      serialization_ = Status(Code::kInvalidArgument, blob.status().message(), "SerializationException");
    }
    return std::nullopt;
  }
  if (*blob && (*blob)->size() > max) {
    Violation("'java.nio.HeapByteBuffer[pos=0 lim=" + std::to_string((*blob)->size()) + " cap=" +
                  std::to_string((*blob)->size()) + "]'",
              member, "Member must have length less than or equal to " + std::to_string(max));
  }
  return *blob;
}

std::vector<std::string> Checker::StrList(std::string_view member, bool required, size_t min,
                                          size_t max, const StrRule& each) {
  std::vector<std::string> out;
  const Json* list = List(member, required, min, max);
  if (!list) return out;
  Json stored = Json::array();
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& e = (*list)[i];
    if (!e.is_string()) {
      TypeError(member, "a list of strings");
      return {};
    }
    const std::string& s = e.get_ref<const std::string&>();
    std::string element = LowerFirst(member) + "." + std::to_string(i + 1) + ".member";
    // Element violations name the element, as AWS does ("tagKeys.1.member").
    Checker sub(EmptyObject(), path_);
    if (sub.CheckString(s, element, each)) {
      stored.push_back(s);
      out.push_back(s);
    }
    for (const std::string& err : sub.errors_) {
      if (errors_.size() < 10) errors_.push_back(err);
    }
  }
  out_[std::string(member)] = std::move(stored);
  return out;
}

std::vector<std::pair<std::string, std::string>> Checker::StrMap(std::string_view member,
                                                                 const StrRule& key,
                                                                 const StrRule& value) {
  std::vector<std::pair<std::string, std::string>> out;
  const Json* v = Find(member);
  if (!v) return out;
  if (!v->is_object()) {
    TypeError(member, "a map");
    return out;
  }
  Json stored = Json::object();
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it.value().is_string()) {
      TypeError(member, "a map of strings");
      return {};
    }
    const std::string& val = it.value().get_ref<const std::string&>();
    Checker sub(EmptyObject(), path_);
    bool ok = sub.CheckString(it.key(), member, key) && sub.CheckString(val, member, value);
    for (const std::string& err : sub.errors_) {
      if (errors_.size() < 10) errors_.push_back(err);
    }
    if (ok) {
      stored[it.key()] = val;
      out.emplace_back(it.key(), val);
    }
  }
  out_[std::string(member)] = std::move(stored);
  return out;
}

const Json* Checker::Struct(std::string_view member, bool required) {
  const Json* v = Find(member);
  if (!v) {
    if (required) Violation("null", member, "Member must not be null");
    return nullptr;
  }
  if (!v->is_object()) {
    TypeError(member, "a structure");
    return nullptr;
  }
  return v;
}

const Json* Checker::List(std::string_view member, bool required, size_t min, size_t max) {
  const Json* v = Find(member);
  if (!v) {
    if (required) Violation("null", member, "Member must not be null");
    return nullptr;
  }
  if (!v->is_array()) {
    TypeError(member, "a list");
    return nullptr;
  }
  if (v->size() < min) {
    Violation("'[]'", member, "Member must have length greater than or equal to " + std::to_string(min));
  }
  if (v->size() > max) {
    Violation("'[...]'", member, "Member must have length less than or equal to " + std::to_string(max));
  }
  return v;
}

void Checker::Absorb(std::string_view member, const Checker& sub) {
  if (serialization_.ok() && !sub.serialization_.ok()) serialization_ = sub.serialization_;
  for (const std::string& e : sub.errors_) {
    if (errors_.size() < 10) errors_.push_back(e);
  }
  out_[std::string(member)] = sub.out_;
}

void Checker::AbsorbElement(std::string_view member, const Checker& sub) {
  if (serialization_.ok() && !sub.serialization_.ok()) serialization_ = sub.serialization_;
  for (const std::string& e : sub.errors_) {
    if (errors_.size() < 10) errors_.push_back(e);
  }
  Json& list = out_[std::string(member)];
  if (!list.is_array()) list = Json::array();
  list.push_back(sub.out_);
}

Status Checker::Finish() const {
  if (!serialization_.ok()) return serialization_;
  if (errors_.empty()) return Status::OK();
  std::string msg = std::to_string(errors_.size()) + " validation error" +
                    (errors_.size() > 1 ? "s" : "") + " detected: ";
  for (size_t i = 0; i < errors_.size(); ++i) msg += (i ? "; " : "") + errors_[i];
  return InvalidArg(msg);
}

}  // namespace tarn::firehose
