// SPDX-License-Identifier: MIT
#include "quik/clock.hpp"

#include "common/ids.hpp"

namespace quik {
namespace {

class SystemClockImpl final : public Clock {
 public:
  Timestamp NowMillis() const override { return internal::NowMillis(); }
  std::chrono::steady_clock::time_point SteadyNow() const override {
    return std::chrono::steady_clock::now();
  }
};

}  // namespace

std::shared_ptr<const Clock> SystemClock() {
  static const std::shared_ptr<const Clock> clock = std::make_shared<SystemClockImpl>();
  return clock;
}

ManualClock::ManualClock(Timestamp start)
    : start_(start != 0 ? start : internal::NowMillis()),
      steady_start_(std::chrono::steady_clock::now()) {}

Timestamp ManualClock::NowMillis() const {
  return start_ + elapsed_ms_.load(std::memory_order_acquire);
}

std::chrono::steady_clock::time_point ManualClock::SteadyNow() const {
  return steady_start_ + std::chrono::milliseconds(elapsed_ms_.load(std::memory_order_acquire));
}

void ManualClock::Advance(std::chrono::milliseconds by) {
  if (by.count() > 0) elapsed_ms_.fetch_add(by.count(), std::memory_order_acq_rel);
}

}  // namespace quik
