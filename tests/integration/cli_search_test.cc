// SPDX-License-Identifier: MIT
// quikctl search: the admin view, --as USER, output formats, bad queries,
// and --server.
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "integration/cli_harness.hpp"

namespace {

using nlohmann::json;
using quik::testing::CliRun;
using quik::testing::QuikctlEnv;
using quik::testing::RunProcess;

// Workspace demo: alice (owner of #secret, private) and bob, both in #general.
struct Searchable {
  QuikctlEnv env;
  json alice, bob;
  Searchable() {
    env.Json({"workspace", "create", "Demo", "--slug", "demo"});
    alice = env.Json(
        {"user", "create", "--email", "alice@demo.test", "--name", "Alice", "--workspace", "demo"});
    bob = env.Json(
        {"user", "create", "--email", "bob@demo.test", "--name", "Bob", "--workspace", "demo"});
    env.Json({"channel", "create", "--workspace", "demo", "general"});
    env.Json({"channel", "create", "--workspace", "demo", "secret", "--private"});
    env.Json({"channel", "add-member", "demo/#secret", "alice@demo.test"});
    env.Json({"post", "--channel", "demo/#general", "--as", "bob@demo.test", "launch on friday"});
    env.Json(
        {"post", "--channel", "demo/#secret", "--as", "alice@demo.test", "secret launch plan"});
  }
};

std::vector<std::string> Texts(const json& hits) {
  std::vector<std::string> out;
  for (const auto& h : hits) out.push_back(h["message"]["text"]);
  return out;
}

}  // namespace

TEST_CASE("quikctl search: admin view, --as, formats and errors", "[cli][search]") {
  Searchable s;
  using V = std::vector<std::string>;
  // Without --as: the system sees every channel.
  json all = s.env.Json({"search", "demo", "launch"});
  REQUIRE(all.is_array());
  CHECK(Texts(all) == V{"secret launch plan", "launch on friday"});
  CHECK(all[0]["snippet"] == "secret <mark>launch</mark> plan");
  // --as: exactly what that user sees.
  CHECK(Texts(s.env.Json({"search", "demo", "launch", "--as", "bob@demo.test"})) ==
        V{"launch on friday"});
  CHECK(Texts(s.env.Json({"search", "demo", "launch", "--as", "alice@demo.test"})).size() == 2);
  CHECK(Texts(s.env.Json({"search", "demo", "from:@bob", "--limit", "1"})) ==
        V{"launch on friday"});
  CHECK(s.env.Json({"search", "demo", "launch", "--sort", "relevance"}).size() == 2);

  CliRun table = s.env.Run({"search", "demo", "launch in:#general"});
  REQUIRE_EXIT(table, 0);
  CHECK(table.out.rfind("ID", 0) == 0);
  CHECK(table.out.find("launch on friday") != std::string::npos);
  CHECK(table.out.find("1 result") != std::string::npos);
  CliRun paged = s.env.Run({"search", "demo", "launch", "--limit", "1"});
  REQUIRE_EXIT(paged, 0);
  CHECK(paged.out.find("more: --cursor ") != std::string::npos);
  CliRun quiet = s.env.Run({"-q", "search", "demo", "friday"});
  REQUIRE_EXIT(quiet, 0);
  CHECK(quiet.out.size() == 27);  // one id and a newline

  // A malformed query: exit 7 with the parser's message.
  CliRun bad = s.env.Run({"search", "demo", "launch \"friday"});
  REQUIRE_EXIT(bad, 7);
  CHECK(bad.err ==
        "quikctl: invalid_argument: unbalanced quote at column 8: close the phrase with another "
        "\"\n");
  CliRun bad_json = s.env.Run({"-o", "json", "search", "demo", "frm:@bob"});
  REQUIRE_EXIT(bad_json, 7);
  CHECK(bad_json.out.empty());
  CHECK(json::parse(bad_json.err)["error"]["code"] == "invalid_argument");
  REQUIRE_EXIT(s.env.Run({"search", "nowhere", "launch"}), 3);
  REQUIRE_EXIT(s.env.Run({"search", "demo", "launch", "--as", "nobody@demo.test"}), 3);
  REQUIRE_EXIT(s.env.Run({"search", "demo", "launch", "--sort", "best"}), 2);
}

TEST_CASE("quikctl --server search: as the token's user", "[cli][remote][search]") {
  Searchable s;
  CliRun tok = s.env.Run({"-q", "token", "create", "--user", "bob@demo.test", "--name", "t"});
  REQUIRE_EXIT(tok, 0);
  const std::string bob_token = tok.out.substr(0, tok.out.find('\n'));
  quik::testing::ServeProcess server(s.env.data_dir());
  auto remote = [&](std::vector<std::string> args) {
    std::vector<std::string> full{"--server", server.url(), "--token", bob_token, "-o", "json"};
    full.insert(full.end(), args.begin(), args.end());
    return RunProcess(QUIKCTL_PATH, full, {}, {{"QUIK_DATA_DIR", ""}, {"QUIK_TOKEN", ""}});
  };
  CliRun found = remote({"search", "demo", "launch in:#general"});
  REQUIRE_EXIT(found, 0);
  CHECK(Texts(found.Json()) == std::vector<std::string>{"launch on friday"});
  CliRun mine = remote({"search", "demo", "launch"});
  REQUIRE_EXIT(mine, 0);
  CHECK(mine.Json().size() == 1);  // not #secret
  REQUIRE_EXIT(remote({"search", "demo", "launch", "--as", "alice@demo.test"}), 5);
  REQUIRE_EXIT(remote({"search", "demo", "on:2024-02-30"}), 7);
}
