// SPDX-License-Identifier: MIT
#include "quik/channels.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "authz/authz.hpp"
#include "channels/channels_internal.hpp"
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

bool IsDirect(const Channel& c) {
  return c.kind == ChannelKind::kDirect || c.kind == ChannelKind::kGroup;
}

// DMs keep the people they were opened with: a different set is another DM.
Status CheckNotDirect(const Channel& c, std::string_view refusal) {
  if (IsDirect(c)) return InvalidArgument(std::string(refusal));
  return Status::Ok();
}

}  // namespace

namespace channels {

std::string DirectKey(const People& people) {
  std::string dm_key;
  for (const auto& [id, user] : people) dm_key += (dm_key.empty() ? "" : ",") + id;
  return dm_key;
}

ChannelKind DirectKind(const People& people) {
  return people.size() <= 2 ? ChannelKind::kDirect : ChannelKind::kGroup;
}

// A DM's name: a readable label, not a key (the set of people is, as dm_key):
// "dm-" and its people's email local parts, sorted, in the channel-name
// alphabet, at most 80 characters.
std::string DirectName(const People& people) {
  std::vector<std::string> labels;
  for (const auto& [id, user] : people) {
    std::string label;
    for (char ch : std::string_view(user.email).substr(0, user.email.find('@'))) {
      char c = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      label += ok ? c : '-';
    }
    if (label.find_first_not_of('-') == std::string::npos) label = internal::AsciiLower(id);
    labels.push_back(std::move(label));
  }
  std::sort(labels.begin(), labels.end());
  std::string name = "dm";
  for (const std::string& label : labels) name += "-" + label;
  if (name.size() > 80) name.resize(80);
  while (name.back() == '-') name.pop_back();
  return name;
}

}  // namespace channels

namespace channels {

Result<Channel> CreateInTx(store::Tx& tx, const Workspace& ws, std::string_view name,
                           bool is_private, std::string_view topic, std::string_view creator_id,
                           std::string_view actor_id) {
  QUIK_ASSIGN_OR_RETURN(auto taken, tx.GetChannelByName(ws.id, name));
  if (taken) {
    return AlreadyExists("a channel named #" + std::string(name) + " already exists in " + ws.slug);
  }
  Channel out;
  out.created_at = tx.Now();
  out.id = internal::NewId(out.created_at);
  out.workspace_id = ws.id;
  out.name = name;
  out.topic = topic;
  out.kind = is_private ? ChannelKind::kPrivate : ChannelKind::kPublic;
  out.created_by = creator_id;
  QUIK_RETURN_IF_ERROR(tx.InsertChannel(out));
  QUIK_RETURN_IF_ERROR(events::Append(tx, "channel.created", actor_id, out));
  if (!creator_id.empty()) QUIK_RETURN_IF_ERROR(AddMemberInTx(tx, out, creator_id, creator_id));
  return out;
}

Status UpdateInTx(store::Tx& tx, const Channel& c, std::string_view actor_id) {
  QUIK_RETURN_IF_ERROR(tx.UpdateChannel(c));
  return events::Append(tx, "channel.updated", actor_id, c);
}

Status ArchiveInTx(store::Tx& tx, Channel& c, std::string_view actor_id) {
  if (c.archived) return Status::Ok();
  c.archived = true;
  QUIK_RETURN_IF_ERROR(tx.UpdateChannel(c));
  return events::Append(tx, "channel.archived", actor_id, c);
}

Status UnarchiveInTx(store::Tx& tx, Channel& c, std::string_view actor_id) {
  if (!c.archived) return Status::Ok();
  c.archived = false;
  QUIK_RETURN_IF_ERROR(tx.UpdateChannel(c));
  return events::Append(tx, "channel.unarchived", actor_id, c);
}

Status AddMemberInTx(store::Tx& tx, const Channel& c, std::string_view user_id,
                     std::string_view actor_id, Timestamp joined_at) {
  ChannelMember m{c.id, std::string(user_id), joined_at != 0 ? joined_at : tx.Now(), "", ""};
  QUIK_RETURN_IF_ERROR(tx.InsertChannelMember(m));
  return events::Append(tx, "member.joined", actor_id, m, c.workspace_id);
}

Result<bool> RemoveMemberInTx(store::Tx& tx, const Channel& c, std::string_view user_id,
                              std::string_view actor_id) {
  QUIK_ASSIGN_OR_RETURN(bool removed, tx.DeleteChannelMember(c.id, user_id));
  if (!removed) return false;
  ChannelMember m{c.id, std::string(user_id), tx.Now(), "", ""};
  QUIK_RETURN_IF_ERROR(events::Append(tx, "member.left", actor_id, m, c.workspace_id));
  return true;
}

}  // namespace channels

