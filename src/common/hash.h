// Digests and checksums used on the wire and on disk.
//
// Incremental hashers (Md5, Sha1, Sha256) wrap OpenSSL's EVP interface;
// Crc32 is zlib's (IEEE), Crc32c is Castagnoli with SSE4.2 when the CPU has
// it. All are single-threaded objects: one per stream.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace tarn {

enum class DigestKind { kMd5, kSha1, kSha256 };

// An incremental message digest. Update() any number of times, then Final()
// once; Final() returns the raw digest bytes.
class Digest {
 public:
  explicit Digest(DigestKind kind);
  ~Digest();
  Digest(Digest&&) noexcept;
  Digest& operator=(Digest&&) noexcept;
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;

  void Update(std::string_view data);
  void Update(std::span<const uint8_t> data) {
    Update(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
  }
  std::string Final();  // raw bytes (16, 20 or 32)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string Md5(std::string_view data);                               // raw 16 bytes
std::string Sha1(std::string_view data);                              // raw 20 bytes
std::string Sha256(std::string_view data);                            // raw 32 bytes
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32

// CRC-32 (IEEE 802.3, as zlib and S3's x-amz-checksum-crc32).
uint32_t Crc32(uint32_t crc, std::string_view data);
// CRC-32C (Castagnoli, as S3's x-amz-checksum-crc32c and tarn's segments).
uint32_t Crc32c(uint32_t crc, std::string_view data);

// Big-endian bytes of a CRC, as S3 base64-encodes it.
std::string Crc32Bytes(uint32_t crc);

// Constant-time comparison for secrets and signatures.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace tarn
