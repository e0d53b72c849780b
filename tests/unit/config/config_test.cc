// SPDX-License-Identifier: MIT
#include "quik/config.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "testing/temp_dir.hpp"

namespace quik {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

bool SameOptions(const Options& a, const Options& b) {
  return a.data_dir == b.data_dir && a.storage.sync == b.storage.sync &&
         a.storage.lmdb_map_size_mib == b.storage.lmdb_map_size_mib &&
         a.storage.busy_timeout_ms == b.storage.busy_timeout_ms &&
         a.storage.auto_migrate == b.storage.auto_migrate &&
         a.storage.max_batch == b.storage.max_batch &&
         a.auth.scrypt_log2_n == b.auth.scrypt_log2_n && a.auth.scrypt_r == b.auth.scrypt_r &&
         a.auth.scrypt_p == b.auth.scrypt_p && a.auth.session_ttl == b.auth.session_ttl &&
         a.auth.open_signup == b.auth.open_signup && a.auth.invite_ttl == b.auth.invite_ttl &&
         a.limits.message_max_chars == b.limits.message_max_chars &&
         a.limits.name_max_chars == b.limits.name_max_chars &&
         a.limits.topic_max_chars == b.limits.topic_max_chars &&
         a.limits.page_max == b.limits.page_max &&
         a.auth.login_max_failures == b.auth.login_max_failures &&
         a.auth.login_failure_window == b.auth.login_failure_window &&
         a.auth.login_max_failures_per_address == b.auth.login_max_failures_per_address &&
         a.auth.signup_rate_per_address == b.auth.signup_rate_per_address &&
         a.auth.login_rate_per_address == b.auth.login_rate_per_address &&
         a.auth.hash_threads == b.auth.hash_threads && a.auth.hash_queue == b.auth.hash_queue &&
         a.auth.invite_max_uses == b.auth.invite_max_uses && a.server.listen == b.server.listen &&
         a.server.metrics_listen == b.server.metrics_listen &&
         a.server.io_threads == b.server.io_threads &&
         a.server.worker_threads == b.server.worker_threads &&
         a.server.max_connections == b.server.max_connections &&
         a.server.max_connections_per_address == b.server.max_connections_per_address &&
         a.server.drain_timeout == b.server.drain_timeout &&
         a.http.max_header_bytes == b.http.max_header_bytes &&
         a.http.max_body_bytes == b.http.max_body_bytes &&
         a.http.request_timeout == b.http.request_timeout &&
         a.http.min_body_rate == b.http.min_body_rate &&
         a.http.idle_timeout == b.http.idle_timeout && a.http.user_rate == b.http.user_rate &&
         a.http.address_rate == b.http.address_rate && a.http.rate_burst == b.http.rate_burst &&
         a.tls.cert == b.tls.cert && a.tls.key == b.tls.key && a.log.level == b.log.level &&
         a.storage.cache_mib == b.storage.cache_mib &&
         a.realtime.event_retention == b.realtime.event_retention &&
         a.realtime.max_queue_bytes == b.realtime.max_queue_bytes &&
         a.realtime.max_frame_bytes == b.realtime.max_frame_bytes &&
         a.realtime.auth_timeout == b.realtime.auth_timeout &&
         a.realtime.idle_timeout == b.realtime.idle_timeout &&
         a.realtime.allowed_origins == b.realtime.allowed_origins &&
         a.realtime.max_connections_per_user == b.realtime.max_connections_per_user &&
         a.realtime.client_frame_rate == b.realtime.client_frame_rate &&
         a.realtime.typing_interval == b.realtime.typing_interval &&
         a.realtime.presence_grace == b.realtime.presence_grace &&
         a.realtime.presence_broadcast_max == b.realtime.presence_broadcast_max &&
         a.webhooks.allow_private_addresses == b.webhooks.allow_private_addresses &&
         a.webhooks.max_attempts == b.webhooks.max_attempts &&
         a.webhooks.retry_base == b.webhooks.retry_base &&
         a.webhooks.retry_max == b.webhooks.retry_max && a.webhooks.timeout == b.webhooks.timeout &&
         a.webhooks.max_per_workspace == b.webhooks.max_per_workspace &&
         a.webhooks.workers == b.webhooks.workers &&
         a.webhooks.max_in_flight_per_host == b.webhooks.max_in_flight_per_host &&
         a.files.max_bytes == b.files.max_bytes &&
         a.files.workspace_quota_bytes == b.files.workspace_quota_bytes &&
         a.files.thumbnail_size == b.files.thumbnail_size &&
         a.files.max_image_pixels == b.files.max_image_pixels &&
         a.files.max_decode_bytes == b.files.max_decode_bytes &&
         a.files.decode_memory_bytes == b.files.decode_memory_bytes &&
         a.files.upload_threads == b.files.upload_threads &&
         a.files.upload_queue == b.files.upload_queue &&
         a.files.gc_grace == b.files.gc_grace;
}

// Options with every field away from its default.
Options NonDefaultOptions() {
  Options o;
  o.data_dir = "/elsewhere";
  o.storage.sync = SyncMode::kNormal;
  o.storage.lmdb_map_size_mib = 7;
  o.storage.busy_timeout_ms = 11;
  o.storage.auto_migrate = false;
  o.storage.max_batch = 13;
  o.auth.scrypt_log2_n = 10;
  o.auth.scrypt_r = 2;
  o.auth.scrypt_p = 3;
  o.auth.session_ttl = seconds(17);
  o.auth.open_signup = true;
  o.auth.invite_ttl = seconds(19);
  o.limits.message_max_chars = 23;
  o.limits.name_max_chars = 29;
  o.limits.topic_max_chars = 31;
  o.limits.page_max = 37;
  o.auth.login_max_failures = 41;
  o.auth.login_failure_window = seconds(43);
  o.auth.login_max_failures_per_address = 107;
  o.auth.signup_rate_per_address = 109;
  o.auth.login_rate_per_address = 113;
  o.auth.hash_threads = 127;
  o.auth.hash_queue = 131;
  o.auth.invite_max_uses = 137;
  o.server.listen = "[::1]:47";
  o.server.metrics_listen = "0.0.0.0:53";
  o.server.io_threads = 59;
  o.server.worker_threads = 61;
  o.server.max_connections = 67;
  o.server.max_connections_per_address = 227;
  o.server.drain_timeout = seconds(71);
  o.http.max_header_bytes = 7300;
  o.http.max_body_bytes = 7900;
  o.http.request_timeout = seconds(83);
  o.http.min_body_rate = 229;
  o.http.idle_timeout = seconds(89);
  o.http.user_rate = 97;
  o.http.address_rate = 101;
  o.http.rate_burst = 103;
  o.tls.cert = "/etc/quik/cert \"1\".pem";
  o.tls.key = "C:\\key.pem";
  o.log.level = LogLevel::kDebug;
  o.storage.cache_mib = 109;
  o.realtime.event_retention = seconds(113);
  o.realtime.max_queue_bytes = 12700;
  o.realtime.max_frame_bytes = 1310;
  o.realtime.auth_timeout = seconds(137);
  o.realtime.idle_timeout = seconds(139);
  o.realtime.allowed_origins = {"https://a.example", "https://\"b\".example"};
  o.realtime.max_connections_per_user = 149;
  o.realtime.client_frame_rate = 151;
  o.realtime.typing_interval = seconds(157);
  o.realtime.presence_grace = seconds(163);
  o.realtime.presence_broadcast_max = 167;
  o.webhooks.allow_private_addresses = true;
  o.webhooks.max_attempts = 3;
  o.webhooks.retry_base = seconds(173);
  o.webhooks.retry_max = seconds(179);
  o.webhooks.timeout = seconds(181);
  o.webhooks.max_per_workspace = 191;
  o.webhooks.workers = 13;
  o.webhooks.max_in_flight_per_host = 7;
  o.files.max_bytes = 193;
  o.files.workspace_quota_bytes = 197;
  o.files.thumbnail_size = 199;
  o.files.max_image_pixels = 211;
  o.files.max_decode_bytes = 233;
  o.files.decode_memory_bytes = 239;
  o.files.upload_threads = 241;
  o.files.upload_queue = 251;
  o.files.gc_grace = seconds(223);
  return o;
}

// The error message of parsing `toml` (named "t.toml") into default options.
std::string ErrorOf(const std::string& toml) {
  Options o;
  Status s = ParseOptions(toml, "t.toml", &o);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == StatusCode::kInvalidArgument);
  return s.message();
}

