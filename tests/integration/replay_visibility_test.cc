// SPDX-License-Identifier: MIT
// Replays end to end: what GET /events and a WebSocket resume (from the
// in-memory ring, and from the log once a restart emptied the ring; JSON and
// the quik.v1.proto subprotocol) give back. Two promises (man/quik-api.7):
// deleted means gone (an event replayed later carries the message as it is
// now), and one visibility rule (an event goes to the users who could see it
// at the time of the event, on every path).
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "events/event_log.hpp"
#include "integration/http_fixture.hpp"
#include "integration/ws_connect.hpp"
#include "quik/v1/realtime.pb.h"
#include "testing/ws_client.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using quik_http::Api;
using quik_http::HttpFixture;
using quik_http::Resp;
using quik_testing::WsClient;

// The words of the finding (issue 15): posted, then edited to, then deleted.
constexpr std::string_view kPosted = "oops-password-hunter2";
constexpr std::string_view kEdited = "redacted";

// A workspace with a public #general (alice, bob, carol) and a private
// #secret (alice, bob); alice owns it.
struct Team {
  explicit Team(HttpFixture& fx)
      : alice(fx.CreateUser("Alice")),
        bob(fx.CreateUser("Bob")),
        carol(fx.CreateUser("Carol")),
        ws(fx.CreateWorkspace(alice, "Acme", "acme")) {
    fx.AddMember(ws, bob, quik::Role::kMember);
    fx.AddMember(ws, carol, quik::Role::kMember);
    general = fx.CreateChannel(alice, ws, "general");
    fx.AddChannelMember(general, bob);
    fx.AddChannelMember(general, carol);
    secret = fx.CreateChannel(alice, ws, "secret", /*is_private=*/true);
    fx.AddChannelMember(secret, bob);
  }
  quik::User alice, bob, carol;
  quik::Workspace ws;
  quik::Channel general, secret;
};

// What one replay path gave: its event frames as JSON (a Protobuf frame is
// turned into the same shape) and every byte it sent.
struct Replay {
  std::string path;
  std::vector<json> events;
  std::string bytes;

  std::vector<std::string> PostedTexts(const std::string& channel_id) const {
    std::vector<std::string> out;
    for (const json& e : events) {
      if (e.value("type", "") == "message.posted" && e.value("channel_id", "") == channel_id) {
        out.push_back(e.at("data").value("text", ""));
      }
    }
    return out;
  }
  // The frames about message `id` (message.* events carrying it).
  std::vector<json> About(const std::string& id) const {
    std::vector<json> out;
    for (const json& e : events) {
      if (e.contains("data") && e.at("data").is_object() && e.at("data").value("id", "") == id) {
        out.push_back(e);
      }
    }
    return out;
  }
  bool HasType(const std::string& type, const std::string& channel_id) const {
    return std::any_of(events.begin(), events.end(), [&](const json& e) {
      return e.value("type", "") == type && e.value("channel_id", "") == channel_id;
    });
  }
};

bool IsEnd(const json& e, std::string_view end_text) {
  return e.value("type", "") == "message.posted" && e.contains("data") &&
         e.at("data").is_object() && e.at("data").value("text", "") == end_text;
}

// GET /events from `after`, poll after poll (a replay from the log comes a
// page per poll), until the message.posted of `end_text`.
Replay LongPoll(HttpFixture& fx, const std::string& token, std::int64_t after,
                std::string_view end_text) {
  Replay out{"GET /events", {}, {}};
  Api api = fx.Client(token);
  for (int polls = 0; polls < 100; ++polls) {
    Resp r = api.Get("/events?wait=2&after=" + std::to_string(after));
    REQUIRE(r.status == 200);
    out.bytes += r.body;
    json j = r.Json();
    REQUIRE(j["events"].is_array());
    for (const json& e : j["events"]) {
      out.events.push_back(e);
      if (IsEnd(e, end_text)) return out;
    }
    after = j["seq"].get<std::int64_t>();
  }
  FAIL("GET /events never reached \"" << end_text << "\"");
  return out;
}

