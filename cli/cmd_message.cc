// SPDX-License-Identifier: MIT
// quikctl message pin | unpin | pins | edits | react: pins, edit history and
// reactions of messages (scripts and admins).
//
// Local mode acts as the system (the admin view) unless --as names a user;
// `react` always needs --as (a reaction is a user's). Remote: as the token's
// user (--as, if given, must name that user): POST/DELETE /messages/{M}/pin,
// GET /channels/{C}/pins, GET /messages/{M}/edits, POST /messages/{M}/reactions
// and DELETE /messages/{M}/reactions/{EMOJI}.
#include <cctype>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <quik/actor.hpp>
#include <quik/json.hpp>
#include <quik/messages.hpp>
#include <quik/users.hpp>

#include "cli.hpp"

namespace quikctl {
namespace {

using nlohmann::json;

struct MessageFlags {
  std::string message;  // a message id
  std::string channel;  // pins --channel
  std::string emoji;    // react
  std::string as;
  bool remove = false;  // react --remove
};

std::vector<Column> PinColumns() {
  return {{"MESSAGE", "message_id"},
          {"CHANNEL", "channel_id"},
          {"PINNED BY", "pinned_by"},
          {"PINNED AT", "pinned_at"}};
}

std::vector<Column> EditColumns() {
  return {
      {"EDITED AT", "edited_at"}, {"EDITOR", "editor_id"}, {"PREVIOUS TEXT", "previous_text", 60}};
}

std::vector<Column> ReactedColumns() {
  return {
      {"ID", "id"}, {"CHANNEL", "channel_id"}, {"USER", "user_id"}, {"REACTIONS", "reactions", 60}};
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Remote: the API, after checking that --as (if given) is the token's user.
quik::Result<RemoteApi*> RemoteAs(Cli& cli, const std::string& as) {
  QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
  if (!as.empty()) {
    QUIK_ASSIGN_OR_RETURN(json me, api->Me());
    if (as != Str(me, "id") && Lower(as) != Lower(Str(me, "email"))) {
      return quik::PermissionDenied("--as " + as +
                                    ": with --server this acts as the token's user, " +
                                    Str(me, "email") + "; use a token of " + as + " instead");
    }
  }
  return api;
}

// Local: the service and the actor (the system, or --as).
struct Local {
  quik::Service* svc = nullptr;
  quik::Actor actor = quik::Actor::System();
};

quik::Result<Local> LocalAs(Cli& cli, const std::string& as) {
  Local local;
  QUIK_ASSIGN_OR_RETURN(local.svc, cli.OpenService());
  if (!as.empty()) {
    QUIK_ASSIGN_OR_RETURN(quik::User user, local.svc->users().Get(quik::Actor::System(), as));
    local.actor = quik::Actor::ForUser(user.id);
  }
  return local;
}

quik::Result<Printable> PinCmd(Cli& cli, const MessageFlags& f) {
  json pin;
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, RemoteAs(cli, f.as));
    QUIK_ASSIGN_OR_RETURN(pin, api->Post("/messages/" + Seg(f.message) + "/pin"));
  } else {
    QUIK_ASSIGN_OR_RETURN(Local local, LocalAs(cli, f.as));
    QUIK_ASSIGN_OR_RETURN(quik::Pin p, local.svc->messages().PinMessage(local.actor, f.message));
    pin = quik::ToJson(p);
  }
  Printable out = One(std::move(pin), PinColumns());
  out.quiet_lines = std::vector<std::string>{};
  return out;
}

quik::Result<Printable> UnpinCmd(Cli& cli, const MessageFlags& f) {
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, RemoteAs(cli, f.as));
    QUIK_RETURN_IF_ERROR(api->Delete("/messages/" + Seg(f.message) + "/pin"));
  } else {
    QUIK_ASSIGN_OR_RETURN(Local local, LocalAs(cli, f.as));
    QUIK_RETURN_IF_ERROR(local.svc->messages().UnpinMessage(local.actor, f.message));
  }
  return Done({{"message_id", f.message}, {"pinned", false}}, "unpinned " + f.message);
}

quik::Result<Printable> PinsCmd(Cli& cli, const MessageFlags& f) {
  json pins = json::array();
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, RemoteAs(cli, f.as));
    QUIK_ASSIGN_OR_RETURN(pins, api->List("/channels/" + Seg(f.channel) + "/pins"));
  } else {
    QUIK_ASSIGN_OR_RETURN(Local local, LocalAs(cli, f.as));
    QUIK_ASSIGN_OR_RETURN(auto list, local.svc->messages().ListPins(local.actor, f.channel));
    for (const quik::Pin& p : list) pins.push_back(quik::ToJson(p));
  }
  Printable out = Many(std::move(pins), PinColumns());
  out.quiet_lines = std::vector<std::string>{};
  for (const json& p : out.doc) out.quiet_lines->push_back(Str(p, "message_id"));
  return out;
}

