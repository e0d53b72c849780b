// SPDX-License-Identifier: MIT
// The realtime protocol's edges: authentication by header or first frame,
// bad frames, limits, slow consumers, typing, the Protobuf subprotocol and
// the long-poll twin. A real server on 127.0.0.1:0, real clients.
#include <cstddef>
#include <fstream>
#include <future>

#include "integration/http_fixture.hpp"
#include "quik/v1/realtime.pb.h"
#include "testing/ws_client.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using quik_http::HttpFixture;
using quik_testing::WsClient;

struct Pair {
  explicit Pair(HttpFixture& fx)
      : alice(fx.CreateUser("Alice")),
        bob(fx.CreateUser("Bob")),
        ws(fx.CreateWorkspace(alice, "Acme", "acme")) {
    fx.AddMember(ws, bob, quik::Role::kMember);
    general = fx.CreateChannel(alice, ws, "general");
    fx.AddChannelMember(general, bob);
  }
  quik::User alice, bob;
  quik::Workspace ws;
  quik::Channel general;
};

std::unique_ptr<WsClient> Open(HttpFixture& fx, WsClient::Options o) {
  auto ws = WsClient::Connect(fx.port(), std::move(o));
  INFO(ws->error() << " http " << ws->http_status() << " " << ws->http_body());
  REQUIRE(ws->ok());
  return ws;
}

std::unique_ptr<WsClient> Open(HttpFixture& fx, const std::string& token) {
  WsClient::Options o;
  o.token = token;
  return Open(fx, o);
}

json Expect(WsClient& ws, const std::string& type) {
  auto f = ws.Next();
  REQUIRE(f);
  INFO(f->dump());
  REQUIRE((*f)["type"] == type);
  return *f;
}

// The process's anonymous resident memory (heap, not the mapped database).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// The sanitizers' allocators keep freed memory resident (ASan's quarantine)
// and map shadow memory beside the heap: under them the bound is checked on
// the bytes the heap holds live, as their allocator counts them.
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
long HeldKiB() { return static_cast<long>(__sanitizer_get_current_allocated_bytes() / 1024); }
#else
// Anonymous resident memory: the heap and every other private mapping.
long HeldKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stol(line.substr(8));
  }
  return 0;
}
#endif

}  // namespace

TEST_CASE("a browser authenticates with its first frame and may resume there", "[realtime]") {
  HttpFixture fx;
  Pair p(fx);
  const std::string token = fx.Token(p.alice);
  auto a = Open(fx, WsClient::Options{});
  a->SendText(json{{"type", "auth"}, {"token", token}}.dump());
  const auto hello = Expect(*a, "hello");
  CHECK(hello["user_id"] == p.alice.id);
  fx.PostAs(p.bob, p.general.id, "one");
  auto one = Expect(*a, "message.posted");
  a.reset();

  fx.PostAs(p.bob, p.general.id, "two");
  auto again = Open(fx, WsClient::Options{});
  again->SendText(json{{"type", "auth"}, {"token", token}, {"after", one["seq"]}}.dump());
  Expect(*again, "hello");
  CHECK(Expect(*again, "message.posted")["data"]["text"] == "two");
}

TEST_CASE("bad credentials are refused before or right after the handshake", "[realtime]") {
  HttpFixture fx;
  Pair p(fx);
  SECTION("a bad Authorization header: 401, no upgrade") {
    WsClient::Options o;
    o.token = "not-a-token";
    auto ws = WsClient::Connect(fx.port(), o);
    CHECK_FALSE(ws->ok());
    CHECK(ws->http_status() == 401);
  }
  SECTION("a bad token in the auth frame: close 1008") {
    auto ws = Open(fx, WsClient::Options{});
    ws->SendText(R"({"type":"auth","token":"nope"})");
    REQUIRE(ws->WaitClosed());
    CHECK(ws->close_code() == 1008);
    CHECK(ws->close_reason().find("unauthenticated") != std::string::npos);
  }
  SECTION("any other frame before auth: close 1008") {
    auto ws = Open(fx, WsClient::Options{});
    ws->SendText(R"({"type":"ping"})");
    REQUIRE(ws->WaitClosed());
    CHECK(ws->close_code() == 1008);
    CHECK(ws->close_reason().find("authenticate first") != std::string::npos);
  }
  SECTION("a plain GET: 400 with Upgrade") {
    auto r = fx.Client(fx.Token(p.alice)).Get("/ws");
    CHECK(r.status == 400);
    CHECK(r.code() == "invalid_argument");
    CHECK(r.header("Upgrade") == "websocket");
  }
  SECTION("a bad after: 400") {
    WsClient::Options o;
    o.token = fx.Token(p.alice);
    o.query = "after=-1";
    auto ws = WsClient::Connect(fx.port(), o);
    CHECK_FALSE(ws->ok());
    CHECK(ws->http_status() == 400);
  }
}

