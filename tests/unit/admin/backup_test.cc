// SPDX-License-Identifier: MIT
// quik::BackupDataDir / RestoreDataDir / VerifyDataDir through the library,
// as an embedder calls them: a backup of the data dir the program has open.
#include "quik/backup.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "presence/presence_internal.hpp"
#include "store/sqlite.hpp"
#include "testing/temp_dir.hpp"
#include "unit/testing/service_fixture.hpp"

namespace {

namespace fs = std::filesystem;
using quik_test::As;
using quik_test::System;

}  // namespace

TEST_CASE("backup: an embedder backs up the data dir it has open, and restores it", "[backup]") {
  quik_test::ServiceFixture fx;
  quik::User alice = fx.CreateUser("Alice");
  quik::Workspace ws = fx.CreateWorkspace(As(alice), "Acme", "acme");
  quik::Channel general = fx.CreateChannel(As(alice), ws, "general");
  quik::Message before = fx.Post(As(alice), general.id, "before the backup");
  auto file = fx.svc().files().UploadBytes(As(alice), ws.id, "a.txt", "file bytes\n");
  REQUIRE(file.ok());
  quik::IssuedToken old_token = fx.CreateToken(alice, "old");
  // Alice is connected and Bob chose "away": presence before the backup.
  quik::User bob = fx.CreateUser("Bob");
  REQUIRE(quik::presence::MarkConnected(*quik::internal::ContextOf(fx.svc()), alice.id).ok());
  REQUIRE(fx.svc().presence().Set(As(bob), quik::PresenceStatus::kAway).ok());

  quik_test::TempDir tmp("quik-backup-unit");
  const fs::path to = tmp.path() / "b";
  auto manifest = quik::BackupDataDir(fx.svc(), to);
  INFO(manifest.status().ToString());
  REQUIRE(manifest.ok());
  CHECK(manifest->warnings.empty());
  CHECK(manifest->format_version == quik::kBackupFormatVersion);
  CHECK(manifest->schema_version >= 10);

  // After the backup: not in it.
  quik::Message after = fx.Post(As(alice), general.id, "after the backup");
  quik::IssuedToken new_token = fx.CreateToken(alice, "new");

  // Through Options, LMDB would be opened a second time in this process.
  auto twice = quik::BackupDataDir(fx.options(), tmp.path() / "c");
  CHECK(twice.status().code() == quik::StatusCode::kInternal);
  CHECK_FALSE(fs::exists(tmp.path() / "c"));

  auto checked = quik::VerifyBackup(to);
  REQUIRE(checked.ok());
  INFO(checked->Summary());
  CHECK(checked->healthy());

  quik::Options restored = quik_test::TestOptions(tmp.path() / "restored");
  auto report = quik::RestoreDataDir(to, restored);
  INFO(report.status().ToString());
  REQUIRE(report.ok());
  CHECK(report->verify.healthy());
  auto again = quik::RestoreDataDir(to, restored);
  CHECK(again.status().code() == quik::StatusCode::kAlreadyExists);

  auto verify = quik::VerifyDataDir(restored);
  REQUIRE(verify.ok());
  CHECK(verify->healthy());

  auto svc = quik::Service::Open(restored);
  REQUIRE(svc.ok());
  CHECK((*svc)->messages().Get(System(), before.id).ok());
  CHECK((*svc)->messages().Get(System(), after.id).status().code() == quik::StatusCode::kNotFound);
  auto f = (*svc)->files().Get(System(), file->id);
  REQUIRE(f.ok());
  CHECK(f->sha256 == file->sha256);
  // Nobody is connected to the restored instance; chosen statuses stay.
  auto alice_presence = (*svc)->presence().Get(System(), alice.id);
  REQUIRE(alice_presence.ok());
  CHECK(alice_presence->status == quik::PresenceStatus::kOffline);
  CHECK(alice_presence->last_seen > 0);
  auto bob_presence = (*svc)->presence().Get(System(), bob.id);
  REQUIRE(bob_presence.ok());
  CHECK(bob_presence->manual == quik::PresenceStatus::kAway);
  // The token index is rebuilt from the restored tokens table.
  CHECK((*svc)->auth().Authenticate(old_token.secret).ok());
  CHECK_FALSE((*svc)->auth().Authenticate(new_token.secret).ok());
}

TEST_CASE("verify: a fresh data dir is healthy, a schema behind is a warning, one ahead a problem",
          "[backup]") {
  quik_test::TempDir tmp("quik-verify-unit");
  quik::Options options = quik_test::TestOptions(tmp.path() / "data");
  REQUIRE(quik::InitDataDir(options).ok());
  auto fresh = quik::VerifyDataDir(options);
  REQUIRE(fresh.ok());
  CHECK(fresh->healthy());
  for (const auto& c : fresh->checks) {
    CAPTURE(c.name);
    if (c.name == "lmdb") {  // never opened yet
      CHECK(c.state == quik::VerifyCheck::State::kWarning);
    } else {
      CHECK(c.state == quik::VerifyCheck::State::kOk);
    }
  }
  CHECK(quik::VerifyDataDir(quik_test::TestOptions(tmp.path() / "none")).status().code() ==
        quik::StatusCode::kNotFound);

  auto state_of = [](const quik::VerifyReport& r, const std::string& name) {
    for (const auto& c : r.checks) {
      if (c.name == name) return c.state;
    }
    FAIL("no check " << name);
    return quik::VerifyCheck::State::kProblem;
  };
  auto conn = quik::store::Connection::Open(options.data_dir / "quik.db",
                                            quik::store::Connection::Mode::kReadWrite, false, 1000);
  REQUIRE(conn.ok());
  // One migration behind: a warning (migrate up applies it).
  REQUIRE((*conn)
              ->Exec("DELETE FROM schema_migrations WHERE version = "
                     "(SELECT max(version) FROM schema_migrations)")
              .ok());
  auto behind = quik::VerifyDataDir(options);
  REQUIRE(behind.ok());
  CHECK(behind->healthy());
  CHECK(state_of(*behind, "schema") == quik::VerifyCheck::State::kWarning);
  // Newer than this build: a problem.
  REQUIRE((*conn)
              ->Exec("INSERT INTO schema_migrations(version, name, applied_at) "
                     "VALUES(999, 'from the future', 0)")
              .ok());
  auto ahead = quik::VerifyDataDir(options);
  REQUIRE(ahead.ok());
  CHECK_FALSE(ahead->healthy());
  CHECK(state_of(*ahead, "schema") == quik::VerifyCheck::State::kProblem);
}
