#include "services/kinesis/reshard.h"

#include <algorithm>

namespace tarn::kinesis {

ReshardPlan PlanSplit(const ShardSpan& parent, HashKey new_start, uint64_t next_index) {
  ReshardPlan plan;
  HashKey left_end(new_start.value() - 1);
  plan.created.push_back({next_index, {parent.range.start, left_end}, parent.index, std::nullopt});
  plan.created.push_back({next_index + 1, {new_start, parent.range.end}, parent.index, std::nullopt});
  plan.closed.push_back(parent.index);
  plan.next_index = next_index + 2;
  return plan;
}

bool Adjacent(const HashKeyRange& a, const HashKeyRange& b) {
  auto touches = [](const HashKeyRange& lo, const HashKeyRange& hi) {
    return lo.end != HashKey::Max() && HashKey(lo.end.value() + 1) == hi.start;
  };
  return touches(a, b) || touches(b, a);
}

ReshardPlan PlanMerge(const ShardSpan& shard, const ShardSpan& adjacent, uint64_t next_index) {
  ReshardPlan plan;
  HashKeyRange merged{std::min(shard.range.start, adjacent.range.start),
                      std::max(shard.range.end, adjacent.range.end)};
  plan.created.push_back({next_index, merged, shard.index, adjacent.index});
  plan.closed.push_back(shard.index);
  plan.closed.push_back(adjacent.index);
  plan.next_index = next_index + 1;
  return plan;
}

ReshardPlan PlanUniformScaling(std::vector<ShardSpan> open, uint32_t target, uint64_t next_index) {
  ReshardPlan plan;
  plan.next_index = next_index;
  std::sort(open.begin(), open.end(),
            [](const ShardSpan& a, const ShardSpan& b) { return a.range.start < b.range.start; });
  const std::vector<HashKeyRange> goal = EvenRanges(target);

  // 1. Split at every goal boundary that falls strictly inside a shard.
  std::vector<ShardSpan> pieces;
  for (const ShardSpan& shard : open) {
    ShardSpan current = shard;
    for (size_t g = 1; g < goal.size(); ++g) {
      HashKey b = goal[g].start;
      if (b <= current.range.start || b > current.range.end) continue;
      ReshardPlan split = PlanSplit(current, b, plan.next_index);
      plan.next_index = split.next_index;
      plan.closed.push_back(current.index);
      plan.created.push_back(split.created[0]);
      plan.created.push_back(split.created[1]);
      pieces.push_back({split.created[0].index, split.created[0].range});
      current = {split.created[1].index, split.created[1].range};
    }
    pieces.push_back(current);
  }

  // 2. Merge the pieces inside each goal range, left to right.
  size_t p = 0;
  for (const HashKeyRange& range : goal) {
    ShardSpan acc = pieces[p++];
    while (p < pieces.size() && pieces[p].range.end <= range.end) {
      ReshardPlan merge = PlanMerge(acc, pieces[p], plan.next_index);
      plan.next_index = merge.next_index;
      plan.closed.push_back(acc.index);
      plan.closed.push_back(pieces[p].index);
      plan.created.push_back(merge.created[0]);
      acc = {merge.created[0].index, merge.created[0].range};
      ++p;
    }
  }
  return plan;
}

}  // namespace tarn::kinesis
