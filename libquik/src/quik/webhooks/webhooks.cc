// SPDX-License-Identifier: MIT
#include "quik/webhooks.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "auth/crypto.hpp"
#include "authz/authz.hpp"
#include "common/ids.hpp"
#include "common/text.hpp"
#include "events/event_log.hpp"
#include "service/context.hpp"
#include "webhooks/webhooks_internal.hpp"

namespace quik {
namespace {

// The workspace of `ws_ref` if the caller manages its webhooks.
Result<authz::WorkspaceAccess> AdminOf(store::Tx& tx, const authz::Principal& who,
                                       std::string_view ws_ref) {
  QUIK_ASSIGN_OR_RETURN(auto access, authz::WorkspaceFor(tx, who, ws_ref));
  if (!access.is_admin()) {
    return PermissionDenied("only workspace owners and admins may manage webhooks");
  }
  return access;
}

// The webhook `id` if the caller manages its workspace's webhooks; a webhook
// of a workspace the caller is not in does not exist for them.
Result<store::WebhookRecord> WebhookFor(store::Tx& tx, const authz::Principal& who,
                                        std::string_view id) {
  QUIK_ASSIGN_OR_RETURN(auto record, tx.GetWebhook(id));
  if (!record) return NotFound("no webhook " + std::string(id));
  auto access = AdminOf(tx, who, record->webhook.workspace_id);
  if (!access.ok()) {
    if (access.status().code() == StatusCode::kNotFound) {
      return NotFound("no webhook " + std::string(id));
    }
    return access.status();
  }
  return std::move(*record);
}

}  // namespace

namespace webhooks {

Result<bool> CreatorMayManage(store::Tx& tx, const Webhook& webhook) {
  if (webhook.created_by.empty()) return true;  // the system
  QUIK_ASSIGN_OR_RETURN(auto user, tx.GetUser(webhook.created_by));
  if (!user || !user->active) return false;
  QUIK_ASSIGN_OR_RETURN(auto member, tx.GetMember(webhook.workspace_id, webhook.created_by));
  return member && (member->role == Role::kOwner || member->role == Role::kAdmin);
}

Status PauseForCreator(store::Tx& tx, store::WebhookRecord& record, std::int64_t paused_seq) {
  if (record.webhook.paused) return Status::Ok();
  record.webhook.paused = true;
  QUIK_RETURN_IF_ERROR(events::Append(tx, "webhook.updated", "", record.webhook));
  if (paused_seq == 0) {
    QUIK_ASSIGN_OR_RETURN(paused_seq, tx.LatestSeq());
  }
  record.paused_seq = paused_seq;
  return tx.UpdateWebhook(record);
}

Status PauseWebhooksOfCreator(store::Tx& tx, std::string_view user_id,
                              std::string_view workspace_id) {
  std::vector<std::string> workspaces;
  if (!workspace_id.empty()) {
    workspaces.emplace_back(workspace_id);
  } else {
    QUIK_ASSIGN_OR_RETURN(auto memberships, tx.ListUserMemberships(user_id));
    for (const Member& m : memberships) workspaces.push_back(m.workspace_id);
  }
  for (const std::string& ws : workspaces) {
    QUIK_ASSIGN_OR_RETURN(auto records, tx.ListWebhooks(ws));
    for (store::WebhookRecord& r : records) {
      if (r.webhook.created_by != user_id || r.webhook.paused) continue;
      QUIK_ASSIGN_OR_RETURN(bool may, CreatorMayManage(tx, r.webhook));
      if (!may) QUIK_RETURN_IF_ERROR(PauseForCreator(tx, r, 0));
    }
  }
  return Status::Ok();
}

}  // namespace webhooks

Result<CreatedWebhook> WebhookService::Create(const Actor& actor, std::string_view ws_ref,
                                              const NewWebhook& spec) {
  const WebhooksOptions& options = ctx_->options.webhooks;
  QUIK_ASSIGN_OR_RETURN(webhooks::WebhookUrl url, webhooks::ParseWebhookUrl(spec.url));
  if (spec.events.empty()) {
    return InvalidArgument(
        "field 'events' needs at least one event type, such as \"message.posted\", "
        "\"message.*\" or \"*\"");
  }
  if (spec.events.size() > kMaxWebhookEvents) {
    return InvalidArgument("a webhook may name at most " + std::to_string(kMaxWebhookEvents) +
                           " event types");
  }
  std::vector<std::string> events;
  for (const std::string& e : spec.events) {
    QUIK_RETURN_IF_ERROR(webhooks::ValidatePattern(e));
    if (std::find(events.begin(), events.end(), e) == events.end()) events.push_back(e);
  }
  QUIK_RETURN_IF_ERROR(internal::CheckText(
      spec.description, static_cast<int>(kMaxWebhookDescriptionChars), "description", true));
  // Permissions first, so that a stranger learns nothing from the URL checks.
  QUIK_RETURN_IF_ERROR(ctx_->store->Read([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    return AdminOf(tx, who, ws_ref).status();
  }));
  // Resolving a name may take a while: not inside the write transaction.
  if (!options.allow_private_addresses) QUIK_RETURN_IF_ERROR(webhooks::CheckUrlAddresses(url));
  return ctx_->WriteResult<CreatedWebhook>([&](store::Tx& tx, CreatedWebhook& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto access, AdminOf(tx, who, ws_ref));
    QUIK_ASSIGN_OR_RETURN(auto existing, tx.ListWebhooks(access.workspace.id));
    if (static_cast<int>(existing.size()) >= options.max_per_workspace) {
      return InvalidArgument("workspace " + access.workspace.slug + " already has " +
                             std::to_string(existing.size()) +
                             " webhooks, the most allowed (webhooks.max_per_workspace); "
                             "delete one first");
    }
    Webhook& w = out.webhook;
    w.created_at = tx.Now();
    w.id = internal::NewId(w.created_at);
    w.workspace_id = access.workspace.id;
    w.url = spec.url;
    w.events = events;
    w.description = spec.description;
    w.created_by = who.user.id;
    out.secret = "whsec_" + crypto::Base64UrlEncode(crypto::RandomBytes(32));
    QUIK_RETURN_IF_ERROR(events::Append(tx, "webhook.created", actor.user_id(), w));
    store::WebhookRecord record{w, out.secret};
    QUIK_ASSIGN_OR_RETURN(record.created_seq, tx.LatestSeq());
    return tx.InsertWebhook(record);
  });
}

