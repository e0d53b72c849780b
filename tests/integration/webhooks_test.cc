// SPDX-License-Identifier: MIT
// Outbound webhooks end to end: the real server on port 0 POSTs to a small
// HTTP receiver (plain sockets, 127.0.0.1) that records what arrives, so
// these tests run with webhooks.allow_private_addresses = true; the default
// config's refusals are tested against the same server routes.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
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

std::string HmacHex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", mac[i]);
    hex += buf;
  }
  return hex;
}

// One request the receiver got.
struct Received {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A listening socket on 127.0.0.1:`port` (0: any); the port it got in *bound.
int ListenLoopback(std::uint16_t port, std::uint16_t* bound) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 64) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *bound = ntohs(addr.sin_port);
  return fd;
}

// A tiny HTTP/1.1 server on 127.0.0.1: answers each request with the next of
// `statuses` (then 200) and closes the connection.
class Receiver {
 public:
  explicit Receiver(std::uint16_t port = 0) : fd_(ListenLoopback(port, &port_)) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~Receiver() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  void Answer(std::vector<int> statuses) {
    std::lock_guard lock(mu_);
    statuses_.assign(statuses.begin(), statuses.end());
  }
  std::vector<Received> got() {
    std::lock_guard lock(mu_);
    return got_;
  }
  // Waits until at least `n` requests arrived (up to 15 s).
  std::vector<Received> WaitFor(std::size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(15), [&] { return got_.size() >= n; });
    return got_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      Handle(c);
      ::close(c);
    }
  }

  void Handle(int c) {
    std::string data;
    char buf[4096];
    std::size_t header_end = std::string::npos;
    std::size_t need = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      data.append(buf, static_cast<std::size_t>(n));
      if (header_end == std::string::npos) {
        header_end = data.find("\r\n\r\n");
        if (header_end == std::string::npos) continue;
      }
      Received r = Parse(data.substr(0, header_end));
      need = header_end + 4 +
             std::stoul(r.header("content-length").empty() ? "0" : r.header("content-length"));
      if (data.size() < need) continue;
      r.body = data.substr(header_end + 4, need - header_end - 4);
      int status = 200;
      {
        std::lock_guard lock(mu_);
        if (!statuses_.empty()) {
          status = statuses_.front();
          statuses_.pop_front();
        }
      }
      std::string reply = "HTTP/1.1 " + std::to_string(status) +
                          " X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
      ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      {
        std::lock_guard lock(mu_);
        got_.push_back(std::move(r));
      }
      cv_.notify_all();
      return;
    }
  }

  static Received Parse(const std::string& head) {
    Received r;
    std::size_t line_end = head.find("\r\n");
    std::string first = head.substr(0, line_end);
    std::size_t sp1 = first.find(' '), sp2 = first.rfind(' ');
    r.method = first.substr(0, sp1);
    r.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
    std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      std::size_t end = head.find("\r\n", pos);
      if (end == std::string::npos) end = head.size();
      std::string line = head.substr(pos, end - pos);
      std::size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        r.headers[name] = value;
      }
      pos = end + 2;
    }
    return r;
  }

  std::uint16_t port_ = 0;  // before fd_: set by fd_'s initializer
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> statuses_;
  std::vector<Received> got_;
};

// A receiver that accepts connections and reads, but never answers: a slow
// or dead endpoint. It counts the connections open at once.
class HangingReceiver {
 public:
  HangingReceiver() : fd_(ListenLoopback(0, &port_)) {
    thread_ = std::thread([this] { Serve(); });
  }
  // Closing the connections ends the requests at once (the server does not
  // wait out its timeout on shutdown).
  ~HangingReceiver() {
    stop_ = true;
    thread_.join();
    for (int c : open_) ::close(c);
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/slow"; }
  // Waits until `n` connections are open at once (up to 15 s).
  std::size_t WaitOpen(std::size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(15), [&] { return most_open_ >= n; });
    return most_open_;
  }
  std::size_t most_open() {
    std::lock_guard lock(mu_);
    return most_open_;
  }

