// SPDX-License-Identifier: MIT
#include "events/event_log.hpp"

#include "common/ids.hpp"
#include "notify/notifier.hpp"
#include "quik/json.hpp"
#include "quik/v1/events.pb.h"

namespace quik::events {
namespace {

// `message_id`: the message the event carries or is about (ListMessageEvents).
Status Write(store::Tx& tx, std::string_view type, std::string_view actor_id,
             std::string_view workspace_id, std::string_view channel_id,
             const quik::v1::EventPayload& payload, std::string_view message_id = "") {
  Event e;
  e.type = type;
  e.workspace_id = workspace_id;
  e.channel_id = channel_id;
  e.user_id = actor_id;
  e.created_at = tx.Now();
  if (!payload.SerializeToString(&e.payload)) return Internal("cannot serialize event payload");
  return tx.AppendEvent(e, message_id);
}

}  // namespace

Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const User& v) {
  quik::v1::EventPayload p;
  auto* u = p.mutable_user();
  u->set_id(v.id);
  u->set_email(v.email);
  u->set_name(v.name);
  u->set_active(v.active);
  u->set_is_admin(v.is_admin);
  u->set_created_at(v.created_at);
  u->set_deactivated_at(v.deactivated_at);
  return Write(tx, type, actor_id, "", "", p);
}

Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const Workspace& v) {
  quik::v1::EventPayload p;
  auto* w = p.mutable_workspace();
  w->set_id(v.id);
  w->set_name(v.name);
  w->set_slug(v.slug);
  w->set_created_at(v.created_at);
  return Write(tx, type, actor_id, v.id, "", p);
}

Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const Member& v,
              std::optional<Role> previous_role) {
  quik::v1::EventPayload p;
  auto* m = p.mutable_member();
  m->set_workspace_id(v.workspace_id);
  m->set_user_id(v.user_id);
  m->set_role(std::string(RoleName(v.role)));
  m->set_joined_at(v.joined_at);
  if (previous_role) m->set_previous_role(std::string(RoleName(*previous_role)));
  return Write(tx, type, actor_id, v.workspace_id, "", p);
}

Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const Invite& v) {
  quik::v1::EventPayload p;
  auto* i = p.mutable_invite();
  i->set_id(v.id);
  i->set_workspace_id(v.workspace_id);
  i->set_role(std::string(RoleName(v.role)));
  i->set_created_by(v.created_by);
  i->set_created_at(v.created_at);
  i->set_expires_at(v.expires_at);
  i->set_max_uses(v.max_uses);
  i->set_uses(v.uses);
  i->set_email(v.email);
  i->set_revoked_at(v.revoked_at);
  return Write(tx, type, actor_id, v.workspace_id, "", p);
}

Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const Channel& v) {
  quik::v1::EventPayload p;
  auto* c = p.mutable_channel();
  c->set_id(v.id);
  c->set_workspace_id(v.workspace_id);
  c->set_name(v.name);
  c->set_topic(v.topic);
  c->set_kind(std::string(ChannelKindName(v.kind)));
  c->set_archived(v.archived);
  c->set_created_by(v.created_by);
  c->set_created_at(v.created_at);
  return Write(tx, type, actor_id, v.workspace_id, v.id, p);
}

Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id,
              const ChannelMember& v, std::string_view workspace_id) {
  quik::v1::EventPayload p;
  auto* m = p.mutable_channel_member();
  m->set_channel_id(v.channel_id);
  m->set_user_id(v.user_id);
  m->set_joined_at(v.joined_at);
  return Write(tx, type, actor_id, workspace_id, v.channel_id, p);
}

namespace {

void FillFile(quik::v1::File* f, const File& v) {
  f->set_id(v.id);
  f->set_workspace_id(v.workspace_id);
  f->set_user_id(v.user_id);
  f->set_name(v.name);
  f->set_size(v.size);
  f->set_content_type(v.content_type);
  f->set_sha256(v.sha256);
  f->set_width(v.width);
  f->set_height(v.height);
  f->set_thumbnail_sha256(v.thumbnail_sha256);
  f->set_thumbnail_size(v.thumbnail_size);
  f->set_created_at(v.created_at);
}

File FileOf(const quik::v1::File& f) {
  File v;
  v.id = f.id();
  v.workspace_id = f.workspace_id();
  v.user_id = f.user_id();
  v.name = f.name();
  v.size = f.size();
  v.content_type = f.content_type();
  v.sha256 = f.sha256();
  v.width = f.width();
  v.height = f.height();
  v.thumbnail_sha256 = f.thumbnail_sha256();
  v.thumbnail_size = f.thumbnail_size();
  v.created_at = f.created_at();
  return v;
}

}  // namespace

