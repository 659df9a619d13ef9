#include "services/kinesis/kinesis_service.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "services/kinesis/memory_log.h"
#include "services/kinesis/sequence_number.h"
#include "storage/test_temp_dir.h"

namespace tarn::kinesis {
namespace {

// A SegmentLog handle onto a MemoryLog that outlives it, so a "restarted"
// service finds the records its predecessor appended.
class SharedLog : public storage::SegmentLog {
 public:
  explicit SharedLog(std::shared_ptr<MemoryLog> log) : log_(std::move(log)) {}
  Result<Appended> Append(std::span<const storage::AppendRecord> r) override { return log_->Append(r); }
  Result<std::vector<storage::LogRecord>> Read(uint64_t from, size_t n, size_t b) override {
    return log_->Read(from, n, b);
  }
  uint64_t first_offset() const override { return log_->first_offset(); }
  uint64_t end_offset() const override { return log_->end_offset(); }
  Result<uint64_t> OffsetAtTime(int64_t t) override { return log_->OffsetAtTime(t); }
  Result<size_t> DeleteSegmentsBefore(int64_t c) override { return log_->DeleteSegmentsBefore(c); }
  Status Destroy() override { return log_->Destroy(); }
  Stats stats() const override { return log_->stats(); }

 private:
  std::shared_ptr<MemoryLog> log_;
};

const UnixMillis kStart = 1'700'000'000'000;

class KinesisServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open(int64_t delay_ms = 0) {
    service_.reset();
    meta_.reset();
    storage::MetaStore::Options mo;
    mo.path = dir_.Join("meta.db");
    mo.synchronous = false;
    auto meta = storage::MetaStore::Open(mo);
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    meta_ = std::move(*meta);
    ServiceOptions o;
    o.streams_dir = dir_.Join("streams");
    o.status_delay_ms = delay_ms;
    o.maintenance_interval_ms = 0;
    o.clock = &clock_;
    o.shard_limit = 50;
    o.open_log = [this](const std::string& dir) -> Result<std::unique_ptr<storage::SegmentLog>> {
      auto& log = logs_[dir];
      if (!log) log = std::make_shared<MemoryLog>(&clock_);
      storage::Env::Default()->CreateDirs(dir).ok();
      return std::unique_ptr<storage::SegmentLog>(new SharedLog(log));
    };
    service_ = std::make_unique<KinesisService>(meta_.get(), o);
    Status st = service_->Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  void Create(const std::string& name, int shards) {
    Status st = service_->CreateStream(name, shards, std::nullopt, {});
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  PutOutcome Put(const std::string& stream, const std::string& key, const std::string& data) {
    PutEntry e{key, data, std::nullopt};
    auto r = service_->PutRecords(stream, std::span<const PutEntry>(&e, 1));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->records[0] : PutOutcome{};
  }

  std::string Iterator(const std::string& stream, const std::string& shard, IteratorType type,
                       const std::string& seq = "", std::optional<UnixMillis> ts = {}) {
    auto it = service_->GetShardIterator(stream, shard, type, seq, ts);
    EXPECT_TRUE(it.ok()) << it.status().ToString();
    return it.ok() ? *it : "";
  }

  // Every record of a shard from an iterator to the end (or the tip).
  std::vector<Record> ReadAll(std::string iterator, GetRecordsResult* last = nullptr) {
    std::vector<Record> out;
    for (int i = 0; i < 1000; ++i) {
      auto r = service_->GetRecords(iterator, 3);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok()) break;
      for (auto& rec : r->records) out.push_back(rec);
      if (last) *last = *r;
      if (!r->next_iterator || r->records.empty()) break;
      iterator = *r->next_iterator;
    }
    return out;
  }

  std::vector<std::string> OpenShards(const std::string& stream) {
    ListShardsInput in;
    in.stream_name = stream;
    in.filter = ShardFilterType::kAtLatest;
    auto r = service_->ListShards(in);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> ids;
    if (r.ok()) {
      for (const auto& s : r->shards) ids.push_back(s.shard_id);
    }
    return ids;
  }

