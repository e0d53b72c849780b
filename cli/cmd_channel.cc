// SPDX-License-Identifier: MIT
// quikctl channel create | list | show | members | archive | add-member | remove-member.
//
// Remote: POST /workspaces/{W}/channels (the token's user becomes a member),
// GET /workspaces/{W}/channels?include_archived=true (what that user may see),
// GET /channels/{C}, GET /channels/{C}/members, POST /channels/{C}/archive,
// POST /channels/{C}/members, DELETE /channels/{C}/members/{U}.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <quik/actor.hpp>
#include <quik/channels.hpp>
#include <quik/json.hpp>
#include <quik/users.hpp>

#include "cli.hpp"

namespace quikctl {
namespace {

using nlohmann::json;

const quik::Actor kSystem = quik::Actor::System();

struct CreateFlags {
  std::string workspace;
  std::string name;
  bool is_private = false;
  std::string topic;
};

quik::Result<Printable> Create(Cli& cli, const CreateFlags& flags) {
  json channel;
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    json body = {{"name", flags.name}, {"private", flags.is_private}};
    if (!flags.topic.empty()) body["topic"] = flags.topic;
    QUIK_ASSIGN_OR_RETURN(channel,
                          api->Post("/workspaces/" + Seg(flags.workspace) + "/channels", body));
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    quik::NewChannel spec;
    spec.name = flags.name;
    spec.is_private = flags.is_private;
    spec.topic = flags.topic;
    QUIK_ASSIGN_OR_RETURN(quik::Channel created,
                          svc->channels().Create(kSystem, flags.workspace, spec));
    channel = quik::ToJson(created);
  }
  return One(std::move(channel), ChannelColumns());
}

quik::Result<Printable> List(Cli& cli, const std::string& workspace) {
  json array = json::array();
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    QUIK_ASSIGN_OR_RETURN(
        array, api->List("/workspaces/" + Seg(workspace) + "/channels?include_archived=true"));
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    quik::ListChannelsRequest request;
    request.include_archived = true;  // the admin view
    QUIK_ASSIGN_OR_RETURN(auto channels, svc->channels().List(kSystem, workspace, request));
    for (const auto& c : channels) array.push_back(quik::ToJson(c));
  }
  return Many(std::move(array), ChannelColumns());
}

quik::Result<json> GetChannel(Cli& cli, const std::string& ref) {
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    return api->Get("/channels/" + Seg(ref));
  }
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  QUIK_ASSIGN_OR_RETURN(quik::Channel channel, svc->channels().Get(kSystem, ref));
  return quik::ToJson(channel);
}

quik::Result<Printable> Show(Cli& cli, const std::string& ref) {
  QUIK_ASSIGN_OR_RETURN(json channel, GetChannel(cli, ref));
  return One(std::move(channel), ChannelColumns());
}

quik::Result<json> ListMembers(Cli& cli, const std::string& ref) {
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    return api->List("/channels/" + Seg(ref) + "/members");
  }
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  QUIK_ASSIGN_OR_RETURN(auto members, svc->channels().ListMembers(kSystem, ref));
  json array = json::array();
  for (const auto& m : members) array.push_back(quik::ToJson(m));
  return array;
}

quik::Result<Printable> Members(Cli& cli, const std::string& ref) {
  QUIK_ASSIGN_OR_RETURN(json members, ListMembers(cli, ref));
  Printable p = Many(std::move(members), ChannelMemberColumns());
  p.quiet_lines = std::vector<std::string>{};
  for (const auto& m : p.doc) p.quiet_lines->push_back(Str(m, "user_id"));
  return p;
}

quik::Result<Printable> Archive(Cli& cli, const std::string& ref) {
  json channel;
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    QUIK_ASSIGN_OR_RETURN(channel, api->Post("/channels/" + Seg(ref) + "/archive"));
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    QUIK_ASSIGN_OR_RETURN(quik::Channel archived, svc->channels().Archive(kSystem, ref));
    channel = quik::ToJson(archived);
  }
  return One(std::move(channel), ChannelColumns());
}

struct MemberFlags {
  std::string channel;
  std::string user;
};