TEST_CASE("a connection that never authenticates is closed after auth_timeout", "[realtime]") {
  HttpFixture fx([](quik::Options& o) { o.realtime.auth_timeout = std::chrono::seconds(1); });
  auto ws = Open(fx, WsClient::Options{});
  REQUIRE(ws->WaitClosed(5s));
  CHECK(ws->close_code() == 1008);
  CHECK(ws->close_reason().find("auth") != std::string::npos);
}

TEST_CASE("a client that answers no ping is closed after idle_timeout", "[realtime]") {
  HttpFixture fx([](quik::Options& o) { o.realtime.idle_timeout = std::chrono::seconds(2); });
  Pair p(fx);
  WsClient::Options deaf;
  deaf.token = fx.Token(p.alice);
  deaf.read = false;  // sees no ping, so answers none
  auto gone = Open(fx, deaf);
  auto alive = Open(fx, fx.Token(p.bob));  // Beast answers the pings
  Expect(*alive, "hello");
  std::this_thread::sleep_for(4s);
  gone->StartReading();
  CHECK(gone->WaitClosed(3s));
  CHECK_FALSE(alive->WaitClosed(0ms));
  fx.PostAs(p.alice, p.general.id, "still there");
  CHECK(Expect(*alive, "message.posted")["data"]["text"] == "still there");
}

TEST_CASE("malformed frames get an error frame and others are unaffected", "[realtime]") {
  HttpFixture fx;
  Pair p(fx);
  auto a = Open(fx, fx.Token(p.alice));
  auto b = Open(fx, fx.Token(p.bob));
  Expect(*a, "hello");
  Expect(*b, "hello");

  a->SendText("{not json");
  auto e = Expect(*a, "error");
  CHECK(e["error"]["code"] == "invalid_argument");
  CHECK(e["error"]["message"].get<std::string>().find("JSON") != std::string::npos);
  a->SendText(R"({"type":"teleport"})");
  e = Expect(*a, "error");
  CHECK(e["error"]["message"].get<std::string>().find("unknown frame type") != std::string::npos);
  a->SendText(R"({"type":"typing"})");
  e = Expect(*a, "error");
  CHECK(e["error"]["message"].get<std::string>().find("channel_id") != std::string::npos);
  a->SendText(R"({"type":"ping"})");
  Expect(*a, "pong");

  SECTION("oversized: close 1009") {
    a->SendText(R"({"type":"ping","pad":")" + std::string(8000, 'x') + "\"}");
    REQUIRE(a->WaitClosed());
    INFO(a->close_error());
    CHECK(a->close_code() == 1009);
  }
  SECTION("not UTF-8: close 1007") {
    a->SendText(std::string("{\"type\":\"ping\",\"x\":\"\xff\xfe\"}"));
    REQUIRE(a->WaitClosed());
    CHECK(a->close_code() == 1007);
  }
  SECTION("too many frames: close 1008") {
    for (int i = 0; i < 200 && !a->WaitClosed(0ms); ++i) a->SendText(R"({"type":"ping"})");
    REQUIRE(a->WaitClosed());
    CHECK(a->close_code() == 1008);
    CHECK(a->close_reason().find("client_frame_rate") != std::string::npos);
  }
  SECTION("too many control frames (WebSocket pings): close 1008") {
    // realtime.client_frame_rate is 20 a second with bursts of 40: 200 pings
    // at once are far past it, though not one of them is a data frame.
    for (int i = 0; i < 200 && !a->WaitClosed(0ms); ++i) {
      if (!a->SendPing()) break;
    }
    REQUIRE(a->WaitClosed());
    CHECK(a->close_code() == 1008);
    CHECK(a->close_reason().find("client_frame_rate") != std::string::npos);
  }
  // Bob never noticed.
  fx.PostAs(p.alice, p.general.id, "still here");
  CHECK(Expect(*b, "message.posted")["data"]["text"] == "still here");
}

