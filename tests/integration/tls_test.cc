// HTTPS: with tls.cert and tls.key the listener speaks TLS only.
//
// The test makes its own self-signed certificate for 127.0.0.1 with OpenSSL,
// starts the server on port 0 and talks to it with the project's HTTP client,
// which verifies the chain and the address against that certificate.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <quik/datadir.hpp>
#include <quik/server.hpp>

#include "net/http_client.hpp"
#include "testing/temp_dir.hpp"

namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

// Writes a self-signed certificate for IP 127.0.0.1 and its key as PEM.
void WriteSelfSignedCert(const std::filesystem::path& cert, const std::filesystem::path& key) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(EVP_EC_gen("P-256"), EVP_PKEY_free);
  REQUIRE(pkey);
  std::unique_ptr<X509, decltype(&X509_free)> x509(X509_new(), X509_free);
  REQUIRE(x509);
  X509_set_version(x509.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x509.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(x509.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(x509.get()), 3600);
  X509_set_pubkey(x509.get(), pkey.get());
  X509_NAME* name = X509_get_subject_name(x509.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("quik test"), -1, -1, 0);
  X509_set_issuer_name(x509.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x509.get(), x509.get(), nullptr, nullptr, 0);
  for (const char* ext : {"subjectAltName", "basicConstraints"}) {
    const char* value = std::string_view(ext) == "subjectAltName" ? "IP:127.0.0.1" : "CA:TRUE";
    X509_EXTENSION* e = X509V3_EXT_conf(nullptr, &ctx, ext, value);
    REQUIRE(e != nullptr);
    X509_add_ext(x509.get(), e, -1);
    X509_EXTENSION_free(e);
  }
  REQUIRE(X509_sign(x509.get(), pkey.get(), EVP_sha256()) > 0);
  std::unique_ptr<FILE, FileCloser> cf(std::fopen(cert.c_str(), "w"));
  std::unique_ptr<FILE, FileCloser> kf(std::fopen(key.c_str(), "w"));
  REQUIRE((cf && kf));
  REQUIRE(PEM_write_X509(cf.get(), x509.get()) == 1);
  REQUIRE(PEM_write_PrivateKey(kf.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
}

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
  WriteSelfSignedCert(options.tls.cert, options.tls.key);
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
    auto client = quik::net::HttpClient::Connect(url);
    if (client.ok()) {
      auto health = client->Request("GET", "/healthz");
      CHECK_FALSE(health.ok());
    } else {
      CHECK(client.status().code() != quik::StatusCode::kOk);
    }
  }

  SECTION("plain HTTP to the TLS port gets no HTTP answer") {
    std::string plain = "http://" + url.substr(std::string("https://").size());
    quik::net::ClientOptions quick;
    quick.request_timeout = std::chrono::seconds(3);
    auto client = quik::net::HttpClient::Connect(plain, quick);
    if (client.ok()) {
      auto health = client->Request("GET", "/healthz");
      CHECK_FALSE((health.ok() && health->status == 200));
    }
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
