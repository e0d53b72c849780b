// SPDX-License-Identifier: MIT
#include "quik/presence.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>

#include "authz/authz.hpp"
#include "common/ids.hpp"
#include "presence/presence_internal.hpp"

namespace quik {
namespace {

using presence::CodeOf;
using presence::kByCode;

constexpr char kLayoutVersion = 1;
constexpr unsigned char kNoManual = 0xff;
constexpr std::size_t kRecordSize = 11;

// The stored presence of `user_id`; absent: never seen, offline.
Result<Presence> FromStored(std::string_view user_id, const std::optional<std::string>& bytes) {
  if (bytes) return presence::DecodePresence(user_id, *bytes);
  Presence p;
  p.user_id = user_id;
  return p;
}

struct Change {
  Presence after;
  bool status_changed = false;
};

// Applies `change(i, presence)` to the stored presence of each user and moves
// last_seen to now, in one LMDB write transaction.
Result<std::vector<Change>> ApplyMany(internal::Context& ctx,
                                      const std::vector<std::string>& user_ids,
                                      const std::function<void(std::size_t, Presence&)>& change) {
  std::vector<Change> out(user_ids.size());
  QUIK_RETURN_IF_ERROR(ctx.store->lmdb().UpdateMany(
      store::Db::kPresence, user_ids,
      [&](std::size_t i,
          const std::optional<std::string>& old) -> Result<std::optional<std::string>> {
        QUIK_ASSIGN_OR_RETURN(Presence p, FromStored(user_ids[i], old));
        const PresenceStatus before = p.status;
        change(i, p);
        p.last_seen = std::max(p.last_seen, ctx.Now());  // never backwards
        out[i].status_changed = p.status != before;
        out[i].after = p;
        return std::optional<std::string>(presence::EncodePresence(p));
      }));
  return out;
}

Result<Change> Apply(internal::Context& ctx, std::string_view user_id,
                     const std::function<void(Presence&)>& change) {
  QUIK_ASSIGN_OR_RETURN(auto changes, ApplyMany(ctx, {std::string(user_id)},
                                                [&](std::size_t, Presence& p) { change(p); }));
  return std::move(changes.front());
}

}  // namespace

namespace presence {

Result<std::vector<std::string>> OnlineAmong(internal::Context& ctx,
                                             const std::vector<std::string>& user_ids) {
  QUIK_ASSIGN_OR_RETURN(auto stored, ctx.store->lmdb().GetMany(store::Db::kPresence, user_ids));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < user_ids.size(); ++i) {
    QUIK_ASSIGN_OR_RETURN(Presence p, FromStored(user_ids[i], stored[i]));
    if (p.status != PresenceStatus::kOffline) out.push_back(user_ids[i]);
  }
  return out;
}

std::string EncodePresence(const Presence& p) {
  std::string out;
  out.reserve(kRecordSize);
  out += kLayoutVersion;
  out += static_cast<char>(CodeOf(p.status));
  out += static_cast<char>(p.manual ? CodeOf(*p.manual) : kNoManual);
  const auto seen = static_cast<std::uint64_t>(p.last_seen);
  for (int i = 0; i < 8; ++i) out += static_cast<char>((seen >> (8 * i)) & 0xff);
  return out;
}

Result<Presence> DecodePresence(std::string_view user_id, std::string_view b) {
  const auto corrupt = [&] {
    return Internal("the presence record of user '" + std::string(user_id) +
                    "' is corrupt or from a newer build (" + std::to_string(b.size()) + " bytes)");
  };
  if (b.size() != kRecordSize || b[0] != kLayoutVersion) return corrupt();
  const auto status = static_cast<unsigned char>(b[1]);
  const auto manual = static_cast<unsigned char>(b[2]);
  if (status >= kByCode.size() || (manual >= kByCode.size() && manual != kNoManual)) {
    return corrupt();
  }
  Presence p;
  p.user_id = user_id;
  p.status = kByCode[status];
  if (manual != kNoManual) p.manual = kByCode[manual];
  std::uint64_t seen = 0;
  for (std::size_t i = 8; i > 0; --i) seen = (seen << 8) | static_cast<unsigned char>(b[2 + i]);
  p.last_seen = static_cast<Timestamp>(seen);
  return p;
}

Result<std::optional<Presence>> MarkConnected(internal::Context& ctx, std::string_view user_id) {
  QUIK_ASSIGN_OR_RETURN(auto changed, MarkMany(ctx, {std::string(user_id)}, {true}));
  if (changed.empty()) return std::optional<Presence>();
  return std::optional<Presence>(std::move(changed.front()));
}

Result<std::optional<Presence>> MarkDisconnected(internal::Context& ctx, std::string_view user_id) {
  QUIK_ASSIGN_OR_RETURN(auto changed, MarkMany(ctx, {std::string(user_id)}, {false}));
  if (changed.empty()) return std::optional<Presence>();
  return std::optional<Presence>(std::move(changed.front()));
}

Result<std::vector<Presence>> MarkMany(internal::Context& ctx,
                                       const std::vector<std::string>& user_ids,
                                       const std::vector<bool>& connected) {
  QUIK_ASSIGN_OR_RETURN(auto changes, ApplyMany(ctx, user_ids, [&](std::size_t i, Presence& p) {
                          p.status = connected[i] ? p.manual.value_or(PresenceStatus::kOnline)
                                                  : PresenceStatus::kOffline;
                        }));
  std::vector<Presence> changed;
  for (auto& c : changes) {
    if (c.status_changed) changed.push_back(std::move(c.after));
  }
  return changed;
}

}  // namespace presence

