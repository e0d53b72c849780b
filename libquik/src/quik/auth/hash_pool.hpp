// SPDX-License-Identifier: MIT
// auth::HashPool: where password hashes (and login checks) run.
//
// scrypt at the default cost takes 128 MiB and a few hundred ms of CPU per
// call. The pool runs at most `threads` of them at once, on threads of its
// own (an internal::BoundedPool: not the request workers, not image
// decoding), so their memory is bounded by threads x 128 MiB; at most `queue`
// more wait. A task that finds the queue full is refused at once with
// kUnavailable (HTTP 503 with Retry-After) instead of piling up behind the
// others.
//
// Thread safety: Run may be called from any thread concurrently; it blocks
// the caller until its task has run. The destructor waits for queued tasks.
#pragma once

#include <functional>

#include "common/bounded_pool.hpp"
#include "quik/status.hpp"

namespace quik::auth {

class HashPool {
 public:
  using Stats = internal::BoundedPool::Stats;

  // `threads` >= 1 (smaller values count as 1); `queue` >= 0 waiting tasks.
  // Threads start on the first Run, so a process that never hashes (most
  // quikctl commands) never starts them.
  HashPool(int threads, int queue) : pool_(threads, queue) {}

  // Runs `task` on a pool thread and returns once it has run; kUnavailable
  // (saying to retry) without running it if `threads` tasks run and `queue`
  // wait already. Called from a task of this pool, runs `task` in place.
  Status Run(const std::function<void()>& task);

  Stats stats() const { return pool_.stats(); }

 private:
  internal::BoundedPool pool_;
};

}  // namespace quik::auth