Status Append(store::Tx& tx, std::string_view type, const File& v) {
  quik::v1::EventPayload p;
  FillFile(p.mutable_file(), v);
  return Write(tx, type, v.user_id, v.workspace_id, "", p);
}

namespace {

void FillMessage(quik::v1::Message* m, const Message& v) {
  m->set_id(v.id);
  m->set_channel_id(v.channel_id);
  m->set_workspace_id(v.workspace_id);
  m->set_user_id(v.user_id);
  m->set_text(v.text);
  m->set_client_msg_id(v.client_msg_id);
  m->set_thread_root_id(v.thread_root_id);
  m->set_reply_count(v.reply_count);
  m->set_created_at(v.created_at);
  m->set_edited_at(v.edited_at);
  m->set_deleted_at(v.deleted_at);
  m->set_last_reply_at(v.last_reply_at);
  for (const auto& u : v.reply_users) m->add_reply_users(u);
  m->set_reply_broadcast(v.reply_broadcast);
  for (const auto& u : v.mentions) m->add_mentions(u);
  m->set_mentions_channel(v.mentions_channel);
  m->set_mentions_here(v.mentions_here);
  m->set_ordinal(v.ordinal);
  m->set_reply_ordinal(v.reply_ordinal);
  for (const auto& id : v.file_ids) m->add_file_ids(id);
  for (const auto& f : v.files) FillFile(m->add_files(), f);
}

}  // namespace

Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const Message& v) {
  quik::v1::EventPayload p;
  FillMessage(p.mutable_message(), v);
  return Write(tx, type, actor_id, v.workspace_id, v.channel_id, p, v.id);
}

Result<std::vector<Event>> SupersedeMessage(store::Tx& tx, const Message& now) {
  quik::v1::Message current;
  FillMessage(&current, now);
  QUIK_ASSIGN_OR_RETURN(auto earlier, tx.ListMessageEvents(now.id));
  std::vector<Event> rewritten;
  for (Event& e : earlier) {
    quik::v1::EventPayload p;
    if (!p.ParseFromString(e.payload) || !Supersede(p, current)) continue;
    if (!p.SerializeToString(&e.payload)) return Internal("cannot serialize event payload");
    QUIK_RETURN_IF_ERROR(tx.SetEventPayload(e.seq, e.payload));
    rewritten.push_back(std::move(e));
  }
  return rewritten;
}

Status Append(store::Tx& tx, std::string_view type, const ReadState& v) {
  quik::v1::EventPayload p;
  auto* r = p.mutable_read_state();
  r->set_user_id(v.user_id);
  r->set_workspace_id(v.workspace_id);
  r->set_channel_id(v.channel_id);
  r->set_thread_root_id(v.thread_root_id);
  r->set_last_read_id(v.last_read_id);
  r->set_unread_count(v.unread_count);
  r->set_mention_count(v.mention_count);
  r->set_following(v.following);
  return Write(tx, type, v.user_id, v.workspace_id, v.channel_id, p);
}

Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const Token& v) {
  quik::v1::EventPayload p;
  auto* t = p.mutable_token();
  t->set_id(v.id);
  t->set_user_id(v.user_id);
  t->set_name(v.name);
  t->set_kind(v.kind == TokenKind::kSession ? "session" : "api");
  t->set_created_at(v.created_at);
  t->set_expires_at(v.expires_at);
  t->set_revoked_at(v.revoked_at);
  return Write(tx, type, actor_id, "", "", p);
}

Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id,
              const store::ReactionRow& v) {
  quik::v1::EventPayload p;
  auto* r = p.mutable_reaction();
  r->set_message_id(v.message_id);
  r->set_channel_id(v.channel_id);
  r->set_workspace_id(v.workspace_id);
  r->set_emoji(v.emoji);
  r->set_user_id(v.user_id);
  r->set_created_at(v.created_at);
  return Write(tx, type, actor_id, v.workspace_id, v.channel_id, p);
}

Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const Pin& v,
              std::string_view workspace_id) {
  quik::v1::EventPayload p;
  auto* pin = p.mutable_pin();
  pin->set_message_id(v.message_id);
  pin->set_channel_id(v.channel_id);
  pin->set_workspace_id(std::string(workspace_id));
  pin->set_pinned_by(v.pinned_by);
  pin->set_pinned_at(v.pinned_at);
  return Write(tx, type, actor_id, workspace_id, v.channel_id, p);
}

Status Append(store::Tx& tx, std::string_view type, const Preferences& v) {
  quik::v1::EventPayload p;
  auto* o = p.mutable_preferences();
  o->set_user_id(v.user_id);
  o->set_time_zone(v.time_zone);
  o->set_dnd_enabled(v.dnd.enabled);
  o->set_dnd_start(v.dnd.start_minute);
  o->set_dnd_end(v.dnd.end_minute);
  o->set_dnd_until(v.dnd_until);
  for (const auto& k : v.keywords) o->add_keywords(k);
  for (const auto& c : v.muted_channels) o->add_muted_channels(c);
  o->set_notify(std::string(NotifyLevelName(v.notify)));
  o->set_updated_at(v.updated_at);
  return Write(tx, type, v.user_id, "", "", p);
}

