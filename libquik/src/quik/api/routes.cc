// SPDX-License-Identifier: MIT
// The routes of CONTRACT.md section 2: each decodes its inputs, makes one
// service call as the authenticated user and renders the result with the
// model's one JSON mapping (quik/json.hpp). Permission rules live in the
// services, never here.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>

#include "api/api.hpp"
#include "api/decode.hpp"
#include "common/text.hpp"
#include "files/media.hpp"
#include "notify/decide.hpp"
#include "quik/config.hpp"
#include "quik/json.hpp"
#include "realtime/hub.hpp"
#include "service/context.hpp"

namespace quik::api {
namespace {

using nlohmann::json;

// ---- request decoding (the readers of bodies and headers: api/decode.hpp) ---

Result<int> LimitParam(const Call& call) {
  auto text = call.Query("limit");
  if (!text) return 50;
  const auto v = internal::ParseDigits(*text);
  if (!v || *v < 1 || text->size() > 9) {
    return InvalidArgument("query parameter 'limit' must be a positive integer");
  }
  return static_cast<int>(*v);
}

Result<PageRequest> PageParams(const Call& call) {
  PageRequest page;
  QUIK_ASSIGN_OR_RETURN(page.limit, LimitParam(call));
  page.cursor = call.Query("cursor").value_or("");
  return page;
}

bool TrueParam(const Call& call, std::string_view key) {
  auto v = call.Query(key);
  return v && (*v == "true" || *v == "1" || v->empty());
}

// ---- response rendering -----------------------------------------------------

template <typename T>
json Array(const std::vector<T>& items) {
  json out = json::array();
  for (const auto& item : items) out.push_back(ToJson(item));
  return out;
}

template <typename T>
Response Items(const std::vector<T>& items, const std::string& next_cursor = {}) {
  return JsonResponse(200, {{"items", Array(items)}, {"next_cursor", next_cursor}});
}

template <typename T>
Response PageOf(const Page<T>& page) {
  return Items(page.items, page.next_cursor);
}

template <typename T>
Response Object(int status, const T& value) {
  return JsonResponse(status, ToJson(value));
}

Response NoContent() {
  Response r;
  r.status = 204;
  return r;
}

json SessionJson(const Session& s) {
  json j = {{"token", s.token.secret}, {"token_id", s.token.token.id}, {"user", ToJson(s.user)}};
  if (s.token.token.expires_at != 0) j["expires_at"] = FormatTime(s.token.token.expires_at);
  return j;
}

// One more signup or login attempt from this client address (429 past
// auth.signup_rate_per_address / auth.login_rate_per_address).
Status AllowAttempt(const Call& c, RateLimiter& limiter, std::string_view what,
                    std::chrono::seconds* retry) {
  if (!limiter.enabled() || limiter.Allow(c.request.remote_address, Clock::now(), retry)) {
    return Status::Ok();
  }
  return ResourceExhausted("too many " + std::string(what) + " from this address; try again later");
}

// ---- handlers ---------------------------------------------------------------

Result<Response> SignUp(Call& c, LoginLimits& limits) {
  std::chrono::seconds retry{};
  if (Status st = AllowAttempt(c, limits.signup_rate, "signups", &retry); !st.ok()) {
    return TooMany(st.message(), retry);
  }
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  Signup s;
  QUIK_ASSIGN_OR_RETURN(s.email, RequiredString(body, "email"));
  QUIK_ASSIGN_OR_RETURN(s.name, RequiredString(body, "name"));
  QUIK_ASSIGN_OR_RETURN(s.password, RequiredString(body, "password"));
  QUIK_ASSIGN_OR_RETURN(auto invite, OptionalString(body, "invite"));
  s.invite_code = invite.value_or("");
  QUIK_ASSIGN_OR_RETURN(Session session, c.service.auth().SignUp(s));
  return JsonResponse(201, SessionJson(session));
}

Result<Response> Login(Call& c, LoginLimits& limits) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  QUIK_ASSIGN_OR_RETURN(std::string email, RequiredString(body, "email"));
  QUIK_ASSIGN_OR_RETURN(std::string password, RequiredString(body, "password"));
  const std::string account = "account:" + internal::AsciiLower(email);
  const std::string address = "address:" + c.request.remote_address;
  const auto now = c.service.options().clock->SteadyNow();
  std::chrono::seconds account_retry{}, address_retry{};
  if (Status st = AllowAttempt(c, limits.login_rate, "logins", &address_retry); !st.ok()) {
    return TooMany(st.message(), address_retry);
  }
  const bool account_ok = limits.account.Allow(account, now, &account_retry);
  const bool address_ok = limits.address.Allow(address, now, &address_retry);
  if (!account_ok || !address_ok) {
    return TooMany("too many failed logins " +
                       std::string(account_ok   ? "from this address"
                                   : address_ok ? "for this account"
                                                : "for this account and from this address") +
                       "; try again later",
                   std::max(account_retry, address_retry));
  }
  auto session = c.service.auth().Login(email, password);
  if (!session.ok()) {
    if (session.status().code() == StatusCode::kUnauthenticated) {
      limits.account.RecordFailure(account, now);
      limits.address.RecordFailure(address, now);
    }
    return session.status();
  }
  limits.account.Clear(account);  // not the address: one good password must not unlock it
  return JsonResponse(200, SessionJson(*session));
}

Result<Response> Logout(Call& c) {
  QUIK_RETURN_IF_ERROR(c.service.auth().Logout(c.secret));
  return NoContent();
}

// Users.

Result<Response> GetMe(Call& c) {
  QUIK_ASSIGN_OR_RETURN(User u, c.service.users().Get(c.actor, c.actor.user_id()));
  return Object(200, u);
}

Result<Response> PatchMe(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  UserUpdate update;
  QUIK_ASSIGN_OR_RETURN(update.name, OptionalString(body, "name"));
  QUIK_ASSIGN_OR_RETURN(User u, c.service.users().Update(c.actor, c.actor.user_id(), update));
  return Object(200, u);
}

// Guessing the current password through a stolen session is limited like logins.
Result<Response> ChangePassword(Call& c, LoginLimits& limits) {
  LoginLimiter& limiter = limits.account;
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  QUIK_ASSIGN_OR_RETURN(std::string current, RequiredString(body, "current_password"));
  QUIK_ASSIGN_OR_RETURN(std::string password, RequiredString(body, "password"));
  const std::string key = "password:" + c.actor.user_id();
  const auto now = c.service.options().clock->SteadyNow();
  std::chrono::seconds retry{};
  if (!limiter.Allow(key, now, &retry)) {
    return TooMany("too many wrong current passwords for this user; try again later", retry);
  }
  // The session making the change stays logged in; every other one ends.
  const std::string keep =
      c.auth && c.auth->kind == TokenKind::kSession ? c.auth->token_id : std::string();
  Status st = c.service.auth().ChangePassword(c.actor, current, password, keep);
  if (st.code() == StatusCode::kPermissionDenied) limiter.RecordFailure(key, now);
  QUIK_RETURN_IF_ERROR(st);
  return NoContent();
}

// An instance admin (or the system's operator over the API) resets anyone's
// password; for oneself this is ChangePassword, which proves the current one.
Result<Response> SetPassword(Call& c, LoginLimits& limits) {
  QUIK_ASSIGN_OR_RETURN(User target, c.service.users().Get(c.actor, c.param(0)));
  if (target.id == c.actor.user_id()) return ChangePassword(c, limits);
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  QUIK_ASSIGN_OR_RETURN(std::string password, RequiredString(body, "password"));
  QUIK_RETURN_IF_ERROR(c.service.auth().SetPassword(c.actor, target.id, password));
  return NoContent();
}

Result<Response> GetUser(Call& c) {
  QUIK_ASSIGN_OR_RETURN(User u, c.service.users().Get(c.actor, c.param(0)));
  return Object(200, u);
}

Result<Response> ListUsers(Call& c) {
  QUIK_ASSIGN_OR_RETURN(auto users,
                        c.service.users().List(c.actor, c.Query("workspace").value_or("")));
  return Items(users);
}

Result<Response> CreateUser(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  NewUser spec;
  QUIK_ASSIGN_OR_RETURN(spec.email, RequiredString(body, "email"));
  QUIK_ASSIGN_OR_RETURN(spec.name, RequiredString(body, "name"));
  QUIK_ASSIGN_OR_RETURN(spec.password, OptionalString(body, "password"));
  QUIK_ASSIGN_OR_RETURN(auto is_admin, OptionalBool(body, "is_admin"));
  spec.is_admin = is_admin.value_or(false);
  QUIK_ASSIGN_OR_RETURN(User u, c.service.users().Create(c.actor, spec));
  return Object(201, u);
}

Result<Response> DeactivateUser(Call& c) {
  QUIK_ASSIGN_OR_RETURN(User u, c.service.users().Deactivate(c.actor, c.param(0)));
  return Object(200, u);
}

Result<Response> ReactivateUser(Call& c) {
  QUIK_ASSIGN_OR_RETURN(User u, c.service.users().Reactivate(c.actor, c.param(0)));
  return Object(200, u);
}

// PUT /users/{user}/admin {"is_admin": true|false}
Result<Response> SetUserAdmin(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  QUIK_ASSIGN_OR_RETURN(auto is_admin, OptionalBool(body, "is_admin"));
  if (!is_admin) return FieldError("is_admin", "is required (true or false)");
  QUIK_ASSIGN_OR_RETURN(User u, c.service.users().SetAdmin(c.actor, c.param(0), *is_admin));
  return Object(200, u);
}

// Presence.

Result<Response> SetPresence(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  QUIK_ASSIGN_OR_RETURN(PresenceStatus status, PresenceStatusField(body));
  QUIK_ASSIGN_OR_RETURN(Presence p, c.service.presence().Set(c.actor, status));
  if (c.hub != nullptr) c.hub->PresenceChanged(p);  // presence.changed to who shares a workspace
  return Object(200, p);
}

Result<Response> ListPresence(Call& c) {
  QUIK_ASSIGN_OR_RETURN(auto list, c.service.presence().ListWorkspace(c.actor, c.param(0)));
  return Items(list);
}

// Notifications and preferences.

Result<Response> GetPreferences(Call& c) {
  QUIK_ASSIGN_OR_RETURN(Preferences p, c.service.notifications().GetPreferences(c.actor));
  return Object(200, p);
}

Result<Response> PatchPreferences(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  QUIK_ASSIGN_OR_RETURN(PreferencesPatch patch, PreferencesPatchOf(body));
  QUIK_ASSIGN_OR_RETURN(Preferences p, c.service.notifications().UpdatePreferences(c.actor, patch));
  return Object(200, p);
}

Result<Response> ListNotifications(Call& c) {
  ListNotificationsRequest req;
  QUIK_ASSIGN_OR_RETURN(PageRequest page, PageParams(c));
  req.limit = page.limit;
  req.cursor = page.cursor;
  if (auto unread = c.Query("unread")) {
    if (*unread != "true" && *unread != "false" && *unread != "1" && *unread != "0") {
      return InvalidArgument("query parameter 'unread' must be true or false");
    }
    req.unread_only = *unread == "true" || *unread == "1";
  }
  QUIK_ASSIGN_OR_RETURN(auto list, c.service.notifications().List(c.actor, req));
  return PageOf(list);
}

Result<Response> MarkNotificationsRead(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  MarkReadRequest req;
  QUIK_ASSIGN_OR_RETURN(auto all, OptionalBool(body, "all"));
  req.all = all.value_or(false);
  if (body.contains("ids")) {
    QUIK_ASSIGN_OR_RETURN(req.ids, StringArray(body, "ids", kMaxNotificationIdsPerCall));
  }
  QUIK_ASSIGN_OR_RETURN(int n, c.service.notifications().MarkRead(c.actor, req));
  return JsonResponse(200, {{"marked_read", n}});
}

// Tokens.

// From a login session (a browser) the caller's password comes too; wrong
// ones are limited like password changes.
Result<Response> CreateToken(Call& c, LoginLimits& limits) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody(/*allow_empty=*/true));
  QUIK_ASSIGN_OR_RETURN(auto user, OptionalString(body, "user"));
  NewToken spec;
  spec.reauthenticate = c.auth && c.auth->kind == TokenKind::kSession;
  QUIK_ASSIGN_OR_RETURN(spec.password, OptionalString(body, "password"));
  const std::string key = "password:" + c.actor.user_id();
  const auto now = Clock::now();
  if (spec.reauthenticate && spec.password) {
    std::chrono::seconds retry{};
    if (!limits.account.Allow(key, now, &retry)) {
      return TooMany("too many wrong passwords for this user; try again later", retry);
    }
  }
  QUIK_ASSIGN_OR_RETURN(auto name, OptionalString(body, "name"));
  spec.name = name.value_or("");
  QUIK_ASSIGN_OR_RETURN(auto ttl, OptionalString(body, "ttl"));
  if (ttl) {
    auto d = ParseDuration(*ttl);
    if (!d.ok()) return FieldError("ttl", d.status().message());
    spec.ttl = *d;
  }
  auto t = c.service.auth().CreateToken(c.actor, user.value_or(c.actor.user_id()), spec);
  if (!t.ok() && spec.password && t.status().code() == StatusCode::kPermissionDenied) {
    limits.account.RecordFailure(key, now);
  }
  QUIK_RETURN_IF_ERROR(t.status());
  return Object(201, *t);
}

