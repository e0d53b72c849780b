// SPDX-License-Identifier: MIT
// internal::BoundedPool: at most `threads` tasks run and `queue` wait; past
// that TrySubmit refuses at once; queued tasks run before it is destroyed.
#include "common/bounded_pool.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace {

using namespace std::chrono_literals;

// Tasks that wait until the test lets them go.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int waiting = 0;

  void Wait() {
    std::unique_lock lock(mu);
    ++waiting;
    cv.notify_all();
    cv.wait(lock, [this] { return open; });
  }
  bool WaitForWaiting(int n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 10s, [&] { return waiting >= n; });
  }
  void Open() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

}  // namespace

TEST_CASE("BoundedPool runs threads tasks at once and queues at most queue more",
          "[common][pool]") {
  Gate gate;
  std::atomic<int> done{0};
  {
    quik::internal::BoundedPool pool(2, 3);
    auto task = [&] {
      gate.Wait();
      ++done;
    };
    for (int i = 0; i < 5; ++i) REQUIRE(pool.TrySubmit(task));
    REQUIRE(gate.WaitForWaiting(2));  // two run; three wait
    CHECK_FALSE(pool.TrySubmit(task));
    CHECK_FALSE(pool.TrySubmit(task));
    {
      std::lock_guard lock(gate.mu);
      CHECK(gate.waiting == 2);  // no third thread was started
    }
    gate.Open();
  }  // the destructor runs what was queued
  CHECK(done == 5);
}

TEST_CASE("BoundedPool takes work again once it drains", "[common][pool]") {
  quik::internal::BoundedPool pool(1, 0);
  for (int round = 0; round < 3; ++round) {
    std::mutex mu;
    std::condition_variable cv;
    bool ran = false;
    bool accepted = false;
    // Right after a task ends its thread may not have counted it done yet.
    for (int i = 0; i < 1000 && !accepted; ++i) {
      accepted = pool.TrySubmit([&] {
        std::lock_guard lock(mu);
        ran = true;
        cv.notify_all();
      });
      if (!accepted) std::this_thread::sleep_for(1ms);
    }
    REQUIRE(accepted);
    std::unique_lock lock(mu);
    CHECK(cv.wait_for(lock, 10s, [&] { return ran; }));
  }
}
