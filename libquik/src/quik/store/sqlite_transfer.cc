// SPDX-License-Identifier: MIT
// SqliteTx: import keys and what export and import read in bulk
// (store/tx.hpp, "Import keys"; transfer/).
#include "common/ids.hpp"
#include "store/sqlite_tx.hpp"

namespace quik::store {

#define PREPARE(var, sql) QUIK_ASSIGN_OR_RETURN(Stmt var, conn_.Prepare(sql))

Result<std::optional<std::string>> SqliteTx::GetImportKey(std::string_view workspace_id,
                                                          std::string_view source,
                                                          std::string_view kind,
                                                          std::string_view external_id) {
  PREPARE(s,
          "SELECT local_id FROM import_keys WHERE workspace_id = ? AND source = ? AND kind = ? "
          "AND external_id = ?");
  s.Bind(1, workspace_id).Bind(2, source).Bind(3, kind).Bind(4, external_id);
  QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(s.Text(0));
}

Status SqliteTx::PutImportKey(std::string_view workspace_id, std::string_view source,
                              std::string_view kind, std::string_view external_id,
                              std::string_view local_id) {
  PREPARE(s,
          "INSERT OR REPLACE INTO import_keys(workspace_id, source, kind, external_id, local_id, "
          "created_at) VALUES(?, ?, ?, ?, ?, ?)");
  s.Bind(1, workspace_id).Bind(2, source).Bind(3, kind).Bind(4, external_id).Bind(5, local_id);
  s.Bind(6, Now());
  return s.Exec();
}

Status SqliteTx::AdvanceImportedRead(std::string_view channel_id, std::string_view thread_root_id,
                                     std::int64_t from, std::int64_t to, std::string_view last_id) {
  if (thread_root_id.empty()) {
    PREPARE(s,
            "UPDATE channel_members SET read_ordinal = ?3, last_read_id = ?4 "
            "WHERE channel_id = ?1 AND read_ordinal >= ?2 - 1 AND read_ordinal < ?3");
    s.Bind(1, channel_id).Bind(2, from).Bind(3, to).Bind(4, last_id);
    return s.Exec();
  }
  PREPARE(s,
          "UPDATE thread_follows SET read_ordinal = ?3, last_read_id = ?4 "
          "WHERE root_id = ?1 AND read_ordinal >= ?2 - 1 AND read_ordinal < ?3");
  s.Bind(1, thread_root_id).Bind(2, from).Bind(3, to).Bind(4, last_id);
  return s.Exec();
}

Result<std::vector<ReactionRow>> SqliteTx::ListChannelReactions(std::string_view channel_id) {
  PREPARE(s,
          "SELECT r.message_id, m.channel_id, m.workspace_id, r.emoji, r.user_id, r.created_at "
          "FROM reactions r JOIN messages m ON m.id = r.message_id "
          "WHERE m.channel_id = ? ORDER BY r.created_at, r.rowid");
  s.Bind(1, channel_id);
  std::vector<ReactionRow> out;
  for (;;) {
    QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back({s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Int(5)});
  }
}

#undef PREPARE

}  // namespace quik::store
