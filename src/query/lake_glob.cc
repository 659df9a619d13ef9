#include "query/lake_glob.h"

#include <algorithm>
#include <vector>

namespace tarn::query {

namespace {

std::vector<std::string_view> Segments(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t slash = s.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, slash - start));
    start = slash + 1;
  }
}

// Matches the class starting at p[i] ('[') against c; *end is the index
// after ']'. A class without its ']' is a literal '['.
bool MatchClass(std::string_view p, size_t i, char c, size_t* end, bool* is_class) {
  size_t j = i + 1;
  bool negate = j < p.size() && (p[j] == '!' || p[j] == '^');
  if (negate) ++j;
  const size_t first = j;
  bool hit = false;
  for (; j < p.size() && (p[j] != ']' || j == first); ++j) {
    if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
      hit |= p[j] <= c && c <= p[j + 2];
      j += 2;
    } else {
      hit |= p[j] == c;
    }
  }
  if (j >= p.size()) {
    *is_class = false;
    return false;
  }
  *is_class = true;
  *end = j + 1;
  return hit != negate;
}

// One segment against one pattern segment (no '/').
bool MatchSegment(std::string_view p, std::string_view s) {
  size_t pi = 0, si = 0;
  size_t star = std::string_view::npos, star_s = 0;  // the last '*' to backtrack to
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      star_s = si;
      continue;
    }
    if (pi < p.size()) {
      if (p[pi] == '?') {
        ++pi;
        ++si;
        continue;
      }
      if (p[pi] == '[') {
        size_t end = 0;
        bool is_class = false;
        bool hit = MatchClass(p, pi, s[si], &end, &is_class);
        if (is_class && hit) {
          pi = end;
          ++si;
          continue;
        }
        if (!is_class && s[si] == '[') {
          ++pi;
          ++si;
          continue;
        }
      } else if (p[pi] == s[si]) {
        ++pi;
        ++si;
        continue;
      }
    }
    if (star == std::string_view::npos) return false;
    pi = star + 1;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

bool MatchFrom(const std::vector<std::string_view>& p, size_t pi,
               const std::vector<std::string_view>& k, size_t ki) {
  while (pi < p.size()) {
    if (p[pi] == "**") {
      // Zero or more whole segments: try each split, shortest first.
      for (size_t skip = ki; skip <= k.size(); ++skip) {
        if (MatchFrom(p, pi + 1, k, skip)) return true;
      }
      return false;
    }
    if (ki == k.size() || !MatchSegment(p[pi], k[ki])) return false;
    ++pi;
    ++ki;
  }
  return ki == k.size();
}

}  // namespace

bool HasGlob(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

std::string_view GlobPrefix(std::string_view pattern) {
  return pattern.substr(0, std::min(pattern.find_first_of("*?["), pattern.size()));
}

bool GlobMatch(std::string_view pattern, std::string_view key) {
  return MatchFrom(Segments(pattern), 0, Segments(key), 0);
}

}  // namespace tarn::query
