// Pieces of the channel service that importing (transfer/import_writer.cc)
// shares, so that an imported DM is the same channel OpenDirect would open.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "quik/status.hpp"
#include "quik/types.hpp"
#include "store/tx.hpp"

namespace quik::channels {

// A DM's people, by user id (deduplicated and sorted).
using People = std::map<std::string, User>;

// The key of a DM or group DM: its people's sorted ids joined by ','.
std::string DirectKey(const People& people);
// Its readable name (not a key): "dm-" and the people's email local parts.
std::string DirectName(const People& people);
// dm for one or two people, group_dm for more.
ChannelKind DirectKind(const People& people);

// Adds `user_id` to channel `c` with a member.joined event by `actor_id`;
// joined at `joined_at` (0: now). kAlreadyExists if already in.
Status AddChannelMember(store::Tx& tx, const Channel& c, std::string_view user_id,
                        std::string_view actor_id, Timestamp joined_at = 0);

}  // namespace quik::channels
