// SPDX-License-Identifier: MIT
// The data dir: init, migrations, and data surviving a reopen.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "quik/config.hpp"
#include "quik/datadir.hpp"
#include "unit/testing/service_fixture.hpp"

using quik::StatusCode;
using quik_test::As;
using quik_test::System;

namespace fs = std::filesystem;

namespace {

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void CheckAllApplied(const std::vector<quik::MigrationInfo>& migrations) {
  REQUIRE_FALSE(migrations.empty());
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    const quik::MigrationInfo& m = migrations[i];
    INFO("migration " << m.version << " " << m.name);
    CHECK(m.applied);
    CHECK(m.applied_at > 0);
    CHECK_FALSE(m.name.empty());
    if (i > 0) {
      CHECK(migrations[i - 1].version < m.version);
    }
  }
}

}  // namespace

TEST_CASE("datadir: init creates the dir, config and database", "[datadir]") {
  quik_test::TempDir tmp;
  quik::Options options = quik_test::TestOptions(tmp.path() / "nested" / "deeper" / "data");

  quik::InitResult first = REQUIRE_VALUE(quik::InitDataDir(options));
  CHECK(first.created_config);
  CHECK(first.migrations_applied > 0);
  CHECK(fs::is_directory(options.data_dir));
  CHECK(fs::is_regular_file(options.data_dir / "quik.toml"));
  CHECK(fs::is_regular_file(options.data_dir / "quik.db"));

  // The config written is a valid quik.toml that changes nothing.
  quik::Options loaded;
  REQUIRE_OK(quik::LoadOptionsFile(options.data_dir / "quik.toml", &loaded));
  CHECK(loaded.storage.sync == quik::SyncMode::kFull);
  CHECK(loaded.limits.message_max_chars == 40000);

  auto status = REQUIRE_VALUE(quik::MigrationStatus(options));
  CHECK(static_cast<int>(status.size()) == first.migrations_applied);
  CheckAllApplied(status);
}

TEST_CASE("datadir: init is idempotent", "[datadir]") {
  quik_test::TempDir tmp;
  quik::Options options = quik_test::TestOptions(tmp.path() / "data");
  REQUIRE_OK(quik::InitDataDir(options));
  const std::string config = ReadFile(options.data_dir / "quik.toml");
  auto before = REQUIRE_VALUE(quik::MigrationStatus(options));

  quik::InitResult second = REQUIRE_VALUE(quik::InitDataDir(options));
  CHECK_FALSE(second.created_config);
  CHECK(second.migrations_applied == 0);
  CHECK(ReadFile(options.data_dir / "quik.toml") == config);
  auto after = REQUIRE_VALUE(quik::MigrationStatus(options));
  REQUIRE(after.size() == before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    CHECK(after[i].version == before[i].version);
    CHECK(after[i].applied_at == before[i].applied_at);  // not re-applied
  }
}

TEST_CASE("datadir: init keeps an existing quik.toml", "[datadir]") {
  quik_test::TempDir tmp;
  quik::Options options = quik_test::TestOptions(tmp.path() / "data");
  fs::create_directories(options.data_dir);
  const std::string mine = "# my own config\n";
  {
    std::ofstream out(options.data_dir / "quik.toml", std::ios::binary);
    out << mine;
  }
  quik::InitResult r = REQUIRE_VALUE(quik::InitDataDir(options));
  CHECK_FALSE(r.created_config);
  CHECK(r.migrations_applied > 0);
  CHECK(ReadFile(options.data_dir / "quik.toml") == mine);
}

TEST_CASE("datadir: init does not disturb existing data", "[datadir]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice");
  quik::InitResult again = REQUIRE_VALUE(quik::InitDataDir(f.options()));
  CHECK(again.migrations_applied == 0);
  CHECK_OK(f.users().Get(System(), alice.id));
}