Result<Response> ListTokens(Call& c) {
  QUIK_ASSIGN_OR_RETURN(auto tokens, c.service.auth().ListTokens(
                                         c.actor, c.Query("user").value_or(c.actor.user_id())));
  return Items(tokens);
}

Result<Response> RevokeToken(Call& c) {
  QUIK_RETURN_IF_ERROR(c.service.auth().RevokeToken(c.actor, c.param(0)));
  return NoContent();
}

// Workspaces, members, invites.

Result<Response> CreateWorkspace(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  NewWorkspace spec;
  QUIK_ASSIGN_OR_RETURN(spec.name, RequiredString(body, "name"));
  QUIK_ASSIGN_OR_RETURN(auto slug, OptionalString(body, "slug"));
  spec.slug = slug.value_or("");
  QUIK_ASSIGN_OR_RETURN(Workspace ws, c.service.workspaces().Create(c.actor, spec));
  return Object(201, ws);
}

Result<Response> ListWorkspaces(Call& c) {
  QUIK_ASSIGN_OR_RETURN(auto list, c.service.workspaces().List(c.actor));
  return Items(list);
}

Result<Response> GetWorkspace(Call& c) {
  QUIK_ASSIGN_OR_RETURN(Workspace ws, c.service.workspaces().Get(c.actor, c.param(0)));
  return Object(200, ws);
}

