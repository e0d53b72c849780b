// SPDX-License-Identifier: MIT
// Notifications and preferences end to end: a real server on 127.0.0.1:0, its
// notifier worker, the HTTP API and real WebSocket clients.
#include <thread>

#include "integration/http_fixture.hpp"
#include "integration/ws_connect.hpp"
#include "testing/ws_client.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using quik_http::Api;
using quik_http::HttpFixture;
using quik_testing::WsClient;

// #general (alice, bob, carol, dave), private #secret (alice, bob), and erin,
// a workspace member in no channel.
struct Room {
  explicit Room(HttpFixture& fx)
      : alice(fx.CreateUser("Alice")),
        bob(fx.CreateUser("Bob")),
        carol(fx.CreateUser("Carol")),
        dave(fx.CreateUser("Dave")),
        ws(fx.CreateWorkspace(alice, "Acme", "acme")) {
    for (const auto* u : {&bob, &carol, &dave}) fx.AddMember(ws, *u, quik::Role::kMember);
    general = fx.CreateChannel(alice, ws, "general");
    for (const auto* u : {&bob, &carol, &dave}) fx.AddChannelMember(general, *u);
    secret = fx.CreateChannel(alice, ws, "secret", /*is_private=*/true);
    fx.AddChannelMember(secret, bob);
  }
  quik::User alice, bob, carol, dave;
  quik::Workspace ws;
  quik::Channel general, secret;
};

std::unique_ptr<WsClient> Connect(HttpFixture& fx, const std::string& token,
                                  const std::string& query = "") {
  auto ws = quik_http::ConnectWs(fx, token, query);
  auto hello = ws->Next();
  REQUIRE(hello);
  REQUIRE((*hello)["type"] == "hello");
  return ws;
}

// The next frame of `type` within `timeout` (others are skipped); null if none.
json NextOfType(WsClient& ws, const std::string& type, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) return nullptr;
    auto f = ws.Next(left);
    if (!f) return nullptr;
    if ((*f)["type"] == type) return *f;
  }
}

std::string Post(Api& api, const std::string& channel_id, const std::string& text,
                 const std::string& thread_root_id = "") {
  json body = {{"text", text}};
  if (!thread_root_id.empty()) body["thread_root_id"] = thread_root_id;
  auto r = api.Post("/channels/" + channel_id + "/messages", body);
  INFO(r.Describe());
  REQUIRE(r.status == 201);
  return r.Json()["id"];
}

std::string OpenDm(Api& api, const std::string& ws_id, const std::vector<std::string>& user_ids) {
  auto r = api.Post("/workspaces/" + ws_id + "/dms", {{"user_ids", user_ids}});
  INFO(r.Describe());
  REQUIRE((r.status == 200 || r.status == 201));
  return r.Json()["id"];
}

// The user's notifications (newest first), polled until one is about
// `message_id`: the notifier works after the post returns.
json WaitForNotification(Api& api, const std::string& message_id) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  for (;;) {
    auto r = api.Get("/users/me/notifications?limit=100");
    REQUIRE(r.status == 200);
    json items = r.Items();
    for (const auto& n : items) {
      if (n["message_id"] == message_id) return items;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      FAIL("no notification about " << message_id << " in " << items.dump());
    }
    std::this_thread::sleep_for(20ms);
  }
}

