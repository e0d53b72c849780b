// SPDX-License-Identifier: MIT
// quikctl export | import: a workspace as QuikApp's JSON-lines export
// format and back (quik/transfer.hpp; the format in quikctl(1)).
//
// Both work on the data dir (an operator's tools), not through --server; both
// may run while `quikctl serve` runs on it. They act as the system.
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <quik/actor.hpp>
#include <quik/transfer.hpp>

#include "cli.hpp"

namespace quikctl {
namespace {

using nlohmann::json;

quik::Status LocalOnly(Cli& cli, std::string_view what) {
  if (!cli.remote()) return quik::Status::Ok();
  return cli.Usage(std::string(what) + " works on the data dir (--data-dir), not through --server");
}

struct ExportFlags {
  std::string workspace;
  std::string to;
  bool with_files = false;
};

quik::Result<Printable> Export(Cli& cli, const ExportFlags& f) {
  QUIK_RETURN_IF_ERROR(LocalOnly(cli, "export"));
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  quik::ExportOptions options;
  options.with_files = f.with_files;
  QUIK_ASSIGN_OR_RETURN(
      auto summary, quik::ExportWorkspace(*svc, quik::Actor::System(), f.workspace, f.to, options));
  json counts = json::object();
  for (const auto& [type, n] : summary.counts) counts[type] = n;
  json doc = {{"path", summary.jsonl.string()},      {"workspace_id", summary.workspace_id},
              {"workspace", summary.workspace_slug}, {"format", quik::kExportFormat},
              {"version", quik::kExportVersion},     {"counts", counts},
              {"files_copied", summary.blobs},       {"file_bytes", summary.blob_bytes}};
  std::string note = "exported " + summary.workspace_slug + " to " + summary.jsonl.string() + ":";
  for (const auto& [type, n] : summary.counts) note += " " + std::to_string(n) + " " + type;
  if (f.with_files) {
    note += "; " + std::to_string(summary.blobs) + " files (" + std::to_string(summary.blob_bytes) +
            " bytes) copied";
  }
  Printable out = Done(doc, note);
  out.quiet_lines = std::vector<std::string>{summary.jsonl.string()};
  return out;
}

struct ImportFlags {
  std::string from;
  std::string workspace;
  std::string format = "quik";
};

// The order of the report's rows: the order objects are imported in.
const std::vector<std::string>& KindOrder() {
  static const std::vector<std::string> kinds = {"workspace", "user",           "member",
                                                 "channel",   "channel_member", "file",
                                                 "message",   "reaction",       "pin"};
  return kinds;
}

json ReportJson(const quik::ImportReport& r) {
  json kinds = json::object();
  for (const auto& [kind, c] : r.kinds) {
    json why = json::object();
    for (const auto& [reason, n] : c.skipped_why) why[reason] = n;
    json notes = json::object();
    for (const auto& [what, n] : c.notes) notes[what] = n;
    kinds[kind] = {{"imported", c.imported},
                   {"existing", c.existing},
                   {"skipped", c.skipped},
                   {"skipped_why", why},
                   {"notes", notes}};
  }
  json doc = {{"format", r.format},
              {"source", r.source},
              {"workspace_id", r.workspace_id},
              {"workspace", r.workspace_slug},
              {"workspace_created", r.workspace_created},
              {"complete", r.complete},
              {"kinds", kinds}};
  if (!r.complete) doc["incomplete_reason"] = r.incomplete_reason;
  return doc;
}

quik::Result<Printable> Import(Cli& cli, const ImportFlags& f) {
  QUIK_RETURN_IF_ERROR(LocalOnly(cli, "import"));
  if (f.format == "slack" && f.workspace.empty()) {
    return cli.Usage("import --format slack needs --workspace W (a Slack export names no "
                     "workspace; W is created if missing)");
  }
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  quik::ImportOptions options;
  options.workspace = f.workspace;
  options.format = f.format;
  QUIK_ASSIGN_OR_RETURN(auto report,
                        quik::ImportArchive(*svc, quik::Actor::System(), f.from, options));
  std::int64_t imported = 0, existing = 0;
  for (const auto& [kind, c] : report.kinds) {
    imported += c.imported;
    existing += c.existing;
  }
  if (!report.complete) {
    // Kept: what the input held is imported; the exit code says it is not all.
    std::string done;
    for (const std::string& kind : KindOrder()) {
      auto it = report.kinds.find(kind);
      if (it == report.kinds.end() || kind == "workspace") continue;
      done += (done.empty() ? "" : ", ") + std::to_string(it->second.imported) + " " + kind +
              " new, " + std::to_string(it->second.existing) + " existing";
    }
    return quik::InvalidArgument(f.from + ": incomplete: " + report.incomplete_reason +
                                 "; imported what it holds into " + report.workspace_slug + " (" +
                                 done + "); rerun with the complete export to finish");
  }
  json rows = json::array();
  std::vector<std::string> order = KindOrder();
  for (const auto& [kind, c] : report.kinds) {
    if (std::find(order.begin(), order.end(), kind) == order.end()) order.push_back(kind);
  }
  std::vector<std::string> notes;
  for (const std::string& kind : order) {
    auto it = report.kinds.find(kind);
    if (it == report.kinds.end()) continue;
    const quik::KindCounts& c = it->second;
    std::string why;
    for (const auto& [reason, n] : c.skipped_why) {
      why += (why.empty() ? "" : "; ") + reason + " (" + std::to_string(n) + ")";
    }
    rows.push_back({{"kind", kind},
                    {"imported", c.imported},
                    {"existing", c.existing},
                    {"skipped", c.skipped},
                    {"why", why}});
    for (const auto& [what, n] : c.notes) {
      notes.push_back(kind + ": " + what + " (" + std::to_string(n) + ")");
    }
  }
  Printable out;
  out.doc = rows;
  out.columns = {{"KIND", "kind"},
                 {"IMPORTED", "imported"},
                 {"EXISTING", "existing"},
                 {"SKIPPED", "skipped"},
                 {"WHY SKIPPED", "why", 70}};
  out.notes = notes;
  out.notes.push_back(
      "imported into " + report.workspace_slug + (report.workspace_created ? " (created)" : "") +
      ": " + std::to_string(imported) + " new, " + std::to_string(existing) + " already present");
  out.quiet_lines = std::vector<std::string>{};
  // -o json / yaml: the whole report as one object.
  Printable json_out = out;
  json_out.doc = ReportJson(report);
  if (cli.flags().format() != OutputFormat::kTable) return json_out;
  return out;
}

}  // namespace

void AddTransferCommands(CLI::App& app, Action* selected) {
  auto ef = std::make_shared<ExportFlags>();
  auto* exp = app.add_subcommand(
      "export",
      "Export a workspace as QuikApp's JSON-lines format (users, members, channels, messages "
      "with threads, reactions, pins, file metadata; --with-files also the files' bytes)");
  exp->add_option("--workspace", ef->workspace, "Workspace id or slug")
      ->required()
      ->option_text("W");
  exp->add_option("--to", ef->to,
                  "Where to write: a new or empty directory (gets export.jsonl and, with "
                  "--with-files, files/<sha256>), or a path ending in .jsonl (that file, no bytes)")
      ->required()
      ->option_text("PATH");
  exp->add_flag("--with-files", ef->with_files,
                "Copy every file's bytes into PATH/files/ (PATH must be a directory)");
  OnParsed(exp, selected, [ef](Cli& cli) { return Export(cli, *ef); });

  auto imf = std::make_shared<ImportFlags>();
  auto* imp = app.add_subcommand(
      "import",
      "Import an export into this data dir, idempotently and resumably: a rerun creates "
      "nothing twice and finishes an interrupted import");
  imp->add_option("--from", imf->from,
                  "The export: its directory, or its .jsonl file (files/ is looked for beside it)")
      ->required()
      ->option_text("PATH");
  imp->add_option("--workspace", imf->workspace,
                  "Import into this workspace (id or slug; created with that slug if missing). "
                  "Default: the exported workspace's slug")
      ->option_text("W");
  imp->add_option("--format", imf->format,
                  "quik (default: QuikApp's export format) or slack (a Slack export's folder or "
                  ".zip; needs --workspace)")
      ->option_text("FORMAT");
  OnParsed(imp, selected, [imf](Cli& cli) { return Import(cli, *imf); });
}

}  // namespace quikctl
