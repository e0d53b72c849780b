// SPDX-License-Identifier: MIT
// The authorization matrix over HTTP (CONTRACT.md section 0): for every route
// and object, each role gets exactly what the rules allow, and whoever may not
// see an object gets the same 404 as for an id that names nothing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "api/api.hpp"
#include "integration/files_testing.hpp"
#include "integration/http_fixture.hpp"

namespace {

using quik_http::Api;
using quik_http::HttpFixture;
using quik_http::json;
using quik_http::Resp;

enum Who { kOwner, kAdmin, kMember, kGuest, kOutsider, kDeactivated, kInstanceAdmin, kWhoCount };
constexpr std::array<const char*, kWhoCount> kWhoNames = {
    "owner", "admin", "member", "guest", "outsider", "deactivated", "instance admin"};
const std::string kPassword = "team password 1";

// One workspace with a user of every role and an object of every kind:
//   #general  public; the guest was added to it, the member posted in it
//   #random   public; the guest is not in it
//   #secret   private; the owner and the member
//   dm        the owner and the member
// The outsider owns another workspace; the deactivated user was a member; the
// instance admin (User::is_admin) is in no workspace.
struct Team {
  std::array<quik::User, kWhoCount> users;
  quik::Workspace ws;
  quik::Workspace other_ws;
  quik::Channel general, random, secret, dm;
  quik::Message general_by_owner, general_by_member, secret_by_owner, dm_by_owner;
  std::array<std::string, kWhoCount> tokens;

  const quik::User& owner() const { return users[kOwner]; }
  const quik::User& member() const { return users[kMember]; }
  const quik::User& guest() const { return users[kGuest]; }
};

Team MakeTeam(HttpFixture& fx) {
  Team t;
  for (int w = 0; w < kWhoCount; ++w) {
    quik::NewUser spec;
    spec.name = std::string("The ") + kWhoNames[w];
    spec.email = quik_test::ServiceFixture::DefaultEmail(spec.name);
    spec.password = kPassword;
    spec.is_admin = w == kInstanceAdmin;
    t.users[w] = REQUIRE_VALUE(fx.svc().users().Create(quik::Actor::System(), spec));
  }
  t.ws = fx.CreateWorkspace(t.owner(), "Acme", "acme");
  fx.AddMember(t.ws, t.users[kAdmin], quik::Role::kAdmin);
  fx.AddMember(t.ws, t.member(), quik::Role::kMember);
  fx.AddMember(t.ws, t.guest(), quik::Role::kGuest);
  fx.AddMember(t.ws, t.users[kDeactivated], quik::Role::kMember);
  t.other_ws = fx.CreateWorkspace(t.users[kOutsider], "Elsewhere", "elsewhere");

  t.general = fx.CreateChannel(t.owner(), t.ws, "general");
  fx.AddChannelMember(t.general, t.guest());
  t.random = fx.CreateChannel(t.owner(), t.ws, "random");
  t.secret = fx.CreateChannel(t.owner(), t.ws, "secret", /*is_private=*/true);
  fx.AddChannelMember(t.secret, t.member());
  t.dm = REQUIRE_VALUE(fx.svc().channels().OpenDirect(quik::Actor::ForUser(t.owner().id), t.ws.id,
                                                      {t.member().id}))
             .channel;

  t.general_by_owner = fx.PostAs(t.owner(), t.general.id, "general, by the owner");
  t.general_by_member = fx.PostAs(t.member(), t.general.id, "general, by the member");
  t.secret_by_owner = fx.PostAs(t.owner(), t.secret.id, "secret, by the owner");
  t.dm_by_owner = fx.PostAs(t.owner(), t.dm.id, "dm, by the owner");

  for (int w = 0; w < kWhoCount; ++w) t.tokens[w] = fx.Token(t.users[w]);
  // Deactivation revokes the token issued above.
  REQUIRE_VALUE(fx.svc().users().Deactivate(quik::Actor::System(), t.users[kDeactivated].id));
  return t;
}

// What a role sends to one route.
struct Req {
  std::string method;
  std::string path;  // under /api/v1
  json body = nullptr;
  std::string token = {};  // sent instead of the role's own (a second session of the role's)
};

// One route against one object: the route as the router names it, the
// request each role sends (built afresh for each role where the request
// changes state) and the status each gets, in the order owner, admin, member,
// guest, outsider, deactivated, instance admin.
struct Row {
  std::string route;  // "METHOD /pattern", as in api/routes.cc (without /api/v1)
  std::string what;
  std::function<Req(Who)> make;
  std::array<int, kWhoCount> expect;
};

// The error code that goes with each status.
std::string CodeFor(int status) {
  switch (status) {
    case 400:
      return "invalid_argument";
    case 401:
      return "unauthenticated";
    case 403:
      return "permission_denied";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "already_exists";
    default:
      return "";
  }
}

// Whether `path` (a query string allowed) is an instance of the route
// pattern `pattern` ("/channels/{ch}/members").
bool PathMatches(const std::string& pattern, const std::string& path) {
  auto split = [](std::string_view s) {
    std::vector<std::string> parts;
    for (std::size_t at = 0; at <= s.size();) {
      const std::size_t slash = std::min(s.find('/', at), s.size());
      parts.emplace_back(s.substr(at, slash - at));
      at = slash + 1;
    }
    return parts;
  };
  const auto p = split(pattern);
  const auto q = split(path.substr(0, path.find('?')));
  if (p.size() != q.size()) return false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i].starts_with('{') ? q[i].empty() : p[i] != q[i]) return false;
  }
  return true;
}

