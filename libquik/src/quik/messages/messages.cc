// SPDX-License-Identifier: MIT
#include "quik/messages.hpp"

#include <algorithm>

#include "authz/authz.hpp"
#include "common/ids.hpp"
#include "common/text.hpp"
#include "events/event_log.hpp"
#include "files/files_internal.hpp"
#include "messages/extras.hpp"
#include "messages/mentions.hpp"
#include "messages/threads.hpp"
#include "presence/presence_internal.hpp"
#include "service/context.hpp"

namespace quik {
namespace {

Status CheckWritable(const authz::ChannelAccess& access) {
  if (access.channel.archived) {
    return PermissionDenied("channel #" + access.channel.name + " is archived (read-only)");
  }
  return Status::Ok();
}

// A cursor, or a message id bounding a list.
Status CheckPageId(const std::string& id) {
  if (!id.empty() && !internal::LooksLikeId(id)) {
    return InvalidArgument("'" + id + "' is not a valid cursor or message id");
  }
  return Status::Ok();
}

// Lists fetch one message more than `limit`: if it came, there is a next
// page, starting after the last message kept.
void TrimPage(Page<Message>& page, int limit) {
  if (static_cast<int>(page.items.size()) > limit) {
    page.items.resize(static_cast<size_t>(limit));
    page.next_cursor = page.items.back().id;
  }
}

// Authors change their own messages; workspace admins anyone's.
Status CheckAuthorOrAdmin(const authz::Principal& who, const authz::MessageAccess& access) {
  if (who.system || access.message.user_id == who.user.id || access.channel.ws.is_admin()) {
    return Status::Ok();
  }
  return PermissionDenied("only the author or a workspace admin may change this message");
}

}  // namespace

namespace {

Status ValidateNewMessage(const internal::Context& ctx, const Actor& actor, const NewMessage& msg) {
  if (actor.is_system()) return InvalidArgument("a message is posted as a user (use --as)");
  // A message that shares files may have no text (a Slack file share).
  QUIK_RETURN_IF_ERROR(internal::CheckText(msg.text, ctx.options.limits.message_max_chars,
                                           "message text", !msg.file_ids.empty()));
  if (msg.file_ids.size() > 4 * kMaxFilesPerMessage) {
    return InvalidArgument("a message shares at most " + std::to_string(kMaxFilesPerMessage) +
                           " files");
  }
  if (msg.client_msg_id.size() > 128) return InvalidArgument("client_msg_id is over 128 bytes");
  if (msg.client_msg_id.find('\0') != std::string::npos) {
    return InvalidArgument("client_msg_id contains a NUL character");
  }
  return Status::Ok();
}

// Parses `m.text` into m.mentions and its flags. Returns who gets a mention
// row: those named, and with @here the channel's members online now; never
// the author.
Result<std::vector<std::string>> ResolveMentions(store::Tx& tx, internal::Context& ctx,
                                                 Message& m) {
  m.mentions.clear();
  m.mentions_channel = m.mentions_here = false;
  std::vector<std::string> rows;
  if (!messages::MayMention(m.text)) return rows;
  QUIK_ASSIGN_OR_RETURN(auto users, tx.ListWorkspaceUsers(m.workspace_id));
  std::vector<messages::Mentionable> members;
  members.reserve(users.size());
  for (auto& u : users) {
    if (u.active) members.push_back({std::move(u.id), std::move(u.name), std::move(u.email)});
  }
  messages::ParsedMentions parsed = messages::ParseMentions(m.text, members);
  m.mentions = parsed.user_ids;
  m.mentions_channel = parsed.channel;
  m.mentions_here = parsed.here;
  for (const auto& id : parsed.user_ids) {
    if (id != m.user_id) rows.push_back(id);
  }
  if (parsed.here) {
    QUIK_ASSIGN_OR_RETURN(auto channel_members, tx.ListChannelMembers(m.channel_id));
    std::vector<std::string> ids;
    for (auto& cm : channel_members) {
      if (cm.user_id != m.user_id) ids.push_back(std::move(cm.user_id));
    }
    QUIK_ASSIGN_OR_RETURN(auto online, presence::OnlineAmong(ctx, ids));
    for (auto& id : online) {
      if (std::find(rows.begin(), rows.end(), id) == rows.end()) rows.push_back(std::move(id));
    }
  }
  return rows;
}

// Adds (delta +1) or takes back (-1) the mentions of `m` in the counters of
// the people it mentions, in the channel (if shown there) and the thread.
// @channel counts for every channel member instead of rows, so its rows keep
// channel ordinal 0 and count only in the thread.
Status CountMentions(store::Tx& tx, const Message& m, const std::vector<std::string>& rows,
                     int delta) {
  if (delta > 0 && !rows.empty()) {
    Message row_view = m;
    if (m.mentions_channel) row_view.ordinal = 0;
    QUIK_RETURN_IF_ERROR(tx.InsertMentions(row_view, rows));
  }
  if (m.ordinal > 0) {
    if (m.mentions_channel) {
      QUIK_RETURN_IF_ERROR(tx.BumpAllChannelMentions(m.channel_id, m.user_id, m.ordinal, delta));
    } else {
      QUIK_RETURN_IF_ERROR(tx.BumpChannelMentions(m.channel_id, rows, m.ordinal, delta));
    }
  }
  if (m.reply_ordinal > 0) {
    QUIK_RETURN_IF_ERROR(tx.BumpThreadMentions(m.thread_root_id, rows, m.reply_ordinal, delta));
  }
  if (delta < 0) QUIK_RETURN_IF_ERROR(tx.DeleteMentions(m.id));
  return Status::Ok();
}

// A reply makes its author, the root's author and the channel members it or
// the root mentions follow the thread (explicit unfollows stay). The author
// has read up to their reply; the others have this reply unread.
Status FollowOnReply(store::Tx& tx, const Message& root, const Message& reply,
                     const std::vector<std::string>& rows) {
  std::vector<std::string> followers;
  auto add = [&](const std::string& id) {
    if (id != reply.user_id && std::find(followers.begin(), followers.end(), id) == followers.end())
      followers.push_back(id);
  };
  add(root.user_id);
  std::vector<std::string> mentioned = rows;
  mentioned.insert(mentioned.end(), root.mentions.begin(), root.mentions.end());
  for (const auto& id : mentioned) {
    QUIK_ASSIGN_OR_RETURN(bool member, tx.IsChannelMember(reply.channel_id, id));
    if (member) add(id);
  }
  QUIK_RETURN_IF_ERROR(
      tx.AutoFollowThread(root.id, reply.channel_id, followers, reply.reply_ordinal - 1));
  QUIK_RETURN_IF_ERROR(
      tx.AutoFollowThread(root.id, reply.channel_id, {reply.user_id}, reply.reply_ordinal));
  return tx.SetThreadRead(root.id, reply.channel_id, reply.user_id, reply.id, reply.reply_ordinal);
}

// The write of a post, inside the group-committed transaction.
Status PostInTx(store::Tx& tx, internal::Context& ctx, const Actor& actor,
                std::string_view channel_ref, const NewMessage& msg, Posted& out) {
  QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
  QUIK_ASSIGN_OR_RETURN(auto access, authz::ChannelFor(tx, who, channel_ref));
  const Channel& ch = access.channel;
  if (!msg.client_msg_id.empty()) {
    QUIK_ASSIGN_OR_RETURN(auto first,
                          tx.GetMessageByClientId(ch.id, who.user.id, msg.client_msg_id));
    if (first) {
      out.message = std::move(*first);
      out.created = false;
      return internal::LoadDecorations(tx, {&out.message, 1});
    }
  }
  QUIK_RETURN_IF_ERROR(CheckWritable(access));
  Timestamp now = tx.Now();
  if (!access.is_member) {
    // Posting in a public channel joins it (Slack's chat:write.public).
    ChannelMember m{ch.id, who.user.id, now, "", ""};
    QUIK_RETURN_IF_ERROR(tx.InsertChannelMember(m));
    QUIK_RETURN_IF_ERROR(events::Append(tx, "member.joined", who.user.id, m, ch.workspace_id));
  }
  Message& m = out.message;
  m.id = internal::NewId(now);
  m.channel_id = ch.id;
  m.workspace_id = ch.workspace_id;
  m.user_id = who.user.id;
  m.text = msg.text;
  m.client_msg_id = msg.client_msg_id;
  m.created_at = now;
  std::optional<Message> root;
  if (!msg.thread_root_id.empty()) {
    QUIK_ASSIGN_OR_RETURN(root, internal::FindThreadRoot(tx, ch.id, msg.thread_root_id));
    QUIK_RETURN_IF_ERROR(internal::AddThreadReply(tx, *root, m));
    m.reply_broadcast = msg.reply_broadcast;
  } else if (msg.reply_broadcast) {
    return InvalidArgument("reply_broadcast needs a thread_root_id");
  }
  if (m.thread_root_id.empty() || m.reply_broadcast) {
    QUIK_ASSIGN_OR_RETURN(m.ordinal, tx.NextChannelOrdinal(ch.id));
  }
  if (!msg.file_ids.empty()) {
    QUIK_ASSIGN_OR_RETURN(m.files, internal::AttachableFiles(tx, who, ch, msg.file_ids));
    for (const File& f : m.files) m.file_ids.push_back(f.id);
  }
  QUIK_ASSIGN_OR_RETURN(auto mentioned, ResolveMentions(tx, ctx, m));
  QUIK_RETURN_IF_ERROR(tx.InsertMessage(m));
  QUIK_RETURN_IF_ERROR(tx.InsertMessageFiles(m.id, m.file_ids));
  // Posting marks the channel (and the thread) read up to the new message.
  if (root) QUIK_RETURN_IF_ERROR(FollowOnReply(tx, *root, m, mentioned));
  QUIK_RETURN_IF_ERROR(CountMentions(tx, m, mentioned, +1));
  if (m.ordinal > 0) {
    QUIK_RETURN_IF_ERROR(tx.SetChannelReadToEnd(ch.id, m.user_id, m.id, m.ordinal));
  }
  QUIK_RETURN_IF_ERROR(events::Append(tx, "message.posted", who.user.id, m));
  out.created = true;
  return Status::Ok();
}

}  // namespace

Result<Posted> MessageService::Post(const Actor& actor, std::string_view channel_ref,
                                    const NewMessage& msg) {
  QUIK_RETURN_IF_ERROR(ValidateNewMessage(*ctx_, actor, msg));
  return ctx_->WriteResult<Posted>([&](store::Tx& tx, Posted& out) {
    return PostInTx(tx, *ctx_, actor, channel_ref, msg, out);
  });
}

void MessageService::PostAsync(const Actor& actor, std::string_view channel_ref,
                               const NewMessage& msg, PostDone done) {
  if (Status st = ValidateNewMessage(*ctx_, actor, msg); !st.ok()) {
    done(st);
    return;
  }
  struct Pending {
    Actor actor;
    std::string channel_ref;
    NewMessage msg;
    Posted out;
  };
  auto pending = std::make_shared<Pending>(Pending{actor, std::string(channel_ref), msg, {}});
  ctx_->store->WriteAsync(
      [pending, ctx = ctx_](store::Tx& tx) {
        return PostInTx(tx, *ctx, pending->actor, pending->channel_ref, pending->msg, pending->out);
      },
      [pending, done = std::move(done)](Status st) {
        if (st.ok()) {
          done(std::move(pending->out));
        } else {
          done(std::move(st));
        }
      });
}

Result<Message> MessageService::Get(const Actor& actor, std::string_view message_id) {
  return ctx_->ReadResult<Message>([&](store::Tx& tx, Message& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::MessageFor(tx, who, message_id));
    out = std::move(access.message);
    return internal::LoadDecorations(tx, {&out, 1});
  });
}

