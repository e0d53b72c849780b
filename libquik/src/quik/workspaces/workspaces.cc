// SPDX-License-Identifier: MIT
#include "quik/workspaces.hpp"

#include <algorithm>

#include "auth/crypto.hpp"
#include "authz/authz.hpp"
#include "common/ids.hpp"
#include "common/text.hpp"
#include "events/event_log.hpp"
#include "service/context.hpp"
#include "webhooks/webhooks_internal.hpp"
#include "workspaces/invites.hpp"
#include "workspaces/workspaces_internal.hpp"

namespace quik {

namespace workspaces {

Result<Invite> FindLiveInvite(store::Tx& tx, std::string_view code, std::string_view email) {
  QUIK_ASSIGN_OR_RETURN(auto invite, tx.GetInviteByCodeHash(crypto::Sha256(code)));
  if (!invite || invite->expires_at <= tx.Now() || invite->revoked_at != 0 ||
      (invite->max_uses > 0 && invite->uses >= invite->max_uses)) {
    return NotFound("invite not found, expired, used up or revoked; ask for a new one");
  }
  if (!invite->email.empty() && invite->email != internal::AsciiLower(email)) {
    return PermissionDenied("this invite is for another email address");
  }
  return std::move(*invite);
}

Result<Member> JoinByInvite(store::Tx& tx, Invite& invite, std::string_view user_id) {
  QUIK_ASSIGN_OR_RETURN(auto existing, tx.GetMember(invite.workspace_id, user_id));
  if (existing) return std::move(*existing);
  ++invite.uses;
  QUIK_RETURN_IF_ERROR(tx.UpdateInvite(invite));
  // An invite bound to this user's email (FindLiveInvite matched it) is an
  // admin vouching for that email.
  if (!invite.email.empty()) QUIK_RETURN_IF_ERROR(tx.SetEmailVouched(user_id, true));
  Member m;
  m.workspace_id = invite.workspace_id;
  m.user_id = user_id;
  m.role = invite.role;
  m.joined_at = tx.Now();
  QUIK_RETURN_IF_ERROR(tx.UpsertMember(m));
  QUIK_RETURN_IF_ERROR(events::Append(tx, "member.joined", user_id, m));
  QUIK_ASSIGN_OR_RETURN(auto added, tx.GetMember(invite.workspace_id, user_id));
  return std::move(*added);
}

Result<Workspace> CreateInTx(store::Tx& tx, std::string_view name, std::string_view slug,
                             std::string_view owner_id, std::string_view actor_id) {
  QUIK_ASSIGN_OR_RETURN(auto taken, tx.GetWorkspaceBySlug(slug));
  if (taken) return AlreadyExists("workspace slug '" + std::string(slug) + "' is taken");
  Workspace out;
  out.created_at = tx.Now();
  out.id = internal::NewId(out.created_at);
  out.name = std::string(internal::TrimWhitespace(name));
  out.slug = slug;
  QUIK_RETURN_IF_ERROR(tx.InsertWorkspace(out));
  QUIK_RETURN_IF_ERROR(events::Append(tx, "workspace.created", actor_id, out));
  if (!owner_id.empty()) {
    Member owner{out.id, std::string(owner_id), Role::kOwner, out.created_at, "", ""};
    QUIK_RETURN_IF_ERROR(tx.UpsertMember(owner));
    QUIK_RETURN_IF_ERROR(events::Append(tx, "member.joined", actor_id, owner));
  }
  return out;
}

Status RenameInTx(store::Tx& tx, Workspace& ws, std::string_view name, std::string_view actor_id) {
  ws.name = std::string(internal::TrimWhitespace(name));
  QUIK_RETURN_IF_ERROR(tx.UpdateWorkspace(ws));
  return events::Append(tx, "workspace.updated", actor_id, ws);
}

Result<Member> AddMemberInTx(store::Tx& tx, const Workspace& ws, const User& user, Role role,
                             std::string_view actor_id) {
  if (!user.active) return InvalidArgument("user " + user.email + " is deactivated");
  QUIK_ASSIGN_OR_RETURN(auto existing, tx.GetMember(ws.id, user.id));
  if (existing) return AlreadyExists(user.email + " is already a member of " + ws.slug);
  Member m{ws.id, user.id, role, tx.Now(), "", ""};
  QUIK_RETURN_IF_ERROR(tx.UpsertMember(m));
  QUIK_RETURN_IF_ERROR(events::Append(tx, "member.joined", actor_id, m));
  QUIK_ASSIGN_OR_RETURN(auto added, tx.GetMember(m.workspace_id, m.user_id));
  return std::move(*added);
}

Status SetRoleInTx(store::Tx& tx, const Workspace& ws, Member& member, Role role,
                   std::string_view actor_id) {
  if (member.role == Role::kOwner && role != Role::kOwner) {
    QUIK_ASSIGN_OR_RETURN(int owners, tx.CountOwners(ws.id));
    if (owners <= 1) return PermissionDenied("cannot demote the last owner of a workspace");
  }
  const Role previous = member.role;
  member.role = role;
  QUIK_RETURN_IF_ERROR(tx.UpsertMember(member));
  QUIK_RETURN_IF_ERROR(events::Append(tx, "member.updated", actor_id, member, previous));
  return webhooks::PauseWebhooksOfCreator(tx, member.user_id, ws.id);
}

Status RemoveMemberInTx(store::Tx& tx, const Workspace& ws, const Member& member,
                        std::string_view actor_id) {
  if (member.role == Role::kOwner) {
    QUIK_ASSIGN_OR_RETURN(int owners, tx.CountOwners(ws.id));
    if (owners <= 1) return PermissionDenied("the last owner cannot leave a workspace");
  }
  QUIK_RETURN_IF_ERROR(tx.DeleteMember(ws.id, member.user_id));
  QUIK_RETURN_IF_ERROR(events::Append(tx, "member.left", actor_id, member));
  return webhooks::PauseWebhooksOfCreator(tx, member.user_id, ws.id);
}

}  // namespace workspaces

Result<Workspace> WorkspaceService::Create(const Actor& actor, const NewWorkspace& spec) {
  QUIK_RETURN_IF_ERROR(
      internal::CheckText(spec.name, ctx_->options.limits.name_max_chars, "workspace name"));
  std::string slug = spec.slug.empty() ? internal::Slugify(spec.name) : spec.slug;
  if (slug.empty()) {
    return InvalidArgument("cannot derive a slug from '" + spec.name + "'; give one with --slug");
  }
  QUIK_RETURN_IF_ERROR(internal::CheckSlug(slug));
  return ctx_->WriteResult<Workspace>([&](store::Tx& tx, Workspace& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(out,
                          workspaces::CreateInTx(tx, spec.name, slug, who.system ? "" : who.user.id,
                                                 actor.user_id()));
    return Status::Ok();
  });
}

Result<Workspace> WorkspaceService::Get(const Actor& actor, std::string_view ref) {
  return ctx_->ReadResult<Workspace>([&](store::Tx& tx, Workspace& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::WorkspaceFor(tx, who, ref));
    out = std::move(access.workspace);
    return Status::Ok();
  });
}

