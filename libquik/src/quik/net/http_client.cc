// SPDX-License-Identifier: MIT
// HttpClient on Boost.Beast. Every operation is asynchronous underneath and
// run to completion on the client's own io_context, so that connect and
// request timeouts (beast::tcp_stream deadlines) apply to blocking calls too.
#include "net/http_client.hpp"

#include <cctype>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/system/system_error.hpp>

namespace quik::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// System messages start upper-case ("Connection refused"); ours continue a
// sentence.
std::string Describe(const error_code& ec) {
  std::string m = ec.message();
  if (!m.empty()) m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
  return m;
}

std::string FormatDuration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

struct Url {
  bool tls = false;
  std::string host;         // without brackets
  std::string port;         // always set
  std::string prefix;       // "" or "/path" without a trailing '/'
  std::string host_header;  // HOST[:PORT], brackets for IPv6, port only when not the default
  std::string origin;       // SCHEME://HOST_HEADER
};

Result<Url> ParseUrl(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("invalid server URL '" + std::string(text) + "': " + why);
  };
  Url url;
  std::string_view rest = text;
  auto has_prefix = [&](std::string_view p) {
    return rest.size() >= p.size() && EqualsIgnoreCase(rest.substr(0, p.size()), p);
  };
  if (has_prefix("http://")) {
    rest.remove_prefix(7);
  } else if (has_prefix("https://")) {
    url.tls = true;
    rest.remove_prefix(8);
  } else {
    return bad("expected http://HOST:PORT or https://HOST:PORT");
  }
  std::size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view path = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) return bad("user info is not supported");
  if (!path.empty() && path[0] != '/') return bad("no query or fragment allowed");
  if (path.find_first_of("?#") != std::string_view::npos)
    return bad("no query or fragment allowed");
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  url.prefix = std::string(path);

  std::string_view host, port;
  if (!authority.empty() && authority[0] == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("expected :PORT after the IPv6 address");
      port = after.substr(1);
    }
  } else {
    std::size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (host.empty()) return bad("no host");
  std::string default_port = url.tls ? "443" : "80";
  if (port.empty()) port = default_port;
  long number = 0;
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c)) || number > 65535) return bad("bad port");
    number = number * 10 + (c - '0');
  }
  if (number < 1 || number > 65535) return bad("bad port");
  url.host = std::string(host);
  url.port = std::to_string(number);
  bool v6 = url.host.find(':') != std::string::npos;
  url.host_header = v6 ? "[" + url.host + "]" : url.host;
  if (url.port != default_port) url.host_header += ":" + url.port;
  url.origin = std::string(url.tls ? "https://" : "http://") + url.host_header;
  return url;
}

// A failure that a fresh connection may not have: the server closed an idle
// kept-alive connection before (or while) we sent the request.
bool IsStaleConnection(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == ssl::error::stream_truncated;
}

using Parser = http::response_parser<http::string_body>;

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return {};
}