// A WebSocket resumed with after=`after` (JSON, or Protobuf with `proto`),
// read until the message.posted of `end_text`.
Replay Resume(HttpFixture& fx, const std::string& token, std::int64_t after,
              std::string_view end_text, bool proto) {
  Replay out{proto ? "WebSocket quik.v1.proto" : "WebSocket JSON", {}, {}};
  WsClient::Options o;
  o.token = token;
  o.query = "after=" + std::to_string(after);
  if (proto) {
    o.protocol = "quik.v1.proto";
    o.drop = [](const std::string& data, bool) {
      quik::v1::ServerFrame f;
      return f.ParseFromString(data) && f.has_presence_changed();
    };
  }
  auto ws = WsClient::Connect(fx.port(), o);
  INFO(ws->error() << " http " << ws->http_status() << " " << ws->http_body());
  REQUIRE(ws->ok());
  for (;;) {
    auto f = ws->NextRaw(10s);
    if (!f) FAIL(out.path << " never reached \"" << end_text << "\"");
    out.bytes += f->data;
    json e;
    if (proto) {
      REQUIRE(f->binary);
      quik::v1::ServerFrame frame;
      REQUIRE(frame.ParseFromString(f->data));
      if (!frame.has_event()) continue;
      const auto& ev = frame.event();
      e = {{"type", ev.type()},
           {"seq", ev.seq()},
           {"workspace_id", ev.workspace_id()},
           {"channel_id", ev.channel_id()},
           {"data", quik::events::PayloadJson(ev.data())}};
    } else {
      e = json::parse(f->data, nullptr, false);
      if (!e.contains("seq")) continue;  // hello
    }
    out.events.push_back(e);
    if (IsEnd(e, end_text)) return out;
  }
}

// Every way to replay from `after`: GET /events, WebSocket JSON and Protobuf.
std::vector<Replay> AllReplays(HttpFixture& fx, const std::string& token, std::int64_t after,
                               std::string_view end_text) {
  return {LongPoll(fx, token, after, end_text), Resume(fx, token, after, end_text, false),
          Resume(fx, token, after, end_text, true)};
}

// The newest seq, as GET /events tells it.
std::int64_t LatestSeq(HttpFixture& fx, const std::string& token) {
  Resp r = fx.Client(token).Get("/events?wait=0");
  REQUIRE(r.status == 200);
  return r.Json()["seq"].get<std::int64_t>();
}

bool Contains(const std::string& bytes, std::string_view word) {
  return bytes.find(word) != std::string::npos;
}

// The finding as the issue wrote it: alice posts, edits, deletes; returns the id.
std::string PostEditDelete(HttpFixture& fx, const Team& t, const std::string& text_prefix = "") {
  Api alice = fx.Client(fx.Token(t.alice));
  Resp posted = alice.Post("/channels/" + t.general.id + "/messages",
                           {{"text", text_prefix + std::string(kPosted)}});
  REQUIRE(posted.status == 201);
  const std::string id = posted.Json()["id"];
  REQUIRE(alice.Patch("/messages/" + id, {{"text", text_prefix + std::string(kEdited)}}).status ==
          200);
  REQUIRE(alice.Delete("/messages/" + id).status == 204);
  return id;
}

// No former text in any of `replays`, and the message's events carry its
// tombstone (no text, deleted_at set).
void CheckGone(const std::vector<Replay>& replays, const std::string& id) {
  for (const Replay& r : replays) {
    INFO(r.path);
    CHECK_FALSE(Contains(r.bytes, kPosted));
    CHECK_FALSE(Contains(r.bytes, kEdited));
    const auto about = r.About(id);
    std::vector<std::string> types;
    for (const json& e : about) {
      types.push_back(e.value("type", ""));
      CHECK(e.at("data").value("text", "?") == "");
      CHECK(e.at("data").contains("deleted_at"));
    }
    CHECK(types == std::vector<std::string>{"message.posted", "message.edited", "message.deleted"});
  }
}

}  // namespace

TEST_CASE("deleted means gone: no replay gives back a deleted message's texts",
          "[realtime][replay]") {
  HttpFixture fx;
  Team t(fx);
  const std::string bob = fx.Token(t.bob);
  const std::string id = PostEditDelete(fx, t);
  fx.PostAs(t.alice, t.general.id, "end");

  // What the issue saw already answered so: the message itself is a tombstone.
  Resp msg = fx.Client(bob).Get("/messages/" + id);
  REQUIRE(msg.status == 200);
  CHECK(msg.Json()["text"] == "");

  SECTION("from the in-memory ring") { CheckGone(AllReplays(fx, bob, 0, "end"), id); }
  SECTION("from the log, once a restart emptied the ring") {
    fx.Restart();
    CheckGone(AllReplays(fx, bob, 0, "end"), id);
  }
}

