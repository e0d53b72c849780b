// SPDX-License-Identifier: MIT
// quikctl --server URL --token T against a real `quikctl serve` (CONTRACT.md
// section 1): the same commands print the same output and exit with the same
// codes as offline. Also net::HttpClient on its own: keep-alive, reconnects,
// timeouts and unreachable servers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "integration/cli_harness.hpp"
#include "net/http_client.hpp"
#include "testing/test_certificate.hpp"

namespace {

using nlohmann::json;
using quik::testing::CliRun;
using quik::testing::QuikctlEnv;
using quik::testing::RunProcess;
using quik::testing::ServeProcess;

// The same exit code, stdout and stderr.
#define REQUIRE_SAME(local, remote)        \
  do {                                     \
    const CliRun& l_ = (local);            \
    const CliRun& r_ = (remote);           \
    INFO("local: " << l_.Describe());      \
    INFO("remote: " << r_.Describe());     \
    REQUIRE(l_.exit_code == r_.exit_code); \
    REQUIRE(l_.out == r_.out);             \
    REQUIRE(l_.err == r_.err);             \
  } while (0)

const std::vector<std::vector<std::string>> kFormats = {
    {"-o", "table"}, {"-o", "json"}, {"-o", "yaml"}, {"-q"}};

std::vector<std::string> Cat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A port nothing listens on: bound once by us, then closed.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// A served data dir: an instance admin and a plain user (bob), each with an
// API token, made offline before the server starts.
struct Served {
  QuikctlEnv env;
  json admin, bob;
  std::string admin_token, bob_token;
  std::optional<ServeProcess> server;

  Served() {
    admin =
        env.Json({"user", "create", "--email", "admin@remote.test", "--name", "Admin", "--admin"});
    bob = env.Json({"user", "create", "--email", "bob@remote.test", "--name", "Bob"});
    admin_token = Secret("admin@remote.test");
    bob_token = Secret("bob@remote.test");
    server.emplace(env.data_dir());
  }

  std::string Secret(const std::string& user) {
    CliRun r = env.Run({"-q", "token", "create", "--user", user, "--name", "test"});
    if (r.exit_code != 0) throw std::runtime_error("token create failed: " + r.Describe());
    return r.out.substr(0, r.out.find('\n'));
  }

  const std::string& url() const { return server->url(); }

  // quikctl --server URL --token TOKEN ARGS...
  CliRun Remote(const std::vector<std::string>& args, const std::string& token,
                const std::string& input = {}) const {
    return RunProcess(QUIKCTL_PATH, Cat({"--server", url(), "--token", token}, args), input,
                      {{"QUIK_DATA_DIR", ""}, {"QUIK_TOKEN", ""}});
  }
  CliRun Admin(const std::vector<std::string>& args, const std::string& input = {}) const {
    return Remote(args, admin_token, input);
  }
  CliRun Bob(const std::vector<std::string>& args) const { return Remote(args, bob_token); }
  json AdminJson(const std::vector<std::string>& args, const std::string& input = {}) const {
    CliRun r = Admin(Cat({"-o", "json"}, args), input);
    if (r.exit_code != 0) throw std::runtime_error("remote quikctl failed: " + r.Describe());
    return r.Json();
  }
  CliRun Local(const std::vector<std::string>& args) const { return env.Run(args); }