Result<Page<Message>> MessageService::List(const Actor& actor, std::string_view channel_ref,
                                           const ListMessagesRequest& request) {
  int limit = std::clamp(request.limit, 1, ctx_->options.limits.page_max);
  for (const std::string* id : {&request.cursor, &request.before, &request.after}) {
    QUIK_RETURN_IF_ERROR(CheckPageId(*id));
  }
  store::MessageQuery q;
  q.limit = limit + 1;
  q.below_id = request.cursor;
  if (!request.before.empty() && (q.below_id.empty() || request.before < q.below_id)) {
    q.below_id = request.before;
  }
  q.above_id = request.after;
  return ctx_->ReadResult<Page<Message>>([&](store::Tx& tx, Page<Message>& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::ChannelFor(tx, who, channel_ref));
    q.channel_id = access.channel.id;
    QUIK_ASSIGN_OR_RETURN(out.items, tx.ListMessages(q));
    TrimPage(out, limit);
    return internal::LoadDecorations(tx, out.items);
  });
}

Result<Page<Message>> MessageService::ListReplies(const Actor& actor, std::string_view message_id,
                                                  const PageRequest& page) {
  int limit = std::clamp(page.limit, 1, ctx_->options.limits.page_max);
  QUIK_RETURN_IF_ERROR(CheckPageId(page.cursor));
  return ctx_->ReadResult<Page<Message>>([&](store::Tx& tx, Page<Message>& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::MessageFor(tx, who, message_id));
    const Message& root = access.message;
    if (!root.thread_root_id.empty()) {
      return InvalidArgument("message " + root.id + " is a reply, not a thread root; its root is " +
                             root.thread_root_id);
    }
    QUIK_ASSIGN_OR_RETURN(out.items,
                          tx.ListReplies(root.channel_id, root.id, page.cursor, limit + 1));
    TrimPage(out, limit);
    return internal::LoadDecorations(tx, out.items);
  });
}

