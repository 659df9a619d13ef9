#include "aws/model_checker.h"

#include <algorithm>
#include <utility>

namespace tarn::aws {

namespace {
constexpr size_t kMaxErrors = 10;  // AWS lists at most ten
}  // namespace

size_t CharCount(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

ModelChecker::ModelChecker(const Json& j, std::string path, std::string_view error_code)
    : j_(j), path_(std::move(path)), error_code_(error_code) {}

ModelChecker::ModelChecker(const Json& j, std::string_view list, size_t index,
                           std::string_view error_code)
    : j_(j), list_(list), index_(index), error_code_(error_code) {}

std::string ModelChecker::Prefix() const {
  if (list_.empty()) return path_;
  return LowerFirst(list_) + "." + std::to_string(index_ + 1) + ".member.";
}

std::string ModelChecker::LowerFirst(std::string_view s) {
  std::string out(s);
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

std::string ModelChecker::Quote(const std::string& s) {
  return "'" + (s.size() > 256 ? s.substr(0, 256) + "..." : s) + "'";
}

const ModelChecker::Json* ModelChecker::Find(std::string_view member) const {
  if (!j_.is_object()) return nullptr;
  auto it = j_.find(member);
  if (it == j_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string ModelChecker::Path(std::string_view member) const {
  return Prefix() + LowerFirst(member) + ".";
}

std::string ModelChecker::ElementPath(std::string_view member, size_t i) const {
  return Prefix() + LowerFirst(member) + "." + std::to_string(i + 1) + ".member.";
}

void ModelChecker::Violation(const std::string& value, std::string_view member,
                             const std::string& constraint) {
  if (errors_.size() >= kMaxErrors) return;
  errors_.push_back("Value " + value + " at '" + Prefix() + LowerFirst(member) +
                    "' failed to satisfy constraint: " + constraint);
}

void ModelChecker::TypeError(std::string_view member, const char* expected) {
  Note(Status(Code::kInvalidArgument,
              "Member '" + Prefix() + LowerFirst(member) + "' must be " + expected + ".",
              "SerializationException"));
}

void ModelChecker::Note(const Status& st) {
  if (serialization_.ok()) serialization_ = st;
}

void ModelChecker::AbsorbFindings(const ModelChecker& sub) {
  if (serialization_.ok()) serialization_ = sub.serialization_;
  for (const std::string& e : sub.errors_) {
    if (errors_.size() < kMaxErrors) errors_.push_back(e);
  }
}

Status ModelChecker::Finish() const {
  if (!serialization_.ok()) return serialization_;
  if (errors_.empty()) return Status::OK();
  std::string msg = std::to_string(errors_.size()) + " validation error" +
                    (errors_.size() > 1 ? "s" : "") + " detected: ";
  for (size_t i = 0; i < errors_.size(); ++i) msg += (i ? "; " : "") + errors_[i];
  return Status(Code::kInvalidArgument, std::move(msg), std::string(error_code_));
}

bool ModelChecker::CheckString(const std::string& s, std::string_view member, const StrRule& rule) {
  const size_t before = errors_.size();
  const size_t len = CharCount(s);
  if (len < rule.min) {
    Violation(Quote(s), member,
              "Member must have length greater than or equal to " + std::to_string(rule.min));
  }
  if (len > rule.max) {
    Violation(Quote(s), member,
              "Member must have length less than or equal to " + std::to_string(rule.max));
  }
  if (rule.pattern.matches != nullptr && !rule.pattern.matches(s)) {
    Violation(Quote(s), member,
              std::string("Member must satisfy regular expression pattern: ") + rule.pattern.text);
  }
  if (!rule.one_of.empty() &&
      std::find(rule.one_of.begin(), rule.one_of.end(), s) == rule.one_of.end()) {
    std::string set;
    for (std::string_view e : rule.one_of) set += (set.empty() ? "" : ", ") + std::string(e);
    Violation(Quote(s), member, "Member must satisfy enum value set: [" + set + "]");
  }
  return errors_.size() == before;
}

std::string ModelChecker::Str(std::string_view member, const StrRule& rule) {
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
  if (CheckString(s, member, rule)) Accept(member, s);
  return s;
}

std::optional<int64_t> ModelChecker::Int(std::string_view member, bool required,
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
  const int64_t n = v->is_number_unsigned()
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
  if (ok) Accept(member, n);
  return n;
}

std::optional<bool> ModelChecker::Bool(std::string_view member) {
  const Json* v = Find(member);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    TypeError(member, "a boolean");
    return std::nullopt;
  }
  Accept(member, v->get<bool>());
  return v->get<bool>();
}

const ModelChecker::Json* ModelChecker::Struct(std::string_view member, bool required) {
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

const ModelChecker::Json* ModelChecker::List(std::string_view member, bool required, size_t min,
                                             size_t max) {
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
    Violation("'[]'", member,
              "Member must have length greater than or equal to " + std::to_string(min));
  }
  if (v->size() > max) {
    Violation("'[...]'", member,
              "Member must have length less than or equal to " + std::to_string(max));
  }
  return v;
}

}  // namespace tarn::aws
