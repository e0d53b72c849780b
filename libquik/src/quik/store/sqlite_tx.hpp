// SPDX-License-Identifier: MIT
// The SQLite implementation of store::Tx.
#pragma once

#include "store/sqlite.hpp"
#include "store/tx.hpp"

namespace quik::store {

// The columns ReadMessage reads, in order.
#define QUIK_MESSAGE_COLS                                                                      \
  "id, channel_id, workspace_id, user_id, text, client_msg_id, thread_root_id, reply_count, "  \
  "created_at, edited_at, deleted_at, last_reply_at, reply_users, reply_broadcast, mentions, " \
  "mention_flags, ordinal, reply_ordinal, reply_seq"

// The idempotency lookup of every post. The repeated `client_msg_id != ''`
// lets SQLite use the partial index messages_by_client_id instead of scanning
// the channel (tests/unit/store/store_test.cc checks the plan).
inline constexpr const char kMessageByClientIdSql[] =
    "SELECT " QUIK_MESSAGE_COLS
    " FROM messages "
    "WHERE channel_id = ? AND user_id = ? AND client_msg_id = ? AND client_msg_id != ''";

// A page of the messages shown in a channel (top-level ones and replies also
// sent to the channel), newest first, between two ids. Both bounds are plain
// comparisons (no "? = '' OR ..."), so the partial index messages_in_channel
// (channel_id, id) WHERE ordinal > 0 serves the range and a deep page costs no
// more than the first (store_test.cc checks the plan). A deleted message stays
// listed while it still has replies: its tombstone holds the thread together.
inline constexpr const char kListMessagesSql[] =
    "SELECT " QUIK_MESSAGE_COLS
    " FROM messages "
    "WHERE channel_id = ? AND ordinal > 0 AND id < ? AND id > ? "
    "AND (deleted_at = 0 OR reply_count > 0) ORDER BY id DESC LIMIT ?";
// Above every id (ids are Crockford base32, [0-9A-Z]): "no upper bound".
inline constexpr const char kAboveEveryId[] = "~";

// Applies the search index changes the triggers of migration 9 queued in
// the current transaction (store::Store calls it just before each COMMIT,
// outside the writers' savepoints; sqlite_search.cc).
Status ApplySearchQueue(Connection& conn);

class SqliteTx final : public Tx {
 public:
  explicit SqliteTx(Connection& conn) : conn_(conn) {}

  Result<std::optional<User>> GetUser(std::string_view id) override;
  Result<std::optional<User>> GetUserByEmail(std::string_view email_key) override;
  Result<std::string> GetPasswordHash(std::string_view user_id) override;
  Result<std::vector<User>> ListUsers() override;
  Result<std::vector<User>> ListWorkspaceUsers(std::string_view workspace_id) override;
  Result<bool> SharesWorkspace(std::string_view a, std::string_view b) override;
  Status InsertUser(const User& user, std::string_view password_hash) override;
  Status UpdateUser(const User& user) override;
  Status SetPasswordHash(std::string_view user_id, std::string_view hash) override;
  Result<bool> GetEmailVouched(std::string_view user_id) override;
  Status SetEmailVouched(std::string_view user_id, bool vouched) override;

  Result<std::optional<Workspace>> GetWorkspace(std::string_view id) override;
  Result<std::optional<Workspace>> GetWorkspaceBySlug(std::string_view slug) override;
  Result<std::vector<Workspace>> ListWorkspaces() override;
  Result<std::vector<Workspace>> ListUserWorkspaces(std::string_view user_id) override;
  Result<std::vector<Member>> ListUserMemberships(std::string_view user_id) override;
  Status InsertWorkspace(const Workspace& ws) override;
  Status UpdateWorkspace(const Workspace& ws) override;
  Status DeleteWorkspace(std::string_view id) override;
  Result<std::optional<Member>> GetMember(std::string_view workspace_id,
                                          std::string_view user_id) override;
  Result<std::vector<Member>> ListMembers(std::string_view workspace_id,
                                          std::string_view after_user_id, int limit) override;
  Result<int> CountOwners(std::string_view workspace_id) override;
  Status UpsertMember(const Member& member) override;
  Status DeleteMember(std::string_view workspace_id, std::string_view user_id) override;
  Status InsertInvite(const Invite& invite, std::string_view code_hash) override;
  Result<std::optional<Invite>> GetInviteByCodeHash(std::string_view code_hash) override;
  Result<std::optional<Invite>> GetInvite(std::string_view id) override;
  Result<std::vector<Invite>> ListInvites(std::string_view workspace_id) override;
  Status UpdateInvite(const Invite& invite) override;

