// SPDX-License-Identifier: MIT
#include "auth/crypto.hpp"
#include "auth/tokens.hpp"
#include "authz/authz.hpp"
#include "common/ids.hpp"
#include "common/text.hpp"
#include "events/event_log.hpp"
#include "quik/auth.hpp"
#include "service/context.hpp"
#include "users/users_internal.hpp"
#include "workspaces/invites.hpp"

namespace quik {
namespace {

constexpr std::string_view kBadLogin = "wrong email or password";

// A hash at the configured cost, made once per Service when first needed, so
// that a login for an unknown email (or a user without a password) runs one
// scrypt against it, as a wrong password does. Made again later if the hash
// pool was too busy. (The first such login runs two: one to make it.)
Result<std::string> DummyHash(internal::Context& ctx) {
  std::lock_guard lock(ctx.dummy_hash_mu);
  if (!ctx.dummy_hash.ok()) {
    ctx.dummy_hash = users::HashPasswordFor(ctx, std::string("quik-dummy-password"));
  }
  return ctx.dummy_hash;
}

// The checks of a signup that need no password hash: the invite (or open
// signup) and a free email. Run before hashing, so that a bogus invite costs
// a lookup, not an scrypt; and again in the write, which may see a later state.
Result<std::optional<Invite>> CheckSignup(const internal::Context& ctx, store::Tx& tx,
                                          const Signup& signup) {
  std::optional<Invite> invite;
  if (!signup.invite_code.empty()) {
    QUIK_ASSIGN_OR_RETURN(invite, workspaces::FindLiveInvite(tx, signup.invite_code, signup.email));
  } else if (!ctx.options.auth.open_signup) {
    return PermissionDenied("signup needs an invite (auth.open_signup is off)");
  }
  QUIK_ASSIGN_OR_RETURN(auto taken, tx.GetUserByEmail(internal::AsciiLower(signup.email)));
  if (taken) return AlreadyExists("a user with email " + signup.email + " already exists");
  return invite;
}

// kPermissionDenied unless `password` is the user's current one.
Status CheckCurrentPassword(internal::Context& ctx, const Actor& actor, std::string_view password) {
  QUIK_ASSIGN_OR_RETURN(std::string stored,
                        ctx.ReadResult<std::string>([&](store::Tx& tx, std::string& h) -> Status {
                          QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
                          QUIK_ASSIGN_OR_RETURN(h, tx.GetPasswordHash(who.user.id));
                          return Status::Ok();
                        }));
  const bool had_password = !stored.empty();
  // A user without a password (made by an admin or a manifest) cannot prove
  // the current one; scrypt runs anyway so the answer takes the same time.
  if (stored.empty()) {
    QUIK_ASSIGN_OR_RETURN(stored, DummyHash(ctx));
  }
  QUIK_ASSIGN_OR_RETURN(const bool ok, users::VerifyPasswordFor(ctx, password, stored));
  if (!had_password || !ok) return PermissionDenied("the current password is wrong");
  return Status::Ok();
}

}  // namespace

Result<Session> AuthService::SignUp(const Signup& signup) {
  NewUser spec{signup.email, signup.name, signup.password, false};
  QUIK_RETURN_IF_ERROR(users::ValidateNewUser(*ctx_, spec));
  QUIK_RETURN_IF_ERROR(ctx_->store->Read(
      [&](store::Tx& tx) -> Status { return CheckSignup(*ctx_, tx, signup).status(); }));
  QUIK_ASSIGN_OR_RETURN(std::string hash, users::HashPasswordFor(*ctx_, spec.password));
  return ctx_->WriteResult<Session>([&](store::Tx& tx, Session& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(std::optional<Invite> invite, CheckSignup(*ctx_, tx, signup));
    QUIK_ASSIGN_OR_RETURN(out.user, users::InsertUser(tx, spec, hash, ""));
    // Self-registered: vouched for only by an invite bound to this email
    // (JoinByInvite marks it so).
    QUIK_RETURN_IF_ERROR(tx.SetEmailVouched(out.user.id, false));
    if (invite) {
      QUIK_RETURN_IF_ERROR(workspaces::JoinByInvite(tx, *invite, out.user.id).status());
    }
    QUIK_ASSIGN_OR_RETURN(out.token, auth::IssueToken(tx, out.user.id, TokenKind::kSession, "",
                                                      ctx_->options.auth.session_ttl, out.user.id));
    return Status::Ok();
  });
}

Result<Session> AuthService::Login(std::string_view email, std::string_view password) {
  struct Found {
    std::optional<User> user;
    std::string hash;
  };
  QUIK_ASSIGN_OR_RETURN(
      Found found, ctx_->ReadResult<Found>([&](store::Tx& tx, Found& f) -> Status {
        QUIK_ASSIGN_OR_RETURN(f.user, tx.GetUserByEmail(internal::AsciiLower(email)));
        if (f.user) {
          QUIK_ASSIGN_OR_RETURN(f.hash, tx.GetPasswordHash(f.user->id));
        }
        return Status::Ok();
      }));
  // Always run one scrypt so that timing does not reveal which emails exist:
  // against the dummy hash if there is no hash of the user's.
  const bool had_password = !found.hash.empty();
  if (!had_password) {
    QUIK_ASSIGN_OR_RETURN(found.hash, DummyHash(*ctx_));
  }
  QUIK_ASSIGN_OR_RETURN(bool ok, users::VerifyPasswordFor(*ctx_, password, found.hash));
  if (!found.user || !had_password || !ok) return Unauthenticated(std::string(kBadLogin));
  if (!found.user->active) return Unauthenticated("user " + found.user->email + " is deactivated");
  return ctx_->WriteResult<Session>([&](store::Tx& tx, Session& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, Actor::ForUser(found.user->id)));
    out.user = who.user;
    QUIK_ASSIGN_OR_RETURN(out.token, auth::IssueToken(tx, out.user.id, TokenKind::kSession, "",
                                                      ctx_->options.auth.session_ttl, out.user.id));
    return Status::Ok();
  });
}

