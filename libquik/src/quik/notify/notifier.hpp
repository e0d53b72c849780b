// SPDX-License-Identifier: MIT
// notify::Notifier: the durable consumer of the event log ("notify") that turns
// each message.posted into notifications.
//
// For a posted message it reads the channel's members with their preferences
// and muted flags in one query, their presence in one LMDB read, the thread's
// followers for a reply, runs notify::Decide for each, and for every user
// notified writes a notifications row and a personal `notification.created`
// event (event user_id = the recipient) in the same transaction that advances
// its cursor: exactly once, across restarts (events/consumer.hpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "quik/types.hpp"
#include "service/workers.hpp"
#include "store/tx.hpp"

namespace quik::internal {
struct Context;
}

namespace quik::notify {

inline constexpr char kConsumerName[] = "notify";
// Characters of message text a notification keeps.
inline constexpr int kExcerptChars = 140;

// The server's notifier (added in internal::StartWorkers).
std::unique_ptr<internal::Worker> NewNotifier(internal::Context& ctx);

// Handles one batch of events (the consumer's handler).
Status HandleEvents(internal::Context& ctx, store::Tx& tx, const std::vector<Event>& batch);

// The first `max_chars` code points of `text`, whitespace runs folded to one
// space, with "…" when cut.
std::string Excerpt(std::string_view text, int max_chars = kExcerptChars);

}  // namespace quik::notify
