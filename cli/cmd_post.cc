// quikctl post: post a message as a user (scripts, CI notifications).
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

quik::Result<Printable> Post(Cli& cli, const PostFlags& flags) {
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
  post->add_option("--as", flags->as, "The author: user id or email")->option_text("U")->required();
  post->add_option("--thread", flags->thread, "Reply in the thread of this message id")
      ->option_text("ID");
  post->add_option("TEXT", flags->text, "The message text")->required();
  OnParsed(post, selected, [flags](Cli& cli) { return Post(cli, *flags); });
}

}  // namespace quikctl
