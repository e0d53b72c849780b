// SPDX-License-Identifier: MIT
// quikctl user create | list | show | deactivate | reactivate | set-admin |
// set-password | set-role.
//
// Remote: POST /users (+ POST /workspaces/{W}/members), GET /users[?workspace=W],
// GET /users/{U}, POST /users/{U}/deactivate, POST /users/{U}/reactivate,
// PUT /users/{U}/admin {"is_admin"}, and set-role as PATCH
// /workspaces/{W}/members/{U}, or POST /workspaces/{W}/members when U is not a
// member yet. Creating and deactivating users needs an instance admin's token.
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <quik/actor.hpp>
#include <quik/json.hpp>
#include <quik/users.hpp>
#include <quik/workspaces.hpp>

#include "cli.hpp"

namespace quikctl {

quik::Result<std::string> ReadPasswordLine() {
  std::string line;
  if (!std::getline(std::cin, line) && line.empty()) {
    return quik::InvalidArgument("--password-stdin: no password on stdin");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

namespace {

using nlohmann::json;

const quik::Actor kSystem = quik::Actor::System();
const std::vector<std::string> kRoles = {"owner", "admin", "member", "guest"};

struct CreateFlags {
  std::string email;
  std::string name;
  bool password_stdin = false;
  bool admin = false;
  std::string workspace;
  std::string role = "member";
};

quik::Result<quik::Role> RoleFlag(const std::string& name) {
  auto role = quik::ParseRole(name);
  if (!role) return quik::InvalidArgument("unknown role '" + name + "'");
  return *role;
}

// The failure of adding a just-created user to the workspace, saying so.
quik::Status AddMemberFailed(const std::string& email, const std::string& id,
                             const std::string& slug, const quik::Status& status) {
  return quik::Status(status.code(), "user " + email + " (" + id +
                                         ") was created, but adding them to workspace " + slug +
                                         " failed: " + status.message());
}

quik::Result<Printable> CreateRemote(Cli& cli, const CreateFlags& flags) {
  QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
  json body = {{"email", flags.email}, {"name", flags.name}};
  if (flags.admin) body["is_admin"] = true;
  if (flags.password_stdin) {
    QUIK_ASSIGN_OR_RETURN(std::string password, ReadPasswordLine());
    body["password"] = password;
  }
  QUIK_RETURN_IF_ERROR(RoleFlag(flags.role).status());
  // Resolve the workspace first, so a typo in it creates no user.
  json ws;
  if (!flags.workspace.empty()) {
    QUIK_ASSIGN_OR_RETURN(ws, api->Get("/workspaces/" + Seg(flags.workspace)));
  }
  QUIK_ASSIGN_OR_RETURN(json user, api->Post("/users", body));
  if (!ws.is_null()) {
    auto member = api->Post("/workspaces/" + Seg(Str(ws, "id")) + "/members",
                            {{"user", Str(user, "id")}, {"role", flags.role}});
    if (!member.ok()) {
      return AddMemberFailed(Str(user, "email"), Str(user, "id"), Str(ws, "slug"), member.status());
    }
  }
  return One(std::move(user), UserColumns());
}

quik::Result<Printable> Create(Cli& cli, const CreateFlags& flags) {
  if (cli.remote()) return CreateRemote(cli, flags);
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  quik::NewUser spec;
  spec.email = flags.email;
  spec.name = flags.name;
  spec.is_admin = flags.admin;
  if (flags.password_stdin) {
    QUIK_ASSIGN_OR_RETURN(spec.password, ReadPasswordLine());
  }
  // Resolve the workspace first, so a typo in it creates no user.
  std::optional<quik::Workspace> ws;
  QUIK_ASSIGN_OR_RETURN(quik::Role role, RoleFlag(flags.role));
  if (!flags.workspace.empty()) {
    QUIK_ASSIGN_OR_RETURN(ws, svc->workspaces().Get(kSystem, flags.workspace));
  }
  QUIK_ASSIGN_OR_RETURN(quik::User user, svc->users().Create(kSystem, spec));
  if (ws) {
    auto member = svc->workspaces().AddMember(kSystem, ws->id, user.id, role);
    if (!member.ok()) return AddMemberFailed(user.email, user.id, ws->slug, member.status());
  }
  return One(quik::ToJson(user), UserColumns());
}

quik::Result<Printable> List(Cli& cli, const std::string& workspace) {
  json array = json::array();
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    std::string path = "/users";
    if (!workspace.empty()) path += "?workspace=" + Seg(workspace);
    QUIK_ASSIGN_OR_RETURN(array, api->List(path));
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    QUIK_ASSIGN_OR_RETURN(auto users, svc->users().List(kSystem, workspace));
    for (const auto& u : users) array.push_back(quik::ToJson(u));
  }
  return Many(std::move(array), UserColumns());
}

}  // namespace

quik::Result<json> GetUser(Cli& cli, const std::string& ref) {
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    return api->Get("/users/" + Seg(ref));
  }
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  QUIK_ASSIGN_OR_RETURN(quik::User user, svc->users().Get(kSystem, ref));
  return quik::ToJson(user);
}

namespace {

quik::Result<Printable> Show(Cli& cli, const std::string& ref) {
  QUIK_ASSIGN_OR_RETURN(json user, GetUser(cli, ref));
  return One(std::move(user), UserColumns());
}

quik::Result<Printable> Deactivate(Cli& cli, const std::string& ref) {
  json user;
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    QUIK_ASSIGN_OR_RETURN(user, api->Post("/users/" + Seg(ref) + "/deactivate"));
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    QUIK_ASSIGN_OR_RETURN(quik::User deactivated, svc->users().Deactivate(kSystem, ref));
    user = quik::ToJson(deactivated);
  }
  return One(std::move(user), UserColumns());
}

quik::Result<Printable> Reactivate(Cli& cli, const std::string& ref) {
  json user;
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    QUIK_ASSIGN_OR_RETURN(user, api->Post("/users/" + Seg(ref) + "/reactivate"));
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    QUIK_ASSIGN_OR_RETURN(quik::User reactivated, svc->users().Reactivate(kSystem, ref));
    user = quik::ToJson(reactivated);
  }
  return One(std::move(user), UserColumns());
}

