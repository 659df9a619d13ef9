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

constinit const aws::Pattern kKmsKeyArnPattern{
    IsKmsKeyArn, "arn:.*:kms:[a-zA-Z0-9\\-]+:\\d{12}:(key|alias)/[a-zA-Z_0-9+=,.@\\-_/]+"};
const StrRule kStreamNameRule{true, 1, 64, {IsStreamName, "[a-zA-Z0-9_.-]+"}};
const StrRule kRoleArnRule{true, 1, 512, {IsArn, "arn:.*"}};
const StrRule kBucketArnRule{true, 1, 2048, {IsArn, "arn:.*"}};
const StrRule kPrefixRule{false, 0, 1024};

Status InvalidArg(std::string message) {
  return Status(Code::kInvalidArgument, std::move(message), "InvalidArgumentException");
}

Checker::Checker(const Json& j, std::string path)
    : ModelChecker(j, std::move(path), "InvalidArgumentException") {}

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
  Accept(member, d);
  return d;
}

std::optional<std::string> Checker::Blob(std::string_view member, bool required, size_t max) {
  if (!Find(member)) {
    if (required) Violation("null", member, "Member must not be null");
    return std::nullopt;
  }
  auto blob = aws::GetBlob(j_, member);
  if (!blob.ok()) {
    Note(blob.status());
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
    Checker sub(EmptyObject(), Prefix());
    if (sub.CheckString(s, element, each)) {
      stored.push_back(s);
      out.push_back(s);
    }
    AbsorbFindings(sub);
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
    Checker sub(EmptyObject(), Prefix());
    bool ok = sub.CheckString(it.key(), member, key) && sub.CheckString(val, member, value);
    AbsorbFindings(sub);
    if (ok) {
      stored[it.key()] = val;
      out.emplace_back(it.key(), val);
    }
  }
  out_[std::string(member)] = std::move(stored);
  return out;
}

void Checker::Absorb(std::string_view member, const Checker& sub) {
  AbsorbFindings(sub);
  out_[std::string(member)] = sub.out_;
}

void Checker::AbsorbElement(std::string_view member, const Checker& sub) {
  AbsorbFindings(sub);
  Json& list = out_[std::string(member)];
  if (!list.is_array()) list = Json::array();
  list.push_back(sub.out_);
}

}  // namespace tarn::firehose
