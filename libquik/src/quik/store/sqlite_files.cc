// SPDX-License-Identifier: MIT
// SqliteTx: files and message_files (store/tx.hpp, "Files").
#include <unordered_map>

#include "store/sqlite_tx.hpp"

namespace quik::store {
namespace {

#define FILE_COLS                                                                        \
  "f.id, f.workspace_id, f.user_id, f.name, f.size, f.content_type, f.sha256, f.width, " \
  "f.height, f.thumbnail_sha256, f.thumbnail_size, f.created_at"

File ReadFile(const Stmt& s, int at = 0) {
  File f;
  f.id = s.Text(at + 0);
  f.workspace_id = s.Text(at + 1);
  f.user_id = s.Text(at + 2);
  f.name = s.Text(at + 3);
  f.size = s.Int(at + 4);
  f.content_type = s.Text(at + 5);
  f.sha256 = s.Text(at + 6);
  f.width = static_cast<int>(s.Int(at + 7));
  f.height = static_cast<int>(s.Int(at + 8));
  f.thumbnail_sha256 = s.Text(at + 9);
  f.thumbnail_size = s.Int(at + 10);
  f.created_at = s.Int(at + 11);
  return f;
}

Result<std::vector<File>> AllFiles(Stmt& s) {
  std::vector<File> out;
  for (;;) {
    QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(ReadFile(s));
  }
}

// Ids as one JSON array bound to one parameter (ids need no escaping:
// LooksLikeId).
std::string JsonIds(const std::vector<const std::string*>& ids) {
  std::string out = "[";
  for (const std::string* id : ids) {
    if (out.size() > 1) out += ',';
    out += '"' + *id + '"';
  }
  return out + "]";
}

}  // namespace

#define PREPARE(var, sql) QUIK_ASSIGN_OR_RETURN(Stmt var, conn_.Prepare(sql))

Status SqliteTx::InsertFile(const File& f) {
  PREPARE(s,
          "INSERT INTO files(id, workspace_id, user_id, name, size, content_type, sha256, width, "
          "height, thumbnail_sha256, thumbnail_size, created_at) "
          "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.Bind(1, f.id).Bind(2, f.workspace_id).Bind(3, f.user_id).Bind(4, f.name).Bind(5, f.size);
  s.Bind(6, f.content_type).Bind(7, f.sha256).Bind(8, f.width).Bind(9, f.height);
  s.Bind(10, f.thumbnail_sha256).Bind(11, f.thumbnail_size).Bind(12, f.created_at);
  return s.Exec();
}

Result<std::optional<File>> SqliteTx::GetFile(std::string_view id) {
  PREPARE(s, "SELECT " FILE_COLS " FROM files f WHERE f.id = ?");
  s.Bind(1, id);
  QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<File>();
  return std::optional<File>(ReadFile(s));
}

Result<std::vector<File>> SqliteTx::ListFiles(std::string_view workspace_id,
                                              std::string_view user_id, std::string_view below_id,
                                              int limit) {
  PREPARE(s, "SELECT " FILE_COLS
             " FROM files f WHERE f.workspace_id = ?1 AND (?2 = '' OR f.user_id = ?2) "
             "AND (?3 = '' OR f.id < ?3) ORDER BY f.id DESC LIMIT ?4");
  s.Bind(1, workspace_id).Bind(2, user_id).Bind(3, below_id).Bind(4, limit);
  return AllFiles(s);
}

Result<std::int64_t> SqliteTx::WorkspaceFileBytes(std::string_view workspace_id) {
  PREPARE(s, "SELECT coalesce(sum(size), 0) FROM files WHERE workspace_id = ?");
  s.Bind(1, workspace_id);
  QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Int(0) : 0;
}

Result<std::vector<std::string>> SqliteTx::ListFileChannels(std::string_view file_id) {
  PREPARE(s,
          "SELECT DISTINCT m.channel_id FROM message_files mf "
          "JOIN messages m ON m.id = mf.message_id "
          "WHERE mf.file_id = ? AND m.deleted_at = 0");
  s.Bind(1, file_id);
  std::vector<std::string> out;
  for (;;) {
    QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(s.Text(0));
  }
}

Status SqliteTx::InsertMessageFiles(std::string_view message_id,
                                    const std::vector<std::string>& file_ids) {
  PREPARE(s, "INSERT INTO message_files(message_id, file_id, position) VALUES(?, ?, ?)");
  for (std::size_t i = 0; i < file_ids.size(); ++i) {
    s.Bind(1, message_id).Bind(2, file_ids[i]).Bind(3, static_cast<std::int64_t>(i));
    QUIK_RETURN_IF_ERROR(s.Exec());
    s.Reset();
  }
  return Status::Ok();
}

Status SqliteTx::DeleteMessageFiles(std::string_view message_id) {
  PREPARE(s, "DELETE FROM message_files WHERE message_id = ?");
  s.Bind(1, message_id);
  return s.Exec();
}

Status SqliteTx::LoadFiles(std::span<Message> messages) {
  if (messages.empty()) return Status::Ok();
  std::vector<const std::string*> ids;
  std::unordered_map<std::string_view, Message*> by_id;
  for (Message& m : messages) {
    m.file_ids.clear();  // reloading must not double up
    m.files.clear();
    ids.push_back(&m.id);
    by_id.emplace(m.id, &m);
  }
  PREPARE(s, "SELECT mf.message_id, " FILE_COLS
             " FROM message_files mf JOIN files f ON f.id = mf.file_id "
             "WHERE mf.message_id IN (SELECT value FROM json_each(?)) "
             "ORDER BY mf.message_id, mf.position");
  s.Bind(1, JsonIds(ids));
  for (;;) {
    QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Ok();
    const auto found = by_id.find(s.Text(0));
    if (found == by_id.end()) continue;
    File f = ReadFile(s, 1);
    found->second->file_ids.push_back(f.id);
    found->second->files.push_back(std::move(f));
  }
}

Result<std::vector<File>> SqliteTx::ListUnreferencedFiles(Timestamp before, int limit) {
  PREPARE(s, "SELECT " FILE_COLS
             " FROM files f WHERE f.created_at < ? AND NOT EXISTS "
             "(SELECT 1 FROM message_files mf WHERE mf.file_id = f.id) "
             "ORDER BY f.created_at, f.id LIMIT ?");
  s.Bind(1, before).Bind(2, limit);
  return AllFiles(s);
}

Result<bool> SqliteTx::DeleteFileIfUnreferenced(std::string_view id) {
  PREPARE(s,
          "DELETE FROM files WHERE id = ?1 AND NOT EXISTS "
          "(SELECT 1 FROM message_files WHERE file_id = ?1)");
  s.Bind(1, id);
  QUIK_RETURN_IF_ERROR(s.Exec());
  return sqlite3_changes(conn_.raw()) > 0;
}

Result<bool> SqliteTx::BlobReferenced(std::string_view sha256) {
  PREPARE(s,
          "SELECT EXISTS(SELECT 1 FROM files WHERE sha256 = ?1) OR "
          "EXISTS(SELECT 1 FROM files WHERE thumbnail_sha256 = ?1)");
  s.Bind(1, sha256);
  QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
  return row && s.Int(0) != 0;
}

#undef PREPARE
#undef FILE_COLS

}  // namespace quik::store
