// WorkerPool: a fixed set of threads for blocking work (disk I/O, fsync,
// SQLite), so that I/O threads never block (DESIGN.md principle 4).
//
// From a coroutine running on an I/O thread:
//
//   Result<ObjectInfo> info = co_await pool.Run([&] { return store.Put(...); });
//
// Run() hops to a pool thread, runs fn, and resumes the coroutine back on
// the executor it came from. fn must not throw.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <optional>
#include <type_traits>

namespace tarn {

class WorkerPool {
 public:
  explicit WorkerPool(size_t threads) : pool_(threads) {}
  ~WorkerPool() { pool_.join(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  template <typename F>
  boost::asio::awaitable<std::invoke_result_t<F>> Run(F fn) {
    auto home = co_await boost::asio::this_coro::executor;
    co_await boost::asio::post(pool_.get_executor(), boost::asio::use_awaitable);
    using R = std::invoke_result_t<F>;
    if constexpr (std::is_void_v<R>) {
      fn();
      co_await boost::asio::post(home, boost::asio::use_awaitable);
    } else {
      std::optional<R> result(fn());
      co_await boost::asio::post(home, boost::asio::use_awaitable);
      co_return std::move(*result);
    }
  }

  boost::asio::thread_pool::executor_type executor() { return pool_.get_executor(); }
  void Stop() { pool_.stop(); }
  void Join() { pool_.join(); }

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace tarn
