#include "services/firehose/task_scheduler.h"

#include <algorithm>
#include <chrono>

namespace tarn::firehose {

namespace {
// Longest sleep between looks at the clock: a test's clock, or a wall clock
// stepped forward, is noticed within this.
constexpr int64_t kMaxSleepMs = 500;
}  // namespace

TaskScheduler::TaskScheduler(int threads, Clock* clock) : threads_(threads), clock_(clock) {}

TaskScheduler::~TaskScheduler() { Stop(); }

void TaskScheduler::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!workers_.empty()) return;
  stopping_ = false;
  for (int i = 0; i < threads_; ++i) workers_.emplace_back([this] { Loop(); });
}

void TaskScheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

void TaskScheduler::QueueLocked(uint64_t key, Entry& e, int64_t due) {
  if (e.due) {
    if (*e.due <= due) return;
    due_.erase({*e.due, key});
  }
  e.due = due;
  due_.insert({due, key});
}

void TaskScheduler::Add(uint64_t key, Task task, std::optional<int64_t> due_ms) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    idle_cv_.wait(lock, [&] {
      auto it = entries_.find(key);
      return it == entries_.end() || !it->second.running;
    });
    Entry& e = entries_[key];
    if (e.due) due_.erase({*e.due, key});
    e = Entry{};
    e.task = std::move(task);
    if (due_ms) QueueLocked(key, e, *due_ms);
  }
  cv_.notify_one();
}

void TaskScheduler::Wake(uint64_t key, int64_t due_ms) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.removed) return;
    Entry& e = it->second;
    if (e.running) {
      e.wake = e.wake ? std::min(*e.wake, due_ms) : due_ms;
      return;
    }
    QueueLocked(key, e, due_ms);
  }
  cv_.notify_one();
}

void TaskScheduler::Remove(uint64_t key) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  it->second.removed = true;
  if (it->second.due) {
    due_.erase({*it->second.due, key});
    it->second.due.reset();
  }
  idle_cv_.wait(lock, [&] {
    auto e = entries_.find(key);
    return e == entries_.end() || !e->second.running;
  });
  entries_.erase(key);
}

void TaskScheduler::RunLocked(std::unique_lock<std::mutex>& lock, uint64_t key) {
  Entry& e = entries_.at(key);
  due_.erase({*e.due, key});
  e.due.reset();
  e.wake.reset();
  e.running = true;
  Task task = e.task;
  lock.unlock();
  std::optional<int64_t> next = task();
  lock.lock();
  Entry& after = entries_.at(key);
  after.running = false;
  if (next == kRemove) {
    // Remove() may be waiting on it too; whoever looks next finds it gone.
    entries_.erase(key);
  } else if (!after.removed) {
    std::optional<int64_t> due = next;
    if (after.wake) due = due ? std::min(*due, *after.wake) : after.wake;
    after.wake.reset();
    if (due) QueueLocked(key, after, *due);
  }
  idle_cv_.notify_all();
  cv_.notify_one();
}

void TaskScheduler::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    int64_t now = clock_->Now();
    // The earliest due task that is not running (a running task is never
    // queued, so the first entry will do).
    if (due_.empty() || due_.begin()->first > now) {
      int64_t wait = due_.empty() ? kMaxSleepMs
                                  : std::clamp<int64_t>(due_.begin()->first - now, 1, kMaxSleepMs);
      cv_.wait_for(lock, std::chrono::milliseconds(wait));
      continue;
    }
    RunLocked(lock, due_.begin()->second);
  }
}

int TaskScheduler::RunDue() {
  std::unique_lock<std::mutex> lock(mu_);
  int64_t now = clock_->Now();
  std::vector<uint64_t> keys;
  for (const auto& [due, key] : due_) {
    if (due > now) break;
    keys.push_back(key);
  }
  int ran = 0;
  for (uint64_t key : keys) {
    auto it = entries_.find(key);
    if (it == entries_.end() || !it->second.due || it->second.running || it->second.removed) continue;
    RunLocked(lock, key);
    ++ran;
  }
  return ran;
}

}  // namespace tarn::firehose
