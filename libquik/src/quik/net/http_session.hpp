// SPDX-License-Identifier: MIT
// net::Session: one HTTP/1.1 connection of the server (net/server.cc),
// uploads included, until it becomes a WsSession.
#pragma once

#include "net/request_head.hpp"
#include "net/server_impl.hpp"
#include "net/ws_session.hpp"

namespace quik::net {

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
    const HttpOptions& opts = server_.options().http;
    const auto now = std::chrono::steady_clock::now();
    auto at = now + opts.request_timeout;  // the longest pause
    if (opts.min_body_rate > 0) {
      const auto due = body_started_ + opts.request_timeout +
                       std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           std::chrono::duration<double>(static_cast<double>(body_bytes_ + 1) /
                                                         static_cast<double>(opts.min_body_rate)));
      at = std::min(at, due);
    }
    return at;
  }

  std::string BodyTooSlow() const {
    const HttpOptions& opts = server_.options().http;
    return "the request body stalled or arrived too slowly (" + std::to_string(body_bytes_) +
           " bytes received): it may pause at most http.request_timeout (" +
           std::to_string(opts.request_timeout.count()) +
           " s) and must average http.min_body_rate (" + std::to_string(opts.min_body_rate) +
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

  api::Request MakeRequest() { return RequestFromHead(parser_->get(), remote_); }

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
    // The same connection: it keeps its one place against the caps (this
    // session may linger until the last copy of its reply callback goes).
    server_.Transfer(this, ws.get(), ws);
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

}  // namespace quik::net