Result<Response> DeleteWorkspace(Call& c) {
  QUIK_RETURN_IF_ERROR(c.service.workspaces().Delete(c.actor, c.param(0)));
  return NoContent();
}

Result<Response> ListMembers(Call& c) {
  QUIK_ASSIGN_OR_RETURN(PageRequest page, PageParams(c));
  QUIK_ASSIGN_OR_RETURN(auto members,
                        c.service.workspaces().ListMembers(c.actor, c.param(0), page));
  return PageOf(members);
}

// 201 with the member for a user the caller may know of; for any other email
// (an account or not: the answer does not say) 202 with an invite bound to it.
Result<Response> AddMember(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  QUIK_ASSIGN_OR_RETURN(std::string user, UserRef(body));
  QUIK_ASSIGN_OR_RETURN(Role role, RoleField(body, Role::kMember));
  QUIK_ASSIGN_OR_RETURN(MemberOrInvite added,
                        c.service.workspaces().AddMemberOrInvite(c.actor, c.param(0), user, role));
  if (added.member) return Object(201, *added.member);
  return JsonResponse(202, {{"status", "invited"}, {"invite", ToJson(*added.invite)}});
}

Result<Response> GetMember(Call& c) {
  QUIK_ASSIGN_OR_RETURN(Member m,
                        c.service.workspaces().GetMember(c.actor, c.param(0), c.param(1)));
  return Object(200, m);
}

Result<Response> PatchMember(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  QUIK_RETURN_IF_ERROR(RequiredString(body, "role").status());  // null or absent: no default
  QUIK_ASSIGN_OR_RETURN(Role role, RoleField(body, Role::kMember));
  QUIK_ASSIGN_OR_RETURN(Member m,
                        c.service.workspaces().SetRole(c.actor, c.param(0), c.param(1), role));
  return Object(200, m);
}

Result<Response> RemoveMember(Call& c) {
  QUIK_RETURN_IF_ERROR(c.service.workspaces().RemoveMember(c.actor, c.param(0), c.param(1)));
  return NoContent();
}

