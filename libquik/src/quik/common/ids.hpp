// SPDX-License-Identifier: MIT
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

// An id for a given, possibly past, time `at` (imports: a message keeps its
// original time, so it sorts among the others by it). Not clamped to the
// last NewId: ids of one `at` minted in a row still increase.
std::string NewIdAt(Timestamp at);

// Whether `s` has the shape of an id (26 characters of the ULID alphabet).
bool LooksLikeId(std::string_view s);

// The system's wall time (UTC, ms): what SystemClock() reads. Services read
// Options::clock (quik/clock.hpp) instead, so that tests control the time.
Timestamp NowMillis();

}  // namespace quik::internal
