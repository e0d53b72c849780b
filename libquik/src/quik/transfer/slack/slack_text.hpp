// SPDX-License-Identifier: MIT
// Slack's message markup -> QuikApp's text (CONTRACT.md section 0 mentions).
//
// Slack escapes '&', '<' and '>' in text as &amp; &lt; &gt; and writes
// references inside <...>:
//   <@U123> <@U123|alice>     a user      -> <@LOCAL_ID> (our mention form) when
//                                            the user was imported, else "@alice"
//                                            (the label) or "@U123", counted
//   <#C123|general> <#C123>   a channel   -> "#general" (the name from the
//                                            label, else from the export)
//   <!channel> <!here> <!everyone>        -> "@channel", "@here", "@everyone"
//   <!subteam^S1|@team>, <!date^...|text> -> the label ("@team", "text")
//   <https://x|label> <https://x>         -> "label (https://x)", or the URL
//                                            alone when there is no label or
//                                            the label is the URL itself
//   <mailto:a@b.c|a@b.c>                  -> "a@b.c"
// then the entities are unescaped. Everything else (Slack's *bold*, emoji
// :names:, code) is kept as written.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace quik::transfer::slack {

struct TextResolver {
  // A Slack user id -> our user id; nullopt if it was not imported.
  std::function<std::optional<std::string>(std::string_view)> user;
  // A Slack channel id -> its name; nullopt if unknown.
  std::function<std::optional<std::string>(std::string_view)> channel;
};

struct ConvertedText {
  std::string text;
  std::vector<std::string> unknown_users;  // Slack ids of mentions left as text
};

ConvertedText ConvertText(std::string_view slack_text, const TextResolver& resolver);

// &lt; &gt; &amp; (and &quot; &#39;) -> < > & " '.
std::string Unescape(std::string_view s);

}  // namespace quik::transfer::slack
