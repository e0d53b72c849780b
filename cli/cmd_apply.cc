// SPDX-License-Identifier: MIT
// quikctl apply -f FILE [--dry-run] [--prune] | get workspace W.
//
// Declarative provisioning (CONTRACT.md section 4) through
// quik::ProvisionService, on the data dir only (not with --server).
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <quik/actor.hpp>
#include <quik/provision.hpp>

#include "cli.hpp"

namespace quikctl {
namespace {

using nlohmann::json;

const quik::Actor kSystem = quik::Actor::System();

struct ApplyFlags {
  std::string file;
  bool dry_run = false;
  bool prune = false;
};

quik::Status LocalOnly(Cli& cli, std::string_view command) {
  if (cli.remote()) {
    return cli.Usage("quikctl " + std::string(command) +
                     " works on a data dir only, not with --server");
  }
  return quik::Status::Ok();
}

// The file's text and the name errors give it ("<stdin>" for -).
quik::Result<std::pair<std::string, std::string>> ReadManifestFile(const std::string& path) {
  if (path == "-") {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return std::make_pair(std::move(text), std::string("<stdin>"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return quik::NotFound("cannot read manifest " + path + ": no such file or not readable");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return quik::InvalidArgument("cannot read manifest " + path);
  return std::make_pair(text.str(), path);
}

// A manifest error of several lines: each line goes to stderr (a FILE:LINE:
// error each), and the status keeps the first, so that the final
// "quikctl: invalid_argument: ..." line names a file and line too. With -o
// json, stderr stays one JSON line: the errors are joined by "; ".
quik::Status ReportErrors(const Cli& cli, const quik::Status& status) {
  const std::string& message = status.message();
  if (status.code() != quik::StatusCode::kInvalidArgument ||
      message.find('\n') == std::string::npos) {
    return status;
  }
  std::vector<std::string> lines;
  std::istringstream in(message);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  if (cli.flags().format() == OutputFormat::kJson) {
    std::string joined;
    for (const auto& line : lines) joined += (joined.empty() ? "" : "; ") + line;
    return quik::InvalidArgument(joined);
  }
  for (const auto& line : lines) std::cerr << line << '\n';
  std::cerr.flush();
  return quik::InvalidArgument(lines.front() + " (1 of " + std::to_string(lines.size()) +
                               " errors, all listed above; nothing applied)");
}

quik::Result<Printable> Apply(Cli& cli, const ApplyFlags& flags) {
  QUIK_RETURN_IF_ERROR(LocalOnly(cli, "apply"));
  QUIK_ASSIGN_OR_RETURN(auto file, ReadManifestFile(flags.file));
  auto manifest = quik::ParseManifest(file.first, file.second);
  if (!manifest.ok()) return ReportErrors(cli, manifest.status());
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  auto& provision = svc->provision();
  auto plan = flags.dry_run ? provision.Plan(kSystem, *manifest, flags.prune)
                            : provision.Apply(kSystem, *manifest, flags.prune);
  if (!plan.ok()) return ReportErrors(cli, plan.status());

  Printable p;
  json changes = json::array();
  for (const quik::PlanChange& c : plan->changes) {
    changes.push_back(
        {{"action", c.action}, {"kind", c.kind}, {"target", c.target}, {"detail", c.detail}});
    p.notes.push_back(c.line);
  }
  for (const std::string& line : plan->skipped) p.notes.push_back(line);
  const std::size_t count = plan->changes.size();
  p.doc = {{"changes", std::move(changes)},
           {"count", count},
           {"dry_run", flags.dry_run},
           {"skipped", plan->skipped}};
  if (flags.dry_run) p.notes.push_back("dry run: nothing was applied");
  p.notes.push_back(std::to_string(count) + " changes");
  p.quiet_lines = std::vector<std::string>{};
  return p;
}

quik::Result<Printable> GetWorkspace(Cli& cli, const std::string& ref) {
  QUIK_RETURN_IF_ERROR(LocalOnly(cli, "get"));
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  QUIK_ASSIGN_OR_RETURN(quik::Manifest manifest, svc->provision().Export(kSystem, ref));
  Printable p;
  p.doc = quik::ManifestJson(manifest);
  p.yaml_text = quik::ManifestYaml(manifest);
  const quik::ManifestWorkspace& ws = manifest.workspaces.front();
  std::map<std::string, int> roles;
  for (const auto& m : *ws.members) roles[std::string(quik::RoleName(*m.role))]++;
  std::string role_counts;
  for (const char* role : {"owner", "admin", "member", "guest"}) {
    if (roles[role] == 0) continue;
    role_counts += (role_counts.empty() ? "" : ", ") + std::to_string(roles[role]) + " " + role;
  }
  std::string channel_list;
  for (const auto& c : *ws.channels) {
    std::string entry = "#" + c.name;
    if (c.is_private.value_or(false)) entry += " (private)";
    if (c.archived) entry += " (archived)";
    channel_list += (channel_list.empty() ? "" : ", ") + entry;
  }
  p.notes.push_back("WORKSPACE  " + ws.slug + " (" + ws.name + ")");
  p.notes.push_back("MEMBERS    " + std::to_string(ws.members->size()) +
                    (role_counts.empty() ? "" : " (" + role_counts + ")"));
  p.notes.push_back("CHANNELS   " + std::to_string(ws.channels->size()) +
                    (channel_list.empty() ? "" : ": " + channel_list));
  p.notes.push_back("(-o yaml prints it as a manifest for quikctl apply)");
  p.quiet_lines = std::vector<std::string>{ws.slug};
  return p;
}

}  // namespace

void AddApplyCommands(CLI::App& app, Action* selected) {
  auto flags = std::make_shared<ApplyFlags>();
  auto* apply = app.add_subcommand(
      "apply",
      "Provision workspaces, members and channels from a manifest: print the plan, then apply "
      "it all or nothing (see quikctl(1), MANIFEST)");
  apply->add_option("-f,--filename", flags->file, "Manifest file (YAML or JSON); - reads stdin")
      ->option_text("FILE")
      ->required();
  apply->add_flag("--dry-run", flags->dry_run, "Print the plan and change nothing");
  apply->add_flag("--prune", flags->prune,
                  "Also remove workspace and channel members the file does not list and "
                  "archive the channels it does not list (never deletes messages)");
  OnParsed(apply, selected, [flags](Cli& cli) { return Apply(cli, *flags); });

  auto* get = app.add_subcommand("get", "Show objects as manifests (quikctl apply's format)");
  get->require_subcommand(1);
  auto ref = std::make_shared<std::string>();
  auto* workspace = get->add_subcommand(
      "workspace",
      "A workspace with its members and channels (no DMs); -o yaml prints a manifest that "
      "quikctl apply takes back unchanged");
  workspace->add_option("W", *ref, "Workspace id or slug")->required();
  OnParsed(workspace, selected, [ref](Cli& cli) { return GetWorkspace(cli, *ref); });
}

}  // namespace quikctl
