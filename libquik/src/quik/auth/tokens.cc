// SPDX-License-Identifier: MIT
#include "auth/tokens.hpp"

#include <cstring>

#include "auth/crypto.hpp"
#include "common/ids.hpp"
#include "events/event_log.hpp"

namespace quik::auth {

std::string TokenIndexEntry::Encode() const {
  std::string out;
  out.reserve(61);
  out += token_id;
  out += user_id;
  out += kind == TokenKind::kSession ? 's' : 'a';
  auto e = static_cast<std::uint64_t>(expires_at);
  for (int i = 0; i < 8; ++i) out += static_cast<char>((e >> (8 * i)) & 0xff);
  return out;
}

std::optional<TokenIndexEntry> TokenIndexEntry::Decode(std::string_view b) {
  if (b.size() != 61) return std::nullopt;
  TokenIndexEntry e;
  e.token_id = b.substr(0, 26);
  e.user_id = b.substr(26, 26);
  e.kind = b[52] == 's' ? TokenKind::kSession : TokenKind::kApi;
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(b[53 + static_cast<size_t>(i)]);
  e.expires_at = static_cast<Timestamp>(v);
  return e;
}

Result<IssuedToken> IssueToken(store::Tx& tx, std::string_view user_id, TokenKind kind,
                               std::string_view name, std::optional<std::chrono::seconds> ttl,
                               std::string_view actor_id) {
  Timestamp now = tx.Now();
  IssuedToken issued;
  issued.secret = crypto::NewSecret();
  store::TokenRecord rec;
  rec.token.id = internal::NewId(now);
  rec.token.user_id = user_id;
  rec.token.name = name;
  rec.token.kind = kind;
  rec.token.created_at = now;
  if (ttl)
    rec.token.expires_at =
        now + std::chrono::duration_cast<std::chrono::milliseconds>(*ttl).count();
  rec.secret_hash = crypto::Sha256(issued.secret);
  QUIK_RETURN_IF_ERROR(tx.InsertToken(rec));
  TokenIndexEntry entry{rec.token.id, rec.token.user_id, kind, rec.token.expires_at};
  tx.lmdb().Put(store::Db::kTokens, rec.secret_hash, entry.Encode());
  QUIK_RETURN_IF_ERROR(events::Append(
      tx, kind == TokenKind::kSession ? "session.created" : "token.created", actor_id, rec.token));
  issued.token = rec.token;
  return issued;
}

Status RevokeToken(store::Tx& tx, const store::TokenRecord& record, std::string_view actor_id) {
  if (record.token.revoked_at != 0) return Status::Ok();
  Timestamp now = tx.Now();
  QUIK_RETURN_IF_ERROR(tx.RevokeToken(record.token.id, now));
  tx.lmdb().Delete(store::Db::kTokens, record.secret_hash);
  Token t = record.token;
  t.revoked_at = now;
  return events::Append(tx, t.kind == TokenKind::kSession ? "session.revoked" : "token.revoked",
                        actor_id, t);
}

Status RevokeAllForUser(store::Tx& tx, std::string_view user_id, std::string_view actor_id,
                        std::string_view keep_token_id) {
  QUIK_ASSIGN_OR_RETURN(auto records, tx.ListTokens(user_id));
  for (const auto& rec : records) {
    if (!keep_token_id.empty() && rec.token.id == keep_token_id) continue;
    QUIK_RETURN_IF_ERROR(RevokeToken(tx, rec, actor_id));
  }
  return Status::Ok();
}

}  // namespace quik::auth
