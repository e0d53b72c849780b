// SPDX-License-Identifier: MIT
// Slack markup -> QuikApp text (transfer/slack/slack_text.hpp).
#include <map>
#include <string>

#include "transfer/slack/slack_text.hpp"
#include "unit/testing/service_fixture.hpp"

using quik::transfer::slack::ConvertText;
using quik::transfer::slack::TextResolver;
using quik::transfer::slack::Unescape;

namespace {

TextResolver Resolver() {
  static const std::map<std::string, std::string, std::less<>> users = {
      {"U01ALICE", "01HALICELOCALID0000000000"}, {"U02BOB", "01HBOBLOCALID000000000000"}};
  static const std::map<std::string, std::string, std::less<>> channels = {
      {"C01GENERAL", "general"}};
  TextResolver r;
  r.user = [](std::string_view id) -> std::optional<std::string> {
    auto it = users.find(id);
    if (it == users.end()) return std::nullopt;
    return it->second;
  };
  r.channel = [](std::string_view id) -> std::optional<std::string> {
    auto it = channels.find(id);
    if (it == channels.end()) return std::nullopt;
    return it->second;
  };
  return r;
}

std::string Convert(std::string_view in) { return ConvertText(in, Resolver()).text; }

}  // namespace

TEST_CASE("slack text: user mentions become our <@ID> form", "[transfer][slack]") {
  CHECK(Convert("hi <@U01ALICE>!") == "hi <@01HALICELOCALID0000000000>!");
  CHECK(Convert("<@U01ALICE|alice> and <@U02BOB>") ==
        "<@01HALICELOCALID0000000000> and <@01HBOBLOCALID000000000000>");
  auto r = ConvertText("ping <@U01ALICE>", Resolver());
  CHECK(r.unknown_users.empty());
}

TEST_CASE("slack text: an unknown user is kept as text and reported", "[transfer][slack]") {
  auto r = ConvertText("ask <@U99GHOST> or <@U98X|carol>", Resolver());
  CHECK(r.text == "ask @U99GHOST or @carol");
  CHECK(r.unknown_users == std::vector<std::string>{"U99GHOST", "U98X"});
  // Without a resolver at all, every mention is unknown.
  auto none = ConvertText("<@U01ALICE>", TextResolver{});
  CHECK(none.text == "@U01ALICE");
  CHECK(none.unknown_users.size() == 1);
}

TEST_CASE("slack text: channels, special mentions and links", "[transfer][slack]") {
  CHECK(Convert("see <#C01GENERAL|general>") == "see #general");
  CHECK(Convert("see <#C01GENERAL>") == "see #general");
  CHECK(Convert("see <#C77UNKNOWN>") == "see #C77UNKNOWN");
  CHECK(Convert("<!channel> lunch") == "@channel lunch");
  CHECK(Convert("<!here|here> now") == "@here now");
  CHECK(Convert("<!everyone>") == "@everyone");
  CHECK(Convert("<!subteam^S0123|@design> review") == "@design review");
  CHECK(Convert("due <!date^1392734382^{date_short}|Feb 18, 2014>") == "due Feb 18, 2014");
  CHECK(Convert("<https://example.com>") == "https://example.com");
  CHECK(Convert("<https://example.com|the docs>") == "the docs (https://example.com)");
  CHECK(Convert("<https://example.com|https://example.com>") == "https://example.com");
  CHECK(Convert("<http://example.com|example.com>") == "http://example.com");
  CHECK(Convert("<mailto:bob@acme.test|bob@acme.test>") == "bob@acme.test");
  CHECK(Convert("<https://x.test/?a=1&amp;b=2|a &amp; b>") == "a & b (https://x.test/?a=1&b=2)");
}

TEST_CASE("slack text: entities are unescaped, other text kept", "[transfer][slack]") {
  CHECK(Convert("a &lt;b&gt; &amp;&amp; c") == "a <b> && c");
  CHECK(Convert("&amp;lt; stays one level") == "&lt; stays one level");
  CHECK(Convert("*bold* _it_ ~s~ `code` :tada:") == "*bold* _it_ ~s~ `code` :tada:");
  CHECK(Convert("") == "");
  CHECK(Convert("no refs") == "no refs");
  CHECK(Unescape("&quot;q&quot; &#39;s&#39; &unknown;") == "\"q\" 's' &unknown;");
}

TEST_CASE("slack text: stray brackets are kept", "[transfer][slack]") {
  CHECK(Convert("a < b") == "a < b");
  CHECK(Convert("a > b") == "a > b");
  CHECK(Convert("<>") == "<>");
  CHECK(Convert("x <y <@U01ALICE>") == "x <y <@01HALICELOCALID0000000000>");
  CHECK(Convert("trailing <") == "trailing <");
}

TEST_CASE("slack text: non-ASCII text passes through unchanged", "[transfer][slack]") {
  const std::string s =
      "Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x8E\x89 &amp; "
      "<@U01ALICE> \xE2\x9C\x85";
  CHECK(Convert(s) ==
        "Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x8E\x89 & "
        "<@01HALICELOCALID0000000000> \xE2\x9C\x85");
}
