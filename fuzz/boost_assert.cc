// BOOST_ASSERT in the fuzz build (TARN_FUZZ defines BOOST_ENABLE_ASSERT_HANDLER):
// every failed assertion aborts, so libFuzzer reports it, except one known
// false assertion in Beast 1.81 (Debian 12), where the code right after it
// is correct: basic_parser::parse_chunk_header asserts n >= 5 when a final
// chunk ("0\r\n") that came in pieces is looked at again, but without a
// CRLF from a previous chunk 3 or 4 bytes are valid. Fixed upstream in
// boostorg/beast#2861 (Boost 1.86); tarn's release builds (NDEBUG) never
// check it.
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace boost {

void assertion_failed(char const* expr, char const* function, char const* file, long line) {
  if (std::string_view(expr) == "n >= 5" &&
      std::string_view(file).ends_with("beast/http/impl/basic_parser.ipp") &&
      std::string_view(function).find("parse_chunk_header") != std::string_view::npos) {
    return;
  }
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed.\n", file, line, function, expr);
  std::abort();
}

void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file,
                          long line) {
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed: %s\n", file, line, function, expr, msg);
  std::abort();
}

}  // namespace boost
