// SPDX-License-Identifier: MIT
// Search and files together, over the real server: has:file, and a file
// shared in a channel reaching exactly the people who can read that channel,
// through search as through download, as memberships and messages change.
#include <catch2/catch.hpp>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "integration/http_fixture.hpp"

namespace {

using quik_http::Api;
using quik_http::HttpFixture;
using quik_http::json;
using quik_http::Resp;

std::string SearchPath(const std::string& ws, const std::string& query) {
  std::string target = "/workspaces/" + ws + "/search?q=";
  for (unsigned char c : query) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.') {
      target += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      target += buf;
    }
  }
  return target;
}

// The texts a search finds, or {"HTTP <status>"} if it is refused.
std::set<std::string> Found(Api& api, const std::string& ws, const std::string& query) {
  Resp r = api.Get(SearchPath(ws, query));
  if (r.status != 200) return {"HTTP " + std::to_string(r.status)};
  std::set<std::string> texts;
  for (const auto& item : r.Items()) texts.insert(item["message"]["text"].get<std::string>());
  return texts;
}

json Upload(Api& api, const std::string& ws, const std::string& name, const std::string& bytes) {
  Resp r = api.Send("POST", "/workspaces/" + ws + "/files?name=" + name, bytes);
  INFO(r.Describe());
  REQUIRE(r.status == 201);
  return r.Json();
}

json Share(Api& api, const quik::Channel& ch, const std::string& text, const std::string& file) {
  Resp r = api.Post("/channels/" + ch.id + "/messages",
                    json{{"text", text}, {"file_ids", json::array({file})}});
  INFO(r.Describe());
  REQUIRE(r.status == 201);
  return r.Json();
}

// The status of a download, and that it is the right bytes when it is 200.
int Download(Api& api, const std::string& file, const std::string& bytes) {
  Resp r = api.Get("/files/" + file);
  if (r.status == 200) CHECK(r.body == bytes);
  return r.status;
}

}  // namespace

TEST_CASE("search and files: a shared file reaches exactly the channel's readers",
          "[http][search][files]") {
  HttpFixture fx;
  quik::User alice = fx.CreateUser("Alice");  // owner
  quik::User bob = fx.CreateUser("Bob");      // member, in #secret
  quik::User carol = fx.CreateUser("Carol");  // member, not in #secret
  quik::User gus = fx.CreateUser("Gus");      // guest, only in #general
  quik::User olga = fx.CreateUser("Olga");    // another workspace
  quik::Workspace ws = fx.CreateWorkspace(alice, "Acme", "acme");
  fx.CreateWorkspace(olga, "Globex", "globex");
  fx.AddMember(ws, bob, quik::Role::kMember);
  fx.AddMember(ws, carol, quik::Role::kMember);
  fx.AddMember(ws, gus, quik::Role::kGuest);
  quik::Channel general = fx.CreateChannel(alice, ws, "general");
  quik::Channel secret = fx.CreateChannel(alice, ws, "secret", /*is_private=*/true);
  fx.AddChannelMember(general, bob);
  fx.AddChannelMember(general, carol);
  fx.AddChannelMember(general, gus);
  fx.AddChannelMember(secret, bob);

  Api a = fx.Client(fx.Token(alice));
  Api b = fx.Client(fx.Token(bob));
  Api c = fx.Client(fx.Token(carol));
  Api g = fx.Client(fx.Token(gus));
  Api o = fx.Client(fx.Token(olga));

  const std::string report_bytes = std::string("%PDF-1.4\n") + std::string(3000, '\x7f');
  const std::string slides_bytes = "quarterly slides, plain text";
  json report = Upload(a, ws.id, "q3-report.pdf", report_bytes);
  json slides = Upload(a, ws.id, "slides.txt", slides_bytes);
  const std::string report_id = report["id"];
  const std::string slides_id = slides["id"];

  // Before anything is shared only the uploader can read the files.
  CHECK(Download(a, report_id, report_bytes) == 200);
  CHECK(Download(b, report_id, report_bytes) == 404);

  json secret_msg = Share(a, secret, "quarterly numbers attached", report_id);
  a.Post("/channels/" + general.id + "/messages", json{{"text", "quarterly numbers, no file"}});
  json slides_msg = Share(a, general, "quarterly slides", slides_id);
  CHECK(secret_msg["file_ids"] == json::array({report_id}));

  const std::set<std::string> everything = {"quarterly numbers attached",
                                            "quarterly numbers, no file", "quarterly slides"};
  const std::set<std::string> with_files = {"quarterly numbers attached", "quarterly slides"};
  const std::set<std::string> general_files = {"quarterly slides"};

  SECTION("has:file, search results and downloads agree for every reader") {
    CHECK(Found(a, ws.id, "quarterly") == everything);
    CHECK(Found(a, ws.id, "quarterly has:file") == with_files);
    CHECK(Found(b, ws.id, "quarterly has:file") == with_files);
    CHECK(Found(c, ws.id, "quarterly has:file") == general_files);
    CHECK(Found(g, ws.id, "has:file") == general_files);
    CHECK(Found(o, ws.id, "has:file") == std::set<std::string>{"HTTP 404"});

    // The hit carries its files, so a client can show them.
    Resp hit = b.Get(SearchPath(ws.id, "numbers has:file"));
    REQUIRE(hit.status == 200);
    REQUIRE(hit.Items().size() == 1);
    CHECK(hit.Items()[0]["message"]["file_ids"] == json::array({report_id}));

    CHECK(Download(b, report_id, report_bytes) == 200);
    CHECK(Download(c, report_id, report_bytes) == 404);
    CHECK(Download(g, report_id, report_bytes) == 404);
    CHECK(Download(o, report_id, report_bytes) == 404);
    for (Api* reader : {&a, &b, &c, &g}) CHECK(Download(*reader, slides_id, slides_bytes) == 200);
    CHECK(Download(o, slides_id, slides_bytes) == 404);
  }

  SECTION("leaving the private channel takes its file and its messages away") {
    REQUIRE(a.Delete("/channels/" + secret.id + "/members/" + bob.id).status == 204);
    CHECK(Found(b, ws.id, "quarterly has:file") == general_files);
    CHECK(Download(b, report_id, report_bytes) == 404);
    CHECK(Download(a, report_id, report_bytes) == 200);
  }

  SECTION("deleting the message unshares the file and drops it from has:file") {
    REQUIRE(a.Delete("/messages/" + slides_msg["id"].get<std::string>()).status == 204);
    CHECK(Found(g, ws.id, "has:file").empty());
    CHECK(Found(c, ws.id, "quarterly") == std::set<std::string>{"quarterly numbers, no file"});
    CHECK(Download(g, slides_id, slides_bytes) == 404);
    CHECK(Download(c, slides_id, slides_bytes) == 404);
    CHECK(Download(a, slides_id, slides_bytes) == 200);  // the uploader keeps it

    // Shared again, it is found and readable again.
    Share(a, general, "quarterly slides again", slides_id);
    CHECK(Found(g, ws.id, "has:file") == std::set<std::string>{"quarterly slides again"});
    CHECK(Download(g, slides_id, slides_bytes) == 200);
  }
}
