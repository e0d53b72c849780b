#include "events/event_log.hpp"

#include "common/ids.hpp"
#include "quik/v1/events.pb.h"

namespace quik::events {
namespace {

Status Write(store::Tx& tx, std::string_view type, std::string_view actor_id,
             std::string_view workspace_id, std::string_view channel_id,
             const quik::v1::EventPayload& payload) {
  Event e;
  e.type = type;
  e.workspace_id = workspace_id;
  e.channel_id = channel_id;
  e.user_id = actor_id;
  e.created_at = internal::NowMillis();
  if (!payload.SerializeToString(&e.payload)) return Internal("cannot serialize event payload");
  return tx.AppendEvent(e);
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

Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const Member& v) {
  quik::v1::EventPayload p;
  auto* m = p.mutable_member();
  m->set_workspace_id(v.workspace_id);
  m->set_user_id(v.user_id);
  m->set_role(std::string(RoleName(v.role)));
  m->set_joined_at(v.joined_at);
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

Status Append(store::Tx& tx, std::string_view type, std::string_view actor_id, const Message& v) {
  quik::v1::EventPayload p;
  auto* m = p.mutable_message();
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
  return Write(tx, type, actor_id, v.workspace_id, v.channel_id, p);
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

}  // namespace quik::events
