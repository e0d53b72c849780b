// SPDX-License-Identifier: MIT
// notify::Decide: the notification decision table (decide.hpp), row by row:
// mention x mute x DND (schedule across midnight and a DST change, snooze,
// presence) x DM x followed thread x deactivated x not-member x author.
#include <catch2/catch.hpp>

#include <functional>

#include "notify/decide.hpp"
#include "notify/notifier.hpp"

namespace {

using quik::NotifyLevel;
using quik::Timestamp;
using namespace quik::notify;

Timestamp T(const char* rfc3339) {
  auto t = ParseTime(rfc3339);
  REQUIRE(t);
  return *t;
}

// A weekday noon in New York in winter: no schedule holds.
const char* const kNoon = "2024-01-15T17:00:00Z";

Recipient Bob() {
  Recipient r;
  r.user_id = "bob";
  r.time_zone = "America/New_York";
  return r;
}

MessageFacts InChannel(std::string text = "hello") {
  MessageFacts m;
  m.kind = MessageKind::kChannel;
  m.text = std::move(text);
  return m;
}

struct Row {
  const char* name;
  std::function<void(Recipient&)> recipient;
  std::function<void(MessageFacts&)> message;
  bool notify;
  Reason reason;
  Suppression suppressed;
  const char* now = kNoon;
};

void Mention(MessageFacts& m) { m.mentions = {"bob"}; }
void Nothing(Recipient&) {}
void NightDnd(Recipient& r) { r.dnd = {true, 22 * 60, 8 * 60}; }

}  // namespace

