// SPDX-License-Identifier: MIT
// quik::Options: every knob of libquik, with its default.
//
// A plain struct: fill it in code, or load it from a quik.toml with
// quik::LoadOptionsFile (quik/config.hpp). Every field's default is the value
// written below and is documented again in man/quik.toml.5.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "quik/clock.hpp"

namespace quik {

enum class SyncMode {
  kNormal,  // survives a process crash (kill -9); the last commits may be lost on power loss
  kFull,    // survives power loss: every commit is fsynced
};

struct StorageOptions {
  // storage.sync: "full" or "normal" (CONTRACT.md section 5).
  // Default: SyncMode::kFull
  SyncMode sync = SyncMode::kFull;

  // storage.lmdb_map_size_mib: the LMDB map size (sessions, token lookups,
  // counters); the file grows up to it.
  // Default: 1024 (1 GiB)
  std::uint64_t lmdb_map_size_mib = 1024;

  // storage.busy_timeout_ms: how long a write waits for another process's
  // write lock before failing with kUnavailable.
  // Default: 5000
  int busy_timeout_ms = 5000;

  // storage.cache_mib: the page cache of each database connection the server
  // holds (the write connection's keeps hot b-tree pages between commits;
  // reads go through a memory map).
  // Default: 32
  int cache_mib = 32;

  // storage.auto_migrate: apply pending schema migrations when the data dir is
  // opened. When false, opening a data dir with pending migrations fails and
  // `quikctl migrate up` applies them.
  // Default: true
  bool auto_migrate = true;

  // storage.max_batch: the most writes that group commit puts in one
  // transaction.
  // Default: 1024
  int max_batch = 1024;
};

struct AuthOptions {
  // auth.scrypt_log2_n, auth.scrypt_r, auth.scrypt_p: the scrypt cost of
  // password hashes (OWASP: N=2^17, r=8, p=1). Lower only for tests.
  // Default: 17, 8, 1
  int scrypt_log2_n = 17;
  int scrypt_r = 8;
  int scrypt_p = 1;

  // auth.session_ttl: how long a login session lasts, as a duration string
  // in the config file ("30d", "12h", "90m").
  // Default: 30 days
  std::chrono::seconds session_ttl = std::chrono::hours(24 * 30);

  // auth.open_signup: whether anyone may sign up without an invite.
  // Default: false
  bool open_signup = false;

  // auth.invite_ttl: how long a workspace invite code stays valid.
  // Default: 7 days
  std::chrono::seconds invite_ttl = std::chrono::hours(24 * 7);

  // auth.login_max_failures, auth.login_failure_window: after this many failed
  // logins for one account within the window, further attempts for it get 429
  // (rate_limited, with Retry-After) until the oldest failure leaves the
  // window, even with the right password. 0 turns the limit off.
  // Default: 5 failures in 15 minutes
  int login_max_failures = 5;
  std::chrono::seconds login_failure_window = std::chrono::minutes(15);

  // auth.login_max_failures_per_address: the same limit per client address,
  // over all accounts; higher, as many people may share one address (NAT, a
  // reverse proxy). 0 turns it off.
  // Default: 20
  int login_max_failures_per_address = 20;

  // auth.signup_rate_per_address, auth.login_rate_per_address: signups and
  // login attempts (good or bad) allowed per client address per minute, in
  // bursts of as many; past them 429 rate_limited with Retry-After. 0 turns a
  // limit off.
  // Default: 10 signups, 60 logins
  int signup_rate_per_address = 10;
  int login_rate_per_address = 60;

  // auth.hash_threads: password hashes (and login checks) that run at once,
  // on threads of their own; each takes about 2^scrypt_log2_n * scrypt_r *
  // 128 bytes (128 MiB at the defaults) while it runs.
  // Default: 2
  int hash_threads = 2;

  // auth.hash_queue: hashes that may wait for a thread; past them a request
  // that needs one is answered 503 unavailable with Retry-After.
  // Default: 32
  int hash_queue = 32;

