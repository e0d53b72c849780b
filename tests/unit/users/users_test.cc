// SPDX-License-Identifier: MIT
// UserService: accounts, validation, visibility, updates and deactivation.
#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "quik/users.hpp"
#include "unit/testing/service_fixture.hpp"

using quik::StatusCode;
using quik_test::As;
using quik_test::Repeat;
using quik_test::System;

namespace {

bool ContainsUser(const std::vector<quik::User>& users, const std::string& id) {
  return std::any_of(users.begin(), users.end(), [&](const quik::User& u) { return u.id == id; });
}

quik::NewUser Spec(const std::string& email, const std::string& name) {
  quik::NewUser spec;
  spec.email = email;
  spec.name = name;
  return spec;
}

}  // namespace

TEST_CASE("users: the system creates a user", "[users]") {
  quik_test::ServiceFixture f;
  quik::User u = REQUIRE_VALUE(f.users().Create(System(), Spec("Alice@Example.test", "Alice")));
  CHECK(u.id.size() == 26);
  CHECK(u.email == "Alice@Example.test");  // kept as given
  CHECK(u.name == "Alice");
  CHECK(u.active);
  CHECK_FALSE(u.is_admin);
  CHECK(u.created_at > 0);
  CHECK(u.deactivated_at == 0);

  quik::User got = REQUIRE_VALUE(f.users().Get(System(), u.id));
  CHECK(got.id == u.id);
  CHECK(got.email == u.email);
  CHECK(got.name == "Alice");
  CHECK(got.active);
}

TEST_CASE("users: ids are unique and sort by creation", "[users]") {
  quik_test::ServiceFixture f;
  quik::User a = f.CreateUser("First");
  quik::User b = f.CreateUser("Second");
  CHECK(a.id != b.id);
  CHECK(a.id < b.id);
}

TEST_CASE("users: malformed emails are invalid", "[users]") {
  quik_test::ServiceFixture f;
  const std::vector<std::string> bad = {
      "",           "plainaddress",       "@example.test",    "user@",
      "us er@x.io", "user@@example.test", "user@exa mple.io", "user@example.test\n",
  };
  for (const std::string& email : bad) {
    INFO("email: '" << email << "'");
    CHECK_CODE(f.users().Create(System(), Spec(email, "Someone")), StatusCode::kInvalidArgument);
  }
  // None of them was created.
  auto all = REQUIRE_VALUE(f.users().List(System()));
  CHECK(all.empty());
}

TEST_CASE("users: well-formed emails are accepted", "[users]") {
  quik_test::ServiceFixture f;
  CHECK_OK(f.users().Create(System(), Spec("first.last+tag@sub.example.test", "A")));
  CHECK_OK(f.users().Create(System(), Spec("x@y.io", "B")));
}

TEST_CASE("users: emails are unique case-insensitively", "[users]") {
  quik_test::ServiceFixture f;
  REQUIRE_OK(f.users().Create(System(), Spec("Alice@Example.test", "Alice")));
  CHECK_CODE(f.users().Create(System(), Spec("Alice@Example.test", "Alice 2")),
             StatusCode::kAlreadyExists);
  CHECK_CODE(f.users().Create(System(), Spec("alice@example.TEST", "Alice 3")),
             StatusCode::kAlreadyExists);
  CHECK_CODE(f.users().Create(System(), Spec("ALICE@EXAMPLE.TEST", "Alice 4")),
             StatusCode::kAlreadyExists);
  auto all = REQUIRE_VALUE(f.users().List(System()));
  CHECK(all.size() == 1);
}

TEST_CASE("users: display name is required and limited", "[users]") {
  quik_test::ServiceFixture f;
  const int max = f.options().limits.name_max_chars;
  REQUIRE(max == 80);

  CHECK_CODE(f.users().Create(System(), Spec("empty@example.test", "")),
             StatusCode::kInvalidArgument);
  CHECK_CODE(f.users().Create(System(), Spec("long@example.test", std::string(max + 1, 'n'))),
             StatusCode::kInvalidArgument);
  CHECK_CODE(f.users().Create(System(), Spec("longe@example.test", Repeat("\xC3\xA9", max + 1))),
             StatusCode::kInvalidArgument);
  CHECK_CODE(f.users().Create(System(), Spec("badutf@example.test", "Bad \xFF name")),
             StatusCode::kInvalidArgument);

  // Exactly the limit, counted in code points (each "é" is two bytes).
  quik::User ascii =
      REQUIRE_VALUE(f.users().Create(System(), Spec("max@example.test", std::string(max, 'n'))));
  CHECK(ascii.name.size() == static_cast<std::size_t>(max));
  quik::User multi =
      REQUIRE_VALUE(f.users().Create(System(), Spec("maxe@example.test", Repeat("\xC3\xA9", max))));
  CHECK(multi.name == Repeat("\xC3\xA9", max));
}

