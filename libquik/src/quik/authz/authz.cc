// SPDX-License-Identifier: MIT
#include "authz/authz.hpp"

#include "common/ids.hpp"
#include "common/text.hpp"

namespace quik::authz {

Result<Principal> Resolve(store::Tx& tx, const Actor& actor) {
  Principal p;
  if (actor.is_system()) {
    p.system = true;
    return p;
  }
  QUIK_ASSIGN_OR_RETURN(auto user, tx.GetUser(actor.user_id()));
  if (!user) return Unauthenticated("unknown user " + actor.user_id());
  if (!user->active) return Unauthenticated("user " + user->email + " is deactivated");
  p.user = std::move(*user);
  return p;
}

Result<User> FindUser(store::Tx& tx, std::string_view ref) {
  std::optional<User> user;
  if (ref.find('@') != std::string_view::npos) {
    QUIK_ASSIGN_OR_RETURN(user, tx.GetUserByEmail(internal::AsciiLower(ref)));
  } else if (internal::LooksLikeId(ref)) {
    QUIK_ASSIGN_OR_RETURN(user, tx.GetUser(ref));
  }
  if (!user) return NotFound("user '" + std::string(ref) + "' not found");
  return std::move(*user);
}

Result<Workspace> FindWorkspace(store::Tx& tx, std::string_view ref) {
  std::optional<Workspace> ws;
  if (internal::LooksLikeId(ref)) {
    QUIK_ASSIGN_OR_RETURN(ws, tx.GetWorkspace(ref));
  }
  if (!ws) {
    QUIK_ASSIGN_OR_RETURN(ws, tx.GetWorkspaceBySlug(ref));
  }
  if (!ws) return NotFound("workspace '" + std::string(ref) + "' not found");
  return std::move(*ws);
}

Result<Channel> FindChannel(store::Tx& tx, std::string_view ref) {
  std::optional<Channel> ch;
  size_t sep = ref.find("/#");
  if (sep != std::string_view::npos) {
    auto ws = FindWorkspace(tx, ref.substr(0, sep));
    if (!ws.ok() && ws.status().code() != StatusCode::kNotFound) return ws.status();
    if (ws.ok()) {
      QUIK_ASSIGN_OR_RETURN(ch,
                            tx.GetChannelByName(ws->id, internal::AsciiLower(ref.substr(sep + 2))));
    }
  } else if (internal::LooksLikeId(ref)) {
    QUIK_ASSIGN_OR_RETURN(ch, tx.GetChannel(ref));
  }
  if (!ch) return NotFound("channel '" + std::string(ref) + "' not found");
  return std::move(*ch);
}

Result<User> VisibleUser(store::Tx& tx, const Principal& who, std::string_view ref) {
  auto user = FindUser(tx, ref);
  if (!user.ok()) return user.status();
  if (who.is_instance_admin() || user->id == who.user.id) return user;
  QUIK_ASSIGN_OR_RETURN(bool shares, tx.SharesWorkspace(who.user.id, user->id));
  if (!shares) return NotFound("user '" + std::string(ref) + "' not found");
  return user;
}

Result<WorkspaceAccess> WorkspaceFor(store::Tx& tx, const Principal& who, std::string_view ref) {
  auto ws = FindWorkspace(tx, ref);
  if (!ws.ok()) return ws.status();
  WorkspaceAccess access{std::move(*ws), std::nullopt};
  if (who.system) return access;
  QUIK_ASSIGN_OR_RETURN(auto member, tx.GetMember(access.workspace.id, who.user.id));
  // Not a member: the workspace does not exist for this caller.
  if (!member) return NotFound("workspace '" + std::string(ref) + "' not found");
  access.role = member->role;
  return access;
}

Result<std::vector<Channel>> ReadableChannels(store::Tx& tx, const Principal& who,
                                              const WorkspaceAccess& ws) {
  if (who.system) return tx.ListChannels(ws.workspace.id);
  return tx.ListChannelsForUser(ws.workspace.id, who.user.id, !ws.is_guest());
}

Result<ChannelAccess> ChannelFor(store::Tx& tx, const Principal& who, std::string_view ref) {
  auto not_found = [&] { return NotFound("channel '" + std::string(ref) + "' not found"); };
  if (who.system) {
    QUIK_ASSIGN_OR_RETURN(auto ch, FindChannel(tx, ref));
    QUIK_ASSIGN_OR_RETURN(auto ws, WorkspaceFor(tx, who, ch.workspace_id));
    return ChannelAccess{std::move(ch), std::move(ws), false};
  }
  // One query for the channel and the caller's standing in it and its workspace.
  std::string channel_id(ref);
  if (!internal::LooksLikeId(ref)) {
    QUIK_ASSIGN_OR_RETURN(auto ch, FindChannel(tx, ref));
    channel_id = ch.id;
  }
  QUIK_ASSIGN_OR_RETURN(auto row, tx.GetChannelAccess(channel_id, who.user.id));
  if (!row || !row->role) return not_found();  // no such channel, or not in its workspace
  ChannelAccess access;
  access.ws.workspace.id = row->channel.workspace_id;
  access.ws.role = row->role;
  access.channel = std::move(row->channel);
  access.is_member = row->is_channel_member;
  if (access.is_member) return access;
  if (access.channel.kind == ChannelKind::kPublic && !access.ws.is_guest()) return access;
  return not_found();
}

Result<MessageAccess> MessageFor(store::Tx& tx, const Principal& who, std::string_view id) {
  auto not_found = [&] { return NotFound("message '" + std::string(id) + "' not found"); };
  if (!internal::LooksLikeId(id)) return not_found();
  QUIK_ASSIGN_OR_RETURN(auto msg, tx.GetMessage(id));
  if (!msg) return not_found();
  auto channel = ChannelFor(tx, who, msg->channel_id);
  if (!channel.ok()) {
    return channel.status().code() == StatusCode::kNotFound ? not_found() : channel.status();
  }
  return MessageAccess{std::move(*msg), std::move(*channel)};
}

}  // namespace quik::authz
