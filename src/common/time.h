// Wall-clock time behind an interface (so tests can move it), and the time
// formats AWS protocols use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tarn {

// Milliseconds since the Unix epoch, UTC.
using UnixMillis = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixMillis Now() const = 0;
  // The process-wide real clock. Belongs to tarn; never delete it.
  static Clock* Real();
};

// A clock that stands still until told to move. Thread-compatible.
class ManualClock : public Clock {
 public:
  explicit ManualClock(UnixMillis now) : now_(now) {}
  UnixMillis Now() const override { return now_; }
  void Set(UnixMillis now) { now_ = now; }
  void Advance(int64_t ms) { now_ += ms; }

 private:
  UnixMillis now_;
};

// 20150830T123600Z (SigV4's X-Amz-Date).
std::string FormatAmzDate(UnixMillis t);
std::optional<UnixMillis> ParseAmzDate(std::string_view s);
// 2015-08-30T12:36:00.000Z (S3 XML timestamps).
std::string FormatIso8601(UnixMillis t);
// Accepts 2015-08-30T12:36:00Z, with optional fraction, and the basic form.
std::optional<UnixMillis> ParseIso8601(std::string_view s);
// Sun, 30 Aug 2015 12:36:00 GMT (HTTP Date, Last-Modified).
std::string FormatHttpDate(UnixMillis t);
// RFC 1123, RFC 850 and asctime forms, as HTTP requires.
std::optional<UnixMillis> ParseHttpDate(std::string_view s);

}  // namespace tarn