 private:
  void Serve() {
    char buf[4096];
    while (!stop_) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      for (int c : open_) fds.push_back({c, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c >= 0) {
          std::lock_guard lock(mu_);
          open_.push_back(c);
          most_open_ = std::max(most_open_, open_.size());
          cv_.notify_all();
        }
      }
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        if (::recv(fds[i].fd, buf, sizeof buf, 0) <= 0) {  // the client gave up
          std::lock_guard lock(mu_);
          ::close(fds[i].fd);
          open_.erase(std::find(open_.begin(), open_.end(), fds[i].fd));
        }
      }
    }
  }

  std::uint16_t port_ = 0;  // before fd_: set by fd_'s initializer
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int> open_;
  std::size_t most_open_ = 0;
};

void AllowLoopback(quik::Options& o) {
  o.webhooks.allow_private_addresses = true;
  o.webhooks.retry_base = std::chrono::seconds(1);
  o.webhooks.retry_max = std::chrono::seconds(2);
  o.webhooks.timeout = std::chrono::seconds(5);
}

struct Team {
  quik::User owner, admin, member, outsider;
  quik::Workspace ws;
  quik::Channel general, secret;
  std::string owner_token, admin_token, member_token, outsider_token;
};

Team MakeTeam(HttpFixture& fx) {
  Team t;
  t.owner = fx.CreateUser("Olive");
  t.admin = fx.CreateUser("Adam");
  t.member = fx.CreateUser("Mia");
  t.outsider = fx.CreateUser("Oscar");
  t.ws = fx.CreateWorkspace(t.owner, "Acme", "acme");
  fx.AddMember(t.ws, t.admin, quik::Role::kAdmin);
  fx.AddMember(t.ws, t.member, quik::Role::kMember);
  t.general = fx.CreateChannel(t.owner, t.ws, "general");
  t.secret = fx.CreateChannel(t.owner, t.ws, "secret", /*is_private=*/true);
  t.owner_token = fx.Token(t.owner);
  t.admin_token = fx.Token(t.admin);
  t.member_token = fx.Token(t.member);
  t.outsider_token = fx.Token(t.outsider);
  return t;
}

// POST /workspaces/{ws}/webhooks as the admin, which must answer 201.
json CreateHook(HttpFixture& fx, const Team& t, const std::string& url,
                const json& events = json::array({"message.*"})) {
  Resp r = fx.Client(t.admin_token)
               .Post("/workspaces/" + t.ws.id + "/webhooks",
                     {{"url", url}, {"events", events}, {"description", "test"}});
  INFO(r.Describe());
  REQUIRE(r.status == 201);
  return r.Json();
}

// Polls GET /webhooks/{id}/deliveries until `pred` holds for the newest
// delivery (up to 15 s); returns the list.
template <typename Pred>
json WaitDeliveries(Api& api, const std::string& id, Pred pred) {
  json items;
  for (int i = 0; i < 300; ++i) {
    Resp r = api.Get("/webhooks/" + id + "/deliveries");
    REQUIRE(r.status == 200);
    items = r.Items();
    if (!items.empty() && pred(items[0])) return items;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return items;
}

}  // namespace

