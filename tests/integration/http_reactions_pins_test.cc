// SPDX-License-Identifier: MIT
// Reactions, pins and edit history over HTTP and the WebSocket stream, against
// the real server (CONTRACT.md sections 2 and 3).
#include <string>
#include <vector>

#include "integration/http_fixture.hpp"
#include "integration/ws_connect.hpp"
#include "testing/ws_client.hpp"

namespace {

using namespace std::chrono_literals;
using quik_http::Api;
using quik_http::HttpFixture;
using quik_http::json;
using quik_http::Resp;
using quik_testing::WsClient;

const char kThumbsUp[] = "\xF0\x9F\x91\x8D";
const char kThumbsUpEncoded[] = "%F0%9F%91%8D";

// One workspace: alice (owner), bob and carol (members), dave (a member who
// is in no channel), erin (an admin outside #secret), and an outsider.
// #general: alice, bob, carol. #secret (private): alice, bob. #random: alice.
struct Room {
  explicit Room(HttpFixture& fx)
      : alice(fx.CreateUser("Alice")),
        bob(fx.CreateUser("Bob")),
        carol(fx.CreateUser("Carol")),
        dave(fx.CreateUser("Dave")),
        erin(fx.CreateUser("Erin")),
        outsider(fx.CreateUser("Outsider")),
        ws(fx.CreateWorkspace(alice, "Acme", "acme")) {
    fx.AddMember(ws, bob, quik::Role::kMember);
    fx.AddMember(ws, carol, quik::Role::kMember);
    fx.AddMember(ws, dave, quik::Role::kMember);
    fx.AddMember(ws, erin, quik::Role::kAdmin);
    general = fx.CreateChannel(alice, ws, "general");
    fx.AddChannelMember(general, bob);
    fx.AddChannelMember(general, carol);
    secret = fx.CreateChannel(alice, ws, "secret", /*is_private=*/true);
    fx.AddChannelMember(secret, bob);
    random = fx.CreateChannel(alice, ws, "random");
  }
  quik::User alice, bob, carol, dave, erin, outsider;
  quik::Workspace ws;
  quik::Channel general, secret, random;
};

std::int64_t Hello(WsClient& ws) {
  auto hello = ws.Next();
  REQUIRE(hello);
  REQUIRE((*hello)["type"] == "hello");
  return (*hello)["seq"].get<std::int64_t>();
}

// The next durable event frame (skipping hello, typing and the like).
json NextEvent(WsClient& ws) {
  for (;;) {
    auto f = ws.Next(10s);
    REQUIRE(f);
    if (f->contains("seq") && (*f)["type"] != "hello") return *f;
  }
}

std::vector<std::string> Emojis(const json& message) {
  std::vector<std::string> out;
  for (const auto& r : message.value("reactions", json::array())) out.push_back(r["emoji"]);
  return out;
}

// A 4xx answer with the code that goes with it and a message.
void CheckError(const Resp& r, int status, const std::string& code) {
  INFO(r.Describe());
  CHECK(r.status == status);
  CHECK(r.code() == code);
  CHECK_FALSE(r.message().empty());
}

}  // namespace

