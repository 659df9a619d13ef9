#include "common/ids.h"

#include <openssl/rand.h>

#include <cstdlib>

#include "common/encoding.h"

namespace tarn {

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::abort();  // no entropy means no safe ids or keys; nothing sensible to continue with
  }
  return out;
}

std::string RandomHex(size_t n_bytes) { return HexEncode(RandomBytes(n_bytes)); }

static std::string FromAlphabet(size_t n, std::string_view alphabet) {
  std::string raw = RandomBytes(n);
  std::string out(n, '\0');
  // 256 is not a multiple of 36 or 64 for every alphabet; the small bias
  // is irrelevant for identifiers but we reject to keep secrets uniform.
  size_t limit = 256 - (256 % alphabet.size());
  for (size_t i = 0; i < n; i++) {
    auto b = static_cast<unsigned char>(raw[i]);
    while (b >= limit) b = static_cast<unsigned char>(RandomBytes(1)[0]);
    out[i] = alphabet[b % alphabet.size()];
  }
  return out;
}

std::string RandomUpperAlnum(size_t n) {
  return FromAlphabet(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
}

std::string RandomSecret(size_t n) {
  return FromAlphabet(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
}

std::string NewRequestId() {
  std::string hex = RandomHex(8);
  for (char& c : hex) {
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  }
  return hex;
}

}  // namespace tarn
