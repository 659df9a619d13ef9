// KinesisService: Kinesis Data Streams as AWS defines it, free of HTTP:
// streams and their lifecycle, shards and resharding lineage, records in one
// SegmentLog per shard, shard iterators, consumers, tags, retention.
//
// Metadata lives in the MetaStore (KinesisStore) and, for speed, in memory:
// every stream, shard and consumer is loaded at Start() and kept in step
// with each committed change, so the data path (PutRecords, GetRecords)
// does no SQL. Records are appended to the shard's SegmentLog and are
// durable (fsynced, group-committed) before a put returns.
//
// Status transitions happen lazily: a stream stored as CREATING or UPDATING
// with a deadline reads as ACTIVE once the deadline has passed; a DELETING
// stream disappears then (its files are removed by the maintenance pass).
// The delay is ServiceOptions::status_delay_ms, so waiters see the states.
//
// Errors carry Kinesis's error code in aws_code() (ResourceNotFoundException,
// ResourceInUseException, InvalidArgumentException, LimitExceededException,
// ExpiredIteratorException, ExpiredNextTokenException, ValidationException,
// InternalFailure) and AWS-like messages.
//
// Thread-safety: all methods are thread-safe. Every method may block on the
// disk or on a MetaStore commit: call them from a worker pool.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "services/kinesis/kinesis_store.h"
#include "services/kinesis/kinesis_types.h"
#include "services/kinesis/shard_iterator.h"
#include "storage/env.h"
#include "storage/meta_store.h"
#include "storage/segment_log.h"

namespace tarn::kinesis {

struct ServiceOptions {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  // Shard logs live in <streams_dir>/<stream number>/<shard id>/.
  std::string streams_dir;
  // How long CREATING, UPDATING and DELETING last (0: no visible transition).
  int64_t status_delay_ms = 100;
  // The account's shard limit (DescribeLimits; CreateStream and resharding
  // answer LimitExceededException beyond it).
  int shard_limit = 500;
  int on_demand_stream_limit = 50;
  uint32_t on_demand_shards = 4;
  int max_consumers_per_stream = 20;
  int64_t iterator_ttl_ms = IteratorCodec::kDefaultTtlMs;
  int64_t next_token_ttl_ms = 300'000;
  // The background retention and purge pass; 0 runs none (tests call
  // RunMaintenance themselves).
  int64_t maintenance_interval_ms = 60'000;
  Clock* clock = Clock::Real();
  storage::Env* env = storage::Env::Default();
  // Opens (creating if missing) the SegmentLog of one shard in dir.
  std::function<Result<std::unique_ptr<storage::SegmentLog>>(const std::string& dir)> open_log;
};

class KinesisService {
 public:
  struct Stream;
  struct Shard;

  KinesisService(storage::MetaStore* meta, ServiceOptions options);
  ~KinesisService();
  KinesisService(const KinesisService&) = delete;
  KinesisService& operator=(const KinesisService&) = delete;

  // Migrates the schema, loads every stream, reopens every shard log (which
  // recovers torn tails), removes files no stream owns, runs one maintenance
  // pass and starts the background one.
  Status Start();
  // Stops the background pass. Idempotent; the destructor calls it.
  void Stop();

  const ServiceOptions& options() const { return options_; }
  std::string StreamArn(std::string_view name) const;
  // The stream a request names, from StreamName and/or StreamARN (either may
  // be empty, not both). An ARN of another region or account is
  // ResourceNotFoundException; a name and an ARN that disagree,
  // InvalidArgumentException.
  Result<std::string> ResolveStreamName(std::string_view name, std::string_view arn) const;

  // --- Streams ---
  Status CreateStream(const std::string& name, std::optional<int> shard_count,
                      std::optional<StreamMode> mode, const Tags& tags);
  Status DeleteStream(const std::string& name, bool enforce_consumer_deletion);
  Result<StreamDescription> DescribeStream(const std::string& name,
                                           const std::string& exclusive_start_shard_id, int limit);
  Result<StreamSummary> DescribeStreamSummary(const std::string& name);
  // exclusive_start_name or next_token (from a previous page) may be empty.
  Result<ListStreamsResult> ListStreams(const std::string& exclusive_start_name,
                                        const std::string& next_token, int limit);
  Result<ListShardsResult> ListShards(const ListShardsInput& input);
  Status UpdateStreamMode(const std::string& name, StreamMode mode);
  Status IncreaseRetention(const std::string& name, int hours);
  Status DecreaseRetention(const std::string& name, int hours);
  Status StartEncryption(const std::string& name, const std::string& type, const std::string& key);
  Status StopEncryption(const std::string& name, const std::string& type, const std::string& key);
  Result<MonitoringResult> SetEnhancedMonitoring(const std::string& name,
                                                 const std::vector<std::string>& metrics,
                                                 bool enable);
  Result<Limits> DescribeLimits();

  // --- Resharding ---
  Status SplitShard(const std::string& name, const std::string& shard_id,
                    const std::string& new_starting_hash_key);
  Status MergeShards(const std::string& name, const std::string& shard_id,
                     const std::string& adjacent_shard_id);
  Result<UpdateShardCountResult> UpdateShardCount(const std::string& name, int target);

