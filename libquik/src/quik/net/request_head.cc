// SPDX-License-Identifier: MIT
#include "net/request_head.hpp"

#include <algorithm>

#include <boost/beast/websocket/rfc6455.hpp>

#include "common/ids.hpp"

namespace quik::net {

namespace http = boost::beast::http;

bool UsableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == ':';
  });
}

api::Request RequestFromHead(const http::request_header<>& req, std::string remote_address) {
  api::Request r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  r.authorization = std::string(req[http::field::authorization]);
  r.remote_address = std::move(remote_address);
  r.websocket = boost::beast::websocket::is_upgrade(req);
  if (r.websocket) {
    r.origin = std::string(req[http::field::origin]);
    r.websocket_protocols = std::string(req[http::field::sec_websocket_protocol]);
  }
  r.range = std::string(req[http::field::range]);
  r.if_none_match = std::string(req[http::field::if_none_match]);
  r.if_range = std::string(req[http::field::if_range]);
  const std::string_view id(req["X-Request-Id"].data(), req["X-Request-Id"].size());
  r.request_id = UsableRequestId(id) ? std::string(id) : internal::NewId(internal::NowMillis());
  return r;
}

}  // namespace quik::net