using quik_test::TempDir;

TEST_CASE("config: empty or comment-only text keeps every value", "[config]") {
  for (const char* text : {"", "\n\n", "# just a comment\n", "[storage]\n[auth]\n[limits]\n"}) {
    CAPTURE(text);
    Options defaults;
    REQUIRE(ParseOptions(text, "t.toml", &defaults).ok());
    CHECK(SameOptions(defaults, Options{}));

    Options custom = NonDefaultOptions();
    REQUIRE(ParseOptions(text, "t.toml", &custom).ok());
    CHECK(SameOptions(custom, NonDefaultOptions()));
  }
}

TEST_CASE("config: every key is parsed", "[config]") {
  const std::string text = R"(
[storage]
sync = "normal"
lmdb_map_size_mib = 4096
busy_timeout_ms = 0
auto_migrate = false
max_batch = 100000

[auth]
scrypt_log2_n = 10
scrypt_r = 64
scrypt_p = 16
session_ttl = "12h"
open_signup = true
invite_ttl = "90m"

[limits]
message_max_chars = 1000000
name_max_chars = 64
topic_max_chars = 500
page_max = 1000
)";
  Options o;
  o.data_dir = "/keep/me";
  Status s = ParseOptions(text, "t.toml", &o);
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(o.data_dir == "/keep/me");
  CHECK(o.storage.sync == SyncMode::kNormal);
  CHECK(o.storage.lmdb_map_size_mib == 4096);
  CHECK(o.storage.busy_timeout_ms == 0);
  CHECK(o.storage.auto_migrate == false);
  CHECK(o.storage.max_batch == 100000);
  CHECK(o.auth.scrypt_log2_n == 10);
  CHECK(o.auth.scrypt_r == 64);
  CHECK(o.auth.scrypt_p == 16);
  CHECK(o.auth.session_ttl == hours(12));
  CHECK(o.auth.open_signup == true);
  CHECK(o.auth.invite_ttl == minutes(90));
  CHECK(o.limits.message_max_chars == 1000000);
  CHECK(o.limits.name_max_chars == 64);
  CHECK(o.limits.topic_max_chars == 500);
  CHECK(o.limits.page_max == 1000);

  // And back the other way, from non-default values.
  Options back = NonDefaultOptions();
  REQUIRE(ParseOptions("[storage]\nsync = \"full\"\nauto_migrate = true\n", "t.toml", &back).ok());
  CHECK(back.storage.sync == SyncMode::kFull);
  CHECK(back.storage.auto_migrate == true);
  CHECK(back.storage.max_batch == 13);  // absent: kept
}

