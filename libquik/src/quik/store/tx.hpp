// SPDX-License-Identifier: MIT
// store::Tx: every read and write the services make, one section per
// aggregate (users, workspaces, channels, messages, events, tokens).
//
// Services see only this interface; SQL lives in sqlite_tx.cc. A PostgreSQL
// backend is another implementation of it. A Tx is bound to one transaction
// on one connection and to one thread; write methods fail on a read Tx.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quik/clock.hpp"
#include "quik/notifications.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"
#include "quik/webhooks.hpp"
#include "store/lmdb_env.hpp"

namespace quik::store {

struct TokenRecord {
  Token token;
  std::string secret_hash;  // raw SHA-256
};

// A channel with one user's standing in it, read in one query (the hot path
// of every post).
struct ChannelAccessRow {
  Channel channel;
  std::optional<Role> role;  // in the channel's workspace; none if not a member
  bool is_channel_member = false;
};

// A webhook with its signing secret, and the seqs of its webhook.created
// and of its last pause and resume (0: none), which say which events it gets.
struct WebhookRecord {
  Webhook webhook;
  std::string secret;
  std::int64_t created_seq = 0;
  std::int64_t paused_seq = 0;
  std::int64_t resumed_seq = 0;
};

// A due delivery with what sending it takes.
struct DeliveryJob {
  WebhookDelivery delivery;
  std::string body;
  std::string url;
  std::string secret;
};

struct DeliveryQuery {
  std::string webhook_id;
  std::optional<DeliveryStatus> status;  // none: any
  std::string below_id;                  // exclusive upper bound (newest first); empty: none
  int limit = 50;
};

struct MessageQuery {
  std::string channel_id;
  std::string below_id;  // exclusive upper bound (newest-first paging); empty: none
  std::string above_id;  // exclusive lower bound; empty: none
  int limit = 50;
};

// One user's reaction with one emoji to one message.
struct ReactionRow {
  std::string message_id;
  std::string channel_id;
  std::string workspace_id;
  std::string emoji;
  std::string user_id;
  Timestamp created_at = 0;
};

// A member of a channel with what the notifier decides on (notify/), read for
// all members in one query.
struct NotifyCandidate {
  std::string user_id;
  std::string name;
  std::string email;
  bool active = true;
  bool muted = false;  // the channel is in the user's muted channels
  Preferences prefs;   // the defaults if the user has none; muted_channels not filled
};

struct NotificationQuery {
  std::string user_id;
  bool unread_only = false;
  std::string below_id;  // exclusive upper bound (newest-first paging); empty: none
  int limit = 50;
};

// A full-text search (search/): the FTS5 expression and the filters, all
// resolved by the service. Hits are search_docs rowids: created_at << 20 | n.
struct SearchQuery {
  // FTS5 expression over search_fts (columns text and meta); empty: none.
  std::string match;
  // With no `match`: an FTS5 expression of what must not match; empty: none.
  std::string not_match;
  std::vector<std::string> channel_ids;  // only these (the caller may read them)
  std::int64_t min_rowid = 0;            // inclusive
  std::int64_t max_rowid = INT64_MAX;    // inclusive (recency paging lowers it)
  std::int64_t flags = 0;                // every flag in search_docs.flags set
  std::int64_t any_flags = 0;            // at least one of these set; 0: no condition
  bool by_relevance = false;             // BM25 of the text (needs `match`); else newest first
  int offset = 0;                        // relevance paging
  int relevance_window = 5000;           // relevance ranks this many newest matches
  int limit = 20;
  // Newest first with a `match`: each row's snippet() of the text column,
  // the matches between these markers (the service renders them).
  bool snippets = false;
  std::string snippet_open, snippet_close;
  int snippet_tokens = 24;
};

struct SearchRow {
  std::int64_t rowid = 0;
  std::string message_id;
  std::string snippet;  // with SearchQuery::snippets
};

class Tx {
 public:
  virtual ~Tx() = default;

  // The time of the deployment's clock (Options::clock), for what a write
  // stamps (created_at, expires_at, ...). The Store sets the clock.
  Timestamp Now() const { return clock_->NowMillis(); }
  void set_clock(const Clock& clock) { clock_ = &clock; }