// "METHOD /pattern" of every route the server serves under /api/v1.
std::set<std::string> RouterRoutes() {
  quik::api::LoginLimits limits{quik::api::LoginLimiter(0, std::chrono::seconds(0)),
                                quik::api::LoginLimiter(0, std::chrono::seconds(0)),
                                quik::api::RateLimiter(0, 0), quik::api::RateLimiter(0, 0)};
  std::set<std::string> out;
  for (const quik::api::Route& r : quik::api::ApiRoutes(limits)) {
    REQUIRE(r.pattern.starts_with("/api/v1/"));
    out.insert(r.method + " " + r.pattern.substr(std::string("/api/v1").size()));
  }
  return out;
}

TEST_CASE("HTTP authz: every role gets exactly what the rules allow", "[http][authz]") {
  HttpFixture fx([](quik::Options& o) { o.webhooks.allow_private_addresses = true; });
  Team t = MakeTeam(fx);
  std::vector<Api> clients;
  for (int w = 0; w < kWhoCount; ++w) clients.push_back(fx.Client(t.tokens[w]));

  // Fresh objects for the rows whose requests change state.
  int serial = 0;
  auto fresh_name = [&serial] { return "fresh-" + std::to_string(++serial); };
  auto fresh_user = [&] {
    return fx.CreateUser("Fresh User " + std::to_string(++serial), kPassword);
  };
  auto fresh_member = [&] {
    quik::User u = fresh_user();
    fx.AddMember(t.ws, u, quik::Role::kMember);
    return u;
  };
  // A public channel of the owner's; with_guest: the guest was added.
  auto fresh_public = [&](bool with_guest) {
    quik::Channel c = fx.CreateChannel(t.owner(), t.ws, fresh_name());
    if (with_guest) fx.AddChannelMember(c, t.guest());
    return c;
  };
  // A private channel of the owner and the member.
  auto fresh_private = [&] {
    quik::Channel c = fx.CreateChannel(t.owner(), t.ws, fresh_name(), true);
    fx.AddChannelMember(c, t.member());
    return c;
  };
  auto fresh_workspace = [&] {
    const std::string slug = fresh_name();
    quik::Workspace ws = fx.CreateWorkspace(t.owner(), slug, slug);
    fx.AddMember(ws, t.users[kAdmin], quik::Role::kAdmin);
    fx.AddMember(ws, t.member(), quik::Role::kMember);
    fx.AddMember(ws, t.guest(), quik::Role::kGuest);
    return ws;
  };
  // A second session of the role's own (the deactivated user has none: it
  // sends its revoked token).
  auto own_session = [&](Who w) { return w == kDeactivated ? t.tokens[w] : fx.Token(t.users[w]); };
  auto fresh_webhook = [&] {
    quik::NewWebhook spec;
    spec.url = "http://127.0.0.1:9/hook";
    spec.events = {"message.*"};
    return REQUIRE_VALUE(
               fx.svc().webhooks().Create(quik::Actor::ForUser(t.owner().id), t.ws.id, spec))
        .webhook;
  };

  auto same = [](Req r) { return [r](Who) { return r; }; };
  const std::string ws = "/workspaces/" + t.ws.id;
  const std::string general = "/channels/" + t.general.id;
  const std::string random = "/channels/" + t.random.id;
  const std::string secret = "/channels/" + t.secret.id;
  const std::string dm = "/channels/" + t.dm.id;
  const json text = {{"text", "hello"}};
  // Files: one shared in #general, one in #secret, an image in #secret and
  // the member's unshared upload (see also http_files_test.cc).
  auto upload_as = [&](const quik::User& u, const std::string& name, const std::string& bytes) {
    return REQUIRE_VALUE(
        fx.svc().files().UploadBytes(quik::Actor::ForUser(u.id), t.ws.id, name, bytes));
  };
  auto share_in = [&](const quik::Channel& ch, const quik::File& f) {
    quik::NewMessage m;
    m.text = "a file";
    m.file_ids = {f.id};
    REQUIRE_VALUE(fx.svc().messages().Post(quik::Actor::ForUser(t.owner().id), ch.id, m));
  };
  const quik::File general_file = upload_as(t.owner(), "f.txt", "shared in general");
  share_in(t.general, general_file);
  const quik::File secret_file = upload_as(t.owner(), "f.txt", "shared in secret");
  share_in(t.secret, secret_file);
  const quik::File secret_image = upload_as(t.owner(), "i.png", quik_files_test::MakePng(64, 48));
  REQUIRE(secret_image.has_thumbnail());
  share_in(t.secret, secret_image);
  const quik::File draft_file = upload_as(t.member(), "f.txt", "the member's draft");
  const quik::Webhook hook = fresh_webhook();

  // clang-format off
  //                                                   owner admin member guest outsider deact. inst.admin
  const std::vector<Row> rows = {
      // Signing up and in: public routes, the same for everyone.
      {"POST /auth/signup", "sign up without an invite (auth.open_signup is off)",
       [&](Who) { return Req{"POST", "/auth/signup", {{"email", fresh_name() + "@example.test"}, {"name", "N"}, {"password", kPassword}}}; },
       {403, 403, 403, 403, 403, 403, 403}},
      {"POST /auth/login", "log in as a fresh user",
       [&](Who) { return Req{"POST", "/auth/login", {{"email", fresh_user().email}, {"password", kPassword}}}; },
       {200, 200, 200, 200, 200, 200, 200}},
      {"POST /auth/logout", "log out a second session of one's own",
       [&](Who w) { return Req{"POST", "/auth/logout", nullptr, own_session(w)}; },
       {204, 204, 204, 204, 204, 401, 204}},

      // Oneself.
      {"GET /users/me", "own profile", same({"GET", "/users/me"}), {200, 200, 200, 200, 200, 401, 200}},
      {"PATCH /users/me", "rename oneself", same({"PATCH", "/users/me", {{"name", "Renamed"}}}),
       {200, 200, 200, 200, 200, 401, 200}},
      {"PUT /users/me/password", "change one's password with a wrong current one",
       same({"PUT", "/users/me/password", {{"current_password", "not it"}, {"password", "another password 2"}}}),
       {403, 403, 403, 403, 403, 401, 403}},
      {"PUT /users/me/presence", "set own presence", same({"PUT", "/users/me/presence", {{"status", "away"}}}),
       {200, 200, 200, 200, 200, 401, 200}},
      {"GET /users/me/preferences", "own preferences", same({"GET", "/users/me/preferences"}),
       {200, 200, 200, 200, 200, 401, 200}},
      {"PATCH /users/me/preferences", "change own preferences",
       same({"PATCH", "/users/me/preferences", json::object()}), {200, 200, 200, 200, 200, 401, 200}},
      {"GET /users/me/notifications", "own notifications", same({"GET", "/users/me/notifications"}),
       {200, 200, 200, 200, 200, 401, 200}},
      {"POST /users/me/notifications/read", "mark own notifications read",
       same({"POST", "/users/me/notifications/read", {{"all", true}}}), {200, 200, 200, 200, 200, 401, 200}},

      // Users: each sees those sharing a workspace; the instance admin manages all.
      {"GET /users", "list all users", same({"GET", "/users"}), {403, 403, 403, 403, 403, 401, 200}},
      {"GET /users", "list a workspace's users", same({"GET", "/users?workspace=" + t.ws.id}),
       {200, 200, 200, 200, 404, 401, 404}},
      {"POST /users", "create a user",
       [&](Who) { return Req{"POST", "/users", {{"email", fresh_name() + "@example.test"}, {"name", "N"}}}; },
       {403, 403, 403, 403, 403, 401, 201}},
      {"GET /users/{user}", "GET user who shares the workspace", same({"GET", "/users/" + t.member().id}),
       {200, 200, 200, 200, 404, 401, 200}},
      {"POST /users/{user}/deactivate", "deactivate a member",
       [&](Who) { return Req{"POST", "/users/" + fresh_member().id + "/deactivate"}; },
       {403, 403, 403, 403, 404, 401, 200}},
      {"PUT /users/{user}/password", "set a member's password",
       [&](Who) { return Req{"PUT", "/users/" + fresh_member().id + "/password", {{"password", "another password 2"}}}; },
       {403, 403, 403, 403, 404, 401, 204}},
      {"POST /users/{user}/reactivate", "reactivate a deactivated member",
       [&](Who) {
         const quik::User u = fresh_member();
         REQUIRE_VALUE(fx.svc().users().Deactivate(quik::Actor::System(), u.id));
         return Req{"POST", "/users/" + u.id + "/reactivate"};
       },
       {403, 403, 403, 403, 404, 401, 200}},
      {"PUT /users/{user}/admin", "make a member an instance admin",
       [&](Who) { return Req{"PUT", "/users/" + fresh_member().id + "/admin", {{"is_admin", true}}}; },
       {403, 403, 403, 403, 404, 401, 200}},

      // API tokens: one's own; the instance admin's for anyone.
      {"POST /tokens", "create an API token", same({"POST", "/tokens", {{"name", "ci"}}}),
       {201, 201, 201, 201, 201, 401, 201}},
      {"GET /tokens", "list own tokens", same({"GET", "/tokens"}), {200, 200, 200, 200, 200, 401, 200}},
      {"DELETE /tokens/{token}", "revoke the member's API token",
       [&](Who) { return Req{"DELETE", "/tokens/" + fx.IssueToken(t.member()).token.id}; },
       {404, 404, 204, 404, 404, 401, 204}},

      // Workspaces and their members.
      {"POST /workspaces", "create a workspace",
       [&](Who) { const std::string slug = fresh_name(); return Req{"POST", "/workspaces", {{"name", slug}, {"slug", slug}}}; },
       {201, 201, 201, 201, 201, 401, 201}},
      {"GET /workspaces", "list own workspaces", same({"GET", "/workspaces"}), {200, 200, 200, 200, 200, 401, 200}},
      {"GET /workspaces/{ws}", "GET workspace", same({"GET", ws}), {200, 200, 200, 200, 404, 401, 404}},
      {"DELETE /workspaces/{ws}", "DELETE workspace",
       [&](Who) { return Req{"DELETE", "/workspaces/" + fresh_workspace().id}; },
       {204, 403, 403, 403, 404, 401, 404}},
      {"GET /workspaces/{ws}/members", "list members", same({"GET", ws + "/members"}),
       {200, 200, 200, 200, 404, 401, 404}},
      {"GET /workspaces/{ws}/members/{user}", "get member", same({"GET", ws + "/members/" + t.member().id}),
       {200, 200, 200, 200, 404, 401, 404}},
      // By the email of a user who shares no workspace with the caller: an
      // email-bound invite (202), the same answer as for an unknown address.
      {"POST /workspaces/{ws}/members", "add member by email",
       [&](Who) { return Req{"POST", ws + "/members", {{"email", fresh_user().email}, {"role", "member"}}}; },
       {202, 202, 403, 403, 404, 401, 404}},
      {"POST /workspaces/{ws}/members", "add member as owner",
       [&](Who) { return Req{"POST", ws + "/members", {{"user_id", fresh_user().id}, {"role", "owner"}}}; },
       {201, 403, 403, 403, 404, 401, 404}},
      {"PATCH /workspaces/{ws}/members/{user}", "change a member's role",
       [&](Who) { return Req{"PATCH", ws + "/members/" + fresh_member().id, {{"role", "admin"}}}; },
       {200, 200, 403, 403, 404, 401, 404}},
      {"PATCH /workspaces/{ws}/members/{user}", "demote the only owner",
       [&](Who) { return Req{"PATCH", "/workspaces/" + fresh_workspace().id + "/members/" + t.owner().id, {{"role", "member"}}}; },
       {403, 403, 403, 403, 404, 401, 404}},
      {"DELETE /workspaces/{ws}/members/{user}", "remove a member",
       [&](Who) { return Req{"DELETE", ws + "/members/" + fresh_member().id}; },
       {204, 204, 403, 403, 404, 401, 404}},
      {"POST /workspaces/{ws}/invites", "create invite", same({"POST", ws + "/invites"}),
       {201, 201, 403, 403, 404, 401, 404}},
      {"GET /workspaces/{ws}/invites", "list invites", same({"GET", ws + "/invites"}),
       {200, 200, 403, 403, 404, 401, 404}},
      {"DELETE /workspaces/{ws}/invites/{invite}", "revoke an invite",
       [&](Who) {
         const quik::Invite invite = REQUIRE_VALUE(fx.svc().workspaces().CreateInvite(
             quik::Actor::ForUser(t.owner().id), t.ws.id, quik::Role::kMember));
         return Req{"DELETE", ws + "/invites/" + invite.id};
       },
       {204, 204, 403, 403, 404, 401, 404}},
      {"POST /invites/{code}/accept", "accept an invite to a workspace of the owner, admin, member and guest",
       [&](Who) {
         const quik::Workspace other = fresh_workspace();
         return Req{"POST", "/invites/" + REQUIRE_VALUE(fx.svc().workspaces().CreateInvite(quik::Actor::ForUser(t.owner().id), other.id, quik::Role::kMember)).code + "/accept"};
       },
       {200, 200, 200, 200, 200, 401, 200}},
      {"GET /workspaces/{ws}/presence", "workspace presence", same({"GET", ws + "/presence"}),
       {200, 200, 200, 200, 404, 401, 404}},
      // Search: members and guests (each sees only what they may read:
      // http_search_test.cc); the workspace does not exist for outsiders.
      {"GET /workspaces/{ws}/search", "search", same({"GET", ws + "/search?q=general"}),
       {200, 200, 200, 200, 404, 401, 404}},
      {"GET /workspaces/{ws}/search", "search, malformed query", same({"GET", ws + "/search?q=%22open"}),
       {400, 400, 400, 400, 400, 401, 400}},
      {"GET /workspaces/{ws}/unreads", "unreads", same({"GET", ws + "/unreads"}),
       {200, 200, 200, 200, 404, 401, 404}},

      // Channels.
      {"GET /workspaces/{ws}/channels", "list channels", same({"GET", ws + "/channels"}),
       {200, 200, 200, 200, 404, 401, 404}},
      {"POST /workspaces/{ws}/channels", "create channel",
       [&](Who) { return Req{"POST", ws + "/channels", {{"name", fresh_name()}}}; },
       {201, 201, 201, 403, 404, 401, 404}},
      {"POST /workspaces/{ws}/channels", "create private channel",
       [&](Who) { return Req{"POST", ws + "/channels", {{"name", fresh_name()}, {"private", true}}}; },
       {201, 201, 201, 403, 404, 401, 404}},
      {"POST /workspaces/{ws}/dms", "open a DM with a fresh member",
       [&](Who) { return Req{"POST", ws + "/dms", {{"user_ids", {fresh_member().id}}}}; },
       {201, 201, 201, 201, 404, 401, 404}},
      {"GET /channels/{ch}", "GET public channel (guest added)", same({"GET", general}),
       {200, 200, 200, 200, 404, 401, 404}},
      {"GET /channels/{ch}", "GET public channel (guest not added)", same({"GET", random}),
       {200, 200, 200, 404, 404, 401, 404}},
      {"GET /channels/{ch}", "GET private channel", same({"GET", secret}), {200, 404, 200, 404, 404, 401, 404}},
      {"GET /channels/{ch}", "GET dm", same({"GET", dm}), {200, 404, 200, 404, 404, 401, 404}},
      {"PATCH /channels/{ch}", "PATCH public channel", same({"PATCH", general, {{"topic", "t"}}}),
       {200, 200, 200, 403, 404, 401, 404}},
      {"PATCH /channels/{ch}", "PATCH private channel", same({"PATCH", secret, {{"topic", "t"}}}),
       {200, 404, 200, 404, 404, 401, 404}},
      {"POST /channels/{ch}/archive", "archive public channel",
       [&](Who) { return Req{"POST", "/channels/" + fresh_public(true).id + "/archive"}; },
       {200, 200, 403, 403, 404, 401, 404}},
      {"POST /channels/{ch}/archive", "archive private channel",
       [&](Who) { return Req{"POST", "/channels/" + fresh_private().id + "/archive"}; },
       {200, 404, 403, 404, 404, 401, 404}},
      {"POST /channels/{ch}/archive", "archive dm", same({"POST", dm + "/archive"}), {400, 404, 400, 404, 404, 401, 404}},
      {"POST /channels/{ch}/join", "join public channel",
       [&](Who) { return Req{"POST", "/channels/" + fresh_public(false).id + "/join"}; },
       {200, 200, 200, 404, 404, 401, 404}},
      {"POST /channels/{ch}/join", "join private channel", same({"POST", secret + "/join"}),
       {200, 404, 200, 404, 404, 401, 404}},
      {"POST /channels/{ch}/join", "join dm", same({"POST", dm + "/join"}), {400, 404, 400, 404, 404, 401, 404}},
      {"POST /channels/{ch}/leave", "leave public channel",
       [&](Who) {
         quik::Channel c = fresh_public(true);
         fx.AddChannelMember(c, t.users[kAdmin]);
         fx.AddChannelMember(c, t.member());
         return Req{"POST", "/channels/" + c.id + "/leave"};
       },
       {204, 204, 204, 204, 404, 401, 404}},
      {"POST /channels/{ch}/leave", "leave private channel",
       [&](Who) { return Req{"POST", "/channels/" + fresh_private().id + "/leave"}; },
       {204, 404, 204, 404, 404, 401, 404}},
      {"POST /channels/{ch}/leave", "leave dm", same({"POST", dm + "/leave"}), {400, 404, 400, 404, 404, 401, 404}},
      {"GET /channels/{ch}/members", "list public channel members", same({"GET", general + "/members"}),
       {200, 200, 200, 200, 404, 401, 404}},
      {"GET /channels/{ch}/members", "list private channel members", same({"GET", secret + "/members"}),
       {200, 404, 200, 404, 404, 401, 404}},
      {"GET /channels/{ch}/members", "list dm members", same({"GET", dm + "/members"}),
       {200, 404, 200, 404, 404, 401, 404}},
      {"POST /channels/{ch}/members", "add to public channel (member not in it)",
       [&](Who) { return Req{"POST", "/channels/" + fresh_public(true).id + "/members", {{"user_id", fresh_member().id}}}; },
       {201, 201, 403, 403, 404, 401, 404}},
      {"POST /channels/{ch}/members", "add to private channel",
       [&](Who) { return Req{"POST", "/channels/" + fresh_private().id + "/members", {{"user_id", fresh_member().id}}}; },
       {201, 404, 201, 404, 404, 401, 404}},
      {"DELETE /channels/{ch}/members/{user}", "remove another from public channel",
       [&](Who) {
         quik::Channel c = fresh_public(true);
         fx.AddChannelMember(c, t.member());
         quik::User target = fresh_member();
         fx.AddChannelMember(c, target);
         return Req{"DELETE", "/channels/" + c.id + "/members/" + target.id};
       },
       {204, 204, 403, 403, 404, 401, 404}},

      // Messages.
      {"POST /channels/{ch}/messages", "post in public channel (guest added)",
       same({"POST", general + "/messages", text}), {201, 201, 201, 201, 404, 401, 404}},
      {"POST /channels/{ch}/messages", "post in public channel (guest not added)",
       same({"POST", random + "/messages", text}), {201, 201, 201, 404, 404, 401, 404}},
      {"POST /channels/{ch}/messages", "post in private channel", same({"POST", secret + "/messages", text}),
       {201, 404, 201, 404, 404, 401, 404}},
      {"POST /channels/{ch}/messages", "post in dm", same({"POST", dm + "/messages", text}),
       {201, 404, 201, 404, 404, 401, 404}},
      {"GET /channels/{ch}/messages", "list public channel messages", same({"GET", general + "/messages"}),
       {200, 200, 200, 200, 404, 401, 404}},
      {"GET /channels/{ch}/messages", "list public channel messages (guest not added)",
       same({"GET", random + "/messages"}), {200, 200, 200, 404, 404, 401, 404}},
      {"GET /channels/{ch}/messages", "list private channel messages", same({"GET", secret + "/messages"}),
       {200, 404, 200, 404, 404, 401, 404}},
      {"GET /channels/{ch}/messages", "list dm messages", same({"GET", dm + "/messages"}),
       {200, 404, 200, 404, 404, 401, 404}},
      {"GET /messages/{msg}", "GET public message", same({"GET", "/messages/" + t.general_by_owner.id}),
       {200, 200, 200, 200, 404, 401, 404}},
      {"GET /messages/{msg}", "GET private message", same({"GET", "/messages/" + t.secret_by_owner.id}),
       {200, 404, 200, 404, 404, 401, 404}},
      {"GET /messages/{msg}", "GET dm message", same({"GET", "/messages/" + t.dm_by_owner.id}),
       {200, 404, 200, 404, 404, 401, 404}},
      {"GET /messages/{msg}/replies", "GET replies of a public message",
       same({"GET", "/messages/" + t.general_by_owner.id + "/replies"}), {200, 200, 200, 200, 404, 401, 404}},
      {"GET /messages/{msg}/replies", "GET replies of a private message",
       same({"GET", "/messages/" + t.secret_by_owner.id + "/replies"}), {200, 404, 200, 404, 404, 401, 404}},
      {"PATCH /messages/{msg}", "edit the member's public message",
       same({"PATCH", "/messages/" + t.general_by_member.id, text}), {200, 200, 200, 403, 404, 401, 404}},
      {"PATCH /messages/{msg}", "edit the owner's public message",
       same({"PATCH", "/messages/" + t.general_by_owner.id, text}), {200, 200, 403, 403, 404, 401, 404}},
      {"PATCH /messages/{msg}", "edit the owner's private message",
       same({"PATCH", "/messages/" + t.secret_by_owner.id, text}), {200, 404, 403, 404, 404, 401, 404}},
      {"PATCH /messages/{msg}", "edit the owner's dm message",
       same({"PATCH", "/messages/" + t.dm_by_owner.id, text}), {200, 404, 403, 404, 404, 401, 404}},
      {"DELETE /messages/{msg}", "delete the owner's public message",
       [&](Who) { return Req{"DELETE", "/messages/" + fx.PostAs(t.owner(), t.general.id, "x").id}; },
       {204, 204, 403, 403, 404, 401, 404}},
      {"DELETE /messages/{msg}", "delete the member's public message",
       [&](Who) { return Req{"DELETE", "/messages/" + fx.PostAs(t.member(), t.general.id, "x").id}; },
       {204, 204, 204, 403, 404, 401, 404}},
      {"DELETE /messages/{msg}", "delete the owner's private message",
       [&](Who) { return Req{"DELETE", "/messages/" + fx.PostAs(t.owner(), t.secret.id, "x").id}; },
       {204, 404, 403, 404, 404, 401, 404}},
      {"DELETE /messages/{msg}", "delete the owner's dm message",
       [&](Who) { return Req{"DELETE", "/messages/" + fx.PostAs(t.owner(), t.dm.id, "x").id}; },
       {204, 404, 403, 404, 404, 401, 404}},

      // Reactions, pins, edit history.
      {"POST /messages/{msg}/reactions", "react to a public message",
       same({"POST", "/messages/" + t.general_by_owner.id + "/reactions", {{"emoji", "wave"}}}),
       {200, 200, 200, 200, 404, 401, 404}},
      {"POST /messages/{msg}/reactions", "react to a private message",
       same({"POST", "/messages/" + t.secret_by_owner.id + "/reactions", {{"emoji", "wave"}}}),
       {200, 404, 200, 404, 404, 401, 404}},
      {"POST /messages/{msg}/reactions", "react to a dm message",
       same({"POST", "/messages/" + t.dm_by_owner.id + "/reactions", {{"emoji", "wave"}}}),
       {200, 404, 200, 404, 404, 401, 404}},
      {"DELETE /messages/{msg}/reactions/{emoji}", "remove a reaction from a private message",
       same({"DELETE", "/messages/" + t.secret_by_owner.id + "/reactions/wave"}),
       {200, 404, 200, 404, 404, 401, 404}},
      {"POST /messages/{msg}/pin", "pin a public message (all but the admin in the channel)",
       [&](Who) { return Req{"POST", "/messages/" + fx.PostAs(t.owner(), t.general.id, "x").id + "/pin"}; },
       {200, 200, 200, 200, 404, 401, 404}},
      {"POST /messages/{msg}/pin", "pin a message of a public channel only the owner is in",
       [&](Who) {
         const quik::Channel c = fresh_public(false);
         return Req{"POST", "/messages/" + fx.PostAs(t.owner(), c.id, "x").id + "/pin"};
       },
       {200, 200, 403, 404, 404, 401, 404}},
      {"POST /messages/{msg}/pin", "pin a private message",
       [&](Who) { return Req{"POST", "/messages/" + fx.PostAs(t.owner(), t.secret.id, "x").id + "/pin"}; },
       {200, 404, 200, 404, 404, 401, 404}},
      {"DELETE /messages/{msg}/pin", "unpin a private message",
       same({"DELETE", "/messages/" + t.secret_by_owner.id + "/pin"}), {204, 404, 204, 404, 404, 401, 404}},
      {"GET /channels/{ch}/pins", "list public channel pins", same({"GET", general + "/pins"}),
       {200, 200, 200, 200, 404, 401, 404}},
      {"GET /channels/{ch}/pins", "list private channel pins", same({"GET", secret + "/pins"}),
       {200, 404, 200, 404, 404, 401, 404}},
      {"GET /channels/{ch}/pins", "list dm pins", same({"GET", dm + "/pins"}), {200, 404, 200, 404, 404, 401, 404}},
      {"GET /messages/{msg}/edits", "edit history of the member's public message",
       same({"GET", "/messages/" + t.general_by_member.id + "/edits"}), {200, 200, 200, 403, 404, 401, 404}},
      {"GET /messages/{msg}/edits", "edit history of the owner's private message",
       same({"GET", "/messages/" + t.secret_by_owner.id + "/edits"}), {200, 404, 403, 404, 404, 401, 404}},
      {"GET /messages/{msg}/edits", "edit history of the owner's dm message",
       same({"GET", "/messages/" + t.dm_by_owner.id + "/edits"}), {200, 404, 403, 404, 404, 401, 404}},

      // Read state and threads.
      {"POST /channels/{ch}/read", "mark a private channel read",
       same({"POST", secret + "/read", {{"message_id", t.secret_by_owner.id}}}), {200, 404, 200, 404, 404, 401, 404}},
      {"POST /channels/{ch}/read", "mark a dm read",
       same({"POST", dm + "/read", {{"message_id", t.dm_by_owner.id}}}), {200, 404, 200, 404, 404, 401, 404}},
      {"POST /messages/{msg}/read", "mark a private thread read",
       same({"POST", "/messages/" + t.secret_by_owner.id + "/read", json::object()}), {200, 404, 200, 404, 404, 401, 404}},
      {"POST /messages/{msg}/follow", "follow a private thread",
       same({"POST", "/messages/" + t.secret_by_owner.id + "/follow"}), {200, 404, 200, 404, 404, 401, 404}},
      {"DELETE /messages/{msg}/follow", "unfollow a dm thread",
       same({"DELETE", "/messages/" + t.dm_by_owner.id + "/follow"}), {200, 404, 200, 404, 404, 401, 404}},

      // Files: the uploader, and whoever may read a channel that shares it.
      {"POST /workspaces/{ws}/files", "upload a file", same({"POST", ws + "/files?name=a.txt", "some bytes"}),
       {201, 201, 201, 201, 404, 401, 404}},
      {"GET /workspaces/{ws}/files", "list files", same({"GET", ws + "/files"}), {200, 200, 200, 200, 404, 401, 404}},
      {"GET /files/{file}", "download a file shared in a public channel", same({"GET", "/files/" + general_file.id}),
       {200, 200, 200, 200, 404, 401, 404}},
      {"GET /files/{file}", "download a file shared in a private channel", same({"GET", "/files/" + secret_file.id}),
       {200, 404, 200, 404, 404, 401, 404}},
      {"HEAD /files/{file}", "HEAD of a file shared in a private channel", same({"HEAD", "/files/" + secret_file.id}),
       {200, 404, 200, 404, 404, 401, 404}},
      {"GET /files/{file}/info", "file info of a file shared in a private channel",
       same({"GET", "/files/" + secret_file.id + "/info"}), {200, 404, 200, 404, 404, 401, 404}},
      {"GET /files/{file}", "download another's unshared upload", same({"GET", "/files/" + draft_file.id}),
       {404, 404, 200, 404, 404, 401, 404}},
      {"GET /files/{file}/thumbnail", "thumbnail of an image shared in a private channel",
       same({"GET", "/files/" + secret_image.id + "/thumbnail"}), {200, 404, 200, 404, 404, 401, 404}},
      {"HEAD /files/{file}/thumbnail", "HEAD of the thumbnail of an image shared in a private channel",
       same({"HEAD", "/files/" + secret_image.id + "/thumbnail"}), {200, 404, 200, 404, 404, 401, 404}},
      // (Each row runs as owner, admin, member, ... in turn: a share by one
      // role can change what the next may do, so these share into channels
      // the later roles cannot read.)
      {"POST /channels/{ch}/messages", "share the member's upload in a private channel",
       same({"POST", secret + "/messages", {{"text", "x"}, {"file_ids", {draft_file.id}}}}),
       {404, 404, 201, 404, 404, 401, 404}},
      {"POST /channels/{ch}/messages", "re-share a file of a private channel in a dm",
       same({"POST", dm + "/messages", {{"file_ids", {secret_file.id}}}}), {201, 404, 201, 404, 404, 401, 404}},

      // Realtime: the WebSocket authenticates in its handshake or first frame
      // (realtime_protocol_test.cc); /events is its long-poll twin. What each
      // role's replay holds, by every path: replay_visibility_test.cc.
      {"GET /ws", "GET /ws without an upgrade", same({"GET", "/ws"}), {400, 400, 400, 400, 400, 400, 400}},
      {"GET /events", "long-poll events", same({"GET", "/events?after=0"}), {200, 200, 200, 200, 200, 401, 200}},

      // Webhooks: the workspace's owners and admins.
      {"GET /workspaces/{ws}/webhooks", "list webhooks", same({"GET", ws + "/webhooks"}),
       {200, 200, 403, 403, 404, 401, 404}},
      {"POST /workspaces/{ws}/webhooks", "create a webhook",
       same({"POST", ws + "/webhooks", {{"url", "http://127.0.0.1:9/hook"}, {"events", {"message.*"}}}}),
       {201, 201, 403, 403, 404, 401, 404}},
      {"GET /webhooks/{hook}", "GET a webhook", same({"GET", "/webhooks/" + hook.id}), {200, 200, 403, 403, 404, 401, 404}},
      {"PATCH /webhooks/{hook}", "pause a webhook", same({"PATCH", "/webhooks/" + hook.id, {{"paused", true}}}),
       {200, 200, 403, 403, 404, 401, 404}},
      {"GET /webhooks/{hook}/deliveries", "a webhook's deliveries", same({"GET", "/webhooks/" + hook.id + "/deliveries"}),
       {200, 200, 403, 403, 404, 401, 404}},
      {"DELETE /webhooks/{hook}", "delete a webhook",
       [&](Who) { return Req{"DELETE", "/webhooks/" + fresh_webhook().id}; },
       {204, 204, 403, 403, 404, 401, 404}},
  };
  // clang-format on

  for (const Row& row : rows) {
    for (int w = 0; w < kWhoCount; ++w) {
      const Req req = row.make(static_cast<Who>(w));
      const std::string method = row.route.substr(0, row.route.find(' '));
      INFO(row.what << " as " << kWhoNames[static_cast<std::size_t>(w)] << ": " << req.method << " "
                    << req.path);
      CHECK(req.method == method);
      CHECK(PathMatches(row.route.substr(method.size() + 1), req.path));
      const std::string body = req.body.is_string() ? req.body.get<std::string>()
                               : req.body.is_null() ? std::string()
                                                    : req.body.dump();
      Resp r = req.token.empty()
                   ? clients[static_cast<std::size_t>(w)].Send(req.method, req.path, body)
                   : fx.Client(req.token).Send(req.method, req.path, body);
      INFO("-> " << r.Describe());
      CHECK(r.status == row.expect[static_cast<std::size_t>(w)]);
      if (r.status >= 400 && req.method != "HEAD") {
        CHECK_FALSE(r.code().empty());
        if (!CodeFor(r.status).empty()) CHECK(r.code() == CodeFor(r.status));
      }
    }
  }

  // Every route has a row: a new route fails here until it gets one.
  std::set<std::string> covered;
  for (const Row& row : rows) covered.insert(row.route);
  const std::set<std::string> routes = RouterRoutes();
  std::vector<std::string> without_row, unknown;
  std::set_difference(routes.begin(), routes.end(), covered.begin(), covered.end(),
                      std::back_inserter(without_row));
  std::set_difference(covered.begin(), covered.end(), routes.begin(), routes.end(),
                      std::back_inserter(unknown));
  INFO("routes without a row: " << json(without_row).dump());
  INFO("rows of no route: " << json(unknown).dump());
  CHECK(without_row.empty());
  CHECK(unknown.empty());
  CHECK(routes.size() >= 75);
}