TEST_CASE("HTTP reactions: add, count, show everywhere, remove", "[http][reactions]") {
  HttpFixture fx;
  Room room(fx);
  Api alice = fx.Client(fx.Token(room.alice));
  Api bob = fx.Client(fx.Token(room.bob));
  Api carol = fx.Client(fx.Token(room.carol));
  quik::Message m = fx.PostAs(room.alice, room.general.id, "lunch?");
  const std::string path = "/messages/" + m.id + "/reactions";

  Resp r = bob.Post(path, {{"emoji", ":thumbsup:"}});
  INFO(r.Describe());
  REQUIRE(r.status == 200);
  CHECK(r.Json()["id"] == m.id);
  json expected = json::array();
  expected.push_back({{"emoji", "thumbsup"}, {"count", 1}, {"user_ids", json::array()}});
  expected[0]["user_ids"].push_back(room.bob.id);
  CHECK(r.Json()["reactions"] == expected);
  REQUIRE(carol.Post(path, {{"emoji", "thumbsup"}}).status == 200);
  REQUIRE(carol.Post(path, {{"emoji", kThumbsUp}}).status == 200);
  r = bob.Post(path, {{"emoji", "thumbsup"}});  // again: no change
  REQUIRE(r.status == 200);
  CHECK(Emojis(r.Json()) == std::vector<std::string>{"thumbsup", kThumbsUp});
  CHECK(r.Json()["reactions"][0]["count"] == 2);
  CHECK(r.Json()["reactions"][0]["user_ids"] == json::array({room.bob.id, room.carol.id}));

  // GET, the channel list and a thread's replies carry them.
  CHECK(Emojis(alice.Get("/messages/" + m.id).Json()) ==
        std::vector<std::string>{"thumbsup", kThumbsUp});
  Resp list = alice.Get("/channels/" + room.general.id + "/messages");
  REQUIRE(list.status == 200);
  REQUIRE(list.Items().size() == 1);
  CHECK(list.Items()[0]["reactions"][1]["emoji"] == kThumbsUp);
  Resp reply = alice.Post("/channels/" + room.general.id + "/messages",
                          {{"text", "yes"}, {"thread_root_id", m.id}});
  REQUIRE(reply.status == 201);
  const std::string reply_id = reply.Json()["id"];
  REQUIRE(bob.Post("/messages/" + reply_id + "/reactions", {{"emoji", "+1"}}).status == 200);
  Resp replies = carol.Get("/messages/" + m.id + "/replies");
  REQUIRE(replies.Items().size() == 1);
  CHECK(Emojis(replies.Items()[0]) == std::vector<std::string>{"+1"});

  // DELETE takes the emoji percent-encoded, with or without colons.
  r = carol.Delete(path + "/" + kThumbsUpEncoded);
  REQUIRE(r.status == 200);
  CHECK(Emojis(r.Json()) == std::vector<std::string>{"thumbsup"});
  r = bob.Delete(path + "/%3Athumbsup%3A");
  REQUIRE(r.status == 200);
  CHECK(r.Json()["reactions"][0]["user_ids"] == json::array({room.carol.id}));
  r = bob.Delete(path + "/thumbsup");  // not bob's any more: a no-op
  REQUIRE(r.status == 200);
  CHECK(r.Json()["reactions"][0]["count"] == 1);
  r = carol.Delete(path + "/thumbsup");
  REQUIRE(r.status == 200);
  CHECK_FALSE(r.Json().contains("reactions"));
}

TEST_CASE("HTTP reactions: bad input and who may react", "[http][reactions]") {
  HttpFixture fx;
  Room room(fx);
  Api bob = fx.Client(fx.Token(room.bob));
  Api dave = fx.Client(fx.Token(room.dave));
  Api outsider = fx.Client(fx.Token(room.outsider));
  quik::Message m = fx.PostAs(room.alice, room.general.id, "hello");
  quik::Message hidden = fx.PostAs(room.alice, room.secret.id, "secret");
  const std::string path = "/messages/" + m.id + "/reactions";

  for (const json& body :
       {json{{"emoji", ""}}, json{{"emoji", "two words"}},
        json{{"emoji", std::string(kThumbsUp) + kThumbsUp}}, json{{"emoji", "\xC3\xA9"}},
        json{{"emoji", std::string(65, 'a')}}, json{{"emoji", "bell\x07"}}}) {
    Resp r = bob.Post(path, body);
    CheckError(r, 400, "invalid_argument");
    CHECK(r.message().find("short name") != std::string::npos);
  }
  Resp missing = bob.Post(path, json::object());
  CheckError(missing, 400, "invalid_argument");
  CHECK(missing.message().find("emoji") != std::string::npos);
  CheckError(bob.Post(path, {{"emoji", 5}}), 400, "invalid_argument");
  CheckError(bob.Delete(path + "/two%20words"), 400, "invalid_argument");
  CheckError(bob.Post("/messages/not-an-id/reactions", {{"emoji", "x"}}), 404, "not_found");
  CheckError(
      bob.Post("/messages/" + quik_http::UnknownIdLike(m.id) + "/reactions", {{"emoji", "x"}}), 404,
      "not_found");

  // dave reads #general without being in it: he may react.
  CHECK(dave.Post(path, {{"emoji", "eyes"}}).status == 200);
  // A private channel's message does not exist for dave; nothing does for the outsider.
  CheckError(dave.Post("/messages/" + hidden.id + "/reactions", {{"emoji", "x"}}), 404,
             "not_found");
  CheckError(dave.Delete("/messages/" + hidden.id + "/reactions/x"), 404, "not_found");
  CheckError(outsider.Post(path, {{"emoji", "x"}}), 404, "not_found");

  // A deleted message: 400; an archived channel: 403.
  quik::Message gone = fx.PostAs(room.bob, room.general.id, "oops");
  REQUIRE(bob.Delete("/messages/" + gone.id).status == 204);
  CheckError(bob.Post("/messages/" + gone.id + "/reactions", {{"emoji", "x"}}), 400,
             "invalid_argument");
  REQUIRE(
      fx.Client(fx.Token(room.alice)).Post("/channels/" + room.general.id + "/archive").status ==
      200);
  CheckError(bob.Post(path, {{"emoji", "x"}}), 403, "permission_denied");
}

