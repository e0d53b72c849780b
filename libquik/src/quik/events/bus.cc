// SPDX-License-Identifier: MIT
#include "events/bus.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "common/ids.hpp"

namespace quik::events {
namespace {

namespace asio = boost::asio;

constexpr std::chrono::seconds kPruneInterval{60};
constexpr int kPruneBatch = 10000;  // events deleted per transaction

}  // namespace

Bus::Bus(store::Store& store, const Options& options)
    : store_(store), retention_(options.realtime.event_retention), clock_(options.clock) {}

Bus::~Bus() { Stop(); }

Status Bus::Start() {
  std::lock_guard lock(mu_);
  if (running_) return Status::Ok();
  QUIK_ASSIGN_OR_RETURN(watch_, store_.WatchChanges());
  QUIK_RETURN_IF_ERROR(watch_->Changed().status());  // the baseline
  std::int64_t latest = 0;
  QUIK_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    QUIK_ASSIGN_OR_RETURN(latest, tx.LatestSeq());
    return Status::Ok();
  }));
  published_.store(latest, std::memory_order_release);
  io_.restart();
  poll_timer_.emplace(io_);
  prune_timer_.emplace(io_);
  store_.set_commit_listener([this] { Wake(); });
  running_ = true;
  thread_ = std::thread([this] {
    thread_id_.store(std::this_thread::get_id(), std::memory_order_release);
    auto guard = asio::make_work_guard(io_);
    Poll();
    Prune();
    io_.run();
  });
  return Status::Ok();
}

void Bus::Stop() {
  std::thread thread;
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    running_ = false;
    thread = std::move(thread_);
  }
  store_.set_commit_listener(nullptr);
  io_.stop();
  thread.join();
  // Handlers still queued (and their captures) go with the timers.
  poll_timer_.reset();
  prune_timer_.reset();
  watch_.reset();
  thread_id_.store({}, std::memory_order_release);
}

Result<std::uint64_t> Bus::AddListener(Listener listener) {
  QUIK_RETURN_IF_ERROR(Start());
  std::lock_guard lock(mu_);
  const std::uint64_t id = next_id_++;
  listeners_.emplace(id, std::make_shared<Listener>(std::move(listener)));
  return id;
}

void Bus::RemoveListener(std::uint64_t id) {
  {
    std::lock_guard lock(mu_);
    listeners_.erase(id);
  }
  // Wait out a page being handed out right now.
  if (!on_event_thread()) std::lock_guard dispatch(dispatch_mu_);
}

void Bus::Post(std::function<void()> task) { asio::post(io_, std::move(task)); }

void Bus::Wake() {
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
  asio::post(io_, [this] {
    wake_pending_.store(false, std::memory_order_release);
    CatchUp();
  });
}

void Bus::Poll() {
  auto changed = watch_->Changed();
  if (!changed.ok() || *changed) CatchUp();  // on an error, look anyway
  poll_timer_->expires_after(kPollInterval);
  poll_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) Poll();
  });
}

void Bus::CatchUp() {
  for (;;) {
    const std::int64_t after = published();
    std::vector<Event> page;
    Status st = store_.Read([&](store::Tx& tx) {
      QUIK_ASSIGN_OR_RETURN(page, tx.ReadEvents(after, kPageSize));
      return Status::Ok();
    });
    if (!st.ok() || page.empty()) return;  // a failed read is retried at the next poll
    {
      std::lock_guard dispatch(dispatch_mu_);
      std::vector<std::shared_ptr<Listener>> listeners;
      {
        std::lock_guard lock(mu_);
        listeners.reserve(listeners_.size());
        for (auto& [id, l] : listeners_) listeners.push_back(l);
      }
      for (auto& l : listeners) (*l)(page);
    }
    published_.store(page.back().seq, std::memory_order_release);
    if (static_cast<int>(page.size()) < kPageSize) return;
  }
}

void Bus::Prune() {
  if (retention_.count() > 0) {
    const Timestamp cutoff =
        clock_->NowMillis() -
        std::chrono::duration_cast<std::chrono::milliseconds>(retention_).count();
    for (;;) {
      std::int64_t deleted = 0;
      Status st = store_.Write([&](store::Tx& tx) {
        QUIK_ASSIGN_OR_RETURN(deleted, tx.PruneEvents(cutoff, kPruneBatch));
        return Status::Ok();
      });
      if (!st.ok() || deleted < kPruneBatch) break;
    }
  }
  prune_timer_->expires_after(kPruneInterval);
  prune_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) Prune();
  });
}

}  // namespace quik::events