TEST_CASE("datadir: migrations on an initialised dir", "[datadir]") {
  quik_test::TempDir tmp;
  quik::Options options = quik_test::TestOptions(tmp.path() / "data");
  quik::InitResult init = REQUIRE_VALUE(quik::InitDataDir(options));

  auto status = REQUIRE_VALUE(quik::MigrationStatus(options));
  CHECK(static_cast<int>(status.size()) == init.migrations_applied);
  CheckAllApplied(status);
  CHECK(REQUIRE_VALUE(quik::MigrateUp(options, /*dry_run=*/true)).empty());
  CHECK(REQUIRE_VALUE(quik::MigrateUp(options, /*dry_run=*/false)).empty());
  CheckAllApplied(REQUIRE_VALUE(quik::MigrationStatus(options)));
}

TEST_CASE("datadir: migration status needs a database", "[datadir]") {
  quik_test::TempDir tmp;
  quik::Options options = quik_test::TestOptions(tmp.path() / "missing");
  CHECK_CODE(quik::MigrationStatus(options), StatusCode::kNotFound);
  CHECK_FALSE(fs::exists(options.data_dir / "quik.db"));  // asking created nothing
  fs::create_directories(options.data_dir);
  CHECK_CODE(quik::MigrationStatus(options), StatusCode::kNotFound);
  CHECK_FALSE(fs::exists(options.data_dir / "quik.db"));
}

TEST_CASE("datadir: pending migrations: status, dry run, up", "[datadir]") {
  // A data dir whose database exists but has no schema yet (an empty SQLite
  // file is a valid, empty database): every migration is pending.
  quik_test::TempDir tmp;
  quik::Options options = quik_test::TestOptions(tmp.path() / "data");
  fs::create_directories(options.data_dir);
  { std::ofstream touch(options.data_dir / "quik.db", std::ios::binary); }

  auto pending = REQUIRE_VALUE(quik::MigrationStatus(options));
  REQUIRE_FALSE(pending.empty());
  for (const quik::MigrationInfo& m : pending) {
    INFO("migration " << m.version << " " << m.name);
    CHECK_FALSE(m.applied);
    CHECK(m.applied_at == 0);
  }

  // A dry run lists them and applies nothing.
  auto would = REQUIRE_VALUE(quik::MigrateUp(options, /*dry_run=*/true));
  REQUIRE(would.size() == pending.size());
  for (std::size_t i = 0; i < would.size(); ++i) CHECK(would[i].version == pending[i].version);
  for (const quik::MigrationInfo& m : REQUIRE_VALUE(quik::MigrationStatus(options))) {
    CHECK_FALSE(m.applied);
  }

  // Without auto_migrate, a dir with pending migrations does not open.
  {
    quik::Options strict = options;
    strict.storage.auto_migrate = false;
    auto opened = quik::Service::Open(strict);
    INFO(opened.status().ToString());
    CHECK_FALSE(opened.ok());
  }

  auto applied = REQUIRE_VALUE(quik::MigrateUp(options, /*dry_run=*/false));
  REQUIRE(applied.size() == pending.size());
  for (std::size_t i = 0; i < applied.size(); ++i) CHECK(applied[i].version == pending[i].version);
  CheckAllApplied(REQUIRE_VALUE(quik::MigrationStatus(options)));
  CHECK(REQUIRE_VALUE(quik::MigrateUp(options, /*dry_run=*/false)).empty());

  // Now it opens, even without auto_migrate, and works.
  quik::Options strict = options;
  strict.storage.auto_migrate = false;
  std::unique_ptr<quik::Service> svc = REQUIRE_VALUE(quik::Service::Open(strict));
  quik::NewUser spec;
  spec.email = "a@example.test";
  spec.name = "A";
  CHECK_OK(svc->users().Create(System(), spec));
}

TEST_CASE("datadir: open applies pending migrations when auto_migrate", "[datadir]") {
  quik_test::TempDir tmp;
  quik::Options options = quik_test::TestOptions(tmp.path() / "data");
  fs::create_directories(options.data_dir);
  { std::ofstream touch(options.data_dir / "quik.db", std::ios::binary); }
  REQUIRE(options.storage.auto_migrate);
  {
    std::unique_ptr<quik::Service> svc = REQUIRE_VALUE(quik::Service::Open(options));
    CHECK(REQUIRE_VALUE(svc->events().LatestSeq()) == 0);
  }
  CheckAllApplied(REQUIRE_VALUE(quik::MigrationStatus(options)));
}