TEST_CASE("HTTP pins: pin, list, unpin, who may, limits of the route", "[http][pins]") {
  HttpFixture fx;
  Room room(fx);
  Api alice = fx.Client(fx.Token(room.alice));
  Api bob = fx.Client(fx.Token(room.bob));
  Api dave = fx.Client(fx.Token(room.dave));
  Api erin = fx.Client(fx.Token(room.erin));
  Api outsider = fx.Client(fx.Token(room.outsider));
  quik::Message a = fx.PostAs(room.alice, room.general.id, "agenda");
  quik::Message b = fx.PostAs(room.bob, room.general.id, "minutes");
  quik::Message s = fx.PostAs(room.alice, room.secret.id, "secret plan");
  quik::Message r = fx.PostAs(room.alice, room.random.id, "random thing");

  Resp pinned = bob.Post("/messages/" + a.id + "/pin");
  INFO(pinned.Describe());
  REQUIRE(pinned.status == 200);
  CHECK(pinned.Json()["channel_id"] == room.general.id);
  CHECK(pinned.Json()["message_id"] == a.id);
  CHECK(pinned.Json()["pinned_by"] == room.bob.id);
  CHECK(pinned.Json()["message"]["text"] == "agenda");
  CHECK(pinned.Json().contains("pinned_at"));
  REQUIRE(alice.Post("/messages/" + b.id + "/pin").status == 200);
  REQUIRE(alice.Post("/messages/" + a.id + "/pin").status == 200);  // already: unchanged
  REQUIRE(bob.Post("/messages/" + s.id + "/pin").status == 200);
  REQUIRE(alice.Post("/messages/" + r.id + "/pin").status == 200);
  // erin is an admin outside #general: she may pin in it.
  quik::Message c = fx.PostAs(room.carol, room.general.id, "by carol");
  REQUIRE(erin.Post("/messages/" + c.id + "/pin").status == 200);

  Resp list = dave.Get("/channels/" + room.general.id + "/pins");
  REQUIRE(list.status == 200);
  json items = list.Items();
  REQUIRE(items.size() == 3);
  CHECK(items[0]["message_id"] == c.id);  // newest pin first
  CHECK(items[1]["message_id"] == b.id);
  CHECK(items[2]["message_id"] == a.id);
  CHECK(items[2]["pinned_by"] == room.bob.id);
  CHECK(items[1]["message"]["text"] == "minutes");
  // Each channel lists only its own pins.
  for (const auto& p : items) CHECK(p["channel_id"] == room.general.id);
  json secret_pins = bob.Get("/channels/" + room.secret.id + "/pins").Items();
  REQUIRE(secret_pins.size() == 1);
  CHECK(secret_pins[0]["message_id"] == s.id);
  json random_pins = alice.Get("/channels/" + room.random.id + "/pins").Items();
  REQUIRE(random_pins.size() == 1);
  CHECK(random_pins[0]["message_id"] == r.id);

  // dave reads #general but is not in it: 403; the private channel: 404.
  Resp denied = dave.Post("/messages/" + a.id + "/pin");
  CheckError(denied, 403, "permission_denied");
  CHECK(denied.message().find("join") != std::string::npos);
  CheckError(dave.Delete("/messages/" + a.id + "/pin"), 403, "permission_denied");
  CheckError(dave.Post("/messages/" + s.id + "/pin"), 404, "not_found");
  CheckError(dave.Get("/channels/" + room.secret.id + "/pins"), 404, "not_found");
  CheckError(erin.Get("/channels/" + room.secret.id + "/pins"), 404, "not_found");
  CheckError(outsider.Get("/channels/" + room.general.id + "/pins"), 404, "not_found");
  CheckError(outsider.Post("/messages/" + a.id + "/pin"), 404, "not_found");
  CheckError(bob.Post("/messages/nope/pin"), 404, "not_found");
  CheckError(bob.Get("/channels/nope/pins"), 404, "not_found");

  // Unpin; again is a no-op.
  CHECK(bob.Delete("/messages/" + a.id + "/pin").status == 204);
  CHECK(bob.Delete("/messages/" + a.id + "/pin").status == 204);
  CHECK(bob.Get("/channels/" + room.general.id + "/pins").Items().size() == 2);

  // Deleting a pinned message unpins it; a deleted message cannot be pinned.
  REQUIRE(bob.Delete("/messages/" + b.id).status == 204);
  json left = bob.Get("/channels/" + room.general.id + "/pins").Items();
  REQUIRE(left.size() == 1);
  CHECK(left[0]["message_id"] == c.id);
  CheckError(bob.Post("/messages/" + b.id + "/pin"), 400, "invalid_argument");

  // Archived: 403 to change, still listed.
  REQUIRE(alice.Post("/channels/" + room.general.id + "/archive").status == 200);
  CheckError(bob.Post("/messages/" + a.id + "/pin"), 403, "permission_denied");
  CheckError(bob.Delete("/messages/" + c.id + "/pin"), 403, "permission_denied");
  CHECK(bob.Get("/channels/" + room.general.id + "/pins").Items().size() == 1);
}