TEST_CASE("config: keys absent keep their value, present ones override", "[config]") {
  Options o = NonDefaultOptions();
  REQUIRE(ParseOptions("[limits]\npage_max = 50\n", "t.toml", &o).ok());
  Options expected = NonDefaultOptions();
  expected.limits.page_max = 50;
  CHECK(SameOptions(o, expected));
}

TEST_CASE("config: inline tables and dotted keys are ordinary TOML", "[config]") {
  Options o;
  REQUIRE(
      ParseOptions("storage = { max_batch = 5 }\nauth.open_signup = true\n", "t.toml", &o).ok());
  CHECK(o.storage.max_batch == 5);
  CHECK(o.auth.open_signup);
}

TEST_CASE("config: unknown keys and sections name the line and the key", "[config]") {
  CHECK(ErrorOf("[storage]\nsync = \"full\"\nsynx = \"full\"\n") ==
        "t.toml:3: unknown key 'storage.synx'");
  CHECK(ErrorOf("# comment\n\n[storag]\nsync = \"full\"\n") ==
        "t.toml:3: unknown section 'storag'");
  CHECK(ErrorOf("data_dir = \"/x\"\n") == "t.toml:1: unknown key 'data_dir'");
  CHECK(ErrorOf("[auth]\n\n[auth.extra]\nx = 1\n") == "t.toml:3: unknown key 'auth.extra'");
  CHECK(ErrorOf("[limits]\npage_max = 5\n\n\nnope = 1\n") == "t.toml:5: unknown key 'limits.nope'");
}

