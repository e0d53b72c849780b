// SPDX-License-Identifier: MIT
// Migrations that rewrite data: their SQL against rows an older schema wrote.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/ids.hpp"
#include "quik/v1/events.pb.h"
#include "store/migrations.hpp"
#include "store/sqlite.hpp"
#include "testing/temp_dir.hpp"

namespace {

using quik::store::Connection;

// A database at schema version `version`, as a build of that version left it.
std::unique_ptr<Connection> DatabaseAt(const quik_test::TempDir& dir, int version) {
  auto conn = Connection::Open(dir.path() / "quik.db", Connection::Mode::kReadWrite, false, 1000);
  REQUIRE(conn.ok());
  REQUIRE((*conn)
              ->Exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
                     "NULL, applied_at INTEGER NOT NULL)")
              .ok());
  for (const auto& m : quik::store::AllMigrations()) {
    if (m.version > version) break;
    INFO("migration " << m.version);
    REQUIRE((*conn)->Exec(m.sql).ok());
    auto ins = (*conn)->Prepare("INSERT INTO schema_migrations VALUES(?, ?, 0)");
    REQUIRE(ins.ok());
    REQUIRE(ins->Bind(1, m.version).Bind(2, m.name).Exec().ok());
  }
  return std::move(conn).value();
}

void Exec(Connection& conn, const char* sql) {
  INFO(sql);
  REQUIRE(conn.Exec(sql).ok());
}

void AppendEvent(Connection& conn, const std::string& type, const quik::v1::EventPayload& p) {
  auto s = conn.Prepare("INSERT INTO events(type, created_at, payload) VALUES(?, 0, ?)");
  REQUIRE(s.ok());
  REQUIRE(s->Bind(1, type).BindBlob(2, p.SerializeAsString()).Exec().ok());
}

// The version of the migration whose name starts with `name`.
int VersionOf(std::string_view name) {
  for (const auto& m : quik::store::AllMigrations()) {
    if (std::string_view(m.name).substr(0, name.size()) == name) return m.version;
  }
  FAIL("no migration " << name);
  return 0;
}

}  // namespace

TEST_CASE("migrations: deleted means gone finds the message of every earlier event", "[store]") {
  const int version = VersionOf("deleted means gone");
  quik_test::TempDir dir("quik-migrate");
  auto conn = DatabaseAt(dir, version - 1);
  const std::string message_id = quik::internal::NewId(1);
  const std::string notification_id = quik::internal::NewId(2);
  Exec(*conn,
       "INSERT INTO users(id, email, email_key, name, created_at) VALUES('U', 'u@x', 'u@x', "
       "'U', 0)");
  Exec(*conn, "INSERT INTO workspaces(id, name, slug, created_at) VALUES('W', 'W', 'w', 0)");
  Exec(*conn,
       "INSERT INTO channels(id, workspace_id, name, kind, created_by, created_at) "
       "VALUES('C', 'W', 'c', 'public', 'U', 0)");
  {
    auto s = conn->Prepare(
        "INSERT INTO notifications(id, user_id, workspace_id, channel_id, message_id, reason, "
        "actor_id, excerpt, created_at) VALUES(?, 'U', 'W', 'C', ?, 'mention', 'U', 'x', 0)");
    REQUIRE(s.ok());
    REQUIRE(s->Bind(1, notification_id).Bind(2, message_id).Exec().ok());
  }
  quik::v1::EventPayload posted;
  posted.mutable_message()->set_id(message_id);
  posted.mutable_message()->set_text(std::string(20000, 'x'));  // a 3-byte length
  AppendEvent(*conn, "message.posted", posted);
  quik::v1::EventPayload edited;
  edited.mutable_message()->set_id(message_id);
  edited.mutable_message()->set_text("short");
  AppendEvent(*conn, "message.edited", edited);
  quik::v1::EventPayload notified;
  notified.mutable_notification()->set_id(notification_id);
  notified.mutable_notification()->set_message_id(message_id);
  notified.mutable_notification()->set_excerpt("x");
  AppendEvent(*conn, "notification.created", notified);
  quik::v1::EventPayload joined;
  joined.mutable_member()->set_workspace_id("W");
  joined.mutable_member()->set_user_id("U");
  AppendEvent(*conn, "member.joined", joined);

  auto applied = quik::store::ApplyMigrations(*conn, /*dry_run=*/false);
  REQUIRE(applied.ok());
  REQUIRE_FALSE(applied->empty());
  CHECK(applied->front().version == version);
  auto s = conn->Prepare("SELECT message_id FROM events ORDER BY seq");
  REQUIRE(s.ok());
  std::vector<std::string> ids;
  for (;;) {
    auto row = s->Step();
    REQUIRE(row.ok());
    if (!*row) break;
    ids.push_back(s->Text(0));
  }
  CHECK(ids == std::vector<std::string>{message_id, message_id, message_id, ""});
}
