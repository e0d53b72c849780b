// SPDX-License-Identifier: MIT
// quik::ChannelService: public and private channels, DMs and group DMs, and
// their members.
//
// Rules: non-guest workspace members see every public channel; private
// channels, DMs and group DMs exist only for their members; guests see only
// channels they were added to. Anyone else gets kNotFound.
//
// DMs (kind dm: one or two people) and group DMs (kind group_dm: 3 to
// kMaxDirectPeople) are channels whose people are fixed when OpenDirect makes
// them: there is one per set of people in a workspace, so a different set
// means a different channel. They are addressed by id only (their name is a
// readable label, not unique and not a "workspace/#name" ref), and Join,
// Leave, AddMember, RemoveMember and Archive refuse them (kInvalidArgument
// for their members; kNotFound for anyone else, as always).
//
// Thread safety: all methods may be called from any thread concurrently.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quik/actor.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"

namespace quik {
namespace internal {
struct Context;
}

struct NewChannel {
  std::string name;  // lower-cased; [a-z0-9-_], unique in the workspace
  bool is_private = false;
  std::string topic;
};

struct ChannelUpdate {
  std::optional<std::string> name;
  std::optional<std::string> topic;
};

// The most people a group DM holds, its opener included.
inline constexpr int kMaxDirectPeople = 8;

// What OpenDirect returns.
struct DirectChannel {
  Channel channel;
  bool created = false;  // false: the set of people already had this channel
};

struct ListChannelsRequest {
  bool include_archived = false;
};

class ChannelService {
 public:
  explicit ChannelService(internal::Context* ctx) : ctx_(ctx) {}

  // A non-guest member (who becomes its first member), or the system.
  Result<Channel> Create(const Actor& actor, std::string_view ws_ref, const NewChannel& spec);
  // `ref`: a channel id or "workspace/#name" (workspace id or slug).
  Result<Channel> Get(const Actor& actor, std::string_view ref);
  // What the actor may see (public channels unless a guest, and every
  // channel they are in: private ones, DMs and group DMs); the system (the
  // admin view) sees everything.
  Result<std::vector<Channel>> List(const Actor& actor, std::string_view ws_ref,
                                    const ListChannelsRequest& request = {});
  // Channel members (public channels: any non-guest member) and admins.
  Result<Channel> Update(const Actor& actor, std::string_view ref, const ChannelUpdate& update);
  // The channel's creator or a workspace admin. Archived channels are read-only.
  // DMs cannot be archived (kInvalidArgument).
  Result<Channel> Archive(const Actor& actor, std::string_view ref);

  // The DM or group DM of a set of people in workspace `ws_ref` (id or slug),
  // made on first use; opening the same set again, in any order, returns the
  // same channel with created=false.
  //
  // `user_refs`: user ids or emails. The caller is always one of the people
  // (naming them too is fine; duplicates collapse); naming only yourself opens
  // your self-DM. One or two people make a dm, 3..kMaxDirectPeople a
  // group_dm. Any workspace member may open one, guests included. The system
  // actor is nobody: it names every person, at least two. A new channel's
  // people become its members, and channel.created plus one member.joined per
  // person are logged with it. A person who has left the workspace and come
  // back rejoins the DM when it is opened again.
  //
  // Errors: kNotFound if the caller is not a member of the workspace, or a ref
  // names no member of it (an unknown user and a non-member look the same;
  // the message names the ref); kInvalidArgument for an empty list or ref, a
  // deactivated person, more than kMaxDirectPeople people, or the system
  // naming fewer than two.
  Result<DirectChannel> OpenDirect(const Actor& actor, std::string_view ws_ref,
                                   const std::vector<std::string>& user_refs);

  // A non-guest member joins a public channel (a no-op if already in it).
  // kInvalidArgument for a DM's member.
  Status Join(const Actor& actor, std::string_view ref);
  // The actor leaves; kInvalidArgument for a DM.
  Status Leave(const Actor& actor, std::string_view ref);
  // Channel members may add workspace members; workspace admins may add to any
  // channel they can see (every public one; a private one only as its member).
  // kInvalidArgument for a DM: its people are fixed (open a new group DM).
  Status AddMember(const Actor& actor, std::string_view ref, std::string_view user_ref);
  // Admins, or the member themself. kInvalidArgument for a DM.
  Status RemoveMember(const Actor& actor, std::string_view ref, std::string_view user_ref);
  Result<std::vector<ChannelMember>> ListMembers(const Actor& actor, std::string_view ref);

 private:
  internal::Context* ctx_;
};

}  // namespace quik
