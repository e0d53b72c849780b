// SPDX-License-Identifier: MIT
// MessageService edit history: ListEdits (messages.hpp) and the hook that
// records each edit.
#include "common/ids.hpp"
#include "messages/extras.hpp"
#include "quik/messages.hpp"
#include "service/context.hpp"

namespace quik {

Result<std::vector<MessageEdit>> MessageService::ListEdits(const Actor& actor,
                                                           std::string_view message_id) {
  return ctx_->ReadResult<std::vector<MessageEdit>>(
      [&](store::Tx& tx, std::vector<MessageEdit>& out) -> Status {
        QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
        QUIK_ASSIGN_OR_RETURN(auto m, authz::MessageFor(tx, who, message_id));
        if (!who.system && m.message.user_id != who.user.id && !m.channel.ws.is_admin()) {
          return PermissionDenied(
              "only the author or a workspace admin may see a message's edit history");
        }
        QUIK_ASSIGN_OR_RETURN(out, tx.ListMessageEdits(m.message.id));
        return Status::Ok();
      });
}

namespace internal {

Status RecordEdit(store::Tx& tx, const Actor& actor, const Message& before) {
  return tx.InsertMessageEdit(MessageEdit{before.id, actor.user_id(), tx.Now(), before.text});
}

}  // namespace internal
}  // namespace quik
