// SPDX-License-Identifier: MIT
// auth::HashPool: where password hashes (and login checks) run.
//
// scrypt at the default cost takes 128 MiB and a few hundred ms of CPU per
// call. The pool runs at most `threads` of them at once, on threads of its
// own (not the request workers, not image decoding), so their memory is
// bounded by threads x 128 MiB; at most `queue` more wait. A task that finds
// the queue full is refused at once with kUnavailable (HTTP 503 with
// Retry-After) instead of piling up behind the others.
//
// Thread safety: Run may be called from any thread concurrently; it blocks
// the caller until its task has run. The destructor waits for queued tasks.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "quik/status.hpp"

namespace quik::auth {

class HashPool {
 public:
  struct Stats {
    std::uint64_t completed = 0;  // tasks that ran
    std::uint64_t rejected = 0;   // refused with a full queue
    std::uint64_t running = 0;    // now
    std::uint64_t queued = 0;     // now, waiting for a thread
  };

  // `threads` >= 1 (smaller values count as 1); `queue` >= 0 waiting tasks.
  // Threads start on the first Run, so a process that never hashes (most
  // quikctl commands) never starts them.
  HashPool(int threads, int queue);
  ~HashPool();
  HashPool(const HashPool&) = delete;
  HashPool& operator=(const HashPool&) = delete;

  // Runs `task` on a pool thread and returns once it has run; kUnavailable
  // (saying to retry) without running it if `threads` tasks run and `queue`
  // wait already.
  Status Run(const std::function<void()>& task);

  Stats stats() const;

 private:
  struct Job;
  void Loop();

  const int threads_;
  const std::size_t queue_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::deque<Job*> waiting_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
  Stats stats_;
};

}  // namespace quik::auth
