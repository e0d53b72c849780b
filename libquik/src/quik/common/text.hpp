// SPDX-License-Identifier: MIT
// Validation and normalisation of user-supplied text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "quik/status.hpp"

namespace quik::internal {

bool IsValidUtf8(std::string_view s);
// Unicode code points in valid UTF-8 `s`.
size_t CodePointCount(std::string_view s);
std::string AsciiLower(std::string_view s);

// Whether YAML would read `s`, written as a plain scalar, as something other
// than a string (empty, null, a bool, a number, a date): such strings are
// written quoted.
bool YamlNeedsQuotes(std::string_view s);
std::string_view TrimWhitespace(std::string_view s);
// A run of 1..18 ASCII digits as a number; nullopt for anything else.
std::optional<std::int64_t> ParseDigits(std::string_view s);

// A display name, topic or message text: valid UTF-8, no NUL, at most
// `max_chars` code points; `what` names the field in errors. `allow_empty`
// for topics.
Status CheckText(std::string_view text, int max_chars, std::string_view what,
                 bool allow_empty = false);

// A plausible email: one '@', a non-empty local part, a dotted domain, no
// spaces or control characters, at most 254 bytes.
Status CheckEmail(std::string_view email);

// Slugs: [a-z0-9-], 1..40, not starting or ending with '-'.
Status CheckSlug(std::string_view slug);
// "Demo Co!" -> "demo-co"; empty when nothing usable remains.
std::string Slugify(std::string_view name);

// Channel names: lower-cased, a leading '#' dropped; [a-z0-9-_], 1..80.
Result<std::string> NormalizeChannelName(std::string_view name);

}  // namespace quik::internal
