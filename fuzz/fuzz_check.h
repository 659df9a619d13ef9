// What the fuzz targets share: FUZZ_CHECK, and a small deterministic
// generator for the choices a target derives from its input.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

// An invariant of the code under test. On violation prints what failed and
// aborts, which libFuzzer reports as a crash and saves the input.
#define FUZZ_CHECK(cond, what)                                                                  \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n  %s\n", __FILE__, __LINE__, #cond, \
                   ::tarn::fuzz::Printable(what).c_str());                                      \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)

namespace tarn::fuzz {

// Bytes made readable for a failure message: printable ASCII as is, the
// rest as \xNN; long texts cut.
inline std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 600)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > 600) out += "...";
  return out;
}

// Where two transcripts part: the first line that differs in each, with
// its number.
inline std::string FirstDifference(std::string_view a, std::string_view b) {
  size_t line = 1, start = 0;
  for (size_t i = 0; i < a.size() && i < b.size() && a[i] == b[i]; i++) {
    if (a[i] == '\n') {
      line++;
      start = i + 1;
    }
  }
  auto line_at = [start](std::string_view s) {
    std::string_view rest = s.substr(std::min(start, s.size()));
    return std::string(rest.substr(0, std::min<size_t>(rest.find('\n'), 280)));
  };
  return "line " + std::to_string(line) + ":\n    " + Printable(line_at(a)) + "\n vs " +
         Printable(line_at(b));
}

// splitmix64 over a seed taken from the input: the same input always makes
// the same choices (so a saved crash reproduces), and every mutation of the
// input makes different ones.
class Choices {
 public:
  explicit Choices(std::string_view input) {
    uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
    for (unsigned char c : input) h = (h ^ c) * 0x100000001b3ULL;
    state_ = h;
  }
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform-ish in [lo, hi].
  size_t Between(size_t lo, size_t hi) { return lo + static_cast<size_t>(Next() % (hi - lo + 1)); }

 private:
  uint64_t state_;
};

}  // namespace tarn::fuzz
