// quikctl token create | list | revoke.
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

const quik::Actor kSystem = quik::Actor::System();

struct CreateFlags {
  std::string user;
  std::string name;
  std::string ttl;
};

quik::Result<Printable> Create(Cli& cli, const CreateFlags& flags) {
  quik::NewToken spec;
  spec.name = flags.name;
  if (!flags.ttl.empty()) {
    auto ttl = quik::ParseDuration(flags.ttl);
    if (!ttl.ok()) return quik::InvalidArgument("--ttl: " + ttl.status().message());
    spec.ttl = *ttl;
  }
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  QUIK_ASSIGN_OR_RETURN(quik::IssuedToken issued,
                        svc->auth().CreateToken(kSystem, flags.user, spec));
  Printable p = One(quik::ToJson(issued), TokenColumns());
  p.notes.push_back("");
  p.notes.push_back("token: " + issued.secret);
  p.notes.push_back("This secret is shown only once; store it now.");
  // -q: the secret itself, so that TOKEN=$(quikctl -q token create ...) works.
  p.quiet_lines = std::vector<std::string>{issued.secret};
  return p;
}

quik::Result<Printable> List(Cli& cli, const std::string& user) {
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  std::string user_id;
  if (!user.empty()) {
    QUIK_ASSIGN_OR_RETURN(quik::User u, svc->users().Get(kSystem, user));
    user_id = u.id;
  }
  QUIK_ASSIGN_OR_RETURN(auto tokens, svc->auth().ListTokens(kSystem, user_id));
  nlohmann::json array = nlohmann::json::array();
  for (const auto& t : tokens) array.push_back(quik::ToJson(t));
  return Many(std::move(array), TokenColumns());
}

quik::Result<Printable> Revoke(Cli& cli, const std::string& id) {
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  QUIK_RETURN_IF_ERROR(svc->auth().RevokeToken(kSystem, id));
  auto tokens = svc->auth().ListTokens(kSystem);
  if (tokens.ok()) {
    for (const auto& t : *tokens) {
      if (t.id == id) {
        Printable p = One(quik::ToJson(t), TokenColumns());
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
  OnParsed(create, selected, [cf](Cli& cli) { return Create(cli, *cf); });

  auto list_user = std::make_shared<std::string>();
  auto* list = group->add_subcommand("list", "List tokens (live and revoked), never their secrets");
  list->add_option("--user", *list_user, "Only this user's tokens")->option_text("U");
  OnParsed(list, selected, [list_user](Cli& cli) { return List(cli, *list_user); });

  auto revoke_id = std::make_shared<std::string>();
  auto* revoke = group->add_subcommand("revoke", "Revoke a token by its id");
  revoke->add_option("ID", *revoke_id, "Token id")->required();
  OnParsed(revoke, selected, [revoke_id](Cli& cli) { return Revoke(cli, *revoke_id); });
}

}  // namespace quikctl
