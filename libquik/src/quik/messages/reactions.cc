// SPDX-License-Identifier: MIT
// MessageService reactions: AddReaction, RemoveReaction (messages.hpp).
#include "common/ids.hpp"
#include "events/event_log.hpp"
#include "messages/emoji.hpp"
#include "messages/extras.hpp"
#include "quik/messages.hpp"
#include "service/context.hpp"

namespace quik {
namespace internal {

Status CheckChangeable(const ReadableMessage& m) {
  if (m.channel.channel.archived) {
    return PermissionDenied("channel #" + m.channel.channel.name + " is archived (read-only)");
  }
  if (m.message.deleted_at != 0) return InvalidArgument("message " + m.message.id + " was deleted");
  return Status::Ok();
}

}  // namespace internal

namespace {

enum class Change { kAdd, kRemove };

Result<Message> React(internal::Context& ctx, const Actor& actor, std::string_view message_id,
                      std::string_view emoji_in, Change change) {
  QUIK_ASSIGN_OR_RETURN(std::string emoji, internal::NormalizeEmoji(emoji_in));
  if (actor.is_system()) return InvalidArgument("a reaction is made as a user (use --as)");
  return ctx.WriteResult<Message>([&](store::Tx& tx, Message& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto m, authz::MessageFor(tx, who, message_id));
    QUIK_RETURN_IF_ERROR(internal::CheckChangeable(m));
    store::ReactionRow row{m.message.id, m.message.channel_id, m.message.workspace_id,
                           emoji,        who.user.id,          tx.Now()};
    bool changed = false;
    if (change == Change::kAdd) {
      QUIK_ASSIGN_OR_RETURN(bool present, tx.HasReactionEmoji(row.message_id, emoji));
      if (!present) {
        QUIK_ASSIGN_OR_RETURN(int emojis, tx.CountReactionEmojis(row.message_id));
        if (emojis >= MessageService::kMaxReactionEmojis) {
          return InvalidArgument("message " + row.message_id + " already has " +
                                 std::to_string(emojis) +
                                 " different reactions, the most a message may have; add one "
                                 "of those instead");
        }
      }
      QUIK_ASSIGN_OR_RETURN(changed, tx.InsertReaction(row));
    } else {
      QUIK_ASSIGN_OR_RETURN(changed, tx.DeleteReaction(row.message_id, row.user_id, emoji));
    }
    if (changed) {
      QUIK_RETURN_IF_ERROR(events::Append(
          tx, change == Change::kAdd ? "reaction.added" : "reaction.removed", who.user.id, row));
    }
    out = std::move(m.message);
    return internal::LoadDecorations(tx, {&out, 1});
  });
}

}  // namespace

Result<Message> MessageService::AddReaction(const Actor& actor, std::string_view message_id,
                                            std::string_view emoji) {
  return React(*ctx_, actor, message_id, emoji, Change::kAdd);
}

Result<Message> MessageService::RemoveReaction(const Actor& actor, std::string_view message_id,
                                               std::string_view emoji) {
  return React(*ctx_, actor, message_id, emoji, Change::kRemove);
}

}  // namespace quik