bool Mentions(const json& items, const std::string& message_id) {
  for (const auto& n : items) {
    if (n["message_id"] == message_id) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a mentioned user gets notification.created live and others get none", "[notify]") {
  HttpFixture fx;
  Room room(fx);
  auto bob_ws = Connect(fx, fx.Token(room.bob));
  auto carol_ws = Connect(fx, fx.Token(room.carol));
  auto alice_ws = Connect(fx, fx.Token(room.alice));
  auto alice = fx.Client(fx.Token(room.alice));

  const std::string msg = Post(alice, room.general.id, "hey @bob, can you look at the deploy?");
  json n = NextOfType(*bob_ws, "notification.created");
  INFO(n.dump());
  REQUIRE(n.is_object());
  CHECK(n["seq"].get<std::int64_t>() > 0);
  CHECK(n["workspace_id"] == room.ws.id);
  CHECK(n["channel_id"] == room.general.id);
  const json& d = n["data"];
  CHECK(d["user_id"] == room.bob.id);
  CHECK(d["message_id"] == msg);
  CHECK(d["reason"] == "mention");
  CHECK(d["actor_id"] == room.alice.id);
  CHECK(d["excerpt"] == "hey @bob, can you look at the deploy?");
  CHECK(d["read"] == false);
  CHECK_FALSE(d.contains("read_at"));

  // A DM to carol: the first notification she sees is that one, so the
  // mention of bob (handled before it) gave her none.
  const std::string dm = OpenDm(alice, room.ws.id, {room.carol.id});
  const std::string dm_msg = Post(alice, dm, "lunch?");
  json c = NextOfType(*carol_ws, "notification.created");
  INFO(c.dump());
  REQUIRE(c.is_object());
  CHECK(c["data"]["message_id"] == dm_msg);
  CHECK(c["data"]["reason"] == "dm");
  CHECK(c["data"]["user_id"] == room.carol.id);
  // Bob sees no notification of carol's, and the author none at all.
  CHECK(NextOfType(*bob_ws, "notification.created", 300ms).is_null());
  CHECK(NextOfType(*alice_ws, "notification.created", 300ms).is_null());
}

TEST_CASE("an offline user finds notifications after reconnecting and marks them read",
          "[notify]") {
  HttpFixture fx;
  Room room(fx);
  const std::string dave_token = fx.Token(room.dave);
  std::int64_t cursor = 0;
  {
    WsClient::Options o;
    o.token = dave_token;
    auto ws = WsClient::Connect(fx.port(), o);
    REQUIRE(ws->ok());
    auto hello = ws->Next();
    REQUIRE(hello);
    cursor = (*hello)["seq"];
  }
  auto alice = fx.Client(fx.Token(room.alice));
  const std::string m1 = Post(alice, room.general.id, "@Dave please review");
  const std::string m2 = Post(alice, room.general.id, "thanks <@" + room.dave.id + ">!");

  auto dave = fx.Client(dave_token);
  json items = WaitForNotification(dave, m2);
  REQUIRE(items.size() == 2);
  CHECK(items[0]["message_id"] == m2);  // newest first
  CHECK(items[1]["message_id"] == m1);
  CHECK(items[1]["reason"] == "mention");

  // Resuming from before, the stream replays both, to dave alone.
  auto ws = Connect(fx, dave_token, "after=" + std::to_string(cursor));
  json first = NextOfType(*ws, "notification.created");
  REQUIRE(first.is_object());
  CHECK(first["data"]["message_id"] == m1);
  CHECK(NextOfType(*ws, "notification.created")["data"]["message_id"] == m2);

  // Paging.
  auto page = dave.Get("/users/me/notifications?limit=1");
  REQUIRE(page.status == 200);
  REQUIRE(page.Items().size() == 1);
  const std::string next = page.Json()["next_cursor"];
  REQUIRE_FALSE(next.empty());
  auto page2 = dave.Get("/users/me/notifications?limit=1&cursor=" + next);
  REQUIRE(page2.Items().size() == 1);
  CHECK(page2.Items()[0]["message_id"] == m1);

  // Mark one read: the unread filter drops it, and a notification.read event follows.
  const std::string id1 = items[1]["id"];
  auto marked = dave.Post("/users/me/notifications/read", {{"ids", {id1}}});
  INFO(marked.Describe());
  REQUIRE(marked.status == 200);
  CHECK(marked.Json()["marked_read"] == 1);
  json read = NextOfType(*ws, "notification.read");
  REQUIRE(read.is_object());
  CHECK(read["data"]["ids"] == json::array({id1}));
  auto unread = dave.Get("/users/me/notifications?unread=true");
  REQUIRE(unread.Items().size() == 1);
  CHECK(unread.Items()[0]["message_id"] == m2);
  auto all = dave.Get("/users/me/notifications");
  CHECK(all.Items()[1]["read"] == true);
  CHECK(all.Items()[1].contains("read_at"));
  // Again: nothing changes.
  CHECK(dave.Post("/users/me/notifications/read", {{"ids", {id1}}}).Json()["marked_read"] == 0);
  // Someone else's ids are ignored.
  auto bob = fx.Client(fx.Token(room.bob));
  CHECK(
      bob.Post("/users/me/notifications/read", {{"ids", {items[0]["id"]}}}).Json()["marked_read"] ==
      0);
  // All.
  CHECK(dave.Post("/users/me/notifications/read", {{"all", true}}).Json()["marked_read"] == 1);
  CHECK(dave.Get("/users/me/notifications?unread=true").Items().empty());

  // Bad input.
  CHECK(dave.Post("/users/me/notifications/read", json::object()).status == 400);
  CHECK(dave.Post("/users/me/notifications/read", {{"ids", {"nope"}}}).status == 400);
  std::vector<std::string> many(501, id1);
  CHECK(dave.Post("/users/me/notifications/read", {{"ids", many}}).status == 400);
  CHECK(dave.Get("/users/me/notifications?unread=maybe").status == 400);
  CHECK(dave.Get("/users/me/notifications?cursor=bad").status == 400);
  CHECK(dave.Get("/users/me/notifications?limit=0").status == 400);
  CHECK(fx.Client().Get("/users/me/notifications").status == 401);
}

TEST_CASE("a non-member of a private channel is never notified, even @named", "[notify]") {
  HttpFixture fx;
  Room room(fx);
  auto alice = fx.Client(fx.Token(room.alice));
  auto dave = fx.Client(fx.Token(room.dave));
  auto dave_ws = Connect(fx, fx.Token(room.dave));
  const std::string secret_msg =
      Post(alice, room.secret.id, "@dave and <@" + room.dave.id + "> @channel: the numbers");
  const std::string dm = OpenDm(alice, room.ws.id, {room.dave.id});
  const std::string sentinel = Post(alice, dm, "ping");
  json items = WaitForNotification(dave, sentinel);
  CHECK(items.size() == 1);
  CHECK_FALSE(Mentions(items, secret_msg));
  // His stream's first notification is the DM's.
  CHECK(NextOfType(*dave_ws, "notification.created")["data"]["message_id"] == sentinel);
  // Bob, a member, got the @channel.
  auto bob = fx.Client(fx.Token(room.bob));
  json bobs = WaitForNotification(bob, secret_msg);
  CHECK(bobs[0]["reason"] == "channel_mention");
}

TEST_CASE("mute, DND, keywords, levels and followed threads decide who is notified", "[notify]") {
  // 2026-01-15T17:00:00Z, noon in New York: inside the DND schedule below.
  auto clock = std::make_shared<quik::ManualClock>(1768496400000);
  HttpFixture fx([&](quik::Options& o) { o.clock = clock; });
  Room room(fx);
  auto alice = fx.Client(fx.Token(room.alice));
  auto bob = fx.Client(fx.Token(room.bob));
  auto carol = fx.Client(fx.Token(room.carol));
  auto dave = fx.Client(fx.Token(room.dave));
  const std::string dm_bob = OpenDm(alice, room.ws.id, {room.bob.id});
  const std::string dm_carol = OpenDm(alice, room.ws.id, {room.carol.id});
  const std::string dm_dave = OpenDm(alice, room.ws.id, {room.dave.id});
  // The notifier reads preferences when it handles a message: before changing
  // them again, wait until it has handled what came before (a DM to erin).
  quik::User erin_user = fx.CreateUser("Erin");
  fx.AddMember(room.ws, erin_user, quik::Role::kMember);
  auto erin = fx.Client(fx.Token(erin_user));
  const std::string dm_erin = OpenDm(alice, room.ws.id, {erin_user.id});
  auto settle = [&] { WaitForNotification(erin, Post(alice, dm_erin, "tick")); };

  // Bob mutes #general; carol snoozes; dave watches a keyword.
  auto r = bob.Patch("/users/me/preferences", {{"muted_channels", {room.general.id}}});
  INFO(r.Describe());
  REQUIRE(r.status == 200);
  r = carol.Patch("/users/me/preferences", {{"dnd_until", "2999-01-01T00:00:00Z"}});
  REQUIRE(r.status == 200);
  CHECK(r.Json()["dnd_active"] == true);
  r = dave.Patch("/users/me/preferences", {{"keywords", {"Outage"}}});
  REQUIRE(r.status == 200);

  const std::string all_hands = Post(alice, room.general.id, "@channel all hands at 3");
  const std::string to_carol = Post(alice, room.general.id, "@carol are you there?");
  const std::string outage = Post(alice, room.general.id, "the OUTAGE is over");
  const std::string bob_direct = Post(alice, room.general.id, "@bob this one is for you");

  // Bob: muted #general keeps only his direct mention.
  json b = WaitForNotification(bob, bob_direct);
  CHECK_FALSE(Mentions(b, all_hands));
  CHECK(b[0]["reason"] == "mention");
  // Dave: @channel and his keyword.
  json d = WaitForNotification(dave, outage);
  CHECK(Mentions(d, all_hands));
  for (const auto& n : d) {
    if (n["message_id"] == outage) CHECK(n["reason"] == "keyword");
  }
  // Carol, snoozed: nothing, not even a DM; then she clears the snooze.
  const std::string dm_while_snoozed = Post(alice, dm_carol, "urgent?");
  settle();
  r = carol.Patch("/users/me/preferences", {{"dnd_until", nullptr}});
  REQUIRE(r.status == 200);
  CHECK(r.Json()["dnd_active"] == false);
  CHECK_FALSE(r.Json().contains("dnd_until"));
  const std::string after_snooze = Post(alice, dm_carol, "back?");
  json c = WaitForNotification(carol, after_snooze);
  CHECK(c.size() == 1);
  CHECK_FALSE(Mentions(c, to_carol));
  CHECK_FALSE(Mentions(c, dm_while_snoozed));

  // A DND schedule in the user's time zone: it is noon there.
  r = carol.Patch("/users/me/preferences",
                  {{"time_zone", "America/New_York"},
                   {"dnd", {{"enabled", true}, {"start", "09:00"}, {"end", "13:00"}}}});
  REQUIRE(r.status == 200);
  CHECK(r.Json()["dnd_active"] == true);
  const std::string during_dnd = Post(alice, dm_carol, "still there?");
  settle();
  r = carol.Patch("/users/me/preferences", {{"dnd", {{"enabled", false}}}});
  REQUIRE(r.status == 200);
  CHECK(r.Json()["time_zone"] == "America/New_York");  // merge: kept
  CHECK(r.Json()["dnd"]["start"] == "09:00");
  const std::string after_dnd = Post(alice, dm_carol, "ok");
  c = WaitForNotification(carol, after_dnd);
  CHECK_FALSE(Mentions(c, during_dnd));

  // Level "none": not even a DM. Level "all": every message.
  REQUIRE(dave.Patch("/users/me/preferences", {{"notify", "none"}}).status == 200);
  const std::string dm_none = Post(alice, dm_dave, "hello?");
  settle();
  REQUIRE(dave.Patch("/users/me/preferences", {{"notify", "all"}}).status == 200);
  const std::string plain = Post(alice, room.general.id, "just chatting");
  d = WaitForNotification(dave, plain);
  CHECK_FALSE(Mentions(d, dm_none));
  CHECK(d[0]["reason"] == "message");

  // A followed thread: bob replies to alice's root; of carol's reply alice
  // (who wrote the root) is notified, and bob (who replied) would be, but
  // #general is muted for him.
  REQUIRE(dave.Patch("/users/me/preferences", {{"notify", nullptr}}).status == 200);
  const std::string root = Post(alice, room.general.id, "thread: release plan");
  Post(bob, room.general.id, "I can take it", root);
  const std::string reply = Post(carol, room.general.id, "me too", root);
  json a = WaitForNotification(alice, reply);
  for (const auto& n : a) {
    if (n["message_id"] == reply) {
      CHECK(n["reason"] == "thread_reply");
      CHECK(n["thread_root_id"] == root);
    }
  }
  const std::string sentinel = Post(alice, dm_bob, "done");
  b = WaitForNotification(bob, sentinel);
  CHECK_FALSE(Mentions(b, reply));
  // Bob unmutes: now he follows the thread.
  settle();
  REQUIRE(bob.Patch("/users/me/preferences", {{"muted_channels", json::array()}}).status == 200);
  const std::string reply2 = Post(carol, room.general.id, "and me", root);
  b = WaitForNotification(bob, reply2);
  CHECK(b[0]["reason"] == "thread_reply");
}

TEST_CASE("a deactivated user is not notified", "[notify]") {
  HttpFixture fx;
  Room room(fx);
  auto alice = fx.Client(fx.Token(room.alice));
  auto bob = fx.Client(fx.Token(room.bob));
  REQUIRE_VALUE(fx.svc().users().Deactivate(quik::Actor::System(), room.carol.id));
  const std::string msg = Post(alice, room.general.id, "@carol @bob hello");
  WaitForNotification(bob, msg);
  auto rows =
      REQUIRE_VALUE(fx.svc().notifications().List(quik::Actor::System(), {}, room.carol.id));
  CHECK(rows.items.empty());
}

TEST_CASE("preferences: defaults, validation and merge", "[notify]") {
  HttpFixture fx;
  Room room(fx);
  auto dave = fx.Client(fx.Token(room.dave));
  auto r = dave.Get("/users/me/preferences");
  INFO(r.Describe());
  REQUIRE(r.status == 200);
  json p = r.Json();
  CHECK(p["user_id"] == room.dave.id);
  CHECK(p["time_zone"] == "UTC");
  CHECK(p["dnd"] == json({{"enabled", false}, {"start", "22:00"}, {"end", "08:00"}}));
  CHECK(p["keywords"] == json::array());
  CHECK(p["muted_channels"] == json::array());
  CHECK(p["notify"] == "mentions");
  CHECK(p["dnd_active"] == false);

  auto bad = [&](const json& body, int status, const std::string& needle) {
    auto resp = dave.Patch("/users/me/preferences", body);
    INFO(body.dump() << " -> " << resp.Describe());
    CHECK(resp.status == status);
    CHECK(resp.message().find(needle) != std::string::npos);
  };
  bad({{"time_zone", "Mars/Olympus"}}, 400, "time_zone");
  bad({{"time_zone", "../../../etc/passwd"}}, 400, "time_zone");
  bad({{"time_zone", 5}}, 400, "time_zone");
  bad({{"dnd", {{"start", "25:00"}}}}, 400, "dnd.start");
  bad({{"dnd", {{"end", "8am"}}}}, 400, "dnd.end");
  bad({{"dnd", {{"enabled", true}, {"start", "09:00"}, {"end", "09:00"}}}}, 400, "differ");
  bad({{"dnd", {{"enabled", "yes"}}}}, 400, "dnd.enabled");
  bad({{"dnd", {{"snooze", 1}}}}, 400, "dnd.snooze");
  bad({{"dnd", "always"}}, 400, "dnd");
  bad({{"dnd_until", "next week"}}, 400, "dnd_until");
  bad({{"keywords", std::vector<std::string>(51, "x")}}, 400, "keywords");
  bad({{"keywords", {std::string(65, 'k')}}}, 400, "keyword");
  bad({{"keywords", {""}}}, 400, "keyword");
  bad({{"keywords", "deploy"}}, 400, "keywords");
  bad({{"notify", "loud"}}, 400, "notify");
  bad({{"colour", "red"}}, 400, "colour");
  // A channel he cannot see does not exist for him.
  bad({{"muted_channels", {room.secret.id}}}, 404, room.secret.id);
  bad({{"muted_channels", {"01ARZ3NDEKTSV4RRFFQ69G5FAV"}}}, 404, "not found");
  CHECK(dave.Get("/users/me/preferences").Json() == p);  // nothing changed

  r = dave.Patch("/users/me/preferences",
                 {{"time_zone", "Europe/Berlin"},
                  {"dnd", {{"enabled", true}, {"start", "22:30"}, {"end", "07:15"}}},
                  {"keywords", {" deploy ", "Deploy", "on-call"}},
                  {"muted_channels", {"acme/#general"}},
                  {"dnd_until", "2030-05-01T12:00:00+02:00"}});
  INFO(r.Describe());
  REQUIRE(r.status == 200);
  p = r.Json();
  CHECK(p["time_zone"] == "Europe/Berlin");
  CHECK(p["dnd"] == json({{"enabled", true}, {"start", "22:30"}, {"end", "07:15"}}));
  CHECK(p["keywords"] == json({"deploy", "on-call"}));
  CHECK(p["muted_channels"] == json({room.general.id}));
  CHECK(p["dnd_until"] == "2030-05-01T10:00:00.000Z");
  CHECK(p["dnd_active"] == true);
  // Merge: only what is named changes; null resets to the default.
  r = dave.Patch("/users/me/preferences", {{"keywords", nullptr}, {"time_zone", nullptr}});
  REQUIRE(r.status == 200);
  CHECK(r.Json()["keywords"] == json::array());
  CHECK(r.Json()["time_zone"] == "UTC");
  CHECK(r.Json()["muted_channels"] == json({room.general.id}));
  CHECK(r.Json()["dnd"]["start"] == "22:30");
  CHECK(dave.Get("/users/me/preferences").Json()["dnd"]["end"] == "07:15");
}

TEST_CASE("preferences.updated reaches only its user", "[notify]") {
  HttpFixture fx;
  Room room(fx);
  auto bob_ws = Connect(fx, fx.Token(room.bob));
  auto carol_ws = Connect(fx, fx.Token(room.carol));
  auto bob = fx.Client(fx.Token(room.bob));
  REQUIRE(bob.Patch("/users/me/preferences", {{"keywords", {"deploy"}}}).status == 200);
  json e = NextOfType(*bob_ws, "preferences.updated");
  INFO(e.dump());
  REQUIRE(e.is_object());
  CHECK(e["data"]["keywords"] == json({"deploy"}));
  CHECK(e["data"]["user_id"] == room.bob.id);
  // Carol's next event is her own change, not bob's.
  auto carol = fx.Client(fx.Token(room.carol));
  REQUIRE(carol.Patch("/users/me/preferences", {{"notify", "all"}}).status == 200);
  json c = NextOfType(*carol_ws, "preferences.updated");
  REQUIRE(c.is_object());
  CHECK(c["data"]["user_id"] == room.carol.id);
}

TEST_CASE("the notifier handles each message once, across a restart", "[notify]") {
  HttpFixture fx;
  Room room(fx);
  const std::string bob_token = fx.Token(room.bob);
  const std::string alice_token = fx.Token(room.alice);
  std::string m1;
  {
    auto alice = fx.Client(alice_token);
    auto bob = fx.Client(bob_token);
    m1 = Post(alice, room.general.id, "@bob one");
    WaitForNotification(bob, m1);
  }
  fx.Restart();
  auto alice = fx.Client(alice_token);
  auto bob = fx.Client(bob_token);
  const std::string m2 = Post(alice, room.general.id, "@bob two");
  json items = WaitForNotification(bob, m2);
  REQUIRE(items.size() == 2);
  CHECK(items[1]["message_id"] == m1);
}
