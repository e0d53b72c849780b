// SPDX-License-Identifier: MIT
// Presence for the realtime layer (realtime/): connections opening and
// closing, and the LMDB record behind quik::PresenceService.
//
// The realtime hub counts each user's live connections in its process and
// calls MarkConnected on the first and MarkDisconnected after the last has
// closed (and a reconnect grace period has passed). When either returns a
// Presence, the effective status changed and the hub broadcasts
// `presence.changed` to the user's workspaces. Neither checks that the user
// exists: the hub has authenticated them.
//
// Thread safety: any thread; each call is one LMDB write transaction, so
// concurrent calls (from threads or processes) never lose an update.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quik/presence.hpp"
#include "service/context.hpp"

namespace quik::presence {

// Index: the on-disk status code. Never reorder.
inline constexpr std::array<PresenceStatus, 4> kByCode = {
    PresenceStatus::kOnline, PresenceStatus::kAway, PresenceStatus::kDnd, PresenceStatus::kOffline};
inline constexpr std::array<std::string_view, 4> kNames = {"online", "away", "dnd", "offline"};

inline std::size_t CodeOf(PresenceStatus status) {
  return static_cast<std::size_t>(std::find(kByCode.begin(), kByCode.end(), status) -
                                  kByCode.begin());
}

// The user's first live connection in this process opened: the effective
// status becomes the manual status if one is set, else online; last_seen
// becomes now. The new Presence if the effective status changed, else nullopt.
Result<std::optional<Presence>> MarkConnected(internal::Context& ctx, std::string_view user_id);

// The user's last connection closed: the effective status becomes offline
// (the manual status is kept for the next connect); last_seen becomes now.
// The new Presence if the effective status changed, else nullopt.
Result<std::optional<Presence>> MarkDisconnected(internal::Context& ctx, std::string_view user_id);

// The LMDB value of store::Db::kPresence (key: the user id), layout version 1,
// 11 bytes: version (1) | status | manual (0xff: none) | last_seen (int64
// little-endian); status codes 0 online, 1 away, 2 dnd, 3 offline. Never
// renumber a code; a new field means a new layout version.
// MarkConnected (connected[i]) or MarkDisconnected for each user, in one
// LMDB transaction (one sync); returns the presences whose status changed.
Result<std::vector<Presence>> MarkMany(internal::Context& ctx,
                                       const std::vector<std::string>& user_ids,
                                       const std::vector<bool>& connected);

// Those of `user_ids` whose effective status is not offline (@here), in order.
Result<std::vector<std::string>> OnlineAmong(internal::Context& ctx,
                                             const std::vector<std::string>& user_ids);

std::string EncodePresence(const Presence& presence);
// kInternal for bytes of another size, layout version or code.
Result<Presence> DecodePresence(std::string_view user_id, std::string_view bytes);

}  // namespace quik::presence
