// SPDX-License-Identifier: MIT
// events::Consumer: a durable, exactly-once reader of the event log.
//
// A consumer has a name and a cursor in the event_consumers table. Its thread
// wakes when the bus publishes new events (and at least every kRecheck), reads
// the next batch after the cursor and hands it to the handler inside a write
// transaction that also advances the cursor: what the handler writes and the
// cursor commit together, so each event is handled exactly once, across
// restarts and across processes sharing the data dir (the write lock
// serialises them). A new consumer starts at the end of the log: it handles
// what happens after it first starts, not history.
//
// A handler that fails rolls its batch back; the consumer reports the error
// and retries the same batch after a back-off (1 s doubling to 60 s), so an
// event is never skipped.
//
// Consumers run with the server (internal::StartWorkers), not in every
// process that opens the data dir: a quikctl command does not handle events.
//
// Thread safety: Start and Stop from any thread, not concurrently; the
// handler runs on the consumer's own thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "events/bus.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"
#include "service/workers.hpp"
#include "store/store.hpp"

namespace quik::events {

class Consumer final : public internal::Worker {
 public:
  using Handler = std::function<Status(store::Tx& tx, const std::vector<Event>& batch)>;

  // Checked even without a wake-up (a missed wake, time-based work).
  static constexpr std::chrono::seconds kRecheck{1};

  Consumer(store::Store& store, Bus& bus, std::string name, Handler handler, int batch_size = 500);
  ~Consumer() override;  // Stop()
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Creates the cursor at the end of the log if it has none, then starts the
  // thread (idempotent).
  Status Start(internal::WorkerErrorFn on_error) override;
  // Stops and joins the thread (idempotent); a batch in progress finishes.
  void Stop() override;

  // Wakes the thread now (e.g. time-based work became due).
  void Wake();

  const std::string& name() const { return name_; }

 private:
  void Run();
  // Handles one batch; true if there may be more.
  Result<bool> Step();

  store::Store& store_;
  Bus& bus_;
  const std::string name_;
  const Handler handler_;
  const int batch_size_;
  internal::WorkerErrorFn on_error_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false;
  bool stop_ = false;
  bool wake_ = false;
  std::uint64_t listener_ = 0;
  std::thread thread_;
};

}  // namespace quik::events
