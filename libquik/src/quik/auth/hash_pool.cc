// SPDX-License-Identifier: MIT
#include "auth/hash_pool.hpp"

#include <algorithm>

namespace quik::auth {

// One caller's task, on the caller's stack until it is done.
struct HashPool::Job {
  const std::function<void()>* task = nullptr;
  bool done = false;
  std::condition_variable done_cv;
};

HashPool::HashPool(int threads, int queue)
    : threads_(std::max(threads, 1)), queue_(static_cast<std::size_t>(std::max(queue, 0))) {}

HashPool::~HashPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

Status HashPool::Run(const std::function<void()>& task) {
  Job job;
  job.task = &task;
  std::unique_lock lock(mu_);
  if (workers_.empty()) {
    for (int i = 0; i < threads_; ++i) workers_.emplace_back([this] { Loop(); });
  }
  // A task waits only if every thread is busy; `queue_` bounds the waiters.
  const std::size_t busy = stats_.running + waiting_.size();
  if (busy >= static_cast<std::size_t>(threads_) + queue_) {
    ++stats_.rejected;
    return Unavailable("the server is busy checking passwords; retry in a second");
  }
  waiting_.push_back(&job);
  stats_.queued = waiting_.size();
  work_cv_.notify_one();
  job.done_cv.wait(lock, [&] { return job.done; });
  return Status::Ok();
}

void HashPool::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
    if (waiting_.empty()) return;  // stopping, and nothing left to run
    Job* job = waiting_.front();
    waiting_.pop_front();
    stats_.queued = waiting_.size();
    ++stats_.running;
    lock.unlock();
    (*job->task)();
    lock.lock();
    --stats_.running;
    ++stats_.completed;
    job->done = true;
    job->done_cv.notify_one();
  }
}

HashPool::Stats HashPool::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace quik::auth
