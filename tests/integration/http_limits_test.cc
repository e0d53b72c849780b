// SPDX-License-Identifier: MIT
// Limits per client: connections per address, read deadlines that count
// progress (a slow body completes, a stalled one is answered 408 and logged),
// NUL in JSON strings, and a full disk answered one way on every write route.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "integration/http_fixture.hpp"
#include "service/context.hpp"
#include "store/space.hpp"

namespace {

using quik_http::Api;
using quik_http::Clock;
using quik_http::HttpFixture;
using quik_http::json;
using quik_http::RawSocket;
using quik_http::RawStatus;
using quik_http::Resp;
using namespace std::chrono_literals;

const std::string kHealth = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

// Sends `bytes` in pieces of `piece` bytes, one every `every`; false if the
// server closed the connection first.
bool Trickle(RawSocket& s, const std::string& bytes, std::size_t piece,
             std::chrono::milliseconds every) {
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    if (!s.Send(std::string_view(bytes).substr(at, piece))) return false;
    if (!s.Pump(every)) return at + piece >= bytes.size();
  }
  return true;
}

// The JSON body of a raw response.
json RawJson(const std::string& response) {
  const auto end = response.find("\r\n\r\n");
  if (end == std::string::npos) return json();
  return json::parse(response.substr(end + 4), nullptr, false);
}

