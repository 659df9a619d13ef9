#include "http/handler.h"

#include <algorithm>

namespace tarn::http {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

void Headers::Set(std::string_view name, std::string value) {
  Remove(name);
  fields_.emplace_back(std::string(name), std::move(value));
}

void Headers::Remove(std::string_view name) {
  fields_.erase(std::remove_if(fields_.begin(), fields_.end(),
                               [&](const auto& f) { return EqualsIgnoreCase(f.first, name); }),
                fields_.end());
}

const std::string* Headers::Get(std::string_view name) const {
  for (const auto& f : fields_) {
    if (EqualsIgnoreCase(f.first, name)) return &f.second;
  }
  return nullptr;
}

asio::awaitable<Status> ResponseWriter::Send(int status, Headers headers, std::string_view body) {
  ResponseHead head;
  head.status = status;
  head.headers = std::move(headers);
  head.content_length = body.size();
  Status s = co_await Begin(std::move(head));
  if (!s.ok()) co_return s;
  if (!body.empty()) {
    s = co_await Write(body);
    if (!s.ok()) co_return s;
  }
  co_return co_await Finish();
}

}  // namespace tarn::http
