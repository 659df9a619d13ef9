#include "common/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace tarn {

struct Digest::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Digest::Digest(DigestKind kind) : impl_(std::make_unique<Impl>()) {
  const EVP_MD* md = kind == DigestKind::kMd5    ? EVP_md5()
                     : kind == DigestKind::kSha1 ? EVP_sha1()
                                                 : EVP_sha256();
  impl_->ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(impl_->ctx, md, nullptr);
}
Digest::~Digest() = default;
Digest::Digest(Digest&&) noexcept = default;
Digest& Digest::operator=(Digest&&) noexcept = default;

void Digest::Update(std::string_view data) {
  EVP_DigestUpdate(impl_->ctx, data.data(), data.size());
}

std::string Digest::Final() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

static std::string OneShot(DigestKind kind, std::string_view data) {
  Digest d(kind);
  d.Update(data);
  return d.Final();
}

std::string Md5(std::string_view data) { return OneShot(DigestKind::kMd5, data); }
std::string Sha1(std::string_view data) { return OneShot(DigestKind::kSha1, data); }
std::string Sha256(std::string_view data) { return OneShot(DigestKind::kSha256, data); }

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

uint32_t Crc32(uint32_t crc, std::string_view data) {
  // zlib takes uInt lengths; feed in 1 GiB pieces.
  const char* p = data.data();
  size_t n = data.size();
  uLong c = crc;
  while (n > 0) {
    uInt piece = static_cast<uInt>(n > (1u << 30) ? (1u << 30) : n);
    c = crc32(c, reinterpret_cast<const Bytef*>(p), piece);
    p += piece;
    n -= piece;
  }
  return static_cast<uint32_t>(c);
}

namespace {

struct Crc32cTable {
  uint32_t t[256];
  Crc32cTable() {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : (c >> 1);
      t[i] = c;
    }
  }
};

uint32_t Crc32cPortable(uint32_t crc, const unsigned char* p, size_t n) {
  static const Crc32cTable table;
  for (size_t i = 0; i < n; i++) crc = table.t[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t Crc32cHardware(uint32_t crc, const unsigned char* p,
                                                          size_t n) {
  uint64_t c = crc;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n > 0) {
    c32 = _mm_crc32_u8(c32, *p++);
    n--;
  }
  return c32;
}
#endif

}  // namespace

uint32_t Crc32c(uint32_t crc, std::string_view data) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  crc = ~crc;
#if defined(__x86_64__)
  static const bool hw = __builtin_cpu_supports("sse4.2");
  crc = hw ? Crc32cHardware(crc, p, data.size()) : Crc32cPortable(crc, p, data.size());
#else
  crc = Crc32cPortable(crc, p, data.size());
#endif
  return ~crc;
}

std::string Crc32Bytes(uint32_t crc) {
  std::string s(4, '\0');
  s[0] = static_cast<char>(crc >> 24);
  s[1] = static_cast<char>(crc >> 16);
  s[2] = static_cast<char>(crc >> 8);
  s[3] = static_cast<char>(crc);
  return s;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace tarn
