// SPDX-License-Identifier: MIT
// Issuing and revoking sessions and API tokens inside a write transaction.
//
// The SQLite `tokens` table is the record; the LMDB "tokens" database maps
// SHA-256(secret) to a TokenIndexEntry so that Authenticate never touches
// SQLite. Both change in the same commit (see store::Store::Write).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "quik/types.hpp"
#include "store/tx.hpp"

namespace quik::auth {

// The LMDB meta key that marks the token index as built from the tokens table
// (service/service.cc rebuilds the index when it is absent; a backup drops
// both, so that a restored data dir rebuilds it from its own database).
inline constexpr std::string_view kTokenIndexMetaKey = "token_index_version";

// LMDB value layout, version 1: token id (26) | user id (26) | kind (1: 's' or
// 'a') | expires_at (8, little-endian; 0 = never).
struct TokenIndexEntry {
  std::string token_id;
  std::string user_id;
  TokenKind kind = TokenKind::kApi;
  Timestamp expires_at = 0;

  std::string Encode() const;
  static std::optional<TokenIndexEntry> Decode(std::string_view bytes);
};

Result<IssuedToken> IssueToken(store::Tx& tx, std::string_view user_id, TokenKind kind,
                               std::string_view name, std::optional<std::chrono::seconds> ttl,
                               std::string_view actor_id);

// Revokes one token (no-op if already revoked).
Status RevokeToken(store::Tx& tx, const store::TokenRecord& record, std::string_view actor_id);

// Revokes every live session and API token of a user but `keep_token_id`
// (none when empty): a password change keeps the session that made it, an
// admin's reset or a deactivation keeps nothing. The LMDB index entries go in
// the same commit, so Authenticate refuses them as soon as it returns.
Status RevokeAllForUser(store::Tx& tx, std::string_view user_id, std::string_view actor_id,
                        std::string_view keep_token_id = {});

}  // namespace quik::auth