TEST_CASE("clients that never read are closed and memory stays bounded", "[realtime]") {
  HttpFixture fx([](quik::Options& o) {
    o.realtime.max_queue_bytes = 256 << 10;
    o.storage.cache_mib = 2;  // so that the page caches do not hide the queues
  });
  Pair p(fx);
  // Two clients that never read, addressed 40 MB of distinct frames: what
  // the server would hold if it buffered what they do not take.
  constexpr int kSlow = 2;
  std::vector<std::unique_ptr<WsClient>> slow;
  for (int i = 0; i < kSlow; ++i) {
    WsClient::Options o;
    o.token = fx.Token(p.alice);
    o.read = false;
    o.receive_buffer = 4096;
    slow.push_back(Open(fx, o));
  }
  auto fast = Open(fx, fx.Token(p.bob));
  Expect(*fast, "hello");

  // 10,000 posts of 4,000 characters, in batches of 50 (each delivered to the
  // reading client before the next) so that no burst is larger than that.
  const std::string text(4000, 'z');
  int delivered = 0;
  const long held_before = HeldKiB();
  for (int batch = 0; batch < 200; ++batch) {
    std::atomic<int> left{50};
    std::promise<void> all;
    for (int i = 0; i < 50; ++i) {
      quik::NewMessage m;
      m.text = text;
      fx.svc().messages().PostAsync(quik::Actor::ForUser(p.bob.id), p.general.id, m,
                                    [&](quik::Result<quik::Posted> r) {
                                      if (!r.ok()) std::abort();
                                      if (--left == 0) all.set_value();
                                    });
    }
    all.get_future().wait();
    while (delivered < (batch + 1) * 50) {
      auto f = fast->NextRaw(10s);
      if (!f) break;
      if (f->data.find("\"message.posted\"") != std::string::npos) ++delivered;
    }
  }
  while (delivered < 10000) {
    auto f = fast->NextRaw(10s);
    if (!f) break;
    if (f->data.find("\"message.posted\"") != std::string::npos) ++delivered;
  }
  INFO("fast client closed " << fast->close_code() << " " << fast->close_reason() << " "
                             << fast->close_error());
  CHECK(delivered == 10000);  // the reading client got everything
  const long held_after = HeldKiB();
  INFO("memory held before " << held_before << " KiB, after " << held_after << " KiB");
  // The stated bound, 24 MiB: the hub's ring of recent events (8 MiB), the
  // page caches (2 MiB each) and the slow clients' queues (at most 16 times
  // realtime.max_queue_bytes each, and closed within a second past it).
  CHECK(held_after - held_before < 24 * 1024);

  auto metrics = fx.Root().Get("/metrics").body;
  CHECK(metrics.find("quik_realtime_slow_consumers_total " + std::to_string(kSlow) + "\n") !=
        std::string::npos);
  CHECK(metrics.find("\nquik_realtime_connections_open ") != std::string::npos);
  const std::string sent_line = "\nquik_realtime_frames_sent_total ";
  const auto sent = metrics.find(sent_line);
  REQUIRE(sent != std::string::npos);
  CHECK(std::stoll(metrics.substr(sent + sent_line.size())) >= 10000);  // the fast client's
  for (auto& ws : slow) {
    ws->StartReading();
    REQUIRE(ws->WaitClosed(15s));
    CHECK(ws->frames_received() < 10000);
    // The close frame waits behind what the client never read; the server
    // gives it 5 seconds, then drops the socket: these were not read for
    // longer than that (the metric above says why they went).
    INFO("close " << ws->close_code() << " " << ws->close_reason());
    CHECK((ws->close_code() == 0 || ws->close_code() == 1008));
  }

  // A client that starts reading as soon as it is found slow reads its
  // backlog, then the close frame: 1008 and why.
  WsClient::Options late_options;
  late_options.token = fx.Token(p.alice);
  late_options.read = false;
  late_options.receive_buffer = 4096;
  auto late = Open(fx, late_options);
  auto slow_consumers = [&] {
    const std::string body = fx.Root().Get("/metrics").body;
    const std::string line = "\nquik_realtime_slow_consumers_total ";
    const auto at = body.find(line);
    return at == std::string::npos ? -1 : std::stoi(body.substr(at + line.size()));
  };
  for (int batch = 0; batch < 100 && slow_consumers() == kSlow; ++batch) {
    for (int i = 0; i < 50; ++i) fx.PostAs(p.bob, p.general.id, text);
  }
  REQUIRE(slow_consumers() == kSlow + 1);
  late->StartReading();
  REQUIRE(late->WaitClosed(15s));
  CHECK(late->close_code() == 1008);
  CHECK(late->close_reason().find("slow consumer") != std::string::npos);
}

