// The authorization matrix over HTTP (CONTRACT.md section 0): for every route
// and object, each role gets exactly what the rules allow, and whoever may not
// see an object gets the same 404 as for an id that names nothing.
#include <catch2/catch.hpp>

#include <array>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "integration/http_fixture.hpp"

namespace {

using quik_http::Api;
using quik_http::HttpFixture;
using quik_http::json;
using quik_http::Resp;

enum Who { kOwner, kAdmin, kMember, kGuest, kOutsider, kDeactivated, kWhoCount };
constexpr std::array<const char*, kWhoCount> kWhoNames = {"owner", "admin",    "member",
                                                          "guest", "outsider", "deactivated"};

// One workspace with a user of every role and an object of every kind:
//   #general  public; the guest was added to it, the member posted in it
//   #random   public; the guest is not in it
//   #secret   private; the owner and the member
//   dm        the owner and the member
// The outsider owns another workspace; the deactivated user was a member.
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
    t.users[w] = fx.CreateUser(std::string("The ") + kWhoNames[w]);
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
};

// One route against one object: the request each role sends (built afresh
// for each role where the request changes state) and the status each gets,
// in the order owner, admin, member, guest, outsider, deactivated.
struct Row {
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
    default:
      return "";
  }
}

TEST_CASE("HTTP authz: every role gets exactly what the rules allow", "[http][authz]") {
  HttpFixture fx;
  Team t = MakeTeam(fx);
  std::vector<Api> clients;
  for (int w = 0; w < kWhoCount; ++w) clients.push_back(fx.Client(t.tokens[w]));

  // Fresh objects for the rows whose requests change state.
  int serial = 0;
  auto fresh_name = [&serial] { return "fresh-" + std::to_string(++serial); };
  auto fresh_user = [&] { return fx.CreateUser("Fresh User " + std::to_string(++serial)); };
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

  auto same = [](Req r) { return [r](Who) { return r; }; };
  const std::string ws = "/workspaces/" + t.ws.id;
  const std::string general = "/channels/" + t.general.id;
  const std::string random = "/channels/" + t.random.id;
  const std::string secret = "/channels/" + t.secret.id;
  const std::string dm = "/channels/" + t.dm.id;
  const json text = {{"text", "hello"}};
  // Files: one shared in #general, one in #secret, and the member's unshared
  // upload (see also http_files_test.cc).
  auto upload_as = [&](const quik::User& u, const std::string& bytes) {
    return REQUIRE_VALUE(
        fx.svc().files().UploadBytes(quik::Actor::ForUser(u.id), t.ws.id, "f.txt", bytes));
  };
  auto share_in = [&](const quik::Channel& ch, const quik::File& f) {
    quik::NewMessage m;
    m.text = "a file";
    m.file_ids = {f.id};
    REQUIRE_VALUE(fx.svc().messages().Post(quik::Actor::ForUser(t.owner().id), ch.id, m));
  };
  const quik::File general_file = upload_as(t.owner(), "shared in general");
  share_in(t.general, general_file);
  const quik::File secret_file = upload_as(t.owner(), "shared in secret");
  share_in(t.secret, secret_file);
  const quik::File draft_file = upload_as(t.member(), "the member's draft");

  //                                                      owner admin member guest outsider deact.
  const std::vector<Row> rows = {
      // Workspaces and their members.
      {"GET workspace", same({"GET", ws}), {200, 200, 200, 200, 404, 401}},
      // There is no PATCH /workspaces/{id} in CONTRACT section 2.
      {"PATCH workspace", same({"PATCH", ws, {{"name", "x"}}}), {405, 405, 405, 405, 405, 405}},
      {"DELETE workspace",
       [&](Who) {
         return Req{"DELETE", "/workspaces/" + fresh_workspace().id};
       },
       {204, 403, 403, 403, 404, 401}},
      {"GET user who shares the workspace",
       same({"GET", "/users/" + t.member().id}),
       {200, 200, 200, 200, 404, 401}},
      {"list members", same({"GET", ws + "/members"}), {200, 200, 200, 200, 404, 401}},
      {"get member",
       same({"GET", ws + "/members/" + t.member().id}),
       {200, 200, 200, 200, 404, 401}},
      {"add member",
       [&](Who) {
         return Req{"POST", ws + "/members", {{"email", fresh_user().email}, {"role", "member"}}};
       },
       {201, 201, 403, 403, 404, 401}},
      {"add member as owner",
       [&](Who) {
         return Req{"POST", ws + "/members", {{"user_id", fresh_user().id}, {"role", "owner"}}};
       },
       {201, 403, 403, 403, 404, 401}},
      {"change a member's role",
       [&](Who) {
         return Req{"PATCH", ws + "/members/" + fresh_member().id, {{"role", "admin"}}};
       },
       {200, 200, 403, 403, 404, 401}},
      {"demote the only owner",
       [&](Who) {
         return Req{"PATCH",
                    "/workspaces/" + fresh_workspace().id + "/members/" + t.owner().id,
                    {{"role", "member"}}};
       },
       {403, 403, 403, 403, 404, 401}},
      {"remove a member",
       [&](Who) {
         return Req{"DELETE", ws + "/members/" + fresh_member().id};
       },
       {204, 204, 403, 403, 404, 401}},
      {"create invite", same({"POST", ws + "/invites"}), {201, 201, 403, 403, 404, 401}},
      {"workspace presence", same({"GET", ws + "/presence"}), {200, 200, 200, 200, 404, 401}},
      // Search: members and guests (each sees only what they may read:
      // http_search_test.cc); the workspace does not exist for outsiders.
      {"search", same({"GET", ws + "/search?q=general"}), {200, 200, 200, 200, 404, 401}},
      {"search, malformed query", same({"GET", ws + "/search?q=%22open"}),
       {400, 400, 400, 400, 400, 401}},
      // One's own presence: anyone signed in, in a workspace or not.
      {"set own presence",
       same({"PUT", "/users/me/presence", {{"status", "away"}}}),
       {200, 200, 200, 200, 200, 401}},

      // Channels.
      {"list channels", same({"GET", ws + "/channels"}), {200, 200, 200, 200, 404, 401}},
      {"create channel",
       [&](Who) {
         return Req{"POST", ws + "/channels", {{"name", fresh_name()}}};
       },
       {201, 201, 201, 403, 404, 401}},
      {"create private channel",
       [&](Who) {
         return Req{"POST", ws + "/channels", {{"name", fresh_name()}, {"private", true}}};
       },
       {201, 201, 201, 403, 404, 401}},
      {"GET public channel (guest added)", same({"GET", general}), {200, 200, 200, 200, 404, 401}},
      {"GET public channel (guest not added)",
       same({"GET", random}),
       {200, 200, 200, 404, 404, 401}},
      {"GET private channel", same({"GET", secret}), {200, 404, 200, 404, 404, 401}},
      {"GET dm", same({"GET", dm}), {200, 404, 200, 404, 404, 401}},
      {"PATCH public channel",
       same({"PATCH", general, {{"topic", "t"}}}),
       {200, 200, 200, 403, 404, 401}},
      {"PATCH private channel",
       same({"PATCH", secret, {{"topic", "t"}}}),
       {200, 404, 200, 404, 404, 401}},
      {"archive public channel",
       [&](Who) {
         return Req{"POST", "/channels/" + fresh_public(true).id + "/archive"};
       },
       {200, 200, 403, 403, 404, 401}},
      {"archive private channel",
       [&](Who) {
         return Req{"POST", "/channels/" + fresh_private().id + "/archive"};
       },
       {200, 404, 403, 404, 404, 401}},
      {"archive dm", same({"POST", dm + "/archive"}), {400, 404, 400, 404, 404, 401}},
      {"join public channel",
       [&](Who) {
         return Req{"POST", "/channels/" + fresh_public(false).id + "/join"};
       },
       {200, 200, 200, 404, 404, 401}},
      {"join private channel", same({"POST", secret + "/join"}), {200, 404, 200, 404, 404, 401}},
      {"join dm", same({"POST", dm + "/join"}), {400, 404, 400, 404, 404, 401}},
      {"leave public channel",
       [&](Who) {
         quik::Channel c = fresh_public(true);
         fx.AddChannelMember(c, t.users[kAdmin]);
         fx.AddChannelMember(c, t.member());
         return Req{"POST", "/channels/" + c.id + "/leave"};
       },
       {204, 204, 204, 204, 404, 401}},
      {"leave private channel",
       [&](Who) {
         return Req{"POST", "/channels/" + fresh_private().id + "/leave"};
       },
       {204, 404, 204, 404, 404, 401}},
      {"leave dm", same({"POST", dm + "/leave"}), {400, 404, 400, 404, 404, 401}},
      {"list public channel members",
       same({"GET", general + "/members"}),
       {200, 200, 200, 200, 404, 401}},
      {"list private channel members",
       same({"GET", secret + "/members"}),
       {200, 404, 200, 404, 404, 401}},
      {"list dm members", same({"GET", dm + "/members"}), {200, 404, 200, 404, 404, 401}},
      {"add to public channel (member not in it)",
       [&](Who) {
         return Req{"POST",
                    "/channels/" + fresh_public(true).id + "/members",
                    {{"user_id", fresh_member().id}}};
       },
       {201, 201, 403, 403, 404, 401}},
      {"add to private channel",
       [&](Who) {
         return Req{"POST",
                    "/channels/" + fresh_private().id + "/members",
                    {{"user_id", fresh_member().id}}};
       },
       {201, 404, 201, 404, 404, 401}},
      {"remove another from public channel",
       [&](Who) {
         quik::Channel c = fresh_public(true);
         fx.AddChannelMember(c, t.member());
         quik::User target = fresh_member();
         fx.AddChannelMember(c, target);
         return Req{"DELETE", "/channels/" + c.id + "/members/" + target.id};
       },
       {204, 204, 403, 403, 404, 401}},

      // Messages.
      {"post in public channel (guest added)",
       same({"POST", general + "/messages", text}),
       {201, 201, 201, 201, 404, 401}},
      {"post in public channel (guest not added)",
       same({"POST", random + "/messages", text}),
       {201, 201, 201, 404, 404, 401}},
      {"post in private channel",
       same({"POST", secret + "/messages", text}),
       {201, 404, 201, 404, 404, 401}},
      {"post in dm", same({"POST", dm + "/messages", text}), {201, 404, 201, 404, 404, 401}},
      {"list public channel messages",
       same({"GET", general + "/messages"}),
       {200, 200, 200, 200, 404, 401}},
      {"list public channel messages (guest not added)",
       same({"GET", random + "/messages"}),
       {200, 200, 200, 404, 404, 401}},
      {"list private channel messages",
       same({"GET", secret + "/messages"}),
       {200, 404, 200, 404, 404, 401}},
      {"list dm messages", same({"GET", dm + "/messages"}), {200, 404, 200, 404, 404, 401}},
      {"GET public message",
       same({"GET", "/messages/" + t.general_by_owner.id}),
       {200, 200, 200, 200, 404, 401}},
      {"GET private message",
       same({"GET", "/messages/" + t.secret_by_owner.id}),
       {200, 404, 200, 404, 404, 401}},
      {"GET dm message",
       same({"GET", "/messages/" + t.dm_by_owner.id}),
       {200, 404, 200, 404, 404, 401}},
      {"GET replies of a public message",
       same({"GET", "/messages/" + t.general_by_owner.id + "/replies"}),
       {200, 200, 200, 200, 404, 401}},
      {"GET replies of a private message",
       same({"GET", "/messages/" + t.secret_by_owner.id + "/replies"}),
       {200, 404, 200, 404, 404, 401}},
      {"edit the member's public message",
       same({"PATCH", "/messages/" + t.general_by_member.id, text}),
       {200, 200, 200, 403, 404, 401}},
      {"edit the owner's public message",
       same({"PATCH", "/messages/" + t.general_by_owner.id, text}),
       {200, 200, 403, 403, 404, 401}},
      {"edit the owner's private message",
       same({"PATCH", "/messages/" + t.secret_by_owner.id, text}),
       {200, 404, 403, 404, 404, 401}},
      {"edit the owner's dm message",
       same({"PATCH", "/messages/" + t.dm_by_owner.id, text}),
       {200, 404, 403, 404, 404, 401}},
      {"delete the owner's public message",
       [&](Who) { return Req{"DELETE", "/messages/" + fx.PostAs(t.owner(), t.general.id, "x").id}; },
       {204, 204, 403, 403, 404, 401}},
      {"delete the member's public message",
       [&](Who) { return Req{"DELETE", "/messages/" + fx.PostAs(t.member(), t.general.id, "x").id}; },
       {204, 204, 204, 403, 404, 401}},
      {"delete the owner's private message",
       [&](Who) { return Req{"DELETE", "/messages/" + fx.PostAs(t.owner(), t.secret.id, "x").id}; },
       {204, 404, 403, 404, 404, 401}},
      {"delete the owner's dm message",
       [&](Who) { return Req{"DELETE", "/messages/" + fx.PostAs(t.owner(), t.dm.id, "x").id}; },
       {204, 404, 403, 404, 404, 401}},

      // Reactions, pins, edit history.
      {"react to a public message",
       same({"POST", "/messages/" + t.general_by_owner.id + "/reactions", {{"emoji", "wave"}}}),
       {200, 200, 200, 200, 404, 401}},
      {"react to a private message",
       same({"POST", "/messages/" + t.secret_by_owner.id + "/reactions", {{"emoji", "wave"}}}),
       {200, 404, 200, 404, 404, 401}},
      {"react to a dm message",
       same({"POST", "/messages/" + t.dm_by_owner.id + "/reactions", {{"emoji", "wave"}}}),
       {200, 404, 200, 404, 404, 401}},
      {"remove a reaction from a private message",
       same({"DELETE", "/messages/" + t.secret_by_owner.id + "/reactions/wave"}),
       {200, 404, 200, 404, 404, 401}},
      {"pin a public message (all but the admin in the channel)",
       [&](Who) {
         return Req{"POST", "/messages/" + fx.PostAs(t.owner(), t.general.id, "x").id + "/pin"};
       },
       {200, 200, 200, 200, 404, 401}},
      {"pin a message of a public channel only the owner is in",
       [&](Who) {
         const quik::Channel c = fresh_public(false);
         return Req{"POST", "/messages/" + fx.PostAs(t.owner(), c.id, "x").id + "/pin"};
       },
       {200, 200, 403, 404, 404, 401}},
      {"pin a private message",
       [&](Who) {
         return Req{"POST", "/messages/" + fx.PostAs(t.owner(), t.secret.id, "x").id + "/pin"};
       },
       {200, 404, 200, 404, 404, 401}},
      {"unpin a private message",
       same({"DELETE", "/messages/" + t.secret_by_owner.id + "/pin"}),
       {204, 404, 204, 404, 404, 401}},
      {"list public channel pins", same({"GET", general + "/pins"}), {200, 200, 200, 200, 404, 401}},
      {"list private channel pins", same({"GET", secret + "/pins"}), {200, 404, 200, 404, 404, 401}},
      {"list dm pins", same({"GET", dm + "/pins"}), {200, 404, 200, 404, 404, 401}},
      {"edit history of the member's public message",
       same({"GET", "/messages/" + t.general_by_member.id + "/edits"}),
       {200, 200, 200, 403, 404, 401}},
      {"edit history of the owner's private message",
       same({"GET", "/messages/" + t.secret_by_owner.id + "/edits"}),
       {200, 404, 403, 404, 404, 401}},
      {"edit history of the owner's dm message",
       same({"GET", "/messages/" + t.dm_by_owner.id + "/edits"}),
       {200, 404, 403, 404, 404, 401}},

      // Read state and threads.
      {"unreads", same({"GET", "/workspaces/" + t.ws.id + "/unreads"}),
       {200, 200, 200, 200, 404, 401}},
      {"mark a private channel read",
       same({"POST", secret + "/read", {{"message_id", t.secret_by_owner.id}}}),
       {200, 404, 200, 404, 404, 401}},
      {"mark a dm read", same({"POST", dm + "/read", {{"message_id", t.dm_by_owner.id}}}),
       {200, 404, 200, 404, 404, 401}},
      {"mark a private thread read",
       same({"POST", "/messages/" + t.secret_by_owner.id + "/read", json::object()}),
       {200, 404, 200, 404, 404, 401}},
      {"follow a private thread", same({"POST", "/messages/" + t.secret_by_owner.id + "/follow"}),
       {200, 404, 200, 404, 404, 401}},
      {"unfollow a dm thread", same({"DELETE", "/messages/" + t.dm_by_owner.id + "/follow"}),
       {200, 404, 200, 404, 404, 401}},

      // Files: the uploader, and whoever may read a channel that shares it.
      {"upload a file", same({"POST", ws + "/files?name=a.txt", "some bytes"}),
       {201, 201, 201, 201, 404, 401}},
      {"list files", same({"GET", ws + "/files"}), {200, 200, 200, 200, 404, 401}},
      {"download a file shared in a public channel",
       same({"GET", "/files/" + general_file.id}),
       {200, 200, 200, 200, 404, 401}},
      {"download a file shared in a private channel",
       same({"GET", "/files/" + secret_file.id}),
       {200, 404, 200, 404, 404, 401}},
      {"file info of a file shared in a private channel",
       same({"GET", "/files/" + secret_file.id + "/info"}),
       {200, 404, 200, 404, 404, 401}},
      {"download another's unshared upload",
       same({"GET", "/files/" + draft_file.id}),
       {404, 404, 200, 404, 404, 401}},
      {"thumbnail of a text file", same({"GET", "/files/" + general_file.id + "/thumbnail"}),
       {404, 404, 404, 404, 404, 401}},
      // (Each row runs as owner, admin, member, ... in turn: a share by one
      // role can change what the next may do, so these share into channels
      // the later roles cannot read.)
      {"share the member's upload in a private channel",
       same({"POST", secret + "/messages", {{"text", "x"}, {"file_ids", {draft_file.id}}}}),
       {404, 404, 201, 404, 404, 401}},
      {"re-share a file of a private channel in a dm",
       same({"POST", dm + "/messages", {{"file_ids", {secret_file.id}}}}),
       {201, 404, 201, 404, 404, 401}},
  };

  for (const Row& row : rows) {
    for (int w = 0; w < kWhoCount; ++w) {
      const Req req = row.make(static_cast<Who>(w));
      Resp r = clients[static_cast<std::size_t>(w)].Send(
          req.method, req.path, req.body.is_null() ? std::string() : req.body.dump());
      INFO(row.what << " as " << kWhoNames[static_cast<std::size_t>(w)] << ": " << req.method << " "
                    << req.path << " -> " << r.Describe());
      CHECK(r.status == row.expect[static_cast<std::size_t>(w)]);
      if (r.status >= 400) CHECK(r.code() == CodeFor(r.status));
    }
  }
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
