// SPDX-License-Identifier: MIT
#include "quik/reads.hpp"

#include "authz/authz.hpp"
#include "events/event_log.hpp"
#include "service/context.hpp"

namespace quik {
namespace {

Status NeedsUser(const authz::Principal& who) {
  if (who.system) return InvalidArgument("read state belongs to a user (act as one)");
  return Status::Ok();
}

Status NeedsMember(const authz::ChannelAccess& access) {
  if (access.is_member) return Status::Ok();
  return InvalidArgument("you are not a member of #" + access.channel.name +
                         "; join it to keep read state there");
}

// The thread root `root_id` in a channel the actor is in.
Result<authz::MessageAccess> FollowableRoot(store::Tx& tx, const authz::Principal& who,
                                            std::string_view root_id) {
  QUIK_RETURN_IF_ERROR(NeedsUser(who));
  QUIK_ASSIGN_OR_RETURN(auto access, authz::MessageFor(tx, who, root_id));
  if (!access.message.thread_root_id.empty()) {
    return InvalidArgument("message " + access.message.id + " is a reply; its thread root is " +
                           access.message.thread_root_id);
  }
  QUIK_RETURN_IF_ERROR(NeedsMember(access.channel));
  return access;
}

Result<ReadState> ThreadState(store::Tx& tx, std::string_view root_id, std::string_view user_id) {
  QUIK_ASSIGN_OR_RETURN(auto st, tx.GetThreadReadState(root_id, user_id));
  if (!st) return Internal("thread read state missing after an update");
  return std::move(*st);
}

}  // namespace

Result<ReadState> ReadStateService::MarkRead(const Actor& actor, std::string_view channel_ref,
                                             std::string_view message_id) {
  return ctx_->WriteResult<ReadState>([&](store::Tx& tx, ReadState& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_RETURN_IF_ERROR(NeedsUser(who));
    QUIK_ASSIGN_OR_RETURN(auto channel, authz::ChannelFor(tx, who, channel_ref));
    QUIK_ASSIGN_OR_RETURN(auto msg, authz::MessageFor(tx, who, message_id));
    if (msg.message.channel_id != channel.channel.id) {
      return InvalidArgument("message " + msg.message.id + " is not in #" + channel.channel.name);
    }
    if (msg.message.ordinal == 0) {
      return InvalidArgument("message " + msg.message.id +
                             " is a thread reply not shown in the channel; mark its thread "
                             "read with POST /messages/" +
                             msg.message.thread_root_id + "/read");
    }
    QUIK_RETURN_IF_ERROR(NeedsMember(channel));
    QUIK_RETURN_IF_ERROR(
        tx.SetChannelRead(channel.channel.id, who.user.id, msg.message.id, msg.message.ordinal));
    QUIK_ASSIGN_OR_RETURN(auto st, tx.GetChannelReadState(channel.channel.id, who.user.id));
    if (!st) return Internal("channel read state missing after an update");
    out = std::move(*st);
    return events::Append(tx, "read.updated", out);
  });
}

Result<ReadState> ReadStateService::MarkThreadRead(const Actor& actor, std::string_view root_id,
                                                   std::string_view message_id) {
  return ctx_->WriteResult<ReadState>([&](store::Tx& tx, ReadState& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto root, FollowableRoot(tx, who, root_id));
    const Message& r = root.message;
    std::string last_read_id = r.id;
    std::int64_t read_ordinal = r.reply_seq;
    if (!message_id.empty() && message_id != r.id) {
      QUIK_ASSIGN_OR_RETURN(auto reply, authz::MessageFor(tx, who, message_id));
      if (reply.message.thread_root_id != r.id) {
        return InvalidArgument("message " + reply.message.id + " is not a reply in thread " + r.id);
      }
      last_read_id = reply.message.id;
      read_ordinal = reply.message.reply_ordinal;
    }
    QUIK_RETURN_IF_ERROR(
        tx.SetThreadRead(r.id, r.channel_id, who.user.id, last_read_id, read_ordinal));
    QUIK_ASSIGN_OR_RETURN(out, ThreadState(tx, r.id, who.user.id));
    return events::Append(tx, "read.updated", out);
  });
}

Result<ReadState> ReadStateService::FollowThread(const Actor& actor, std::string_view root_id) {
  return ctx_->WriteResult<ReadState>([&](store::Tx& tx, ReadState& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto root, FollowableRoot(tx, who, root_id));
    const Message& r = root.message;
    QUIK_RETURN_IF_ERROR(tx.SetThreadFollowing(r.id, r.channel_id, who.user.id, 1, r.reply_seq));
    QUIK_ASSIGN_OR_RETURN(out, ThreadState(tx, r.id, who.user.id));
    return events::Append(tx, "thread.followed", out);
  });
}

Result<ReadState> ReadStateService::UnfollowThread(const Actor& actor, std::string_view root_id) {
  return ctx_->WriteResult<ReadState>([&](store::Tx& tx, ReadState& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto root, FollowableRoot(tx, who, root_id));
    const Message& r = root.message;
    QUIK_RETURN_IF_ERROR(tx.SetThreadFollowing(r.id, r.channel_id, who.user.id, -1, r.reply_seq));
    QUIK_ASSIGN_OR_RETURN(out, ThreadState(tx, r.id, who.user.id));
    return events::Append(tx, "thread.unfollowed", out);
  });
}

Result<Unreads> ReadStateService::ListUnreads(const Actor& actor, std::string_view ws_ref) {
  return ctx_->ReadResult<Unreads>([&](store::Tx& tx, Unreads& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_RETURN_IF_ERROR(NeedsUser(who));
    QUIK_ASSIGN_OR_RETURN(auto ws, authz::WorkspaceFor(tx, who, ws_ref));
    QUIK_ASSIGN_OR_RETURN(out.channels, tx.ListChannelReadStates(ws.workspace.id, who.user.id));
    QUIK_ASSIGN_OR_RETURN(out.threads, tx.ListThreadReadStates(ws.workspace.id, who.user.id));
    return Status::Ok();
  });
}

}  // namespace quik
