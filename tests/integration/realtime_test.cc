// SPDX-License-Identifier: MIT
// The realtime API end to end (CONTRACT.md section 3): a real server on
// 127.0.0.1:0 and real WebSocket clients over loopback.
#include <unistd.h>

#include <fstream>
#include <set>

#include "common/ids.hpp"
#include "integration/cli_harness.hpp"
#include "integration/http_fixture.hpp"
#include "integration/ws_connect.hpp"
#include "realtime/hub.hpp"
#include "service/context.hpp"
#include "testing/ws_client.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using quik_http::HttpFixture;
using quik_testing::WsClient;

// One workspace with a public channel #general (alice, bob, carol), a private
// channel #secret (alice, bob) and an outsider, dave, in the workspace only.
struct Room {
  explicit Room(HttpFixture& fx)
      : alice(fx.CreateUser("Alice")),
        bob(fx.CreateUser("Bob")),
        carol(fx.CreateUser("Carol")),
        dave(fx.CreateUser("Dave")),
        ws(fx.CreateWorkspace(alice, "Acme", "acme")) {
    fx.AddMember(ws, bob, quik::Role::kMember);
    fx.AddMember(ws, carol, quik::Role::kMember);
    fx.AddMember(ws, dave, quik::Role::kMember);
    general = fx.CreateChannel(alice, ws, "general");
    fx.AddChannelMember(general, bob);
    fx.AddChannelMember(general, carol);
    secret = fx.CreateChannel(alice, ws, "secret", /*is_private=*/true);
    fx.AddChannelMember(secret, bob);
  }
  quik::User alice, bob, carol, dave;
  quik::Workspace ws;
  quik::Channel general, secret;
};

// The hello frame, checked; returns its seq.
std::int64_t Hello(WsClient& ws, const std::string& user_id) {
  auto hello = ws.Next();
  REQUIRE(hello);
  INFO(hello->dump());
  REQUIRE((*hello)["type"] == "hello");
  CHECK((*hello)["user_id"] == user_id);
  return (*hello)["seq"].get<std::int64_t>();
}

// Connects once, reads hello and disconnects: the cursor to resume from.
std::int64_t CursorNow(HttpFixture& fx, const std::string& token, const std::string& user_id) {
  auto ws = quik_http::ConnectWs(fx, token);
  return Hello(*ws, user_id);
}

// Posts as the system-side service; faster than HTTP for bulk setup.
void PostMany(HttpFixture& fx, const quik::User& author, const std::string& channel, int n,
              const std::string& prefix) {
  std::atomic<int> left{n};
  std::promise<void> all;
  for (int i = 0; i < n; ++i) {
    quik::NewMessage m;
    m.text = prefix + std::to_string(i);
    fx.svc().messages().PostAsync(quik::Actor::ForUser(author.id), channel, m,
                                  [&](quik::Result<quik::Posted> r) {
                                    if (!r.ok()) std::abort();
                                    if (--left == 0) all.set_value();
                                  });
  }
  all.get_future().wait();
}

// Reads message.posted frames until `n` arrived; returns their texts in order
// and checks the seqs rise strictly.
std::vector<std::string> ReadPosts(WsClient& ws, int n, std::int64_t* last_seq = nullptr) {
  std::vector<std::string> texts;
  std::int64_t prev = 0;
  while (static_cast<int>(texts.size()) < n) {
    auto f = ws.Next(10s);
    if (!f) break;
    if ((*f)["type"] != "message.posted") continue;
    const auto seq = (*f)["seq"].get<std::int64_t>();
    CHECK(seq > prev);
    prev = seq;
    texts.push_back((*f)["data"]["text"].get<std::string>());
  }
  if (last_seq) *last_seq = prev;
  return texts;
}

}  // namespace

TEST_CASE("two users see each other's posts, edits and deletes in order", "[realtime]") {
  HttpFixture fx;
  Room room(fx);
  auto a = quik_http::ConnectWs(fx, fx.Token(room.alice));
  auto b = quik_http::ConnectWs(fx, fx.Token(room.bob));
  const auto seq_a = Hello(*a, room.alice.id);
  Hello(*b, room.bob.id);

  auto api_b = fx.Client(fx.Token(room.bob));
  auto posted = api_b.Post("/channels/" + room.general.id + "/messages", {{"text", "hi alice"}});
  REQUIRE(posted.status == 201);
  const std::string id = posted.Json()["id"];
  REQUIRE(api_b.Patch("/messages/" + id, {{"text", "hi alice!"}}).status == 200);
  REQUIRE(api_b.Send("DELETE", "/messages/" + id).status == 204);

  for (WsClient* ws : {a.get(), b.get()}) {
    std::vector<std::string> types;
    std::int64_t prev = seq_a;
    while (types.size() < 3) {
      auto f = ws->Next();
      REQUIRE(f);
      INFO(f->dump());
      CHECK((*f)["seq"].get<std::int64_t>() > prev);
      prev = (*f)["seq"].get<std::int64_t>();
      CHECK((*f)["workspace_id"] == room.ws.id);
      CHECK((*f)["channel_id"] == room.general.id);
      CHECK((*f)["data"]["id"] == id);
      types.push_back((*f)["type"]);
      // The edit as it was, or (delivered once the delete had committed) the
      // tombstone: deleted means gone, also for a frame still on its way.
      if ((*f)["type"] == "message.edited") {
        const bool deleted = (*f)["data"].contains("deleted_at");
        CHECK((*f)["data"]["text"] == (deleted ? "" : "hi alice!"));
      }
    }
    CHECK(types == std::vector<std::string>{"message.posted", "message.edited", "message.deleted"});
  }
}