  // A read-only command prints the same in every format, offline and remote.
  void RequireSameEverywhere(const std::vector<std::string>& args) const {
    for (const auto& format : kFormats) {
      INFO("quikctl " << format[0] << " ...");
      REQUIRE_SAME(Local(Cat(format, args)), Admin(Cat(format, args)));
    }
  }
};

TEST_CASE("quikctl --server: workspace create, list, show, members, delete", "[cli][remote]") {
  Served s;
  CliRun created = s.Admin({"workspace", "create", "Acme Inc", "--slug", "acme"});
  REQUIRE_EXIT(created, 0);
  // The table of the created workspace is the table `show` prints.
  REQUIRE(created.out == s.Local({"workspace", "show", "acme"}).out);
  json ws = s.AdminJson({"workspace", "show", "acme"});
  CHECK(ws["slug"] == "acme");
  CHECK(ws["name"] == "Acme Inc");
  json beta = s.AdminJson({"workspace", "create", "Beta Team"});  // slug derived
  CHECK(beta["slug"] == "beta-team");

  s.RequireSameEverywhere({"workspace", "list"});
  s.RequireSameEverywhere({"workspace", "show", "acme"});
  s.RequireSameEverywhere({"workspace", "show", ws["id"]});
  // Remotely the creator is the owner (offline the system creates, owner-less).
  json members = s.AdminJson({"workspace", "members", "acme"});
  REQUIRE(members.size() == 1);
  CHECK(members[0]["user_id"] == s.admin["id"]);
  CHECK(members[0]["role"] == "owner");
  s.RequireSameEverywhere({"workspace", "members", "acme"});

  // Errors: the same code, message and exit status as offline.
  REQUIRE_SAME(s.Local({"workspace", "create", "Again", "--slug", "acme"}),
               s.Admin({"workspace", "create", "Again", "--slug", "acme"}));
  REQUIRE_EXIT(s.Admin({"workspace", "create", "Again", "--slug", "acme"}), 4);
  REQUIRE_SAME(s.Local({"workspace", "show", "nope"}), s.Admin({"workspace", "show", "nope"}));
  REQUIRE_EXIT(s.Admin({"workspace", "show", "nope"}), 3);
  REQUIRE_SAME(s.Local({"workspace", "create", "Bad", "--slug", "Not A Slug!"}),
               s.Admin({"workspace", "create", "Bad", "--slug", "Not A Slug!"}));
  REQUIRE_EXIT(s.Admin({"workspace", "create", "Bad", "--slug", "Not A Slug!"}), 7);

  // Bob is no member: to him the workspace does not exist.
  REQUIRE_EXIT(s.Bob({"workspace", "show", "acme"}), 3);
  REQUIRE_EXIT(s.Bob({"workspace", "delete", "--yes", "acme"}), 3);
  CHECK(s.Bob({"-o", "json", "workspace", "list"}).Json().empty());
  // A member who is not the owner may not delete it.
  REQUIRE_EXIT(
      s.Local({"user", "set-role", "bob@remote.test", "--workspace", "acme", "--role", "admin"}),
      0);
  CliRun denied = s.Bob({"workspace", "delete", "--yes", "acme"});
  REQUIRE_EXIT(denied, 5);
  CHECK(denied.err.rfind("quikctl: permission_denied: ", 0) == 0);

  CliRun deleted = s.Admin({"workspace", "delete", "--yes", "acme"});
  REQUIRE_EXIT(deleted, 0);
  CHECK(deleted.out == "deleted workspace acme (" + ws["id"].get<std::string>() + ")\n");
  REQUIRE_EXIT(s.Local({"workspace", "show", "acme"}), 3);
  json gone = s.AdminJson({"workspace", "delete", "--yes", "beta-team"});
  CHECK(gone == json({{"id", beta["id"]}, {"slug", "beta-team"}, {"deleted", true}}));
  CHECK(s.Admin({"-q", "workspace", "delete", "--yes", "nope"}).exit_code == 3);
  CHECK(s.AdminJson({"workspace", "list"}).empty());
}

TEST_CASE("quikctl --server: user create, list, show, deactivate, set-role", "[cli][remote]") {
  Served s;
  s.AdminJson({"workspace", "create", "Acme", "--slug", "acme"});

  json carol = s.AdminJson({"user", "create", "--email", "carol@remote.test", "--name", "Carol",
                            "--workspace", "acme", "--role", "admin"});
  CHECK(carol["email"] == "carol@remote.test");
  CHECK(carol == s.Local({"-o", "json", "user", "show", "carol@remote.test"}).Json());
  json member = s.AdminJson({"workspace", "members", "acme"});
  bool carol_is_admin = false;
  for (const json& m : member) {
    if (m["user_id"] == carol["id"]) carol_is_admin = m["role"] == "admin";
  }
  CHECK(carol_is_admin);

  // --password-stdin: the password works for a login over the API.
  CliRun dave = s.Admin(
      {"-q", "user", "create", "--email", "dave@remote.test", "--name", "Dave", "--password-stdin"},
      "s3cret pass\n");
  REQUIRE_EXIT(dave, 0);
  auto client = quik::net::HttpClient::Connect(s.url());
  REQUIRE(client.ok());
  auto login = client->Request("POST", "/api/v1/auth/login",
                               R"({"email":"dave@remote.test","password":"s3cret pass"})");
  REQUIRE(login.ok());
  CHECK(login->status == 200);
  CHECK(json::parse(login->body)["user"]["email"] == "dave@remote.test");

  // A typo in --workspace creates no user.
  REQUIRE_SAME(s.Local({"user", "create", "--email", "eve@remote.test", "--name", "Eve",
                        "--workspace", "nope"}),
               s.Admin({"user", "create", "--email", "eve@remote.test", "--name", "Eve",
                        "--workspace", "nope"}));
  REQUIRE_EXIT(s.Local({"user", "show", "eve@remote.test"}), 3);
  REQUIRE_SAME(s.Local({"user", "create", "--email", "CAROL@remote.test", "--name", "C"}),
               s.Admin({"user", "create", "--email", "CAROL@remote.test", "--name", "C"}));
  REQUIRE_EXIT(s.Admin({"user", "create", "--email", "CAROL@remote.test", "--name", "C"}), 4);
  REQUIRE_SAME(s.Local({"user", "create", "--email", "not-an-email", "--name", "X"}),
               s.Admin({"user", "create", "--email", "not-an-email", "--name", "X"}));

  s.RequireSameEverywhere({"user", "list"});
  s.RequireSameEverywhere({"user", "list", "--workspace", "acme"});
  s.RequireSameEverywhere({"user", "show", "carol@remote.test"});
  s.RequireSameEverywhere({"user", "show", "Carol@Remote.Test"});
  s.RequireSameEverywhere({"user", "show", carol["id"]});
  REQUIRE_SAME(s.Local({"user", "show", "ghost@remote.test"}),
               s.Admin({"user", "show", "ghost@remote.test"}));
  REQUIRE_EXIT(s.Admin({"user", "show", "ghost@remote.test"}), 3);

  // set-role adds bob (no member yet: POST), then changes the role (PATCH);
  // repeating it offline with the same role prints the same.
  std::vector<std::string> guest = {"user",   "set-role", "bob@remote.test", "--workspace", "acme",
                                    "--role", "guest"};
  REQUIRE_EXIT(s.Admin(guest), 0);
  s.RequireSameEverywhere(guest);
  std::vector<std::string> promote = {"user", "set-role", "bob@remote.test", "--workspace",
                                      "acme", "--role",   "member"};
  json promoted = s.AdminJson(promote);
  CHECK(promoted["role"] == "member");
  CHECK(promoted["email"] == "bob@remote.test");
  s.RequireSameEverywhere(promote);
  s.RequireSameEverywhere({"workspace", "members", "acme"});
  REQUIRE_SAME(
      s.Local({"user", "set-role", "ghost@remote.test", "--workspace", "acme", "--role", "member"}),
      s.Admin(
          {"user", "set-role", "ghost@remote.test", "--workspace", "acme", "--role", "member"}));

  // Only an instance admin creates and deactivates users.
  CliRun denied = s.Bob({"user", "create", "--email", "x@remote.test", "--name", "X"});
  REQUIRE_EXIT(denied, 5);
  CHECK(denied.err.rfind("quikctl: permission_denied: ", 0) == 0);
  REQUIRE_EXIT(s.Bob({"user", "deactivate", "carol@remote.test"}), 5);
  REQUIRE_EXIT(s.Bob({"user", "list"}), 5);
  // Bob sees a user he shares a workspace with, as offline.
  REQUIRE_EXIT(s.Bob({"user", "show", "carol@remote.test"}), 0);

  json deactivated = s.AdminJson({"user", "deactivate", "carol@remote.test"});
  CHECK(deactivated["active"] == false);
  CHECK(deactivated.contains("deactivated_at"));
  s.RequireSameEverywhere({"user", "deactivate", "carol@remote.test"});  // a no-op now
}

TEST_CASE("quikctl --server: channel create, list, archive, add-member, remove-member",
          "[cli][remote]") {
  Served s;
  s.AdminJson({"workspace", "create", "Acme", "--slug", "acme"});
  REQUIRE_EXIT(
      s.Local({"user", "set-role", "bob@remote.test", "--workspace", "acme", "--role", "member"}),
      0);

  CliRun general =
      s.Admin({"channel", "create", "--workspace", "acme", "general", "--topic", "Company-wide"});
  REQUIRE_EXIT(general, 0);
  REQUIRE(general.out == s.Local({"channel", "show", "acme/#general"}).out);
  json leads = s.AdminJson({"channel", "create", "--workspace", "acme", "leads", "--private"});
  CHECK(leads["private"] == true);
  CHECK(leads["kind"] == "private");
  s.RequireSameEverywhere({"channel", "show", "acme/#leads"});
  s.RequireSameEverywhere({"channel", "show", leads["id"]});
  s.RequireSameEverywhere({"channel", "list", "--workspace", "acme"});
  REQUIRE_SAME(s.Local({"channel", "create", "--workspace", "acme", "general"}),
               s.Admin({"channel", "create", "--workspace", "acme", "general"}));
  REQUIRE_EXIT(s.Admin({"channel", "create", "--workspace", "acme", "general"}), 4);
  REQUIRE_SAME(s.Local({"channel", "create", "--workspace", "acme", "Bad Name!"}),
               s.Admin({"channel", "create", "--workspace", "acme", "Bad Name!"}));
  REQUIRE_SAME(s.Local({"channel", "show", "acme/#nope"}),
               s.Admin({"channel", "show", "acme/#nope"}));
  REQUIRE_EXIT(s.Admin({"channel", "show", "acme/#nope"}), 3);

  // The creator is a member remotely: the private channel lists the admin.
  s.RequireSameEverywhere({"channel", "members", "acme/#leads"});
  CliRun added = s.Admin({"-o", "json", "channel", "add-member", "acme/#leads", "bob@remote.test"});
  REQUIRE_EXIT(added, 0);
  json bob_member = added.Json();
  CHECK(bob_member["user_id"] == s.bob["id"]);
  CHECK(bob_member["email"] == "bob@remote.test");
  s.RequireSameEverywhere({"channel", "members", "acme/#leads"});
  REQUIRE_SAME(s.Local({"channel", "add-member", "acme/#leads", "bob@remote.test"}),
               s.Admin({"channel", "add-member", "acme/#leads", "bob@remote.test"}));
  REQUIRE_SAME(s.Local({"channel", "add-member", "acme/#leads", "ghost@remote.test"}),
               s.Admin({"channel", "add-member", "acme/#leads", "ghost@remote.test"}));
  REQUIRE_EXIT(s.Bob({"channel", "show", "acme/#leads"}), 0);

  CliRun removed = s.Admin({"channel", "remove-member", "acme/#leads", "bob@remote.test"});
  REQUIRE_EXIT(removed, 0);
  CHECK(removed.out == "removed bob@remote.test from #leads\n");
  REQUIRE_SAME(s.Local({"channel", "remove-member", "acme/#leads", "bob@remote.test"}),
               s.Admin({"channel", "remove-member", "acme/#leads", "bob@remote.test"}));
  // Private: to bob, no longer a member, it does not exist.
  REQUIRE_EXIT(s.Bob({"channel", "show", "acme/#leads"}), 3);
  REQUIRE_EXIT(s.Bob({"channel", "archive", "acme/#leads"}), 3);
  // Bob (not its creator, not an admin) may not archive #general.
  REQUIRE_EXIT(s.Bob({"channel", "archive", "acme/#general"}), 5);

  json archived = s.AdminJson({"channel", "archive", "acme/#general"});
  CHECK(archived["archived"] == true);
  CHECK(archived == s.Local({"-o", "json", "channel", "show", "acme/#general"}).Json());
  REQUIRE_SAME(s.Local({"channel", "archive", "acme/#general"}),
               s.Admin({"channel", "archive", "acme/#general"}));
  // Archived channels are listed too (include_archived).
  s.RequireSameEverywhere({"channel", "list", "--workspace", "acme"});
  REQUIRE_EXIT(s.Bob({"-o", "json", "channel", "list", "--workspace", "acme"}), 0);
  json bobs = s.Bob({"-o", "json", "channel", "list", "--workspace", "acme"}).Json();
  REQUIRE(bobs.size() == 1);  // #general, archived; not the private #leads
  CHECK(bobs[0]["name"] == "general");
}

TEST_CASE("quikctl --server: token create, list, revoke", "[cli][remote]") {
  Served s;
  json issued = s.AdminJson(
      {"token", "create", "--user", "admin@remote.test", "--name", "ci", "--ttl", "30d"});
  CHECK(issued["name"] == "ci");
  CHECK(issued.contains("expires_at"));
  std::string secret = issued["token"];
  CHECK(secret.size() > 40);
  REQUIRE_EXIT(s.Remote({"user", "show", "admin@remote.test"}, secret), 0);

  CliRun table = s.Admin({"token", "create", "--user", "bob@remote.test"});
  REQUIRE_EXIT(table, 0);
  CHECK(table.out.find("token: ") != std::string::npos);
  CHECK(table.out.find("shown only once") != std::string::npos);
  CliRun quiet = s.Admin({"-q", "token", "create", "--user", "bob@remote.test"});
  REQUIRE_EXIT(quiet, 0);
  std::string bobs_new = quiet.out.substr(0, quiet.out.find('\n'));
  CHECK(quiet.out == bobs_new + "\n");
  CliRun who = s.Remote({"-o", "json", "user", "show", "bob@remote.test"}, bobs_new);
  REQUIRE_EXIT(who, 0);
  CHECK(who.Json()["id"] == s.bob["id"]);

  // Remotely `token list` shows the token's user's tokens; --user another's.
  s.RequireSameEverywhere({"token", "list", "--user", "bob@remote.test"});
  for (const auto& format : kFormats) {
    REQUIRE_SAME(s.Local(Cat(format, {"token", "list", "--user", "admin@remote.test"})),
                 s.Admin(Cat(format, {"token", "list"})));
  }
  REQUIRE_SAME(s.Local({"token", "create", "--user", "admin@remote.test", "--ttl", "soon"}),
               s.Admin({"token", "create", "--user", "admin@remote.test", "--ttl", "soon"}));
  REQUIRE_EXIT(s.Admin({"token", "create", "--user", "admin@remote.test", "--ttl", "soon"}), 7);
  REQUIRE_SAME(s.Local({"token", "create", "--user", "ghost@remote.test"}),
               s.Admin({"token", "create", "--user", "ghost@remote.test"}));

  CliRun revoked = s.Admin({"-o", "json", "token", "revoke", issued["id"]});
  REQUIRE_EXIT(revoked, 0);
  json after = revoked.Json();
  CHECK(after["id"] == issued["id"]);
  CHECK(after.contains("revoked_at"));
  const json listed = s.Local({"-o", "json", "token", "list"}).Json();
  const auto found = std::find_if(listed.begin(), listed.end(),
                                  [&](const json& t) { return t["id"] == issued["id"]; });
  REQUIRE(found != listed.end());
  CHECK(*found == after);
  CliRun refused = s.Remote({"workspace", "list"}, secret);
  REQUIRE_EXIT(refused, 5);
  CHECK(refused.err.rfind("quikctl: unauthenticated: ", 0) == 0);
  REQUIRE_SAME(s.Local({"token", "revoke", "01AAAAAAAAAAAAAAAAAAAAAAAA"}),
               s.Admin({"token", "revoke", "01AAAAAAAAAAAAAAAAAAAAAAAA"}));
  REQUIRE_EXIT(s.Admin({"token", "revoke", "01AAAAAAAAAAAAAAAAAAAAAAAA"}), 3);
}

TEST_CASE("quikctl --server: post as the token's user", "[cli][remote]") {
  Served s;
  s.AdminJson({"workspace", "create", "Acme", "--slug", "acme"});
  s.AdminJson({"channel", "create", "--workspace", "acme", "general"});
  REQUIRE_EXIT(
      s.Local({"user", "set-role", "bob@remote.test", "--workspace", "acme", "--role", "member"}),
      0);

  CliRun posted = s.Bob({"-o", "json", "post", "--channel", "acme/#general", "Hello, Acme"});
  REQUIRE_EXIT(posted, 0);
  json message = posted.Json();
  CHECK(message["user_id"] == s.bob["id"]);
  CHECK(message["text"] == "Hello, Acme");
  // The same document and table as an offline post.
  json local = s.Local({"-o", "json", "post", "--channel", "acme/#general", "--as",
                        "bob@remote.test", "offline"})
                   .Json();
  std::set<std::string> remote_keys, local_keys;
  for (const auto& [key, value] : message.items()) remote_keys.insert(key);
  for (const auto& [key, value] : local.items()) local_keys.insert(key);
  CHECK(remote_keys == local_keys);
  CliRun table = s.Bob({"post", "--channel", "acme/#general", "--as", "BOB@remote.test", "hi"});
  REQUIRE_EXIT(table, 0);
  CliRun local_table =
      s.Local({"post", "--channel", "acme/#general", "--as", "bob@remote.test", "hi"});
  CHECK(table.out.substr(0, table.out.find('\n')) ==
        local_table.out.substr(0, local_table.out.find('\n')));
  CliRun quiet = s.Bob({"-q", "post", "--channel",
                        s.Local({"-q", "channel", "show", "acme/#general"}).out.substr(0, 26),
                        "--as", s.bob["id"], "by id"});
  REQUIRE_EXIT(quiet, 0);
  CHECK(quiet.out.size() == 27);  // the message id

  json reply = s.Bob({"-o", "json", "post", "--channel", "acme/#general", "--thread", message["id"],
                      "a reply"})
                   .Json();
  CHECK(reply["thread_root_id"] == message["id"]);

  // --as someone else: the token decides who posts.
  CliRun other = s.Bob({"post", "--channel", "acme/#general", "--as", "admin@remote.test", "x"});
  REQUIRE_EXIT(other, 5);
  CHECK(other.err.rfind("quikctl: permission_denied: --as admin@remote.test: ", 0) == 0);
  REQUIRE_SAME(s.Local({"post", "--channel", "acme/#nope", "--as", "bob@remote.test", "x"}),
               s.Bob({"post", "--channel", "acme/#nope", "x"}));
  // Offline --as is still required: a usage error.
  CliRun no_author = s.Local({"post", "--channel", "acme/#general", "x"});
  REQUIRE_EXIT(no_author, 2);
  CHECK(no_author.err.rfind("quikctl: usage: ", 0) == 0);
}

TEST_CASE("quikctl user set-password, offline and --server", "[cli][remote]") {
  Served s;
  auto login = [&](const std::string& email, const std::string& password) {
    auto client = quik::net::HttpClient::Connect(s.url());
    REQUIRE(client.ok());
    auto r = client->Request("POST", "/api/v1/auth/login",
                             json({{"email", email}, {"password", password}}).dump());
    REQUIRE(r.ok());
    return r->status;
  };
  // Offline, as the operator.
  CliRun local = RunProcess(
      QUIKCTL_PATH,
      {"--data-dir", s.env.data_dir().string(), "user", "set-password", "bob@remote.test"},
      "first password\n", {{"QUIK_DATA_DIR", ""}});
  REQUIRE_EXIT(local, 0);
  CHECK(local.out == "set the password of bob@remote.test\n");
  CHECK(login("bob@remote.test", "first password") == 200);

  // Remotely, an instance admin resets it.
  CliRun remote =
      s.Admin({"-o", "json", "user", "set-password", "bob@remote.test"}, "second password\n");
  REQUIRE_EXIT(remote, 0);
  CHECK(remote.Json()["password_set"] == true);
  CHECK(login("bob@remote.test", "first password") == 401);
  CHECK(login("bob@remote.test", "second password") == 200);
  // A reset revokes the user's API tokens too: bob needs a new one.
  CHECK(s.Remote({"workspace", "list"}, s.bob_token).exit_code == 5);
  const std::string bob_token = s.Secret("bob@remote.test");

  // Bob cannot even see the admin until they share a workspace; then he may not reset theirs.
  REQUIRE_EXIT(
      s.Remote({"user", "set-password", "admin@remote.test"}, bob_token, "bobs choice!\n"), 3);
  s.AdminJson({"workspace", "create", "Shared", "--slug", "shared"});
  REQUIRE_EXIT(
      s.Local({"user", "set-role", "bob@remote.test", "--workspace", "shared", "--role", "admin"}),
      0);
  REQUIRE_EXIT(
      s.Remote({"user", "set-password", "admin@remote.test"}, bob_token, "bobs choice!\n"), 5);
  // Too short is invalid; an unknown user is not found.
  REQUIRE_EXIT(s.Admin({"user", "set-password", "bob@remote.test"}, "short\n"), 7);
  REQUIRE_EXIT(s.Admin({"user", "set-password", "nobody@remote.test"}, "long enough\n"), 3);
  CHECK(login("bob@remote.test", "second password") == 200);

  // For oneself the API wants the current password (PUT /users/me/password).
  auto bob = quik::net::HttpClient::Connect(s.url());
  REQUIRE(bob.ok());
  const quik::net::HttpHeaders auth = {{"Authorization", "Bearer " + bob_token}};
  auto wrong = bob->Request(
      "PUT", "/api/v1/users/me/password",
      json({{"current_password", "nope nope"}, {"password", "third one!"}}).dump(), auth);
  REQUIRE(wrong.ok());
  CHECK(wrong->status == 403);
  auto self_reset = bob->Request("PUT", "/api/v1/users/" + std::string(s.bob["id"]) + "/password",
                                 json({{"password", "third one!"}}).dump(), auth);
  REQUIRE(self_reset.ok());
  CHECK(self_reset->status == 400);  // current_password is required for oneself
  auto right = bob->Request(
      "PUT", "/api/v1/users/me/password",
      json({{"current_password", "second password"}, {"password", "third one!"}}).dump(), auth);
  REQUIRE(right.ok());
  CHECK(right->status == 204);
  CHECK(login("bob@remote.test", "third one!") == 200);

  // Over two login sessions: the one that changes the password stays, the
  // other is logged out, and so is every API token.
  auto session = [&]() {
    auto client = quik::net::HttpClient::Connect(s.url());
    REQUIRE(client.ok());
    auto r =
        client->Request("POST", "/api/v1/auth/login",
                        json({{"email", "bob@remote.test"}, {"password", "third one!"}}).dump());
    REQUIRE(r.ok());
    REQUIRE(r->status == 200);
    return quik::net::HttpHeaders{
        {"Authorization", "Bearer " + json::parse(r->body)["token"].get<std::string>()}};
  };
  const auto here = session(), there = session();
  auto changed = bob->Request(
      "PUT", "/api/v1/users/me/password",
      json({{"current_password", "third one!"}, {"password", "fourth one!"}}).dump(), here);
  REQUIRE(changed.ok());
  CHECK(changed->status == 204);
  auto me_here = bob->Request("GET", "/api/v1/users/me", {}, here);
  auto me_there = bob->Request("GET", "/api/v1/users/me", {}, there);
  auto me_api = bob->Request("GET", "/api/v1/users/me", {}, auth);
  REQUIRE((me_here.ok() && me_there.ok() && me_api.ok()));
  CHECK(me_here->status == 200);
  CHECK(me_there->status == 401);
  CHECK(me_api->status == 401);
}

TEST_CASE("quikctl --server: errors, exit codes and flags", "[cli][remote]") {
  Served s;
  SECTION("a wrong token is unauthenticated, exit 5") {
    CliRun r = s.Remote({"workspace", "list"}, "quik_not-a-real-token");
    REQUIRE_EXIT(r, 5);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("quikctl: unauthenticated: ", 0) == 0);
    r = s.Remote({"-o", "json", "workspace", "list"}, "quik_not-a-real-token");
    REQUIRE_EXIT(r, 5);
    CHECK(r.out.empty());
    json error = json::parse(r.err);
    CHECK(error["error"]["code"] == "unauthenticated");
    CHECK(error["error"]["message"].is_string());
  }
  SECTION("-o json errors have the contract's shape on stderr") {
    CliRun r = s.Admin({"-o", "json", "workspace", "show", "nope"});
    REQUIRE_EXIT(r, 3);
    CHECK(r.out.empty());
    CliRun local = s.Local({"-o", "json", "workspace", "show", "nope"});
    CHECK(r.err == local.err);
    CHECK(json::parse(r.err)["error"]["code"] == "not_found");
  }
  SECTION("an unreachable server is unavailable, exit 6") {
    std::string url = "http://127.0.0.1:" + std::to_string(ClosedPort());
    CliRun r = RunProcess(QUIKCTL_PATH, {"--server", url, "--token", "t", "workspace", "list"}, {},
                          {{"QUIK_TOKEN", ""}});
    REQUIRE_EXIT(r, 6);
    CHECK(r.out.empty());
    CHECK(r.err == "quikctl: unavailable: cannot reach " + url + ": connection refused\n");
    r = RunProcess(QUIKCTL_PATH, {"-o", "json", "--server", url, "--token", "t", "user", "list"},
                   {}, {{"QUIK_TOKEN", ""}});
    REQUIRE_EXIT(r, 6);
    CHECK(json::parse(r.err)["error"]["code"] == "unavailable");
  }
  SECTION("$QUIK_TOKEN stands in for --token; the URL may name /api/v1") {
    CliRun r = RunProcess(QUIKCTL_PATH,
                          {"-o", "json", "--server", s.url(), "user", "show", "bob@remote.test"},
                          {}, {{"QUIK_TOKEN", s.admin_token}, {"QUIK_DATA_DIR", ""}});
    REQUIRE_EXIT(r, 0);
    CHECK(r.Json()["id"] == s.bob["id"]);
    r = RunProcess(QUIKCTL_PATH,
                   {"--server", s.url() + "/api/v1/", "--token", s.admin_token, "-q", "user",
                    "show", "bob@remote.test"},
                   {}, {{"QUIK_TOKEN", ""}});
    REQUIRE_EXIT(r, 0);
    CHECK(r.out == s.bob["id"].get<std::string>() + "\n");
    // Global flags may follow the command.
    r = RunProcess(
        QUIKCTL_PATH,
        {"user", "show", "bob@remote.test", "-q", "--server", s.url(), "--token", s.admin_token},
        {}, {{"QUIK_TOKEN", ""}});
    REQUIRE_EXIT(r, 0);
  }
  SECTION("usage errors, exit 2") {
    auto usage = [](const std::vector<std::string>& args) {
      CliRun r = RunProcess(QUIKCTL_PATH, args, {}, {{"QUIK_TOKEN", ""}, {"QUIK_DATA_DIR", ""}});
      INFO(r.Describe());
      CHECK(r.exit_code == 2);
      CHECK(r.err.rfind("quikctl: usage: ", 0) == 0);
      return r;
    };
    CHECK(usage({"--server", s.url(), "workspace", "list"}).err.find("--token") !=
          std::string::npos);
    usage({"--token", "t", "workspace", "list"});
    CHECK(usage({"--server", s.url(), "--token", "t", "init"}).err.find("data dir") !=
          std::string::npos);
    usage({"--server", s.url(), "--token", "t", "migrate", "status"});
    usage({"--server", s.url(), "--token", "t", "serve"});
    usage({"--server", s.url(), "--token", "t", "--data-dir", "/tmp/x", "workspace", "list"});
    usage({"--server", "127.0.0.1:8470", "--token", "t", "workspace", "list"});
    CliRun r = RunProcess(QUIKCTL_PATH,
                          {"-o", "json", "--server", s.url(), "--token", "t", "migrate", "up"}, {},
                          {{"QUIK_TOKEN", ""}});
    REQUIRE_EXIT(r, 2);
    CHECK(json::parse(r.err)["error"]["code"] == "usage");
  }
  SECTION("offline changes reach the server at once") {
    s.Local({"workspace", "create", "Offline", "--slug", "offline"});
    REQUIRE_EXIT(s.Local({"user", "set-role", "admin@remote.test", "--workspace", "offline",
                          "--role", "owner"}),
                 0);
    s.RequireSameEverywhere({"workspace", "show", "offline"});
  }
  CHECK(s.server->Stop() == 0);
}