struct SetAdminFlags {
  std::string user;
  bool on = false;
  bool off = false;
};

quik::Result<Printable> SetAdmin(Cli& cli, const SetAdminFlags& flags) {
  if (flags.on == flags.off) return cli.Usage("user set-admin: give exactly one of --on or --off");
  json user;
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    QUIK_ASSIGN_OR_RETURN(
        user, api->Put("/users/" + Seg(flags.user) + "/admin", {{"is_admin", flags.on}}));
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    QUIK_ASSIGN_OR_RETURN(quik::User changed, svc->users().SetAdmin(kSystem, flags.user, flags.on));
    user = quik::ToJson(changed);
  }
  return One(std::move(user), UserColumns());
}

quik::Result<Printable> SetPassword(Cli& cli, const std::string& ref) {
  QUIK_ASSIGN_OR_RETURN(std::string password, ReadPasswordLine());
  QUIK_ASSIGN_OR_RETURN(json user, GetUser(cli, ref));
  const std::string id = Str(user, "id");
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    QUIK_RETURN_IF_ERROR(
        api->Put("/users/" + Seg(id) + "/password", {{"password", password}}).status());
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    QUIK_RETURN_IF_ERROR(svc->auth().SetPassword(kSystem, id, password));
  }
  const std::string email = Str(user, "email");
  Printable p =
      Done({{"id", id}, {"email", email}, {"password_set", true}}, "set the password of " + email);
  p.quiet_lines = std::vector<std::string>{};
  return p;
}

struct SetRoleFlags {
  std::string user;
  std::string workspace;
  std::string role;
};

quik::Result<Printable> SetRoleRemote(Cli& cli, const SetRoleFlags& flags) {
  QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
  QUIK_RETURN_IF_ERROR(RoleFlag(flags.role).status());
  QUIK_ASSIGN_OR_RETURN(json ws, api->Get("/workspaces/" + Seg(flags.workspace)));
  QUIK_ASSIGN_OR_RETURN(json user, api->Get("/users/" + Seg(flags.user)));
  std::string members = "/workspaces/" + Seg(Str(ws, "id")) + "/members";
  auto patched = api->Patch(members + "/" + Seg(Str(user, "id")), {{"role", flags.role}});
  // Not a member yet: set-role is also how an existing user joins a workspace.
  if (!patched.ok() && patched.status().code() != quik::StatusCode::kNotFound) {
    return patched.status();
  }
  json member;
  if (patched.ok()) {
    member = std::move(*patched);
  } else {
    QUIK_ASSIGN_OR_RETURN(member,
                          api->Post(members, {{"user", Str(user, "id")}, {"role", flags.role}}));
  }
  if (Str(member, "email").empty()) member["email"] = Str(user, "email");
  if (Str(member, "name").empty()) member["name"] = Str(user, "name");
  Printable p = One(std::move(member), MemberColumns());
  p.quiet_lines = std::vector<std::string>{};
  return p;
}

