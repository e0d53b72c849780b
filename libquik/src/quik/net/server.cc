// quik::Server on Boost.Beast: listeners, HTTP/1.1 sessions, TLS and shutdown.
//
// The shape follows Beast's advanced server: one strand per connection, the
// session reads a request, hands it to api::Api and writes the reply before it
// reads the next one (no pipelining), so each connection holds at most one
// request and one response. Everything about routes and JSON lives in api/;
// this file only moves bytes, enforces the transport limits and timeouts and
// drains on shutdown. All Beast code of the server is in this one file.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <unistd.h>

#include <openssl/err.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "api/api.hpp"
#include "api/limits.hpp"
#include "common/ids.hpp"
#include "files/blob_store.hpp"
#include "quik/config.hpp"
#include "quik/server.hpp"
#include "realtime/hub.hpp"
#include "service/context.hpp"

namespace quik {
namespace net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;

class ServerImpl;

// ---- the header comment of this file covers HTTP; WebSockets: --------------
//
// An upgrade request goes through api::Api like any other (GET /api/v1/ws
// checks the origin, the token and ?after); a 101 answer hands the socket to a
// WsSession, which completes the handshake and subscribes to the realtime hub.
// Like Beast's chat-multi example, each WsSession has one strand and one
// outgoing queue of shared, already-encoded frames; a queue past
// realtime.max_queue_bytes closes the connection (1008) instead of growing.

// What the server needs of a session of either stream type.
class Connection {
 public:
  virtual ~Connection() = default;
  // Closes the connection once its current request (if any) is answered.
  virtual void Drain() = 0;
  // Closes it now.
  virtual void ForceClose() = 0;
};

// A client-supplied X-Request-Id is kept if it is short and plain.
bool UsableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == ':';
  });
}

std::string FormatEndpoint(const tcp::endpoint& ep) {
  const auto address = ep.address();
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

// OpenSSL's reason ("no such file", "no start line") rather than Asio's
// generic "asio.ssl error".
std::string TlsError(const beast::error_code& ec) {
  if (ec.category() == asio::error::get_ssl_category()) {
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    if (reason != nullptr) return reason;
  }
  return ec.message();
}

template <class Stream>
tcp::socket& Socket(Stream& stream) {
  return beast::get_lowest_layer(stream).socket();
}

// ---- file bodies ------------------------------------------------------------
//
// Downloads (api::FileBody) are served from an open file in 64 KiB pread()s:
// a Beast Body whose writer reads `length` bytes from `offset`, so a range
// and a whole file are the same thing and nothing is loaded into memory.
// Beast 1.74's file_body serves only whole files.
struct FileRangeBody {
  struct value_type {
    std::shared_ptr<files::Fd> fd;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
  };

  static std::uint64_t size(const value_type& v) { return v.length; }

  class writer {
   public:
    using const_buffers_type = asio::const_buffer;

    template <bool isRequest, class Fields>
    writer(const http::header<isRequest, Fields>&, const value_type& body) : body_(body) {}

    void init(beast::error_code& ec) { ec = {}; }

    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      ec = {};
      const std::uint64_t left = body_.length - done_;
      if (left == 0) return boost::none;
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(left, sizeof buf_));
      ssize_t n;
      do {
        n = ::pread(body_.fd->get(), buf_, want, static_cast<off_t>(body_.offset + done_));
      } while (n < 0 && errno == EINTR);
      if (n <= 0) {  // the file shrank or failed: end the connection, not the server
        ec = beast::errc::make_error_code(beast::errc::io_error);
        return boost::none;
      }
      done_ += static_cast<std::uint64_t>(n);
      return {{asio::const_buffer(buf_, static_cast<std::size_t>(n)), done_ < body_.length}};
    }

   private:
    const value_type& body_;
    std::uint64_t done_ = 0;
    char buf_[64 * 1024];
  };
};

class ServerImpl final : public Server {
 public:
  explicit ServerImpl(Options options) : options_(std::move(options)) {}
  ~ServerImpl() override;

  Status Open();

  Service& service() override { return *service_; }
  void set_log_sink(LogSink sink) override { logger_->set_sink(std::move(sink)); }
  Status Start() override;
  Status StartOn(asio::io_context& io) override;
  std::string url() const override { return url_; }
  std::uint16_t port() const override { return port_; }
  void Shutdown() override;
  void Wait() override;

