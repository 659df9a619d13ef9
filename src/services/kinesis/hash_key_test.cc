#include "services/kinesis/hash_key.h"

#include <gtest/gtest.h>

namespace tarn::kinesis {
namespace {

constexpr const char* kMax = "340282366920938463463374607431768211455";

TEST(HashKey, ParsesAndFormatsTheWholeRange) {
  EXPECT_EQ(HashKey::Parse("0")->ToString(), "0");
  EXPECT_EQ(HashKey::Parse("1")->ToString(), "1");
  EXPECT_EQ(HashKey::Parse(kMax)->ToString(), kMax);
  EXPECT_EQ(*HashKey::Parse(kMax), HashKey::Max());
  EXPECT_EQ(HashKey::Parse("18446744073709551616")->value(),
            static_cast<HashKey::Value>(1) << 64);
}

TEST(HashKey, RejectsWhatThePatternForbids) {
  EXPECT_FALSE(HashKey::Parse(""));
  EXPECT_FALSE(HashKey::Parse("00"));
  EXPECT_FALSE(HashKey::Parse("01"));
  EXPECT_FALSE(HashKey::Parse("-1"));
  EXPECT_FALSE(HashKey::Parse("+1"));
  EXPECT_FALSE(HashKey::Parse(" 1"));
  EXPECT_FALSE(HashKey::Parse("1.0"));
  EXPECT_FALSE(HashKey::Parse("340282366920938463463374607431768211456"));  // 2^128
  EXPECT_FALSE(HashKey::Parse("999999999999999999999999999999999999999"));
  EXPECT_FALSE(HashKey::Parse("1000000000000000000000000000000000000000"));  // 40 digits
}

TEST(HashKey, ComparesNumerically) {
  EXPECT_LT(*HashKey::Parse("9"), *HashKey::Parse("10"));
  EXPECT_LT(*HashKey::Parse("170141183460469231731687303715884105727"),
            *HashKey::Parse("170141183460469231731687303715884105728"));
}

TEST(HashKey, PartitionKeyIsBigEndianMd5) {
  // MD5("a") = 0cc175b9c0f1b6a831c399e269772661
  HashKey k = HashKey::FromPartitionKey("a");
  EXPECT_EQ(k.ToString(), "16955237001963240173058271559858726497");
  // MD5("") = d41d8cd98f00b204e9800998ecf8427e
  EXPECT_EQ(HashKey::FromPartitionKey("").ToString(), "281949768489412648962353822266799178366");
}

TEST(EvenRanges, OneShardCoversEverything) {
  auto r = EvenRanges(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].start.ToString(), "0");
  EXPECT_EQ(r[0].end.ToString(), kMax);
}

TEST(EvenRanges, MatchAwsForTwoAndThree) {
  auto two = EvenRanges(2);
  EXPECT_EQ(two[0].end.ToString(), "170141183460469231731687303715884105727");
  EXPECT_EQ(two[1].start.ToString(), "170141183460469231731687303715884105728");
  EXPECT_EQ(two[1].end.ToString(), kMax);
  auto three = EvenRanges(3);
  EXPECT_EQ(three[0].end.ToString(), "113427455640312821154458202477256070484");
  EXPECT_EQ(three[1].start.ToString(), "113427455640312821154458202477256070485");
  EXPECT_EQ(three[1].end.ToString(), "226854911280625642308916404954512140969");
  EXPECT_EQ(three[2].start.ToString(), "226854911280625642308916404954512140970");
  EXPECT_EQ(three[2].end.ToString(), kMax);
}

TEST(EvenRanges, AreContiguousAndCoverTheSpace) {
  for (uint32_t n : {1u, 2u, 3u, 4u, 7u, 8u, 100u, 1000u}) {
    auto r = EvenRanges(n);
    ASSERT_EQ(r.size(), n);
    EXPECT_EQ(r.front().start, HashKey(0));
    EXPECT_EQ(r.back().end, HashKey::Max());
    for (size_t i = 1; i < r.size(); ++i) {
      EXPECT_EQ(r[i].start.value(), r[i - 1].end.value() + 1) << "n=" << n << " i=" << i;
      EXPECT_LT(r[i].start, r[i].end);
    }
  }
}

TEST(EvenRanges, ShardSelectionByPartitionKeyIsInRange) {
  auto ranges = EvenRanges(8);
  std::vector<int> counts(8);
  for (int i = 0; i < 8000; ++i) {
    HashKey k = HashKey::FromPartitionKey("key-" + std::to_string(i));
    int hits = 0;
    for (size_t s = 0; s < ranges.size(); ++s) {
      if (ranges[s].Contains(k)) {
        ++hits;
        ++counts[s];
      }
    }
    EXPECT_EQ(hits, 1);
  }
  for (int c : counts) EXPECT_GT(c, 800);  // roughly even: 1,000 expected
}

}  // namespace
}  // namespace tarn::kinesis
