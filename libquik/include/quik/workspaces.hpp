// quik::WorkspaceService: workspaces, their members and invites.
//
// Rules: a workspace exists only for its members (kNotFound to anyone else).
// Owners and admins manage members and invites; only an owner may make or
// unmake an owner, and the last owner cannot leave or be demoted.
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

struct NewWorkspace {
  std::string name;
  std::string slug;  // derived from the name when empty
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
  Result<Member> AddMember(const Actor& actor, std::string_view ws_ref, std::string_view user_ref,
                           Role role);
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
  // A user accepts a code: they join with the invite's role. Accepting when
  // already a member is a no-op that returns the existing membership.
  Result<Member> AcceptInvite(const Actor& actor, std::string_view code);

 private:
  internal::Context* ctx_;
};

}  // namespace quik