Result<std::vector<Workspace>> WorkspaceService::List(const Actor& actor) {
  return ctx_->ReadResult<std::vector<Workspace>>(
      [&](store::Tx& tx, std::vector<Workspace>& out) -> Status {
        QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
        if (who.system) {
          QUIK_ASSIGN_OR_RETURN(out, tx.ListWorkspaces());
        } else {
          QUIK_ASSIGN_OR_RETURN(out, tx.ListUserWorkspaces(who.user.id));
        }
        return Status::Ok();
      });
}

Status WorkspaceService::Delete(const Actor& actor, std::string_view ref) {
  return ctx_->store->Write([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::WorkspaceFor(tx, who, ref));
    if (!access.is_owner()) return PermissionDenied("only an owner may delete a workspace");
    QUIK_RETURN_IF_ERROR(tx.DeleteWorkspace(access.workspace.id));
    return events::Append(tx, "workspace.deleted", actor.user_id(), access.workspace);
  });
}

namespace {

// Checks that `who` (with `access`) may give `target` (currently `current`,
// if a member) the role `role`. Only owners make or unmake owners.
Status CheckRoleChange(const authz::WorkspaceAccess& access, std::optional<Role> current,
                       Role role) {
  if (!access.is_admin()) return PermissionDenied("only owners and admins may manage members");
  bool touches_owner = role == Role::kOwner || (current && *current == Role::kOwner);
  if (touches_owner && !access.is_owner()) {
    return PermissionDenied("only an owner may make or change an owner");
  }
  return Status::Ok();
}

}  // namespace

