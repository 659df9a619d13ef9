#include "services/kinesis/reshard.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace tarn::kinesis {
namespace {

std::vector<ShardSpan> Initial(uint32_t n) {
  std::vector<ShardSpan> out;
  auto ranges = EvenRanges(n);
  for (uint32_t i = 0; i < n; ++i) out.push_back({i, ranges[i]});
  return out;
}

// Applies a plan to a set of shards; returns the open ones after it, and
// checks lineage invariants on the way.
std::vector<ShardSpan> Apply(std::map<uint64_t, ShardSpan>& all, std::set<uint64_t>& open,
                             const ReshardPlan& plan) {
  for (const PlannedShard& c : plan.created) {
    EXPECT_FALSE(all.count(c.index)) << "index reused: " << c.index;
    EXPECT_TRUE(c.parent.has_value());
    // The child's range is covered by its parents' ranges.
    HashKeyRange p = all.at(*c.parent).range;
    if (c.adjacent_parent) {
      HashKeyRange a = all.at(*c.adjacent_parent).range;
      EXPECT_TRUE(Adjacent(p, a));
      p = {std::min(p.start, a.start), std::max(p.end, a.end)};
    }
    EXPECT_LE(p.start, c.range.start);
    EXPECT_GE(p.end, c.range.end);
    all[c.index] = {c.index, c.range};
    open.insert(c.index);
  }
  for (uint64_t i : plan.closed) {
    EXPECT_TRUE(open.count(i)) << "closing a closed shard " << i;
    open.erase(i);
  }
  std::vector<ShardSpan> out;
  for (uint64_t i : open) out.push_back(all.at(i));
  std::sort(out.begin(), out.end(),
            [](const ShardSpan& a, const ShardSpan& b) { return a.range.start < b.range.start; });
  return out;
}

TEST(Reshard, SplitMakesTwoChildrenOfOneParent) {
  auto shards = Initial(1);
  HashKey mid(static_cast<HashKey::Value>(1) << 127);
  ReshardPlan plan = PlanSplit(shards[0], mid, 1);
  ASSERT_EQ(plan.created.size(), 2u);
  EXPECT_EQ(plan.created[0].index, 1u);
  EXPECT_EQ(plan.created[1].index, 2u);
  EXPECT_EQ(plan.created[0].range.end.value() + 1, mid.value());
  EXPECT_EQ(plan.created[1].range.start, mid);
  EXPECT_EQ(plan.created[0].parent, 0u);
  EXPECT_FALSE(plan.created[0].adjacent_parent);
  EXPECT_EQ(plan.closed, std::vector<uint64_t>{0});
  EXPECT_EQ(plan.next_index, 3u);
}

TEST(Reshard, MergeNamesBothParents) {
  auto shards = Initial(2);
  ReshardPlan plan = PlanMerge(shards[1], shards[0], 2);
  ASSERT_EQ(plan.created.size(), 1u);
  EXPECT_EQ(plan.created[0].parent, 1u);
  EXPECT_EQ(plan.created[0].adjacent_parent, 0u);
  EXPECT_EQ(plan.created[0].range.start, HashKey(0));
  EXPECT_EQ(plan.created[0].range.end, HashKey::Max());
}

TEST(Reshard, AdjacencyNeedsTouchingRanges) {
  auto shards = Initial(3);
  EXPECT_TRUE(Adjacent(shards[0].range, shards[1].range));
  EXPECT_TRUE(Adjacent(shards[2].range, shards[1].range));
  EXPECT_FALSE(Adjacent(shards[0].range, shards[2].range));
  EXPECT_FALSE(Adjacent(shards[0].range, shards[0].range));
}

TEST(Reshard, UniformScalingReachesEvenRangesWithValidLineage) {
  for (uint32_t from = 1; from <= 9; ++from) {
    for (uint32_t to = (from + 1) / 2; to <= 2 * from; ++to) {
      std::map<uint64_t, ShardSpan> all;
      std::set<uint64_t> open;
      for (const ShardSpan& s : Initial(from)) {
        all[s.index] = s;
        open.insert(s.index);
      }
      ReshardPlan plan = PlanUniformScaling(Initial(from), to, from);
      auto result = Apply(all, open, plan);
      auto goal = EvenRanges(to);
      ASSERT_EQ(result.size(), goal.size()) << from << " -> " << to;
      for (size_t i = 0; i < goal.size(); ++i) EXPECT_EQ(result[i].range, goal[i]);
      EXPECT_EQ(plan.created.empty(), from == to);
    }
  }
}

TEST(Reshard, UniformScalingFromUnevenShards) {
  // 2 shards, the first split unevenly: [0, 2^120), [2^120, 2^127), [2^127, max].
  std::map<uint64_t, ShardSpan> all;
  std::set<uint64_t> open;
  for (const ShardSpan& s : Initial(2)) {
    all[s.index] = s;
    open.insert(s.index);
  }
  auto shards = Apply(all, open, PlanSplit(all[0], HashKey(static_cast<HashKey::Value>(1) << 120), 2));
  ASSERT_EQ(shards.size(), 3u);
  ReshardPlan plan = PlanUniformScaling(shards, 2, 4);
  auto result = Apply(all, open, plan);
  auto goal = EvenRanges(2);
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(result[0].range, goal[0]);
  EXPECT_EQ(result[1].range, goal[1]);
}

}  // namespace
}  // namespace tarn::kinesis