  Result<std::optional<Channel>> GetChannel(std::string_view id) override;
  Result<std::optional<Channel>> GetChannelByName(std::string_view workspace_id,
                                                  std::string_view name) override;
  Result<std::vector<Channel>> ListChannels(std::string_view workspace_id) override;
  Result<std::vector<Channel>> ListChannelsForUser(std::string_view workspace_id,
                                                   std::string_view user_id,
                                                   bool include_public) override;
  Result<std::optional<ChannelAccessRow>> GetChannelAccess(std::string_view channel_id,
                                                           std::string_view user_id) override;
  Status InsertChannel(const Channel& channel) override;
  Result<std::optional<Channel>> GetChannelByDmKey(std::string_view workspace_id,
                                                   std::string_view dm_key) override;
  Status InsertDirectChannel(const Channel& channel, std::string_view dm_key) override;
  Status UpdateChannel(const Channel& channel) override;
  Result<bool> IsChannelMember(std::string_view channel_id, std::string_view user_id) override;
  Status InsertChannelMember(const ChannelMember& member) override;
  Result<bool> DeleteChannelMember(std::string_view channel_id, std::string_view user_id) override;
  Result<std::vector<ChannelMember>> ListChannelMembers(std::string_view channel_id) override;
  Result<std::vector<std::pair<std::string, std::string>>> ListUserChannels(
      std::string_view user_id) override;

  Result<std::optional<Message>> GetMessage(std::string_view id) override;
  Result<std::optional<Message>> GetMessageByClientId(std::string_view channel_id,
                                                      std::string_view user_id,
                                                      std::string_view client_msg_id) override;
  Result<std::vector<Message>> ListMessages(const MessageQuery& query) override;
  Result<std::vector<Message>> ListReplies(std::string_view channel_id, std::string_view root_id,
                                           std::string_view after_id, int limit) override;
  Status InsertMessage(const Message& message) override;
  Status UpdateMessage(const Message& message) override;
  Result<std::int64_t> NextChannelOrdinal(std::string_view channel_id) override;
  Status InsertMentions(const Message& message, const std::vector<std::string>& user_ids) override;
  Result<std::vector<std::string>> ListMentionRows(std::string_view message_id) override;
  Status DeleteMentions(std::string_view message_id) override;
  Status BumpChannelMentions(std::string_view channel_id, const std::vector<std::string>& user_ids,
                             std::int64_t ordinal, int delta) override;
  Status BumpAllChannelMentions(std::string_view channel_id, std::string_view except_user_id,
                                std::int64_t ordinal, int delta) override;
  Status AdjustChannelDeleted(std::string_view channel_id, std::int64_t ordinal) override;
  Status SetChannelRead(std::string_view channel_id, std::string_view user_id,
                        std::string_view last_read_id, std::int64_t read_ordinal) override;
  Status SetChannelReadToEnd(std::string_view channel_id, std::string_view user_id,
                             std::string_view last_read_id, std::int64_t read_ordinal) override;
  Result<std::optional<ReadState>> GetChannelReadState(std::string_view channel_id,
                                                       std::string_view user_id) override;
  Result<std::vector<ReadState>> ListChannelReadStates(std::string_view workspace_id,
                                                       std::string_view user_id) override;
  Status AutoFollowThread(std::string_view root_id, std::string_view channel_id,
                          const std::vector<std::string>& user_ids,
                          std::int64_t read_ordinal) override;
  Status SetThreadFollowing(std::string_view root_id, std::string_view channel_id,
                            std::string_view user_id, int following,
                            std::int64_t read_ordinal) override;
  Status SetThreadRead(std::string_view root_id, std::string_view channel_id,
                       std::string_view user_id, std::string_view last_read_id,
                       std::int64_t read_ordinal) override;
  Status BumpThreadMentions(std::string_view root_id, const std::vector<std::string>& user_ids,
                            std::int64_t reply_ordinal, int delta) override;
  Status AdjustThreadDeleted(std::string_view root_id, std::int64_t reply_ordinal) override;
  Result<std::optional<ReadState>> GetThreadReadState(std::string_view root_id,
                                                      std::string_view user_id) override;
  Result<std::vector<ReadState>> ListThreadReadStates(std::string_view workspace_id,
                                                      std::string_view user_id) override;
  Result<std::vector<std::string>> ListThreadFollowers(std::string_view root_id) override;

  Result<bool> InsertReaction(const ReactionRow& row) override;
  Result<bool> DeleteReaction(std::string_view message_id, std::string_view user_id,
                              std::string_view emoji) override;
  Result<int> CountReactionEmojis(std::string_view message_id) override;
  Result<bool> HasReactionEmoji(std::string_view message_id, std::string_view emoji) override;
  Status LoadReactions(std::span<Message> messages) override;
  Result<std::optional<Pin>> GetPin(std::string_view message_id) override;
  Status InsertPin(const Pin& pin) override;
  Result<bool> DeletePin(std::string_view message_id) override;
  Result<int> CountPins(std::string_view channel_id) override;
  Result<std::vector<Pin>> ListPins(std::string_view channel_id) override;
  Status InsertMessageEdit(const MessageEdit& edit) override;
  Result<std::vector<MessageEdit>> ListMessageEdits(std::string_view message_id) override;
  Status PurgeMessageExtras(std::string_view message_id) override;

