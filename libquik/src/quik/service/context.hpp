// SPDX-License-Identifier: MIT
// internal::Context: what every service shares. One per quik::Service.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/bounded_pool.hpp"
#include "auth/hash_pool.hpp"
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

  // Where HTTP uploads are finished (type, thumbnail, storing): apart from
  // the request workers (files.upload_threads, files.upload_queue). Started
  // on first use; stopped before the store closes.
  BoundedPool& upload_pool() {
    std::call_once(upload_pool_once, [this] {
      upload_pool_ =
          std::make_unique<BoundedPool>(options.files.upload_threads, options.files.upload_queue);
    });
    return *upload_pool_;
  }
  std::once_flag upload_pool_once;
  std::unique_ptr<BoundedPool> upload_pool_;

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
