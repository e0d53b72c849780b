// SPDX-License-Identifier: MIT
// Server metrics in the Prometheus text format (version 0.0.4).
//
// Counters are relaxed atomics updated on the request path; rendering reads
// them without stopping anyone, so a scrape sees each counter's own latest
// value (not one instant across all of them), as Prometheus clients do.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "common/bounded_pool.hpp"
#include "store/store.hpp"

namespace quik::api {

class Metrics {
 public:
  // Registers a route label pair before serving starts; returns its index.
  int AddRoute(std::string method, std::string pattern);

  // One answered request of route `route` (from AddRoute, or kUnmatched).
  void RecordRequest(int route, int http_status, std::chrono::nanoseconds took);
  static constexpr int kUnmatched = 0;

  void ConnectionOpened() { open_connections_.fetch_add(1, std::memory_order_relaxed); }
  void ConnectionClosed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
  std::int64_t open_connections() const {
    return open_connections_.load(std::memory_order_relaxed);
  }
  void ConnectionRejected() { rejected_connections_.fetch_add(1, std::memory_order_relaxed); }

  // WebSocket connections (also counted as connections above), the frames
  // they sent, and those closed as slow consumers.
  void WebSocketOpened() { open_websockets_.fetch_add(1, std::memory_order_relaxed); }
  void WebSocketClosed() { open_websockets_.fetch_sub(1, std::memory_order_relaxed); }
  void FrameSent() { frames_sent_.fetch_add(1, std::memory_order_relaxed); }
  void SlowConsumerClosed() { slow_consumers_.fetch_add(1, std::memory_order_relaxed); }

  // The whole exposition, with the store's commit statistics.
  std::string Render(const store::WriteStats& writes) const;

  Metrics();

 private:
  static constexpr std::array<int, 19> kStatuses = {
      200, 201, 204, 206, 304, 400, 401, 403, 404, 405, 408, 409, 413, 429, 431, 500, 501, 503, 0};
  static constexpr std::array<double, 14> kLatencyBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  struct Route {
    std::string method;
    std::string pattern;
    std::array<std::atomic<std::uint64_t>, kStatuses.size()> by_status{};
    std::array<std::atomic<std::uint64_t>, kLatencyBounds.size() + 1> latency{};
    std::atomic<std::uint64_t> latency_sum_ns{0};
  };
  // A deque keeps each Route's address while routes are added at setup.
  std::deque<Route> routes_;
  std::atomic<std::int64_t> open_connections_{0};
  std::atomic<std::uint64_t> rejected_connections_{0};
  std::atomic<std::int64_t> open_websockets_{0};
  std::atomic<std::uint64_t> frames_sent_{0};
  std::atomic<std::uint64_t> slow_consumers_{0};
};

// A pool's counters and gauges (common/bounded_pool.hpp): PREFIX_total,
// PREFIX_rejected_total, PREFIX_running and PREFIX_queued. `what` names its
// tasks ("Password hashes"), `queue_setting` the setting that bounds them.
std::string RenderPool(std::string_view prefix, std::string_view what,
                       std::string_view queue_setting, const internal::BoundedPool::Stats& stats);

}  // namespace quik::api
