#include "services/firehose/task_scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace tarn::firehose {
namespace {

TEST(TaskScheduler, RunsOnlyTasksThatAreDueInDueOrder) {
  ManualClock clock(1000);
  TaskScheduler s(0, &clock);
  std::vector<int> ran;
  s.Add(1, [&]() -> std::optional<int64_t> { ran.push_back(1); return std::nullopt; }, 1500);
  s.Add(2, [&]() -> std::optional<int64_t> { ran.push_back(2); return std::nullopt; }, 1200);
  s.Add(3, [&]() -> std::optional<int64_t> { ran.push_back(3); return std::nullopt; }, std::nullopt);
  EXPECT_EQ(s.RunDue(), 0);
  clock.Set(1500);
  EXPECT_EQ(s.RunDue(), 2);
  EXPECT_EQ(ran, (std::vector<int>{2, 1}));
  EXPECT_EQ(s.RunDue(), 0) << "tasks that returned nullopt sleep until woken";
}

TEST(TaskScheduler, WakeBringsARunForwardButNeverLater) {
  ManualClock clock(0);
  TaskScheduler s(0, &clock);
  int runs = 0;
  s.Add(7, [&]() -> std::optional<int64_t> { ++runs; return std::nullopt; }, 100);
  s.Wake(7, 500);  // later than queued: ignored
  clock.Set(100);
  EXPECT_EQ(s.RunDue(), 1);
  s.Wake(7, 150);
  EXPECT_EQ(s.RunDue(), 0);
  clock.Set(150);
  EXPECT_EQ(s.RunDue(), 1);
  EXPECT_EQ(runs, 2);
  s.Wake(99, 0);  // unknown keys are ignored
}

TEST(TaskScheduler, AWakeDuringARunRunsTheTaskAgain) {
  ManualClock clock(0);
  TaskScheduler s(0, &clock);
  int runs = 0;
  s.Add(1, [&]() -> std::optional<int64_t> {
    if (++runs == 1) s.Wake(1, 0);  // records arrived while flushing
    return std::nullopt;
  }, 0);
  EXPECT_EQ(s.RunDue(), 1);
  EXPECT_EQ(s.RunDue(), 1);
  EXPECT_EQ(s.RunDue(), 0);
  EXPECT_EQ(runs, 2);
}

TEST(TaskScheduler, ATaskReturningRemoveIsUnregistered) {
  ManualClock clock(0);
  TaskScheduler s(0, &clock);
  int runs = 0;
  s.Add(1, [&]() -> std::optional<int64_t> { ++runs; return TaskScheduler::kRemove; }, 0);
  EXPECT_EQ(s.RunDue(), 1);
  s.Wake(1, 0);
  EXPECT_EQ(s.RunDue(), 0);
  EXPECT_EQ(runs, 1);
}

TEST(TaskScheduler, ThreadsRunDueTasksAndRemoveWaitsForARunInProgress) {
  TaskScheduler s(2, Clock::Real());
  s.Start();
  std::atomic<int> runs{0};
  std::atomic<bool> inside{false};
  s.Add(1, [&]() -> std::optional<int64_t> {
    inside = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ++runs;
    inside = false;
    return Clock::Real()->Now() + 5;
  }, Clock::Real()->Now());
  for (int i = 0; i < 200 && runs < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(runs.load(), 2) << "re-queued by its own return value";
  s.Remove(1);
  EXPECT_FALSE(inside.load()) << "Remove returned while the task ran";
  int after = runs;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(runs.load(), after);
  s.Stop();
}

}  // namespace
}  // namespace tarn::firehose
