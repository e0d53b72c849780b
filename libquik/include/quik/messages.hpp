// quik::MessageService: posting, reading, editing and deleting messages.
//
// Rules: whoever may read a channel may post in it (a non-guest posting in a
// public channel joins it); archived channels are read-only; editing or
// deleting another's message needs workspace admin rights.
//
// Thread safety: all methods may be called from any thread concurrently;
// concurrent posts share one transaction and one sync (group commit).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "quik/actor.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"

namespace quik {
namespace internal {
struct Context;
}

struct NewMessage {
  std::string text;           // 1..limits.message_max_chars code points, valid UTF-8
  std::string client_msg_id;  // optional idempotency key, per author and channel
  // Optional: post as a reply in this message's thread. It must be a message
  // of the same channel (kInvalidArgument otherwise); a reply to a reply joins
  // its root's thread.
  std::string thread_root_id;
  // A reply that is also shown in the channel (needs thread_root_id).
  bool reply_broadcast = false;
};

struct Posted {
  Message message;
  bool created = true;  // false: a repeat of client_msg_id returned the first message
};

struct ListMessagesRequest {
  int limit = 50;
  std::string cursor;  // from Page::next_cursor
  std::string before;  // a message id: only older messages
  std::string after;   // a message id: only newer messages
};

class MessageService {
 public:
  explicit MessageService(internal::Context* ctx) : ctx_(ctx) {}

  // `channel_ref`: id or "workspace/#name". Returns once durable.
  Result<Posted> Post(const Actor& actor, std::string_view channel_ref, const NewMessage& msg);

  // Post without blocking: returns at once, and `done` receives the result once
  // it is durable (or failed). Concurrent posts share commits exactly as with
  // Post. Threading: `done` runs on whichever thread leads the group commit,
  // which may be the caller's own before PostAsync returns; never under a
  // library lock. It must not block, and must not call a write method itself
  // (hand further work to your own executor).
  using PostDone = std::function<void(Result<Posted>)>;
  void PostAsync(const Actor& actor, std::string_view channel_ref, const NewMessage& msg,
                 PostDone done);
  Result<Message> Get(const Actor& actor, std::string_view message_id);
  // Newest first; top-level messages only.
  Result<Page<Message>> List(const Actor& actor, std::string_view channel_ref,
                             const ListMessagesRequest& request = {});
  // The replies of thread root `message_id`, oldest first, paged like List
  // (page.cursor: a previous Page::next_cursor). Deleted replies are left out;
  // a deleted root's other replies stay listed.
  // Errors: kNotFound if the actor may not read the message (or there is no
  // such message); kInvalidArgument if it is itself a reply (the message
  // names its root) or the cursor is malformed.
  Result<Page<Message>> ListReplies(const Actor& actor, std::string_view message_id,
                                    const PageRequest& page = {});
  Result<Message> Edit(const Actor& actor, std::string_view message_id, std::string_view text);
  // Leaves a tombstone (text cleared, deleted_at set).
  Result<Message> Delete(const Actor& actor, std::string_view message_id);

 private:
  internal::Context* ctx_;
};

}  // namespace quik
