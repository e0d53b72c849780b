// SPDX-License-Identifier: MIT
// GET /api/v1/ws (the WebSocket handshake; net/ carries the connection on)
// and GET /api/v1/events (the long-poll twin): CONTRACT.md section 3.
#include <algorithm>
#include <atomic>

#include <boost/asio/steady_timer.hpp>

#include "api/api.hpp"
#include "common/text.hpp"
#include "realtime/hub.hpp"
#include "service/context.hpp"

namespace quik::api {
namespace {

constexpr std::string_view kProtoSubprotocol = "quik.v1.proto";
constexpr int kMaxWaitSeconds = 60;

// A non-negative integer query parameter; nullopt when absent.
Result<std::optional<std::int64_t>> SeqParam(const Call& call, std::string_view key) {
  auto text = call.Query(key);
  if (!text) return std::optional<std::int64_t>();
  const auto v = internal::ParseDigits(*text);
  if (!v) {
    return InvalidArgument("query parameter '" + std::string(key) +
                           "' must be a non-negative integer");
  }
  return v;
}

Status Unavailable501() { return Unimplemented("realtime is served only by a running server"); }

// One long-poll request as a hub subscriber: answers with the first frames
// the hub sends (or a replay page, or nothing once `wait` runs out) and
// detaches.
class PollSubscriber final : public realtime::Subscriber,
                             public std::enable_shared_from_this<PollSubscriber> {
 public:
  PollSubscriber(std::shared_ptr<Call> call, Reply reply, realtime::Hub& hub,
                 boost::asio::io_context& io, std::chrono::seconds wait)
      : call_(std::move(call)), reply_(std::move(reply)), hub_(hub), timer_(io), wait_(wait) {
    user_id = call_->auth->user_id;
    token_id = call_->auth->token_id;
  }

  void Begin(std::optional<std::int64_t> after) {
    if (after) served_through_ = *after;
    hub_.Attach(shared_from_this(), after, /*hello=*/false);
  }

  void Send(std::vector<realtime::FramePtr> frames, std::int64_t through) override {
    if (through < 0) return;  // ephemeral frames are for WebSockets
    served_through_ = through;
    if (frames.empty() && wait_.count() > 0) {
      // Attached with nothing to say yet: wait for the first event.
      timer_.expires_after(wait_);
      timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (ec) return;
        self->hub_.Detach(self, [self](std::int64_t seq) { self->Answer({}, seq); });
      });
      return;
    }
    Answer(std::move(frames), through);
  }

  void Replay(std::unique_ptr<realtime::Replayer> replay) override {
    // One page per poll; the client asks again from the seq it gets.
    std::shared_ptr<realtime::Replayer> r(std::move(replay));
    call_->blocking([self = shared_from_this(), r] {
      auto page = r->Next();
      if (!page.ok()) return self->Fail(page.status());
      self->Answer(std::move(*page), r->cursor());
    });
  }

  void Refuse(const Status& status) override { Fail(status); }

  // A shutting-down server (kCloseGoingAway) answers with nothing new: the client polls
  // again, from the same seq. Otherwise the token or user is no longer valid.
  void Close(std::uint16_t code, std::string reason) override {
    if (code == realtime::kCloseGoingAway) {
      // Never past what this poll was served (it may be mid-replay).
      const std::int64_t seq = served_through_.load();
      return Answer({}, seq >= 0 ? seq : hub_.seq());
    }
    Fail(Unauthenticated(reason));
  }

 private:
  void Answer(std::vector<realtime::FramePtr> frames, std::int64_t seq) {
    if (answered_.exchange(true)) return;
    boost::system::error_code ignored;
    timer_.cancel(ignored);
    hub_.Detach(shared_from_this());
    Response r;
    r.body = "{\"events\":[";
    for (std::size_t i = 0; i < frames.size(); ++i) {
      if (i > 0) r.body += ',';
      r.body += frames[i]->json;
    }
    r.body += "],\"seq\":" + std::to_string(seq) + "}";
    reply_(std::move(r));
  }

