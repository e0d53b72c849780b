// SPDX-License-Identifier: MIT
// internal::Worker: background work of a running server over the data dir,
// such as the durable event consumers (events/consumer.hpp) behind
// notifications and webhooks.
//
// Workers run with the server, not in every process that opens the data dir:
// Server start calls StartWorkers, its shutdown StopWorkers. Each module adds
// its workers in StartWorkers (service/workers.cc).
#pragma once

#include <functional>
#include <string>

#include "quik/status.hpp"

namespace quik::internal {

struct Context;

// Reports a worker's failure (the worker retries by itself).
using WorkerErrorFn = std::function<void(const std::string& worker, const Status& error)>;

class Worker {
 public:
  virtual ~Worker() = default;
  virtual Status Start(WorkerErrorFn on_error) = 0;
  virtual void Stop() = 0;  // idempotent
};

// Creates and starts every module's workers (idempotent).
Status StartWorkers(Context& ctx, WorkerErrorFn on_error);
// Stops them, newest first (idempotent).
void StopWorkers(Context& ctx);

}  // namespace quik::internal
