// SPDX-License-Identifier: MIT
// The schema of quik.db: versioned, forward-only migrations. Each runs in one
// transaction together with its row in schema_migrations. Never edit a
// migration that has shipped; add a new one.
#pragma once

#include <vector>

#include "quik/datadir.hpp"
#include "quik/status.hpp"
#include "store/sqlite.hpp"

namespace quik::store {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

const std::vector<Migration>& AllMigrations();

// The migrations with whether (and when) `conn`'s database has them.
Result<std::vector<MigrationInfo>> ReadMigrationStatus(Connection& conn);

// Applies the pending migrations in order; returns those applied. Fails if the
// database has a version this build does not know (it is newer than us).
Result<std::vector<MigrationInfo>> ApplyMigrations(Connection& conn, bool dry_run);

}  // namespace quik::store
