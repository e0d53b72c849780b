// SPDX-License-Identifier: MIT
#include "store/sqlite_tx.hpp"

#include "common/ids.hpp"

#include <algorithm>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace quik::store {
namespace {

User ReadUser(const Stmt& s) {
  User u;
  u.id = s.Text(0);
  u.email = s.Text(1);
  u.name = s.Text(2);
  u.is_admin = s.Int(3) != 0;
  u.active = s.Int(4) != 0;
  u.created_at = s.Int(5);
  u.deactivated_at = s.Int(6);
  return u;
}

Workspace ReadWorkspace(const Stmt& s) {
  return Workspace{s.Text(0), s.Text(1), s.Text(2), s.Int(3)};
}

Member ReadMember(const Stmt& s) {
  Member m;
  m.workspace_id = s.Text(0);
  m.user_id = s.Text(1);
  m.role = ParseRole(s.Text(2)).value_or(Role::kGuest);
  m.joined_at = s.Int(3);
  m.email = s.Text(4);
  m.name = s.Text(5);
  return m;
}

ChannelKind ParseKind(const std::string& k) {
  if (k == "private") return ChannelKind::kPrivate;
  if (k == "dm") return ChannelKind::kDirect;
  if (k == "group_dm") return ChannelKind::kGroup;
  return ChannelKind::kPublic;
}

Channel ReadChannel(const Stmt& s) {
  Channel c;
  c.id = s.Text(0);
  c.workspace_id = s.Text(1);
  c.name = s.Text(2);
  c.topic = s.Text(3);
  c.kind = ParseKind(s.Text(4));
  c.archived = s.Int(5) != 0;
  c.created_by = s.Text(6);
  c.created_at = s.Int(7);
  return c;
}

// messages.mention_flags.
constexpr std::int64_t kMentionsChannel = 1;
constexpr std::int64_t kMentionsHere = 2;

std::int64_t MentionFlags(const Message& m) {
  return (m.mentions_channel ? kMentionsChannel : 0) | (m.mentions_here ? kMentionsHere : 0);
}

// Lists of ids are stored joined by ',' (ids never contain one).
std::vector<std::string> SplitIds(const std::string& joined) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < joined.size()) {
    std::size_t end = joined.find(',', start);
    if (end == std::string::npos) end = joined.size();
    if (end > start) out.push_back(joined.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!out.empty()) out += ',';
    out += id;
  }
  return out;
}

// A JSON-free way to bind a list to one parameter: SQL splits it back with
// a recursive CTE (see kSplitIds).
#define QUIK_SPLIT_IDS(param)                                                         \
  "WITH RECURSIVE ids(id, rest) AS (SELECT '', " param                                \
  " || ',' UNION ALL "                                                                \
  "SELECT substr(rest, 1, instr(rest, ',') - 1), substr(rest, instr(rest, ',') + 1) " \
  "FROM ids WHERE rest != '') "

Message ReadMessage(const Stmt& s) {
  Message m;
  m.id = s.Text(0);
  m.channel_id = s.Text(1);
  m.workspace_id = s.Text(2);
  m.user_id = s.Text(3);
  m.text = s.Text(4);
  m.client_msg_id = s.Text(5);
  m.thread_root_id = s.Text(6);
  m.reply_count = static_cast<int>(s.Int(7));
  m.created_at = s.Int(8);
  m.edited_at = s.Int(9);
  m.deleted_at = s.Int(10);
  m.last_reply_at = s.Int(11);
  m.reply_users = SplitIds(s.Text(12));
  m.reply_broadcast = s.Int(13) != 0;
  m.mentions = SplitIds(s.Text(14));
  m.mentions_channel = (s.Int(15) & kMentionsChannel) != 0;
  m.mentions_here = (s.Int(15) & kMentionsHere) != 0;
  m.ordinal = s.Int(16);
  m.reply_ordinal = s.Int(17);
  m.reply_seq = s.Int(18);
  return m;
}

TokenRecord ReadToken(const Stmt& s) {
  TokenRecord r;
  r.token.id = s.Text(0);
  r.token.user_id = s.Text(1);
  r.token.name = s.Text(2);
  // The schema's CHECK allows only these two.
  r.token.kind = s.Text(3) == "session" ? TokenKind::kSession : TokenKind::kApi;
  r.token.created_at = s.Int(4);
  r.token.expires_at = s.Int(5);
  r.token.revoked_at = s.Int(6);
  r.secret_hash = s.Blob(7);
  return r;
}

// Runs `stmt` and returns its first row through `read`, or nullopt.
template <typename T, typename F>
Result<std::optional<T>> One(Stmt& stmt, F read) {
  QUIK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<T>();
  return std::optional<T>(read(stmt));
}

template <typename T, typename F>
Result<std::vector<T>> All(Stmt& stmt, F read) {
  std::vector<T> out;
  for (;;) {
    QUIK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return out;
    out.push_back(read(stmt));
  }
}

}  // namespace

#define PREPARE(var, sql) QUIK_ASSIGN_OR_RETURN(Stmt var, conn_.Prepare(sql))

// ---- users

Result<std::optional<User>> SqliteTx::GetUser(std::string_view id) {
  PREPARE(s,
          "SELECT id, email, name, is_admin, active, created_at, deactivated_at "
          "FROM users WHERE id = ?");
  s.Bind(1, id);
  return One<User>(s, ReadUser);
}

Result<std::optional<User>> SqliteTx::GetUserByEmail(std::string_view email_key) {
  PREPARE(s,
          "SELECT id, email, name, is_admin, active, created_at, deactivated_at "
          "FROM users WHERE email_key = ?");
  s.Bind(1, email_key);
  return One<User>(s, ReadUser);
}

Result<std::string> SqliteTx::GetPasswordHash(std::string_view user_id) {
  PREPARE(s, "SELECT password_hash FROM users WHERE id = ?");
  s.Bind(1, user_id);
  QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Text(0) : std::string();
}

Result<std::vector<User>> SqliteTx::ListUsers() {
  PREPARE(s,
          "SELECT id, email, name, is_admin, active, created_at, deactivated_at "
          "FROM users ORDER BY email_key");
  return All<User>(s, ReadUser);
}

Result<std::vector<User>> SqliteTx::ListWorkspaceUsers(std::string_view workspace_id) {
  PREPARE(s,
          "SELECT u.id, u.email, u.name, u.is_admin, u.active, u.created_at, u.deactivated_at "
          "FROM members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ? "
          "ORDER BY u.email_key");
  s.Bind(1, workspace_id);
  return All<User>(s, ReadUser);
}

Result<bool> SqliteTx::SharesWorkspace(std::string_view a, std::string_view b) {
  PREPARE(s,
          "SELECT 1 FROM members x JOIN members y ON x.workspace_id = y.workspace_id "
          "WHERE x.user_id = ? AND y.user_id = ? LIMIT 1");
  s.Bind(1, a).Bind(2, b);
  return s.Step();
}

Status SqliteTx::InsertUser(const User& u, std::string_view password_hash) {
  PREPARE(s,
          "INSERT INTO users(id, email, email_key, name, password_hash, is_admin, active, "
          "created_at, deactivated_at) VALUES(?, ?, lower(?), ?, ?, ?, ?, ?, ?)");
  s.Bind(1, u.id).Bind(2, u.email).Bind(3, u.email).Bind(4, u.name);
  if (!password_hash.empty()) s.Bind(5, password_hash);
  s.Bind(6, u.is_admin).Bind(7, u.active).Bind(8, u.created_at).Bind(9, u.deactivated_at);
  return s.Exec();
}

Status SqliteTx::UpdateUser(const User& u) {
  PREPARE(s,
          "UPDATE users SET name = ?, is_admin = ?, active = ?, deactivated_at = ? "
          "WHERE id = ?");
  s.Bind(1, u.name).Bind(2, u.is_admin).Bind(3, u.active).Bind(4, u.deactivated_at).Bind(5, u.id);
  return s.Exec();
}

Status SqliteTx::SetPasswordHash(std::string_view user_id, std::string_view hash) {
  PREPARE(s, "UPDATE users SET password_hash = ? WHERE id = ?");
  s.Bind(1, hash).Bind(2, user_id);
  return s.Exec();
}

Result<bool> SqliteTx::GetEmailVouched(std::string_view user_id) {
  PREPARE(s, "SELECT email_vouched FROM users WHERE id = ?");
  s.Bind(1, user_id);
  QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
  return row && s.Int(0) != 0;
}

