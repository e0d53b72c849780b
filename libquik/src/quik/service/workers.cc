// SPDX-License-Identifier: MIT
#include "service/workers.hpp"

#include "notify/notifier.hpp"
#include "service/context.hpp"
#include "webhooks/webhooks_internal.hpp"

namespace quik::internal {

Status StartWorkers(Context& ctx, WorkerErrorFn on_error) {
  if (!ctx.workers.empty()) return Status::Ok();
  // Each module adds its workers here, e.g.
  //   ctx.workers.push_back(notify::NewNotifier(ctx));
  ctx.workers.push_back(notify::NewNotifier(ctx));
  ctx.workers.push_back(webhooks::NewEnqueuer(ctx));
  ctx.workers.push_back(webhooks::NewDeliveryWorker(ctx));
  for (auto& w : ctx.workers) {
    Status st = w->Start(on_error);
    if (!st.ok()) {
      StopWorkers(ctx);
      return st;
    }
  }
  return Status::Ok();
}

void StopWorkers(Context& ctx) {
  for (auto it = ctx.workers.rbegin(); it != ctx.workers.rend(); ++it) (*it)->Stop();
  ctx.workers.clear();
}

}  // namespace quik::internal