  // auth.invite_max_uses: how many accounts one invite code may bring in
  // when its creator does not say (max_uses); 1 makes codes single-use.
  // Default: 1
  int invite_max_uses = 1;
};

struct LimitsOptions {
  // limits.message_max_chars: the most Unicode code points in a message's text.
  // Default: 40000
  int message_max_chars = 40000;

  // limits.name_max_chars: the most code points in a user's display name, a
  // workspace name or a token name. (Channel names are at most 80 bytes of
  // [a-z0-9-_] whatever this says.)
  // Default: 80
  int name_max_chars = 80;

  // limits.topic_max_chars: the most code points in a channel topic.
  // Default: 250
  int topic_max_chars = 250;

  // limits.page_max: the largest page a list call returns.
  // Default: 200
  int page_max = 200;
};

enum class LogLevel { kDebug, kInfo, kWarn, kError };

struct ServerOptions {
  // server.listen: the HTTP listener, "HOST:PORT" (port 0: any free port).
  // Loopback unless configured otherwise.
  // Default: "127.0.0.1:8470"
  std::string listen = "127.0.0.1:8470";

  // server.metrics_listen: a separate "HOST:PORT" that serves only /metrics
  // (and then the main listener does not). Empty: /metrics on the main one.
  // Default: ""
  std::string metrics_listen;

  // server.io_threads: threads that run the network and the fast requests.
  // 0: one per CPU core.
  // Default: 0
  int io_threads = 0;

  // server.worker_threads: threads for requests that block (writes other
  // than message posts, uploads and the password routes below).
  // Default: 4
  int worker_threads = 4;

  // server.auth_threads, server.auth_queue: threads for the requests that
  // check or set a password (login, signup, password changes, user creation,
  // token creation), and how many more may wait; past them 503 with
  // Retry-After. They wait there for their hash (auth.hash_threads), never
  // on server.worker_threads, so a flood of logins does not hold up writes.
  // Default: 4 threads, 256 waiting
  int auth_threads = 4;
  int auth_queue = 256;

  // server.max_connections: further connections are accepted and closed at once.
  // Default: 10000
  int max_connections = 10000;

  // server.max_connections_per_address: open connections (HTTP and WebSocket)
  // one client address may hold; further ones from it are accepted and closed
  // at once, while other addresses still connect. Raise it behind a reverse
  // proxy or a large NAT, whose clients share one address.
  // Default: 256
  int max_connections_per_address = 256;

  // server.drain_timeout: on shutdown, how long in-flight requests may take to
  // finish before their connections are closed.
  // Default: 10 seconds
  std::chrono::seconds drain_timeout = std::chrono::seconds(10);
};

struct HttpOptions {
  // http.max_header_bytes: the largest request line plus headers (431 past it).
  // Default: 16384
  int max_header_bytes = 16 * 1024;

  // http.max_body_bytes: the largest request body (413 past it).
  // Default: 1048576 (1 MiB)
  int max_body_bytes = 1024 * 1024;

  // http.request_timeout: how long a client may take to send a request's line
  // and headers, from its first byte, and the longest it may then pause while
  // sending the body. Past it the server answers 408 (request_timeout), logs
  // the request and closes the connection.
  // Default: 10 seconds
  std::chrono::seconds request_timeout = std::chrono::seconds(10);

  // http.min_body_rate: bytes per second a request body (JSON or upload) must
  // average, counted from the end of the headers with request_timeout of
  // grace: the body's k-th byte is due by request_timeout + k / min_body_rate
  // seconds. A slower body is answered 408 and logged. 0: only the pause limit.
  // Default: 1024
  std::int64_t min_body_rate = 1024;

  // http.idle_timeout: how long a keep-alive connection may wait between
  // requests before it is closed.
  // Default: 60 seconds
  std::chrono::seconds idle_timeout = std::chrono::seconds(60);

