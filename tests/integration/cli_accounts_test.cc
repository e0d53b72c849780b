// SPDX-License-Identifier: MIT
// quikctl invite create | list | revoke, user reactivate | set-admin, offline
// and through a running server (issue 15).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "integration/cli_harness.hpp"

using nlohmann::json;
using quik::testing::CliRun;
using quik::testing::QuikctlEnv;
using quik::testing::RunProcess;
using quik::testing::ServeProcess;

namespace {

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

TEST_CASE("quikctl invite: create, list and revoke offline", "[cli][accounts]") {
  QuikctlEnv env;
  env.Json({"workspace", "create", "Acme", "--slug", "acme"});

  json one = env.Json({"invite", "create", "--workspace", "acme"});
  CHECK(one["max_uses"] == 1);
  CHECK(one["role"] == "member");
  CHECK_FALSE(one.value("code", "").empty());
  json bound = env.Json({"invite", "create", "--workspace", "acme", "--email", "carol@x.test",
                         "--role", "guest", "--ttl", "2d"});
  CHECK(bound["email"] == "carol@x.test");
  CHECK(bound["role"] == "guest");
  CHECK(bound["max_uses"] == 1);
  json many = env.Json({"invite", "create", "--workspace", "acme", "--max-uses", "25"});
  CHECK(many["max_uses"] == 25);

  // -q prints the code alone; the table shows it once with a warning.
  CliRun quiet = env.Run({"-q", "invite", "create", "--workspace", "acme"});
  REQUIRE(quiet.exit_code == 0);
  CHECK(FirstLine(quiet.out).size() >= 30);
  CliRun table = env.Run({"invite", "create", "--workspace", "acme"});
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains("shown only once"));

  json list = env.Json({"invite", "list", "--workspace", "acme"});
  REQUIRE(list.is_array());
  CHECK(list.size() == 5);
  for (const auto& i : list) CHECK_FALSE(i.contains("code"));

  json revoked = env.Json({"invite", "revoke", "--workspace", "acme", many["id"]});
  CHECK(revoked["id"] == many["id"]);
  CHECK(revoked.contains("revoked_at"));

  CliRun missing = env.Run({"invite", "revoke", "--workspace", "acme", "nope"});
  CHECK(missing.exit_code == 3);
  CliRun admin_role = env.Run({"invite", "create", "--workspace", "acme", "--role", "admin"});
  CHECK(admin_role.exit_code == 2);
  CliRun bad_email = env.Run({"invite", "create", "--workspace", "acme", "--email", "nope"});
  CHECK(bad_email.exit_code == 7);
  CliRun no_ws = env.Run({"invite", "list", "--workspace", "ghost"});
  CHECK(no_ws.exit_code == 3);
}

TEST_CASE("quikctl user: reactivate and set-admin offline", "[cli][accounts]") {
  QuikctlEnv env;
  env.Json({"user", "create", "--email", "root@x.test", "--name", "Root", "--admin"});
  json alice = env.Json({"user", "create", "--email", "alice@x.test", "--name", "Alice"});

  CHECK(env.Json({"user", "deactivate", "alice@x.test"})["active"] == false);
  json back = env.Json({"user", "reactivate", "alice@x.test"});
  CHECK(back["active"] == true);
  CHECK(back["id"] == alice["id"]);
  CHECK(env.Json({"user", "reactivate", "alice@x.test"})["active"] == true);  // a no-op

  CHECK(env.Json({"user", "set-admin", "alice@x.test", "--on"})["is_admin"] == true);
  CHECK(env.Json({"user", "set-admin", "root@x.test", "--off"})["is_admin"] == false);
  CliRun last = env.Run({"user", "set-admin", "alice@x.test", "--off"});
  CHECK(last.exit_code == 5);
  CHECK_THAT(last.err, Catch::Contains("last"));
  CliRun neither = env.Run({"user", "set-admin", "alice@x.test"});
  CHECK(neither.exit_code == 2);
  CliRun both = env.Run({"user", "set-admin", "alice@x.test", "--on", "--off"});
  CHECK(both.exit_code == 2);
  CHECK(env.Run({"user", "reactivate", "ghost@x.test"}).exit_code == 3);
}

TEST_CASE("quikctl invite and user admin commands through a server", "[cli][accounts]") {
  QuikctlEnv env;
  env.Json({"user", "create", "--email", "root@x.test", "--name", "Root", "--admin"});
  env.Json({"user", "create", "--email", "bob@x.test", "--name", "Bob"});
  env.Json({"workspace", "create", "Acme", "--slug", "acme"});
  env.Json({"user", "set-role", "root@x.test", "--workspace", "acme", "--role", "owner"});
  env.Json({"user", "set-role", "bob@x.test", "--workspace", "acme", "--role", "member"});
  auto secret = [&](const std::string& user) {
    CliRun r = env.Run({"-q", "token", "create", "--user", user});
    REQUIRE(r.exit_code == 0);
    return FirstLine(r.out);
  };
  const std::string root = secret("root@x.test"), bob = secret("bob@x.test");
  ServeProcess server(env.data_dir());
  auto remote = [&](const std::string& token, std::vector<std::string> args) {
    std::vector<std::string> full{"--server", server.url(), "--token", token, "-o", "json"};
    full.insert(full.end(), args.begin(), args.end());
    return RunProcess(QUIKCTL_PATH, full, {}, {{"QUIK_DATA_DIR", ""}, {"QUIK_TOKEN", ""}});
  };

  CliRun created = remote(root, {"invite", "create", "--workspace", "acme", "--max-uses", "3"});
  INFO(created.Describe());
  REQUIRE(created.exit_code == 0);
  CHECK(created.Json()["max_uses"] == 3);
  CliRun listed = remote(root, {"invite", "list", "--workspace", "acme"});
  REQUIRE(listed.exit_code == 0);
  CHECK(listed.Json().size() == 1);
  CHECK(remote(bob, {"invite", "list", "--workspace", "acme"}).exit_code == 5);
  CliRun revoked = remote(root, {"invite", "revoke", "--workspace", "acme", created.Json()["id"]});
  REQUIRE(revoked.exit_code == 0);
  CHECK(revoked.Json().contains("revoked_at"));

  CHECK(remote(root, {"user", "deactivate", "bob@x.test"}).exit_code == 0);
  CliRun back = remote(root, {"user", "reactivate", "bob@x.test"});
  REQUIRE(back.exit_code == 0);
  CHECK(back.Json()["active"] == true);
  CliRun made = remote(root, {"user", "set-admin", "bob@x.test", "--on"});
  REQUIRE(made.exit_code == 0);
  CHECK(made.Json()["is_admin"] == true);
  const std::string bob2 = secret("bob@x.test");
  CHECK(remote(bob2, {"user", "set-admin", "root@x.test", "--off"}).exit_code == 0);
  CHECK(remote(root, {"user", "set-admin", "bob@x.test", "--off"}).exit_code == 5);
}