struct HttpClient::Impl {
  Url url;
  ClientOptions options;
  asio::io_context ioc;
  std::unique_ptr<ssl::context> ssl_ctx;  // https only
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  bool connected() const { return plain != nullptr || tls != nullptr; }
  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  // Runs the io_context until the operation `start` began has completed.
  template <typename Start>
  error_code Run(Start&& start) {
    error_code result = asio::error::would_block;
    start([&result](error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  Status Unreachable(const std::string& why) const {
    return Unavailable("cannot reach " + url.origin + ": " + why);
  }

  Status InitTls() {
    ssl_ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    error_code ec;
    if (!options.verify_peer) {
      ssl_ctx->set_verify_mode(ssl::verify_none, ec);
      return Status::Ok();
    }
    ssl_ctx->set_verify_mode(ssl::verify_peer, ec);
    if (!ec) {
      if (options.ca_file.empty()) {
        ssl_ctx->set_default_verify_paths(ec);
      } else {
        ssl_ctx->load_verify_file(options.ca_file, ec);
        if (ec) {
          return InvalidArgument("cannot read CA file " + options.ca_file + ": " + Describe(ec));
        }
      }
    }
    if (ec) return Internal("TLS setup failed: " + Describe(ec));
    return Status::Ok();
  }

  Status Open() {
    Close();
    Clock::time_point deadline = Clock::now() + options.connect_timeout;

    tcp::resolver resolver(ioc);
    tcp::resolver::results_type endpoints;
    error_code ec = asio::error::would_block;
    bool resolved = false;
    resolver.async_resolve(url.host, url.port,
                           [&](error_code e, tcp::resolver::results_type results) {
                             ec = e;
                             endpoints = std::move(results);
                             resolved = true;
                           });
    ioc.restart();
    ioc.run_for(options.connect_timeout);
    if (!resolved) {
      resolver.cancel();
      ioc.restart();
      ioc.run();
      return Unreachable("resolving " + url.host + " timed out after " +
                         FormatDuration(options.connect_timeout));
    }
    if (ec) return Unreachable(Describe(ec));
    std::vector<tcp::endpoint> allowed;
    Status refused = Status::Ok();
    for (const auto& entry : endpoints) {
      if (options.check_address) {
        Status st = options.check_address(entry.endpoint().address().to_string());
        if (!st.ok()) {
          if (refused.ok()) refused = st;
          continue;
        }
      }
      allowed.push_back(entry.endpoint());
    }
    if (allowed.empty()) return refused.ok() ? Unreachable("no address") : refused;

    if (url.tls) {
      tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc, *ssl_ctx);
    } else {
      plain = std::make_unique<beast::tcp_stream>(ioc);
    }
    tcp().expires_at(deadline);
    ec = Run([&](auto handler) { tcp().async_connect(allowed, std::move(handler)); });
    if (ec) {
      Close();
      if (ec == beast::error::timeout) {
        return Unreachable("connecting timed out after " + FormatDuration(options.connect_timeout));
      }
      return Unreachable(Describe(ec));
    }
    error_code ignored;
    tcp().socket().set_option(tcp::no_delay(true), ignored);

    if (url.tls) {
      error_code not_ip;
      asio::ip::make_address(url.host, not_ip);
      // SNI names hosts, never addresses (RFC 6066).
      if (not_ip && !SSL_set_tlsext_host_name(tls->native_handle(), url.host.c_str())) {
        Close();
        return Internal("TLS setup failed: cannot set the server name");
      }
      if (options.verify_peer) tls->set_verify_callback(ssl::host_name_verification(url.host));
      tcp().expires_at(deadline);
      ec = Run([&](auto handler) { tls->async_handshake(ssl::stream_base::client, handler); });
      if (ec) {
        Close();
        if (ec == beast::error::timeout) {
          return Unreachable("TLS handshake timed out after " +
                             FormatDuration(options.connect_timeout));
        }
        return Unavailable("TLS handshake with " + url.origin + " failed: " + Describe(ec));
      }
    }
    tcp().expires_never();
    return Status::Ok();
  }

  void Close() {
    error_code ignored;
    if (plain) {
      plain->socket().shutdown(tcp::socket::shutdown_both, ignored);
      plain->close();
    }
    // No TLS close_notify: it would cost a round trip for nothing we need.
    if (tls) beast::get_lowest_layer(*tls).close();
    plain.reset();
    tls.reset();
    buffer.consume(buffer.size());
  }

  // Writes `request` and reads the response into `parser`. `*stage` says how
  // far it got: 0 nothing sent, 1 sent, 2 some response read.
  template <typename Stream>
  error_code Exchange(Stream& stream, const http::request<http::string_body>& request,
                      Parser& parser, int* stage) {
    *stage = 0;
    error_code ec = Run([&](auto handler) { http::async_write(stream, request, handler); });
    if (ec) return ec;
    *stage = 1;
    // The header first: Beast 1.74 ignores the body limit of a Content-Length
    // that arrives with the body in one eager read.
    ec = Run([&](auto handler) { http::async_read_header(stream, buffer, parser, handler); });
    if (parser.got_some()) *stage = 2;
    if (ec || parser.is_done()) return ec;
    return Run([&](auto handler) { http::async_read(stream, buffer, parser, handler); });
  }

  Result<HttpResponse> Send(const http::request<http::string_body>& request) {
    bool reused = connected();
    for (int attempt = 0;; ++attempt) {
      if (!connected()) QUIK_RETURN_IF_ERROR(Open());
      Parser parser;
      parser.body_limit(options.max_body_bytes);
      if (request.method() == http::verb::head) parser.skip(true);
      tcp().expires_after(options.request_timeout);
      int stage = 0;
      error_code ec =
          tls ? Exchange(*tls, request, parser, &stage) : Exchange(*plain, request, parser, &stage);
      if (!ec) {
        tcp().expires_never();
        auto& message = parser.get();
        HttpResponse response;
        response.status = static_cast<int>(message.result_int());
        for (const auto& field : message) {
          response.headers.emplace_back(std::string(field.name_string()),
                                        std::string(field.value()));
        }
        bool keep_alive = message.keep_alive();
        response.body = std::move(message.body());
        if (!keep_alive) Close();
        return response;
      }
      Close();
      if (reused && attempt == 0 && stage < 2 && IsStaleConnection(ec)) {
        reused = false;  // once: a fresh connection failing this way is a real failure
        continue;
      }
      if (ec == beast::error::timeout) {
        return Unavailable("no response from " + url.origin + " within " +
                           FormatDuration(options.request_timeout));
      }
      if (ec == http::error::body_limit) {
        return ResourceExhausted("the response from " + url.origin + " is larger than " +
                                 std::to_string(options.max_body_bytes) + " bytes");
      }
      if (stage == 2) return Unavailable("bad response from " + url.origin + ": " + Describe(ec));
      return Unavailable("request to " + url.origin + " failed: " + Describe(ec));
    }
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;
HttpClient::~HttpClient() {
  if (impl_) impl_->Close();
}

Result<HttpClient> HttpClient::Connect(std::string_view base_url, ClientOptions options) {
  try {
    QUIK_ASSIGN_OR_RETURN(Url url, ParseUrl(base_url));
    auto impl = std::make_unique<Impl>();
    impl->url = std::move(url);
    impl->options = std::move(options);
    if (impl->url.tls) QUIK_RETURN_IF_ERROR(impl->InitTls());
    QUIK_RETURN_IF_ERROR(impl->Open());
    return HttpClient(std::move(impl));
  } catch (const boost::system::system_error& e) {
    return Unavailable("cannot reach " + std::string(base_url) + ": " + Describe(e.code()));
  } catch (const std::exception& e) {
    return Internal(std::string("HTTP client: ") + e.what());
  }
}

Result<HttpResponse> HttpClient::Request(std::string_view method, std::string_view target,
                                         std::string_view body, const HttpHeaders& headers) {
  if (!impl_) return Internal("HttpClient used after move");
  if (target.empty() || target[0] != '/') {
    return InvalidArgument("HTTP request target must start with '/': " + std::string(target));
  }
  try {
    http::request<http::string_body> request;
    beast::string_view method_name(method.data(), method.size());
    http::verb verb = http::string_to_verb(method_name);
    if (verb == http::verb::unknown) {
      request.method_string(method_name);
    } else {
      request.method(verb);
    }
    request.target(impl_->url.prefix + std::string(target));
    request.version(11);
    request.set(http::field::host, impl_->url.host_header);
    if (!impl_->options.user_agent.empty()) {
      request.set(http::field::user_agent, impl_->options.user_agent);
    }
    for (const auto& [name, value] : impl_->options.default_headers) request.set(name, value);
    // The request's own headers replace defaults of the same name.
    for (const auto& [name, value] : headers) request.erase(name);
    for (const auto& [name, value] : headers) request.insert(name, value);
    if (!body.empty()) {
      request.body() = std::string(body);
      if (request.find(http::field::content_type) == request.end()) {
        request.set(http::field::content_type, "application/json");
      }
    }
    request.keep_alive(true);
    request.prepare_payload();
    return impl_->Send(request);
  } catch (const boost::system::system_error& e) {
    impl_->Close();
    return Unavailable("request to " + impl_->url.origin + " failed: " + Describe(e.code()));
  } catch (const std::exception& e) {
    impl_->Close();
    return Internal(std::string("HTTP client: ") + e.what());
  }
}

const std::string& HttpClient::origin() const {
  static const std::string kNone;
  return impl_ ? impl_->url.origin : kNone;
}

void HttpClient::Close() {
  if (impl_) impl_->Close();
}

}  // namespace quik::net