TEST_CASE("a client that misses 1000 events gets exactly those on resume", "[realtime]") {
  HttpFixture fx;
  Room room(fx);
  const std::string token = fx.Token(room.alice);
  std::int64_t cursor = 0;
  {
    auto a = quik_http::ConnectWs(fx, token);
    cursor = Hello(*a, room.alice.id);
    fx.PostAs(room.bob, room.general.id, "seen");
    auto seen = ReadPosts(*a, 1, &cursor);
    REQUIRE(seen == std::vector<std::string>{"seen"});
  }
  PostMany(fx, room.bob, room.general.id, 1000, "missed ");
  auto a = quik_http::ConnectWs(fx, token, "after=" + std::to_string(cursor));
  const auto latest = Hello(*a, room.alice.id);
  CHECK(latest >= cursor + 1000);
  // Then a live one, after the hand-over.
  std::int64_t last = 0;
  auto texts = ReadPosts(*a, 1000, &last);
  fx.PostAs(room.bob, room.general.id, "live");
  auto live = ReadPosts(*a, 1);
  REQUIRE(texts.size() == 1000);
  std::set<std::string> unique(texts.begin(), texts.end());
  CHECK(unique.size() == 1000);  // no duplicates
  CHECK(live == std::vector<std::string>{"live"});
  // Nothing else: no repeat at the hand-over.
  CHECK_FALSE(a->NextOfType("message.posted", 300ms));
}

TEST_CASE("a resume older than the in-memory ring replays from the log", "[realtime]") {
  HttpFixture fx;
  Room room(fx);
  const std::string token = fx.Token(room.carol);
  const std::int64_t cursor = CursorNow(fx, token, room.carol.id);
  const int n = static_cast<int>(quik::realtime::Hub::kRingSize) + 700;
  PostMany(fx, room.bob, room.general.id, n, "m");
  // Private channel traffic in between must not reach carol, even on replay.
  fx.PostAs(room.bob, room.secret.id, "private");
  auto c = quik_http::ConnectWs(fx, token, "after=" + std::to_string(cursor));
  Hello(*c, room.carol.id);
  auto texts = ReadPosts(*c, n);
  REQUIRE(texts.size() == static_cast<std::size_t>(n));
  // Async posts commit in no fixed order: compare as a set (ReadPosts checked
  // that the seqs rose).
  std::set<std::string> unique(texts.begin(), texts.end());
  CHECK(unique.size() == static_cast<std::size_t>(n));
  CHECK(unique.count("private") == 0);
  fx.PostAs(room.bob, room.general.id, "after replay");
  CHECK(ReadPosts(*c, 1) == std::vector<std::string>{"after replay"});
}

TEST_CASE("a cursor older than the retained log gets resync_required", "[realtime]") {
  HttpFixture fx;
  Room room(fx);
  const std::string token = fx.Token(room.alice);
  fx.PostAs(room.bob, room.general.id, "old");
  // Retention removes the oldest events (what the event thread does every minute).
  auto* ctx = quik::internal::ContextOf(fx.svc());
  REQUIRE(ctx != nullptr);
  std::int64_t deleted = 0;
  REQUIRE(ctx->store
              ->Write([&](quik::store::Tx& tx) {
                QUIK_ASSIGN_OR_RETURN(deleted,
                                      tx.PruneEvents(quik::internal::NowMillis() + 1, 100000));
                return quik::Status::Ok();
              })
              .ok());
  REQUIRE(deleted > 0);

  SECTION("too old") {
    auto a = quik_http::ConnectWs(fx, token, "after=1");
    const auto latest = Hello(*a, room.alice.id);
    auto f = a->Next();
    REQUIRE(f);
    CHECK((*f)["type"] == "resync_required");
    // Live events follow.
    fx.PostAs(room.bob, room.general.id, "new");
    CHECK(ReadPosts(*a, 1) == std::vector<std::string>{"new"});
    CHECK(latest > 1);
  }
  SECTION("from the future (a data dir restored from an older backup)") {
    auto a = quik_http::ConnectWs(fx, token, "after=999999");
    Hello(*a, room.alice.id);
    auto f = a->Next();
    REQUIRE(f);
    CHECK((*f)["type"] == "resync_required");
  }
}

