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
// The scrypt hash of a password ("" for none), at the configured cost.
Result<std::string> HashPasswordFor(const internal::Context& ctx,
                                    const std::optional<std::string>& password);
// Inserts the user (kAlreadyExists on a taken email) and its event.
Result<User> InsertUser(store::Tx& tx, const NewUser& spec, std::string_view password_hash,
                        std::string_view actor_id);

}  // namespace quik::users