namespace {

// Checks `spec` and fills in its defaults from the options.
Status NormalizeInvite(const Options& options, NewInvite& spec) {
  if (spec.role != Role::kMember && spec.role != Role::kGuest) {
    return InvalidArgument("an invite's role is member or guest; promote afterwards");
  }
  spec.email = std::string(internal::TrimWhitespace(spec.email));
  if (!spec.email.empty()) QUIK_RETURN_IF_ERROR(internal::CheckEmail(spec.email));
  if (spec.max_uses < 0 || spec.max_uses > kMaxInviteUses) {
    return InvalidArgument("an invite's max_uses is 1 to " + std::to_string(kMaxInviteUses) +
                           " (0: the default, auth.invite_max_uses)");
  }
  if (spec.max_uses == 0) spec.max_uses = spec.email.empty() ? options.auth.invite_max_uses : 1;
  if (!spec.email.empty() && spec.max_uses != 1) {
    return InvalidArgument("an invite bound to an email is single-use (max_uses 1)");
  }
  if (spec.ttl && (spec.ttl->count() <= 0 || *spec.ttl > kMaxInviteTtl)) {
    return InvalidArgument("an invite's ttl is between 1 second and 365 days");
  }
  if (!spec.ttl) spec.ttl = options.auth.invite_ttl;
  return Status::Ok();
}

// The user `ref` names, for adding to a workspace. By email, only one the
// caller may know of (authz::VisibleUser): for anyone else the answer is
// kNotFound whether or not the account exists, so that the route is no
// account oracle. By id (which one learns only from a shared workspace or an
// admin), any user.
Result<User> MemberCandidate(store::Tx& tx, const authz::Principal& who, std::string_view ref) {
  if (ref.find('@') != std::string_view::npos) return authz::VisibleUser(tx, who, ref);
  return authz::FindUser(tx, ref);
}

Result<Invite> CreateInviteInTx(store::Tx& tx, const Workspace& ws, const NewInvite& spec,
                                std::string_view creator_id, std::string_view actor_id) {
  Invite out;
  out.created_at = tx.Now();
  out.id = internal::NewId(out.created_at);
  out.workspace_id = ws.id;
  out.role = spec.role;
  out.created_by = creator_id;
  out.expires_at = out.created_at + std::chrono::duration_cast<std::chrono::milliseconds>(
                                        spec.ttl.value_or(kMaxInviteTtl))
                                        .count();
  out.max_uses = spec.max_uses;
  out.email = internal::AsciiLower(spec.email);
  out.code = crypto::Base64UrlEncode(crypto::RandomBytes(24));
  QUIK_RETURN_IF_ERROR(tx.InsertInvite(out, crypto::Sha256(out.code)));
  QUIK_RETURN_IF_ERROR(events::Append(tx, "invite.created", actor_id, out));
  return out;
}

}  // namespace

Result<Member> WorkspaceService::AddMember(const Actor& actor, std::string_view ws_ref,
                                           std::string_view user_ref, Role role) {
  return ctx_->WriteResult<Member>([&](store::Tx& tx, Member& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::WorkspaceFor(tx, who, ws_ref));
    QUIK_RETURN_IF_ERROR(CheckRoleChange(access, std::nullopt, role));
    QUIK_ASSIGN_OR_RETURN(auto user, MemberCandidate(tx, who, user_ref));
    QUIK_ASSIGN_OR_RETURN(
        out, workspaces::AddMemberInTx(tx, access.workspace, user, role, actor.user_id()));
    return Status::Ok();
  });
}

