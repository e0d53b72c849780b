// SPDX-License-Identifier: MIT
// internal::Context: what every service shares. One per quik::Service.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "auth/hash_pool.hpp"
#include "common/bounded_pool.hpp"
#include "events/bus.hpp"
#include "quik/options.hpp"
#include "quik/service.hpp"
#include "service/workers.hpp"
#include "store/store.hpp"

namespace quik::internal {

struct Context {
  Options options;
  std::unique_ptr<store::Store> store;
  // The event thread; started by the first listener (a server, on_event).
  // After store: stopped before the store closes.
  std::unique_ptr<events::Bus> bus;
  // A running server's background workers (service/workers.hpp). After bus:
  // stopped before the bus and the store.
  std::vector<std::unique_ptr<Worker>> workers;

  // Where every password hash and check runs (auth/hash_pool.hpp).
  std::unique_ptr<auth::HashPool> hash_pool;

  // A password hash at the configured cost, for constant-time failed logins.
  std::mutex dummy_hash_mu;
  Result<std::string> dummy_hash = Internal("not computed");

  // The time of options.clock: what services stamp and compare with.
  Timestamp Now() const { return options.clock->NowMillis(); }

  // Pools for the kinds of HTTP request work that must not hold the request
  // workers (api/routes.cc OnPool): finishing uploads (sniffing, thumbnails,
  // storing; files.upload_threads, files.upload_queue) and requests that
  // check or set a password (server.auth_threads, server.auth_queue). Made
  // with the context; their threads start with the first task. A server
  // stops them (BoundedPool::Stop) before it lets go of its API.
  BoundedPool& upload_pool() { return *upload_pool_; }
  BoundedPool& auth_pool() { return *auth_pool_; }
  std::unique_ptr<BoundedPool> upload_pool_;
  std::unique_ptr<BoundedPool> auth_pool_;

  // Runs `fn(tx, out)` in a write transaction and returns `out` once durable.
  template <typename T, typename F>
  Result<T> WriteResult(F&& fn) {
    T out{};
    Status st = store->Write([&](store::Tx& tx) { return fn(tx, out); });
    if (!st.ok()) return st;
    return out;
  }
  // The same in a read snapshot.
  template <typename T, typename F>
  Result<T> ReadResult(F&& fn) {
    T out{};
    Status st = store->Read([&](store::Tx& tx) { return fn(tx, out); });
    if (!st.ok()) return st;
    return out;
  }
};

// The context behind a Service that Service::Open made (nullptr for any other
// implementation), for library internals such as the server's metrics.
Context* ContextOf(Service& service);

}  // namespace quik::internal