TEST_CASE("an outsider receives nothing from a private channel", "[realtime]") {
  HttpFixture fx;
  Room room(fx);
  auto d = quik_http::ConnectWs(
      fx, fx.Token(room.dave));  // in the workspace, not in #secret or #general
  auto c = quik_http::ConnectWs(fx, fx.Token(room.carol));  // in #general, not in #secret
  Hello(*d, room.dave.id);
  Hello(*c, room.carol.id);
  fx.PostAs(room.bob, room.secret.id, "private");
  fx.PostAs(room.bob, room.general.id, "public");
  // Carol's next post event is the public one.
  CHECK(ReadPosts(*c, 1) == std::vector<std::string>{"public"});
  // Dave is in no channel: no message at all.
  CHECK_FALSE(d->NextOfType("message.posted", 500ms));
  // A new public channel is announced to every non-guest member (dave too),
  // a new private one only to its creator.
  fx.CreateChannel(room.alice, room.ws, "hidden", /*is_private=*/true);
  fx.CreateChannel(room.alice, room.ws, "random");
  auto created = d->NextOfType("channel.created");
  REQUIRE(created);
  CHECK((*created)["data"]["name"] == "random");
}

TEST_CASE("a member added to a private channel sees it from the join on", "[realtime]") {
  HttpFixture fx;
  Room room(fx);
  auto c = quik_http::ConnectWs(fx, fx.Token(room.carol));
  Hello(*c, room.carol.id);
  fx.PostAs(room.bob, room.secret.id, "before");
  fx.AddChannelMember(room.secret, room.carol);
  auto joined = c->NextOfType("member.joined");
  REQUIRE(joined);
  CHECK((*joined)["channel_id"] == room.secret.id);
  CHECK((*joined)["data"]["user_id"] == room.carol.id);
  fx.PostAs(room.bob, room.secret.id, "after");
  CHECK(ReadPosts(*c, 1) == std::vector<std::string>{"after"});
  // Removed again: nothing more.
  REQUIRE_OK(
      fx.svc().channels().RemoveMember(quik::Actor::System(), room.secret.id, room.carol.id));
  auto left = c->NextOfType("member.left");
  REQUIRE(left);
  fx.PostAs(room.bob, room.secret.id, "gone");
  fx.PostAs(room.bob, room.general.id, "general");
  CHECK(ReadPosts(*c, 1) == std::vector<std::string>{"general"});
}

TEST_CASE("a quikctl post from another process arrives on an open WebSocket", "[realtime]") {
  HttpFixture fx;
  Room room(fx);
  auto a = quik_http::ConnectWs(fx, fx.Token(room.alice));
  Hello(*a, room.alice.id);
  const auto started = std::chrono::steady_clock::now();
  auto r =
      quik::testing::RunProcess(QUIKCTL_PATH,
                                {"--data-dir", fx.options().data_dir.string(), "post", "--channel",
                                 room.general.id, "--as", room.bob.id, "from another process"},
                                "", {{"QUIK_DATA_DIR", ""}});
  INFO(r.Describe());
  REQUIRE(r.exit_code == 0);
  // Within 100 ms of the other process's commit (it has exited by now).
  const auto exited = std::chrono::steady_clock::now();
  auto f = a->NextOfType("message.posted", 5s);
  REQUIRE(f);
  CHECK(std::chrono::steady_clock::now() - exited < 100ms);
  CHECK((*f)["data"]["text"] == "from another process");
  CHECK((*f)["data"]["user_id"] == room.bob.id);
  CHECK(std::chrono::steady_clock::now() - started < 5s);
}