  // Users.
  virtual Result<std::optional<User>> GetUser(std::string_view id) = 0;
  virtual Result<std::optional<User>> GetUserByEmail(std::string_view email_key) = 0;
  virtual Result<std::string> GetPasswordHash(std::string_view user_id) = 0;  // "" if none
  virtual Result<std::vector<User>> ListUsers() = 0;
  virtual Result<std::vector<User>> ListWorkspaceUsers(std::string_view workspace_id) = 0;
  virtual Result<bool> SharesWorkspace(std::string_view a, std::string_view b) = 0;
  virtual Status InsertUser(const User& user, std::string_view password_hash) = 0;
  virtual Status UpdateUser(const User& user) = 0;
  virtual Status SetPasswordHash(std::string_view user_id, std::string_view hash) = 0;
  // Whether someone vouched for the user's email (migration 12); a new user
  // is vouched until SetEmailVouched says otherwise.
  virtual Result<bool> GetEmailVouched(std::string_view user_id) = 0;
  virtual Status SetEmailVouched(std::string_view user_id, bool vouched) = 0;

  // Workspaces, members and invites.
  virtual Result<std::optional<Workspace>> GetWorkspace(std::string_view id) = 0;
  virtual Result<std::optional<Workspace>> GetWorkspaceBySlug(std::string_view slug) = 0;
  virtual Result<std::vector<Workspace>> ListWorkspaces() = 0;
  virtual Result<std::vector<Workspace>> ListUserWorkspaces(std::string_view user_id) = 0;
  // Every membership of one user (without the display fields).
  virtual Result<std::vector<Member>> ListUserMemberships(std::string_view user_id) = 0;
  virtual Status InsertWorkspace(const Workspace& ws) = 0;
  // Writes the mutable fields: the name.
  virtual Status UpdateWorkspace(const Workspace& ws) = 0;
  virtual Status DeleteWorkspace(std::string_view id) = 0;  // and everything in it
  virtual Result<std::optional<Member>> GetMember(std::string_view workspace_id,
                                                  std::string_view user_id) = 0;
  // Members ordered by user id, after `after_user_id`.
  virtual Result<std::vector<Member>> ListMembers(std::string_view workspace_id,
                                                  std::string_view after_user_id, int limit) = 0;
  virtual Result<int> CountOwners(std::string_view workspace_id) = 0;
  virtual Status UpsertMember(const Member& member) = 0;
  // Also removes the user from the workspace's channels.
  virtual Status DeleteMember(std::string_view workspace_id, std::string_view user_id) = 0;
  virtual Status InsertInvite(const Invite& invite, std::string_view code_hash) = 0;
  virtual Result<std::optional<Invite>> GetInviteByCodeHash(std::string_view code_hash) = 0;
  virtual Result<std::optional<Invite>> GetInvite(std::string_view id) = 0;
  // A workspace's invites, newest first (revoked, used up and expired ones too).
  virtual Result<std::vector<Invite>> ListInvites(std::string_view workspace_id) = 0;
  // Writes the mutable fields: uses and revoked_at.
  virtual Status UpdateInvite(const Invite& invite) = 0;

