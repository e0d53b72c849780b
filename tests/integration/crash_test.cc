// SPDX-License-Identifier: MIT
// Durability under kill -9 (CONTRACT.md section 5): a child process
// (tests/tools/crash_writer.cc) posts messages from several threads and prints
// each one once Post() has returned; the test SIGKILLs it at a random moment,
// many times over, and then checks that every acknowledged post is in the
// database exactly once and that the database is intact.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "quik/actor.hpp"
#include "quik/datadir.hpp"
#include "quik/messages.hpp"
#include "quik/options.hpp"
#include "quik/service.hpp"
#include "testing/temp_dir.hpp"

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kRounds = 25;
constexpr int kMinRunMs = 20;
constexpr int kMaxRunMs = 300;
// Below this the test would prove little; a healthy build acknowledges
// thousands (each round runs ~160 ms on average).
constexpr std::size_t kMinAcknowledged = 100;

using quik_test::TempDir;

template <typename T>
T ValueOrThrow(quik::Result<T> result, const char* what) {
  if (!result.ok()) throw std::runtime_error(std::string(what) + ": " + result.status().ToString());
  return std::move(result).value();
}

struct Setup {
  std::string user_id;
  std::string channel_id;
};

// A user who owns a workspace with one public channel, made in-process; the
// Service is closed again before returning so that the child has the dir alone.
Setup MakeDataDir(const quik::Options& options) {
  ValueOrThrow(quik::InitDataDir(options), "InitDataDir");
  auto service = ValueOrThrow(quik::Service::Open(options), "Service::Open");
  quik::NewUser new_user;
  new_user.email = "writer@crash.test";
  new_user.name = "Crash Writer";
  quik::User user =
      ValueOrThrow(service->users().Create(quik::Actor::System(), new_user), "create user");
  const quik::Actor actor = quik::Actor::ForUser(user.id);
  quik::NewWorkspace new_ws;
  new_ws.name = "Crash";
  new_ws.slug = "crash";
  quik::Workspace ws = ValueOrThrow(service->workspaces().Create(actor, new_ws), "create ws");
  quik::NewChannel new_ch;
  new_ch.name = "general";
  quik::Channel ch = ValueOrThrow(service->channels().Create(actor, ws.id, new_ch), "create ch");
  return Setup{user.id, ch.id};
}

struct RoundResult {
  std::vector<std::int64_t> acknowledged;
  std::string err;      // the child's stderr
  bool killed = false;  // died of our SIGKILL (and not on its own before it)
  std::string exit_description;
  bool partial_line = false;
};

// How a round's run time is counted.
enum class KillClock {
  kFromStart,     // from the spawn: the kill may land while the data dir opens
  kFromFirstAck,  // from the first acknowledged post (at most 10 s after the
                  // spawn): a slow start (a sanitizer build under load) still
                  // posts for the whole run
};

// Runs the writer for `run_for`, SIGKILLs it, and returns what it printed.
RoundResult RunWriterRound(const std::vector<std::string>& args, std::chrono::milliseconds run_for,
                           KillClock clock) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);

  std::string out, err;
  int out_fd = out_pipe[0], err_fd = err_pipe[0];
  Clock::time_point deadline =
      Clock::now() + (clock == KillClock::kFromStart ? run_for : std::chrono::seconds(10));
  bool rebased = clock == KillClock::kFromStart;
  bool kill_sent = false;
  while (out_fd >= 0 || err_fd >= 0) {
    int timeout_ms = -1;
    if (!kill_sent) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        kill(pid, SIGKILL);
        kill_sent = true;
      } else {
        timeout_ms = static_cast<int>(left.count()) + 1;
      }
    }
    std::vector<pollfd> fds;
    if (out_fd >= 0) fds.push_back({out_fd, POLLIN, 0});
    if (err_fd >= 0) fds.push_back({err_fd, POLLIN, 0});
    int ready = poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      char buf[65536];
      ssize_t n = read(p.fd, buf, sizeof buf);
      if (n > 0) {
        (p.fd == out_fd ? out : err).append(buf, static_cast<std::size_t>(n));
        if (!rebased && p.fd == out_fd) {
          rebased = true;
          deadline = std::min(deadline, Clock::now() + run_for);
        }
      } else if (n == 0 || errno != EINTR) {
        close(p.fd);
        (p.fd == out_fd ? out_fd : err_fd) = -1;
      }
    }
  }
  // Both pipes are at EOF: the child is gone (or closed them, which it never
  // does). Make sure of it before reaping.
  if (!kill_sent) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  RoundResult r;
  r.err = std::move(err);
  r.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  r.exit_description = WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                         : "signal " + std::to_string(WTERMSIG(status));
  // Each line went out in one write(2) of under PIPE_BUF bytes, so it arrives
  // whole or not at all.
  std::size_t start = 0;
  for (std::size_t nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1) {
    r.acknowledged.push_back(std::stoll(out.substr(start, nl - start)));
  }
  r.partial_line = start != out.size();
  return r;
}

// Every top-level message of the channel, newest first, through List paging.
std::vector<quik::Message> ListAll(quik::Service& service, const quik::Actor& actor,
                                   const std::string& channel_id) {
  std::vector<quik::Message> all;
  quik::ListMessagesRequest req;
  req.limit = service.options().limits.page_max;
  for (;;) {
    auto page = ValueOrThrow(service.messages().List(actor, channel_id, req), "list messages");
    for (auto& m : page.items) all.push_back(std::move(m));
    if (page.next_cursor.empty()) return all;
    req.cursor = page.next_cursor;
  }
}

