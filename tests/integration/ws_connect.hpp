// SPDX-License-Identifier: MIT
// A WebSocket client connected to an HttpFixture's server, or a failed test.
#pragma once

#include <memory>
#include <string>

#include "integration/http_fixture.hpp"
#include "testing/ws_client.hpp"

namespace quik_http {

// Connects to /api/v1/ws with `token` (and `query`, e.g. "after=12");
// REQUIREs the upgrade to succeed.
inline std::unique_ptr<quik_testing::WsClient> ConnectWs(HttpFixture& fx, const std::string& token,
                                                         const std::string& query = "") {
  quik_testing::WsClient::Options o;
  o.token = token;
  o.query = query;
  auto ws = quik_testing::WsClient::Connect(fx.port(), o);
  INFO(ws->error() << " http " << ws->http_status() << " " << ws->http_body());
  REQUIRE(ws->ok());
  return ws;
}

}  // namespace quik_http