Result<Message> MessageService::Edit(const Actor& actor, std::string_view message_id,
                                     std::string_view text) {
  QUIK_RETURN_IF_ERROR(
      internal::CheckText(text, ctx_->options.limits.message_max_chars, "message text"));
  return ctx_->WriteResult<Message>([&](store::Tx& tx, Message& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::MessageFor(tx, who, message_id));
    QUIK_RETURN_IF_ERROR(CheckAuthorOrAdmin(who, access));
    QUIK_RETURN_IF_ERROR(CheckWritable(access.channel));
    if (access.message.deleted_at != 0) return InvalidArgument("the message was deleted");
    out = std::move(access.message);
    QUIK_ASSIGN_OR_RETURN(auto old_rows, tx.ListMentionRows(out.id));
    QUIK_RETURN_IF_ERROR(CountMentions(tx, out, old_rows, -1));
    QUIK_RETURN_IF_ERROR(internal::RecordEdit(tx, actor, out));  // edit history (edits.cc)
    out.text = text;
    out.edited_at = tx.Now();
    QUIK_ASSIGN_OR_RETURN(auto rows, ResolveMentions(tx, *ctx_, out));
    QUIK_RETURN_IF_ERROR(tx.UpdateMessage(out));
    QUIK_RETURN_IF_ERROR(CountMentions(tx, out, rows, +1));
    // An edit keeps the files and reactions.
    QUIK_RETURN_IF_ERROR(internal::LoadDecorations(tx, {&out, 1}));
    // The log and the queues keep no earlier text (messages/supersede.cc).
    QUIK_RETURN_IF_ERROR(internal::SupersedeEarlierTexts(tx, out));
    return events::Append(tx, "message.edited", actor.user_id(), out);
  });
}

