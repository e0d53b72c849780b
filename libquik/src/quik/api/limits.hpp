// SPDX-License-Identifier: MIT
// Request-rate and failed-login limits, kept in memory per server process.
//
// Both take the current time as an argument so that tests control the clock,
// and both bound their memory: past kMaxKeys entries, stale ones are dropped
// (and if none is stale, the oldest go), so a flood of distinct keys cannot
// grow the server without bound.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace quik::api {

using Clock = std::chrono::steady_clock;

// One token bucket: refills at `rate` tokens per second up to `burst`.
struct TokenBucket {
  double tokens;
  Clock::time_point updated;

  // Takes one token; if none is left returns false and sets `*wait` to the
  // seconds until the next one.
  bool Take(double rate, double burst, Clock::time_point now, double* wait = nullptr) {
    tokens = std::min(burst, tokens + std::chrono::duration<double>(now - updated).count() * rate);
    updated = now;
    if (tokens >= 1.0) {
      tokens -= 1.0;
      return true;
    }
    if (wait != nullptr) *wait = (1.0 - tokens) / rate;
    return false;
  }
};

// A token bucket per key: `rate` requests per second, bursts of `burst`.
class RateLimiter {
 public:
  static constexpr std::size_t kMaxKeys = 100000;

  RateLimiter(int rate, int burst);
  // `count` requests per minute, in bursts of as many (0: off).
  struct PerMinute {
    int count;
  };
  explicit RateLimiter(PerMinute per_minute);
  bool enabled() const { return rate_ > 0; }

  // Takes one token for `key`; if none is left returns false and sets
  // `*retry_after` to when the next one comes.
  bool Allow(std::string_view key, Clock::time_point now, std::chrono::seconds* retry_after);

 private:
  void Prune(Clock::time_point now);

  double rate_;
  double burst_;
  std::mutex mu_;
  std::unordered_map<std::string, TokenBucket> buckets_;
};

// Failed logins per key (an account or a client address) in a sliding window.
class LoginLimiter {
 public:
  static constexpr std::size_t kMaxKeys = 100000;

  LoginLimiter(int max_failures, std::chrono::seconds window);
  bool enabled() const { return max_failures_ > 0; }

  // Whether another attempt for `key` may proceed; if not, `*retry_after` is
  // when the oldest counted failure leaves the window.
  bool Allow(std::string_view key, Clock::time_point now, std::chrono::seconds* retry_after);
  void RecordFailure(std::string_view key, Clock::time_point now);
  // A successful login clears the account's failures.
  void Clear(std::string_view key);

 private:
  void Expire(std::deque<Clock::time_point>& failures, Clock::time_point now) const;
  void Prune(Clock::time_point now);

  std::size_t max_failures_;
  std::chrono::seconds window_;
  std::mutex mu_;
  std::unordered_map<std::string, std::deque<Clock::time_point>> failures_;
};

}  // namespace quik::api