Result<Channel> ChannelService::Create(const Actor& actor, std::string_view ws_ref,
                                       const NewChannel& spec) {
  QUIK_ASSIGN_OR_RETURN(std::string name, internal::NormalizeChannelName(spec.name));
  QUIK_RETURN_IF_ERROR(
      internal::CheckText(spec.topic, ctx_->options.limits.topic_max_chars, "topic", true));
  return ctx_->WriteResult<Channel>([&](store::Tx& tx, Channel& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::WorkspaceFor(tx, who, ws_ref));
    if (access.is_guest()) return PermissionDenied("guests may not create channels");
    QUIK_ASSIGN_OR_RETURN(out, channels::CreateInTx(tx, access.workspace, name, spec.is_private,
                                                    spec.topic, who.user.id, actor.user_id()));
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
        QUIK_ASSIGN_OR_RETURN(auto all, authz::ReadableChannels(tx, who, access));
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
    return channels::UpdateInTx(tx, out, actor.user_id());
  });
}

Result<Channel> ChannelService::Archive(const Actor& actor, std::string_view ref) {
  return ctx_->WriteResult<Channel>([&](store::Tx& tx, Channel& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::ChannelFor(tx, who, ref));
    QUIK_RETURN_IF_ERROR(CheckNotDirect(access.channel, "DMs cannot be archived"));
    out = std::move(access.channel);
    if (!access.ws.is_admin() && out.created_by != who.user.id) {
      return PermissionDenied("only the channel's creator or a workspace admin may archive it");
    }
    return channels::ArchiveInTx(tx, out, actor.user_id());
  });
}