Status AuthService::Logout(std::string_view secret) {
  return ctx_->store->Write([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto rec, tx.GetTokenByHash(crypto::Sha256(secret)));
    if (!rec || rec->token.revoked_at != 0) return Unauthenticated("invalid or revoked token");
    return auth::RevokeToken(tx, *rec, rec->token.user_id);
  });
}

Result<Authenticated> AuthService::Authenticate(std::string_view secret) {
  if (secret.empty() || secret.size() > 256) return Unauthenticated("invalid token");
  QUIK_ASSIGN_OR_RETURN(auto value,
                        ctx_->store->lmdb().Get(store::Db::kTokens, crypto::Sha256(secret)));
  if (!value) return Unauthenticated("invalid or revoked token");
  auto entry = auth::TokenIndexEntry::Decode(*value);
  if (!entry) return Internal("corrupt token index entry");
  if (entry->expires_at != 0 && entry->expires_at <= ctx_->Now()) {
    return Unauthenticated("token expired");
  }
  return Authenticated{entry->user_id, entry->token_id, entry->kind};
}

Status AuthService::SetPassword(const Actor& actor, std::string_view user_ref,
                                std::string_view password) {
  QUIK_RETURN_IF_ERROR(users::CheckPassword(password));
  auto target = [&](store::Tx& tx) -> Result<User> {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto user, authz::VisibleUser(tx, who, user_ref));
    if (user.id != who.user.id && !who.is_instance_admin()) {
      return PermissionDenied("only the user themself or an instance admin may set a password");
    }
    return user;
  };
  // The permission check first: only someone allowed gets an scrypt run.
  QUIK_RETURN_IF_ERROR(
      ctx_->store->Read([&](store::Tx& tx) -> Status { return target(tx).status(); }));
  QUIK_ASSIGN_OR_RETURN(std::string hash, users::HashPasswordFor(*ctx_, std::string(password)));
  return ctx_->store->Write([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(User user, target(tx));
    QUIK_RETURN_IF_ERROR(tx.SetPasswordHash(user.id, hash));
    // A reset: whoever held the old password, or any token, is out.
    QUIK_RETURN_IF_ERROR(auth::RevokeAllForUser(tx, user.id, actor.user_id()));
    return events::Append(tx, "user.password_changed", actor.user_id(), user);
  });
}

