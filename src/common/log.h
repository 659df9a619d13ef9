// Structured logging to stderr: one line per event, key=value pairs after a
// message, so the request log can be grepped and parsed.
//
//   TARN_LOG(Info, "request") .Kv("method", "PUT").Kv("status", 200);
//
// Thread-safe: each line is written with one write(2).
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace tarn {

enum class LogLevel { Debug = 0, Info = 1, Warn = 2, Error = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

class LogLine {
 public:
  LogLine(LogLevel level, std::string_view msg);
  ~LogLine();
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;

  LogLine& Kv(std::string_view key, std::string_view value);
  LogLine& Kv(std::string_view key, const char* value) { return Kv(key, std::string_view(value)); }
  LogLine& Kv(std::string_view key, const std::string& value) {
    return Kv(key, std::string_view(value));
  }
  template <typename T>
  LogLine& Kv(std::string_view key, const T& value) {
    std::ostringstream os;
    os << value;
    return Kv(key, std::string_view(os.str()));
  }

 private:
  std::string line_;
};

}  // namespace tarn

namespace tarn {
// Turns a LogLine expression into void so TARN_LOG can be a conditional
// expression: safe inside an unbraced if/else, and free when filtered out.
struct LogVoidify {
  void operator&(const LogLine&) {}
};
}  // namespace tarn

#define TARN_LOG(level, msg)                        \
  (::tarn::LogLevel::level < ::tarn::GetLogLevel()) \
      ? (void)0                                     \
      : ::tarn::LogVoidify() & ::tarn::LogLine(::tarn::LogLevel::level, msg)
