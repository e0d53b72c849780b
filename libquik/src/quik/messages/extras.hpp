// SPDX-License-Identifier: MIT
// Reactions, pins and edit history: what they share, and the hooks that
// MessageService::Edit and ::Delete (messages.cc) call inside their
// transactions.
#pragma once

#include <span>
#include <string_view>

#include "authz/authz.hpp"
#include "quik/actor.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"
#include "store/tx.hpp"

namespace quik::internal {

// A message and its channel, if the caller may read it (authz::MessageFor).
using ReadableMessage = authz::MessageAccess;

// kPermissionDenied in an archived channel; kInvalidArgument for a deleted message.
Status CheckChangeable(const ReadableMessage& m);

// Edit: records the text `before` (the message as it was) and who replaced it.
Status RecordEdit(store::Tx& tx, const Actor& actor, const Message& before);

// What every message shown to a client carries besides its row: its files
// and reactions, one query each for the whole page.
Status LoadDecorations(store::Tx& tx, std::span<Message> messages);

// Delete: unpins the message (with a pin.removed event) and purges its
// reactions and edit history.
Status OnMessageDeleted(store::Tx& tx, const Actor& actor, const Message& message);

// Edit and Delete: "deleted means gone". Rewrites, in the same transaction
// as the change, every trace of the message's earlier texts to the message
// as it is now (`now`: edited, or the tombstone): its earlier message.*
// events in the log, the excerpts of its notifications (rows and
// notification.created events), and the bodies of the webhook deliveries
// made from those events, queued ones included (messages/supersede.cc).
Status SupersedeEarlierTexts(store::Tx& tx, const Message& now);

}  // namespace quik::internal
