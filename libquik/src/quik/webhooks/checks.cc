// SPDX-License-Identifier: MIT
// URL and address checks, patterns, signatures and the retry schedule.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "common/text.hpp"
#include "quik/webhooks.hpp"
#include "webhooks/webhooks_internal.hpp"

namespace quik {

std::string_view DeliveryStatusName(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::kPending:
      return "pending";
    case DeliveryStatus::kSucceeded:
      return "succeeded";
    case DeliveryStatus::kFailed:
      return "failed";
  }
  return "failed";
}

std::optional<DeliveryStatus> ParseDeliveryStatus(std::string_view name) {
  for (DeliveryStatus s :
       {DeliveryStatus::kPending, DeliveryStatus::kSucceeded, DeliveryStatus::kFailed}) {
    if (DeliveryStatusName(s) == name) return s;
  }
  return std::nullopt;
}

namespace webhooks {
namespace {

namespace ip = boost::asio::ip;

constexpr std::string_view kConfigKey = "webhooks.allow_private_addresses";

bool InV4(std::uint32_t a, std::uint32_t net, int bits) {
  const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
  return (a & mask) == (net & mask);
}

constexpr std::uint32_t V4(int a, int b, int c, int d) {
  return (static_cast<std::uint32_t>(a) << 24) | (static_cast<std::uint32_t>(b) << 16) |
         (static_cast<std::uint32_t>(c) << 8) | static_cast<std::uint32_t>(d);
}

// The IANA IPv4 Special-Purpose Address Registry, with multicast and the
// limited broadcast address: every range, globally reachable or not (no
// webhook receiver lives at an AS112 or anycast relay address).
struct V4Range {
  std::uint32_t net;
  int bits;
  const char* reason;
};
constexpr V4Range kSpecialV4[] = {
    {V4(0, 0, 0, 0), 8, "unspecified"},          // "this network"
    {V4(10, 0, 0, 0), 8, "private"},             // RFC 1918
    {V4(100, 64, 0, 0), 10, "CGNAT"},            // shared address space
    {V4(127, 0, 0, 0), 8, "loopback"},           //
    {V4(169, 254, 0, 0), 16, "link-local"},      // cloud metadata lives here
    {V4(172, 16, 0, 0), 12, "private"},          // RFC 1918
    {V4(192, 0, 0, 0), 24, "IETF protocol"},     // DS-Lite, PCP, TURN, NAT64 discovery
    {V4(192, 0, 2, 0), 24, "documentation"},     // TEST-NET-1
    {V4(192, 31, 196, 0), 24, "AS112"},          //
    {V4(192, 52, 193, 0), 24, "AMT"},            //
    {V4(192, 88, 99, 0), 24, "6to4 relay"},      // deprecated anycast
    {V4(192, 168, 0, 0), 16, "private"},         // RFC 1918
    {V4(192, 175, 48, 0), 24, "AS112"},          // direct delegation
    {V4(198, 18, 0, 0), 15, "benchmarking"},     //
    {V4(198, 51, 100, 0), 24, "documentation"},  // TEST-NET-2
    {V4(203, 0, 113, 0), 24, "documentation"},   // TEST-NET-3
    {V4(224, 0, 0, 0), 4, "multicast"},          //
    {V4(255, 255, 255, 255), 32, "broadcast"},   // before 240/4, which holds it
    {V4(240, 0, 0, 0), 4, "reserved"},           //
};

std::optional<std::string> ReasonV4(std::uint32_t a) {
  for (const V4Range& r : kSpecialV4) {
    if (InV4(a, r.net, r.bits)) return std::string(r.reason);
  }
  return std::nullopt;
}

// The IANA IPv6 Special-Purpose Address Registry, and everything outside
// 2000::/3 (global unicast), the only block IANA hands out. Addresses that
// embed an IPv4 address in a translation or tunnel prefix (NAT64, 6to4,
// Teredo) are refused whatever they embed: they lead through a relay to
// wherever the embedded address points. An IPv4-mapped address
// (::ffff:a.b.c.d) is that IPv4 address on the wire, so it is judged by it.
struct V6Range {
  std::array<unsigned char, 6> prefix;  // the first bytes; enough for every range here
  int bits;
  const char* reason;
};
constexpr V6Range kSpecialV6[] = {
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x00}, 96, "NAT64"},            // 64:ff9b::/96
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, "NAT64 local-use"},  // 64:ff9b:1::/48
    {{0x01, 0x00, 0x00, 0x00, 0x00, 0x00}, 64, "discard-only"},     // 100::/64
    {{0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00}, 32, "documentation"},    // 2001:db8::/32
    {{0x20, 0x01, 0x00, 0x00, 0x00, 0x00}, 32, "Teredo"},           // 2001::/32
    {{0x20, 0x01, 0x00, 0x00, 0x00, 0x00}, 23, "IETF protocol"},    // 2001::/23
    {{0x20, 0x02, 0x00, 0x00, 0x00, 0x00}, 16, "6to4"},             // 2002::/16
    {{0x3f, 0xff, 0x00, 0x00, 0x00, 0x00}, 20, "documentation"},    // 3fff::/20
    {{0x5f, 0x00, 0x00, 0x00, 0x00, 0x00}, 16, "SRv6 SID"},         // 5f00::/16
    {{0xfc, 0x00, 0x00, 0x00, 0x00, 0x00}, 7, "private"},           // fc00::/7 unique local
    {{0xfe, 0x80, 0x00, 0x00, 0x00, 0x00}, 10, "link-local"},       // fe80::/10
    {{0xfe, 0xc0, 0x00, 0x00, 0x00, 0x00}, 10, "private"},          // fec0::/10 site-local
    {{0xff, 0x00, 0x00, 0x00, 0x00, 0x00}, 8, "multicast"},         // ff00::/8
};

