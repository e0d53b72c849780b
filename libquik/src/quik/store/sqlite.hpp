// SPDX-License-Identifier: MIT
// A thin RAII layer over SQLite: connections, cached prepared statements and
// the mapping of SQLite result codes to quik::Status. Only store/ includes it.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "quik/status.hpp"

namespace quik::store {

// Maps a SQLite result code (with `what` for context) to a Status: busy and
// locked are kUnavailable, unique-constraint violations kAlreadyExists, a full
// disk StorageFull (store/space.hpp), the rest kInternal.
Status SqliteStatus(int rc, sqlite3* db, std::string_view what);

class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Stmt() {
    if (stmt_) Reset();
  }
  Stmt(Stmt&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&&) = delete;

  Stmt& Bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& BindBlob(int i, std::string_view v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // Without this, a string literal would bind through the bool overload.
  Stmt& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Stmt& Bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Stmt& Bind(int i, int v) { return Bind(i, static_cast<std::int64_t>(v)); }
  Stmt& Bind(int i, bool v) { return Bind(i, static_cast<std::int64_t>(v ? 1 : 0)); }

  // SQLITE_ROW → true, SQLITE_DONE → false, anything else an error.
  Result<bool> Step();
  // Runs to completion (for statements that return no rows).
  Status Exec();

  std::string Text(int col) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  std::string Blob(int col) const {
    auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  std::int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

 private:
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  // Opens `path` in WAL mode with the given synchronous level and busy timeout.
  static Result<std::unique_ptr<Connection>> Open(const std::filesystem::path& path, Mode mode,
                                                  bool sync_full, int busy_timeout_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements with no results.
  Status Exec(std::string_view sql);
  // A prepared statement, cached per connection and reset after use. The
  // returned Stmt must not outlive this connection; it resets on destruction.
  Result<Stmt> Prepare(const char* sql);

  // The same for SQL composed at run time (search/), cached by its text.
  Result<Stmt> PrepareText(const std::string& sql);

  sqlite3* raw() { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
  std::unordered_map<std::string, sqlite3_stmt*> text_cache_;
};

}  // namespace quik::store