Status SqliteTx::SetEmailVouched(std::string_view user_id, bool vouched) {
  PREPARE(s, "UPDATE users SET email_vouched = ? WHERE id = ?");
  s.Bind(1, vouched).Bind(2, user_id);
  return s.Exec();
}

// ---- workspaces

Result<std::optional<Workspace>> SqliteTx::GetWorkspace(std::string_view id) {
  PREPARE(s, "SELECT id, name, slug, created_at FROM workspaces WHERE id = ?");
  s.Bind(1, id);
  return One<Workspace>(s, ReadWorkspace);
}

Result<std::optional<Workspace>> SqliteTx::GetWorkspaceBySlug(std::string_view slug) {
  PREPARE(s, "SELECT id, name, slug, created_at FROM workspaces WHERE slug = ?");
  s.Bind(1, slug);
  return One<Workspace>(s, ReadWorkspace);
}

Result<std::vector<Workspace>> SqliteTx::ListWorkspaces() {
  PREPARE(s, "SELECT id, name, slug, created_at FROM workspaces ORDER BY slug");
  return All<Workspace>(s, ReadWorkspace);
}

Result<std::vector<Workspace>> SqliteTx::ListUserWorkspaces(std::string_view user_id) {
  PREPARE(s,
          "SELECT w.id, w.name, w.slug, w.created_at FROM members m "
          "JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = ? ORDER BY w.slug");
  s.Bind(1, user_id);
  return All<Workspace>(s, ReadWorkspace);
}

Result<std::vector<Member>> SqliteTx::ListUserMemberships(std::string_view user_id) {
  PREPARE(s,
          "SELECT workspace_id, user_id, role, joined_at, '', '' FROM members "
          "WHERE user_id = ? ORDER BY workspace_id");
  s.Bind(1, user_id);
  return All<Member>(s, ReadMember);
}

Status SqliteTx::InsertWorkspace(const Workspace& ws) {
  PREPARE(s, "INSERT INTO workspaces(id, name, slug, created_at) VALUES(?, ?, ?, ?)");
  s.Bind(1, ws.id).Bind(2, ws.name).Bind(3, ws.slug).Bind(4, ws.created_at);
  return s.Exec();
}

Status SqliteTx::UpdateWorkspace(const Workspace& ws) {
  PREPARE(s, "UPDATE workspaces SET name = ? WHERE id = ?");
  s.Bind(1, ws.name).Bind(2, ws.id);
  return s.Exec();
}

Status SqliteTx::DeleteWorkspace(std::string_view id) {
  // Channels, their members and messages, members and invites cascade.
  PREPARE(s, "DELETE FROM workspaces WHERE id = ?");
  s.Bind(1, id);
  return s.Exec();
}

Result<std::optional<Member>> SqliteTx::GetMember(std::string_view workspace_id,
                                                  std::string_view user_id) {
  PREPARE(s,
          "SELECT m.workspace_id, m.user_id, m.role, m.joined_at, u.email, u.name "
          "FROM members m JOIN users u ON u.id = m.user_id "
          "WHERE m.workspace_id = ? AND m.user_id = ?");
  s.Bind(1, workspace_id).Bind(2, user_id);
  return One<Member>(s, ReadMember);
}

Result<std::vector<Member>> SqliteTx::ListMembers(std::string_view workspace_id,
                                                  std::string_view after_user_id, int limit) {
  PREPARE(s,
          "SELECT m.workspace_id, m.user_id, m.role, m.joined_at, u.email, u.name "
          "FROM members m JOIN users u ON u.id = m.user_id "
          "WHERE m.workspace_id = ? AND m.user_id > ? ORDER BY m.user_id LIMIT ?");
  s.Bind(1, workspace_id).Bind(2, after_user_id).Bind(3, limit);
  return All<Member>(s, ReadMember);
}

Result<int> SqliteTx::CountOwners(std::string_view workspace_id) {
  PREPARE(s, "SELECT count(*) FROM members WHERE workspace_id = ? AND role = 'owner'");
  s.Bind(1, workspace_id);
  QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? static_cast<int>(s.Int(0)) : 0;
}

Status SqliteTx::UpsertMember(const Member& m) {
  PREPARE(s,
          "INSERT INTO members(workspace_id, user_id, role, joined_at) VALUES(?, ?, ?, ?) "
          "ON CONFLICT(workspace_id, user_id) DO UPDATE SET role = excluded.role");
  s.Bind(1, m.workspace_id).Bind(2, m.user_id).Bind(3, RoleName(m.role)).Bind(4, m.joined_at);
  return s.Exec();
}

Status SqliteTx::DeleteMember(std::string_view workspace_id, std::string_view user_id) {
  {
    PREPARE(s,
            "DELETE FROM channel_members WHERE user_id = ? AND channel_id IN "
            "(SELECT id FROM channels WHERE workspace_id = ?)");
    s.Bind(1, user_id).Bind(2, workspace_id);
    QUIK_RETURN_IF_ERROR(s.Exec());
  }
  PREPARE(s, "DELETE FROM members WHERE workspace_id = ? AND user_id = ?");
  s.Bind(1, workspace_id).Bind(2, user_id);
  return s.Exec();
}

Status SqliteTx::InsertInvite(const Invite& inv, std::string_view code_hash) {
  PREPARE(s,
          "INSERT INTO invites(id, workspace_id, code_hash, role, created_by, created_at, "
          "expires_at, max_uses, uses, email_key, revoked_at) "
          "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, lower(?), ?)");
  s.Bind(1, inv.id).Bind(2, inv.workspace_id).BindBlob(3, code_hash).Bind(4, RoleName(inv.role));
  s.Bind(5, inv.created_by).Bind(6, inv.created_at).Bind(7, inv.expires_at);
  s.Bind(8, inv.max_uses).Bind(9, inv.uses).Bind(10, inv.email).Bind(11, inv.revoked_at);
  return s.Exec();
}

#define INVITE_COLUMNS                                                                  \
  "SELECT id, workspace_id, role, created_by, created_at, expires_at, max_uses, uses, " \
  "email_key, revoked_at FROM invites "

static Invite ReadInvite(const Stmt& r) {
  Invite inv;
  inv.id = r.Text(0);
  inv.workspace_id = r.Text(1);
  inv.role = ParseRole(r.Text(2)).value_or(Role::kGuest);
  inv.created_by = r.Text(3);
  inv.created_at = r.Int(4);
  inv.expires_at = r.Int(5);
  inv.max_uses = static_cast<int>(r.Int(6));
  inv.uses = static_cast<int>(r.Int(7));
  inv.email = r.Text(8);
  inv.revoked_at = r.Int(9);
  return inv;
}

Result<std::optional<Invite>> SqliteTx::GetInviteByCodeHash(std::string_view code_hash) {
  PREPARE(s, INVITE_COLUMNS "WHERE code_hash = ?");
  s.BindBlob(1, code_hash);
  return One<Invite>(s, ReadInvite);
}

Result<std::optional<Invite>> SqliteTx::GetInvite(std::string_view id) {
  PREPARE(s, INVITE_COLUMNS "WHERE id = ?");
  s.Bind(1, id);
  return One<Invite>(s, ReadInvite);
}

Result<std::vector<Invite>> SqliteTx::ListInvites(std::string_view workspace_id) {
  PREPARE(s, INVITE_COLUMNS "WHERE workspace_id = ? ORDER BY id DESC");
  s.Bind(1, workspace_id);
  return All<Invite>(s, ReadInvite);
}

#undef INVITE_COLUMNS

Status SqliteTx::UpdateInvite(const Invite& inv) {
  PREPARE(s, "UPDATE invites SET uses = ?, revoked_at = ? WHERE id = ?");
  s.Bind(1, inv.uses).Bind(2, inv.revoked_at).Bind(3, inv.id);
  return s.Exec();
}

// ---- channels

#define CHANNEL_COLS \
  "c.id, c.workspace_id, c.name, c.topic, c.kind, c.archived, c.created_by, c.created_at"

Result<std::optional<Channel>> SqliteTx::GetChannel(std::string_view id) {
  PREPARE(s, "SELECT " CHANNEL_COLS " FROM channels c WHERE c.id = ?");
  s.Bind(1, id);
  return One<Channel>(s, ReadChannel);
}

