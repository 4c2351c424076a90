#include "services/common/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace mcpauth {
namespace {

TEST(WorkerPool, OneThreadRunsWorkInTheOrderPosted) {
  std::vector<int> order;
  {
    WorkerPool pool(1);
    for (int i = 0; i < 100; ++i) pool.Post([&order, i] { order.push_back(i); });
  }  // the destructor runs what is queued before joining
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
}

TEST(WorkerPool, WorkThatBlocksDoesNotHoldUpTheOtherThreads) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> done{0};
  WorkerPool pool(2);
  pool.Post([released] { released.wait(); });
  std::promise<void> ran;
  pool.Post([&ran, &done] {
    ++done;
    ran.set_value();
  });
  // The second item runs on the other thread while the first still waits.
  EXPECT_EQ(ran.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(done.load(), 1);
  EXPECT_EQ(pool.queued(), 0u);
  release.set_value();
}

}  // namespace
}  // namespace mcpauth