Result<Response> CreateInvite(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody(/*allow_empty=*/true));
  NewInvite spec;
  QUIK_ASSIGN_OR_RETURN(spec.role, RoleField(body, Role::kMember));
  QUIK_ASSIGN_OR_RETURN(auto email, OptionalString(body, "email"));
  spec.email = email.value_or("");
  if (auto it = body.find("max_uses"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1 ||
        it->get<std::int64_t>() > kMaxInviteUses) {
      return FieldError("max_uses",
                        "must be an integer from 1 to " + std::to_string(kMaxInviteUses));
    }
    spec.max_uses = static_cast<int>(it->get<std::int64_t>());
  }
  QUIK_ASSIGN_OR_RETURN(auto ttl, OptionalString(body, "ttl"));
  if (ttl) {
    auto d = ParseDuration(*ttl);
    if (!d.ok()) return FieldError("ttl", d.status().message());
    spec.ttl = *d;
  }
  QUIK_ASSIGN_OR_RETURN(Invite invite,
                        c.service.workspaces().CreateInvite(c.actor, c.param(0), spec));
  return Object(201, invite);
}

Result<Response> ListInvites(Call& c) {
  QUIK_ASSIGN_OR_RETURN(auto invites, c.service.workspaces().ListInvites(c.actor, c.param(0)));
  return Items(invites);
}

Result<Response> RevokeInvite(Call& c) {
  QUIK_RETURN_IF_ERROR(
      c.service.workspaces().RevokeInvite(c.actor, c.param(0), c.param(1)).status());
  return NoContent();
}

Result<Response> AcceptInvite(Call& c) {
  QUIK_ASSIGN_OR_RETURN(Member m, c.service.workspaces().AcceptInvite(c.actor, c.param(0)));
  return Object(200, m);
}

// Channels.

Result<Response> ListChannels(Call& c) {
  ListChannelsRequest request;
  request.include_archived = TrueParam(c, "include_archived");
  QUIK_ASSIGN_OR_RETURN(auto list, c.service.channels().List(c.actor, c.param(0), request));
  return Items(list);
}

Result<Response> CreateChannel(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  NewChannel spec;
  QUIK_ASSIGN_OR_RETURN(spec.name, RequiredString(body, "name"));
  QUIK_ASSIGN_OR_RETURN(auto is_private, OptionalBool(body, "private"));
  spec.is_private = is_private.value_or(false);
  QUIK_ASSIGN_OR_RETURN(auto topic, OptionalString(body, "topic"));
  spec.topic = topic.value_or("");
  QUIK_ASSIGN_OR_RETURN(Channel ch, c.service.channels().Create(c.actor, c.param(0), spec));
  return Object(201, ch);
}

Result<Response> OpenDirect(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  QUIK_ASSIGN_OR_RETURN(auto users, StringArray(body, "user_ids", 64));
  QUIK_ASSIGN_OR_RETURN(DirectChannel dm,
                        c.service.channels().OpenDirect(c.actor, c.param(0), users));
  return Object(dm.created ? 201 : 200, dm.channel);
}

Result<Response> GetChannel(Call& c) {
  QUIK_ASSIGN_OR_RETURN(Channel ch, c.service.channels().Get(c.actor, c.param(0)));
  return Object(200, ch);
}

Result<Response> PatchChannel(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  ChannelUpdate update;
  QUIK_ASSIGN_OR_RETURN(update.name, OptionalString(body, "name"));
  QUIK_ASSIGN_OR_RETURN(update.topic, OptionalString(body, "topic"));
  QUIK_ASSIGN_OR_RETURN(Channel ch, c.service.channels().Update(c.actor, c.param(0), update));
  return Object(200, ch);
}

Result<Response> ArchiveChannel(Call& c) {
  QUIK_ASSIGN_OR_RETURN(Channel ch, c.service.channels().Archive(c.actor, c.param(0)));
  return Object(200, ch);
}

Result<Response> JoinChannel(Call& c) {
  QUIK_RETURN_IF_ERROR(c.service.channels().Join(c.actor, c.param(0)));
  QUIK_ASSIGN_OR_RETURN(Channel ch, c.service.channels().Get(c.actor, c.param(0)));
  return Object(200, ch);
}

Result<Response> LeaveChannel(Call& c) {
  QUIK_RETURN_IF_ERROR(c.service.channels().Leave(c.actor, c.param(0)));
  return NoContent();
}

Result<Response> ListChannelMembers(Call& c) {
  QUIK_ASSIGN_OR_RETURN(auto members, c.service.channels().ListMembers(c.actor, c.param(0)));
  return Items(members);
}

Result<Response> AddChannelMember(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  QUIK_ASSIGN_OR_RETURN(std::string user, UserRef(body));
  QUIK_RETURN_IF_ERROR(c.service.channels().AddMember(c.actor, c.param(0), user));
  QUIK_ASSIGN_OR_RETURN(auto members, c.service.channels().ListMembers(c.actor, c.param(0)));
  for (const ChannelMember& m : members) {
    if (m.user_id == user || internal::AsciiLower(m.email) == internal::AsciiLower(user))
      return Object(201, m);
  }
  return Internal("the new channel member is missing from the member list");
}

Result<Response> RemoveChannelMember(Call& c) {
  QUIK_RETURN_IF_ERROR(c.service.channels().RemoveMember(c.actor, c.param(0), c.param(1)));
  return NoContent();
}

// Messages.

