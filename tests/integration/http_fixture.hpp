// SPDX-License-Identifier: MIT
// The HTTP API under test: a quik::Server started in-process on 127.0.0.1:0
// in a temp data dir, a real HTTP client (net::HttpClient) to talk to it, and
// raw sockets for clients that misbehave. (`quikctl serve` as a child process:
// quik::testing::ServeProcess in integration/cli_harness.hpp.)
//
//   quik_http::HttpFixture fx([](quik::Options& o) { o.auth.open_signup = true; });
//   quik::User alice = fx.CreateUser("Alice");           // in-process, as the system
//   quik_http::Api api = fx.Client(fx.Token(alice));     // Authorization: Bearer ...
//   quik_http::Resp r = api.Get("/users/me");            // under /api/v1
//   CHECK(r.status == 200); CHECK(r.Json()["id"] == alice.id);
//
// Everything here asserts with Catch and so runs on the test's thread only,
// except RawSocket and HttpClient used directly.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/http_client.hpp"
#include "quik/quik.hpp"
#include "quik/server.hpp"
#include "testing/temp_dir.hpp"
#include "unit/testing/service_fixture.hpp"

namespace quik_http {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// One HTTP response, as the client saw it.
struct Resp {
  int status = 0;
  std::string body;
  quik::net::HttpHeaders headers;

  std::string header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key.size() == name.size() &&
          std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        return value;
      }
    }
    return {};
  }
  // The body as JSON (discarded, which compares unequal to everything, if it
  // is not JSON).
  json Json() const { return json::parse(body, nullptr, false); }
  // The "items" of a list, by value: `for (auto& x : r.Json()["items"])`
  // would iterate a destroyed temporary.
  json Items() const {
    json j = Json();
    return j.is_object() && j.contains("items") ? j["items"] : json::array();
  }
  // error.code and error.message of an error body; empty otherwise.
  std::string code() const { return ErrorField("code"); }
  std::string message() const { return ErrorField("message"); }
  // For failure messages.
  std::string Describe() const { return "HTTP " + std::to_string(status) + " " + body; }

 private:
  std::string ErrorField(const char* key) const {
    auto j = Json();
    if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return {};
    auto it = j["error"].find(key);
    return it != j["error"].end() && it->is_string() ? it->get<std::string>() : std::string();
  }
};

inline std::ostream& operator<<(std::ostream& os, const Resp& r) { return os << r.Describe(); }

// A keep-alive HTTP client for one user (or none) under a path prefix.
class Api {
 public:
  Api(const std::string& origin, const std::string& prefix, const std::string& token)
      : origin_(origin) {
    quik::net::ClientOptions options;
    options.connect_timeout = std::chrono::seconds(10);
    options.request_timeout = std::chrono::seconds(20);
    if (!token.empty()) options.default_headers.emplace_back("Authorization", "Bearer " + token);
    auto client = quik::net::HttpClient::Connect(origin + prefix, options);
    INFO("connect " << origin << prefix << " -> " << client.status().ToString());
    REQUIRE(client.ok());
    client_ = std::make_unique<quik::net::HttpClient>(std::move(client).value());
  }

  Resp Send(std::string_view method, std::string_view target, std::string_view body = {},
            const quik::net::HttpHeaders& headers = {}) {
    auto r = client_->Request(method, target, body, headers);
    INFO(method << " " << target << " -> " << r.status().ToString());
    REQUIRE(r.ok());
    return Resp{r->status, std::move(r->body), std::move(r->headers)};
  }
  // JSON bodies; a null body sends none.
  Resp Get(std::string_view target, const quik::net::HttpHeaders& headers = {}) {
    return Send("GET", target, {}, headers);
  }
  Resp Post(std::string_view target, const json& body = nullptr) {
    return Send("POST", target, body.is_null() ? std::string() : body.dump());
  }
  Resp Patch(std::string_view target, const json& body) {
    return Send("PATCH", target, body.dump());
  }
  Resp Delete(std::string_view target) { return Send("DELETE", target); }
  Resp Put(std::string_view target, const json& body) { return Send("PUT", target, body.dump()); }

  quik::net::HttpClient& raw() { return *client_; }

 private:
  std::string origin_;
  std::unique_ptr<quik::net::HttpClient> client_;
};

// A user signed in over HTTP.
struct SignedIn {
  std::string token;
  json user;
  std::string id() const { return user.value("id", ""); }
};

