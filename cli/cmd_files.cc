// SPDX-License-Identifier: MIT
// quikctl files gc | list | show | upload.
//
// These work on the data dir (they are an operator's tools: gc removes what
// no message references), so not with --server. gc is safe while `quikctl
// serve` runs and people post (see quik/files.hpp).
#include <cctype>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <quik/actor.hpp>
#include <quik/config.hpp>
#include <quik/files.hpp>
#include <quik/json.hpp>
#include <quik/users.hpp>

#include "cli.hpp"

namespace quikctl {
namespace {

using nlohmann::json;

const quik::Actor kSystem = quik::Actor::System();

std::vector<Column> FileColumns() {
  return {{"ID", "id"},
          {"NAME", "name", 40},
          {"SIZE", "size"},
          {"TYPE", "content_type"},
          {"UPLOADER", "user_id"},
          {"CREATED", "created_at"}};
}

quik::Status LocalOnly(Cli& cli, std::string_view what) {
  if (!cli.remote()) return quik::Status::Ok();
  return cli.Usage("files " + std::string(what) +
                   " works on the data dir (--data-dir), not through --server");
}

struct GcFlags {
  std::string grace;
  bool dry_run = false;
  bool yes = false;
};

quik::Result<Printable> Gc(Cli& cli, const GcFlags& flags) {
  QUIK_RETURN_IF_ERROR(LocalOnly(cli, "gc"));
  quik::GcOptions options;
  options.dry_run = flags.dry_run;
  // "0" (or "0s", "0h"...): everything unreferenced now, as a test or a
  // cleanup after a purge wants; ParseDuration itself takes only positive ones.
  const std::string digits = flags.grace.substr(
      0, !flags.grace.empty() && std::isalpha(static_cast<unsigned char>(flags.grace.back()))
             ? flags.grace.size() - 1
             : flags.grace.size());
  if (!digits.empty() && digits.find_first_not_of('0') == std::string::npos) {
    options.grace = std::chrono::seconds(0);
  } else if (!flags.grace.empty()) {
    auto grace = quik::ParseDuration(flags.grace);
    if (!grace.ok()) return cli.Usage("--grace: " + grace.status().message());
    options.grace = *grace;
  }
  if (!flags.dry_run) {
    QUIK_RETURN_IF_ERROR(cli.Confirm(
        flags.yes, "Remove the files no message references, and their blobs, for good?"));
  }
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  QUIK_ASSIGN_OR_RETURN(quik::GcReport report, svc->files().CollectGarbage(kSystem, options));
  json doc = {{"dry_run", flags.dry_run},        {"files_removed", report.files_removed},
              {"file_bytes", report.file_bytes}, {"blobs_removed", report.blobs_removed},
              {"blob_bytes", report.blob_bytes}, {"temp_removed", report.temp_removed},
              {"file_ids", report.file_ids}};
  const std::string verb = flags.dry_run ? "would remove " : "removed ";
  Printable p = Done(doc, verb + std::to_string(report.files_removed) + " files (" +
                              std::to_string(report.file_bytes) + " bytes), " +
                              std::to_string(report.blobs_removed) + " blobs (" +
                              std::to_string(report.blob_bytes) + " bytes on disk), " +
                              std::to_string(report.temp_removed) + " temp files");
  p.quiet_lines = report.file_ids;
  return p;
}

quik::Result<Printable> List(Cli& cli, const std::string& workspace) {
  QUIK_RETURN_IF_ERROR(LocalOnly(cli, "list"));
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  json array = json::array();
  quik::PageRequest page;
  page.limit = svc->options().limits.page_max;
  for (;;) {
    QUIK_ASSIGN_OR_RETURN(auto files, svc->files().List(kSystem, workspace, page));
    for (const auto& f : files.items) array.push_back(quik::ToJson(f));
    if (files.next_cursor.empty()) break;
    page.cursor = files.next_cursor;
  }
  return Many(std::move(array), FileColumns());
}

quik::Result<Printable> Show(Cli& cli, const std::string& id) {
  QUIK_RETURN_IF_ERROR(LocalOnly(cli, "show"));
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  QUIK_ASSIGN_OR_RETURN(quik::File f, svc->files().Get(kSystem, id));
  return One(quik::ToJson(f), FileColumns());
}

struct UploadFlags {
  std::string workspace;
  std::string path;
  std::string as;
  std::string name;
};

quik::Result<Printable> Upload(Cli& cli, const UploadFlags& flags) {
  QUIK_RETURN_IF_ERROR(LocalOnly(cli, "upload"));
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  QUIK_ASSIGN_OR_RETURN(quik::User user, svc->users().Get(kSystem, flags.as));
  QUIK_ASSIGN_OR_RETURN(quik::File f,
                        svc->files().UploadFromPath(quik::Actor::ForUser(user.id), flags.workspace,
                                                    flags.name, flags.path));
  return One(quik::ToJson(f), FileColumns());
}

}  // namespace

void AddFilesCommands(CLI::App& app, Action* selected) {
  auto* files = app.add_subcommand("files", "Uploaded files: garbage collection and inspection");
  files->require_subcommand(1);

  auto gc = std::make_shared<GcFlags>();
  auto* gc_cmd = files->add_subcommand(
      "gc", "Remove files no message references (older than the grace period) and their blobs");
  gc_cmd
      ->add_option("--grace", gc->grace,
                   "Keep unreferenced files younger than this (default: files.gc_grace, 24h)")
      ->option_text("DURATION");
  gc_cmd->add_flag("--dry-run", gc->dry_run, "Report what would be removed; remove nothing");
  gc_cmd->add_flag("-y,--yes", gc->yes,
                   "Do not ask for confirmation (needed without a terminal): removed files are "
                   "gone for good");
  OnParsed(gc_cmd, selected, [gc](Cli& cli) { return Gc(cli, *gc); });

  auto ws = std::make_shared<std::string>();
  auto* list = files->add_subcommand("list", "List a workspace's files, newest first");
  list->add_option("WORKSPACE", *ws, "Workspace id or slug")->required();
  OnParsed(list, selected, [ws](Cli& cli) { return List(cli, *ws); });

  auto id = std::make_shared<std::string>();
  auto* show = files->add_subcommand("show", "Show one file's metadata");
  show->add_option("ID", *id, "File id")->required();
  OnParsed(show, selected, [id](Cli& cli) { return Show(cli, *id); });

  auto up = std::make_shared<UploadFlags>();
  auto* upload = files->add_subcommand("upload", "Upload a file to a workspace as a user");
  upload->add_option("WORKSPACE", up->workspace, "Workspace id or slug")->required();
  upload->add_option("PATH", up->path, "The file to upload")->required();
  upload->add_option("--as", up->as, "The uploader: user id or email")
      ->option_text("U")
      ->required();
  upload->add_option("--name", up->name, "The file's name (default: PATH's file name)")
      ->option_text("N");
  OnParsed(upload, selected, [up](Cli& cli) { return Upload(cli, *up); });
}

}  // namespace quikctl
