// SPDX-License-Identifier: MIT
// The parts of outbound webhooks (quik/webhooks.hpp) that the service, the
// queue and the tests share: URL and address checks (SSRF), event patterns,
// signatures, the retry schedule, and the server workers.
//
// Thread safety: the functions are pure (CheckUrlAddresses resolves names).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "quik/options.hpp"
#include "quik/status.hpp"
#include "service/workers.hpp"
#include "store/tx.hpp"

namespace quik::webhooks {

// ---- addresses (SSRF) -------------------------------------------------------

// Why webhooks may not reach the IP address `ip` (text, IPv4 or IPv6):
// "loopback", "private", "link-local", "CGNAT", "unspecified", "multicast",
// "reserved"; IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) forms
// are judged by their IPv4 address. nullopt for a public address;
// "not an IP address" for text that is none.
std::optional<std::string> BlockedAddressReason(std::string_view ip);

// kInvalidArgument naming the address, the reason and the config key when
// `ip` is blocked; Ok for a public address.
Status CheckAddress(std::string_view ip);

// ---- URLs -------------------------------------------------------------------

struct WebhookUrl {
  bool tls = false;
  std::string host;    // without brackets, lower-cased
  std::string origin;  // "http://HOST[:PORT]", as net::HttpClient::Connect takes it
  std::string target;  // path and query; "/" at least
};

// http(s)://HOST[:PORT][/PATH][?QUERY]: no user info, no fragment, at most
// kMaxWebhookUrlBytes. kInvalidArgument says what is wrong.
Result<WebhookUrl> ParseWebhookUrl(std::string_view url);

// Whether `url`'s host is, or resolves to, a blocked address ("localhost" and
// "*.localhost" are loopback without asking DNS). A name that does not
// resolve now passes: each delivery checks the addresses it connects to.
Status CheckUrlAddresses(const WebhookUrl& url);

// ---- event patterns -----------------------------------------------------------

// kInvalidArgument unless `pattern` is "*", "FAMILY.*" or "FAMILY.NAME" with
// a family of kWebhookEventFamilies and NAME of [a-z0-9_.].
Status ValidatePattern(std::string_view pattern);
bool PatternMatches(std::string_view pattern, std::string_view type);
// Whether events of `type` may ever go to a webhook: not personal, account,
// token or session events.
bool DeliverableType(std::string_view type);

// ---- signatures ---------------------------------------------------------------

// HMAC-SHA256 of `data` under `key`, as 64 lowercase hex digits.
std::string HmacSha256Hex(std::string_view key, std::string_view data);
// The X-Quik-Signature value: "v1=" + HmacSha256Hex(secret, timestamp + "." + body).
std::string SignatureHeader(std::string_view secret, std::string_view timestamp,
                            std::string_view body);

// ---- retries --------------------------------------------------------------------

// The wait before the next attempt after `attempts` failed ones (1, 2, ...):
// retry_base * 2^(attempts-1), capped at retry_max, less up to half of it
// by `random01` (in [0, 1)).
std::chrono::milliseconds RetryDelay(const WebhooksOptions& options, int attempts, double random01);

// ---- rewritten events -------------------------------------------------------------

// Rebuilds the request body of every delivery (queued or done) made from
// event `rewritten.seq` from its new payload (an edit or delete rewrote it:
// messages/supersede.cc), so a queued delivery sends the message as it is now.
Status RebuildDeliveries(store::Tx& tx, const Event& rewritten);

// ---- the creator ------------------------------------------------------------------

// Whether the webhook's creator may still manage it: made by the system, or
// by an active user who is an owner or admin of its workspace.
Result<bool> CreatorMayManage(store::Tx& tx, const Webhook& webhook);

// Pauses `record` because its creator lost their rights: a webhook.updated
// event (by the system), and events with seq > `paused_seq` are not queued
// (0: the latest seq, that of the new event). No-op if already paused.
Status PauseForCreator(store::Tx& tx, store::WebhookRecord& record, std::int64_t paused_seq);

// Pauses every webhook of `workspace_id` (all workspaces: empty) made by
// `user_id` that they may no longer manage. Called where rights are lost
// (role change, removal, deactivation); the queue checks again before it
// queues or sends, so a path that does not call this still sends nothing.
Status PauseWebhooksOfCreator(store::Tx& tx, std::string_view user_id,
                              std::string_view workspace_id);

// ---- workers --------------------------------------------------------------------

// The durable event consumer that queues deliveries ("webhooks" cursor).
std::unique_ptr<internal::Worker> NewEnqueuer(internal::Context& ctx);
// The thread that sends due deliveries.
std::unique_ptr<internal::Worker> NewDeliveryWorker(internal::Context& ctx);

}  // namespace quik::webhooks