TEST_CASE("typing reaches the channel's other members only, at a limited rate", "[realtime]") {
  auto clock = std::make_shared<quik::ManualClock>();
  HttpFixture fx([&](quik::Options& o) { o.clock = clock; });
  Pair p(fx);
  quik::User carol = fx.CreateUser("Carol");
  fx.AddMember(p.ws, carol, quik::Role::kMember);  // not in #general
  auto a = Open(fx, fx.Token(p.alice));
  auto b = Open(fx, fx.Token(p.bob));
  auto c = Open(fx, fx.Token(carol));
  for (auto* ws : {a.get(), b.get(), c.get()}) Expect(*ws, "hello");

  const std::string frame = json{{"type", "typing"}, {"channel_id", p.general.id}}.dump();
  a->SendText(frame);
  auto t = Expect(*b, "typing");
  CHECK(t["user_id"] == p.alice.id);
  CHECK(t["channel_id"] == p.general.id);
  CHECK(t["workspace_id"] == p.ws.id);
  CHECK(t.count("seq") == 0);  // ephemeral
  a->SendText(frame);          // within typing_interval: dropped
  CHECK_FALSE(b->NextOfType("typing", 500ms));
  CHECK_FALSE(c->NextOfType("typing", 100ms));
  CHECK_FALSE(a->NextOfType("typing", 100ms));  // not echoed
  // Once realtime.typing_interval has passed, the next one goes out.
  clock->Advance(fx.options().realtime.typing_interval - 1ms);
  a->SendText(frame);
  CHECK_FALSE(b->NextOfType("typing", 200ms));
  clock->Advance(1ms);
  a->SendText(frame);
  CHECK(Expect(*b, "typing")["user_id"] == p.alice.id);

  c->SendText(frame);  // not a member
  auto e = Expect(*c, "error");
  CHECK(e["error"]["code"] == "not_found");
}

TEST_CASE("presence changes reach the people who share a workspace", "[realtime]") {
  HttpFixture fx([](quik::Options& o) { o.realtime.presence_grace = std::chrono::seconds(1); });
  Pair p(fx);
  quik::User stranger = fx.CreateUser("Stranger");  // shares no workspace with alice
  WsClient::Options keep;
  keep.drop = nullptr;
  keep.token = fx.Token(p.bob);
  auto b = Open(fx, keep);
  keep.token = fx.Token(stranger);
  auto s = Open(fx, keep);
  Expect(*b, "hello");
  Expect(*s, "hello");

  // Alice's changes, skipping everyone else's (bob's own "online" first).
  auto next_of_alice = [&](WsClient& ws, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::optional<json> f;
    while (std::chrono::steady_clock::now() < deadline) {
      f = ws.NextOfType("presence.changed", std::chrono::duration_cast<std::chrono::milliseconds>(
                                                deadline - std::chrono::steady_clock::now()));
      if (!f || (*f)["user_id"] == p.alice.id) return f;
    }
    return std::optional<json>();
  };
  const std::string alice_token = fx.Token(p.alice);
  auto a = Open(fx, alice_token);
  Expect(*a, "hello");
  auto online = next_of_alice(*b);
  REQUIRE(online);
  CHECK((*online)["user_id"] == p.alice.id);
  CHECK((*online)["status"] == "online");
  CHECK(online->count("seq") == 0);  // ephemeral

  a->SendText(R"({"type":"presence","status":"away"})");
  auto away = next_of_alice(*b);
  REQUIRE(away);
  CHECK((*away)["status"] == "away");
  auto listed = fx.Client(fx.Token(p.bob)).Get("/workspaces/" + p.ws.id + "/presence");
  REQUIRE(listed.status == 200);
  bool found = false;
  for (const auto& item : listed.Items()) {
    if (item["user_id"] == p.alice.id) {
      found = true;
      CHECK(item["status"] == "away");
    }
  }
  CHECK(found);

  a->SendText(R"({"type":"presence","status":"sleepy"})");
  CHECK(a->NextOfType("error"));

  REQUIRE(fx.Client(alice_token).Put("/users/me/presence", {{"status", "dnd"}}).status == 200);
  auto dnd = next_of_alice(*b);
  REQUIRE(dnd);
  CHECK((*dnd)["status"] == "dnd");

  a.reset();  // offline once the grace period (1 s here) has passed
  auto offline = next_of_alice(*b, 5s);
  REQUIRE(offline);
  CHECK((*offline)["status"] == "offline");
  CHECK(offline->contains("last_seen"));
  CHECK_FALSE(next_of_alice(*s, 200ms));
}