Result<std::optional<Channel>> SqliteTx::GetChannelByName(std::string_view workspace_id,
                                                          std::string_view name) {
  PREPARE(s, "SELECT " CHANNEL_COLS
             " FROM channels c WHERE c.workspace_id = ? AND c.name = ? "
             "AND c.kind IN ('public', 'private')");
  s.Bind(1, workspace_id).Bind(2, name);
  return One<Channel>(s, ReadChannel);
}

Result<std::vector<Channel>> SqliteTx::ListChannels(std::string_view workspace_id) {
  PREPARE(s, "SELECT " CHANNEL_COLS " FROM channels c WHERE c.workspace_id = ? ORDER BY c.name");
  s.Bind(1, workspace_id);
  return All<Channel>(s, ReadChannel);
}

Result<std::vector<Channel>> SqliteTx::ListChannelsForUser(std::string_view workspace_id,
                                                           std::string_view user_id,
                                                           bool include_public) {
  PREPARE(s, "SELECT " CHANNEL_COLS
             " FROM channels c WHERE c.workspace_id = ? AND "
             "((? AND c.kind = 'public') OR EXISTS (SELECT 1 FROM channel_members cm "
             "WHERE cm.channel_id = c.id AND cm.user_id = ?)) ORDER BY c.name");
  s.Bind(1, workspace_id).Bind(2, include_public).Bind(3, user_id);
  return All<Channel>(s, ReadChannel);
}

Result<std::optional<ChannelAccessRow>> SqliteTx::GetChannelAccess(std::string_view channel_id,
                                                                   std::string_view user_id) {
  PREPARE(s, "SELECT " CHANNEL_COLS
             ", m.role, cm.user_id IS NOT NULL FROM channels c "
             "LEFT JOIN members m ON m.workspace_id = c.workspace_id AND m.user_id = ?2 "
             "LEFT JOIN channel_members cm ON cm.channel_id = c.id AND cm.user_id = ?2 "
             "WHERE c.id = ?1");
  s.Bind(1, channel_id).Bind(2, user_id);
  return One<ChannelAccessRow>(s, [](const Stmt& r) {
    ChannelAccessRow row;
    row.channel = ReadChannel(r);
    if (!r.IsNull(8)) row.role = ParseRole(r.Text(8));
    row.is_channel_member = r.Int(9) != 0;
    return row;
  });
}

