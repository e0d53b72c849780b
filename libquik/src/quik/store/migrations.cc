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
      {4, "reserved: reactions, pins, edit history", "-- reserved"},
      {5, "reserved: threads, mentions, read state", "-- reserved"},
      {6, "reserved: notifications, preferences", "-- reserved"},
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