void PostMessage(std::shared_ptr<Call> c, Reply reply) {
  NewMessage msg;
  Status st = [&]() -> Status {
    QUIK_ASSIGN_OR_RETURN(json body, c->JsonBody());
    // "file_ids" alone (no "text") shares files without a comment.
    if (body.contains("file_ids") && !body["file_ids"].is_null()) {
      QUIK_ASSIGN_OR_RETURN(msg.file_ids, StringArray(body, "file_ids", kMaxFilesPerMessage));
    }
    if (msg.file_ids.empty()) {
      QUIK_ASSIGN_OR_RETURN(msg.text, RequiredString(body, "text"));
    } else {
      QUIK_ASSIGN_OR_RETURN(auto text, OptionalString(body, "text"));
      msg.text = text.value_or("");
    }
    QUIK_ASSIGN_OR_RETURN(auto client_msg_id, OptionalString(body, "client_msg_id"));
    msg.client_msg_id = client_msg_id.value_or("");
    QUIK_ASSIGN_OR_RETURN(auto root, OptionalString(body, "thread_root_id"));
    msg.thread_root_id = root.value_or("");
    QUIK_ASSIGN_OR_RETURN(auto broadcast, OptionalBool(body, "reply_broadcast"));
    msg.reply_broadcast = broadcast.value_or(false);
    return Status::Ok();
  }();
  if (!st.ok()) return reply(ErrorResponse(st));
  // `done` runs on the store's commit thread: hand the rendering (and the
  // request's log line and metrics) to a network thread.
  c->service.messages().PostAsync(c->actor, c->param(0), msg,
                                  [defer = c->defer, reply](Result<Posted> posted) {
                                    defer([posted = std::move(posted), reply] {
                                      if (!posted.ok())
                                        return reply(ErrorResponse(posted.status()));
                                      reply(Object(posted->created ? 201 : 200, posted->message));
                                    });
                                  });
}

Result<Response> ListMessages(Call& c) {
  ListMessagesRequest request;
  QUIK_ASSIGN_OR_RETURN(request.limit, LimitParam(c));
  request.cursor = c.Query("cursor").value_or("");
  request.before = c.Query("before").value_or("");
  request.after = c.Query("after").value_or("");
  QUIK_ASSIGN_OR_RETURN(auto page, c.service.messages().List(c.actor, c.param(0), request));
  return PageOf(page);
}

// GET /workspaces/{ws}/search?q=&limit=&cursor=&sort=recent|relevance.
// Blocking: a relevance ranking of a common word can take a while.
Result<Response> Search(Call& c) {
  SearchRequest request;
  auto q = c.Query("q");
  if (!q) return InvalidArgument("query parameter 'q' is required (the search query)");
  request.query = *q;
  request.limit = 20;
  if (c.Query("limit")) {
    QUIK_ASSIGN_OR_RETURN(request.limit, LimitParam(c));
  }
  request.cursor = c.Query("cursor").value_or("");
  auto sort = c.Query("sort").value_or("recent");
  if (sort == "relevance") {
    request.sort = SearchSort::kRelevance;
  } else if (sort != "recent" && !sort.empty()) {
    return InvalidArgument("query parameter 'sort' must be \"recent\" or \"relevance\"");
  }
  QUIK_ASSIGN_OR_RETURN(auto page, c.service.search().Search(c.actor, c.param(0), request));
  return PageOf(page);
}

Result<Response> GetMessage(Call& c) {
  QUIK_ASSIGN_OR_RETURN(Message m, c.service.messages().Get(c.actor, c.param(0)));
  return Object(200, m);
}

Result<Response> EditMessage(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  QUIK_ASSIGN_OR_RETURN(std::string text, RequiredString(body, "text"));
  QUIK_ASSIGN_OR_RETURN(Message m, c.service.messages().Edit(c.actor, c.param(0), text));
  return Object(200, m);
}

Result<Response> DeleteMessage(Call& c) {
  QUIK_RETURN_IF_ERROR(c.service.messages().Delete(c.actor, c.param(0)).status());
  return NoContent();
}

Result<Response> ListReplies(Call& c) {
  QUIK_ASSIGN_OR_RETURN(PageRequest page, PageParams(c));
  QUIK_ASSIGN_OR_RETURN(auto replies, c.service.messages().ListReplies(c.actor, c.param(0), page));
  return PageOf(replies);
}

// Read state and threads.

Result<Response> MarkChannelRead(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  QUIK_ASSIGN_OR_RETURN(std::string message_id, RequiredString(body, "message_id"));
  QUIK_ASSIGN_OR_RETURN(ReadState st, c.service.reads().MarkRead(c.actor, c.param(0), message_id));
  return Object(200, st);
}

Result<Response> MarkThreadRead(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  QUIK_ASSIGN_OR_RETURN(auto message_id, OptionalString(body, "message_id"));
  QUIK_ASSIGN_OR_RETURN(
      ReadState st, c.service.reads().MarkThreadRead(c.actor, c.param(0), message_id.value_or("")));
  return Object(200, st);
}

Result<Response> ListUnreads(Call& c) {
  QUIK_ASSIGN_OR_RETURN(Unreads u, c.service.reads().ListUnreads(c.actor, c.param(0)));
  return JsonResponse(200, {{"items", Array(u.channels)}, {"threads", Array(u.threads)}});
}

Result<Response> FollowThread(Call& c) {
  QUIK_ASSIGN_OR_RETURN(ReadState st, c.service.reads().FollowThread(c.actor, c.param(0)));
  return Object(200, st);
}

Result<Response> UnfollowThread(Call& c) {
  QUIK_ASSIGN_OR_RETURN(ReadState st, c.service.reads().UnfollowThread(c.actor, c.param(0)));
  return Object(200, st);
}

// Reactions, pins, edit history.

Result<Response> AddReaction(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  QUIK_ASSIGN_OR_RETURN(std::string emoji, RequiredString(body, "emoji"));
  QUIK_ASSIGN_OR_RETURN(Message m, c.service.messages().AddReaction(c.actor, c.param(0), emoji));
  return Object(200, m);
}

Result<Response> RemoveReaction(Call& c) {
  QUIK_ASSIGN_OR_RETURN(Message m,
                        c.service.messages().RemoveReaction(c.actor, c.param(0), c.param(1)));
  return Object(200, m);
}