  // Channels.
  virtual Result<std::optional<Channel>> GetChannel(std::string_view id) = 0;
  virtual Result<std::optional<Channel>> GetChannelByName(std::string_view workspace_id,
                                                          std::string_view name) = 0;
  // All channels of a workspace (the admin view), by name.
  virtual Result<std::vector<Channel>> ListChannels(std::string_view workspace_id) = 0;
  // The channels `user_id` belongs to, plus (with include_public) every public one.
  virtual Result<std::vector<Channel>> ListChannelsForUser(std::string_view workspace_id,
                                                           std::string_view user_id,
                                                           bool include_public) = 0;
  virtual Result<std::optional<ChannelAccessRow>> GetChannelAccess(std::string_view channel_id,
                                                                   std::string_view user_id) = 0;
  virtual Status InsertChannel(const Channel& channel) = 0;
  // DMs and group DMs, by their set of people: `dm_key` is the sorted user ids
  // joined by ','. Insert fails with kAlreadyExists if the key is taken.
  virtual Result<std::optional<Channel>> GetChannelByDmKey(std::string_view workspace_id,
                                                           std::string_view dm_key) = 0;
  virtual Status InsertDirectChannel(const Channel& channel, std::string_view dm_key) = 0;
  virtual Status UpdateChannel(const Channel& channel) = 0;
  virtual Result<bool> IsChannelMember(std::string_view channel_id, std::string_view user_id) = 0;
  virtual Status InsertChannelMember(const ChannelMember& member) = 0;  // kAlreadyExists if in
  virtual Result<bool> DeleteChannelMember(std::string_view channel_id,
                                           std::string_view user_id) = 0;  // false if absent
  virtual Result<std::vector<ChannelMember>> ListChannelMembers(std::string_view channel_id) = 0;
  // Every channel (of any kind) `user_id` belongs to: (channel id, workspace id).
  virtual Result<std::vector<std::pair<std::string, std::string>>> ListUserChannels(
      std::string_view user_id) = 0;

  // Messages.
  virtual Result<std::optional<Message>> GetMessage(std::string_view id) = 0;
  virtual Result<std::optional<Message>> GetMessageByClientId(std::string_view channel_id,
                                                              std::string_view user_id,
                                                              std::string_view client_msg_id) = 0;
  // Top-level, non-deleted messages, newest first.
  virtual Result<std::vector<Message>> ListMessages(const MessageQuery& query) = 0;
  // The non-deleted replies of thread `root_id` in `channel_id` with ids above
  // `after_id` ("" for none), oldest first.
  virtual Result<std::vector<Message>> ListReplies(std::string_view channel_id,
                                                   std::string_view root_id,
                                                   std::string_view after_id, int limit) = 0;
  virtual Status InsertMessage(const Message& message) = 0;
  // Writes the mutable fields: text, edit and delete times, the thread
  // counters and participants, and the mentions.
  virtual Status UpdateMessage(const Message& message) = 0;
  // Takes the channel's next ordinal (channels.last_ordinal + 1).
  virtual Result<std::int64_t> NextChannelOrdinal(std::string_view channel_id) = 0;

  // Mentions: one row per user a message names (or reached by @here), for
  // recounting. @channel is the message's flag, not rows.
  virtual Status InsertMentions(const Message& message,
                                const std::vector<std::string>& user_ids) = 0;
  virtual Result<std::vector<std::string>> ListMentionRows(std::string_view message_id) = 0;
  virtual Status DeleteMentions(std::string_view message_id) = 0;

  // Read state in channels (channel_members rows). The Bump/Adjust methods
  // touch only members whose read point is before `ordinal`.
  virtual Status BumpChannelMentions(std::string_view channel_id,
                                     const std::vector<std::string>& user_ids, std::int64_t ordinal,
                                     int delta) = 0;
  // Every member but `except_user_id` (@channel).
  virtual Status BumpAllChannelMentions(std::string_view channel_id,
                                        std::string_view except_user_id, std::int64_t ordinal,
                                        int delta) = 0;
  // A message at `ordinal` was deleted: one fewer unread for those before it.
  virtual Status AdjustChannelDeleted(std::string_view channel_id, std::int64_t ordinal) = 0;
  // Moves a member's read point and recounts what follows it (deleted
  // messages, mentions): a count over the unread part only.
  virtual Status SetChannelRead(std::string_view channel_id, std::string_view user_id,
                                std::string_view last_read_id, std::int64_t read_ordinal) = 0;
  // SetChannelRead at the channel's newest message (a post by the member):
  // nothing follows it, so there is nothing to recount.
  virtual Status SetChannelReadToEnd(std::string_view channel_id, std::string_view user_id,
                                     std::string_view last_read_id, std::int64_t read_ordinal) = 0;
  virtual Result<std::optional<ReadState>> GetChannelReadState(std::string_view channel_id,
                                                               std::string_view user_id) = 0;
  // One entry per channel of the workspace the user is in.
  virtual Result<std::vector<ReadState>> ListChannelReadStates(std::string_view workspace_id,
                                                               std::string_view user_id) = 0;