TEST_CASE("HTTP edit history: who may read it", "[http][edits]") {
  HttpFixture fx;
  Room room(fx);
  Api alice = fx.Client(fx.Token(room.alice));
  Api bob = fx.Client(fx.Token(room.bob));
  Api carol = fx.Client(fx.Token(room.carol));
  Api erin = fx.Client(fx.Token(room.erin));
  Api outsider = fx.Client(fx.Token(room.outsider));
  quik::Message m = fx.PostAs(room.bob, room.general.id, "draft 1");
  const std::string edits = "/messages/" + m.id + "/edits";

  CHECK(bob.Get(edits).Items().empty());
  REQUIRE(bob.Patch("/messages/" + m.id, {{"text", "draft 2"}}).status == 200);
  REQUIRE(bob.Patch("/messages/" + m.id, {{"text", "final"}}).status == 200);
  // carol may not edit bob's message.
  CheckError(carol.Patch("/messages/" + m.id, {{"text", "mine now"}}), 403, "permission_denied");

  Resp r = bob.Get(edits);
  REQUIRE(r.status == 200);
  json items = r.Items();
  REQUIRE(items.size() == 2);
  CHECK(items[0]["previous_text"] == "draft 1");  // oldest first
  CHECK(items[1]["previous_text"] == "draft 2");
  CHECK(items[0]["editor_id"] == room.bob.id);
  CHECK(items[0]["message_id"] == m.id);
  CHECK(items[0].contains("edited_at"));
  CHECK(alice.Get(edits).Items().size() == 2);  // the owner
  CHECK(erin.Get(edits).Items().size() == 2);   // an admin
  Resp denied = carol.Get(edits);
  CheckError(denied, 403, "permission_denied");
  CHECK(denied.message().find("author") != std::string::npos);
  CheckError(outsider.Get(edits), 404, "not_found");
  CheckError(bob.Get("/messages/nope/edits"), 404, "not_found");

  // A private channel's message: 404 for a member outside it, even an admin.
  quik::Message s = fx.PostAs(room.bob, room.secret.id, "psst");
  REQUIRE(bob.Patch("/messages/" + s.id, {{"text", "psst!"}}).status == 200);
  CheckError(carol.Get("/messages/" + s.id + "/edits"), 404, "not_found");
  CheckError(erin.Get("/messages/" + s.id + "/edits"), 404, "not_found");
  CHECK(alice.Get("/messages/" + s.id + "/edits").Items().size() == 1);

  // Deleting purges the history.
  REQUIRE(bob.Delete("/messages/" + m.id).status == 204);
  CHECK(alice.Get(edits).Items().empty());
}

