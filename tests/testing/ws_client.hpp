// SPDX-License-Identifier: MIT
// A real WebSocket client for tests (Boost.Beast over loopback): it reads
// every frame on its own thread into a queue, so a test can wait for the next
// frame with a timeout, send frames, and see how the server closed it.
//
//   auto ws = quik_testing::WsClient::Connect(port, {.token = token, .query = "after=12"});
//   REQUIRE(ws->ok());
//   auto hello = ws->Next();                 // nlohmann::json, or nullopt on timeout/close
//   ws->SendText(R"({"type":"ping"})");
//   CHECK(ws->WaitClosed(5s)); CHECK(ws->close_code() == 1008);
//
// Thread safety: one test thread drives it; the reader runs on its own.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <future>
#include <nlohmann/json.hpp>

namespace quik_testing {

class WsClient {
 public:
  struct Options {
    std::string token;                   // sent as "Authorization: Bearer ..." when set
    std::string query;                   // "after=12"
    std::string protocol;                // Sec-WebSocket-Protocol, e.g. "quik.v1.proto"
    std::string origin;                  // Origin header when set
    bool read = true;                    // false: never read (a slow consumer)
    int receive_buffer = 0;              // SO_RCVBUF when > 0
    std::string path = "/api/v1/ws";
    // Frames to ignore; by default the JSON presence.changed frames that
    // every connect and disconnect sends around (tests of presence clear it).
    std::function<bool(const std::string& data, bool binary)> drop = [](const std::string& data,
                                                                          bool binary) {
      return !binary && data.find("\"type\":\"presence.changed\"") != std::string::npos;
    };
  };

  struct Frame {
    std::string data;
    bool binary = false;
  };

  // Connects and performs the handshake; check ok() (or http_status() when the
  // server refused the upgrade).
  static std::unique_ptr<WsClient> Connect(std::uint16_t port, Options options) {
    std::unique_ptr<WsClient> c(new WsClient(std::move(options)));
    c->Open(port);
    return c;
  }

  ~WsClient() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    boost::asio::post(io_, [this] {
      boost::beast::error_code ignored;
      boost::beast::get_lowest_layer(ws_).socket().close(ignored);
    });
    guard_.reset();
    if (thread_.joinable()) thread_.join();
  }

  bool ok() const { return handshake_ok_; }
  int http_status() const { return http_status_; }
  const std::string& http_body() const { return http_body_; }
  const std::string& error() const { return error_; }

  void SendText(const std::string& data) { Write(data, false); }
  void SendBinary(const std::string& data) { Write(data, true); }
  // A WebSocket ping control frame (not the JSON {"type":"ping"}); false if
  // the connection is gone.
  bool SendPing() {
    std::promise<bool> done;
    boost::asio::post(io_, [&] {
      boost::beast::error_code ec;
      ws_.ping({}, ec);
      done.set_value(!ec);
    });
    return done.get_future().get();
  }

  // Starts reading (for a client made with read = false).
  void StartReading() {
    boost::asio::post(io_, [this] { ReadLoop(); });
  }

