// SPDX-License-Identifier: MIT
#include "common/bounded_pool.hpp"

#include <algorithm>

namespace quik::internal {
namespace {

// The pool whose Loop the calling thread runs, if any.
thread_local const BoundedPool* current_pool = nullptr;

}  // namespace

BoundedPool::BoundedPool(int threads, int queue)
    : threads_(static_cast<std::size_t>(std::max(1, threads))),
      queue_(static_cast<std::size_t>(std::max(0, queue))) {}

BoundedPool::~BoundedPool() { Stop(); }

void BoundedPool::Stop() {
  std::lock_guard stop_lock(stop_mu_);
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    workers.swap(workers_);  // no thread starts once stopping_ is set
  }
  cv_.notify_all();
  for (auto& t : workers) t.join();
}

bool BoundedPool::TrySubmit(std::function<void()> task, std::function<void()> then) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || running_ + waiting_.size() >= threads_ + queue_) {
      ++rejected_;
      return false;
    }
    waiting_.push_back(Task{std::move(task), std::move(then)});
    // A thread per task in flight, up to `threads_`: idle ones wait on cv_.
    if (workers_.size() < threads_ && workers_.size() < running_ + waiting_.size()) {
      workers_.emplace_back([this] { Loop(); });
    }
  }
  cv_.notify_one();
  return true;
}

bool BoundedPool::OnPoolThread() const { return current_pool == this; }

BoundedPool::Stats BoundedPool::stats() const {
  std::lock_guard lock(mu_);
  return Stats{completed_, rejected_, running_, waiting_.size()};
}

void BoundedPool::Loop() {
  current_pool = this;
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
    if (waiting_.empty()) return;  // stopping, and nothing left to run
    Task task = std::move(waiting_.front());
    waiting_.pop_front();
    ++running_;
    lock.unlock();
    task.run();
    task.run = nullptr;  // what it captured goes before the slot is free
    lock.lock();
    --running_;
    ++completed_;
    if (task.then) {
      lock.unlock();
      task.then();
      task.then = nullptr;
      lock.lock();
    }
  }
}

}  // namespace quik::internal
