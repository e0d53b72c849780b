// SPDX-License-Identifier: MIT
// Pieces of the user service that signup (auth/) shares.
#pragma once

#include <optional>
#include <string>

#include "quik/users.hpp"
#include "service/context.hpp"

namespace quik::users {

// 8..1024 bytes.
Status CheckPassword(std::string_view password);
// Email, name and (if any) password.
Status ValidateNewUser(const internal::Context& ctx, const NewUser& spec);
// The scrypt hash of a password ("" for none), at the configured cost, made
// on the hash pool (kUnavailable when its queue is full). Call it only once
// every cheaper check (permission, invite, uniqueness) has passed.
Result<std::string> HashPasswordFor(const internal::Context& ctx,
                                    const std::optional<std::string>& password);
// crypto::VerifyPassword on the hash pool (kUnavailable when its queue is full).
Result<bool> VerifyPasswordFor(const internal::Context& ctx, std::string_view password,
                               std::string_view encoded);
// Inserts the user (kAlreadyExists on a taken email) and its event.
Result<User> InsertUser(store::Tx& tx, const NewUser& spec, std::string_view password_hash,
                        std::string_view actor_id);

}  // namespace quik::users
