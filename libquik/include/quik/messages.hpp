// SPDX-License-Identifier: MIT
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
#include <vector>

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
  // Files to share (quik/files.hpp), at most kMaxFilesPerMessage: each one the
  // poster uploaded to the channel's workspace, or one already shared in a
  // channel the poster can read. With files the text may be empty. Editing
  // a message keeps its files; deleting it unshares them.
  std::vector<std::string> file_ids = {};
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
  // Leaves a tombstone (text cleared, deleted_at set). The message's pin,
  // reactions and edit history go with its text.
  Result<Message> Delete(const Actor& actor, std::string_view message_id);

  // ---- Reactions (messages/reactions.cc) ----
  // Whoever may read a message may react to it, as themself (not the system).
  // `emoji`: a short name ("thumbsup", ":+1:"; stored lower-case without the
  // colons) or exactly one Unicode emoji. Returns the message with its
  // reactions. Adding a reaction one already has, or removing one one does
  // not have, changes nothing and writes no event.
  // Errors: kInvalidArgument for a malformed emoji, a deleted message, or a
  // message that already has kMaxReactionEmojis distinct emojis (and not this
  // one); kPermissionDenied in an archived channel; kNotFound if the actor
  // may not read the message.
  static constexpr int kMaxReactionEmojis = 50;
  Result<Message> AddReaction(const Actor& actor, std::string_view message_id,
                              std::string_view emoji);
  Result<Message> RemoveReaction(const Actor& actor, std::string_view message_id,
                                 std::string_view emoji);

  // ---- Pins (messages/pins.cc) ----
  // Channel members, workspace admins and the system may pin a channel's
  // messages (replies too); a reader who is none of those gets
  // kPermissionDenied, as does anyone in an archived channel. Pinning a pinned
  // message returns its pin unchanged; unpinning one that is not pinned does
  // nothing. Errors: kInvalidArgument for a deleted message or a channel that
  // already has kMaxPinsPerChannel pins; kNotFound if the actor may not read it.
  static constexpr int kMaxPinsPerChannel = 100;
  Result<Pin> PinMessage(const Actor& actor, std::string_view message_id);
  Status UnpinMessage(const Actor& actor, std::string_view message_id);
  // A channel's pins, newest pin first, each with its message (and reactions).
  Result<std::vector<Pin>> ListPins(const Actor& actor, std::string_view channel_ref);

  // ---- Edit history (messages/edits.cc) ----
  // Every edit of the message, oldest first, each with the text it replaced;
  // empty for a deleted message. Readable by the author, workspace admins and
  // the system: another reader gets kPermissionDenied, anyone else kNotFound.
  Result<std::vector<MessageEdit>> ListEdits(const Actor& actor, std::string_view message_id);

 private:
  internal::Context* ctx_;
};

}  // namespace quik
