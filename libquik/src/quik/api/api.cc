// SPDX-License-Identifier: MIT
#include "api/api.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <utility>
#include <vector>

#include "common/text.hpp"
#include "quik/json.hpp"
#include "service/context.hpp"

namespace quik::api {
namespace {

using nlohmann::json;

constexpr std::string_view kApiPrefix = "/api/v1";

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 1;  // path starts with '/'
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    out.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

Response TooMany(std::string_view message, std::chrono::seconds retry_after) {
  Response r = ErrorResponse(ResourceExhausted(std::string(message)));
  r.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
  return r;
}

Response PayloadErrorResponse(const Status& status) {
  if (status.code() == StatusCode::kResourceExhausted) {
    return ErrorResponse(413, "payload_too_large", status.message());
  }
  return ErrorResponse(status);
}

Response JsonResponse(int http_status, const json& body) {
  Response r;
  r.status = http_status;
  // Stored text may hold anything a client sent: never throw on bad UTF-8.
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

Response ErrorResponse(const Status& status) {
  Response r = JsonResponse(status.HttpStatus(), ErrorJson(status));
  // RFC 7235: a 401 names the scheme it wants.
  if (status.code() == StatusCode::kUnauthenticated) {
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"quik\"");
  }
  // Every 503 is worth retrying (a full disk, a busy database, a full queue):
  // it says when.
  if (status.code() == StatusCode::kUnavailable) {
    r.headers.emplace_back("Retry-After", std::to_string(kUnavailableRetryAfter.count()));
  }
  return r;
}

Response ErrorResponse(int http_status, std::string_view code, std::string_view message) {
  return JsonResponse(http_status, {{"error", {{"code", code}, {"message", message}}}});
}

std::optional<std::string> Call::Query(std::string_view key) const {
  return QueryParam(query, key);
}

Result<json> Call::JsonBody(bool allow_empty) const {
  return ParseJsonBody(request.body, allow_empty);
}

Api::Api(Service& service, Metrics& metrics, Logger& logger, RunBlocking run_blocking,
         RunBlocking run_io)
    : service_(service),
      metrics_(metrics),
      logger_(logger),
      run_blocking_(std::move(run_blocking)),
      run_io_(std::move(run_io)),
      user_rate_(service.options().http.user_rate, service.options().http.rate_burst),
      address_rate_(service.options().http.address_rate, service.options().http.rate_burst),
      login_limits_{
          LoginLimiter(service.options().auth.login_max_failures,
                       service.options().auth.login_failure_window),
          LoginLimiter(service.options().auth.login_max_failures_per_address,
                       service.options().auth.login_failure_window),
          RateLimiter(RateLimiter::PerMinute{service.options().auth.signup_rate_per_address}),
          RateLimiter(RateLimiter::PerMinute{service.options().auth.login_rate_per_address})},
      routes_(ApiRoutes(login_limits_)) {
  for (Route& r : routes_) {
    r.segments = SplitPath(r.pattern);
    r.metric = metrics_.AddRoute(r.method, r.pattern);
  }
  healthz_metric_ = metrics_.AddRoute("GET", "/healthz");
  readyz_metric_ = metrics_.AddRoute("GET", "/readyz");
  metrics_metric_ = metrics_.AddRoute("GET", "/metrics");
}

Api::Match Api::Find(std::string_view method, std::string_view path) const {
  Match match;
  const std::vector<std::string> segments = SplitPath(path);
  for (const Route& r : routes_) {
    if (r.segments.size() != segments.size()) continue;
    bool ok = true;
    for (std::size_t i = 0; i < segments.size() && ok; ++i) {
      const std::string& want = r.segments[i];
      ok = (want.size() > 1 && want.front() == '{') ? !segments[i].empty() : want == segments[i];
    }
    if (!ok) continue;
    if (r.method != method) {
      if (std::find(match.allowed.begin(), match.allowed.end(), r.method) == match.allowed.end()) {
        match.allowed.push_back(r.method);
      }
      continue;
    }
    match.route = &r;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (r.segments[i].front() == '{') match.params.push_back(segments[i]);
    }
    return match;  // the first match wins: literal routes come before {param} ones
  }
  return match;
}

std::optional<Response> Api::Builtin(std::string_view method, std::string_view path,
                                     Endpoint endpoint) {
  const bool api = endpoint != Endpoint::kMetricsOnly;
  const bool metrics = endpoint != Endpoint::kApiOnly;
  auto only_get = [&]() -> std::optional<Response> {
    if (method == "GET" || method == "HEAD") return std::nullopt;
    Response r = ErrorResponse(405, "method_not_allowed",
                               "method " + std::string(method) + " is not allowed on " +
                                   std::string(path) + "; use GET or HEAD");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  };
  if (api && path == "/healthz") {
    if (auto r = only_get()) return r;
    return JsonResponse(200, {{"status", "ok"}});
  }
  if (api && path == "/readyz") {
    if (auto r = only_get()) return r;
    if (draining_.load(std::memory_order_relaxed)) {
      return ErrorResponse(Unavailable("the server is shutting down"));
    }
    auto seq = service_.events().LatestSeq();
    if (!seq.ok()) return ErrorResponse(Unavailable("storage: " + seq.status().message()));
    // Not ready while writes fail for lack of space; ready once there is room.
    if (auto* ctx = internal::ContextOf(service_); ctx != nullptr && ctx->store->full()) {
      if (Status space = ctx->store->CheckSpace(); !space.ok()) return ErrorResponse(space);
    }
    return JsonResponse(200, {{"status", "ready"}});
  }
  if (metrics && path == "/metrics") {
    if (auto r = only_get()) return r;
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    store::WriteStats writes;
    auto* ctx = internal::ContextOf(service_);
    if (ctx != nullptr) writes = ctx->store->write_stats();
    r.body = metrics_.Render(writes);
    if (ctx != nullptr) {
      r.body += RenderPool("quik_password_hashes", "Password hashes and checks", "auth.hash_queue",
                           ctx->hash_pool->stats());
      r.body += RenderPool("quik_auth_requests", "Requests that check or set a password",
                           "server.auth_queue", ctx->auth_pool().stats());
      r.body +=
          RenderPool("quik_uploads", "Uploads", "files.upload_queue", ctx->upload_pool().stats());
    }
    return r;
  }
  if (!api) return ErrorResponse(NotFound("this listener serves only GET /metrics"));
  return std::nullopt;
}

void Api::Handle(Request request, Endpoint endpoint, Reply reply) {
  const auto started = Clock::now();
  const std::size_t qmark = request.target.find('?');
  const std::string path = request.target.substr(0, qmark);
  if (path.empty() || path.front() != '/') {
    Response r = ErrorResponse(InvalidArgument("the request target must be a path"));
    Finish(request, "unmatched", Metrics::kUnmatched, {}, started, r);
    return reply(std::move(r));
  }

  if (auto builtin = Builtin(request.method, path, endpoint)) {
    const int metric = path == "/healthz"   ? healthz_metric_
                       : path == "/readyz"  ? readyz_metric_
                       : path == "/metrics" ? metrics_metric_
                                            : Metrics::kUnmatched;
    Finish(request, metric == Metrics::kUnmatched ? "unmatched" : path, metric, {}, started,
           *builtin);
    return reply(std::move(*builtin));
  }

  Match match = Find(request.method, path);
  if (match.route == nullptr) {
    Response r;
    if (!match.allowed.empty()) {
      std::string allow;
      for (const auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
      r = ErrorResponse(
          405, "method_not_allowed",
          "method " + request.method + " is not allowed on " + path + "; use " + allow);
      r.headers.emplace_back("Allow", allow);
    } else {
      r = ErrorResponse(
          NotFound("no such route: " + request.method + " " + path +
                   (path.rfind(kApiPrefix, 0) == 0 ? "" : " (API routes start with /api/v1)")));
    }
    Finish(request, "unmatched", Metrics::kUnmatched, {}, started, r);
    return reply(std::move(r));
  }
  const Route& route = *match.route;

  auto fail = [&](Response r, const std::string& user) {
    Finish(request, route.pattern, route.metric, user, started, r);
    reply(std::move(r));
  };

  std::chrono::seconds retry{};
  if (address_rate_.enabled() && !address_rate_.Allow(request.remote_address, RateNow(), &retry)) {
    return fail(TooMany("too many requests from " + request.remote_address, retry), {});
  }

  auto call = std::make_shared<Call>(service_);
  call->defer = run_io_;
  call->blocking = run_blocking_;
  call->hub = hub_;
  for (auto& p : match.params) {
    auto decoded = PercentDecode(p, false);
    if (!decoded) return fail(ErrorResponse(InvalidArgument("malformed %-escape in path")), {});
    call->params.push_back(std::move(*decoded));
  }

  if (route.access == Access::kUser) {
    auto secret = BearerSecret(request.authorization);
    if (!secret.ok()) return fail(ErrorResponse(secret.status()), {});
    call->secret = std::move(*secret);
    auto who = service_.auth().Authenticate(call->secret);
    if (!who.ok()) return fail(ErrorResponse(who.status()), {});
    if (user_rate_.enabled() && !user_rate_.Allow(who->user_id, RateNow(), &retry)) {
      return fail(TooMany("too many requests for this user", retry), who->user_id);
    }
    call->actor = Actor::ForUser(who->user_id);
    call->auth = std::move(*who);
  }

  call->request = std::move(request);
  // `path` and `query` view the request now owned by the call.
  const std::string& target = call->request.target;
  call->path = std::string_view(target).substr(0, qmark);
  call->query =
      qmark == std::string::npos ? std::string_view() : std::string_view(target).substr(qmark + 1);

  const std::string user = call->auth ? call->auth->user_id : std::string();
  Reply done = [this, call, &route, user, started, reply = std::move(reply)](Response r) {
    Finish(call->request, route.pattern, route.metric, user, started, r);
    reply(std::move(r));
  };
  if (route.exec == Exec::kAsync) return route.async(call, std::move(done));
  auto run_sync = [call, &route, done = std::move(done)]() mutable {
    Result<Response> r = route.sync(*call);
    done(r.ok() ? std::move(*r) : ErrorResponse(r.status()));
  };
  if (route.exec == Exec::kBlocking) return run_blocking_(std::move(run_sync));
  run_sync();
}

bool Api::IsUpload(std::string_view method, std::string_view target) const {
  const std::string path(target.substr(0, target.find('?')));
  // Asked of every request: only uploads (POST .../files) pay for the match.
  constexpr std::string_view kFiles = "/files";
  if (method != "POST" || path.size() < kFiles.size() ||
      path.compare(path.size() - kFiles.size(), kFiles.size(), kFiles) != 0) {
    return false;
  }
  if (path.rfind(kApiPrefix, 0) != 0) return false;
  const Match match = Find(method, path);
  return match.route != nullptr && match.route->upload;
}

std::optional<Response> Api::PreflightUpload(const Request& request,
                                             std::optional<std::uint64_t> content_length) {
  const auto started = Clock::now();
  const std::string path = request.target.substr(0, request.target.find('?'));
  const Match match = Find(request.method, path);
  if (match.route == nullptr || !match.route->upload || match.params.empty()) return std::nullopt;
  const Route& route = *match.route;
  auto fail = [&](Response r, const std::string& user) {
    Finish(request, route.pattern, route.metric, user, started, r);
    return std::optional<Response>(std::move(r));
  };
  std::chrono::seconds retry{};
  if (address_rate_.enabled() && !address_rate_.Allow(request.remote_address, RateNow(), &retry)) {
    return fail(TooMany("too many requests from " + request.remote_address, retry), {});
  }
  auto secret = BearerSecret(request.authorization);
  if (!secret.ok()) return fail(ErrorResponse(secret.status()), {});
  auto who = service_.auth().Authenticate(*secret);
  if (!who.ok()) return fail(ErrorResponse(who.status()), {});
  auto ws = PercentDecode(match.params[0], false);
  if (!ws) return fail(ErrorResponse(InvalidArgument("malformed %-escape in path")), {});
  std::optional<std::int64_t> size;
  if (content_length) {
    size = static_cast<std::int64_t>(
        std::min<std::uint64_t>(*content_length, std::numeric_limits<std::int64_t>::max()));
  }
  Status st = service_.files().CheckUpload(Actor::ForUser(who->user_id), *ws, size);
  if (!st.ok()) return fail(PayloadErrorResponse(st), who->user_id);
  return std::nullopt;
}

Response Api::Rejected(const Request& request, Response response) {
  Finish(request, "unmatched", Metrics::kUnmatched, {}, Clock::now(), response);
  return response;
}

void Api::Finish(const Request& request, std::string_view route, int metric,
                 const std::string& user, Clock::time_point started, const Response& response) {
  const auto took = Clock::now() - started;
  metrics_.RecordRequest(metric, response.status, took);
  // A 501 is a client asking for what this version lacks, not a server fault.
  const LogLevel level =
      response.status >= 500 && response.status != 501 ? LogLevel::kError : LogLevel::kInfo;
  if (!logger_.enabled(level)) return;
  // One line per request: formatted directly, without building a JSON
  // document (a third of a post's server CPU otherwise, at info level).
  const std::size_t qmark = request.target.find('?');
  std::string fields;
  fields.reserve(256);
  auto add = [&fields](std::string_view key, std::string_view value) {
    fields.append(",\"").append(key).append("\":");
    AppendJsonString(fields, value);
  };
  add("request_id", request.request_id);
  add("method", request.method);
  // An invite code in a path is a secret: logged as "{code}", here and in an
  // error message that quotes the path (a 404 or 405 for it).
  std::string path(std::string_view(request.target).substr(0, qmark));
  std::string secret;
  constexpr std::string_view kInvites = "/api/v1/invites/";
  if (path.rfind(kInvites, 0) == 0 && path.size() > kInvites.size()) {
    const std::size_t end = path.find('/', kInvites.size());
    secret = path.substr(kInvites.size(), end - kInvites.size());
    path.replace(kInvites.size(), secret.size(), "{code}");
  }
  add("path", path);
  add("route", route);
  fields.append(",\"status\":").append(std::to_string(response.status));
  char duration[32];
  std::snprintf(duration, sizeof duration, ",\"duration_ms\":%.3f",
                std::chrono::duration<double, std::milli>(took).count());
  fields.append(duration);
  add("remote", request.remote_address);
  if (!user.empty()) add("user_id", user);
  if (response.status >= 400 && response.content_type == "application/json") {
    json body = json::parse(response.body, nullptr, false);
    if (body.is_object() && body.contains("error")) {
      std::string error = body["error"].dump(-1, ' ', false, json::error_handler_t::replace);
      for (std::size_t at; !secret.empty() && (at = error.find(secret)) != std::string::npos;) {
        error.replace(at, secret.size(), "{code}");
      }
      fields.append(",\"error\":").append(error);
    }
  }
  logger_.LogFormatted(level, "request", fields);
}

}  // namespace quik::api
