// SPDX-License-Identifier: MIT
// quik::Server: the HTTP API (CONTRACT.md section 2) over a quik::Service.
//
//   quik::Options opts;
//   opts.data_dir = "/var/lib/myapp/chat";     // initialised (quik::InitDataDir)
//   auto server = quik::Server::Create(opts);  // opens the data dir
//   if (!server.ok()) { /* server.status().message() */ }
//   (*server)->Start();                         // listens on opts.server.listen
//   ... (*server)->service() is the same API in-process ...
//   (*server)->Shutdown(); (*server)->Wait();
//
// The server runs either on its own threads (Start: server.io_threads network
// threads plus server.worker_threads for blocking calls) or on an
// io_context that the host runs (StartOn). Every request is authenticated,
// rate-limited and answered through the same service layer as quikctl.
//
// Thread safety: Create, Start/StartOn and Wait are called by the owner;
// Shutdown, url() and port() may be called from any thread, including a signal
// watcher. The log sink is called from the server's threads, never under a
// library lock, and must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "quik/options.hpp"
#include "quik/service.hpp"
#include "quik/status.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace quik {

// Receives each log record as one JSON object without a trailing newline:
// {"ts":"...","level":"info","msg":"request","request_id":"...",...}.
using LogSink = std::function<void(LogLevel level, std::string_view json_line)>;

class Server {
 public:
  // Opens `options.data_dir` (which must be initialised) and checks the TLS
  // files; nothing listens, and no thread starts, until Start or StartOn (a
  // host that waits for signals with sigwait blocks them before Start).
  static Result<std::unique_ptr<Server>> Create(const Options& options);

  // Shuts down and waits, if still running.
  virtual ~Server() = default;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The in-process API over the same data dir.
  virtual Service& service() = 0;

  // Calls `listener` with every event committed from now on by any process
  // on the data dir, in seq order, on the library's event thread (the rules
  // of EventService::Subscribe in quik/events.hpp). Returns the id for
  // service().events().Unsubscribe.
  Result<std::uint64_t> on_event(EventListener listener) {
    return service().events().Subscribe(std::move(listener));
  }

  // Where log records go (default: stderr, one line each, at options.log.level
  // and above). Set before Start.
  virtual void set_log_sink(LogSink sink) = 0;

  // Binds the listener(s) and serves on the server's own threads. Fails (and
  // serves nothing) if an address cannot be bound.
  virtual Status Start() = 0;

  // Binds and serves on `io`, which the host runs on threads of its own; the
  // blocking calls still run on the server's worker threads. `io` must outlive
  // the server, and must keep running until Wait returns.
  virtual Status StartOn(boost::asio::io_context& io) = 0;

  // The bound address as "http://HOST:PORT" ("https://" with TLS) and its
  // port, after a successful Start; with port 0 in the options, the port the
  // system picked.
  virtual std::string url() const = 0;
  virtual std::uint16_t port() const = 0;

  // Stops accepting connections, lets in-flight requests finish (for up to
  // server.drain_timeout) and closes every connection. Returns at once; safe to
  // call more than once and from any thread.
  virtual void Shutdown() = 0;

  // Blocks until the server has stopped after Shutdown, with every connection
  // closed and (Start) its threads joined. Not from a thread that runs the
  // server's io_context.
  virtual void Wait() = 0;

 protected:
  Server() = default;
};

}  // namespace quik
