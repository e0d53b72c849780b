// SPDX-License-Identifier: MIT
// GET /workspaces/{id}/search over the real server: the permission matrix
// (member, guest, former member of a private channel, outsider, another
// workspace's member, DM participants), operators, paging and bad queries.
#include <set>
#include <string>
#include <vector>

#include "integration/http_fixture.hpp"

namespace {

using quik_http::Api;
using quik_http::HttpFixture;
using quik_http::json;
using quik_http::Resp;

std::string Q(const std::string& ws, const std::string& query, const std::string& extra = "") {
  std::string enc;
  for (unsigned char c : query) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      enc += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      enc += buf;
    }
  }
  return "/workspaces/" + ws + "/search?q=" + enc + extra;
}

std::set<std::string> Texts(const Resp& r) {
  std::set<std::string> out;
  for (const auto& item : r.Items()) out.insert(item["message"]["text"].get<std::string>());
  return out;
}

}  // namespace

TEST_CASE("HTTP search: results only from channels the caller may read", "[http][search]") {
  HttpFixture fx;
  quik::User owner = fx.CreateUser("Owner");
  quik::User member = fx.CreateUser("Member");
  quik::User other = fx.CreateUser("Other");
  quik::User guest = fx.CreateUser("Guest");
  quik::User outsider = fx.CreateUser("Outsider");
  quik::User foreigner = fx.CreateUser("Foreigner");
  quik::Workspace ws = fx.CreateWorkspace(owner, "Acme", "acme");
  quik::Workspace ws2 = fx.CreateWorkspace(foreigner, "Globex", "globex");
  fx.AddMember(ws, member, quik::Role::kMember);
  fx.AddMember(ws, other, quik::Role::kMember);
  fx.AddMember(ws, guest, quik::Role::kGuest);
  quik::Channel general = fx.CreateChannel(owner, ws, "general");
  quik::Channel secret = fx.CreateChannel(owner, ws, "secret", /*is_private=*/true);
  quik::Channel lobby = fx.CreateChannel(owner, ws, "lobby");
  quik::Channel elsewhere = fx.CreateChannel(foreigner, ws2, "general");
  fx.AddChannelMember(secret, member);
  fx.AddChannelMember(general, guest);
  fx.PostAs(owner, general.id, "zebra in general");
  fx.PostAs(owner, secret.id, "zebra in secret");
  fx.PostAs(owner, lobby.id, "zebra in lobby");
  fx.PostAs(foreigner, elsewhere.id, "zebra in another workspace");
  Api m = fx.Client(fx.Token(member));
  Api o = fx.Client(fx.Token(other));
  Api g = fx.Client(fx.Token(guest));
  Api out = fx.Client(fx.Token(outsider));
  Api f = fx.Client(fx.Token(foreigner));
  // A DM between member and other.
  Resp dm = m.Post("/workspaces/" + ws.id + "/dms", {{"user_ids", {other.id}}});
  REQUIRE(dm.status < 300);
  const std::string dm_id = dm.Json()["id"].get<std::string>();
  REQUIRE(m.Post("/channels/" + dm_id + "/messages", {{"text", "zebra in a DM"}}).status == 201);
  quik::User third = fx.CreateUser("Third");
  fx.AddMember(ws, third, quik::Role::kMember);
  Api t = fx.Client(fx.Token(third));

  using S = std::set<std::string>;
  Resp r = m.Get(Q(ws.id, "zebra"));
  INFO(r.Describe());
  REQUIRE(r.status == 200);
  CHECK(Texts(r) == S{"zebra in general", "zebra in secret", "zebra in lobby", "zebra in a DM"});
  CHECK(Texts(o.Get(Q(ws.id, "zebra"))) ==
        S{"zebra in general", "zebra in lobby", "zebra in a DM"});
  CHECK(Texts(t.Get(Q(ws.id, "zebra"))) == S{"zebra in general", "zebra in lobby"});  // no DM
  CHECK(Texts(g.Get(Q(ws.id, "zebra"))) == S{"zebra in general"});                    // guest
  CHECK(Texts(f.Get(Q(ws2.id, "zebra"))) == S{"zebra in another workspace"});
  // The slug works as well as the id.
  CHECK(Texts(g.Get(Q("acme", "zebra"))) == S{"zebra in general"});

  // Outsiders and other workspaces' members: the workspace does not exist.
  for (Api* api : {&out, &f}) {
    Resp nf = api->Get(Q(ws.id, "zebra"));
    CHECK(nf.status == 404);
    CHECK(nf.code() == "not_found");
  }
  // A private channel by name, for a non-member: nothing, as for a missing one.
  Resp hidden = o.Get(Q(ws.id, "in:#secret"));
  CHECK(hidden.status == 200);
  CHECK(hidden.Items().empty());
  CHECK(o.Get(Q(ws.id, "in:#no-such-channel")).Items().empty());
  CHECK(hidden.body == o.Get(Q(ws.id, "in:#no-such-channel")).body);

  SECTION("a former member of a private channel: its results vanish") {
    REQUIRE(m.Post("/channels/" + secret.id + "/leave").status < 300);
    CHECK(Texts(m.Get(Q(ws.id, "zebra"))) ==
          S{"zebra in general", "zebra in lobby", "zebra in a DM"});
    CHECK(m.Get(Q(ws.id, "in:#secret")).Items().empty());
  }
  SECTION("a member removed from the workspace gets 404") {
    REQUIRE(fx.svc().workspaces().RemoveMember(quik::Actor::System(), ws.id, other.id).ok());
    CHECK(o.Get(Q(ws.id, "zebra")).status == 404);
  }
}

