// SPDX-License-Identifier: MIT
// quik::net::HttpClient: a small synchronous HTTP/1.1 client (Boost.Beast),
// for quikctl's --server mode, the integration tests and the benchmarks.
//
// One client holds one connection, kept alive between requests; when the
// server has closed an idle connection, a request reconnects once. https://
// URLs use TLS and verify the server's certificate and host name, by default
// against the system CA store. No call throws: failures come back as Status
// (kUnavailable when the server cannot be reached or does not answer in time).
//
// Thread safety: a client is not thread-safe; use one per thread. It may be
// moved between threads while no request runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quik/status.hpp"

namespace quik::net {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct ClientOptions {
  // Time allowed to resolve, connect and (https) finish the TLS handshake.
  // Default: 30 s.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
  // Time allowed for one request: sending it and reading the whole response.
  // Default: 30 s.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  // https: verify the server's certificate chain and host name.
  // Default: true.
  bool verify_peer = true;
  // https: trust the CA certificates in this PEM file instead of the system
  // store. Default: empty (the system store).
  std::string ca_file;
  // Responses with a larger body fail with kResourceExhausted.
  // Default: 64 MiB.
  std::uint64_t max_body_bytes = std::uint64_t{64} << 20;
  // Sent with every request (before the request's own headers), e.g.
  // {"Authorization", "Bearer ..."}. Default: none.
  HttpHeaders default_headers;
  // The User-Agent header. Default: "quik-http-client/1".
  std::string user_agent = "quik-http-client/1";
  // When set, called with each address the host resolves to (text such as
  // "10.0.0.1" or "::1"); only the addresses it accepts are connected to, so
  // the check and the connection see the same resolution. If it refuses
  // every address, connecting fails with its first refusal. Default: unset
  // (every address).
  std::function<Status(const std::string& address)> check_address;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  HttpHeaders headers;  // in the order received

  // The first header of that name (case-insensitive); empty if none.
  std::string header(std::string_view name) const;
};

class HttpClient {
 public:
  // `base_url`: http://HOST[:PORT][/PREFIX] or https://...; HOST may be an
  // IPv6 literal in brackets. Connects at once: kUnavailable ("cannot reach
  // http://127.0.0.1:8470: connection refused") when that fails,
  // kInvalidArgument for a malformed URL.
  static Result<HttpClient> Connect(std::string_view base_url, ClientOptions options = {});

  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  ~HttpClient();

  // Sends `method` (GET, POST, ...) to PREFIX + `target` (which starts with
  // '/' and may carry a query string) and reads the whole response. A
  // non-empty body without a Content-Type header is sent as application/json.
  // Any HTTP status is a successful Result (redirects are not followed); only
  // transport failures are not.
  Result<HttpResponse> Request(std::string_view method, std::string_view target,
                               std::string_view body = {}, const HttpHeaders& headers = {});

  // "http://HOST:PORT" (no prefix), as error messages name the server.
  const std::string& origin() const;

  // Closes the connection; the next request opens a new one.
  void Close();

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace quik::net
