// SPDX-License-Identifier: MIT
#include "events/consumer.hpp"

#include <algorithm>

namespace quik::events {

Consumer::Consumer(store::Store& store, Bus& bus, std::string name, Handler handler, int batch_size)
    : store_(store),
      bus_(bus),
      name_(std::move(name)),
      handler_(std::move(handler)),
      batch_size_(std::max(1, batch_size)) {}

Consumer::~Consumer() { Stop(); }

Status Consumer::Start(internal::WorkerErrorFn on_error) {
  {
    std::lock_guard lock(mu_);
    if (running_) return Status::Ok();
  }
  QUIK_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto cursor, tx.GetConsumerCursor(name_));
    if (cursor) return Status::Ok();
    QUIK_ASSIGN_OR_RETURN(std::int64_t latest, tx.LatestSeq());
    return tx.SetConsumerCursor(name_, latest);
  }));
  QUIK_ASSIGN_OR_RETURN(listener_, bus_.AddListener([this](const std::vector<Event>&) { Wake(); }));
  std::lock_guard lock(mu_);
  on_error_ = std::move(on_error);
  running_ = true;
  stop_ = false;
  wake_ = true;  // whatever came before the listener
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void Consumer::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    stop_ = true;
  }
  cv_.notify_all();
  bus_.RemoveListener(listener_);
  thread_.join();
  std::lock_guard lock(mu_);
  running_ = false;
}

void Consumer::Wake() {
  {
    std::lock_guard lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

Result<bool> Consumer::Step() {
  bool more = false;
  Status st = store_.Write([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto cursor, tx.GetConsumerCursor(name_));
    std::int64_t after = cursor.value_or(0);
    // Events pruned by retention while no consumer ran are gone: go on from
    // the oldest one kept.
    QUIK_ASSIGN_OR_RETURN(auto batch, tx.ReadEvents(after, batch_size_));
    if (batch.empty()) return Status::Ok();
    QUIK_RETURN_IF_ERROR(handler_(tx, batch));
    more = static_cast<int>(batch.size()) == batch_size_;
    return tx.SetConsumerCursor(name_, batch.back().seq);
  });
  if (!st.ok()) return st;
  return more;
}

void Consumer::Run() {
  auto backoff = std::chrono::milliseconds(0);
  for (;;) {
    {
      std::unique_lock lock(mu_);
      const auto wait = backoff.count() > 0 ? backoff : std::chrono::milliseconds(kRecheck);
      cv_.wait_for(lock, wait, [&] { return stop_ || (wake_ && backoff.count() == 0); });
      if (stop_) return;
      wake_ = false;
    }
    for (;;) {
      auto more = Step();
      if (!more.ok()) {
        if (on_error_) on_error_(name_, more.status());
        backoff = std::clamp(backoff * 2, std::chrono::milliseconds(1000),
                             std::chrono::milliseconds(60000));
        break;
      }
      backoff = std::chrono::milliseconds(0);
      std::lock_guard lock(mu_);
      if (!*more || stop_) break;
    }
  }
}

}  // namespace quik::events
