// SPDX-License-Identifier: MIT
// quikctl workspace create | list | show | members | delete.
//
// Remote: POST /workspaces (the token's user becomes the owner), GET
// /workspaces (the caller's), GET /workspaces/{W}, GET /workspaces/{W}/members,
// DELETE /workspaces/{W}.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <quik/actor.hpp>
#include <quik/json.hpp>
#include <quik/workspaces.hpp>

#include "cli.hpp"

namespace quikctl {
namespace {

const quik::Actor kSystem = quik::Actor::System();

struct CreateFlags {
  std::string name;
  std::string slug;
};

using nlohmann::json;

quik::Result<Printable> Create(Cli& cli, const CreateFlags& flags) {
  json ws;
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    json body = {{"name", flags.name}};
    if (!flags.slug.empty()) body["slug"] = flags.slug;
    QUIK_ASSIGN_OR_RETURN(ws, api->Post("/workspaces", body));
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    QUIK_ASSIGN_OR_RETURN(quik::Workspace created,
                          svc->workspaces().Create(kSystem, {flags.name, flags.slug}));
    ws = quik::ToJson(created);
  }
  return One(std::move(ws), WorkspaceColumns());
}

quik::Result<Printable> List(Cli& cli) {
  json array = json::array();
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    QUIK_ASSIGN_OR_RETURN(array, api->List("/workspaces"));
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    QUIK_ASSIGN_OR_RETURN(auto list, svc->workspaces().List(kSystem));
    for (const auto& ws : list) array.push_back(quik::ToJson(ws));
  }
  return Many(std::move(array), WorkspaceColumns());
}

// The workspace as JSON, from the service or the server.
quik::Result<json> GetWorkspace(Cli& cli, const std::string& ref) {
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    return api->Get("/workspaces/" + Seg(ref));
  }
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  QUIK_ASSIGN_OR_RETURN(quik::Workspace ws, svc->workspaces().Get(kSystem, ref));
  return quik::ToJson(ws);
}

quik::Result<Printable> Show(Cli& cli, const std::string& ref) {
  QUIK_ASSIGN_OR_RETURN(json ws, GetWorkspace(cli, ref));
  return One(std::move(ws), WorkspaceColumns());
}

quik::Result<Printable> Members(Cli& cli, const std::string& ref) {
  json array = json::array();
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    QUIK_ASSIGN_OR_RETURN(array, api->List("/workspaces/" + Seg(ref) + "/members"));
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    quik::PageRequest page;
    page.limit = svc->options().limits.page_max;
    do {
      QUIK_ASSIGN_OR_RETURN(auto members, svc->workspaces().ListMembers(kSystem, ref, page));
      for (const auto& m : members.items) array.push_back(quik::ToJson(m));
      page.cursor = members.next_cursor;
    } while (!page.cursor.empty());
  }
  Printable p = Many(std::move(array), MemberColumns());
  p.quiet_lines = std::vector<std::string>{};
  for (const auto& m : p.doc) p.quiet_lines->push_back(m.value("user_id", ""));
  return p;
}

quik::Result<Printable> Delete(Cli& cli, const std::string& ref, bool yes) {
  QUIK_ASSIGN_OR_RETURN(json ws, GetWorkspace(cli, ref));
  std::string id = Str(ws, "id"), slug = Str(ws, "slug");
  QUIK_RETURN_IF_ERROR(cli.Confirm(yes, "Delete workspace " + slug + " (" + id +
                                            ") with its channels, messages and memberships?"));
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    QUIK_RETURN_IF_ERROR(api->Delete("/workspaces/" + Seg(id)));
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    QUIK_RETURN_IF_ERROR(svc->workspaces().Delete(kSystem, id));
  }
  return Done({{"id", id}, {"slug", slug}, {"deleted", true}},
              "deleted workspace " + slug + " (" + id + ")");
}

}  // namespace

void AddWorkspaceCommands(CLI::App& app, Action* selected) {
  auto* group = app.add_subcommand("workspace", "Manage workspaces (W: id or slug)");
  group->require_subcommand(1);

  auto create_flags = std::make_shared<CreateFlags>();
  auto* create = group->add_subcommand("create", "Create a workspace (no channels, no members)");
  create->add_option("NAME", create_flags->name, "Display name")->required();
  create
      ->add_option("--slug", create_flags->slug,
                   "Unique slug, [a-z0-9-] (default: derived from the name)")
      ->option_text("S");
  OnParsed(create, selected, [create_flags](Cli& cli) { return Create(cli, *create_flags); });

  auto* list = group->add_subcommand(
      "list", "List all workspaces (with --server: those the token's user belongs to)");
  OnParsed(list, selected, List);

  auto show_ref = std::make_shared<std::string>();
  auto* show = group->add_subcommand("show", "Show one workspace");
  show->add_option("W", *show_ref, "Workspace id or slug")->required();
  OnParsed(show, selected, [show_ref](Cli& cli) { return Show(cli, *show_ref); });

  auto members_ref = std::make_shared<std::string>();
  auto* members = group->add_subcommand("members", "List a workspace's members and roles");
  members->add_option("W", *members_ref, "Workspace id or slug")->required();
  OnParsed(members, selected, [members_ref](Cli& cli) { return Members(cli, *members_ref); });

  auto delete_ref = std::make_shared<std::string>();
  auto delete_yes = std::make_shared<bool>(false);
  auto* del = group->add_subcommand(
      "delete", "Delete a workspace with its channels, messages and memberships");
  del->add_option("W", *delete_ref, "Workspace id or slug")->required();
  del->add_flag("-y,--yes", *delete_yes,
                "Do not ask for confirmation (needed without a terminal): this cannot be undone");
  OnParsed(del, selected,
           [delete_ref, delete_yes](Cli& cli) { return Delete(cli, *delete_ref, *delete_yes); });
}

}  // namespace quikctl
