// SPDX-License-Identifier: MIT
// quikctl message pin | unpin | pins | edits | react, offline and --server.
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <quik/service.hpp>

#include "integration/cli_harness.hpp"

namespace {

using nlohmann::json;
using quik::testing::CliRun;
using quik::testing::QuikctlEnv;
using quik::testing::RunProcess;

const char kThumbsUp[] = "\xF0\x9F\x91\x8D";

// Workspace demo: alice and bob, members in #general; carol, a member of the
// workspace who is not in #general. alice posted "v1" there.
struct Chat {
  QuikctlEnv env;
  json alice, bob, carol, general, message;
  Chat() {
    env.Json({"workspace", "create", "Demo", "--slug", "demo"});
    alice = env.Json(
        {"user", "create", "--email", "alice@demo.test", "--name", "Alice", "--workspace", "demo"});
    bob = env.Json(
        {"user", "create", "--email", "bob@demo.test", "--name", "Bob", "--workspace", "demo"});
    carol = env.Json(
        {"user", "create", "--email", "carol@demo.test", "--name", "Carol", "--workspace", "demo"});
    general = env.Json({"channel", "create", "--workspace", "demo", "general"});
    env.Json({"channel", "add-member", "demo/#general", "bob@demo.test"});
    message = env.Json({"post", "--channel", "demo/#general", "--as", "alice@demo.test", "v1"});
  }
  std::string id() const { return message["id"]; }
};

}  // namespace

TEST_CASE("quikctl message pin, pins, unpin", "[cli][pins]") {
  Chat c;
  json pin = c.env.Json({"message", "pin", c.id(), "--as", "bob@demo.test"});
  CHECK(pin["message_id"] == c.id());
  CHECK(pin["channel_id"] == c.general["id"]);
  CHECK(pin["pinned_by"] == c.bob["id"]);
  CHECK(pin["message"]["text"] == "v1");

  json pins = c.env.Json({"message", "pins", "--channel", "demo/#general"});
  REQUIRE(pins.is_array());
  REQUIRE(pins.size() == 1);
  CHECK(pins[0]["message_id"] == c.id());
  CliRun table = c.env.Run({"message", "pins", "--channel", "demo/#general"});
  REQUIRE_EXIT(table, 0);
  CHECK(table.out.rfind("MESSAGE", 0) == 0);
  CHECK(table.out.find(c.id()) != std::string::npos);
  CliRun quiet = c.env.Run({"-q", "message", "pins", "--channel", "demo/#general"});
  CHECK(quiet.out == c.id() + "\n");

  // carol is not in #general: 403 (exit 5); an unknown message: exit 3.
  CliRun denied = c.env.Run({"message", "pin", c.id(), "--as", "carol@demo.test"});
  REQUIRE_EXIT(denied, 5);
  CHECK(denied.err.rfind("quikctl: permission_denied: ", 0) == 0);
  REQUIRE_EXIT(c.env.Run({"message", "pin", "01AAAAAAAAAAAAAAAAAAAAAAAA"}), 3);

  // The system (no --as) unpins; again is a no-op.
  REQUIRE_EXIT(c.env.Run({"message", "unpin", c.id()}), 0);
  REQUIRE_EXIT(c.env.Run({"message", "unpin", c.id()}), 0);
  CHECK(c.env.Json({"message", "pins", "--channel", "demo/#general"}).empty());
}

