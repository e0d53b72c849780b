// SPDX-License-Identifier: MIT
// quikctl token create | list | revoke.
//
// Remote: POST /tokens {user, name, ttl}, GET /tokens[?user=U] and DELETE
// /tokens/{id}; a token's user manages their own tokens, an instance admin's
// token anyone's.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <quik/actor.hpp>
#include <quik/auth.hpp>
#include <quik/config.hpp>
#include <quik/json.hpp>
#include <quik/users.hpp>

#include "cli.hpp"

namespace quikctl {
namespace {

using nlohmann::json;

const quik::Actor kSystem = quik::Actor::System();

struct CreateFlags {
  std::string user;
  std::string name;
  std::string ttl;
  bool password_stdin = false;
};

quik::Result<Printable> Create(Cli& cli, const CreateFlags& flags) {
  quik::NewToken spec;
  spec.name = flags.name;
  if (!flags.ttl.empty()) {
    auto ttl = quik::ParseDuration(flags.ttl);
    if (!ttl.ok()) return quik::InvalidArgument("--ttl: " + ttl.status().message());
    spec.ttl = *ttl;
  }
  json issued;
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    json body = {{"user", flags.user}};
    if (!flags.name.empty()) body["name"] = flags.name;
    if (!flags.ttl.empty()) body["ttl"] = flags.ttl;
    // A login session's token (not an API token) mints only with the password.
    if (flags.password_stdin) {
      QUIK_ASSIGN_OR_RETURN(std::string password, ReadPasswordLine());
      body["password"] = password;
    }
    QUIK_ASSIGN_OR_RETURN(issued, api->Post("/tokens", body));
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    QUIK_ASSIGN_OR_RETURN(quik::IssuedToken created,
                          svc->auth().CreateToken(kSystem, flags.user, spec));
    issued = quik::ToJson(created);
  }
  std::string secret = Str(issued, "token");
  Printable p = One(std::move(issued), TokenColumns());
  p.notes.push_back("");
  p.notes.push_back("token: " + secret);
  p.notes.push_back("This secret is shown only once; store it now.");
  // -q: the secret itself, so that TOKEN=$(quikctl -q token create ...) works.
  p.quiet_lines = std::vector<std::string>{secret};
  return p;
}

// Every token (or a user's), as JSON.
quik::Result<json> ListTokens(Cli& cli, const std::string& user) {
  json array = json::array();
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    return api->List(user.empty() ? std::string("/tokens") : "/tokens?user=" + Seg(user));
  }
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  std::string user_id;
  if (!user.empty()) {
    QUIK_ASSIGN_OR_RETURN(quik::User u, svc->users().Get(kSystem, user));
    user_id = u.id;
  }
  QUIK_ASSIGN_OR_RETURN(auto tokens, svc->auth().ListTokens(kSystem, user_id));
  for (const auto& t : tokens) array.push_back(quik::ToJson(t));
  return array;
}

quik::Result<Printable> List(Cli& cli, const std::string& user) {
  QUIK_ASSIGN_OR_RETURN(json tokens, ListTokens(cli, user));
  return Many(std::move(tokens), TokenColumns());
}

quik::Result<Printable> Revoke(Cli& cli, const std::string& id) {
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    QUIK_RETURN_IF_ERROR(api->Delete("/tokens/" + Seg(id)));
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    QUIK_RETURN_IF_ERROR(svc->auth().RevokeToken(kSystem, id));
  }
  auto tokens = ListTokens(cli, {});
  if (tokens.ok()) {
    for (const json& t : *tokens) {
      if (Str(t, "id") == id) {
        Printable p = One(t, TokenColumns());
        p.quiet_lines = std::vector<std::string>{};
        return p;
      }
    }
  }
  return Done({{"id", id}, {"revoked", true}}, "revoked token " + id);
}

}  // namespace

void AddTokenCommands(CLI::App& app, Action* selected) {
  auto* group = app.add_subcommand("token", "Manage API tokens");
  group->require_subcommand(1);

  auto cf = std::make_shared<CreateFlags>();
  auto* create = group->add_subcommand(
      "create", "Create an API token for a user and print its secret once (-q: only the secret)");
  create->add_option("--user", cf->user, "User id or email")->option_text("U")->required();
  create->add_option("--name", cf->name, "A name to recognise the token by")->option_text("N");
  create->add_option("--ttl", cf->ttl, "Lifetime such as 30d, 12h, 90m (default: never expires)")
      ->option_text("DURATION");
  create->add_flag("--password-stdin", cf->password_stdin,
                   "With --server and a login session's token: read your password from one "
                   "line of stdin (minting from a session needs it)");
  OnParsed(create, selected, [cf](Cli& cli) { return Create(cli, *cf); });

  auto list_user = std::make_shared<std::string>();
  auto* list = group->add_subcommand(
      "list",
      "List tokens (live and revoked), never their secrets (with --server: the token's "
      "user's unless --user is given)");
  list->add_option("--user", *list_user, "Only this user's tokens")->option_text("U");
  OnParsed(list, selected, [list_user](Cli& cli) { return List(cli, *list_user); });

  auto revoke_id = std::make_shared<std::string>();
  auto* revoke = group->add_subcommand("revoke", "Revoke a token by its id");
  revoke->add_option("ID", *revoke_id, "Token id")->required();
  OnParsed(revoke, selected, [revoke_id](Cli& cli) { return Revoke(cli, *revoke_id); });
}

}  // namespace quikctl