  storage::TestTempDir dir_;
  ManualClock clock_{kStart};
  std::map<std::string, std::shared_ptr<MemoryLog>> logs_;
  std::unique_ptr<storage::MetaStore> meta_;
  std::unique_ptr<KinesisService> service_;
};

TEST_F(KinesisServiceTest, CreateDescribeList) {
  Create("orders", 3);
  auto d = service_->DescribeStream("orders", "", 100);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->summary.status, StreamStatus::kActive);
  EXPECT_EQ(d->summary.arn, "arn:aws:kinesis:us-east-1:000000000000:stream/orders");
  ASSERT_EQ(d->shards.size(), 3u);
  EXPECT_EQ(d->shards[0].shard_id, "shardId-000000000000");
  EXPECT_EQ(d->shards[2].range.end, HashKey::Max());
  EXPECT_FALSE(d->shards[0].ending_sequence_number);
  EXPECT_FALSE(d->has_more_shards);

  auto page = service_->DescribeStream("orders", "shardId-000000000000", 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->shards.size(), 1u);
  EXPECT_EQ(page->shards[0].shard_id, "shardId-000000000001");
  EXPECT_TRUE(page->has_more_shards);

  Status again = service_->CreateStream("orders", 1, std::nullopt, {});
  EXPECT_EQ(again.aws_code(), "ResourceInUseException");
  EXPECT_EQ(service_->DescribeStream("nope", "", 10).status().aws_code(),
            "ResourceNotFoundException");

  Create("a-first", 1);
  auto list = service_->ListStreams("", "", 1);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->streams.size(), 1u);
  EXPECT_EQ(list->streams[0].name, "a-first");
  EXPECT_TRUE(list->has_more);
  auto rest = service_->ListStreams("", list->next_token, 10);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->streams.size(), 1u);
  EXPECT_EQ(rest->streams[0].name, "orders");
  EXPECT_FALSE(rest->has_more);
}

TEST_F(KinesisServiceTest, StatusMovesFromCreatingToActiveAfterTheDelay) {
  Open(500);
  Create("s", 1);
  EXPECT_EQ(service_->DescribeStreamSummary("s")->status, StreamStatus::kCreating);
  // Data operations see a CREATING stream as missing, as AWS does.
  EXPECT_EQ(service_->RoutePut("s", {}).status().aws_code(), "ResourceNotFoundException");
  clock_.Advance(500);
  EXPECT_EQ(service_->DescribeStreamSummary("s")->status, StreamStatus::kActive);

  ASSERT_TRUE(service_->DeleteStream("s", false).ok());
  EXPECT_EQ(service_->DescribeStreamSummary("s")->status, StreamStatus::kDeleting);
  EXPECT_EQ(service_->CreateStream("s", 1, std::nullopt, {}).aws_code(), "ResourceInUseException");
  clock_.Advance(500);
  EXPECT_EQ(service_->DescribeStreamSummary("s").status().aws_code(), "ResourceNotFoundException");
  // The name is free again, for a new incarnation.
  Create("s", 2);
  clock_.Advance(500);
  EXPECT_EQ(service_->DescribeStreamSummary("s")->open_shard_count, 2);
}

TEST_F(KinesisServiceTest, PutThenReadInOrderWithIncreasingSequenceNumbers) {
  Create("s", 1);
  std::vector<std::string> seqs;
  for (int i = 0; i < 10; ++i) {
    PutOutcome o = Put("s", "k", "v" + std::to_string(i));
    EXPECT_EQ(o.shard_id, "shardId-000000000000");
    seqs.push_back(o.sequence_number);
  }
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
  EXPECT_EQ(std::set<std::string>(seqs.begin(), seqs.end()).size(), seqs.size());

  auto records = ReadAll(Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon));
  ASSERT_EQ(records.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(records[i].data, "v" + std::to_string(i));
    EXPECT_EQ(records[i].partition_key, "k");
    EXPECT_EQ(records[i].sequence_number, seqs[i]);
    EXPECT_EQ(records[i].arrival_ms, kStart);
  }

  auto at = ReadAll(Iterator("s", "shardId-000000000000", IteratorType::kAtSequenceNumber, seqs[4]));
  ASSERT_EQ(at.size(), 6u);
  EXPECT_EQ(at[0].data, "v4");
  auto after =
      ReadAll(Iterator("s", "shardId-000000000000", IteratorType::kAfterSequenceNumber, seqs[4]));
  ASSERT_EQ(after.size(), 5u);
  EXPECT_EQ(after[0].data, "v5");

  std::string latest = Iterator("s", "shardId-000000000000", IteratorType::kLatest);
  auto none = service_->GetRecords(latest, 100);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->records.empty());
  EXPECT_EQ(none->millis_behind_latest, 0);
  ASSERT_TRUE(none->next_iterator);
  Put("s", "k", "new");
  auto fresh = service_->GetRecords(*none->next_iterator, 100);
  ASSERT_TRUE(fresh.ok());
  ASSERT_EQ(fresh->records.size(), 1u);
  EXPECT_EQ(fresh->records[0].data, "new");
}