TEST_CASE("quikctl --server https:// verifies the server against --ca-file", "[cli][remote]") {
  QuikctlEnv env;
  std::string cert = (env.root() / "cert.pem").string(), key = (env.root() / "key.pem").string();
  quik_test::WriteTestCertificate(cert, key);
  env.WriteConfig(std::string(QuikctlEnv::kFastConfig) + "\n[tls]\ncert = \"" + cert +
                  "\"\nkey = \"" + key + "\"\n");
  env.Json({"user", "create", "--email", "admin@remote.test", "--name", "Admin", "--admin"});
  CliRun token = env.Run({"-q", "token", "create", "--user", "admin@remote.test"});
  REQUIRE_EXIT(token, 0);
  std::string secret = token.out.substr(0, token.out.find('\n'));
  ServeProcess server(env.data_dir());
  REQUIRE(server.url().rfind("https://127.0.0.1:", 0) == 0);

  auto run = [&](const std::vector<std::string>& args) {
    return RunProcess(QUIKCTL_PATH, Cat({"--server", server.url(), "--token", secret}, args), {},
                      {{"QUIK_TOKEN", ""}, {"QUIK_DATA_DIR", ""}});
  };
  CliRun ok = run({"--ca-file", cert, "-o", "json", "user", "show", "admin@remote.test"});
  REQUIRE_EXIT(ok, 0);
  CHECK(ok.Json()["email"] == "admin@remote.test");
  // Not trusted by the system's store: the handshake fails, exit 6.
  CliRun untrusted = run({"user", "show", "admin@remote.test"});
  REQUIRE_EXIT(untrusted, 6);
  CHECK(untrusted.err.rfind("quikctl: unavailable: TLS handshake with " + server.url(), 0) == 0);
  CHECK(untrusted.err.find("certificate verify failed") != std::string::npos);
  // Plain HTTP to the TLS listener fails too, and a missing CA file is named.
  std::string plain = server.url();
  plain.replace(0, 5, "http");
  CliRun mismatch = RunProcess(QUIKCTL_PATH, {"--server", plain, "--token", secret, "user", "list"},
                               {}, {{"QUIK_TOKEN", ""}});
  CHECK(mismatch.exit_code != 0);
  CliRun missing = run({"--ca-file", (env.root() / "nope.pem").string(), "user", "list"});
  REQUIRE_EXIT(missing, 7);
  CHECK(missing.err.find("nope.pem") != std::string::npos);
}