Result<MemberOrInvite> WorkspaceService::AddMemberOrInvite(const Actor& actor,
                                                           std::string_view ws_ref,
                                                           std::string_view user_ref, Role role) {
  const bool is_email = user_ref.find('@') != std::string_view::npos;
  NewInvite spec;
  spec.role = role;
  spec.email = std::string(user_ref);
  spec.max_uses = 1;
  return ctx_->WriteResult<MemberOrInvite>([&](store::Tx& tx, MemberOrInvite& out) -> Status {
    out = {};
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::WorkspaceFor(tx, who, ws_ref));
    QUIK_RETURN_IF_ERROR(CheckRoleChange(access, std::nullopt, role));
    auto user = MemberCandidate(tx, who, user_ref);
    if (user.ok()) {
      QUIK_ASSIGN_OR_RETURN(out.member, workspaces::AddMemberInTx(tx, access.workspace, *user, role,
                                                                  actor.user_id()));
      return Status::Ok();
    }
    if (user.status().code() != StatusCode::kNotFound || !is_email) return user.status();
    // Unknown to the caller, whether or not the account exists: the same
    // answer either way.
    QUIK_RETURN_IF_ERROR(NormalizeInvite(ctx_->options, spec));
    QUIK_ASSIGN_OR_RETURN(
        out.invite, CreateInviteInTx(tx, access.workspace, spec, who.user.id, actor.user_id()));
    return Status::Ok();
  });
}

Result<Member> WorkspaceService::SetRole(const Actor& actor, std::string_view ws_ref,
                                         std::string_view user_ref, Role role) {
  return ctx_->WriteResult<Member>([&](store::Tx& tx, Member& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::WorkspaceFor(tx, who, ws_ref));
    if (!access.is_admin()) return PermissionDenied("only owners and admins may manage members");
    QUIK_ASSIGN_OR_RETURN(auto user, authz::VisibleUser(tx, who, user_ref));
    QUIK_ASSIGN_OR_RETURN(auto member, tx.GetMember(access.workspace.id, user.id));
    if (!member) {
      return NotFound(user.email + " is not a member of " + access.workspace.slug);
    }
    QUIK_RETURN_IF_ERROR(CheckRoleChange(access, member->role, role));
    QUIK_RETURN_IF_ERROR(
        workspaces::SetRoleInTx(tx, access.workspace, *member, role, actor.user_id()));
    out = std::move(*member);
    return Status::Ok();
  });
}

Status WorkspaceService::RemoveMember(const Actor& actor, std::string_view ws_ref,
                                      std::string_view user_ref) {
  return ctx_->store->Write([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::WorkspaceFor(tx, who, ws_ref));
    QUIK_ASSIGN_OR_RETURN(auto user, authz::VisibleUser(tx, who, user_ref));
    QUIK_ASSIGN_OR_RETURN(auto member, tx.GetMember(access.workspace.id, user.id));
    if (!member) return NotFound(user.email + " is not a member of " + access.workspace.slug);
    bool self = !who.system && user.id == who.user.id;
    if (!self) QUIK_RETURN_IF_ERROR(CheckRoleChange(access, member->role, Role::kGuest));
    return workspaces::RemoveMemberInTx(tx, access.workspace, *member, actor.user_id());
  });
}

Result<Member> WorkspaceService::GetMember(const Actor& actor, std::string_view ws_ref,
                                           std::string_view user_ref) {
  return ctx_->ReadResult<Member>([&](store::Tx& tx, Member& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::WorkspaceFor(tx, who, ws_ref));
    QUIK_ASSIGN_OR_RETURN(auto user, authz::VisibleUser(tx, who, user_ref));
    QUIK_ASSIGN_OR_RETURN(auto member, tx.GetMember(access.workspace.id, user.id));
    if (!member) return NotFound("'" + std::string(user_ref) + "' is not a member");
    out = std::move(*member);
    return Status::Ok();
  });
}

