// Invite codes: secrets shown once, stored as SHA-256 hashes.
#pragma once

#include <string_view>

#include "quik/types.hpp"
#include "store/tx.hpp"

namespace quik::workspaces {

// The unexpired invite with this code; kNotFound otherwise.
Result<Invite> FindLiveInvite(store::Tx& tx, std::string_view code);

// Makes `user_id` a member with the invite's role (a no-op, returning the
// existing membership, when they already are one).
Result<Member> JoinByInvite(store::Tx& tx, const Invite& invite, std::string_view user_id);

}  // namespace quik::workspaces
