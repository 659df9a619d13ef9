#include "http/handler.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

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

asio::awaitable<Status> ResponseWriter::WriteFile(int fd, uint64_t offset, uint64_t length) {
  constexpr size_t kChunk = 256 * 1024;
  auto buf = std::make_unique_for_overwrite<char[]>(
      static_cast<size_t>(std::min<uint64_t>(length, kChunk)) + 1);
  while (length > 0) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(length, kChunk));
    ssize_t n = ::pread(fd, buf.get(), want, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      co_return ErrnoStatus("pread", errno);
    }
    if (n == 0) co_return IOError("WriteFile: file ends before the requested range");
    Status s = co_await Write(std::string_view(buf.get(), static_cast<size_t>(n)));
    if (!s.ok()) co_return s;
    offset += static_cast<uint64_t>(n);
    length -= static_cast<uint64_t>(n);
  }
  co_return Status();
}

}  // namespace tarn::http
