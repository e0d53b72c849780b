// SPDX-License-Identifier: MIT
// Thread bookkeeping that posting (messages.cc PostInTx) and importing
// (transfer/import_writer.cc) share, inside the caller's transaction.
#pragma once

#include <optional>
#include <string_view>

#include "quik/status.hpp"
#include "quik/types.hpp"
#include "store/tx.hpp"

namespace quik::internal {

// The thread a reply to `root_id` joins in `channel_id`: the root itself, or
// the root's root when `root_id` is a reply (a reply to a reply joins the
// root's thread). kInvalidArgument if `root_id` is not a message of the channel.
Result<Message> FindThreadRoot(store::Tx& tx, std::string_view channel_id,
                               std::string_view root_id);

// Counts `reply` (created at reply.created_at, by reply.user_id) in `root`'s
// thread: the root's reply_count, reply_seq, last_reply_at and reply_users,
// written back; sets reply.thread_root_id and reply.reply_ordinal.
Status AddThreadReply(store::Tx& tx, Message& root, Message& reply);

}  // namespace quik::internal
