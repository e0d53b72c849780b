// SPDX-License-Identifier: MIT
// Accounts and invites over HTTP (issue 15): password hashing only after the
// cheap checks, on a bounded pool that answers 503 with Retry-After when
// full; signup and login rates per address; invites listed, revoked, limited
// and bound to an email, their codes never logged; password changes revoke
// tokens; tokens minted from a session need the password; members added by
// email without an account oracle; reactivation and instance admins.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <regex>
#include <string>
#include <thread>

#include "integration/http_fixture.hpp"
#include "service/context.hpp"

using quik_http::Api;
using quik_http::HttpFixture;
using quik_http::json;
using quik_http::Resp;

namespace {

// The value of one unlabelled sample in the /metrics text; -1 if absent.
double Metric(HttpFixture& fx, const std::string& name) {
  Resp m = fx.Root().Get("/metrics");
  std::smatch match;
  const std::regex line("(^|\n)" + name + " ([0-9.e+]+)\n");
  if (!std::regex_search(m.body, match, line)) return -1;
  return std::stod(match[2]);
}

// Occupies the server's hash pool until released (or destroyed).
class PoolHolder {
 public:
  explicit PoolHolder(HttpFixture& fx)
      : pool_(*quik::internal::ContextOf(fx.svc())->hash_pool), thread_([this] {
          (void)pool_.Run([this] {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return released_; });
          });
        }) {
    while (pool_.stats().running == 0) std::this_thread::yield();
  }
  ~PoolHolder() { Release(); }
  void Release() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  quik::auth::HashPool& pool_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  std::thread thread_;
};

json SignupBody(const std::string& email, const std::string& invite = "") {
  json body = {{"email", email}, {"name", "Someone"}, {"password", "long password"}};
  if (!invite.empty()) body["invite"] = invite;
  return body;
}

}  // namespace

TEST_CASE("HTTP accounts: bogus-invite signups never reach password hashing", "[http][accounts]") {
  HttpFixture fx([](quik::Options& o) { o.auth.signup_rate_per_address = 0; });
  Api anon = fx.Client();
  CHECK(Metric(fx, "quik_password_hashes_total") == 0);
  for (int i = 0; i < 20; ++i) {
    Resp r = anon.Post("/auth/signup", SignupBody("eve" + std::to_string(i) + "@x.test",
                                                  "bogus" + std::to_string(i)));
    CHECK(r.status == 404);
  }
  CHECK(anon.Post("/auth/signup", SignupBody("eve@x.test")).status == 403);  // no invite at all
  CHECK(Metric(fx, "quik_password_hashes_total") == 0);
  CHECK(Metric(fx, "quik_password_hashes_rejected_total") == 0);

  // POST /users and PUT /users/{id}/password by someone not allowed: no hash.
  quik::User alice = fx.CreateUser("Alice");
  quik::User bob = fx.CreateUser("Bob");
  quik::Workspace ws = fx.CreateWorkspace(alice, "Acme", "acme");
  fx.AddMember(ws, bob, quik::Role::kMember);
  Api b = fx.Client(fx.Token(bob));
  CHECK(b.Post("/users", {{"email", "new@x.test"}, {"name", "New"}, {"password", "long password"}})
            .status == 403);
  CHECK(b.Put("/users/" + alice.id + "/password", {{"password", "long password"}}).status == 403);
  CHECK(Metric(fx, "quik_password_hashes_total") == 0);
}

TEST_CASE("HTTP accounts: a full hash pool answers 503 with Retry-After", "[http][accounts]") {
  HttpFixture fx([](quik::Options& o) {
    o.auth.hash_threads = 1;
    o.auth.hash_queue = 0;
  });
  quik::User alice = fx.CreateUser("Alice", std::string("alice password"));
  Api anon = fx.Client();
  {
    PoolHolder hold(fx);
    Resp r = anon.Post("/auth/login", {{"email", alice.email}, {"password", "alice password"}});
    INFO(r.Describe());
    CHECK(r.status == 503);
    CHECK(r.code() == "unavailable");
    CHECK(r.header("Retry-After") == "5");  // every 503 says when (api::ErrorResponse)
    CHECK(Metric(fx, "quik_password_hashes_rejected_total") == 1);
  }
  CHECK(anon.Post("/auth/login", {{"email", alice.email}, {"password", "alice password"}}).status ==
        200);
}

