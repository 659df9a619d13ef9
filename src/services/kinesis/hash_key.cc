#include "services/kinesis/hash_key.h"

#include <algorithm>

#include "common/hash.h"

namespace tarn::kinesis {

std::optional<HashKey> HashKey::Parse(std::string_view s) {
  // 2^128 - 1 has 39 digits; the pattern forbids leading zeros except "0".
  if (s.empty() || s.size() > 39) return std::nullopt;
  if (s.size() > 1 && s[0] == '0') return std::nullopt;
  const Value kMax = ~Value{0};
  Value v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    Value d = static_cast<Value>(c - '0');
    if (v > (kMax - d) / 10) return std::nullopt;  // v * 10 + d would overflow
    v = v * 10 + d;
  }
  return HashKey(v);
}

HashKey HashKey::FromPartitionKey(std::string_view partition_key) {
  std::string digest = Md5(partition_key);
  Value v = 0;
  for (unsigned char c : digest) v = (v << 8) | c;
  return HashKey(v);
}

std::string HashKey::ToString() const {
  if (v_ == 0) return "0";
  char buf[40];
  int pos = 40;
  Value v = v_;
  while (v != 0) {
    buf[--pos] = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  }
  return std::string(buf + pos, buf + 40);
}

std::vector<HashKeyRange> EvenRanges(uint32_t n) {
  std::vector<HashKeyRange> out;
  if (n == 0) return out;
  const HashKey::Value kMax = ~HashKey::Value{0};
  // floor(2^128 / n) from floor((2^128 - 1) / n): they differ by one exactly
  // when n divides 2^128, i.e. when (2^128 - 1) mod n == n - 1.
  HashKey::Value step = kMax / n;
  if (kMax % n == n - 1) step += 1;
  out.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    HashKey::Value start = step * i;
    HashKey::Value end = (i + 1 == n) ? kMax : step * (i + 1) - 1;
    out.push_back(HashKeyRange{HashKey(start), HashKey(end)});
  }
  return out;
}

}  // namespace tarn::kinesis