TEST_CASE("webhooks: a public message arrives signed but private channels and DMs never do",
          "[http][webhooks]") {
  Receiver rx;
  HttpFixture fx(AllowLoopback);
  Team t = MakeTeam(fx);
  json hook = CreateHook(fx, t, rx.url("/in?team=acme"));
  const std::string secret = hook.value("secret", "");
  REQUIRE(secret.rfind("whsec_", 0) == 0);
  CHECK(hook["events"] == json::array({"message.*"}));
  CHECK(hook["paused"] == false);

  // The secret is shown once: GET and list never carry it.
  Api admin = fx.Client(t.admin_token);
  Resp got = admin.Get("/webhooks/" + hook["id"].get<std::string>());
  REQUIRE(got.status == 200);
  CHECK_FALSE(got.Json().contains("secret"));
  Resp listed = admin.Get("/workspaces/" + t.ws.id + "/webhooks");
  REQUIRE(listed.status == 200);
  REQUIRE(listed.Items().size() == 1);
  CHECK_FALSE(listed.Items()[0].contains("secret"));

  // A private channel and a DM first, then the public channel.
  fx.PostAs(t.owner, t.secret.id, "private words");
  auto dm = REQUIRE_VALUE(
      fx.svc().channels().OpenDirect(quik::Actor::ForUser(t.owner.id), t.ws.id, {t.member.id}));
  fx.PostAs(t.owner, dm.channel.id, "a DM");
  quik::Message posted = fx.PostAs(t.member, t.general.id, "hello hooks");

  auto reqs = rx.WaitFor(1);
  REQUIRE(reqs.size() == 1);
  const Received& r = reqs[0];
  CHECK(r.method == "POST");
  CHECK(r.target == "/in?team=acme");
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.header("x-quik-event") == "message.posted");
  json body = json::parse(r.body);
  CHECK(body["type"] == "message.posted");
  CHECK(body["workspace_id"] == t.ws.id);
  CHECK(body["channel_id"] == t.general.id);
  CHECK(body["seq"].is_number_integer());
  CHECK(body["data"]["id"] == posted.id);
  CHECK(body["data"]["text"] == "hello hooks");
  CHECK(body["delivery_id"] == r.header("x-quik-delivery"));

  // The receiver's check: HMAC-SHA256(secret, TIMESTAMP "." BODY).
  const std::string ts = r.header("x-quik-timestamp");
  REQUIRE_FALSE(ts.empty());
  CHECK(std::llabs(std::stoll(ts) - static_cast<long long>(std::time(nullptr))) < 60);
  CHECK(r.header("x-quik-signature") == "v1=" + HmacHex(secret, ts + "." + r.body));
  CHECK(r.header("x-quik-signature") != "v1=" + HmacHex("wrong", ts + "." + r.body));

  // Nothing else comes: the private channel's and the DM's messages were
  // earlier in the log, and a later public one still arrives alone.
  fx.PostAs(t.owner, t.secret.id, "more private words");
  fx.PostAs(t.member, t.general.id, "second");
  reqs = rx.WaitFor(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  reqs = rx.got();
  REQUIRE(reqs.size() == 2);
  CHECK(json::parse(reqs[1].body)["data"]["text"] == "second");
  for (const auto& req : reqs) {
    CHECK(req.body.find("private words") == std::string::npos);
    CHECK(req.body.find("a DM") == std::string::npos);
  }

  json items =
      WaitDeliveries(admin, hook["id"], [](const json& d) { return d["status"] == "succeeded"; });
  REQUIRE(items.size() == 2);
  for (const auto& d : items) {
    CHECK(d["status"] == "succeeded");
    CHECK(d["attempts"] == 1);
    CHECK(d["last_http_status"] == 200);
    CHECK(d["event_type"] == "message.posted");
    CHECK(d.contains("finished_at"));
  }
}

TEST_CASE("webhooks: a 500 is retried with back-off until a 2xx", "[http][webhooks]") {
  Receiver rx;
  rx.Answer({500, 503});
  HttpFixture fx(AllowLoopback);
  Team t = MakeTeam(fx);
  json hook = CreateHook(fx, t, rx.url(), json::array({"message.posted"}));
  const std::string id = hook["id"];
  Api admin = fx.Client(t.admin_token);

  fx.PostAs(t.member, t.general.id, "retry me");
  // The first failure shows as pending with its error.
  json items = WaitDeliveries(admin, id, [](const json& d) { return d["attempts"] == 1; });
  REQUIRE(items.size() == 1);
  CHECK(items[0]["status"] == "pending");
  CHECK(items[0]["last_http_status"] == 500);
  CHECK_THAT(items[0].value("last_error", ""), Catch::Contains("500"));
  CHECK(items[0].contains("next_attempt_at"));

  auto reqs = rx.WaitFor(3);
  REQUIRE(reqs.size() == 3);
  // The same delivery each time, signed each time.
  CHECK(reqs[0].header("x-quik-delivery") == reqs[2].header("x-quik-delivery"));
  CHECK(reqs[0].body == reqs[2].body);

  items = WaitDeliveries(admin, id, [](const json& d) { return d["status"] == "succeeded"; });
  REQUIRE(items.size() == 1);
  CHECK(items[0]["status"] == "succeeded");
  CHECK(items[0]["attempts"] == 3);
  CHECK(items[0]["last_http_status"] == 200);
  CHECK_FALSE(items[0].contains("last_error"));

  CHECK(admin.Get("/webhooks/" + id + "/deliveries?status=succeeded").Items().size() == 1);
  CHECK(admin.Get("/webhooks/" + id + "/deliveries?status=pending").Items().empty());
  Resp bad = admin.Get("/webhooks/" + id + "/deliveries?status=bogus");
  CHECK(bad.status == 400);
  CHECK_THAT(bad.message(), Catch::Contains("pending"));
}