bool InV6(const ip::address_v6::bytes_type& b, const V6Range& r) {
  // The bits past the 48 given must be zero for /64 and /96 ranges.
  for (int bit = 0; bit < r.bits; ++bit) {
    const unsigned char want =
        bit < 48 ? static_cast<unsigned char>(
                       (r.prefix[static_cast<std::size_t>(bit / 8)] >> (7 - bit % 8)) & 1)
                 : 0;
    if (((b[static_cast<std::size_t>(bit / 8)] >> (7 - bit % 8)) & 1) != want) return false;
  }
  return true;
}

std::optional<std::string> ReasonV6(const ip::address_v6::bytes_type& b) {
  auto all_zero = [&](int from, int to) {
    return std::all_of(b.begin() + from, b.begin() + to, [](unsigned char c) { return c == 0; });
  };
  if (all_zero(0, 16)) return "unspecified";
  if (all_zero(0, 15) && b[15] == 1) return "loopback";
  // ::ffff:a.b.c.d (IPv4-mapped): the IPv4 address.
  if (all_zero(0, 10) && b[10] == 0xff && b[11] == 0xff) {
    return ReasonV4(V4(b[12], b[13], b[14], b[15]));
  }
  if (all_zero(0, 12)) return "IPv4-compatible";  // ::a.b.c.d, deprecated
  for (const V6Range& r : kSpecialV6) {
    if (InV6(b, r)) return std::string(r.reason);
  }
  if ((b[0] & 0xe0) != 0x20) return "reserved";  // outside 2000::/3
  return std::nullopt;
}

std::string Article(std::string_view word) {
  return std::string(word.empty() ||
                             std::string_view("aeiouAEIOU").find(word[0]) == std::string_view::npos
                         ? "a "
                         : "an ") +
         std::string(word);
}

bool ValidHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

}  // namespace

std::optional<std::string> BlockedAddressReason(std::string_view text) {
  boost::system::error_code ec;
  ip::address a = ip::make_address(std::string(text), ec);
  if (ec) return "not an IP address";
  if (a.is_v4()) return ReasonV4(a.to_v4().to_uint());
  return ReasonV6(a.to_v6().to_bytes());
}

Status CheckAddress(std::string_view address) {
  auto reason = BlockedAddressReason(address);
  if (!reason) return Status::Ok();
  return InvalidArgument("webhook address " + std::string(address) + " is " + Article(*reason) +
                         " address; webhooks may reach only public addresses unless " +
                         std::string(kConfigKey) + " = true in quik.toml");
}

Result<WebhookUrl> ParseWebhookUrl(std::string_view text) {
  auto bad = [&](const std::string& why) {
    std::string shown(text.substr(0, 200));
    return InvalidArgument("invalid webhook URL '" + shown + "': " + why);
  };
  if (text.empty()) return InvalidArgument("field 'url' is required: an http:// or https:// URL");
  if (text.size() > kMaxWebhookUrlBytes) {
    return InvalidArgument("a webhook URL may have at most " + std::to_string(kMaxWebhookUrlBytes) +
                           " bytes, not " + std::to_string(text.size()));
  }
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return bad("spaces, control and non-ASCII characters must be percent-encoded");
    }
  }
  WebhookUrl url;
  const std::string lower = internal::AsciiLower(text.substr(0, 8));
  std::string_view rest = text;
  if (lower.rfind("http://", 0) == 0) {
    rest.remove_prefix(7);
  } else if (lower.rfind("https://", 0) == 0) {
    url.tls = true;
    rest.remove_prefix(8);
  } else {
    return bad("only http:// and https:// URLs are supported");
  }
  if (rest.find('#') != std::string_view::npos) return bad("no fragment (#...) allowed");
  const std::size_t end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    return bad("no user name or password (user@host) allowed; authenticate with the signature");
  }
  std::string_view host, port;
  if (!authority.empty() && authority[0] == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("expected :PORT after the IPv6 address");
      port = after.substr(1);
    }
    boost::system::error_code ec;
    ip::make_address_v6(std::string(host), ec);
    if (ec) return bad("'" + std::string(host) + "' is not an IPv6 address");
  } else {
    const std::size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return bad("empty port");
    }
    for (char c : host) {
      if (!ValidHostChar(c)) return bad("the host may hold only letters, digits, '-' and '.'");
    }
  }
  if (host.empty()) return bad("no host");
  long number = url.tls ? 443 : 80;
  if (!port.empty()) {
    number = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || number > 65535) return bad("bad port");
      number = number * 10 + (c - '0');
    }
    if (number < 1 || number > 65535) return bad("bad port");
  }
  url.host = internal::AsciiLower(host);
  const bool v6 = url.host.find(':') != std::string::npos;
  std::string host_port = v6 ? "[" + url.host + "]" : url.host;
  if (number != (url.tls ? 443 : 80)) host_port += ":" + std::to_string(number);
  url.origin = std::string(url.tls ? "https://" : "http://") + host_port;
  url.target = target.empty() ? "/" : std::string(target);
  if (url.target[0] == '?') url.target = "/" + url.target;
  return url;
}