  // For sessions and listeners.
  const Options& options() const { return options_; }
  api::Api& api() { return *api_; }
  ssl::context* tls() { return tls_ ? &*tls_ : nullptr; }
  asio::io_context& io() { return *io_; }
  void Accepted(tcp::socket socket, api::Endpoint endpoint);
  realtime::Hub& hub() { return *hub_; }
  void RunBlocking(std::function<void()> task) { asio::post(*workers_, std::move(task)); }
  // Counts a connection from client address `address` (for
  // server.max_connections_per_address) until Unregister.
  void Register(Connection* c, std::weak_ptr<Connection> weak, const std::string& address);
  void Unregister(Connection* c);

 private:
  class Listener;

  Status Listen(const std::string& address, api::Endpoint endpoint, bool main);
  Status StartListening();
  void FinishIfDrained();  // mu_ held

  Options options_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<api::Logger> logger_;
  api::Metrics metrics_;
  std::unique_ptr<asio::thread_pool> workers_;
  std::unique_ptr<api::Api> api_;
  std::unique_ptr<realtime::Hub> hub_;
  std::optional<ssl::context> tls_;

  std::unique_ptr<asio::io_context> own_io_;
  asio::io_context* io_ = nullptr;
  std::vector<std::thread> threads_;
  std::vector<std::shared_ptr<Listener>> listeners_;
  std::string url_;
  std::uint16_t port_ = 0;

  std::mutex mu_;
  std::condition_variable drained_cv_;
  struct Tracked {
    std::weak_ptr<Connection> connection;
    std::string address;
  };
  std::unordered_map<Connection*, Tracked> connections_;
  std::unordered_map<std::string, int> per_address_;  // open connections by client address
  std::optional<WorkGuard> guard_;                    // keeps io_ running until drained
  // Shared with the cancel posted by FinishIfDrained, which may run after Wait.
  std::shared_ptr<asio::steady_timer> drain_timer_;
  bool started_ = false;
  bool shutting_down_ = false;
  bool drained_ = false;
  bool timer_done_ = false;  // the drain timer's handler has run (cancelled)
  bool waited_ = false;
};