TEST_CASE("HTTP search: operators, snippets, paging and errors", "[http][search]") {
  HttpFixture fx;
  quik::User alice = fx.CreateUser("Alice");
  quik::User bob = fx.CreateUser("Bob");
  quik::Workspace ws = fx.CreateWorkspace(alice, "Acme", "acme");
  fx.AddMember(ws, bob, quik::Role::kMember);
  quik::Channel general = fx.CreateChannel(alice, ws, "general");
  quik::Channel ops = fx.CreateChannel(alice, ws, "ops");
  Api a = fx.Client(fx.Token(alice));
  Api b = fx.Client(fx.Token(bob));
  auto post = [&](Api& api, const std::string& ch, const json& body) {
    Resp r = api.Post("/channels/" + ch + "/messages", body);
    INFO(r.Describe());
    REQUIRE(r.status == 201);
    return r.Json();
  };
  json root = post(a, general.id, {{"text", "Deploy <v2> to staging & prod"}});
  post(b, general.id, {{"text", "deploy failed, see https://ci.example.com/42"}});
  post(b, general.id, {{"text", "retrying the deploy"}, {"thread_root_id", root["id"]}});
  post(a, ops.id, {{"text", "ops deploy notes"}});
  post(a, ops.id, {{"text", "Café résumé"}});

  using S = std::set<std::string>;
  Resp r = b.Get(Q(ws.id, "deploy"));
  REQUIRE(r.status == 200);
  json items = r.Items();
  REQUIRE(items.size() == 4);
  // Newest first, each with the message object and a marked, escaped snippet.
  CHECK(items[0]["message"]["text"] == "ops deploy notes");
  CHECK(items[0]["snippet"] == "ops <mark>deploy</mark> notes");
  CHECK(items[3]["message"]["id"] == root["id"]);
  CHECK(items[3]["snippet"] == "<mark>Deploy</mark> &lt;v2&gt; to staging &amp; prod");
  CHECK(items[3]["message"]["reply_count"] == 1);
  CHECK(r.Json()["next_cursor"] == "");

  CHECK(Texts(b.Get(Q(ws.id, "deploy from:@alice"))) ==
        S{"ops deploy notes", "Deploy <v2> to staging & prod"});
  CHECK(Texts(b.Get(Q(ws.id, "from:@me"))).size() == 2);
  CHECK(Texts(b.Get(Q(ws.id, "deploy in:#ops"))) == S{"ops deploy notes"});
  CHECK(Texts(b.Get(Q(ws.id, "has:link"))) == S{"deploy failed, see https://ci.example.com/42"});
  CHECK(Texts(b.Get(Q(ws.id, "is:thread"))) ==
        S{"retrying the deploy", "Deploy <v2> to staging & prod"});
  CHECK(Texts(b.Get(Q(ws.id, "\"to staging\""))) == S{"Deploy <v2> to staging & prod"});
  CHECK(Texts(b.Get(Q(ws.id, "deploy -staging -failed"))) ==
        S{"retrying the deploy", "ops deploy notes"});
  CHECK(Texts(b.Get(Q(ws.id, "dep* in:#ops"))) == S{"ops deploy notes"});
  CHECK(Texts(b.Get(Q(ws.id, "cafe resume"))) == S{"Café résumé"});
  CHECK(Texts(b.Get(Q(ws.id, "has:file"))).empty());  // nothing shares files yet
  CHECK(Texts(b.Get(Q(ws.id, "deploy on:2000-01-01"))).empty());
  CHECK(Texts(b.Get(Q(ws.id, "deploy after:2000-01-01 before:2999-01-01"))).size() == 4);

  SECTION("paging with limit and cursor, no duplicates or gaps") {
    std::vector<std::string> ids;
    std::string cursor;
    for (int i = 0; i < 10; ++i) {
      Resp p = b.Get(Q(ws.id, "deploy", "&limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor)));
      REQUIRE(p.status == 200);
      for (const auto& it : p.Items()) ids.push_back(it["message"]["id"].get<std::string>());
      cursor = p.Json().value("next_cursor", "");
      if (cursor.empty()) break;
    }
    CHECK(ids.size() == 4);
    CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 4);
    Resp rel = b.Get(Q(ws.id, "deploy", "&sort=relevance&limit=2"));
    REQUIRE(rel.status == 200);
    CHECK(rel.Items().size() == 2);
    CHECK_FALSE(rel.Json()["next_cursor"].get<std::string>().empty());
  }
  SECTION("edits and deletes show at once") {
    std::string id = items[0]["message"]["id"];
    REQUIRE(a.Patch("/messages/" + id, {{"text", "ops rollout notes"}}).status == 200);
    CHECK(Texts(b.Get(Q(ws.id, "deploy in:#ops"))).empty());
    CHECK(Texts(b.Get(Q(ws.id, "rollout"))) == S{"ops rollout notes"});
    REQUIRE(a.Delete("/messages/" + id).status < 300);
    CHECK(Texts(b.Get(Q(ws.id, "rollout"))).empty());
  }
  SECTION("malformed queries and parameters are 400 with what to fix") {
    struct Bad {
      std::string query, extra, message;
    };
    for (const Bad& bad : std::vector<Bad>{
             {"deploy \"staging", "", "unbalanced quote at column 8"},
             {"frm:@bob", "", "unknown operator 'frm:'"},
             {"before:2024-13-01", "", "bad date '2024-13-01' in before:"},
             {"has:pictures", "", "unknown value 'pictures' for has:"},
             {"deploy", "&sort=newest", "'sort' must be"},
             {"deploy", "&cursor=zzz", "not a valid search cursor"},
             {"deploy", "&limit=0", "'limit' must be a positive integer"},
         }) {
      Resp e = b.Get(Q(ws.id, bad.query, bad.extra));
      INFO(bad.query << bad.extra << " -> " << e.Describe());
      CHECK(e.status == 400);
      CHECK(e.code() == "invalid_argument");
      CHECK(e.message().find(bad.message) != std::string::npos);
    }
    Resp missing = b.Get("/workspaces/" + ws.id + "/search");
    CHECK(missing.status == 400);
    CHECK(missing.message().find("'q' is required") != std::string::npos);
  }
}
