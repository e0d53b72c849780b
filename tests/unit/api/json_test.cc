// SPDX-License-Identifier: MIT
// The JSON form of the model (quik/json.hpp), as the HTTP API and
// `quikctl -o json` print it.
#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <string>

#include "quik/json.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"

using nlohmann::json;

namespace {

constexpr quik::Timestamp kT1 = 1704189600200;  // 2024-01-02T10:00:00.200Z
constexpr quik::Timestamp kT2 = 1704189661005;  // 2024-01-02T10:01:01.005Z
constexpr quik::Timestamp kT3 = 1735689599999;  // 2024-12-31T23:59:59.999Z

std::set<std::string> Keys(const json& j) {
  REQUIRE(j.is_object());
  std::set<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.insert(it.key());
  return keys;
}

// An RFC 3339 UTC time as CONTRACT.md section 2 writes it.
bool IsRfc3339(const json& j) {
  static const std::regex kRe(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
  return j.is_string() && std::regex_match(j.get<std::string>(), kRe);
}

// The document survives a dump and parse unchanged (what scripts see).
void CheckRoundTrips(const json& j) {
  std::string text = j.dump();
  CHECK(json::parse(text) == j);
}

}  // namespace

TEST_CASE("json: User", "[api]") {
  quik::User u;
  u.id = "01HK4SV8E8ABCDEFGHJKMNPQRS";
  u.email = "Alice@Example.test";
  u.name = "Alice";
  u.created_at = kT1;

  SECTION("an active user has no deactivated_at") {
    json j = quik::ToJson(u);
    CHECK(Keys(j) ==
          std::set<std::string>{"id", "email", "name", "active", "is_admin", "created_at"});
    CHECK(j["id"] == u.id);
    CHECK(j["email"] == "Alice@Example.test");
    CHECK(j["name"] == "Alice");
    CHECK(j["active"] == true);
    CHECK(j["active"].is_boolean());
    CHECK(j["is_admin"] == false);
    CHECK(j["is_admin"].is_boolean());
    CHECK(j["created_at"] == "2024-01-02T10:00:00.200Z");
    CheckRoundTrips(j);
  }
  SECTION("a deactivated administrator") {
    u.active = false;
    u.is_admin = true;
    u.deactivated_at = kT2;
    json j = quik::ToJson(u);
    CHECK(j["active"] == false);
    CHECK(j["is_admin"] == true);
    REQUIRE(j.contains("deactivated_at"));
    CHECK(j["deactivated_at"] == "2024-01-02T10:01:01.005Z");
    CHECK(IsRfc3339(j["deactivated_at"]));
  }
  SECTION("no password or hash field ever appears") {
    json j = quik::ToJson(u);
    for (const std::string& key : Keys(j)) {
      CHECK(key.find("password") == std::string::npos);
      CHECK(key.find("hash") == std::string::npos);
    }
  }
}

TEST_CASE("json: Workspace", "[api]") {
  quik::Workspace w;
  w.id = "01HK4SV8E8WWWWWWWWWWWWWWWW";
  w.name = "Demo Co";
  w.slug = "demo-co";
  w.created_at = kT1;
  json j = quik::ToJson(w);
  CHECK(Keys(j) == std::set<std::string>{"id", "name", "slug", "created_at"});
  CHECK(j["id"] == w.id);
  CHECK(j["name"] == "Demo Co");
  CHECK(j["slug"] == "demo-co");
  CHECK(j["created_at"] == "2024-01-02T10:00:00.200Z");
  CheckRoundTrips(j);
}

TEST_CASE("json: Member", "[api]") {
  quik::Member m;
  m.workspace_id = "W1";
  m.user_id = "U1";
  m.role = quik::Role::kAdmin;
  m.joined_at = kT1;

  SECTION("without display fields") {
    json j = quik::ToJson(m);
    CHECK(Keys(j) == std::set<std::string>{"workspace_id", "user_id", "role", "joined_at"});
    CHECK(j["workspace_id"] == "W1");
    CHECK(j["user_id"] == "U1");
    CHECK(j["role"] == "admin");
    CHECK(j["joined_at"] == "2024-01-02T10:00:00.200Z");
  }
  SECTION("with display fields, as list calls fill them in") {
    m.email = "bob@example.test";
    m.name = "Bob";
    m.role = quik::Role::kGuest;
    json j = quik::ToJson(m);
    CHECK(Keys(j) ==
          std::set<std::string>{"workspace_id", "user_id", "role", "joined_at", "email", "name"});
    CHECK(j["email"] == "bob@example.test");
    CHECK(j["name"] == "Bob");
    CHECK(j["role"] == "guest");
  }
  SECTION("every role") {
    for (quik::Role r :
         {quik::Role::kOwner, quik::Role::kAdmin, quik::Role::kMember, quik::Role::kGuest}) {
      m.role = r;
      CHECK(quik::ToJson(m)["role"] == std::string(quik::RoleName(r)));
    }
  }
}

TEST_CASE("json: Invite", "[api]") {
  quik::Invite inv;
  inv.id = "I1";
  inv.workspace_id = "W1";
  inv.role = quik::Role::kMember;
  inv.created_at = kT1;

  SECTION("system-made, never expiring, as listed (no code)") {
    json j = quik::ToJson(inv);
    CHECK(Keys(j) ==
          std::set<std::string>{"id", "workspace_id", "role", "created_at", "max_uses", "uses"});
    CHECK(j["role"] == "member");
    CHECK(j["max_uses"] == 0);
    CHECK(j["uses"] == 0);
    CHECK(j["created_at"] == "2024-01-02T10:00:00.200Z");
  }
  SECTION("as creation returns it") {
    inv.created_by = "U1";
    inv.expires_at = kT3;
    inv.code = "secret-code";
    inv.max_uses = 3;
    inv.uses = 1;
    json j = quik::ToJson(inv);
    CHECK(Keys(j) == std::set<std::string>{"id", "workspace_id", "role", "created_at", "created_by",
                                           "expires_at", "code", "max_uses", "uses"});
    CHECK(j["max_uses"] == 3);
    CHECK(j["uses"] == 1);
    CHECK(j["created_by"] == "U1");
    CHECK(j["expires_at"] == "2024-12-31T23:59:59.999Z");
    CHECK(j["code"] == "secret-code");
    CheckRoundTrips(j);
  }
  SECTION("bound to an email, revoked") {
    inv.email = "carol@x.test";
    inv.revoked_at = kT3;
    json j = quik::ToJson(inv);
    CHECK(j["email"] == "carol@x.test");
    CHECK(j["revoked_at"] == "2024-12-31T23:59:59.999Z");
    CHECK_FALSE(j.contains("code"));
  }
}

TEST_CASE("json: Channel", "[api]") {
  quik::Channel c;
  c.id = "C1";
  c.workspace_id = "W1";
  c.name = "general";
  c.created_by = "U1";
  c.created_at = kT1;

  SECTION("a public channel") {
    json j = quik::ToJson(c);
    CHECK(Keys(j) == std::set<std::string>{"id", "workspace_id", "name", "topic", "private", "kind",
                                           "archived", "created_by", "created_at"});
    CHECK(j["id"] == "C1");
    CHECK(j["workspace_id"] == "W1");
    CHECK(j["name"] == "general");
    CHECK(j["topic"] == "");
    CHECK(j["private"] == false);
    CHECK(j["kind"] == "public");
    CHECK(j["archived"] == false);
    CHECK(j["created_by"] == "U1");
    CHECK(j["created_at"] == "2024-01-02T10:00:00.200Z");
    CheckRoundTrips(j);
  }
  SECTION("an archived private channel with a topic") {
    c.kind = quik::ChannelKind::kPrivate;
    c.archived = true;
    c.topic = "Sales leads";
    json j = quik::ToJson(c);
    CHECK(j["private"] == true);
    CHECK(j["kind"] == "private");
    CHECK(j["archived"] == true);
    CHECK(j["topic"] == "Sales leads");
  }
  SECTION("DMs and group DMs are private") {
    c.kind = quik::ChannelKind::kDirect;
    CHECK(quik::ToJson(c)["kind"] == "dm");
    CHECK(quik::ToJson(c)["private"] == true);
    c.kind = quik::ChannelKind::kGroup;
    CHECK(quik::ToJson(c)["kind"] == "group_dm");
    CHECK(quik::ToJson(c)["private"] == true);
  }
}

TEST_CASE("json: ChannelMember", "[api]") {
  quik::ChannelMember m;
  m.channel_id = "C1";
  m.user_id = "U1";
  m.joined_at = kT2;
  json j = quik::ToJson(m);
  CHECK(Keys(j) == std::set<std::string>{"channel_id", "user_id", "joined_at"});
  CHECK(j["channel_id"] == "C1");
  CHECK(j["user_id"] == "U1");
  CHECK(j["joined_at"] == "2024-01-02T10:01:01.005Z");

  m.email = "carol@example.test";
  m.name = "Carol";
  j = quik::ToJson(m);
  CHECK(Keys(j) == std::set<std::string>{"channel_id", "user_id", "joined_at", "email", "name"});
  CHECK(j["email"] == "carol@example.test");
  CHECK(j["name"] == "Carol");
}

TEST_CASE("json: Message", "[api]") {
  quik::Message m;
  m.id = "M1";
  m.channel_id = "C1";
  m.workspace_id = "W1";
  m.user_id = "U1";
  m.text = "hello <@U2> \xF0\x9F\x98\x80";
  m.created_at = kT1;

  SECTION("a plain top-level message omits every unset optional field") {
    json j = quik::ToJson(m);
    CHECK(Keys(j) == std::set<std::string>{"id", "channel_id", "workspace_id", "user_id", "text",
                                           "created_at"});
    CHECK(j["id"] == "M1");
    CHECK(j["channel_id"] == "C1");
    CHECK(j["workspace_id"] == "W1");
    CHECK(j["user_id"] == "U1");
    CHECK(j["text"] == "hello <@U2> \xF0\x9F\x98\x80");
    CHECK(j["created_at"] == "2024-01-02T10:00:00.200Z");
    CheckRoundTrips(j);
  }
  SECTION("a thread root with replies, edited") {
    m.reply_count = 3;
    m.edited_at = kT2;
    m.client_msg_id = "client-1";
    json j = quik::ToJson(m);
    CHECK(Keys(j) == std::set<std::string>{"id", "channel_id", "workspace_id", "user_id", "text",
                                           "created_at", "reply_count", "edited_at",
                                           "client_msg_id"});
    CHECK(j["reply_count"] == 3);
    CHECK(j["reply_count"].is_number_integer());
    CHECK(j["edited_at"] == "2024-01-02T10:01:01.005Z");
    CHECK(j["client_msg_id"] == "client-1");
  }
  SECTION("a reply") {
    m.thread_root_id = "M0";
    json j = quik::ToJson(m);
    CHECK(j["thread_root_id"] == "M0");
    CHECK_FALSE(j.contains("reply_count"));
  }
  SECTION("a deleted message") {
    m.text.clear();
    m.deleted_at = kT3;
    json j = quik::ToJson(m);
    CHECK(j["text"] == "");  // present, empty
    CHECK(j["deleted_at"] == "2024-12-31T23:59:59.999Z");
    CHECK_FALSE(j.contains("edited_at"));
  }
  SECTION("every time is an RFC 3339 string") {
    m.edited_at = kT2;
    m.deleted_at = kT3;
    json j = quik::ToJson(m);
    for (const char* key : {"created_at", "edited_at", "deleted_at"}) {
      INFO(key);
      CHECK(IsRfc3339(j[key]));
    }
  }
}

TEST_CASE("json: Token", "[api]") {
  quik::Token t;
  t.id = "T1";
  t.user_id = "U1";
  t.name = "ci";
  t.kind = quik::TokenKind::kApi;
  t.created_at = kT1;

  SECTION("a live token that never expires") {
    json j = quik::ToJson(t);
    CHECK(Keys(j) == std::set<std::string>{"id", "user_id", "name", "kind", "created_at"});
    CHECK(j["id"] == "T1");
    CHECK(j["user_id"] == "U1");
    CHECK(j["name"] == "ci");
    CHECK(j["kind"] == "api");
    CHECK(j["created_at"] == "2024-01-02T10:00:00.200Z");
    CHECK_FALSE(j.contains("token"));  // a stored token never shows a secret
  }
  SECTION("an expiring, revoked session") {
    t.kind = quik::TokenKind::kSession;
    t.expires_at = kT3;
    t.revoked_at = kT2;
    json j = quik::ToJson(t);
    CHECK(Keys(j) == std::set<std::string>{"id", "user_id", "name", "kind", "created_at",
                                           "expires_at", "revoked_at"});
    CHECK(j["kind"] == "session");
    CHECK(j["expires_at"] == "2024-12-31T23:59:59.999Z");
    CHECK(j["revoked_at"] == "2024-01-02T10:01:01.005Z");
  }
}

TEST_CASE("json: IssuedToken carries the secret as its token field", "[api]") {
  quik::IssuedToken issued;
  issued.token.id = "T1";
  issued.token.user_id = "U1";
  issued.token.name = "deploy";
  issued.token.created_at = kT1;
  issued.token.expires_at = kT3;
  issued.secret = "qk_0123456789abcdef";
  json j = quik::ToJson(issued);
  CHECK(Keys(j) == std::set<std::string>{"id", "user_id", "name", "kind", "created_at",
                                         "expires_at", "token"});
  CHECK(j["id"] == "T1");  // CONTRACT.md section 1: {"id":...,"token":...}
  CHECK(j["token"] == "qk_0123456789abcdef");
  CHECK(j["token"].is_string());
  CHECK(j["expires_at"] == "2024-12-31T23:59:59.999Z");
  // Everything else is the token's own form.
  json without_secret = j;
  without_secret.erase("token");
  CHECK(without_secret == quik::ToJson(issued.token));
  CheckRoundTrips(j);
}

TEST_CASE("json: Presence", "[api]") {
  quik::Presence p;
  p.user_id = "U1";

  SECTION("a user never seen: offline, no last_seen") {
    json j = quik::ToJson(p);
    CHECK(j == json{{"user_id", "U1"}, {"status", "offline"}});
  }
  SECTION("a manual status with its time; the manual choice is not shown") {
    p.status = quik::PresenceStatus::kDnd;
    p.manual = quik::PresenceStatus::kDnd;
    p.last_seen = kT2;
    json j = quik::ToJson(p);
    CHECK(Keys(j) == std::set<std::string>{"user_id", "status", "last_seen"});
    CHECK(j["status"] == "dnd");
    CHECK(j["last_seen"] == "2024-01-02T10:01:01.005Z");
    CheckRoundTrips(j);
  }
}

TEST_CASE("json: ErrorJson has the shape of CONTRACT.md section 2", "[api]") {
  SECTION("one object with code and message") {
    json j = quik::ErrorJson(quik::NotFound("no such channel 'C9'"));
    CHECK(Keys(j) == std::set<std::string>{"error"});
    REQUIRE(j["error"].is_object());
    CHECK(Keys(j["error"]) == std::set<std::string>{"code", "message"});
    CHECK(j["error"]["code"] == "not_found");
    CHECK(j["error"]["message"] == "no such channel 'C9'");
    CHECK(j.dump() == R"({"error":{"code":"not_found","message":"no such channel 'C9'"}})");
  }
  SECTION("the code is the wire name of every status code") {
    for (quik::StatusCode code :
         {quik::StatusCode::kInvalidArgument, quik::StatusCode::kNotFound,
          quik::StatusCode::kAlreadyExists, quik::StatusCode::kPermissionDenied,
          quik::StatusCode::kUnauthenticated, quik::StatusCode::kResourceExhausted,
          quik::StatusCode::kUnavailable, quik::StatusCode::kUnimplemented,
          quik::StatusCode::kInternal}) {
      json j = quik::ErrorJson(quik::Status(code, "m"));
      CHECK(j["error"]["code"] == std::string(quik::StatusCodeName(code)));
      CHECK(j["error"]["message"] == "m");
    }
    CHECK(quik::ErrorJson(quik::AlreadyExists("x"))["error"]["code"] == "conflict");
    CHECK(quik::ErrorJson(quik::ResourceExhausted("x"))["error"]["code"] == "rate_limited");
  }
  SECTION("messages with quotes and newlines are escaped, not mangled") {
    json j = quik::ErrorJson(quik::InvalidArgument("bad \"name\"\nline 2"));
    CHECK(j["error"]["message"] == "bad \"name\"\nline 2");
    CheckRoundTrips(j);
  }
}
