// WorkerPool: a fixed set of threads for blocking work (disk I/O, fsync,
// SQLite), so that I/O threads never block (DESIGN.md principle 4).
//
// From a coroutine running on an I/O thread:
//
//   Result<ObjectInfo> info = co_await pool.Run([&] { return store.Put(...); });
//
// Run() runs fn on a pool thread and resumes the coroutine back on the
// executor it came from. fn must not throw; it may capture the caller's
// locals by reference (the caller is suspended until fn returns).
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace tarn {

class WorkerPool {
  // The completion signature that carries an R (none for void).
  template <typename R>
  struct CompletionOf {
    using type = void(R);
  };
  template <typename R>
  requires std::is_void_v<R>
  struct CompletionOf<R> {
    using type = void();
  };

 public:
  explicit WorkerPool(size_t threads) : pool_(threads) {}
  ~WorkerPool() { pool_.join(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs fn on a pool thread, then dispatches the result to the awaiting
  // coroutine's own executor. (A plain `co_await post(pool, use_awaitable)`
  // would not do: its completion, and so the code after it, runs on the
  // awaiting coroutine's executor.)
  template <typename F>
  auto Run(F fn) {
    using R = std::invoke_result_t<F>;
    using Signature = typename CompletionOf<R>::type;
    return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, Signature>(
        [this](auto handler, F f) {
          auto home = boost::asio::get_associated_executor(handler);
          boost::asio::post(pool_, [handler = std::move(handler), f = std::move(f),
                                    home = std::move(home)]() mutable {
            if constexpr (std::is_void_v<R>) {
              f();
              boost::asio::dispatch(home, std::move(handler));
            } else {
              boost::asio::dispatch(home, [handler = std::move(handler), r = f()]() mutable {
                std::move(handler)(std::move(r));
              });
            }
          });
        },
        boost::asio::use_awaitable, std::move(fn));
  }

  boost::asio::thread_pool::executor_type executor() { return pool_.get_executor(); }
  void Stop() { pool_.stop(); }
  void Join() { pool_.join(); }

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace tarn
