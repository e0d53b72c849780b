// SPDX-License-Identifier: MIT
// The JSON form of the model (quik/json.hpp): one mapping for the HTTP API and
// `quikctl -o json`. Optional fields are omitted when unset, so a script can
// test for presence instead of comparing against zero values.
#include "quik/json.hpp"

#include <cstdio>
#include <string>

namespace quik {
namespace {

using nlohmann::json;

void SetTimeIfSet(json& j, const char* key, Timestamp t) {
  if (t != 0) j[key] = FormatTime(t);
}

void SetStringIfSet(json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

std::string_view TokenKindName(TokenKind kind) {
  switch (kind) {
    case TokenKind::kSession:
      return "session";
    case TokenKind::kApi:
      return "api";
  }
  return "api";
}

}  // namespace

nlohmann::json ToJson(const User& user) {
  json j = {
      {"id", user.id},
      {"email", user.email},
      {"name", user.name},
      {"active", user.active},
      {"is_admin", user.is_admin},
      {"created_at", FormatTime(user.created_at)},
  };
  SetTimeIfSet(j, "deactivated_at", user.deactivated_at);
  return j;
}

nlohmann::json ToJson(const Workspace& workspace) {
  return {
      {"id", workspace.id},
      {"name", workspace.name},
      {"slug", workspace.slug},
      {"created_at", FormatTime(workspace.created_at)},
  };
}

nlohmann::json ToJson(const Member& member) {
  json j = {
      {"workspace_id", member.workspace_id},
      {"user_id", member.user_id},
      {"role", std::string(RoleName(member.role))},
      {"joined_at", FormatTime(member.joined_at)},
  };
  // Display fields: only list calls fill them in.
  SetStringIfSet(j, "email", member.email);
  SetStringIfSet(j, "name", member.name);
  return j;
}

nlohmann::json ToJson(const Invite& invite) {
  json j = {
      {"id", invite.id},
      {"workspace_id", invite.workspace_id},
      {"role", std::string(RoleName(invite.role))},
      {"created_at", FormatTime(invite.created_at)},
  };
  SetStringIfSet(j, "created_by", invite.created_by);
  SetTimeIfSet(j, "expires_at", invite.expires_at);
  j["max_uses"] = invite.max_uses;
  j["uses"] = invite.uses;
  SetStringIfSet(j, "email", invite.email);
  SetTimeIfSet(j, "revoked_at", invite.revoked_at);
  SetStringIfSet(j, "code", invite.code);
  return j;
}

nlohmann::json ToJson(const Channel& channel) {
  return {
      {"id", channel.id},
      {"workspace_id", channel.workspace_id},
      {"name", channel.name},
      {"topic", channel.topic},
      {"private", channel.is_private()},
      {"kind", std::string(ChannelKindName(channel.kind))},
      {"archived", channel.archived},
      {"created_by", channel.created_by},
      {"created_at", FormatTime(channel.created_at)},
  };
}

nlohmann::json ToJson(const ChannelMember& member) {
  json j = {
      {"channel_id", member.channel_id},
      {"user_id", member.user_id},
      {"joined_at", FormatTime(member.joined_at)},
  };
  SetStringIfSet(j, "email", member.email);
  SetStringIfSet(j, "name", member.name);
  return j;
}

nlohmann::json ToJson(const Message& message) {
  json j = {
      {"id", message.id},
      {"channel_id", message.channel_id},
      {"workspace_id", message.workspace_id},
      {"user_id", message.user_id},
      {"text", message.text},
      {"created_at", FormatTime(message.created_at)},
  };
  SetStringIfSet(j, "thread_root_id", message.thread_root_id);
  if (message.reply_count > 0) j["reply_count"] = message.reply_count;
  SetTimeIfSet(j, "edited_at", message.edited_at);
  SetTimeIfSet(j, "deleted_at", message.deleted_at);
  SetStringIfSet(j, "client_msg_id", message.client_msg_id);
  SetTimeIfSet(j, "last_reply_at", message.last_reply_at);
  if (!message.reply_users.empty()) {
    j["reply_users"] = message.reply_users;
    j["reply_users_count"] = message.reply_users.size();
  }
  if (message.reply_broadcast) j["reply_broadcast"] = true;
  if (!message.mentions.empty()) j["mentions"] = message.mentions;
  if (message.mentions_channel) j["mentions_channel"] = true;
  if (message.mentions_here) j["mentions_here"] = true;
  if (!message.reactions.empty()) {
    json reactions = json::array();
    for (const Reaction& r : message.reactions) reactions.push_back(ToJson(r));
    j["reactions"] = std::move(reactions);
  }
  if (!message.file_ids.empty()) j["file_ids"] = message.file_ids;
  if (!message.files.empty()) {
    json files = json::array();
    for (const File& f : message.files) files.push_back(ToJson(f));
    j["files"] = std::move(files);
  }
  return j;
}

nlohmann::json ToJson(const File& file) {
  json j = {
      {"id", file.id},
      {"workspace_id", file.workspace_id},
      {"user_id", file.user_id},
      {"name", file.name},
      {"size", file.size},
      {"content_type", file.content_type},
      {"sha256", file.sha256},
      {"has_thumbnail", file.has_thumbnail()},
      {"created_at", FormatTime(file.created_at)},
  };
  if (file.width > 0 && file.height > 0) {
    j["width"] = file.width;
    j["height"] = file.height;
  }
  return j;
}

nlohmann::json ToJson(const ReadState& state) {
  json j = {
      {"channel_id", state.channel_id},
      {"last_read_id", state.last_read_id},
      {"unread_count", state.unread_count},
      {"mention_count", state.mention_count},
  };
  if (!state.thread_root_id.empty()) {
    j["thread_root_id"] = state.thread_root_id;
    j["following"] = state.following;
  }
  return j;
}

nlohmann::json ToJson(const Reaction& reaction) {
  return {{"emoji", reaction.emoji}, {"count", reaction.count}, {"user_ids", reaction.user_ids}};
}

nlohmann::json ToJson(const Pin& pin) {
  json j = {
      {"channel_id", pin.channel_id},
      {"message_id", pin.message_id},
      {"pinned_at", FormatTime(pin.pinned_at)},
  };
  SetStringIfSet(j, "pinned_by", pin.pinned_by);
  if (!pin.message.id.empty()) j["message"] = ToJson(pin.message);
  return j;
}

nlohmann::json ToJson(const MessageEdit& edit) {
  json j = {
      {"message_id", edit.message_id},
      {"edited_at", FormatTime(edit.edited_at)},
      {"previous_text", edit.previous_text},
  };
  SetStringIfSet(j, "editor_id", edit.editor_id);
  return j;
}

nlohmann::json ToJson(const SearchHit& hit) {
  return {{"message", ToJson(hit.message)}, {"snippet", hit.snippet}};
}

nlohmann::json ToJson(const Token& token) {
  json j = {
      {"id", token.id},
      {"user_id", token.user_id},
      {"name", token.name},
      {"kind", std::string(TokenKindName(token.kind))},
      {"created_at", FormatTime(token.created_at)},
  };
  SetTimeIfSet(j, "expires_at", token.expires_at);
  SetTimeIfSet(j, "revoked_at", token.revoked_at);
  return j;
}

nlohmann::json ToJson(const IssuedToken& token) {
  json j = ToJson(token.token);
  j["token"] = token.secret;
  return j;
}

nlohmann::json ToJson(const Presence& presence) {
  json j = {
      {"user_id", presence.user_id},
      {"status", std::string(PresenceStatusName(presence.status))},
  };
  SetTimeIfSet(j, "last_seen", presence.last_seen);
  return j;
}

namespace {

std::string ClockTime(int minute) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", (minute / 60) % 24, minute % 60);
  return buf;
}

}  // namespace

nlohmann::json ToJson(const Preferences& p) {
  json j = {
      {"user_id", p.user_id},
      {"time_zone", p.time_zone},
      {"dnd",
       {{"enabled", p.dnd.enabled},
        {"start", ClockTime(p.dnd.start_minute)},
        {"end", ClockTime(p.dnd.end_minute)}}},
      {"keywords", p.keywords},
      {"muted_channels", p.muted_channels},
      {"notify", std::string(NotifyLevelName(p.notify))},
      {"dnd_active", p.dnd_active},
  };
  SetTimeIfSet(j, "dnd_until", p.dnd_until);
  SetTimeIfSet(j, "updated_at", p.updated_at);
  return j;
}

nlohmann::json ToJson(const Notification& n) {
  json j = {
      {"id", n.id},
      {"user_id", n.user_id},
      {"workspace_id", n.workspace_id},
      {"channel_id", n.channel_id},
      {"message_id", n.message_id},
      {"reason", n.reason},
      {"actor_id", n.actor_id},
      {"excerpt", n.excerpt},
      {"created_at", FormatTime(n.created_at)},
      {"read", n.read_at != 0},
  };
  SetStringIfSet(j, "thread_root_id", n.thread_root_id);
  SetTimeIfSet(j, "read_at", n.read_at);
  return j;
}

nlohmann::json ToJson(const Webhook& webhook) {
  json j = {
      {"id", webhook.id},         {"workspace_id", webhook.workspace_id},
      {"url", webhook.url},       {"events", webhook.events},
      {"paused", webhook.paused}, {"created_at", FormatTime(webhook.created_at)},
  };
  SetStringIfSet(j, "description", webhook.description);
  SetStringIfSet(j, "created_by", webhook.created_by);
  return j;
}

nlohmann::json ToJson(const CreatedWebhook& created) {
  json j = ToJson(created.webhook);
  j["secret"] = created.secret;
  return j;
}

nlohmann::json ToJson(const WebhookDelivery& d) {
  json j = {
      {"id", d.id},
      {"webhook_id", d.webhook_id},
      {"event_seq", d.event_seq},
      {"event_type", d.event_type},
      {"status", std::string(DeliveryStatusName(d.status))},
      {"attempts", d.attempts},
      {"created_at", FormatTime(d.created_at)},
  };
  if (d.status == DeliveryStatus::kPending) j["next_attempt_at"] = FormatTime(d.next_attempt_at);
  if (d.last_http_status != 0) j["last_http_status"] = d.last_http_status;
  SetStringIfSet(j, "last_error", d.last_error);
  SetTimeIfSet(j, "finished_at", d.finished_at);
  return j;
}

nlohmann::json ErrorJson(const Status& status) {
  return {{"error",
           {
               {"code", std::string(StatusCodeName(status.code()))},
               {"message", status.message()},
           }}};
}

}  // namespace quik