TEST_CASE("users: only the system or an instance admin creates users", "[users]") {
  quik_test::ServiceFixture f;
  quik::User plain = f.CreateUser("Plain");
  quik::User root = f.CreateUser("Root", "", std::nullopt, /*is_admin=*/true);
  CHECK(root.is_admin);

  CHECK_CODE(f.users().Create(As(plain), Spec("new1@example.test", "New")),
             StatusCode::kPermissionDenied);
  quik::NewUser admin_spec = Spec("new2@example.test", "New admin");
  admin_spec.is_admin = true;
  CHECK_CODE(f.users().Create(As(plain), admin_spec), StatusCode::kPermissionDenied);

  quik::User made = REQUIRE_VALUE(f.users().Create(As(root), admin_spec));
  CHECK(made.is_admin);
  CHECK_OK(f.users().Create(As(root), Spec("new3@example.test", "New 3")));
}

TEST_CASE("users: get by id or by email in any case", "[users]") {
  quik_test::ServiceFixture f;
  quik::User u = f.CreateUser("Alice", "Alice.Smith@Example.test");
  for (const std::string& ref :
       {u.id, std::string("Alice.Smith@Example.test"), std::string("alice.smith@example.test"),
        std::string("ALICE.SMITH@EXAMPLE.TEST")}) {
    INFO("ref: " << ref);
    quik::User got = REQUIRE_VALUE(f.users().Get(System(), ref));
    CHECK(got.id == u.id);
    got = REQUIRE_VALUE(f.users().Get(As(u), ref));
    CHECK(got.id == u.id);
  }
  CHECK_CODE(f.users().Get(System(), "nobody@example.test"), StatusCode::kNotFound);
  CHECK_CODE(f.users().Get(System(), "01ARZ3NDEKTSV4RRFFQ69G5FAV"), StatusCode::kNotFound);
  CHECK_CODE(f.users().Get(System(), ""), StatusCode::kNotFound);
}

TEST_CASE("users: visible only to self, the system and workspace peers", "[users]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice");
  quik::User bob = f.CreateUser("Bob");

  // No shared workspace: Bob does not exist for Alice, by id or by email.
  CHECK_CODE(f.users().Get(As(alice), bob.id), StatusCode::kNotFound);
  CHECK_CODE(f.users().Get(As(alice), bob.email), StatusCode::kNotFound);
  CHECK_OK(f.users().Get(As(alice), alice.id));
  CHECK_OK(f.users().Get(System(), bob.id));

  // Sharing a workspace makes them visible to each other, whatever the role.
  quik::Workspace ws = f.CreateWorkspace(As(alice), "Shared");
  f.AddMember(ws, bob, quik::Role::kGuest);
  quik::User seen = REQUIRE_VALUE(f.users().Get(As(alice), bob.id));
  CHECK(seen.email == bob.email);
  CHECK_OK(f.users().Get(As(bob), alice.email));

  // A third user in a different workspace stays invisible to both.
  quik::User carol = f.CreateUser("Carol");
  f.CreateWorkspace(As(carol), "Elsewhere");
  CHECK_CODE(f.users().Get(As(alice), carol.id), StatusCode::kNotFound);
  CHECK_CODE(f.users().Get(As(carol), bob.id), StatusCode::kNotFound);

  // Leaving the workspace ends the visibility.
  REQUIRE_OK(f.workspaces().RemoveMember(As(bob), ws.id, bob.id));
  CHECK_CODE(f.users().Get(As(alice), bob.id), StatusCode::kNotFound);
}