  // --- Records ---
  //
  // PutRecords in two steps, so the caller can append to several shards in
  // parallel: RoutePut maps every entry to its shard (no I/O, no blocking
  // beyond short locks), AppendGroup appends one shard's group as one
  // SegmentLog::Append and fills those entries' outcomes. AppendGroup answers
  // Aborted when the shard was closed by a reshard after routing: route
  // those entries again. PutRecords does it all, one group after another.
  struct PutRoute {
    struct Group {
      std::shared_ptr<Shard> shard;
      std::vector<uint32_t> entries;  // indices into the request's entries
    };
    std::shared_ptr<Stream> stream;
    std::vector<Group> groups;
  };
  Result<PutRoute> RoutePut(const std::string& name, std::span<const PutEntry> entries,
                            std::span<const uint32_t> subset = {});
  Status AppendGroup(const PutRoute& route, const PutRoute::Group& group,
                     std::span<const PutEntry> entries, std::span<PutOutcome> outcomes);
  // AppendGroup without blocking the caller: queues the group on its shard
  // and returns; done(status) runs on a thread of `post`'s pool once the
  // records are durable (outcomes filled) or failed (Aborted: re-route).
  // While one append of a shard is in progress, the groups queued behind it
  // go to the log together as one SegmentLog::Append (each group's records
  // contiguous, in queue order), so a busy shard costs one pool thread and
  // one fsync per round however many requests feed it. route, entries and
  // outcomes must stay valid until done runs.
  using Post = std::function<void(std::function<void()>)>;
  void AppendGroupAsync(const PutRoute& route, const PutRoute::Group& group,
                        std::span<const PutEntry> entries, std::span<PutOutcome> outcomes,
                        std::function<void(Status)> done, const Post& post);
  // The stream's encryption type, for the put response.
  std::string EncryptionTypeOf(const PutRoute& route) const;
  Result<PutRecordsResult> PutRecords(const std::string& name, std::span<const PutEntry> entries);

  Result<std::string> GetShardIterator(const std::string& name, const std::string& shard_id,
                                       IteratorType type, const std::string& sequence_number,
                                       std::optional<UnixMillis> timestamp);
  Result<GetRecordsResult> GetRecords(std::string_view iterator, int limit);

  // --- Tags ---
  Status AddTags(const std::string& name, const Tags& tags);
  Status RemoveTags(const std::string& name, const std::vector<std::string>& keys);
  Result<TagsPage> ListTags(const std::string& name, const std::string& exclusive_start_key,
                            int limit);
  // Stream or consumer ARNs.
  Status TagResource(const std::string& arn, const Tags& tags);
  Status UntagResource(const std::string& arn, const std::vector<std::string>& keys);
  Result<Tags> ListTagsForResource(const std::string& arn);

  // --- Consumers (enhanced fan-out registrations) ---
  Result<ConsumerInfo> RegisterConsumer(const std::string& stream_arn, const std::string& name);
  // By consumer ARN, or by stream ARN and consumer name.
  Result<ConsumerInfo> DescribeConsumer(const std::string& stream_arn, const std::string& name,
                                        const std::string& consumer_arn);
  Result<ListConsumersResult> ListConsumers(const std::string& stream_arn,
                                            const std::string& next_token, int max_results);
  Status DeregisterConsumer(const std::string& stream_arn, const std::string& name,
                            const std::string& consumer_arn);

  // One retention and purge pass: deletes expired segments, closed shards
  // whose records have all expired, deleted streams and consumers whose
  // DELETING time is over.
  Status RunMaintenance();

 private:
  using StreamPtr = std::shared_ptr<Stream>;
  using ShardPtr = std::shared_ptr<Shard>;

  // A live stream (DELETING ones until their deadline) or NotFound.
  Result<StreamPtr> Find(const std::string& name) const;
  StreamPtr FindByNumber(uint64_t number) const;
  Result<StreamPtr> FindForAdmin(const std::string& name, bool allow_updating);
  Result<StreamPtr> StreamFromArn(const std::string& arn) const;
  std::vector<StreamPtr> AllStreams() const;
  int OpenShardCountLocked() const;  // admin_mu_ held

  // Appends what is queued on a shard until its queue is empty.
  void DrainAppends(const ShardPtr& shard);
  Result<ShardPtr> OpenShard(const Stream& stream, const ShardRow& row, bool with_log);
  // admin_mu_ held: applies a split/merge/rescale plan atomically.
  Status ApplyPlan(const StreamPtr& stream, const struct ReshardPlan& plan);
  // admin_mu_ held: removes a deleted stream's metadata and files.
  Status Purge(const StreamPtr& stream);
  Status SweepOrphans();
  void MaintenanceLoop();

  Status SaveRow(Stream& stream, const StreamRow& row);  // admin_mu_ held
  // StartStreamEncryption (on) and StopStreamEncryption.
  Status SetEncryption(const std::string& name, const std::string& type, const std::string& key,
                       bool on);
  ShardInfo DescribeShard(const Stream& stream, const Shard& shard) const;
  StreamSummary Summarize(const Stream& stream, UnixMillis now) const;
  std::string ConsumerArn(const std::string& stream_name, const ConsumerRow& c) const;
  Result<std::pair<StreamPtr, std::string>> ResolveConsumer(const std::string& stream_arn,
                                                            const std::string& name,
                                                            const std::string& consumer_arn);

  storage::MetaStore* meta_;
  ServiceOptions options_;
  KinesisStore store_;
  std::unique_ptr<IteratorCodec> iterators_;

  // Serializes every change to metadata (create, delete, reshard, tags,
  // consumers, purges): they are rare, and one lock keeps limits exact.
  std::mutex admin_mu_;

  mutable std::mutex registry_mu_;
  std::map<std::string, StreamPtr, std::less<>> by_name_;  // GUARDED_BY(registry_mu_)
  std::map<uint64_t, StreamPtr> by_number_;               // GUARDED_BY(registry_mu_)

  std::mutex maintenance_mu_;
  std::condition_variable maintenance_cv_;
  bool stopping_ = false;  // GUARDED_BY(maintenance_mu_)
  std::thread maintenance_;
};

}  // namespace tarn::kinesis
