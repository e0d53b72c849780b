// SPDX-License-Identifier: MIT
// internal::BoundedPool: threads of their own for one kind of expensive work,
// with a bounded queue, so that it cannot starve other kinds (request work,
// password hashing, image decoding) nor pile up without bound.
//
// Thread safety: every method may be called from any thread but a task's
// own (Stop and the destructor, which wait for the tasks). Stop (and the
// destructor) runs the tasks already queued, then joins the threads.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace quik::internal {

class BoundedPool {
 public:
  struct Stats {
    std::uint64_t completed = 0;  // tasks that ran
    std::uint64_t rejected = 0;   // refused: every thread busy and the queue full
    std::uint64_t running = 0;    // now
    std::uint64_t queued = 0;     // now, waiting for a thread
  };

  // `threads` (at least 1) run tasks; at most `queue` (at least 0) more wait.
  // Threads start as tasks arrive, up to `threads`: a pool that never gets a
  // task never starts one.
  BoundedPool(int threads, int queue);
  ~BoundedPool();
  BoundedPool(const BoundedPool&) = delete;
  BoundedPool& operator=(const BoundedPool&) = delete;

  // Queues `task` and returns true, or returns false at once (and drops it)
  // when `threads` tasks run and `queue` wait already. `then`, if any, runs
  // on the same thread once the task has run and its slot is free again, so
  // that a caller it wakes finds room for its next task.
  bool TrySubmit(std::function<void()> task, std::function<void()> then = nullptr);

  // Runs the tasks already queued, joins the threads, and from then on
  // refuses every task. Idempotent.
  void Stop();

  // Whether the calling thread is one of this pool's.
  bool OnPoolThread() const;

  Stats stats() const;

 private:
  void Loop();

  const std::size_t threads_;
  const std::size_t queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  struct Task {
    std::function<void()> run, then;
  };
  std::deque<Task> waiting_;
  std::vector<std::thread> workers_;  // joined by Stop, under stop_mu_
  std::mutex stop_mu_;
  std::size_t running_ = 0;
  std::uint64_t completed_ = 0;
  std::uint64_t rejected_ = 0;
  bool stopping_ = false;
};

}  // namespace quik::internal
