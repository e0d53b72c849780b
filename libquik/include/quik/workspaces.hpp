// SPDX-License-Identifier: MIT
// quik::WorkspaceService: workspaces, their members and invites.
//
// Rules: a workspace exists only for its members (kNotFound to anyone else).
// Owners and admins manage members and invites; only an owner may make or
// unmake an owner, and the last owner cannot leave or be demoted.
//
// Thread safety: all methods may be called from any thread concurrently.
#pragma once

#include <chrono>
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

struct NewWorkspace {
  std::string name;
  std::string slug;  // derived from the name when empty
};

inline constexpr int kMaxInviteUses = 100000;
inline constexpr std::chrono::seconds kMaxInviteTtl = std::chrono::hours(24 * 365);

struct NewInvite {
  Role role = Role::kMember;  // member or guest
  // Only the account with this email may use it (signing up with it, or
  // accepting it signed in); such an invite is single-use, and an account
  // that signs up through it counts as vouched for (imports may attach to it).
  // Empty: anyone holding the code.
  std::string email;
  // Accounts it may bring in, 1..kMaxInviteUses; 0: auth.invite_max_uses
  // (1 when bound to an email).
  int max_uses = 0;
  // How long it stays valid, up to kMaxInviteTtl; none: auth.invite_ttl.
  std::optional<std::chrono::seconds> ttl;
};

// What AddMemberOrInvite did: added the member, or (for an address the caller
// may not know of) made an invite bound to it.
struct MemberOrInvite {
  std::optional<Member> member;
  std::optional<Invite> invite;
};

class WorkspaceService {
 public:
  explicit WorkspaceService(internal::Context* ctx) : ctx_(ctx) {}

  // Any active user (who becomes its owner), or the system (no owner yet).
  Result<Workspace> Create(const Actor& actor, const NewWorkspace& spec);
  // `ref`: id or slug.
  Result<Workspace> Get(const Actor& actor, std::string_view ref);
  // The system: all; a user: the workspaces they belong to.
  Result<std::vector<Workspace>> List(const Actor& actor);
  // The system or an owner. Removes its channels, messages and members.
  Status Delete(const Actor& actor, std::string_view ref);

  // Members. `user_ref`: id or email.
  // Owners and admins (only owners make owners). `user_ref` by email must be
  // a user the caller may know of (UserService::Get): otherwise kNotFound,
  // whether or not the account exists. By id, any active user.
  Result<Member> AddMember(const Actor& actor, std::string_view ws_ref, std::string_view user_ref,
                           Role role);
  // POST /workspaces/{id}/members without an account oracle: if `user_ref`
  // is a user the caller may know of (the system, an instance admin, or
  // someone sharing a workspace with them), adds them as AddMember does;
  // otherwise, if it is an email, answers the same whether or not an account
  // has it: a single-use invite bound to that email (role member or guest),
  // whose code the caller passes on. By id, any active user is added.
  Result<MemberOrInvite> AddMemberOrInvite(const Actor& actor, std::string_view ws_ref,
                                           std::string_view user_ref, Role role);
  Result<Member> SetRole(const Actor& actor, std::string_view ws_ref, std::string_view user_ref,
                         Role role);
  // An admin, or the member themself (leaving).
  Status RemoveMember(const Actor& actor, std::string_view ws_ref, std::string_view user_ref);
  Result<Member> GetMember(const Actor& actor, std::string_view ws_ref, std::string_view user_ref);
  Result<Page<Member>> ListMembers(const Actor& actor, std::string_view ws_ref,
                                   const PageRequest& page = {});

  // Invites: owners and admins; `role` is member or guest (admins are promoted
  // afterwards). The returned Invite carries the code, shown once.
  Result<Invite> CreateInvite(const Actor& actor, std::string_view ws_ref, Role role);
  Result<Invite> CreateInvite(const Actor& actor, std::string_view ws_ref, NewInvite spec);
  // Every invite of the workspace, newest first, with its uses and state
  // (never the code). Owners and admins.
  Result<std::vector<Invite>> ListInvites(const Actor& actor, std::string_view ws_ref);
  // Owners and admins: the code stops working at once. Revoking twice is a
  // no-op; an invite of another workspace is kNotFound.
  Result<Invite> RevokeInvite(const Actor& actor, std::string_view ws_ref,
                              std::string_view invite_id);
  // A user accepts a code: they join with the invite's role, using up one of
  // its uses. Accepting when already a member is a no-op that returns the
  // existing membership. kNotFound if it is expired, used up or revoked;
  // kPermissionDenied if it is bound to another email.
  Result<Member> AcceptInvite(const Actor& actor, std::string_view code);

 private:
  internal::Context* ctx_;
};

}  // namespace quik
