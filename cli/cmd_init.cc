// SPDX-License-Identifier: MIT
// quikctl init, migrate status, migrate up.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <quik/datadir.hpp>
#include <quik/types.hpp>

#include "cli.hpp"

namespace quikctl {
namespace {

std::string Migrations(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " migration" : " migrations");
}

nlohmann::json MigrationJson(const quik::MigrationInfo& m) {
  nlohmann::json j = {{"version", m.version}, {"name", m.name}, {"applied", m.applied}};
  if (m.applied_at != 0) j["applied_at"] = quik::FormatTime(m.applied_at);
  return j;
}

nlohmann::json MigrationsJson(const std::vector<quik::MigrationInfo>& migrations) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& m : migrations) array.push_back(MigrationJson(m));
  return array;
}

quik::Result<Printable> Init(Cli& cli) {
  QUIK_ASSIGN_OR_RETURN(quik::Options options, cli.LoadOptions());
  QUIK_ASSIGN_OR_RETURN(quik::InitResult init, quik::InitDataDir(options));
  std::string dir = options.data_dir.string();
  std::string note;
  if (init.created_config || init.migrations_applied > 0) {
    note = "initialised data dir " + dir + " (" +
           Migrations(static_cast<std::size_t>(init.migrations_applied)) + " applied" +
           (init.created_config ? ", quik.toml written)" : ")");
  } else {
    note = "data dir " + dir + " is already initialised";
  }
  return Done({{"data_dir", dir},
               {"created_config", init.created_config},
               {"migrations_applied", init.migrations_applied}},
              note);
}

quik::Result<Printable> MigrateStatus(Cli& cli) {
  QUIK_ASSIGN_OR_RETURN(quik::Options options, cli.LoadOptions());
  QUIK_RETURN_IF_ERROR(cli.RequireInitialised(options));
  QUIK_ASSIGN_OR_RETURN(auto migrations, quik::MigrationStatus(options));
  int pending = 0;
  for (const auto& m : migrations) pending += m.applied ? 0 : 1;
  Printable p = Many(MigrationsJson(migrations), MigrationColumns());
  p.notes.push_back(pending == 0 ? "schema is up to date"
                                 : Migrations(static_cast<std::size_t>(pending)) +
                                       " pending; run quikctl migrate up");
  p.quiet_lines = std::vector<std::string>{};
  return p;
}

quik::Result<Printable> MigrateUp(Cli& cli, bool dry_run) {
  QUIK_ASSIGN_OR_RETURN(quik::Options options, cli.LoadOptions());
  QUIK_RETURN_IF_ERROR(cli.RequireInitialised(options));
  QUIK_ASSIGN_OR_RETURN(auto migrations, quik::MigrateUp(options, dry_run));
  Printable p = Many(MigrationsJson(migrations), MigrationColumns());
  if (migrations.empty()) {
    p.columns.clear();
    p.notes.push_back("schema is up to date; nothing to apply");
  } else if (dry_run) {
    p.notes.push_back("would apply " + Migrations(migrations.size()) +
                      " (dry run: nothing changed)");
  } else {
    p.notes.push_back("applied " + Migrations(migrations.size()));
  }
  p.quiet_lines = std::vector<std::string>{};
  return p;
}

}  // namespace

void AddInitCommands(CLI::App& app, Action* selected) {
  auto* init = app.add_subcommand(
      "init",
      "Create the data dir: a commented quik.toml, the database and its schema (idempotent)");
  OnParsed(init, selected, Init);

  auto* migrate = app.add_subcommand("migrate", "Show or apply schema migrations (forward-only)");
  migrate->require_subcommand(1);
  auto* status =
      migrate->add_subcommand("status", "List every migration and whether it is applied");
  OnParsed(status, selected, MigrateStatus);

  auto dry_run = std::make_shared<bool>(false);
  auto* up = migrate->add_subcommand("up", "Apply the pending migrations, each in a transaction");
  up->add_flag("--dry-run", *dry_run, "Only list the migrations that would be applied");
  OnParsed(up, selected, [dry_run](Cli& cli) { return MigrateUp(cli, *dry_run); });
}

}  // namespace quikctl
