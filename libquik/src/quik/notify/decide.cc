// SPDX-License-Identifier: MIT
#include "notify/decide.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>

#include <date/tz.h>

namespace quik::notify {
namespace {

bool IsWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c >= 0x80;
}

unsigned char Lower(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c - 'A' + 'a') : c;
}

// A plausible tz database name: no path tricks reach the zoneinfo lookup.
bool PlausibleZoneName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.back() == '/') return false;
  if (name.find("..") != std::string_view::npos) return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '+' || c == '/';
  });
}

const date::time_zone* FindZone(std::string_view name) {
  if (!PlausibleZoneName(name)) return nullptr;
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;  // unknown zone (date throws std::runtime_error)
  }
}

bool MentionsRecipient(const Recipient& r, const MessageFacts& m) {
  return std::find(m.mentions.begin(), m.mentions.end(), r.user_id) != m.mentions.end();
}

Reason FindReason(const Recipient& r, const MessageFacts& m) {
  if (m.kind != MessageKind::kChannel) return Reason::kDm;
  if (MentionsRecipient(r, m)) return Reason::kMention;
  if (!m.thread_root_id.empty() && r.follows_thread) return Reason::kThreadReply;
  for (const std::string& k : r.keywords) {
    if (ContainsKeyword(m.text, k)) return Reason::kKeyword;
  }
  if (m.mentions_channel) return Reason::kChannelMention;
  if (m.mentions_here && r.online) return Reason::kHereMention;
  if (r.level == NotifyLevel::kAll) return Reason::kMessage;
  return Reason::kNone;
}

}  // namespace

std::string_view ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kNone:
      return "";
    case Reason::kDm:
      return "dm";
    case Reason::kMention:
      return "mention";
    case Reason::kThreadReply:
      return "thread_reply";
    case Reason::kKeyword:
      return "keyword";
    case Reason::kChannelMention:
      return "channel_mention";
    case Reason::kHereMention:
      return "here_mention";
    case Reason::kMessage:
      return "message";
  }
  return "";
}

std::string_view SuppressionName(Suppression suppression) {
  switch (suppression) {
    case Suppression::kNone:
      return "";
    case Suppression::kAuthor:
      return "author";
    case Suppression::kDeactivated:
      return "deactivated";
    case Suppression::kNotMember:
      return "not_member";
    case Suppression::kMuted:
      return "muted";
    case Suppression::kLevel:
      return "level";
    case Suppression::kDnd:
      return "dnd";
  }
  return "";
}

bool ContainsKeyword(std::string_view text, std::string_view keyword) {
  if (keyword.empty() || keyword.size() > text.size()) return false;
  const auto k0 = reinterpret_cast<const unsigned char*>(keyword.data());
  const auto t0 = reinterpret_cast<const unsigned char*>(text.data());
  // A keyword starting or ending in a word character needs a boundary there.
  const bool need_left = IsWordByte(k0[0]);
  const bool need_right = IsWordByte(k0[keyword.size() - 1]);
  for (std::size_t i = 0; i + keyword.size() <= text.size(); ++i) {
    std::size_t j = 0;
    while (j < keyword.size() && Lower(t0[i + j]) == Lower(k0[j])) ++j;
    if (j != keyword.size()) continue;
    if (need_left && i > 0 && IsWordByte(t0[i - 1])) continue;
    const std::size_t end = i + keyword.size();
    if (need_right && end < text.size() && IsWordByte(t0[end])) continue;
    return true;
  }
  return false;
}

bool IsKnownTimeZone(std::string_view name) { return FindZone(name) != nullptr; }

