#include "common/time.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace tarn {

namespace {

class RealClock : public Clock {
 public:
  UnixMillis Now() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

std::tm ToTm(UnixMillis t) {
  time_t secs = static_cast<time_t>(t >= 0 ? t / 1000 : (t - 999) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

// Years 0000-9999, the four digits every format here has: beyond them the
// milliseconds would overflow int64.
std::optional<UnixMillis> FromTm(std::tm tm, int millis) {
  if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900 || tm.tm_mon < 0 || tm.tm_mon > 11 ||
      tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
      tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  time_t secs = timegm(&tm);
  if (secs == static_cast<time_t>(-1)) return std::nullopt;
  return static_cast<UnixMillis>(secs) * 1000 + millis;
}

constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int MonthIndex(std::string_view m) {
  for (int i = 0; i < 12; i++) {
    if (m == kMonths[i]) return i;
  }
  return -1;
}

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

int Num(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

}  // namespace

Clock* Clock::Real() {
  static RealClock clock;
  return &clock;
}

std::string FormatAmzDate(UnixMillis t) {
  std::tm tm = ToTm(t);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::optional<UnixMillis> ParseAmzDate(std::string_view s) {
  // YYYYMMDDTHHMMSSZ
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  if (!AllDigits(s.substr(0, 8)) || !AllDigits(s.substr(9, 6))) return std::nullopt;
  std::tm tm{};
  tm.tm_year = Num(s.substr(0, 4)) - 1900;
  tm.tm_mon = Num(s.substr(4, 2)) - 1;
  tm.tm_mday = Num(s.substr(6, 2));
  tm.tm_hour = Num(s.substr(9, 2));
  tm.tm_min = Num(s.substr(11, 2));
  tm.tm_sec = Num(s.substr(13, 2));
  return FromTm(tm, 0);
}

std::string FormatIso8601(UnixMillis t) {
  std::tm tm = ToTm(t);
  int ms = static_cast<int>(((t % 1000) + 1000) % 1000);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

std::optional<UnixMillis> ParseIso8601(std::string_view s) {
  if (s.size() == 16 && s[8] == 'T') return ParseAmzDate(s);
  // YYYY-MM-DDTHH:MM:SS[.fff...](Z|+00:00)
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  if (!AllDigits(s.substr(0, 4)) || !AllDigits(s.substr(5, 2)) || !AllDigits(s.substr(8, 2)) ||
      !AllDigits(s.substr(11, 2)) || !AllDigits(s.substr(14, 2)) || !AllDigits(s.substr(17, 2))) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = Num(s.substr(0, 4)) - 1900;
  tm.tm_mon = Num(s.substr(5, 2)) - 1;
  tm.tm_mday = Num(s.substr(8, 2));
  tm.tm_hour = Num(s.substr(11, 2));
  tm.tm_min = Num(s.substr(14, 2));
  tm.tm_sec = Num(s.substr(17, 2));
  std::string_view rest = s.substr(19);
  int millis = 0;
  if (!rest.empty() && rest[0] == '.') {
    size_t n = 1;
    int scale = 100;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') {
      millis += (rest[n] - '0') * scale;
      scale /= 10;
      n++;
    }
    if (n == 1) return std::nullopt;
    rest = rest.substr(n);
  }
  if (rest != "Z" && rest != "z" && rest != "+00:00") return std::nullopt;
  return FromTm(tm, millis);
}

std::string FormatHttpDate(UnixMillis t) {
  std::tm tm = ToTm(t);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::optional<UnixMillis> ParseHttpDate(std::string_view s) {
  char wday[16] = {}, mon[8] = {}, tz[8] = {};
  int day = 0, year = 0, h = 0, m = 0, sec = 0;
  std::string str(s);
  std::tm tm{};
  // RFC 1123: Sun, 06 Nov 1994 08:49:37 GMT
  if (std::sscanf(str.c_str(), "%15[A-Za-z], %d %3s %d %d:%d:%d %7s", wday, &day, mon, &year, &h,
                  &m, &sec, tz) == 8) {
    // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
  } else if (std::sscanf(str.c_str(), "%15[A-Za-z], %d-%3s-%d %d:%d:%d %7s", wday, &day, mon, &year,
                         &h, &m, &sec, tz) == 8) {
    year += year < 70 ? 2000 : (year < 100 ? 1900 : 0);
    // asctime: Sun Nov  6 08:49:37 1994
  } else if (std::sscanf(str.c_str(), "%15s %3s %d %d:%d:%d %d", wday, mon, &day, &h, &m, &sec,
                         &year) == 7) {
    std::strcpy(tz, "GMT");
  } else {
    return std::nullopt;
  }
  if (std::strcmp(tz, "GMT") != 0 && std::strcmp(tz, "UTC") != 0) return std::nullopt;
  int mi = MonthIndex(mon);
  if (mi < 0 || year < 0 || year > 9999) return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = mi;
  tm.tm_mday = day;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  return FromTm(tm, 0);
}

}  // namespace tarn
