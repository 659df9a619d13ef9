#include "services/kinesis/sequence_number.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace tarn::kinesis {
namespace {

TEST(SequenceNumber, Is56DigitsAndRoundTrips) {
  SequenceNumber s{42, 7, 123456789};
  std::string text = s.ToString();
  EXPECT_EQ(text.size(), 56u);
  EXPECT_EQ(text, "49000000000042000000000007000000000000000000000123456789");
  EXPECT_EQ(SequenceNumber::Parse(text), s);
  SequenceNumber max{kMaxStreamNumber, kMaxShardIndex, UINT64_MAX};
  EXPECT_EQ(SequenceNumber::Parse(max.ToString()), max);
}

TEST(SequenceNumber, StringOrderIsLogOrderWithinAShard) {
  std::vector<std::string> texts;
  for (uint64_t offset : std::vector<uint64_t>{0, 1, 9, 10, 99, 100, 123456, 1ull << 40,
                                               UINT64_MAX - 1, UINT64_MAX}) {
    texts.push_back(SequenceNumber{3, 5, offset}.ToString());
  }
  EXPECT_TRUE(std::is_sorted(texts.begin(), texts.end()));
  // Same length, so numeric order is string order too.
  for (const auto& t : texts) EXPECT_EQ(t.size(), texts[0].size());
}

TEST(SequenceNumber, ChildShardsSortAfterParents) {
  EXPECT_LT((SequenceNumber{1, 0, UINT64_MAX}.ToString()), (SequenceNumber{1, 1, 0}.ToString()));
}

TEST(SequenceNumber, RejectsForeignShapes) {
  EXPECT_FALSE(SequenceNumber::Parse(""));
  EXPECT_FALSE(SequenceNumber::Parse("0"));
  // AWS's own sequence numbers are 56 digits but carry other fields.
  EXPECT_FALSE(SequenceNumber::Parse("49590338271490256608559692538361571095921575989136588898"));
  std::string ok = SequenceNumber{1, 2, 3}.ToString();
  std::string bad = ok;
  bad[10] = 'x';
  EXPECT_FALSE(SequenceNumber::Parse(bad));
  bad = ok;
  bad[0] = '5';
  EXPECT_FALSE(SequenceNumber::Parse(bad));
  bad = ok;
  bad[30] = '1';  // the reserved field
  EXPECT_FALSE(SequenceNumber::Parse(bad));
  EXPECT_FALSE(SequenceNumber::Parse(ok + "0"));
  // An offset above 2^64 - 1.
  std::string big = ok.substr(0, 36) + "99999999999999999999";
  EXPECT_FALSE(SequenceNumber::Parse(big));
}

TEST(ShardId, FormatsAndParses) {
  EXPECT_EQ(ShardIdFor(0), "shardId-000000000000");
  EXPECT_EQ(ShardIdFor(12), "shardId-000000000012");
  EXPECT_EQ(ParseShardId("shardId-000000000012"), 12u);
  EXPECT_EQ(ParseShardId("000000000012"), 12u);
  EXPECT_EQ(ParseShardId("12"), 12u);
  EXPECT_FALSE(ParseShardId("shardId-"));
  EXPECT_FALSE(ParseShardId("shardId-x"));
  EXPECT_FALSE(ParseShardId("shard-000000000001"));
  EXPECT_FALSE(ParseShardId("shardId-0000000000001"));
}

}  // namespace
}  // namespace tarn::kinesis