Result<Presence> PresenceService::Set(const Actor& actor, PresenceStatus status) {
  QUIK_RETURN_IF_ERROR(ctx_->store->Read([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    if (who.system) return InvalidArgument("presence is set by a user, not the system");
    return Status::Ok();
  }));
  QUIK_ASSIGN_OR_RETURN(Change change, Apply(*ctx_, actor.user_id(), [status](Presence& p) {
                          p.status = status;
                          p.manual = status == PresenceStatus::kOnline
                                         ? std::nullopt
                                         : std::optional<PresenceStatus>(status);
                        }));
  return std::move(change.after);
}

Result<std::vector<Presence>> PresenceService::ListWorkspace(const Actor& actor,
                                                             std::string_view workspace_ref) {
  QUIK_ASSIGN_OR_RETURN(
      auto user_ids,
      ctx_->ReadResult<std::vector<std::string>>(
          [&](store::Tx& tx, std::vector<std::string>& out) -> Status {
            QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
            QUIK_ASSIGN_OR_RETURN(auto access, authz::WorkspaceFor(tx, who, workspace_ref));
            QUIK_ASSIGN_OR_RETURN(auto users, tx.ListWorkspaceUsers(access.workspace.id));
            for (User& u : users) out.push_back(std::move(u.id));
            return Status::Ok();
          }));
  QUIK_ASSIGN_OR_RETURN(auto stored, ctx_->store->lmdb().GetMany(store::Db::kPresence, user_ids));
  std::vector<Presence> out;
  out.reserve(user_ids.size());
  for (std::size_t i = 0; i < user_ids.size(); ++i) {
    QUIK_ASSIGN_OR_RETURN(Presence p, FromStored(user_ids[i], stored[i]));
    out.push_back(std::move(p));
  }
  return out;
}

Result<Presence> PresenceService::Get(const Actor& actor, std::string_view user_ref) {
  QUIK_ASSIGN_OR_RETURN(User user, ctx_->ReadResult<User>([&](store::Tx& tx, User& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(out, authz::VisibleUser(tx, who, user_ref));
    return Status::Ok();
  }));
  QUIK_ASSIGN_OR_RETURN(auto stored, ctx_->store->lmdb().Get(store::Db::kPresence, user.id));
  return FromStored(user.id, stored);
}

}  // namespace quik
