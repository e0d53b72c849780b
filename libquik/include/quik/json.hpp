// SPDX-License-Identifier: MIT
// The JSON form of the model, as the HTTP API and `quikctl -o json` print it
// (CONTRACT.md sections 1 and 2). One mapping, used by both.
#pragma once

#include <nlohmann/json.hpp>

#include "quik/notifications.hpp"
#include "quik/presence.hpp"
#include "quik/search.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"
#include "quik/webhooks.hpp"

namespace quik {

nlohmann::json ToJson(const User& user);
nlohmann::json ToJson(const Workspace& workspace);
nlohmann::json ToJson(const Member& member);
nlohmann::json ToJson(const Invite& invite);
nlohmann::json ToJson(const Channel& channel);
nlohmann::json ToJson(const ChannelMember& member);
nlohmann::json ToJson(const Message& message);
// {"id","workspace_id","user_id","name","size","content_type","sha256","has_thumbnail",
//  "created_at","width"?,"height"?}; a Message carries "file_ids" and "files" when it shares any.
nlohmann::json ToJson(const File& file);
nlohmann::json ToJson(const ReadState& state);
// {"emoji","count","user_ids"}; a Message carries "reactions" when it has any.
nlohmann::json ToJson(const Reaction& reaction);
// {"channel_id","message_id","pinned_by","pinned_at","message"} ("message"
// when the pin carries it; "pinned_by" omitted for the system).
nlohmann::json ToJson(const Pin& pin);
// {"message_id","editor_id","edited_at","previous_text"}
nlohmann::json ToJson(const MessageEdit& edit);
// {"message":{...},"snippet":"HTML-escaped text with <mark>matches</mark>"}
nlohmann::json ToJson(const SearchHit& hit);
nlohmann::json ToJson(const Token& token);
nlohmann::json ToJson(const IssuedToken& token);  // {"id":...,"token":SECRET,...}
// {"user_id":...,"status":"away","last_seen":...}; last_seen omitted when never seen.
nlohmann::json ToJson(const Presence& presence);
// {"user_id","time_zone","dnd":{"enabled","start":"22:00","end":"08:00"},"dnd_until"?,
//  "keywords","muted_channels","notify","dnd_active"}
nlohmann::json ToJson(const Preferences& preferences);
// {"id","workspace_id","channel_id","message_id","thread_root_id"?,"reason","actor_id",
//  "excerpt","created_at","read":bool,"read_at"?}
nlohmann::json ToJson(const Notification& notification);
// Webhooks: never the secret, except CreatedWebhook's "secret" (shown once).
nlohmann::json ToJson(const Webhook& webhook);
nlohmann::json ToJson(const CreatedWebhook& created);
nlohmann::json ToJson(const WebhookDelivery& delivery);
// {"error":{"code":...,"message":...}}
nlohmann::json ErrorJson(const Status& status);

}  // namespace quik