TEST_CASE("revoking the token or deactivating the user closes its connections", "[realtime]") {
  HttpFixture fx;
  Pair p(fx);
  auto issued = fx.IssueToken(p.bob);
  auto other = fx.IssueToken(p.bob);
  auto b1 = Open(fx, issued.secret);
  auto b2 = Open(fx, other.secret);
  Expect(*b1, "hello");
  Expect(*b2, "hello");
  REQUIRE_OK(fx.svc().auth().RevokeToken(quik::Actor::System(), issued.token.id));
  REQUIRE(b1->WaitClosed());
  CHECK(b1->close_code() == 1008);
  CHECK(b1->close_reason().find("revoked") != std::string::npos);
  CHECK_FALSE(b2->WaitClosed(300ms));
  REQUIRE(fx.svc().users().Deactivate(quik::Actor::System(), p.bob.id).ok());
  REQUIRE(b2->WaitClosed());
  // Deactivation revokes the user's tokens first; either reason will do.
  CHECK(b2->close_code() == 1008);
}

TEST_CASE("realtime connections are limited per user", "[realtime]") {
  HttpFixture fx([](quik::Options& o) { o.realtime.max_connections_per_user = 2; });
  Pair p(fx);
  const std::string token = fx.Token(p.alice);
  auto one = Open(fx, token);
  auto two = Open(fx, token);
  Expect(*one, "hello");
  Expect(*two, "hello");
  auto three = Open(fx, token);
  REQUIRE(three->WaitClosed());
  CHECK(three->close_code() == 1008);
  CHECK(three->close_reason().find("max_connections_per_user") != std::string::npos);
  one.reset();  // a slot frees up once the server sees it go
  std::unique_ptr<WsClient> four;
  for (int i = 0; i < 50; ++i) {
    four = Open(fx, token);
    if (four->Next(1s)) break;
  }
  CHECK_FALSE(four->WaitClosed(200ms));
}

TEST_CASE("an origin outside realtime.allowed_origins is refused", "[realtime]") {
  HttpFixture fx([](quik::Options& o) { o.realtime.allowed_origins = {"https://chat.example"}; });
  Pair p(fx);
  WsClient::Options o;
  o.token = fx.Token(p.alice);
  o.origin = "https://evil.example";
  auto bad = WsClient::Connect(fx.port(), o);
  CHECK_FALSE(bad->ok());
  CHECK(bad->http_status() == 403);
  o.origin = "https://chat.example";
  auto good = Open(fx, o);
  Expect(*good, "hello");
}

