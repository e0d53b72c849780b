// SPDX-License-Identifier: MIT
// events::Bus: the durable event log, in seq order, for in-process consumers.
//
// One thread (the event thread) follows the log: it wakes when this process
// commits (the store's commit listener) and, for commits by other processes
// on the same data dir, when a cheap PRAGMA data_version check every
// kPollInterval says the database changed. It then reads the new events in
// pages and hands each page to every listener in turn. The realtime hub runs
// all its work on this thread (Post, timers on io()), so its state needs no
// locks.
//
// The thread also applies realtime.event_retention: once a minute it deletes
// the events older than that (a prefix of the log).
//
// Thread safety: every method may be called from any thread. Listeners and
// posted tasks run on the event thread, one at a time, never under a lock of
// the Bus.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "quik/options.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"
#include "store/store.hpp"

namespace quik::events {

class Bus {
 public:
  // How often the data dir is checked for commits by other processes.
  static constexpr std::chrono::milliseconds kPollInterval{20};
  // Events read per page.
  static constexpr int kPageSize = 1000;

  using Listener = std::function<void(const std::vector<Event>& page)>;

  Bus(store::Store& store, const Options& options);
  ~Bus();  // Stop()
  Bus(const Bus&) = delete;
  Bus& operator=(const Bus&) = delete;

  // Starts the event thread at the end of the log (idempotent). Listeners see
  // the events committed after it.
  Status Start();
  // Stops and joins the event thread (idempotent; not from the event thread).
  void Stop();

  // Adds a listener, which sees every page published after this call
  // returns. Starts the thread if needed.
  Result<std::uint64_t> AddListener(Listener listener);
  // Removes a listener; once this returns it is not running and never will
  // again (unless called from the event thread itself, where it simply stops).
  void RemoveListener(std::uint64_t id);

  // Runs `task` on the event thread (after the page being published, if any).
  // Dropped if the thread is not running.
  void Post(std::function<void()> task);

  // Reads and publishes whatever is new now (event thread only).
  void CatchUp();

  // The seq of the newest event published to listeners.
  std::int64_t published() const { return published_.load(std::memory_order_acquire); }

  // For timers of code that runs on the event thread.
  boost::asio::io_context& io() { return io_; }
  bool on_event_thread() const {
    return std::this_thread::get_id() == thread_id_.load(std::memory_order_acquire);
  }

 private:
  void Wake();  // from the commit listener: a CatchUp soon
  void Poll();  // every kPollInterval
  void Prune();

  store::Store& store_;
  const std::chrono::seconds retention_;
  const std::shared_ptr<const Clock> clock_;  // Options::clock

  boost::asio::io_context io_;
  std::optional<boost::asio::steady_timer> poll_timer_;
  std::optional<boost::asio::steady_timer> prune_timer_;
  std::unique_ptr<store::Store::ChangeWatch> watch_;

  std::mutex mu_;  // guards listeners_, next_id_, running_, thread_
  std::map<std::uint64_t, std::shared_ptr<Listener>> listeners_;
  std::uint64_t next_id_ = 1;
  bool running_ = false;
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};
  std::mutex dispatch_mu_;  // held while a page is being handed out

  std::atomic<std::int64_t> published_{0};
  std::atomic<bool> wake_pending_{false};
};

}  // namespace quik::events
