// SPDX-License-Identifier: MIT
// End-to-end flows over the HTTP API (CONTRACT.md section 2): a server started
// in-process and as `quikctl serve`, both on port 0 in temp dirs, driven by a
// real HTTP client.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/cli_harness.hpp"
#include "integration/http_fixture.hpp"

namespace {

using quik_http::Api;
using quik_http::HttpFixture;
using quik_http::json;
using quik_http::Resp;

std::vector<std::string> Ids(const json& items) {
  std::vector<std::string> out;
  for (const auto& m : items) out.push_back(m.value("id", ""));
  return out;
}

// Every page of GET TARGET (which has no query string of its own beyond
// `query`), following next_cursor; the items in order.
std::vector<std::string> AllPages(Api& api, const std::string& target, const std::string& query,
                                  int* pages) {
  std::vector<std::string> out;
  std::string cursor;
  *pages = 0;
  for (int guard = 0; guard < 100; ++guard) {
    Resp r = api.Get(target + "?" + query + (cursor.empty() ? "" : "&cursor=" + cursor));
    INFO(r.Describe());
    REQUIRE(r.status == 200);
    ++*pages;
    for (auto& id : Ids(r.Json()["items"])) out.push_back(id);
    cursor = r.Json().value("next_cursor", "");
    if (cursor.empty()) return out;
  }
  FAIL("pagination did not end");
  return out;
}

TEST_CASE("HTTP: open signup, workspace, channel, invite, messages, logout", "[http][flow]") {
  HttpFixture fx([](quik::Options& o) { o.auth.open_signup = true; });

  // Alice signs up on her own and builds a workspace.
  auto alice = fx.SignUp("alice@acme.test", "Alice", "alice-password");
  CHECK(alice.user["email"] == "alice@acme.test");
  CHECK(alice.user["name"] == "Alice");
  REQUIRE_FALSE(alice.token.empty());
  Api a = fx.Client(alice.token);

  Resp me = a.Get("/users/me");
  REQUIRE(me.status == 200);
  CHECK(me.Json()["id"] == alice.id());

  Resp ws = a.Post("/workspaces", {{"name", "Acme Inc"}, {"slug", "acme"}});
  REQUIRE(ws.status == 201);
  const std::string ws_id = ws.Json()["id"];
  CHECK(ws.Json()["slug"] == "acme");
  CHECK(a.Post("/workspaces", {{"name", "Other"}, {"slug", "acme"}}).code() == "conflict");

  Resp list = a.Get("/workspaces");
  REQUIRE(list.status == 200);
  REQUIRE(list.Json()["items"].size() == 1);
  CHECK(list.Json()["items"][0]["id"] == ws_id);

  // A new workspace has no channels; creating one makes the creator a member.
  CHECK(a.Get("/workspaces/" + ws_id + "/channels").Json()["items"].empty());
  Resp general = a.Post("/workspaces/" + ws_id + "/channels", {{"name", "general"}});
  REQUIRE(general.status == 201);
  const std::string ch = general.Json()["id"];
  CHECK(general.Json()["private"] == false);
  Resp ch_members = a.Get("/channels/" + ch + "/members");
  REQUIRE(ch_members.status == 200);
  REQUIRE(ch_members.Json()["items"].size() == 1);
  CHECK(ch_members.Json()["items"][0]["user_id"] == alice.id());

  // Bob signs up with an invite and lands in the workspace as a member.
  Resp invite = a.Post("/workspaces/" + ws_id + "/invites");
  REQUIRE(invite.status == 201);
  const std::string code = invite.Json().value("code", "");
  REQUIRE_FALSE(code.empty());
  auto bob = fx.SignUp("bob@acme.test", "Bob", "bob-password", code);
  Api b = fx.Client(bob.token);
  CHECK(b.Get("/workspaces/" + ws_id).status == 200);
  Resp members = a.Get("/workspaces/" + ws_id + "/members");
  REQUIRE(members.status == 200);
  std::map<std::string, std::string> roles;
  for (const auto& m : members.Items()) {
    roles[m["user_id"].get<std::string>()] = m["role"].get<std::string>();
  }
  CHECK(roles == std::map<std::string, std::string>{{alice.id(), "owner"}, {bob.id(), "member"}});

  // Bob sees the public channel and posting there joins him.
  CHECK(b.Get("/channels/" + ch).status == 200);
  Resp hi = b.Post("/channels/" + ch + "/messages", {{"text", "hi Alice"}});
  REQUIRE(hi.status == 201);
  CHECK(hi.Json()["user_id"] == bob.id());
  CHECK(hi.Json()["channel_id"] == ch);
  CHECK(hi.Json()["text"] == "hi Alice");
  CHECK(a.Get("/channels/" + ch + "/members").Json()["items"].size() == 2);

  Resp reply = a.Post("/channels/" + ch + "/messages", {{"text", "hello Bob"}});
  REQUIRE(reply.status == 201);
  Resp history = b.Get("/channels/" + ch + "/messages");
  REQUIRE(history.status == 200);
  CHECK(Ids(history.Json()["items"]) ==
        std::vector<std::string>{reply.Json()["id"], hi.Json()["id"]});

  // Edit: the author's own message; edited_at appears.
  const std::string hi_id = hi.Json()["id"];
  CHECK_FALSE(hi.Json().contains("edited_at"));
  Resp edited = b.Patch("/messages/" + hi_id, {{"text", "hi Alice!"}});
  REQUIRE(edited.status == 200);
  CHECK(edited.Json()["text"] == "hi Alice!");
  CHECK(edited.Json()["edited_at"].is_string());
  CHECK(a.Get("/messages/" + hi_id).Json()["text"] == "hi Alice!");

  // Delete: 204, then the message is a tombstone (text cleared, deleted_at
  // set) and is gone from the channel's history.
  Resp deleted = b.Delete("/messages/" + hi_id);
  CHECK(deleted.status == 204);
  CHECK(deleted.body.empty());
  Resp tomb = a.Get("/messages/" + hi_id);
  REQUIRE(tomb.status == 200);
  CHECK(tomb.Json()["text"] == "");
  CHECK(tomb.Json()["deleted_at"].is_string());
  CHECK(Ids(a.Get("/channels/" + ch + "/messages").Json()["items"]) ==
        std::vector<std::string>{reply.Json()["id"]});
  CHECK(b.Patch("/messages/" + hi_id, {{"text", "back"}}).status == 400);

  // Logout ends the session, and only that session.
  auto bob2 = fx.Login("bob@acme.test", "bob-password");
  CHECK(b.Post("/auth/logout").status == 204);
  Resp after = b.Get("/users/me");
  CHECK(after.status == 401);
  CHECK(after.code() == "unauthenticated");
  CHECK(b.Post("/auth/logout").status == 401);
  CHECK(fx.Client(bob2.token).Get("/users/me").status == 200);
}

TEST_CASE("HTTP: invite-only signup", "[http][flow]") {
  HttpFixture fx;  // auth.open_signup is off by default
  quik::User owner = fx.CreateUser("Owner");
  quik::Workspace ws = fx.CreateWorkspace(owner, "Acme", "acme");
  Api o = fx.Client(fx.Token(owner));
  Api anon = fx.Client();

  json carol = {{"email", "carol@acme.test"}, {"name", "Carol"}, {"password", "carol-password"}};
  Resp no_invite = anon.Post("/auth/signup", carol);
  CHECK(no_invite.status == 403);
  CHECK(no_invite.code() == "permission_denied");
  CHECK_THAT(no_invite.message(), Catch::Contains("invite"));

  json bad = carol;
  bad["invite"] = "not-a-real-code";
  Resp bad_invite = anon.Post("/auth/signup", bad);
  CHECK(bad_invite.status == 404);
  CHECK(bad_invite.code() == "not_found");
  // Neither attempt created the account.
  CHECK(anon.Post("/auth/login", {{"email", "carol@acme.test"}, {"password", "carol-password"}})
            .status == 401);

  Resp guest_invite = o.Post("/workspaces/acme/invites", {{"role", "guest"}});
  REQUIRE(guest_invite.status == 201);
  CHECK(guest_invite.Json()["role"] == "guest");
  CHECK(o.Post("/workspaces/acme/invites", {{"role", "admin"}}).status == 400);

  json with = carol;
  with["invite"] = guest_invite.Json()["code"];
  Resp joined = anon.Post("/auth/signup", with);
  REQUIRE(joined.status == 201);
  const std::string carol_id = joined.Json()["user"]["id"];
  Api c = fx.Client(joined.Json()["token"]);
  Resp member = o.Get("/workspaces/" + ws.id + "/members/" + carol_id);
  REQUIRE(member.status == 200);
  CHECK(member.Json()["role"] == "guest");
  CHECK(c.Get("/workspaces/" + ws.id).status == 200);

  // The invite was single-use (the default): it is spent.
  Resp spent = anon.Post("/auth/signup", with);
  CHECK(spent.status == 404);
  CHECK(spent.code() == "not_found");

  // Signing up again with the same email, through a fresh invite, is a conflict.
  Resp second_invite = o.Post("/workspaces/acme/invites", {{"role", "guest"}});
  REQUIRE(second_invite.status == 201);
  with["invite"] = second_invite.Json()["code"];
  Resp again = anon.Post("/auth/signup", with);
  CHECK(again.status == 409);
  CHECK(again.code() == "conflict");

  // An existing user accepts an invite.
  quik::User dave = fx.CreateUser("Dave");
  Api d = fx.Client(fx.Token(dave));
  CHECK(d.Get("/workspaces/" + ws.id).status == 404);
  Resp inv = o.Post("/workspaces/" + ws.id + "/invites");
  REQUIRE(inv.status == 201);
  Resp accepted = d.Post("/invites/" + inv.Json()["code"].get<std::string>() + "/accept");
  REQUIRE(accepted.status == 200);
  CHECK(accepted.Json()["role"] == "member");
  CHECK(d.Get("/workspaces/" + ws.id).status == 200);
  CHECK(d.Post("/invites/nope/accept").status == 404);
}

TEST_CASE("HTTP: message pagination", "[http][flow]") {
  HttpFixture fx;
  quik::User u = fx.CreateUser("Poster");
  quik::Workspace ws = fx.CreateWorkspace(u, "Acme", "acme");
  quik::Channel ch = fx.CreateChannel(u, ws, "general");
  Api api = fx.Client(fx.Token(u));

  std::vector<std::string> posted;  // oldest first
  for (int i = 0; i < 7; ++i) {
    Resp r = api.Post("/channels/" + ch.id + "/messages", {{"text", "m" + std::to_string(i)}});
    REQUIRE(r.status == 201);
    posted.push_back(r.Json()["id"]);
  }
  const std::vector<std::string> newest_first(posted.rbegin(), posted.rend());

  SECTION("pages of 3, newest first, next_cursor empty at the end") {
    Resp first = api.Get("/channels/" + ch.id + "/messages?limit=3");
    REQUIRE(first.status == 200);
    CHECK(Ids(first.Json()["items"]) ==
          std::vector<std::string>(newest_first.begin(), newest_first.begin() + 3));
    CHECK_FALSE(first.Json()["next_cursor"].get<std::string>().empty());
    int pages = 0;
    CHECK(AllPages(api, "/channels/" + ch.id + "/messages", "limit=3", &pages) == newest_first);
    CHECK(pages == 3);
    // An exact fit ends with an empty cursor too.
    Resp all = api.Get("/channels/" + ch.id + "/messages?limit=7");
    CHECK(Ids(all.Json()["items"]) == newest_first);
    CHECK(all.Json()["next_cursor"] == "");
  }
  SECTION("before and after take message ids") {
    Resp older = api.Get("/channels/" + ch.id + "/messages?before=" + posted[3]);
    REQUIRE(older.status == 200);
    CHECK(Ids(older.Json()["items"]) == std::vector<std::string>{posted[2], posted[1], posted[0]});
    Resp newer = api.Get("/channels/" + ch.id + "/messages?after=" + posted[4]);
    REQUIRE(newer.status == 200);
    CHECK(Ids(newer.Json()["items"]) == std::vector<std::string>{posted[6], posted[5]});
    Resp between =
        api.Get("/channels/" + ch.id + "/messages?after=" + posted[1] + "&before=" + posted[5]);
    CHECK(Ids(between.Json()["items"]) ==
          std::vector<std::string>{posted[4], posted[3], posted[2]});
    int pages = 0;
    CHECK(
        AllPages(api, "/channels/" + ch.id + "/messages", "limit=2&before=" + posted[5], &pages) ==
        std::vector<std::string>{posted[4], posted[3], posted[2], posted[1], posted[0]});
    CHECK(pages == 3);
  }
  SECTION("bad page parameters are 400") {
    for (const char* q : {"limit=0", "limit=-1", "limit=abc", "cursor=not-an-id", "before=zzz"}) {
      Resp r = api.Get("/channels/" + ch.id + "/messages?" + q);
      INFO(q << " -> " << r.Describe());
      CHECK(r.status == 400);
      CHECK(r.code() == "invalid_argument");
    }
  }
}

TEST_CASE("HTTP: client_msg_id makes a post idempotent", "[http][flow]") {
  HttpFixture fx;
  quik::User u = fx.CreateUser("Poster");
  quik::User v = fx.CreateUser("Other");
  quik::Workspace ws = fx.CreateWorkspace(u, "Acme", "acme");
  fx.AddMember(ws, v, quik::Role::kMember);
  quik::Channel ch = fx.CreateChannel(u, ws, "general");
  Api api = fx.Client(fx.Token(u));
  const std::string path = "/channels/" + ch.id + "/messages";

  Resp first = api.Post(path, {{"text", "once"}, {"client_msg_id", "c-1"}});
  REQUIRE(first.status == 201);
  CHECK(first.Json()["client_msg_id"] == "c-1");
  Resp repeat = api.Post(path, {{"text", "once"}, {"client_msg_id", "c-1"}});
  CHECK(repeat.status == 200);
  CHECK(repeat.Json() == first.Json());
  CHECK(Ids(api.Get(path).Json()["items"]) == std::vector<std::string>{first.Json()["id"]});

  // The key is per author: another user's identical key is a new message.
  Resp other = fx.Client(fx.Token(v)).Post(path, {{"text", "once"}, {"client_msg_id", "c-1"}});
  CHECK(other.status == 201);
  CHECK(other.Json()["id"] != first.Json()["id"]);
  CHECK(api.Get(path).Json()["items"].size() == 2);
}

TEST_CASE("HTTP: threads list replies oldest first", "[http][flow]") {
  HttpFixture fx;
  quik::User u = fx.CreateUser("Poster");
  quik::Workspace ws = fx.CreateWorkspace(u, "Acme", "acme");
  quik::Channel ch = fx.CreateChannel(u, ws, "general");
  Api api = fx.Client(fx.Token(u));
  const std::string path = "/channels/" + ch.id + "/messages";

  Resp root = api.Post(path, {{"text", "root"}});
  REQUIRE(root.status == 201);
  const std::string root_id = root.Json()["id"];
  std::vector<std::string> replies;
  for (int i = 0; i < 3; ++i) {
    Resp r = api.Post(path, {{"text", "reply " + std::to_string(i)}, {"thread_root_id", root_id}});
    REQUIRE(r.status == 201);
    CHECK(r.Json()["thread_root_id"] == root_id);
    replies.push_back(r.Json()["id"]);
  }
  // A reply to a reply joins the root's thread.
  Resp nested = api.Post(path, {{"text", "nested"}, {"thread_root_id", replies[0]}});
  REQUIRE(nested.status == 201);
  CHECK(nested.Json()["thread_root_id"] == root_id);
  replies.push_back(nested.Json()["id"]);

  Resp listed = api.Get("/messages/" + root_id + "/replies");
  REQUIRE(listed.status == 200);
  CHECK(Ids(listed.Json()["items"]) == replies);
  int pages = 0;
  CHECK(AllPages(api, "/messages/" + root_id + "/replies", "limit=3", &pages) == replies);
  CHECK(pages == 2);

  // The channel's history shows the root (with its count), not the replies.
  Resp history = api.Get(path);
  REQUIRE(history.Json()["items"].size() == 1);
  CHECK(history.Json()["items"][0]["id"] == root_id);
  CHECK(history.Json()["items"][0]["reply_count"] == 4);

  CHECK(api.Get("/messages/" + replies[1] + "/replies").status == 400);
  CHECK(api.Post(path, {{"text", "x"}, {"thread_root_id", quik_http::UnknownIdLike(root_id)}})
            .status == 400);
}

TEST_CASE("HTTP: DMs are idempotent on the set of people and private to them", "[http][flow]") {
  HttpFixture fx;
  quik::User a = fx.CreateUser("Ann");
  quik::User b = fx.CreateUser("Ben");
  quik::User c = fx.CreateUser("Cat");
  quik::User stranger = fx.CreateUser("Stranger");
  quik::Workspace ws = fx.CreateWorkspace(a, "Acme", "acme");
  fx.AddMember(ws, b, quik::Role::kMember);
  fx.AddMember(ws, c, quik::Role::kAdmin);
  Api api_a = fx.Client(fx.Token(a));
  Api api_b = fx.Client(fx.Token(b));
  Api api_c = fx.Client(fx.Token(c));
  const std::string dms = "/workspaces/" + ws.id + "/dms";

  Resp opened = api_a.Post(dms, {{"user_ids", json::array({b.id})}});
  REQUIRE(opened.status == 201);
  const std::string dm = opened.Json()["id"];
  CHECK(opened.Json()["kind"] == "dm");
  // The same pair, from the other side, in another order, by email: the same DM.
  Resp again = api_b.Post(dms, {{"user_ids", json::array({b.email, a.id})}});
  CHECK(again.status == 200);
  CHECK(again.Json()["id"] == dm);

  Resp msg = api_a.Post("/channels/" + dm + "/messages", {{"text", "psst"}});
  REQUIRE(msg.status == 201);
  CHECK(api_b.Get("/channels/" + dm + "/messages").Json()["items"].size() == 1);

  // A workspace member outside the DM (even an admin) cannot see it.
  for (const std::string& target :
       {"/channels/" + dm, "/channels/" + dm + "/messages", "/channels/" + dm + "/members",
        "/messages/" + msg.Json()["id"].get<std::string>()}) {
    Resp r = api_c.Get(target);
    INFO(target << " -> " << r.Describe());
    CHECK(r.status == 404);
    CHECK(r.code() == "not_found");
  }
  CHECK(api_c.Post("/channels/" + dm + "/messages", {{"text", "let me in"}}).status == 404);
  std::set<std::string> c_channels;
  for (const auto& ch : api_c.Get("/workspaces/" + ws.id + "/channels").Items()) {
    c_channels.insert(ch["id"]);
  }
  CHECK(c_channels.count(dm) == 0);
  std::set<std::string> a_channels;
  for (const auto& ch : api_a.Get("/workspaces/" + ws.id + "/channels").Items()) {
    a_channels.insert(ch["id"]);
  }
  CHECK(a_channels.count(dm) == 1);

  // A group DM, likewise idempotent in any order.
  Resp group = api_a.Post(dms, {{"user_ids", json::array({b.id, c.id})}});
  REQUIRE(group.status == 201);
  CHECK(group.Json()["kind"] == "group_dm");
  CHECK(group.Json()["id"] != dm);
  Resp group2 = api_c.Post(dms, {{"user_ids", json::array({b.id, a.id})}});
  CHECK(group2.status == 200);
  CHECK(group2.Json()["id"] == group.Json()["id"]);

  // DMs have fixed people.
  CHECK(api_a.Post("/channels/" + dm + "/members", {{"user_id", c.id}}).status == 400);
  CHECK(api_a.Post("/channels/" + dm + "/archive").status == 400);

  // Only members of the workspace: a non-member caller does not see the
  // workspace, and a non-member person is not found.
  Resp outside = fx.Client(fx.Token(stranger)).Post(dms, {{"user_ids", json::array({a.id})}});
  CHECK(outside.status == 404);
  Resp with_stranger = api_a.Post(dms, {{"user_ids", json::array({stranger.id})}});
  CHECK(with_stranger.status == 404);
  CHECK(with_stranger.code() == "not_found");
  CHECK(api_a.Post(dms, {{"user_ids", json::array()}}).status == 400);
  CHECK(api_a.Post(dms, json::object()).status == 400);
}

TEST_CASE("HTTP: request ids, request logs, health and metrics", "[http][flow]") {
  HttpFixture fx;
  quik::User u = fx.CreateUser("User");
  Api api = fx.Client(fx.Token(u));
  Api anon = fx.Client();
  Api root = fx.Root();

  SECTION("every response carries X-Request-Id, a client's own is echoed") {
    std::set<std::string> seen;
    for (Resp r : {api.Get("/users/me"), anon.Get("/users/me"), api.Get("/nope"),
                   api.Send("DELETE", "/users/me"), api.Post("/workspaces", json::object()),
                   root.Get("/healthz"), root.Get("/metrics"), root.Get("/elsewhere")}) {
      INFO(r.Describe());
      const std::string id = r.header("X-Request-Id");
      CHECK_FALSE(id.empty());
      CHECK(seen.insert(id).second);  // a fresh id each time
    }
    Resp echoed = api.Get("/users/me", {{"X-Request-Id", "req-abc.123:x_y"}});
    CHECK(echoed.header("X-Request-Id") == "req-abc.123:x_y");
    Resp echoed_error = anon.Get("/users/me", {{"X-Request-Id", "req-err-1"}});
    CHECK(echoed_error.status == 401);
    CHECK(echoed_error.header("X-Request-Id") == "req-err-1");
    // An id unfit for logs is replaced, not echoed.
    Resp replaced = api.Get("/users/me", {{"X-Request-Id", "has space\"quote"}});
    CHECK_FALSE(replaced.header("X-Request-Id").empty());
    CHECK(replaced.header("X-Request-Id") != "has space\"quote");
    Resp long_id = api.Get("/users/me", {{"X-Request-Id", std::string(200, 'a')}});
    CHECK(long_id.header("X-Request-Id") != std::string(200, 'a'));
  }

  SECTION("each request is one log line with its id, route, status and user") {
    api.Get("/users/me", {{"X-Request-Id", "log-ok-1"}});
    auto ok = fx.RequestLogs("log-ok-1");
    REQUIRE(ok.size() == 1);
    CHECK(ok[0]["level"] == "info");
    CHECK(ok[0]["method"] == "GET");
    CHECK(ok[0]["route"] == "/api/v1/users/me");
    CHECK(ok[0]["path"] == "/api/v1/users/me");
    CHECK(ok[0]["status"] == 200);
    CHECK(ok[0]["user_id"] == u.id);
    CHECK(ok[0]["remote"] == "127.0.0.1");
    CHECK(ok[0]["duration_ms"].is_number());

    Resp missing =
        api.Get("/workspaces/" + quik_http::UnknownIdLike(u.id), {{"X-Request-Id", "log-404"}});
    REQUIRE(missing.status == 404);
    auto nf = fx.RequestLogs("log-404");
    REQUIRE(nf.size() == 1);
    CHECK(nf[0]["route"] == "/api/v1/workspaces/{ws}");
    CHECK(nf[0]["status"] == 404);
    CHECK(nf[0]["error"]["code"] == "not_found");

    anon.Get("/no/such/route", {{"X-Request-Id", "log-unmatched"}});
    auto un = fx.RequestLogs("log-unmatched");
    REQUIRE(un.size() == 1);
    CHECK(un[0]["route"] == "unmatched");
    CHECK(un[0]["status"] == 404);
    CHECK_FALSE(un[0].contains("user_id"));
  }

  SECTION("health checks need no token") {
    Resp health = root.Get("/healthz");
    CHECK(health.status == 200);
    CHECK(health.Json()["status"] == "ok");
    Resp ready = root.Get("/readyz");
    CHECK(ready.status == 200);
    CHECK(ready.Json()["status"] == "ready");
    Resp post = root.Send("POST", "/healthz");
    CHECK(post.status == 405);
    CHECK_THAT(post.header("Allow"), Catch::Contains("GET"));
  }

  SECTION("/metrics is Prometheus text that counts requests by route") {
    REQUIRE(api.Get("/users/me").status == 200);
    REQUIRE(api.Get("/users/me").status == 200);
    REQUIRE(anon.Get("/users/me").status == 401);
    quik::Workspace ws = fx.CreateWorkspace(u, "Acme", "acme");  // a commit
    (void)ws;
    Resp m = root.Get("/metrics");
    REQUIRE(m.status == 200);
    CHECK_THAT(m.header("Content-Type"), Catch::StartsWith("text/plain"));
    const std::string& text = m.body;
    CHECK_THAT(text, Catch::Contains("# TYPE quik_http_requests_total counter"));
    CHECK_THAT(text,
               Catch::Contains("quik_http_requests_total{method=\"GET\",route=\"/api/v1/users/me\","
                               "status=\"200\"} 2\n"));
    CHECK_THAT(text,
               Catch::Contains("quik_http_requests_total{method=\"GET\",route=\"/api/v1/users/me\","
                               "status=\"401\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("quik_http_request_duration_seconds_bucket{method=\"GET\","
                                     "route=\"/api/v1/users/me\",le=\"+Inf\"} 3\n"));
    CHECK_THAT(text, Catch::Contains("quik_store_commit_duration_seconds_bucket{le=\"+Inf\"}"));
    // This scrape's own connection is open.
    std::smatch open;
    REQUIRE(std::regex_search(text, open, std::regex("\nquik_http_connections_open (\\d+)\n")));
    CHECK(std::stoi(open[1].str()) >= 1);
    std::smatch commits;
    REQUIRE(std::regex_search(text, commits,
                              std::regex("\nquik_store_commit_duration_seconds_count (\\d+)\n")));
    CHECK(std::stoi(commits[1].str()) >= 1);
    // Every sample line is "name{labels} value" or "name value".
    std::istringstream lines(text);
    std::string line;
    const std::regex sample(R"(^[a-z_]+(\{[^}]*\})? [0-9.e+\-]+$|^# (HELP|TYPE) .+$)");
    while (std::getline(lines, line)) {
      INFO(line);
      CHECK(std::regex_match(line, sample));
    }
  }
}

// ---- quikctl serve ------------------------------------------------------------

std::string StdoutUrl(const std::string& line) {
  std::smatch m;
  static const std::regex kLine(R"(^quik: listening on (http://127\.0\.0\.1:(\d+))$)");
  if (!std::regex_match(line, m, kLine)) return {};
  if (m[2].str() == "0") return {};
  return m[1].str();
}

// The JSON lines of `err` that have a "password" or "password_file" field.
std::vector<json> PasswordFileLines(const std::string& err) {
  std::vector<json> out;
  std::istringstream lines(err);
  std::string line;
  while (std::getline(lines, line)) {
    json j = json::parse(line, nullptr, false);
    if (j.is_object() && (j.contains("password") || j.contains("password_file"))) {
      out.push_back(j);
    }
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Waits up to `timeout` for `pred()`.
bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

TEST_CASE("quikctl serve: port 0, first-start admin, drain on SIGTERM", "[http][serve]") {
  quik_test::TempDir tmp("quik-serve");
  const std::filesystem::path data_dir = tmp.path() / "data";        // does not exist yet
  const std::string stdout_path = data_dir.string() + ".serve.out";  // cli_harness.hpp
  std::string admin_token;
  std::string first_line;
  {
    quik::testing::ServeProcess serve(data_dir);
    INFO(serve.log());
    const std::string out = ReadFile(stdout_path);
    first_line = out.substr(0, out.find('\n'));
    REQUIRE_FALSE(StdoutUrl(first_line).empty());
    CHECK(StdoutUrl(first_line) == serve.url());

    // The first start of an empty data dir made it and an instance admin,
    // whose password is in a 0600 file of the data dir; the log says where,
    // once, and never holds the password.
    auto secrets = PasswordFileLines(serve.log());
    REQUIRE(secrets.size() == 1);
    const std::string email = secrets[0].value("email", "");
    const std::filesystem::path password_file = data_dir / "initial-admin-password";
    CHECK(secrets[0].value("password_file", "") == password_file.string());
    CHECK_FALSE(secrets[0].contains("password"));
    std::string password = ReadFile(password_file.string());
    REQUIRE_FALSE(password.empty());
    CHECK(password.back() == '\n');
    password.pop_back();
    CHECK_FALSE(email.empty());
    CHECK(password.size() >= 8);
    CHECK(serve.log().find(password) == std::string::npos);
    CHECK((std::filesystem::status(password_file).permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
    CHECK(std::filesystem::exists(data_dir / "quik.db"));
    CHECK(std::filesystem::exists(data_dir / "quik.toml"));

    Api health(serve.url(), "", "");
    CHECK(health.Get("/healthz").status == 200);

    // The admin logs in while SIGTERM arrives: the login (two scrypt hashes at
    // the default cost) is in flight and still completes, then quikctl exits 0.
    auto client = quik::net::HttpClient::Connect(serve.url() + "/api/v1");
    REQUIRE(client.ok());
    REQUIRE(client->Request("GET", "/users/me").ok());  // the connection is up and idle
    auto login = std::async(std::launch::async, [&client, email, password] {
      return client->Request("POST", "/auth/login",
                             json({{"email", email}, {"password", password}}).dump());
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    const int code = serve.Stop();  // SIGTERM, then reaps it
    auto logged_in = login.get();
    INFO(logged_in.status().ToString());
    REQUIRE(logged_in.ok());
    INFO(logged_in->body);
    CHECK(logged_in->status == 200);
    json session = json::parse(logged_in->body, nullptr, false);
    CHECK(session["user"]["email"] == email);
    CHECK(session["user"]["is_admin"] == true);
    admin_token = session.value("token", "");
    INFO(serve.log());
    CHECK(code == 0);
    // Exactly one stdout line, whatever happened on stderr.
    CHECK(ReadFile(stdout_path) == first_line + "\n");
  }
  REQUIRE_FALSE(admin_token.empty());
  // ServeProcess would otherwise find the first run's listening line in these
  // before the new child truncates them.
  std::filesystem::remove(stdout_path);
  std::filesystem::remove(data_dir.string() + ".serve.err");
  {
    quik::testing::ServeProcess serve(data_dir);
    CHECK(PasswordFileLines(serve.log()).empty());
    const std::string out = ReadFile(stdout_path);
    CHECK(StdoutUrl(out.substr(0, out.find('\n'))) == serve.url());

    // The session of the first run is still valid: the data survived.
    Api admin(serve.url(), "/api/v1", admin_token);
    Resp me = admin.Get("/users/me");
    CHECK(me.status == 200);
    CHECK(me.Json()["is_admin"] == true);

    // SIGINT drains the same way.
    ::kill(serve.pid(), SIGINT);
    const bool stopped =
        WaitFor([&] { return serve.log().find("\"msg\":\"stopped\"") != std::string::npos; },
                std::chrono::seconds(20));
    INFO(serve.log());
    CHECK(stopped);
    CHECK(serve.Stop() == 0);
    CHECK(ReadFile(stdout_path) == out);  // still the one line
    CHECK(PasswordFileLines(serve.log()).empty());
  }
}

}  // namespace