TEST_CASE("config: the error names the source name given", "[config]") {
  Options o;
  Status s = ParseOptions("[x]\n", "/etc/quik/quik.toml", &o);
  CHECK(s.message() == "/etc/quik/quik.toml:1: unknown section 'x'");
}

TEST_CASE("config: wrong types are errors", "[config]") {
  CHECK(ErrorOf("[storage]\nbusy_timeout_ms = \"5000\"\n") ==
        "t.toml:2: key 'storage.busy_timeout_ms': expected an integer from 0 to 2147483647");
  CHECK(ErrorOf("[storage]\nmax_batch = 1.5\n") ==
        "t.toml:2: key 'storage.max_batch': expected an integer from 1 to 100000");
  CHECK(ErrorOf("[storage]\nauto_migrate = 1\n") ==
        "t.toml:2: key 'storage.auto_migrate': expected true or false");
  CHECK(ErrorOf("[auth]\nopen_signup = \"yes\"\n") ==
        "t.toml:2: key 'auth.open_signup': expected true or false");
  CHECK(ErrorOf("[storage]\nsync = true\n") ==
        "t.toml:2: key 'storage.sync': expected \"full\" or \"normal\"");
  CHECK(ErrorOf("storage = 3\n") == "t.toml:1: key 'storage': expected a table ([storage])");
  CHECK(ErrorOf("[[limits]]\npage_max = 3\n") ==
        "t.toml:1: key 'limits': expected a table ([limits])");
  const std::string ttl = ErrorOf("[auth]\nsession_ttl = 3600\n");
  CHECK_THAT(ttl, Catch::StartsWith("t.toml:2: key 'auth.session_ttl': expected a duration"));
  CHECK_THAT(ttl, Catch::Contains("\"30d\""));
}