// The error for an object the caller may not see, with its id replaced, is
// the error for an id that names nothing: no oracle.
std::string Normalized(const Resp& r, const std::string& id) {
  json j = r.Json();
  std::string message = j["error"].value("message", "");
  for (std::size_t at; (at = message.find(id)) != std::string::npos;) {
    message.replace(at, id.size(), "<ID>");
  }
  j["error"]["message"] = message;
  return j.dump();
}

TEST_CASE("HTTP authz: a hidden object looks exactly like a missing one", "[http][authz]") {
  HttpFixture fx;
  Team t = MakeTeam(fx);
  Api admin = fx.Client(t.tokens[kAdmin]);
  Api guest = fx.Client(t.tokens[kGuest]);
  Api outsider = fx.Client(t.tokens[kOutsider]);

  // `path` turns a ref (an id or a natural key) into a request path.
  struct Probe {
    std::string what;
    Api* client;
    std::string hidden_id;
    std::function<std::string(const std::string&)> path;
    std::string unknown_id = {};  // default: UnknownIdLike(hidden_id)
  };
  auto channel_key = [](const std::string& ref) {
    std::string encoded;
    for (char c : ref) encoded += c == '/' ? "%2F" : c == '#' ? "%23" : std::string(1, c);
    return "/channels/" + encoded;
  };
  const std::vector<Probe> probes = {
      {"workspace", &outsider, t.ws.id, [](const std::string& id) { return "/workspaces/" + id; }},
      {"workspace members", &outsider, t.ws.id,
       [](const std::string& id) { return "/workspaces/" + id + "/members"; }},
      {"workspace channels", &outsider, t.ws.id,
       [](const std::string& id) { return "/workspaces/" + id + "/channels"; }},
      {"workspace presence", &outsider, t.ws.id,
       [](const std::string& id) { return "/workspaces/" + id + "/presence"; }},
      {"private channel", &admin, t.secret.id,
       [](const std::string& id) { return "/channels/" + id; }},
      {"dm", &admin, t.dm.id, [](const std::string& id) { return "/channels/" + id; }},
      {"private channel messages", &admin, t.secret.id,
       [](const std::string& id) { return "/channels/" + id + "/messages"; }},
      {"public channel to a guest not in it", &guest, t.random.id,
       [](const std::string& id) { return "/channels/" + id; }},
      {"private message", &admin, t.secret_by_owner.id,
       [](const std::string& id) { return "/messages/" + id; }},
      {"dm message", &admin, t.dm_by_owner.id,
       [](const std::string& id) { return "/messages/" + id; }},
      {"private channel pins", &admin, t.secret.id,
       [](const std::string& id) { return "/channels/" + id + "/pins"; }},
      {"private message edits", &admin, t.secret_by_owner.id,
       [](const std::string& id) { return "/messages/" + id + "/edits"; }},
      {"user outside the caller's workspaces", &outsider, t.member().id,
       [](const std::string& id) { return "/users/" + id; }},
      {"user by email", &outsider, t.member().email,
       [](const std::string& id) { return "/users/" + id; }, "nobody@example.test"},
      {"workspace by slug", &outsider, "acme",
       [](const std::string& id) { return "/workspaces/" + id; }, "no-such-slug"},
      {"private channel by name", &admin, "acme/#secret", channel_key, "acme/#no-such"},
      {"private channel by name, to an outsider", &outsider, "acme/#secret", channel_key,
       "acme/#no-such"},
      {"public channel by name, to an outsider", &outsider, "acme/#general", channel_key,
       "acme/#no-such"},
  };
  for (const Probe& p : probes) {
    const std::string unknown_id =
        p.unknown_id.empty() ? quik_http::UnknownIdLike(p.hidden_id) : p.unknown_id;
    Resp hidden = p.client->Get(p.path(p.hidden_id));
    Resp unknown = p.client->Get(p.path(unknown_id));
    INFO(p.what << "\n hidden:  " << hidden.Describe() << "\n unknown: " << unknown.Describe());
    CHECK(hidden.status == 404);
    CHECK(unknown.status == 404);
    CHECK(hidden.code() == "not_found");
    CHECK(Normalized(hidden, p.hidden_id) == Normalized(unknown, unknown_id));
  }

  // Writes, too: the outsider's attempts on a hidden workspace read as "no
  // such workspace", not "not allowed".
  for (const std::string& id : {t.ws.id, quik_http::UnknownIdLike(t.ws.id)}) {
    Resp r = outsider.Post("/workspaces/" + id + "/channels", {{"name", "mine"}});
    INFO(r.Describe());
    CHECK(r.status == 404);
    CHECK(outsider.Post("/workspaces/" + id + "/invites").status == 404);
  }
}

