// SPDX-License-Identifier: MIT
// Mentions in message text (CONTRACT.md section 0): `@name`, matched
// case-insensitively (ASCII letters) against a member's display name or the
// local part of their email, the longest match winning; `<@USER_ID>`;
// `@channel`; `@here`.
//
// An `@` counts only at the start of the text or after a character that
// cannot be part of a word or an address (so `bob@example.com` mentions
// nobody), and a name only when the character after it cannot continue one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace quik::messages {

// Who can be mentioned: a workspace member.
struct Mentionable {
  std::string user_id;
  std::string name;
  std::string email;
};

struct ParsedMentions {
  std::vector<std::string> user_ids;  // distinct, in order of first mention
  bool channel = false;               // @channel
  bool here = false;                  // @here
};

// The most distinct users one message may mention by name.
inline constexpr int kMaxMentions = 100;

// True if `text` may hold a mention (a cheap test before loading members).
bool MayMention(std::string_view text);

ParsedMentions ParseMentions(std::string_view text, const std::vector<Mentionable>& members);

}  // namespace quik::messages