TEST_CASE("config: values out of range are errors", "[config]") {
  CHECK(ErrorOf("[auth]\nscrypt_log2_n = 9\n") ==
        "t.toml:2: key 'auth.scrypt_log2_n': expected an integer from 10 to 22");
  CHECK(ErrorOf("[auth]\nscrypt_log2_n = 23\n") ==
        "t.toml:2: key 'auth.scrypt_log2_n': expected an integer from 10 to 22");
  CHECK(ErrorOf("[auth]\nscrypt_r = 0\n") ==
        "t.toml:2: key 'auth.scrypt_r': expected an integer from 1 to 64");
  CHECK(ErrorOf("[auth]\nscrypt_p = 17\n") ==
        "t.toml:2: key 'auth.scrypt_p': expected an integer from 1 to 16");
  CHECK(ErrorOf("[storage]\nmax_batch = 0\n") ==
        "t.toml:2: key 'storage.max_batch': expected an integer from 1 to 100000");
  CHECK(ErrorOf("[storage]\nmax_batch = 100001\n") ==
        "t.toml:2: key 'storage.max_batch': expected an integer from 1 to 100000");
  CHECK(ErrorOf("[storage]\nbusy_timeout_ms = -1\n") ==
        "t.toml:2: key 'storage.busy_timeout_ms': expected an integer from 0 to 2147483647");
  CHECK(ErrorOf("[storage]\nlmdb_map_size_mib = 0\n") ==
        "t.toml:2: key 'storage.lmdb_map_size_mib': expected an integer from 1 to "
        "17592186044415");
  CHECK(ErrorOf("[limits]\nmessage_max_chars = 1000001\n") ==
        "t.toml:2: key 'limits.message_max_chars': expected an integer from 1 to 1000000");
  CHECK(ErrorOf("[limits]\nname_max_chars = 0\n") ==
        "t.toml:2: key 'limits.name_max_chars': expected an integer from 1 to 2147483647");
  CHECK(ErrorOf("[limits]\ntopic_max_chars = 2147483648\n") ==
        "t.toml:2: key 'limits.topic_max_chars': expected an integer from 1 to 2147483647");
  CHECK(ErrorOf("[limits]\npage_max = -5\n") ==
        "t.toml:2: key 'limits.page_max': expected an integer from 1 to 2147483647");

  Options o;
  REQUIRE(
      ParseOptions("[auth]\nscrypt_log2_n = 22\n[storage]\nmax_batch = 1\n", "t.toml", &o).ok());
  CHECK(o.auth.scrypt_log2_n == 22);
  CHECK(o.storage.max_batch == 1);
}

TEST_CASE("config: realtime.allowed_origins is an array of strings", "[config]") {
  Options o;
  REQUIRE(
      ParseOptions("[realtime]\nallowed_origins = [\"https://x.example\"]\n", "t.toml", &o).ok());
  CHECK(o.realtime.allowed_origins == std::vector<std::string>{"https://x.example"});
  CHECK(ErrorOf("[realtime]\nallowed_origins = \"https://x.example\"\n") ==
        "t.toml:2: key 'realtime.allowed_origins': expected an array of non-empty strings");
  CHECK(ErrorOf("[realtime]\nallowed_origins = [1]\n") ==
        "t.toml:2: key 'realtime.allowed_origins': expected an array of non-empty strings");
  CHECK(ErrorOf("[realtime]\nmax_queue_bytes = 10\n") ==
        "t.toml:2: key 'realtime.max_queue_bytes': expected an integer from 4096 to 4294967296");
}

TEST_CASE("config: a bad sync value", "[config]") {
  CHECK(ErrorOf("\n[storage]\nsync = \"fast\"\n") ==
        "t.toml:3: key 'storage.sync': expected \"full\" or \"normal\"");
  CHECK(ErrorOf("[storage]\nsync = \"FULL\"\n") ==
        "t.toml:2: key 'storage.sync': expected \"full\" or \"normal\"");
}

TEST_CASE("config: a syntax error names its line", "[config]") {
  const std::string unterminated = ErrorOf("[storage]\n\nsync = \"full\n");
  CHECK_THAT(unterminated, Catch::StartsWith("t.toml:3: "));
  CHECK(unterminated.size() > std::string("t.toml:3: ").size());

  CHECK_THAT(ErrorOf("[storage]\nmax_batch = \n"), Catch::StartsWith("t.toml:2: "));
  CHECK_THAT(ErrorOf("[limits\n"), Catch::StartsWith("t.toml:1: "));
  // A key given twice is a TOML error, not a silent override.
  CHECK_THAT(ErrorOf("[auth]\nscrypt_r = 8\nscrypt_r = 9\n"), Catch::StartsWith("t.toml:3: "));
}

