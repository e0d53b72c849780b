// SPDX-License-Identifier: MIT
// The quik.toml loader: toml++ parses, a table of known keys validates and
// applies. The same table writes DefaultConfigText, so the two cannot drift.
//
// toml++ reports syntax errors by throwing toml::parse_error; every exception
// is caught here and turned into a Status, so none crosses the API.
#include "quik/config.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <toml++/toml.h>

namespace quik {
namespace {

constexpr std::string_view kDurationExpected =
    "expected a duration such as \"30d\", \"12h\", \"90m\" or \"45s\" (a positive integer "
    "followed by d, h, m or s)";

// Durations are capped at 100 years so that adding one to a clock's now()
// can never overflow (a nanosecond clock spans about 292 years).
constexpr std::int64_t kMaxDurationDays = 36500;
constexpr std::int64_t kMaxDurationSeconds = kMaxDurationDays * 24 * 60 * 60;

// The LMDB map size is used in bytes: MiB << 20 must fit in 64 bits.
constexpr std::int64_t kMaxLmdbMapSizeMib =
    static_cast<std::int64_t>(std::numeric_limits<std::uint64_t>::max() >> 20);

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// Parses a duration; on failure returns the "expected ..." text.
std::optional<std::string> ParseDurationImpl(std::string_view text, std::chrono::seconds* out) {
  if (text.size() < 2) return std::string(kDurationExpected);
  std::int64_t unit_seconds = 0;
  switch (text.back()) {
    case 'd':
      unit_seconds = 24 * 60 * 60;
      break;
    case 'h':
      unit_seconds = 60 * 60;
      break;
    case 'm':
      unit_seconds = 60;
      break;
    case 's':
      unit_seconds = 1;
      break;
    default:
      return std::string(kDurationExpected);
  }
  const std::string_view digits = text.substr(0, text.size() - 1);
  for (char c : digits) {
    if (c < '0' || c > '9') return std::string(kDurationExpected);
  }
  std::int64_t count = 0;
  for (char c : digits) {
    // Saturates just above the cap, so `count` itself never overflows.
    count = std::min(count * 10 + (c - '0'), kMaxDurationSeconds + 1);
  }
  if (count == 0) return std::string(kDurationExpected);
  if (count > kMaxDurationSeconds / unit_seconds) {
    return "expected a duration of at most " + std::to_string(kMaxDurationDays) + "d (100 years)";
  }
  *out = std::chrono::seconds(count * unit_seconds);
  return std::nullopt;
}

// The inverse of ParseDuration for whole units: 2592000s -> "30d".
std::string FormatDuration(std::chrono::seconds d) {
  const std::int64_t s = d.count();
  if (s > 0 && s % (24 * 60 * 60) == 0) return std::to_string(s / (24 * 60 * 60)) + "d";
  if (s > 0 && s % (60 * 60) == 0) return std::to_string(s / (60 * 60)) + "h";
  if (s > 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

// A TOML basic string; they escape like JSON for the characters that matter here.
std::string Quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

// Applies a TOML value to the options; returns the "expected ..." text when
// the value is not acceptable (and then leaves the options unchanged).
using ApplyFn = std::function<std::optional<std::string>(const toml::node&, Options&)>;
// The key's current value as TOML text, for DefaultConfigText.
using FormatFn = std::function<std::string(const Options&)>;

struct KeySpec {
  std::string_view name;
  std::string_view help;  // one line in DefaultConfigText
  ApplyFn apply;
  FormatFn format;
};

struct SectionSpec {
  std::string_view name;
  std::vector<KeySpec> keys;
};

template <typename Section, typename Field>
KeySpec IntKey(std::string_view name, std::string_view help, Section Options::*section,
               Field Section::*field, std::int64_t lo, std::int64_t hi) {
  return KeySpec{name, help,
                 [=](const toml::node& node, Options& o) -> std::optional<std::string> {
                   const auto* v = node.as_integer();
                   if (v == nullptr || v->get() < lo || v->get() > hi) {
                     return "expected an integer from " + std::to_string(lo) + " to " +
                            std::to_string(hi);
                   }
                   (o.*section).*field = static_cast<Field>(v->get());
                   return std::nullopt;
                 },
                 [=](const Options& o) { return std::to_string((o.*section).*field); }};
}

template <typename Section>
KeySpec BoolKey(std::string_view name, std::string_view help, Section Options::*section,
                bool Section::*field) {
  return KeySpec{
      name, help,
      [=](const toml::node& node, Options& o) -> std::optional<std::string> {
        const auto* v = node.as_boolean();
        if (v == nullptr) return std::string("expected true or false");
        (o.*section).*field = v->get();
        return std::nullopt;
      },
      [=](const Options& o) -> std::string { return (o.*section).*field ? "true" : "false"; }};
}

template <typename Section>
KeySpec DurationKey(std::string_view name, std::string_view help, Section Options::*section,
                    std::chrono::seconds Section::*field) {
  return KeySpec{name, help,
                 [=](const toml::node& node, Options& o) -> std::optional<std::string> {
                   const auto* v = node.as_string();
                   if (v == nullptr) return std::string(kDurationExpected);
                   std::chrono::seconds d{};
                   if (auto error = ParseDurationImpl(v->get(), &d)) return error;
                   (o.*section).*field = d;
                   return std::nullopt;
                 },
                 [=](const Options& o) { return Quoted(FormatDuration((o.*section).*field)); }};
}

KeySpec SyncKey(std::string_view name, std::string_view help) {
  return KeySpec{name, help,
                 [](const toml::node& node, Options& o) -> std::optional<std::string> {
                   const auto* v = node.as_string();
                   if (v != nullptr && v->get() == "full") {
                     o.storage.sync = SyncMode::kFull;
                   } else if (v != nullptr && v->get() == "normal") {
                     o.storage.sync = SyncMode::kNormal;
                   } else {
                     return std::string("expected \"full\" or \"normal\"");
                   }
                   return std::nullopt;
                 },
                 [](const Options& o) {
                   return Quoted(o.storage.sync == SyncMode::kFull ? "full" : "normal");
                 }};
}

template <typename Section>
KeySpec StringKey(std::string_view name, std::string_view help, Section Options::*section,
                  std::string Section::*field, bool allow_empty) {
  return KeySpec{
      name, help,
      [=](const toml::node& node, Options& o) -> std::optional<std::string> {
        const auto* v = node.as_string();
        if (v == nullptr || (!allow_empty && v->get().empty())) {
          return std::string(allow_empty ? "expected a string" : "expected a non-empty string");
        }
        (o.*section).*field = v->get();
        return std::nullopt;
      },
      [=](const Options& o) { return Quoted((o.*section).*field); }};
}

// An array of non-empty strings.
template <typename Section>
KeySpec StringListKey(std::string_view name, std::string_view help, Section Options::*section,
                      std::vector<std::string> Section::*field) {
  return KeySpec{name, help,
                 [=](const toml::node& node, Options& o) -> std::optional<std::string> {
                   const auto* array = node.as_array();
                   const std::string expected = "expected an array of non-empty strings";
                   if (array == nullptr) return expected;
                   std::vector<std::string> values;
                   for (const toml::node& item : *array) {
                     const auto* v = item.as_string();
                     if (v == nullptr || v->get().empty()) return expected;
                     values.push_back(v->get());
                   }
                   (o.*section).*field = std::move(values);
                   return std::nullopt;
                 },
                 [=](const Options& o) {
                   std::string out = "[";
                   for (const std::string& v : (o.*section).*field) {
                     if (out.size() > 1) out += ", ";
                     out += Quoted(v);
                   }
                   return out + "]";
                 }};
}

// "HOST:PORT" with a port from 0 to 65535; an empty value only where allowed.
KeySpec ListenKey(std::string_view name, std::string_view help, std::string ServerOptions::*field,
                  bool allow_empty) {
  KeySpec spec = StringKey(name, help, &Options::server, field, allow_empty);
  spec.apply = [=](const toml::node& node, Options& o) -> std::optional<std::string> {
    const auto* v = node.as_string();
    const std::string expected = std::string("expected \"HOST:PORT\"") +
                                 (allow_empty ? " or \"\"" : "") + ", such as \"127.0.0.1:8470\"";
    if (v == nullptr) return expected;
    const std::string& text = v->get();
    if (text.empty() && allow_empty) {
      o.server.*field = text;
      return std::nullopt;
    }
    if (!ParseListenAddress(text)) return expected;
    o.server.*field = text;
    return std::nullopt;
  };
  return spec;
}

KeySpec LogLevelKey(std::string_view name, std::string_view help) {
  return KeySpec{name, help,
                 [](const toml::node& node, Options& o) -> std::optional<std::string> {
                   const auto* v = node.as_string();
                   std::optional<LogLevel> level;
                   if (v != nullptr) level = ParseLogLevel(v->get());
                   if (!level) return std::string(R"(expected "debug", "info", "warn" or "error")");
                   o.log.level = *level;
                   return std::nullopt;
                 },
                 [](const Options& o) { return Quoted(LogLevelName(o.log.level)); }};
}

// Every key of quik.toml. Keep in step with quik/options.hpp and man/quik.toml.5.
const std::vector<SectionSpec>& Sections() {
  static const auto* const sections = new std::vector<SectionSpec>{
      {"storage",
       {
           SyncKey(
               "sync",
               "\"full\": fsync every commit, survives power loss; \"normal\": faster, survives "
               "a process crash only."),
           IntKey("lmdb_map_size_mib",
                  "Maximum size in MiB of the LMDB store (sessions, token lookups, counters).",
                  &Options::storage, &StorageOptions::lmdb_map_size_mib, 1, kMaxLmdbMapSizeMib),
           IntKey("busy_timeout_ms",
                  "Milliseconds a write waits for another process's write lock before giving up.",
                  &Options::storage, &StorageOptions::busy_timeout_ms, 0, kIntMax),
           IntKey("cache_mib", "Page cache of each database connection, in MiB (1-65536).",
                  &Options::storage, &StorageOptions::cache_mib, 1, 65536),
           BoolKey("auto_migrate",
                   "Apply pending schema migrations on open; if false, run `quikctl migrate up`.",
                   &Options::storage, &StorageOptions::auto_migrate),
           IntKey("max_batch", "Most writes that group commit puts in one transaction (1-100000).",
                  &Options::storage, &StorageOptions::max_batch, 1, 100000),
       }},
      {"auth",
       {
           IntKey("scrypt_log2_n",
                  "scrypt cost of password hashes: N = 2^scrypt_log2_n (10-22). Lower only for "
                  "tests.",
                  &Options::auth, &AuthOptions::scrypt_log2_n, 10, 22),
           IntKey("scrypt_r", "scrypt block size r (1-64).", &Options::auth, &AuthOptions::scrypt_r,
                  1, 64),
           IntKey("scrypt_p", "scrypt parallelism p (1-16).", &Options::auth,
                  &AuthOptions::scrypt_p, 1, 16),
           DurationKey("session_ttl", "How long a login session lasts.", &Options::auth,
                       &AuthOptions::session_ttl),
           BoolKey("open_signup", "Whether anyone may sign up without an invite.", &Options::auth,
                   &AuthOptions::open_signup),
           DurationKey("invite_ttl", "How long a workspace invite code stays valid.",
                       &Options::auth, &AuthOptions::invite_ttl),
           IntKey("login_max_failures",
                  "Failed logins per account within login_failure_window before further attempts "
                  "get 429 (0: no limit).",
                  &Options::auth, &AuthOptions::login_max_failures, 0, kIntMax),
           DurationKey("login_failure_window", "The window in which failed logins are counted.",
                       &Options::auth, &AuthOptions::login_failure_window),
           IntKey("login_max_failures_per_address",
                  "Failed logins per client address, over all accounts, within the window "
                  "(0: no limit).",
                  &Options::auth, &AuthOptions::login_max_failures_per_address, 0, kIntMax),
           IntKey("signup_rate_per_address",
                  "Signups per client address per minute, past which 429 (0: no limit).",
                  &Options::auth, &AuthOptions::signup_rate_per_address, 0, kIntMax),
           IntKey("login_rate_per_address",
                  "Login attempts per client address per minute, past which 429 (0: no limit).",
                  &Options::auth, &AuthOptions::login_rate_per_address, 0, kIntMax),
           IntKey("hash_threads",
                  "Password hashes that run at once, each taking scrypt's memory (1-256).",
                  &Options::auth, &AuthOptions::hash_threads, 1, 256),
           IntKey("hash_queue",
                  "Password hashes that may wait for a thread; past them 503 (0-100000).",
                  &Options::auth, &AuthOptions::hash_queue, 0, 100000),
           IntKey("invite_max_uses",
                  "Accounts one invite code may bring in unless its creator says (1-100000).",
                  &Options::auth, &AuthOptions::invite_max_uses, 1, 100000),
       }},
      {"limits",
       {
           IntKey("message_max_chars", "Most Unicode code points in a message's text (1-1000000).",
                  &Options::limits, &LimitsOptions::message_max_chars, 1, 1000000),
           IntKey("name_max_chars",
                  "Most code points in a user, workspace or token name (channel names: 80).",
                  &Options::limits, &LimitsOptions::name_max_chars, 1, kIntMax),
           IntKey("topic_max_chars", "Most code points in a channel topic.", &Options::limits,
                  &LimitsOptions::topic_max_chars, 1, kIntMax),
           IntKey("page_max", "The largest page a list call returns.", &Options::limits,
                  &LimitsOptions::page_max, 1, kIntMax),
       }},
      {"server",
       {
           ListenKey("listen",
                     "HTTP listener \"HOST:PORT\" (port 0: any free port); loopback unless "
                     "configured.",
                     &ServerOptions::listen, false),
           ListenKey("metrics_listen",
                     "A separate \"HOST:PORT\" serving only /metrics; \"\": /metrics on the "
                     "main listener.",
                     &ServerOptions::metrics_listen, true),
           IntKey("io_threads", "Network threads (0: one per CPU core).", &Options::server,
                  &ServerOptions::io_threads, 0, 1024),
           IntKey("worker_threads",
                  "Threads for blocking requests (most writes; not uploads nor the password "
                  "routes).",
                  &Options::server, &ServerOptions::worker_threads, 1, 1024),
           IntKey("auth_threads",
                  "Threads for requests that check or set a password (login, signup, password "
                  "changes, user and token creation); they wait there for auth.hash_threads.",
                  &Options::server, &ServerOptions::auth_threads, 1, 1024),
           IntKey("auth_queue",
                  "Password requests that may wait for server.auth_threads; past them 503 "
                  "with Retry-After.",
                  &Options::server, &ServerOptions::auth_queue, 0, 100000),
           IntKey("max_connections", "Most open connections; further ones are closed at once.",
                  &Options::server, &ServerOptions::max_connections, 1, kIntMax),
           IntKey("max_connections_per_address",
                  "Most open connections from one client address; further ones are closed at "
                  "once.",
                  &Options::server, &ServerOptions::max_connections_per_address, 1, kIntMax),
           DurationKey("drain_timeout",
                       "On shutdown, how long in-flight requests may take to finish.",
                       &Options::server, &ServerOptions::drain_timeout),
       }},
      {"http",
       {
           IntKey("max_header_bytes", "Largest request line plus headers in bytes (431 past it).",
                  &Options::http, &HttpOptions::max_header_bytes, 1024, kIntMax),
           IntKey("max_body_bytes", "Largest request body in bytes (413 past it).", &Options::http,
                  &HttpOptions::max_body_bytes, 1024, kIntMax),
           DurationKey("request_timeout",
                       "Time for a request's headers, and the longest pause in its body (408).",
                       &Options::http, &HttpOptions::request_timeout),
           IntKey("min_body_rate",
                  "Bytes per second a request body must average after request_timeout of grace "
                  "(408; 0: no rate).",
                  &Options::http, &HttpOptions::min_body_rate, 0, kInt64Max),
           DurationKey("idle_timeout", "How long a keep-alive connection may sit idle.",
                       &Options::http, &HttpOptions::idle_timeout),
           IntKey("user_rate", "Requests per second per authenticated user (0: no limit).",
                  &Options::http, &HttpOptions::user_rate, 0, kIntMax),
           IntKey("address_rate", "Requests per second per client address (0: no limit).",
                  &Options::http, &HttpOptions::address_rate, 0, kIntMax),
           IntKey("rate_burst", "Burst allowed above user_rate and address_rate (0: the rate).",
                  &Options::http, &HttpOptions::rate_burst, 0, kIntMax),
       }},
      {"tls",
       {
           StringKey("cert", "PEM certificate chain; with key set, the listener speaks HTTPS only.",
                     &Options::tls, &TlsOptions::cert, true),
           StringKey("key", "PEM private key of cert.", &Options::tls, &TlsOptions::key, true),
       }},
      {"log",
       {
           LogLevelKey("level",
                       "\"debug\", \"info\", \"warn\" or \"error\" (JSON lines on stderr)."),
       }},
      {"realtime",
       {
           DurationKey("event_retention",
                       "How long events are kept for resuming clients (older: resync_required).",
                       &Options::realtime, &RealtimeOptions::event_retention),
           IntKey(
               "max_queue_bytes",
               "Bytes a connection may fall behind by (past it for 1s, or 16x it: closed, 1008).",
               &Options::realtime, &RealtimeOptions::max_queue_bytes, 4096, 1LL << 32),
           IntKey("max_frame_bytes", "Largest frame a client may send (close 1009 past it).",
                  &Options::realtime, &RealtimeOptions::max_frame_bytes, 256, 1 << 20),
           DurationKey("auth_timeout", "How long a connection has to send its auth frame.",
                       &Options::realtime, &RealtimeOptions::auth_timeout),
           DurationKey("idle_timeout", "A silent connection is pinged, then closed after this.",
                       &Options::realtime, &RealtimeOptions::idle_timeout),
           StringListKey("allowed_origins",
                         "Origin values browsers may connect from ([]: any origin).",
                         &Options::realtime, &RealtimeOptions::allowed_origins),
           IntKey("max_connections_per_user",
                  "Open realtime connections per user; further ones are refused.",
                  &Options::realtime, &RealtimeOptions::max_connections_per_user, 1, 100000),
           IntKey("client_frame_rate", "Frames per second a client may send (burst: twice).",
                  &Options::realtime, &RealtimeOptions::client_frame_rate, 1, 100000),
           DurationKey("typing_interval", "At most one typing event per user and channel per this.",
                       &Options::realtime, &RealtimeOptions::typing_interval),
           DurationKey("presence_grace", "How long after the last connection closes until offline.",
                       &Options::realtime, &RealtimeOptions::presence_grace),
           IntKey("presence_broadcast_max",
                  "No presence.changed in workspaces with more members connected than this.",
                  &Options::realtime, &RealtimeOptions::presence_broadcast_max, 0, 1000000),
       }},
      {"webhooks",
       {
           BoolKey("allow_private_addresses",
                   "Let webhook URLs reach loopback, private, link-local and other special-purpose "
                   "addresses (SSRF).",
                   &Options::webhooks, &WebhooksOptions::allow_private_addresses),
           IntKey("max_attempts", "Requests per webhook delivery before it is marked failed.",
                  &Options::webhooks, &WebhooksOptions::max_attempts, 1, 100),
           DurationKey("retry_base", "Wait before the first retry; doubles each retry (jitter).",
                       &Options::webhooks, &WebhooksOptions::retry_base),
           DurationKey("retry_max", "The longest wait between two attempts of a delivery.",
                       &Options::webhooks, &WebhooksOptions::retry_max),
           DurationKey("timeout", "Time one delivery may take to connect and get its answer.",
                       &Options::webhooks, &WebhooksOptions::timeout),
           IntKey("max_per_workspace", "Webhooks one workspace may have.", &Options::webhooks,
                  &WebhooksOptions::max_per_workspace, 0, 10000),
           IntKey("workers", "Webhook deliveries sent at once, over all webhooks.",
                  &Options::webhooks, &WebhooksOptions::workers, 1, 256),
           IntKey("max_in_flight_per_host",
                  "Webhook deliveries sent at once to one host and port (a slow receiver holds "
                  "at most this many workers).",
                  &Options::webhooks, &WebhooksOptions::max_in_flight_per_host, 1, 256),
       }},
      {"files",
       {
           IntKey("max_bytes", "Largest file one upload may carry, in bytes (413 past it).",
                  &Options::files, &FilesOptions::max_bytes, 1, kInt64Max),
           IntKey("workspace_quota_bytes", "Total bytes of one workspace's files (413 past it).",
                  &Options::files, &FilesOptions::workspace_quota_bytes, 1, kInt64Max),
           IntKey("thumbnail_size", "Longest edge of image thumbnails in pixels (0: none).",
                  &Options::files, &FilesOptions::thumbnail_size, 0, 4096),
           IntKey("max_image_pixels", "Images with more pixels (width x height) are never decoded.",
                  &Options::files, &FilesOptions::max_image_pixels, 1, kInt64Max),
           IntKey("max_decode_bytes",
                  "Images whose pixels would take more bytes (w x h x channels x depth) get no "
                  "thumbnail.",
                  &Options::files, &FilesOptions::max_decode_bytes, 1, kInt64Max),
           IntKey("decode_memory_bytes",
                  "Pixel bytes of all thumbnails being made at once; past it: no thumbnail.",
                  &Options::files, &FilesOptions::decode_memory_bytes, 1, kInt64Max),
           IntKey("upload_threads", "Threads that finish uploads (type, thumbnail, storing).",
                  &Options::files, &FilesOptions::upload_threads, 1, 1024),
           IntKey("upload_queue", "Uploads that may wait for those threads (503 past it).",
                  &Options::files, &FilesOptions::upload_queue, 0, 100000),
           DurationKey("gc_grace", "Unreferenced files younger than this survive files gc.",
                       &Options::files, &FilesOptions::gc_grace),
       }},
  };
  return *sections;
}

// One problem found in the document; the earliest in the file is reported.
struct Issue {
  toml::source_position where;
  std::string message;
};

toml::source_position PositionOf(const toml::key& key, const toml::node& node) {
  if (key.source().begin) return key.source().begin;
  return node.source().begin;
}

bool Before(const toml::source_position& a, const toml::source_position& b) {
  return a.line != b.line ? a.line < b.line : a.column < b.column;
}

class OptionsApplier {
 public:
  explicit OptionsApplier(Options* options) : options_(options) {}

  void ApplyDocument(const toml::table& root) {
    for (auto&& [key, node] : root) {
      const SectionSpec* section = FindSection(key.str());
      if (section == nullptr) {
        Report(PositionOf(key, node), (node.is_table() ? "unknown section '" : "unknown key '") +
                                          std::string(key.str()) + "'");
      } else if (const toml::table* table = node.as_table()) {
        ApplySection(*section, *table);
      } else {
        Report(PositionOf(key, node), "key '" + std::string(key.str()) + "': expected a table ([" +
                                          std::string(key.str()) + "])");
      }
    }
  }

  // The earliest issue, if any.
  const std::optional<Issue>& issue() const { return issue_; }
  // Every issue, in the order found.
  const std::vector<Issue>& issues() const { return issues_; }

 private:
  static const SectionSpec* FindSection(std::string_view name) {
    for (const SectionSpec& s : Sections()) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }

  void ApplySection(const SectionSpec& section, const toml::table& table) {
    for (auto&& [key, node] : table) {
      const std::string full_name = std::string(section.name) + "." + std::string(key.str());
      const KeySpec* spec = nullptr;
      for (const KeySpec& k : section.keys) {
        if (k.name == key.str()) spec = &k;
      }
      if (spec == nullptr) {
        Report(PositionOf(key, node), "unknown key '" + full_name + "'");
      } else if (auto error = spec->apply(node, *options_)) {
        Report(PositionOf(key, node), "key '" + full_name + "': " + *error);
      }
    }
  }

  void Report(toml::source_position where, std::string message) {
    issues_.push_back(Issue{where, message});
    if (!issue_ || Before(where, issue_->where)) issue_ = Issue{where, std::move(message)};
  }

  Options* options_;
  std::optional<Issue> issue_;
  std::vector<Issue> issues_;
};

std::string Located(std::string_view source_name, toml::source_index line,
                    std::string_view message) {
  return std::string(source_name) + ":" + std::to_string(line) + ": " + std::string(message);
}

}  // namespace

Status ParseOptions(std::string_view toml, std::string_view source_name, Options* options) {
  try {
    toml::table root;
    try {
      root = toml::parse(toml, source_name);
    } catch (const toml::parse_error& e) {
      return InvalidArgument(Located(source_name, e.source().begin.line, e.description()));
    }
    // Work on a copy: a file with an error changes nothing.
    Options updated = *options;
    OptionsApplier applier(&updated);
    applier.ApplyDocument(root);
    if (const auto& issue = applier.issue()) {
      return InvalidArgument(Located(source_name, issue->where.line, issue->message));
    }
    *options = std::move(updated);
    return Status::Ok();
  } catch (const std::exception& e) {
    return Internal(std::string(source_name) + ": loading the configuration failed: " + e.what());
  }
}

Status LoadOptionsFile(const std::filesystem::path& path, Options* options) {
  const std::string name = path.string();
  std::string text;
  {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(name.c_str(), "rb"),
                                                         &std::fclose);
    if (file == nullptr) {
      const int error = errno;
      if (error == ENOENT || error == ENOTDIR) {
        return NotFound("config file " + name + " not found");
      }
      return InvalidArgument("config file " + name +
                             ": cannot open: " + std::generic_category().message(error));
    }
    char buffer[1 << 16];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) text.append(buffer, n);
    if (std::ferror(file.get())) {
      // A directory opens but fails to read, with EISDIR.
      const int error = errno;
      return InvalidArgument("config file " + name +
                             ": cannot read: " + std::generic_category().message(error));
    }
  }
  return ParseOptions(text, name, options);
}

std::string DefaultConfigText() {
  const Options defaults;
  std::string out =
      "# quik.toml: the settings of a QuikApp data directory (see quik.toml(5)).\n"
      "#\n"
      "# Every key is listed, commented out, at its default: uncomment a line to change it.\n"
      "# Unknown sections and keys are errors, so a typo is never silently ignored.\n"
      "# Durations are a positive integer and a unit: \"30d\", \"12h\", \"90m\", \"45s\".\n";
  for (const SectionSpec& section : Sections()) {
    out += "\n[";
    out += section.name;
    out += "]\n";
    for (const KeySpec& key : section.keys) {
      out += "# ";
      out += key.help;
      out += "\n# ";
      out += key.name;
      out += " = ";
      out += key.format(defaults);
      out += "\n";
    }
  }
  return out;
}

std::vector<ConfigSetting> ListSettings(const Options& options) {
  const Options defaults;
  std::vector<ConfigSetting> out;
  for (const SectionSpec& section : Sections()) {
    for (const KeySpec& key : section.keys) {
      out.push_back(ConfigSetting{std::string(section.name) + "." + std::string(key.name),
                                  key.format(options), key.format(defaults),
                                  std::string(key.help)});
    }
  }
  return out;
}

std::vector<std::string> CheckOptionsText(std::string_view toml, std::string_view source_name) {
  try {
    toml::table root;
    try {
      root = toml::parse(toml, source_name);
    } catch (const toml::parse_error& e) {
      return {Located(source_name, e.source().begin.line, e.description())};
    }
    Options scratch;
    OptionsApplier applier(&scratch);
    applier.ApplyDocument(root);
    std::vector<Issue> issues = applier.issues();
    std::stable_sort(issues.begin(), issues.end(),
                     [](const Issue& a, const Issue& b) { return Before(a.where, b.where); });
    std::vector<std::string> out;
    for (const Issue& issue : issues) {
      out.push_back(Located(source_name, issue.where.line, issue.message));
    }
    return out;
  } catch (const std::exception& e) {
    return {std::string(source_name) + ": loading the configuration failed: " + e.what()};
  }
}

Result<std::chrono::seconds> ParseDuration(std::string_view text) {
  std::chrono::seconds d{};
  if (auto error = ParseDurationImpl(text, &d)) {
    return InvalidArgument("invalid duration \"" + std::string(text) + "\": " + *error);
  }
  return d;
}

std::optional<ListenAddress> ParseListenAddress(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return std::nullopt;
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt;  // an IPv6 address needs brackets
  }
  if (port_text.size() > 5) return std::nullopt;
  unsigned port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port > 65535) return std::nullopt;
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '_';
    if (!ok) return std::nullopt;
  }
  return ListenAddress{std::string(host), static_cast<std::uint16_t>(port)};
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (LogLevelName(level) == name) return level;
  }
  return std::nullopt;
}

}  // namespace quik