TEST_CASE("users: list all (system, instance admin) or a workspace's members", "[users]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice");
  quik::User bob = f.CreateUser("Bob");
  quik::User carol = f.CreateUser("Carol");
  quik::User root = f.CreateUser("Root", "", std::nullopt, true);
  quik::Workspace ws = f.CreateWorkspace(As(alice), "Shared");
  f.AddMember(ws, bob, quik::Role::kMember);

  auto all = REQUIRE_VALUE(f.users().List(System()));
  CHECK(all.size() == 4);
  CHECK(ContainsUser(all, carol.id));
  auto by_admin = REQUIRE_VALUE(f.users().List(As(root)));
  CHECK(by_admin.size() == 4);

  CHECK_CODE(f.users().List(As(alice)), StatusCode::kPermissionDenied);

  for (const std::string& ref : {ws.id, ws.slug}) {
    auto members = REQUIRE_VALUE(f.users().List(As(bob), ref));
    CHECK(members.size() == 2);
    CHECK(ContainsUser(members, alice.id));
    CHECK(ContainsUser(members, bob.id));
    CHECK_FALSE(ContainsUser(members, carol.id));
  }
  auto sys_members = REQUIRE_VALUE(f.users().List(System(), ws.slug));
  CHECK(sys_members.size() == 2);

  CHECK_CODE(f.users().List(As(carol), ws.id), StatusCode::kNotFound);
  CHECK_CODE(f.users().List(System(), "no-such-workspace"), StatusCode::kNotFound);
}

TEST_CASE("users: update own name, not someone else's", "[users]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice");
  quik::User bob = f.CreateUser("Bob");
  quik::User stranger = f.CreateUser("Stranger");
  quik::Workspace ws = f.CreateWorkspace(As(alice), "Shared");
  f.AddMember(ws, bob, quik::Role::kAdmin);  // even a workspace admin is not an instance admin

  quik::UserUpdate rename;
  rename.name = "Alice Liddell";
  quik::User updated = REQUIRE_VALUE(f.users().Update(As(alice), alice.id, rename));
  CHECK(updated.name == "Alice Liddell");
  CHECK(REQUIRE_VALUE(f.users().Get(System(), alice.id)).name == "Alice Liddell");

  // By email, in another case.
  rename.name = "Alice L.";
  CHECK_OK(f.users().Update(As(alice), "ALICE@EXAMPLE.TEST", rename));

  quik::UserUpdate hijack;
  hijack.name = "Hijacked";
  CHECK_CODE(f.users().Update(As(bob), alice.id, hijack), StatusCode::kPermissionDenied);
  CHECK_CODE(f.users().Update(As(stranger), alice.id, hijack), StatusCode::kNotFound);
  CHECK(REQUIRE_VALUE(f.users().Get(System(), alice.id)).name == "Alice L.");

  // The system may rename anyone; names are validated on update too.
  quik::UserUpdate by_system;
  by_system.name = "Renamed";
  CHECK(REQUIRE_VALUE(f.users().Update(System(), bob.id, by_system)).name == "Renamed");
  quik::UserUpdate empty;
  empty.name = "";
  CHECK_CODE(f.users().Update(As(alice), alice.id, empty), StatusCode::kInvalidArgument);
  quik::UserUpdate too_long;
  too_long.name = std::string(81, 'x');
  CHECK_CODE(f.users().Update(As(alice), alice.id, too_long), StatusCode::kInvalidArgument);
  CHECK_CODE(f.users().Update(System(), "nobody@example.test", by_system), StatusCode::kNotFound);
}

TEST_CASE("users: deactivation revokes every credential and blocks login", "[users]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice", "", std::string("correct horse battery"));
  quik::IssuedToken api1 = f.CreateToken(alice, "ci");
  quik::IssuedToken api2 = f.CreateToken(alice, "bot");
  quik::Session session =
      REQUIRE_VALUE(f.auth().Login("alice@example.test", "correct horse battery"));
  REQUIRE_OK(f.auth().Authenticate(api1.secret));
  REQUIRE_OK(f.auth().Authenticate(session.token.secret));

  quik::User off = REQUIRE_VALUE(f.users().Deactivate(System(), alice.id));
  CHECK_FALSE(off.active);
  CHECK(off.deactivated_at > 0);
  quik::User got = REQUIRE_VALUE(f.users().Get(System(), alice.id));
  CHECK_FALSE(got.active);

  CHECK_CODE(f.auth().Authenticate(api1.secret), StatusCode::kUnauthenticated);
  CHECK_CODE(f.auth().Authenticate(api2.secret), StatusCode::kUnauthenticated);
  CHECK_CODE(f.auth().Authenticate(session.token.secret), StatusCode::kUnauthenticated);
  CHECK_CODE(f.auth().Login("alice@example.test", "correct horse battery"),
             StatusCode::kUnauthenticated);

  // Every token is revoked, not merely refused.
  auto tokens = REQUIRE_VALUE(f.auth().ListTokens(System(), alice.id));
  CHECK(tokens.size() >= 3);
  for (const quik::Token& t : tokens) {
    INFO("token " << t.id << " " << t.name);
    CHECK(t.revoked_at != 0);
  }

  // Deactivating twice is a no-op.
  quik::User again = REQUIRE_VALUE(f.users().Deactivate(System(), alice.email));
  CHECK_FALSE(again.active);
  CHECK(again.deactivated_at == off.deactivated_at);
}

