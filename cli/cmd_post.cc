// SPDX-License-Identifier: MIT
// quikctl post: post a message as a user (scripts, CI notifications).
//
// Remote: POST /channels/{C}/messages as the token's user; --as may be left
// out and, if given, must name that user.
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

struct PostFlags {
  std::string channel;
  std::string as;
  std::string thread;
  std::string text;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

quik::Result<Printable> PostRemote(Cli& cli, const PostFlags& flags) {
  QUIK_ASSIGN_OR_RETURN(RemoteApi * api, cli.Api());
  if (!flags.as.empty()) {
    QUIK_ASSIGN_OR_RETURN(nlohmann::json me, api->Me());
    if (flags.as != Str(me, "id") && Lower(flags.as) != Lower(Str(me, "email"))) {
      return quik::PermissionDenied("--as " + flags.as +
                                    ": with --server a message is posted as "
                                    "the token's user, " +
                                    Str(me, "email") + "; use a token of " + flags.as + " instead");
    }
  }
  nlohmann::json body = {{"text", flags.text}};
  if (!flags.thread.empty()) body["thread_root_id"] = flags.thread;
  QUIK_ASSIGN_OR_RETURN(nlohmann::json message,
                        api->Post("/channels/" + Seg(flags.channel) + "/messages", body));
  return One(std::move(message), MessageColumns());
}

quik::Result<Printable> Post(Cli& cli, const PostFlags& flags) {
  if (cli.remote()) return PostRemote(cli, flags);
  if (flags.as.empty()) {
    return cli.Usage("post needs --as U (the author) unless --server is given");
  }
  QUIK_ASSIGN_OR_RETURN(quik::Service * svc, cli.OpenService());
  QUIK_ASSIGN_OR_RETURN(quik::User user, svc->users().Get(quik::Actor::System(), flags.as));
  quik::NewMessage message;
  message.text = flags.text;
  message.thread_root_id = flags.thread;
  // A message is always posted as a user, with that user's permissions.
  QUIK_ASSIGN_OR_RETURN(quik::Posted posted, svc->messages().Post(quik::Actor::ForUser(user.id),
                                                                  flags.channel, message));
  return One(quik::ToJson(posted.message), MessageColumns());
}

}  // namespace

void AddPostCommand(CLI::App& app, Action* selected) {
  auto flags = std::make_shared<PostFlags>();
  auto* post = app.add_subcommand("post", "Post a message to a channel as a user");
  post->add_option("--channel", flags->channel, "Channel id or WORKSPACE/#NAME")
      ->option_text("C")
      ->required();
  post->add_option("--as", flags->as,
                   "The author: user id or email (required, except with --server, where it "
                   "must be the token's user)")
      ->option_text("U");
  post->add_option("--thread", flags->thread, "Reply in the thread of this message id")
      ->option_text("ID");
  post->add_option("TEXT", flags->text, "The message text")->required();
  OnParsed(post, selected, [flags](Cli& cli) { return Post(cli, *flags); });
}

}  // namespace quikctl