TEST_CASE("the quik.v1.proto subprotocol carries the same frames as Protobuf", "[realtime]") {
  HttpFixture fx;
  Pair p(fx);
  WsClient::Options o;
  o.token = fx.Token(p.alice);
  o.protocol = "quik.v1.proto";
  o.drop = [](const std::string& data, bool) {
    quik::v1::ServerFrame f;
    return f.ParseFromString(data) && f.has_presence_changed();
  };
  auto a = Open(fx, o);
  auto next = [&] {
    auto f = a->NextRaw();
    REQUIRE(f);
    CHECK(f->binary);
    quik::v1::ServerFrame frame;
    REQUIRE(frame.ParseFromString(f->data));
    return frame;
  };
  auto hello = next();
  REQUIRE(hello.has_hello());
  CHECK(hello.hello().user_id() == p.alice.id);
  fx.PostAs(p.bob, p.general.id, "binary");
  auto ev = next();
  REQUIRE(ev.has_event());
  CHECK(ev.event().type() == "message.posted");
  CHECK(ev.event().channel_id() == p.general.id);
  CHECK(ev.event().data().message().text() == "binary");
  CHECK(ev.event().seq() > hello.hello().seq());
  quik::v1::ClientFrame ping;
  ping.mutable_ping();
  a->SendBinary(ping.SerializeAsString());
  CHECK(next().has_pong());
  a->SendBinary("\xff\xff\xff");
  auto err = next();
  REQUIRE(err.has_error());
  CHECK(err.error().code() == "invalid_argument");
}

TEST_CASE("GET /events is the long-poll twin of the WebSocket", "[realtime]") {
  HttpFixture fx;
  Pair p(fx);
  auto api = fx.Client(fx.Token(p.alice));
  auto first = api.Get("/events?wait=0");
  REQUIRE(first.status == 200);
  const auto start = first.Json()["seq"].get<std::int64_t>();
  CHECK(first.Json()["events"].empty());

  fx.PostAs(p.bob, p.general.id, "polled");
  auto got = api.Get("/events?after=" + std::to_string(start));
  REQUIRE(got.status == 200);
  auto events = got.Json()["events"];
  REQUIRE(events.size() == 1);
  CHECK(events[0]["type"] == "message.posted");
  CHECK(events[0]["data"]["text"] == "polled");
  const auto seq = got.Json()["seq"].get<std::int64_t>();
  CHECK(seq == events[0]["seq"]);

  // Waiting: answered as soon as an event arrives. The poll runs on a thread
  // of its own with a plain client (Catch's assertions are for this thread).
  quik::net::ClientOptions options;
  options.default_headers.emplace_back("Authorization", "Bearer " + fx.Token(p.alice));
  auto client = quik::net::HttpClient::Connect(fx.url() + "/api/v1", options);
  REQUIRE(client.ok());
  const auto t0 = std::chrono::steady_clock::now();
  auto poll = std::async(std::launch::async, [&client, seq] {
    return client->Request("GET", "/events?wait=20&after=" + std::to_string(seq));
  });
  std::this_thread::sleep_for(300ms);  // the poll is waiting by now (or answers at once)
  fx.PostAs(p.bob, p.general.id, "waited for");
  auto polled = poll.get();
  REQUIRE(polled.ok());
  quik_http::Resp waited{polled->status, polled->body, polled->headers};
  REQUIRE(waited.status == 200);
  CHECK(waited.Json()["events"][0]["data"]["text"] == "waited for");
  CHECK(std::chrono::steady_clock::now() - t0 < 10s);

  // Nothing new within the wait: empty, same cursor.
  const auto latest = waited.Json()["seq"].get<std::int64_t>();
  auto empty = api.Get("/events?wait=1&after=" + std::to_string(latest));
  CHECK(empty.Json()["events"].empty());
  CHECK(empty.Json()["seq"] == latest);

  CHECK(api.Get("/events?after=abc").status == 400);
  CHECK(api.Get("/events?wait=3600").status == 400);
  CHECK(api.Get("/events?after=99999999").Json()["events"][0]["type"] == "resync_required");
  CHECK(fx.Client().Get("/events").status == 401);
}

TEST_CASE("a waiting long-poll is answered when the server shuts down", "[realtime]") {
  HttpFixture fx;
  Pair p(fx);
  auto api = fx.Client(fx.Token(p.alice));
  const auto seq = api.Get("/events").Json()["seq"].get<std::int64_t>();
  std::thread stopper([&] {
    std::this_thread::sleep_for(500ms);
    fx.server().Shutdown();
  });
  const auto t0 = std::chrono::steady_clock::now();
  auto r = api.Get("/events?wait=60&after=" + std::to_string(seq));
  stopper.join();
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK(r.status == 200);
  CHECK(r.Json()["events"].empty());
  CHECK(r.Json()["seq"] == seq);  // nothing skipped: poll again from here
}