TEST_CASE("deleted means gone: a deletion reaches events already in the ring",
          "[realtime][replay]") {
  // Each step is seen live before the next is made: the ring held the
  // message.posted with its first text, then the message.edited with the
  // second, before the delete rewrote them.
  HttpFixture fx;
  Team t(fx);
  const std::string bob = fx.Token(t.bob);
  auto live = quik_http::ConnectWs(fx, bob);
  REQUIRE(live->Next());  // hello
  auto expect = [&](const std::string& type, std::string_view text) {
    auto f = live->NextOfType(type);
    REQUIRE(f);
    CHECK((*f)["data"]["text"] == std::string(text));  // live: as it was then
  };
  Api alice = fx.Client(fx.Token(t.alice));
  Resp posted =
      alice.Post("/channels/" + t.general.id + "/messages", {{"text", std::string(kPosted)}});
  REQUIRE(posted.status == 201);
  const std::string id = posted.Json()["id"];
  expect("message.posted", kPosted);
  REQUIRE(alice.Patch("/messages/" + id, {{"text", std::string(kEdited)}}).status == 200);
  expect("message.edited", kEdited);
  REQUIRE(alice.Delete("/messages/" + id).status == 204);
  expect("message.deleted", "");
  fx.PostAs(t.alice, t.general.id, "end");
  CheckGone(AllReplays(fx, bob, 0, "end"), id);
}

TEST_CASE("an edited message is replayed as it is now and its history stays in /edits",
          "[realtime][replay]") {
  HttpFixture fx;
  Team t(fx);
  Api alice = fx.Client(fx.Token(t.alice));
  Resp posted =
      alice.Post("/channels/" + t.general.id + "/messages", {{"text", "first-draft-hunter2"}});
  REQUIRE(posted.status == 201);
  const std::string id = posted.Json()["id"];
  REQUIRE(alice.Patch("/messages/" + id, {{"text", "final wording"}}).status == 200);
  fx.PostAs(t.alice, t.general.id, "end");
  const std::string bob = fx.Token(t.bob);
  auto check = [&](const std::vector<Replay>& replays) {
    for (const Replay& r : replays) {
      INFO(r.path);
      CHECK_FALSE(Contains(r.bytes, "first-draft"));
      const auto about = r.About(id);
      REQUIRE(about.size() == 2);
      CHECK(about[0].value("type", "") == "message.posted");
      CHECK(about[0].at("data").value("text", "") == "final wording");
      CHECK(about[1].value("type", "") == "message.edited");
      CHECK(about[1].at("data").value("text", "") == "final wording");
    }
  };
  check(AllReplays(fx, bob, 0, "end"));
  fx.Restart();
  check(AllReplays(fx, bob, 0, "end"));
  // The edit history is the one route to the earlier text (for its author).
  Resp edits = fx.Client(fx.Token(t.alice)).Get("/messages/" + id + "/edits");
  REQUIRE(edits.status == 200);
  CHECK(Contains(edits.body, "first-draft-hunter2"));
}

TEST_CASE("deleted means gone: search and notifications keep no former text",
          "[realtime][replay]") {
  HttpFixture fx;
  Team t(fx);
  const std::string bob_token = fx.Token(t.bob);
  Api alice = fx.Client(fx.Token(t.alice));
  Api bob = fx.Client(bob_token);
  Resp posted = alice.Post("/channels/" + t.general.id + "/messages",
                           {{"text", "@bob " + std::string(kPosted)}});
  REQUIRE(posted.status == 201);
  const std::string id = posted.Json()["id"];

  // Bob's notification about it (the notifier runs after the post returns).
  auto notification = [&]() -> json {
    for (int i = 0; i < 500; ++i) {
      Resp r = bob.Get("/users/me/notifications?limit=100");
      REQUIRE(r.status == 200);
      for (const json& n : r.Items()) {
        if (n.value("message_id", "") == id) return n;
      }
      std::this_thread::sleep_for(20ms);
    }
    FAIL("no notification about " << id);
    return {};
  };
  auto search = [&](std::string_view q) {
    Resp r = bob.Get("/workspaces/" + t.ws.id + "/search?q=" + std::string(q));
    REQUIRE(r.status == 200);
    return r.Items().size();
  };
  CHECK(notification()["excerpt"] == "@bob " + std::string(kPosted));
  CHECK(search("hunter2") == 1);

  REQUIRE(alice.Patch("/messages/" + id, {{"text", "@bob " + std::string(kEdited)}}).status == 200);
  CHECK(notification()["excerpt"] == "@bob " + std::string(kEdited));
  CHECK(search("hunter2") == 0);
  CHECK(search(kEdited) == 1);

  REQUIRE(alice.Delete("/messages/" + id).status == 204);
  CHECK(notification()["excerpt"] == "");
  CHECK(search("hunter2") == 0);
  CHECK(search(kEdited) == 0);
  Resp list = bob.Get("/users/me/notifications?limit=100");
  CHECK_FALSE(Contains(list.body, kPosted));
  CHECK_FALSE(Contains(list.body, kEdited));

  // Bob's notification.created event, replayed, has no excerpt either.
  fx.PostAs(t.alice, t.general.id, "end");
  auto check = [&](const std::vector<Replay>& replays) {
    for (const Replay& r : replays) {
      INFO(r.path);
      CHECK_FALSE(Contains(r.bytes, kPosted));
      CHECK_FALSE(Contains(r.bytes, kEdited));
      CHECK(r.HasType("notification.created", t.general.id));
    }
  };
  check(AllReplays(fx, bob_token, 0, "end"));
  fx.Restart();
  check(AllReplays(fx, bob_token, 0, "end"));
}

