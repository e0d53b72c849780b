// SPDX-License-Identifier: MIT
// store::Store: group commit, failure isolation, exception safety, and the
// query plans the hot path depends on.
#include "store/store.hpp"

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "quik/datadir.hpp"
#include "store/sqlite.hpp"
#include "store/sqlite_tx.hpp"
#include "unit/testing/service_fixture.hpp"

namespace {

using quik_test::TempDir;
using quik_test::TestOptions;

struct StoreFixture {
  StoreFixture() {
    options = TestOptions(tmp.path() / "data");
    REQUIRE(quik::InitDataDir(options).ok());
    auto opened = quik::store::Store::Open(options);
    REQUIRE(opened.ok());
    store = std::move(*opened);
  }
  quik::Status InsertWorkspace(const std::string& slug) {
    return store->Write([&](quik::store::Tx& tx) {
      return tx.InsertWorkspace({"W" + slug, "name", slug, 1});
    });
  }
  bool HasWorkspace(const std::string& slug) {
    bool found = false;
    quik::Status st = store->Read([&](quik::store::Tx& tx) -> quik::Status {
      QUIK_ASSIGN_OR_RETURN(auto ws, tx.GetWorkspaceBySlug(slug));
      found = ws.has_value();
      return quik::Status::Ok();
    });
    REQUIRE(st.ok());
    return found;
  }

  TempDir tmp;
  quik::Options options;
  std::unique_ptr<quik::store::Store> store;
};

TEST_CASE("store: a failed write rolls back only itself, also inside a batch", "[store]") {
  StoreFixture f;
  REQUIRE(f.InsertWorkspace("first").ok());
  // The same slug again violates the unique index: kAlreadyExists, nothing kept.
  quik::Status dup = f.store->Write([&](quik::store::Tx& tx) -> quik::Status {
    QUIK_RETURN_IF_ERROR(tx.InsertWorkspace({"Wother", "n", "other", 1}));
    return tx.InsertWorkspace({"Wfirst2", "n", "first", 1});
  });
  CHECK(dup.code() == quik::StatusCode::kAlreadyExists);
  CHECK_FALSE(f.HasWorkspace("other"));

  // Many concurrent writers, every third of which fails after writing: the
  // others all commit, the failed ones leave nothing, whatever the batching.
  constexpr int kThreads = 8, kPerThread = 60;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0}, failed{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string slug = "s" + std::to_string(t) + "-" + std::to_string(i);
        bool fail = i % 3 == 0;
        quik::Status st = f.store->Write([&](quik::store::Tx& tx) -> quik::Status {
          QUIK_RETURN_IF_ERROR(tx.InsertWorkspace({"W" + slug, "n", slug, 1}));
          return fail ? quik::InvalidArgument("told to fail") : quik::Status::Ok();
        });
        (st.ok() ? ok : failed)++;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(ok == kThreads * kPerThread * 2 / 3);
  CHECK(failed == kThreads * kPerThread / 3);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      std::string slug = "s" + std::to_string(t) + "-" + std::to_string(i);
      CHECK(f.HasWorkspace(slug) == (i % 3 != 0));
    }
  }
  auto stats = f.store->write_stats();
  CHECK(stats.writes == static_cast<std::uint64_t>(ok.load()) + 1);
  CHECK(stats.commits <= stats.writes + static_cast<std::uint64_t>(failed.load()) + 1);
}

TEST_CASE("store: an exception in a write becomes kInternal and wedges nothing", "[store]") {
  StoreFixture f;
  quik::Status st = f.store->Write([](quik::store::Tx& tx) -> quik::Status {
    tx.InsertWorkspace({"Wx", "n", "thrower", 1}).IgnoreError();
    throw std::runtime_error("boom");
  });
  CHECK(st.code() == quik::StatusCode::kInternal);
  CHECK_THAT(st.message(), Catch::Contains("boom"));
  CHECK_FALSE(f.HasWorkspace("thrower"));
  // The next write goes through, and the write lock is free for other processes.
  CHECK(f.InsertWorkspace("after").ok());
  auto other = quik::store::Connection::Open(f.options.data_dir / "quik.db",
                                             quik::store::Connection::Mode::kReadWrite, false, 100);
  REQUIRE(other.ok());
  CHECK((*other)->Exec("BEGIN IMMEDIATE; ROLLBACK").ok());
}

TEST_CASE("store: a writer blocked by another process's lock gets kUnavailable", "[store]") {
  quik_test::TempDir tmp;
  auto options = TestOptions(tmp.path() / "data");
  options.storage.busy_timeout_ms = 50;
  REQUIRE(quik::InitDataDir(options).ok());
  auto store = quik::store::Store::Open(options);
  REQUIRE(store.ok());
  auto other = quik::store::Connection::Open(options.data_dir / "quik.db",
                                             quik::store::Connection::Mode::kReadWrite, false, 100);
  REQUIRE(other.ok());
  REQUIRE((*other)->Exec("BEGIN IMMEDIATE").ok());
  quik::Status st = (*store)->Write([](quik::store::Tx& tx) {
    return tx.InsertWorkspace({"Wl", "n", "locked", 1});
  });
  CHECK(st.code() == quik::StatusCode::kUnavailable);
  REQUIRE((*other)->Exec("ROLLBACK").ok());
  CHECK((*store)
            ->Write([](quik::store::Tx& tx) {
              return tx.InsertWorkspace({"Wl", "n", "locked", 1});
            })
            .ok());
}

