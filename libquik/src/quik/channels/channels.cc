#include "quik/channels.hpp"

#include "authz/authz.hpp"
#include "common/ids.hpp"
#include "common/text.hpp"
#include "events/event_log.hpp"
#include "service/context.hpp"

namespace quik {
namespace {

Status CheckNotArchived(const Channel& c) {
  if (c.archived) return PermissionDenied("channel #" + c.name + " is archived (read-only)");
  return Status::Ok();
}

Status AddChannelMember(store::Tx& tx, const Channel& c, std::string_view user_id,
                        std::string_view actor_id) {
  ChannelMember m{c.id, std::string(user_id), internal::NowMillis(), "", ""};
  QUIK_RETURN_IF_ERROR(tx.InsertChannelMember(m));
  return events::Append(tx, "member.joined", actor_id, m, c.workspace_id);
}

}  // namespace

Result<Channel> ChannelService::Create(const Actor& actor, std::string_view ws_ref,
                                       const NewChannel& spec) {
  QUIK_ASSIGN_OR_RETURN(std::string name, internal::NormalizeChannelName(spec.name));
  QUIK_RETURN_IF_ERROR(
      internal::CheckText(spec.topic, ctx_->options.limits.topic_max_chars, "topic", true));
  return ctx_->WriteResult<Channel>([&](store::Tx& tx, Channel& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::WorkspaceFor(tx, who, ws_ref));
    if (access.is_guest()) return PermissionDenied("guests may not create channels");
    QUIK_ASSIGN_OR_RETURN(auto taken, tx.GetChannelByName(access.workspace.id, name));
    if (taken) {
      return AlreadyExists("a channel named #" + name + " already exists in " +
                           access.workspace.slug);
    }
    out.created_at = internal::NowMillis();
    out.id = internal::NewId(out.created_at);
    out.workspace_id = access.workspace.id;
    out.name = name;
    out.topic = spec.topic;
    out.kind = spec.is_private ? ChannelKind::kPrivate : ChannelKind::kPublic;
    out.created_by = who.user.id;
    QUIK_RETURN_IF_ERROR(tx.InsertChannel(out));
    QUIK_RETURN_IF_ERROR(events::Append(tx, "channel.created", actor.user_id(), out));
    if (!who.system) QUIK_RETURN_IF_ERROR(AddChannelMember(tx, out, who.user.id, who.user.id));
    return Status::Ok();
  });
}

Result<Channel> ChannelService::Get(const Actor& actor, std::string_view ref) {
  return ctx_->ReadResult<Channel>([&](store::Tx& tx, Channel& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::ChannelFor(tx, who, ref));
    out = std::move(access.channel);
    return Status::Ok();
  });
}

Result<std::vector<Channel>> ChannelService::List(const Actor& actor, std::string_view ws_ref,
                                                  const ListChannelsRequest& request) {
  return ctx_->ReadResult<std::vector<Channel>>(
      [&](store::Tx& tx, std::vector<Channel>& out) -> Status {
        QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
        QUIK_ASSIGN_OR_RETURN(auto access, authz::WorkspaceFor(tx, who, ws_ref));
        std::vector<Channel> all;
        if (who.system) {
          QUIK_ASSIGN_OR_RETURN(all, tx.ListChannels(access.workspace.id));
        } else {
          QUIK_ASSIGN_OR_RETURN(
              all, tx.ListChannelsForUser(access.workspace.id, who.user.id, !access.is_guest()));
        }
        for (auto& c : all) {
          if (!c.archived || request.include_archived) out.push_back(std::move(c));
        }
        return Status::Ok();
      });
}

Result<Channel> ChannelService::Update(const Actor& actor, std::string_view ref,
                                       const ChannelUpdate& update) {
  std::optional<std::string> name;
  if (update.name) {
    QUIK_ASSIGN_OR_RETURN(name, internal::NormalizeChannelName(*update.name));
  }
  if (update.topic) {
    QUIK_RETURN_IF_ERROR(
        internal::CheckText(*update.topic, ctx_->options.limits.topic_max_chars, "topic", true));
  }
  return ctx_->WriteResult<Channel>([&](store::Tx& tx, Channel& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::ChannelFor(tx, who, ref));
    QUIK_RETURN_IF_ERROR(CheckNotArchived(access.channel));
    if (access.ws.is_guest()) return PermissionDenied("guests may not change channels");
    out = std::move(access.channel);
    if (name && *name != out.name) {
      if (out.kind == ChannelKind::kDirect || out.kind == ChannelKind::kGroup) {
        return InvalidArgument("direct messages have no name to change");
      }
      QUIK_ASSIGN_OR_RETURN(auto taken, tx.GetChannelByName(out.workspace_id, *name));
      if (taken) return AlreadyExists("a channel named #" + *name + " already exists");
      out.name = *name;
    }
    if (update.topic) out.topic = *update.topic;
    QUIK_RETURN_IF_ERROR(tx.UpdateChannel(out));
    return events::Append(tx, "channel.updated", actor.user_id(), out);
  });
}