Result<Response> PinMessage(Call& c) {
  QUIK_ASSIGN_OR_RETURN(Pin pin, c.service.messages().PinMessage(c.actor, c.param(0)));
  return Object(200, pin);
}

Result<Response> UnpinMessage(Call& c) {
  QUIK_RETURN_IF_ERROR(c.service.messages().UnpinMessage(c.actor, c.param(0)));
  return NoContent();
}

Result<Response> ListPins(Call& c) {
  QUIK_ASSIGN_OR_RETURN(auto pins, c.service.messages().ListPins(c.actor, c.param(0)));
  return Items(pins);
}

Result<Response> ListEdits(Call& c) {
  QUIK_ASSIGN_OR_RETURN(auto edits, c.service.messages().ListEdits(c.actor, c.param(0)));
  return Items(edits);
}

// Webhooks.

Result<Response> CreateWebhook(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  NewWebhook spec;
  QUIK_ASSIGN_OR_RETURN(spec.url, RequiredString(body, "url"));
  QUIK_ASSIGN_OR_RETURN(spec.events, StringArray(body, "events", kMaxWebhookEvents));
  QUIK_ASSIGN_OR_RETURN(auto description, OptionalString(body, "description"));
  spec.description = description.value_or("");
  QUIK_ASSIGN_OR_RETURN(CreatedWebhook w, c.service.webhooks().Create(c.actor, c.param(0), spec));
  return Object(201, w);
}

Result<Response> ListWebhooks(Call& c) {
  QUIK_ASSIGN_OR_RETURN(auto hooks, c.service.webhooks().List(c.actor, c.param(0)));
  return Items(hooks);
}

Result<Response> GetWebhook(Call& c) {
  QUIK_ASSIGN_OR_RETURN(Webhook w, c.service.webhooks().Get(c.actor, c.param(0)));
  return Object(200, w);
}

Result<Response> PatchWebhook(Call& c) {
  QUIK_ASSIGN_OR_RETURN(json body, c.JsonBody());
  QUIK_ASSIGN_OR_RETURN(auto paused, OptionalBool(body, "paused"));
  if (!paused) return FieldError("paused", "is required (true or false)");
  QUIK_ASSIGN_OR_RETURN(Webhook w, c.service.webhooks().SetPaused(c.actor, c.param(0), *paused));
  return Object(200, w);
}

Result<Response> DeleteWebhook(Call& c) {
  QUIK_RETURN_IF_ERROR(c.service.webhooks().Delete(c.actor, c.param(0)));
  return NoContent();
}

Result<Response> ListWebhookDeliveries(Call& c) {
  ListDeliveriesRequest request;
  QUIK_ASSIGN_OR_RETURN(request.limit, LimitParam(c));
  request.cursor = c.Query("cursor").value_or("");
  if (auto status = c.Query("status"); status && !status->empty()) {
    request.status = ParseDeliveryStatus(*status);
    if (!request.status) {
      return InvalidArgument(
          "query parameter 'status' must be \"pending\", \"succeeded\" or \"failed\"");
    }
  }
  QUIK_ASSIGN_OR_RETURN(auto page,
                        c.service.webhooks().ListDeliveries(c.actor, c.param(0), request));
  return PageOf(page);
}

// Files.

Result<Response> UploadFile(Call& c) {
  const std::string name = c.Query("name").value_or("");
  Result<File> file =
      c.request.upload ? c.service.files().Commit(c.actor, c.param(0), name, *c.request.upload)
                       : c.service.files().UploadBytes(c.actor, c.param(0), name, c.request.body);
  if (!file.ok()) return PayloadErrorResponse(file.status());
  return Object(201, *file);
}

Result<Response> ListFiles(Call& c) {
  QUIK_ASSIGN_OR_RETURN(PageRequest page, PageParams(c));
  QUIK_ASSIGN_OR_RETURN(auto files, c.service.files().List(c.actor, c.param(0), page));
  return PageOf(files);
}

Result<Response> FileInfo(Call& c) {
  QUIK_ASSIGN_OR_RETURN(File f, c.service.files().Get(c.actor, c.param(0)));
  return Object(200, f);
}

// Content-Disposition (RFC 6266): a plain ASCII filename for old clients and
// the exact UTF-8 name as filename* (RFC 5987 percent-encoding).
std::string ContentDisposition(std::string_view name, bool inline_view) {
  std::string ascii, encoded;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : name) {
    const auto b = static_cast<unsigned char>(ch);
    const bool printable = b >= 0x20 && b < 0x7F;
    ascii += printable && ch != '"' && ch != '\\' && ch != '%' ? ch : '_';
    const bool attr_char = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
                           (b >= '0' && b <= '9') ||
                           std::string_view("!#$&+-.^_`|~").find(ch) != std::string_view::npos;
    if (attr_char) {
      encoded += ch;
    } else {
      encoded += '%';
      encoded += kHex[b >> 4];
      encoded += kHex[b & 15];
    }
  }
  if (ascii.empty()) ascii = "file";
  return std::string(inline_view ? "inline" : "attachment") + "; filename=\"" + ascii +
         "\"; filename*=UTF-8''" + encoded;
}

