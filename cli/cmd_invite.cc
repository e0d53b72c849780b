// SPDX-License-Identifier: MIT
// quikctl invite create | list | revoke.
//
// Remote: POST /workspaces/{W}/invites {role, email, max_uses, ttl}, GET
// /workspaces/{W}/invites and DELETE /workspaces/{W}/invites/{ID}; the
// token's user must be an owner or admin of W.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <quik/actor.hpp>
#include <quik/config.hpp>
#include <quik/json.hpp>
#include <quik/workspaces.hpp>

#include "cli.hpp"

namespace quikctl {
namespace {

using nlohmann::json;

const quik::Actor kSystem = quik::Actor::System();

std::vector<Column> InviteColumns() {
  return {
      {"ID", "id"},        {"ROLE", "role"},          {"EMAIL", "email"},       {"USES", "uses"},
      {"MAX", "max_uses"}, {"EXPIRES", "expires_at"}, {"REVOKED", "revoked_at"}};
}

struct CreateFlags {
  std::string workspace;
  std::string role = "member";
  std::string email;
  int max_uses = 0;
  std::string ttl;
};

quik::Result<Printable> Create(Cli& cli, const CreateFlags& flags) {
  auto role = quik::ParseRole(flags.role);
  if (!role) return quik::InvalidArgument("--role: unknown role '" + flags.role + "'");
  quik::NewInvite spec;
  spec.role = *role;
  spec.email = flags.email;
  spec.max_uses = flags.max_uses;
  if (!flags.ttl.empty()) {
    auto ttl = quik::ParseDuration(flags.ttl);
    if (!ttl.ok()) return quik::InvalidArgument("--ttl: " + ttl.status().message());
    spec.ttl = *ttl;
  }
  json invite;
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    json body = {{"role", flags.role}};
    if (!flags.email.empty()) body["email"] = flags.email;
    if (flags.max_uses != 0) body["max_uses"] = flags.max_uses;
    if (!flags.ttl.empty()) body["ttl"] = flags.ttl;
    QUIK_ASSIGN_OR_RETURN(invite,
                          api->Post("/workspaces/" + Seg(flags.workspace) + "/invites", body));
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    QUIK_ASSIGN_OR_RETURN(quik::Invite created,
                          svc->workspaces().CreateInvite(kSystem, flags.workspace, spec));
    invite = quik::ToJson(created);
  }
  const std::string code = Str(invite, "code");
  Printable p = One(std::move(invite), InviteColumns());
  p.notes.push_back("");
  p.notes.push_back("code: " + code);
  p.notes.push_back("This code is shown only once; pass it on now.");
  // -q: the code itself, so that CODE=$(quikctl -q invite create ...) works.
  p.quiet_lines = std::vector<std::string>{code};
  return p;
}

quik::Result<json> ListInvites(Cli& cli, const std::string& workspace) {
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    return api->List("/workspaces/" + Seg(workspace) + "/invites");
  }
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  QUIK_ASSIGN_OR_RETURN(auto invites, svc->workspaces().ListInvites(kSystem, workspace));
  json array = json::array();
  for (const auto& i : invites) array.push_back(quik::ToJson(i));
  return array;
}

quik::Result<Printable> List(Cli& cli, const std::string& workspace) {
  QUIK_ASSIGN_OR_RETURN(json invites, ListInvites(cli, workspace));
  return Many(std::move(invites), InviteColumns());
}

struct RevokeFlags {
  std::string workspace;
  std::string id;
};

quik::Result<Printable> Revoke(Cli& cli, const RevokeFlags& flags) {
  json invite;
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    QUIK_RETURN_IF_ERROR(
        api->Delete("/workspaces/" + Seg(flags.workspace) + "/invites/" + Seg(flags.id)));
    QUIK_ASSIGN_OR_RETURN(json invites, ListInvites(cli, flags.workspace));
    for (const json& i : invites) {
      if (Str(i, "id") == flags.id) invite = i;
    }
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    QUIK_ASSIGN_OR_RETURN(quik::Invite revoked,
                          svc->workspaces().RevokeInvite(kSystem, flags.workspace, flags.id));
    invite = quik::ToJson(revoked);
  }
  if (invite.is_null())
    return Done({{"id", flags.id}, {"revoked", true}}, "revoked invite " + flags.id);
  Printable p = One(std::move(invite), InviteColumns());
  p.quiet_lines = std::vector<std::string>{};
  return p;
}

}  // namespace

void AddInviteCommands(CLI::App& app, Action* selected) {
  auto* group = app.add_subcommand("invite", "Manage workspace invites (W: id or slug)");
  group->require_subcommand(1);

  auto cf = std::make_shared<CreateFlags>();
  auto* create = group->add_subcommand(
      "create", "Create an invite and print its code once (-q: only the code)");
  create->add_option("--workspace", cf->workspace, "Workspace id or slug")
      ->option_text("W")
      ->required();
  create->add_option("--role", cf->role, "Role it joins with (default: member)")
      ->option_text("member|guest")
      ->check(CLI::IsMember({"member", "guest"}));
  create->add_option("--email", cf->email, "Only this email may use it (single-use)")
      ->option_text("E");
  create
      ->add_option("--max-uses", cf->max_uses,
                   "Accounts it may bring in (default: auth.invite_max_uses, 1)")
      ->option_text("N")
      ->check(CLI::Range(1, quik::kMaxInviteUses));
  create->add_option("--ttl", cf->ttl, "Lifetime such as 7d, 12h (default: auth.invite_ttl, 7d)")
      ->option_text("DURATION");
  OnParsed(create, selected, [cf](Cli& cli) { return Create(cli, *cf); });

  auto list_ws = std::make_shared<std::string>();
  auto* list = group->add_subcommand(
      "list", "List a workspace's invites with their uses and state (never their codes)");
  list->add_option("--workspace", *list_ws, "Workspace id or slug")->option_text("W")->required();
  OnParsed(list, selected, [list_ws](Cli& cli) { return List(cli, *list_ws); });

  auto rf = std::make_shared<RevokeFlags>();
  auto* revoke = group->add_subcommand("revoke", "Revoke an invite: its code stops working");
  revoke->add_option("ID", rf->id, "Invite id (from invite list)")->required();
  revoke->add_option("--workspace", rf->workspace, "Workspace id or slug")
      ->option_text("W")
      ->required();
  OnParsed(revoke, selected, [rf](Cli& cli) { return Revoke(cli, *rf); });
}

}  // namespace quikctl