TEST_CASE("config: a failed parse changes nothing", "[config]") {
  Options o = NonDefaultOptions();
  Status s = ParseOptions("[storage]\nmax_batch = 99\nsync = \"fast\"\n", "t.toml", &o);
  REQUIRE_FALSE(s.ok());
  CHECK(SameOptions(o, NonDefaultOptions()));
}

TEST_CASE("config: the first error in the file is reported", "[config]") {
  // toml++ tables are ordered by key, not by line; the report must not be.
  CHECK(ErrorOf("[storage]\nsync = \"x\"\n[auth]\nscrypt_r = 0\n") ==
        "t.toml:2: key 'storage.sync': expected \"full\" or \"normal\"");
  CHECK(ErrorOf("[limits]\nzzz = 1\naaa = 2\n") == "t.toml:2: unknown key 'limits.zzz'");
}

TEST_CASE("config: ParseDuration", "[config]") {
  auto ok = [](const char* text) {
    Result<seconds> r = ParseDuration(text);
    INFO(text << ": " << r.status().message());
    REQUIRE(r.ok());
    return *r;
  };
  CHECK(ok("30d") == hours(24 * 30));
  CHECK(ok("12h") == hours(12));
  CHECK(ok("90m") == minutes(90));
  CHECK(ok("45s") == seconds(45));
  CHECK(ok("1s") == seconds(1));
  CHECK(ok("007m") == minutes(7));
  CHECK(ok("36500d") == hours(24 * 36500));

  for (const char* bad : {"", "d", "30", "0d", "0s", "-5m", "+5m", "5 m", " 5m", "5m ", "5w", "5D",
                          "1.5h", "5ms", "h5", "1d2h", "\u0661s"}) {
    CAPTURE(bad);
    Result<seconds> r = ParseDuration(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::Contains("\"30d\""));
  }
  // More than 100 years could overflow a clock's now() + ttl.
  Result<seconds> huge = ParseDuration("36501d");
  REQUIRE_FALSE(huge.ok());
  CHECK_THAT(huge.status().message(), Catch::Contains("at most 36500d"));
  CHECK_FALSE(ParseDuration("876001h").ok());
  CHECK_FALSE(ParseDuration("99999999999999999999999999s").ok());
  CHECK_THAT(ParseDuration("99999999999999x9s").status().message(), Catch::Contains("\"30d\""));
  CHECK(ParseDuration("876000h").ok());

  CHECK(ParseDuration("5w").status().message() ==
        "invalid duration \"5w\": expected a duration such as \"30d\", \"12h\", \"90m\" or "
        "\"45s\" (a positive integer followed by d, h, m or s)");
}

TEST_CASE("config: duration keys", "[config]") {
  Options o;
  REQUIRE(ParseOptions("[auth]\nsession_ttl = \"45s\"\ninvite_ttl = \"2d\"\n", "t.toml", &o).ok());
  CHECK(o.auth.session_ttl == seconds(45));
  CHECK(o.auth.invite_ttl == hours(48));
  CHECK_THAT(ErrorOf("[auth]\n\ninvite_ttl = \"1w\"\n"),
             Catch::StartsWith("t.toml:3: key 'auth.invite_ttl': expected a duration such as"));
}