TEST_CASE("quikctl message react and edits", "[cli][reactions][edits]") {
  Chat c;
  json m = c.env.Json({"message", "react", c.id(), ":thumbsup:", "--as", "bob@demo.test"});
  REQUIRE(m["reactions"].size() == 1);
  CHECK(m["reactions"][0]["emoji"] == "thumbsup");
  m = c.env.Json({"message", "react", c.id(), kThumbsUp, "--as", "alice@demo.test"});
  CHECK(m["reactions"][1]["emoji"] == kThumbsUp);
  m = c.env.Json({"message", "react", c.id(), "thumbsup", "--as", "bob@demo.test", "--remove"});
  REQUIRE(m["reactions"].size() == 1);
  CHECK(m["reactions"][0]["emoji"] == kThumbsUp);

  CliRun bad = c.env.Run({"message", "react", c.id(), "two words", "--as", "bob@demo.test"});
  REQUIRE_EXIT(bad, 7);
  CHECK(bad.err.find("short name") != std::string::npos);
  CliRun no_as = c.env.Run({"message", "react", c.id(), "tada"});
  REQUIRE_EXIT(no_as, 2);
  CHECK(no_as.err.rfind("quikctl: usage: ", 0) == 0);

  // Edit history: the admin view (no --as) and the author; another member: 403.
  CHECK(c.env.Json({"message", "edits", c.id()}).empty());
  {
    quik::Options options;
    options.data_dir = c.env.data_dir();
    auto svc = quik::Service::Open(options);
    REQUIRE(svc.ok());
    auto edited = (*svc)->messages().Edit(quik::Actor::ForUser(c.alice["id"].get<std::string>()),
                                          c.id(), "v2");
    REQUIRE(edited.ok());
  }
  json edits = c.env.Json({"message", "edits", c.id()});
  REQUIRE(edits.size() == 1);
  CHECK(edits[0]["previous_text"] == "v1");
  CHECK(edits[0]["editor_id"] == c.alice["id"]);
  CHECK(c.env.Json({"message", "edits", c.id(), "--as", "alice@demo.test"}).size() == 1);
  CliRun table = c.env.Run({"message", "edits", c.id()});
  REQUIRE_EXIT(table, 0);
  CHECK(table.out.rfind("EDITED AT", 0) == 0);
  CHECK(table.out.find("v1") != std::string::npos);
  REQUIRE_EXIT(c.env.Run({"message", "edits", c.id(), "--as", "carol@demo.test"}), 5);
}

TEST_CASE("quikctl --server message: as the token's user", "[cli][remote][pins][reactions]") {
  Chat c;
  CliRun tok = c.env.Run({"-q", "token", "create", "--user", "bob@demo.test", "--name", "t"});
  REQUIRE_EXIT(tok, 0);
  const std::string bob_token = tok.out.substr(0, tok.out.find('\n'));
  quik::testing::ServeProcess server(c.env.data_dir());
  auto remote = [&](std::vector<std::string> args) {
    std::vector<std::string> full{"--server", server.url(), "--token", bob_token, "-o", "json"};
    full.insert(full.end(), args.begin(), args.end());
    return RunProcess(QUIKCTL_PATH, full, {}, {{"QUIK_DATA_DIR", ""}, {"QUIK_TOKEN", ""}});
  };

  CliRun pinned = remote({"message", "pin", c.id()});
  REQUIRE_EXIT(pinned, 0);
  CHECK(pinned.Json()["pinned_by"] == c.bob["id"]);
  CliRun pins = remote({"message", "pins", "--channel", "demo/#general"});
  REQUIRE_EXIT(pins, 0);
  REQUIRE(pins.Json().size() == 1);
  CHECK(pins.Json()[0]["message_id"] == c.id());

  CliRun reacted = remote({"message", "react", c.id(), "eyes"});
  REQUIRE_EXIT(reacted, 0);
  CHECK(reacted.Json()["reactions"][0]["user_ids"][0] == c.bob["id"]);
  CliRun removed = remote({"message", "react", c.id(), "eyes", "--remove"});
  REQUIRE_EXIT(removed, 0);
  CHECK_FALSE(removed.Json().contains("reactions"));

  // bob may not read alice's edit history; --as another user is refused.
  REQUIRE_EXIT(remote({"message", "edits", c.id()}), 5);
  REQUIRE_EXIT(remote({"message", "pin", c.id(), "--as", "alice@demo.test"}), 5);
  REQUIRE_EXIT(remote({"message", "unpin", c.id()}), 0);
  CHECK(remote({"message", "pins", "--channel", "demo/#general"}).Json().empty());
}
