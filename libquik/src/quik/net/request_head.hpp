// SPDX-License-Identifier: MIT
// A parsed HTTP request head as the Api sees it (api::Request): what
// net/server.cc hands on, and what tests/fuzz feeds from Beast's parser.
#pragma once

#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>

#include "api/api.hpp"

namespace quik::net {

// A client-supplied X-Request-Id is kept if it is short and plain.
bool UsableRequestId(std::string_view id);

// Method, target and the headers the Api reads (the body is not copied); the
// request id is the client's if usable, else a new one.
api::Request RequestFromHead(const boost::beast::http::request_header<>& head,
                             std::string remote_address);

}  // namespace quik::net
