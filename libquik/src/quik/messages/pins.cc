// SPDX-License-Identifier: MIT
// MessageService pins: PinMessage, UnpinMessage, ListPins (messages.hpp).
#include "common/ids.hpp"
#include "events/event_log.hpp"
#include "messages/extras.hpp"
#include "quik/messages.hpp"
#include "service/context.hpp"

namespace quik {
namespace {

// Pinning is for those who take part in the channel (Slack): its members,
// workspace admins and the system; not a reader who never joined it.
Status CheckMayPin(const authz::Principal& who, const authz::MessageAccess& m) {
  if (who.system || m.channel.is_member || m.channel.ws.is_admin()) return Status::Ok();
  return PermissionDenied("only members of #" + m.channel.channel.name +
                          " may pin or unpin its messages; join it first");
}

}  // namespace

Result<Pin> MessageService::PinMessage(const Actor& actor, std::string_view message_id) {
  return ctx_->WriteResult<Pin>([&](store::Tx& tx, Pin& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto m, authz::MessageFor(tx, who, message_id));
    QUIK_RETURN_IF_ERROR(CheckMayPin(who, m));
    QUIK_RETURN_IF_ERROR(internal::CheckChangeable(m));
    QUIK_ASSIGN_OR_RETURN(auto existing, tx.GetPin(m.message.id));
    if (existing) {
      out = std::move(*existing);
    } else {
      QUIK_ASSIGN_OR_RETURN(int pins, tx.CountPins(m.message.channel_id));
      if (pins >= kMaxPinsPerChannel) {
        return InvalidArgument("#" + m.channel.channel.name + " already has " +
                               std::to_string(pins) +
                               " pinned messages, the most a channel may have; unpin one first");
      }
      out.channel_id = m.message.channel_id;
      out.message_id = m.message.id;
      out.pinned_by = actor.user_id();
      out.pinned_at = tx.Now();
      QUIK_RETURN_IF_ERROR(tx.InsertPin(out));
      QUIK_RETURN_IF_ERROR(
          events::Append(tx, "pin.added", actor.user_id(), out, m.message.workspace_id));
    }
    out.message = std::move(m.message);
    return internal::LoadDecorations(tx, {&out.message, 1});
  });
}

Status MessageService::UnpinMessage(const Actor& actor, std::string_view message_id) {
  return ctx_->store->Write([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto m, authz::MessageFor(tx, who, message_id));
    QUIK_RETURN_IF_ERROR(CheckMayPin(who, m));
    if (m.channel.channel.archived) {
      return PermissionDenied("channel #" + m.channel.channel.name + " is archived (read-only)");
    }
    QUIK_ASSIGN_OR_RETURN(auto pin, tx.GetPin(m.message.id));
    if (!pin) return Status::Ok();
    QUIK_RETURN_IF_ERROR(tx.DeletePin(pin->message_id).status());
    return events::Append(tx, "pin.removed", actor.user_id(), *pin, m.message.workspace_id);
  });
}

Result<std::vector<Pin>> MessageService::ListPins(const Actor& actor,
                                                  std::string_view channel_ref) {
  return ctx_->ReadResult<std::vector<Pin>>([&](store::Tx& tx, std::vector<Pin>& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, authz::ChannelFor(tx, who, channel_ref));
    QUIK_ASSIGN_OR_RETURN(out, tx.ListPins(access.channel.id));
    // One query for every pinned message's reactions.
    std::vector<Message> messages;
    messages.reserve(out.size());
    for (Pin& p : out) messages.push_back(std::move(p.message));
    QUIK_RETURN_IF_ERROR(internal::LoadDecorations(tx, messages));
    for (std::size_t i = 0; i < out.size(); ++i) out[i].message = std::move(messages[i]);
    return Status::Ok();
  });
}

namespace internal {

Status OnMessageDeleted(store::Tx& tx, const Actor& actor, const Message& message) {
  QUIK_ASSIGN_OR_RETURN(auto pin, tx.GetPin(message.id));
  if (pin) {
    QUIK_RETURN_IF_ERROR(tx.DeletePin(message.id).status());
    QUIK_RETURN_IF_ERROR(
        events::Append(tx, "pin.removed", actor.user_id(), *pin, message.workspace_id));
  }
  return tx.PurgeMessageExtras(message.id);
}

}  // namespace internal
}  // namespace quik
