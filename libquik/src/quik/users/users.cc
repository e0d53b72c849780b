#include "quik/users.hpp"

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

Result<std::string> HashPasswordFor(const internal::Context& ctx,
                                    const std::optional<std::string>& password) {
  if (!password) return std::string();
  const auto& a = ctx.options.auth;
  return crypto::HashPassword(*password,
                              crypto::ScryptParams{a.scrypt_log2_n, a.scrypt_r, a.scrypt_p});
}

Result<User> InsertUser(store::Tx& tx, const NewUser& spec, std::string_view password_hash,
                        std::string_view actor_id) {
  QUIK_ASSIGN_OR_RETURN(auto existing, tx.GetUserByEmail(internal::AsciiLower(spec.email)));
  if (existing) return AlreadyExists("a user with email " + spec.email + " already exists");
  User u;
  u.created_at = internal::NowMillis();
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
  // Hash outside the write transaction: scrypt is deliberately slow.
  QUIK_ASSIGN_OR_RETURN(std::string hash, users::HashPasswordFor(*ctx_, spec.password));
  return ctx_->WriteResult<User>([&](store::Tx& tx, User& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    if (!who.is_instance_admin())
      return PermissionDenied("only an instance admin may create users");
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

Result<User> UserService::Deactivate(const Actor& actor, std::string_view ref) {
  return ctx_->WriteResult<User>([&](store::Tx& tx, User& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(out, authz::VisibleUser(tx, who, ref));
    if (!who.is_instance_admin()) {
      return PermissionDenied("only an instance admin may deactivate users");
    }
    if (!out.active) return Status::Ok();
    out.active = false;
    out.deactivated_at = internal::NowMillis();
    QUIK_RETURN_IF_ERROR(tx.UpdateUser(out));
    QUIK_RETURN_IF_ERROR(auth::RevokeAllForUser(tx, out.id, actor.user_id()));
    QUIK_RETURN_IF_ERROR(events::Append(tx, "user.deactivated", actor.user_id(), out));
    return webhooks::PauseWebhooksOfCreator(tx, out.id, "");
  });
}

}  // namespace quik
