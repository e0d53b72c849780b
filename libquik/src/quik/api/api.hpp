// SPDX-License-Identifier: MIT
// The HTTP API without the transport: routes a parsed request to one service
// call and renders its JSON answer (CONTRACT.md section 2).
//
// net/ owns sockets, parsing and timeouts and hands complete requests to
// Api::Handle; everything about routes, authentication, limits, the error
// mapping, request logs and metrics happens here, with no Beast type in sight.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/decode.hpp"
#include "api/limits.hpp"
#include "api/log.hpp"
#include "api/metrics.hpp"
#include "files/blob_store.hpp"
#include "quik/actor.hpp"
#include "quik/auth.hpp"
#include "quik/files.hpp"
#include "quik/service.hpp"
#include "quik/status.hpp"
#include "realtime/frames.hpp"

namespace quik::realtime {
class Hub;
}

namespace quik::api {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // "/api/v1/channels/01H.../messages?limit=10"
  std::string body;
  std::string authorization;  // the Authorization header, if any
  std::string remote_address;
  std::string request_id;  // the X-Request-Id to answer with
  // A WebSocket handshake (Connection: upgrade, Upgrade: websocket), with its
  // Origin and Sec-WebSocket-Protocol headers.
  bool websocket = false;
  std::string origin;
  std::string websocket_protocols;
  // An upload route's body, streamed by the transport into a temp file
  // (Api::IsUpload); `body` stays empty then.
  std::shared_ptr<Upload> upload;
  // Conditional and range requests (downloads).
  std::string range;          // Range
  std::string if_none_match;  // If-None-Match
  std::string if_range;       // If-Range
};

// The go-ahead for a WebSocket handshake (a 101 Response): the transport
// completes it and hands the connection to the realtime hub.
struct WebSocketUpgrade {
  std::optional<Authenticated> auth;  // from the Authorization header, if sent
  std::optional<std::int64_t> after;  // ?after=SEQ
  realtime::Encoding encoding = realtime::Encoding::kJson;
};

// A response body read from an open file: `length` bytes from `offset`. The
// transport streams it in chunks (a 1 GB download is never in memory); for
// HEAD it sends only the headers, with Content-Length `length`.
struct FileBody {
  std::shared_ptr<files::Fd> fd;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Retry-After, Allow
  std::optional<WebSocketUpgrade> websocket;                 // status 101 only
  std::optional<FileBody> file;                              // instead of `body`
};

// Called exactly once per request, from any thread (possibly before Handle
// returns); must not block.
using Reply = std::function<void(Response)>;

// Runs a task on a thread that may block (password hashing, synchronous writes).
using RunBlocking = std::function<void(std::function<void()>)>;

// Which routes a listener serves.
enum class Endpoint {
  kAll,          // the API, health and /metrics
  kApiOnly,      // the API and health; /metrics has its own listener
  kMetricsOnly,  // /metrics alone (server.metrics_listen)
};

// The Retry-After of every 503 unavailable answer.
inline constexpr std::chrono::seconds kUnavailableRetryAfter{5};

Response ErrorResponse(const Status& status);
// An error whose code is not a quik::StatusCode (payload_too_large).
Response ErrorResponse(int http_status, std::string_view code, std::string_view message);
Response JsonResponse(int http_status, const nlohmann::json& body);
// ErrorResponse, except that kResourceExhausted is 413 payload_too_large: a
// size limit or quota (files), not a rate.
Response PayloadErrorResponse(const Status& status);
// 429 rate_limited with Retry-After (at least 1 second).
Response TooMany(std::string_view message, std::chrono::seconds retry_after);

// One request being answered: the matched route's inputs.
struct Call {
  explicit Call(Service& s) : service(s) {}

  Service& service;
  Request request;
  std::string_view path;
  std::string_view query;
  std::vector<std::string> params;  // path parameters, percent-decoded, in order
  std::optional<Authenticated> auth;
  Actor actor = Actor::System();  // the authenticated user (never the system)
  std::string secret;             // the bearer token, for logout
  // Runs a task on a network thread: completions that arrive on the store's
  // commit thread render their response there, not on the serial commit path.
  RunBlocking defer;
  // Runs a task that may block (a long-poll's replay page).
  RunBlocking blocking;
  realtime::Hub* hub = nullptr;  // the server's; null where nothing serves realtime

