// SPDX-License-Identifier: MIT
// quik::Clock: where libquik reads the time (Options::clock).
//
// Timestamps, the expiry of tokens and invites, event retention, presence,
// notification DND and rate limits all read Options::clock, so that a test or
// a simulation can move time on with a ManualClock instead of sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

#include "quik/types.hpp"

namespace quik {

// Threading: called from every library thread at once; an implementation
// must be thread-safe and must not block.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall time, ms since the Unix epoch (UTC): what is stored and compared
  // with stored times (created_at, expires_at, retention).
  virtual Timestamp NowMillis() const = 0;
  // Monotonic time: rate limits and intervals.
  virtual std::chrono::steady_clock::time_point SteadyNow() const = 0;
};

// The system's clocks (std::chrono::system_clock and steady_clock); shared.
std::shared_ptr<const Clock> SystemClock();

// A clock that moves only when told to; both of its times move together.
// Thread-safe.
class ManualClock : public Clock {
 public:
  // Starts at wall time `start` (0: the system time now).
  explicit ManualClock(Timestamp start = 0);

  Timestamp NowMillis() const override;
  std::chrono::steady_clock::time_point SteadyNow() const override;

  // Moves both times on by `by` (a negative `by` is ignored).
  void Advance(std::chrono::milliseconds by);

 private:
  Timestamp start_;
  std::chrono::steady_clock::time_point steady_start_;
  std::atomic<std::int64_t> elapsed_ms_{0};
};

}  // namespace quik