// ---- WebSocket sessions ---------------------------------------------------

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
        frame_budget_{2.0 * options_.client_frame_rate, std::chrono::steady_clock::now()} {
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
    return frame_budget_.Take(rate, 2 * rate, std::chrono::steady_clock::now());
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
      const auto now = std::chrono::steady_clock::now();
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

// ---- HTTP sessions --------------------------------------------------------

template <class Stream>
class Session final : public Connection, public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... Args>
  Session(ServerImpl& server, api::Endpoint endpoint, std::string remote, Args&&... args)
      : server_(server),
        endpoint_(endpoint),
        remote_(std::move(remote)),
        stream_(std::forward<Args>(args)...),
        deadline_(stream_.get_executor()) {}

  ~Session() override { server_.Unregister(this); }

  const std::string& remote() const { return remote_; }

  void Run() {
    if constexpr (kTls) {
      Lowest().expires_after(server_.options().http.request_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->CloseNow();
                                self->WaitForRequest();
                              });
    } else {
      asio::dispatch(stream_.get_executor(),
                     [self = this->shared_from_this()] { self->WaitForRequest(); });
    }
  }

  void Drain() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->draining_ = true;
      // Between requests (idle, or a request still arriving): close now.
      if (!self->busy_) self->Lowest().cancel();
    });
  }

  void ForceClose() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->CloseNow(); });
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  // Waits (up to http.idle_timeout) for the first byte of the next request.
  void WaitForRequest() {
    if (draining_ || closed_) return CloseNow();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.options().http.max_header_bytes));
    // The body limit is applied once the header is in (OnHeader), so that a
    // refusal can answer with the request's own X-Request-Id and route.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());  // not boost::none: Beast 1.74
                                                                     // compares len > none as true
    if (buffer_.size() > 0) return ReadHeader();
    Lowest().expires_after(server_.options().http.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec)
                                return self->CloseNow();  // idle timeout, peer gone, or draining
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  // ---- read deadlines ------------------------------------------------------
  //
  // The request line and headers must arrive within http.request_timeout of
  // their first byte. A body must keep coming: no pause longer than
  // request_timeout, and its k-th byte by request_timeout + k /
  // http.min_body_rate after the headers (BodyDeadline), however long the
  // body. Past a deadline the read is cancelled and the client gets 408 and a
  // log line, not a silent close. (Beast's own stream timeout would close the
  // socket before an answer could be written: these reads run on deadline_.)
  void ArmDeadline(std::chrono::steady_clock::time_point at) {
    Lowest().expires_never();
    timed_out_ = false;
    deadline_.expires_at(at);
    deadline_.async_wait([self = this->shared_from_this(), read = ++reads_](beast::error_code ec) {
      // The read finished first (or, expiring as it finished, another began).
      if (ec || read != self->reads_) return;
      self->timed_out_ = true;
      self->Lowest().cancel();
    });
  }

  // Called when a deadline-guarded read completes: true if it was cut by the
  // deadline (rather than finishing, failing or being drained).
  bool DeadlinePassed() {
    deadline_.cancel();
    ++reads_;
    return timed_out_;
  }

  std::chrono::steady_clock::time_point BodyDeadline() const {
    const auto& http = server_.options().http;
    const auto now = std::chrono::steady_clock::now();
    auto at = now + http.request_timeout;  // the longest pause
    if (http.min_body_rate > 0) {
      const auto due = body_started_ + http.request_timeout +
                       std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           std::chrono::duration<double>(static_cast<double>(body_bytes_ + 1) /
                                                         static_cast<double>(http.min_body_rate)));
      at = std::min(at, due);
    }
    return at;
  }

  std::string BodyTooSlow() const {
    const auto& http = server_.options().http;
    return "the request body stalled or arrived too slowly (" + std::to_string(body_bytes_) +
           " bytes received): it may pause at most http.request_timeout (" +
           std::to_string(http.request_timeout.count()) +
           " s) and must average http.min_body_rate (" + std::to_string(http.min_body_rate) +
           " bytes/s)";
  }

  void ReadHeader() {
    ArmDeadline(std::chrono::steady_clock::now() + server_.options().http.request_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(beast::error_code ec) {
    if (DeadlinePassed() && ec) {
      return Reject(408, "request_timeout",
                    "the request line and headers did not arrive within http.request_timeout (" +
                        std::to_string(server_.options().http.request_timeout.count()) + " s)");
    }
    if (ec) return OnReadError(ec);
    body_started_ = std::chrono::steady_clock::now();
    body_bytes_ = 0;
    const auto& head = parser_->get();
    if (server_.api().IsUpload(
            std::string_view(head.method_string().data(), head.method_string().size()),
            std::string_view(head.target().data(), head.target().size()))) {
      return StartUpload();
    }
    const auto max_body = static_cast<std::uint64_t>(server_.options().http.max_body_bytes);
    const auto length = parser_->content_length();
    if (length && *length > max_body) return OnReadError(http::error::body_limit);
    parser_->body_limit(max_body);  // a chunked body is checked as it arrives
    const auto& req = parser_->get();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      // curl and others wait for this before they send a body.
      auto interim = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                        req.version());
      http::async_write(
          stream_, *interim,
          [self = this->shared_from_this(), interim](beast::error_code write_ec, std::size_t) {
            if (write_ec) return self->CloseNow();
            self->body_started_ = std::chrono::steady_clock::now();
            self->ReadBody();
          });
      return;
    }
    ReadBody();
  }

  // ---- uploads --------------------------------------------------------------
  //
  // An upload route's body is never read into memory: once its header is in,
  // the Api pre-authorizes it (token, membership, declared size, quota), so a
  // refusal costs no body bytes. Then the header parser continues as a
  // buffer_body parser that reads into a 64 KiB chunk, whose bytes are
  // appended to the Upload's temp file (hashed as it goes) after each read.
  // files.max_bytes replaces http.max_body_bytes; the body deadlines above
  // count progress, so a big file on a slow link is fine while a stalled one
  // is answered 408. A client that goes away drops the Upload, which removes
  // its temp file.
  static constexpr std::size_t kUploadChunk = 64 * 1024;

  void StartUpload() {
    const auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    head_only_ = false;
    api::Request r = MakeRequest();
    request_id_ = r.request_id;
    std::optional<std::uint64_t> length;
    if (parser_->content_length()) length = *parser_->content_length();
    const bool expect_continue = beast::iequals(req[http::field::expect], "100-continue");
    if (auto refused = server_.api().PreflightUpload(r, length)) {
      // The body stays unread: answer and close (CloseGracefully drains a little).
      keep_alive_ = false;
      busy_ = true;
      return Write(std::move(*refused));
    }
    auto upload = server_.service().files().BeginUpload();
    if (!upload.ok()) {
      keep_alive_ = false;
      busy_ = true;
      return Write(server_.api().Rejected(r, api::ErrorResponse(upload.status())));
    }
    upload_ = std::move(*upload);
    upload_request_ = std::move(r);
    upload_parser_.emplace(std::move(*parser_));
    upload_parser_->body_limit(static_cast<std::uint64_t>(server_.options().files.max_bytes));
    if (!chunk_) chunk_ = std::make_unique<char[]>(kUploadChunk);
    if (expect_continue) {
      auto interim =
          std::make_shared<http::response<http::empty_body>>(http::status::continue_, version_);
      http::async_write(
          stream_, *interim,
          [self = this->shared_from_this(), interim](beast::error_code write_ec, std::size_t) {
            if (write_ec) return self->CloseNow();
            self->body_started_ = std::chrono::steady_clock::now();
            self->ReadUploadChunk();
          });
      return;
    }
    ReadUploadChunk();
  }

  void ReadUploadChunk() {
    auto& body = upload_parser_->get().body();
    body.data = chunk_.get();
    body.size = kUploadChunk;
    ArmDeadline(BodyDeadline());
    http::async_read_some(stream_, buffer_, *upload_parser_,
                          [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                            self->OnUploadChunk(ec);
                          });
  }

  void OnUploadChunk(beast::error_code ec) {
    if (ec == http::error::need_buffer) ec = {};  // the chunk is full
    const bool too_slow = DeadlinePassed();
    if (ec) {
      upload_.reset();  // removes the temp file now
      if (too_slow) return RejectUpload(408, "request_timeout", BodyTooSlow());
      if (ec == http::error::body_limit) {
        return RejectUpload(413, "payload_too_large",
                            "the file exceeds files.max_bytes (" +
                                std::to_string(server_.options().files.max_bytes) + " bytes)");
      }
      // (Not OnReadError: parser_ was moved into upload_parser_.)
      if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
          ec != http::error::end_of_stream && ec != http::error::partial_message) {
        return RejectUpload(400, "invalid_argument", "malformed HTTP request: " + ec.message());
      }
      return CloseNow();  // the client went away or stalled
    }
    const std::size_t got = kUploadChunk - upload_parser_->get().body().size;
    body_bytes_ += got;
    if (got > 0) {
      Status st = upload_->Write(std::string_view(chunk_.get(), got));
      if (!st.ok()) {
        upload_.reset();
        // Over files.max_bytes (413), or a full disk (503 with Retry-After).
        return RejectUpload(api::PayloadErrorResponse(st));
      }
    }
    if (!upload_parser_->is_done()) return ReadUploadChunk();
    busy_ = true;
    keep_alive_ = upload_parser_->get().keep_alive();
    api::Request r = std::move(upload_request_);
    r.upload = std::move(upload_);
    upload_parser_.reset();
    Dispatch(std::move(r));
  }

  void RejectUpload(int status, std::string_view code, std::string message) {
    RejectUpload(api::ErrorResponse(status, code, message));
  }
  void RejectUpload(api::Response response) {
    keep_alive_ = false;
    busy_ = true;
    upload_parser_.reset();
    Write(server_.api().Rejected(upload_request_, std::move(response)));
  }

  // Reads the body a piece at a time, each under BodyDeadline.
  void ReadBody() {
    if (parser_->is_done()) return OnRequest();
    ArmDeadline(BodyDeadline());
    http::async_read_some(stream_, buffer_, *parser_,
                          [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                            if (self->DeadlinePassed() && ec) {
                              return self->Reject(408, "request_timeout", self->BodyTooSlow());
                            }
                            if (ec) return self->OnReadError(ec);
                            self->body_bytes_ += n;
                            self->ReadBody();
                          });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::header_limit) {
      return Reject(431, "payload_too_large",
                    "the request line and headers exceed http.max_header_bytes (" +
                        std::to_string(server_.options().http.max_header_bytes) + " bytes)");
    }
    if (ec == http::error::body_limit) {
      return Reject(413, "payload_too_large",
                    "the request body exceeds http.max_body_bytes (" +
                        std::to_string(server_.options().http.max_body_bytes) + " bytes)");
    }
    if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return Reject(400, "invalid_argument", "malformed HTTP request: " + ec.message());
    }
    // End of stream, timeout (a request that trickles in), reset, or draining.
    CloseNow();
  }

  api::Request MakeRequest() {
    const auto& req = parser_->get();
    api::Request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.authorization = std::string(req[http::field::authorization]);
    r.remote_address = remote_;
    r.websocket = websocket::is_upgrade(req);
    if (r.websocket) {
      r.origin = std::string(req[http::field::origin]);
      r.websocket_protocols = std::string(req[http::field::sec_websocket_protocol]);
    }
    r.range = std::string(req[http::field::range]);
    r.if_none_match = std::string(req[http::field::if_none_match]);
    r.if_range = std::string(req[http::field::if_range]);
    const std::string_view id(req["X-Request-Id"].data(), req["X-Request-Id"].size());
    r.request_id = UsableRequestId(id) ? std::string(id) : internal::NewId(internal::NowMillis());
    return r;
  }

  // The transport answers a broken request itself and closes the connection.
  void Reject(int status, std::string_view code, std::string message) {
    api::Request r;
    if (parser_ && parser_->is_header_done()) {
      r = MakeRequest();
    } else {
      r.request_id = internal::NewId(internal::NowMillis());
      r.remote_address = remote_;
    }
    head_only_ = false;
    keep_alive_ = false;
    version_ = 11;
    request_id_ = r.request_id;
    busy_ = true;
    Write(server_.api().Rejected(r, api::ErrorResponse(status, code, message)));
  }

  void OnRequest() {
    busy_ = true;
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    head_only_ = req.method() == http::verb::head;
    api::Request r = MakeRequest();
    r.body = std::move(req.body());
    Dispatch(std::move(r));
  }

  // Hands a complete request to the Api; the reply comes back to Write.
  void Dispatch(api::Request r) {
    request_id_ = r.request_id;
    // The reply may come from any thread; it hops back onto this strand. The
    // copies of the reply callback may outlive the answer on other threads
    // (the store's commit thread drops its copy last): they share one Pending,
    // which lets go of the session before the io_context's work count, so
    // that run() cannot return while a session (and its timer) still exists.
    struct Pending {
      WorkGuard guard;
      std::shared_ptr<Session> self;  // destroyed first: declared last
    };
    auto pending = std::make_shared<Pending>(
        Pending{WorkGuard(server_.io().get_executor()), this->shared_from_this()});
    server_.api().Handle(std::move(r), endpoint_, [pending](api::Response res) {
      asio::post(pending->self->stream_.get_executor(), [pending, res = std::move(res)]() mutable {
        if (res.websocket) return pending->self->Upgrade(std::move(*res.websocket));
        pending->self->Write(std::move(res));
      });
    });
  }

  // Hands the connection to a WsSession, which answers the handshake.
  void Upgrade(api::WebSocketUpgrade upgrade) {
    if (draining_) {
      keep_alive_ = false;
      return Write(api::ErrorResponse(Unavailable("the server is shutting down")));
    }
    auto ws = std::make_shared<WsSession<Stream>>(server_, std::move(stream_));
    server_.Register(ws.get(), ws, remote_);
    ws->Run(parser_->release(), std::move(upgrade));
    closed_ = true;  // the socket is the WsSession's now
  }

  void Write(api::Response r) {
    if (r.file) return WriteFile(std::move(r));
    res_ = {};
    res_.version(version_);
    res_.result(static_cast<unsigned>(r.status));
    res_.set("X-Request-Id", request_id_);
    for (auto& [name, value] : r.headers) res_.set(name, value);
    if (r.status != 204) {
      res_.set(http::field::content_type, r.content_type);
      if (head_only_) {
        res_.content_length(r.body.size());
      } else {
        res_.body() = std::move(r.body);
        res_.prepare_payload();
      }
    }
    res_.keep_alive(keep_alive_ && !draining_);
    Lowest().expires_after(server_.options().http.request_timeout);
    http::async_write(stream_, res_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->busy_ = false;
                        if (ec) return self->CloseNow();
                        if (!self->res_.keep_alive()) return self->CloseGracefully();
                        self->WaitForRequest();
                      });
  }

  // A file body, written a piece at a time: http.request_timeout applies to
  // each piece (the client must keep reading), not to the whole download.
  void WriteFile(api::Response r) {
    file_res_.emplace();
    auto& res = *file_res_;
    res.version(version_);
    res.result(static_cast<unsigned>(r.status));
    res.set("X-Request-Id", request_id_);
    for (auto& [name, value] : r.headers) res.set(name, value);
    res.set(http::field::content_type, r.content_type);
    if (head_only_) {
      res.content_length(r.file->length);
    } else {
      res.body() = FileRangeBody::value_type{std::move(r.file->fd), r.file->offset, r.file->length};
      res.prepare_payload();
    }
    res.keep_alive(keep_alive_ && !draining_);
    file_sr_.emplace(res);
    WriteFileSome();
  }

  void WriteFileSome() {
    Lowest().expires_after(server_.options().http.request_timeout);
    http::async_write_some(stream_, *file_sr_,
                           [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                             if (ec) return self->CloseNow();
                             if (!self->file_sr_->is_done()) return self->WriteFileSome();
                             self->busy_ = false;
                             const bool keep = self->file_res_->keep_alive();
                             self->file_sr_.reset();
                             self->file_res_.reset();  // closes the file
                             if (!keep) return self->CloseGracefully();
                             self->WaitForRequest();
                           });
  }

  // After a final response: stop sending, then drain what the client still
  // sends (briefly) so the kernel does not reset the connection under the
  // response it has not read yet.
  void CloseGracefully() {
    if (closed_) return;
    if constexpr (kTls) {
      Lowest().expires_after(std::chrono::seconds(1));
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->CloseNow(); });
    } else {
      beast::error_code ignored;
      Socket(stream_).shutdown(tcp::socket::shutdown_send, ignored);
      Lowest().expires_after(std::chrono::seconds(1));
      Discard();
    }
  }

  void Discard() {
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec || self->discarded_ > (1u << 20)) return self->CloseNow();
                              self->discarded_ += n;
                              self->buffer_.consume(self->buffer_.size());
                              self->Discard();
                            });
  }

  void CloseNow() {
    upload_.reset();  // a half-received upload leaves nothing behind
    deadline_.cancel();
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    Socket(stream_).close(ignored);
  }

  ServerImpl& server_;
  const api::Endpoint endpoint_;
  const std::string remote_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  // An upload in progress (StartUpload) and a file being sent (WriteFile).
  std::optional<http::request_parser<http::buffer_body>> upload_parser_;
  std::shared_ptr<Upload> upload_;
  api::Request upload_request_;
  std::unique_ptr<char[]> chunk_;
  std::optional<http::response<FileRangeBody>> file_res_;
  std::optional<http::response_serializer<FileRangeBody>> file_sr_;
  // Read deadlines (ArmDeadline) and the body's progress (BodyDeadline).
  asio::steady_timer deadline_;
  bool timed_out_ = false;
  std::uint64_t reads_ = 0;  // deadline-guarded reads begun or ended
  std::chrono::steady_clock::time_point body_started_{};
  std::uint64_t body_bytes_ = 0;
  std::string request_id_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_only_ = false;
  bool busy_ = false;      // a request is being answered
  bool draining_ = false;  // the server is shutting down
  bool closed_ = false;
  std::size_t discarded_ = 0;
};

