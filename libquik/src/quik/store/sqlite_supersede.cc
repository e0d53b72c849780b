// SPDX-License-Identifier: MIT
// SqliteTx: what an edit or a delete rewrites (messages/supersede.cc), and
// the membership history a replay rewinds through (authz::ViewAsOf).
#include "store/sqlite_tx.hpp"

namespace quik::store {
namespace {

#define PREPARE(var, sql) QUIK_ASSIGN_OR_RETURN(Stmt var, conn_.Prepare(sql))

Result<std::vector<Event>> AllEvents(Stmt& s) {
  std::vector<Event> out;
  for (;;) {
    QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(Event{s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Int(5), s.Blob(6)});
  }
}

}  // namespace

Result<std::vector<Event>> SqliteTx::ReadMembershipEvents(std::int64_t after_seq,
                                                          std::int64_t through_seq) {
  PREPARE(s,
          "SELECT seq, type, workspace_id, channel_id, user_id, created_at, payload "
          // The partial index holds the member.* events only: no scan of the
          // rest of the log, however far back the cursor is.
          "FROM events INDEXED BY events_membership WHERE seq > ? AND seq <= ? "
          "AND type IN ('member.joined', 'member.left', 'member.updated') ORDER BY seq");
  s.Bind(1, after_seq).Bind(2, through_seq);
  return AllEvents(s);
}

Result<std::vector<Event>> SqliteTx::ListMessageEvents(std::string_view message_id) {
  PREPARE(s,
          "SELECT seq, type, workspace_id, channel_id, user_id, created_at, payload FROM events "
          "WHERE message_id = ? AND message_id != '' ORDER BY seq");
  s.Bind(1, message_id);
  return AllEvents(s);
}

Status SqliteTx::SetEventPayload(std::int64_t seq, std::string_view payload) {
  PREPARE(s, "UPDATE events SET payload = ? WHERE seq = ?");
  s.BindBlob(1, payload).Bind(2, seq);
  return s.Exec();
}

Status SqliteTx::SetNotificationExcerpts(std::string_view message_id, std::string_view excerpt) {
  PREPARE(s, "UPDATE notifications SET excerpt = ? WHERE message_id = ?");
  s.Bind(1, excerpt).Bind(2, message_id);
  return s.Exec();
}

Result<std::vector<std::string>> SqliteTx::ListDeliveriesOfEvent(std::int64_t event_seq) {
  PREPARE(s, "SELECT id FROM webhook_deliveries WHERE event_seq = ? ORDER BY id");
  s.Bind(1, event_seq);
  std::vector<std::string> out;
  for (;;) {
    QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(s.Text(0));
  }
}

Result<std::string> SqliteTx::GetDeliveryBody(std::string_view id) {
  PREPARE(s, "SELECT body FROM webhook_deliveries WHERE id = ?");
  s.Bind(1, id);
  QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Text(0) : std::string();
}

Status SqliteTx::SetDeliveryBody(std::string_view id, std::string_view body) {
  PREPARE(s, "UPDATE webhook_deliveries SET body = ? WHERE id = ?");
  s.Bind(1, body).Bind(2, id);
  return s.Exec();
}

}  // namespace quik::store
