// SPDX-License-Identifier: MIT
// transfer::ImportWriter: writes imported objects (from a QuikApp export, a
// Slack export, ...) into the data dir, idempotently and resumably. Internal:
// the quik export importer (transfer/import.cc) and the Slack importer use it.
//
// HOW TO USE IT
//
//   transfer::ImportWriter w(ctx, "slack:T0123");   // source: origin of the keys
//   QUIK_RETURN_IF_ERROR(w.Chunk([&](store::Tx& tx) -> Status {
//     QUIK_ASSIGN_OR_RETURN(auto ws, w.OpenWorkspace(tx, {"T0123", "Acme", "acme", 0}));
//     for (const auto& u : users) QUIK_RETURN_IF_ERROR(w.PutUser(tx, u).status());
//     ...
//     return Status::Ok();
//   }));
//   for (each run of about kChunkObjects messages) QUIK_RETURN_IF_ERROR(w.Chunk(...PutMessage...));
//   ImportReport report = w.report();
//
// - Chunk(fn) runs `fn` in one write transaction (group-committed like every
//   write; a running server keeps serving between chunks). Keep a chunk to
//   about kChunkObjects objects so no import holds the write lock for long.
//   If `fn` fails, the chunk rolls back and its counts are dropped; what
//   earlier chunks wrote stays.
// - OpenWorkspace first (in the first chunk): every other Put* needs it.
// - Every object has a `key`: its id in the source. Put* looks the key up in
//   the import_keys table (migration 11) first: a known key returns the local
//   id it became and changes nothing ("existing"). So rerunning an import, or
//   resuming one that was killed, writes only what is missing.
// - Objects refer to each other by key (a message's channel_key, user_key,
//   thread_root_key, file_keys): put what is referred to first (users,
//   members, channels, channel members, files, then messages in time order,
//   then reactions and pins). A reference to an unknown key skips the object
//   (counted with the reason), except a missing thread root: the reply is
//   then imported as a top-level message (counted as a note).
// - An export of a workspace imported back into that same workspace (same
//   id) recognises its objects by their ids: nothing is duplicated.
// - Put* returns {local_id, outcome}; a skipped object returns outcome
//   kSkipped with an empty local_id and is counted under its reason. Errors
//   (Status) are for real failures (I/O, the database) and abort the chunk.
// - Skip(kind, why) counts an object the caller itself decided not to import
//   (e.g. an unsupported Slack subtype); Note(kind, what) counts a remark.
//
// WHAT IS WRITTEN, AND WHICH EVENTS
//
// - Workspace: found by slug, else created (workspace.created).
// - User: matched by key, else by email (case-insensitive), else created
//   without a password (user.created); `deactivated` creates it deactivated
//   (user.deactivated). An empty email becomes "<source>-<key>@import.invalid"
//   (lower-cased, in the email alphabet). An existing user is never changed.
// - Member: the user joins the workspace with `role` (member.joined); an
//   existing membership keeps its role. Deactivated users may be members.
// - Channel: public/private matched by key, else by name in the workspace
//   (adopted as is), else created with its topic, archived flag, creator and
//   original created_at (channel.created). DMs and group DMs name their
//   `people` (user keys) and are the channel OpenDirect would open for that
//   set (same dm_key and name); the people become members (member.joined).
// - Channel member: member.joined; the user must be a workspace member.
// - File: metadata row; with `bytes_path` the bytes go through the blob
//   store like an upload (hashed, content-addressed, thumbnail); a sha256
//   that does not match the bytes skips the file. Without bytes the row
//   names a blob that may be missing (downloads then fail). No event.
// - Message: id NewIdAt(created_at), so it sorts among the channel's messages
//   by its original time; author, text (mentions parsed and stored, but no
//   mention rows or counters), client_msg_id, edited_at, reply_broadcast,
//   files (message_files), thread (by the root's key; the root's
//   reply_count / reply_users / last_reply_at are updated exactly as posting
//   does, internal::AddThreadReply, and the root's author and the replier
//   follow the thread). NO message.posted event: importing history must not
//   notify, call webhooks or reach clients as new messages. Indexed for
//   search by the same triggers as every message.
// - Reaction, pin: as the user did them then; no events.
// - Ordinals: a message shown in the channel takes the channel's next
//   ordinal (NextChannelOrdinal) when imported. Import a channel's messages
//   in time order. Imported into a channel that already has newer messages,
//   they page by id (time) between them, but count as newer for read state.
// - Read state: imported history counts as read. Members (and thread
//   followers) whose read point was at the end of the channel (thread) when a
//   chunk started are moved to its new end when the chunk commits; those
//   with unread messages keep their read point, so for them the imported
//   messages count as unread too. Mention counters do not move.
//
// Thread safety: one ImportWriter per import, used from one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "quik/status.hpp"
#include "quik/transfer.hpp"
#include "quik/types.hpp"
#include "service/context.hpp"
#include "store/tx.hpp"