Result<Message> MessageService::Delete(const Actor& actor, std::string_view message_id) {
  return ctx_->WriteResult<Message>([&](store::Tx& tx, Message& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::MessageFor(tx, who, message_id));
    QUIK_RETURN_IF_ERROR(CheckAuthorOrAdmin(who, access));
    out = std::move(access.message);
    if (out.deleted_at != 0) return Status::Ok();
    QUIK_RETURN_IF_ERROR(CheckWritable(access.channel));
    // Take the message out of every count: mentions, unread, its thread.
    QUIK_ASSIGN_OR_RETURN(auto rows, tx.ListMentionRows(out.id));
    QUIK_RETURN_IF_ERROR(CountMentions(tx, out, rows, -1));
    if (out.ordinal > 0) QUIK_RETURN_IF_ERROR(tx.AdjustChannelDeleted(out.channel_id, out.ordinal));
    if (!out.thread_root_id.empty()) {
      QUIK_RETURN_IF_ERROR(tx.AdjustThreadDeleted(out.thread_root_id, out.reply_ordinal));
      QUIK_ASSIGN_OR_RETURN(auto root, tx.GetMessage(out.thread_root_id));
      if (root && root->reply_count > 0) {
        root->reply_count--;
        QUIK_RETURN_IF_ERROR(tx.UpdateMessage(*root));
      }
    }
    out.text.clear();
    out.mentions.clear();
    out.mentions_channel = out.mentions_here = false;
    out.deleted_at = tx.Now();
    QUIK_RETURN_IF_ERROR(tx.UpdateMessage(out));
    QUIK_RETURN_IF_ERROR(internal::OnMessageDeleted(tx, actor, out));  // unpin, purge (pins.cc)
    // Its files are unshared: others lose access, GC may collect them.
    QUIK_RETURN_IF_ERROR(tx.DeleteMessageFiles(out.id));
    // Nor any text or file of it: its earlier events become the tombstone.
    QUIK_RETURN_IF_ERROR(internal::SupersedeEarlierTexts(tx, out));
    return events::Append(tx, "message.deleted", actor.user_id(), out);
  });
}