// ---- listeners ------------------------------------------------------------

class ServerImpl::Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(ServerImpl& server, api::Endpoint endpoint)
      : server_(server),
        endpoint_(endpoint),
        acceptor_(asio::make_strand(server.io())),
        retry_(acceptor_.get_executor()) {}

  Status Bind(const std::string& address, tcp::endpoint* bound) {
    auto parsed = ParseListenAddress(address);
    if (!parsed) return InvalidArgument("cannot listen on '" + address + "': expected HOST:PORT");
    beast::error_code ec;
    tcp::endpoint ep;
    auto ip = asio::ip::make_address(parsed->host, ec);
    if (!ec) {
      ep = tcp::endpoint(ip, parsed->port);
    } else {
      tcp::resolver resolver(server_.io());
      auto results = resolver.resolve(parsed->host, std::to_string(parsed->port), ec);
      if (ec || results.empty()) {
        return InvalidArgument("cannot listen on '" + address + "': unknown host '" + parsed->host +
                               "'");
      }
      ep = results.begin()->endpoint();
    }
    auto fail = [&](std::string_view what) {
      return Unavailable("cannot listen on " + address + ": " + std::string(what) + ": " +
                         ec.message());
    };
    acceptor_.open(ep.protocol(), ec);
    if (ec) return fail("open");
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) return fail("SO_REUSEADDR");
    acceptor_.bind(ep, ec);
    if (ec) return fail("bind");
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail("listen");
    *bound = acceptor_.local_endpoint(ec);
    if (ec) return fail("getsockname");
    return Status::Ok();
  }

  void Accept() {
    acceptor_.async_accept(
        asio::make_strand(server_.io()),
        [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
          if (!self->acceptor_.is_open()) return;
          if (ec) {
            if (ec == asio::error::operation_aborted) return;
            // Out of file descriptors and the like: back off instead of spinning.
            self->server_.api().logger().Log(LogLevel::kWarn, "accept failed",
                                             {{"error", ec.message()}});
            self->retry_.expires_after(std::chrono::milliseconds(100));
            self->retry_.async_wait([self](beast::error_code) { self->Accept(); });
            return;
          }
          self->server_.Accepted(std::move(socket), self->endpoint_);
          self->Accept();
        });
  }

  void Stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->acceptor_.close(ignored);
      self->retry_.cancel();
    });
  }

 private:
  ServerImpl& server_;
  const api::Endpoint endpoint_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_;
};

