// SPDX-License-Identifier: MIT
// quik::AuthService: passwords, login sessions and API tokens.
//
// Passwords are hashed with scrypt (auth.scrypt_* options) and checked in
// constant time. Session and API token secrets carry 256 random bits and are
// stored only as SHA-256 hashes; Authenticate looks them up in LMDB.
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

struct Signup {
  std::string email;
  std::string name;
  std::string password;
  std::string invite_code;  // required unless auth.open_signup
};

struct Session {
  IssuedToken token;  // a kSession token
  User user;
};

struct Authenticated {
  std::string user_id;
  std::string token_id;
  TokenKind kind = TokenKind::kApi;
};

struct NewToken {
  std::string name;
  std::optional<std::chrono::seconds> ttl;  // none: never expires
  // The caller holds only a login session (a browser): the token is minted
  // only if `password` is the caller's current password (kPermissionDenied
  // otherwise). The HTTP API sets this for session credentials.
  bool reauthenticate = false;
  std::optional<std::string> password;
};

class AuthService {
 public:
  explicit AuthService(internal::Context* ctx) : ctx_(ctx) {}

  // Creates the user (and accepts the invite, if any) and a session. The
  // invite (or auth.open_signup) and the email's uniqueness are checked before
  // the password is hashed. An invite bound to an email takes only that email.
  // Password hashes and checks (here, Login, ChangePassword, SetPassword)
  // run on a bounded pool: kUnavailable when it is full (auth.hash_queue).
  Result<Session> SignUp(const Signup& signup);

  // kUnauthenticated for a wrong email or password alike; deactivated users
  // cannot log in.
  Result<Session> Login(std::string_view email, std::string_view password);

  // Revokes the session or token whose secret this is.
  Status Logout(std::string_view secret);

  // The user behind a secret; kUnauthenticated if unknown, expired, revoked or
  // deactivated.
  Result<Authenticated> Authenticate(std::string_view secret);

  // The user themself, the system or an instance admin (checked before any
  // hashing). Revokes every login session and API token of the user: a
  // reset leaves nothing of the old credentials working.
  Status SetPassword(const Actor& actor, std::string_view user_ref, std::string_view password);

  // The user changes their own password, proving the current one
  // (kPermissionDenied if it is wrong, or if they have none yet). Revokes
  // every login session but `keep_session_id` (the one making the change, if
  // any) and every API token.
  Status ChangePassword(const Actor& actor, std::string_view current, std::string_view password,
                        std::string_view keep_session_id = {});

  // API tokens: for the user themself, or by the system / an instance admin.
  Result<IssuedToken> CreateToken(const Actor& actor, std::string_view user_ref,
                                  const NewToken& spec);
  // Live and revoked tokens of a user, or (the system, with an empty ref) of
  // everyone. Secrets are never returned.
  Result<std::vector<Token>> ListTokens(const Actor& actor, std::string_view user_ref = {});
  Status RevokeToken(const Actor& actor, std::string_view token_id);

 private:
  internal::Context* ctx_;
};

}  // namespace quik