Status AuthService::ChangePassword(const Actor& actor, std::string_view current,
                                   std::string_view password, std::string_view keep_session_id) {
  if (actor.is_system()) return PermissionDenied("the system has no password; use SetPassword");
  QUIK_RETURN_IF_ERROR(users::CheckPassword(password));
  QUIK_RETURN_IF_ERROR(CheckCurrentPassword(*ctx_, actor, current));
  QUIK_ASSIGN_OR_RETURN(std::string hash, users::HashPasswordFor(*ctx_, std::string(password)));
  return ctx_->store->Write([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_RETURN_IF_ERROR(tx.SetPasswordHash(who.user.id, hash));
    // Every other session and every API token ends; the session making the
    // change stays.
    QUIK_RETURN_IF_ERROR(auth::RevokeAllForUser(tx, who.user.id, actor.user_id(), keep_session_id));
    return events::Append(tx, "user.password_changed", actor.user_id(), who.user);
  });
}

Result<IssuedToken> AuthService::CreateToken(const Actor& actor, std::string_view user_ref,
                                             const NewToken& spec) {
  QUIK_RETURN_IF_ERROR(
      internal::CheckText(spec.name, ctx_->options.limits.name_max_chars, "token name", true));
  if (spec.ttl && spec.ttl->count() <= 0) return InvalidArgument("token ttl must be positive");
  if (spec.reauthenticate) {
    if (actor.is_system()) return InvalidArgument("the system has no password to confirm");
    if (!spec.password || spec.password->empty()) {
      return PermissionDenied(
          "minting an API token from a login session needs your password: send "
          "\"password\"");
    }
    QUIK_RETURN_IF_ERROR(CheckCurrentPassword(*ctx_, actor, *spec.password));
  }
  return ctx_->WriteResult<IssuedToken>([&](store::Tx& tx, IssuedToken& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto user, authz::VisibleUser(tx, who, user_ref));
    if (user.id != who.user.id && !who.is_instance_admin()) {
      return PermissionDenied(
          "only the user themself or an instance admin may create their tokens");
    }
    if (!user.active) return PermissionDenied("user " + user.email + " is deactivated");
    QUIK_ASSIGN_OR_RETURN(
        out, auth::IssueToken(tx, user.id, TokenKind::kApi, spec.name, spec.ttl, actor.user_id()));
    return Status::Ok();
  });
}

Result<std::vector<Token>> AuthService::ListTokens(const Actor& actor, std::string_view user_ref) {
  return ctx_->ReadResult<std::vector<Token>>([&](store::Tx& tx,
                                                  std::vector<Token>& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    std::string user_id;
    if (!user_ref.empty()) {
      QUIK_ASSIGN_OR_RETURN(auto user, authz::VisibleUser(tx, who, user_ref));
      user_id = user.id;
    } else if (!who.system) {
      user_id = who.user.id;
    }
    if (user_id != who.user.id && !who.is_instance_admin()) {
      return PermissionDenied("only the user themself or an instance admin may list their tokens");
    }
    QUIK_ASSIGN_OR_RETURN(auto records, tx.ListTokens(user_id));
    for (auto& r : records) out.push_back(std::move(r.token));
    return Status::Ok();
  });
}

Status AuthService::RevokeToken(const Actor& actor, std::string_view token_id) {
  return ctx_->store->Write([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto rec, tx.GetToken(token_id));
    if (!rec || (rec->token.user_id != who.user.id && !who.is_instance_admin())) {
      return NotFound("token '" + std::string(token_id) + "' not found");
    }
    return auth::RevokeToken(tx, *rec, actor.user_id());
  });
}

}  // namespace quik