  // Threads: followers and their read state (thread_follows rows).
  // following: 1 follows, 0 does not, -1 unfollowed explicitly (automatic
  // follows leave them be).
  // Follows automatically (a reply, a mention): new rows start with
  // `read_ordinal` read; explicit unfollows stay.
  virtual Status AutoFollowThread(std::string_view root_id, std::string_view channel_id,
                                  const std::vector<std::string>& user_ids,
                                  std::int64_t read_ordinal) = 0;
  // An explicit follow (1) or unfollow (-1); a new row has read `read_ordinal`.
  virtual Status SetThreadFollowing(std::string_view root_id, std::string_view channel_id,
                                    std::string_view user_id, int following,
                                    std::int64_t read_ordinal) = 0;
  virtual Status SetThreadRead(std::string_view root_id, std::string_view channel_id,
                               std::string_view user_id, std::string_view last_read_id,
                               std::int64_t read_ordinal) = 0;
  virtual Status BumpThreadMentions(std::string_view root_id,
                                    const std::vector<std::string>& user_ids,
                                    std::int64_t reply_ordinal, int delta) = 0;
  virtual Status AdjustThreadDeleted(std::string_view root_id, std::int64_t reply_ordinal) = 0;
  virtual Result<std::optional<ReadState>> GetThreadReadState(std::string_view root_id,
                                                              std::string_view user_id) = 0;
  // The threads the user follows in the workspace, in channels they are in.
  virtual Result<std::vector<ReadState>> ListThreadReadStates(std::string_view workspace_id,
                                                              std::string_view user_id) = 0;
  // Who follows the thread now (following = 1).
  virtual Result<std::vector<std::string>> ListThreadFollowers(std::string_view root_id) = 0;

  // Reactions, pins and edit history (messages/reactions.cc, pins.cc, edits.cc).
  // InsertReaction: false if the user already reacted so; DeleteReaction:
  // false if they had not.
  virtual Result<bool> InsertReaction(const ReactionRow& row) = 0;
  virtual Result<bool> DeleteReaction(std::string_view message_id, std::string_view user_id,
                                      std::string_view emoji) = 0;
  // The distinct emojis on a message.
  virtual Result<int> CountReactionEmojis(std::string_view message_id) = 0;
  virtual Result<bool> HasReactionEmoji(std::string_view message_id, std::string_view emoji) = 0;
  // Fills in each message's reactions (in order of first use) in one query.
  virtual Status LoadReactions(std::span<Message> messages) = 0;
  // A pin (its message left empty); nullopt if the message is not pinned.
  virtual Result<std::optional<Pin>> GetPin(std::string_view message_id) = 0;
  virtual Status InsertPin(const Pin& pin) = 0;
  virtual Result<bool> DeletePin(std::string_view message_id) = 0;  // false if absent
  virtual Result<int> CountPins(std::string_view channel_id) = 0;
  // A channel's pins with their messages (no reactions), newest pin first.
  virtual Result<std::vector<Pin>> ListPins(std::string_view channel_id) = 0;
  virtual Status InsertMessageEdit(const MessageEdit& edit) = 0;
  virtual Result<std::vector<MessageEdit>> ListMessageEdits(std::string_view message_id) = 0;
  // A deleted message's reactions and edit history go with its text.
  virtual Status PurgeMessageExtras(std::string_view message_id) = 0;

