// SPDX-License-Identifier: MIT
// Slack's export format, read into plain values.
//
// An export (a folder or a .zip, see archive.hpp) holds:
//   users.json     [{id, name, real_name, deleted, is_bot, profile: {email,
//                    real_name, display_name, bot_id?}}]
//   channels.json  public channels: [{id, name, created, creator, is_archived,
//                    members, topic: {value, creator, last_set}, purpose: {...}}]
//   groups.json    private channels, the same shape
//   dms.json       direct messages: [{id, created, members: [two user ids]}]
//   mpims.json     group DMs: [{id, name, created, creator, members, ...}]
//   <folder>/YYYY-MM-DD.json   one conversation's messages of one day, a JSON
//                    array; the folder is the conversation's `name` (channels,
//                    groups, mpims) or its `id` (dms); either is accepted.
//   __uploads/<file id>/<file name>   a shared file's bytes, when the export
//                    holds them (the layout of exports made with files and of
//                    tools like slackdump); absent: metadata only.
// Only users.json and channels.json are required; Slack's standard export
// has no groups, dms or mpims.
//
// Errors: malformed JSON is kInvalidArgument naming the file and line
// ("DIR/general/2017-12-01.json:3: ..."), as is a value of the wrong type in
// the fields the import needs (an id, a message's ts); other fields of an
// unexpected type are ignored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "quik/status.hpp"
#include "quik/types.hpp"
#include "transfer/slack/archive.hpp"

namespace quik::transfer::slack {

struct SlackUser {
  std::string id;            // "U0123ABCD"
  std::string name;          // the handle ("alice")
  std::string real_name;     // profile.real_name, else real_name
  std::string display_name;  // profile.display_name
  std::string email;         // profile.email; "" if the export has none
  bool deleted = false;
  bool is_bot = false;
  std::string bot_id;  // profile.bot_id of a bot user
  std::string team_id;
  bool is_owner = false;  // is_owner or is_primary_owner
  bool is_admin = false;
  bool is_restricted = false;  // a guest (is_restricted or is_ultra_restricted)
  int line = 0;                // where it starts in users.json
};

enum class ConversationKind { kChannel, kGroup, kDm, kMpim };
std::string_view ConversationKindName(ConversationKind kind);  // "channel", "group", "dm", "mpim"

struct SlackConversation {
  ConversationKind kind = ConversationKind::kChannel;
  std::string id;
  std::string name;    // "" for dms
  std::string folder;  // where its day files are ("" if it has none)
  Timestamp created = 0;
  std::string creator;
  bool is_archived = false;
  std::string topic;
  std::string purpose;
  std::vector<std::string> members;
  std::string file;  // the JSON file that lists it, and where
  int line = 0;
};

struct SlackReaction {
  std::string name;  // "thumbsup", "+1::skin-tone-2"
  std::vector<std::string> users;
  int count = 0;
};

struct SlackFile {
  std::string id;
  std::string name;
  std::string title;
  std::string mimetype;
  std::int64_t size = 0;
  std::string url_private;
  std::string mode;  // "hosted", "external", "tombstone" (deleted), "hidden_by_limit"
  std::string user;  // the uploader
  Timestamp created = 0;
  std::string content;  // the path of its bytes in the export; "" if absent
};

struct SlackMessage {
  std::string type;  // "message"
  std::string subtype;
  std::string user;
  std::string bot_id;
  std::string username;  // a bot's or integration's name
  std::string text;
  std::string ts;  // "1512085950.000216": the key of a message in its conversation
  Timestamp ts_ms = 0;
  std::string thread_ts;  // a thread root's own ts, or the root's for a reply
  int reply_count = 0;
  std::vector<SlackReaction> reactions;
  std::string edited_user;
  Timestamp edited_ms = 0;
  std::vector<SlackFile> files;
  std::string profile_name;            // user_profile.display_name / real_name
  std::string topic;                   // channel_topic
  std::string purpose;                 // channel_purpose
  std::string channel_name;            // channel_name: the new name
  std::string inviter;                 // channel_join by invitation
  std::vector<std::string> pinned_to;  // the conversations it is pinned in
  int line = 0;                        // where it starts in its day file

  bool is_reply() const { return !thread_ts.empty() && thread_ts != ts; }
};

// "1512085950.000216" -> 1512085950000 (ms; the microseconds below a
// millisecond are dropped, the string stays the key). nullopt if malformed.
std::optional<Timestamp> ParseTs(std::string_view ts);

// JSON text -> value, or kInvalidArgument "FILE:LINE: ..." (`described` names
// the file) with the line of the byte the parser stopped at.
Result<nlohmann::json> ParseJson(std::string_view text, const std::string& described);

// Where each element of a top-level JSON array starts: its line (1-based), in
// order. Empty if `text` is not an array.
std::vector<int> ElementLines(std::string_view text);

// The export's index: users and conversations, with the day files of each.
struct SlackExport {
  std::vector<SlackUser> users;
  std::vector<SlackConversation> conversations;  // channels, groups, mpims, dms, in that order
};

Result<SlackExport> ReadIndex(Archive& archive);

// A conversation's day files, sorted ("general/2017-12-01.json").
std::vector<std::string> DayFiles(const Archive& archive, const SlackConversation& c);

// One day file's messages, sorted by ts (stable).
Result<std::vector<SlackMessage>> ReadDay(Archive& archive, const std::string& rel);

}  // namespace quik::transfer::slack
