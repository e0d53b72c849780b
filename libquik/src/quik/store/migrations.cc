// SPDX-License-Identifier: MIT
#include "store/migrations.hpp"

#include "common/ids.hpp"

namespace quik::store {

const std::vector<Migration>& AllMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "core schema: users, workspaces, channels, messages, events, tokens", R"sql(
CREATE TABLE users (
  id             TEXT PRIMARY KEY,
  email          TEXT NOT NULL,
  email_key      TEXT NOT NULL UNIQUE,      -- lower-cased email
  name           TEXT NOT NULL,
  password_hash  TEXT,                      -- scrypt, encoded; NULL: no password
  is_admin       INTEGER NOT NULL DEFAULT 0,
  active         INTEGER NOT NULL DEFAULT 1,
  created_at     INTEGER NOT NULL,
  deactivated_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE workspaces (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  slug       TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE members (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id      TEXT NOT NULL REFERENCES users(id),
  role         TEXT NOT NULL,
  joined_at    INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_by_user ON members(user_id, workspace_id);

CREATE TABLE invites (
  id           TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  code_hash    BLOB NOT NULL UNIQUE,        -- SHA-256 of the code; the code itself is never stored
  role         TEXT NOT NULL,
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX invites_by_workspace ON invites(workspace_id);

CREATE TABLE channels (
  id           TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  topic        TEXT NOT NULL DEFAULT '',
  kind         TEXT NOT NULL,               -- public, private, dm, group_dm
  archived     INTEGER NOT NULL DEFAULT 0,
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX channels_by_name ON channels(workspace_id, name)
  WHERE kind IN ('public', 'private');

CREATE TABLE channel_members (
  channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL REFERENCES users(id),
  joined_at  INTEGER NOT NULL,
  PRIMARY KEY (channel_id, user_id)
) WITHOUT ROWID;
CREATE INDEX channel_members_by_user ON channel_members(user_id, channel_id);

-- Clustered by id (WITHOUT ROWID): one b-tree fewer to write per post than a
-- rowid table with a unique id index. Typical messages are far below the
-- 1/20-page size where that stops paying; long ones spill to overflow pages.
CREATE TABLE messages (
  id             TEXT PRIMARY KEY,           -- time-ordered: the list order
  channel_id     TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
  workspace_id   TEXT NOT NULL,
  user_id        TEXT NOT NULL,
  text           TEXT NOT NULL,
  client_msg_id  TEXT NOT NULL DEFAULT '',
  thread_root_id TEXT NOT NULL DEFAULT '',
  reply_count    INTEGER NOT NULL DEFAULT 0,
  created_at     INTEGER NOT NULL,
  edited_at      INTEGER NOT NULL DEFAULT 0,
  deleted_at     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX messages_by_channel ON messages(channel_id, thread_root_id, id);
CREATE UNIQUE INDEX messages_by_client_id ON messages(channel_id, user_id, client_msg_id)
  WHERE client_msg_id != '';

-- The durable event log (transactional outbox): one row per change, written
-- in the same transaction as the change. seq never repeats or goes back: it is
-- the rowid, max+1 under the write lock, and retention only ever deletes the
-- oldest rows, never the newest.
CREATE TABLE events (
  seq          INTEGER PRIMARY KEY,
  type         TEXT NOT NULL,
  workspace_id TEXT NOT NULL DEFAULT '',
  channel_id   TEXT NOT NULL DEFAULT '',
  user_id      TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  payload      BLOB NOT NULL                -- quik.v1.EventPayload
);

-- Sessions and API tokens. The lookup index (secret hash -> token) lives in
-- LMDB; this table is the record that lists and rebuilds it.
CREATE TABLE tokens (
  id          TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL REFERENCES users(id),
  name        TEXT NOT NULL DEFAULT '',
  kind        TEXT NOT NULL CHECK (kind IN ('session', 'api')),
  secret_hash BLOB NOT NULL UNIQUE,         -- SHA-256 of the secret
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL DEFAULT 0,
  revoked_at  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX tokens_by_user ON tokens(user_id);
)sql"},
      {2, "direct messages: channels.dm_key, one DM or group DM per set of people", R"sql(
-- The people of a DM or group DM: their user ids, sorted, joined by ','. NULL
-- for public and private channels. The unique index makes opening a DM
-- idempotent on the set, even for concurrent writers.
ALTER TABLE channels ADD COLUMN dm_key TEXT;
CREATE UNIQUE INDEX channels_by_dm_key ON channels(workspace_id, dm_key)
  WHERE dm_key IS NOT NULL;
)sql"},
      {3, "event consumers: durable cursors of the in-process event consumers", R"sql(
-- How far each durable consumer of the event log (notifications, webhooks)
-- has got: advanced in the same transaction as the consumer's own writes, so
-- every event is handled exactly once, across restarts and processes.
CREATE TABLE event_consumers (
  name       TEXT PRIMARY KEY,
  seq        INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql"},
      {4, "reactions, pins, edit history", R"sql(
-- One row per user, emoji and message. The rowid keeps the order reactions
-- came in: a message's emojis are listed in order of first use.
CREATE TABLE reactions (
  message_id   TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  emoji        TEXT NOT NULL,               -- a short name or one Unicode emoji
  user_id      TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  UNIQUE (message_id, emoji, user_id)
);

-- A message is pinned at most once, in its own channel.
CREATE TABLE pins (
  message_id TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
  channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
  pinned_by  TEXT NOT NULL,
  pinned_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX pins_by_channel ON pins(channel_id, pinned_at);

-- The text each edit replaced, oldest first by rowid; purged with the message.
CREATE TABLE message_edits (
  message_id    TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  editor_id     TEXT NOT NULL,
  edited_at     INTEGER NOT NULL,
  previous_text TEXT NOT NULL
);
CREATE INDEX message_edits_by_message ON message_edits(message_id);
)sql"},
      {5, "threads, mentions and read state", R"sql(
-- Positions. A message shown in its channel (top-level, or a reply also sent
-- to the channel) takes the channel's next ordinal; a reply takes its root's
-- next reply ordinal. Unread counts are differences of these counters, never
-- counts of messages.
ALTER TABLE channels ADD COLUMN last_ordinal INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN ordinal INTEGER NOT NULL DEFAULT 0;        -- 0: not in the channel
ALTER TABLE messages ADD COLUMN reply_ordinal INTEGER NOT NULL DEFAULT 0;  -- replies: place in thread
ALTER TABLE messages ADD COLUMN reply_seq INTEGER NOT NULL DEFAULT 0;      -- roots: replies ever made
ALTER TABLE messages ADD COLUMN last_reply_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN reply_users TEXT NOT NULL DEFAULT '';      -- ids, first reply first
ALTER TABLE messages ADD COLUMN reply_broadcast INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '';         -- user ids, ','
ALTER TABLE messages ADD COLUMN mention_flags INTEGER NOT NULL DEFAULT 0;  -- 1 @channel, 2 @here

UPDATE messages SET ordinal = o.n FROM (
  SELECT id, row_number() OVER (PARTITION BY channel_id ORDER BY id) AS n
  FROM messages WHERE thread_root_id = '') AS o
WHERE messages.id = o.id;
UPDATE messages SET reply_ordinal = o.n FROM (
  SELECT id, row_number() OVER (PARTITION BY thread_root_id ORDER BY id) AS n
  FROM messages WHERE thread_root_id != '') AS o
WHERE messages.id = o.id;
UPDATE messages SET reply_seq = r.n, last_reply_at = r.last FROM (
  SELECT thread_root_id AS root, count(*) AS n, max(created_at) AS last
  FROM messages WHERE thread_root_id != '' GROUP BY thread_root_id) AS r
WHERE messages.id = r.root;
UPDATE messages SET reply_users = r.users FROM (
  SELECT root, group_concat(user_id, ',') AS users FROM (
    SELECT thread_root_id AS root, user_id, min(id) AS first FROM messages
    WHERE thread_root_id != '' AND deleted_at = 0 GROUP BY thread_root_id, user_id
    ORDER BY thread_root_id, first)
  GROUP BY root) AS r
WHERE messages.id = r.root;
UPDATE channels SET last_ordinal =
  (SELECT coalesce(max(ordinal), 0) FROM messages WHERE channel_id = channels.id);

-- The channel's messages, newest first: top-level ones and replies also sent
-- to the channel.
CREATE INDEX messages_in_channel ON messages(channel_id, id) WHERE ordinal > 0;
-- Recounts over the unread part of a channel or thread (a read marker moved).
CREATE INDEX messages_by_ordinal ON messages(channel_id, ordinal);
CREATE INDEX messages_by_reply ON messages(thread_root_id, reply_ordinal)
  WHERE thread_root_id != '';

-- A member's place in a channel: the last message read, its ordinal, the
-- deleted messages after it, and the mentions after it.
ALTER TABLE channel_members ADD COLUMN last_read_id TEXT NOT NULL DEFAULT '';
ALTER TABLE channel_members ADD COLUMN read_ordinal INTEGER NOT NULL DEFAULT 0;
ALTER TABLE channel_members ADD COLUMN deleted_unread INTEGER NOT NULL DEFAULT 0;
ALTER TABLE channel_members ADD COLUMN mention_count INTEGER NOT NULL DEFAULT 0;
UPDATE channel_members SET read_ordinal =
  (SELECT last_ordinal FROM channels WHERE id = channel_members.channel_id);

-- Who follows a thread, and their place in it (reply ordinals). following=0
-- keeps an explicit unfollow: replying or a mention does not undo it.
CREATE TABLE thread_follows (
  root_id        TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  user_id        TEXT NOT NULL,
  channel_id     TEXT NOT NULL,
  following      INTEGER NOT NULL DEFAULT 1,
  last_read_id   TEXT NOT NULL DEFAULT '',
  read_ordinal   INTEGER NOT NULL DEFAULT 0,
  deleted_unread INTEGER NOT NULL DEFAULT 0,
  mention_count  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (root_id, user_id)
) WITHOUT ROWID;
CREATE INDEX thread_follows_by_user ON thread_follows(user_id, channel_id);
INSERT OR IGNORE INTO thread_follows(root_id, user_id, channel_id, read_ordinal)
  SELECT r.id, r.user_id, r.channel_id, r.reply_seq FROM messages r WHERE r.reply_seq > 0;
INSERT OR IGNORE INTO thread_follows(root_id, user_id, channel_id, read_ordinal)
  SELECT DISTINCT m.thread_root_id, m.user_id, m.channel_id, r.reply_seq
  FROM messages m JOIN messages r ON r.id = m.thread_root_id;

-- Who a message mentions by name (and @here: who was online), so that mention
-- counts can be recounted over the unread part when a read marker moves.
-- @channel is a flag on the message instead of a row per member.
CREATE TABLE mentions (
  user_id        TEXT NOT NULL,
  message_id     TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  channel_id     TEXT NOT NULL,
  thread_root_id TEXT NOT NULL,
  ordinal        INTEGER NOT NULL,  -- the message's channel ordinal (0: thread only)
  reply_ordinal  INTEGER NOT NULL,
  PRIMARY KEY (user_id, message_id)
) WITHOUT ROWID;
CREATE INDEX mentions_by_channel ON mentions(user_id, channel_id, ordinal);
CREATE INDEX mentions_by_thread ON mentions(user_id, thread_root_id, reply_ordinal);
)sql"},
      {6, "notifications and user preferences", R"sql(
-- One row per user who changed a preference; absent: the defaults.
CREATE TABLE user_preferences (
  user_id      TEXT PRIMARY KEY REFERENCES users(id),
  time_zone    TEXT NOT NULL DEFAULT 'UTC',      -- IANA name
  dnd_enabled  INTEGER NOT NULL DEFAULT 0,
  dnd_start    INTEGER NOT NULL DEFAULT 1320,    -- minutes after local midnight
  dnd_end      INTEGER NOT NULL DEFAULT 480,
  dnd_until    INTEGER NOT NULL DEFAULT 0,       -- a snooze, ms since the epoch
  notify_level TEXT NOT NULL DEFAULT 'mentions', -- all, mentions, none
  keywords     TEXT NOT NULL DEFAULT '[]',       -- JSON array of strings
  updated_at   INTEGER NOT NULL
) WITHOUT ROWID;

-- Channels whose messages notify a user only on a direct mention.
CREATE TABLE muted_channels (
  user_id    TEXT NOT NULL REFERENCES users(id),
  channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, channel_id)
) WITHOUT ROWID;
CREATE INDEX muted_channels_by_channel ON muted_channels(channel_id, user_id);

-- What the notifier decided to tell each user, kept for users who were offline.
CREATE TABLE notifications (
  id             TEXT PRIMARY KEY,               -- time-ordered: the list order
  user_id        TEXT NOT NULL REFERENCES users(id),
  workspace_id   TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  channel_id     TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
  message_id     TEXT NOT NULL,
  thread_root_id TEXT NOT NULL DEFAULT '',
  reason         TEXT NOT NULL,
  actor_id       TEXT NOT NULL,
  excerpt        TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  read_at        INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX notifications_by_user ON notifications(user_id, id);
CREATE INDEX notifications_unread ON notifications(user_id, id) WHERE read_at = 0;
CREATE UNIQUE INDEX notifications_by_message ON notifications(message_id, user_id);
)sql"},
      {7, "webhooks: subscriptions and their durable delivery queue", R"sql(
-- Outbound webhooks (webhooks/). The secret is the HMAC-SHA256 signing key and
-- so is kept in clear: signing needs it (it is shown to the admin only once).
CREATE TABLE webhooks (
  id           TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  url          TEXT NOT NULL,
  events       TEXT NOT NULL,               -- patterns joined by ','
  description  TEXT NOT NULL DEFAULT '',
  secret       TEXT NOT NULL,
  paused       INTEGER NOT NULL DEFAULT 0,
  created_by   TEXT NOT NULL DEFAULT '',    -- user id; '' for the system
  created_at   INTEGER NOT NULL,
  -- The seqs of its webhook.created and of its last pause and resume: the
  -- queue sends the events after its creation and outside that pause.
  created_seq  INTEGER NOT NULL DEFAULT 0,
  paused_seq   INTEGER NOT NULL DEFAULT 0,
  resumed_seq  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX webhooks_by_workspace ON webhooks(workspace_id, id);

-- One row per (webhook, event): the request body as first built, and where
-- its delivery stands. Pending rows are the queue.
CREATE TABLE webhook_deliveries (
  id               TEXT PRIMARY KEY,
  webhook_id       TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  event_seq        INTEGER NOT NULL,
  event_type       TEXT NOT NULL,
  body             TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL DEFAULT 0,
  last_http_status INTEGER NOT NULL DEFAULT 0,
  last_error       TEXT NOT NULL DEFAULT '',
  created_at       INTEGER NOT NULL,
  finished_at      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries(webhook_id, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at)
  WHERE status = 'pending';
)sql"},
      {8, "message attachments: which files each message shares", R"sql(
-- The files a message shares, in the order it lists them (files/ fills it;
-- search's has:file reads it). A file is referenced while a row names it.
CREATE TABLE message_files (
  message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  file_id    TEXT NOT NULL,
  position   INTEGER NOT NULL,
  PRIMARY KEY (message_id, file_id)
) WITHOUT ROWID;
CREATE INDEX message_files_by_file ON message_files(file_id, message_id);
)sql"},
      {9, "full-text search: FTS5 index of message text, kept by triggers", R"sql(
-- Full-text search (search/). FTS5 needs integer rowids and `messages` is
-- WITHOUT ROWID, so each live message gets a search_docs row whose rowid is
-- created_at (ms) << 20 | a tiebreak (the first free slot in that ms): the
-- rowid order is the time order even for messages imported later with old
-- timestamps, so "newest first" is FTS5 walking its index backwards and
-- stopping after one page, a date range is a rowid range, and a message's
-- doc is found from its created_at and id (no index on message_id). An edit
-- keeps the rowid. search_docs carries what the filters read per candidate
-- (channel, flags) so a candidate never reads its message row; it has no
-- secondary index, so a post adds one append to it and no scattered index
-- pages. flags: 1 the text has an http(s) link, 2 a reply, 4 a thread root
-- with replies, 8 shares files (message_files).
--
-- search_fts indexes two columns: the text, and `meta`, the tokens
-- "c<channel id> u<author id>" that make in: and from: index lookups
-- ordered by rowid like any word. It stores no content: snippets read the
-- text back through the view search_content (external content), so the text
-- is not stored twice.
--
-- Triggers keep it in the transaction that writes the message (a post, an
-- edit, a delete, a cascade from a deleted channel or workspace), whichever
-- code path writes it: search_docs directly, search_fts through
-- search_queue, which store::Store applies to search_fts in one statement
-- just before each COMMIT (ApplySearchQueue, store/sqlite_search.cc). The
-- queue exists because FTS5 flushes its pending terms to a new segment at
-- every SAVEPOINT, and group commit runs each writer of a batch in one: a
-- direct write would cost a segment per post instead of one per commit. A
-- writer that bypasses store::Store must apply the queue before committing.
CREATE TABLE search_docs (
  rowid      INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  flags      INTEGER NOT NULL DEFAULT 0
);
CREATE VIEW search_content(rowid, text, meta) AS
  SELECT d.rowid, m.text, 'c' || m.channel_id || ' u' || m.user_id
  FROM search_docs d JOIN messages m ON m.id = d.message_id;
CREATE VIRTUAL TABLE search_fts USING fts5(
  text, meta, content = 'search_content', content_rowid = 'rowid',
  tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
-- Changes to apply to search_fts, in order: an insert of (doc, text, meta),
-- or with del = 1 the removal of what was indexed for doc.
CREATE TABLE search_queue (
  id   INTEGER PRIMARY KEY,
  doc  INTEGER NOT NULL,
  del  INTEGER NOT NULL,
  text TEXT NOT NULL,
  meta TEXT NOT NULL
);

CREATE TRIGGER search_on_insert AFTER INSERT ON messages WHEN new.deleted_at = 0 BEGIN
  INSERT INTO search_docs(rowid, message_id, channel_id, flags)
  SELECT coalesce(max(rowid) + 1, new.created_at * 1048576), new.id, new.channel_id,
         (new.text LIKE '%http://%' OR new.text LIKE '%https://%')
         | (CASE WHEN new.thread_root_id != '' THEN 2 ELSE 0 END)
         | (CASE WHEN new.reply_count > 0 THEN 4 ELSE 0 END)
         | (CASE WHEN EXISTS (SELECT 1 FROM message_files f WHERE f.message_id = new.id)
            THEN 8 ELSE 0 END)
  FROM search_docs
  WHERE rowid BETWEEN new.created_at * 1048576 AND new.created_at * 1048576 + 1048575;
  INSERT INTO search_queue(doc, del, text, meta)
  VALUES (last_insert_rowid(), 0, new.text, 'c' || new.channel_id || ' u' || new.user_id);
END;

-- An edit: the old terms out, the new ones in, same rowid. A delete (the
-- text cleared, deleted_at set): the terms and the doc go.
CREATE TRIGGER search_on_text AFTER UPDATE OF text, deleted_at ON messages
WHEN old.text IS NOT new.text OR old.deleted_at != new.deleted_at BEGIN
  INSERT INTO search_queue(doc, del, text, meta)
  SELECT d.rowid, 1, old.text, 'c' || old.channel_id || ' u' || old.user_id
  FROM search_docs d
  WHERE d.rowid BETWEEN old.created_at * 1048576 AND old.created_at * 1048576 + 1048575
    AND d.message_id = old.id;
  INSERT INTO search_queue(doc, del, text, meta)
  SELECT d.rowid, 0, new.text, 'c' || new.channel_id || ' u' || new.user_id
  FROM search_docs d
  WHERE d.rowid BETWEEN new.created_at * 1048576 AND new.created_at * 1048576 + 1048575
    AND d.message_id = new.id AND new.deleted_at = 0;
  UPDATE search_docs
  SET flags = (flags & ~1) | (new.text LIKE '%http://%' OR new.text LIKE '%https://%')
  WHERE rowid BETWEEN new.created_at * 1048576 AND new.created_at * 1048576 + 1048575
    AND message_id = new.id AND new.deleted_at = 0;
  DELETE FROM search_docs
  WHERE rowid BETWEEN old.created_at * 1048576 AND old.created_at * 1048576 + 1048575
    AND message_id = old.id AND new.deleted_at != 0;
END;

CREATE TRIGGER search_on_replies AFTER UPDATE OF reply_count ON messages
WHEN (old.reply_count > 0) != (new.reply_count > 0) BEGIN
  UPDATE search_docs SET flags = (flags & ~4) | (CASE WHEN new.reply_count > 0 THEN 4 ELSE 0 END)
  WHERE rowid BETWEEN new.created_at * 1048576 AND new.created_at * 1048576 + 1048575
    AND message_id = new.id;
END;

CREATE TRIGGER search_on_delete AFTER DELETE ON messages BEGIN
  INSERT INTO search_queue(doc, del, text, meta)
  SELECT d.rowid, 1, old.text, 'c' || old.channel_id || ' u' || old.user_id
  FROM search_docs d
  WHERE d.rowid BETWEEN old.created_at * 1048576 AND old.created_at * 1048576 + 1048575
    AND d.message_id = old.id;
  DELETE FROM search_docs
  WHERE rowid BETWEEN old.created_at * 1048576 AND old.created_at * 1048576 + 1048575
    AND message_id = old.id;
END;

CREATE TRIGGER search_on_file AFTER INSERT ON message_files BEGIN
  UPDATE search_docs SET flags = flags | 8
  WHERE rowid BETWEEN (SELECT created_at * 1048576 FROM messages WHERE id = new.message_id)
                  AND (SELECT created_at * 1048576 + 1048575 FROM messages
                       WHERE id = new.message_id)
    AND message_id = new.message_id;
END;
CREATE TRIGGER search_on_unfile AFTER DELETE ON message_files
WHEN NOT EXISTS (SELECT 1 FROM message_files WHERE message_id = old.message_id) BEGIN
  UPDATE search_docs SET flags = flags & ~8
  WHERE rowid BETWEEN (SELECT created_at * 1048576 FROM messages WHERE id = old.message_id)
                  AND (SELECT created_at * 1048576 + 1048575 FROM messages
                       WHERE id = old.message_id)
    AND message_id = old.message_id;
END;

-- Index what exists already (an upgrade searches old messages too), oldest
-- first so that the tiebreak follows the id order within a millisecond.
INSERT INTO search_docs(rowid, message_id, channel_id, flags)
SELECT created_at * 1048576
         + row_number() OVER (PARTITION BY created_at ORDER BY id) - 1,
       id, channel_id,
       (text LIKE '%http://%' OR text LIKE '%https://%')
       | (CASE WHEN thread_root_id != '' THEN 2 ELSE 0 END)
       | (CASE WHEN reply_count > 0 THEN 4 ELSE 0 END)
       | (CASE WHEN EXISTS (SELECT 1 FROM message_files f WHERE f.message_id = messages.id)
          THEN 8 ELSE 0 END)
FROM messages WHERE deleted_at = 0;
INSERT INTO search_fts(search_fts) VALUES ('rebuild');
)sql"},
      {10, "files: uploaded files and their blobs", R"sql(
-- One row per upload. The bytes are the blob DATA_DIR/blobs/ab/cd/<sha256>
-- (content-addressed: rows may share one), the thumbnail another blob. A row
-- no message_files row names is collectible (quikctl files gc).
CREATE TABLE files (
  id               TEXT PRIMARY KEY,
  workspace_id     TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id          TEXT NOT NULL,               -- the uploader
  name             TEXT NOT NULL,
  size             INTEGER NOT NULL,
  content_type     TEXT NOT NULL,               -- sniffed from the bytes
  sha256           TEXT NOT NULL,               -- lower-case hex
  width            INTEGER NOT NULL DEFAULT 0,
  height           INTEGER NOT NULL DEFAULT 0,
  thumbnail_sha256 TEXT NOT NULL DEFAULT '',
  thumbnail_size   INTEGER NOT NULL DEFAULT 0,
  created_at       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX files_by_workspace ON files(workspace_id, id);
CREATE INDEX files_by_sha256 ON files(sha256);
CREATE INDEX files_by_thumbnail ON files(thumbnail_sha256) WHERE thumbnail_sha256 != '';
CREATE INDEX files_by_created ON files(created_at);
)sql"},
      {11, "import keys: which local object each imported one became", R"sql(
-- One row per object an import wrote or matched (transfer/import_writer.hpp):
-- a rerun of the same import looks its objects up here and skips them, which
-- makes imports idempotent and resumable. `source` names the origin
-- ("quik:<exported workspace id>", "slack:<team id>"), `kind` the object
-- (workspace, user, channel, message, file), `external_id` its id there.
CREATE TABLE import_keys (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  source       TEXT NOT NULL,
  kind         TEXT NOT NULL,
  external_id  TEXT NOT NULL,
  local_id     TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, source, kind, external_id)
) WITHOUT ROWID;
)sql"},
      {12, "deleted means gone: events and webhook deliveries found by message", R"sql(
-- The message an event carries (message.*: the message; notification.*: the
-- message it is about), so that an edit or a delete can rewrite that
-- message's earlier events in its own transaction (messages/supersede.cc):
-- the log never gives back a text its author took back. '' for other events.
ALTER TABLE events ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
-- Events written before this migration: a message payload (EventPayload
-- field 7) serializes its Message with the id (field 1, 26 bytes) first, so
-- the id is the 26 bytes after the first X'0A1A' (tag of field 1, length 26).
-- A notification (field 18) likewise starts with its own id, which names
-- its row and so its message.
UPDATE events SET message_id = CAST(substr(payload, instr(payload, X'0A1A') + 2, 26) AS TEXT)
  WHERE type IN ('message.posted', 'message.edited', 'message.deleted')
    AND instr(payload, X'0A1A') > 0;
UPDATE events SET message_id = coalesce((SELECT n.message_id FROM notifications n WHERE
    n.id = CAST(substr(events.payload, instr(events.payload, X'0A1A') + 2, 26) AS TEXT)), '')
  WHERE type = 'notification.created' AND instr(payload, X'0A1A') > 0;
CREATE INDEX events_by_message ON events(message_id) WHERE message_id != '';
-- The membership history a replay rewinds a user's view through
-- (authz::ViewAsOf): the member.* events, found by seq without a scan.
CREATE INDEX events_membership ON events(seq)
  WHERE type IN ('member.joined', 'member.left', 'member.updated');
-- The deliveries built from one event, to rebuild when that event is rewritten.
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries(event_seq);
)sql"},
      {13, "accounts: invite uses, email binding and revocation; vouched emails", R"sql(
-- An invite brings in at most max_uses accounts (0: no limit, as every
-- invite made before this migration did), only for email_key when set, and
-- none once revoked.
ALTER TABLE invites ADD COLUMN max_uses INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invites ADD COLUMN uses INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invites ADD COLUMN email_key TEXT NOT NULL DEFAULT '';
ALTER TABLE invites ADD COLUMN revoked_at INTEGER NOT NULL DEFAULT 0;
-- Whether someone vouched for the user's email: an admin, quikctl or a
-- manifest made the account, or it signed up through an invite bound to that
-- email. Imports attach identities only to vouched accounts. Existing
-- self-registered accounts (a password, not an admin) cannot be told from
-- admin-made ones with a password, so they start unvouched.
ALTER TABLE users ADD COLUMN email_vouched INTEGER NOT NULL DEFAULT 1;
UPDATE users SET email_vouched = 0 WHERE password_hash IS NOT NULL AND is_admin = 0;
)sql"},
  };
  return kMigrations;
}

namespace {

Status EnsureMigrationTable(Connection& conn) {
  return conn.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
}

}  // namespace

Result<std::vector<MigrationInfo>> ReadMigrationStatus(Connection& conn) {
  std::vector<MigrationInfo> out;
  for (const Migration& m : AllMigrations()) out.push_back({m.version, m.name, false, 0});
  // A database that has never been migrated has no table yet.
  QUIK_ASSIGN_OR_RETURN(
      auto exists, conn.Prepare("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'"));
  QUIK_ASSIGN_OR_RETURN(bool has_table, exists.Step());
  if (!has_table) return out;
  QUIK_ASSIGN_OR_RETURN(auto stmt,
                        conn.Prepare("SELECT version, applied_at FROM schema_migrations"));
  for (;;) {
    QUIK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    int version = static_cast<int>(stmt.Int(0));
    if (version < 1)
      return Internal("schema_migrations holds an invalid version " + std::to_string(version));
    if (version > static_cast<int>(AllMigrations().size())) {
      return Unavailable("the database has schema version " + std::to_string(version) +
                         ", newer than this build knows (" +
                         std::to_string(AllMigrations().size()) + "); upgrade quikctl");
    }
    out[static_cast<size_t>(version - 1)].applied = true;
    out[static_cast<size_t>(version - 1)].applied_at = stmt.Int(1);
  }
  return out;
}

Result<std::vector<MigrationInfo>> ApplyMigrations(Connection& conn, bool dry_run) {
  std::vector<MigrationInfo> applied;
  if (!dry_run) QUIK_RETURN_IF_ERROR(EnsureMigrationTable(conn));
  for (const Migration& m : AllMigrations()) {
    // Re-read inside the write lock: another process may be migrating too.
    if (!dry_run) QUIK_RETURN_IF_ERROR(conn.Exec("BEGIN IMMEDIATE"));
    auto status = ReadMigrationStatus(conn);
    if (!status.ok()) {
      if (!dry_run) conn.Exec("ROLLBACK").IgnoreError();
      return status.status();
    }
    const MigrationInfo& info = (*status)[static_cast<size_t>(m.version - 1)];
    if (info.applied) {
      if (!dry_run) QUIK_RETURN_IF_ERROR(conn.Exec("COMMIT"));
      continue;
    }
    MigrationInfo done{m.version, m.name, !dry_run, 0};
    if (!dry_run) {
      done.applied_at = internal::NowMillis();
      Status st = conn.Exec(m.sql);
      if (st.ok()) {
        auto ins = conn.Prepare(
            "INSERT INTO schema_migrations(version, name, applied_at) VALUES(?, ?, ?)");
        st = ins.ok() ? ins->Bind(1, m.version).Bind(2, m.name).Bind(3, done.applied_at).Exec()
                      : ins.status();
      }
      if (st.ok()) st = conn.Exec("COMMIT");
      if (!st.ok()) {
        conn.Exec("ROLLBACK").IgnoreError();
        return Status(st.code(), "migration " + std::to_string(m.version) + " (" + m.name +
                                     ") failed and was rolled back: " + st.message());
      }
    }
    applied.push_back(done);
  }
  return applied;
}

}  // namespace quik::store