TEST_CASE("config: the server, http, tls and log keys", "[config]") {
  const std::string text = R"(
[auth]
login_max_failures = 0
login_failure_window = "1h"
login_max_failures_per_address = 9

[server]
listen = "0.0.0.0:0"
metrics_listen = "127.0.0.1:9100"
io_threads = 3
worker_threads = 8
max_connections = 100
drain_timeout = "30s"

[http]
max_header_bytes = 4096
max_body_bytes = 65536
request_timeout = "2s"
idle_timeout = "5m"
user_rate = 20
address_rate = 50
rate_burst = 40

[tls]
cert = "/etc/quik/cert.pem"
key = "/etc/quik/key.pem"

[log]
level = "warn"
)";
  Options o;
  Status s = ParseOptions(text, "t.toml", &o);
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(o.auth.login_max_failures == 0);
  CHECK(o.auth.login_failure_window == hours(1));
  CHECK(o.auth.login_max_failures_per_address == 9);
  CHECK(o.server.listen == "0.0.0.0:0");
  CHECK(o.server.metrics_listen == "127.0.0.1:9100");
  CHECK(o.server.io_threads == 3);
  CHECK(o.server.worker_threads == 8);
  CHECK(o.server.max_connections == 100);
  CHECK(o.server.drain_timeout == seconds(30));
  CHECK(o.http.max_header_bytes == 4096);
  CHECK(o.http.max_body_bytes == 65536);
  CHECK(o.http.request_timeout == seconds(2));
  CHECK(o.http.idle_timeout == minutes(5));
  CHECK(o.http.user_rate == 20);
  CHECK(o.http.address_rate == 50);
  CHECK(o.http.rate_burst == 40);
  CHECK(o.tls.cert == "/etc/quik/cert.pem");
  CHECK(o.tls.key == "/etc/quik/key.pem");
  CHECK(o.log.level == LogLevel::kWarn);

  CHECK_THAT(ErrorOf("[server]\nlisten = \"localhost\"\n"),
             Catch::Contains("t.toml:2: key 'server.listen': expected \"HOST:PORT\""));
  CHECK_THAT(ErrorOf("[server]\nlisten = \"\"\n"), Catch::Contains("server.listen"));
  CHECK_THAT(ErrorOf("[server]\nlisten = \"1.2.3.4:65536\"\n"), Catch::Contains("server.listen"));
  Options empty_metrics;
  CHECK(ParseOptions("[server]\nmetrics_listen = \"\"\n", "t.toml", &empty_metrics).ok());
  CHECK_THAT(ErrorOf("[server]\nworker_threads = 0\n"), Catch::Contains("server.worker_threads"));
  CHECK_THAT(ErrorOf("[http]\nmax_body_bytes = 10\n"), Catch::Contains("http.max_body_bytes"));
  CHECK_THAT(ErrorOf("[http]\nidle_timeout = 5\n"), Catch::Contains("http.idle_timeout"));
  CHECK_THAT(ErrorOf("[tls]\ncert = 1\n"), Catch::Contains("tls.cert"));
  CHECK_THAT(ErrorOf("[log]\nlevel = \"verbose\"\n"),
             Catch::Contains(R"(key 'log.level': expected "debug", "info", "warn" or "error")"));
}

TEST_CASE("config: ParseListenAddress", "[config]") {
  auto v4 = ParseListenAddress("127.0.0.1:8470");
  REQUIRE(v4);
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 8470);
  auto v6 = ParseListenAddress("[::1]:0");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 0);
  auto name = ParseListenAddress("localhost:65535");
  REQUIRE(name);
  CHECK(name->host == "localhost");
  for (const char* bad : {"", ":80", "host:", "host", "::1:80", "[::1]80", "h:123456", "h:-1",
                          "h:8o", "a b:80", "[]:80"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseListenAddress(bad));
  }
}

