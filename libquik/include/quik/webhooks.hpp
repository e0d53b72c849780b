// SPDX-License-Identifier: MIT
// quik::WebhookService: outbound webhooks. Workspace owners and admins (and
// the system) subscribe an http(s) URL to event types of their workspace; a
// running server POSTs each matching event to it, signed with HMAC-SHA256,
// from a durable queue, retrying with exponential back-off.
//
// What is delivered: events of the subscription's workspace whose type
// matches one of its patterns, except personal events (read.*,
// notification.*, thread.*, preferences.*), account events (user.*, token.*,
// session.*, file.*), the webhooks' own events (webhook.*: a receiver never
// learns of other webhooks, and a delivery never causes another) and everything that happens in
// private channels, DMs and group DMs: a workspace admin does not see those in this product, so
// neither does their webhook (least privilege).
//
// Patterns: an exact type ("message.posted"), a family ("message.*") or "*".
// The families are kWebhookEventFamilies; any other is kInvalidArgument.
//
// Addresses: unless options.webhooks.allow_private_addresses, a URL whose host
// is, or resolves to, an address of any range of the IANA IPv4 and IPv6
// special-purpose registries (loopback, private, link-local with the cloud
// metadata address, CGNAT, benchmarking, documentation, NAT64, 6to4,
// Teredo, multicast, reserved, ...) is refused at creation
// (kInvalidArgument) and again at every delivery, on the addresses the
// delivery connects to.
//
// The creator: a webhook acts with its creator's rights. When the creator is
// deactivated or is no longer an owner or admin of the workspace, the webhook
// is paused (a webhook.updated event) and nothing more is sent, queued
// deliveries included; an admin who resumes it (SetPaused false) becomes its
// creator.
//
// Delivery: a running server sends on webhooks.workers threads, at most
// webhooks.max_in_flight_per_host requests at once to one host and port, so a
// slow or dead receiver delays only its own deliveries.
//
// Permissions: a non-member of the workspace gets kNotFound for it and its
// webhooks; a member who is not an owner or admin kPermissionDenied.
//
// Thread safety: all methods may be called from any thread concurrently.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quik/actor.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"

namespace quik {
namespace internal {
struct Context;
}

// The event families a pattern may name ("message" for "message.*").
inline constexpr std::string_view kWebhookEventFamilies[] = {
    "message", "reaction", "pin", "channel", "member", "workspace", "invite",
};

// The longest webhook URL accepted.
inline constexpr std::size_t kMaxWebhookUrlBytes = 2048;
// The most event patterns of one webhook.
inline constexpr std::size_t kMaxWebhookEvents = 50;
// The longest description.
inline constexpr std::size_t kMaxWebhookDescriptionChars = 500;

struct Webhook {
  std::string id;
  std::string workspace_id;
  std::string url;
  std::vector<std::string> events;  // patterns, as given (deduplicated)
  std::string description;
  bool paused = false;     // events meanwhile are not sent; pending deliveries wait
  std::string created_by;  // user id; empty when made by the system
  Timestamp created_at = 0;
};

struct NewWebhook {
  std::string url;
  std::vector<std::string> events;
  std::string description;
};

// What Create returns: the webhook and its signing secret, which is shown only
// this once (it is stored, since signing needs it, but never returned again).
struct CreatedWebhook {
  Webhook webhook;
  std::string secret;  // "whsec_..."
};

enum class DeliveryStatus { kPending, kSucceeded, kFailed };
std::string_view DeliveryStatusName(DeliveryStatus status);  // "pending", ...
std::optional<DeliveryStatus> ParseDeliveryStatus(std::string_view name);

struct WebhookDelivery {
  std::string id;
  std::string webhook_id;
  std::int64_t event_seq = 0;
  std::string event_type;
  DeliveryStatus status = DeliveryStatus::kPending;
  int attempts = 0;               // requests made so far
  Timestamp next_attempt_at = 0;  // pending only
  int last_http_status = 0;       // 0: no HTTP answer (yet)
  std::string last_error;         // why the last attempt failed; empty if it did not
  Timestamp created_at = 0;
  Timestamp finished_at = 0;  // succeeded or failed
};

struct ListDeliveriesRequest {
  std::optional<DeliveryStatus> status;  // only these
  int limit = 50;                        // 1..limits.page_max (clamped)
  std::string cursor;                    // from a previous page
};

class WebhookService {
 public:
  explicit WebhookService(internal::Context* ctx) : ctx_(ctx) {}

  // An owner or admin of workspace `ws_ref` (id or slug), or the system.
  // kInvalidArgument for a bad URL or pattern, or a refused address (the
  // message says why and names the config key), and past
  // webhooks.max_per_workspace.
  Result<CreatedWebhook> Create(const Actor& actor, std::string_view ws_ref,
                                const NewWebhook& spec);
  // The workspace's webhooks, oldest first.
  Result<std::vector<Webhook>> List(const Actor& actor, std::string_view ws_ref);
  Result<Webhook> Get(const Actor& actor, std::string_view id);
  // Deletes the webhook and its deliveries (pending ones are never sent).
  Status Delete(const Actor& actor, std::string_view id);
  // Pauses or resumes a webhook. Events that happen while it is paused are
  // never sent to it; its pending deliveries wait until it is resumed.
  Result<Webhook> SetPaused(const Actor& actor, std::string_view id, bool paused);
  // The webhook's deliveries, newest first.
  Result<Page<WebhookDelivery>> ListDeliveries(const Actor& actor, std::string_view id,
                                               const ListDeliveriesRequest& request = {});

 private:
  internal::Context* ctx_;
};

}  // namespace quik