// The logged request records with `status`.
std::vector<json> LoggedWithStatus(HttpFixture& fx, int status) {
  std::vector<json> out;
  for (const std::string& line : fx.LogLines()) {
    json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("msg", "") == "request" && j.value("status", 0) == status) {
      out.push_back(std::move(j));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("limits: one address holding its connection cap shuts out no other address",
          "[http][limits]") {
  // The default cap (256), as a client holding many idle connections meets it.
  HttpFixture fx;
  REQUIRE(fx.options().server.max_connections_per_address == 256);
  constexpr int kHeld = 270;
  std::vector<std::unique_ptr<RawSocket>> held;
  for (int i = 0; i < kHeld; ++i)
    held.push_back(std::make_unique<RawSocket>(fx.port(), "127.0.0.2"));
  // Those past the cap are closed at once without an answer; the rest stay.
  std::size_t closed = 0;
  const auto deadline = Clock::now() + 10s;
  std::vector<bool> gone(kHeld, false);
  while (closed < kHeld - 256 && Clock::now() < deadline) {
    for (int i = 0; i < kHeld; ++i) {
      if (!gone[i] && !held[i]->Pump(0ms)) {
        gone[i] = true;
        ++closed;
        CHECK(held[i]->received().empty());
      }
    }
    std::this_thread::sleep_for(20ms);
  }
  CHECK(closed == kHeld - 256);

  // Meanwhile another address connects and is served, and so is the default one.
  RawSocket other(fx.port(), "127.0.0.3");
  REQUIRE(other.Send(kHealth));
  CHECK(RawStatus(other.ReadResponse(5s)) == 200);
  CHECK(fx.Root().Get("/healthz").status == 200);
  CHECK(fx.Root().Get("/readyz").status == 200);

  // The capped address itself gets a connection again once it lets one go.
  for (int i = 0; i < kHeld; ++i) {
    if (!gone[i]) {
      held[i].reset();
      break;
    }
  }
  bool served = false;
  for (int i = 0; i < 100 && !served; ++i) {
    RawSocket again(fx.port(), "127.0.0.2");
    served = again.Send(kHealth) && RawStatus(again.ReadResponse(2s)) == 200;
    if (!served) std::this_thread::sleep_for(20ms);
  }
  CHECK(served);
}

TEST_CASE(
    "limits: server.max_connections_per_address closes further connections from that address only",
    "[http][limits]") {
  HttpFixture fx([](quik::Options& o) { o.server.max_connections_per_address = 2; });
  RawSocket a(fx.port(), "127.0.0.2");
  RawSocket b(fx.port(), "127.0.0.2");
  for (RawSocket* s : {&a, &b}) {
    REQUIRE(s->Send(kHealth));
    REQUIRE(RawStatus(s->ReadResponse(5s)) == 200);
  }
  RawSocket c(fx.port(), "127.0.0.2");
  c.Send(kHealth);
  REQUIRE(c.WaitClosed(3s));
  CHECK(c.received().empty());
  RawSocket d(fx.port(), "127.0.0.4");
  REQUIRE(d.Send(kHealth));
  CHECK(RawStatus(d.ReadResponse(5s)) == 200);
}

TEST_CASE("limits: a slow body that keeps coming completes and a stalled one is answered 408",
          "[http][limits]") {
  HttpFixture fx([](quik::Options& o) {
    o.http.request_timeout = 1s;
    o.http.min_body_rate = 1000;
  });
  quik::User alice = fx.CreateUser("Alice");
  quik::Workspace ws = fx.CreateWorkspace(alice, "Acme", "acme");
  quik::Channel general = fx.CreateChannel(alice, ws, "general");
  const std::string token = fx.Token(alice);
  const std::string auth = "Authorization: Bearer " + token + "\r\n";

  SECTION("an upload at 5 KB/s, far longer than http.request_timeout, completes") {
    // 12,000 bytes over about 2.4 s: 64 KiB would never arrive within one
    // request_timeout, and no single pause is anywhere near it.
    const std::string body(12000, 'u');
    RawSocket s(fx.port());
    REQUIRE(s.Send("POST /api/v1/workspaces/" + ws.id +
                   "/files?name=slow.bin HTTP/1.1\r\nHost: x\r\n" + auth +
                   "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
    const auto start = Clock::now();
    REQUIRE(Trickle(s, body, 500, 100ms));
    CHECK(Clock::now() - start > 2s);
    const std::string response = s.ReadResponse(10s);
    INFO(response);
    CHECK(RawStatus(response) == 201);
    CHECK(RawJson(response)["size"] == 12000);
  }

  SECTION("a JSON body at 5 KB/s completes too") {
    const std::string body = json{{"text", std::string(12000, 'm')}}.dump();
    RawSocket s(fx.port());
    REQUIRE(s.Send("POST /api/v1/channels/" + general.id + "/messages HTTP/1.1\r\nHost: x\r\n" +
                   auth + "Content-Type: application/json\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n"));
    REQUIRE(Trickle(s, body, 500, 100ms));
    const std::string response = s.ReadResponse(10s);
    INFO(response);
    CHECK(RawStatus(response) == 201);
  }

  SECTION("an upload that stalls is answered 408 and logged") {
    RawSocket s(fx.port());
    REQUIRE(s.Send("POST /api/v1/workspaces/" + ws.id +
                   "/files?name=stall.bin HTTP/1.1\r\nHost: x\r\n" + auth +
                   "Content-Length: 100000\r\n\r\n" + std::string(3000, 's')));
    const auto start = Clock::now();
    const std::string response = s.ReadResponse(5s);
    const auto took = Clock::now() - start;
    INFO(response);
    CHECK(RawStatus(response) == 408);
    CHECK(RawJson(response)["error"]["code"] == "request_timeout");
    CHECK(RawJson(response)["error"]["message"].get<std::string>().find("http.request_timeout") !=
          std::string::npos);
    CHECK(took >= 900ms);
    CHECK(took < 4s);
    CHECK(s.WaitClosed(3s));
    CHECK(LoggedWithStatus(fx, 408).size() == 1);
  }

  SECTION("a body that never pauses long but is slower than http.min_body_rate is answered 408") {
    // 200 bytes a second against 1000: behind its schedule after about 1.25 s.
    RawSocket s(fx.port());
    REQUIRE(s.Send("POST /api/v1/workspaces/" + ws.id +
                   "/files?name=crawl.bin HTTP/1.1\r\nHost: x\r\n" + auth +
                   "Content-Length: 100000\r\n\r\n"));
    const auto start = Clock::now();
    Trickle(s, std::string(2000, 'c'), 20, 100ms);  // 10 s at most; cut long before
    const std::string response = s.ReadResponse(3s);
    INFO(response);
    CHECK(RawStatus(response) == 408);
    CHECK(RawJson(response)["error"]["message"].get<std::string>().find("http.min_body_rate") !=
          std::string::npos);
    CHECK(Clock::now() - start < 5s);
    CHECK(LoggedWithStatus(fx, 408).size() == 1);
  }

  SECTION("a request head that stalls is answered 408 and logged") {
    RawSocket s(fx.port());
    REQUIRE(s.Send("GET /api/v1/users/me HTTP/1.1\r\nHost: x\r\n"));
    const std::string response = s.ReadResponse(4s);
    INFO(response);
    CHECK(RawStatus(response) == 408);
    CHECK(LoggedWithStatus(fx, 408).size() == 1);
  }
  // No temp file of a cut upload is left behind, and the server serves on.
  CHECK(fx.Root().Get("/healthz").status == 200);
}

TEST_CASE("limits: NUL is refused in every string field of a JSON body", "[http][limits]") {
  HttpFixture fx;
  quik::User alice = fx.CreateUser("Alice");
  quik::Workspace ws = fx.CreateWorkspace(alice, "Acme", "acme");
  quik::Channel general = fx.CreateChannel(alice, ws, "general");
  Api api = fx.Client(fx.Token(alice));

  // client_msg_id: the finding.
  Resp r = api.Send("POST", "/channels/" + general.id + "/messages",
                    R"({"text":"hello","client_msg_id":"abc\u0000def"})");
  CHECK(r.status == 400);
  CHECK(r.code() == "invalid_argument");
  CHECK(r.message().find("client_msg_id") != std::string::npos);
  CHECK(r.message().find("NUL") != std::string::npos);
  // Nested and in lists, named by their path.
  r = api.Send("POST", "/workspaces/" + ws.id + "/dms", R"({"user_ids":["a","b\u0000"]})");
  CHECK(r.status == 400);
  CHECK(r.message().find("user_ids[1]") != std::string::npos);
  r = api.Send("PATCH", "/channels/" + general.id, R"({"topic":"x\u0000y"})");
  CHECK(r.status == 400);
  CHECK(r.message().find("'topic'") != std::string::npos);
  // Nothing was posted; a clean request still works.
  CHECK(api.Get("/channels/" + general.id + "/messages").Items().empty());
  CHECK(api.Post("/channels/" + general.id + "/messages", {{"text", "hello"}}).status == 201);

  // The service refuses it too (quikctl, embedders).
  quik::NewMessage msg;
  msg.text = "hi";
  msg.client_msg_id = std::string("a\0b", 3);
  auto posted = fx.svc().messages().Post(quik::Actor::ForUser(alice.id), general.id, msg);
  REQUIRE_FALSE(posted.ok());
  CHECK(posted.status().code() == quik::StatusCode::kInvalidArgument);
}

TEST_CASE("limits: a full disk is 503 with Retry-After on every write route and readyz tells",
          "[http][limits][disk-full]") {
  HttpFixture fx([](quik::Options& o) {
    o.storage.lmdb_map_size_mib = 1;  // LMDB's share of "the disk" in this test
    o.auth.login_max_failures = 0;
    // How many logins fit before the map is full depends on which freed pages
    // LMDB may reuse yet (readers still holding them): more than a minute's
    // login allowance on a slow machine. This test is about the full disk.
    o.auth.login_rate_per_address = 0;
  });
  quik::User alice = fx.CreateUser("Alice", std::string("alice-password"));
  quik::Workspace ws = fx.CreateWorkspace(alice, "Acme", "acme");
  quik::Channel general = fx.CreateChannel(alice, ws, "general");
  const std::string token = fx.Token(alice);
  Api api = fx.Client(token);
  Api root = fx.Root();
  Resp before = api.Post("/channels/" + general.id + "/messages", {{"text", "before"}});
  REQUIRE(before.status == 201);
  const std::string before_id = before.Json()["id"];
  REQUIRE(root.Get("/readyz").status == 200);
  auto store_of = [&]() -> quik::store::Store& {
    quik::internal::Context* ctx = quik::internal::ContextOf(fx.svc());
    REQUIRE(ctx != nullptr);
    return *ctx->store;
  };

  auto check_full = [](const Resp& r) {
    INFO(r.Describe());
    CHECK(r.status == 503);
    CHECK(r.code() == "unavailable");
    CHECK(r.message().find("storage is full") != std::string::npos);
    CHECK(r.header("Retry-After") == "5");
  };
  // A full store refuses each kind of write once it needs room (a small row
  // may still fit in a page's slack): repeats `write` until it is refused,
  // and that refusal must be the full-disk answer.
  auto refused = [&](const std::function<Resp(int)>& write) {
    Resp r;
    for (int i = 0; i < 300; ++i) {
      r = write(i);
      if (r.status >= 300) break;
    }
    check_full(r);
  };

  SECTION("quik.db full: posts, channels, uploads, edits") {
    // quik.db may not grow past its present pages (SQLite's max_page_count,
    // the limit a full disk imposes).
    store_of().set_max_db_pages(1);  // below its size: no more pages at all
    refused([&](int) {
      return api.Post("/channels/" + general.id + "/messages", {{"text", std::string(30000, 'x')}});
    });
    refused([&](int) {
      return api.Post("/channels/" + general.id + "/messages", {{"text", "x"}});
    });
    refused([&](int i) {
      return api.Post("/workspaces/" + ws.id + "/channels",
                      {{"name", "more-" + std::to_string(i)}});
    });
    refused([&](int i) {
      return api.Send("POST", "/workspaces/" + ws.id + "/files?name=f" + std::to_string(i) + ".bin",
                      std::string(20000, static_cast<char>('a' + i % 26)));
    });
    refused([&](int i) {
      return api.Patch("/messages/" + before_id, {{"text", "edited " + std::string(i * 100, 'e')}});
    });
    check_full(root.Get("/readyz"));
    // Reads go on.
    CHECK(api.Get("/channels/" + general.id + "/messages").status == 200);
    CHECK(root.Get("/healthz").status == 200);

    // Space returns: readyz is ready again and writes resume; nothing
    // acknowledged was lost.
    store_of().set_max_db_pages(0);
    CHECK(root.Get("/readyz").status == 200);
    CHECK(api.Post("/channels/" + general.id + "/messages", {{"text", "after"}}).status == 201);
    CHECK(api.Get("/channels/" + general.id + "/messages?limit=1").Items()[0]["text"] == "after");
    CHECK(api.Get("/messages/" + before_id).status == 200);
  }

  SECTION("LMDB full: logins, tokens and presence") {
    // Fill the 1 MiB LMDB map (sessions, tokens, presence live there) to the
    // last page: big values, then smaller ones, until not even a small one fits.
    // People with no presence record yet: setting one needs room (rewriting
    // an existing one reuses the pages it frees, and goes on working).
    std::vector<std::string> newcomers;
    for (int i = 0; i < 300; ++i) {
      newcomers.push_back(fx.Token(fx.CreateUser("Newcomer " + std::to_string(i))));
    }
    quik::store::LmdbEnv& lmdb = store_of().lmdb();
    int n = 0;
    for (std::size_t size : {16384, 1024, 16}) {
      for (int i = 0; i < 5000; ++i, ++n) {
        const quik::Status st = lmdb.Put(quik::store::Db::kMeta, "test-filler-" + std::to_string(n),
                                         std::string(size, 'f'));
        if (!st.ok()) {
          REQUIRE(quik::store::IsStorageFull(st));
          break;
        }
      }
    }
    Api anonymous = fx.Client();
    refused([&](int) {
      return anonymous.Post("/auth/login",
                            {{"email", alice.email}, {"password", "alice-password"}});
    });
    refused([&](int i) { return api.Post("/tokens", {{"name", "ci-" + std::to_string(i)}}); });
    refused([&](int i) {
      return fx.Client(newcomers.at(static_cast<std::size_t>(i) % newcomers.size()))
          .Put("/users/me/presence", {{"status", "away"}});
    });
    check_full(root.Get("/readyz"));

    // Room again: the map is raised (as the message says), the server restarted.
    fx.Restart([](quik::Options& o) { o.storage.lmdb_map_size_mib = 8; });
    Api root2 = fx.Root();
    Api api2 = fx.Client(token);
    CHECK(root2.Get("/readyz").status == 200);
    CHECK(fx.Client()
              .Post("/auth/login", {{"email", alice.email}, {"password", "alice-password"}})
              .status == 200);
    CHECK(fx.Client(newcomers.back()).Put("/users/me/presence", {{"status", "away"}}).status ==
          200);
    CHECK(api2.Get("/messages/" + before_id).status == 200);
  }
}