Status Append(store::Tx& tx, std::string_view type, const Notification& v) {
  quik::v1::EventPayload p;
  auto* n = p.mutable_notification();
  n->set_id(v.id);
  n->set_user_id(v.user_id);
  n->set_workspace_id(v.workspace_id);
  n->set_channel_id(v.channel_id);
  n->set_message_id(v.message_id);
  n->set_thread_root_id(v.thread_root_id);
  n->set_reason(v.reason);
  n->set_actor_id(v.actor_id);
  n->set_excerpt(v.excerpt);
  n->set_created_at(v.created_at);
  n->set_read_at(v.read_at);
  return Write(tx, type, v.user_id, v.workspace_id, v.channel_id, p, v.message_id);
}

Status AppendNotificationsRead(store::Tx& tx, std::string_view user_id,
                               const std::vector<std::string>& ids, bool all, Timestamp read_at) {
  quik::v1::EventPayload p;
  auto* r = p.mutable_notifications_read();
  for (const auto& id : ids) r->add_ids(id);
  r->set_all(all);
  r->set_read_at(read_at);
  return Write(tx, "notification.read", user_id, "", "", p);
}

Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const Webhook& v) {
  quik::v1::EventPayload p;
  auto* w = p.mutable_webhook();
  w->set_id(v.id);
  w->set_workspace_id(v.workspace_id);
  w->set_url(v.url);
  for (const std::string& e : v.events) w->add_events(e);
  w->set_description(v.description);
  w->set_paused(v.paused);
  w->set_created_by(v.created_by);
  w->set_created_at(v.created_at);
  return Write(tx, type, actor_id, v.workspace_id, "", p);
}

bool Supersede(quik::v1::EventPayload& earlier, const quik::v1::Message& now) {
  if (earlier.has_message() && earlier.message().id() == now.id()) {
    *earlier.mutable_message() = now;
    return true;
  }
  if (earlier.has_notification() && earlier.notification().message_id() == now.id()) {
    // The preview of the text as it is now (none once deleted), as the
    // notifier would have written it.
    earlier.mutable_notification()->set_excerpt(notify::Excerpt(now.text()));
    return true;
  }
  return false;
}

namespace {

std::optional<ChannelKind> ParseChannelKind(std::string_view name) {
  for (ChannelKind k :
       {ChannelKind::kPublic, ChannelKind::kPrivate, ChannelKind::kDirect, ChannelKind::kGroup}) {
    if (ChannelKindName(k) == name) return k;
  }
  return std::nullopt;
}

}  // namespace