// Runs `sql` (one row, one column) on quik.db and returns the column as text.
std::string QueryOne(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    throw std::runtime_error(std::string("prepare: ") + sqlite3_errmsg(db));
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(stmt, sqlite3_finalize);
  if (sqlite3_step(stmt) != SQLITE_ROW) {
    throw std::runtime_error(std::string(sql) + ": " + sqlite3_errmsg(db));
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  return text ? text : "";
}

}  // namespace

TEST_CASE("crash: acknowledged posts survive kill -9 of the writer", "[crash]") {
  const Clock::time_point started = Clock::now();
  TempDir tmp("quik-crash");
  quik::Options options;
  options.data_dir = tmp.path() / "data";
  options.auth.scrypt_log2_n = 10;
  const Setup setup = MakeDataDir(options);

  const unsigned seed = std::random_device{}();
  INFO("seed " << seed << ", data dir " << options.data_dir);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> run_ms(kMinRunMs, kMaxRunMs);

  std::set<std::int64_t> acknowledged;
  std::int64_t next_n = 1;
  int rounds_without_ack = 0;
  for (int round = 0; round < kRounds; ++round) {
    const char* sync = round % 2 == 0 ? "full" : "normal";
    const std::chrono::milliseconds run_for(run_ms(rng));
    // Starting right after the highest acknowledged N means the posts that
    // committed in the last round but were never acknowledged are posted
    // again: client_msg_id must make that idempotent.
    RoundResult r =
        RunWriterRound({QUIK_CRASH_HELPER_PATH, options.data_dir.string(), setup.channel_id,
                        setup.user_id, std::to_string(next_n), sync},
                       run_for, round % 3 == 0 ? KillClock::kFromStart : KillClock::kFromFirstAck);
    INFO("round " << round << " (sync " << sync << ", " << run_for.count() << " ms, first N "
                  << next_n << "): " << r.acknowledged.size() << " acknowledged, child "
                  << r.exit_description << ", stderr:\n"
                  << r.err);
    REQUIRE(r.killed);
    REQUIRE(r.err.empty());
    REQUIRE_FALSE(r.partial_line);
    std::size_t out_of_range = 0;  // an N this round was never asked to post
    for (std::int64_t n : r.acknowledged) {
      if (n < next_n) ++out_of_range;
      acknowledged.insert(n);
    }
    REQUIRE(out_of_range == 0);
    if (r.acknowledged.empty()) ++rounds_without_ack;
    if (!acknowledged.empty()) next_n = std::max(next_n, *acknowledged.rbegin() + 1);
  }
  INFO("acknowledged " << acknowledged.size() << " posts in " << kRounds << " rounds ("
                       << rounds_without_ack << " rounds acknowledged none)");
  REQUIRE(acknowledged.size() > kMinAcknowledged);

  // Recovery: open the data dir as the next server start would.
  {
    auto service = ValueOrThrow(quik::Service::Open(options), "Service::Open after crashes");
    const quik::Actor actor = quik::Actor::ForUser(setup.user_id);
    std::vector<quik::Message> all = ListAll(*service, actor, setup.channel_id);
    std::map<std::string, const quik::Message*> by_client_id;
    std::vector<std::string> duplicates;
    for (const quik::Message& m : all) {
      if (!by_client_id.emplace(m.client_msg_id, &m).second) duplicates.push_back(m.client_msg_id);
    }
    INFO(all.size() << " messages in the channel");
    CHECK(duplicates.empty());
    CHECK(all.size() >= acknowledged.size());

    std::vector<std::int64_t> missing, wrong_text;
    for (std::int64_t n : acknowledged) {
      auto it = by_client_id.find("cid-" + std::to_string(n));
      if (it == by_client_id.end()) {
        missing.push_back(n);
      } else if (it->second->text != "msg-" + std::to_string(n) ||
                 it->second->user_id != setup.user_id) {
        wrong_text.push_back(n);
      }
    }
    // Whatever else is there must be a post the writer made, intact.
    std::vector<std::string> strangers;
    for (const auto& [cid, m] : by_client_id) {
      if (cid.rfind("cid-", 0) != 0 || m->text != "msg-" + cid.substr(4)) strangers.push_back(cid);
    }
    if (!missing.empty()) {
      std::string list;
      for (std::size_t i = 0; i < missing.size() && i < 20; ++i) {
        list += " " + std::to_string(missing[i]);
      }
      INFO(missing.size() << " acknowledged posts are missing, first:" << list);
      CHECK(missing.empty());
    }
    CHECK(wrong_text.empty());
    CHECK(strangers.empty());
  }

  sqlite3* db = nullptr;
  const std::string db_path = (options.data_dir / "quik.db").string();
  REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db_guard(db, sqlite3_close);
  CHECK(QueryOne(db, "PRAGMA integrity_check") == "ok");
  // The transactional outbox: one message.posted event per message, no more.
  CHECK(QueryOne(db, "SELECT count(*) FROM messages") ==
        QueryOne(db, "SELECT count(*) FROM events WHERE type = 'message.posted'"));

  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  WARN("crash test: " << kRounds << " rounds, " << acknowledged.size() << " acknowledged posts, "
                      << rounds_without_ack << " rounds with none, " << elapsed.count()
                      << " ms, seed " << seed);
}