// ---- net::HttpClient --------------------------------------------------------

// A scripted HTTP peer on 127.0.0.1: each accepted connection reads one
// request and, unless told to stay silent, answers `reply` and closes.
class RawServer {
 public:
  RawServer(std::string reply, bool silent = false) : reply_(std::move(reply)), silent_(silent) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 8);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~RawServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }

 private:
  void Loop() {
    while (!stop_) {
      int conn = accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      ++connections_;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = read(conn, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<std::size_t>(n));
        if (request[0] == 0x16) break;  // a TLS handshake: answer it with HTTP
      }
      if (silent_) {
        while (!stop_ && read(conn, buf, sizeof buf) > 0) {
        }
      } else {
        ssize_t ignored = write(conn, reply_.data(), reply_.size());
        (void)ignored;
      }
      close(conn);
    }
  }

  std::string reply_;
  bool silent_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

TEST_CASE("HttpClient reconnects once when the server closed a kept-alive connection",
          "[http_client]") {
  // Keep-alive promised (HTTP/1.1 default), then the connection is closed.
  RawServer server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Test: yes\r\n\r\nok");
  auto client = quik::net::HttpClient::Connect(server.url() + "/prefix/");
  REQUIRE(client.ok());
  for (int i = 0; i < 3; ++i) {
    auto r = client->Request("GET", "/ping");
    INFO(i << ": " << (r.ok() ? "" : r.status().ToString()));
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    CHECK(r->body == "ok");
    CHECK(r->header("x-test") == "yes");
    CHECK(r->header("X-Missing").empty());
  }
  CHECK(server.connections() == 3);
  // Movable: the moved-to client keeps working.
  quik::net::HttpClient moved = std::move(*client);
  auto r = moved.Request("POST", "/x", R"({"a":1})");
  REQUIRE(r.ok());
  CHECK(r->status == 200);
}