TEST_F(KinesisServiceTest, MillisBehindLatestAndLimit) {
  Create("s", 1);
  for (int i = 0; i < 5; ++i) Put("s", "k", "x");
  clock_.Advance(7000);
  auto r = service_->GetRecords(Iterator("s", "0", IteratorType::kTrimHorizon), 2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records.size(), 2u);
  EXPECT_EQ(r->millis_behind_latest, 7000);
  auto rest = service_->GetRecords(*r->next_iterator, 100);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->records.size(), 3u);
  EXPECT_EQ(rest->millis_behind_latest, 0);
}

TEST_F(KinesisServiceTest, AtTimestamp) {
  Create("s", 1);
  Put("s", "k", "early");
  clock_.Advance(1000);
  Put("s", "k", "late");
  auto r = ReadAll(Iterator("s", "shardId-000000000000", IteratorType::kAtTimestamp, "", kStart + 500));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].data, "late");
  EXPECT_EQ(service_->GetShardIterator("s", "shardId-000000000000", IteratorType::kAtTimestamp, "",
                                       std::nullopt)
                .status()
                .aws_code(),
            "InvalidArgumentException");
}

TEST_F(KinesisServiceTest, SequenceNumbersFromElsewhereAreRejected) {
  Create("s", 2);
  Create("t", 1);
  PutOutcome o = Put("t", "k", "x");
  auto wrong_stream = service_->GetShardIterator("s", "shardId-000000000000",
                                                 IteratorType::kAtSequenceNumber,
                                                 o.sequence_number, std::nullopt);
  EXPECT_EQ(wrong_stream.status().aws_code(), "InvalidArgumentException");
  std::string other_shard = SequenceNumber{1, 1, 0}.ToString();
  auto wrong_shard = service_->GetShardIterator("s", "shardId-000000000000",
                                                IteratorType::kAtSequenceNumber, other_shard,
                                                std::nullopt);
  EXPECT_EQ(wrong_shard.status().aws_code(), "InvalidArgumentException");
  EXPECT_NE(wrong_shard.status().message().find("shardId-000000000001"), std::string::npos);
  auto future = service_->GetShardIterator("t", "shardId-000000000000",
                                           IteratorType::kAtSequenceNumber,
                                           SequenceNumber{2, 0, 99}.ToString(), std::nullopt);
  EXPECT_EQ(future.status().aws_code(), "InvalidArgumentException");
  EXPECT_EQ(service_->GetShardIterator("s", "shardId-000000000009", IteratorType::kLatest, "",
                                       std::nullopt)
                .status()
                .aws_code(),
            "ResourceNotFoundException");
}

TEST_F(KinesisServiceTest, IteratorsExpireAndSurviveRestart) {
  Create("s", 1);
  Put("s", "k", "x");
  std::string it = Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon);
  Open();  // the HMAC key is in the MetaStore, so the iterator still works
  auto r = service_->GetRecords(it, 10);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->records.size(), 1u);
  clock_.Advance(300'001);
  EXPECT_EQ(service_->GetRecords(it, 10).status().aws_code(), "ExpiredIteratorException");
}

TEST_F(KinesisServiceTest, ExplicitHashKeyPicksTheShard) {
  Create("s", 2);
  PutEntry e{"k", "x", HashKey::Max()};
  auto r = service_->PutRecords("s", std::span<const PutEntry>(&e, 1));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records[0].shard_id, "shardId-000000000001");
  e.explicit_hash_key = HashKey(0);
  r = service_->PutRecords("s", std::span<const PutEntry>(&e, 1));
  EXPECT_EQ(r->records[0].shard_id, "shardId-000000000000");
}

