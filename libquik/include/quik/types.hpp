// SPDX-License-Identifier: MIT
// The data model of CONTRACT.md section 0, as plain values.
//
// Ids are opaque strings: 26-character ULIDs (Crockford base32) that sort by
// creation time and are minted on any node without coordination. Times are
// milliseconds since the Unix epoch, UTC (quik::FormatTime renders RFC 3339).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace quik {

using Timestamp = std::int64_t;  // ms since 1970-01-01T00:00:00Z; 0 means "never/unset"

// "2024-01-02T10:00:00.200Z".
std::string FormatTime(Timestamp t);

enum class Role { kOwner, kAdmin, kMember, kGuest };
std::string_view RoleName(Role role);                  // "owner", "admin", "member", "guest"
std::optional<Role> ParseRole(std::string_view name);  // the inverse; nullopt if unknown

struct User {
  std::string id;
  std::string email;  // as given; unique case-insensitively
  std::string name;   // display name
  bool active = true;
  bool is_admin = false;  // an instance administrator (may manage every user)
  Timestamp created_at = 0;
  Timestamp deactivated_at = 0;
};

struct Workspace {
  std::string id;
  std::string name;
  std::string slug;  // unique; [a-z0-9-], 1..40 characters
  Timestamp created_at = 0;
};

struct Member {
  std::string workspace_id;
  std::string user_id;
  Role role = Role::kMember;
  Timestamp joined_at = 0;
  // Filled in by list calls for display; not part of the membership itself.
  std::string email;
  std::string name;
};

struct Invite {
  std::string id;
  std::string workspace_id;
  Role role = Role::kMember;
  std::string created_by;  // user id; empty when made by the system
  Timestamp created_at = 0;
  Timestamp expires_at = 0;
  int max_uses = 0;          // accounts it may bring in; 0: no limit (invites made before v12)
  int uses = 0;              // accounts it brought in so far
  std::string email;         // bound to this email (case-insensitive); empty: anyone
  Timestamp revoked_at = 0;  // 0: not revoked
  std::string code;          // the secret; only set on the Invite that creation returns
};

enum class ChannelKind { kPublic, kPrivate, kDirect, kGroup };
std::string_view ChannelKindName(ChannelKind kind);  // "public", "private", "dm", "group_dm"

struct Channel {
  std::string id;
  std::string workspace_id;
  std::string name;  // unique per workspace among non-DM channels; [a-z0-9-_], 1..80
  std::string topic;
  ChannelKind kind = ChannelKind::kPublic;
  bool archived = false;
  std::string created_by;
  Timestamp created_at = 0;
  bool is_private() const { return kind != ChannelKind::kPublic; }
};

struct ChannelMember {
  std::string channel_id;
  std::string user_id;
  Timestamp joined_at = 0;
  std::string email;  // for display
  std::string name;
};

// One emoji on a message: who reacted with it (in the order they did).
struct Reaction {
  std::string emoji;  // a short name ("thumbsup") or one Unicode emoji
  int count = 0;
  std::vector<std::string> user_ids;
};

// An uploaded file (FileService, quik/files.hpp). The bytes live once per
// content in the data dir's blob store, named by their SHA-256.
struct File {
  std::string id;
  std::string workspace_id;
  std::string user_id;  // the uploader
  std::string name;     // sanitized: no path, no control characters, never empty
  std::int64_t size = 0;
  std::string content_type;  // sniffed from the bytes, never the client's word
  std::string sha256;        // lower-case hex of the content
  // Images: the size their header declares (0 when not an image we read).
  int width = 0;
  int height = 0;
  std::string thumbnail_sha256;  // the thumbnail's blob (a JPEG); empty if none
  std::int64_t thumbnail_size = 0;
  Timestamp created_at = 0;
  bool has_thumbnail() const { return !thumbnail_sha256.empty(); }
};

struct Message {
  std::string id;
  std::string channel_id;
  std::string workspace_id;
  std::string user_id;
  std::string text;  // empty once deleted
  std::string client_msg_id;
  std::string thread_root_id;
  int reply_count = 0;  // a thread root's replies, deleted ones not counted
  Timestamp created_at = 0;
  Timestamp edited_at = 0;
  Timestamp deleted_at = 0;
  // A thread root: when the latest reply came and who has replied (user ids,
  // in order of their first reply).
  Timestamp last_reply_at = 0;
  std::vector<std::string> reply_users;
  // A reply that is also shown in the channel (Slack's reply_broadcast).
  bool reply_broadcast = false;
  // Mentions, parsed from the text when it is posted or edited: the workspace
  // members named by @name or <@USER_ID>, and @channel / @here.
  std::vector<std::string> mentions;
  bool mentions_channel = false;
  bool mentions_here = false;
  // Positions, the counters behind read state: `ordinal` is the message's
  // place among the messages shown in its channel (0: a reply shown only in
  // its thread), `reply_ordinal` a reply's place in its thread. A thread
  // root's `reply_seq` counts every reply ever made, deleted ones too.
  std::int64_t ordinal = 0;
  std::int64_t reply_ordinal = 0;
  std::int64_t reply_seq = 0;
  // Filled in by reads (Get, List, ListReplies, pins), in order of first use.
  std::vector<Reaction> reactions;
  // The files the message shares, in the order it listed them (file_ids),
  // and their metadata (files), filled in with the message.
  std::vector<std::string> file_ids = {};
  std::vector<File> files = {};
};

// A user's place in a channel, or (thread_root_id set) in a thread: the last
// message they read and what came after it.
struct ReadState {
  std::string user_id;
  std::string workspace_id;
  std::string channel_id;
  std::string thread_root_id;  // "" for the channel itself
  std::string last_read_id;    // "" if they have read nothing yet
  std::int64_t unread_count = 0;
  std::int64_t mention_count = 0;
  bool following = false;  // threads: the user follows it
};

// A pinned message of a channel, newest pin first in lists.
struct Pin {
  std::string channel_id;
  std::string message_id;
  std::string pinned_by;  // user id; empty when pinned by the system
  Timestamp pinned_at = 0;
  Message message;  // the message as it is now
};

// One edit of a message: the text it replaced. Deleting the message purges them.
struct MessageEdit {
  std::string message_id;
  std::string editor_id;  // user id; empty for the system
  Timestamp edited_at = 0;
  std::string previous_text;
};

enum class TokenKind { kSession, kApi };

struct Token {
  std::string id;
  std::string user_id;
  std::string name;
  TokenKind kind = TokenKind::kApi;
  Timestamp created_at = 0;
  Timestamp expires_at = 0;  // 0: never
  Timestamp revoked_at = 0;  // 0: live
};

// A credential as issued: the secret is shown once and stored only hashed.
struct IssuedToken {
  Token token;
  std::string secret;
};

// A durable event: one row of the log that every mutation writes in the same
// transaction as its data. `payload` is a serialized quik.v1.EventPayload
// (libquik/proto/quik/v1/events.proto).
struct Event {
  std::int64_t seq = 0;  // strictly rising
  std::string type;      // "message.posted", "channel.created", ...
  std::string workspace_id;
  std::string channel_id;
  std::string user_id;  // the actor, when there is one
  Timestamp created_at = 0;
  std::string payload;
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_cursor;  // empty on the last page
};

struct PageRequest {
  int limit = 50;      // 1..limits.page_max (clamped)
  std::string cursor;  // from a previous Page::next_cursor
};

}  // namespace quik