// ---- the server -----------------------------------------------------------

ServerImpl::~ServerImpl() {
  bool started;
  {
    std::lock_guard lock(mu_);
    started = started_;
  }
  if (started) {
    Shutdown();
    Wait();
  }
}

Status ServerImpl::Open() {
  logger_ = std::make_unique<api::Logger>(options_.log.level, nullptr);
  if (options_.tls.cert.empty() != options_.tls.key.empty()) {
    return InvalidArgument("tls.cert and tls.key must be set together");
  }
  if (!options_.tls.cert.empty()) {
    tls_.emplace(ssl::context::tls_server);
    tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                      ssl::context::single_dh_use);
    beast::error_code ec;
    tls_->use_certificate_chain_file(options_.tls.cert, ec);
    if (ec) return InvalidArgument("tls.cert '" + options_.tls.cert + "': " + TlsError(ec));
    tls_->use_private_key_file(options_.tls.key, ssl::context::pem, ec);
    if (ec) return InvalidArgument("tls.key '" + options_.tls.key + "': " + TlsError(ec));
  }
  QUIK_ASSIGN_OR_RETURN(service_, Service::Open(options_));
  hub_ = std::make_unique<realtime::Hub>(*internal::ContextOf(*service_));
  // The worker threads start with the server (StartListening), so that a
  // host can still block signals between Create and Start.
  api_ = std::make_unique<api::Api>(
      *service_, metrics_, *logger_,
      [this](std::function<void()> task) { asio::post(*workers_, std::move(task)); },
      [this](std::function<void()> task) { asio::post(*io_, std::move(task)); });
  return Status::Ok();
}