TEST_F(KinesisServiceTest, PartitionKeysSpreadOverShardsByHashRange) {
  Create("s", 4);
  std::vector<std::string> keys;
  std::vector<PutEntry> entries;
  for (int i = 0; i < 200; ++i) keys.push_back("pk-" + std::to_string(i));
  for (const auto& k : keys) entries.push_back({k, "d", std::nullopt});
  auto r = service_->PutRecords("s", entries);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->failed, 0);
  auto d = service_->DescribeStream("s", "", 100);
  std::map<std::string, int> per_shard;
  for (size_t i = 0; i < keys.size(); ++i) {
    HashKey h = HashKey::FromPartitionKey(keys[i]);
    const PutOutcome& o = r->records[i];
    per_shard[o.shard_id]++;
    for (const auto& s : d->shards) {
      if (s.shard_id == o.shard_id) {
        EXPECT_TRUE(s.range.Contains(h)) << keys[i];
      }
    }
  }
  EXPECT_EQ(per_shard.size(), 4u);
}

TEST_F(KinesisServiceTest, SplitClosesTheParentAndReadsContinueInChildren) {
  Create("s", 1);
  for (int i = 0; i < 4; ++i) Put("s", "k" + std::to_string(i), "before");
  std::string mid = (HashKey(static_cast<HashKey::Value>(1) << 127)).ToString();
  ASSERT_TRUE(service_->SplitShard("s", "shardId-000000000000", mid).ok());
  auto d = service_->DescribeStream("s", "", 100);
  ASSERT_EQ(d->shards.size(), 3u);
  ASSERT_TRUE(d->shards[0].ending_sequence_number);
  EXPECT_EQ(*d->shards[0].ending_sequence_number, (SequenceNumber{1, 0, 3}.ToString()));
  EXPECT_EQ(d->shards[1].parent_shard_id, "shardId-000000000000");
  EXPECT_EQ(d->shards[2].parent_shard_id, "shardId-000000000000");
  EXPECT_EQ(d->shards[1].range.end.value() + 1, d->shards[2].range.start.value());
  EXPECT_EQ(OpenShards("s"), (std::vector<std::string>{"shardId-000000000001", "shardId-000000000002"}));

  // The parent reads to its end, then names its children and stops.
  GetRecordsResult last;
  auto parent = ReadAll(Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon), &last);
  EXPECT_EQ(parent.size(), 4u);
  EXPECT_FALSE(last.next_iterator);
  ASSERT_EQ(last.child_shards.size(), 2u);
  EXPECT_EQ(last.child_shards[0].parent_shards, std::vector<std::string>{"shardId-000000000000"});

  PutOutcome o = Put("s", "k0", "after");
  EXPECT_NE(o.shard_id, "shardId-000000000000");
  EXPECT_GT(o.sequence_number, parent.back().sequence_number);

  // Invalid splits.
  EXPECT_EQ(service_->SplitShard("s", "shardId-000000000000", mid).aws_code(),
            "InvalidArgumentException");
  EXPECT_EQ(service_->SplitShard("s", "shardId-000000000001", "0").aws_code(),
            "InvalidArgumentException");
  EXPECT_EQ(service_->SplitShard("s", "shardId-000000000042", mid).aws_code(),
            "ResourceNotFoundException");
}

TEST_F(KinesisServiceTest, MergeMakesOneChildWithTwoParents) {
  Create("s", 3);
  EXPECT_EQ(service_->MergeShards("s", "shardId-000000000000", "shardId-000000000002").aws_code(),
            "InvalidArgumentException");
  ASSERT_TRUE(service_->MergeShards("s", "shardId-000000000001", "shardId-000000000000").ok());
  auto d = service_->DescribeStream("s", "", 100);
  ASSERT_EQ(d->shards.size(), 4u);
  const ShardInfo& child = d->shards[3];
  EXPECT_EQ(child.shard_id, "shardId-000000000003");
  EXPECT_EQ(child.parent_shard_id, "shardId-000000000001");
  EXPECT_EQ(child.adjacent_parent_shard_id, "shardId-000000000000");
  EXPECT_EQ(child.range.start, HashKey(0));
  EXPECT_EQ(child.range.end.value() + 1, d->shards[2].range.start.value());
  GetRecordsResult last;
  ReadAll(Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon), &last);
  ASSERT_EQ(last.child_shards.size(), 1u);
  EXPECT_EQ(last.child_shards[0].parent_shards,
            (std::vector<std::string>{"shardId-000000000001", "shardId-000000000000"}));
}

