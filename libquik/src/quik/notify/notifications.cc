// SPDX-License-Identifier: MIT
// quik::NotificationService: preferences and the kept notifications
// (quik/notifications.hpp). The notifier that writes them is notifier.cc.
#include "quik/notifications.hpp"

#include <algorithm>
#include <array>
#include <set>

#include "authz/authz.hpp"
#include "common/ids.hpp"
#include "common/text.hpp"
#include "events/event_log.hpp"
#include "notify/decide.hpp"
#include "presence/presence_internal.hpp"
#include "service/context.hpp"

namespace quik {
namespace {

// The user whose preferences or notifications a call is about.
Result<User> TargetUser(store::Tx& tx, const authz::Principal& who, std::string_view user_ref) {
  if (user_ref.empty() || (!who.system && (user_ref == "me" || user_ref == who.user.id))) {
    if (who.system) return InvalidArgument("name the user whose notifications these are");
    return who.user;
  }
  QUIK_ASSIGN_OR_RETURN(User u, authz::VisibleUser(tx, who, user_ref));
  if (u.id != who.user.id && !who.is_instance_admin()) {
    return PermissionDenied("only an instance admin may manage another user's notifications");
  }
  return u;
}

Preferences Defaults(const std::string& user_id) {
  Preferences p;
  p.user_id = user_id;
  return p;
}

Result<Preferences> LoadPreferences(store::Tx& tx, const std::string& user_id) {
  QUIK_ASSIGN_OR_RETURN(auto stored, tx.GetPreferences(user_id));
  return stored ? std::move(*stored) : Defaults(user_id);
}

// Whether DND holds now, the user's presence "dnd" included.
Status FillDndActive(internal::Context& ctx, Preferences& p) {
  const Timestamp now = ctx.Now();
  p.dnd_active = notify::InDnd(p.dnd, p.time_zone, p.dnd_until, now);
  if (p.dnd_active) return Status::Ok();
  QUIK_ASSIGN_OR_RETURN(auto stored, ctx.store->lmdb().Get(store::Db::kPresence, p.user_id));
  if (stored) {
    QUIK_ASSIGN_OR_RETURN(Presence presence, presence::DecodePresence(p.user_id, *stored));
    p.dnd_active = presence.status == PresenceStatus::kDnd;
  }
  return Status::Ok();
}

Status CheckMinute(std::optional<int> minute, std::string_view field) {
  if (minute && (*minute < 0 || *minute >= 24 * 60)) {
    return InvalidArgument("field '" + std::string(field) + "' must be a time from 00:00 to 23:59");
  }
  return Status::Ok();
}

// Trimmed, valid, de-duplicated (ignoring ASCII case) keywords.
Result<std::vector<std::string>> CleanKeywords(const std::vector<std::string>& in) {
  if (in.size() > static_cast<std::size_t>(kMaxKeywords)) {
    return InvalidArgument("field 'keywords' has more than " + std::to_string(kMaxKeywords) +
                           " keywords");
  }
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& raw : in) {
    const std::string_view k = internal::TrimWhitespace(raw);
    QUIK_RETURN_IF_ERROR(internal::CheckText(k, kMaxKeywordChars, "keyword"));
    if (std::any_of(k.begin(), k.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
      return InvalidArgument("a keyword must not contain control characters");
    }
    if (seen.insert(internal::AsciiLower(k)).second) out.emplace_back(k);
  }
  return out;
}

}  // namespace

Result<Preferences> NotificationService::GetPreferences(const Actor& actor,
                                                        std::string_view user_ref) {
  QUIK_ASSIGN_OR_RETURN(
      Preferences p, ctx_->ReadResult<Preferences>([&](store::Tx& tx, Preferences& out) -> Status {
        QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
        QUIK_ASSIGN_OR_RETURN(User user, TargetUser(tx, who, user_ref));
        QUIK_ASSIGN_OR_RETURN(out, LoadPreferences(tx, user.id));
        return Status::Ok();
      }));
  QUIK_RETURN_IF_ERROR(FillDndActive(*ctx_, p));
  return p;
}

Result<Preferences> NotificationService::UpdatePreferences(const Actor& actor,
                                                           const PreferencesPatch& patch,
                                                           std::string_view user_ref) {
  // Checks that need no transaction first.
  if (patch.time_zone && !notify::IsKnownTimeZone(*patch.time_zone)) {
    return InvalidArgument("field 'time_zone': '" + *patch.time_zone +
                           "' is not a time zone of the tz database (e.g. \"Europe/Berlin\", "
                           "\"America/New_York\", \"UTC\")");
  }
  QUIK_RETURN_IF_ERROR(CheckMinute(patch.dnd_start_minute, "dnd.start"));
  QUIK_RETURN_IF_ERROR(CheckMinute(patch.dnd_end_minute, "dnd.end"));
  if (patch.dnd_until && *patch.dnd_until < 0) {
    return InvalidArgument("field 'dnd_until' must be a time (or 0 to clear the snooze)");
  }
  std::optional<std::vector<std::string>> keywords;
  if (patch.keywords) {
    QUIK_ASSIGN_OR_RETURN(keywords, CleanKeywords(*patch.keywords));
  }
  if (patch.muted_channels &&
      patch.muted_channels->size() > static_cast<std::size_t>(kMaxMutedChannels)) {
    return InvalidArgument("field 'muted_channels' has more than " +
                           std::to_string(kMaxMutedChannels) + " channels");
  }
  QUIK_ASSIGN_OR_RETURN(
      Preferences p, ctx_->WriteResult<Preferences>([&](store::Tx& tx, Preferences& out) -> Status {
        QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
        QUIK_ASSIGN_OR_RETURN(User user, TargetUser(tx, who, user_ref));
        QUIK_ASSIGN_OR_RETURN(out, LoadPreferences(tx, user.id));
        if (patch.time_zone) out.time_zone = *patch.time_zone;
        if (patch.dnd_enabled) out.dnd.enabled = *patch.dnd_enabled;
        if (patch.dnd_start_minute) out.dnd.start_minute = *patch.dnd_start_minute;
        if (patch.dnd_end_minute) out.dnd.end_minute = *patch.dnd_end_minute;
        if (out.dnd.enabled && out.dnd.start_minute == out.dnd.end_minute) {
          return InvalidArgument("fields 'dnd.start' and 'dnd.end' must differ");
        }
        if (patch.dnd_until) out.dnd_until = *patch.dnd_until;
        if (keywords) out.keywords = *keywords;
        if (patch.notify) out.notify = *patch.notify;
        if (patch.muted_channels) {
          // Only channels the user can read; others do not exist for them.
          const authz::Principal as_user{false, user};
          std::vector<std::string> ids;
          for (const std::string& ref : *patch.muted_channels) {
            auto access = authz::ChannelFor(tx, as_user, ref);
            if (!access.ok()) {
              if (access.status().code() == StatusCode::kNotFound) {
                return NotFound("muted channel '" + ref + "' not found");
              }
              return access.status();
            }
            if (std::find(ids.begin(), ids.end(), access->channel.id) == ids.end()) {
              ids.push_back(access->channel.id);
            }
          }
          std::sort(ids.begin(), ids.end());
          out.muted_channels = std::move(ids);
        }
        out.updated_at = tx.Now();
        QUIK_RETURN_IF_ERROR(tx.PutPreferences(out));
        return events::Append(tx, "preferences.updated", out);
      }));
  QUIK_RETURN_IF_ERROR(FillDndActive(*ctx_, p));
  return p;
}

Result<Page<Notification>> NotificationService::List(const Actor& actor,
                                                     const ListNotificationsRequest& request,
                                                     std::string_view user_ref) {
  const int limit = std::clamp(request.limit, 1, ctx_->options.limits.page_max);
  if (!request.cursor.empty() && !internal::LooksLikeId(request.cursor)) {
    return InvalidArgument("'" + request.cursor + "' is not a valid cursor");
  }
  return ctx_->ReadResult<Page<Notification>>(
      [&](store::Tx& tx, Page<Notification>& out) -> Status {
        QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
        QUIK_ASSIGN_OR_RETURN(User user, TargetUser(tx, who, user_ref));
        store::NotificationQuery q;
        q.user_id = user.id;
        q.unread_only = request.unread_only;
        q.below_id = request.cursor;
        q.limit = limit + 1;
        QUIK_ASSIGN_OR_RETURN(out.items, tx.ListNotifications(q));
        if (static_cast<int>(out.items.size()) > limit) {
          out.items.resize(static_cast<std::size_t>(limit));
          out.next_cursor = out.items.back().id;
        }
        return Status::Ok();
      });
}

Result<int> NotificationService::MarkRead(const Actor& actor, const MarkReadRequest& request,
                                          std::string_view user_ref) {
  if (!request.all && request.ids.empty()) {
    return InvalidArgument("give the notification 'ids' to mark read, or \"all\": true");
  }
  if (request.ids.size() > static_cast<std::size_t>(kMaxNotificationIdsPerCall)) {
    return InvalidArgument("field 'ids' has more than " +
                           std::to_string(kMaxNotificationIdsPerCall) + " ids");
  }
  for (const std::string& id : request.ids) {
    if (!internal::LooksLikeId(id)) {
      return InvalidArgument("'" + id + "' is not a valid notification id");
    }
  }
  return ctx_->WriteResult<int>([&](store::Tx& tx, int& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(User user, TargetUser(tx, who, user_ref));
    const Timestamp now = tx.Now();
    QUIK_ASSIGN_OR_RETURN(auto changed,
                          tx.MarkNotificationsRead(user.id, request.ids, request.all, now));
    out = static_cast<int>(changed.size());
    if (changed.empty()) return Status::Ok();
    // "all" may be thousands: the event says all instead of listing them.
    return events::AppendNotificationsRead(
        tx, user.id, request.all ? std::vector<std::string>() : changed, request.all, now);
  });
}

}  // namespace quik
