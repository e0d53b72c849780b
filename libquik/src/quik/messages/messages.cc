#include "quik/messages.hpp"

#include <algorithm>

#include "authz/authz.hpp"
#include "common/ids.hpp"
#include "common/text.hpp"
#include "events/event_log.hpp"
#include "messages/extras.hpp"
#include "service/context.hpp"

namespace quik {
namespace {

Status CheckWritable(const authz::ChannelAccess& access) {
  if (access.channel.archived) {
    return PermissionDenied("channel #" + access.channel.name + " is archived (read-only)");
  }
  return Status::Ok();
}

// The message and its channel, if `who` may read that channel.
struct MessageAccess {
  Message message;
  authz::ChannelAccess channel;
};

Result<MessageAccess> ReadableMessage(store::Tx& tx, const authz::Principal& who,
                                      std::string_view id) {
  auto not_found = [&] { return NotFound("message '" + std::string(id) + "' not found"); };
  if (!internal::LooksLikeId(id)) return not_found();
  QUIK_ASSIGN_OR_RETURN(auto msg, tx.GetMessage(id));
  if (!msg) return not_found();
  auto channel = authz::ChannelFor(tx, who, msg->channel_id);
  if (!channel.ok()) {
    return channel.status().code() == StatusCode::kNotFound ? not_found() : channel.status();
  }
  return MessageAccess{std::move(*msg), std::move(*channel)};
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
Status CheckAuthorOrAdmin(const authz::Principal& who, const MessageAccess& access) {
  if (who.system || access.message.user_id == who.user.id || access.channel.ws.is_admin()) {
    return Status::Ok();
  }
  return PermissionDenied("only the author or a workspace admin may change this message");
}

}  // namespace

namespace {

Status ValidateNewMessage(const internal::Context& ctx, const Actor& actor, const NewMessage& msg) {
  if (actor.is_system()) return InvalidArgument("a message is posted as a user (use --as)");
  QUIK_RETURN_IF_ERROR(
      internal::CheckText(msg.text, ctx.options.limits.message_max_chars, "message text"));
  if (msg.client_msg_id.size() > 128) return InvalidArgument("client_msg_id is over 128 bytes");
  return Status::Ok();
}

// The write of a post, inside the group-committed transaction.
Status PostInTx(store::Tx& tx, const Actor& actor, std::string_view channel_ref,
                const NewMessage& msg, Posted& out) {
  QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
  QUIK_ASSIGN_OR_RETURN(auto access, authz::ChannelFor(tx, who, channel_ref));
  const Channel& ch = access.channel;
  if (!msg.client_msg_id.empty()) {
    QUIK_ASSIGN_OR_RETURN(auto first,
                          tx.GetMessageByClientId(ch.id, who.user.id, msg.client_msg_id));
    if (first) {
      out.message = std::move(*first);
      out.created = false;
      return Status::Ok();
    }
  }
  QUIK_RETURN_IF_ERROR(CheckWritable(access));
  Timestamp now = internal::NowMillis();
  if (!access.is_member) {
    // Posting in a public channel joins it (Slack's chat:write.public).
    ChannelMember m{ch.id, who.user.id, now, "", ""};
    QUIK_RETURN_IF_ERROR(tx.InsertChannelMember(m));
    QUIK_RETURN_IF_ERROR(events::Append(tx, "member.joined", who.user.id, m, ch.workspace_id));
  }
  Message& m = out.message;
  if (!msg.thread_root_id.empty()) {
    std::optional<Message> root;
    if (internal::LooksLikeId(msg.thread_root_id)) {
      QUIK_ASSIGN_OR_RETURN(root, tx.GetMessage(msg.thread_root_id));
    }
    if (!root || root->channel_id != ch.id) {
      return InvalidArgument("thread_root_id '" + msg.thread_root_id +
                             "' is not a message of this channel");
    }
    // A reply to a reply belongs to the root's thread.
    if (!root->thread_root_id.empty()) {
      QUIK_ASSIGN_OR_RETURN(root, tx.GetMessage(root->thread_root_id));
      if (!root) return Internal("thread root of a reply is missing");
    }
    root->reply_count++;
    QUIK_RETURN_IF_ERROR(tx.UpdateMessage(*root));
    m.thread_root_id = root->id;
  }
  m.id = internal::NewId(now);
  m.channel_id = ch.id;
  m.workspace_id = ch.workspace_id;
  m.user_id = who.user.id;
  m.text = msg.text;
  m.client_msg_id = msg.client_msg_id;
  m.created_at = now;
  QUIK_RETURN_IF_ERROR(tx.InsertMessage(m));
  QUIK_RETURN_IF_ERROR(events::Append(tx, "message.posted", who.user.id, m));
  out.created = true;
  return Status::Ok();
}

}  // namespace

Result<Posted> MessageService::Post(const Actor& actor, std::string_view channel_ref,
                                    const NewMessage& msg) {
  QUIK_RETURN_IF_ERROR(ValidateNewMessage(*ctx_, actor, msg));
  return ctx_->WriteResult<Posted>(
      [&](store::Tx& tx, Posted& out) { return PostInTx(tx, actor, channel_ref, msg, out); });
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
      [pending](store::Tx& tx) {
        return PostInTx(tx, pending->actor, pending->channel_ref, pending->msg, pending->out);
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
    QUIK_ASSIGN_OR_RETURN(auto access, ReadableMessage(tx, who, message_id));
    out = std::move(access.message);
    return tx.LoadReactions({&out, 1});
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
    return tx.LoadReactions(out.items);
  });
}

Result<Page<Message>> MessageService::ListReplies(const Actor& actor, std::string_view message_id,
                                                  const PageRequest& page) {
  int limit = std::clamp(page.limit, 1, ctx_->options.limits.page_max);
  QUIK_RETURN_IF_ERROR(CheckPageId(page.cursor));
  return ctx_->ReadResult<Page<Message>>([&](store::Tx& tx, Page<Message>& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, ReadableMessage(tx, who, message_id));
    const Message& root = access.message;
    if (!root.thread_root_id.empty()) {
      return InvalidArgument("message " + root.id + " is a reply, not a thread root; its root is " +
                             root.thread_root_id);
    }
    QUIK_ASSIGN_OR_RETURN(out.items,
                          tx.ListReplies(root.channel_id, root.id, page.cursor, limit + 1));
    TrimPage(out, limit);
    return tx.LoadReactions(out.items);
  });
}