// The idempotency lookup of every post must use its index, never scan the
// channel (a partial index needs its WHERE clause repeated in the query).
TEST_CASE("store: the client_msg_id lookup uses its index", "[store]") {
  StoreFixture f;
  auto conn = quik::store::Connection::Open(f.options.data_dir / "quik.db",
                                            quik::store::Connection::Mode::kReadOnly, false, 100);
  REQUIRE(conn.ok());
  static const std::string sql =
      std::string("EXPLAIN QUERY PLAN ") + quik::store::kMessageByClientIdSql;
  auto plan = (*conn)->Prepare(sql.c_str());
  REQUIRE(plan.ok());
  plan->Bind(1, "c").Bind(2, "u").Bind(3, "k");
  std::string detail;
  for (;;) {
    auto row = plan->Step();
    REQUIRE(row.ok());
    if (!*row) break;
    detail += plan->Text(3) + "\n";
  }
  CHECK_THAT(detail, Catch::Contains("messages_by_client_id"));
}

TEST_CASE("store: a page of messages is an index range, however deep", "[store]") {
  StoreFixture f;
  auto conn = quik::store::Connection::Open(f.options.data_dir / "quik.db",
                                            quik::store::Connection::Mode::kReadOnly, false, 100);
  REQUIRE(conn.ok());
  static const std::string sql = std::string("EXPLAIN QUERY PLAN ") + quik::store::kListMessagesSql;
  auto plan = (*conn)->Prepare(sql.c_str());
  REQUIRE(plan.ok());
  plan->Bind(1, "c").Bind(2, "01M").Bind(3, "").Bind(4, 50);
  std::string detail;
  for (;;) {
    auto row = plan->Step();
    REQUIRE(row.ok());
    if (!*row) break;
    detail += plan->Text(3) + "\n";
  }
  INFO(detail);
  CHECK_THAT(detail, Catch::Contains("messages_in_channel"));
  CHECK_THAT(detail, Catch::Contains("id>? AND id<?"));
  CHECK_THAT(detail, !Catch::Contains("TEMP B-TREE"));
}

}  // namespace

namespace {

TEST_CASE("store: WriteAsync commits in groups, reports each result once, mixes with Write",
          "[store]") {
  StoreFixture f;
  constexpr int kAsync = 500;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0, ok = 0, failed = 0;
  std::vector<int> calls(kAsync, 0);
  // A synchronous writer runs alongside.
  std::atomic<int> sync_ok{0};  // Catch assertions stay on this thread
  std::thread sync_writer([&] {
    for (int i = 0; i < 100; ++i) {
      if (f.InsertWorkspace("sync-" + std::to_string(i)).ok()) sync_ok++;
    }
  });
  for (int i = 0; i < kAsync; ++i) {
    std::string slug = "async-" + std::to_string(i);
    bool fail = i % 5 == 0;
    f.store->WriteAsync(
        [slug, fail](quik::store::Tx& tx) -> quik::Status {
          QUIK_RETURN_IF_ERROR(tx.InsertWorkspace({"W" + slug, "n", slug, 1}));
          return fail ? quik::InvalidArgument("told to fail") : quik::Status::Ok();
        },
        [&, i, fail](quik::Status st) {
          std::lock_guard lock(mu);
          calls[static_cast<size_t>(i)]++;
          ((st.ok() && !fail) ? ok : failed)++;
          if (fail && st.code() != quik::StatusCode::kInvalidArgument) failed += 1000;
          ++done;
          cv.notify_all();
        });
  }
  {
    std::unique_lock lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return done == kAsync; }));
  }
  sync_writer.join();
  CHECK(sync_ok == 100);
  CHECK(ok == kAsync * 4 / 5);
  CHECK(failed == kAsync / 5);
  for (int c : calls) CHECK(c == 1);
  for (int i = 0; i < kAsync; ++i) {
    CHECK(f.HasWorkspace("async-" + std::to_string(i)) == (i % 5 != 0));
  }
  for (int i = 0; i < 100; ++i) CHECK(f.HasWorkspace("sync-" + std::to_string(i)));
  // Queued faster than one commit each: the commit thread grouped them.
  auto stats = f.store->write_stats();
  CHECK(stats.commits < stats.writes);
}

TEST_CASE("store: writes queued asynchronously are committed before the store closes", "[store]") {
  StoreFixture f;
  std::atomic<int> done{0};
  for (int i = 0; i < 50; ++i) {
    std::string slug = "late-" + std::to_string(i);
    f.store->WriteAsync(
        [slug](quik::store::Tx& tx) {
          return tx.InsertWorkspace({"W" + slug, "n", slug, 1});
        },
        [&](quik::Status st) {
          if (st.ok()) done++;
        });
  }
  f.store.reset();
  CHECK(done == 50);
  auto reopened = quik::store::Store::Open(f.options);
  REQUIRE(reopened.ok());
  f.store = std::move(*reopened);
  for (int i = 0; i < 50; ++i) CHECK(f.HasWorkspace("late-" + std::to_string(i)));
}

}  // namespace
