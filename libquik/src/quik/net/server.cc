// SPDX-License-Identifier: MIT
// quik::Server on Boost.Beast: listeners, HTTP/1.1 sessions, TLS and shutdown.
//
// The shape follows Beast's advanced server: one strand per connection, the
// session reads a request, hands it to api::Api and writes the reply before it
// reads the next one (no pipelining), so each connection holds at most one
// request and one response. Everything about routes and JSON lives in api/;
// the server only moves bytes, enforces the transport limits and timeouts and
// drains on shutdown. Its Beast code is this file (listeners, the server),
// net/server_impl.hpp (what they share), net/http_session.hpp (HTTP sessions
// and uploads) and net/ws_session.hpp (WebSocket sessions); the sessions are
// compiled once per stream type, in net/session_tcp.cc and net/session_tls.cc.
#include <openssl/err.h>

#include "net/server_impl.hpp"

namespace quik {
namespace net {
namespace {

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

}  // namespace

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
  if (tls_) {
    StartTlsSession(*this, endpoint, std::move(remote), std::move(socket), *tls_);
  } else {
    StartSession(*this, endpoint, std::move(remote), std::move(socket));
  }
}

void ServerImpl::Register(Connection* c, std::weak_ptr<Connection> weak,
                          const std::string& address) {
  metrics_.ConnectionOpened();
  std::lock_guard lock(mu_);
  connections_.emplace(c, Tracked{std::move(weak), address});
  ++per_address_[address];
}

void ServerImpl::Transfer(Connection* from, Connection* to, std::weak_ptr<Connection> weak) {
  std::lock_guard lock(mu_);
  auto it = connections_.find(from);
  if (it == connections_.end()) return;
  Tracked tracked{std::move(weak), std::move(it->second.address)};
  connections_.erase(it);
  connections_.emplace(to, std::move(tracked));
}

void ServerImpl::Unregister(Connection* c) {
  std::lock_guard lock(mu_);
  if (auto it = connections_.find(c); it != connections_.end()) {
    metrics_.ConnectionClosed();
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
  internal::Context& ctx = *internal::ContextOf(*service_);
  // Requests still on the service's pools finish (their replies now go
  // nowhere) while the API they report to is still here.
  ctx.upload_pool().Stop();
  ctx.auth_pool().Stop();
  internal::StopWorkers(ctx);
  hub_->Stop();
  std::lock_guard lock(mu_);
  waited_ = true;
}

}  // namespace net

Result<std::unique_ptr<Server>> Server::Create(const Options& options) {
  auto server = std::make_unique<net::ServerImpl>(options);
  QUIK_RETURN_IF_ERROR(server->Open());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace quik