namespace quik::transfer {

// Objects per Chunk that keep one transaction short (a few ms to ~100 ms).
inline constexpr int kChunkObjects = 1000;

struct ImportedWorkspace {
  std::string key;  // the workspace's id in the source
  std::string name;
  std::string slug;  // found or created by it
  Timestamp created_at = 0;
};

struct ImportedUser {
  std::string key;
  std::string email;  // may be empty (see above)
  std::string name;   // empty: the email's local part
  bool deactivated = false;
  Timestamp created_at = 0;
};

struct ImportedMember {
  std::string user_key;
  Role role = Role::kMember;
  Timestamp joined_at = 0;
};

struct ImportedChannel {
  std::string key;
  std::string name;  // public/private: normalized like a new channel's name; DMs: ignored
  ChannelKind kind = ChannelKind::kPublic;
  std::string topic;
  bool archived = false;
  std::string creator_key;  // "" or unknown: no creator
  Timestamp created_at = 0;
  std::vector<std::string> people;  // DMs and group DMs: the user keys (at least two)
};

struct ImportedChannelMember {
  std::string channel_key;
  std::string user_key;
  Timestamp joined_at = 0;
};

struct ImportedFile {
  std::string key;
  std::string user_key;  // the uploader
  std::string name;
  std::int64_t size = 0;
  std::string content_type;  // used when there are no bytes to sniff
  std::string sha256;        // lower-case hex; "" when unknown (then bytes are needed)
  int width = 0;
  int height = 0;
  Timestamp created_at = 0;
  std::filesystem::path bytes_path;  // the content, if the source has it; empty: none
};

struct ImportedMessage {
  std::string key;
  std::string channel_key;
  std::string user_key;
  std::string text;
  Timestamp created_at = 0;  // required (> 0)
  Timestamp edited_at = 0;
  Timestamp deleted_at = 0;            // a deleted message (a thread root kept for its replies)
  std::string thread_root_key;         // "" for a top-level message
  bool reply_broadcast = false;        // a reply also shown in the channel
  std::string client_msg_id;           // kept (a later repeat by the author is deduplicated)
  std::vector<std::string> file_keys;  // files it shares, already put
};

struct ImportedReaction {
  std::string message_key;
  std::string user_key;
  std::string emoji;  // a short name (":+1:", "thumbsup") or one Unicode emoji
  Timestamp created_at = 0;
};

struct ImportedPin {
  std::string message_key;
  std::string user_key;  // who pinned it; "" or unknown: the system
  Timestamp pinned_at = 0;
};

enum class Outcome { kCreated, kExisting, kSkipped };

struct PutResult {
  std::string local_id;  // empty when skipped
  Outcome outcome = Outcome::kCreated;
};

class ImportWriter {
 public:
  // `source` names the origin of the keys: "quik:<exported workspace id>",
  // "slack:<team id or export name>". `actor_id`: who the events name ("" the system).
  ImportWriter(internal::Context& ctx, std::string source, std::string actor_id = "");

  // Runs `fn` in one write transaction (see above).
  Status Chunk(const std::function<Status(store::Tx&)>& fn);

  Result<Workspace> OpenWorkspace(store::Tx& tx, const ImportedWorkspace& ws);
  Result<PutResult> PutUser(store::Tx& tx, const ImportedUser& user);
  Result<PutResult> PutMember(store::Tx& tx, const ImportedMember& member);
  Result<PutResult> PutChannel(store::Tx& tx, const ImportedChannel& channel);
  Result<PutResult> PutChannelMember(store::Tx& tx, const ImportedChannelMember& member);
  Result<PutResult> PutFile(store::Tx& tx, const ImportedFile& file);
  Result<PutResult> PutMessage(store::Tx& tx, const ImportedMessage& message);
  Result<PutResult> PutReaction(store::Tx& tx, const ImportedReaction& reaction);
  Result<PutResult> PutPin(store::Tx& tx, const ImportedPin& pin);

  // The local id of an object already imported (or matched); nullopt if none.
  // kind: "user", "channel", "message", "file".
  Result<std::optional<std::string>> Lookup(store::Tx& tx, std::string_view kind,
                                            std::string_view key);

  // Counts in the current chunk (dropped if it fails).
  void Skip(std::string_view kind, std::string_view why);
  void Note(std::string_view kind, std::string_view what);

  const std::string& source() const { return source_; }
  // The workspace OpenWorkspace opened ("" before).
  const std::string& workspace_id() const { return workspace_.id; }
  // Everything committed so far.
  const ImportReport& report() const { return report_; }
  ImportReport& mutable_report() { return report_; }

 private:
  struct ReadRange {
    std::string channel_id;
    std::string thread_root_id;
    std::int64_t from = 0;
    std::int64_t to = 0;
    std::string last_id;
  };
  KindCounts& Pending(std::string_view kind);
  Result<PutResult> Count(std::string_view kind, PutResult r);
  Result<PutResult> Skipped(std::string_view kind, std::string why);
  Status RequireWorkspace() const;
  Status PutKey(store::Tx& tx, std::string_view kind, std::string_view key,
                std::string_view local_id);
  // `user_key` as a local user id; "" if unknown.
  Result<std::string> UserId(store::Tx& tx, std::string_view user_key);
  void MarkRead(const std::string& channel_id, const std::string& root_id, std::int64_t ordinal,
                const std::string& id);
  Status FinishChunk(store::Tx& tx);
  Result<const std::vector<User>*> WorkspaceUsers(store::Tx& tx);

  internal::Context& ctx_;
  std::string source_;
  std::string actor_id_;
  Workspace workspace_;
  // The source is this workspace itself (its key is our id): a key with no
  // import key that names one of our objects is that object.
  bool local_ids_ = false;
  ImportReport report_;
  std::map<std::string, KindCounts, std::less<>> pending_;  // the current chunk's counts
  std::map<std::string, ReadRange> read_ranges_;            // by channel id / "t:" root id
  std::optional<std::vector<User>> users_cache_;            // this chunk's workspace users
};

}  // namespace quik::transfer
