// SPDX-License-Identifier: MIT
// Outbound webhooks: the address classifier (SSRF), URL parsing, event
// patterns, the signature, the retry schedule, and WebhookService's rules.
#include <string>
#include <vector>

#include "unit/testing/service_fixture.hpp"
#include "webhooks/webhooks_internal.hpp"

using quik_test::As;
using quik_test::System;
namespace wh = quik::webhooks;

TEST_CASE("webhooks: the address classifier blocks every special-purpose range", "[webhooks]") {
  struct Case {
    const char* ip;
    const char* reason;
  };
  // The IANA IPv4 and IPv6 special-purpose registries, first and last
  // addresses of each range where they differ.
  const std::vector<Case> blocked = {
      {"0.0.0.0", "unspecified"},
      {"0.1.2.3", "unspecified"},
      {"0.255.255.255", "unspecified"},
      {"10.0.0.1", "private"},
      {"10.255.255.255", "private"},
      {"100.64.0.0", "CGNAT"},
      {"100.127.255.255", "CGNAT"},
      {"127.0.0.1", "loopback"},
      {"127.255.255.254", "loopback"},
      {"169.254.0.1", "link-local"},
      {"169.254.169.254", "link-local"},  // cloud metadata
      {"172.16.0.1", "private"},
      {"172.31.255.255", "private"},
      {"192.0.0.0", "IETF protocol"},
      {"192.0.0.9", "IETF protocol"},    // PCP anycast
      {"192.0.0.170", "IETF protocol"},  // NAT64 discovery
      {"192.0.0.255", "IETF protocol"},
      {"192.0.2.1", "documentation"},
      {"192.0.2.255", "documentation"},
      {"192.31.196.1", "AS112"},
      {"192.52.193.1", "AMT"},
      {"192.88.99.1", "6to4 relay"},
      {"192.168.0.0", "private"},
      {"192.168.255.255", "private"},
      {"192.175.48.1", "AS112"},
      {"198.18.0.0", "benchmarking"},
      {"198.19.255.255", "benchmarking"},
      {"198.51.100.7", "documentation"},
      {"203.0.113.7", "documentation"},
      {"224.0.0.1", "multicast"},
      {"239.255.255.250", "multicast"},
      {"240.0.0.1", "reserved"},
      {"255.255.255.254", "reserved"},
      {"255.255.255.255", "broadcast"},
      {"::", "unspecified"},
      {"::1", "loopback"},
      {"::ffff:127.0.0.1", "loopback"},
      {"::ffff:7f00:1", "loopback"},
      {"::ffff:10.1.2.3", "private"},
      {"::ffff:169.254.169.254", "link-local"},
      {"::ffff:198.18.0.1", "benchmarking"},
      {"::ffff:0.0.0.0", "unspecified"},
      {"::127.0.0.1", "IPv4-compatible"},
      {"::8.8.8.8", "IPv4-compatible"},
      {"64:ff9b::a9fe:a9fe", "NAT64"},  // 169.254.169.254 behind NAT64
      {"64:ff9b::808:808", "NAT64"},    // whatever it embeds
      {"64:ff9b:1::1", "NAT64 local-use"},
      {"64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "NAT64 local-use"},
      {"100::", "discard-only"},
      {"100::ffff:ffff:ffff:ffff", "discard-only"},
      {"100:0:0:1::", "reserved"},  // past 100::/64, still outside 2000::/3
      {"2001::1", "Teredo"},
      {"2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"},
      {"2001:1::1", "IETF protocol"},  // PCP anycast
      {"2001:2::1", "IETF protocol"},  // benchmarking
      {"2001:10::1", "IETF protocol"},
      {"2001:1ff:ffff::1", "IETF protocol"},
      {"2001:db8::1", "documentation"},
      {"2001:db8:ffff:ffff::1", "documentation"},
      {"2002::1", "6to4"},
      {"2002:a01:203::1", "6to4"},  // embeds 10.1.2.3
      {"2002:808:808::1", "6to4"},  // embeds 8.8.8.8
      {"2002:ffff:ffff::1", "6to4"},
      {"3fff::1", "documentation"},
      {"3fff:fff::1", "documentation"},
      {"5f00::1", "SRv6 SID"},
      {"fc00::1", "private"},
      {"fd12:3456:789a::1", "private"},
      {"fe80::1", "link-local"},
      {"febf::1", "link-local"},
      {"fec0::1", "private"},
      {"ff02::1", "multicast"},
      {"ff0e::1", "multicast"},
      {"::2", "IPv4-compatible"},
      {"1::1", "reserved"},
      {"4000::1", "reserved"},
      {"e000::1", "reserved"},
  };
  for (const auto& c : blocked) {
    CAPTURE(c.ip);
    auto reason = wh::BlockedAddressReason(c.ip);
    REQUIRE(reason);
    CHECK(*reason == c.reason);
    quik::Status st = wh::CheckAddress(c.ip);
    CHECK(st.code() == quik::StatusCode::kInvalidArgument);
    CHECK_THAT(st.message(), Catch::Contains("webhooks.allow_private_addresses"));
    CHECK_THAT(st.message(), Catch::Contains(c.ip));
  }
  // Public addresses, among them the neighbours of the ranges above.
  for (const char* ip : {"1.1.1.1",         "8.8.8.8",           "93.184.216.34",
                         "1.0.0.0",         "9.255.255.255",     "11.0.0.0",
                         "100.63.255.255",  "100.128.0.0",       "126.255.255.255",
                         "128.0.0.0",       "169.253.255.255",   "169.255.0.0",
                         "172.15.255.255",  "172.32.0.0",        "191.255.255.255",
                         "192.0.1.0",       "192.0.3.0",         "192.88.98.255",
                         "192.88.100.0",    "192.167.255.255",   "192.169.0.0",
                         "198.17.255.255",  "198.20.0.0",        "198.51.99.255",
                         "198.51.101.0",    "203.0.112.255",     "203.0.114.0",
                         "223.255.255.255", "::ffff:8.8.8.8",    "2606:4700:4700::1111",
                         "2001:200::1",     "2001:db7:ffff::1",  "2001:db9::1",
                         "2003::1",         "2a00:1450:4001::1", "3ffe:ffff::1",
                         "3fff:1000::1"}) {
    CAPTURE(ip);
    CHECK(wh::BlockedAddressReason(ip) == std::nullopt);
    CHECK(wh::CheckAddress(ip).ok());
  }
  CHECK(wh::BlockedAddressReason("example.com") == std::optional<std::string>("not an IP address"));
}

TEST_CASE("webhooks: URL parsing", "[webhooks]") {
  auto url = REQUIRE_VALUE(wh::ParseWebhookUrl("https://Hooks.Example.com/in/abc?x=1"));
  CHECK(url.tls);
  CHECK(url.host == "hooks.example.com");
  CHECK(url.origin == "https://hooks.example.com");
  CHECK(url.target == "/in/abc?x=1");
  url = REQUIRE_VALUE(wh::ParseWebhookUrl("http://[2001:db8::1]:8080"));
  CHECK_FALSE(url.tls);
  CHECK(url.host == "2001:db8::1");
  CHECK(url.origin == "http://[2001:db8::1]:8080");
  CHECK(url.target == "/");

  struct Bad {
    std::string url;
    const char* says;
  };
  const std::vector<Bad> bad = {
      {"", "required"},
      {"ftp://example.com/", "http:// and https://"},
      {"example.com/hook", "http:// and https://"},
      {"http://user:pw@example.com/", "user"},
      {"http:///path", "no host"},
      {"http://example.com:0/", "port"},
      {"http://example.com:99999/", "port"},
      {"http://exa mple.com/", "percent-encoded"},
      {"http://example.com/#frag", "fragment"},
      {"http://[::1/", "IPv6"},
      {"http://" + std::string(3000, 'a') + ".com/", "at most 2048 bytes"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.url);
    auto r = wh::ParseWebhookUrl(b.url);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == quik::StatusCode::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains(b.says));
  }
}

