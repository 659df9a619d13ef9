#include "common/log.h"

#include <unistd.h>

#include <atomic>

#include "common/time.h"

namespace tarn {

static std::atomic<int> g_level{static_cast<int>(LogLevel::Info)};

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed)); }

static const char* LevelName(LogLevel l) {
  switch (l) {
    case LogLevel::Debug: return "DEBUG";
    case LogLevel::Info: return "INFO";
    case LogLevel::Warn: return "WARN";
    case LogLevel::Error: return "ERROR";
  }
  return "?";
}

LogLine::LogLine(LogLevel level, std::string_view msg) {
  line_ = FormatIso8601(Clock::Real()->Now());
  line_ += ' ';
  line_ += LevelName(level);
  line_ += ' ';
  line_ += msg;
}

LogLine& LogLine::Kv(std::string_view key, std::string_view value) {
  line_ += ' ';
  line_ += key;
  line_ += '=';
  bool quote = value.empty() || value.find_first_of(" \"=") != std::string_view::npos;
  if (quote) {
    line_ += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') line_ += '\\';
      line_ += c == '\n' ? ' ' : c;
    }
    line_ += '"';
  } else {
    line_ += value;
  }
  return *this;
}

LogLine::~LogLine() {
  line_ += '\n';
  ssize_t ignored = ::write(STDERR_FILENO, line_.data(), line_.size());
  (void)ignored;
}

}  // namespace tarn