TEST_CASE("webhooks: attempts stop at max_attempts and the delivery fails", "[http][webhooks]") {
  Receiver rx;
  rx.Answer({500, 500, 500, 500});
  HttpFixture fx([](quik::Options& o) {
    AllowLoopback(o);
    o.webhooks.max_attempts = 2;
  });
  Team t = MakeTeam(fx);
  json hook = CreateHook(fx, t, rx.url());
  Api admin = fx.Client(t.admin_token);
  fx.PostAs(t.member, t.general.id, "doomed");
  json items =
      WaitDeliveries(admin, hook["id"], [](const json& d) { return d["status"] == "failed"; });
  REQUIRE(items.size() == 1);
  CHECK(items[0]["status"] == "failed");
  CHECK(items[0]["attempts"] == 2);
  CHECK(items[0].contains("finished_at"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(rx.got().size() == 2);
}

TEST_CASE("webhooks: a delivery to a receiver that is down survives a restart",
          "[http][webhooks]") {
  std::uint16_t port = 0;
  {
    Receiver probe;  // a free port, then closed
    port = probe.port();
  }
  HttpFixture fx(AllowLoopback);
  Team t = MakeTeam(fx);
  json hook = CreateHook(fx, t, "http://127.0.0.1:" + std::to_string(port) + "/hook");
  const std::string id = hook["id"];
  {
    Api admin = fx.Client(t.admin_token);
    fx.PostAs(t.member, t.general.id, "while down");
    json items = WaitDeliveries(admin, id, [](const json& d) { return d["attempts"] >= 1; });
    REQUIRE(items.size() == 1);
    CHECK(items[0]["status"] == "pending");
    CHECK_FALSE(items[0].value("last_error", "").empty());
    CHECK_FALSE(items[0].contains("last_http_status"));
  }
  fx.Restart();
  Receiver rx(port);
  auto reqs = rx.WaitFor(1);
  REQUIRE(reqs.size() >= 1);
  CHECK(json::parse(reqs[0].body)["data"]["text"] == "while down");
  Api admin = fx.Client(t.admin_token);
  json items = WaitDeliveries(admin, id, [](const json& d) { return d["status"] == "succeeded"; });
  REQUIRE(items.size() == 1);
  CHECK(items[0]["status"] == "succeeded");
  CHECK(items[0]["attempts"] >= 2);
}

TEST_CASE("webhooks: patterns pick the events and a paused webhook queues nothing",
          "[http][webhooks]") {
  Receiver rx;
  HttpFixture fx(AllowLoopback);
  Team t = MakeTeam(fx);
  json hook = CreateHook(fx, t, rx.url(), json::array({"channel.created"}));
  const std::string id = hook["id"];
  Api admin = fx.Client(t.admin_token);

  fx.PostAs(t.member, t.general.id, "not subscribed");
  fx.CreateChannel(t.owner, t.ws, "hidden", /*is_private=*/true);
  REQUIRE(admin.Patch("/webhooks/" + id, {{"paused", true}}).status == 200);
  fx.CreateChannel(t.owner, t.ws, "while-paused");
  REQUIRE(admin.Patch("/webhooks/" + id, {{"paused", false}}).status == 200);
  fx.CreateChannel(t.owner, t.ws, "random");

  auto reqs = rx.WaitFor(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  reqs = rx.got();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].header("x-quik-event") == "channel.created");
  CHECK(json::parse(reqs[0].body)["data"]["name"] == "random");
}

TEST_CASE("webhooks: private addresses are refused by default", "[http][webhooks]") {
  HttpFixture fx;
  Team t = MakeTeam(fx);
  Api admin = fx.Client(t.admin_token);
  const std::string path = "/workspaces/" + t.ws.id + "/webhooks";
  for (const std::string& url : {"http://127.0.0.1:" + std::to_string(fx.port()) + "/",
                                 std::string("http://10.1.2.3/"),
                                 std::string("http://[::1]/"),
                                 std::string("http://localhost/"),
                                 std::string("http://169.254.169.254/"),
                                 std::string("http://198.18.0.1/"),
                                 std::string("http://100.64.0.1/"),
                                 std::string("http://192.0.0.8/"),
                                 std::string("http://192.0.2.1/"),
                                 std::string("http://203.0.113.9/"),
                                 std::string("http://240.0.0.1/"),
                                 std::string("http://255.255.255.255/"),
                                 std::string("http://0.0.0.0/"),
                                 std::string("http://[::]/"),
                                 std::string("http://[::ffff:10.0.0.1]/"),
                                 std::string("http://[64:ff9b::a9fe:a9fe]/"),
                                 std::string("http://[64:ff9b:1::1]/"),
                                 std::string("http://[2001::1]/"),
                                 std::string("http://[2001:db8::1]/"),
                                 std::string("http://[2002:a01:203::1]/"),
                                 std::string("http://[fd00::1]/"),
                                 std::string("http://[fe80::1]/"),
                                 std::string("http://[ff02::1]/"),
                                 std::string("http://[100::1]/")}) {
    CAPTURE(url);
    Resp r = admin.Post(path, {{"url", url}, {"events", {"*"}}});
    CHECK(r.status == 400);
    CHECK(r.code() == "invalid_argument");
    CHECK_THAT(r.message(), Catch::Contains("webhooks.allow_private_addresses"));
  }
  CHECK(admin.Get(path).Items().empty());

  // Other bad input says what to fix.
  struct Bad {
    json body;
    const char* says;
  };
  for (const auto& b : std::vector<Bad>{
           {{{"events", {"*"}}}, "url"},
           {{{"url", "https://93.184.216.34/"}}, "events"},
           {{{"url", "https://93.184.216.34/"}, {"events", json::array()}}, "events"},
           {{{"url", "https://93.184.216.34/"}, {"events", {"bogus.*"}}}, "unknown event type"},
           {{{"url", "https://93.184.216.34/"}, {"events", {"webhook.*"}}}, "never sent"},
           {{{"url", "ftp://93.184.216.34/"}, {"events", {"*"}}}, "http://"},
           {{{"url", "http://u:p@93.184.216.34/"}, {"events", {"*"}}}, "user"},
       }) {
    CAPTURE(b.body.dump());
    Resp r = admin.Post(path, b.body);
    CHECK(r.status == 400);
    CHECK_THAT(r.message(), Catch::Contains(b.says));
  }
}

TEST_CASE("webhooks: members get 403, outsiders 404, events reach admins only",
          "[http][webhooks]") {
  HttpFixture fx;
  Team t = MakeTeam(fx);
  Api owner = fx.Client(t.owner_token);
  Api member = fx.Client(t.member_token);
  Api outsider = fx.Client(t.outsider_token);
  const std::string path = "/workspaces/" + t.ws.id + "/webhooks";
  const json spec = {{"url", "https://93.184.216.34/hook"}, {"events", {"message.*"}}};
  Resp seq0 = owner.Get("/events?wait=0");
  REQUIRE(seq0.status == 200);
  const std::int64_t after = seq0.Json()["seq"];

  Resp created = owner.Post(path, spec);
  REQUIRE(created.status == 201);
  const std::string id = created.Json()["id"];

  CHECK(member.Post(path, spec).status == 403);
  CHECK(member.Get(path).status == 403);
  CHECK(member.Get("/webhooks/" + id).status == 403);
  CHECK(member.Delete("/webhooks/" + id).status == 403);
  CHECK(member.Get("/webhooks/" + id + "/deliveries").status == 403);
  CHECK(outsider.Post(path, spec).status == 404);
  CHECK(outsider.Get(path).status == 404);
  CHECK(outsider.Get("/webhooks/" + id).status == 404);
  CHECK(outsider.Delete("/webhooks/" + id).status == 404);
  CHECK(outsider.Get("/webhooks/" + id + "/deliveries").status == 404);
  CHECK(owner.Get("/webhooks/NOSUCHWEBHOOK").status == 404);

  // Pause and resume.
  Resp paused = owner.Patch("/webhooks/" + id, {{"paused", true}});
  REQUIRE(paused.status == 200);
  CHECK(paused.Json()["paused"] == true);
  CHECK(owner.Patch("/webhooks/" + id, json::object()).status == 400);
  CHECK(owner.Patch("/webhooks/" + id, {{"paused", false}}).Json()["paused"] == false);

  CHECK(owner.Delete("/webhooks/" + id).status == 204);
  CHECK(owner.Get("/webhooks/" + id).status == 404);

  auto types = [&](Api& api) {
    std::vector<std::string> out;
    const json events = api.Get("/events?wait=0&after=" + std::to_string(after)).Json()["events"];
    for (const auto& e : events) out.push_back(e["type"].get<std::string>());
    return out;
  };
  auto admin_types = types(owner);
  CHECK(std::count(admin_types.begin(), admin_types.end(), "webhook.created") == 1);
  CHECK(std::count(admin_types.begin(), admin_types.end(), "webhook.deleted") == 1);
  const json events = owner.Get("/events?wait=0&after=" + std::to_string(after)).Json()["events"];
  for (const auto& e : events) CHECK_FALSE(e["data"].contains("secret"));
  auto member_types = types(member);
  CHECK(std::count(member_types.begin(), member_types.end(), "webhook.created") == 0);
  CHECK(std::count(member_types.begin(), member_types.end(), "webhook.deleted") == 0);
}

TEST_CASE("webhooks: a receiver that never answers does not delay another webhook",
          "[http][webhooks]") {
  Receiver rx;
  HttpFixture fx([](quik::Options& o) {
    AllowLoopback(o);
    o.webhooks.timeout = std::chrono::seconds(30);  // the hanging requests outlast the test
    o.webhooks.workers = 4;
    o.webhooks.max_in_flight_per_host = 2;
  });
  HangingReceiver slow;  // destroyed first: its requests end before the server stops
  Team t = MakeTeam(fx);
  json stuck = CreateHook(fx, t, slow.url());
  json normal = CreateHook(fx, t, rx.url());

  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 6; ++i) fx.PostAs(t.member, t.general.id, "m" + std::to_string(i));
  auto reqs = rx.WaitFor(6);
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(reqs.size() == 6);
  // Long before the stuck requests' 30 s timeout.
  CHECK(took < std::chrono::seconds(10));

  // The hanging receiver holds at most max_in_flight_per_host requests, and
  // its other deliveries wait their turn, still pending.
  CHECK(slow.WaitOpen(2) == 2);
  Api admin = fx.Client(t.admin_token);
  json items = admin.Get("/webhooks/" + stuck["id"].get<std::string>() + "/deliveries").Items();
  CHECK(items.size() == 6);
  for (const auto& d : items) {
    CHECK(d["status"] == "pending");
    CHECK(d["attempts"] == 0);
  }
  json done =
      WaitDeliveries(admin, normal["id"], [](const json& d) { return d["status"] == "succeeded"; });
  CHECK(done.size() == 6);
  CHECK(slow.most_open() == 2);
}