  // The next frame, or nullopt if none came within `timeout` (or the
  // connection closed first).
  std::optional<Frame> NextRaw(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [this] { return !frames_.empty() || closed_; });
    if (frames_.empty()) return std::nullopt;
    Frame f = std::move(frames_.front());
    frames_.pop_front();
    return f;
  }

  // The next frame as JSON (discarded JSON if it does not parse).
  std::optional<nlohmann::json> Next(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto f = NextRaw(timeout);
    if (!f) return std::nullopt;
    return nlohmann::json::parse(f->data, nullptr, false);
  }

  // The next frame whose "type" is not one of `skip` (typing, presence...).
  std::optional<nlohmann::json> NextOfType(std::string_view type,
                                           std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      auto j = Next(left);
      if (!j) return std::nullopt;
      if (j->is_object() && (*j)["type"] == type) return j;
    }
  }

  // Waits until the server closed the connection (or it broke).
  bool WaitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return closed_; });
  }
  // The close frame's code and reason (0 and "" if the connection ended without one).
  int close_code() {
    std::lock_guard lock(mu_);
    return close_code_;
  }
  std::string close_reason() {
    std::lock_guard lock(mu_);
    return close_reason_;
  }
  // How the read failed when there was no close frame.
  std::string close_error() {
    std::lock_guard lock(mu_);
    return close_error_;
  }
  std::size_t frames_received() {
    std::lock_guard lock(mu_);
    return received_;
  }

 private:
  explicit WsClient(Options options)
      : options_(std::move(options)), guard_(boost::asio::make_work_guard(io_)), ws_(io_) {}

  void Open(std::uint16_t port) {
    namespace beast = boost::beast;
    namespace http = beast::http;
    namespace websocket = beast::websocket;
    beast::error_code ec;
    auto& socket = beast::get_lowest_layer(ws_).socket();
    const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port);
    socket.open(ep.protocol(), ec);
    if (options_.receive_buffer > 0) {
      socket.set_option(boost::asio::socket_base::receive_buffer_size(options_.receive_buffer), ec);
    }
    socket.connect(ep, ec);
    if (ec) {
      error_ = "connect: " + ec.message();
      return;
    }
    ws_.set_option(websocket::stream_base::decorator([this](websocket::request_type& req) {
      if (!options_.token.empty()) req.set(http::field::authorization, "Bearer " + options_.token);
      if (!options_.protocol.empty()) req.set(http::field::sec_websocket_protocol, options_.protocol);
      if (!options_.origin.empty()) req.set(http::field::origin, options_.origin);
    }));
    ws_.read_message_max(64 << 20);
    websocket::response_type res;
    const std::string target = options_.path + (options_.query.empty() ? "" : "?" + options_.query);
    ws_.handshake(res, "127.0.0.1:" + std::to_string(port), target, ec);
    if (ec) {
      error_ = "handshake: " + ec.message();
      // Beast 1.74 leaves `res` empty when the upgrade is declined: ask again
      // over plain HTTP to see the server's answer.
      Probe(port, target);
      return;
    }
    http_status_ = static_cast<int>(res.result_int());
    handshake_ok_ = true;
    if (options_.read) ReadLoop();
    thread_ = std::thread([this] { io_.run(); });
  }

  void Probe(std::uint16_t port, const std::string& target) {
    namespace beast = boost::beast;
    namespace http = beast::http;
    beast::error_code ec;
    beast::tcp_stream stream(io_);
    stream.connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port), ec);
    if (ec) return;
    http::request<http::empty_body> req(http::verb::get, target, 11);
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    req.set(http::field::connection, "Upgrade");
    req.set(http::field::upgrade, "websocket");
    req.set(http::field::sec_websocket_version, "13");
    req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    if (!options_.token.empty()) req.set(http::field::authorization, "Bearer " + options_.token);
    if (!options_.origin.empty()) req.set(http::field::origin, options_.origin);
    http::write(stream, req, ec);
    if (ec) return;
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res, ec);
    http_status_ = static_cast<int>(res.result_int());
    http_body_ = res.body();
  }

  void ReadLoop() {
    ws_.async_read(buffer_, [this](boost::beast::error_code ec, std::size_t) {
      std::lock_guard lock(mu_);
      if (ec) {
        closed_ = true;
        // A close frame may have come before a failed teardown.
        if (ws_.reason().code != boost::beast::websocket::close_code::none) {
          close_code_ = ws_.reason().code;
          close_reason_ = std::string(ws_.reason().reason.c_str());
        }
        if (ec != boost::beast::websocket::error::closed) close_error_ = ec.message();
        cv_.notify_all();
        return;
      }
      Frame f{boost::beast::buffers_to_string(buffer_.data()), ws_.got_binary()};
      if (!options_.drop || !options_.drop(f.data, f.binary)) frames_.push_back(std::move(f));
      ++received_;
      buffer_.consume(buffer_.size());
      cv_.notify_all();
      if (!stopping_) boost::asio::post(io_, [this] { ReadLoop(); });
    });
  }

  void Write(const std::string& data, bool binary) {
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      boost::beast::error_code ec;
      ws_.binary(binary);
      ws_.write(boost::asio::buffer(data), ec);  // small frames: does not block for long
      done.set_value();
    });
    done.get_future().wait();
  }

  Options options_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  std::thread thread_;
  bool handshake_ok_ = false;
  int http_status_ = 0;
  std::string http_body_;
  std::string error_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Frame> frames_;
  std::size_t received_ = 0;
  bool closed_ = false;
  bool stopping_ = false;
  int close_code_ = 0;
  std::string close_reason_;
  std::string close_error_;
};

}  // namespace quik_testing
