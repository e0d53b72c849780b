// SPDX-License-Identifier: MIT
// net::WsSession: one WebSocket connection of the server (net/server.cc).
//
// An upgrade request goes through api::Api like any other (GET /api/v1/ws
// checks the origin, the token and ?after); a 101 answer hands the socket to a
// WsSession, which completes the handshake and subscribes to the realtime hub.
// Like Beast's chat-multi example, each WsSession has one strand and one
// outgoing queue of shared, already-encoded frames; a queue past
// realtime.max_queue_bytes closes the connection (1008) instead of growing.
#pragma once

#include "net/server_impl.hpp"

namespace quik::net {

// RFC 6455 close codes.
using realtime::kCloseGoingAway;
using realtime::kCloseInternal;
using realtime::kClosePolicy;

template <class Stream>
class WsSession final : public Connection,
                        public realtime::Subscriber,
                        public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(ServerImpl& server, Stream&& stream)
      : server_(server),
        options_(server.options().realtime),
        ws_(std::move(stream)),
        auth_timer_(ws_.get_executor()),
        close_timer_(ws_.get_executor()),
        frame_budget_{2.0 * options_.client_frame_rate, server.options().clock->SteadyNow()} {
    server_.api().metrics().WebSocketOpened();
  }

  ~WsSession() override {
    server_.api().metrics().WebSocketClosed();
    server_.Unregister(this);
  }

  void Run(http::request<http::string_body> req, api::WebSocketUpgrade upgrade) {
    req_ = std::move(req);
    encoding = upgrade.encoding;
    after_ = upgrade.after;
    if (upgrade.auth) {
      user_id = upgrade.auth->user_id;
      token_id = upgrade.auth->token_id;
    }
    beast::get_lowest_layer(ws_).expires_never();  // the websocket timeouts take over
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = server_.options().http.request_timeout;
    timeout.idle_timeout = options_.idle_timeout;
    timeout.keep_alive_pings = true;
    ws_.set_option(timeout);
    ws_.read_message_max(static_cast<std::uint64_t>(options_.max_frame_bytes));
    const bool proto = encoding == realtime::Encoding::kProto;
    ws_.set_option(websocket::stream_base::decorator([proto](websocket::response_type& res) {
      res.set(http::field::server, "quik");
      if (proto) res.set(http::field::sec_websocket_protocol, "quik.v1.proto");
    }));
    ws_.binary(proto);
    // Pings, pongs and closes count toward the frame rate like data frames: a
    // flood of control frames costs the server as much.
    ws_.control_callback([this](websocket::frame_type, beast::string_view) {
      if (!closing_ && !TakeFrameBudget()) {
        asio::post(ws_.get_executor(), [self = self()] { self->CloseForFrameRate(); });
      }
    });
    ws_.async_accept(req_, [self = this->shared_from_this()](beast::error_code ec) {
      self->req_ = {};
      if (ec) return self->Finish();
      self->OnAccepted();
    });
  }