std::optional<Timestamp> ParseTime(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fff...](Z|+HH:MM|-HH:MM)
  auto num = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
    if (pos + len > text.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  auto y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2),
       sec = num(17, 2);
  if (!y || !mo || !d || !h || !mi || !sec || *h > 23 || *mi > 59 || *sec > 60) return std::nullopt;
  const date::year_month_day ymd{date::year(*y), date::month(static_cast<unsigned>(*mo)),
                                 date::day(static_cast<unsigned>(*d))};
  if (!ymd.ok()) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t ms = 0;
  if (pos < text.size() && text[pos] == '.') {
    std::size_t digits = 0;
    for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++digits) {
      if (digits < 3) ms = ms * 10 + (text[pos] - '0');
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) ms *= 10;
  }
  std::int64_t offset_min = 0;
  if (pos + 1 == text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    // UTC
  } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-') &&
             text[pos + 3] == ':') {
    auto oh = num(pos + 1, 2), om = num(pos + 4, 2);
    if (!oh || !om || *oh > 23 || *om > 59) return std::nullopt;
    offset_min = (*oh * 60 + *om) * (text[pos] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  const auto days = date::sys_days(ymd).time_since_epoch().count();
  const std::int64_t seconds =
      static_cast<std::int64_t>(days) * 86400 + *h * 3600 + *mi * 60 + *sec - offset_min * 60;
  return seconds * 1000 + ms;
}

std::optional<int> LocalMinuteOfDay(std::string_view time_zone, Timestamp now) {
  const date::time_zone* zone = FindZone(time_zone);
  if (zone == nullptr) return std::nullopt;
  const date::sys_time<std::chrono::milliseconds> t{std::chrono::milliseconds(now)};
  const auto local = zone->to_local(t);
  const auto since_midnight = local - date::floor<date::days>(local);
  return static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(since_midnight).count());
}

Timestamp LocalDayStart(std::string_view time_zone, int year, int month, int day, int plus_days) {
  const date::local_days local = date::local_days(date::year{year} / static_cast<unsigned>(month) /
                                                  static_cast<unsigned>(day)) +
                                 date::days{plus_days};
  const date::time_zone* zone = FindZone(time_zone);
  date::sys_seconds start =
      zone == nullptr
          ? date::sys_seconds(local.time_since_epoch())
          : date::floor<std::chrono::seconds>(zone->to_sys(local, date::choose::earliest));
  return static_cast<Timestamp>(start.time_since_epoch().count()) * 1000;
}

bool InDnd(const DndSchedule& dnd, std::string_view time_zone, Timestamp dnd_until, Timestamp now) {
  if (dnd_until > now) return true;
  if (!dnd.enabled || dnd.start_minute == dnd.end_minute) return false;
  const int minute =
      LocalMinuteOfDay(time_zone, now).value_or(LocalMinuteOfDay("UTC", now).value_or(0));
  if (dnd.start_minute < dnd.end_minute) {
    return minute >= dnd.start_minute && minute < dnd.end_minute;
  }
  return minute >= dnd.start_minute || minute < dnd.end_minute;  // wraps midnight
}

Decision Decide(const Recipient& r, const MessageFacts& m, Timestamp now) {
  Decision d;
  auto suppress = [&](Suppression s) {
    d.notify = false;
    d.suppressed = s;
    return d;
  };
  if (r.is_author) return suppress(Suppression::kAuthor);
  if (!r.active) return suppress(Suppression::kDeactivated);
  if (!r.can_read) return suppress(Suppression::kNotMember);
  d.reason = FindReason(r, m);
  if (d.reason == Reason::kNone) return d;
  if (r.muted) {
    if (!MentionsRecipient(r, m)) return suppress(Suppression::kMuted);
    d.reason = Reason::kMention;
  }
  if (r.level == NotifyLevel::kNone) return suppress(Suppression::kLevel);
  if (r.presence_dnd || InDnd(r.dnd, r.time_zone, r.dnd_until, now)) {
    return suppress(Suppression::kDnd);
  }
  d.notify = true;
  return d;
}

}  // namespace quik::notify

namespace quik {
namespace {

constexpr std::array<std::pair<NotifyLevel, std::string_view>, 3> kLevels = {{
    {NotifyLevel::kAll, "all"},
    {NotifyLevel::kMentions, "mentions"},
    {NotifyLevel::kNone, "none"},
}};

}  // namespace

std::string_view NotifyLevelName(NotifyLevel level) {
  for (const auto& [l, name] : kLevels) {
    if (l == level) return name;
  }
  return "mentions";
}

std::optional<NotifyLevel> ParseNotifyLevel(std::string_view name) {
  for (const auto& [l, n] : kLevels) {
    if (n == name) return l;
  }
  return std::nullopt;
}

}  // namespace quik
