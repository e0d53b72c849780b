// Ids: ULIDs (48-bit millisecond time + 80 random bits, Crockford base32).
// They sort by creation time and need no coordination between processes.
#pragma once

#include <string>
#include <string_view>

#include "quik/types.hpp"

namespace quik::internal {

// A new id for time `now`. Within a process, ids are strictly increasing even
// when minted in the same millisecond (the random part is incremented).
std::string NewId(Timestamp now);

// Whether `s` has the shape of an id (26 characters of the ULID alphabet).
bool LooksLikeId(std::string_view s);

// The current time (UTC, ms). The one clock libquik reads.
Timestamp NowMillis();

}  // namespace quik::internal