TEST_CASE("realtime: reactions and pins reach channel members live and on resume",
          "[http][realtime][reactions][pins]") {
  HttpFixture fx;
  Room room(fx);
  Api bob = fx.Client(fx.Token(room.bob));
  const std::string carol_token = fx.Token(room.carol);
  const std::string dave_token = fx.Token(room.dave);
  quik::Message m = fx.PostAs(room.alice, room.general.id, "standup at 10");
  quik::Message s = fx.PostAs(room.alice, room.secret.id, "secret");

  auto carol = quik_http::ConnectWs(fx, carol_token);
  auto dave = quik_http::ConnectWs(fx, dave_token);  // in the workspace, not in #general
  const std::int64_t cursor = Hello(*carol);
  Hello(*dave);

  REQUIRE(bob.Post("/messages/" + m.id + "/reactions", {{"emoji", kThumbsUp}}).status == 200);
  REQUIRE(bob.Post("/messages/" + m.id + "/reactions", {{"emoji", kThumbsUp}}).status == 200);
  REQUIRE(bob.Post("/messages/" + m.id + "/pin").status == 200);
  REQUIRE(bob.Delete("/messages/" + m.id + "/reactions/" + kThumbsUpEncoded).status == 200);
  REQUIRE(bob.Delete("/messages/" + m.id + "/pin").status == 204);
  // Events of #secret never reach carol.
  REQUIRE(bob.Post("/messages/" + s.id + "/reactions", {{"emoji", "x"}}).status == 200);
  // A marker after everything: carol's stream ends here.
  fx.PostAs(room.alice, room.general.id, "marker");

  auto check_stream = [&](WsClient& ws) {
    json added = NextEvent(ws);
    INFO(added.dump());
    CHECK(added["type"] == "reaction.added");  // once: the repeat wrote no event
    CHECK(added["channel_id"] == room.general.id);
    CHECK(added["workspace_id"] == room.ws.id);
    CHECK(added["data"]["message_id"] == m.id);
    CHECK(added["data"]["channel_id"] == room.general.id);
    CHECK(added["data"]["emoji"] == kThumbsUp);
    CHECK(added["data"]["user_id"] == room.bob.id);
    CHECK(added["data"].contains("created_at"));
    json pin = NextEvent(ws);
    INFO(pin.dump());
    CHECK(pin["type"] == "pin.added");
    CHECK(pin["channel_id"] == room.general.id);
    CHECK(pin["data"]["message_id"] == m.id);
    CHECK(pin["data"]["pinned_by"] == room.bob.id);
    json removed = NextEvent(ws);
    CHECK(removed["type"] == "reaction.removed");
    CHECK(removed["data"]["emoji"] == kThumbsUp);
    CHECK(removed["data"]["user_id"] == room.bob.id);
    json unpinned = NextEvent(ws);
    CHECK(unpinned["type"] == "pin.removed");
    CHECK(unpinned["data"]["message_id"] == m.id);
    json marker = NextEvent(ws);
    CHECK(marker["type"] == "message.posted");
    CHECK(marker["data"]["text"] == "marker");
    CHECK(added["seq"] < pin["seq"]);
    CHECK(pin["seq"] < removed["seq"]);
  };
  check_stream(*carol);

  // dave is not in #general: he got none of it (the next thing he sees is a
  // post in a channel he joins now).
  quik::Channel lounge = fx.CreateChannel(room.dave, room.ws, "lounge");
  fx.PostAs(room.dave, lounge.id, "dave's marker");
  for (;;) {
    json e = NextEvent(*dave);
    INFO(e.dump());
    CHECK(e["type"].get<std::string>().rfind("reaction.", 0) != 0);
    CHECK(e["type"].get<std::string>().rfind("pin.", 0) != 0);
    if (e["type"] == "message.posted") {
      CHECK(e["data"]["text"] == "dave's marker");
      break;
    }
  }

  // Resuming from before: the same events, in the same order.
  carol.reset();
  auto again = quik_http::ConnectWs(fx, carol_token, "after=" + std::to_string(cursor));
  Hello(*again);
  check_stream(*again);
}
