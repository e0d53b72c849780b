// SPDX-License-Identifier: MIT
// net::ServerImpl, the quik::Server of net/server.cc, and what its
// listeners and sessions share. Included by net/server.cc only, through
// net/http_session.hpp and net/ws_session.hpp (one translation unit: all the
// Beast code of the server compiles together).
#pragma once

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

namespace quik::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;

// What the server needs of a session of either stream type.
class Connection {
 public:
  virtual ~Connection() = default;
  // Closes the connection once its current request (if any) is answered.
  virtual void Drain() = 0;
  // Closes it now.
  virtual void ForceClose() = 0;
};

template <class Stream>
tcp::socket& Socket(Stream& stream) {
  return beast::get_lowest_layer(stream).socket();
}

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
  // Hands `from`'s registration to `to` (a WebSocket upgrade: one connection,
  // counted once against the caps, whichever object holds it).
  void Transfer(Connection* from, Connection* to, std::weak_ptr<Connection> weak);
  // Forgets `c`; nothing if it was handed on.
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

// Serves HTTP (and WebSocket upgrades) on an accepted connection, registered
// with `server`. One translation unit per stream type (net/session_tcp.cc,
// net/session_tls.cc) holds its Beast instantiations, so they compile apart.
void StartSession(ServerImpl& server, api::Endpoint endpoint, std::string remote,
                  tcp::socket socket);
void StartTlsSession(ServerImpl& server, api::Endpoint endpoint, std::string remote,
                     tcp::socket socket, ssl::context& tls);

}  // namespace quik::net
