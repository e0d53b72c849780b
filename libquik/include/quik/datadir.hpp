// SPDX-License-Identifier: MIT
// The data directory: creating it and migrating its schema.
//
// A data dir holds quik.toml, quik.db (SQLite, WAL mode) and lmdb/. Schema
// migrations are versioned and forward-only; each runs in one transaction and
// is recorded in the database's schema_migrations table.
//
// Thread and process safety: these functions may run while other processes use
// the same data dir; migrations take SQLite's write lock.
#pragma once

#include <string>
#include <vector>

#include "quik/options.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"

namespace quik {

struct MigrationInfo {
  int version = 0;
  std::string name;
  bool applied = false;
  Timestamp applied_at = 0;
};

struct InitResult {
  bool created_config = false;  // quik.toml was written
  int migrations_applied = 0;   // 0 on an already initialised dir
};

// Creates `options.data_dir` (and parents), a commented quik.toml if absent,
// the database and every migration. Idempotent.
Result<InitResult> InitDataDir(const Options& options);

// Every migration this build knows, with whether the database has it. The
// database must exist (kNotFound otherwise).
Result<std::vector<MigrationInfo>> MigrationStatus(const Options& options);

// Applies the pending migrations in order (or, with dry_run, only lists them)
// and returns the ones applied (or that would be).
Result<std::vector<MigrationInfo>> MigrateUp(const Options& options, bool dry_run);

}  // namespace quik