  Status AppendEvent(Event& event, std::string_view message_id) override;
  Result<std::vector<Event>> ReadEvents(std::int64_t after_seq, int limit) override;
  // store/sqlite_supersede.cc
  Result<std::vector<Event>> ReadMembershipEvents(std::int64_t after_seq,
                                                  std::int64_t through_seq) override;
  Result<std::vector<Event>> ListMessageEvents(std::string_view message_id) override;
  Status SetEventPayload(std::int64_t seq, std::string_view payload) override;
  Status SetNotificationExcerpts(std::string_view message_id, std::string_view excerpt) override;
  Result<std::vector<std::string>> ListDeliveriesOfEvent(std::int64_t event_seq) override;
  Result<std::string> GetDeliveryBody(std::string_view id) override;
  Status SetDeliveryBody(std::string_view id, std::string_view body) override;
  Result<std::int64_t> LatestSeq() override;
  Result<std::int64_t> OldestSeq() override;
  Result<std::int64_t> PruneEvents(Timestamp before, int limit) override;
  Result<std::optional<std::int64_t>> GetConsumerCursor(std::string_view name) override;
  Status SetConsumerCursor(std::string_view name, std::int64_t seq) override;

  Status InsertToken(const TokenRecord& record) override;
  Result<std::optional<TokenRecord>> GetToken(std::string_view id) override;
  Result<std::optional<TokenRecord>> GetTokenByHash(std::string_view secret_hash) override;
  Result<std::vector<TokenRecord>> ListTokens(std::string_view user_id) override;
  Status RevokeToken(std::string_view id, Timestamp at) override;

  Result<std::optional<Preferences>> GetPreferences(std::string_view user_id) override;
  Status PutPreferences(const Preferences& prefs) override;
  Result<std::vector<NotifyCandidate>> ListNotifyCandidates(std::string_view channel_id) override;
  Result<bool> InsertNotification(const Notification& n) override;
  Result<std::vector<Notification>> ListNotifications(const NotificationQuery& query) override;
  Result<std::vector<std::string>> MarkNotificationsRead(std::string_view user_id,
                                                         const std::vector<std::string>& ids,
                                                         bool all, Timestamp at) override;
  Status InsertWebhook(const WebhookRecord& record) override;
  Result<std::optional<WebhookRecord>> GetWebhook(std::string_view id) override;
  Result<std::vector<WebhookRecord>> ListWebhooks(std::string_view workspace_id) override;
  Status UpdateWebhook(const WebhookRecord& record) override;
  Status DeleteWebhook(std::string_view id) override;
  Status InsertDelivery(const WebhookDelivery& delivery, std::string_view body) override;
  Status UpdateDelivery(const WebhookDelivery& delivery) override;
  Result<std::optional<WebhookDelivery>> GetDelivery(std::string_view id) override;
  Result<std::vector<DeliveryJob>> DueDeliveries(Timestamp now, int per_webhook,
                                                 int limit) override;
  Result<std::optional<Timestamp>> NextDeliveryAt() override;
  Result<std::vector<WebhookDelivery>> ListDeliveries(const DeliveryQuery& query) override;

  // store/sqlite_files.cc.
  Status InsertFile(const File& file) override;
  Result<std::optional<File>> GetFile(std::string_view id) override;
  Result<std::vector<File>> ListFiles(std::string_view workspace_id, std::string_view user_id,
                                      std::string_view below_id, int limit) override;
  Result<std::int64_t> WorkspaceFileBytes(std::string_view workspace_id) override;
  Result<std::vector<std::string>> ListFileChannels(std::string_view file_id) override;
  Status InsertMessageFiles(std::string_view message_id,
                            const std::vector<std::string>& file_ids) override;
  Status DeleteMessageFiles(std::string_view message_id) override;
  Status LoadFiles(std::span<Message> messages) override;
  Result<std::vector<File>> ListUnreferencedFiles(Timestamp before, int limit) override;
  Result<bool> DeleteFileIfUnreferenced(std::string_view id) override;
  Result<bool> BlobReferenced(std::string_view sha256) override;
  Result<std::vector<SearchRow>> Search(const SearchQuery& query) override;
  Result<std::string> SearchSnippet(std::int64_t rowid, std::string_view match,
                                    std::string_view open, std::string_view close,
                                    int tokens) override;

  // Import and export (transfer/; sqlite_transfer.cc, ListChannelHistory here).
  Result<std::optional<std::string>> GetImportKey(std::string_view workspace_id,
                                                  std::string_view source, std::string_view kind,
                                                  std::string_view external_id) override;
  Status PutImportKey(std::string_view workspace_id, std::string_view source, std::string_view kind,
                      std::string_view external_id, std::string_view local_id) override;
  Status AdvanceImportedRead(std::string_view channel_id, std::string_view thread_root_id,
                             std::int64_t from, std::int64_t to, std::string_view last_id) override;
  Result<std::vector<Message>> ListChannelHistory(std::string_view channel_id,
                                                  std::string_view after_id, int limit) override;
  Result<std::vector<ReactionRow>> ListChannelReactions(std::string_view channel_id) override;

  WriteBatch& lmdb() override { return lmdb_; }

 private:
  Connection& conn_;
  WriteBatch lmdb_;
};

}  // namespace quik::store