Result<Message> MessageService::Edit(const Actor& actor, std::string_view message_id,
                                     std::string_view text) {
  QUIK_RETURN_IF_ERROR(
      internal::CheckText(text, ctx_->options.limits.message_max_chars, "message text"));
  return ctx_->WriteResult<Message>([&](store::Tx& tx, Message& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, ReadableMessage(tx, who, message_id));
    QUIK_RETURN_IF_ERROR(CheckAuthorOrAdmin(who, access));
    QUIK_RETURN_IF_ERROR(CheckWritable(access.channel));
    if (access.message.deleted_at != 0) return InvalidArgument("the message was deleted");
    out = std::move(access.message);
    QUIK_RETURN_IF_ERROR(internal::RecordEdit(tx, actor, out));  // edit history (edits.cc)
    out.text = text;
    out.edited_at = internal::NowMillis();
    QUIK_RETURN_IF_ERROR(tx.UpdateMessage(out));
    return events::Append(tx, "message.edited", actor.user_id(), out);
  });
}

Result<Message> MessageService::Delete(const Actor& actor, std::string_view message_id) {
  return ctx_->WriteResult<Message>([&](store::Tx& tx, Message& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, ReadableMessage(tx, who, message_id));
    QUIK_RETURN_IF_ERROR(CheckAuthorOrAdmin(who, access));
    out = std::move(access.message);
    if (out.deleted_at != 0) return Status::Ok();
    QUIK_RETURN_IF_ERROR(CheckWritable(access.channel));
    out.text.clear();
    out.deleted_at = internal::NowMillis();
    QUIK_RETURN_IF_ERROR(tx.UpdateMessage(out));
    QUIK_RETURN_IF_ERROR(internal::OnMessageDeleted(tx, actor, out));  // unpin, purge (pins.cc)
    return events::Append(tx, "message.deleted", actor.user_id(), out);
  });
}

}  // namespace quik
