// Glob patterns over object keys, as DuckDB's file functions take them
// (read_parquet('s3://lake/events/**/*.parquet')): keys are matched segment
// by segment between '/':
//   *      any run of characters within a segment
//   ?      one character
//   [abc]  one of a class; [a-z] ranges; [!abc] or [^abc] negated
//   **     a whole segment: zero or more segments
// No DuckDB here, so it is tested with the other unit tests.
#pragma once

#include <string_view>

namespace tarn::query {

bool HasGlob(std::string_view pattern);
// The part of the pattern before its first wildcard: every matching key
// starts with it, so a listing by this prefix finds them all.
std::string_view GlobPrefix(std::string_view pattern);
bool GlobMatch(std::string_view pattern, std::string_view key);

}  // namespace tarn::query
