// TaskScheduler: keyed background tasks on a fixed set of threads, each run
// when it falls due. Firehose schedules one delivery task per delivery
// stream (and one source task per Kinesis-source stream): a task runs, says
// when it next wants to run, and sleeps until then or until Wake() brings
// it forward (records arrived, a buffer filled up).
//
// A task never runs on two threads at once, so a stream's flushes are
// serialized without a lock of their own. The threads are the bound on
// delivery work: however many streams there are, at most `threads` flushes
// (and their buffers) are in memory at once. Never the server's I/O threads.
//
// Thread-safety: all methods are thread-safe. Tasks may call Wake (their own
// key included) but not Remove on themselves.
#pragma once

#include <climits>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "common/time.h"

namespace tarn::firehose {

class TaskScheduler {
 public:
  // A task returns when it next falls due (a clock time in ms), nullopt to
  // sleep until woken, or kRemove to unregister itself.
  using Task = std::function<std::optional<int64_t>()>;
  static constexpr int64_t kRemove = INT64_MIN;

  // threads == 0: nothing runs by itself (tests call RunDue).
  TaskScheduler(int threads, Clock* clock);
  ~TaskScheduler();  // Stop()s
  TaskScheduler(const TaskScheduler&) = delete;
  TaskScheduler& operator=(const TaskScheduler&) = delete;

  void Start();
  // Lets running tasks finish, then joins the threads. Idempotent.
  void Stop();

  // Registers key's task, due at due_ms (nullopt: asleep until woken).
  // Replaces a task of the same key that is not running.
  void Add(uint64_t key, Task task, std::optional<int64_t> due_ms);
  // Brings key's next run forward to due_ms (never later). A task woken
  // while it runs runs again once it returns. Unknown keys are ignored.
  void Wake(uint64_t key, int64_t due_ms);
  // Unregisters key, waiting for a run in progress to return.
  void Remove(uint64_t key);

  // Runs every task due by now on the calling thread, once each; returns
  // how many ran. For tests with threads == 0.
  int RunDue();

 private:
  struct Entry {
    Task task;
    std::optional<int64_t> due;   // when queued in due_
    std::optional<int64_t> wake;  // Wake() during a run
    bool running = false;
    bool removed = false;
  };

  void Loop();
  // mu_ held: queues key at due (earliest of what it has).
  void QueueLocked(uint64_t key, Entry& e, int64_t due);
  // mu_ held on entry and exit: runs key's task with the lock released.
  void RunLocked(std::unique_lock<std::mutex>& lock, uint64_t key);

  const int threads_;
  Clock* clock_;
  std::mutex mu_;
  std::condition_variable cv_;       // work arrived or stopping
  std::condition_variable idle_cv_;  // a run finished (Remove waits on it)
  std::map<uint64_t, Entry> entries_;             // GUARDED_BY(mu_)
  std::set<std::pair<int64_t, uint64_t>> due_;    // GUARDED_BY(mu_): (due, key)
  bool stopping_ = false;                         // GUARDED_BY(mu_)
  std::vector<std::thread> workers_;
};

}  // namespace tarn::firehose
