// SPDX-License-Identifier: MIT
// The database side of backup, restore and verify (admin/backup.cc): SQLite's
// online backup API, integrity checks and the blobs a database names. Only
// admin/ and store/ include it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "quik/status.hpp"
#include "store/sqlite.hpp"

namespace quik::store {

// Copies the database `src` (in use or not) to the new file `dst` with
// SQLite's online backup API: `pages_per_step` pages per sqlite3_backup_step,
// all from one read snapshot of `src`, so the copy is exactly the database as
// of one commit. Readers never block writers in WAL mode, so a running
// server's commits go on while it copies (the WAL only grows meanwhile).
// The copy is left in rollback-journal mode, closed and synced: one
// self-contained file, no -wal or -shm beside it.
Status BackupDatabase(const std::filesystem::path& src, const std::filesystem::path& dst,
                      int pages_per_step, int busy_timeout_ms);

// Opens `path` read-only for the checks below (no pragma that writes).
Result<std::unique_ptr<Connection>> OpenForCheck(const std::filesystem::path& path,
                                                 int busy_timeout_ms);

// PRAGMA integrity_check: the problems it lists (at most `max`), empty if ok.
Result<std::vector<std::string>> IntegrityProblems(Connection& conn, int max);
// PRAGMA foreign_key_check: one line per violating row (at most `max`).
Result<std::vector<std::string>> ForeignKeyProblems(Connection& conn, int max);
// Whether any table of the schema declares a foreign key.
Result<bool> UsesForeignKeys(Connection& conn);

// Every blob (lower-case SHA-256 hex) a files row names as its content or its
// thumbnail, sorted, without repeats.
Result<std::vector<std::string>> ReferencedBlobs(Connection& conn);

// The highest migration version applied (0: none); kUnavailable if the
// database is newer than this build (see ReadMigrationStatus).
Result<int> SchemaVersion(Connection& conn);
// The newest migration this build knows.
int KnownSchemaVersion();

// Versions of the linked libraries, for `quikctl version`.
std::string SqliteVersion();
std::string LmdbVersion();

}  // namespace quik::store
