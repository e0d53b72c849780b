// SPDX-License-Identifier: MIT
#include "store/backup.hpp"

#include <fcntl.h>
#include <lmdb.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "common/private_files.hpp"
#include "store/migrations.hpp"

namespace quik::store {
namespace {

// Closes a sqlite3 handle of our own (the backup's destination).
struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};

Status SyncFile(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unavailable("cannot open " + path.string() + " to sync it");
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Unavailable("cannot sync " + path.string());
  return Status::Ok();
}

}  // namespace

Status BackupDatabase(const std::filesystem::path& src, const std::filesystem::path& dst,
                      int pages_per_step, int busy_timeout_ms) {
  QUIK_ASSIGN_OR_RETURN(auto source, Connection::Open(src, Connection::Mode::kReadOnly,
                                                      /*sync_full=*/false, busy_timeout_ms));
  // 0600 whatever the umask: SQLite would create it 0644 less the umask.
  const int fd = internal::OpenPrivate(dst, O_RDWR | O_CREAT);
  if (fd < 0) return Unavailable("cannot create " + dst.string() + ": " + std::strerror(errno));
  ::close(fd);
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(dst.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::unique_ptr<sqlite3, DbCloser> dest(raw);
  if (rc != SQLITE_OK) return SqliteStatus(rc, raw, "open " + dst.string());
  sqlite3_extended_result_codes(raw, 1);

  // One snapshot: a read transaction held on the source across every step.
  // sqlite3_backup_step uses a read transaction that is already open instead
  // of opening one per step, and a snapshot does not change, so the backup
  // never restarts because another connection (the server) committed
  // meanwhile, and the copy is the database as of the moment of the BEGIN.
  QUIK_RETURN_IF_ERROR(source->Exec("BEGIN"));
  {
    QUIK_ASSIGN_OR_RETURN(Stmt start, source->Prepare("SELECT count(*) FROM sqlite_master"));
    QUIK_RETURN_IF_ERROR(start.Step().status());
  }
  sqlite3_backup* backup = sqlite3_backup_init(raw, "main", source->raw(), "main");
  if (backup == nullptr) {
    Status st = SqliteStatus(sqlite3_extended_errcode(raw), raw, "backup of " + src.string());
    source->Exec("ROLLBACK").IgnoreError();
    return st;
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(busy_timeout_ms, 1));
  for (;;) {
    rc = sqlite3_backup_step(backup, std::max(pages_per_step, 1));
    if (rc == SQLITE_DONE) break;
    if (rc == SQLITE_OK) continue;
    if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    break;
  }
  const int finish = sqlite3_backup_finish(backup);
  source->Exec("ROLLBACK").IgnoreError();  // ends the read snapshot
  if (rc != SQLITE_DONE) {
    return SqliteStatus(rc, raw, "backup of " + src.string() + " to " + dst.string());
  }
  if (finish != SQLITE_OK) return SqliteStatus(finish, raw, "finish backup to " + dst.string());
  // A self-contained file: the copy inherits WAL mode from the source's
  // header; rollback mode leaves nothing beside it once closed. The first
  // open of a restored data dir switches it back to WAL.
  char* err = nullptr;
  rc = sqlite3_exec(raw, "PRAGMA journal_mode=DELETE", nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string what = err != nullptr ? err : "journal_mode";
    sqlite3_free(err);
    return SqliteStatus(rc, nullptr, "backup copy " + dst.string() + ": " + what);
  }
  dest.reset();
  return SyncFile(dst);
}

Result<std::unique_ptr<Connection>> OpenForCheck(const std::filesystem::path& path,
                                                 int busy_timeout_ms) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return NotFound(path.string() + " does not exist");
  }
  return Connection::Open(path, Connection::Mode::kReadOnly, /*sync_full=*/false, busy_timeout_ms);
}

Result<std::vector<std::string>> IntegrityProblems(Connection& conn, int max) {
  QUIK_ASSIGN_OR_RETURN(Stmt stmt, conn.PrepareText("PRAGMA integrity_check(" +
                                                    std::to_string(std::max(max, 1)) + ")"));
  std::vector<std::string> out;
  for (;;) {
    QUIK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    std::string line = stmt.Text(0);
    if (line != "ok") out.push_back(std::move(line));
  }
  return out;
}

Result<std::vector<std::string>> ForeignKeyProblems(Connection& conn, int max) {
  QUIK_ASSIGN_OR_RETURN(Stmt stmt, conn.PrepareText("PRAGMA foreign_key_check"));
  std::vector<std::string> out;
  for (;;) {
    QUIK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row || static_cast<int>(out.size()) >= max) break;
    // table, rowid (NULL for WITHOUT ROWID tables), parent table, fk index
    std::string line = "a row of " + stmt.Text(0);
    if (!stmt.IsNull(1)) line += " (rowid " + std::to_string(stmt.Int(1)) + ")";
    line += " names a missing row of " + stmt.Text(2);
    out.push_back(std::move(line));
  }
  return out;
}

Result<bool> UsesForeignKeys(Connection& conn) {
  QUIK_ASSIGN_OR_RETURN(
      Stmt stmt, conn.PrepareText("SELECT EXISTS(SELECT 1 FROM sqlite_master AS m, "
                                  "pragma_foreign_key_list(m.name) WHERE m.type = 'table')"));
  QUIK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row && stmt.Int(0) != 0;
}

Result<std::vector<std::string>> ReferencedBlobs(Connection& conn) {
  QUIK_ASSIGN_OR_RETURN(Stmt exists,
                        conn.PrepareText("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                         "name = 'files'"));
  QUIK_ASSIGN_OR_RETURN(bool has_files, exists.Step());
  std::vector<std::string> out;
  if (!has_files) return out;  // a schema older than the files migration
  QUIK_ASSIGN_OR_RETURN(Stmt stmt, conn.PrepareText("SELECT sha256 FROM files UNION "
                                                    "SELECT thumbnail_sha256 FROM files "
                                                    "WHERE thumbnail_sha256 != '' ORDER BY 1"));
  for (;;) {
    QUIK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(stmt.Text(0));
  }
  return out;
}

Result<int> SchemaVersion(Connection& conn) {
  QUIK_ASSIGN_OR_RETURN(auto migrations, ReadMigrationStatus(conn));
  int version = 0;
  for (const auto& m : migrations) {
    if (m.applied) version = std::max(version, m.version);
  }
  return version;
}

int KnownSchemaVersion() {
  int version = 0;
  for (const Migration& m : AllMigrations()) version = std::max(version, m.version);
  return version;
}

std::string SqliteVersion() { return sqlite3_libversion(); }

std::string LmdbVersion() {
  int major = 0, minor = 0, patch = 0;
  mdb_version(&major, &minor, &patch);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

}  // namespace quik::store
