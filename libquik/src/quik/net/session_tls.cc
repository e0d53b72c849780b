// SPDX-License-Identifier: MIT
// HTTP and WebSocket sessions over TLS (net/http_session.hpp,
// net/ws_session.hpp): their one instantiation, in a translation unit of its own.
#include "net/http_session.hpp"

namespace quik::net {

void StartTlsSession(ServerImpl& server, api::Endpoint endpoint, std::string remote,
                     tcp::socket socket, ssl::context& tls) {
  auto session = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
      server, endpoint, std::move(remote), std::move(socket), tls);
  server.Register(session.get(), session, session->remote());
  session->Run();
}

}  // namespace quik::net
