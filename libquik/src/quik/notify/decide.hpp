// SPDX-License-Identifier: MIT
// notify::Decide: whether one message notifies one user, as a pure function of
// plain facts (no storage, no clock), so the whole table is unit-tested.
//
// The decision table (checked in this order; the first row that applies wins):
//
//   | # | condition                                            | result              |
//   |---|------------------------------------------------------|---------------------|
//   | 1 | the recipient wrote the message                      | no: author          |
//   | 2 | the recipient is deactivated                         | no: deactivated     |
//   | 3 | the recipient is not a member of the channel         | no: not_member      |
//   | 4 | nothing in the message concerns the recipient        | no (no reason)      |
//   | 5 | the channel is muted and the recipient is not        | no: muted           |
//   |   | directly mentioned (@name or <@ID>)                  |                     |
//   | 6 | notify level "none"                                  | no: level           |
//   | 7 | DND: the schedule holds now in the recipient's zone, | no: dnd             |
//   |   | or a snooze (dnd_until) is in the future, or their   |                     |
//   |   | presence is "dnd"                                    |                     |
//   | 8 | otherwise                                            | yes, with the reason|
//
// The reason (row 4 finds none when no line applies), first match wins:
//   dm               the channel is a DM or group DM
//   mention          @name or <@ID> names the recipient
//   thread_reply     a reply in a thread the recipient follows
//   keyword          one of the recipient's keywords, as a whole word
//   channel_mention  @channel (also @everyone, @all: the message's own flag)
//   here_mention     @here, and the recipient is connected (not offline)
//   message          notify level "all": any other message in the channel
// A muted channel keeps only "mention" (row 5), whatever came first.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quik/notifications.hpp"
#include "quik/types.hpp"

namespace quik::notify {

enum class Reason {
  kNone,
  kDm,
  kMention,
  kThreadReply,
  kKeyword,
  kChannelMention,
  kHereMention,
  kMessage
};
enum class Suppression { kNone, kAuthor, kDeactivated, kNotMember, kMuted, kLevel, kDnd };

// "dm", "mention", ...; "" for kNone.
std::string_view ReasonName(Reason reason);
// "author", "deactivated", "not_member", "muted", "level", "dnd"; "" for kNone.
std::string_view SuppressionName(Suppression suppression);

struct Recipient {
  std::string user_id;
  bool active = true;
  bool is_author = false;
  bool can_read = true;  // a member of the channel
  bool muted = false;    // the channel is in their muted_channels
  std::string time_zone = "UTC";
  DndSchedule dnd;
  Timestamp dnd_until = 0;
  bool presence_dnd = false;  // their presence status is "dnd"
  std::vector<std::string> keywords;
  bool follows_thread = false;  // of the message's thread (for a reply)
  NotifyLevel level = NotifyLevel::kMentions;
  bool online = false;  // connected now (presence not offline)
};

enum class MessageKind { kChannel, kDirect, kGroup };

struct MessageFacts {
  MessageKind kind = MessageKind::kChannel;
  std::vector<std::string> mentions;  // user ids named by @name or <@ID>
  bool mentions_channel = false;
  bool mentions_here = false;
  std::string thread_root_id;  // set for a reply
  std::string text;
};

struct Decision {
  bool notify = false;
  Reason reason = Reason::kNone;  // why (also set when suppressed: what was held back)
  Suppression suppressed = Suppression::kNone;
};

Decision Decide(const Recipient& recipient, const MessageFacts& message, Timestamp now);

// Whether `keyword` occurs in `text` as a whole word, ignoring ASCII case.
// Word characters are ASCII letters, digits, '_' and every non-ASCII byte.
bool ContainsKeyword(std::string_view text, std::string_view keyword);

// Whether DND holds at `now` for a schedule in zone `time_zone` (an unknown
// zone counts as UTC) or a snooze until `dnd_until`.
bool InDnd(const DndSchedule& dnd, std::string_view time_zone, Timestamp dnd_until, Timestamp now);

// Minutes after local midnight at `now` in `time_zone`; nullopt for an
// unknown zone.
std::optional<int> LocalMinuteOfDay(std::string_view time_zone, Timestamp now);

// When local day year-month-day, moved by `plus_days`, begins in `time_zone`
// (UTC for an unknown zone), as UTC ms (search's before:/after:/on:). Where
// midnight does not exist (a DST jump), the day begins at the jump.
Timestamp LocalDayStart(std::string_view time_zone, int year, int month, int day, int plus_days);

// Whether `name` is a zone of the system's tz database.
bool IsKnownTimeZone(std::string_view name);

// An RFC 3339 time ("2024-01-02T10:00:00Z", "...:00.250+01:00") as ms since
// the epoch; nullopt if malformed.
std::optional<Timestamp> ParseTime(std::string_view text);

}  // namespace quik::notify