nlohmann::json PayloadJson(const quik::v1::EventPayload& p) {
  using B = quik::v1::EventPayload;
  switch (p.body_case()) {
    case B::kUser: {
      const auto& u = p.user();
      return ToJson(User{u.id(), u.email(), u.name(), u.active(), u.is_admin(), u.created_at(),
                         u.deactivated_at()});
    }
    case B::kWorkspace: {
      const auto& w = p.workspace();
      return ToJson(Workspace{w.id(), w.name(), w.slug(), w.created_at()});
    }
    case B::kMember: {
      const auto& m = p.member();
      Member v;
      v.workspace_id = m.workspace_id();
      v.user_id = m.user_id();
      v.role = ParseRole(m.role()).value_or(Role::kGuest);
      v.joined_at = m.joined_at();
      return ToJson(v);
    }
    case B::kInvite: {
      const auto& i = p.invite();
      Invite v;
      v.id = i.id();
      v.workspace_id = i.workspace_id();
      v.role = ParseRole(i.role()).value_or(Role::kGuest);
      v.created_by = i.created_by();
      v.created_at = i.created_at();
      v.expires_at = i.expires_at();
      v.max_uses = i.max_uses();
      v.uses = i.uses();
      v.email = i.email();
      v.revoked_at = i.revoked_at();
      return ToJson(v);
    }
    case B::kChannel: {
      const auto& c = p.channel();
      Channel v;
      v.id = c.id();
      v.workspace_id = c.workspace_id();
      v.name = c.name();
      v.topic = c.topic();
      v.kind = ParseChannelKind(c.kind()).value_or(ChannelKind::kPrivate);
      v.archived = c.archived();
      v.created_by = c.created_by();
      v.created_at = c.created_at();
      return ToJson(v);
    }
    case B::kChannelMember: {
      const auto& m = p.channel_member();
      ChannelMember v;
      v.channel_id = m.channel_id();
      v.user_id = m.user_id();
      v.joined_at = m.joined_at();
      return ToJson(v);
    }
    case B::kMessage: {
      const auto& m = p.message();
      Message v;
      v.id = m.id();
      v.channel_id = m.channel_id();
      v.workspace_id = m.workspace_id();
      v.user_id = m.user_id();
      v.text = m.text();
      v.client_msg_id = m.client_msg_id();
      v.thread_root_id = m.thread_root_id();
      v.reply_count = m.reply_count();
      v.created_at = m.created_at();
      v.edited_at = m.edited_at();
      v.deleted_at = m.deleted_at();
      v.last_reply_at = m.last_reply_at();
      v.reply_users.assign(m.reply_users().begin(), m.reply_users().end());
      v.reply_broadcast = m.reply_broadcast();
      v.mentions.assign(m.mentions().begin(), m.mentions().end());
      v.mentions_channel = m.mentions_channel();
      v.mentions_here = m.mentions_here();
      v.file_ids.assign(m.file_ids().begin(), m.file_ids().end());
      for (const auto& f : m.files()) v.files.push_back(FileOf(f));
      return ToJson(v);
    }
    case B::kReadState: {
      const auto& r = p.read_state();
      ReadState v;
      v.user_id = r.user_id();
      v.workspace_id = r.workspace_id();
      v.channel_id = r.channel_id();
      v.thread_root_id = r.thread_root_id();
      v.last_read_id = r.last_read_id();
      v.unread_count = r.unread_count();
      v.mention_count = r.mention_count();
      v.following = r.following();
      return ToJson(v);
    }
    case B::kToken: {
      const auto& t = p.token();
      Token v;
      v.id = t.id();
      v.user_id = t.user_id();
      v.name = t.name();
      v.kind = t.kind() == "session" ? TokenKind::kSession : TokenKind::kApi;
      v.created_at = t.created_at();
      v.expires_at = t.expires_at();
      v.revoked_at = t.revoked_at();
      return ToJson(v);
    }
    case B::kReaction: {
      const auto& r = p.reaction();
      return {{"message_id", r.message_id()},
              {"channel_id", r.channel_id()},
              {"emoji", r.emoji()},
              {"user_id", r.user_id()},
              {"created_at", FormatTime(r.created_at())}};
    }
    case B::kPin: {
      const auto& pin = p.pin();
      Pin v;
      v.message_id = pin.message_id();
      v.channel_id = pin.channel_id();
      v.pinned_by = pin.pinned_by();
      v.pinned_at = pin.pinned_at();
      return ToJson(v);
    }
    case B::kPreferences: {
      const auto& o = p.preferences();
      Preferences v;
      v.user_id = o.user_id();
      v.time_zone = o.time_zone();
      v.dnd.enabled = o.dnd_enabled();
      v.dnd.start_minute = o.dnd_start();
      v.dnd.end_minute = o.dnd_end();
      v.dnd_until = o.dnd_until();
      v.keywords.assign(o.keywords().begin(), o.keywords().end());
      v.muted_channels.assign(o.muted_channels().begin(), o.muted_channels().end());
      v.notify = ParseNotifyLevel(o.notify()).value_or(NotifyLevel::kMentions);
      v.updated_at = o.updated_at();
      nlohmann::json j = ToJson(v);
      j.erase("dnd_active");  // depends on the time of reading, not part of the change
      return j;
    }
    case B::kNotification: {
      const auto& n = p.notification();
      Notification v;
      v.id = n.id();
      v.user_id = n.user_id();
      v.workspace_id = n.workspace_id();
      v.channel_id = n.channel_id();
      v.message_id = n.message_id();
      v.thread_root_id = n.thread_root_id();
      v.reason = n.reason();
      v.actor_id = n.actor_id();
      v.excerpt = n.excerpt();
      v.created_at = n.created_at();
      v.read_at = n.read_at();
      return ToJson(v);
    }
    case B::kNotificationsRead: {
      const auto& r = p.notifications_read();
      return {{"ids", std::vector<std::string>(r.ids().begin(), r.ids().end())},
              {"all", r.all()},
              {"read_at", FormatTime(r.read_at())}};
    }
    case B::kWebhook: {
      const auto& w = p.webhook();
      Webhook v;
      v.id = w.id();
      v.workspace_id = w.workspace_id();
      v.url = w.url();
      v.events.assign(w.events().begin(), w.events().end());
      v.description = w.description();
      v.paused = w.paused();
      v.created_by = w.created_by();
      v.created_at = w.created_at();
      return ToJson(v);
    }
    case B::kFile:
      return ToJson(FileOf(p.file()));
    case B::BODY_NOT_SET:
      break;
  }
  return nlohmann::json::object();
}

}  // namespace quik::events
