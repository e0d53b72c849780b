// SPDX-License-Identifier: MIT
// quikctl backup, restore, verify (quik/backup.hpp).
//
// They work on data dirs and backup dirs, so not with --server. backup is
// safe while `quikctl serve` runs on the data dir.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <quik/backup.hpp>
#include <quik/types.hpp>

#include "cli.hpp"

namespace quikctl {
namespace {

using nlohmann::json;

quik::Status LocalOnly(Cli& cli, std::string_view what) {
  if (!cli.remote()) return quik::Status::Ok();
  return cli.Usage(std::string(what) + " works on a data dir (--data-dir), not through --server");
}

std::string_view StateName(quik::VerifyCheck::State state) {
  switch (state) {
    case quik::VerifyCheck::State::kOk:
      return "ok";
    case quik::VerifyCheck::State::kWarning:
      return "warning";
    case quik::VerifyCheck::State::kProblem:
      return "problem";
  }
  return "problem";
}

json ReportJson(const quik::VerifyReport& report) {
  json checks = json::array();
  for (const auto& c : report.checks) {
    checks.push_back({{"name", c.name},
                      {"status", std::string(StateName(c.state))},
                      {"detail", c.detail},
                      {"problems", c.problems}});
  }
  return {{"dir", report.dir}, {"healthy", report.healthy()}, {"checks", std::move(checks)}};
}

// The report as a table of checks, each problem on a line below it.
Printable ReportPrintable(const quik::VerifyReport& report, std::string_view what) {
  Printable p;
  p.doc = ReportJson(report);
  // The table: one line per check, its problems indented below it.
  auto pad = [](std::string s, std::size_t width) {
    if (s.size() < width) s.resize(width, ' ');
    return s;
  };
  p.notes.push_back(pad("CHECK", 14) + pad("STATUS", 9) + "DETAIL");
  for (const auto& c : report.checks) {
    p.notes.push_back(pad(c.name, 14) + pad(std::string(StateName(c.state)), 9) + c.detail);
    for (const auto& line : c.problems) p.notes.push_back("    " + line);
  }
  p.quiet_lines = std::vector<std::string>{};
  if (report.healthy()) {
    p.notes.push_back(std::string(what) + " " + report.dir + " is healthy");
  } else {
    p.failure =
        quik::InvalidArgument(std::string(what) + " " + report.dir + ": " + report.Summary());
  }
  return p;
}

std::int64_t TotalBytes(const quik::BackupManifest& m) {
  std::int64_t bytes = 0;
  for (const auto& f : m.files) bytes += f.size;
  return bytes;
}

std::int64_t BlobCount(const quik::BackupManifest& m) {
  std::int64_t n = 0;
  for (const auto& f : m.files) n += f.path.rfind("blobs/", 0) == 0 ? 1 : 0;
  return n;
}

quik::Result<Printable> Backup(Cli& cli, const std::string& to) {
  QUIK_RETURN_IF_ERROR(LocalOnly(cli, "backup"));
  if (to.empty()) return cli.Usage("backup needs --to DIR");
  QUIK_ASSIGN_OR_RETURN(quik::Options options, cli.LoadOptions());
  QUIK_RETURN_IF_ERROR(cli.RequireInitialised(options));
  QUIK_ASSIGN_OR_RETURN(quik::BackupManifest m, quik::BackupDataDir(options, to));
  const std::string dir = std::filesystem::absolute(to).lexically_normal().string();
  json doc = {{"dir", dir},
              {"created_at", quik::FormatTime(m.created_at)},
              {"source_data_dir", m.source_data_dir},
              {"quik_version", m.quik_version},
              {"schema_version", m.schema_version},
              {"files", m.files.size()},
              {"blobs", BlobCount(m)},
              {"bytes", TotalBytes(m)},
              {"warnings", m.warnings}};
  Printable p =
      Done(doc, "backed up " + m.source_data_dir + " to " + dir + ": " +
                    std::to_string(m.files.size()) + " files, " + std::to_string(TotalBytes(m)) +
                    " bytes (database at schema " + std::to_string(m.schema_version) + ", " +
                    std::to_string(BlobCount(m)) + " blobs); manifest " + dir + "/backup.json");
  for (const auto& w : m.warnings) p.notes.push_back("warning: " + w);
  p.quiet_lines = std::vector<std::string>{dir};
  return p;
}

struct RestoreFlags {
  std::string from;
  bool force = false;
};

quik::Result<Printable> Restore(Cli& cli, const RestoreFlags& flags) {
  QUIK_RETURN_IF_ERROR(LocalOnly(cli, "restore"));
  // The target is empty, so it has no quik.toml: defaults, or --config.
  QUIK_ASSIGN_OR_RETURN(quik::Options options, cli.LoadOptions());
  quik::RestoreOptions restore_options;
  restore_options.force = flags.force;
  QUIK_ASSIGN_OR_RETURN(quik::RestoreReport report,
                        quik::RestoreDataDir(flags.from, options, restore_options));
  const quik::BackupManifest& m = report.manifest;
  json doc = {{"data_dir", report.verify.dir},
              {"from", std::filesystem::absolute(flags.from).lexically_normal().string()},
              {"created_at", quik::FormatTime(m.created_at)},
              {"schema_version", m.schema_version},
              {"files", m.files.size()},
              {"bytes", TotalBytes(m)},
              {"verify", ReportJson(report.verify)}};
  Printable p = Done(doc, "restored the backup of " + quik::FormatTime(m.created_at) + " into " +
                              report.verify.dir + ": " + std::to_string(m.files.size()) +
                              " files, " + std::to_string(TotalBytes(m)) + " bytes; verify: " +
                              (report.verify.healthy() ? "healthy" : report.verify.Summary()));
  if (m.schema_version < 1) p.notes.push_back("the backup's database has no schema");
  return p;
}

quik::Result<Printable> Verify(Cli& cli, const std::string& backup) {
  QUIK_RETURN_IF_ERROR(LocalOnly(cli, "verify"));
  if (!backup.empty()) {
    QUIK_ASSIGN_OR_RETURN(quik::VerifyReport report, quik::VerifyBackup(backup));
    Printable p = ReportPrintable(report, "backup");
    p.doc["backup"] = true;
    return p;
  }
  QUIK_ASSIGN_OR_RETURN(quik::Options options, cli.LoadOptions());
  QUIK_RETURN_IF_ERROR(cli.RequireInitialised(options));
  QUIK_ASSIGN_OR_RETURN(quik::VerifyReport report, quik::VerifyDataDir(options));
  return ReportPrintable(report, "data dir");
}

}  // namespace

void AddBackupCommands(CLI::App& app, Action* selected) {
  auto to = std::make_shared<std::string>();
  auto* backup = app.add_subcommand(
      "backup",
      "Back up the data dir (database, LMDB, blobs, quik.toml) into a new directory with a "
      "checksummed manifest; safe while the server runs");
  backup->add_option("--to", *to, "The backup directory: new, or empty")
      ->option_text("DIR")
      ->required();
  OnParsed(backup, selected, [to](Cli& cli) { return Backup(cli, *to); });

  auto rf = std::make_shared<RestoreFlags>();
  auto* restore = app.add_subcommand(
      "restore",
      "Restore a backup into --data-dir, which must be new or empty; checks every checksum "
      "first and verifies the result");
  restore->add_option("--from", rf->from, "The backup directory (made by quikctl backup)")
      ->option_text("DIR")
      ->required();
  restore->add_flag("--force", rf->force, "Restore even if the restored data fails verification");
  OnParsed(restore, selected, [rf](Cli& cli) { return Restore(cli, *rf); });

  auto vb = std::make_shared<std::string>();
  auto* verify = app.add_subcommand(
      "verify",
      "Check the data dir (database integrity, schema version, LMDB, blob checksums), or with "
      "--backup a backup directory; exit 7 if a problem is found");
  verify->add_option("--backup", *vb, "Check this backup directory (its manifest too)")
      ->option_text("DIR");
  OnParsed(verify, selected, [vb](Cli& cli) { return Verify(cli, *vb); });
}

}  // namespace quikctl