TEST_F(KinesisServiceTest, UpdatingBlocksAnotherReshardUntilTheDelayPasses) {
  Open(200);
  Create("s", 2);
  clock_.Advance(200);
  ASSERT_TRUE(service_->MergeShards("s", "shardId-000000000000", "shardId-000000000001").ok());
  EXPECT_EQ(service_->DescribeStreamSummary("s")->status, StreamStatus::kUpdating);
  // Puts go on while UPDATING.
  EXPECT_EQ(Put("s", "k", "x").shard_id, "shardId-000000000002");
  EXPECT_EQ(service_->UpdateShardCount("s", 2).status().aws_code(), "ResourceInUseException");
  clock_.Advance(200);
  auto r = service_->UpdateShardCount("s", 2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->current, 1);
  EXPECT_EQ(r->target, 2);
}

TEST_F(KinesisServiceTest, UpdateShardCountScalesUniformly) {
  Create("s", 3);
  auto r = service_->UpdateShardCount("s", 4);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto open = OpenShards("s");
  ASSERT_EQ(open.size(), 4u);
  ListShardsInput in;
  in.stream_name = "s";
  in.filter = ShardFilterType::kAtLatest;
  auto shards = service_->ListShards(in);
  auto goal = EvenRanges(4);
  std::vector<HashKeyRange> got;
  for (const auto& s : shards->shards) got.push_back(s.range);
  std::sort(got.begin(), got.end(),
            [](const HashKeyRange& a, const HashKeyRange& b) { return a.start < b.start; });
  EXPECT_EQ(got, goal);
  EXPECT_EQ(service_->UpdateShardCount("s", 9).status().aws_code(), "LimitExceededException");
  EXPECT_EQ(service_->UpdateShardCount("s", 1).status().aws_code(), "LimitExceededException");
}

TEST_F(KinesisServiceTest, ListShardsFiltersAndPages) {
  Create("s", 2);
  clock_.Advance(1000);
  ASSERT_TRUE(service_->MergeShards("s", "shardId-000000000000", "shardId-000000000001").ok());
  ListShardsInput in;
  in.stream_name = "s";
  in.max_results = 2;
  auto page = service_->ListShards(in);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->shards.size(), 2u);
  ASSERT_FALSE(page->next_token.empty());
  ListShardsInput next;
  next.next_token = page->next_token;
  auto rest = service_->ListShards(next);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  ASSERT_EQ(rest->shards.size(), 1u);
  EXPECT_EQ(rest->shards[0].shard_id, "shardId-000000000002");
  EXPECT_TRUE(rest->next_token.empty());

  next.stream_name = "s";
  EXPECT_EQ(service_->ListShards(next).status().aws_code(), "InvalidArgumentException");
  clock_.Advance(300'001);
  ListShardsInput stale;
  stale.next_token = page->next_token;
  EXPECT_EQ(service_->ListShards(stale).status().aws_code(), "ExpiredNextTokenException");

  in.max_results = 100;
  in.filter = ShardFilterType::kAtTrimHorizon;
  EXPECT_EQ(service_->ListShards(in)->shards.size(), 2u);
  in.filter = ShardFilterType::kAfterShardId;
  in.filter_shard_id = "shardId-000000000000";
  EXPECT_EQ(service_->ListShards(in)->shards.size(), 2u);
  in.filter = ShardFilterType::kAtTimestamp;
  in.filter_shard_id.clear();
  in.filter_timestamp = kStart - 1000;
  EXPECT_EQ(service_->ListShards(in)->shards.size(), 2u);
  in.filter_timestamp = clock_.Now();
  auto at_now = service_->ListShards(in);
  ASSERT_EQ(at_now->shards.size(), 1u);
  EXPECT_EQ(at_now->shards[0].shard_id, "shardId-000000000002");
  in.filter = ShardFilterType::kFromTimestamp;
  in.filter_timestamp = kStart;
  EXPECT_EQ(service_->ListShards(in)->shards.size(), 3u);
}

