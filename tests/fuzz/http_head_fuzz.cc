// SPDX-License-Identifier: MIT
// The HTTP request head as the server reads it: Beast's parser with the
// server's limits, then what the Api decodes of it (net/request_head.hpp,
// api/decode.hpp): path segments, query parameters, Authorization, Range,
// If-None-Match / If-Range.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/beast/http.hpp>

#include "api/api.hpp"
#include "api/decode.hpp"
#include "net/request_head.hpp"
#include "quik/options.hpp"

namespace {

namespace http = boost::beast::http;

void CheckRange(std::string_view header, std::uint64_t size) {
  quik::api::ByteRange range{0, size};
  if (quik::api::ParseRange(header, size, &range) != quik::api::RangeKind::kSatisfiable) return;
  // A satisfiable range is a non-empty part of the file.
  if (range.length == 0 || range.first >= size || range.length > size - range.first) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const quik::Options defaults;
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(defaults.http.max_header_bytes));
  parser.body_limit(static_cast<std::uint64_t>(defaults.http.max_body_bytes));
  parser.eager(true);
  // As Beast's read does: bytes arrive in reads (here of up to 64), the
  // parser is given what it has not consumed, and after need_more it is
  // called again only once another read has added bytes.
  constexpr std::size_t kRead = 64;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string buffer;
  boost::beast::error_code ec;
  while (!parser.is_done()) {
    if (input.empty() && buffer.empty()) break;
    const std::size_t take = std::min(kRead, input.size());
    if (take == 0) {
      // The connection ends here (as Beast's read does on end of stream).
      ec = {};
      if (parser.got_some()) parser.put_eof(ec);
      break;
    }
    buffer.append(input.substr(0, take));
    input.remove_prefix(take);
    for (;;) {
      const std::size_t n = parser.put(boost::asio::buffer(buffer.data(), buffer.size()), ec);
      buffer.erase(0, n);
      if (ec || n == 0 || parser.is_done() || buffer.empty()) break;
    }
    if (ec == http::error::need_more) {
      ec = {};
      continue;
    }
    if (ec) break;
  }
  if (!parser.is_header_done()) return 0;

  const quik::api::Request r = quik::net::RequestFromHead(parser.get(), "192.0.2.1:40000");
  const std::size_t qmark = r.target.find('?');
  const std::string_view path = std::string_view(r.target).substr(0, qmark);
  const std::string_view query = qmark == std::string::npos
                                     ? std::string_view()
                                     : std::string_view(r.target).substr(qmark + 1);
  std::size_t start = path.empty() ? 0 : 1;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    (void)quik::api::PercentDecode(path.substr(start, end - start), false);
    start = end + 1;
  }
  for (const char* key : {"limit", "cursor", "after", "before", "wait", "q", "sort", "unread"}) {
    (void)quik::api::QueryParam(query, key);
  }
  (void)quik::api::BearerSecret(r.authorization);
  for (std::uint64_t file_size : {0ULL, 1ULL, 1000ULL, 1ULL << 40}) CheckRange(r.range, file_size);
  const std::string etag = "\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"";
  (void)quik::api::EtagListed(r.if_none_match, etag);
  (void)quik::api::EtagListed(r.if_range, etag);
  return 0;
}