Status SqliteTx::InsertChannel(const Channel& c) {
  PREPARE(s,
          "INSERT INTO channels(id, workspace_id, name, topic, kind, archived, created_by, "
          "created_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
  s.Bind(1, c.id).Bind(2, c.workspace_id).Bind(3, c.name).Bind(4, c.topic);
  s.Bind(5, ChannelKindName(c.kind))
      .Bind(6, c.archived)
      .Bind(7, c.created_by)
      .Bind(8, c.created_at);
  return s.Exec();
}

Result<std::optional<Channel>> SqliteTx::GetChannelByDmKey(std::string_view workspace_id,
                                                           std::string_view dm_key) {
  PREPARE(s, "SELECT " CHANNEL_COLS " FROM channels c WHERE c.workspace_id = ? AND c.dm_key = ?");
  s.Bind(1, workspace_id).Bind(2, dm_key);
  return One<Channel>(s, ReadChannel);
}

Status SqliteTx::InsertDirectChannel(const Channel& c, std::string_view dm_key) {
  PREPARE(s,
          "INSERT INTO channels(id, workspace_id, name, topic, kind, archived, created_by, "
          "created_at, dm_key) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.Bind(1, c.id).Bind(2, c.workspace_id).Bind(3, c.name).Bind(4, c.topic);
  s.Bind(5, ChannelKindName(c.kind)).Bind(6, c.archived).Bind(7, c.created_by);
  s.Bind(8, c.created_at).Bind(9, dm_key);
  return s.Exec();
}

Status SqliteTx::UpdateChannel(const Channel& c) {
  PREPARE(s, "UPDATE channels SET name = ?, topic = ?, archived = ? WHERE id = ?");
  s.Bind(1, c.name).Bind(2, c.topic).Bind(3, c.archived).Bind(4, c.id);
  return s.Exec();
}

Result<bool> SqliteTx::IsChannelMember(std::string_view channel_id, std::string_view user_id) {
  PREPARE(s, "SELECT 1 FROM channel_members WHERE channel_id = ? AND user_id = ?");
  s.Bind(1, channel_id).Bind(2, user_id);
  return s.Step();
}

Status SqliteTx::InsertChannelMember(const ChannelMember& m) {
  // A new member has read what came before: their unread count starts at 0.
  PREPARE(s,
          "INSERT INTO channel_members(channel_id, user_id, joined_at, read_ordinal) "
          "VALUES(?1, ?2, ?3, (SELECT last_ordinal FROM channels WHERE id = ?1))");
  s.Bind(1, m.channel_id).Bind(2, m.user_id).Bind(3, m.joined_at);
  return s.Exec();
}

Result<bool> SqliteTx::DeleteChannelMember(std::string_view channel_id, std::string_view user_id) {
  PREPARE(s, "DELETE FROM channel_members WHERE channel_id = ? AND user_id = ?");
  s.Bind(1, channel_id).Bind(2, user_id);
  QUIK_RETURN_IF_ERROR(s.Exec());
  return sqlite3_changes(conn_.raw()) > 0;
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteTx::ListUserChannels(
    std::string_view user_id) {
  PREPARE(s,
          "SELECT cm.channel_id, c.workspace_id FROM channel_members cm "
          "JOIN channels c ON c.id = cm.channel_id WHERE cm.user_id = ?");
  s.Bind(1, user_id);
  return All<std::pair<std::string, std::string>>(
      s, [](const Stmt& r) { return std::make_pair(r.Text(0), r.Text(1)); });
}

Result<std::vector<ChannelMember>> SqliteTx::ListChannelMembers(std::string_view channel_id) {
  PREPARE(s,
          "SELECT cm.channel_id, cm.user_id, cm.joined_at, u.email, u.name "
          "FROM channel_members cm JOIN users u ON u.id = cm.user_id "
          "WHERE cm.channel_id = ? ORDER BY u.email_key");
  s.Bind(1, channel_id);
  return All<ChannelMember>(s, [](const Stmt& r) {
    return ChannelMember{r.Text(0), r.Text(1), r.Int(2), r.Text(3), r.Text(4)};
  });
}

// ---- messages

#define MESSAGE_COLS QUIK_MESSAGE_COLS

Result<std::optional<Message>> SqliteTx::GetMessage(std::string_view id) {
  PREPARE(s, "SELECT " MESSAGE_COLS " FROM messages WHERE id = ?");
  s.Bind(1, id);
  return One<Message>(s, ReadMessage);
}

Result<std::optional<Message>> SqliteTx::GetMessageByClientId(std::string_view channel_id,
                                                              std::string_view user_id,
                                                              std::string_view client_msg_id) {
  PREPARE(s, kMessageByClientIdSql);
  s.Bind(1, channel_id).Bind(2, user_id).Bind(3, client_msg_id);
  return One<Message>(s, ReadMessage);
}

Result<std::vector<Message>> SqliteTx::ListMessages(const MessageQuery& q) {
  PREPARE(s, kListMessagesSql);
  s.Bind(1, q.channel_id);
  s.Bind(2, q.below_id.empty() ? std::string_view(kAboveEveryId) : std::string_view(q.below_id));
  s.Bind(3, q.above_id).Bind(4, q.limit);
  return All<Message>(s, ReadMessage);
}

Result<std::vector<Message>> SqliteTx::ListReplies(std::string_view channel_id,
                                                   std::string_view root_id,
                                                   std::string_view after_id, int limit) {
  // The (channel_id, thread_root_id, id) index serves the whole query.
  PREPARE(s, "SELECT " MESSAGE_COLS
             " FROM messages WHERE channel_id = ? AND thread_root_id = ? AND id > ? "
             "AND deleted_at = 0 ORDER BY id LIMIT ?");
  s.Bind(1, channel_id).Bind(2, root_id).Bind(3, after_id).Bind(4, limit);
  return All<Message>(s, ReadMessage);
}

// Export (transfer/): the whole history, replies and deleted messages too.
Result<std::vector<Message>> SqliteTx::ListChannelHistory(std::string_view channel_id,
                                                          std::string_view after_id, int limit) {
  PREPARE(s, "SELECT " MESSAGE_COLS
             " FROM messages WHERE channel_id = ? AND id > ? ORDER BY id LIMIT ?");
  s.Bind(1, channel_id).Bind(2, after_id).Bind(3, limit);
  return All<Message>(s, ReadMessage);
}

Status SqliteTx::InsertMessage(const Message& m) {
  PREPARE(s, "INSERT INTO messages(" MESSAGE_COLS
             ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.Bind(1, m.id).Bind(2, m.channel_id).Bind(3, m.workspace_id).Bind(4, m.user_id).Bind(5, m.text);
  s.Bind(6, m.client_msg_id).Bind(7, m.thread_root_id).Bind(8, m.reply_count);
  s.Bind(9, m.created_at).Bind(10, m.edited_at).Bind(11, m.deleted_at);
  s.Bind(12, m.last_reply_at).Bind(13, JoinIds(m.reply_users)).Bind(14, m.reply_broadcast);
  s.Bind(15, JoinIds(m.mentions)).Bind(16, MentionFlags(m)).Bind(17, m.ordinal);
  s.Bind(18, m.reply_ordinal).Bind(19, m.reply_seq);
  return s.Exec();
}

Status SqliteTx::UpdateMessage(const Message& m) {
  PREPARE(s,
          "UPDATE messages SET text = ?, reply_count = ?, edited_at = ?, deleted_at = ?, "
          "last_reply_at = ?, reply_users = ?, mentions = ?, mention_flags = ?, reply_seq = ? "
          "WHERE id = ?");
  s.Bind(1, m.text).Bind(2, m.reply_count).Bind(3, m.edited_at).Bind(4, m.deleted_at);
  s.Bind(5, m.last_reply_at).Bind(6, JoinIds(m.reply_users)).Bind(7, JoinIds(m.mentions));
  s.Bind(8, MentionFlags(m)).Bind(9, m.reply_seq).Bind(10, m.id);
  return s.Exec();
}

Result<std::int64_t> SqliteTx::NextChannelOrdinal(std::string_view channel_id) {
  PREPARE(s,
          "UPDATE channels SET last_ordinal = last_ordinal + 1 WHERE id = ? "
          "RETURNING last_ordinal");
  s.Bind(1, channel_id);
  QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return NotFound("channel '" + std::string(channel_id) + "' not found");
  return s.Int(0);
}

// ---- mentions and read state

Status SqliteTx::InsertMentions(const Message& m, const std::vector<std::string>& user_ids) {
  PREPARE(s,
          "INSERT OR IGNORE INTO mentions(user_id, message_id, channel_id, thread_root_id, "
          "ordinal, reply_ordinal) VALUES(?, ?, ?, ?, ?, ?)");
  for (const auto& user : user_ids) {
    s.Bind(1, user).Bind(2, m.id).Bind(3, m.channel_id).Bind(4, m.thread_root_id);
    s.Bind(5, m.ordinal).Bind(6, m.reply_ordinal);
    QUIK_RETURN_IF_ERROR(s.Exec());
    s.Reset();
  }
  return Status::Ok();
}

Result<std::vector<std::string>> SqliteTx::ListMentionRows(std::string_view message_id) {
  PREPARE(s, "SELECT user_id FROM mentions WHERE message_id = ?");
  s.Bind(1, message_id);
  return All<std::string>(s, [](const Stmt& r) { return r.Text(0); });
}

Status SqliteTx::DeleteMentions(std::string_view message_id) {
  PREPARE(s, "DELETE FROM mentions WHERE message_id = ?");
  s.Bind(1, message_id);
  return s.Exec();
}

Status SqliteTx::BumpChannelMentions(std::string_view channel_id,
                                     const std::vector<std::string>& user_ids, std::int64_t ordinal,
                                     int delta) {
  if (user_ids.empty()) return Status::Ok();
  PREPARE(s, QUIK_SPLIT_IDS("?4")
          "UPDATE channel_members SET mention_count = max(0, mention_count + ?3) "
          "WHERE channel_id = ?1 AND read_ordinal < ?2 AND user_id IN (SELECT id FROM ids)");
  s.Bind(1, channel_id).Bind(2, ordinal).Bind(3, delta).Bind(4, JoinIds(user_ids));
  return s.Exec();
}

Status SqliteTx::BumpAllChannelMentions(std::string_view channel_id,
                                        std::string_view except_user_id, std::int64_t ordinal,
                                        int delta) {
  PREPARE(s,
          "UPDATE channel_members SET mention_count = max(0, mention_count + ?4) "
          "WHERE channel_id = ?1 AND read_ordinal < ?2 AND user_id != ?3");
  s.Bind(1, channel_id).Bind(2, ordinal).Bind(3, except_user_id).Bind(4, delta);
  return s.Exec();
}

Status SqliteTx::AdjustChannelDeleted(std::string_view channel_id, std::int64_t ordinal) {
  PREPARE(s,
          "UPDATE channel_members SET deleted_unread = deleted_unread + 1 "
          "WHERE channel_id = ? AND read_ordinal < ?");
  s.Bind(1, channel_id).Bind(2, ordinal);
  return s.Exec();
}

Status SqliteTx::SetChannelRead(std::string_view channel_id, std::string_view user_id,
                                std::string_view last_read_id, std::int64_t read_ordinal) {
  // Each count is a range of messages_by_ordinal over the unread part only
  // (read_ordinal >= 0, so "ordinal > ?4" also leaves out thread-only replies).
  PREPARE(s,
          "UPDATE channel_members SET last_read_id = ?3, read_ordinal = ?4, "
          "deleted_unread = (SELECT count(*) FROM messages WHERE channel_id = ?1 "
          "  AND ordinal > ?4 AND deleted_at != 0), "
          "mention_count = (SELECT count(*) FROM mentions WHERE user_id = ?2 "
          "  AND channel_id = ?1 AND ordinal > ?4) "
          " + (SELECT count(*) FROM messages WHERE channel_id = ?1 "
          "  AND ordinal > ?4 AND mention_flags & 1 AND deleted_at = 0 AND user_id != ?2) "
          "WHERE channel_id = ?1 AND user_id = ?2");
  s.Bind(1, channel_id).Bind(2, user_id).Bind(3, last_read_id).Bind(4, read_ordinal);
  return s.Exec();
}

Status SqliteTx::SetChannelReadToEnd(std::string_view channel_id, std::string_view user_id,
                                     std::string_view last_read_id, std::int64_t read_ordinal) {
  PREPARE(s,
          "UPDATE channel_members SET last_read_id = ?3, read_ordinal = ?4, deleted_unread = 0, "
          "mention_count = 0 WHERE channel_id = ?1 AND user_id = ?2");
  s.Bind(1, channel_id).Bind(2, user_id).Bind(3, last_read_id).Bind(4, read_ordinal);
  return s.Exec();
}

#define CHANNEL_READ_SELECT                                                         \
  "SELECT cm.user_id, c.workspace_id, cm.channel_id, cm.last_read_id, "             \
  "max(0, c.last_ordinal - cm.read_ordinal - cm.deleted_unread), cm.mention_count " \
  "FROM channel_members cm JOIN channels c ON c.id = cm.channel_id "

static ReadState ReadChannelState(const Stmt& r) {
  ReadState st;
  st.user_id = r.Text(0);
  st.workspace_id = r.Text(1);
  st.channel_id = r.Text(2);
  st.last_read_id = r.Text(3);
  st.unread_count = r.Int(4);
  st.mention_count = r.Int(5);
  return st;
}

Result<std::optional<ReadState>> SqliteTx::GetChannelReadState(std::string_view channel_id,
                                                               std::string_view user_id) {
  PREPARE(s, CHANNEL_READ_SELECT "WHERE cm.channel_id = ? AND cm.user_id = ?");
  s.Bind(1, channel_id).Bind(2, user_id);
  return One<ReadState>(s, ReadChannelState);
}

Result<std::vector<ReadState>> SqliteTx::ListChannelReadStates(std::string_view workspace_id,
                                                               std::string_view user_id) {
  PREPARE(s,
          CHANNEL_READ_SELECT "WHERE cm.user_id = ? AND c.workspace_id = ? ORDER BY c.name, c.id");
  s.Bind(1, user_id).Bind(2, workspace_id);
  return All<ReadState>(s, ReadChannelState);
}

Status SqliteTx::AutoFollowThread(std::string_view root_id, std::string_view channel_id,
                                  const std::vector<std::string>& user_ids,
                                  std::int64_t read_ordinal) {
  PREPARE(s,
          "INSERT INTO thread_follows(root_id, user_id, channel_id, following, read_ordinal) "
          "VALUES(?1, ?2, ?3, 1, ?4) "
          "ON CONFLICT(root_id, user_id) DO UPDATE SET following = 1 WHERE following = 0");
  for (const auto& user : user_ids) {
    s.Bind(1, root_id).Bind(2, user).Bind(3, channel_id).Bind(4, read_ordinal);
    QUIK_RETURN_IF_ERROR(s.Exec());
    s.Reset();
  }
  return Status::Ok();
}

Status SqliteTx::SetThreadFollowing(std::string_view root_id, std::string_view channel_id,
                                    std::string_view user_id, int following,
                                    std::int64_t read_ordinal) {
  PREPARE(s,
          "INSERT INTO thread_follows(root_id, user_id, channel_id, following, read_ordinal) "
          "VALUES(?1, ?2, ?3, ?4, ?5) "
          "ON CONFLICT(root_id, user_id) DO UPDATE SET following = ?4");
  s.Bind(1, root_id).Bind(2, user_id).Bind(3, channel_id).Bind(4, following).Bind(5, read_ordinal);
  return s.Exec();
}

Status SqliteTx::SetThreadRead(std::string_view root_id, std::string_view channel_id,
                               std::string_view user_id, std::string_view last_read_id,
                               std::int64_t read_ordinal) {
  {
    PREPARE(s,
            "INSERT OR IGNORE INTO thread_follows(root_id, user_id, channel_id, following) "
            "VALUES(?, ?, ?, 0)");
    s.Bind(1, root_id).Bind(2, user_id).Bind(3, channel_id);
    QUIK_RETURN_IF_ERROR(s.Exec());
  }
  PREPARE(s,
          "UPDATE thread_follows SET last_read_id = ?3, read_ordinal = ?4, "
          "deleted_unread = (SELECT count(*) FROM messages WHERE thread_root_id = ?1 "
          "  AND thread_root_id != '' AND reply_ordinal > ?4 AND deleted_at != 0), "
          "mention_count = (SELECT count(*) FROM mentions WHERE user_id = ?2 "
          "  AND thread_root_id = ?1 AND reply_ordinal > ?4) "
          "WHERE root_id = ?1 AND user_id = ?2");
  s.Bind(1, root_id).Bind(2, user_id).Bind(3, last_read_id).Bind(4, read_ordinal);
  return s.Exec();
}

Status SqliteTx::BumpThreadMentions(std::string_view root_id,
                                    const std::vector<std::string>& user_ids,
                                    std::int64_t reply_ordinal, int delta) {
  if (user_ids.empty()) return Status::Ok();
  PREPARE(s, QUIK_SPLIT_IDS("?4")
          "UPDATE thread_follows SET mention_count = max(0, mention_count + ?3) "
          "WHERE root_id = ?1 AND read_ordinal < ?2 AND user_id IN (SELECT id FROM ids)");
  s.Bind(1, root_id).Bind(2, reply_ordinal).Bind(3, delta).Bind(4, JoinIds(user_ids));
  return s.Exec();
}

Status SqliteTx::AdjustThreadDeleted(std::string_view root_id, std::int64_t reply_ordinal) {
  PREPARE(s,
          "UPDATE thread_follows SET deleted_unread = deleted_unread + 1 "
          "WHERE root_id = ? AND read_ordinal < ?");
  s.Bind(1, root_id).Bind(2, reply_ordinal);
  return s.Exec();
}

#define THREAD_READ_SELECT                                                          \
  "SELECT tf.user_id, r.workspace_id, tf.channel_id, tf.root_id, tf.last_read_id, " \
  "max(0, r.reply_seq - tf.read_ordinal - tf.deleted_unread), tf.mention_count, "   \
  "tf.following = 1 FROM thread_follows tf JOIN messages r ON r.id = tf.root_id "

static ReadState ReadThreadState(const Stmt& r) {
  ReadState st;
  st.user_id = r.Text(0);
  st.workspace_id = r.Text(1);
  st.channel_id = r.Text(2);
  st.thread_root_id = r.Text(3);
  st.last_read_id = r.Text(4);
  st.unread_count = r.Int(5);
  st.mention_count = r.Int(6);
  st.following = r.Int(7) != 0;
  return st;
}

Result<std::optional<ReadState>> SqliteTx::GetThreadReadState(std::string_view root_id,
                                                              std::string_view user_id) {
  PREPARE(s, THREAD_READ_SELECT "WHERE tf.root_id = ? AND tf.user_id = ?");
  s.Bind(1, root_id).Bind(2, user_id);
  return One<ReadState>(s, ReadThreadState);
}

Result<std::vector<ReadState>> SqliteTx::ListThreadReadStates(std::string_view workspace_id,
                                                              std::string_view user_id) {
  PREPARE(s, THREAD_READ_SELECT
          "JOIN channel_members cm ON cm.channel_id = tf.channel_id AND cm.user_id = tf.user_id "
          "WHERE tf.user_id = ? AND tf.following = 1 AND r.workspace_id = ? "
          "ORDER BY r.last_reply_at DESC, tf.root_id");
  s.Bind(1, user_id).Bind(2, workspace_id);
  return All<ReadState>(s, ReadThreadState);
}

Result<std::vector<std::string>> SqliteTx::ListThreadFollowers(std::string_view root_id) {
  PREPARE(s, "SELECT user_id FROM thread_follows WHERE root_id = ? AND following = 1");
  s.Bind(1, root_id);
  return All<std::string>(s, [](const Stmt& r) { return r.Text(0); });
}

// ---- reactions, pins, edit history

Result<bool> SqliteTx::InsertReaction(const ReactionRow& r) {
  PREPARE(s,
          "INSERT INTO reactions(message_id, emoji, user_id, created_at) VALUES(?, ?, ?, ?) "
          "ON CONFLICT(message_id, emoji, user_id) DO NOTHING");
  s.Bind(1, r.message_id).Bind(2, r.emoji).Bind(3, r.user_id).Bind(4, r.created_at);
  QUIK_RETURN_IF_ERROR(s.Exec());
  return sqlite3_changes(conn_.raw()) > 0;
}

Result<bool> SqliteTx::DeleteReaction(std::string_view message_id, std::string_view user_id,
                                      std::string_view emoji) {
  PREPARE(s, "DELETE FROM reactions WHERE message_id = ? AND emoji = ? AND user_id = ?");
  s.Bind(1, message_id).Bind(2, emoji).Bind(3, user_id);
  QUIK_RETURN_IF_ERROR(s.Exec());
  return sqlite3_changes(conn_.raw()) > 0;
}

Result<int> SqliteTx::CountReactionEmojis(std::string_view message_id) {
  PREPARE(s, "SELECT count(DISTINCT emoji) FROM reactions WHERE message_id = ?");
  s.Bind(1, message_id);
  QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? static_cast<int>(s.Int(0)) : 0;
}

Result<bool> SqliteTx::HasReactionEmoji(std::string_view message_id, std::string_view emoji) {
  PREPARE(s, "SELECT 1 FROM reactions WHERE message_id = ? AND emoji = ? LIMIT 1");
  s.Bind(1, message_id).Bind(2, emoji);
  return s.Step();
}

Status SqliteTx::LoadReactions(std::span<Message> messages) {
  if (messages.empty()) return Status::Ok();
  // The ids as one JSON array: one statement for any page size. Ids are
  // [0-9A-Z] (LooksLikeId), so they need no escaping.
  std::string ids = "[";
  std::unordered_map<std::string_view, Message*> by_id;
  for (Message& m : messages) {
    if (ids.size() > 1) ids += ',';
    ids += '"' + m.id + '"';
    m.reactions.clear();  // reloading must not double up
    by_id.emplace(m.id, &m);
  }
  ids += ']';
  PREPARE(s,
          "SELECT message_id, emoji, user_id FROM reactions "
          "WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY rowid");
  s.Bind(1, ids);
  for (;;) {
    QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Ok();
    const auto found = by_id.find(s.Text(0));
    if (found == by_id.end()) continue;
    Message* m = found->second;
    const std::string emoji = s.Text(1);
    auto it = std::find_if(m->reactions.begin(), m->reactions.end(),
                           [&](const Reaction& r) { return r.emoji == emoji; });
    if (it == m->reactions.end()) it = m->reactions.insert(it, Reaction{emoji, 0, {}});
    it->count++;
    it->user_ids.push_back(s.Text(2));
  }
}

#define PIN_COLS "p.channel_id, p.message_id, p.pinned_by, p.pinned_at"

Result<std::optional<Pin>> SqliteTx::GetPin(std::string_view message_id) {
  PREPARE(s, "SELECT " PIN_COLS " FROM pins p WHERE p.message_id = ?");
  s.Bind(1, message_id);
  return One<Pin>(s, [](const Stmt& r) {
    Pin p;
    p.channel_id = r.Text(0);
    p.message_id = r.Text(1);
    p.pinned_by = r.Text(2);
    p.pinned_at = r.Int(3);
    return p;
  });
}

Status SqliteTx::InsertPin(const Pin& p) {
  PREPARE(s, "INSERT INTO pins(channel_id, message_id, pinned_by, pinned_at) VALUES(?, ?, ?, ?)");
  s.Bind(1, p.channel_id).Bind(2, p.message_id).Bind(3, p.pinned_by).Bind(4, p.pinned_at);
  return s.Exec();
}

Result<bool> SqliteTx::DeletePin(std::string_view message_id) {
  PREPARE(s, "DELETE FROM pins WHERE message_id = ?");
  s.Bind(1, message_id);
  QUIK_RETURN_IF_ERROR(s.Exec());
  return sqlite3_changes(conn_.raw()) > 0;
}

Result<int> SqliteTx::CountPins(std::string_view channel_id) {
  PREPARE(s, "SELECT count(*) FROM pins WHERE channel_id = ?");
  s.Bind(1, channel_id);
  QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? static_cast<int>(s.Int(0)) : 0;
}

Result<std::vector<Pin>> SqliteTx::ListPins(std::string_view channel_id) {
  // Message columns first, so ReadMessage reads them at their usual indexes.
  PREPARE(s,
          "SELECT m.id, m.channel_id, m.workspace_id, m.user_id, m.text, m.client_msg_id, "
          "m.thread_root_id, m.reply_count, m.created_at, m.edited_at, m.deleted_at, "
          "p.pinned_by, p.pinned_at FROM pins p JOIN messages m ON m.id = p.message_id "
          "WHERE p.channel_id = ? ORDER BY p.pinned_at DESC, p.message_id DESC");
  s.Bind(1, channel_id);
  return All<Pin>(s, [](const Stmt& r) {
    Pin p;
    p.message = ReadMessage(r);
    p.channel_id = p.message.channel_id;
    p.message_id = p.message.id;
    p.pinned_by = r.Text(11);
    p.pinned_at = r.Int(12);
    return p;
  });
}

Status SqliteTx::InsertMessageEdit(const MessageEdit& e) {
  PREPARE(s,
          "INSERT INTO message_edits(message_id, editor_id, edited_at, previous_text) "
          "VALUES(?, ?, ?, ?)");
  s.Bind(1, e.message_id).Bind(2, e.editor_id).Bind(3, e.edited_at).Bind(4, e.previous_text);
  return s.Exec();
}

Result<std::vector<MessageEdit>> SqliteTx::ListMessageEdits(std::string_view message_id) {
  PREPARE(s,
          "SELECT message_id, editor_id, edited_at, previous_text FROM message_edits "
          "WHERE message_id = ? ORDER BY rowid");
  s.Bind(1, message_id);
  return All<MessageEdit>(s, [](const Stmt& r) {
    return MessageEdit{r.Text(0), r.Text(1), r.Int(2), r.Text(3)};
  });
}

Status SqliteTx::PurgeMessageExtras(std::string_view message_id) {
  {
    PREPARE(s, "DELETE FROM reactions WHERE message_id = ?");
    s.Bind(1, message_id);
    QUIK_RETURN_IF_ERROR(s.Exec());
  }
  PREPARE(s, "DELETE FROM message_edits WHERE message_id = ?");
  s.Bind(1, message_id);
  return s.Exec();
}

// ---- events

Status SqliteTx::AppendEvent(Event& e, std::string_view message_id) {
  PREPARE(s,
          "INSERT INTO events(type, workspace_id, channel_id, user_id, created_at, payload, "
          "message_id) VALUES(?, ?, ?, ?, ?, ?, ?)");
  s.Bind(1, e.type).Bind(2, e.workspace_id).Bind(3, e.channel_id).Bind(4, e.user_id);
  s.Bind(5, e.created_at).BindBlob(6, e.payload).Bind(7, message_id);
  QUIK_RETURN_IF_ERROR(s.Exec());
  e.seq = sqlite3_last_insert_rowid(conn_.raw());
  return Status::Ok();
}

Result<std::vector<Event>> SqliteTx::ReadEvents(std::int64_t after_seq, int limit) {
  PREPARE(s,
          "SELECT seq, type, workspace_id, channel_id, user_id, created_at, payload "
          "FROM events WHERE seq > ? ORDER BY seq LIMIT ?");
  s.Bind(1, after_seq).Bind(2, limit);
  return All<Event>(s, [](const Stmt& r) {
    return Event{r.Int(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Int(5), r.Blob(6)};
  });
}

Result<std::int64_t> SqliteTx::LatestSeq() {
  PREPARE(s, "SELECT coalesce(max(seq), 0) FROM events");
  QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Int(0) : 0;
}

Result<std::int64_t> SqliteTx::OldestSeq() {
  PREPARE(s, "SELECT coalesce(min(seq), 0) FROM events");
  QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Int(0) : 0;
}

Result<std::int64_t> SqliteTx::PruneEvents(Timestamp before, int limit) {
  // Only ever a prefix of the log goes (a hole would be a silent gap for a
  // resuming client): the rows before the first one, among the oldest
  // `limit`, created at or after `before`; created_at has no index.
  QUIK_ASSIGN_OR_RETURN(std::int64_t oldest, OldestSeq());
  QUIK_ASSIGN_OR_RETURN(std::int64_t latest, LatestSeq());
  if (oldest == 0) return 0;
  PREPARE(s,
          "SELECT coalesce(min(seq), ?2 + ?3) FROM events "
          "WHERE seq >= ?2 AND seq < ?2 + ?3 AND created_at >= ?1");
  s.Bind(1, before).Bind(2, oldest).Bind(3, static_cast<std::int64_t>(limit));
  QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
  const std::int64_t end = std::min(row ? s.Int(0) : oldest, latest);
  PREPARE(d, "DELETE FROM events WHERE seq < ?");
  d.Bind(1, end);
  QUIK_RETURN_IF_ERROR(d.Exec());
  return static_cast<std::int64_t>(sqlite3_changes(conn_.raw()));
}

Result<std::optional<std::int64_t>> SqliteTx::GetConsumerCursor(std::string_view name) {
  PREPARE(s, "SELECT seq FROM event_consumers WHERE name = ?");
  s.Bind(1, name);
  return One<std::int64_t>(s, [](const Stmt& r) { return r.Int(0); });
}

Status SqliteTx::SetConsumerCursor(std::string_view name, std::int64_t seq) {
  PREPARE(s,
          "INSERT INTO event_consumers(name, seq, updated_at) VALUES(?1, ?2, ?3) "
          "ON CONFLICT(name) DO UPDATE SET seq = ?2, updated_at = ?3");
  s.Bind(1, name).Bind(2, seq).Bind(3, Now());
  return s.Exec();
}

// ---- tokens

#define TOKEN_COLS "id, user_id, name, kind, created_at, expires_at, revoked_at, secret_hash"

Status SqliteTx::InsertToken(const TokenRecord& r) {
  PREPARE(s, "INSERT INTO tokens(" TOKEN_COLS ") VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
  s.Bind(1, r.token.id).Bind(2, r.token.user_id).Bind(3, r.token.name);
  s.Bind(4, r.token.kind == TokenKind::kSession ? "session" : "api");
  s.Bind(5, r.token.created_at).Bind(6, r.token.expires_at).Bind(7, r.token.revoked_at);
  s.BindBlob(8, r.secret_hash);
  return s.Exec();
}

Result<std::optional<TokenRecord>> SqliteTx::GetToken(std::string_view id) {
  PREPARE(s, "SELECT " TOKEN_COLS " FROM tokens WHERE id = ?");
  s.Bind(1, id);
  return One<TokenRecord>(s, ReadToken);
}

Result<std::optional<TokenRecord>> SqliteTx::GetTokenByHash(std::string_view secret_hash) {
  PREPARE(s, "SELECT " TOKEN_COLS " FROM tokens WHERE secret_hash = ?");
  s.BindBlob(1, secret_hash);
  return One<TokenRecord>(s, ReadToken);
}

Result<std::vector<TokenRecord>> SqliteTx::ListTokens(std::string_view user_id) {
  PREPARE(s, "SELECT " TOKEN_COLS " FROM tokens WHERE ? = '' OR user_id = ? ORDER BY id");
  s.Bind(1, user_id).Bind(2, user_id);
  return All<TokenRecord>(s, ReadToken);
}

Status SqliteTx::RevokeToken(std::string_view id, Timestamp at) {
  PREPARE(s, "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0");
  s.Bind(1, at).Bind(2, id);
  return s.Exec();
}

// ---- notifications and preferences

#define PREFS_COLS                                                                    \
  "p.time_zone, p.dnd_enabled, p.dnd_start, p.dnd_end, p.dnd_until, p.notify_level, " \
  "p.keywords, p.updated_at"

namespace {

// The PREFS_COLS at column `col` onwards.
void ReadPreferences(const Stmt& s, int col, Preferences& p) {
  p.time_zone = s.Text(col);
  p.dnd.enabled = s.Int(col + 1) != 0;
  p.dnd.start_minute = static_cast<int>(s.Int(col + 2));
  p.dnd.end_minute = static_cast<int>(s.Int(col + 3));
  p.dnd_until = s.Int(col + 4);
  p.notify = ParseNotifyLevel(s.Text(col + 5)).value_or(NotifyLevel::kMentions);
  p.keywords.clear();
  auto keywords = nlohmann::json::parse(s.Text(col + 6), nullptr, /*allow_exceptions=*/false);
  if (keywords.is_array()) {
    for (const auto& k : keywords) {
      if (k.is_string()) p.keywords.push_back(k.get<std::string>());
    }
  }
  p.updated_at = s.Int(col + 7);
}

#define NOTIFICATION_COLS                                                                     \
  "n.id, n.user_id, n.workspace_id, n.channel_id, n.message_id, n.thread_root_id, n.reason, " \
  "n.actor_id, n.excerpt, n.created_at, n.read_at"

Notification ReadNotification(const Stmt& s) {
  Notification n;
  n.id = s.Text(0);
  n.user_id = s.Text(1);
  n.workspace_id = s.Text(2);
  n.channel_id = s.Text(3);
  n.message_id = s.Text(4);
  n.thread_root_id = s.Text(5);
  n.reason = s.Text(6);
  n.actor_id = s.Text(7);
  n.excerpt = s.Text(8);
  n.created_at = s.Int(9);
  n.read_at = s.Int(10);
  return n;
}

}  // namespace

// ---- webhooks

namespace {

std::string JoinPatterns(const std::vector<std::string>& events) {
  std::string out;
  for (const std::string& e : events) out += (out.empty() ? "" : ",") + e;
  return out;
}

std::vector<std::string> SplitPatterns(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

#define WEBHOOK_COLS                                                                     \
  "id, workspace_id, url, events, description, paused, created_by, created_at, secret, " \
  "created_seq, paused_seq, resumed_seq"

WebhookRecord ReadWebhook(const Stmt& s) {
  WebhookRecord r;
  r.webhook.id = s.Text(0);
  r.webhook.workspace_id = s.Text(1);
  r.webhook.url = s.Text(2);
  r.webhook.events = SplitPatterns(s.Text(3));
  r.webhook.description = s.Text(4);
  r.webhook.paused = s.Int(5) != 0;
  r.webhook.created_by = s.Text(6);
  r.webhook.created_at = s.Int(7);
  r.secret = s.Text(8);
  r.created_seq = s.Int(9);
  r.paused_seq = s.Int(10);
  r.resumed_seq = s.Int(11);
  return r;
}

#define DELIVERY_COLS                                                                        \
  "d.id, d.webhook_id, d.event_seq, d.event_type, d.status, d.attempts, d.next_attempt_at, " \
  "d.last_http_status, d.last_error, d.created_at, d.finished_at"

WebhookDelivery ReadDelivery(const Stmt& s) {
  WebhookDelivery d;
  d.id = s.Text(0);
  d.webhook_id = s.Text(1);
  d.event_seq = s.Int(2);
  d.event_type = s.Text(3);
  // The schema's CHECK allows only the three.
  d.status = ParseDeliveryStatus(s.Text(4)).value_or(DeliveryStatus::kFailed);
  d.attempts = static_cast<int>(s.Int(5));
  d.next_attempt_at = s.Int(6);
  d.last_http_status = static_cast<int>(s.Int(7));
  d.last_error = s.Text(8);
  d.created_at = s.Int(9);
  d.finished_at = s.Int(10);
  return d;
}

}  // namespace

Result<std::optional<Preferences>> SqliteTx::GetPreferences(std::string_view user_id) {
  std::optional<Preferences> out;
  {
    PREPARE(s, "SELECT " PREFS_COLS " FROM user_preferences p WHERE p.user_id = ?");
    s.Bind(1, user_id);
    QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.emplace();
    out->user_id = user_id;
    ReadPreferences(s, 0, *out);
  }
  PREPARE(m, "SELECT channel_id FROM muted_channels WHERE user_id = ? ORDER BY channel_id");
  m.Bind(1, user_id);
  QUIK_ASSIGN_OR_RETURN(out->muted_channels,
                        All<std::string>(m, [](const Stmt& r) { return r.Text(0); }));
  return out;
}

Status SqliteTx::PutPreferences(const Preferences& p) {
  {
    PREPARE(s,
            "INSERT OR REPLACE INTO user_preferences(user_id, time_zone, dnd_enabled, dnd_start, "
            "dnd_end, dnd_until, notify_level, keywords, updated_at) "
            "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.Bind(1, p.user_id).Bind(2, p.time_zone).Bind(3, p.dnd.enabled);
    s.Bind(4, p.dnd.start_minute).Bind(5, p.dnd.end_minute).Bind(6, p.dnd_until);
    s.Bind(7, NotifyLevelName(p.notify)).Bind(8, nlohmann::json(p.keywords).dump());
    s.Bind(9, p.updated_at);
    QUIK_RETURN_IF_ERROR(s.Exec());
  }
  {
    PREPARE(d, "DELETE FROM muted_channels WHERE user_id = ?");
    d.Bind(1, p.user_id);
    QUIK_RETURN_IF_ERROR(d.Exec());
  }
  for (const std::string& channel_id : p.muted_channels) {
    PREPARE(i, "INSERT OR IGNORE INTO muted_channels(user_id, channel_id) VALUES(?, ?)");
    i.Bind(1, p.user_id).Bind(2, channel_id);
    QUIK_RETURN_IF_ERROR(i.Exec());
  }
  return Status::Ok();
}

Result<std::vector<NotifyCandidate>> SqliteTx::ListNotifyCandidates(std::string_view channel_id) {
  PREPARE(s,
          "SELECT u.id, u.name, u.email, u.active, mc.user_id IS NOT NULL, "
          "p.user_id IS NOT NULL, " PREFS_COLS
          " FROM channel_members cm JOIN users u ON u.id = cm.user_id "
          "LEFT JOIN user_preferences p ON p.user_id = cm.user_id "
          "LEFT JOIN muted_channels mc ON mc.user_id = cm.user_id "
          "AND mc.channel_id = cm.channel_id "
          "WHERE cm.channel_id = ? ORDER BY u.id");
  s.Bind(1, channel_id);
  return All<NotifyCandidate>(s, [](const Stmt& r) {
    NotifyCandidate c;
    c.user_id = r.Text(0);
    c.name = r.Text(1);
    c.email = r.Text(2);
    c.active = r.Int(3) != 0;
    c.muted = r.Int(4) != 0;
    c.prefs.user_id = c.user_id;
    if (r.Int(5) != 0) ReadPreferences(r, 6, c.prefs);
    return c;
  });
}

Result<bool> SqliteTx::InsertNotification(const Notification& n) {
  PREPARE(s,
          "INSERT INTO notifications(id, user_id, workspace_id, channel_id, message_id, "
          "thread_root_id, reason, actor_id, excerpt, created_at, read_at) "
          "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(message_id, user_id) DO NOTHING");
  s.Bind(1, n.id).Bind(2, n.user_id).Bind(3, n.workspace_id).Bind(4, n.channel_id);
  s.Bind(5, n.message_id).Bind(6, n.thread_root_id).Bind(7, n.reason).Bind(8, n.actor_id);
  s.Bind(9, n.excerpt).Bind(10, n.created_at).Bind(11, n.read_at);
  QUIK_RETURN_IF_ERROR(s.Exec());
  return sqlite3_changes(conn_.raw()) > 0;
}

// Only notifications about channels the user can still read: a member of the
// channel, or a non-guest member of a public channel's workspace.
#define NOTIFICATION_READABLE                                                              \
  " AND (EXISTS (SELECT 1 FROM channel_members cm WHERE cm.channel_id = n.channel_id "     \
  "AND cm.user_id = n.user_id) OR (c.kind = 'public' AND EXISTS (SELECT 1 FROM members m " \
  "WHERE m.workspace_id = c.workspace_id AND m.user_id = n.user_id AND m.role != 'guest')))"

Result<std::vector<Notification>> SqliteTx::ListNotifications(const NotificationQuery& q) {
  // Two statements, so the unread list uses the partial index.
  static constexpr const char kAll[] =
      "SELECT " NOTIFICATION_COLS
      " FROM notifications n JOIN channels c ON c.id = n.channel_id "
      "WHERE n.user_id = ? AND n.id < ?" NOTIFICATION_READABLE " ORDER BY n.id DESC LIMIT ?";
  static constexpr const char kUnread[] =
      "SELECT " NOTIFICATION_COLS
      " FROM notifications n JOIN channels c ON c.id = n.channel_id "
      "WHERE n.user_id = ? AND n.id < ? AND n.read_at = 0" NOTIFICATION_READABLE
      " ORDER BY n.id DESC LIMIT ?";
  PREPARE(s, q.unread_only ? kUnread : kAll);
  s.Bind(1, q.user_id);
  s.Bind(2, q.below_id.empty() ? std::string_view(kAboveEveryId) : std::string_view(q.below_id));
  s.Bind(3, q.limit);
  return All<Notification>(s, ReadNotification);
}

Result<std::vector<std::string>> SqliteTx::MarkNotificationsRead(
    std::string_view user_id, const std::vector<std::string>& ids, bool all, Timestamp at) {
  auto read_id = [](const Stmt& r) { return r.Text(0); };
  if (all) {
    PREPARE(s,
            "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at = 0 RETURNING id");
    s.Bind(1, at).Bind(2, user_id);
    return All<std::string>(s, read_id);
  }
  std::vector<std::string> out;
  for (const std::string& id : ids) {
    PREPARE(s,
            "UPDATE notifications SET read_at = ? WHERE id = ? AND user_id = ? AND read_at = 0 "
            "RETURNING id");
    s.Bind(1, at).Bind(2, id).Bind(3, user_id);
    QUIK_ASSIGN_OR_RETURN(auto changed, All<std::string>(s, read_id));
    for (auto& c : changed) out.push_back(std::move(c));
  }
  return out;
}

#undef NOTIFICATION_READABLE
#undef NOTIFICATION_COLS
#undef PREFS_COLS

Status SqliteTx::InsertWebhook(const WebhookRecord& r) {
  PREPARE(s, "INSERT INTO webhooks(" WEBHOOK_COLS ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  const Webhook& w = r.webhook;
  s.Bind(1, w.id).Bind(2, w.workspace_id).Bind(3, w.url).Bind(4, JoinPatterns(w.events));
  s.Bind(5, w.description).Bind(6, w.paused).Bind(7, w.created_by).Bind(8, w.created_at);
  s.Bind(9, r.secret).Bind(10, r.created_seq).Bind(11, r.paused_seq).Bind(12, r.resumed_seq);
  return s.Exec();
}

Result<std::optional<WebhookRecord>> SqliteTx::GetWebhook(std::string_view id) {
  PREPARE(s, "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id = ?");
  s.Bind(1, id);
  return One<WebhookRecord>(s, ReadWebhook);
}

Result<std::vector<WebhookRecord>> SqliteTx::ListWebhooks(std::string_view workspace_id) {
  PREPARE(s, "SELECT " WEBHOOK_COLS " FROM webhooks WHERE workspace_id = ? ORDER BY id");
  s.Bind(1, workspace_id);
  return All<WebhookRecord>(s, ReadWebhook);
}

Status SqliteTx::UpdateWebhook(const WebhookRecord& r) {
  PREPARE(s,
          "UPDATE webhooks SET description = ?, paused = ?, paused_seq = ?, resumed_seq = ?, "
          "created_by = ? WHERE id = ?");
  s.Bind(1, r.webhook.description).Bind(2, r.webhook.paused).Bind(3, r.paused_seq);
  s.Bind(4, r.resumed_seq).Bind(5, r.webhook.created_by).Bind(6, r.webhook.id);
  return s.Exec();
}

Status SqliteTx::DeleteWebhook(std::string_view id) {
  // Its deliveries cascade.
  PREPARE(s, "DELETE FROM webhooks WHERE id = ?");
  s.Bind(1, id);
  return s.Exec();
}

Status SqliteTx::InsertDelivery(const WebhookDelivery& d, std::string_view body) {
  PREPARE(s,
          "INSERT INTO webhook_deliveries(id, webhook_id, event_seq, event_type, body, status, "
          "attempts, next_attempt_at, last_http_status, last_error, created_at, finished_at) "
          "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.Bind(1, d.id).Bind(2, d.webhook_id).Bind(3, d.event_seq).Bind(4, d.event_type).Bind(5, body);
  s.Bind(6, DeliveryStatusName(d.status)).Bind(7, d.attempts).Bind(8, d.next_attempt_at);
  s.Bind(9, d.last_http_status).Bind(10, d.last_error).Bind(11, d.created_at);
  s.Bind(12, d.finished_at);
  return s.Exec();
}

Status SqliteTx::UpdateDelivery(const WebhookDelivery& d) {
  PREPARE(s,
          "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, "
          "last_http_status = ?, last_error = ?, finished_at = ? WHERE id = ?");
  s.Bind(1, DeliveryStatusName(d.status)).Bind(2, d.attempts).Bind(3, d.next_attempt_at);
  s.Bind(4, d.last_http_status).Bind(5, d.last_error).Bind(6, d.finished_at).Bind(7, d.id);
  return s.Exec();
}

Result<std::optional<WebhookDelivery>> SqliteTx::GetDelivery(std::string_view id) {
  PREPARE(s, "SELECT " DELIVERY_COLS " FROM webhook_deliveries d WHERE d.id = ?");
  s.Bind(1, id);
  return One<WebhookDelivery>(s, ReadDelivery);
}

Result<std::vector<DeliveryJob>> SqliteTx::DueDeliveries(Timestamp now, int per_webhook,
                                                         int limit) {
  PREPARE(s, "SELECT " DELIVERY_COLS
             ", d.body, d.url, d.secret FROM ("
             "SELECT d.*, w.url AS url, w.secret AS secret, row_number() OVER ("
             "PARTITION BY d.webhook_id ORDER BY d.next_attempt_at, d.id) AS rank "
             "FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id "
             "WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND w.paused = 0) d "
             "WHERE d.rank <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?");
  s.Bind(1, now).Bind(2, per_webhook).Bind(3, limit);
  return All<DeliveryJob>(s, [](const Stmt& r) {
    DeliveryJob job;
    job.delivery = ReadDelivery(r);
    job.body = r.Text(11);
    job.url = r.Text(12);
    job.secret = r.Text(13);
    return job;
  });
}

Result<std::optional<Timestamp>> SqliteTx::NextDeliveryAt() {
  PREPARE(s,
          "SELECT min(d.next_attempt_at) FROM webhook_deliveries d "
          "JOIN webhooks w ON w.id = d.webhook_id WHERE d.status = 'pending' AND w.paused = 0");
  QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row || s.IsNull(0)) return std::optional<Timestamp>();
  return std::optional<Timestamp>(s.Int(0));
}

Result<std::vector<WebhookDelivery>> SqliteTx::ListDeliveries(const DeliveryQuery& q) {
  PREPARE(s, "SELECT " DELIVERY_COLS
             " FROM webhook_deliveries d WHERE d.webhook_id = ?1 "
             "AND (?2 = '' OR d.status = ?2) AND (?3 = '' OR d.id < ?3) "
             "ORDER BY d.id DESC LIMIT ?4");
  s.Bind(1, q.webhook_id).Bind(2, q.status ? DeliveryStatusName(*q.status) : std::string_view(""));
  s.Bind(3, q.below_id).Bind(4, q.limit);
  return All<WebhookDelivery>(s, ReadDelivery);
}

#undef WEBHOOK_COLS
#undef DELIVERY_COLS

#undef PREPARE

}  // namespace quik::store
