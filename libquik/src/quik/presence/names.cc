// SPDX-License-Identifier: MIT
// PresenceStatus names (quik/presence.hpp), apart from the service so that
// request decoding (api/decode.cc) needs no store.
#include "presence/presence_internal.hpp"

namespace quik {

std::string_view PresenceStatusName(PresenceStatus status) {
  return presence::kNames[presence::CodeOf(status)];
}

std::optional<PresenceStatus> ParsePresenceStatus(std::string_view name) {
  for (std::size_t i = 0; i < presence::kNames.size(); ++i) {
    if (presence::kNames[i] == name) return presence::kByCode[i];
  }
  return std::nullopt;
}

}  // namespace quik