// The server under test. `tweak` changes the options before the data dir is
// made; the defaults are fast (cheap scrypt, no fsync) and otherwise those of
// quik::Options.
class HttpFixture {
 public:
  explicit HttpFixture(const std::function<void(quik::Options&)>& tweak = {}) {
    options_ = quik_test::TestOptions(tmp_.path() / "data");
    options_.server.listen = "127.0.0.1:0";
    options_.server.io_threads = 2;
    options_.server.worker_threads = 2;
    options_.server.drain_timeout = std::chrono::seconds(5);
    if (tweak) tweak(options_);
    auto init = quik::InitDataDir(options_);
    INFO("InitDataDir -> " << init.status().ToString());
    REQUIRE(init.ok());
    StartServer();
  }

  // Stops the server and starts a new one on the same data dir (on a new
  // port): a restart, as clients see it; `tweak` changes the options first.
  void Restart(const std::function<void(quik::Options&)>& tweak = {}) {
    server_->Shutdown();
    server_->Wait();
    server_.reset();
    if (tweak) tweak(options_);
    StartServer();
  }
  ~HttpFixture() {
    if (server_) {
      server_->Shutdown();
      server_->Wait();
      server_.reset();  // before tmp_ removes the data dir
    }
  }
  HttpFixture(const HttpFixture&) = delete;
  HttpFixture& operator=(const HttpFixture&) = delete;

 private:
  void StartServer() {
    auto created = quik::Server::Create(options_);
    INFO("Server::Create -> " << created.status().ToString());
    REQUIRE(created.ok());
    server_ = std::move(created).value();
    server_->set_log_sink([logs = logs_](quik::LogLevel, std::string_view line) {
      std::lock_guard lock(logs->mu);
      logs->lines.emplace_back(line);
    });
    auto started = server_->Start();
    INFO("Server::Start -> " << started.ToString());
    REQUIRE(started.ok());
  }

 public:

  quik::Server& server() { return *server_; }
  quik::Service& svc() { return server_->service(); }
  const quik::Options& options() const { return options_; }
  std::string url() const { return server_->url(); }
  std::uint16_t port() const { return server_->port(); }

  // A client under /api/v1, with "Authorization: Bearer TOKEN" unless empty.
  Api Client(const std::string& token = "") { return Api(url(), "/api/v1", token); }
  // A client for /healthz, /readyz and /metrics.
  Api Root() { return Api(url(), "", ""); }

  // ---- in-process setup, as the system ------------------------------------

  quik::User CreateUser(const std::string& name, std::optional<std::string> password = {},
                        const std::string& email = "") {
    quik::NewUser spec;
    spec.name = name;
    spec.email = email.empty() ? quik_test::ServiceFixture::DefaultEmail(name) : email;
    spec.password = std::move(password);
    return REQUIRE_VALUE(svc().users().Create(quik::Actor::System(), spec));
  }
  // An API token's secret for `user`.
  std::string Token(const quik::User& user,
                    std::optional<std::chrono::seconds> ttl = std::nullopt) {
    return IssueToken(user, ttl).secret;
  }
  quik::IssuedToken IssueToken(const quik::User& user,
                               std::optional<std::chrono::seconds> ttl = std::nullopt) {
    quik::NewToken spec;
    spec.name = "test";
    spec.ttl = ttl;
    return REQUIRE_VALUE(svc().auth().CreateToken(quik::Actor::System(), user.id, spec));
  }
  quik::Workspace CreateWorkspace(const quik::User& owner, const std::string& name,
                                  const std::string& slug) {
    quik::NewWorkspace spec;
    spec.name = name;
    spec.slug = slug;
    return REQUIRE_VALUE(svc().workspaces().Create(quik::Actor::ForUser(owner.id), spec));
  }
  void AddMember(const quik::Workspace& ws, const quik::User& user, quik::Role role) {
    REQUIRE_VALUE(svc().workspaces().AddMember(quik::Actor::System(), ws.id, user.id, role));
  }
  quik::Channel CreateChannel(const quik::User& creator, const quik::Workspace& ws,
                              const std::string& name, bool is_private = false) {
    quik::NewChannel spec;
    spec.name = name;
    spec.is_private = is_private;
    return REQUIRE_VALUE(svc().channels().Create(quik::Actor::ForUser(creator.id), ws.id, spec));
  }
  void AddChannelMember(const quik::Channel& ch, const quik::User& user) {
    REQUIRE_OK(svc().channels().AddMember(quik::Actor::System(), ch.id, user.id));
  }
  quik::Message PostAs(const quik::User& author, const std::string& channel_ref,
                       const std::string& text) {
    quik::NewMessage msg;
    msg.text = text;
    return REQUIRE_VALUE(svc().messages().Post(quik::Actor::ForUser(author.id), channel_ref, msg))
        .message;
  }

  // ---- over HTTP ------------------------------------------------------------