TEST_CASE("datadir: open needs an initialised dir", "[datadir]") {
  quik_test::TempDir tmp;
  quik::Options options = quik_test::TestOptions(tmp.path() / "never-initialised");
  auto opened = quik::Service::Open(options);
  INFO(opened.status().ToString());
  CHECK_FALSE(opened.ok());
}

TEST_CASE("datadir: data survives closing and reopening", "[datadir]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice", "", std::string("pass word"));
  quik::User bob = f.CreateUser("Bob");
  quik::Workspace ws = f.CreateWorkspace(As(alice), "Demo Co");
  f.AddMember(ws, bob, quik::Role::kGuest);
  quik::Channel general = f.CreateChannel(As(alice), ws, "general");
  quik::Channel priv = f.CreateChannel(As(alice), ws, "secret", true);
  quik::Message m1 = f.Post(As(alice), general.id, "first");
  quik::Message m2 = f.Post(As(alice), general.id, "second \xF0\x9F\x98\x80");
  REQUIRE_OK(f.messages().Edit(As(alice), m1.id, "first, edited"));
  quik::IssuedToken token = f.CreateToken(bob, "bot");
  quik::IssuedToken revoked = f.CreateToken(bob, "old");
  REQUIRE_OK(f.auth().RevokeToken(As(bob), revoked.token.id));
  quik::Invite invite =
      REQUIRE_VALUE(f.workspaces().CreateInvite(As(alice), ws.id, quik::Role::kMember));
  const std::int64_t seq = f.LatestSeq();
  auto events_before = REQUIRE_VALUE(f.events().Read(System(), 0));

  f.Reopen();

  // Reading writes nothing: the log is as it was.
  CHECK(f.LatestSeq() == seq);
  auto events_after = REQUIRE_VALUE(f.events().Read(System(), 0));
  REQUIRE(events_after.size() == events_before.size());
  for (std::size_t i = 0; i < events_after.size(); ++i) {
    CHECK(events_after[i].seq == events_before[i].seq);
    CHECK(events_after[i].type == events_before[i].type);
    CHECK(events_after[i].payload == events_before[i].payload);
  }

  CHECK(REQUIRE_VALUE(f.users().Get(System(), "ALICE@example.test")).id == alice.id);
  quik::Workspace ws2 = REQUIRE_VALUE(f.workspaces().Get(As(alice), "demo-co"));
  CHECK(ws2.id == ws.id);
  CHECK(ws2.name == "Demo Co");
  CHECK(REQUIRE_VALUE(f.workspaces().GetMember(System(), ws.id, bob.id)).role ==
        quik::Role::kGuest);
  CHECK(REQUIRE_VALUE(f.workspaces().GetMember(System(), ws.id, alice.id)).role ==
        quik::Role::kOwner);
  CHECK(REQUIRE_VALUE(f.channels().Get(As(alice), "demo-co/#general")).id == general.id);
  CHECK(REQUIRE_VALUE(f.channels().Get(As(alice), priv.id)).kind == quik::ChannelKind::kPrivate);
  CHECK_CODE(f.channels().Get(As(bob), priv.id), StatusCode::kNotFound);

  auto page = REQUIRE_VALUE(f.messages().List(As(alice), general.id));
  REQUIRE(page.items.size() == 2);
  CHECK(page.items[0].id == m2.id);
  CHECK(page.items[0].text == "second \xF0\x9F\x98\x80");
  CHECK(page.items[1].id == m1.id);
  CHECK(page.items[1].text == "first, edited");
  CHECK(page.items[1].edited_at > 0);

  CHECK_OK(f.auth().Login(alice.email, "pass word"));
  CHECK(REQUIRE_VALUE(f.auth().Authenticate(token.secret)).user_id == bob.id);
  CHECK_CODE(f.auth().Authenticate(revoked.secret), StatusCode::kUnauthenticated);

  // Writing continues where it left off: new ids and seqs keep rising.
  quik::Message m3 = f.Post(As(alice), general.id, "third");
  CHECK(m3.id > m2.id);
  CHECK(f.LatestSeq() > seq);

  // The invite still works.
  quik::User carol = f.CreateUser("Carol");
  CHECK(REQUIRE_VALUE(f.workspaces().AcceptInvite(As(carol), invite.code)).workspace_id == ws.id);
}