Status ServerImpl::Listen(const std::string& address, api::Endpoint endpoint, bool main) {
  auto listener = std::make_shared<Listener>(*this, endpoint);
  tcp::endpoint bound;
  QUIK_RETURN_IF_ERROR(listener->Bind(address, &bound));
  if (main) {
    port_ = bound.port();
    url_ = std::string(tls_ ? "https://" : "http://") + FormatEndpoint(bound);
  }
  listeners_.push_back(std::move(listener));
  return Status::Ok();
}

Status ServerImpl::StartListening() {
  {
    std::lock_guard lock(mu_);
    if (started_) return InvalidArgument("the server was already started");
  }
  const bool separate_metrics = !options_.server.metrics_listen.empty();
  Status st = Listen(options_.server.listen,
                     separate_metrics ? api::Endpoint::kApiOnly : api::Endpoint::kAll, true);
  if (st.ok() && separate_metrics) {
    st = Listen(options_.server.metrics_listen, api::Endpoint::kMetricsOnly, false);
  }
  if (!st.ok()) {
    listeners_.clear();
    return st;
  }
  workers_ = std::make_unique<asio::thread_pool>(
      static_cast<std::size_t>(std::max(1, options_.server.worker_threads)));
  st = hub_->Start([this](std::function<void()> task) { RunBlocking(std::move(task)); });
  if (!st.ok()) {
    listeners_.clear();
    workers_->join();
    return st;
  }
  api_->set_hub(hub_.get());
  st = internal::StartWorkers(
      *internal::ContextOf(*service_),
      [logger = logger_.get()](const std::string& worker, const Status& error) {
        logger->Log(LogLevel::kError, "background worker failed; retrying",
                    {{"worker", worker}, {"error", error.ToString()}});
      });
  if (!st.ok()) {
    listeners_.clear();
    hub_->Stop();
    workers_->join();
    return st;
  }
  {
    std::lock_guard lock(mu_);
    started_ = true;
    guard_.emplace(io_->get_executor());
  }
  for (auto& l : listeners_) l->Accept();
  return Status::Ok();
}