TEST_CASE("HTTP authz: lists show each role only what it may see", "[http][authz]") {
  HttpFixture fx;
  Team t = MakeTeam(fx);
  auto channel_ids = [&](Who w) {
    Resp r = fx.Client(t.tokens[w]).Get("/workspaces/" + t.ws.id + "/channels");
    INFO(kWhoNames[w] << ": " << r.Describe());
    REQUIRE(r.status == 200);
    std::set<std::string> ids;
    for (const auto& c : r.Items()) ids.insert(c["id"].get<std::string>());
    return ids;
  };
  using Ids = std::set<std::string>;
  CHECK(channel_ids(kOwner) == Ids{t.general.id, t.random.id, t.secret.id, t.dm.id});
  CHECK(channel_ids(kAdmin) == Ids{t.general.id, t.random.id});
  CHECK(channel_ids(kMember) == Ids{t.general.id, t.random.id, t.secret.id, t.dm.id});
  CHECK(channel_ids(kGuest) == Ids{t.general.id});

  auto workspace_ids = [&](Who w) {
    Resp r = fx.Client(t.tokens[w]).Get("/workspaces");
    REQUIRE(r.status == 200);
    std::set<std::string> ids;
    for (const auto& ws : r.Items()) ids.insert(ws["id"].get<std::string>());
    return ids;
  };
  CHECK(workspace_ids(kGuest) == Ids{t.ws.id});
  CHECK(workspace_ids(kOutsider) == Ids{t.other_ws.id});

  // The private channel's history is the member's, and not the admin's.
  Resp history = fx.Client(t.tokens[kMember]).Get("/channels/" + t.secret.id + "/messages");
  REQUIRE(history.status == 200);
  REQUIRE(history.Json()["items"].size() == 1);
  CHECK(history.Json()["items"][0]["id"] == t.secret_by_owner.id);
}

TEST_CASE("HTTP authz: the last owner stays, members may leave", "[http][authz]") {
  HttpFixture fx;
  Team t = MakeTeam(fx);
  Api owner = fx.Client(t.tokens[kOwner]);
  Api member = fx.Client(t.tokens[kMember]);
  const std::string members = "/workspaces/" + t.ws.id + "/members/";

  CHECK(owner.Delete(members + t.owner().id).status == 403);
  // The owner makes the admin an owner; now either may step down.
  CHECK(owner.Patch(members + t.users[kAdmin].id, {{"role", "owner"}}).status == 200);
  Resp demote = fx.Client(t.tokens[kAdmin]).Patch(members + t.owner().id, {{"role", "member"}});
  CHECK(demote.status == 200);
  CHECK(demote.Json()["role"] == "member");

  // A member leaves on their own; the workspace then no longer exists for them.
  CHECK(member.Delete(members + t.member().id).status == 204);
  CHECK(member.Get("/workspaces/" + t.ws.id).status == 404);
  CHECK(member.Get("/channels/" + t.secret.id).status == 404);
}

}  // namespace
