// SPDX-License-Identifier: MIT
#include <algorithm>

#include "quik/events.hpp"
#include "service/context.hpp"

namespace quik {

Result<std::vector<Event>> EventService::Read(const Actor& actor, std::int64_t after_seq,
                                              int limit) {
  if (!actor.is_system()) {
    return PermissionDenied("the raw event log is for the system; users read it through /ws");
  }
  limit = std::clamp(limit, 1, 10000);
  return ctx_->ReadResult<std::vector<Event>>([&](store::Tx& tx, std::vector<Event>& out) {
    QUIK_ASSIGN_OR_RETURN(out, tx.ReadEvents(after_seq, limit));
    return Status::Ok();
  });
}

Result<std::int64_t> EventService::LatestSeq() {
  return ctx_->ReadResult<std::int64_t>([&](store::Tx& tx, std::int64_t& out) {
    QUIK_ASSIGN_OR_RETURN(out, tx.LatestSeq());
    return Status::Ok();
  });
}

Result<std::uint64_t> EventService::Subscribe(EventListener listener) {
  if (!listener) return InvalidArgument("Subscribe needs a listener");
  return ctx_->bus->AddListener([listener = std::move(listener)](const std::vector<Event>& page) {
    for (const Event& e : page) listener(e);
  });
}

void EventService::Unsubscribe(std::uint64_t id) { ctx_->bus->RemoveListener(id); }

}  // namespace quik