// GET (and HEAD) of a file's bytes or thumbnail: the ETag is the content's
// SHA-256, so If-None-Match answers 304 without a byte; one Range is 206.
// Only images are shown inline; everything is sandboxed and never sniffed.
Result<Response> Download(Call& c, FilePart part) {
  QUIK_ASSIGN_OR_RETURN(FileContent content, c.service.files().Open(c.actor, c.param(0), part));
  auto fd = std::make_shared<files::Fd>(::open(content.path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (fd->get() < 0 || ::fstat(fd->get(), &st) != 0) {
    return Internal("the bytes of file " + content.file.id + " are missing from the blob store");
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const std::string etag = "\"" + content.sha256 + "\"";
  const bool inline_view =
      part == FilePart::kThumbnail || files::IsThumbnailable(content.content_type);
  Response r;
  r.content_type = content.content_type;
  r.headers = {
      {"ETag", etag},
      {"Accept-Ranges", "bytes"},
      {"Cache-Control", "private, no-cache"},
      {"X-Content-Type-Options", "nosniff"},
      {"Content-Security-Policy", "sandbox; default-src 'none'"},
      {"Content-Disposition", ContentDisposition(content.file.name, inline_view)},
  };
  if (!c.request.if_none_match.empty() && EtagListed(c.request.if_none_match, etag)) {
    r.status = 304;
    return r;
  }
  ByteRange range{0, size};
  RangeKind kind = RangeKind::kNone;
  const bool range_applies = c.request.if_range.empty() || EtagListed(c.request.if_range, etag);
  if (!c.request.range.empty() && range_applies) kind = ParseRange(c.request.range, size, &range);
  if (kind == RangeKind::kUnsatisfiable) {
    Response e =
        ErrorResponse(416, "range_not_satisfiable",
                      "the Range is outside the file's " + std::to_string(size) + " bytes");
    e.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
    return e;
  }
  if (kind == RangeKind::kSatisfiable) {
    r.status = 206;
    r.headers.emplace_back("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                                std::to_string(range.first + range.length - 1) +
                                                "/" + std::to_string(size));
  }
  r.file = FileBody{std::move(fd), range.first, range.length};
  return r;
}

Route R(std::string method, std::string pattern, Exec exec, SyncHandler fn,
        Access access = Access::kUser) {
  Route r;
  r.method = std::move(method);
  r.pattern = "/api/v1" + pattern;
  r.access = access;
  r.exec = exec;
  r.sync = std::move(fn);
  return r;
}

// A route whose body is a streamed file upload (Route::upload).
Route UploadRoute(Route r) {
  r.upload = true;
  return r;
}

// A route whose handler replies when it is done (Exec::kAsync).
Route RAsync(std::string method, std::string pattern, AsyncHandler fn) {
  Route r = R(std::move(method), std::move(pattern), Exec::kAsync, nullptr);
  r.async = std::move(fn);
  return r;
}

// Runs route `r`'s handler on `pool`, one of internal::Context's pools for
// one kind of expensive request work, instead of on a request worker: that
// kind cannot hold up the others, and a burst of it waits there, bounded, or
// is refused with 503 + Retry-After (`busy` says why and which settings).
Route OnPool(Route r, internal::BoundedPool& (internal::Context::*pool)(), std::string busy) {
  r.exec = Exec::kAsync;
  r.async = [pool, busy = std::move(busy), handler = std::move(r.sync)](std::shared_ptr<Call> c,
                                                                        Reply reply) {
    auto run = [c, reply, handler]() {
      Result<Response> response = handler(*c);
      reply(response.ok() ? std::move(*response) : ErrorResponse(response.status()));
    };
    internal::Context* ctx = internal::ContextOf(c->service);
    if (ctx == nullptr) return c->blocking(std::move(run));  // another Service: no pools
    if (!((*ctx).*pool)().TrySubmit(run)) reply(ErrorResponse(Unavailable(busy)));
  };
  r.sync = nullptr;
  return r;
}

// Uploads are finished on a pool of their own: sniffing, thumbnails and
// storing never hold a request worker.
Route OnUploadPool(Route r) {
  return OnPool(std::move(r), &internal::Context::upload_pool,
                "too many uploads are being processed (files.upload_threads + "
                "files.upload_queue); retry after Retry-After seconds");
}

// Requests that check or set a password run on the auth pool, where they wait
// for their hash (auth.hash_threads): a flood of logins never holds a request
// worker, so other writes go on.
Route OnAuthPool(Route r) {
  return OnPool(std::move(r), &internal::Context::auth_pool,
                "too many logins and password changes are in progress (server.auth_threads + "
                "server.auth_queue); retry after Retry-After seconds");
}

}  // namespace

std::vector<Route> ApiRoutes(LoginLimits& limits) {
  constexpr Exec kInline = Exec::kInline;
  constexpr Exec kBlocking = Exec::kBlocking;
  std::vector<Route> routes = {
      OnAuthPool(R(
          "POST", "/auth/signup", kBlocking, [&limits](Call& c) { return SignUp(c, limits); },
          Access::kPublic)),
      OnAuthPool(R(
          "POST", "/auth/login", kBlocking, [&limits](Call& c) { return Login(c, limits); },
          Access::kPublic)),
      R("POST", "/auth/logout", kBlocking, Logout),

      // Literal segments ("me") come before parameters ("{user}").
      R("GET", "/users/me", kInline, GetMe),
      R("PATCH", "/users/me", kBlocking, PatchMe),
      OnAuthPool(R("PUT", "/users/me/password", kBlocking,
                   [&limits](Call& c) { return ChangePassword(c, limits); })),
      R("PUT", "/users/me/presence", kBlocking, SetPresence),
      R("GET", "/users/me/preferences", kInline, GetPreferences),
      R("PATCH", "/users/me/preferences", kBlocking, PatchPreferences),
      R("GET", "/users/me/notifications", kInline, ListNotifications),
      R("POST", "/users/me/notifications/read", kBlocking, MarkNotificationsRead),
      R("GET", "/users", kInline, ListUsers),
      OnAuthPool(R("POST", "/users", kBlocking, CreateUser)),
      R("GET", "/users/{user}", kInline, GetUser),
      R("POST", "/users/{user}/deactivate", kBlocking, DeactivateUser),
      R("POST", "/users/{user}/reactivate", kBlocking, ReactivateUser),
      R("PUT", "/users/{user}/admin", kBlocking, SetUserAdmin),
      OnAuthPool(R("PUT", "/users/{user}/password", kBlocking,
                   [&limits](Call& c) { return SetPassword(c, limits); })),

      OnAuthPool(
          R("POST", "/tokens", kBlocking, [&limits](Call& c) { return CreateToken(c, limits); })),
      R("GET", "/tokens", kInline, ListTokens),
      R("DELETE", "/tokens/{token}", kBlocking, RevokeToken),

      R("POST", "/workspaces", kBlocking, CreateWorkspace),
      R("GET", "/workspaces", kInline, ListWorkspaces),
      R("GET", "/workspaces/{ws}", kInline, GetWorkspace),
      R("DELETE", "/workspaces/{ws}", kBlocking, DeleteWorkspace),
      R("GET", "/workspaces/{ws}/members", kInline, ListMembers),
      R("POST", "/workspaces/{ws}/members", kBlocking, AddMember),
      R("GET", "/workspaces/{ws}/members/{user}", kInline, GetMember),
      R("PATCH", "/workspaces/{ws}/members/{user}", kBlocking, PatchMember),
      R("DELETE", "/workspaces/{ws}/members/{user}", kBlocking, RemoveMember),
      R("GET", "/workspaces/{ws}/invites", kInline, ListInvites),
      R("POST", "/workspaces/{ws}/invites", kBlocking, CreateInvite),
      R("DELETE", "/workspaces/{ws}/invites/{invite}", kBlocking, RevokeInvite),
      R("POST", "/invites/{code}/accept", kBlocking, AcceptInvite),
      R("GET", "/workspaces/{ws}/channels", kInline, ListChannels),
      R("POST", "/workspaces/{ws}/channels", kBlocking, CreateChannel),
      R("POST", "/workspaces/{ws}/dms", kBlocking, OpenDirect),
      R("GET", "/workspaces/{ws}/unreads", kInline, ListUnreads),
      UploadRoute(OnUploadPool(R("POST", "/workspaces/{ws}/files", kBlocking, UploadFile))),
      R("GET", "/workspaces/{ws}/files", kInline, ListFiles),
      R("GET", "/workspaces/{ws}/search", kBlocking, Search),
      R("GET", "/workspaces/{ws}/presence", kInline, ListPresence),

      R("GET", "/channels/{ch}", kInline, GetChannel),
      R("PATCH", "/channels/{ch}", kBlocking, PatchChannel),
      R("POST", "/channels/{ch}/archive", kBlocking, ArchiveChannel),
      R("POST", "/channels/{ch}/join", kBlocking, JoinChannel),
      R("POST", "/channels/{ch}/leave", kBlocking, LeaveChannel),
      R("GET", "/channels/{ch}/members", kInline, ListChannelMembers),
      R("POST", "/channels/{ch}/members", kBlocking, AddChannelMember),
      R("DELETE", "/channels/{ch}/members/{user}", kBlocking, RemoveChannelMember),
      R("GET", "/channels/{ch}/messages", kInline, ListMessages),
      R("GET", "/channels/{ch}/pins", kInline, ListPins),
      R("POST", "/channels/{ch}/read", kBlocking, MarkChannelRead),

      R("GET", "/messages/{msg}", kInline, GetMessage),
      R("PATCH", "/messages/{msg}", kBlocking, EditMessage),
      R("DELETE", "/messages/{msg}", kBlocking, DeleteMessage),
      R("GET", "/messages/{msg}/replies", kInline, ListReplies),
      R("POST", "/messages/{msg}/read", kBlocking, MarkThreadRead),
      R("POST", "/messages/{msg}/follow", kBlocking, FollowThread),
      R("DELETE", "/messages/{msg}/follow", kBlocking, UnfollowThread),
      R("POST", "/messages/{msg}/reactions", kBlocking, AddReaction),
      R("DELETE", "/messages/{msg}/reactions/{emoji}", kBlocking, RemoveReaction),
      R("POST", "/messages/{msg}/pin", kBlocking, PinMessage),
      R("DELETE", "/messages/{msg}/pin", kBlocking, UnpinMessage),
      R("GET", "/messages/{msg}/edits", kInline, ListEdits),

      R("GET", "/files/{file}", kInline, [](Call& c) { return Download(c, FilePart::kOriginal); }),
      R("HEAD", "/files/{file}", kInline, [](Call& c) { return Download(c, FilePart::kOriginal); }),
      R("GET", "/files/{file}/info", kInline, FileInfo),
      R("GET", "/files/{file}/thumbnail", kInline,
        [](Call& c) { return Download(c, FilePart::kThumbnail); }),
      R("HEAD", "/files/{file}/thumbnail", kInline,
        [](Call& c) { return Download(c, FilePart::kThumbnail); }),
      R("GET", "/ws", kInline, WebSocketHandshake, Access::kPublic),
      RAsync("GET", "/events", LongPoll),
      RAsync("POST", "/channels/{ch}/messages", PostMessage),

      R("GET", "/workspaces/{ws}/webhooks", kInline, ListWebhooks),
      R("POST", "/workspaces/{ws}/webhooks", kBlocking, CreateWebhook),
      R("GET", "/webhooks/{hook}", kInline, GetWebhook),
      R("PATCH", "/webhooks/{hook}", kBlocking, PatchWebhook),
      R("DELETE", "/webhooks/{hook}", kBlocking, DeleteWebhook),
      R("GET", "/webhooks/{hook}/deliveries", kInline, ListWebhookDeliveries),
  };
  return routes;
}

}  // namespace quik::api
