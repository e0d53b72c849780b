// SPDX-License-Identifier: MIT
// quik::UserService: accounts.
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

struct NewUser {
  std::string email;                    // validated; unique case-insensitively (kAlreadyExists)
  std::string name;                     // display name, 1..limits.name_max_chars code points
  std::optional<std::string> password;  // none: the user signs in by token or invite
  bool is_admin = false;                // only the system or an instance admin may set it
};

struct UserUpdate {
  std::optional<std::string> name;
};

// The instance admin made on a data dir's first start, with the password
// generated for them (shown once; stored only hashed).
struct FirstAdmin {
  User user;
  std::string password;
};

class UserService {
 public:
  explicit UserService(internal::Context* ctx) : ctx_(ctx) {}

  // The system or an instance admin; the permission and a free email are
  // checked before the password is hashed (on the hash pool: kUnavailable
  // when it is full). The new account's email counts as vouched for.
  Result<User> Create(const Actor& actor, const NewUser& user);

  // `ref` is a user id or an email (case-insensitive). Visible to the system,
  // the user, and anyone sharing a workspace with them; kNotFound otherwise.
  Result<User> Get(const Actor& actor, std::string_view ref);

  // All users (the system and instance admins), or with `workspace_ref` that
  // workspace's users (its members only).
  Result<std::vector<User>> List(const Actor& actor, std::string_view workspace_ref = {});

  // The user themself, or the system / an instance admin.
  Result<User> Update(const Actor& actor, std::string_view ref, const UserUpdate& update);

  // The system only. On an instance without users, creates the instance admin
  // `email` (name "Admin") with a generated password and returns it; once a
  // data dir has had users, returns nullopt ever after, so the password is
  // handed out only once (quikctl serve prints it on the first start).
  Result<std::optional<FirstAdmin>> CreateFirstAdmin(const Actor& actor, std::string_view email);

  // The system or an instance admin. Revokes every session and token the user
  // holds, in the same transaction. Deactivating twice is a no-op.
  Result<User> Deactivate(const Actor& actor, std::string_view ref);
  // The system or an instance admin: the user may sign in again (their old
  // sessions and tokens stay revoked). Reactivating an active user is a no-op.
  Result<User> Reactivate(const Actor& actor, std::string_view ref);
  // The system or an instance admin makes or unmakes an instance admin; the
  // last active one cannot be unmade (kPermissionDenied).
  Result<User> SetAdmin(const Actor& actor, std::string_view ref, bool is_admin);

 private:
  internal::Context* ctx_;
};

}  // namespace quik
