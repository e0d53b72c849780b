// SPDX-License-Identifier: MIT
#include "store/sqlite.hpp"

#include "store/space.hpp"

namespace quik::store {

Status SqliteStatus(int rc, sqlite3* db, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable("database is busy (another process holds the write lock): " + msg);
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return AlreadyExists(msg);
      }
      return Internal(msg);
    case SQLITE_FULL:
      return StorageFull(msg);
    case SQLITE_CANTOPEN:
      return Unavailable("cannot open database: " + msg);
    default:
      return Internal(msg);
  }
}

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(sqlite3_extended_errcode(sqlite3_db_handle(stmt_)), sqlite3_db_handle(stmt_),
                      "sqlite step");
}

Status Stmt::Exec() {
  for (;;) {
    QUIK_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::filesystem::path& path, Mode mode,
                                                     bool sync_full, int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int flags =
      SQLITE_OPEN_NOMUTEX |
      (mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status st = SqliteStatus(rc, db, "open " + path.string());
    sqlite3_close(db);
    return st;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  std::unique_ptr<Connection> conn(new Connection(db));
  // Reads through a memory map spare a pread(2) per page; a larger page cache
  // keeps the hot b-tree pages of the write connection between commits (the
  // Store sets it from storage.cache_mib). A
  // checkpoint every 8000 WAL pages (32 MiB) instead of SQLite's 1000 copies a
  // hot page, rewritten by many commits, to the database once instead of
  // eight times: +15% posts/s and a fifth of the p99 in bench_post. The WAL
  // file is truncated back to 64 MiB after a checkpoint.
  std::string pragmas =
      "PRAGMA foreign_keys=ON; PRAGMA mmap_size=268435456; PRAGMA cache_size=-32768; "
      "PRAGMA wal_autocheckpoint=8000; PRAGMA journal_size_limit=67108864; "
      "PRAGMA synchronous=";
  pragmas += sync_full ? "FULL;" : "NORMAL;";
  if (mode == Mode::kReadWrite) pragmas += "PRAGMA journal_mode=WAL;";
  QUIK_RETURN_IF_ERROR(conn->Exec(pragmas));
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  for (auto& [sql, stmt] : text_cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Status Connection::Exec(std::string_view sql) {
  char* err = nullptr;
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string what = err ? err : "exec";
    sqlite3_free(err);
    return SqliteStatus(sqlite3_extended_errcode(db_), nullptr, what);
  }
  return Status::Ok();
}

Result<Stmt> Connection::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Stmt(it->second);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(rc, db_, std::string("prepare ") + sql);
  cache_.emplace(sql, stmt);
  return Stmt(stmt);
}

Result<Stmt> Connection::PrepareText(const std::string& sql) {
  auto it = text_cache_.find(sql);
  if (it != text_cache_.end()) return Stmt(it->second);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(rc, db_, "prepare " + sql);
  text_cache_.emplace(sql, stmt);
  return Stmt(stmt);
}

}  // namespace quik::store