TEST_F(KinesisServiceTest, StateSurvivesRestart) {
  Create("s", 2);
  std::vector<PutOutcome> puts;
  for (int i = 0; i < 6; ++i) puts.push_back(Put("s", "k" + std::to_string(i), std::to_string(i)));
  ASSERT_TRUE(service_->SplitShard("s", "shardId-000000000000", "1000").ok());
  ASSERT_TRUE(service_->AddTags("s", {{"team", "data"}}).ok());
  ASSERT_TRUE(service_->IncreaseRetention("s", 48).ok());
  Open();
  auto d = service_->DescribeStream("s", "", 100);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->shards.size(), 4u);
  EXPECT_TRUE(d->shards[0].ending_sequence_number);
  EXPECT_EQ(d->summary.retention_hours, 48);
  EXPECT_EQ(service_->ListTags("s", "", 10)->tags.size(), 1u);
  for (const PutOutcome& p : puts) {
    auto it = Iterator("s", p.shard_id, IteratorType::kAtSequenceNumber, p.sequence_number);
    auto r = service_->GetRecords(it, 1);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->records.size(), 1u);
    EXPECT_EQ(r->records[0].sequence_number, p.sequence_number);
  }
  // New shard indices continue after a restart.
  ASSERT_TRUE(service_->SplitShard("s", "shardId-000000000003", "1000000000000000000000").ok());
  EXPECT_EQ(service_->DescribeStream("s", "", 100)->shards.back().shard_id, "shardId-000000000005");
}

TEST_F(KinesisServiceTest, RetentionTrimsOldSegmentsAndExpiresClosedShards) {
  Create("s", 1);
  for (int i = 0; i < 10; ++i) Put("s", "k", std::to_string(i));
  ASSERT_TRUE(service_->SplitShard("s", "shardId-000000000000", "1000").ok());
  clock_.Advance(25 * 3600 * 1000LL);
  ASSERT_TRUE(service_->RunMaintenance().ok());
  // The closed parent had only expired records: it is gone, and its
  // children now sit at the trim horizon.
  auto d = service_->DescribeStream("s", "", 100);
  ASSERT_EQ(d->shards.size(), 2u);
  EXPECT_EQ(d->shards[0].shard_id, "shardId-000000000001");
  ListShardsInput in;
  in.stream_name = "s";
  in.filter = ShardFilterType::kAtTrimHorizon;
  EXPECT_EQ(service_->ListShards(in)->shards.size(), 2u);
}

TEST_F(KinesisServiceTest, RetentionDeletesWholeSegmentsOfAnOpenShard) {
  Create("s", 1);
  for (int i = 0; i < 10; ++i) Put("s", "k", std::to_string(i));  // 4 per memory segment
  clock_.Advance(25 * 3600 * 1000LL);
  Put("s", "k", "fresh");
  ASSERT_TRUE(service_->RunMaintenance().ok());
  auto r = ReadAll(Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon));
  ASSERT_EQ(r.size(), 3u);  // offsets 8, 9 and the fresh one
  EXPECT_EQ(r[0].data, "8");
}

TEST_F(KinesisServiceTest, RetentionLimits) {
  Create("s", 1);
  EXPECT_EQ(service_->IncreaseRetention("s", 23).aws_code(), "InvalidArgumentException");
  EXPECT_EQ(service_->IncreaseRetention("s", 8761).aws_code(), "InvalidArgumentException");
  ASSERT_TRUE(service_->IncreaseRetention("s", 100).ok());
  EXPECT_EQ(service_->IncreaseRetention("s", 50).aws_code(), "InvalidArgumentException");
  EXPECT_EQ(service_->DecreaseRetention("s", 200).aws_code(), "InvalidArgumentException");
  ASSERT_TRUE(service_->DecreaseRetention("s", 24).ok());
  EXPECT_EQ(service_->DescribeStreamSummary("s")->retention_hours, 24);
}

