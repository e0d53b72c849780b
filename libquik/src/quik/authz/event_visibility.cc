// SPDX-License-Identifier: MIT
#include "authz/event_visibility.hpp"

#include <algorithm>

namespace quik::authz {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

bool IsPersonal(std::string_view type) {
  for (std::string_view prefix : {"read.", "notification.", "thread.", "preferences.", "file."}) {
    if (StartsWith(type, prefix)) return true;
  }
  return false;
}

bool IsChannelInfo(std::string_view type) {
  return type == "channel.created" || type == "channel.updated" || type == "channel.archived" ||
         type == "channel.unarchived";
}

DecodedEvent Decode(Event event) {
  DecodedEvent d;
  d.decoded = d.payload.ParseFromString(event.payload);
  event.payload.clear();  // the decoded form is what is kept
  d.event = std::move(event);
  const auto& p = d.payload;
  switch (p.body_case()) {
    case v1::EventPayload::kMember:
      d.subject = p.member().user_id();
      break;
    case v1::EventPayload::kChannelMember:
      d.subject = p.channel_member().user_id();
      break;
    case v1::EventPayload::kUser:
      d.subject = p.user().id();
      break;
    case v1::EventPayload::kToken:
      d.subject = p.token().user_id();
      break;
    case v1::EventPayload::kWorkspace:
    case v1::EventPayload::kChannel:
      if (d.event.type == "workspace.created" || d.event.type == "channel.created") {
        d.subject = d.event.user_id;
      }
      break;
    default:
      break;
  }
  // A personal event is about its user_id: the hub delivers it to them even
  // when it names no workspace or channel.
  if (IsPersonal(d.event.type)) d.subject = d.event.user_id;
  return d;
}

bool View::InChannel(const std::string& channel_id) const {
  auto it = channels_.find(channel_id);
  return it != channels_.end() && workspaces_.count(it->second) > 0;
}

void View::ApplyBefore(const DecodedEvent& e, Change* change) {
  if (e.subject != user_id_ || !e.decoded) return;
  const std::string& type = e.event.type;
  if (type == "member.joined" || type == "member.updated") {
    if (e.payload.has_member()) {
      const auto role = ParseRole(e.payload.member().role()).value_or(Role::kGuest);
      const bool is_new = workspaces_.count(e.event.workspace_id) == 0;
      workspaces_[e.event.workspace_id] = role;
      if (is_new && change) change->joined_workspaces.push_back(e.event.workspace_id);
    } else if (e.payload.has_channel_member() && type == "member.joined") {
      const bool is_new = channels_.count(e.event.channel_id) == 0;
      channels_[e.event.channel_id] = e.event.workspace_id;
      if (is_new && change) change->joined_channels.push_back(e.event.channel_id);
    }
  }
}

void View::ApplyAfter(const DecodedEvent& e, Change* change) {
  if (!e.decoded) return;
  const std::string& type = e.event.type;
  if (type == "workspace.deleted") return LeaveWorkspace(e.event.workspace_id, change);
  if (e.subject != user_id_ || type != "member.left") return;
  if (e.payload.has_member()) return LeaveWorkspace(e.event.workspace_id, change);
  if (channels_.erase(e.event.channel_id) > 0 && change) {
    change->left_channels.push_back(e.event.channel_id);
  }
}

void View::LeaveWorkspace(const std::string& workspace_id, Change* change) {
  if (workspaces_.erase(workspace_id) > 0 && change) {
    change->left_workspaces.push_back(workspace_id);
  }
  // Leaving a workspace leaves its channels (DeleteMember removes those rows).
  for (auto it = channels_.begin(); it != channels_.end();) {
    if (it->second == workspace_id) {
      if (change) change->left_channels.push_back(it->first);
      it = channels_.erase(it);
    } else {
      ++it;
    }
  }
}

void View::Unapply(const DecodedEvent& e) {
  if (e.subject != user_id_ || !e.decoded) return;
  const std::string& type = e.event.type;
  if (e.payload.has_channel_member()) {
    if (type == "member.joined") channels_.erase(e.event.channel_id);
    if (type == "member.left") channels_[e.event.channel_id] = e.event.workspace_id;
  } else if (e.payload.has_member()) {
    if (type == "member.joined") workspaces_.erase(e.event.workspace_id);
    if (type == "member.left") {
      workspaces_[e.event.workspace_id] =
          ParseRole(e.payload.member().role()).value_or(Role::kGuest);
    }
    if (type == "member.updated" && !e.payload.member().previous_role().empty()) {
      workspaces_[e.event.workspace_id] =
          ParseRole(e.payload.member().previous_role()).value_or(Role::kGuest);
    }
  }
}

bool View::MaySee(const DecodedEvent& e) const {
  if (!e.decoded) return false;
  const Event& ev = e.event;
  const std::string& type = ev.type;
  if (StartsWith(type, "token.") || StartsWith(type, "session.")) return false;
  if (IsPersonal(type)) return ev.user_id == user_id_;
  if (ev.workspace_id.empty()) return e.subject == user_id_;  // user.*: the user themself
  // News of one's own membership (even a resume that could not rewind to it).
  if (e.subject == user_id_ && StartsWith(type, "member.")) return true;
  const auto ws = workspaces_.find(ev.workspace_id);
  if (ws == workspaces_.end()) {
    // The creator of a workspace, whose owner membership follows the creation.
    return type == "workspace.created" && e.subject == user_id_;
  }
  const Role role = ws->second;
  if (!ev.channel_id.empty()) {
    if (IsChannelInfo(type) && e.payload.has_channel() && e.payload.channel().kind() == "public") {
      return role != Role::kGuest || InChannel(ev.channel_id);
    }
    // The creator of a private channel or DM, whose membership follows the creation.
    if (type == "channel.created" && e.subject == user_id_) return true;
    return InChannel(ev.channel_id);
  }
  if (StartsWith(type, "invite.")) return role == Role::kOwner || role == Role::kAdmin;
  if (StartsWith(type, "webhook.")) return role == Role::kOwner || role == Role::kAdmin;
  return true;
}

bool View::Step(const DecodedEvent& e) {
  ApplyBefore(e);
  const bool visible = MaySee(e);
  ApplyAfter(e);
  return visible;
}

Result<View> ViewAsOf(store::Tx& tx, View view, std::int64_t through, std::int64_t at) {
  if (at >= through) return view;
  QUIK_ASSIGN_OR_RETURN(auto events, tx.ReadMembershipEvents(at, through));
  std::for_each(events.rbegin(), events.rend(),
                [&](Event& e) { view.Unapply(Decode(std::move(e))); });
  return view;
}

}  // namespace quik::authz
