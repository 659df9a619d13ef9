// Shard iterators: opaque, self-contained read positions
// (docs/kinesis.md §Shard iterators).
//
// An iterator names a stream incarnation, a shard and a log offset, and
// carries the time it was issued; it is authenticated with HMAC-SHA256
// under a key generated once per data directory (kept in the MetaStore), so
// iterators survive a restart and cannot be forged or edited. The text is
// standard base64 of:
//
//   version (1 byte, 1) | stream number (u64) | shard index (u64) |
//   offset (u64) | issued ms (i64) | HMAC-SHA256 of the above, first 16 bytes
//
// integers big-endian: 1 + 8 + 8 + 8 + 8 + 16 = 49 bytes, 68 characters.
// Iterators expire 5 minutes after they were issued (ExpiredIteratorException).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/time.h"

namespace tarn::kinesis {

struct IteratorPosition {
  uint64_t stream_number = 0;
  uint64_t shard_index = 0;
  uint64_t offset = 0;
  UnixMillis issued_ms = 0;

  friend bool operator==(const IteratorPosition&, const IteratorPosition&) = default;
};

class IteratorCodec {
 public:
  static constexpr int64_t kDefaultTtlMs = 5 * 60 * 1000;

  // key: the secret (any length; 32 random bytes in practice).
  explicit IteratorCodec(std::string key, int64_t ttl_ms = kDefaultTtlMs)
      : key_(std::move(key)), ttl_ms_(ttl_ms) {}

  std::string Encode(const IteratorPosition& position) const;

  // InvalidArgumentException "Invalid ShardIterator." when the text is not
  // an iterator this server issued (bad base64, wrong size or version, bad
  // MAC); ExpiredIteratorException when it was issued more than the TTL
  // before now (or, by clock skew, far in the future).
  Result<IteratorPosition> Decode(std::string_view text, UnixMillis now) const;

 private:
  std::string key_;
  int64_t ttl_ms_;
};

}  // namespace tarn::kinesis