  // POST /auth/signup, which must answer 201.
  SignedIn SignUp(const std::string& email, const std::string& name, const std::string& password,
                  const std::string& invite = "") {
    json body = {{"email", email}, {"name", name}, {"password", password}};
    if (!invite.empty()) body["invite"] = invite;
    Resp r = Client().Post("/auth/signup", body);
    INFO(r.Describe());
    REQUIRE(r.status == 201);
    return SignedIn{r.Json().value("token", ""), r.Json()["user"]};
  }
  // POST /auth/login, which must answer 200.
  SignedIn Login(const std::string& email, const std::string& password) {
    Resp r = Client().Post("/auth/login", {{"email", email}, {"password", password}});
    INFO(r.Describe());
    REQUIRE(r.status == 200);
    return SignedIn{r.Json().value("token", ""), r.Json()["user"]};
  }

  // ---- logs -----------------------------------------------------------------

  std::vector<std::string> LogLines() const {
    std::lock_guard lock(logs_->mu);
    return logs_->lines;
  }
  // The request log records (msg "request") with this X-Request-Id.
  std::vector<json> RequestLogs(const std::string& request_id) const {
    std::vector<json> out;
    for (const std::string& line : LogLines()) {
      json j = json::parse(line, nullptr, false);
      if (j.is_object() && j.value("msg", "") == "request" &&
          j.value("request_id", "") == request_id) {
        out.push_back(std::move(j));
      }
    }
    return out;
  }

 private:
  struct Logs {
    std::mutex mu;
    std::vector<std::string> lines;
  };

  quik_test::TempDir tmp_{"quik-http"};  // first: removed last
  quik::Options options_;
  std::shared_ptr<Logs> logs_ = std::make_shared<Logs>();
  std::unique_ptr<quik::Server> server_;
};

// An id of the right shape that names nothing: `id` (a 26-character Crockford
// base32 ULID, whose first characters are its creation time) moved into the
// distant future, where no id of this test's can be.
inline std::string UnknownIdLike(const std::string& id) {
  std::string out = id;
  out[0] = out[0] == '7' ? '6' : '7';
  return out;
}

// ---- raw sockets ------------------------------------------------------------

// A blocking TCP connection to 127.0.0.1:port for clients that misbehave.
// No Catch assertions: usable from any thread.
class RawSocket {
 public:
  // `source`: the client's address, such as "127.0.0.2" (any of 127.0.0.0/8
  // is this machine), so that a test can be several clients; default
  // 127.0.0.1.
  explicit RawSocket(std::uint16_t port, const char* source = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (source != nullptr) {
      sockaddr_in from{};
      from.sin_family = AF_INET;
      ::inet_pton(AF_INET, source, &from.sin_addr);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
        const int err = errno;
        ::close(fd_);
        throw std::system_error(err, std::generic_category(), "bind");
      }
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      const int err = errno;
      ::close(fd_);
      throw std::system_error(err, std::generic_category(), "connect");
    }
  }
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  // Sends everything; false once the peer has closed or reset.
  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads what arrives within `timeout` into received(); returns false once the
  // peer has closed (EOF) or reset the connection.
  bool Pump(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(std::max<long>(0, left.count())));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return true;  // nothing more within the timeout
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      received_.append(buf, static_cast<std::size_t>(n));
    }
  }

  // Reads until one whole response with a Content-Length body (or none) has
  // arrived, the peer closes, or `timeout` passes; returns what came.
  std::string ReadResponse(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline && !HasWholeResponse()) {
      if (!Pump(std::chrono::milliseconds(20))) break;
    }
    return received_;
  }

  // Waits up to `timeout` for the peer to close; returns how long that took,
  // or nullopt if it is still open.
  std::optional<Clock::duration> WaitClosed(std::chrono::milliseconds timeout) {
    const auto start = Clock::now();
    while (Clock::now() - start < timeout) {
      if (!Pump(std::chrono::milliseconds(20))) return Clock::now() - start;
    }
    return std::nullopt;
  }

  const std::string& received() const { return received_; }
  void ClearReceived() { received_.clear(); }

 private:
  bool HasWholeResponse() const {
    const std::size_t end = received_.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    std::smatch m;
    const std::string head = received_.substr(0, end);
    static const std::regex kLength("content-length:\\s*(\\d+)", std::regex::icase);
    const std::size_t length = std::regex_search(head, m, kLength) ? std::stoul(m[1].str()) : 0;
    return received_.size() >= end + 4 + length;
  }

  int fd_ = -1;
  std::string received_;
};

// The status code of a raw HTTP response ("HTTP/1.1 413 ..."), or 0.
inline int RawStatus(const std::string& response) {
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return 0;
  return std::atoi(response.substr(9, 3).c_str());
}

}  // namespace quik_http