TEST_CASE("HTTP accounts: logins waiting for a hash hold no request worker", "[http][accounts]") {
  HttpFixture fx([](quik::Options& o) {
    o.server.worker_threads = 1;  // the one thread for blocking writes
    o.server.auth_threads = 2;
    o.server.auth_queue = 0;
    o.auth.hash_threads = 1;
    o.auth.hash_queue = 8;
    o.auth.login_rate_per_address = 0;
  });
  quik::User alice = fx.CreateUser("Alice", std::string("alice password"));
  Api a = fx.Client(fx.Token(alice));
  auto login = [&fx, &alice](std::atomic<int>* status) {
    auto client = quik::net::HttpClient::Connect(fx.url() + "/api/v1");
    if (!client.ok()) return;
    auto r = client->Request("POST", "/auth/login",
                             json{{"email", alice.email}, {"password", "alice password"}}.dump());
    if (r.ok()) *status = r->status;
  };
  std::atomic<int> first{0}, second{0};
  std::jthread t1, t2;  // joined on the way out, even when a check throws
  {
    PoolHolder hold(fx);  // every hash waits behind this one
    t1 = std::jthread(login, &first);
    t2 = std::jthread(login, &second);
    // Both logins wait for their hash on the two auth threads...
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (Metric(fx, "quik_password_hashes_queued") < 2 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    REQUIRE(Metric(fx, "quik_password_hashes_queued") == 2);
    // ...a third finds the auth pool full: 503 at once, saying which settings.
    Resp third =
        fx.Client().Post("/auth/login", {{"email", alice.email}, {"password", "alice password"}});
    INFO(third.Describe());
    CHECK(third.status == 503);
    CHECK(third.header("Retry-After") == "5");
    CHECK(third.message().find("server.auth_threads") != std::string::npos);
    CHECK(Metric(fx, "quik_auth_requests_rejected_total") == 1);
    // ...and the one request worker still serves writes.
    CHECK(a.Patch("/users/me", {{"name", "Alice A."}}).status == 200);
    CHECK(first == 0);
    CHECK(second == 0);
  }
  t1.join();
  t2.join();
  CHECK(first == 200);
  CHECK(second == 200);
  CHECK(Metric(fx, "quik_auth_requests_total") == 2);
  // Alice's creation, the holder's and one per login: a user with a password
  // costs no dummy hash (that is for unknown emails).
  CHECK(Metric(fx, "quik_password_hashes_total") == 4);
}

TEST_CASE("HTTP accounts: signups and logins are rate-limited per address", "[http][accounts]") {
  HttpFixture fx([](quik::Options& o) {
    o.auth.signup_rate_per_address = 2;
    o.auth.login_rate_per_address = 3;
  });
  Api anon = fx.Client();
  for (int i = 0; i < 2; ++i)
    CHECK(anon.Post("/auth/signup", SignupBody("x@x.test")).status == 403);
  Resp limited = anon.Post("/auth/signup", SignupBody("x@x.test"));
  CHECK(limited.status == 429);
  CHECK(limited.code() == "rate_limited");
  CHECK_FALSE(limited.header("Retry-After").empty());

  quik::User alice = fx.CreateUser("Alice", std::string("alice password"));
  for (int i = 0; i < 3; ++i) {
    CHECK(
        anon.Post("/auth/login", {{"email", alice.email}, {"password", "alice password"}}).status ==
        200);
  }
  Resp login = anon.Post("/auth/login", {{"email", alice.email}, {"password", "alice password"}});
  CHECK(login.status == 429);
  CHECK_FALSE(login.header("Retry-After").empty());
}

TEST_CASE("HTTP accounts: invites are listed, limited, bound and revoked", "[http][accounts]") {
  HttpFixture fx;
  quik::User owner = fx.CreateUser("Owner");
  quik::User member = fx.CreateUser("Member");
  quik::Workspace ws = fx.CreateWorkspace(owner, "Acme", "acme");
  fx.AddMember(ws, member, quik::Role::kMember);
  Api o = fx.Client(fx.Token(owner));
  Api m = fx.Client(fx.Token(member));
  Api anon = fx.Client();

  Resp single = o.Post("/workspaces/acme/invites");
  REQUIRE(single.status == 201);
  CHECK(single.Json()["max_uses"] == 1);
  CHECK(single.Json()["uses"] == 0);
  Resp two = o.Post("/workspaces/acme/invites", {{"max_uses", 2}, {"ttl", "2h"}});
  REQUIRE(two.status == 201);
  CHECK(two.Json()["max_uses"] == 2);
  Resp bound = o.Post("/workspaces/acme/invites", {{"email", "Carol@X.test"}});
  REQUIRE(bound.status == 201);
  CHECK(bound.Json()["email"] == "carol@x.test");
  CHECK(o.Post("/workspaces/acme/invites", {{"max_uses", 0}}).status == 400);
  CHECK(o.Post("/workspaces/acme/invites", {{"max_uses", "2"}}).status == 400);
  CHECK(o.Post("/workspaces/acme/invites", {{"ttl", "forever"}}).status == 400);

  const std::string single_code = single.Json()["code"];
  CHECK(anon.Post("/auth/signup", SignupBody("a@x.test", single_code)).status == 201);
  Resp used_up = anon.Post("/auth/signup", SignupBody("b@x.test", single_code));
  CHECK(used_up.status == 404);
  CHECK_THAT(used_up.message(), Catch::Contains("used up"));

  Resp wrong_email = anon.Post("/auth/signup", SignupBody("mallory@x.test", bound.Json()["code"]));
  CHECK(wrong_email.status == 403);
  CHECK(anon.Post("/auth/signup", SignupBody("carol@x.test", bound.Json()["code"])).status == 201);

  Resp list = o.Get("/workspaces/acme/invites");
  REQUIRE(list.status == 200);
  json items = list.Items();
  REQUIRE(items.size() == 3);
  for (const auto& i : items) CHECK_FALSE(i.contains("code"));
  CHECK(m.Get("/workspaces/acme/invites").status == 403);
  CHECK(fx.Client(fx.Token(fx.CreateUser("Outsider"))).Get("/workspaces/acme/invites").status ==
        404);

  const std::string two_id = two.Json()["id"];
  CHECK(m.Delete("/workspaces/acme/invites/" + two_id).status == 403);
  CHECK(o.Delete("/workspaces/acme/invites/" + two_id).status == 204);
  CHECK(o.Delete("/workspaces/acme/invites/" + two_id).status == 204);
  CHECK(o.Delete("/workspaces/acme/invites/nope").status == 404);
  CHECK(anon.Post("/auth/signup", SignupBody("late@x.test", two.Json()["code"])).status == 404);
  for (const auto& i : o.Get("/workspaces/acme/invites").Items()) {
    if (i["id"] == two_id) CHECK(i.contains("revoked_at"));
  }
}

TEST_CASE("HTTP accounts: invite codes never reach the request log", "[http][accounts]") {
  HttpFixture fx;
  quik::User owner = fx.CreateUser("Owner");
  quik::User dave = fx.CreateUser("Dave");
  fx.CreateWorkspace(owner, "Acme", "acme");
  Api o = fx.Client(fx.Token(owner));
  const std::string code = o.Post("/workspaces/acme/invites", {{"max_uses", 5}}).Json()["code"];
  Api d = fx.Client(fx.Token(dave));
  Resp accepted = d.Post("/invites/" + code + "/accept");
  CHECK(accepted.status == 200);
  Resp wrong_method = d.Get("/invites/" + code + "/accept");
  CHECK(wrong_method.status == 405);
  Resp unknown_route = d.Post("/invites/" + code + "/nothing");
  CHECK(unknown_route.status == 404);
  CHECK(fx.Client().Post("/auth/signup", SignupBody("e@x.test", code)).status == 201);

  bool saw_accept = false;
  for (const std::string& line : fx.LogLines()) {
    INFO(line);
    CHECK(line.find(code) == std::string::npos);
    if (line.find("/api/v1/invites/{code}/accept") != std::string::npos) saw_accept = true;
  }
  CHECK(saw_accept);
}

TEST_CASE("HTTP accounts: password changes and resets revoke API tokens", "[http][accounts]") {
  HttpFixture fx;
  quik::User alice = fx.CreateUser("Alice", std::string("alice password"));
  quik::User root = fx.CreateUser("Root", std::string("root password"));
  REQUIRE(fx.svc().users().SetAdmin(quik::Actor::System(), root.id, true).ok());
  auto here = fx.Login(alice.email, "alice password");
  auto there = fx.Login(alice.email, "alice password");
  const std::string api_token = fx.Token(alice);
  Api a = fx.Client(here.token);

  CHECK(a.Put("/users/me/password",
              {{"current_password", "alice password"}, {"password", "second password"}})
            .status == 204);
  CHECK(a.Get("/users/me").status == 200);  // the session that changed it
  CHECK(fx.Client(there.token).Get("/users/me").status == 401);
  CHECK(fx.Client(api_token).Get("/users/me").status == 401);

  // An admin's reset: nothing of Alice's works afterwards.
  const std::string api2 = fx.Token(alice);
  Api r = fx.Client(fx.Token(root));
  CHECK(r.Put("/users/" + alice.id + "/password", {{"password", "third password"}}).status == 204);
  CHECK(a.Get("/users/me").status == 401);
  CHECK(fx.Client(api2).Get("/users/me").status == 401);
  fx.Login(alice.email, "third password");
}

TEST_CASE("HTTP accounts: minting an API token from a login session needs the password",
          "[http][accounts]") {
  HttpFixture fx;
  quik::User alice = fx.CreateUser("Alice", std::string("alice password"));
  auto session = fx.Login(alice.email, "alice password");
  Api s = fx.Client(session.token);
  Resp bare = s.Post("/tokens", {{"name", "ci"}});
  CHECK(bare.status == 403);
  CHECK_THAT(bare.message(), Catch::Contains("password"));
  CHECK(s.Post("/tokens", {{"name", "ci"}, {"password", "wrong password"}}).status == 403);
  Resp minted = s.Post("/tokens", {{"name", "ci"}, {"password", "alice password"}});
  REQUIRE(minted.status == 201);
  // With an API token, no password is asked.
  Api t = fx.Client(minted.Json()["token"]);
  CHECK(t.Post("/tokens", {{"name", "ci2"}}).status == 201);
}

TEST_CASE("HTTP accounts: adding a member by email is no account oracle", "[http][accounts]") {
  HttpFixture fx;
  quik::User owner = fx.CreateUser("Owner");
  quik::User peer = fx.CreateUser("Peer");
  quik::User stranger = fx.CreateUser("Stranger");
  quik::Workspace ws = fx.CreateWorkspace(owner, "Acme", "acme");
  quik::Workspace side = fx.CreateWorkspace(owner, "Side", "side");
  fx.AddMember(side, peer, quik::Role::kMember);
  Api o = fx.Client(fx.Token(owner));

  Resp known = o.Post("/workspaces/acme/members", {{"email", stranger.email}});
  Resp unknown = o.Post("/workspaces/acme/members", {{"email", "nobody@x.test"}});
  INFO(known.Describe() << "\n" << unknown.Describe());
  CHECK(known.status == 202);
  CHECK(unknown.status == 202);
  // The same shape: only ids, times, the code and the address itself differ.
  auto shape = [](json j) {
    for (const char* k : {"id", "created_at", "expires_at", "code", "email"}) j["invite"].erase(k);
    return j;
  };
  CHECK(shape(known.Json()) == shape(unknown.Json()));
  CHECK(known.Json()["status"] == "invited");
  CHECK(known.Json()["invite"]["max_uses"] == 1);

  // Someone the caller already shares a workspace with is added at once.
  Resp added = o.Post("/workspaces/acme/members", {{"email", peer.email}});
  CHECK(added.status == 201);
  CHECK(added.Json()["user_id"] == peer.id);
  CHECK(o.Post("/workspaces/acme/members", {{"email", peer.email}}).status == 409);

  // The stranger joins with the code the owner passed on.
  Api st = fx.Client(fx.Token(stranger));
  CHECK(
      st.Post("/invites/" + known.Json()["invite"]["code"].get<std::string>() + "/accept").status ==
      200);
}

TEST_CASE("HTTP accounts: instance admins reactivate users and set admins", "[http][accounts]") {
  HttpFixture fx;
  quik::User root = fx.CreateUser("Root", std::string("root password"));
  REQUIRE(fx.svc().users().SetAdmin(quik::Actor::System(), root.id, true).ok());
  quik::User alice = fx.CreateUser("Alice", std::string("alice password"));
  quik::Workspace ws = fx.CreateWorkspace(root, "Acme", "acme");
  fx.AddMember(ws, alice, quik::Role::kAdmin);
  Api r = fx.Client(fx.Token(root));

  CHECK(r.Post("/users/" + alice.id + "/deactivate").status == 200);
  Resp back = r.Post("/users/" + alice.id + "/reactivate");
  REQUIRE(back.status == 200);
  CHECK(back.Json()["active"] == true);
  fx.Login(alice.email, "alice password");

  Api a2 = fx.Client(fx.Token(alice));
  CHECK(a2.Post("/users/" + root.id + "/reactivate").status == 403);
  CHECK(a2.Put("/users/" + alice.id + "/admin", {{"is_admin", true}}).status == 403);
  CHECK(r.Put("/users/" + alice.id + "/admin", {}).status == 400);
  Resp made = r.Put("/users/" + alice.id + "/admin", {{"is_admin", true}});
  REQUIRE(made.status == 200);
  CHECK(made.Json()["is_admin"] == true);
  CHECK(a2.Put("/users/" + root.id + "/admin", {{"is_admin", false}}).status == 200);
  Resp last = a2.Put("/users/" + alice.id + "/admin", {{"is_admin", false}});
  CHECK(last.status == 403);
  CHECK_THAT(last.message(), Catch::Contains("last"));
}