TEST_CASE("a user added to a private channel replays none of its earlier events",
          "[realtime][replay]") {
  HttpFixture fx;
  Team t(fx);
  const std::string carol = fx.Token(t.carol);
  const std::int64_t cursor = LatestSeq(fx, carol);
  fx.PostAs(t.bob, t.secret.id, "before-join");
  fx.AddChannelMember(t.secret, t.carol);
  fx.PostAs(t.bob, t.secret.id, "after-join");
  fx.PostAs(t.alice, t.general.id, "end");
  auto check = [&](const std::vector<Replay>& replays) {
    for (const Replay& r : replays) {
      INFO(r.path);
      CHECK_FALSE(Contains(r.bytes, "before-join"));
      CHECK(r.HasType("member.joined", t.secret.id));
      CHECK(r.PostedTexts(t.secret.id) == std::vector<std::string>{"after-join"});
    }
  };
  SECTION("from the in-memory ring") { check(AllReplays(fx, carol, cursor, "end")); }
  SECTION("from the log") {
    fx.Restart();
    check(AllReplays(fx, carol, cursor, "end"));
  }
  SECTION("from the start of the log") {
    // Older than the channel: its creation went to its members only.
    fx.Restart();
    for (const Replay& r : AllReplays(fx, carol, 0, "end")) {
      INFO(r.path);
      CHECK_FALSE(Contains(r.bytes, "before-join"));
      CHECK_FALSE(r.HasType("channel.created", t.secret.id));
      CHECK(r.PostedTexts(t.secret.id) == std::vector<std::string>{"after-join"});
    }
  }
}

TEST_CASE("a user removed from a private channel replays its events up to the removal only",
          "[realtime][replay]") {
  // "At the time of the event": what they could see while a member, and
  // their own member.left; nothing the channel said after.
  HttpFixture fx;
  Team t(fx);
  fx.AddChannelMember(t.secret, t.carol);
  const std::string carol = fx.Token(t.carol);
  const std::int64_t cursor = LatestSeq(fx, carol);
  fx.PostAs(t.bob, t.secret.id, "while-member");
  REQUIRE_OK(fx.svc().channels().RemoveMember(quik::Actor::System(), t.secret.id, t.carol.id));
  fx.PostAs(t.bob, t.secret.id, "after-removal");
  fx.PostAs(t.alice, t.general.id, "end");
  auto check = [&](const std::vector<Replay>& replays) {
    for (const Replay& r : replays) {
      INFO(r.path);
      CHECK_FALSE(Contains(r.bytes, "after-removal"));
      CHECK(r.HasType("member.left", t.secret.id));
      CHECK(r.PostedTexts(t.secret.id) == std::vector<std::string>{"while-member"});
    }
  };
  SECTION("from the in-memory ring") { check(AllReplays(fx, carol, cursor, "end")); }
  SECTION("from the log") {
    fx.Restart();
    check(AllReplays(fx, carol, cursor, "end"));
  }
}

TEST_CASE("a guest promoted to member replays no public channel news from before",
          "[realtime][replay]") {
  // A guest sees only the channels they were added to; the creation of a
  // public channel while they were a guest stays theirs not to see, even
  // when they resume after being promoted.
  HttpFixture fx;
  Team t(fx);
  const quik::User gus = fx.CreateUser("Gus");
  fx.AddMember(t.ws, gus, quik::Role::kGuest);
  fx.AddChannelMember(t.general, gus);
  const std::string token = fx.Token(gus);
  const std::int64_t cursor = LatestSeq(fx, token);
  const quik::Channel early = fx.CreateChannel(t.alice, t.ws, "early");
  REQUIRE_VALUE(
      fx.svc().workspaces().SetRole(quik::Actor::System(), t.ws.id, gus.id, quik::Role::kMember));
  const quik::Channel late = fx.CreateChannel(t.alice, t.ws, "late");
  fx.PostAs(t.alice, t.general.id, "end");
  auto check = [&](const std::vector<Replay>& replays) {
    for (const Replay& r : replays) {
      INFO(r.path);
      CHECK_FALSE(r.HasType("channel.created", early.id));
      CHECK(r.HasType("channel.created", late.id));
    }
  };
  check(AllReplays(fx, token, cursor, "end"));
  fx.Restart();
  check(AllReplays(fx, token, cursor, "end"));
}

