// SPDX-License-Identifier: MIT
// Backup, restore and verification of a data directory.
//
// A backup is a directory laid out like a data dir, plus a manifest:
//
//   DIR/backup.json       the manifest (BackupManifest; format version 1)
//   DIR/quik.db           the SQLite database as of one commit
//   DIR/lmdb/data.mdb     a copy of the LMDB environment (without the token
//                         index, which is rebuilt from quik.db on first open)
//   DIR/blobs/ab/cd/<sha256>   every blob the database's files rows name
//   DIR/quik.toml         the data dir's config file, when it has one
//
// BackupDataDir may run while a server (this process's or another's) serves
// the data dir: it copies the database through SQLite's online backup API
// from one read snapshot, which blocks no writer, and the blobs that snapshot
// names, while holding the blob lock shared so that `files gc` cannot remove
// one of them before it is copied. It writes into a temp directory beside
// DIR and renames it to DIR at the end, so a DIR that exists is complete.
//
// Thread and process safety: these functions may run while other processes
// use the data dir, and from any thread. A program that has the data dir open
// itself (quik::Service or quik::Server) backs it up with the Service
// overload; the others would open LMDB a second time in the process, which
// LMDB forbids (BackupDataDir(Options) then fails with kInternal, and
// VerifyDataDir reports the lmdb check as a problem).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "quik/options.hpp"
#include "quik/service.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"

namespace quik {

// The version of backup.json this build writes; it reads this one and older.
inline constexpr int kBackupFormatVersion = 1;

struct BackupFile {
  std::string path;  // relative to the backup dir, '/'-separated
  std::int64_t size = 0;
  std::string sha256;  // lower-case hex of the file's bytes
};

struct BackupManifest {
  int format_version = kBackupFormatVersion;
  std::string quik_version;     // of the build that wrote it
  Timestamp created_at = 0;     // when the database snapshot was taken
  std::string source_data_dir;  // absolute
  int schema_version = 0;       // the highest migration applied in quik.db
  std::vector<BackupFile> files;
  // Problems of the source the backup found and carried over: blobs the
  // database names that were missing or whose bytes did not match their name
  // (not copied). Empty for a healthy source.
  std::vector<std::string> warnings;
};

struct BackupOptions {
  // Pages copied per sqlite3_backup_step.
  // Default: 1024 (4 MiB with 4 KiB pages)
  int pages_per_step = 1024;
  // Leave LMDB's free pages out of its copy (MDB_CP_COMPACT).
  // Default: true
  bool compact_lmdb = true;
};

// Backs up `options.data_dir` into `to`, which must not exist or be an empty
// directory (kAlreadyExists otherwise). kNotFound if the data dir is not
// initialised.
Result<BackupManifest> BackupDataDir(const Options& options, const std::filesystem::path& to,
                                     const BackupOptions& backup_options = {});
// The same for a program that has the data dir open: backs up the data dir
// of `service` (made by Service::Open, or a Server's service()) while it is
// in use, through its own LMDB environment.
Result<BackupManifest> BackupDataDir(Service& service, const std::filesystem::path& to,
                                     const BackupOptions& backup_options = {});

// Reads DIR/backup.json. kInvalidArgument naming the file if it is missing
// or malformed, or of a newer format than this build reads.
Result<BackupManifest> ReadBackupManifest(const std::filesystem::path& dir);

// One check of a verification.
struct VerifyCheck {
  enum class State { kOk, kWarning, kProblem };
  std::string name;  // "database", "foreign_keys", "schema", "lmdb", "blobs", "manifest"
  State state = State::kOk;
  std::string detail;                 // what was checked, or what is wrong
  std::vector<std::string> problems;  // one line each (the first 50)
};

struct VerifyReport {
  std::string dir;
  std::vector<VerifyCheck> checks;
  // No check found a problem (warnings are fine).
  bool healthy() const;
  // "2 problems: blobs: ..., database: ..." for an error message.
  std::string Summary() const;
};

// Checks a data dir: PRAGMA integrity_check and foreign_key_check, the
// schema's migration version against this build's (behind: a warning, newer:
// a problem), that LMDB opens and every key reads, that every blob's bytes
// hash to its name and that every blob a files row names exists. Read-only.
// An error Status only when the checks could not run at all (kNotFound: no
// quik.db); what they find is in the report.
Result<VerifyReport> VerifyDataDir(const Options& options);

// Checks a backup: its manifest, every listed file's size and SHA-256, then
// the checks of VerifyDataDir on its contents.
Result<VerifyReport> VerifyBackup(const std::filesystem::path& dir);

struct RestoreOptions {
  // Restore even if the restored data fails verification.
  // Default: false
  bool force = false;
};

struct RestoreReport {
  BackupManifest manifest;
  VerifyReport verify;  // of the restored data dir
};

// Restores the backup in `from` into `options.data_dir`, which must not exist
// or be empty (kAlreadyExists otherwise). First checks every file of the
// manifest (kInvalidArgument naming the first missing or corrupt one, and
// nothing is written) and refuses a backup whose schema is newer than this
// build (kInvalidArgument). Copies into a temp directory beside the data dir,
// verifies it (unless `force`, a problem fails with kInvalidArgument and
// nothing is left behind) and renames it into place.
Result<RestoreReport> RestoreDataDir(const std::filesystem::path& from, const Options& options,
                                     const RestoreOptions& restore_options = {});

}  // namespace quik