TEST_CASE("notify decision table", "[notify]") {
  const std::vector<Row> rows = {
      // Who is never notified.
      {"the author, even mentioning themself", [](Recipient& r) { r.is_author = true; }, Mention,
       false, Reason::kNone, Suppression::kAuthor},
      {"the author of a DM", [](Recipient& r) { r.is_author = true; },
       [](MessageFacts& m) { m.kind = MessageKind::kDirect; }, false, Reason::kNone,
       Suppression::kAuthor},
      {"a deactivated user, mentioned", [](Recipient& r) { r.active = false; }, Mention, false,
       Reason::kNone, Suppression::kDeactivated},
      {"a deactivated member of a DM", [](Recipient& r) { r.active = false; },
       [](MessageFacts& m) { m.kind = MessageKind::kDirect; }, false, Reason::kNone,
       Suppression::kDeactivated},
      {"a non-member, @named", [](Recipient& r) { r.can_read = false; }, Mention, false,
       Reason::kNone, Suppression::kNotMember},
      {"a non-member, @channel", [](Recipient& r) { r.can_read = false; },
       [](MessageFacts& m) { m.mentions_channel = true; }, false, Reason::kNone,
       Suppression::kNotMember},
      // Why one is notified.
      {"a plain message", Nothing, [](MessageFacts&) {}, false, Reason::kNone, Suppression::kNone},
      {"a mention", Nothing, Mention, true, Reason::kMention, Suppression::kNone},
      {"someone else mentioned", Nothing, [](MessageFacts& m) { m.mentions = {"carol"}; }, false,
       Reason::kNone, Suppression::kNone},
      {"a DM", Nothing, [](MessageFacts& m) { m.kind = MessageKind::kDirect; }, true, Reason::kDm,
       Suppression::kNone},
      {"a group DM", Nothing, [](MessageFacts& m) { m.kind = MessageKind::kGroup; }, true,
       Reason::kDm, Suppression::kNone},
      {"a DM that also mentions: dm wins", Nothing,
       [](MessageFacts& m) {
         m.kind = MessageKind::kDirect;
         m.mentions = {"bob"};
       },
       true, Reason::kDm, Suppression::kNone},
      {"@channel", Nothing, [](MessageFacts& m) { m.mentions_channel = true; }, true,
       Reason::kChannelMention, Suppression::kNone},
      {"@here while connected", [](Recipient& r) { r.online = true; },
       [](MessageFacts& m) { m.mentions_here = true; }, true, Reason::kHereMention,
       Suppression::kNone},
      {"@here while offline", Nothing, [](MessageFacts& m) { m.mentions_here = true; }, false,
       Reason::kNone, Suppression::kNone},
      {"a keyword, any case, whole word", [](Recipient& r) { r.keywords = {"deploy"}; },
       [](MessageFacts& m) { m.text = "Who can DEPLOY today?"; }, true, Reason::kKeyword,
       Suppression::kNone},
      {"a keyword inside a longer word does not count",
       [](Recipient& r) { r.keywords = {"deploy"}; },
       [](MessageFacts& m) { m.text = "redeployment is done"; }, false, Reason::kNone,
       Suppression::kNone},
      {"a reply in a followed thread", [](Recipient& r) { r.follows_thread = true; },
       [](MessageFacts& m) { m.thread_root_id = "root"; }, true, Reason::kThreadReply,
       Suppression::kNone},
      {"a reply in a thread not followed", Nothing,
       [](MessageFacts& m) { m.thread_root_id = "root"; }, false, Reason::kNone,
       Suppression::kNone},
      {"a top-level message by a thread's follower is no reply",
       [](Recipient& r) { r.follows_thread = true; }, [](MessageFacts&) {}, false, Reason::kNone,
       Suppression::kNone},
      {"a followed reply that mentions: mention wins",
       [](Recipient& r) { r.follows_thread = true; },
       [](MessageFacts& m) {
         m.thread_root_id = "root";
         m.mentions = {"bob"};
       },
       true, Reason::kMention, Suppression::kNone},
      {"level all: any message", [](Recipient& r) { r.level = NotifyLevel::kAll; },
       [](MessageFacts&) {}, true, Reason::kMessage, Suppression::kNone},
      // Mute.
      {"muted: a direct mention still notifies", [](Recipient& r) { r.muted = true; }, Mention,
       true, Reason::kMention, Suppression::kNone},
      {"muted: @channel does not", [](Recipient& r) { r.muted = true; },
       [](MessageFacts& m) { m.mentions_channel = true; }, false, Reason::kChannelMention,
       Suppression::kMuted},
      {"muted: @here does not",
       [](Recipient& r) {
         r.muted = true;
         r.online = true;
       },
       [](MessageFacts& m) { m.mentions_here = true; }, false, Reason::kHereMention,
       Suppression::kMuted},
      {"muted: a keyword does not",
       [](Recipient& r) {
         r.muted = true;
         r.keywords = {"deploy"};
       },
       [](MessageFacts& m) { m.text = "deploy now"; }, false, Reason::kKeyword,
       Suppression::kMuted},
      {"muted: a followed thread does not",
       [](Recipient& r) {
         r.muted = true;
         r.follows_thread = true;
       },
       [](MessageFacts& m) { m.thread_root_id = "root"; }, false, Reason::kThreadReply,
       Suppression::kMuted},
      {"muted DM", [](Recipient& r) { r.muted = true; },
       [](MessageFacts& m) { m.kind = MessageKind::kDirect; }, false, Reason::kDm,
       Suppression::kMuted},
      {"muted DM that @names: mention", [](Recipient& r) { r.muted = true; },
       [](MessageFacts& m) {
         m.kind = MessageKind::kDirect;
         m.mentions = {"bob"};
       },
       true, Reason::kMention, Suppression::kNone},
      // Level none.
      {"level none: a mention", [](Recipient& r) { r.level = NotifyLevel::kNone; }, Mention, false,
       Reason::kMention, Suppression::kLevel},
      {"level none: a DM", [](Recipient& r) { r.level = NotifyLevel::kNone; },
       [](MessageFacts& m) { m.kind = MessageKind::kDirect; }, false, Reason::kDm,
       Suppression::kLevel},
      // DND: a schedule 22:00-08:00 in New York (wraps midnight).
      {"DND schedule at 23:30 EST: a mention", NightDnd, Mention, false, Reason::kMention,
       Suppression::kDnd, "2024-01-16T04:30:00Z"},
      {"DND schedule at 23:30 EST: a DM", NightDnd,
       [](MessageFacts& m) { m.kind = MessageKind::kDirect; }, false, Reason::kDm,
       Suppression::kDnd, "2024-01-16T04:30:00Z"},
      {"DND schedule at 07:30 EST", NightDnd, Mention, false, Reason::kMention, Suppression::kDnd,
       "2024-01-15T12:30:00Z"},
      {"DND schedule at 08:30 EST: over", NightDnd, Mention, true, Reason::kMention,
       Suppression::kNone, "2024-01-15T13:30:00Z"},
      {"DND schedule at 21:59 EST: not yet", NightDnd, Mention, true, Reason::kMention,
       Suppression::kNone, "2024-01-16T02:59:00Z"},
      {"DND schedule at 22:00 EST: starts", NightDnd, Mention, false, Reason::kMention,
       Suppression::kDnd, "2024-01-16T03:00:00Z"},
      // 2024-03-10: clocks go from 02:00 EST to 03:00 EDT.
      {"DST day, 22:30 EST the evening before", NightDnd, Mention, false, Reason::kMention,
       Suppression::kDnd, "2024-03-10T03:30:00Z"},
      {"DST day, 07:30 EDT", NightDnd, Mention, false, Reason::kMention, Suppression::kDnd,
       "2024-03-10T11:30:00Z"},
      {"DST day, 08:30 EDT (07:30 in EST): over", NightDnd, Mention, true, Reason::kMention,
       Suppression::kNone, "2024-03-10T12:30:00Z"},
      {"the same instant in UTC is 12:30: no DND",
       [](Recipient& r) {
         NightDnd(r);
         r.time_zone = "UTC";
       },
       Mention, true, Reason::kMention, Suppression::kNone, "2024-03-10T12:30:00Z"},
      {"a daytime schedule 09:00-17:00 at noon",
       [](Recipient& r) {
         r.dnd = {true, 9 * 60, 17 * 60};
       },
       Mention, false, Reason::kMention, Suppression::kDnd},
      {"a disabled schedule",
       [](Recipient& r) {
         r.dnd = {false, 9 * 60, 17 * 60};
       },
       Mention, true, Reason::kMention, Suppression::kNone},
      // Snooze and presence.
      {"snoozed for another hour", [](Recipient& r) { r.dnd_until = T(kNoon) + 3600 * 1000; },
       Mention, false, Reason::kMention, Suppression::kDnd},
      {"a snooze that ended", [](Recipient& r) { r.dnd_until = T(kNoon) - 1; }, Mention, true,
       Reason::kMention, Suppression::kNone},
      {"presence dnd", [](Recipient& r) { r.presence_dnd = true; }, Mention, false,
       Reason::kMention, Suppression::kDnd},
      // Order of the rows: mute before level before DND.
      {"muted, level none and DND: muted",
       [](Recipient& r) {
         r.muted = true;
         r.level = NotifyLevel::kNone;
         r.presence_dnd = true;
       },
       [](MessageFacts& m) { m.mentions_channel = true; }, false, Reason::kChannelMention,
       Suppression::kMuted},
      {"deactivated and not a member: deactivated",
       [](Recipient& r) {
         r.active = false;
         r.can_read = false;
       },
       Mention, false, Reason::kNone, Suppression::kDeactivated},
  };
  for (const Row& row : rows) {
    INFO(row.name);
    Recipient r = Bob();
    row.recipient(r);
    MessageFacts m = InChannel();
    row.message(m);
    const Decision d = Decide(r, m, T(row.now));
    CHECK(d.notify == row.notify);
    CHECK(ReasonName(d.reason) == ReasonName(row.reason));
    CHECK(SuppressionName(d.suppressed) == SuppressionName(row.suppressed));
  }
}