Status ServerImpl::Start() {
  int threads = options_.server.io_threads;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  own_io_ = std::make_unique<asio::io_context>(threads);
  io_ = own_io_.get();
  QUIK_RETURN_IF_ERROR(StartListening());
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_->run(); });
  return Status::Ok();
}

Status ServerImpl::StartOn(asio::io_context& io) {
  io_ = &io;
  return StartListening();
}

void ServerImpl::Accepted(tcp::socket socket, api::Endpoint endpoint) {
  beast::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  if (ec) return;  // already gone
  std::string remote = peer.address().to_string();
  {
    std::lock_guard lock(mu_);
    // One address may not take every connection: others still get theirs.
    const auto it = per_address_.find(remote);
    if (shutting_down_ ||
        connections_.size() >= static_cast<std::size_t>(options_.server.max_connections) ||
        (it != per_address_.end() && it->second >= options_.server.max_connections_per_address)) {
      metrics_.ConnectionRejected();
      socket.close(ec);
      return;
    }
  }
  socket.set_option(tcp::no_delay(true), ec);
  std::shared_ptr<Connection> session;
  if (tls_) {
    auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
        *this, endpoint, std::move(remote), std::move(socket), *tls_);
    Register(s.get(), s, s->remote());
    s->Run();
  } else {
    auto s = std::make_shared<Session<beast::tcp_stream>>(*this, endpoint, std::move(remote),
                                                          std::move(socket));
    Register(s.get(), s, s->remote());
    s->Run();
  }
}

