// SPDX-License-Identifier: MIT
// Invite codes: secrets shown once, stored as SHA-256 hashes.
#pragma once

#include <string_view>

#include "quik/types.hpp"
#include "store/tx.hpp"

namespace quik::workspaces {

// The invite with this code if it may bring someone in now: not revoked,
// not expired, not used up (one message for all three, kNotFound); and if it
// is bound to an email, `email` must be that one (kPermissionDenied).
Result<Invite> FindLiveInvite(store::Tx& tx, std::string_view code, std::string_view email);

// Makes `user_id` a member with the invite's role, using up one of its uses
// (a no-op, returning the existing membership, when they already are one).
Result<Member> JoinByInvite(store::Tx& tx, Invite& invite, std::string_view user_id);

}  // namespace quik::workspaces