quik::Result<Printable> EditsCmd(Cli& cli, const MessageFlags& f) {
  json edits = json::array();
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, RemoteAs(cli, f.as));
    QUIK_ASSIGN_OR_RETURN(edits, api->List("/messages/" + Seg(f.message) + "/edits"));
  } else {
    QUIK_ASSIGN_OR_RETURN(Local local, LocalAs(cli, f.as));
    QUIK_ASSIGN_OR_RETURN(auto list, local.svc->messages().ListEdits(local.actor, f.message));
    for (const quik::MessageEdit& e : list) edits.push_back(quik::ToJson(e));
  }
  Printable out = Many(std::move(edits), EditColumns());
  out.quiet_lines = std::vector<std::string>{};
  return out;
}

quik::Result<Printable> ReactCmd(Cli& cli, const MessageFlags& f) {
  json message;
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, RemoteAs(cli, f.as));
    const std::string path = "/messages/" + Seg(f.message) + "/reactions";
    if (f.remove) {
      // The server answers DELETE with the message, but RemoteApi::Delete
      // keeps only the status: fetch it again to show it.
      QUIK_RETURN_IF_ERROR(api->Delete(path + "/" + Seg(f.emoji)));
      QUIK_ASSIGN_OR_RETURN(message, api->Get("/messages/" + Seg(f.message)));
    } else {
      QUIK_ASSIGN_OR_RETURN(message, api->Post(path, {{"emoji", f.emoji}}));
    }
  } else {
    if (f.as.empty())
      return cli.Usage("message react needs --as U (who reacts) unless --server is given");
    QUIK_ASSIGN_OR_RETURN(Local local, LocalAs(cli, f.as));
    auto& messages = local.svc->messages();
    QUIK_ASSIGN_OR_RETURN(quik::Message m,
                          f.remove ? messages.RemoveReaction(local.actor, f.message, f.emoji)
                                   : messages.AddReaction(local.actor, f.message, f.emoji));
    message = quik::ToJson(m);
  }
  return One(std::move(message), ReactedColumns());
}

}  // namespace

void AddMessageCommands(CLI::App& app, Action* selected) {
  auto* group = app.add_subcommand(
      "message", "Pins, reactions and edit history of messages (MSG: a message id)");
  group->require_subcommand(1);
  const std::string as_help =
      "Act as this user (id or email); default: the system (the admin view). With --server "
      "it must be the token's user";

  auto pin = std::make_shared<MessageFlags>();
  auto* pin_cmd = group->add_subcommand("pin", "Pin a message to its channel");
  pin_cmd->add_option("MSG", pin->message, "Message id")->required();
  pin_cmd->add_option("--as", pin->as, as_help)->option_text("U");
  OnParsed(pin_cmd, selected, [pin](Cli& cli) { return PinCmd(cli, *pin); });

  auto unpin = std::make_shared<MessageFlags>();
  auto* unpin_cmd =
      group->add_subcommand("unpin", "Unpin a message (nothing happens if it is not pinned)");
  unpin_cmd->add_option("MSG", unpin->message, "Message id")->required();
  unpin_cmd->add_option("--as", unpin->as, as_help)->option_text("U");
  OnParsed(unpin_cmd, selected, [unpin](Cli& cli) { return UnpinCmd(cli, *unpin); });

  auto pins = std::make_shared<MessageFlags>();
  auto* pins_cmd = group->add_subcommand("pins", "List a channel's pins, newest first");
  pins_cmd->add_option("--channel", pins->channel, "Channel id or WORKSPACE/#NAME")
      ->option_text("C")
      ->required();
  pins_cmd->add_option("--as", pins->as, as_help)->option_text("U");
  OnParsed(pins_cmd, selected, [pins](Cli& cli) { return PinsCmd(cli, *pins); });

  auto edits = std::make_shared<MessageFlags>();
  auto* edits_cmd = group->add_subcommand(
      "edits", "Show a message's edit history, oldest first (the text each edit replaced)");
  edits_cmd->add_option("MSG", edits->message, "Message id")->required();
  edits_cmd->add_option("--as", edits->as, as_help)->option_text("U");
  OnParsed(edits_cmd, selected, [edits](Cli& cli) { return EditsCmd(cli, *edits); });

  auto react = std::make_shared<MessageFlags>();
  auto* react_cmd = group->add_subcommand(
      "react", "React to a message as a user (adding a reaction one has is a no-op)");
  react_cmd->add_option("MSG", react->message, "Message id")->required();
  react_cmd->add_option("EMOJI", react->emoji, "A short name (thumbsup, :+1:) or one Unicode emoji")
      ->required();
  react_cmd
      ->add_option("--as", react->as,
                   "Who reacts: user id or email (required, except with --server, where it "
                   "must be the token's user)")
      ->option_text("U");
  react_cmd->add_flag("--remove", react->remove, "Remove the reaction instead");
  OnParsed(react_cmd, selected, [react](Cli& cli) { return ReactCmd(cli, *react); });
}

}  // namespace quikctl
