// Resharding plans: which shards a SplitShard, MergeShards or
// UpdateShardCount creates and closes, with their lineage. Pure functions;
// KinesisService applies a plan atomically.
//
// Lineage rules (as AWS): a split closes one parent and creates two children
// whose ParentShardId is the parent; a merge closes two adjacent parents and
// creates one child with ParentShardId = ShardToMerge and
// AdjacentParentShardId = AdjacentShardToMerge. A shard has at most two
// parents, and every child's range is the union of its parents' pieces, so
// reading parents to their end before children keeps per-key order.
//
// UpdateShardCount (UNIFORM_SCALING) to n shards is a sequence of those
// steps: first every open shard that contains one of the n even boundaries
// is split there (repeatedly, left to right), then the pieces inside each
// target range are merged left to right. Intermediate shards are created
// and closed in the same plan (they hold no records). Example, 3 -> 2:
//
//   open:   0 [0, a)   1 [a, 2a)   2 [2a, max]          a = 2^128/3
//   split:  1 at b = 2^128/2  ->  3 [a, b)  4 [b, 2a)    (1 closed)
//   merge:  0 + 3 -> 5 [0, b)    4 + 2 -> 6 [b, max]     (0, 3, 4, 2 closed)
//   open:   5, 6
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "services/kinesis/hash_key.h"

namespace tarn::kinesis {

struct ShardSpan {
  uint64_t index = 0;
  HashKeyRange range;
};

struct PlannedShard {
  uint64_t index = 0;
  HashKeyRange range;
  std::optional<uint64_t> parent;
  std::optional<uint64_t> adjacent_parent;
};

struct ReshardPlan {
  std::vector<PlannedShard> created;  // in index order
  std::vector<uint64_t> closed;       // existing and intermediate shards
  uint64_t next_index = 0;            // the stream's next free shard index
};

// Splits parent at new_start: [start, new_start - 1] and [new_start, end].
// The caller has checked start < new_start <= end.
ReshardPlan PlanSplit(const ShardSpan& parent, HashKey new_start, uint64_t next_index);

// Merges two adjacent shards (either order); the caller has checked that
// their ranges touch.
ReshardPlan PlanMerge(const ShardSpan& shard, const ShardSpan& adjacent, uint64_t next_index);

// Whether two ranges touch without overlapping (a's end + 1 == b's start or
// the other way round).
bool Adjacent(const HashKeyRange& a, const HashKeyRange& b);

// Rescales the open shards (covering the whole space) to target even
// ranges. A plan with nothing created when they already are those ranges.
ReshardPlan PlanUniformScaling(std::vector<ShardSpan> open, uint32_t target, uint64_t next_index);

}  // namespace tarn::kinesis