TEST_CASE("webhooks: URL hosts are checked, names included", "[webhooks]") {
  for (const char* u : {"http://127.0.0.1:8080/", "http://10.1.2.3/", "http://[::1]/",
                        "http://localhost/", "http://LOCALHOST./x", "http://api.localhost/",
                        "http://169.254.169.254/latest/meta-data", "http://[::ffff:127.0.0.1]/"}) {
    CAPTURE(u);
    auto url = REQUIRE_VALUE(wh::ParseWebhookUrl(u));
    quik::Status st = wh::CheckUrlAddresses(url);
    CHECK(st.code() == quik::StatusCode::kInvalidArgument);
    CHECK_THAT(st.message(), Catch::Contains("webhooks.allow_private_addresses"));
  }
  auto pub = REQUIRE_VALUE(wh::ParseWebhookUrl("https://93.184.216.34/hook"));
  CHECK(wh::CheckUrlAddresses(pub).ok());
}

TEST_CASE("webhooks: event patterns", "[webhooks]") {
  for (const char* ok : {"*", "message.*", "message.posted", "channel.created", "workspace.*",
                         "reaction.added", "member.joined"}) {
    CAPTURE(ok);
    CHECK(wh::ValidatePattern(ok).ok());
  }
  for (const char* bad :
       {"", "bogus.*", "read.updated", "token.*", "user.*", "message", "message.", "Message.posted",
        "message.Posted", "**", "notification.*", "webhook.*", "webhook.created"}) {
    CAPTURE(bad);
    quik::Status st = wh::ValidatePattern(bad);
    CHECK(st.code() == quik::StatusCode::kInvalidArgument);
  }
  CHECK_THAT(wh::ValidatePattern("bogus.*").message(), Catch::Contains("message, reaction"));

  CHECK(wh::PatternMatches("*", "message.posted"));
  CHECK(wh::PatternMatches("message.*", "message.posted"));
  CHECK(wh::PatternMatches("message.*", "message.edited"));
  CHECK_FALSE(wh::PatternMatches("message.*", "messages.posted"));
  CHECK_FALSE(wh::PatternMatches("message.*", "channel.created"));
  CHECK(wh::PatternMatches("message.posted", "message.posted"));
  CHECK_FALSE(wh::PatternMatches("message.posted", "message.edited"));

  CHECK(wh::DeliverableType("message.posted"));
  CHECK(wh::DeliverableType("channel.created"));
  for (const char* never : {"webhook.created", "webhook.updated", "webhook.deleted", "read.updated",
                            "notification.created", "thread.followed", "preferences.updated",
                            "token.created", "session.created", "user.updated"}) {
    CAPTURE(never);
    CHECK_FALSE(wh::DeliverableType(never));
  }
}

