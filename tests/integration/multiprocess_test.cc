// SPDX-License-Identifier: MIT
// Several quikctl processes and an in-process Service on one data dir at
// once: nothing is lost, duplicated or corrupted, and nobody fails with busy.
#include <catch2/catch.hpp>

#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/cli_harness.hpp"
#include "quik/quik.hpp"

namespace {

using quik::testing::CliRun;
using quik::testing::QuikctlEnv;

TEST_CASE("quikctl processes and an embedded service share a data dir", "[cli][multiprocess]") {
  QuikctlEnv env;
  REQUIRE(env.Run({"workspace", "create", "Shared", "--slug", "shared"}).exit_code == 0);
  REQUIRE(env.Run({"user", "create", "--email", "a@shared.test", "--name", "A", "--workspace",
                   "shared"})
              .exit_code == 0);
  REQUIRE(env.Run({"channel", "create", "--workspace", "shared", "general"}).exit_code == 0);

  constexpr int kProcesses = 4;
  constexpr int kPostsPerProcess = 15;
  constexpr int kInProcessPosts = 200;

  quik::Options options;
  options.data_dir = env.data_dir();
  REQUIRE(quik::LoadOptionsFile(env.config_path(), &options).ok());
  auto service = quik::Service::Open(options);
  REQUIRE(service.ok());
  auto user = (*service)->users().Get(quik::Actor::System(), "a@shared.test");
  REQUIRE(user.ok());

  // Each process posts its messages one quikctl invocation at a time while
  // this process posts through the library.
  std::vector<std::future<std::vector<CliRun>>> procs;
  for (int p = 0; p < kProcesses; ++p) {
    procs.push_back(std::async(std::launch::async, [&env, p] {
      std::vector<CliRun> runs;
      for (int i = 0; i < kPostsPerProcess; ++i) {
        runs.push_back(env.Run({"post", "--channel", "shared/#general", "--as", "a@shared.test",
                                "proc-" + std::to_string(p) + "-" + std::to_string(i)}));
      }
      return runs;
    }));
  }
  int in_process_ok = 0;
  for (int i = 0; i < kInProcessPosts; ++i) {
    auto r = (*service)->messages().Post(quik::Actor::ForUser(user->id), "shared/#general",
                                         {"lib-" + std::to_string(i), "", ""});
    if (r.ok())
      ++in_process_ok;
    else
      FAIL_CHECK(r.status().ToString());
  }
  for (auto& f : procs) {
    for (const CliRun& run : f.get()) CHECK(run.exit_code == 0);
  }
  CHECK(in_process_ok == kInProcessPosts);

  // Every message is there exactly once.
  std::multiset<std::string> texts;
  quik::ListMessagesRequest req;
  req.limit = 200;
  for (;;) {
    auto page = (*service)->messages().List(quik::Actor::System(), "shared/#general", req);
    REQUIRE(page.ok());
    for (const auto& m : page->items) texts.insert(m.text);
    if (page->next_cursor.empty()) break;
    req.cursor = page->next_cursor;
  }
  CHECK(texts.size() == static_cast<size_t>(kProcesses * kPostsPerProcess + kInProcessPosts));
  for (int p = 0; p < kProcesses; ++p) {
    for (int i = 0; i < kPostsPerProcess; ++i) {
      CHECK(texts.count("proc-" + std::to_string(p) + "-" + std::to_string(i)) == 1);
    }
  }
  for (int i = 0; i < kInProcessPosts; ++i) CHECK(texts.count("lib-" + std::to_string(i)) == 1);

  // The event log saw every post, in strictly rising seq order.
  auto events = (*service)->events().Read(quik::Actor::System(), 0, 10000);
  REQUIRE(events.ok());
  int posted = 0;
  std::int64_t last = 0;
  for (const auto& e : *events) {
    CHECK(e.seq > last);
    last = e.seq;
    if (e.type == "message.posted") ++posted;
  }
  CHECK(posted == kProcesses * kPostsPerProcess + kInProcessPosts);
}

}  // namespace
