// SPDX-License-Identifier: MIT
// quik::NotificationService: a user's notification preferences and the
// notifications the server keeps for them.
//
// For every posted message the server's notifier (a durable consumer of the
// event log) decides who is notified: the members of a DM or group DM, users
// mentioned by @name or <@ID>, everyone for @channel, who is connected for
// @here, users whose keywords the text contains, and the followers of a
// thread for its replies, honouring each recipient's preferences: muted
// channels, a do-not-disturb schedule in their own time zone or a snooze, and
// a notify level. The full decision table is in quik-api(7), NOTIFICATIONS.
// Each notification is kept (GET /users/me/notifications) and announced to its
// user alone as a `notification.created` event; users offline read it later.
//
// Rules: preferences and notifications are a user's own. A user reads and
// changes their own (`user_ref` empty); the system and instance admins may
// name another user (kNotFound for a user the actor may not see,
// kPermissionDenied for one they may see but not manage).
//
// Thread safety: all methods may be called from any thread concurrently.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quik/actor.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"

namespace quik {
namespace internal {
struct Context;
}

// What notifies a user besides DMs and mentions (Slack's levels).
enum class NotifyLevel {
  kAll,       // every message in the channels they are in
  kMentions,  // DMs, mentions, keywords and followed threads (the default)
  kNone,      // nothing at all, DMs included
};
std::string_view NotifyLevelName(NotifyLevel level);  // "all", "mentions", "none"
std::optional<NotifyLevel> ParseNotifyLevel(std::string_view name);

// A daily do-not-disturb window in the user's local time; it may wrap
// midnight (22:00-08:00). Times are minutes after local midnight, 0..1439.
struct DndSchedule {
  bool enabled = false;     // Default: false
  int start_minute = 1320;  // Default: 22:00
  int end_minute = 480;     // Default: 08:00
};

struct Preferences {
  std::string user_id;
  // An IANA time zone name ("Europe/Berlin"), for the DND schedule.
  std::string time_zone = "UTC";  // Default: "UTC"
  DndSchedule dnd;
  // A snooze: nothing notifies until then (ms since the epoch). Default: 0 (none).
  Timestamp dnd_until = 0;
  // Words that notify like a mention: case-insensitive (ASCII), whole words.
  std::vector<std::string> keywords;  // Default: none
  // Channels whose messages notify only on a direct @mention of the user.
  std::vector<std::string> muted_channels;  // Default: none
  NotifyLevel notify = NotifyLevel::kMentions;
  Timestamp updated_at = 0;  // 0: never changed (the defaults)
  // Output only: whether DND (schedule, snooze or presence "dnd") holds now.
  bool dnd_active = false;
};

// A change of preferences (JSON merge semantics): unset fields stay as they
// are; a set field replaces the whole value (lists included).
struct PreferencesPatch {
  std::optional<std::string> time_zone;  // validated against the tz database
  std::optional<bool> dnd_enabled;
  std::optional<int> dnd_start_minute;
  std::optional<int> dnd_end_minute;
  std::optional<Timestamp> dnd_until;  // 0 clears the snooze
  std::optional<std::vector<std::string>> keywords;
  std::optional<std::vector<std::string>> muted_channels;  // channel ids the user can read
  std::optional<NotifyLevel> notify;
};

// Limits on what a user stores.
inline constexpr int kMaxKeywords = 50;
inline constexpr int kMaxKeywordChars = 64;
inline constexpr int kMaxMutedChannels = 1000;
inline constexpr int kMaxNotificationIdsPerCall = 500;

struct Notification {
  std::string id;  // time-ordered
  std::string user_id;
  std::string workspace_id;
  std::string channel_id;
  std::string message_id;
  std::string thread_root_id;  // set for a reply
  // Why: "dm", "mention", "channel_mention", "here_mention", "keyword",
  // "thread_reply" or "message" (notify level "all").
  std::string reason;
  std::string actor_id;  // the message's author
  std::string excerpt;   // the start of the message text (at most 140 characters)
  Timestamp created_at = 0;
  Timestamp read_at = 0;  // 0: unread
};

struct ListNotificationsRequest {
  bool unread_only = false;
  int limit = 50;      // 1..limits.page_max (clamped)
  std::string cursor;  // from Page::next_cursor
};

// Which notifications MarkRead marks: `ids`, or every unread one with `all`.
struct MarkReadRequest {
  std::vector<std::string> ids;  // at most kMaxNotificationIdsPerCall
  bool all = false;
};

class NotificationService {
 public:
  explicit NotificationService(internal::Context* ctx) : ctx_(ctx) {}

  // The user's preferences (the defaults until first changed).
  Result<Preferences> GetPreferences(const Actor& actor, std::string_view user_ref = {});
  // Applies `patch` and writes a `preferences.updated` event (for the user
  // alone). kInvalidArgument names the field to fix; a muted channel the user
  // cannot read is kNotFound. Returns the preferences after the change.
  Result<Preferences> UpdatePreferences(const Actor& actor, const PreferencesPatch& patch,
                                        std::string_view user_ref = {});
  // Newest first; only notifications about channels the user can still read.
  Result<Page<Notification>> List(const Actor& actor, const ListNotificationsRequest& request = {},
                                  std::string_view user_ref = {});
  // Marks notifications read (ids of others' or unknown ones are ignored) and,
  // if any changed, writes a `notification.read` event. Returns how many
  // changed.
  Result<int> MarkRead(const Actor& actor, const MarkReadRequest& request,
                       std::string_view user_ref = {});

 private:
  internal::Context* ctx_;
};

}  // namespace quik
