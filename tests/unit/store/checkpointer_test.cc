// SPDX-License-Identifier: MIT
#include "store/checkpointer.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "store/sqlite.hpp"
#include "testing/temp_dir.hpp"

namespace quik::store {
namespace {

using namespace std::chrono_literals;

TEST_CASE("Checkpointer: a growing WAL is checkpointed off the commit path and reused",
          "[store][checkpointer]") {
  quik_test::TempDir tmp;
  const auto db = tmp.path() / "quik.db";
  auto conn = Connection::Open(db, Connection::Mode::kReadWrite, /*sync_full=*/false, 5000);
  REQUIRE(conn.ok());
  Checkpointer checkpointer(db, 5000);
  checkpointer.Attach((*conn)->raw());
  REQUIRE((*conn)->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)").ok());

  // 64 KiB per commit: 16 pages, so a checkpoint is due every ~250 commits.
  const std::string blob(64 * 1024, 'x');
  auto insert = [&](int n) {
    for (int i = 0; i < n; ++i) {
      auto stmt = (*conn)->Prepare("INSERT INTO t (v) VALUES (?)");
      REQUIRE(stmt.ok());
      REQUIRE(stmt->BindBlob(1, blob).Exec().ok());
    }
  };
  insert(300);
  // The commit that crossed the threshold only signalled the thread.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (checkpointer.completed() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(checkpointer.completed() >= 1);

  // A burst of writes (here without the pauses between a server's batches,
  // so the passes may not catch up) ...
  insert(2000);
  // ... is in the database soon after it ends: a commit then reuses the WAL
  // from its start and truncates it to journal_size_limit (64 MiB). (Polled:
  // under disk pressure the last pass may take a while.)
  const auto wal = [&] { return std::filesystem::file_size(db.string() + "-wal"); };
  const auto burst_end = std::chrono::steady_clock::now();
  int commits = 0;
  while (wal() > (std::uintmax_t{64} << 20) && std::chrono::steady_clock::now() < burst_end + 30s) {
    std::this_thread::sleep_for(100ms);
    insert(1);
    ++commits;
  }
  CHECK(wal() <= std::uintmax_t{64} << 20);
  CHECK(checkpointer.completed() >= 2);

  // Every row is there, read through a fresh connection.
  auto reader = Connection::Open(db, Connection::Mode::kReadOnly, false, 5000);
  REQUIRE(reader.ok());
  auto count = (*reader)->Prepare("SELECT count(*) FROM t");
  REQUIRE(count.ok());
  auto row = count->Step();
  REQUIRE((row.ok() && *row));
  CHECK(count->Int(0) == 2300 + commits);
}

}  // namespace
}  // namespace quik::store