TEST_CASE("config: the default text parses and equals the defaults", "[config]") {
  const std::string text = DefaultConfigText();

  // As written, every key is commented out: nothing changes.
  Options custom = NonDefaultOptions();
  Status s = ParseOptions(text, "quik.toml", &custom);
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(SameOptions(custom, NonDefaultOptions()));

  // Uncommenting every "# key = value" line gives exactly the defaults.
  std::istringstream in(text);
  std::string uncommented;
  int keys = 0;
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find(" = ");
    if (line.rfind("# ", 0) == 0 && eq != std::string::npos &&
        line.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789", 2) == eq) {
      line = line.substr(2);
      ++keys;
    }
    uncommented += line + "\n";
  }
  CHECK(keys == 72);
  Options all = NonDefaultOptions();
  Status s2 = ParseOptions(uncommented, "quik.toml", &all);
  INFO(s2.message());
  REQUIRE(s2.ok());
  Options expected;
  expected.data_dir = all.data_dir;  // not in the file
  CHECK(SameOptions(all, expected));

  for (const char* key : {"sync",
                          "lmdb_map_size_mib",
                          "busy_timeout_ms",
                          "auto_migrate",
                          "max_batch",
                          "scrypt_log2_n",
                          "scrypt_r",
                          "scrypt_p",
                          "session_ttl",
                          "open_signup",
                          "invite_ttl",
                          "message_max_chars",
                          "name_max_chars",
                          "topic_max_chars",
                          "page_max",
                          "login_max_failures",
                          "login_failure_window",
                          "login_max_failures_per_address",
                          "signup_rate_per_address",
                          "login_rate_per_address",
                          "hash_threads",
                          "hash_queue",
                          "invite_max_uses",
                          "listen",
                          "metrics_listen",
                          "io_threads",
                          "worker_threads",
                          "max_connections",
                          "drain_timeout",
                          "max_header_bytes",
                          "max_body_bytes",
                          "request_timeout",
                          "idle_timeout",
                          "user_rate",
                          "address_rate",
                          "rate_burst",
                          "cert",
                          "key",
                          "level",
                          "allow_private_addresses",
                          "max_attempts",
                          "retry_base",
                          "retry_max",
                          "max_per_workspace",
                          "workers",
                          "max_in_flight_per_host"}) {
    CAPTURE(key);
    CHECK_THAT(text, Catch::Contains("\n# " + std::string(key) + " = "));
  }
  CHECK_THAT(text, Catch::Contains("# sync = \"full\"\n"));
  CHECK_THAT(text, Catch::Contains("# session_ttl = \"30d\"\n"));
  CHECK_THAT(text, Catch::Contains("# invite_ttl = \"7d\"\n"));
}

TEST_CASE("config: LoadOptionsFile", "[config]") {
  TempDir dir("quik-config-test");

  SECTION("a missing file is NotFound") {
    const auto path = dir.path() / "absent.toml";
    Options o;
    Status s = LoadOptionsFile(path, &o);
    CHECK(s.code() == StatusCode::kNotFound);
    CHECK(s.message() == "config file " + path.string() + " not found");
    CHECK(LoadOptionsFile(dir.path() / "no-dir" / "quik.toml", &o).code() == StatusCode::kNotFound);
  }

  SECTION("a file is read and errors carry its path") {
    const auto path = dir.path() / "quik.toml";
    {
      std::ofstream out(path);
      out << "[limits]\npage_max = 42\n";
    }
    Options o;
    REQUIRE(LoadOptionsFile(path, &o).ok());
    CHECK(o.limits.page_max == 42);

    {
      std::ofstream out(path);
      out << "[limits]\npage_max = 42\nbogus = 1\n";
    }
    Status s = LoadOptionsFile(path, &o);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK(s.message() == path.string() + ":3: unknown key 'limits.bogus'");
  }

  SECTION("the default text loads from a file") {
    const auto path = dir.path() / "quik.toml";
    {
      std::ofstream out(path);
      out << DefaultConfigText();
    }
    Options o;
    REQUIRE(LoadOptionsFile(path, &o).ok());
    CHECK(SameOptions(o, Options{}));
  }

  SECTION("a directory is an error naming it") {
    Options o;
    Status s = LoadOptionsFile(dir.path(), &o);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(s.message(), Catch::Contains(dir.path().string()));
  }
}

}  // namespace
}  // namespace quik

TEST_CASE("config/quik.toml.example is what quikctl init writes", "[config]") {
  std::ifstream in(QUIK_SOURCE_DIR "/config/quik.toml.example");
  REQUIRE(in.is_open());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Regenerate with: quikctl --data-dir /tmp/x init && cp /tmp/x/quik.toml config/quik.toml.example
  CHECK(text == quik::DefaultConfigText());
}