  // Events. Append fills in event.seq. `message_id`: the message the event
  // carries or is about ("" for none), which ListMessageEvents finds it by.
  virtual Status AppendEvent(Event& event, std::string_view message_id) = 0;
  virtual Result<std::vector<Event>> ReadEvents(std::int64_t after_seq, int limit) = 0;
  // The member.joined / member.left / member.updated events with seq in
  // (after_seq, through_seq], in seq order (authz::ViewAsOf).
  virtual Result<std::vector<Event>> ReadMembershipEvents(std::int64_t after_seq,
                                                          std::int64_t through_seq) = 0;
  // The events still in the log that carry message `message_id` or are about
  // it, in seq order; and a new payload for one of them (messages/supersede.cc:
  // an edit or delete rewrites the message's earlier events).
  virtual Result<std::vector<Event>> ListMessageEvents(std::string_view message_id) = 0;
  virtual Status SetEventPayload(std::int64_t seq, std::string_view payload) = 0;
  virtual Result<std::int64_t> LatestSeq() = 0;
  // The seq of the oldest event still kept (0 when the log is empty).
  virtual Result<std::int64_t> OldestSeq() = 0;
  // Deletes up to `limit` of the oldest events created before `before`, never
  // the newest one (seq is max+1: the log must never look empty); returns how
  // many went.
  virtual Result<std::int64_t> PruneEvents(Timestamp before, int limit) = 0;
  // Durable consumers' cursors (events/consumer.hpp): nullopt if `name` has none yet.
  virtual Result<std::optional<std::int64_t>> GetConsumerCursor(std::string_view name) = 0;
  virtual Status SetConsumerCursor(std::string_view name, std::int64_t seq) = 0;

  // Tokens.
  virtual Status InsertToken(const TokenRecord& record) = 0;
  virtual Result<std::optional<TokenRecord>> GetToken(std::string_view id) = 0;
  virtual Result<std::optional<TokenRecord>> GetTokenByHash(std::string_view secret_hash) = 0;
  virtual Result<std::vector<TokenRecord>> ListTokens(std::string_view user_id) = 0;  // "" = all
  virtual Status RevokeToken(std::string_view id, Timestamp at) = 0;

  // Notifications and preferences (notify/).
  // nullopt if the user never changed a preference; muted_channels filled in.
  virtual Result<std::optional<Preferences>> GetPreferences(std::string_view user_id) = 0;
  // Replaces the user's preferences and muted channels.
  virtual Status PutPreferences(const Preferences& prefs) = 0;
  virtual Result<std::vector<NotifyCandidate>> ListNotifyCandidates(
      std::string_view channel_id) = 0;
  // false (and no change) if the user already has one for that message.
  virtual Result<bool> InsertNotification(const Notification& n) = 0;
  // Newest first, only about channels the user can still read.
  virtual Result<std::vector<Notification>> ListNotifications(const NotificationQuery& query) = 0;
  // Sets the excerpt of every notification about `message_id`.
  virtual Status SetNotificationExcerpts(std::string_view message_id, std::string_view excerpt) = 0;
  // Marks the user's unread notifications among `ids` (all of them with
  // `all`) read at `at`; returns the ids that changed.
  virtual Result<std::vector<std::string>> MarkNotificationsRead(
      std::string_view user_id, const std::vector<std::string>& ids, bool all, Timestamp at) = 0;
  // Webhooks (webhooks/). Deleting a webhook deletes its deliveries.
  virtual Status InsertWebhook(const WebhookRecord& record) = 0;
  virtual Result<std::optional<WebhookRecord>> GetWebhook(std::string_view id) = 0;
  virtual Result<std::vector<WebhookRecord>> ListWebhooks(std::string_view workspace_id) = 0;
  // Description, paused, paused_seq, resumed_seq, created_by.
  virtual Status UpdateWebhook(const WebhookRecord& record) = 0;
  virtual Status DeleteWebhook(std::string_view id) = 0;
  virtual Status InsertDelivery(const WebhookDelivery& delivery, std::string_view body) = 0;
  // Status, attempts, next_attempt_at, last_http_status, last_error, finished_at.
  virtual Status UpdateDelivery(const WebhookDelivery& delivery) = 0;
  virtual Result<std::optional<WebhookDelivery>> GetDelivery(std::string_view id) = 0;
  // Pending deliveries of unpaused webhooks due at `now`, the longest due first,
  // at most `per_webhook` of each webhook (so that one webhook's backlog
  // cannot hide the others').
  virtual Result<std::vector<DeliveryJob>> DueDeliveries(Timestamp now, int per_webhook,
                                                         int limit) = 0;
  // When the next pending delivery of an unpaused webhook is due; nullopt: none.
  virtual Result<std::optional<Timestamp>> NextDeliveryAt() = 0;
  virtual Result<std::vector<WebhookDelivery>> ListDeliveries(const DeliveryQuery& query) = 0;
  // The ids of the deliveries (any status) built from event `event_seq`, and
  // a new request body for one (a rewritten event's, webhooks/queue.cc).
  virtual Result<std::vector<std::string>> ListDeliveriesOfEvent(std::int64_t event_seq) = 0;
  virtual Result<std::string> GetDeliveryBody(std::string_view id) = 0;  // "" if none
  virtual Status SetDeliveryBody(std::string_view id, std::string_view body) = 0;