TEST_F(KinesisServiceTest, TagsOnStreamsAndConsumers) {
  Create("s", 1);
  ASSERT_TRUE(service_->AddTags("s", {{"b", "2"}, {"a", "1"}, {"c", ""}}).ok());
  auto page = service_->ListTags("s", "", 2);
  ASSERT_EQ(page->tags.size(), 2u);
  EXPECT_EQ(page->tags[0].first, "a");
  EXPECT_TRUE(page->has_more);
  EXPECT_EQ(service_->ListTags("s", "b", 10)->tags.size(), 1u);
  ASSERT_TRUE(service_->RemoveTags("s", {"a", "zz"}).ok());
  EXPECT_EQ(service_->ListTags("s", "", 10)->tags.size(), 2u);
  EXPECT_EQ(service_->AddTags("s", {{"bad#key", "v"}}).aws_code(), "InvalidArgumentException");
  Tags many;
  for (int i = 0; i < 49; ++i) many["k" + std::to_string(i)] = "v";
  EXPECT_EQ(service_->AddTags("s", many).aws_code(), "InvalidArgumentException");

  std::string arn = service_->StreamArn("s");
  ASSERT_TRUE(service_->TagResource(arn, {{"x", "y"}}).ok());
  EXPECT_EQ(service_->ListTagsForResource(arn)->count("x"), 1u);
  ASSERT_TRUE(service_->UntagResource(arn, {"x"}).ok());
  EXPECT_EQ(service_->ListTagsForResource(arn)->count("x"), 0u);

  auto consumer = service_->RegisterConsumer(arn, "app");
  ASSERT_TRUE(consumer.ok());
  ASSERT_TRUE(service_->TagResource(consumer->arn, {{"owner", "me"}}).ok());
  EXPECT_EQ(service_->ListTagsForResource(consumer->arn)->at("owner"), "me");
}

TEST_F(KinesisServiceTest, ConsumersLifecycle) {
  Open(100);
  Create("s", 1);
  clock_.Advance(100);
  std::string arn = service_->StreamArn("s");
  auto c = service_->RegisterConsumer(arn, "app");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->status, ConsumerStatus::kCreating);
  EXPECT_EQ(c->arn, arn + "/consumer/app:" + std::to_string(clock_.Now() / 1000));
  EXPECT_EQ(service_->RegisterConsumer(arn, "app").status().aws_code(), "ResourceInUseException");
  clock_.Advance(100);
  EXPECT_EQ(service_->DescribeConsumer(arn, "app", "")->status, ConsumerStatus::kActive);
  EXPECT_EQ(service_->DescribeConsumer("", "", c->arn)->name, "app");
  EXPECT_EQ(service_->DescribeConsumer(arn, "other", "").status().aws_code(),
            "ResourceNotFoundException");
  ASSERT_TRUE(service_->RegisterConsumer(arn, "b").ok());
  auto list = service_->ListConsumers(arn, "", 1);
  ASSERT_EQ(list->consumers.size(), 1u);
  ASSERT_FALSE(list->next_token.empty());
  EXPECT_EQ(service_->ListConsumers("", list->next_token, 10)->consumers.size(), 1u);

  EXPECT_EQ(service_->DeleteStream("s", false).aws_code(), "ResourceInUseException");
  ASSERT_TRUE(service_->DeregisterConsumer("", "", c->arn).ok());
  EXPECT_EQ(service_->DescribeConsumer(arn, "app", "")->status, ConsumerStatus::kDeleting);
  clock_.Advance(100);
  EXPECT_EQ(service_->DescribeConsumer(arn, "app", "").status().aws_code(),
            "ResourceNotFoundException");
  ASSERT_TRUE(service_->DeleteStream("s", true).ok());
}

TEST_F(KinesisServiceTest, LimitsAreEnforced) {
  Create("s", 40);
  EXPECT_EQ(service_->CreateStream("t", 11, std::nullopt, {}).aws_code(), "LimitExceededException");
  auto l = service_->DescribeLimits();
  EXPECT_EQ(l->open_shard_count, 40);
  EXPECT_EQ(l->shard_limit, 50);
  ASSERT_TRUE(service_->CreateStream("od", std::nullopt, StreamMode::kOnDemand, {}).ok());
  EXPECT_EQ(service_->DescribeStreamSummary("od")->open_shard_count, 4);
  EXPECT_EQ(service_->DescribeLimits()->on_demand_stream_count, 1);
  EXPECT_EQ(service_->SplitShard("od", "shardId-000000000000", "1000").aws_code(),
            "ValidationException");
}