  // http.user_rate, http.address_rate: requests per second allowed per
  // authenticated user and per client address, with bursts of up to
  // http.rate_burst requests (0: the rate itself). 0 turns a limit off; past
  // it requests get 429 with Retry-After.
  // Default: 0, 0, 0 (no limits)
  int user_rate = 0;
  int address_rate = 0;
  int rate_burst = 0;
};

struct TlsOptions {
  // tls.cert, tls.key: PEM files of the certificate chain and its private key.
  // When both are set the listener speaks HTTPS only.
  // Default: "" (plain HTTP)
  std::string cert;
  std::string key;
};

struct LogOptions {
  // log.level: "debug", "info", "warn" or "error". Logs are JSON lines; every
  // request is one "info" line (with its X-Request-Id).
  // Default: LogLevel::kInfo
  LogLevel level = LogLevel::kInfo;
};

struct RealtimeOptions {
  // realtime.event_retention: how long durable events are kept for clients
  // that resume with ?after=SEQ; an older cursor gets resync_required.
  // Default: 7 days
  std::chrono::seconds event_retention = std::chrono::hours(24 * 7);

  // realtime.max_queue_bytes: how far (in bytes of frames) a connection may
  // fall behind. A queue past it for a second, or past sixteen times it at
  // once, marks a slow consumer: it is closed (code 1008) and resumes with
  // ?after=SEQ. A burst (one page of events) above it is fine.
  // Default: 1 MiB
  std::int64_t max_queue_bytes = 1 << 20;

  // realtime.max_frame_bytes: the largest frame a client may send (close
  // code 1009 past it).
  // Default: 4096
  std::int64_t max_frame_bytes = 4096;

  // realtime.auth_timeout: how long a connection without an Authorization
  // header has to send its {"type":"auth"} frame.
  // Default: 10 seconds
  std::chrono::seconds auth_timeout = std::chrono::seconds(10);

  // realtime.idle_timeout: a connection that sends nothing, not even a pong,
  // for this long is closed; the server pings it halfway through.
  // Default: 60 seconds
  std::chrono::seconds idle_timeout = std::chrono::seconds(60);

  // realtime.allowed_origins: the Origin header values a browser may connect
  // from, such as "https://chat.example.com"; empty allows any (tokens, not
  // cookies, authenticate, so a foreign page cannot borrow a session).
  // Default: {} (any origin)
  std::vector<std::string> allowed_origins;

  // realtime.max_connections_per_user: open WebSocket and long-poll
  // connections one user may hold; further ones are refused (a WebSocket is
  // closed with 1008, a long-poll answered 429).
  // Default: 32
  int max_connections_per_user = 32;

  // realtime.client_frame_rate: frames per second a connection may send,
  // with bursts of twice that; past it the connection is closed (1008).
  // Default: 20
  int client_frame_rate = 20;

  // realtime.typing_interval: at most one typing event per user and channel
  // per interval; more are dropped.
  // Default: 2 seconds
  std::chrono::seconds typing_interval = std::chrono::seconds(2);

  // realtime.presence_grace: how long after a user's last connection closes
  // before they show offline (a reconnect within it changes nothing).
  // Default: 10 seconds
  std::chrono::seconds presence_grace = std::chrono::seconds(10);

  // realtime.presence_broadcast_max: presence.changed goes to the connected
  // members of each workspace the user is in, but not in a workspace with
  // more members connected than this (every connect would cost a frame to
  // each of them); clients there read GET /workspaces/{id}/presence.
  // Default: 500
  int presence_broadcast_max = 500;
};

struct WebhooksOptions {
  // webhooks.allow_private_addresses: let webhook URLs reach the addresses of
  // the IANA IPv4 and IPv6 special-purpose registries: loopback, private
  // (RFC 1918, fc00::/7), link-local (169.254/16 with the cloud metadata
  // address, fe80::/10), CGNAT (100.64/10), benchmarking (198.18/15),
  // documentation, NAT64, 6to4, Teredo, unspecified, multicast and reserved
  // ones. Off, such URLs are refused at creation and at delivery (SSRF).
  // Default: false
  bool allow_private_addresses = false;

  // webhooks.max_attempts: requests per delivery before it is marked failed.
  // Default: 8
  int max_attempts = 8;