void ServerImpl::Register(Connection* c, std::weak_ptr<Connection> weak,
                          const std::string& address) {
  metrics_.ConnectionOpened();
  std::lock_guard lock(mu_);
  connections_.emplace(c, Tracked{std::move(weak), address});
  ++per_address_[address];
}

void ServerImpl::Unregister(Connection* c) {
  metrics_.ConnectionClosed();
  std::lock_guard lock(mu_);
  if (auto it = connections_.find(c); it != connections_.end()) {
    auto count = per_address_.find(it->second.address);
    if (count != per_address_.end() && --count->second <= 0) per_address_.erase(count);
    connections_.erase(it);
  }
  FinishIfDrained();
}

void ServerImpl::FinishIfDrained() {
  if (!shutting_down_ || drained_ || !connections_.empty()) return;
  drained_ = true;
  if (drain_timer_ && !timer_done_) {
    asio::post(drain_timer_->get_executor(), [timer = drain_timer_] { timer->cancel(); });
  }
  guard_.reset();  // io_ may run out of work now
  drained_cv_.notify_all();
}

void ServerImpl::Shutdown() {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(mu_);
    if (!started_ || shutting_down_) return;
    shutting_down_ = true;
    api_->set_draining();
    for (auto& [ptr, entry] : connections_) {
      if (auto c = entry.connection.lock()) open.push_back(std::move(c));
    }
    drain_timer_ = std::make_shared<asio::steady_timer>(asio::make_strand(*io_));
    drain_timer_->expires_after(options_.server.drain_timeout);
    drain_timer_->async_wait([this](beast::error_code ec) {
      std::vector<std::shared_ptr<Connection>> left;
      if (!ec) {  // not drained in time
        {
          std::lock_guard connections_lock(mu_);
          for (auto& [ptr, entry] : connections_) {
            if (auto c = entry.connection.lock()) left.push_back(std::move(c));
          }
        }
        logger_->Log(LogLevel::kWarn, "drain timeout: closing connections",
                     {{"connections", left.size()}});
        for (auto& c : left) c->ForceClose();
        left.clear();
      }
      std::lock_guard done_lock(mu_);
      timer_done_ = true;  // this handler's last use of the server
      drained_cv_.notify_all();
    });
  }
  for (auto& l : listeners_) l->Stop();
  hub_->CloseAll(realtime::kCloseGoingAway,
                 "the server is shutting down; reconnect with after=SEQ");
  for (auto& c : open) c->Drain();
  open.clear();  // a session's last reference may go here: Unregister takes mu_
  std::lock_guard lock(mu_);
  FinishIfDrained();
}

void ServerImpl::Wait() {
  {
    std::unique_lock lock(mu_);
    if (!started_ || waited_) return;
    drained_cv_.wait(lock, [this] { return drained_ && timer_done_; });
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
  if (workers_) workers_->join();
  internal::StopWorkers(*internal::ContextOf(*service_));
  hub_->Stop();
  std::lock_guard lock(mu_);
  waited_ = true;
}

}  // namespace
}  // namespace net

Result<std::unique_ptr<Server>> Server::Create(const Options& options) {
  auto server = std::make_unique<net::ServerImpl>(options);
  QUIK_RETURN_IF_ERROR(server->Open());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace quik