TEST_CASE("webhooks: a webhook pauses when its creator loses admin rights or is deactivated",
          "[http][webhooks]") {
  Receiver rx;
  HttpFixture fx(AllowLoopback);
  Team t = MakeTeam(fx);
  Api owner = fx.Client(t.owner_token);
  json by_admin = CreateHook(fx, t, rx.url("/admin"));  // made by t.admin
  const std::string id = by_admin["id"];
  Resp mine = owner.Post("/workspaces/" + t.ws.id + "/webhooks",
                         {{"url", rx.url("/owner")}, {"events", {"message.*"}}});
  REQUIRE(mine.status == 201);
  const std::string owner_hook = mine.Json()["id"];

  // The admin becomes a member: their webhook is paused at once.
  REQUIRE(owner.Patch("/workspaces/" + t.ws.id + "/members/" + t.admin.id, {{"role", "member"}})
              .status == 200);
  Resp got = owner.Get("/webhooks/" + id);
  REQUIRE(got.status == 200);
  CHECK(got.Json()["paused"] == true);

  // Nothing is queued for it: the owner's webhook gets the event, in the
  // same transaction that would have queued the paused one's.
  fx.PostAs(t.member, t.general.id, "after the demotion");
  json delivered =
      WaitDeliveries(owner, owner_hook, [](const json& d) { return d["status"] == "succeeded"; });
  REQUIRE(delivered.size() == 1);
  CHECK(owner.Get("/webhooks/" + id + "/deliveries").Items().empty());
  for (const auto& r : rx.got()) CHECK(r.target == "/owner");

  // An admin who resumes it becomes its creator, and it sends again.
  Resp resumed = owner.Patch("/webhooks/" + id, {{"paused", false}});
  REQUIRE(resumed.status == 200);
  CHECK(resumed.Json()["paused"] == false);
  CHECK(resumed.Json()["created_by"] == t.owner.id);
  fx.PostAs(t.member, t.general.id, "after the resume");
  json items = WaitDeliveries(owner, id, [](const json& d) { return d["status"] == "succeeded"; });
  REQUIRE(items.size() == 1);
  CHECK(items[0]["event_type"] == "message.posted");

  // A deactivated creator: paused too.
  quik::User second = fx.CreateUser("Sam");
  fx.AddMember(t.ws, second, quik::Role::kAdmin);
  Resp made = fx.Client(fx.Token(second))
                  .Post("/workspaces/" + t.ws.id + "/webhooks",
                        {{"url", rx.url("/sam")}, {"events", {"message.*"}}});
  REQUIRE(made.status == 201);
  const std::string sams = made.Json()["id"];
  REQUIRE_VALUE(fx.svc().users().Deactivate(quik::Actor::System(), second.id));
  CHECK(owner.Get("/webhooks/" + sams).Json()["paused"] == true);
  const std::size_t before = owner.Get("/webhooks/" + owner_hook + "/deliveries").Items().size();
  fx.PostAs(t.member, t.general.id, "after the deactivation");
  WaitDeliveries(owner, owner_hook, [&](const json&) {
    return owner.Get("/webhooks/" + owner_hook + "/deliveries").Items().size() > before;
  });
  CHECK(owner.Get("/webhooks/" + owner_hook + "/deliveries").Items().size() == before + 1);
  CHECK(owner.Get("/webhooks/" + sams + "/deliveries").Items().empty());
}

