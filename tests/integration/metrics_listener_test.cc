// SPDX-License-Identifier: MIT
// server.metrics_listen: /metrics on its own listener, and only there.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <catch2/catch.hpp>
#include <quik/datadir.hpp>
#include <quik/server.hpp>

#include "net/http_client.hpp"
#include "testing/temp_dir.hpp"

namespace {

// A port that was free a moment ago (the kernel's pick for port 0).
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

TEST_CASE("server.metrics_listen moves /metrics to its own listener", "[server][metrics]") {
  quik_test::TempDir tmp;
  quik::Options options;
  options.data_dir = tmp.path() / "data";
  options.server.listen = "127.0.0.1:0";
  const std::string metrics_url = "http://127.0.0.1:" + std::to_string(FreePort());
  options.server.metrics_listen = metrics_url.substr(std::string("http://").size());
  options.log.level = quik::LogLevel::kError;
  REQUIRE(quik::InitDataDir(options).ok());
  auto server = quik::Server::Create(options);
  REQUIRE(server.ok());
  REQUIRE((*server)->Start().ok());

  auto api = quik::net::HttpClient::Connect((*server)->url());
  REQUIRE(api.ok());
  auto metrics = quik::net::HttpClient::Connect(metrics_url);
  REQUIRE(metrics.ok());

  // The API listener serves the API and health, not /metrics.
  auto health = api->Request("GET", "/healthz");
  REQUIRE(health.ok());
  CHECK(health->status == 200);
  auto hidden = api->Request("GET", "/metrics");
  REQUIRE(hidden.ok());
  CHECK(hidden->status == 404);

  // The metrics listener serves /metrics, which counts the API's requests.
  auto scrape = metrics->Request("GET", "/metrics");
  REQUIRE(scrape.ok());
  CHECK(scrape->status == 200);
  CHECK(scrape->header("Content-Type").rfind("text/plain; version=0.0.4", 0) == 0);
  CHECK_THAT(
      scrape->body,
      Catch::Contains(R"(quik_http_requests_total{method="GET",route="/healthz",status="200"} 1)"));
  CHECK_THAT(scrape->body, Catch::Contains("quik_http_connections_open 2"));
  // ... and nothing else.
  for (const char* path : {"/healthz", "/api/v1/users/me"}) {
    auto other = metrics->Request("GET", path);
    REQUIRE(other.ok());
    CHECK(other->status == 404);
  }
  (*server)->Shutdown();
  (*server)->Wait();
}

TEST_CASE("a listen address that is taken fails Start with unavailable", "[server]") {
  quik_test::TempDir tmp;
  quik::Options options;
  options.data_dir = tmp.path() / "data";
  options.server.listen = "127.0.0.1:0";
  options.log.level = quik::LogLevel::kError;
  REQUIRE(quik::InitDataDir(options).ok());
  auto first = quik::Server::Create(options);
  REQUIRE(first.ok());
  REQUIRE((*first)->Start().ok());

  // Another data dir (one process opens a data dir once), the same port.
  options.data_dir = tmp.path() / "other";
  REQUIRE(quik::InitDataDir(options).ok());
  options.server.listen = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = quik::Server::Create(options);
  REQUIRE(second.ok());
  quik::Status st = (*second)->Start();
  CHECK(st.code() == quik::StatusCode::kUnavailable);
  CHECK_THAT(st.message(), Catch::Contains(options.server.listen));
  // The first one is unaffected.
  auto client = quik::net::HttpClient::Connect((*first)->url());
  REQUIRE(client.ok());
  auto health = client->Request("GET", "/healthz");
  REQUIRE(health.ok());
  CHECK(health->status == 200);
}
