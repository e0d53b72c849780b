// SPDX-License-Identifier: MIT
// Which emojis a reaction may use (messages/reactions.cc).
#pragma once

#include <string>
#include <string_view>

#include "quik/status.hpp"

namespace quik::internal {

// The most bytes a Unicode emoji reaction may take: room for every standard
// emoji (the longest, a kiss with two skin tones, is 35 bytes).
inline constexpr std::size_t kMaxEmojiBytes = 40;
inline constexpr std::size_t kMaxEmojiNameLength = 64;

// A reaction's emoji in its stored form, or kInvalidArgument saying what an
// emoji may be. Accepted:
//   - a Slack-style short name: [a-z0-9_+'-], 1..64 characters, with or
//     without surrounding colons and in any case (":ThumbsUp:" -> "thumbsup");
//   - exactly one Unicode emoji, kept as given: a pictograph (optionally with
//     VS16 and a skin-tone modifier), a ZWJ sequence of those, a keycap
//     ([0-9#*] VS16? U+20E3), a flag (two regional indicators) or a tag
//     sequence (U+1F3F4 tags U+E007F); at most kMaxEmojiBytes bytes.
Result<std::string> NormalizeEmoji(std::string_view emoji);

}  // namespace quik::internal