namespace internal {

Result<Message> FindThreadRoot(store::Tx& tx, std::string_view channel_id,
                               std::string_view root_id) {
  std::optional<Message> root;
  if (internal::LooksLikeId(root_id)) {
    QUIK_ASSIGN_OR_RETURN(root, tx.GetMessage(root_id));
  }
  if (!root || root->channel_id != channel_id) {
    return InvalidArgument("thread_root_id '" + std::string(root_id) +
                           "' is not a message of this channel");
  }
  // A reply to a reply belongs to the root's thread.
  if (!root->thread_root_id.empty()) {
    QUIK_ASSIGN_OR_RETURN(root, tx.GetMessage(root->thread_root_id));
    if (!root) return Internal("thread root of a reply is missing");
  }
  return std::move(*root);
}

Status AddThreadReply(store::Tx& tx, Message& root, Message& reply) {
  root.reply_count++;
  root.reply_seq++;
  root.last_reply_at = std::max(root.last_reply_at, reply.created_at);
  if (std::find(root.reply_users.begin(), root.reply_users.end(), reply.user_id) ==
      root.reply_users.end()) {
    root.reply_users.push_back(reply.user_id);
  }
  QUIK_RETURN_IF_ERROR(tx.UpdateMessage(root));
  reply.thread_root_id = root.id;
  reply.reply_ordinal = root.reply_seq;
  return Status::Ok();
}

Status LoadDecorations(store::Tx& tx, std::span<Message> messages) {
  QUIK_RETURN_IF_ERROR(tx.LoadFiles(messages));
  return tx.LoadReactions(messages);
}

}  // namespace internal
}  // namespace quik
