// SPDX-License-Identifier: MIT
#include "notify/notifier.hpp"

#include <algorithm>
#include <unordered_set>

#include "common/ids.hpp"
#include "common/text.hpp"
#include "events/consumer.hpp"
#include "events/event_log.hpp"
#include "notify/decide.hpp"
#include "presence/presence_internal.hpp"
#include "quik/v1/events.pb.h"
#include "service/context.hpp"

namespace quik::notify {
namespace {

MessageKind KindOf(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kDirect:
      return MessageKind::kDirect;
    case ChannelKind::kGroup:
      return MessageKind::kGroup;
    case ChannelKind::kPublic:
    case ChannelKind::kPrivate:
      break;
  }
  return MessageKind::kChannel;
}

Status HandlePosted(internal::Context& ctx, store::Tx& tx, const v1::Message& pm) {
  if (pm.deleted_at() != 0) return Status::Ok();
  QUIK_ASSIGN_OR_RETURN(auto channel, tx.GetChannel(pm.channel_id()));
  if (!channel) return Status::Ok();  // gone since (its workspace was deleted)
  QUIK_ASSIGN_OR_RETURN(auto members, tx.ListNotifyCandidates(channel->id));

  MessageFacts facts;
  facts.kind = KindOf(channel->kind);
  facts.thread_root_id = pm.thread_root_id();
  facts.text = pm.text();
  // Mentions as the post resolved them (messages/mentions.hpp).
  facts.mentions.assign(pm.mentions().begin(), pm.mentions().end());
  facts.mentions_channel = pm.mentions_channel();
  facts.mentions_here = pm.mentions_here();

  std::unordered_set<std::string> followers;
  if (!facts.thread_root_id.empty()) {
    QUIK_ASSIGN_OR_RETURN(auto ids, tx.ListThreadFollowers(facts.thread_root_id));
    followers.insert(ids.begin(), ids.end());
  }

  // Presence of every member in one LMDB read: @here and presence "dnd".
  std::vector<std::string> ids;
  ids.reserve(members.size());
  for (const auto& m : members) ids.push_back(m.user_id);
  QUIK_ASSIGN_OR_RETURN(auto stored, ctx.store->lmdb().GetMany(store::Db::kPresence, ids));

  const Timestamp now = ctx.Now();
  std::string excerpt;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const store::NotifyCandidate& c = members[i];
    Recipient r;
    r.user_id = c.user_id;
    r.active = c.active;
    r.is_author = c.user_id == pm.user_id();
    r.can_read = true;  // a member of the channel
    r.muted = c.muted;
    r.time_zone = c.prefs.time_zone;
    r.dnd = c.prefs.dnd;
    r.dnd_until = c.prefs.dnd_until;
    r.keywords = c.prefs.keywords;
    r.follows_thread = followers.count(c.user_id) > 0;
    r.level = c.prefs.notify;
    if (stored[i]) {
      auto presence = presence::DecodePresence(c.user_id, *stored[i]);
      if (presence.ok()) {
        r.online = presence->status != PresenceStatus::kOffline;
        r.presence_dnd = presence->status == PresenceStatus::kDnd;
      }
    }
    const Decision d = Decide(r, facts, now);
    if (!d.notify) continue;
    if (excerpt.empty()) excerpt = Excerpt(pm.text());
    Notification n;
    n.id = internal::NewId(now);
    n.user_id = c.user_id;
    n.workspace_id = channel->workspace_id;
    n.channel_id = channel->id;
    n.message_id = pm.id();
    n.thread_root_id = pm.thread_root_id();
    n.reason = ReasonName(d.reason);
    n.actor_id = pm.user_id();
    n.excerpt = excerpt;
    n.created_at = now;
    QUIK_ASSIGN_OR_RETURN(bool inserted, tx.InsertNotification(n));
    if (inserted) QUIK_RETURN_IF_ERROR(events::Append(tx, "notification.created", n));
  }
  // Users mentioned who are not members of the channel are never notified
  // (Decide: not_member): Slack and Mattermost offer to invite them instead.
  return Status::Ok();
}

}  // namespace

std::string Excerpt(std::string_view text, int max_chars) {
  std::string out;
  int chars = 0;
  bool space = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
      continue;
    }
    const bool lead = (c & 0xC0) != 0x80;
    if (lead) {
      if (chars + (space ? 1 : 0) >= max_chars) {
        out += "\u2026";
        return out;
      }
      if (space) {
        out += ' ';
        ++chars;
        space = false;
      }
      ++chars;
    }
    out += static_cast<char>(c);
  }
  return out;
}

Status HandleEvents(internal::Context& ctx, store::Tx& tx, const std::vector<Event>& batch) {
  for (const Event& e : batch) {
    if (e.type != "message.posted") continue;
    v1::EventPayload payload;
    if (!payload.ParseFromString(e.payload) || !payload.has_message()) continue;
    QUIK_RETURN_IF_ERROR(HandlePosted(ctx, tx, payload.message()));
  }
  return Status::Ok();
}

std::unique_ptr<internal::Worker> NewNotifier(internal::Context& ctx) {
  return std::make_unique<events::Consumer>(*ctx.store, *ctx.bus, kConsumerName,
                                            [&ctx](store::Tx& tx, const std::vector<Event>& batch) {
                                              return HandleEvents(ctx, tx, batch);
                                            });
}

}  // namespace quik::notify