Result<DirectChannel> ChannelService::OpenDirect(const Actor& actor, std::string_view ws_ref,
                                                 const std::vector<std::string>& user_refs) {
  if (user_refs.empty()) return InvalidArgument("name at least one user to open a DM with");
  // Duplicates collapse only once resolved; this bounds the lookups.
  constexpr size_t kMaxRefs = 4 * kMaxDirectPeople;
  if (user_refs.size() > kMaxRefs) {
    return InvalidArgument("a group DM holds at most " + std::to_string(kMaxDirectPeople) +
                           " people; " + std::to_string(user_refs.size()) + " users named");
  }
  for (const std::string& ref : user_refs) {
    if (ref.empty()) return InvalidArgument("an empty user id or email in the list");
  }
  return ctx_->WriteResult<DirectChannel>([&](store::Tx& tx, DirectChannel& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::WorkspaceFor(tx, who, ws_ref));
    const Workspace& ws = access.workspace;
    channels::People people;  // by id: deduplicated and sorted for dm_key
    if (!who.system) people.emplace(who.user.id, who.user);
    for (const std::string& ref : user_refs) {
      // An unknown user and one outside the workspace look the same.
      auto not_member = [&] {
        return NotFound("user '" + ref + "' is not a member of workspace " + ws.slug);
      };
      auto user = authz::FindUser(tx, ref);
      if (!user.ok()) {
        return user.status().code() == StatusCode::kNotFound ? not_member() : user.status();
      }
      QUIK_ASSIGN_OR_RETURN(auto member, tx.GetMember(ws.id, user->id));
      if (!member) return not_member();
      if (!user->active) return InvalidArgument("user '" + ref + "' is deactivated");
      std::string id = user->id;
      people.emplace(std::move(id), std::move(*user));
    }
    if (who.system && people.size() < 2) {
      return InvalidArgument("the system is not a person: name at least two users for a DM");
    }
    if (people.size() > static_cast<size_t>(kMaxDirectPeople)) {
      return InvalidArgument("a group DM holds at most " + std::to_string(kMaxDirectPeople) +
                             " people, not " + std::to_string(people.size()));
    }
    std::string dm_key = channels::DirectKey(people);

    QUIK_ASSIGN_OR_RETURN(auto existing, tx.GetChannelByDmKey(ws.id, dm_key));
    if (!existing) {
      Channel& c = out.channel;
      c.created_at = tx.Now();
      c.id = internal::NewId(c.created_at);
      c.workspace_id = ws.id;
      c.name = channels::DirectName(people);
      c.kind = channels::DirectKind(people);
      c.created_by = who.user.id;
      Status inserted = tx.InsertDirectChannel(c, dm_key);
      if (inserted.ok()) {
        out.created = true;
        QUIK_RETURN_IF_ERROR(events::Append(tx, "channel.created", actor.user_id(), c));
        for (const auto& [id, user] : people) {
          QUIK_RETURN_IF_ERROR(channels::AddMemberInTx(tx, c, id, actor.user_id()));
        }
        return Status::Ok();
      }
      // Another process made it first: the unique index on dm_key kept one.
      if (inserted.code() != StatusCode::kAlreadyExists) return inserted;
      QUIK_ASSIGN_OR_RETURN(existing, tx.GetChannelByDmKey(ws.id, dm_key));
      if (!existing) return inserted;
    }
    out.channel = std::move(*existing);
    out.created = false;
    // Leaving the workspace drops its channels; coming back and reopening
    // restores the DM.
    for (const auto& [id, user] : people) {
      QUIK_ASSIGN_OR_RETURN(bool in, tx.IsChannelMember(out.channel.id, id));
      if (!in) QUIK_RETURN_IF_ERROR(channels::AddMemberInTx(tx, out.channel, id, actor.user_id()));
    }
    return Status::Ok();
  });
}

Status ChannelService::Join(const Actor& actor, std::string_view ref) {
  return ctx_->store->Write([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    if (who.system) return InvalidArgument("the system cannot join a channel; add a user");
    QUIK_ASSIGN_OR_RETURN(auto access, authz::ChannelFor(tx, who, ref));
    QUIK_RETURN_IF_ERROR(
        CheckNotDirect(access.channel, "DMs cannot be joined: their people are fixed"));
    if (access.is_member) return Status::Ok();
    QUIK_RETURN_IF_ERROR(CheckNotArchived(access.channel));
    return channels::AddMemberInTx(tx, access.channel, who.user.id, who.user.id);
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
    QUIK_RETURN_IF_ERROR(
        CheckNotDirect(access.channel, "a DM's members are fixed; open a new group DM"));
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
    return channels::AddMemberInTx(tx, access.channel, user.id, actor.user_id());
  });
}

Status ChannelService::RemoveMember(const Actor& actor, std::string_view ref,
                                    std::string_view user_ref) {
  return ctx_->store->Write([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    if (user_ref.empty()) return InvalidArgument("the system is not a channel member");
    QUIK_ASSIGN_OR_RETURN(auto access, authz::ChannelFor(tx, who, ref));
    QUIK_RETURN_IF_ERROR(
        CheckNotDirect(access.channel, "a DM's members are fixed: it cannot be left"));
    QUIK_ASSIGN_OR_RETURN(auto user, authz::VisibleUser(tx, who, user_ref));
    bool self = !who.system && user.id == who.user.id;
    if (!self && !access.ws.is_admin()) {
      return PermissionDenied("only workspace admins may remove others from a channel");
    }
    QUIK_ASSIGN_OR_RETURN(bool removed,
                          channels::RemoveMemberInTx(tx, access.channel, user.id, actor.user_id()));
    if (!removed) return NotFound(user.email + " is not in #" + access.channel.name);
    return Status::Ok();
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