  const std::string& param(std::size_t i) const { return params.at(i); }
  // A query parameter, percent-decoded ('+' is a space); nullopt if absent.
  std::optional<std::string> Query(std::string_view key) const;
  // The body as a JSON object; an empty body is {} when `allow_empty`.
  Result<nlohmann::json> JsonBody(bool allow_empty = false) const;
};

enum class Access { kPublic, kUser };
enum class Exec {
  kInline,    // fast reads: on the network thread
  kBlocking,  // writes: on a worker thread (routes.cc OnPool moves some to pools of their own)
  kAsync,     // the handler replies when it is done (message posts)
};

using SyncHandler = std::function<Result<Response>(Call&)>;
using AsyncHandler = std::function<void(std::shared_ptr<Call>, Reply)>;

struct Route {
  std::string method;
  std::string pattern;  // "/api/v1/channels/{id}/messages"
  Access access = Access::kUser;
  Exec exec = Exec::kInline;
  SyncHandler sync;
  AsyncHandler async;
  std::vector<std::string> segments;  // the pattern split on '/'
  int metric = Metrics::kUnmatched;
  // The body is a file upload: the transport streams it into
  // Request::upload after PreflightUpload agreed, instead of reading it whole.
  bool upload = false;
};

// Failed logins, counted per account (and per user for password changes and
// token minting) and per client address; and signups and login attempts per
// client address, failed or not.
struct LoginLimits {
  LoginLimiter account;
  LoginLimiter address;
  RateLimiter signup_rate;
  RateLimiter login_rate;
};

// The routes of CONTRACT.md section 2 (api/routes.cc). Login and password
// changes consult and feed `limits`.
std::vector<Route> ApiRoutes(LoginLimits& limits);

// The realtime routes (api/realtime_routes.cc): GET /ws checks a WebSocket
// handshake and answers 101 with a WebSocketUpgrade for the transport; GET
// /events is its long-poll twin.
Result<Response> WebSocketHandshake(Call& call);
void LongPoll(std::shared_ptr<Call> call, Reply reply);

class Api {
 public:
  // `run_blocking` runs tasks on worker threads, `run_io` on network threads.
  Api(Service& service, Metrics& metrics, Logger& logger, RunBlocking run_blocking,
      RunBlocking run_io);

  // Answers `request`; see Reply.
  void Handle(Request request, Endpoint endpoint, Reply reply);

  // Logs and counts a request that the transport answered itself (a body or
  // header over the limit, a malformed request) and returns the response.
  Response Rejected(const Request& request, Response response);

  // Whether `method` `target` is an upload route (its header is in, its body
  // not yet read).
  bool IsUpload(std::string_view method, std::string_view target) const;
  // Before an upload's body is read: authentication, membership, size
  // (`content_length`, if declared) and quota. A response (logged and counted
  // here) refuses it: send that and do not read the body; nullopt: go ahead.
  std::optional<Response> PreflightUpload(const Request& request,
                                          std::optional<std::uint64_t> content_length);

  // /readyz answers 503 once draining.
  void set_draining() { draining_.store(true, std::memory_order_relaxed); }

  // The realtime hub behind /ws and /events (set before serving).
  void set_hub(realtime::Hub* hub) { hub_ = hub; }

  Metrics& metrics() { return metrics_; }
  Logger& logger() { return logger_; }

 private:
  struct Match {
    const Route* route = nullptr;
    std::vector<std::string> params;
    std::vector<std::string> allowed;  // methods whose pattern matches, if not this one
  };
  Match Find(std::string_view method, std::string_view path) const;
  // The time rate limits count in (Options::clock).
  Clock::time_point RateNow() const { return service_.options().clock->SteadyNow(); }
  std::optional<Response> Builtin(std::string_view method, std::string_view path,
                                  Endpoint endpoint);
  void Finish(const Request& request, std::string_view route, int metric, const std::string& user,
              Clock::time_point started, const Response& response);

  Service& service_;
  Metrics& metrics_;
  Logger& logger_;
  RunBlocking run_blocking_;
  RunBlocking run_io_;
  RateLimiter user_rate_;
  RateLimiter address_rate_;
  LoginLimits login_limits_;
  std::vector<Route> routes_;  // after login_limits_, which they use
  std::atomic<bool> draining_{false};
  realtime::Hub* hub_ = nullptr;
  int healthz_metric_, readyz_metric_, metrics_metric_;
};

}  // namespace quik::api
