// SPDX-License-Identifier: MIT
// Presence over HTTP (CONTRACT.md section 2): PUT /users/me/presence and
// GET /workspaces/{id}/presence against the real server.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "integration/http_fixture.hpp"

namespace {

using quik_http::Api;
using quik_http::HttpFixture;
using quik_http::json;
using quik_http::Resp;

// Alice owns workspace "acme", Bob is a member of it, and Eve, in no
// workspace of theirs, owns "elsewhere".
struct Acme {
  HttpFixture fx;
  quik::User alice = fx.CreateUser("Alice");
  quik::User bob = fx.CreateUser("Bob");
  quik::User eve = fx.CreateUser("Eve");
  quik::Workspace ws = fx.CreateWorkspace(alice, "Acme", "acme");

  Acme() {
    fx.AddMember(ws, bob, quik::Role::kMember);
    fx.CreateWorkspace(eve, "Elsewhere", "elsewhere");
  }
  Api As(const quik::User& user) { return fx.Client(fx.Token(user)); }
};

Resp PutPresence(Api& api, const json& body) {
  return api.Send("PUT", "/users/me/presence", body.dump());
}

// user id -> the whole presence object, from a 200 list.
std::map<std::string, json> ByUser(const Resp& r) {
  INFO(r.Describe());
  REQUIRE(r.status == 200);
  std::map<std::string, json> out;
  for (const json& p : r.Items()) out[p.value("user_id", "")] = p;
  return out;
}

TEST_CASE("HTTP presence: a status set by one member is seen by another", "[http][presence]") {
  Acme t;
  const quik::User& alice = t.alice;
  const quik::User& bob = t.bob;
  Api as_alice = t.As(alice);
  Api as_bob = t.As(bob);

  // Before anyone sets anything: offline, never seen (no last_seen).
  auto before = ByUser(as_bob.Get("/workspaces/acme/presence"));
  REQUIRE(before.size() == 2);
  CHECK(before[alice.id]["status"] == "offline");
  CHECK_FALSE(before[alice.id].contains("last_seen"));

  Resp set = PutPresence(as_alice, {{"status", "dnd"}});
  INFO(set.Describe());
  REQUIRE(set.status == 200);
  CHECK(set.Json()["user_id"] == alice.id);
  CHECK(set.Json()["status"] == "dnd");
  const std::string last_seen = set.Json().value("last_seen", "");
  CHECK_THAT(last_seen, Catch::Matches(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"));

  Resp list = as_bob.Get("/workspaces/" + t.ws.id + "/presence");
  CHECK(list.Json().contains("items"));
  auto after = ByUser(list);
  CHECK(after[alice.id] ==
        json({{"user_id", alice.id}, {"status", "dnd"}, {"last_seen", last_seen}}));
  CHECK(after[bob.id]["status"] == "offline");

  // Online clears it again.
  CHECK(PutPresence(as_alice, {{"status", "online"}}).Json()["status"] == "online");
  CHECK(ByUser(as_bob.Get("/workspaces/acme/presence"))[alice.id]["status"] == "online");
}

TEST_CASE("HTTP presence: outsiders get 404, anonymous 401", "[http][presence]") {
  Acme t;
  Api as_eve = t.As(t.eve);

  for (const std::string& ref : {t.ws.id, std::string("acme")}) {
    Resp r = as_eve.Get("/workspaces/" + ref + "/presence");
    INFO(r.Describe());
    CHECK(r.status == 404);
    CHECK(r.code() == "not_found");
  }
  // The same answer as for a workspace that does not exist.
  Resp hidden = as_eve.Get("/workspaces/acme/presence");
  Resp missing = as_eve.Get("/workspaces/no-such/presence");
  CHECK(hidden.message() == "workspace 'acme' not found");
  CHECK(missing.message() == "workspace 'no-such' not found");

  Api anonymous = t.fx.Client();
  CHECK(anonymous.Get("/workspaces/acme/presence").status == 401);
  CHECK(PutPresence(anonymous, {{"status", "away"}}).status == 401);
}

TEST_CASE("HTTP presence: a bad status is 400 naming the accepted values", "[http][presence]") {
  Acme t;
  Api api = t.As(t.alice);
  for (const json& body : {json{{"status", "busy"}}, json{{"status", "AWAY"}}, json{{"status", 3}},
                           json::object(), json{{"state", "away"}}}) {
    Resp r = PutPresence(api, body);
    INFO(body.dump() << " -> " << r.Describe());
    CHECK(r.status == 400);
    CHECK(r.code() == "invalid_argument");
    CHECK(r.message() == R"(field 'status' must be "online", "away", "dnd" or "offline")");
  }
  Resp not_json = api.Send("PUT", "/users/me/presence", "away");
  CHECK(not_json.status == 400);
  CHECK(not_json.code() == "invalid_argument");
  // Nothing was stored.
  CHECK(REQUIRE_VALUE(t.fx.svc().presence().Get(quik::Actor::System(), t.alice.id)).last_seen == 0);
}

}  // namespace
