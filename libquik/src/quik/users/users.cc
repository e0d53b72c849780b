// SPDX-License-Identifier: MIT
#include "quik/users.hpp"

#include <algorithm>
#include <functional>

#include "auth/crypto.hpp"
#include "auth/tokens.hpp"
#include "authz/authz.hpp"
#include "common/ids.hpp"
#include "common/text.hpp"
#include "events/event_log.hpp"
#include "service/context.hpp"
#include "users/users_internal.hpp"
#include "webhooks/webhooks_internal.hpp"

namespace quik {

namespace users {

Status CheckPassword(std::string_view password) {
  if (password.size() < 8) return InvalidArgument("password must be at least 8 characters");
  if (password.size() > 1024) return InvalidArgument("password must be at most 1024 bytes");
  return Status::Ok();
}

Status ValidateNewUser(const internal::Context& ctx, const NewUser& spec) {
  QUIK_RETURN_IF_ERROR(internal::CheckEmail(spec.email));
  QUIK_RETURN_IF_ERROR(internal::CheckText(spec.name, ctx.options.limits.name_max_chars, "name"));
  if (spec.password) QUIK_RETURN_IF_ERROR(CheckPassword(*spec.password));
  return Status::Ok();
}

namespace {

// Runs `task` on the context's hash pool (inline where there is none).
Status OnHashPool(const internal::Context& ctx, const std::function<void()>& task) {
  if (!ctx.hash_pool) {
    task();
    return Status::Ok();
  }
  return ctx.hash_pool->Run(task);
}

}  // namespace

Result<std::string> HashPasswordFor(const internal::Context& ctx,
                                    const std::optional<std::string>& password) {
  if (!password) return std::string();
  const auto& a = ctx.options.auth;
  Result<std::string> hash = Internal("password hash did not run");
  QUIK_RETURN_IF_ERROR(OnHashPool(ctx, [&] {
    hash = crypto::HashPassword(*password,
                                crypto::ScryptParams{a.scrypt_log2_n, a.scrypt_r, a.scrypt_p});
  }));
  return hash;
}

Result<bool> VerifyPasswordFor(const internal::Context& ctx, std::string_view password,
                               std::string_view encoded) {
  bool ok = false;
  QUIK_RETURN_IF_ERROR(OnHashPool(ctx, [&] { ok = crypto::VerifyPassword(password, encoded); }));
  return ok;
}

Result<User> InsertUser(store::Tx& tx, const NewUser& spec, std::string_view password_hash,
                        std::string_view actor_id) {
  QUIK_ASSIGN_OR_RETURN(auto existing, tx.GetUserByEmail(internal::AsciiLower(spec.email)));
  if (existing) return AlreadyExists("a user with email " + spec.email + " already exists");
  User u;
  u.created_at = tx.Now();
  u.id = internal::NewId(u.created_at);
  u.email = spec.email;
  u.name = std::string(internal::TrimWhitespace(spec.name));
  u.is_admin = spec.is_admin;
  QUIK_RETURN_IF_ERROR(tx.InsertUser(u, password_hash));
  QUIK_RETURN_IF_ERROR(events::Append(tx, "user.created", actor_id, u));
  return u;
}

}  // namespace users

Result<User> UserService::Create(const Actor& actor, const NewUser& spec) {
  QUIK_RETURN_IF_ERROR(users::ValidateNewUser(*ctx_, spec));
  auto check = [&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    if (!who.is_instance_admin())
      return PermissionDenied("only an instance admin may create users");
    QUIK_ASSIGN_OR_RETURN(auto taken, tx.GetUserByEmail(internal::AsciiLower(spec.email)));
    if (taken) return AlreadyExists("a user with email " + spec.email + " already exists");
    return Status::Ok();
  };
  // Permission and uniqueness before the hash; the hash outside the write
  // transaction (scrypt is deliberately slow); the write checks again.
  if (spec.password) QUIK_RETURN_IF_ERROR(ctx_->store->Read(check));
  QUIK_ASSIGN_OR_RETURN(std::string hash, users::HashPasswordFor(*ctx_, spec.password));
  return ctx_->WriteResult<User>([&](store::Tx& tx, User& out) -> Status {
    QUIK_RETURN_IF_ERROR(check(tx));
    // Made by an admin: the email is vouched for (the column's default).
    QUIK_ASSIGN_OR_RETURN(out, users::InsertUser(tx, spec, hash, actor.user_id()));
    return Status::Ok();
  });
}

Result<std::optional<FirstAdmin>> UserService::CreateFirstAdmin(const Actor& actor,
                                                                std::string_view email) {
  if (!actor.is_system()) return PermissionDenied("only the system may create the first admin");
  // The meta flag answers every later start without reading the users table.
  constexpr std::string_view kBootstrappedKey = "users.bootstrapped";
  QUIK_ASSIGN_OR_RETURN(auto flag, ctx_->store->lmdb().Get(store::Db::kMeta, kBootstrappedKey));
  if (flag) return std::optional<FirstAdmin>();
  NewUser spec;
  spec.email = std::string(email);
  spec.name = "Admin";
  spec.password = crypto::Base64UrlEncode(crypto::RandomBytes(18));
  spec.is_admin = true;
  QUIK_RETURN_IF_ERROR(users::ValidateNewUser(*ctx_, spec));
  QUIK_ASSIGN_OR_RETURN(std::string hash, users::HashPasswordFor(*ctx_, spec.password));
  std::optional<FirstAdmin> created;
  QUIK_RETURN_IF_ERROR(ctx_->store->Write([&](store::Tx& tx) -> Status {
    created.reset();
    tx.lmdb().Put(store::Db::kMeta, kBootstrappedKey, "1");
    QUIK_ASSIGN_OR_RETURN(auto users, tx.ListUsers());
    if (!users.empty()) return Status::Ok();
    QUIK_ASSIGN_OR_RETURN(User user, users::InsertUser(tx, spec, hash, actor.user_id()));
    created = FirstAdmin{std::move(user), *spec.password};
    return Status::Ok();
  }));
  return created;
}

Result<User> UserService::Get(const Actor& actor, std::string_view ref) {
  return ctx_->ReadResult<User>([&](store::Tx& tx, User& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(out, authz::VisibleUser(tx, who, ref));
    return Status::Ok();
  });
}

Result<std::vector<User>> UserService::List(const Actor& actor, std::string_view workspace_ref) {
  return ctx_->ReadResult<std::vector<User>>([&](store::Tx& tx, std::vector<User>& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    if (workspace_ref.empty()) {
      if (!who.is_instance_admin()) {
        return PermissionDenied("only an instance admin may list all users; name a workspace");
      }
      QUIK_ASSIGN_OR_RETURN(out, tx.ListUsers());
      return Status::Ok();
    }
    QUIK_ASSIGN_OR_RETURN(auto ws, authz::WorkspaceFor(tx, who, workspace_ref));
    QUIK_ASSIGN_OR_RETURN(out, tx.ListWorkspaceUsers(ws.workspace.id));
    return Status::Ok();
  });
}

Result<User> UserService::Update(const Actor& actor, std::string_view ref,
                                 const UserUpdate& update) {
  if (update.name) {
    QUIK_RETURN_IF_ERROR(
        internal::CheckText(*update.name, ctx_->options.limits.name_max_chars, "name"));
  }
  return ctx_->WriteResult<User>([&](store::Tx& tx, User& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(out, authz::VisibleUser(tx, who, ref));
    if (out.id != who.user.id && !who.is_instance_admin()) {
      return PermissionDenied("only the user themself or an instance admin may change a user");
    }
    if (update.name) out.name = std::string(internal::TrimWhitespace(*update.name));
    QUIK_RETURN_IF_ERROR(tx.UpdateUser(out));
    return events::Append(tx, "user.updated", actor.user_id(), out);
  });
}

namespace {

// The instance admin `who` may change `target`'s account state.
Status CheckAccountAdmin(const authz::Principal& who, std::string_view what) {
  if (!who.is_instance_admin()) {
    return PermissionDenied("only an instance admin may " + std::string(what));
  }
  return Status::Ok();
}

}  // namespace

Result<User> UserService::Reactivate(const Actor& actor, std::string_view ref) {
  return ctx_->WriteResult<User>([&](store::Tx& tx, User& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(out, authz::VisibleUser(tx, who, ref));
    QUIK_RETURN_IF_ERROR(CheckAccountAdmin(who, "reactivate users"));
    if (out.active) return Status::Ok();
    out.active = true;
    out.deactivated_at = 0;
    QUIK_RETURN_IF_ERROR(tx.UpdateUser(out));
    return events::Append(tx, "user.reactivated", actor.user_id(), out);
  });
}

Result<User> UserService::SetAdmin(const Actor& actor, std::string_view ref, bool is_admin) {
  return ctx_->WriteResult<User>([&](store::Tx& tx, User& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(out, authz::VisibleUser(tx, who, ref));
    QUIK_RETURN_IF_ERROR(CheckAccountAdmin(who, "make or unmake instance admins"));
    if (out.is_admin == is_admin) return Status::Ok();
    if (!is_admin) {
      QUIK_ASSIGN_OR_RETURN(auto all, tx.ListUsers());
      const auto admins = std::count_if(all.begin(), all.end(),
                                        [](const User& u) { return u.is_admin && u.active; });
      if (out.active && admins <= 1) {
        return PermissionDenied("cannot remove the last active instance admin");
      }
    }
    out.is_admin = is_admin;
    QUIK_RETURN_IF_ERROR(tx.UpdateUser(out));
    return events::Append(tx, "user.updated", actor.user_id(), out);
  });
}

Result<User> UserService::Deactivate(const Actor& actor, std::string_view ref) {
  return ctx_->WriteResult<User>([&](store::Tx& tx, User& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(out, authz::VisibleUser(tx, who, ref));
    if (!who.is_instance_admin()) {
      return PermissionDenied("only an instance admin may deactivate users");
    }
    if (!out.active) return Status::Ok();
    out.active = false;
    out.deactivated_at = tx.Now();
    QUIK_RETURN_IF_ERROR(tx.UpdateUser(out));
    QUIK_RETURN_IF_ERROR(auth::RevokeAllForUser(tx, out.id, actor.user_id()));
    // A webhook or an API client of theirs stops at once: the LMDB index
    // entries went in the same commit.
    QUIK_RETURN_IF_ERROR(events::Append(tx, "user.deactivated", actor.user_id(), out));
    return webhooks::PauseWebhooksOfCreator(tx, out.id, "");
  });
}

}  // namespace quik