quik::Result<Printable> SetRole(Cli& cli, const SetRoleFlags& flags) {
  if (cli.remote()) return SetRoleRemote(cli, flags);
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  QUIK_ASSIGN_OR_RETURN(quik::Role role, RoleFlag(flags.role));
  QUIK_ASSIGN_OR_RETURN(quik::Workspace ws, svc->workspaces().Get(kSystem, flags.workspace));
  QUIK_ASSIGN_OR_RETURN(quik::User user, svc->users().Get(kSystem, flags.user));
  // Not a member yet: set-role is also how an existing user joins a workspace.
  auto existing = svc->workspaces().GetMember(kSystem, ws.id, user.id);
  if (!existing.ok() && existing.status().code() != quik::StatusCode::kNotFound) {
    return existing.status();
  }
  QUIK_ASSIGN_OR_RETURN(quik::Member member,
                        existing.ok() ? svc->workspaces().SetRole(kSystem, ws.id, user.id, role)
                                      : svc->workspaces().AddMember(kSystem, ws.id, user.id, role));
  if (member.email.empty()) member.email = user.email;
  if (member.name.empty()) member.name = user.name;
  Printable p = One(quik::ToJson(member), MemberColumns());
  p.quiet_lines = std::vector<std::string>{};
  return p;
}

}  // namespace

void AddUserCommands(CLI::App& app, Action* selected) {
  auto* group = app.add_subcommand("user", "Manage users (U: id or email)");
  group->require_subcommand(1);

  auto cf = std::make_shared<CreateFlags>();
  auto* create = group->add_subcommand("create", "Create a user, optionally in a workspace");
  create->add_option("--email", cf->email, "Email address (unique, case-insensitive)")
      ->option_text("E")
      ->required();
  create->add_option("--name", cf->name, "Display name")->option_text("N")->required();
  create->add_flag("--password-stdin", cf->password_stdin,
                   "Read the password from one line of stdin (its newline is not part of it)");
  create->add_flag("--admin", cf->admin, "Make the user an instance administrator");
  auto* ws = create->add_option("--workspace", cf->workspace, "Also add the user to workspace W")
                 ->option_text("W");
  create->add_option("--role", cf->role, "Role in --workspace (default: member)")
      ->option_text("owner|admin|member|guest")
      ->check(CLI::IsMember(kRoles))
      ->needs(ws);
  OnParsed(create, selected, [cf](Cli& cli) { return Create(cli, *cf); });

  auto list_ws = std::make_shared<std::string>();
  auto* list = group->add_subcommand(
      "list", "List all users (with --server: needs an instance admin), or a workspace's members");
  list->add_option("--workspace", *list_ws, "Only members of workspace W")->option_text("W");
  OnParsed(list, selected, [list_ws](Cli& cli) { return List(cli, *list_ws); });

  auto show_ref = std::make_shared<std::string>();
  auto* show = group->add_subcommand("show", "Show one user");
  show->add_option("U", *show_ref, "User id or email")->required();
  OnParsed(show, selected, [show_ref](Cli& cli) { return Show(cli, *show_ref); });

  auto deactivate_ref = std::make_shared<std::string>();
  auto* deactivate =
      group->add_subcommand("deactivate", "Deactivate a user and revoke their sessions and tokens");
  deactivate->add_option("U", *deactivate_ref, "User id or email")->required();
  OnParsed(deactivate, selected,
           [deactivate_ref](Cli& cli) { return Deactivate(cli, *deactivate_ref); });

  auto reactivate_ref = std::make_shared<std::string>();
  auto* reactivate = group->add_subcommand(
      "reactivate", "Let a deactivated user sign in again (their old tokens stay revoked)");
  reactivate->add_option("U", *reactivate_ref, "User id or email")->required();
  OnParsed(reactivate, selected,
           [reactivate_ref](Cli& cli) { return Reactivate(cli, *reactivate_ref); });

  auto af = std::make_shared<SetAdminFlags>();
  auto* set_admin =
      group->add_subcommand("set-admin", "Make (--on) or unmake (--off) an instance administrator");
  set_admin->add_option("U", af->user, "User id or email")->required();
  auto* on = set_admin->add_flag("--on", af->on, "Make the user an instance administrator");
  auto* off = set_admin->add_flag("--off", af->off, "Take instance administration away");
  on->excludes(off);
  OnParsed(set_admin, selected, [af](Cli& cli) { return SetAdmin(cli, *af); });

  auto password_ref = std::make_shared<std::string>();
  auto* set_password = group->add_subcommand(
      "set-password",
      "Set a user's password, read from one line of stdin (its newline is not part of it); "
      "with --server, needs an instance admin's token");
  set_password->add_option("U", *password_ref, "User id or email")->required();
  OnParsed(set_password, selected,
           [password_ref](Cli& cli) { return SetPassword(cli, *password_ref); });

  auto sf = std::make_shared<SetRoleFlags>();
  auto* set_role = group->add_subcommand(
      "set-role", "Set a user's role in a workspace (adding them if not a member)");
  set_role->add_option("U", sf->user, "User id or email")->required();
  set_role->add_option("--workspace", sf->workspace, "Workspace id or slug")
      ->option_text("W")
      ->required();
  set_role->add_option("--role", sf->role, "The new role")
      ->option_text("owner|admin|member|guest")
      ->check(CLI::IsMember(kRoles))
      ->required();
  OnParsed(set_role, selected, [sf](Cli& cli) { return SetRole(cli, *sf); });
}

}  // namespace quikctl