  // Files (files/, store/sqlite_files.cc) and the files messages share
  // (message_files). A file is referenced while a message_files row names it.
  virtual Status InsertFile(const File& file) = 0;
  virtual Result<std::optional<File>> GetFile(std::string_view id) = 0;
  // A workspace's files, newest first, below `below_id` ("" for none); only
  // `user_id`'s when it is not empty.
  virtual Result<std::vector<File>> ListFiles(std::string_view workspace_id,
                                              std::string_view user_id, std::string_view below_id,
                                              int limit) = 0;
  // The sum of the sizes of a workspace's files (its quota use).
  virtual Result<std::int64_t> WorkspaceFileBytes(std::string_view workspace_id) = 0;
  // The channels with a non-deleted message that shares the file.
  virtual Result<std::vector<std::string>> ListFileChannels(std::string_view file_id) = 0;
  virtual Status InsertMessageFiles(std::string_view message_id,
                                    const std::vector<std::string>& file_ids) = 0;
  virtual Status DeleteMessageFiles(std::string_view message_id) = 0;
  // Fills in each message's file_ids and files in one query.
  virtual Status LoadFiles(std::span<Message> messages) = 0;
  // Files no message references, created before `before`, oldest first.
  virtual Result<std::vector<File>> ListUnreferencedFiles(Timestamp before, int limit) = 0;
  // Deletes the file if still no message references it; false otherwise.
  virtual Result<bool> DeleteFileIfUnreferenced(std::string_view id) = 0;
  // Whether any file row names the blob (as its content or its thumbnail).
  virtual Result<bool> BlobReferenced(std::string_view sha256) = 0;
  // Full-text search (search/; the index is kept by triggers of migration 9).
  virtual Result<std::vector<SearchRow>> Search(const SearchQuery& query) = 0;
  // The message's text around the terms of `match`, which are wrapped in
  // `open` and `close`; "" if the row does not match.
  virtual Result<std::string> SearchSnippet(std::int64_t rowid, std::string_view match,
                                            std::string_view open, std::string_view close,
                                            int tokens) = 0;

  // Import keys (migration 11, transfer/import_writer.hpp): the local id an
  // imported object became, by (workspace, source, kind, external id).
  virtual Result<std::optional<std::string>> GetImportKey(std::string_view workspace_id,
                                                          std::string_view source,
                                                          std::string_view kind,
                                                          std::string_view external_id) = 0;
  // Export (transfer/export.cc): every message of a channel, replies and
  // deleted ones too, oldest first, with ids above `after_id` ("" for none).
  virtual Result<std::vector<Message>> ListChannelHistory(std::string_view channel_id,
                                                          std::string_view after_id, int limit) = 0;
  // Every reaction in a channel, oldest first.
  virtual Result<std::vector<ReactionRow>> ListChannelReactions(std::string_view channel_id) = 0;
  // Inserts or replaces the key.
  virtual Status PutImportKey(std::string_view workspace_id, std::string_view source,
                              std::string_view kind, std::string_view external_id,
                              std::string_view local_id) = 0;
  // Imported history counts as read: the channel members (thread_root_id
  // empty) or thread followers whose read point was in [from - 1, to) move
  // it to `to` (message `last_id`); those further behind keep theirs.
  virtual Status AdvanceImportedRead(std::string_view channel_id, std::string_view thread_root_id,
                                     std::int64_t from, std::int64_t to,
                                     std::string_view last_id) = 0;

  // LMDB writes that commit together with this transaction (write Tx only):
  // applied just before the SQLite commit, dropped if this Tx's work fails.
  virtual WriteBatch& lmdb() = 0;

 private:
  const Clock* clock_ = SystemClock().get();
};

}  // namespace quik::store
