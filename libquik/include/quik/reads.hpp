// SPDX-License-Identifier: MIT
// quik::ReadStateService: where each user is in their channels and in the
// threads they follow, and the unread badges that follow from it.
//
// Counts come from counters kept as messages are posted, deleted and read
// (positions in the channel and in each thread, mention counters), never from
// counting messages when asked: ListUnreads costs one row per channel and per
// followed thread.
//
// Rules:
// - A channel's unread messages are those shown in it (top-level ones and
//   replies also sent to the channel) after the member's last-read message,
//   deleted ones excepted. A thread's are its replies after the last-read one.
// - A mention is a message after the read point that names the user
//   (@name, <@ID>), is an @channel, or an @here while they were online.
//   A thread's mention count counts named and @here mentions in its replies.
// - Posting marks the channel (and, for a reply, the thread) read up to the
//   new message. Joining a channel starts with nothing unread.
// - Users follow the threads they start (once replied to), reply to or are
//   mentioned in (if they are in the channel), and may unfollow; an explicit
//   unfollow sticks until an explicit follow.
// - MarkRead may move the read point back (Slack's "mark unread").
// - Only members of a channel have read state in it (kInvalidArgument for a
//   reader of a public channel who has not joined it); anyone who may not
//   read the channel gets kNotFound.
//
// Every change of read state or follow is a personal event (read.updated,
// thread.followed, thread.unfollowed) that only the user receives.
//
// Thread safety: all methods may be called from any thread concurrently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "quik/actor.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"

namespace quik {
namespace internal {
struct Context;
}

struct Unreads {
  std::vector<ReadState> channels;  // every channel of the workspace the user is in, by name
  std::vector<ReadState> threads;   // followed threads in those channels, latest reply first
};

class ReadStateService {
 public:
  explicit ReadStateService(internal::Context* ctx) : ctx_(ctx) {}

  // The channel is read up to `message_id`, a message shown in it (a reply
  // only in its thread is kInvalidArgument: use MarkThreadRead).
  Result<ReadState> MarkRead(const Actor& actor, std::string_view channel_ref,
                             std::string_view message_id);
  // Thread `root_id` is read up to reply `message_id` ("" or the root itself:
  // every reply so far).
  Result<ReadState> MarkThreadRead(const Actor& actor, std::string_view root_id,
                                   std::string_view message_id = "");
  Result<Unreads> ListUnreads(const Actor& actor, std::string_view ws_ref);

  // Follow or unfollow thread `root_id` (a thread root of a channel the actor
  // is in). Following marks the thread read so far for a new follower.
  Result<ReadState> FollowThread(const Actor& actor, std::string_view root_id);
  Result<ReadState> UnfollowThread(const Actor& actor, std::string_view root_id);

 private:
  internal::Context* ctx_;
};

}  // namespace quik
