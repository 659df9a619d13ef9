#include "common/worker_pool.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <thread>

#include "common/status.h"

namespace tarn {
namespace {

namespace asio = boost::asio;

TEST(WorkerPool, RunsOnThePoolAndResumesOnTheCaller) {
  asio::io_context io;
  WorkerPool pool(2);
  const std::thread::id io_thread = std::this_thread::get_id();
  std::thread::id ran_on, resumed_on;
  int result = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        result = co_await pool.Run([&] {
          ran_on = std::this_thread::get_id();
          return 42;
        });
        resumed_on = std::this_thread::get_id();
      },
      asio::detached);
  io.run();
  EXPECT_EQ(result, 42);
  EXPECT_NE(ran_on, io_thread);
  EXPECT_EQ(resumed_on, io_thread);
}

TEST(WorkerPool, CarriesMoveOnlyResultsAndVoid) {
  asio::io_context io;
  WorkerPool pool(1);
  Result<std::unique_ptr<int>> got = Internal("unset");
  bool void_ran = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        got = co_await pool.Run(
            []() -> Result<std::unique_ptr<int>> { return std::make_unique<int>(7); });
        co_await pool.Run([&] { void_ran = true; });
      },
      asio::detached);
  io.run();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(**got, 7);
  EXPECT_TRUE(void_ran);
}

}  // namespace
}  // namespace tarn
