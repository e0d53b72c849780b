// SPDX-License-Identifier: MIT
// HTTPS: with tls.cert and tls.key the listener speaks TLS only.
//
// The test makes its own self-signed certificate for 127.0.0.1 with OpenSSL,
// starts the server on port 0 and talks to it with the project's HTTP client,
// which verifies the chain and the address against that certificate.
#include <filesystem>
#include <memory>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <quik/datadir.hpp>
#include <quik/server.hpp>

#include "net/http_client.hpp"
#include "testing/temp_dir.hpp"
#include "testing/test_certificate.hpp"

namespace {

quik::Options TestOptions(const std::filesystem::path& dir) {
  quik::Options o;
  o.data_dir = dir / "data";
  o.server.listen = "127.0.0.1:0";
  o.auth.scrypt_log2_n = 10;
  o.storage.sync = quik::SyncMode::kNormal;
  o.log.level = quik::LogLevel::kError;
  return o;
}

}  // namespace

TEST_CASE("with tls.cert and tls.key the server speaks HTTPS only", "[tls]") {
  quik_test::TempDir tmp;
  quik::Options options = TestOptions(tmp.path());
  options.tls.cert = (tmp.path() / "cert.pem").string();
  options.tls.key = (tmp.path() / "key.pem").string();
  quik_test::WriteTestCertificate(options.tls.cert, options.tls.key);
  REQUIRE(quik::InitDataDir(options).ok());
  auto server = quik::Server::Create(options);
  REQUIRE(server.ok());
  REQUIRE((*server)->Start().ok());
  const std::string url = (*server)->url();
  REQUIRE(url.rfind("https://127.0.0.1:", 0) == 0);

  SECTION("a client that trusts the certificate gets answers") {
    quik::net::ClientOptions client_options;
    client_options.ca_file = options.tls.cert;
    auto client = quik::net::HttpClient::Connect(url, client_options);
    REQUIRE(client.ok());
    auto health = client->Request("GET", "/healthz");
    REQUIRE(health.ok());
    CHECK(health->status == 200);
    // An API route works over the same connection (keep-alive through TLS).
    auto me = client->Request("GET", "/api/v1/users/me");
    REQUIRE(me.ok());
    CHECK(me->status == 401);
    CHECK(nlohmann::json::parse(me->body)["error"]["code"] == "unauthenticated");
    CHECK_FALSE(me->header("X-Request-Id").empty());
  }

  SECTION("a client that verifies against the system store refuses the self-signed server") {
    // The client shakes hands as it connects: the refusal comes from Connect.
    auto client = quik::net::HttpClient::Connect(url);
    REQUIRE_FALSE(client.ok());
    CHECK(client.status().code() == quik::StatusCode::kUnavailable);
    CHECK_THAT(client.status().message(),
               Catch::Contains("TLS handshake") && Catch::Contains("certificate verify failed"));
  }

  SECTION("plain HTTP to the TLS port gets no HTTP answer") {
    std::string plain = "http://" + url.substr(std::string("https://").size());
    quik::net::ClientOptions quick;
    quick.request_timeout = std::chrono::seconds(3);
    auto client = quik::net::HttpClient::Connect(plain, quick);
    REQUIRE(client.ok());  // TCP connects; the server then expects a TLS ClientHello
    auto health = client->Request("GET", "/healthz");
    INFO((health.ok() ? "HTTP " + std::to_string(health->status) : health.status().ToString()));
    CHECK_FALSE(health.ok());
  }
  (*server)->Shutdown();
  (*server)->Wait();
}

TEST_CASE("a TLS key without its certificate is refused at Create", "[tls]") {
  quik_test::TempDir tmp;
  quik::Options options = TestOptions(tmp.path());
  REQUIRE(quik::InitDataDir(options).ok());
  options.tls.key = (tmp.path() / "key.pem").string();
  auto server = quik::Server::Create(options);
  REQUIRE_FALSE(server.ok());
  CHECK(server.status().code() == quik::StatusCode::kInvalidArgument);
  CHECK_THAT(server.status().message(), Catch::Contains("tls.cert"));

  options.tls.cert = (tmp.path() / "missing.pem").string();
  server = quik::Server::Create(options);
  REQUIRE_FALSE(server.ok());
  CHECK_THAT(server.status().message(), Catch::Contains("missing.pem"));
}
