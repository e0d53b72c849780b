// SPDX-License-Identifier: MIT
#include "store/lmdb_env.hpp"

#include <lmdb.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/space.hpp"
#include "testing/temp_dir.hpp"

namespace quik::store {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMapSize = uint64_t{64} << 20;

using quik_test::TempDir;

std::unique_ptr<LmdbEnv> OpenOrFail(const fs::path& dir, uint64_t map_size = kMapSize) {
  Result<std::unique_ptr<LmdbEnv>> env = LmdbEnv::Open(dir, map_size);
  INFO(env.status().message());
  REQUIRE(env.ok());
  return std::move(env).value();
}

std::optional<std::string> GetOrFail(LmdbEnv& env, Db db, std::string_view key) {
  Result<std::optional<std::string>> value = env.Get(db, key);
  INFO(value.status().message());
  REQUIRE(value.ok());
  return *value;
}

// Waits for `pid` and returns its exit code, or -1 if it did not exit normally.
int WaitExitCode(pid_t pid) {
  int wstatus = 0;
  if (::waitpid(pid, &wstatus, 0) != pid) return -1;
  return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
}

TEST_CASE("LmdbEnv creates its directory and puts, gets and deletes", "[lmdb]") {
  TempDir tmp("quik-lmdb-test");
  const fs::path dir = tmp.path() / "nested" / "lmdb";
  auto env = OpenOrFail(dir);
  CHECK(fs::is_directory(dir));
  CHECK(fs::exists(dir / "data.mdb"));
  CHECK(env->dir() == dir);

  const std::string token_key = std::string("\x00\x01\xff", 3) + std::string(29, 'k');
  CHECK(GetOrFail(*env, Db::kTokens, token_key) == std::nullopt);
  REQUIRE(env->Put(Db::kTokens, token_key, "record-1").ok());
  CHECK(GetOrFail(*env, Db::kTokens, token_key) == "record-1");
  REQUIRE(env->Put(Db::kTokens, token_key, std::string("rec\0ord-2", 9)).ok());
  CHECK(GetOrFail(*env, Db::kTokens, token_key) == std::string("rec\0ord-2", 9));

  // Databases are separate key spaces.
  CHECK(GetOrFail(*env, Db::kMeta, token_key) == std::nullopt);
  REQUIRE(env->Put(Db::kMeta, token_key, "meta").ok());
  CHECK(GetOrFail(*env, Db::kMeta, token_key) == "meta");
  CHECK(GetOrFail(*env, Db::kTokens, token_key) == std::string("rec\0ord-2", 9));

  // An empty value is a value, not an absence.
  REQUIRE(env->Put(Db::kMeta, "empty", "").ok());
  CHECK(GetOrFail(*env, Db::kMeta, "empty") == "");

  REQUIRE(env->Delete(Db::kTokens, token_key).ok());
  CHECK(GetOrFail(*env, Db::kTokens, token_key) == std::nullopt);
  CHECK(GetOrFail(*env, Db::kMeta, token_key) == "meta");
  CHECK(env->Delete(Db::kTokens, token_key).ok());  // already gone
  CHECK(env->Delete(Db::kCounters, "never-existed").ok());
}

TEST_CASE("LmdbEnv rejects empty and oversized keys", "[lmdb]") {
  TempDir tmp("quik-lmdb-test");
  auto env = OpenOrFail(tmp.path());
  REQUIRE(env->max_key_size() >= 32);
  const std::string longest(env->max_key_size(), 'k');
  const std::string too_long(env->max_key_size() + 1, 'k');

  CHECK(env->Put(Db::kMeta, longest, "v").ok());
  CHECK(GetOrFail(*env, Db::kMeta, longest) == "v");

  CHECK(env->Put(Db::kMeta, "", "v").code() == StatusCode::kInvalidArgument);
  CHECK(env->Put(Db::kMeta, too_long, "v").code() == StatusCode::kInvalidArgument);
  CHECK(env->Get(Db::kMeta, "").status().code() == StatusCode::kInvalidArgument);
  CHECK(env->Get(Db::kMeta, too_long).status().code() == StatusCode::kInvalidArgument);
  CHECK(env->Delete(Db::kMeta, "").code() == StatusCode::kInvalidArgument);
  CHECK(env->AddCounter("", 1).status().code() == StatusCode::kInvalidArgument);
  CHECK(env->GetCounter(too_long).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("WriteBatch applies in order and all at once", "[lmdb]") {
  TempDir tmp("quik-lmdb-test");
  auto env = OpenOrFail(tmp.path());
  REQUIRE(env->Put(Db::kTokens, "old", "x").ok());

  WriteBatch empty;
  CHECK(empty.empty());
  CHECK(env->Apply(empty).ok());

  WriteBatch batch;
  batch.Put(Db::kTokens, "a", "1");
  batch.Put(Db::kMeta, "b", "2");
  batch.Delete(Db::kTokens, "old");
  batch.Delete(Db::kTokens, "missing");  // not an error
  batch.Put(Db::kTokens, "c", "3");
  batch.Delete(Db::kTokens, "c");  // later ops see earlier ones
  batch.Delete(Db::kMeta, "d");
  batch.Put(Db::kMeta, "d", "4");
  CHECK_FALSE(batch.empty());
  CHECK(batch.size() == 8);
  REQUIRE(env->Apply(batch).ok());

  CHECK(GetOrFail(*env, Db::kTokens, "a") == "1");
  CHECK(GetOrFail(*env, Db::kMeta, "b") == "2");
  CHECK(GetOrFail(*env, Db::kTokens, "old") == std::nullopt);
  CHECK(GetOrFail(*env, Db::kTokens, "c") == std::nullopt);
  CHECK(GetOrFail(*env, Db::kMeta, "d") == "4");

  // One bad op fails the whole batch before anything is written.
  WriteBatch bad;
  bad.Put(Db::kTokens, "e", "5");
  bad.Delete(Db::kTokens, "a");
  bad.Put(Db::kTokens, "", "bad key");
  CHECK(env->Apply(bad).code() == StatusCode::kInvalidArgument);
  CHECK(GetOrFail(*env, Db::kTokens, "e") == std::nullopt);
  CHECK(GetOrFail(*env, Db::kTokens, "a") == "1");
}

TEST_CASE("Counters add, read and store int64 little-endian", "[lmdb]") {
  TempDir tmp("quik-lmdb-test");
  auto env = OpenOrFail(tmp.path());
  Result<int64_t> absent = env->GetCounter("c");
  REQUIRE(absent.ok());
  CHECK(*absent == 0);

  Result<int64_t> v = env->AddCounter("c", 5);
  REQUIRE(v.ok());
  CHECK(*v == 5);
  v = env->AddCounter("c", -7);
  REQUIRE(v.ok());
  CHECK(*v == -2);
  v = env->GetCounter("c");
  REQUIRE(v.ok());
  CHECK(*v == -2);
  CHECK(GetOrFail(*env, Db::kCounters, "c") == std::string(1, '\xfe') + std::string(7, '\xff'));

  v = env->AddCounter("le", 0x0102030405060708);
  REQUIRE(v.ok());
  CHECK(GetOrFail(*env, Db::kCounters, "le") == "\x08\x07\x06\x05\x04\x03\x02\x01");

  // Overflow is refused and leaves the counter alone.
  Result<int64_t> overflow = env->AddCounter("le", std::numeric_limits<int64_t>::max());
  REQUIRE_FALSE(overflow.ok());
  CHECK(overflow.status().code() == StatusCode::kInvalidArgument);
  v = env->GetCounter("le");
  REQUIRE(v.ok());
  CHECK(*v == 0x0102030405060708);

  // A value of the wrong size is reported, not misread.
  REQUIRE(env->Put(Db::kCounters, "bad", "abc").ok());
  CHECK(env->AddCounter("bad", 1).status().code() == StatusCode::kInternal);
  CHECK(env->GetCounter("bad").status().code() == StatusCode::kInternal);
}

TEST_CASE("Counters lose no update across 4 threads", "[lmdb]") {
  TempDir tmp("quik-lmdb-test");
  auto env = OpenOrFail(tmp.path());
  constexpr int kThreads = 4;
  constexpr int kAdds = 1000;
  std::vector<std::vector<int64_t>> seen(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAdds; ++i) {
        Result<int64_t> v = env->AddCounter("hits", 1);
        if (!v.ok()) {
          failures.fetch_add(1);
          continue;
        }
        seen[t].push_back(*v);
        // Readers run alongside the writers.
        if (!env->GetCounter("hits").ok()) failures.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(failures.load() == 0);
  Result<int64_t> total = env->GetCounter("hits");
  REQUIRE(total.ok());
  CHECK(*total == kThreads * kAdds);
  // Each add saw a distinct value: together exactly 1..4000.
  std::set<int64_t> all;
  for (const auto& values : seen) all.insert(values.begin(), values.end());
  CHECK(all.size() == static_cast<size_t>(kThreads * kAdds));
  CHECK(*all.begin() == 1);
  CHECK(*all.rbegin() == kThreads * kAdds);
}

TEST_CASE("Data survives closing and reopening", "[lmdb]") {
  TempDir tmp("quik-lmdb-test");
  {
    auto env = OpenOrFail(tmp.path());
    REQUIRE(env->Put(Db::kTokens, "t", "record").ok());
    REQUIRE(env->Put(Db::kMeta, "m", "meta").ok());
    REQUIRE(env->AddCounter("c", 42).ok());
  }
  auto env = OpenOrFail(tmp.path());
  CHECK(env->stale_readers_cleared() == 0);
  CHECK(GetOrFail(*env, Db::kTokens, "t") == "record");
  CHECK(GetOrFail(*env, Db::kMeta, "m") == "meta");
  CHECK(GetOrFail(*env, Db::kMeta, "lmdb_format_version") == std::string(kLmdbFormatVersion));
  Result<int64_t> c = env->GetCounter("c");
  REQUIRE(c.ok());
  CHECK(*c == 42);
}

TEST_CASE("A newer format version is refused", "[lmdb]") {
  TempDir tmp("quik-lmdb-test");
  {
    auto env = OpenOrFail(tmp.path());
    REQUIRE(env->Put(Db::kMeta, "lmdb_format_version", "999").ok());
  }
  Result<std::unique_ptr<LmdbEnv>> env = LmdbEnv::Open(tmp.path(), kMapSize);
  REQUIRE_FALSE(env.ok());
  CHECK(env.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(env.status().message(), Catch::Contains("999"));
}

TEST_CASE("The same directory cannot be opened twice in one process", "[lmdb]") {
  TempDir tmp("quik-lmdb-test");
  auto env = OpenOrFail(tmp.path());
  REQUIRE(env->Put(Db::kMeta, "k", "v").ok());
  // Refused before LMDB sees it, also under another spelling of the path.
  for (const fs::path& spelling : {tmp.path(), tmp.path() / "." / ""}) {
    Result<std::unique_ptr<LmdbEnv>> second = LmdbEnv::Open(spelling, kMapSize);
    REQUIRE_FALSE(second.ok());
    CHECK(second.status().code() == StatusCode::kInternal);
    CHECK_THAT(second.status().message(), Catch::Contains("already open"));
  }
  // The first is unharmed, and once closed the directory opens again.
  CHECK(GetOrFail(*env, Db::kMeta, "k") == "v");
  env.reset();
  env = OpenOrFail(tmp.path());
  CHECK(GetOrFail(*env, Db::kMeta, "k") == "v");
}

TEST_CASE("Counters lose no update across 2 processes", "[lmdb]") {
  TempDir tmp("quik-lmdb-test");
  OpenOrFail(tmp.path()).reset();  // create it; the child must not inherit an open env
  int go[2];
  REQUIRE(::pipe(go) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // No Catch2 in the child: report through the exit code only.
    ::close(go[1]);
    char byte = 0;
    if (::read(go[0], &byte, 1) != 1) ::_exit(2);
    Result<std::unique_ptr<LmdbEnv>> env = LmdbEnv::Open(tmp.path(), kMapSize);
    if (!env.ok()) ::_exit(3);
    for (int i = 0; i < 1000; ++i) {
      if (!(*env)->AddCounter("shared", 1).ok()) ::_exit(4);
    }
    env->reset();
    ::_exit(0);
  }
  ::close(go[0]);
  auto env = OpenOrFail(tmp.path());
  REQUIRE(::write(go[1], "g", 1) == 1);  // start both loops together
  ::close(go[1]);
  int failures = 0;
  for (int i = 0; i < 1000; ++i) {
    if (!env->AddCounter("shared", 1).ok()) ++failures;
  }
  CHECK(failures == 0);
  CHECK(WaitExitCode(child) == 0);
  Result<int64_t> total = env->GetCounter("shared");
  REQUIRE(total.ok());
  CHECK(*total == 2000);
}

TEST_CASE("Open clears reader slots left by a crashed process", "[lmdb]") {
  TempDir tmp("quik-lmdb-test");
  OpenOrFail(tmp.path()).reset();
  // A live holder keeps the environment open; otherwise the next opener,
  // finding itself alone, resets the whole reader table anyway.
  int ready[2], release[2];
  REQUIRE(::pipe(ready) == 0);
  REQUIRE(::pipe(release) == 0);
  const pid_t holder = ::fork();
  REQUIRE(holder >= 0);
  if (holder == 0) {
    ::close(ready[0]);
    ::close(release[1]);
    Result<std::unique_ptr<LmdbEnv>> env = LmdbEnv::Open(tmp.path(), kMapSize);
    if (!env.ok()) ::_exit(3);
    if (::write(ready[1], "r", 1) != 1) ::_exit(2);
    char byte = 0;
    if (::read(release[0], &byte, 1) < 0) ::_exit(2);
    env->reset();
    ::_exit(0);
  }
  ::close(ready[1]);
  ::close(release[0]);
  char byte = 0;
  REQUIRE(::read(ready[0], &byte, 1) == 1);

  // The "crasher" dies inside a read transaction (raw LMDB: the API has no
  // way to leave one open).
  const pid_t crasher = ::fork();
  REQUIRE(crasher >= 0);
  if (crasher == 0) {
    MDB_env* raw = nullptr;
    MDB_txn* txn = nullptr;
    if (mdb_env_create(&raw) != 0 || mdb_env_set_maxdbs(raw, 16) != 0 ||
        mdb_env_open(raw, tmp.path().c_str(), MDB_NOTLS, 0600) != 0 ||
        mdb_txn_begin(raw, nullptr, MDB_RDONLY, &txn) != 0) {
      ::_exit(3);
    }
    ::_exit(0);  // no abort, no close: the slot stays taken
  }
  REQUIRE(WaitExitCode(crasher) == 0);

  {
    auto env = OpenOrFail(tmp.path());
    CHECK(env->stale_readers_cleared() == 1);
    REQUIRE(env->Put(Db::kMeta, "after", "crash").ok());
  }
  REQUIRE(::write(release[1], "x", 1) == 1);
  ::close(release[1]);
  ::close(ready[0]);
  CHECK(WaitExitCode(holder) == 0);
}

TEST_CASE("A full map is StorageFull and a failed batch writes nothing", "[lmdb]") {
  TempDir tmp("quik-lmdb-test");
  auto env = OpenOrFail(tmp.path(), 256 << 10);  // 256 KiB
  const std::string value(1000, 'v');
  Status status;
  int written = 0;
  for (; written < 1000; ++written) {
    status = env->Put(Db::kTokens, "key" + std::to_string(written), value);
    if (!status.ok()) break;
  }
  REQUIRE_FALSE(status.ok());
  CHECK(written > 10);  // it did hold something first
  CHECK(IsStorageFull(status));
  CHECK(status.code() == StatusCode::kUnavailable);
  CHECK(status.message().find("raise storage.lmdb_map_size_mib") != std::string::npos);
  // What was committed is intact and readable.
  CHECK(GetOrFail(*env, Db::kTokens, "key0") == value);
  CHECK(GetOrFail(*env, Db::kTokens, "key" + std::to_string(written - 1)) == value);
  CHECK(GetOrFail(*env, Db::kTokens, "key" + std::to_string(written)) == std::nullopt);
  // The probe sees it too. A larger map (what the message says to do) is
  // room again; the probe itself writes nothing.
  CHECK(IsStorageFull(env->ProbeSpace(8 * 1024)));
  env.reset();
  env = OpenOrFail(tmp.path(), 1 << 20);
  CHECK(env->ProbeSpace(8 * 1024).ok());
  CHECK(GetOrFail(*env, Db::kMeta, "space_probe") == std::nullopt);
  CHECK(env->Put(Db::kTokens, "key" + std::to_string(written), value).ok());

  // The environment still reads, and a fresh one shows that a failed batch
  // rolls back: its first write fits, its whole does not, and nothing lands.
  env.reset();
  TempDir tmp2("quik-lmdb-test");
  env = OpenOrFail(tmp2.path(), 256 << 10);
  WriteBatch batch;
  batch.Put(Db::kMeta, "marker", "m");
  for (int i = 0; i < 1000; ++i) batch.Put(Db::kTokens, "big" + std::to_string(i), value);
  CHECK(IsStorageFull(env->Apply(batch)));
  CHECK(GetOrFail(*env, Db::kMeta, "marker") == std::nullopt);
  CHECK(GetOrFail(*env, Db::kTokens, "big0") == std::nullopt);
  // The environment still takes writes that fit.
  CHECK(env->Put(Db::kMeta, "marker", "m").ok());
  CHECK(GetOrFail(*env, Db::kMeta, "marker") == "m");
}

TEST_CASE("Open failures name the path", "[lmdb]") {
  TempDir tmp("quik-lmdb-test");
  const fs::path file = tmp.path() / "a-file";
  std::ofstream(file) << "not a directory";

  Result<std::unique_ptr<LmdbEnv>> under_file = LmdbEnv::Open(file / "sub", kMapSize);
  REQUIRE_FALSE(under_file.ok());
  CHECK(under_file.status().code() == StatusCode::kInternal);
  CHECK_THAT(under_file.status().message(), Catch::Contains((file / "sub").string()));

  Result<std::unique_ptr<LmdbEnv>> is_file = LmdbEnv::Open(file, kMapSize);
  REQUIRE_FALSE(is_file.ok());
  CHECK_THAT(is_file.status().message(), Catch::Contains(file.string()));

  Result<std::unique_ptr<LmdbEnv>> zero = LmdbEnv::Open(tmp.path() / "zero", 0);
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Update reads and writes one key in one transaction", "[lmdb]") {
  TempDir tmp("quik-lmdb-test");
  auto env = OpenOrFail(tmp.path());
  using Value = std::optional<std::string>;
  auto append = [](const Value& old) -> Result<Value> { return Value(old.value_or("") + "x"); };
  REQUIRE(env->Update(Db::kPresence, "k", append).ok());
  REQUIRE(env->Update(Db::kPresence, "k", append).ok());
  CHECK(GetOrFail(*env, Db::kPresence, "k") == "xx");

  // nullopt leaves the key alone; so does an error, which Update returns.
  Value seen;
  REQUIRE(env->Update(Db::kPresence, "k",
                      [&](const Value& old) -> Result<Value> {
                        seen = old;
                        return Value();
                      })
              .ok());
  CHECK(seen == "xx");
  Status failed =
      env->Update(Db::kPresence, "k", [](const Value&) -> Result<Value> { return Internal("no"); });
  CHECK(failed.code() == StatusCode::kInternal);
  CHECK(GetOrFail(*env, Db::kPresence, "k") == "xx");
  CHECK(env->Update(Db::kPresence, "", append).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("GetMany reads keys in order, absent ones as nullopt", "[lmdb]") {
  TempDir tmp("quik-lmdb-test");
  auto env = OpenOrFail(tmp.path());
  REQUIRE(env->Put(Db::kPresence, "a", "1").ok());
  REQUIRE(env->Put(Db::kPresence, "c", "3").ok());
  auto values = env->GetMany(Db::kPresence, {"c", "b", "a"});
  REQUIRE(values.ok());
  CHECK(*values == std::vector<std::optional<std::string>>{"3", std::nullopt, "1"});
  auto none = env->GetMany(Db::kPresence, {});
  REQUIRE(none.ok());
  CHECK(none->empty());
  CHECK(env->GetMany(Db::kPresence, {"a", ""}).status().code() == StatusCode::kInvalidArgument);
}

// A data dir made before the presence database existed: its environment has
// only tokens, counters and meta. It opens, keeps its data and gains presence.
TEST_CASE("An environment made before the presence database opens", "[lmdb]") {
  TempDir tmp("quik-lmdb-test");
  {
    MDB_env* raw = nullptr;
    REQUIRE(mdb_env_create(&raw) == 0);
    REQUIRE(mdb_env_set_maxdbs(raw, 16) == 0);
    REQUIRE(mdb_env_open(raw, tmp.path().c_str(), MDB_NOTLS, 0600) == 0);
    MDB_txn* txn = nullptr;
    REQUIRE(mdb_txn_begin(raw, nullptr, 0, &txn) == 0);
    MDB_dbi meta = 0;
    for (const char* name : {"tokens", "counters", "meta"}) {
      MDB_dbi dbi = 0;
      REQUIRE(mdb_dbi_open(txn, name, MDB_CREATE, &dbi) == 0);
      if (std::string_view(name) == "meta") meta = dbi;
    }
    std::string key = "lmdb_format_version", version = "1", k2 = "m", v2 = "old";
    MDB_val k{key.size(), key.data()}, v{version.size(), version.data()};
    REQUIRE(mdb_put(txn, meta, &k, &v, 0) == 0);
    MDB_val mk{k2.size(), k2.data()}, mv{v2.size(), v2.data()};
    REQUIRE(mdb_put(txn, meta, &mk, &mv, 0) == 0);
    REQUIRE(mdb_txn_commit(txn) == 0);
    mdb_env_close(raw);
  }
  auto env = OpenOrFail(tmp.path());
  CHECK(GetOrFail(*env, Db::kMeta, "m") == "old");
  CHECK(GetOrFail(*env, Db::kPresence, "u") == std::nullopt);
  REQUIRE(env->Put(Db::kPresence, "u", "p").ok());
  env.reset();
  env = OpenOrFail(tmp.path());
  CHECK(GetOrFail(*env, Db::kPresence, "u") == "p");
}

}  // namespace
}  // namespace quik::store
