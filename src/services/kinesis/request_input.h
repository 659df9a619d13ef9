// Request validation for Kinesis' JSON operations (aws/model_checker.h):
// the botocore model's constraints become one ValidationException listing
// up to ten violations ("1 validation error detected: Value 'x' at
// 'streamName' failed to satisfy constraint: ..."), and a member of the
// wrong JSON type a SerializationException. Patterns are matched by hand:
// std::regex recurses per character and can exhaust the stack on long
// input.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/json_protocol.h"
#include "aws/model_checker.h"
#include "common/status.h"
#include "common/time.h"
#include "services/kinesis/kinesis_types.h"

namespace tarn::kinesis {

using aws::Json;

using aws::CharCount;
using aws::StrRule;

inline bool IsName(std::string_view s) {  // [a-zA-Z0-9_.-]+
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

// 0|([1-9]\d{0,max_more})
inline bool IsDecimal(std::string_view s, size_t max_more) {
  if (s.empty() || s.size() > max_more + 1) return false;
  if (s == "0") return true;
  if (s[0] < '1' || s[0] > '9') return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}
inline bool IsHashKey(std::string_view s) { return IsDecimal(s, 38); }
inline bool IsSequenceNumber(std::string_view s) { return IsDecimal(s, 128); }

// ARN patterns from the model, matched by hand: std::regex recurses per
// character and can exhaust the stack on long input.
//
// Calls rest(resource) for every split of s as
// "arn:aws" .* ":kinesis:" .* ":" 12 digits ":" resource, until one is true.
template <typename Rest>
bool MatchKinesisArn(std::string_view s, Rest rest) {
  if (s.size() > 2048 || s.substr(0, 7) != "arn:aws") return false;
  for (size_t k = s.find(":kinesis:", 7); k != std::string_view::npos; k = s.find(":kinesis:", k + 1)) {
    for (size_t p = s.find(':', k + 9); p != std::string_view::npos; p = s.find(':', p + 1)) {
      if (p + 14 > s.size() || s[p + 13] != ':') continue;
      bool digits = true;
      for (size_t i = p + 1; i < p + 13 && digits; ++i) digits = s[i] >= '0' && s[i] <= '9';
      if (digits && rest(s.substr(p + 14))) return true;
    }
  }
  return false;
}

// arn:aws.*:kinesis:.*:\d{12}:stream/.+
inline bool IsStreamArn(std::string_view s) {
  return MatchKinesisArn(s, [](std::string_view r) { return r.size() > 7 && r.substr(0, 7) == "stream/"; });
}

// ^(arn):aws.*:kinesis:.*:\d{12}:.*stream\/[a-zA-Z0-9_.-]+\/consumer\/[a-zA-Z0-9_.-]+:[0-9]+
// (a prefix match, as the model's pattern is not anchored at the end)
inline bool IsConsumerArn(std::string_view s) {
  return MatchKinesisArn(s, [](std::string_view r) {
    for (size_t st = r.find("stream/"); st != std::string_view::npos; st = r.find("stream/", st + 1)) {
      size_t name = st + 7;
      size_t slash = r.find("/consumer/", name);
      if (slash == std::string_view::npos || slash == name) continue;
      if (!IsName(r.substr(name, slash - name))) continue;
      size_t cname = slash + 10;
      size_t colon = cname;
      while (colon < r.size() && r[colon] != ':') ++colon;
      if (colon == cname || colon + 1 >= r.size() || !IsName(r.substr(cname, colon - cname))) continue;
      if (r[colon + 1] >= '0' && r[colon + 1] <= '9') return true;
    }
    return false;
  });
}

// arn:aws.*:kinesis:.*:\d{12}:.+
inline bool IsResourceArn(std::string_view s) {
  return MatchKinesisArn(s, [](std::string_view r) { return !r.empty(); });
}

// The model's patterns: the matchers above and the text for the message.
inline constexpr aws::Pattern kNamePattern{IsName, "[a-zA-Z0-9_.-]+"};
inline constexpr aws::Pattern kStreamArnPattern{IsStreamArn,
                                                "arn:aws.*:kinesis:.*:\\d{12}:stream/.+"};
inline constexpr aws::Pattern kConsumerArnPattern{
    IsConsumerArn,
    "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+"};
inline constexpr aws::Pattern kResourceArnPattern{IsResourceArn, "arn:aws.*:kinesis:.*:\\d{12}:.+"};
inline constexpr aws::Pattern kHashKeyPattern{IsHashKey, "0|([1-9]\\d{0,38})"};
inline constexpr aws::Pattern kSequenceNumberPattern{IsSequenceNumber, "0|([1-9]\\d{0,128})"};
inline constexpr size_t kUnbounded = std::numeric_limits<size_t>::max();

inline const StrRule kStreamName{false, 1, 128, kNamePattern};
inline const StrRule kStreamArn{false, 1, 2048, kStreamArnPattern};
inline const StrRule kShardId{true, 1, 128, kNamePattern};
inline const StrRule kConsumerName{false, 1, 128, kNamePattern};
inline const StrRule kConsumerArn{false, 1, 2048, kConsumerArnPattern};
inline const StrRule kResourceArn{true, 1, 2048, kResourceArnPattern};
inline const StrRule kHashKey{false, 0, kUnbounded, kHashKeyPattern};
inline const StrRule kSequenceNumber{false, 0, kUnbounded, kSequenceNumberPattern};
inline const StrRule kNextToken{false, 1, 1048576};

// Collects the violations of one request. Getters return what they could
// read (a default when the member is absent or wrong); Finish() reports.
class Input : public aws::ModelChecker {
 public:
  explicit Input(const Json& j, std::string prefix = "")
      : ModelChecker(j, std::move(prefix), "ValidationException") {}
  // Element `index` (0-based) of the list `list`: paths read
  // "<list>.<index + 1>.member.<name>", built only when a finding needs one.
  Input(const Json& j, std::string_view list, size_t index)
      : ModelChecker(j, list, index, "ValidationException") {}

  std::optional<UnixMillis> Time(std::string_view member, bool required) {
    if (!Find(member)) {
      if (required) Violation("null", member, "Member must not be null");
      return std::nullopt;
    }
    auto t = aws::GetTimestamp(j_, member);
    if (!t.ok()) {
      Note(t.status());
      return std::nullopt;
    }
    return *t;
  }

  std::vector<std::string> StrList(std::string_view member, bool required, size_t min, size_t max,
                                   const StrRule& each) {
    std::vector<std::string> out;
    const Json* list = List(member, required, min, max);
    if (!list) return out;
    for (const Json& e : *list) {
      if (!e.is_string()) {
        TypeError(member, "a list of strings");
        return {};
      }
      const std::string& s = e.get_ref<const std::string&>();
      size_t len = CharCount(s);
      if (len < each.min || len > each.max ||
          (each.pattern.matches && !each.pattern.matches(s)) ||
          (!each.one_of.empty() &&
           std::find(each.one_of.begin(), each.one_of.end(), s) == each.one_of.end())) {
        std::string constraint = "Member must satisfy constraint: [";
        if (!each.one_of.empty()) {
          std::string set;
          for (auto v : each.one_of) set += (set.empty() ? "" : ", ") + std::string(v);
          constraint += "Member must satisfy enum value set: [" + set + "]]";
        } else {
          constraint += "Member must have length less than or equal to " + std::to_string(each.max) +
                        ", Member must have length greater than or equal to " +
                        std::to_string(each.min) + "]";
        }
        Violation("[" + (s.size() > 256 ? s.substr(0, 256) + "..." : s) + "]", member, constraint);
        return {};
      }
      out.push_back(s);
    }
    return out;
  }

  Tags TagMap(std::string_view member, bool required) {
    Tags tags;
    const Json* v = Find(member);
    if (!v) {
      if (required) Violation("null", member, "Member must not be null");
      return tags;
    }
    if (!v->is_object()) {
      TypeError(member, "a map");
      return tags;
    }
    if (v->size() < 1) {
      Violation("{}", member, "Member must have length greater than or equal to 1");
    }
    if (v->size() > 200) {
      Violation("{...}", member, "Member must have length less than or equal to 200");
    }
    for (auto it = v->begin(); it != v->end(); ++it) {
      if (!it.value().is_string()) {
        TypeError(member, "a map of strings");
        return {};
      }
      size_t klen = CharCount(it.key());
      if (klen < 1 || klen > 128) {
        Violation("{...}", member,
                  "Map keys must satisfy constraint: [Member must have length less than or equal "
                  "to 128, Member must have length greater than or equal to 1]");
      }
      const std::string& value = it.value().get_ref<const std::string&>();
      if (CharCount(value) > 256) {
        Violation("{...}", member,
                  "Map value must satisfy constraint: [Member must have length less than or "
                  "equal to 256, Member must have length greater than or equal to 0]");
      }
      tags[it.key()] = value;
    }
    return tags;
  }

  // Takes a nested structure's findings as this request's own.
  void Absorb(const Input& sub) { AbsorbFindings(sub); }
};

}  // namespace tarn::kinesis
