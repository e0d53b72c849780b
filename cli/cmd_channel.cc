// quikctl channel create | list | show | members | archive | add-member | remove-member.
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

const quik::Actor kSystem = quik::Actor::System();

struct CreateFlags {
  std::string workspace;
  std::string name;
  bool is_private = false;
  std::string topic;
};

quik::Result<Printable> Create(Cli& cli, const CreateFlags& flags) {
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  quik::NewChannel spec;
  spec.name = flags.name;
  spec.is_private = flags.is_private;
  spec.topic = flags.topic;
  QUIK_ASSIGN_OR_RETURN(quik::Channel channel,
                        svc->channels().Create(kSystem, flags.workspace, spec));
  return One(quik::ToJson(channel), ChannelColumns());
}

quik::Result<Printable> List(Cli& cli, const std::string& workspace) {
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  quik::ListChannelsRequest request;
  request.include_archived = true;  // the admin view
  QUIK_ASSIGN_OR_RETURN(auto channels, svc->channels().List(kSystem, workspace, request));
  nlohmann::json array = nlohmann::json::array();
  for (const auto& c : channels) array.push_back(quik::ToJson(c));
  return Many(std::move(array), ChannelColumns());
}

quik::Result<Printable> Show(Cli& cli, const std::string& ref) {
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  QUIK_ASSIGN_OR_RETURN(quik::Channel channel, svc->channels().Get(kSystem, ref));
  return One(quik::ToJson(channel), ChannelColumns());
}

nlohmann::json MembersJson(const std::vector<quik::ChannelMember>& members) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& m : members) array.push_back(quik::ToJson(m));
  return array;
}

quik::Result<Printable> Members(Cli& cli, const std::string& ref) {
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  QUIK_ASSIGN_OR_RETURN(auto members, svc->channels().ListMembers(kSystem, ref));
  Printable p = Many(MembersJson(members), ChannelMemberColumns());
  p.quiet_lines = std::vector<std::string>{};
  for (const auto& m : members) p.quiet_lines->push_back(m.user_id);
  return p;
}

quik::Result<Printable> Archive(Cli& cli, const std::string& ref) {
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  QUIK_ASSIGN_OR_RETURN(quik::Channel channel, svc->channels().Archive(kSystem, ref));
  return One(quik::ToJson(channel), ChannelColumns());
}

struct MemberFlags {
  std::string channel;
  std::string user;
};

quik::Result<Printable> AddMember(Cli& cli, const MemberFlags& flags) {
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  QUIK_ASSIGN_OR_RETURN(quik::Channel channel, svc->channels().Get(kSystem, flags.channel));
  QUIK_ASSIGN_OR_RETURN(quik::User user, svc->users().Get(kSystem, flags.user));
  QUIK_RETURN_IF_ERROR(svc->channels().AddMember(kSystem, channel.id, user.id));
  // Show the membership as the channel now lists it.
  quik::ChannelMember shown;
  shown.channel_id = channel.id;
  shown.user_id = user.id;
  shown.email = user.email;
  shown.name = user.name;
  auto members = svc->channels().ListMembers(kSystem, channel.id);
  if (members.ok()) {
    for (const auto& m : *members) {
      if (m.user_id == user.id) shown = m;
    }
  }
  Printable p = One(quik::ToJson(shown), ChannelMemberColumns());
  p.quiet_lines = std::vector<std::string>{};
  return p;
}

quik::Result<Printable> RemoveMember(Cli& cli, const MemberFlags& flags) {
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  QUIK_ASSIGN_OR_RETURN(quik::Channel channel, svc->channels().Get(kSystem, flags.channel));
  QUIK_ASSIGN_OR_RETURN(quik::User user, svc->users().Get(kSystem, flags.user));
  QUIK_RETURN_IF_ERROR(svc->channels().RemoveMember(kSystem, channel.id, user.id));
  return Done({{"channel_id", channel.id}, {"user_id", user.id}, {"removed", true}},
              "removed " + user.email + " from #" + channel.name);
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
      "list", "List a workspace's channels: public, private and archived (the admin view)");
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
