// SPDX-License-Identifier: MIT
// The in-transaction parts of ChannelService, shared with provisioning
// (provision/) and importing (transfer/import_writer.cc): each writes its rows
// and appends the same events the service call does, so an imported DM is the
// same channel OpenDirect would open. Permission checks stay with the callers.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "quik/status.hpp"
#include "quik/types.hpp"
#include "store/tx.hpp"

namespace quik::channels {

// Creates a public or private channel named `name` (already normalized;
// kAlreadyExists if taken) in workspace `ws`, created by `creator_id` ("" for
// the system), who becomes its first member; channel.created (and
// member.joined).
Result<Channel> CreateInTx(store::Tx& tx, const Workspace& ws, std::string_view name,
                           bool is_private, std::string_view topic, std::string_view creator_id,
                           std::string_view actor_id);

// Writes `c` as changed by the caller (name, topic); channel.updated.
Status UpdateInTx(store::Tx& tx, const Channel& c, std::string_view actor_id);

// Archives `c` (a no-op if it is); channel.archived.
Status ArchiveInTx(store::Tx& tx, Channel& c, std::string_view actor_id);
// Unarchives `c` (a no-op if it is not archived); channel.unarchived.
Status UnarchiveInTx(store::Tx& tx, Channel& c, std::string_view actor_id);

// Adds `user_id` to `c`, joined at `joined_at` (0: now; kAlreadyExists if in
// it); member.joined.
Status AddMemberInTx(store::Tx& tx, const Channel& c, std::string_view user_id,
                     std::string_view actor_id, Timestamp joined_at = 0);
// Removes `user_id` from `c`; member.left. false (and nothing logged) if
// they were not in it.
Result<bool> RemoveMemberInTx(store::Tx& tx, const Channel& c, std::string_view user_id,
                              std::string_view actor_id);

// A DM's people, by user id (deduplicated and sorted).
using People = std::map<std::string, User>;

// The key of a DM or group DM: its people's sorted ids joined by ','.
std::string DirectKey(const People& people);
// Its readable name (not a key): "dm-" and the people's email local parts.
std::string DirectName(const People& people);
// dm for one or two people, group_dm for more.
ChannelKind DirectKind(const People& people);

}  // namespace quik::channels
