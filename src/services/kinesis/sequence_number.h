// Sequence numbers: how a record's position in a shard's log is written on
// the wire (docs/kinesis.md §Sequence numbers).
//
// AWS's sequence numbers are decimal strings of about 56 digits that clients
// compare as big integers. tarn's are exactly 56 digits:
//
//   49 SSSSSSSSSSSS IIIIIIIIIIII 0000000000 OOOOOOOOOOOOOOOOOOOO
//   |  |            |            |          offset in the shard's log (20)
//   |  |            |            reserved, zero (10)
//   |  |            shard index (12; shardId-000000000007 -> 7)
//   |  stream number (12; unique per stream ever created on this server)
//   format marker "49"
//
// Every field is fixed-width, so within one shard numeric order, string
// order and log order are the same, and a sequence number maps back to its
// log offset without any lookup. A child shard's index is larger than its
// parents', so its sequence numbers are larger too. A sequence number from
// another stream (even a deleted one of the same name) or another shard is
// recognized as such.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tarn::kinesis {

constexpr size_t kSequenceNumberDigits = 56;
constexpr uint64_t kMaxStreamNumber = 999'999'999'999;
constexpr uint64_t kMaxShardIndex = 999'999'999'999;

struct SequenceNumber {
  uint64_t stream_number = 0;
  uint64_t shard_index = 0;
  uint64_t offset = 0;

  // 56 decimal digits. stream_number and shard_index must be at most 12
  // digits (kMaxStreamNumber, kMaxShardIndex).
  std::string ToString() const;
  // nullopt unless s is a sequence number in the format above.
  static std::optional<SequenceNumber> Parse(std::string_view s);

  friend bool operator==(const SequenceNumber&, const SequenceNumber&) = default;
};

// "shardId-000000000007" <-> 7 (12 digits, as AWS writes shard ids).
std::string ShardIdFor(uint64_t shard_index);
// Accepts "shardId-<digits>" and, as AWS does, the bare "<digits>" form.
std::optional<uint64_t> ParseShardId(std::string_view shard_id);

}  // namespace tarn::kinesis
