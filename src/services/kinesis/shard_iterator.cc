#include "services/kinesis/shard_iterator.h"

#include "common/encoding.h"
#include "common/hash.h"

namespace tarn::kinesis {

namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kBodyBytes = 1 + 8 + 8 + 8 + 8;
constexpr size_t kMacBytes = 16;

void PutU64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

uint64_t GetU64(std::string_view in) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

Status Invalid() { return InvalidArgument("Invalid ShardIterator.", "InvalidArgumentException"); }

// "Thu Jan 22 01:22:02 UTC 2015", the form AWS's expiry message uses.
std::string AmzUtc(UnixMillis t) {
  std::string http = FormatHttpDate(t);  // "Thu, 22 Jan 2015 01:22:02 GMT"
  // day-of-week, day, month, year, time
  auto parts = Split(http, ' ');
  if (parts.size() != 6) return http;
  std::string dow(parts[0].substr(0, 3));
  return dow + " " + std::string(parts[2]) + " " + std::string(parts[1]) + " " +
         std::string(parts[4]) + " UTC " + std::string(parts[3]);
}

}  // namespace

std::string IteratorCodec::Encode(const IteratorPosition& p) const {
  std::string body;
  body.reserve(kBodyBytes + kMacBytes);
  body.push_back(static_cast<char>(kVersion));
  PutU64(body, p.stream_number);
  PutU64(body, p.shard_index);
  PutU64(body, p.offset);
  PutU64(body, static_cast<uint64_t>(p.issued_ms));
  std::string mac = HmacSha256(key_, body);
  body.append(mac, 0, kMacBytes);
  return Base64Encode(body);
}

Result<IteratorPosition> IteratorCodec::Decode(std::string_view text, UnixMillis now) const {
  std::optional<std::string> raw = Base64Decode(text);
  if (!raw || raw->size() != kBodyBytes + kMacBytes) return Invalid();
  std::string_view bytes(*raw);
  if (static_cast<uint8_t>(bytes[0]) != kVersion) return Invalid();
  std::string mac = HmacSha256(key_, bytes.substr(0, kBodyBytes));
  if (!ConstantTimeEquals(std::string_view(mac).substr(0, kMacBytes),
                          bytes.substr(kBodyBytes, kMacBytes))) {
    return Invalid();
  }
  IteratorPosition p;
  p.stream_number = GetU64(bytes.substr(1));
  p.shard_index = GetU64(bytes.substr(9));
  p.offset = GetU64(bytes.substr(17));
  p.issued_ms = static_cast<int64_t>(GetU64(bytes.substr(25)));
  // A clock that stepped back a little is tolerated; one iterator "from the
  // future" by more than the TTL is treated as expired like AWS treats skew.
  if (now - p.issued_ms > ttl_ms_ || p.issued_ms - now > ttl_ms_) {
    return Status(Code::kFailedPrecondition,
                  "Iterator expired. The iterator was created at time " + AmzUtc(p.issued_ms) +
                      " while right now it is " + AmzUtc(now) +
                      " which is further in the future than the tolerated delay of " +
                      std::to_string(ttl_ms_) + " milliseconds.",
                  "ExpiredIteratorException");
  }
  return p;
}

}  // namespace tarn::kinesis