Result<std::vector<Webhook>> WebhookService::List(const Actor& actor, std::string_view ws_ref) {
  return ctx_->ReadResult<std::vector<Webhook>>(
      [&](store::Tx& tx, std::vector<Webhook>& out) -> Status {
        QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
        QUIK_ASSIGN_OR_RETURN(auto access, AdminOf(tx, who, ws_ref));
        QUIK_ASSIGN_OR_RETURN(auto records, tx.ListWebhooks(access.workspace.id));
        for (auto& r : records) out.push_back(std::move(r.webhook));
        return Status::Ok();
      });
}

Result<Webhook> WebhookService::Get(const Actor& actor, std::string_view id) {
  return ctx_->ReadResult<Webhook>([&](store::Tx& tx, Webhook& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto record, WebhookFor(tx, who, id));
    out = std::move(record.webhook);
    return Status::Ok();
  });
}

Status WebhookService::Delete(const Actor& actor, std::string_view id) {
  return ctx_->store->Write([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto record, WebhookFor(tx, who, id));
    QUIK_RETURN_IF_ERROR(tx.DeleteWebhook(record.webhook.id));
    return events::Append(tx, "webhook.deleted", actor.user_id(), record.webhook);
  });
}

Result<Webhook> WebhookService::SetPaused(const Actor& actor, std::string_view id, bool paused) {
  return ctx_->WriteResult<Webhook>([&](store::Tx& tx, Webhook& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto record, WebhookFor(tx, who, id));
    if (record.webhook.paused != paused) {
      record.webhook.paused = paused;
      // Resuming a webhook whose creator lost their rights makes the caller
      // its creator: it acts with their rights from now on.
      if (!paused && !who.system) {
        QUIK_ASSIGN_OR_RETURN(bool creator_may, webhooks::CreatorMayManage(tx, record.webhook));
        if (!creator_may) record.webhook.created_by = who.user.id;
      }
      QUIK_RETURN_IF_ERROR(events::Append(tx, "webhook.updated", actor.user_id(), record.webhook));
      QUIK_ASSIGN_OR_RETURN(std::int64_t seq, tx.LatestSeq());
      (paused ? record.paused_seq : record.resumed_seq) = seq;
      QUIK_RETURN_IF_ERROR(tx.UpdateWebhook(record));
    }
    out = std::move(record.webhook);
    return Status::Ok();
  });
}

Result<Page<WebhookDelivery>> WebhookService::ListDeliveries(const Actor& actor,
                                                             std::string_view id,
                                                             const ListDeliveriesRequest& request) {
  const int limit = std::clamp(request.limit, 1, ctx_->options.limits.page_max);
  if (!request.cursor.empty() && !internal::LooksLikeId(request.cursor)) {
    return InvalidArgument("'" + request.cursor + "' is not a valid cursor");
  }
  return ctx_->ReadResult<Page<WebhookDelivery>>(
      [&](store::Tx& tx, Page<WebhookDelivery>& out) -> Status {
        QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
        QUIK_ASSIGN_OR_RETURN(auto record, WebhookFor(tx, who, id));
        store::DeliveryQuery q;
        q.webhook_id = record.webhook.id;
        q.status = request.status;
        q.below_id = request.cursor;
        q.limit = limit + 1;
        QUIK_ASSIGN_OR_RETURN(out.items, tx.ListDeliveries(q));
        if (static_cast<int>(out.items.size()) > limit) {
          out.items.resize(static_cast<size_t>(limit));
          out.next_cursor = out.items.back().id;
        }
        return Status::Ok();
      });
}

}  // namespace quik
