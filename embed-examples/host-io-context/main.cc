// SPDX-License-Identifier: MIT
// Runs the QuikApp server on the host's own boost::asio::io_context, beside the
// host's own work (a once-a-second timer here), on the host's threads.
//   embed_host_io DATA_DIR [--smoke]
// Runs until SIGINT or SIGTERM. --smoke: listens on any free port, GETs its own
// /healthz over HTTP, checks the 200 and shuts down.
//
// The rules (quik/server.hpp): the io_context must outlive the server and keep
// running until Wait returns, and Wait must not run on a thread that runs it.
// So the host's threads run io.run() and main calls Wait; io.run() returns once
// both the server (drained) and the host's own work are done.
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <quik/quik.hpp>
#include <quik/server.hpp>

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

int Fail(const std::string& what) {
  return std::fprintf(stderr, "embed_host_io: %s\n", what.c_str()), 1;
}

// The host's own work: a timer that ticks until stopped.
class Ticker {
 public:
  explicit Ticker(asio::strand<asio::io_context::executor_type> strand) : timer_(strand) {}
  void Start() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;  // cancelled: the host is stopping
      std::printf("host: tick %d\n", ++ticks_), std::fflush(stdout);
      Start();
    });
  }
  void Stop() { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
  int ticks_ = 0;
};

// GET /healthz with a plain synchronous Beast client; returns the status code.
int GetHealthz(std::uint16_t port, std::string* body) {
  asio::io_context client_io;  // the client's own: this thread does not run the host's
  boost::beast::tcp_stream stream(client_io);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> req(http::verb::get, "/healthz", 11);
  req.set(http::field::host, "127.0.0.1");
  http::write(stream, req);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  *body = res.body();
  return static_cast<int>(res.result_int());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return std::fprintf(stderr, "usage: embed_host_io DATA_DIR [--smoke]\n"), 2;
  const bool smoke = argc > 2 && std::string_view(argv[2]) == "--smoke";
  // Declared before the server: the io_context must outlive it.
  asio::io_context io;
  quik::Options opts;
  opts.data_dir = argv[1];
  if (smoke) opts.server.listen = "127.0.0.1:0";
  if (auto init = quik::InitDataDir(opts); !init.ok()) return Fail(init.status().ToString());
  auto created = quik::Server::Create(opts);
  if (!created.ok()) return Fail(created.status().ToString());
  std::unique_ptr<quik::Server> server = std::move(*created);

  auto host = asio::make_strand(io);  // the host's own work runs on this strand
  Ticker ticker(host);
  asio::signal_set signals(host, SIGINT, SIGTERM);
  // Stops the host's work and asks the server to stop; runs on `host`.
  auto stop = [&] {
    ticker.Stop();
    signals.cancel();
    server->Shutdown();  // returns at once; main's Wait sees the server through
  };
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) stop();
  });
  if (auto st = server->StartOn(io); !st.ok()) return Fail(st.ToString());
  ticker.Start();
  std::printf("serving %s\n", server->url().c_str()), std::fflush(stdout);

  std::vector<std::thread> threads;  // the host's threads: they run everything on `io`
  for (int i = 0; i < 2; ++i) threads.emplace_back([&io] { io.run(); });

  int rc = 0;
  if (smoke) {
    std::string body;
    int status = 0;
    try {
      status = GetHealthz(server->port(), &body);
    } catch (const std::exception& e) {
      body = e.what();
    }
    std::printf("GET /healthz: %d %s\n", status, body.c_str());
    if (status != 200) rc = Fail("GET /healthz did not answer 200");
    asio::post(host, stop);
  }
  server->Wait();  // on main, which does not run `io`: returns once Shutdown has drained
  for (auto& t : threads) t.join();  // io.run() returns once the host's work is done too
  return rc;
}
