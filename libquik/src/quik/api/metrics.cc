// SPDX-License-Identifier: MIT
#include "api/metrics.hpp"

#include <algorithm>
#include <cstdio>

namespace quik::api {
namespace {

// Label values escape backslash, quote and newline.
std::string Label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

Metrics::Metrics() { AddRoute("", "unmatched"); }

int Metrics::AddRoute(std::string method, std::string pattern) {
  Route& r = routes_.emplace_back();
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  return static_cast<int>(routes_.size() - 1);
}

void Metrics::RecordRequest(int route, int http_status, std::chrono::nanoseconds took) {
  Route& r = routes_[static_cast<std::size_t>(route)];
  const auto* status_it = std::find(kStatuses.begin(), kStatuses.end() - 1, http_status);
  r.by_status[static_cast<std::size_t>(status_it - kStatuses.begin())].fetch_add(
      1, std::memory_order_relaxed);
  const double seconds = std::chrono::duration<double>(took).count();
  const auto bucket = std::lower_bound(kLatencyBounds.begin(), kLatencyBounds.end(), seconds) -
                      kLatencyBounds.begin();
  r.latency[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
  r.latency_sum_ns.fetch_add(static_cast<std::uint64_t>(took.count()), std::memory_order_relaxed);
}

std::string Metrics::Render(const store::WriteStats& writes) const {
  std::string out;
  out +=
      "# HELP quik_http_requests_total HTTP requests answered, by route and status.\n"
      "# TYPE quik_http_requests_total counter\n";
  for (const Route& r : routes_) {
    for (std::size_t i = 0; i < kStatuses.size(); ++i) {
      const auto n = r.by_status[i].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "quik_http_requests_total{method=\"" + Label(r.method) + "\",route=\"" +
             Label(r.pattern) + "\",status=\"" +
             (kStatuses[i] == 0 ? std::string("other") : std::to_string(kStatuses[i])) + "\"} " +
             std::to_string(n) + "\n";
    }
  }
  out +=
      "# HELP quik_http_request_duration_seconds Time from a request's last byte to its "
      "response.\n"
      "# TYPE quik_http_request_duration_seconds histogram\n";
  for (const Route& r : routes_) {
    std::uint64_t cumulative = 0;
    std::string labels = "method=\"" + Label(r.method) + "\",route=\"" + Label(r.pattern) + "\"";
    for (std::size_t i = 0; i < r.latency.size(); ++i) cumulative += r.latency[i].load();
    if (cumulative == 0) continue;
    cumulative = 0;
    for (std::size_t i = 0; i < r.latency.size(); ++i) {
      cumulative += r.latency[i].load(std::memory_order_relaxed);
      const std::string le = i < kLatencyBounds.size() ? Number(kLatencyBounds[i]) : "+Inf";
      out += "quik_http_request_duration_seconds_bucket{" + labels + ",le=\"" + le + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += "quik_http_request_duration_seconds_sum{" + labels + "} " +
           Number(static_cast<double>(r.latency_sum_ns.load()) / 1e9) + "\n";
    out += "quik_http_request_duration_seconds_count{" + labels + "} " +
           std::to_string(cumulative) + "\n";
  }
  out +=
      "# HELP quik_http_connections_open Open HTTP connections.\n"
      "# TYPE quik_http_connections_open gauge\n"
      "quik_http_connections_open " +
      std::to_string(open_connections()) +
      "\n"
      "# HELP quik_http_connections_rejected_total Connections closed at once because "
      "server.max_connections were open.\n"
      "# TYPE quik_http_connections_rejected_total counter\n"
      "quik_http_connections_rejected_total " +
      std::to_string(rejected_connections_.load()) +
      "\n"
      "# HELP quik_realtime_connections_open Open WebSocket connections.\n"
      "# TYPE quik_realtime_connections_open gauge\n"
      "quik_realtime_connections_open " +
      std::to_string(open_websockets_.load()) +
      "\n"
      "# HELP quik_realtime_frames_sent_total WebSocket frames written to clients.\n"
      "# TYPE quik_realtime_frames_sent_total counter\n"
      "quik_realtime_frames_sent_total " +
      std::to_string(frames_sent_.load()) +
      "\n"
      "# HELP quik_realtime_slow_consumers_total WebSocket connections closed because "
      "their queue passed realtime.max_queue_bytes.\n"
      "# TYPE quik_realtime_slow_consumers_total counter\n"
      "quik_realtime_slow_consumers_total " +
      std::to_string(slow_consumers_.load()) + "\n";

  out +=
      "# HELP quik_store_commit_duration_seconds Group commit time: one transaction and its "
      "sync.\n"
      "# TYPE quik_store_commit_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < writes.commit_us_buckets.size(); ++i) {
    cumulative += writes.commit_us_buckets[i];
    const std::string le = i < store::WriteStats::kCommitBoundsUs.size()
                               ? Number(store::WriteStats::kCommitBoundsUs[i] / 1e6)
                               : "+Inf";
    out += "quik_store_commit_duration_seconds_bucket{le=\"" + le + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  out += "quik_store_commit_duration_seconds_sum " +
         Number(static_cast<double>(writes.commit_us_sum) / 1e6) + "\n";
  out += "quik_store_commit_duration_seconds_count " + std::to_string(writes.commits) + "\n";
  out +=
      "# HELP quik_store_commit_batch_size Writes per group commit.\n"
      "# TYPE quik_store_commit_batch_size histogram\n";
  cumulative = 0;
  for (std::size_t i = 0; i < writes.batch_buckets.size(); ++i) {
    cumulative += writes.batch_buckets[i];
    const std::string le = i < store::WriteStats::kBatchBounds.size()
                               ? std::to_string(store::WriteStats::kBatchBounds[i])
                               : "+Inf";
    out += "quik_store_commit_batch_size_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) +
           "\n";
  }
  out += "quik_store_commit_batch_size_sum " + std::to_string(writes.writes) + "\n";
  out += "quik_store_commit_batch_size_count " + std::to_string(writes.commits) + "\n";
  return out;
}

std::string RenderPool(std::string_view prefix, std::string_view what,
                       std::string_view queue_setting, const internal::BoundedPool::Stats& stats) {
  const std::string p(prefix);
  auto metric = [&](const std::string& name, std::string_view type, const std::string& help,
                    std::uint64_t value) {
    return "# HELP " + name + " " + help + "\n# TYPE " + name + " " + std::string(type) + "\n" +
           name + " " + std::to_string(value) + "\n";
  };
  const std::string w(what);
  return metric(p + "_total", "counter", w + " run on their pool.", stats.completed) +
         metric(p + "_rejected_total", "counter",
                w + " refused (503) because " + std::string(queue_setting) + " was full.",
                stats.rejected) +
         metric(p + "_running", "gauge", w + " running now.", stats.running) +
         metric(p + "_queued", "gauge", w + " waiting for a thread.", stats.queued);
}

}  // namespace quik::api
