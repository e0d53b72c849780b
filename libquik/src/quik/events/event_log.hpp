// SPDX-License-Identifier: MIT
// Appending to the durable event log from inside a write transaction. Each
// call serializes one model object as a quik.v1.EventPayload.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "quik/notifications.hpp"
#include "quik/types.hpp"
#include "store/tx.hpp"

namespace quik::v1 {
class EventPayload;
class Message;
}  // namespace quik::v1

namespace quik::events {

// `actor_id`: the user who made the change ("" for the system).
Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const User& v);
Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const Workspace& v);
// member.updated names the role before the change (`previous_role`).
Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const Member& v,
              std::optional<Role> previous_role = std::nullopt);
Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const Invite& v);
Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const Channel& v);
Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id,
              const ChannelMember& v, std::string_view workspace_id);
Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const Message& v);
Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const Token& v);
// A personal event (realtime::IsPersonal): its user_id is state.user_id.
Status Append(store::Tx& tx, std::string_view type, const ReadState& v);
// reaction.added / reaction.removed and pin.added / pin.removed: channel events.
Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id,
              const store::ReactionRow& v);
Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const Pin& v,
              std::string_view workspace_id);
// Notifications and preferences: personal events, whose event user_id is the
// user they belong to (not an actor), so that only they receive them.
Status Append(store::Tx& tx, std::string_view type, const Preferences& v);
Status Append(store::Tx& tx, std::string_view type, const Notification& v);
Status AppendNotificationsRead(store::Tx& tx, std::string_view user_id,
                               const std::vector<std::string>& ids, bool all, Timestamp read_at);
Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const Webhook& v);
// file.created / file.deleted: personal events of the uploader (v.user_id).
Status Append(store::Tx& tx, std::string_view type, const File& v);

// Rewrites an earlier event's payload to carry message `now` as it is now
// (edited, or a tombstone once deleted): a message payload with the same id
// becomes `now`, a notification about it gets the excerpt of now's text.
// false (and no change) for payloads that carry no trace of the message.
// messages/supersede.cc applies it to the log, realtime::Hub to its ring.
bool Supersede(quik::v1::EventPayload& earlier, const quik::v1::Message& now);

// Rewrites, in `tx`, every event still in the log that carries message
// `now.id` or is about it (Supersede), so that the log holds the message only
// as it is now; returns the rewritten events (with their new payloads).
Result<std::vector<Event>> SupersedeMessage(store::Tx& tx, const Message& now);

// The inverse: the object a payload carries, in its JSON form (quik/json.hpp),
// as the realtime frames' "data" shows it; {} for an empty payload.
nlohmann::json PayloadJson(const quik::v1::EventPayload& payload);

}  // namespace quik::events