TEST_CASE("replay: each role replays exactly the messages it may see, from the ring and the log",
          "[realtime][replay][authz]") {
  // The authorization matrix's replay row (http_authz_test.cc checks only
  // that GET /events answers): every role resumes from seq 0, by every
  // replay path, before and after a restart (ring, then log).
  HttpFixture fx;
  Team t(fx);  // alice owns Acme; bob and carol are members; #secret is alice's and bob's
  const quik::User dave = fx.CreateUser("Dave");    // a workspace admin
  const quik::User gina = fx.CreateUser("Gina");    // a guest, in #general only
  const quik::User oscar = fx.CreateUser("Oscar");  // owns another workspace
  quik::NewUser admin_spec;
  admin_spec.name = "Ivan";
  admin_spec.email = quik_test::ServiceFixture::DefaultEmail("Ivan");
  admin_spec.is_admin = true;  // an instance admin, in Acme's workspace nowhere
  const quik::User ivan = REQUIRE_VALUE(fx.svc().users().Create(quik::Actor::System(), admin_spec));
  fx.AddMember(t.ws, dave, quik::Role::kAdmin);
  fx.AddMember(t.ws, gina, quik::Role::kGuest);
  fx.AddChannelMember(t.general, dave);
  fx.AddChannelMember(t.general, gina);
  const quik::Channel random = fx.CreateChannel(t.alice, t.ws, "random");
  for (const quik::User& u : {t.bob, t.carol, dave}) fx.AddChannelMember(random, u);
  const quik::Channel dm = REQUIRE_VALUE(fx.svc().channels().OpenDirect(
                                             quik::Actor::ForUser(t.alice.id), t.ws.id, {t.bob.id}))
                               .channel;
  const quik::Workspace elsewhere = fx.CreateWorkspace(oscar, "Elsewhere", "elsewhere");
  fx.AddMember(elsewhere, ivan, quik::Role::kMember);
  const quik::Channel lobby = fx.CreateChannel(oscar, elsewhere, "lobby");
  fx.AddChannelMember(lobby, ivan);

  fx.PostAs(t.alice, t.general.id, "said-in-general");
  fx.PostAs(t.bob, random.id, "said-in-random");
  fx.PostAs(t.bob, t.secret.id, "said-in-secret");
  fx.PostAs(t.alice, dm.id, "said-in-dm");
  fx.PostAs(t.alice, t.general.id, "end");  // the last event each Acme member sees
  fx.PostAs(oscar, lobby.id, "end");        // and each of Elsewhere's

  using Texts = std::vector<std::string>;
  const Texts all = {"said-in-general", "said-in-random", "said-in-secret", "said-in-dm"};
  struct Role {
    std::string name;
    const quik::User* user;
    Texts sees;
  };
  const std::vector<Role> roles = {
      {"owner", &t.alice, all},
      {"member of #secret and the dm", &t.bob, all},
      {"member", &t.carol, {"said-in-general", "said-in-random"}},
      {"workspace admin", &dave, {"said-in-general", "said-in-random"}},
      {"guest", &gina, {"said-in-general"}},
      {"outsider", &oscar, {}},
      {"instance admin", &ivan, {}},
  };
  std::map<const quik::User*, std::string> tokens;
  for (const Role& role : roles) tokens[role.user] = fx.Token(*role.user);

  auto check = [&](const std::string& when) {
    for (const Role& role : roles) {
      for (const Replay& r : AllReplays(fx, tokens[role.user], 0, "end")) {
        INFO(when << ", " << role.name << ", " << r.path);
        Texts seen;
        for (const std::string& channel : {t.general.id, random.id, t.secret.id, dm.id}) {
          for (const std::string& text : r.PostedTexts(channel)) {
            if (text != "end") seen.push_back(text);
          }
        }
        CHECK(seen == role.sees);
        for (const std::string& text : all) {
          if (std::find(role.sees.begin(), role.sees.end(), text) == role.sees.end()) {
            CHECK_FALSE(Contains(r.bytes, text));
          }
        }
        if (role.sees.empty()) CHECK_FALSE(Contains(r.bytes, t.ws.id));  // not a trace of Acme
      }
    }
  };
  check("from the ring");
  fx.Restart();
  check("from the log");
}