  // webhooks.retry_base, webhooks.retry_max: the wait before retry n is
  // retry_base * 2^(n-1), at most retry_max, less up to half of it at random
  // (jitter).
  // Default: 5 seconds, 1 hour
  std::chrono::seconds retry_base = std::chrono::seconds(5);
  std::chrono::seconds retry_max = std::chrono::hours(1);

  // webhooks.timeout: how long one delivery may take to connect and to get
  // its answer.
  // Default: 10 seconds
  std::chrono::seconds timeout = std::chrono::seconds(10);

  // webhooks.max_per_workspace: webhooks one workspace may have.
  // Default: 20
  int max_per_workspace = 20;

  // webhooks.workers: deliveries sent at once, over all webhooks.
  // Default: 8
  int workers = 8;

  // webhooks.max_in_flight_per_host: deliveries sent at once to one host and
  // port; the others wait their turn, so a slow or dead receiver holds at
  // most this many of the workers.
  // Default: 2
  int max_in_flight_per_host = 2;
};

struct FilesOptions {
  // files.max_bytes: the largest file one upload may carry (413 past it). A
  // declared Content-Length past it is refused before any byte is read.
  // Default: 104857600 (100 MiB)
  std::int64_t max_bytes = 100LL * 1024 * 1024;

  // files.workspace_quota_bytes: the total size of one workspace's files
  // (those not yet collected by `quikctl files gc`); an upload past it is 413.
  // Default: 10737418240 (10 GiB)
  std::int64_t workspace_quota_bytes = 10LL * 1024 * 1024 * 1024;

  // files.thumbnail_size: the longest edge, in pixels, of the thumbnails made
  // of JPEG, PNG, GIF and WebP images (0: no thumbnails).
  // Default: 360
  int thumbnail_size = 360;

  // files.max_image_pixels: images whose header claims more pixels than this
  // (width x height) are stored but never decoded (decompression bombs).
  // Default: 50000000 (50 megapixels)
  std::int64_t max_image_pixels = 50'000'000;

  // files.max_decode_bytes: images whose decoded pixels would take more than
  // this (width x height x channels x bytes per sample, from the header) are
  // stored without a thumbnail and never decoded.
  // Default: 268435456 (256 MiB: any 8-bit image within max_image_pixels;
  // a 16-bit RGBA one up to 33 megapixels)
  std::int64_t max_decode_bytes = 256LL * 1024 * 1024;

  // files.decode_memory_bytes: the most decoded-pixel bytes (as above) of all
  // thumbnails being made at once; an image that does not fit beside those in
  // progress is stored without a thumbnail.
  // Default: 536870912 (512 MiB)
  std::int64_t decode_memory_bytes = 512LL * 1024 * 1024;

  // files.upload_threads, files.upload_queue: uploads are finished (content
  // type, thumbnail, storing) on a pool of their own, apart from the request
  // workers and the password hashes, with at most upload_queue more waiting;
  // past that an upload is answered 503 (unavailable) with Retry-After.
  // Default: 2, 16
  int upload_threads = 2;
  int upload_queue = 16;

  // files.gc_grace: `quikctl files gc` removes files no message references
  // only once they are older than this (an upload not yet posted stays).
  // Default: 24 hours
  std::chrono::seconds gc_grace = std::chrono::hours(24);
};

struct Options {
  // The data directory: quik.toml, quik.db (SQLite), lmdb/ and, later, blobs.
  // Default: "quik-data", relative to the working directory (quikctl uses
  // $QUIK_DATA_DIR first)
  std::filesystem::path data_dir = "quik-data";

  StorageOptions storage;
  AuthOptions auth;
  LimitsOptions limits;
  ServerOptions server;
  HttpOptions http;
  TlsOptions tls;
  LogOptions log;
  RealtimeOptions realtime;
  WebhooksOptions webhooks;
  FilesOptions files;

  // Where libquik reads the time (quik/clock.hpp); not a quik.toml setting.
  // A test puts a ManualClock here to move time on without sleeping.
  // Default: SystemClock(), the system's clocks
  std::shared_ptr<const Clock> clock = SystemClock();
};

}  // namespace quik
