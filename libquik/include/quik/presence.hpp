// SPDX-License-Identifier: MIT
// quik::PresenceService: who is online, away, in do-not-disturb or offline,
// and when each user was last seen.
//
// Two inputs make a user's effective status (Slack-like):
//  - their connections: the realtime layer marks a user online when their
//    first live connection opens and offline when the last one closes;
//  - a manual status the user chose with Set: away, dnd or offline
//    ("invisible"). It outlasts reconnects until they set online, which
//    clears it. When their last connection closes they are offline, whatever
//    they chose; Set shows its status at once, connected or not.
// Presence lives in LMDB beside the sessions (the seed's Redis), not in the
// event log: a change is broadcast as the ephemeral `presence.changed`.
//
// Rules: a workspace's presence list is for its members (kNotFound to anyone
// else, as for every workspace route); one user's presence is for whoever may
// see that user (themself, anyone sharing a workspace, an instance admin).
// The system may read everything, and sets nobody's status.
//
// Thread safety: all methods may be called from any thread concurrently.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quik/actor.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"

namespace quik {
namespace internal {
struct Context;
}

enum class PresenceStatus { kOnline, kAway, kDnd, kOffline };
// "online", "away", "dnd", "offline".
std::string_view PresenceStatusName(PresenceStatus status);
// The inverse (exact, lower case); nullopt if unknown.
std::optional<PresenceStatus> ParsePresenceStatus(std::string_view name);

struct Presence {
  std::string user_id;
  // What others see: the last status set or, since the last connect or
  // disconnect, the manual status if any, else online while connected and
  // offline once not.
  PresenceStatus status = PresenceStatus::kOffline;
  // Ms since the epoch: when the user last had a connection open or close,
  // or set a status; 0 = never seen.
  Timestamp last_seen = 0;
  // The status the user chose that outlasts reconnects (away, dnd or
  // offline); nullopt when presence follows their connections.
  std::optional<PresenceStatus> manual;
};

class PresenceService {
 public:
  explicit PresenceService(internal::Context* ctx) : ctx_(ctx) {}

  // The actor's chosen status (a user only; kInvalidArgument for the system).
  // Away, dnd and offline become the manual status; online clears it. The
  // effective status becomes `status` and last_seen now.
  Result<Presence> Set(const Actor& actor, PresenceStatus status);
  // Every member of workspace `workspace_ref` (id or slug), ordered as the
  // member list (by email); users never seen are offline with last_seen 0.
  // Members of the workspace and the system; kNotFound for anyone else.
  Result<std::vector<Presence>> ListWorkspace(const Actor& actor, std::string_view workspace_ref);
  // One user (`user_ref`: id or email), if the actor may see them.
  Result<Presence> Get(const Actor& actor, std::string_view user_ref);

 private:
  internal::Context* ctx_;
};

}  // namespace quik