  // Connection.
  void Drain() override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
      self->CloseWith(kCloseGoingAway, "the server is shutting down; reconnect with after=SEQ");
    });
  }
  void ForceClose() override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this()] { self->Finish(); });
  }

  // realtime::Subscriber: from the event thread; each hops onto the strand.
  void Send(std::vector<realtime::FramePtr> frames, std::int64_t) override {
    asio::post(ws_.get_executor(),
               [self = this->shared_from_this(), frames = std::move(frames)]() mutable {
                 self->Enqueue(std::move(frames), /*paced=*/false);
               });
  }
  void Replay(std::unique_ptr<realtime::Replayer> replay) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(),
                                    r = std::shared_ptr<realtime::Replayer>(std::move(replay))] {
      self->replay_ = r;
      self->ContinueReplay();
    });
  }
  void Refuse(const Status& status) override {
    asio::post(ws_.get_executor(), [self = this->shared_from_this(), status] {
      self->attached_ = false;
      // Over a limit: the client's doing (1008); anything else is ours (1011).
      self->CloseWith(
          status.code() == StatusCode::kResourceExhausted ? kClosePolicy : kCloseInternal,
          std::string(StatusCodeName(status.code())) + ": " + status.message());
    });
  }
  void Close(std::uint16_t code, std::string reason) override {
    asio::post(ws_.get_executor(),
               [self = this->shared_from_this(), code, reason] { self->CloseWith(code, reason); });
  }

 private:
  bool authenticated() const { return !user_id.empty(); }
  std::shared_ptr<WsSession> self() { return this->shared_from_this(); }

  void OnAccepted() {
    if (authenticated()) {
      Attach();
    } else {
      auth_timer_.expires_after(options_.auth_timeout);
      auth_timer_.async_wait([self = self()](beast::error_code ec) {
        if (ec || self->authenticated()) return;
        self->CloseWith(kClosePolicy,
                        "no auth frame within realtime.auth_timeout: send "
                        "{\"type\":\"auth\",\"token\":\"...\"} first");
      });
    }
    Read();
  }

  // realtime.client_frame_rate per second, bursts of twice that; data and
  // control frames alike.
  bool TakeFrameBudget() {
    const double rate = options_.client_frame_rate;
    return frame_budget_.Take(rate, 2 * rate, server_.options().clock->SteadyNow());
  }

  void CloseForFrameRate() {
    CloseWith(kClosePolicy, "more than realtime.client_frame_rate (" +
                                std::to_string(options_.client_frame_rate) + ") frames per second");
  }

  void Attach() {
    attached_ = true;
    server_.hub().Attach(self(), after_, /*hello=*/true);
  }

  void Read() {
    ws_.async_read(buffer_, [self = self()](beast::error_code ec, std::size_t) {
      if (ec) return self->Finish();  // closed; or Beast already sent 1009/1007/1002
      self->OnFrame();
    });
  }

  void OnFrame() {
    const std::string data = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    if (buffer_.capacity() > 4096) buffer_.shrink_to_fit();  // idle connections stay small
    if (closing_) return Read();
    if (!TakeFrameBudget()) return CloseForFrameRate();
    auto frame = realtime::ParseClientFrame(data, ws_.got_binary());
    if (!authenticated()) {
      if (!frame.ok() || frame->kind != realtime::ClientFrame::Kind::kAuth) {
        return CloseWith(kClosePolicy,
                         "authenticate first: send {\"type\":\"auth\",\"token\":\"...\"}");
      }
      auto who = server_.service().auth().Authenticate(frame->token);
      if (!who.ok()) return CloseWith(kClosePolicy, "unauthenticated: " + who.status().message());
      boost::system::error_code ignored;
      auth_timer_.cancel(ignored);
      user_id = who->user_id;
      token_id = who->token_id;
      if (frame->after) after_ = frame->after;
      Attach();
      return Read();
    }
    if (!frame.ok()) {
      Enqueue({realtime::ErrorFrame(encoding, frame.status())}, false);
      return Read();
    }
    switch (frame->kind) {
      case realtime::ClientFrame::Kind::kAuth:
        Enqueue({realtime::ErrorFrame(encoding, InvalidArgument("already authenticated"))}, false);
        break;
      case realtime::ClientFrame::Kind::kPing:
        Enqueue({realtime::PongFrame(encoding)}, false);
        break;
      case realtime::ClientFrame::Kind::kTyping:
        server_.hub().Typing(self(), frame->channel_id);
        break;
      case realtime::ClientFrame::Kind::kPresence:
        server_.hub().SetPresence(self(), frame->status);
        break;
    }
    Read();
  }

  // Queues frames for sending. A connection whose queue stays past
  // realtime.max_queue_bytes for kSlowAfter, or reaches kHardFactor times it,
  // is a slow consumer: a burst (a page of events) is fine, a backlog is not.
  // Replay pages (`paced`) are fetched only as the queue drains.
  static constexpr std::chrono::seconds kSlowAfter{1};
  static constexpr std::size_t kHardFactor = 16;

  void Enqueue(std::vector<realtime::FramePtr> frames, bool paced) {
    if (closing_) return;
    for (auto& f : frames) {
      queued_bytes_ += f->bytes(encoding).size();
      queue_.push_back(std::move(f));
    }
    if (!paced && queued_bytes_ > static_cast<std::size_t>(options_.max_queue_bytes)) {
      const auto now = server_.options().clock->SteadyNow();
      if (over_since_ == std::chrono::steady_clock::time_point{}) over_since_ = now;
      if (now - over_since_ >= kSlowAfter ||
          queued_bytes_ > kHardFactor * static_cast<std::size_t>(options_.max_queue_bytes)) {
        server_.api().metrics().SlowConsumerClosed();
        server_.api().logger().Log(LogLevel::kWarn, "realtime: slow consumer closed",
                                   {{"user_id", user_id}, {"queued_bytes", queued_bytes_}});
        return CloseWith(kClosePolicy, "slow consumer: over realtime.max_queue_bytes (" +
                                           std::to_string(options_.max_queue_bytes) +
                                           ") queued; reconnect with after=SEQ");
      }
    }
    if (!writing_) Write();
  }

  void Write() {
    if (queue_.empty()) return;
    writing_ = true;
    const std::string& bytes = queue_.front()->bytes(encoding);
    ws_.async_write(asio::buffer(bytes),
                    [self = self()](beast::error_code ec, std::size_t) { self->OnWrite(ec); });
  }

  void OnWrite(beast::error_code ec) {
    writing_ = false;
    if (ec) return Finish();
    server_.api().metrics().FrameSent();
    queued_bytes_ -= queue_.front()->bytes(encoding).size();
    queue_.pop_front();
    if (queued_bytes_ <= static_cast<std::size_t>(options_.max_queue_bytes)) over_since_ = {};
    if (closing_) return SendClose();
    if (replay_ && queued_bytes_ < static_cast<std::size_t>(options_.max_queue_bytes) / 2) {
      ContinueReplay();
    }
    Write();
  }

  // Reads the next replay page on a worker thread; once the log is read to
  // its end, attaches again to go live from there.
  void ContinueReplay() {
    if (!replay_ || replay_busy_ || closing_) return;
    replay_busy_ = true;
    server_.RunBlocking([self = self(), r = replay_] {
      auto page = r->Next();
      asio::post(self->ws_.get_executor(), [self, r, page = std::move(page)]() mutable {
        self->replay_busy_ = false;
        // Closed (or given another replay) meanwhile: attach nothing again.
        if (self->closing_ || self->finished_ || self->replay_ != r) return;
        if (!page.ok()) return self->CloseWith(kCloseInternal, page.status().message());
        self->Enqueue(std::move(*page), /*paced=*/true);
        if (r->done()) {
          self->replay_.reset();
          self->server_.hub().Attach(self, r->cursor(), /*hello=*/false, /*after_replay=*/true);
        } else if (self->queued_bytes_ <
                   static_cast<std::size_t>(self->options_.max_queue_bytes) / 2) {
          self->ContinueReplay();
        }
      });
    });
  }

  // Stops sending and closes with `code`: after the frame being written (if
  // any), with a deadline for a peer that reads nothing.
  void CloseWith(std::uint16_t code, std::string reason) {
    if (closing_ || finished_) return;
    closing_ = true;
    Detach();
    replay_.reset();
    // Keep only the frame being written; the rest is dropped (it resumes).
    while (queue_.size() > (writing_ ? 1u : 0u)) {
      queued_bytes_ -= queue_.back()->bytes(encoding).size();
      queue_.pop_back();
    }
    // A close frame's reason: at most 123 bytes, cut between UTF-8 characters.
    if (reason.size() > 120) {
      std::size_t n = 120;
      while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
      reason.resize(n);
    }
    close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
    close_timer_.expires_after(std::chrono::seconds(5));
    close_timer_.async_wait([self = self()](beast::error_code ec) {
      if (!ec) self->Finish();
    });
    if (!writing_) SendClose();
  }

  void SendClose() {
    if (close_sent_ || finished_) return;
    close_sent_ = true;
    ws_.async_close(close_reason_, [self = self()](beast::error_code) { self->Finish(); });
  }

  void Detach() {
    if (!attached_) return;
    attached_ = false;
    server_.hub().Detach(self());
  }

  // The end: detaches, drops the socket; the session goes with its last handler.
  void Finish() {
    if (finished_) return;
    finished_ = true;
    Detach();
    replay_.reset();
    boost::system::error_code ignored;
    auth_timer_.cancel(ignored);
    close_timer_.cancel(ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  ServerImpl& server_;
  const RealtimeOptions& options_;
  websocket::stream<Stream> ws_;
  http::request<http::string_body> req_;  // until the handshake is done
  beast::flat_buffer buffer_;
  asio::steady_timer auth_timer_;
  asio::steady_timer close_timer_;
  std::optional<std::int64_t> after_;
  std::deque<realtime::FramePtr> queue_;
  std::size_t queued_bytes_ = 0;
  std::chrono::steady_clock::time_point over_since_{};  // queue past the limit since
  std::shared_ptr<realtime::Replayer> replay_;
  websocket::close_reason close_reason_;
  api::TokenBucket frame_budget_;
  bool writing_ = false;
  bool replay_busy_ = false;
  bool attached_ = false;
  bool closing_ = false;
  bool close_sent_ = false;
  bool finished_ = false;
};

}  // namespace quik::net