TEST_CASE("webhooks: HMAC-SHA256 signatures", "[webhooks]") {
  // RFC 4231 test case 2.
  CHECK(wh::HmacSha256Hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // The header signs TIMESTAMP "." BODY.
  CHECK(wh::SignatureHeader("Jefe", "what do ya want", " for nothing?") ==
        "v1=" + wh::HmacSha256Hex("Jefe", "what do ya want. for nothing?"));
  CHECK(wh::SignatureHeader("whsec_x", "1700000000", "{}").rfind("v1=", 0) == 0);
  CHECK(wh::SignatureHeader("whsec_x", "1700000000", "{}").size() == 3 + 64);
}

TEST_CASE("webhooks: retry delays double up to the cap, with jitter", "[webhooks]") {
  quik::WebhooksOptions o;
  o.retry_base = std::chrono::seconds(5);
  o.retry_max = std::chrono::seconds(60);
  using std::chrono::milliseconds;
  CHECK(wh::RetryDelay(o, 1, 0.0) == milliseconds(5000));
  CHECK(wh::RetryDelay(o, 2, 0.0) == milliseconds(10000));
  CHECK(wh::RetryDelay(o, 3, 0.0) == milliseconds(20000));
  CHECK(wh::RetryDelay(o, 5, 0.0) == milliseconds(60000));
  CHECK(wh::RetryDelay(o, 100, 0.0) == milliseconds(60000));
  CHECK(wh::RetryDelay(o, 1, 0.999) > milliseconds(2500));
  CHECK(wh::RetryDelay(o, 1, 0.5) == milliseconds(3750));
}

TEST_CASE("webhooks: who may manage them", "[webhooks]") {
  quik_test::ServiceFixture f;
  auto t = f.MakeTeam();
  auto& hooks = f.svc().webhooks();
  quik::NewWebhook spec{"https://93.184.216.34/hook", {"message.*"}, "ci"};

  auto created = REQUIRE_VALUE(hooks.Create(As(t.admin), t.ws.slug, spec));
  CHECK(created.secret.rfind("whsec_", 0) == 0);
  CHECK(created.webhook.events == std::vector<std::string>{"message.*"});
  CHECK(created.webhook.created_by == t.admin.id);
  REQUIRE_VALUE(hooks.Create(As(t.owner), t.ws.id, spec));
  REQUIRE_VALUE(hooks.Create(System(), t.ws.id, spec));

  CHECK(hooks.Create(As(t.member), t.ws.id, spec).status().code() ==
        quik::StatusCode::kPermissionDenied);
  CHECK(hooks.Create(As(t.guest), t.ws.id, spec).status().code() ==
        quik::StatusCode::kPermissionDenied);
  CHECK(hooks.Create(As(t.outsider), t.ws.id, spec).status().code() == quik::StatusCode::kNotFound);
  CHECK(hooks.List(As(t.member), t.ws.id).status().code() == quik::StatusCode::kPermissionDenied);
  CHECK(hooks.List(As(t.outsider), t.ws.id).status().code() == quik::StatusCode::kNotFound);
  CHECK(hooks.Get(As(t.member), created.webhook.id).status().code() ==
        quik::StatusCode::kPermissionDenied);
  CHECK(hooks.Get(As(t.outsider), created.webhook.id).status().code() ==
        quik::StatusCode::kNotFound);
  CHECK(hooks.Delete(As(t.outsider), created.webhook.id).code() == quik::StatusCode::kNotFound);
  CHECK(hooks.ListDeliveries(As(t.member), created.webhook.id).status().code() ==
        quik::StatusCode::kPermissionDenied);

  auto listed = REQUIRE_VALUE(hooks.List(As(t.owner), t.ws.id));
  CHECK(listed.size() == 3);
  auto paused = REQUIRE_VALUE(hooks.SetPaused(As(t.admin), created.webhook.id, true));
  CHECK(paused.paused);
  CHECK(REQUIRE_VALUE(hooks.Get(As(t.owner), created.webhook.id)).paused);
  REQUIRE_OK(hooks.Delete(As(t.owner), created.webhook.id));
  CHECK(hooks.Get(As(t.owner), created.webhook.id).status().code() == quik::StatusCode::kNotFound);
  CHECK(REQUIRE_VALUE(hooks.List(As(t.owner), t.ws.id)).size() == 2);
}

TEST_CASE("webhooks: bad input and limits", "[webhooks]") {
  quik_test::ServiceFixture f([](quik::Options& o) { o.webhooks.max_per_workspace = 2; });
  auto t = f.MakeTeam();
  auto& hooks = f.svc().webhooks();
  auto code = [&](quik::NewWebhook spec) {
    return hooks.Create(As(t.admin), t.ws.id, spec).status();
  };
  CHECK(code({"https://93.184.216.34/", {}, ""}).code() == quik::StatusCode::kInvalidArgument);
  CHECK(code({"https://93.184.216.34/", {"nope.*"}, ""}).code() ==
        quik::StatusCode::kInvalidArgument);
  CHECK(code({"gopher://93.184.216.34/", {"*"}, ""}).code() == quik::StatusCode::kInvalidArgument);
  quik::Status priv = code({"http://10.1.2.3/", {"*"}, ""});
  CHECK(priv.code() == quik::StatusCode::kInvalidArgument);
  CHECK_THAT(priv.message(), Catch::Contains("private"));
  CHECK_THAT(priv.message(), Catch::Contains("webhooks.allow_private_addresses"));

  REQUIRE_VALUE(hooks.Create(As(t.admin), t.ws.id, {"https://93.184.216.34/a", {"*"}, ""}));
  REQUIRE_VALUE(hooks.Create(As(t.admin), t.ws.id, {"https://93.184.216.34/b", {"*"}, ""}));
  quik::Status full = code({"https://93.184.216.34/c", {"*"}, ""});
  CHECK(full.code() == quik::StatusCode::kInvalidArgument);
  CHECK_THAT(full.message(), Catch::Contains("webhooks.max_per_workspace"));
}

TEST_CASE("webhooks: allow_private_addresses lets private URLs in", "[webhooks]") {
  quik_test::ServiceFixture f([](quik::Options& o) { o.webhooks.allow_private_addresses = true; });
  auto t = f.MakeTeam();
  REQUIRE_VALUE(
      f.svc().webhooks().Create(As(t.admin), t.ws.id, {"http://127.0.0.1:9/hook", {"*"}, ""}));
}
