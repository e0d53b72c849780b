// SPDX-License-Identifier: MIT
#include <cstdio>
#include <ctime>

#include "quik/types.hpp"

namespace quik {

std::string FormatTime(Timestamp t) {
  std::time_t secs = static_cast<std::time_t>(t / 1000);
  int millis = static_cast<int>(t % 1000);
  if (millis < 0) {
    millis += 1000;
    secs -= 1;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kOwner:
      return "owner";
    case Role::kAdmin:
      return "admin";
    case Role::kMember:
      return "member";
    case Role::kGuest:
      return "guest";
  }
  return "member";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kOwner, Role::kAdmin, Role::kMember, Role::kGuest}) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

std::string_view ChannelKindName(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kPublic:
      return "public";
    case ChannelKind::kPrivate:
      return "private";
    case ChannelKind::kDirect:
      return "dm";
    case ChannelKind::kGroup:
      return "group_dm";
  }
  return "public";
}

}  // namespace quik