TEST_CASE("webhooks: webhook events are never delivered", "[http][webhooks]") {
  Receiver rx;
  HttpFixture fx(AllowLoopback);
  Team t = MakeTeam(fx);
  json all = CreateHook(fx, t, rx.url(), json::array({"*"}));
  const std::string id = all["id"];
  Api admin = fx.Client(t.admin_token);
  // webhook.created, .updated and .deleted, then a message.
  json other = CreateHook(fx, t, "https://93.184.216.34/other");
  REQUIRE(admin.Patch("/webhooks/" + other["id"].get<std::string>(), {{"paused", true}}).status ==
          200);
  REQUIRE(admin.Delete("/webhooks/" + other["id"].get<std::string>()).status == 204);
  fx.PostAs(t.member, t.general.id, "after the webhook events");
  json items = WaitDeliveries(admin, id, [](const json& d) {
    return d["event_type"] == "message.posted" && d["status"] == "succeeded";
  });
  REQUIRE_FALSE(items.empty());
  for (const auto& d : items) {
    CHECK(d["event_type"].get<std::string>().rfind("webhook.", 0) == std::string::npos);
  }
  for (const auto& r : rx.got()) CHECK(r.header("x-quik-event").rfind("webhook.", 0) != 0);
}

TEST_CASE("quikctl webhook create, list, deliveries, delete", "[cli][webhooks]") {
  Receiver rx;
  quik::testing::QuikctlEnv env;
  env.WriteConfig(std::string(quik::testing::QuikctlEnv::kFastConfig) +
                  "\n[webhooks]\nallow_private_addresses = true\n");
  REQUIRE(env.Run({"workspace", "create", "Acme", "--slug", "acme"}).exit_code == 0);

  // Refused without the config key.
  {
    quik::testing::QuikctlEnv strict;
    REQUIRE(strict.Run({"workspace", "create", "Acme", "--slug", "acme"}).exit_code == 0);
    auto r = strict.Run(
        {"webhook", "create", "--workspace", "acme", "http://10.1.2.3/", "--events", "message.*"});
    CHECK(r.exit_code == 7);
    CHECK_THAT(r.err, Catch::Contains("webhooks.allow_private_addresses"));
    auto usage = strict.Run({"webhook", "create", "--workspace", "acme", "https://93.184.216.34/"});
    CHECK(usage.exit_code == 2);
  }

  auto created = env.Run(
      {"webhook", "create", "--workspace", "acme", rx.url(), "--events", "message.*,channel.*"});
  INFO(created.Describe());
  REQUIRE(created.exit_code == 0);
  CHECK_THAT(created.out, Catch::Contains("whsec_"));
  CHECK_THAT(created.out, Catch::Contains("shown only once"));
  json j = env.Json({"webhook", "list", "--workspace", "acme"});
  REQUIRE(j.is_array());
  REQUIRE(j.size() == 1);
  const std::string id = j[0]["id"];
  CHECK(j[0]["url"] == rx.url());
  CHECK(j[0]["events"] == json::array({"message.*", "channel.*"}));
  CHECK_FALSE(j[0].contains("secret"));
  auto table = env.Run({"webhook", "list", "--workspace", "acme"});
  REQUIRE(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::Contains(id));
  CHECK_THAT(table.out, Catch::Contains("channel.*"));

  // Deliveries are made by a running server.
  {
    quik::testing::ServeProcess serve(env.data_dir());
    REQUIRE(env.Run({"channel", "create", "--workspace", "acme", "general"}).exit_code == 0);
    rx.WaitFor(1);
    for (int i = 0; i < 100; ++i) {
      json d = env.Json({"webhook", "deliveries", id, "--status", "succeeded"});
      if (!d.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  REQUIRE(rx.got().size() >= 1);
  CHECK(rx.got()[0].header("x-quik-event") == "channel.created");
  json deliveries = env.Json({"webhook", "deliveries", id});
  REQUIRE(deliveries.size() == 1);
  CHECK(deliveries[0]["status"] == "succeeded");
  CHECK(deliveries[0]["event_type"] == "channel.created");
  auto dtable = env.Run({"webhook", "deliveries", id});
  CHECK_THAT(dtable.out, Catch::Contains("succeeded"));
  CHECK_THAT(dtable.out, Catch::Contains("channel.created"));
  CHECK(env.Json({"webhook", "deliveries", id, "--status", "failed"}).empty());
  CHECK(env.Run({"webhook", "deliveries", id, "--status", "bogus"}).exit_code == 7);

  REQUIRE(env.Run({"webhook", "delete", "--yes", id}).exit_code == 0);
  CHECK(env.Json({"webhook", "list", "--workspace", "acme"}).empty());
  CHECK(env.Run({"webhook", "delete", "--yes", id}).exit_code == 3);
}

TEST_CASE("webhooks: a queued delivery of a since deleted message sends no former text",
          "[http][webhooks]") {
  Receiver rx;
  rx.Answer({503});  // the first attempt fails: the delivery waits for its retry
  HttpFixture fx([](quik::Options& o) {
    AllowLoopback(o);
    // Long enough for the edit and the delete to come before the retry.
    o.webhooks.retry_base = std::chrono::seconds(4);
    o.webhooks.retry_max = std::chrono::seconds(4);
  });
  Team t = MakeTeam(fx);
  json hook = CreateHook(fx, t, rx.url(), json::array({"message.posted"}));
  Api member = fx.Client(t.member_token);
  Resp posted =
      member.Post("/channels/" + t.general.id + "/messages", {{"text", "oops-password-hunter2"}});
  REQUIRE(posted.status == 201);
  const std::string id = posted.Json()["id"];
  auto first = rx.WaitFor(1);
  REQUIRE(first.size() == 1);
  CHECK_THAT(first[0].body, Catch::Contains("hunter2"));  // sent while it was the text
  REQUIRE(member.Patch("/messages/" + id, {{"text", "redacted"}}).status == 200);
  REQUIRE(member.Delete("/messages/" + id).status == 204);

  auto got = rx.WaitFor(2);
  REQUIRE(got.size() == 2);
  const Received& retry = got[1];
  CHECK(retry.header("x-quik-delivery") == first[0].header("x-quik-delivery"));
  CHECK(retry.header("x-quik-event") == "message.posted");
  CHECK(retry.body.find("hunter2") == std::string::npos);
  CHECK(retry.body.find("redacted") == std::string::npos);
  json body = json::parse(retry.body);
  CHECK(body["data"]["id"] == id);
  CHECK(body["data"]["text"] == "");
  CHECK(body["data"].contains("deleted_at"));
  CHECK(body["delivery_id"] == retry.header("x-quik-delivery"));
  // Signed as sent.
  CHECK(retry.header("x-quik-signature") ==
        "v1=" + HmacHex(hook["secret"].get<std::string>(),
                        retry.header("x-quik-timestamp") + "." + retry.body));
}