Result<Page<Member>> WorkspaceService::ListMembers(const Actor& actor, std::string_view ws_ref,
                                                   const PageRequest& page) {
  int limit = std::clamp(page.limit, 1, ctx_->options.limits.page_max);
  return ctx_->ReadResult<Page<Member>>([&](store::Tx& tx, Page<Member>& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::WorkspaceFor(tx, who, ws_ref));
    QUIK_ASSIGN_OR_RETURN(out.items, tx.ListMembers(access.workspace.id, page.cursor, limit + 1));
    if (static_cast<int>(out.items.size()) > limit) {
      out.items.resize(static_cast<size_t>(limit));
      out.next_cursor = out.items.back().user_id;
    }
    return Status::Ok();
  });
}

Result<Invite> WorkspaceService::CreateInvite(const Actor& actor, std::string_view ws_ref,
                                              Role role) {
  NewInvite spec;
  spec.role = role;
  return CreateInvite(actor, ws_ref, spec);
}

Result<Invite> WorkspaceService::CreateInvite(const Actor& actor, std::string_view ws_ref,
                                              NewInvite spec) {
  QUIK_RETURN_IF_ERROR(NormalizeInvite(ctx_->options, spec));
  return ctx_->WriteResult<Invite>([&](store::Tx& tx, Invite& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::WorkspaceFor(tx, who, ws_ref));
    if (!access.is_admin()) return PermissionDenied("only owners and admins may invite");
    QUIK_ASSIGN_OR_RETURN(
        out, CreateInviteInTx(tx, access.workspace, spec, who.user.id, actor.user_id()));
    return Status::Ok();
  });
}

Result<std::vector<Invite>> WorkspaceService::ListInvites(const Actor& actor,
                                                          std::string_view ws_ref) {
  return ctx_->ReadResult<std::vector<Invite>>(
      [&](store::Tx& tx, std::vector<Invite>& out) -> Status {
        QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
        QUIK_ASSIGN_OR_RETURN(auto access, authz::WorkspaceFor(tx, who, ws_ref));
        if (!access.is_admin()) return PermissionDenied("only owners and admins may list invites");
        QUIK_ASSIGN_OR_RETURN(out, tx.ListInvites(access.workspace.id));
        return Status::Ok();
      });
}

Result<Invite> WorkspaceService::RevokeInvite(const Actor& actor, std::string_view ws_ref,
                                              std::string_view invite_id) {
  return ctx_->WriteResult<Invite>([&](store::Tx& tx, Invite& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::WorkspaceFor(tx, who, ws_ref));
    if (!access.is_admin()) return PermissionDenied("only owners and admins may revoke invites");
    QUIK_ASSIGN_OR_RETURN(auto invite, tx.GetInvite(invite_id));
    if (!invite || invite->workspace_id != access.workspace.id) {
      return NotFound("invite '" + std::string(invite_id) + "' not found in " +
                      access.workspace.slug);
    }
    out = std::move(*invite);
    if (out.revoked_at != 0) return Status::Ok();  // revoking twice is a no-op
    out.revoked_at = tx.Now();
    QUIK_RETURN_IF_ERROR(tx.UpdateInvite(out));
    return events::Append(tx, "invite.revoked", actor.user_id(), out);
  });
}

Result<Member> WorkspaceService::AcceptInvite(const Actor& actor, std::string_view code) {
  return ctx_->WriteResult<Member>([&](store::Tx& tx, Member& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    if (who.system) return InvalidArgument("an invite is accepted by a user");
    QUIK_ASSIGN_OR_RETURN(auto invite, workspaces::FindLiveInvite(tx, code, who.user.email));
    QUIK_ASSIGN_OR_RETURN(out, workspaces::JoinByInvite(tx, invite, who.user.id));
    return Status::Ok();
  });
}

}  // namespace quik
