#include "services/firehose/record_buffer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "storage/test_temp_dir.h"

namespace tarn::firehose {
namespace {

class RecordBufferTest : public ::testing::Test {
 protected:
  std::unique_ptr<RecordBuffer> Open(uint64_t delivered) {
    storage::SegmentLog::Options o;
    o.dir = dir_.Join("buf");
    o.sync = false;
    o.clock = &clock_;
    o.segment_bytes = 1024;
    auto log = storage::SegmentLog::Open(storage::Env::Default(), o);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return std::make_unique<RecordBuffer>(std::move(*log), delivered);
  }

  static std::vector<storage::AppendRecord> Records(const std::vector<std::string>& data) {
    std::vector<storage::AppendRecord> out;
    for (const auto& d : data) out.push_back(storage::AppendRecord{{}, d, {}});
    return out;
  }

  size_t Segments() {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_.Join("buf"))) n += e.is_regular_file();
    return n;
  }

  storage::TestTempDir dir_;
  ManualClock clock_{5000};
};

TEST_F(RecordBufferTest, TracksPendingBytesAndTheOldestArrival) {
  auto b = Open(0);
  EXPECT_FALSE(b->oldest_pending_ms().has_value());
  std::vector<std::string> first = {"aaa", "bb"};
  auto r1 = Records(first);
  ASSERT_EQ(*b->Append(r1), 0u);
  clock_.Advance(100);
  std::vector<std::string> second = {"c"};
  auto r2 = Records(second);
  ASSERT_EQ(*b->Append(r2), 2u);
  EXPECT_EQ(b->pending_bytes(), 6u);
  EXPECT_EQ(*b->oldest_pending_ms(), 5000);

  auto read = b->ReadPending(1 << 20, 2);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->size(), 2u);
  ASSERT_TRUE(b->MarkDelivered(2, 5, read->back().arrival_ms).ok());
  EXPECT_EQ(b->delivered(), 2u);
  EXPECT_EQ(b->pending_bytes(), 1u);
  EXPECT_EQ(*b->oldest_pending_ms(), 5100);
  auto rest = b->ReadPending(1 << 20, 100);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].data, "c");
  ASSERT_TRUE(b->MarkDelivered(3, 1, (*rest)[0].arrival_ms).ok());
  EXPECT_FALSE(b->oldest_pending_ms().has_value());
  EXPECT_TRUE(b->ReadPending(1 << 20, 100)->empty());
}

TEST_F(RecordBufferTest, RecordsAfterTheCheckpointAreDueAtOnceAfterAReopen) {
  {
    auto b = Open(0);
    std::vector<std::string> data = {"1", "2", "3"};
    auto r = Records(data);
    ASSERT_TRUE(b->Append(r).ok());
  }
  auto b = Open(1);  // the checkpoint said one was delivered
  EXPECT_EQ(b->delivered(), 1u);
  EXPECT_EQ(b->end(), 3u);
  EXPECT_EQ(*b->oldest_pending_ms(), 0) << "recovered records carry no arrival: due now";
  auto read = b->ReadPending(1 << 20, 100);
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0].data, "2");
}

TEST_F(RecordBufferTest, DeliveredSegmentsAreDeletedAndPendingOnesKept) {
  auto b = Open(0);
  std::string big(300, 'x');
  for (int i = 0; i < 12; ++i) {
    std::vector<std::string> d = {big};
    auto r = Records(d);
    ASSERT_TRUE(b->Append(r).ok());
    clock_.Advance(10);
  }
  size_t before = Segments();
  EXPECT_GE(before, 4u);
  auto read = b->ReadPending(10 * 300, 10);
  ASSERT_EQ(read->size(), 10u);
  ASSERT_TRUE(b->MarkDelivered(10, 3000, read->back().arrival_ms).ok());
  EXPECT_LT(Segments(), before);
  auto rest = b->ReadPending(1 << 20, 100);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(rest->size(), 2u) << "pending records survive the trim";
}

TEST_F(RecordBufferTest, QueuedAsyncAppendsShareOneLogAppend) {
  auto b = Open(0);
  std::vector<std::function<void()>> posted;
  RecordBuffer::Post post = [&](std::function<void()> fn) { posted.push_back(std::move(fn)); };
  std::vector<std::string> d1 = {"a", "b"}, d2 = {"c"};
  auto r1 = Records(d1);
  auto r2 = Records(d2);
  std::vector<uint64_t> firsts;
  b->AppendAsync(r1, [&](Result<uint64_t> f) { firsts.push_back(*f); }, post);
  b->AppendAsync(r2, [&](Result<uint64_t> f) { firsts.push_back(*f); }, post);
  ASSERT_EQ(posted.size(), 1u) << "one drain for both";
  posted[0]();
  EXPECT_EQ(firsts, (std::vector<uint64_t>{0, 2}));
  EXPECT_EQ(b->stats().groups, 1u);
  EXPECT_EQ(b->end(), 3u);
}

}  // namespace
}  // namespace tarn::firehose