Status CheckUrlAddresses(const WebhookUrl& url) {
  const std::string& host = url.host;
  boost::system::error_code ec;
  ip::make_address(host, ec);
  if (!ec) return CheckAddress(host);
  std::string trimmed = host;
  while (!trimmed.empty() && trimmed.back() == '.') trimmed.pop_back();
  const std::string_view suffix = ".localhost";
  if (trimmed == "localhost" ||
      (trimmed.size() > suffix.size() &&
       trimmed.compare(trimmed.size() - suffix.size(), suffix.size(), suffix) == 0)) {
    return InvalidArgument("webhook host " + host +
                           " is a loopback name; webhooks may reach only public addresses "
                           "unless " +
                           std::string(kConfigKey) + " = true in quik.toml");
  }
  try {
    boost::asio::io_context ioc;
    ip::tcp::resolver resolver(ioc);
    auto results = resolver.resolve(host, "80", ec);
    if (ec) return Status::Ok();  // checked again at each delivery
    for (const auto& entry : results) {
      const std::string address = entry.endpoint().address().to_string();
      if (auto reason = BlockedAddressReason(address)) {
        return InvalidArgument("webhook host " + host + " resolves to " + address + ", " +
                               Article(*reason) +
                               " address; webhooks may reach only public addresses unless " +
                               std::string(kConfigKey) + " = true in quik.toml");
      }
    }
  } catch (const std::exception&) {
    return Status::Ok();
  }
  return Status::Ok();
}

Status ValidatePattern(std::string_view pattern) {
  if (pattern == "*") return Status::Ok();
  auto families = [] {
    std::string out;
    for (std::string_view f : kWebhookEventFamilies)
      out += (out.empty() ? "" : ", ") + std::string(f);
    return out;
  };
  const std::size_t dot = pattern.find('.');
  const std::string_view family = pattern.substr(0, dot);
  const bool known = std::find(std::begin(kWebhookEventFamilies), std::end(kWebhookEventFamilies),
                               family) != std::end(kWebhookEventFamilies);
  if (!known) {
    return InvalidArgument("unknown event type '" + std::string(pattern) +
                           "': expected \"*\", FAMILY.* or FAMILY.NAME with FAMILY one of " +
                           families() +
                           " (personal, account, token and webhook events are never sent)");
  }
  if (dot == std::string_view::npos || dot + 1 == pattern.size()) {
    return InvalidArgument("event type '" + std::string(pattern) + "' needs a name: " +
                           std::string(family) + ".* or " + std::string(family) + ".NAME");
  }
  const std::string_view name = pattern.substr(dot + 1);
  if (name == "*") return Status::Ok();
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '.')) {
      return InvalidArgument("event type '" + std::string(pattern) +
                             "': a name holds only a-z, 0-9, '_' and '.'");
    }
  }
  return Status::Ok();
}

bool PatternMatches(std::string_view pattern, std::string_view type) {
  if (pattern == "*") return true;
  if (pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == ".*") {
    const std::string_view prefix = pattern.substr(0, pattern.size() - 1);  // "message."
    return type.substr(0, prefix.size()) == prefix;
  }
  return pattern == type;
}

bool DeliverableType(std::string_view type) {
  for (std::string_view prefix : {"read.", "notification.", "thread.", "preferences.", "token.",
                                  "session.", "user.", "file.", "webhook."}) {
    if (type.substr(0, prefix.size()) == prefix) return false;
  }
  return true;
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

std::string SignatureHeader(std::string_view secret, std::string_view timestamp,
                            std::string_view body) {
  std::string signed_text;
  signed_text.reserve(timestamp.size() + 1 + body.size());
  signed_text.append(timestamp).append(".").append(body);
  return "v1=" + HmacSha256Hex(secret, signed_text);
}

std::chrono::milliseconds RetryDelay(const WebhooksOptions& options, int attempts,
                                     double random01) {
  using std::chrono::milliseconds;
  const auto cap = std::chrono::duration_cast<milliseconds>(options.retry_max);
  auto delay = std::chrono::duration_cast<milliseconds>(options.retry_base);
  for (int i = 1; i < attempts && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  random01 = std::clamp(random01, 0.0, 1.0);
  return milliseconds(delay.count() - static_cast<std::int64_t>(static_cast<double>(delay.count()) *
                                                                0.5 * random01));
}

}  // namespace webhooks
}  // namespace quik
