// HashKey: Kinesis's 128-bit hash keys, written on the wire as decimal
// strings ("0" .. "340282366920938463463374607431768211455").
//
// A record's hash key is the MD5 of its partition key read as a big-endian
// 128-bit integer, unless the producer gave an ExplicitHashKey. Each shard
// owns a closed range [StartingHashKey, EndingHashKey]; the open shards of a
// stream cover the whole space without gaps or overlaps.
//
//   HashKey::FromPartitionKey("a")  ==  MD5("a") = 0cc175b9c0f1b6a8...
//   EvenRanges(3)  ==  [0, k-1], [k, 2k-1], [2k, 2^128-1]
//                      where k = floor(2^128 / 3)
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tarn::kinesis {

class HashKey {
 public:
  using Value = unsigned __int128;

  constexpr HashKey() = default;
  constexpr explicit HashKey(Value v) : v_(v) {}
  static constexpr HashKey Max() { return HashKey(~Value{0}); }

  // Decimal without sign, leading zeros or spaces ("0|[1-9][0-9]{0,38}",
  // the model's HashKey pattern) and at most 2^128 - 1. nullopt otherwise.
  static std::optional<HashKey> Parse(std::string_view decimal);
  // The hash key of a partition key: MD5, big-endian.
  static HashKey FromPartitionKey(std::string_view partition_key);

  std::string ToString() const;  // decimal
  constexpr Value value() const { return v_; }

  friend constexpr auto operator<=>(HashKey a, HashKey b) = default;

 private:
  Value v_ = 0;
};

struct HashKeyRange {
  HashKey start;  // inclusive
  HashKey end;    // inclusive

  bool Contains(HashKey k) const { return start <= k && k <= end; }
  friend bool operator==(const HashKeyRange&, const HashKeyRange&) = default;
};

// n ranges of (nearly) equal width covering the whole space, in order, as
// AWS assigns them at CreateStream: range i starts at i * floor(2^128 / n)
// and the last one ends at 2^128 - 1. n >= 1.
std::vector<HashKeyRange> EvenRanges(uint32_t n);

}  // namespace tarn::kinesis
