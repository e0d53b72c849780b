// SPDX-License-Identifier: MIT
// Permission checks shared by the services (CONTRACT.md section 0). Each runs
// inside the caller's transaction so the check and the change see one state.
//
// Objects the caller may not see are kNotFound, never kPermissionDenied: a
// non-member learns nothing about a workspace or private channel.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "quik/actor.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"
#include "store/tx.hpp"

namespace quik::authz {

// Who is calling: the system, or an active user.
struct Principal {
  bool system = false;
  User user;  // unset for the system
  bool is_instance_admin() const { return system || user.is_admin; }
};

// kUnauthenticated for an unknown or deactivated user.
Result<Principal> Resolve(store::Tx& tx, const Actor& actor);

// Lookups by id or natural key, with no permission check.
Result<User> FindUser(store::Tx& tx, std::string_view ref);            // id or email
Result<Workspace> FindWorkspace(store::Tx& tx, std::string_view ref);  // id or slug
Result<Channel> FindChannel(store::Tx& tx, std::string_view ref);      // id or "ws/#name"

// The user `ref` if `who` may know of them: themself, the system, an instance
// admin, or someone sharing a workspace with them. kNotFound otherwise.
Result<User> VisibleUser(store::Tx& tx, const Principal& who, std::string_view ref);

struct WorkspaceAccess {
  Workspace workspace;
  std::optional<Role> role;  // none for the system
  bool is_admin() const { return !role || *role == Role::kOwner || *role == Role::kAdmin; }
  bool is_owner() const { return !role || *role == Role::kOwner; }
  bool is_guest() const { return role && *role == Role::kGuest; }
};

// The workspace if `who` is a member (or the system); kNotFound otherwise.
Result<WorkspaceAccess> WorkspaceFor(store::Tx& tx, const Principal& who, std::string_view ref);

// Every channel of `ws` that `who` may read now, archived ones included, by
// the rule of ChannelFor: all of them for the system; for a user the channels
// they are in, plus the public ones unless they are a guest.
Result<std::vector<Channel>> ReadableChannels(store::Tx& tx, const Principal& who,
                                              const WorkspaceAccess& ws);

struct ChannelAccess {
  Channel channel;
  WorkspaceAccess ws;      // for a user, ws.workspace carries only its id
  bool is_member = false;  // of the channel
};

// The channel if `who` may read it: the system, its members, and for a public
// channel every non-guest workspace member. kNotFound otherwise.
Result<ChannelAccess> ChannelFor(store::Tx& tx, const Principal& who, std::string_view ref);

// A message and its channel, if `who` may read that channel.
struct MessageAccess {
  Message message;
  ChannelAccess channel;
};

// kNotFound if there is no such message or `who` may not read its channel
// (the two look the same).
Result<MessageAccess> MessageFor(store::Tx& tx, const Principal& who, std::string_view id);

}  // namespace quik::authz