quik::Result<Printable> AddMember(Cli& cli, const MemberFlags& flags) {
  QUIK_ASSIGN_OR_RETURN(json channel, GetChannel(cli, flags.channel));
  QUIK_ASSIGN_OR_RETURN(json user, GetUser(cli, flags.user));
  std::string channel_id = Str(channel, "id"), user_id = Str(user, "id");
  quik::ChannelMember fallback;
  fallback.channel_id = channel_id;
  fallback.user_id = user_id;
  fallback.email = Str(user, "email");
  fallback.name = Str(user, "name");
  json shown = quik::ToJson(fallback);
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    QUIK_ASSIGN_OR_RETURN(
        json added, api->Post("/channels/" + Seg(channel_id) + "/members", {{"user", user_id}}));
    if (Str(added, "user_id") == user_id) shown = std::move(added);
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    QUIK_RETURN_IF_ERROR(svc->channels().AddMember(kSystem, channel_id, user_id));
  }
  // Show the membership as the channel now lists it.
  auto members = ListMembers(cli, channel_id);
  if (members.ok()) {
    for (const json& m : *members) {
      if (Str(m, "user_id") == user_id) shown = m;
    }
  }
  Printable p = One(std::move(shown), ChannelMemberColumns());
  p.quiet_lines = std::vector<std::string>{};
  return p;
}

quik::Result<Printable> RemoveMember(Cli& cli, const MemberFlags& flags) {
  QUIK_ASSIGN_OR_RETURN(json channel, GetChannel(cli, flags.channel));
  QUIK_ASSIGN_OR_RETURN(json user, GetUser(cli, flags.user));
  std::string channel_id = Str(channel, "id"), user_id = Str(user, "id");
  if (cli.remote()) {
    QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
    QUIK_RETURN_IF_ERROR(api->Delete("/channels/" + Seg(channel_id) + "/members/" + Seg(user_id)));
  } else {
    QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
    QUIK_RETURN_IF_ERROR(svc->channels().RemoveMember(kSystem, channel_id, user_id));
  }
  return Done({{"channel_id", channel_id}, {"user_id", user_id}, {"removed", true}},
              "removed " + Str(user, "email") + " from #" + Str(channel, "name"));
}

}  // namespace

void AddChannelCommands(CLI::App& app, Action* selected) {
  auto* group = app.add_subcommand(
      "channel", "Manage channels (C: id or WORKSPACE/#NAME, e.g. acme/#general)");
  group->require_subcommand(1);

  auto cf = std::make_shared<CreateFlags>();
  auto* create = group->add_subcommand("create", "Create a channel in a workspace");
  create->add_option("NAME", cf->name, "Channel name: [a-z0-9-_], unique in the workspace")
      ->required();
  create->add_option("--workspace", cf->workspace, "Workspace id or slug")
      ->option_text("W")
      ->required();
  create->add_flag("--private", cf->is_private, "Make the channel private (members only)");
  create->add_option("--topic", cf->topic, "Channel topic")->option_text("T");
  OnParsed(create, selected, [cf](Cli& cli) { return Create(cli, *cf); });

  auto list_ws = std::make_shared<std::string>();
  auto* list = group->add_subcommand(
      "list",
      "List a workspace's channels: public, private and archived (the admin view; with "
      "--server: those the token's user may see, archived included)");
  list->add_option("--workspace", *list_ws, "Workspace id or slug")->option_text("W")->required();
  OnParsed(list, selected, [list_ws](Cli& cli) { return List(cli, *list_ws); });

  auto show_ref = std::make_shared<std::string>();
  auto* show = group->add_subcommand("show", "Show one channel");
  show->add_option("C", *show_ref, "Channel id or WORKSPACE/#NAME")->required();
  OnParsed(show, selected, [show_ref](Cli& cli) { return Show(cli, *show_ref); });

  auto members_ref = std::make_shared<std::string>();
  auto* members = group->add_subcommand("members", "List a channel's members");
  members->add_option("C", *members_ref, "Channel id or WORKSPACE/#NAME")->required();
  OnParsed(members, selected, [members_ref](Cli& cli) { return Members(cli, *members_ref); });

  auto archive_ref = std::make_shared<std::string>();
  auto* archive = group->add_subcommand("archive", "Archive a channel (it becomes read-only)");
  archive->add_option("C", *archive_ref, "Channel id or WORKSPACE/#NAME")->required();
  OnParsed(archive, selected, [archive_ref](Cli& cli) { return Archive(cli, *archive_ref); });

  auto add_flags = std::make_shared<MemberFlags>();
  auto* add = group->add_subcommand("add-member", "Add a workspace member to a channel");
  add->add_option("C", add_flags->channel, "Channel id or WORKSPACE/#NAME")->required();
  add->add_option("U", add_flags->user, "User id or email")->required();
  OnParsed(add, selected, [add_flags](Cli& cli) { return AddMember(cli, *add_flags); });

  auto remove_flags = std::make_shared<MemberFlags>();
  auto* remove = group->add_subcommand("remove-member", "Remove a user from a channel");
  remove->add_option("C", remove_flags->channel, "Channel id or WORKSPACE/#NAME")->required();
  remove->add_option("U", remove_flags->user, "User id or email")->required();
  OnParsed(remove, selected, [remove_flags](Cli& cli) { return RemoveMember(cli, *remove_flags); });
}

}  // namespace quikctl
