// SPDX-License-Identifier: MIT
#include "api/limits.hpp"

#include <algorithm>
#include <cmath>

namespace quik::api {
namespace {

std::chrono::seconds CeilSeconds(Clock::duration d) {
  auto s = std::chrono::ceil<std::chrono::seconds>(d);
  return std::max(s, std::chrono::seconds(1));
}

}  // namespace

RateLimiter::RateLimiter(int rate, int burst)
    : rate_(std::max(rate, 0)), burst_(burst > 0 ? burst : std::max(rate, 0)) {}

RateLimiter::RateLimiter(PerMinute per_minute)
    : rate_(std::max(per_minute.count, 0) / 60.0), burst_(std::max(per_minute.count, 0)) {}

bool RateLimiter::Allow(std::string_view key, Clock::time_point now,
                        std::chrono::seconds* retry_after) {
  if (!enabled()) return true;
  std::lock_guard lock(mu_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxKeys) Prune(now);
    it = buckets_.emplace(std::string(key), TokenBucket{burst_, now}).first;
  }
  double wait = 0;
  if (it->second.Take(rate_, burst_, now, &wait)) return true;
  *retry_after =
      CeilSeconds(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(wait)));
  return false;
}

void RateLimiter::Prune(Clock::time_point now) {
  // A bucket idle long enough to be full again carries no state.
  const auto refill = std::chrono::duration<double>(burst_ / rate_);
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (now - it->second.updated >= refill) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
  if (buckets_.size() >= kMaxKeys) buckets_.clear();  // a flood: forget, stay bounded
}

LoginLimiter::LoginLimiter(int max_failures, std::chrono::seconds window)
    : max_failures_(static_cast<std::size_t>(std::max(max_failures, 0))), window_(window) {}

void LoginLimiter::Expire(std::deque<Clock::time_point>& failures, Clock::time_point now) const {
  while (!failures.empty() && now - failures.front() >= window_) failures.pop_front();
}

bool LoginLimiter::Allow(std::string_view key, Clock::time_point now,
                         std::chrono::seconds* retry_after) {
  if (!enabled()) return true;
  std::lock_guard lock(mu_);
  auto it = failures_.find(std::string(key));
  if (it == failures_.end()) return true;
  Expire(it->second, now);
  if (it->second.size() < max_failures_) return true;
  *retry_after = CeilSeconds(it->second.front() + window_ - now);
  return false;
}

void LoginLimiter::RecordFailure(std::string_view key, Clock::time_point now) {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  auto it = failures_.find(std::string(key));
  if (it == failures_.end()) {
    if (failures_.size() >= kMaxKeys) Prune(now);
    it = failures_.emplace(std::string(key), std::deque<Clock::time_point>{}).first;
  }
  Expire(it->second, now);
  it->second.push_back(now);
  // Only the last max_failures matter for the decision.
  while (it->second.size() > max_failures_) it->second.pop_front();
}

void LoginLimiter::Clear(std::string_view key) {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  failures_.erase(std::string(key));
}

void LoginLimiter::Prune(Clock::time_point now) {
  for (auto it = failures_.begin(); it != failures_.end();) {
    Expire(it->second, now);
    if (it->second.empty()) {
      it = failures_.erase(it);
    } else {
      ++it;
    }
  }
  if (failures_.size() >= kMaxKeys) failures_.clear();
}

}  // namespace quik::api
