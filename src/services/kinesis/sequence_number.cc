#include "services/kinesis/sequence_number.h"


namespace tarn::kinesis {

namespace {

constexpr std::string_view kMarker = "49";
constexpr size_t kStreamDigits = 12;
constexpr size_t kShardDigits = 12;
constexpr size_t kReservedDigits = 10;
constexpr size_t kOffsetDigits = 20;
static_assert(kMarker.size() + kStreamDigits + kShardDigits + kReservedDigits + kOffsetDigits ==
              kSequenceNumberDigits);

// v in exactly `width` digits, zero-padded (width >= the digits v needs).
// By hand: PutRecords formats 500 of these per request.
void AppendPadded(std::string& out, uint64_t v, size_t width) {
  char buf[20];
  size_t pos = width;
  while (pos > 0) {
    buf[--pos] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, width);
}

// Parses exactly s.size() digits; nullopt on a non-digit or overflow.
std::optional<uint64_t> ParseDigits(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

}  // namespace

std::string SequenceNumber::ToString() const {
  std::string out;
  out.reserve(kSequenceNumberDigits);
  out.append(kMarker);
  AppendPadded(out, stream_number, kStreamDigits);
  AppendPadded(out, shard_index, kShardDigits);
  out.append(kReservedDigits, '0');
  AppendPadded(out, offset, kOffsetDigits);
  return out;
}

std::optional<SequenceNumber> SequenceNumber::Parse(std::string_view s) {
  if (s.size() != kSequenceNumberDigits || s.substr(0, kMarker.size()) != kMarker) {
    return std::nullopt;
  }
  size_t pos = kMarker.size();
  auto stream = ParseDigits(s.substr(pos, kStreamDigits));
  pos += kStreamDigits;
  auto shard = ParseDigits(s.substr(pos, kShardDigits));
  pos += kShardDigits;
  std::string_view reserved = s.substr(pos, kReservedDigits);
  pos += kReservedDigits;
  auto offset = ParseDigits(s.substr(pos, kOffsetDigits));
  if (!stream || !shard || !offset) return std::nullopt;
  if (reserved.find_first_not_of('0') != std::string_view::npos) return std::nullopt;
  return SequenceNumber{*stream, *shard, *offset};
}

std::string ShardIdFor(uint64_t shard_index) {
  std::string out = "shardId-";
  AppendPadded(out, shard_index, 12);
  return out;
}

std::optional<uint64_t> ParseShardId(std::string_view shard_id) {
  constexpr std::string_view kPrefix = "shardId-";
  if (shard_id.substr(0, kPrefix.size()) == kPrefix) shard_id.remove_prefix(kPrefix.size());
  if (shard_id.empty() || shard_id.size() > 12) return std::nullopt;
  return ParseDigits(shard_id);
}

}  // namespace tarn::kinesis