TEST_CASE("HttpClient failures are statuses", "[http_client]") {
  using quik::StatusCode;
  std::string closed = "http://127.0.0.1:" + std::to_string(ClosedPort());
  auto refused = quik::net::HttpClient::Connect(closed);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == StatusCode::kUnavailable);
  CHECK(refused.status().message() == "cannot reach " + closed + ": connection refused");

  for (const char* bad : {"ftp://host", "http://", "http://host:99999", "http://host:x",
                          "http://[::1", "http://host/?q=1", "http://u@host"}) {
    INFO(bad);
    auto r = quik::net::HttpClient::Connect(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }

  SECTION("a server that does not answer times out") {
    RawServer silent("", /*silent=*/true);
    quik::net::ClientOptions options;
    options.request_timeout = std::chrono::milliseconds(200);
    auto client = quik::net::HttpClient::Connect(silent.url(), options);
    REQUIRE(client.ok());
    auto started = std::chrono::steady_clock::now();
    auto r = client->Request("GET", "/");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kUnavailable);
    CHECK(r.status().message() == "no response from " + silent.url() + " within 200ms");
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  }
  SECTION("https to a plain HTTP peer fails the handshake") {
    RawServer plain("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    std::string url = plain.url();
    url.replace(0, 4, "https");
    auto r = quik::net::HttpClient::Connect(url);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kUnavailable);
    CHECK(r.status().message().find("TLS handshake") != std::string::npos);
  }
  SECTION("a body over the limit is refused") {
    RawServer big("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'));
    quik::net::ClientOptions options;
    options.max_body_bytes = 10;
    auto client = quik::net::HttpClient::Connect(big.url(), options);
    REQUIRE(client.ok());
    auto r = client->Request("GET", "/");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kResourceExhausted);
  }
  SECTION("a target must start with '/'") {
    RawServer any("HTTP/1.1 204 No Content\r\n\r\n");
    auto client = quik::net::HttpClient::Connect(any.url());
    REQUIRE(client.ok());
    CHECK(client->Request("GET", "relative").status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("HttpClient against quikctl serve: keep-alive, headers, idle reconnect",
          "[http_client][remote]") {
  QuikctlEnv env;
  env.WriteConfig(std::string(QuikctlEnv::kFastConfig) + "\n[http]\nidle_timeout = \"1s\"\n");
  ServeProcess server(env.data_dir());
  quik::net::ClientOptions options;
  options.default_headers = {{"X-Request-Id", "client-test-1"}};
  auto client = quik::net::HttpClient::Connect(server.url(), options);
  REQUIRE(client.ok());
  for (int i = 0; i < 20; ++i) {
    auto r = client->Request("GET", "/healthz");
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    CHECK(json::parse(r->body)["status"] == "ok");
    CHECK(r->header("X-Request-Id") == "client-test-1");
  }
  // The request's own header replaces the default.
  auto own = client->Request("GET", "/healthz", {}, {{"X-Request-Id", "client-test-2"}});
  REQUIRE(own.ok());
  CHECK(own->header("x-request-id") == "client-test-2");
  auto unauthenticated = client->Request("GET", "/api/v1/users/me");
  REQUIRE(unauthenticated.ok());
  CHECK(unauthenticated->status == 401);
  CHECK(json::parse(unauthenticated->body)["error"]["code"] == "unauthenticated");
  // The server closes the idle connection after 1 s; the next request reconnects.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto later = client->Request("GET", "/healthz");
  INFO((later.ok() ? "" : later.status().ToString()) << "\n" << server.log());
  REQUIRE(later.ok());
  CHECK(later->status == 200);
}

TEST_CASE("quikctl --server: webhook create, list, deliveries, delete", "[cli][remote][webhooks]") {
  Served s;
  REQUIRE_EXIT(s.Admin({"workspace", "create", "Acme", "--slug", "acme"}), 0);
  const std::vector<std::string> create = {
      "webhook",  "create",   "--workspace", "acme", "https://93.184.216.34/hook",
      "--events", "message.*"};
  json hook = s.AdminJson(create);
  CHECK(hook["url"] == "https://93.184.216.34/hook");
  CHECK(hook.value("secret", "").rfind("whsec_", 0) == 0);
  const std::string id = hook["id"];
  s.RequireSameEverywhere({"webhook", "list", "--workspace", "acme"});
  s.RequireSameEverywhere({"webhook", "deliveries", id});

  // Bad input and refusals exit as locally.
  const std::vector<std::string> private_url = {
      "webhook", "create", "--workspace", "acme", "http://10.1.2.3/", "--events", "*"};
  REQUIRE_SAME(s.Local(private_url), s.Admin(private_url));
  REQUIRE_EXIT(s.Admin(private_url), 7);
  // Bob is no member (3); as a plain member he may not manage webhooks (5).
  REQUIRE_EXIT(s.Bob({"webhook", "list", "--workspace", "acme"}), 3);
  REQUIRE_EXIT(s.Bob({"webhook", "delete", "--yes", id}), 3);
  REQUIRE_EXIT(
      s.Local({"user", "set-role", "bob@remote.test", "--workspace", "acme", "--role", "member"}),
      0);
  REQUIRE_EXIT(s.Bob({"webhook", "list", "--workspace", "acme"}), 5);
  REQUIRE_EXIT(s.Bob(create), 5);

  REQUIRE_EXIT(s.Admin({"webhook", "delete", "--yes", id}), 0);
  CHECK(s.AdminJson({"webhook", "list", "--workspace", "acme"}).empty());
  REQUIRE_EXIT(s.Admin({"webhook", "delete", "--yes", id}), 3);
}

}  // namespace