TEST_CASE("embedders get every event in order through EventService::Subscribe", "[realtime]") {
  HttpFixture fx;
  Room room(fx);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<quik::Event> seen;
  auto id = fx.server().on_event([&](const quik::Event& e) {
    std::lock_guard lock(mu);
    seen.push_back(e);
    cv.notify_all();
  });
  REQUIRE(id.ok());
  fx.PostAs(room.bob, room.general.id, "one");
  fx.PostAs(room.bob, room.secret.id, "two");  // the system view: everything
  auto r = quik::testing::RunProcess(QUIKCTL_PATH,
                                     {"--data-dir", fx.options().data_dir.string(), "post",
                                      "--channel", room.general.id, "--as", room.bob.id, "three"},
                                     "", {{"QUIK_DATA_DIR", ""}});
  REQUIRE(r.exit_code == 0);
  {
    // Events committed just before Subscribe may come first; every event
    // after them comes, once, in order.
    auto posts = [&] {
      std::vector<std::string> channels;
      for (const auto& e : seen) {
        if (e.type == "message.posted") channels.push_back(e.channel_id);
      }
      return channels;
    };
    std::unique_lock lock(mu);
    REQUIRE(cv.wait_for(lock, 5s, [&] { return posts().size() >= 3; }));
    for (std::size_t i = 1; i < seen.size(); ++i) CHECK(seen[i].seq == seen[i - 1].seq + 1);
    CHECK(posts() == std::vector<std::string>{room.general.id, room.secret.id, room.general.id});
  }
  fx.svc().events().Unsubscribe(*id);
  const std::size_t before = [&] {
    std::lock_guard lock(mu);
    return seen.size();
  }();
  fx.PostAs(room.bob, room.general.id, "four");
  std::this_thread::sleep_for(200ms);
  std::lock_guard lock(mu);
  CHECK(seen.size() == before);
}

TEST_CASE("a large backlog is replayed at the client's pace, not closed as slow", "[realtime]") {
  HttpFixture fx([](quik::Options& o) { o.realtime.max_queue_bytes = 64 << 10; });
  Room room(fx);
  const std::string token = fx.Token(room.alice);
  const std::int64_t cursor = CursorNow(fx, token, room.alice.id);
  // 1,000 posts of 2,000 characters: 2 MB, thirty times the queue limit.
  PostMany(fx, room.bob, room.general.id, 1000, std::string(2000, 'x') + " ");
  auto a = quik_http::ConnectWs(fx, token, "after=" + std::to_string(cursor));
  Hello(*a, room.alice.id);
  auto texts = ReadPosts(*a, 1000);
  CHECK(texts.size() == 1000);
  CHECK_FALSE(a->WaitClosed(100ms));
}

TEST_CASE("a client resumes across a server restart and misses nothing", "[realtime]") {
  HttpFixture fx;
  Room room(fx);
  const std::string token = fx.Token(room.alice);
  auto a = quik_http::ConnectWs(fx, token);
  Hello(*a, room.alice.id);
  fx.PostAs(room.bob, room.general.id, "before");
  std::int64_t cursor = 0;
  REQUIRE(ReadPosts(*a, 1, &cursor) == std::vector<std::string>{"before"});
  fx.server().Shutdown();  // the client is told to go away
  REQUIRE(a->WaitClosed());
  CHECK(a->close_code() == 1001);
  fx.server().Wait();
  // While the server is down, a script posts through quikctl.
  auto r =
      quik::testing::RunProcess(QUIKCTL_PATH,
                                {"--data-dir", fx.options().data_dir.string(), "post", "--channel",
                                 room.general.id, "--as", room.bob.id, "while down"},
                                "", {{"QUIK_DATA_DIR", ""}});
  REQUIRE(r.exit_code == 0);
  fx.Restart();
  auto again = quik_http::ConnectWs(fx, token, "after=" + std::to_string(cursor));
  Hello(*again, room.alice.id);
  CHECK(ReadPosts(*again, 1) == std::vector<std::string>{"while down"});
  fx.PostAs(room.bob, room.general.id, "after");
  CHECK(ReadPosts(*again, 1) == std::vector<std::string>{"after"});
}

TEST_CASE("a resume follows membership at the time of each missed event", "[realtime]") {
  HttpFixture fx;
  Room room(fx);
  fx.AddChannelMember(room.secret, room.carol);
  const std::string token = fx.Token(room.carol);
  const std::int64_t cursor = CursorNow(fx, token, room.carol.id);
  fx.PostAs(room.bob, room.secret.id, "while a member");
  REQUIRE_OK(
      fx.svc().channels().RemoveMember(quik::Actor::System(), room.secret.id, room.carol.id));
  fx.PostAs(room.bob, room.secret.id, "after removal");
  fx.PostAs(room.bob, room.general.id, "general");
  auto c = quik_http::ConnectWs(fx, token, "after=" + std::to_string(cursor));
  Hello(*c, room.carol.id);
  std::vector<std::string> seen;
  for (;;) {
    auto f = c->Next(2s);
    if (!f) break;
    if ((*f)["type"] == "message.posted") seen.push_back((*f)["data"]["text"]);
    if ((*f)["type"] == "member.left")
      seen.push_back("left " + (*f)["channel_id"].get<std::string>());
    if (seen.size() == 3) break;
  }
  CHECK(seen == std::vector<std::string>{"while a member", "left " + room.secret.id, "general"});
  CHECK_FALSE(c->NextOfType("message.posted", 300ms));
}