  void Fail(const Status& status) {
    if (answered_.exchange(true)) return;
    hub_.Detach(shared_from_this());
    reply_(status.code() == StatusCode::kResourceExhausted
               ? TooMany(status.message(), std::chrono::seconds(1))
               : ErrorResponse(status));
  }

  std::shared_ptr<Call> call_;
  Reply reply_;
  realtime::Hub& hub_;
  boost::asio::steady_timer timer_;  // on the event thread
  const std::chrono::seconds wait_;
  std::atomic<bool> answered_{false};
  std::atomic<std::int64_t> served_through_{-1};  // the cursor so far; -1: live only, none yet
};

}  // namespace

Result<Response> WebSocketHandshake(Call& call) {
  if (!call.request.websocket) {
    Response r = ErrorResponse(
        InvalidArgument("GET /api/v1/ws is a WebSocket: send \"Connection: Upgrade\" and "
                        "\"Upgrade: websocket\" (CONTRACT.md section 3)"));
    r.headers.emplace_back("Upgrade", "websocket");
    return r;
  }
  if (call.hub == nullptr) return Unavailable501();
  const auto& allowed = call.service.options().realtime.allowed_origins;
  if (!allowed.empty() && !call.request.origin.empty() &&
      std::find(allowed.begin(), allowed.end(), call.request.origin) == allowed.end()) {
    return PermissionDenied("origin '" + call.request.origin +
                            "' is not in realtime.allowed_origins");
  }
  WebSocketUpgrade upgrade;
  if (!internal::TrimWhitespace(call.request.authorization).empty()) {
    QUIK_ASSIGN_OR_RETURN(std::string secret, BearerSecret(call.request.authorization));
    QUIK_ASSIGN_OR_RETURN(Authenticated who, call.service.auth().Authenticate(secret));
    upgrade.auth = std::move(who);
  }
  QUIK_ASSIGN_OR_RETURN(upgrade.after, SeqParam(call, "after"));
  // Sec-WebSocket-Protocol: a comma-separated list, in the client's order.
  std::string_view protocols = call.request.websocket_protocols;
  while (!protocols.empty()) {
    const std::size_t comma = protocols.find(',');
    if (internal::TrimWhitespace(protocols.substr(0, comma)) == kProtoSubprotocol) {
      upgrade.encoding = realtime::Encoding::kProto;
      break;
    }
    if (comma == std::string_view::npos) break;
    protocols.remove_prefix(comma + 1);
  }
  Response r;
  r.status = 101;
  r.websocket = std::move(upgrade);
  return r;
}

void LongPoll(std::shared_ptr<Call> call, Reply reply) {
  auto st = [&]() -> Result<std::pair<std::optional<std::int64_t>, std::int64_t>> {
    if (call->hub == nullptr) return Unavailable501();
    QUIK_ASSIGN_OR_RETURN(auto after, SeqParam(*call, "after"));
    QUIK_ASSIGN_OR_RETURN(auto wait, SeqParam(*call, "wait"));
    if (wait && *wait > kMaxWaitSeconds) {
      return InvalidArgument("query parameter 'wait' must be at most " +
                             std::to_string(kMaxWaitSeconds) + " (seconds)");
    }
    return std::make_pair(after, wait.value_or(0));
  }();
  if (!st.ok()) return reply(ErrorResponse(st.status()));
  auto* ctx = internal::ContextOf(call->service);
  if (ctx == nullptr) return reply(ErrorResponse(Unavailable501()));
  realtime::Hub& hub = *call->hub;
  auto sub = std::make_shared<PollSubscriber>(call, std::move(reply), hub, ctx->bus->io(),
                                              std::chrono::seconds(st->second));
  sub->Begin(st->first);
}

}  // namespace quik::api
