// SPDX-License-Identifier: MIT
// Threads, mentions, read state and unread badges over HTTP and the
// WebSocket stream, against the real server (CONTRACT.md sections 2 and 3).
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

// The next durable event of type `type`, skipping others.
json NextOfType(WsClient& ws, const std::string& type) {
  for (;;) {
    auto f = ws.Next(10s);
    REQUIRE(f);
    if ((*f)["type"] == type) return *f;
  }
}

json Entry(const Resp& unreads, const std::string& key, const std::string& id,
           const char* list = "items") {
  const json body = unreads.Json();
  for (const auto& e : body[list]) {
    if (e[key] == id) return e;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("HTTP threads, mentions and unreads: the everyday flow, consistent after a reconnect",
          "[http][reads]") {
  HttpFixture fx;
  quik::User alice = fx.CreateUser("Alice");
  quik::User bob = fx.CreateUser("Bob");
  quik::User carol = fx.CreateUser("Carol");
  quik::Workspace ws = fx.CreateWorkspace(alice, "Acme", "acme");
  fx.AddMember(ws, bob, quik::Role::kMember);
  fx.AddMember(ws, carol, quik::Role::kMember);
  quik::Channel general = fx.CreateChannel(alice, ws, "general");
  fx.AddChannelMember(general, bob);
  quik::Channel secret = fx.CreateChannel(alice, ws, "secret", /*is_private=*/true);
  Api a = fx.Client(fx.Token(alice));
  const std::string bob_token = fx.Token(bob);
  Api b = fx.Client(bob_token);
  Api c = fx.Client(fx.Token(carol));
  const std::string msgs = "/channels/" + general.id + "/messages";
  const std::string unreads = "/workspaces/" + ws.id + "/unreads";

  auto bob_ws = quik_http::ConnectWs(fx, bob_token);
  auto alice_ws = quik_http::ConnectWs(fx, fx.Token(alice));

  // Alice mentions Bob: the message says so, and Bob's badge shows it.
  Resp posted = a.Post(msgs, {{"text", "@bob can you review?"}});
  REQUIRE(posted.status == 201);
  const std::string root = posted.Json()["id"];
  CHECK(posted.Json()["mentions"] == json::array({bob.id}));
  json live = NextOfType(*bob_ws, "message.posted");
  CHECK(live["data"]["mentions"] == json::array({bob.id}));
  Resp u = b.Get(unreads);
  REQUIRE(u.status == 200);
  INFO(u.Describe());
  json e = Entry(u, "channel_id", general.id);
  REQUIRE(e.is_object());
  CHECK(e["unread_count"] == 1);
  CHECK(e["mention_count"] == 1);
  // One entry per channel the caller is in, zeros included.
  CHECK(u.Json()["items"].size() == 1);
  CHECK(Entry(a.Get(unreads), "channel_id", secret.id)["unread_count"] == 0);

  // Bob replies in a thread and also sends it to the channel.
  Resp reply =
      b.Post(msgs, {{"text", "on it"}, {"thread_root_id", root}, {"reply_broadcast", true}});
  REQUIRE(reply.status == 201);
  CHECK(reply.Json()["reply_broadcast"] == true);
  const std::string reply_id = reply.Json()["id"];
  Resp got = a.Get("/messages/" + root);
  CHECK(got.Json()["reply_count"] == 1);
  CHECK(got.Json()["reply_users"] == json::array({bob.id}));
  CHECK(got.Json().contains("last_reply_at"));
  // Bob's post marked the channel read for him; Alice now follows her thread.
  CHECK(Entry(b.Get(unreads), "channel_id", general.id)["unread_count"] == 0);
  Resp au = a.Get(unreads);
  json thread = Entry(au, "thread_root_id", root, "threads");
  REQUIRE(thread.is_object());
  CHECK(thread["unread_count"] == 1);
  CHECK(thread["following"] == true);
  CHECK(Entry(au, "channel_id", general.id)["unread_count"] == 1);  // the broadcast reply

  // Alice reads: the channel, then the thread. read.updated reaches only her.
  Resp read = a.Post("/channels/" + general.id + "/read", {{"message_id", reply_id}});
  REQUIRE(read.status == 200);
  CHECK(read.Json()["unread_count"] == 0);
  json ev = NextOfType(*alice_ws, "read.updated");
  CHECK(ev["data"]["channel_id"] == general.id);
  CHECK(ev["data"]["last_read_id"] == reply_id);
  Resp tr = a.Post("/messages/" + root + "/read", json::object());
  REQUIRE(tr.status == 200);
  CHECK(tr.Json()["unread_count"] == 0);
  CHECK(tr.Json()["thread_root_id"] == root);
  // Unfollow and follow again.
  Resp unf = a.Delete("/messages/" + root + "/follow");
  REQUIRE(unf.status == 200);
  CHECK(unf.Json()["following"] == false);
  CHECK(Entry(a.Get(unreads), "thread_root_id", root, "threads").is_null());
  REQUIRE(a.Post("/messages/" + root + "/follow").status == 200);
  CHECK(Entry(a.Get(unreads), "thread_root_id", root, "threads").is_object());

  // Bob saw none of Alice's read state: after a ping the next frame is pong.
  bob_ws->SendText(R"({"type":"ping"})");
  for (;;) {
    auto f = bob_ws->Next(10s);
    REQUIRE(f);
    INFO(f->dump());
    CHECK((*f)["type"] != "read.updated");
    CHECK((*f)["type"] != "thread.followed");
    if ((*f)["type"] == "pong") break;
  }

  // Reconnect with a cursor: Bob's missed events replay, and the badges are
  // the same as before.
  json last = NextOfType(*alice_ws, "thread.followed");
  const std::int64_t cursor = last["seq"];
  bob_ws.reset();
  a.Post(msgs, {{"text", "@channel release at 5"}});
  Resp before = b.Get(unreads);
  auto again = quik_http::ConnectWs(fx, bob_token, "after=" + std::to_string(cursor));
  json replayed = NextOfType(*again, "message.posted");
  CHECK(replayed["data"]["mentions_channel"] == true);
  Resp after = b.Get(unreads);
  CHECK(after.Json() == before.Json());
  CHECK(Entry(after, "channel_id", general.id)["mention_count"] == 1);

  // Permissions and bad input.
  Resp s = a.Post("/channels/" + secret.id + "/messages", {{"text", "psst"}});
  REQUIRE(s.status == 201);
  const std::string secret_msg = s.Json()["id"];
  CHECK(c.Post("/channels/" + secret.id + "/read", {{"message_id", secret_msg}}).status == 404);
  CHECK(c.Post("/messages/" + secret_msg + "/follow").status == 404);
  CHECK(c.Post("/channels/" + secret.id + "/messages",
               {{"text", "x"}, {"thread_root_id", secret_msg}})
            .status == 404);
  Resp wrong = a.Post(msgs, {{"text", "x"}, {"thread_root_id", secret_msg}});
  CHECK(wrong.status == 400);
  CHECK(wrong.message().find("not a message of this channel") != std::string::npos);
  CHECK(a.Post("/channels/" + general.id + "/read", json::object()).status == 400);
  CHECK(a.Post("/channels/" + general.id + "/read", {{"message_id", secret_msg}}).status == 400);
  CHECK(fx.Client(fx.Token(fx.CreateUser("Stranger"))).Get(unreads).status == 404);
  CHECK(b.Patch("/messages/" + root, {{"text", "mine now"}}).status == 403);
}
