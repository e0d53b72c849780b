// SPDX-License-Identifier: MIT
// internal::BoundedPool: threads of their own for one kind of expensive work,
// with a bounded queue, so that it cannot starve other kinds (request work,
// password hashing) nor pile up without bound.
//
// Thread safety: TrySubmit may be called from any thread. The destructor runs
// the tasks already queued, then joins the threads; tasks must not destroy
// the pool.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace quik::internal {

class BoundedPool {
 public:
  // `threads` (at least 1) run tasks; at most `queue` (at least 0) more wait.
  // The threads start with the first task.
  BoundedPool(int threads, int queue);
  ~BoundedPool();
  BoundedPool(const BoundedPool&) = delete;
  BoundedPool& operator=(const BoundedPool&) = delete;

  // Queues `task` and returns true, or returns false at once (and drops it)
  // when `threads` tasks run and `queue` wait already.
  bool TrySubmit(std::function<void()> task);

 private:
  void Loop();

  const std::size_t threads_;
  const std::size_t queue_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> waiting_;
  std::vector<std::thread> workers_;
  std::size_t running_ = 0;
  bool stopping_ = false;
};

}  // namespace quik::internal