Result<Channel> ChannelService::Archive(const Actor& actor, std::string_view ref) {
  return ctx_->WriteResult<Channel>([&](store::Tx& tx, Channel& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::ChannelFor(tx, who, ref));
    out = std::move(access.channel);
    if (!access.ws.is_admin() && out.created_by != who.user.id) {
      return PermissionDenied("only the channel's creator or a workspace admin may archive it");
    }
    if (out.archived) return Status::Ok();
    out.archived = true;
    QUIK_RETURN_IF_ERROR(tx.UpdateChannel(out));
    return events::Append(tx, "channel.archived", actor.user_id(), out);
  });
}

Status ChannelService::Join(const Actor& actor, std::string_view ref) {
  return ctx_->store->Write([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    if (who.system) return InvalidArgument("the system cannot join a channel; add a user");
    QUIK_ASSIGN_OR_RETURN(auto access, authz::ChannelFor(tx, who, ref));
    if (access.is_member) return Status::Ok();
    QUIK_RETURN_IF_ERROR(CheckNotArchived(access.channel));
    return AddChannelMember(tx, access.channel, who.user.id, who.user.id);
  });
}

Status ChannelService::Leave(const Actor& actor, std::string_view ref) {
  return RemoveMember(actor, ref, actor.user_id());
}

Status ChannelService::AddMember(const Actor& actor, std::string_view ref,
                                 std::string_view user_ref) {
  return ctx_->store->Write([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::ChannelFor(tx, who, ref));
    QUIK_RETURN_IF_ERROR(CheckNotArchived(access.channel));
    if (access.ws.is_guest()) return PermissionDenied("guests may not add channel members");
    if (!access.is_member && !access.ws.is_admin()) {
      return PermissionDenied("only channel members and workspace admins may add members");
    }
    QUIK_ASSIGN_OR_RETURN(auto user, authz::VisibleUser(tx, who, user_ref));
    QUIK_ASSIGN_OR_RETURN(auto member, tx.GetMember(access.channel.workspace_id, user.id));
    if (!member) {
      return NotFound("user '" + std::string(user_ref) + "' is not a member of the workspace");
    }
    QUIK_ASSIGN_OR_RETURN(bool already, tx.IsChannelMember(access.channel.id, user.id));
    if (already) return AlreadyExists(user.email + " is already in #" + access.channel.name);
    return AddChannelMember(tx, access.channel, user.id, actor.user_id());
  });
}

Status ChannelService::RemoveMember(const Actor& actor, std::string_view ref,
                                    std::string_view user_ref) {
  return ctx_->store->Write([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    if (user_ref.empty()) return InvalidArgument("the system is not a channel member");
    QUIK_ASSIGN_OR_RETURN(auto access, authz::ChannelFor(tx, who, ref));
    QUIK_ASSIGN_OR_RETURN(auto user, authz::VisibleUser(tx, who, user_ref));
    bool self = !who.system && user.id == who.user.id;
    if (!self && !access.ws.is_admin()) {
      return PermissionDenied("only workspace admins may remove others from a channel");
    }
    QUIK_ASSIGN_OR_RETURN(bool removed, tx.DeleteChannelMember(access.channel.id, user.id));
    if (!removed) return NotFound(user.email + " is not in #" + access.channel.name);
    ChannelMember m{access.channel.id, user.id, internal::NowMillis(), "", ""};
    return events::Append(tx, "member.left", actor.user_id(), m, access.channel.workspace_id);
  });
}

Result<std::vector<ChannelMember>> ChannelService::ListMembers(const Actor& actor,
                                                               std::string_view ref) {
  return ctx_->ReadResult<std::vector<ChannelMember>>(
      [&](store::Tx& tx, std::vector<ChannelMember>& out) -> Status {
        QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
        QUIK_ASSIGN_OR_RETURN(auto access, authz::ChannelFor(tx, who, ref));
        QUIK_ASSIGN_OR_RETURN(out, tx.ListChannelMembers(access.channel.id));
        return Status::Ok();
      });
}

}  // namespace quik