TEST_CASE("users: only the system or an instance admin deactivates", "[users]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice");
  quik::User bob = f.CreateUser("Bob");
  quik::User stranger = f.CreateUser("Stranger");
  quik::User root = f.CreateUser("Root", "", std::nullopt, true);
  quik::Workspace ws = f.CreateWorkspace(As(alice), "Shared");  // Alice owns it
  f.AddMember(ws, bob, quik::Role::kMember);

  CHECK_CODE(f.users().Deactivate(As(alice), bob.id), StatusCode::kPermissionDenied);
  CHECK_CODE(f.users().Deactivate(As(stranger), bob.id), StatusCode::kNotFound);
  CHECK(REQUIRE_VALUE(f.users().Get(System(), bob.id)).active);

  quik::User off = REQUIRE_VALUE(f.users().Deactivate(As(root), bob.id));
  CHECK_FALSE(off.active);
  CHECK_CODE(f.users().Deactivate(System(), "nobody@example.test"), StatusCode::kNotFound);
}

TEST_CASE("users: a deactivated user cannot act", "[users]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice");
  quik::User bob = f.CreateUser("Bob");
  quik::Workspace ws = f.CreateWorkspace(As(alice), "Shared");
  f.AddMember(ws, bob, quik::Role::kAdmin);
  quik::Channel general = f.CreateChannel(As(alice), ws, "general");
  f.Post(As(bob), general.id, "hello before");

  REQUIRE_OK(f.users().Deactivate(System(), bob.id));

  quik::NewMessage msg;
  msg.text = "hello after";
  CHECK_CODE(f.messages().Post(As(bob), general.id, msg), StatusCode::kUnauthenticated);
  quik::NewChannel ch;
  ch.name = "bobs";
  CHECK_CODE(f.channels().Create(As(bob), ws.id, ch), StatusCode::kUnauthenticated);
  quik::NewWorkspace nw;
  nw.name = "Bob's own";
  CHECK_CODE(f.workspaces().Create(As(bob), nw), StatusCode::kUnauthenticated);
  quik::UserUpdate rename;
  rename.name = "Ghost";
  CHECK_CODE(f.users().Update(As(bob), bob.id, rename), StatusCode::kUnauthenticated);
  quik::NewToken spec;
  spec.name = "late";
  CHECK_CODE(f.auth().CreateToken(As(bob), bob.id, spec), StatusCode::kUnauthenticated);

  // Nothing was posted.
  auto page = REQUIRE_VALUE(f.messages().List(As(alice), general.id));
  REQUIRE(page.items.size() == 1);
  CHECK(page.items[0].text == "hello before");
}

TEST_CASE("users: concurrent creation with one email makes one user", "[users]") {
  quik_test::ServiceFixture f;
  constexpr int kThreads = 8;
  std::vector<quik::StatusCode> codes(kThreads, StatusCode::kInternal);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      // The same address in different cases.
      std::string email = i % 2 ? "Race@Example.test" : "race@example.TEST";
      codes[static_cast<std::size_t>(i)] =
          f.users().Create(System(), Spec(email, "Racer " + std::to_string(i))).status().code();
    });
  }
  for (std::thread& th : threads) th.join();
  int ok = 0;
  for (StatusCode code : codes) {
    if (code == StatusCode::kOk) {
      ++ok;
    } else {
      CHECK(code == StatusCode::kAlreadyExists);
    }
  }
  CHECK(ok == 1);
  CHECK(REQUIRE_VALUE(f.users().List(System())).size() == 1);
}