TEST_F(KinesisServiceTest, DeletedStreamIsPurgedWithItsFiles) {
  Create("s", 2);
  Put("s", "k", "x");
  std::string it = Iterator("s", "shardId-000000000000", IteratorType::kTrimHorizon);
  ASSERT_TRUE(service_->DeleteStream("s", false).ok());
  EXPECT_EQ(service_->GetRecords(it, 10).status().aws_code(), "ResourceNotFoundException");
  EXPECT_FALSE(storage::Env::Default()->FileExists(dir_.Join("streams/000000000001")));
  // A new stream of the same name is a new incarnation: old sequence numbers
  // do not resolve in it.
  Create("s", 1);
  EXPECT_EQ(service_->DescribeStream("s", "", 10)->shards[0].starting_sequence_number,
            (SequenceNumber{2, 0, 0}.ToString()));
}

TEST_F(KinesisServiceTest, AppendFailureFailsOnlyThatShardsRecords) {
  Create("s", 2);
  logs_[dir_.Join("streams/000000000001/shardId-000000000001")]->set_fail_appends(true);
  std::vector<PutEntry> entries = {{"a", "1", HashKey(0)}, {"b", "2", HashKey::Max()}};
  auto r = service_->PutRecords("s", entries);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->failed, 1);
  EXPECT_TRUE(r->records[0].error_code.empty());
  EXPECT_EQ(r->records[1].error_code, "InternalFailure");
}

TEST_F(KinesisServiceTest, ResolveStreamNameFromArn) {
  EXPECT_EQ(*service_->ResolveStreamName("", "arn:aws:kinesis:us-east-1:000000000000:stream/x"), "x");
  EXPECT_EQ(*service_->ResolveStreamName("x", ""), "x");
  EXPECT_EQ(service_->ResolveStreamName("y", "arn:aws:kinesis:us-east-1:000000000000:stream/x")
                .status()
                .aws_code(),
            "InvalidArgumentException");
  EXPECT_EQ(service_->ResolveStreamName("", "arn:aws:kinesis:eu-west-1:000000000000:stream/x")
                .status()
                .aws_code(),
            "ResourceNotFoundException");
  EXPECT_FALSE(service_->ResolveStreamName("", "arn:aws:s3:::bucket").ok());
}

}  // namespace
}  // namespace tarn::kinesis

namespace tarn::kinesis {
namespace {

TEST_F(KinesisServiceTest, QueuedGroupsOfOneShardBecomeOneAppend) {
  Create("s", 1);
  std::vector<std::function<void()>> posted;
  KinesisService::Post post = [&](std::function<void()> fn) { posted.push_back(std::move(fn)); };
  std::vector<PutEntry> a = {{"k", "a0", std::nullopt}, {"k", "a1", std::nullopt}};
  std::vector<PutEntry> b = {{"k", "b0", std::nullopt}};
  auto ra = service_->RoutePut("s", a);
  auto rb = service_->RoutePut("s", b);
  ASSERT_TRUE(ra.ok() && rb.ok());
  std::vector<PutOutcome> oa(2), ob(1);
  std::vector<Status> done;
  service_->AppendGroupAsync(*ra, ra->groups[0], a, oa, [&](Status st) { done.push_back(st); }, post);
  service_->AppendGroupAsync(*rb, rb->groups[0], b, ob, [&](Status st) { done.push_back(st); }, post);
  ASSERT_EQ(posted.size(), 1u);  // one drain for the shard, however many groups
  posted[0]();
  ASSERT_EQ(done.size(), 2u);
  EXPECT_TRUE(done[0].ok() && done[1].ok());
  auto log = logs_[dir_.Join("streams/000000000001/shardId-000000000000")];
  EXPECT_EQ(log->stats().appends, 1u);
  EXPECT_EQ(log->stats().records, 3u);
  EXPECT_EQ(oa[0].sequence_number, (SequenceNumber{1, 0, 0}.ToString()));
  EXPECT_EQ(oa[1].sequence_number, (SequenceNumber{1, 0, 1}.ToString()));
  EXPECT_EQ(ob[0].sequence_number, (SequenceNumber{1, 0, 2}.ToString()));

  // A group routed before a split is told to route again.
  auto rc = service_->RoutePut("s", b);
  ASSERT_TRUE(service_->SplitShard("s", "shardId-000000000000", "1000").ok());
  service_->AppendGroupAsync(*rc, rc->groups[0], b, ob, [&](Status st) { done.push_back(st); }, post);
  ASSERT_EQ(posted.size(), 2u);
  posted[1]();
  EXPECT_EQ(done.back().code(), Code::kAborted);
}

}  // namespace
}  // namespace tarn::kinesis