TEST_CASE("notify keywords match whole words, ignoring case", "[notify]") {
  CHECK(ContainsKeyword("Deploy now", "deploy"));
  CHECK(ContainsKeyword("ready to deploy.", "DEPLOY"));
  CHECK(ContainsKeyword("the on-call rota", "on-call"));
  CHECK(ContainsKeyword("ask about the Q3 plan", "q3 plan"));
  CHECK_FALSE(ContainsKeyword("redeploy", "deploy"));
  CHECK_FALSE(ContainsKeyword("deployment", "deploy"));
  CHECK_FALSE(ContainsKeyword("deploy_now", "deploy"));
  CHECK_FALSE(ContainsKeyword("café", "caf"));  // a letter beyond ASCII continues the word
  CHECK(ContainsKeyword("un café?", "café"));
  CHECK_FALSE(ContainsKeyword("", "deploy"));
  CHECK_FALSE(ContainsKeyword("deploy", ""));
}

TEST_CASE("notify time zones come from the tz database", "[notify]") {
  CHECK(IsKnownTimeZone("UTC"));
  CHECK(IsKnownTimeZone("America/New_York"));
  CHECK(IsKnownTimeZone("Europe/Berlin"));
  CHECK_FALSE(IsKnownTimeZone("Mars/Olympus_Mons"));
  CHECK_FALSE(IsKnownTimeZone(""));
  CHECK_FALSE(IsKnownTimeZone("../../etc/passwd"));
  CHECK_FALSE(IsKnownTimeZone("/etc/localtime"));
  // 12:30 UTC: 07:30 in New York in January (EST), 08:30 in July (EDT).
  CHECK(LocalMinuteOfDay("America/New_York", T("2024-01-15T12:30:00Z")) == 7 * 60 + 30);
  CHECK(LocalMinuteOfDay("America/New_York", T("2024-07-15T12:30:00Z")) == 8 * 60 + 30);
  CHECK(LocalMinuteOfDay("Asia/Kolkata", T("2024-07-15T12:30:00Z")) == 18 * 60);
  CHECK_FALSE(LocalMinuteOfDay("Nowhere/Town", 0));
}

TEST_CASE("notify parses RFC 3339 times", "[notify]") {
  CHECK(ParseTime("1970-01-01T00:00:00Z") == 0);
  CHECK(ParseTime("1970-01-01T00:00:01.250Z") == 1250);
  CHECK(ParseTime("1970-01-01T01:00:00+01:00") == 0);
  CHECK(ParseTime("1969-12-31T19:00:00-05:00") == 0);
  CHECK(ParseTime("2024-01-02T10:00:00.200Z") == 1704189600200);
  CHECK_FALSE(ParseTime("2024-01-02 10:00:00Z"));
  CHECK_FALSE(ParseTime("2024-02-30T10:00:00Z"));
  CHECK_FALSE(ParseTime("2024-01-02T10:00:00"));
  CHECK_FALSE(ParseTime("tomorrow"));
}

TEST_CASE("notify excerpts cut between characters", "[notify]") {
  CHECK(Excerpt("  hello\n\n  world  ") == "hello world");
  CHECK(Excerpt("abcdef", 3) == "abc\u2026");
  CHECK(Excerpt("ééééé", 2) == "éé\u2026");
  CHECK(Excerpt("abc", 3) == "abc");
}
