// SPDX-License-Identifier: MIT
#include "auth/hash_pool.hpp"

#include <condition_variable>
#include <mutex>

namespace quik::auth {

Status HashPool::Run(const std::function<void()>& task) {
  if (pool_.OnPoolThread()) {
    task();
    return Status::Ok();
  }
  // The caller's task, on the caller's stack until it is done: the pool
  // thread signals (once the task's slot is free again) while it holds `mu`,
  // so the caller returns (and the stack goes) only after the signal.
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  const bool queued = pool_.TrySubmit(task, [&] {
    std::lock_guard lock(mu);
    done = true;
    done_cv.notify_one();
  });
  if (!queued) return Unavailable("the server is busy checking passwords; retry in a second");
  std::unique_lock lock(mu);
  done_cv.wait(lock, [&] { return done; });
  return Status::Ok();
}

}  // namespace quik::auth
