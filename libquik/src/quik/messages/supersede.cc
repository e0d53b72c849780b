// SPDX-License-Identifier: MIT
// Deleted means gone (man/quik-api.7, "Edits and deletions"): an edit or a
// delete leaves the message's earlier texts only in its edit history (and
// deletion takes that too).
//
// Why rewrite, not filter at read time: the durable log is what /events, a
// WebSocket resume (ring or log, JSON or Protobuf), the webhook queue and the
// notifier read, and what backups copy. Rewriting the message's earlier
// events in the transaction of the edit or delete (events.message_id finds
// them through an index) makes every one of those readers, now and later,
// see the message as it is now, with no lookup on any read path. Under group
// commit this runs inside the writer's own savepoint: it commits or rolls
// back with the change, and writers later in the same batch see the
// rewritten rows. The durable consumers read inside their own write
// transactions, which the write lock orders before or after this one: a
// notification row written before it is rewritten here, one written after
// it is built from the rewritten event. The realtime hub's ring of recent
// events is in memory: it applies the same events::Supersede when the
// message.edited / message.deleted event reaches it, before any later resume
// reads the ring (realtime/hub.cc).
#include "events/event_log.hpp"
#include "messages/extras.hpp"
#include "notify/notifier.hpp"
#include "webhooks/webhooks_internal.hpp"

namespace quik::internal {

Status SupersedeEarlierTexts(store::Tx& tx, const Message& now) {
  QUIK_ASSIGN_OR_RETURN(auto rewritten, events::SupersedeMessage(tx, now));
  QUIK_RETURN_IF_ERROR(tx.SetNotificationExcerpts(now.id, notify::Excerpt(now.text)));
  for (const Event& e : rewritten) QUIK_RETURN_IF_ERROR(webhooks::RebuildDeliveries(tx, e));
  return Status::Ok();
}

}  // namespace quik::internal
