// SPDX-License-Identifier: MIT
// AuthService: signup, login, sessions and API tokens.
#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "quik/auth.hpp"
#include "unit/testing/service_fixture.hpp"

using quik::StatusCode;
using quik_test::As;
using quik_test::System;

namespace {

quik::Signup MakeSignup(const std::string& email, const std::string& name,
                        const std::string& password, const std::string& invite = "") {
  quik::Signup s;
  s.email = email;
  s.name = name;
  s.password = password;
  s.invite_code = invite;
  return s;
}

const quik::Token* FindToken(const std::vector<quik::Token>& tokens, const std::string& id) {
  auto it =
      std::find_if(tokens.begin(), tokens.end(), [&](const quik::Token& t) { return t.id == id; });
  return it == tokens.end() ? nullptr : &*it;
}

quik::NewToken TokenSpec(const std::string& name) {
  quik::NewToken spec;
  spec.name = name;
  return spec;
}

}  // namespace

TEST_CASE("auth: signup without open signup needs an invite", "[auth]") {
  quik_test::ServiceFixture f;
  REQUIRE_FALSE(f.options().auth.open_signup);
  CHECK_CODE(f.auth().SignUp(MakeSignup("new@example.test", "New", "s3cret-pass")),
             StatusCode::kPermissionDenied);
  // No account was left behind.
  CHECK_CODE(f.users().Get(System(), "new@example.test"), StatusCode::kNotFound);
  CHECK_CODE(f.auth().Login("new@example.test", "s3cret-pass"), StatusCode::kUnauthenticated);
}

TEST_CASE("auth: signup with an invite joins the workspace", "[auth]") {
  quik_test::ServiceFixture f;
  quik::User owner = f.CreateUser("Owner");
  quik::Workspace ws = f.CreateWorkspace(As(owner), "Demo Co");
  quik::Invite member_invite =
      REQUIRE_VALUE(f.workspaces().CreateInvite(As(owner), ws.id, quik::Role::kMember));
  REQUIRE_FALSE(member_invite.code.empty());

  quik::Session s = REQUIRE_VALUE(
      f.auth().SignUp(MakeSignup("New@Example.test", "New", "s3cret-pass", member_invite.code)));
  CHECK(s.user.email == "New@Example.test");
  CHECK(s.user.name == "New");
  CHECK(s.user.active);
  CHECK(s.token.token.kind == quik::TokenKind::kSession);
  CHECK(s.token.token.user_id == s.user.id);
  CHECK(s.token.secret.size() >= 43);

  quik::Member m = REQUIRE_VALUE(f.workspaces().GetMember(System(), ws.id, s.user.id));
  CHECK(m.role == quik::Role::kMember);
  auto mine = REQUIRE_VALUE(f.workspaces().List(As(s.user)));
  REQUIRE(mine.size() == 1);
  CHECK(mine[0].id == ws.id);

  quik::Authenticated who = REQUIRE_VALUE(f.auth().Authenticate(s.token.secret));
  CHECK(who.user_id == s.user.id);
  CHECK(who.token_id == s.token.token.id);
  CHECK(who.kind == quik::TokenKind::kSession);

  // The password works for login.
  CHECK_OK(f.auth().Login("new@example.test", "s3cret-pass"));

  // A guest invite gives the guest role.
  quik::Invite guest_invite =
      REQUIRE_VALUE(f.workspaces().CreateInvite(As(owner), ws.id, quik::Role::kGuest));
  quik::Session g = REQUIRE_VALUE(
      f.auth().SignUp(MakeSignup("guest@example.test", "Guest", "s3cret-pass", guest_invite.code)));
  CHECK(REQUIRE_VALUE(f.workspaces().GetMember(System(), ws.id, g.user.id)).role ==
        quik::Role::kGuest);
}

TEST_CASE("auth: signup with a bogus invite creates nothing", "[auth]") {
  quik_test::ServiceFixture f;
  auto r = f.auth().SignUp(MakeSignup("new@example.test", "New", "s3cret-pass", "no-such-code"));
  CHECK_FALSE(r.ok());
  CHECK_CODE(f.users().Get(System(), "new@example.test"), StatusCode::kNotFound);
}

TEST_CASE("auth: open signup needs no invite", "[auth]") {
  quik_test::ServiceFixture f([](quik::Options& o) { o.auth.open_signup = true; });
  quik::Session s =
      REQUIRE_VALUE(f.auth().SignUp(MakeSignup("new@example.test", "New", "s3cret-pass")));
  CHECK_OK(f.auth().Authenticate(s.token.secret));
  CHECK(REQUIRE_VALUE(f.workspaces().List(As(s.user))).empty());

  // Signup validates like user creation does.
  CHECK_CODE(f.auth().SignUp(MakeSignup("NEW@example.test", "Again", "s3cret-pass")),
             StatusCode::kAlreadyExists);
  CHECK_CODE(f.auth().SignUp(MakeSignup("not-an-email", "X", "s3cret-pass")),
             StatusCode::kInvalidArgument);
  CHECK_CODE(f.auth().SignUp(MakeSignup("noname@example.test", "", "s3cret-pass")),
             StatusCode::kInvalidArgument);
  CHECK_CODE(f.auth().SignUp(MakeSignup("nopass@example.test", "No pass", "")),
             StatusCode::kInvalidArgument);
}

TEST_CASE("auth: login with the right and wrong credentials", "[auth]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice", "Alice@Example.test", std::string("correct horse"));
  quik::User nopass = f.CreateUser("No Password");

  quik::Session s = REQUIRE_VALUE(f.auth().Login("Alice@Example.test", "correct horse"));
  CHECK(s.user.id == alice.id);
  CHECK(s.token.token.kind == quik::TokenKind::kSession);
  CHECK(s.token.secret.size() >= 43);
  CHECK(s.token.token.expires_at > s.token.token.created_at);  // auth.session_ttl
  quik::Authenticated who = REQUIRE_VALUE(f.auth().Authenticate(s.token.secret));
  CHECK(who.user_id == alice.id);
  CHECK(who.kind == quik::TokenKind::kSession);

  // Emails compare case-insensitively at login too.
  CHECK_OK(f.auth().Login("alice@example.test", "correct horse"));

  // Each login is a new session.
  quik::Session s2 = REQUIRE_VALUE(f.auth().Login("alice@example.test", "correct horse"));
  CHECK(s2.token.secret != s.token.secret);
  CHECK(s2.token.token.id != s.token.token.id);

  CHECK_CODE(f.auth().Login("alice@example.test", "wrong horse"), StatusCode::kUnauthenticated);
  CHECK_CODE(f.auth().Login("alice@example.test", "Correct horse"), StatusCode::kUnauthenticated);
  CHECK_CODE(f.auth().Login("alice@example.test", ""), StatusCode::kUnauthenticated);
  CHECK_CODE(f.auth().Login("nobody@example.test", "correct horse"), StatusCode::kUnauthenticated);
  CHECK_CODE(f.auth().Login("", ""), StatusCode::kUnauthenticated);
  // A user without a password cannot log in with any password.
  CHECK_CODE(f.auth().Login(nopass.email, ""), StatusCode::kUnauthenticated);
  CHECK_CODE(f.auth().Login(nopass.email, "anything"), StatusCode::kUnauthenticated);
}

TEST_CASE("auth: logout revokes the session", "[auth]") {
  quik_test::ServiceFixture f;
  f.CreateUser("Alice", "", std::string("correct horse"));
  quik::Session a = REQUIRE_VALUE(f.auth().Login("alice@example.test", "correct horse"));
  quik::Session b = REQUIRE_VALUE(f.auth().Login("alice@example.test", "correct horse"));
  REQUIRE_OK(f.auth().Logout(a.token.secret));
  CHECK_CODE(f.auth().Authenticate(a.token.secret), StatusCode::kUnauthenticated);
  CHECK_OK(f.auth().Authenticate(b.token.secret));  // other sessions live on
}

TEST_CASE("auth: set password", "[auth]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice", "", std::string("old password"));
  quik::User bob = f.CreateUser("Bob", "", std::string("bob password"));
  quik::User stranger = f.CreateUser("Stranger");
  quik::Workspace ws = f.CreateWorkspace(As(alice), "Shared");
  f.AddMember(ws, bob, quik::Role::kAdmin);

  REQUIRE_OK(f.auth().SetPassword(As(alice), alice.id, "new password"));
  CHECK_CODE(f.auth().Login(alice.email, "old password"), StatusCode::kUnauthenticated);
  CHECK_OK(f.auth().Login(alice.email, "new password"));

  CHECK_CODE(f.auth().SetPassword(As(bob), alice.id, "bobs choice"), StatusCode::kPermissionDenied);
  CHECK_CODE(f.auth().SetPassword(As(stranger), alice.id, "strangers choice"),
             StatusCode::kNotFound);
  CHECK_CODE(f.auth().Login(alice.email, "bobs choice"), StatusCode::kUnauthenticated);

  REQUIRE_OK(f.auth().SetPassword(System(), bob.email, "reset by operator"));
  CHECK_OK(f.auth().Login(bob.email, "reset by operator"));
  // A user without a password gets one.
  REQUIRE_OK(f.auth().SetPassword(System(), stranger.id, "first password"));
  CHECK_OK(f.auth().Login(stranger.email, "first password"));
}

TEST_CASE("auth: change password proves the current one", "[auth]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice", "", std::string("old password"));
  quik::User nopass = f.CreateUser("Nopass");

  CHECK_CODE(f.auth().ChangePassword(As(alice), "wrong password", "new password"),
             StatusCode::kPermissionDenied);
  CHECK_OK(f.auth().Login(alice.email, "old password"));
  CHECK_CODE(f.auth().ChangePassword(As(alice), "old password", "short"),
             StatusCode::kInvalidArgument);
  REQUIRE_OK(f.auth().ChangePassword(As(alice), "old password", "new password"));
  CHECK_CODE(f.auth().Login(alice.email, "old password"), StatusCode::kUnauthenticated);
  CHECK_OK(f.auth().Login(alice.email, "new password"));

  // Without a password there is nothing to prove: an operator sets the first one.
  CHECK_CODE(f.auth().ChangePassword(As(nopass), "", "new password"),
             StatusCode::kPermissionDenied);
  CHECK_CODE(f.auth().ChangePassword(System(), "", "new password"), StatusCode::kPermissionDenied);
}

TEST_CASE("auth: a password change ends the other login sessions and every API token", "[auth]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice", "", std::string("old password"));
  quik::Session here = REQUIRE_VALUE(f.auth().Login(alice.email, "old password"));
  quik::Session there = REQUIRE_VALUE(f.auth().Login(alice.email, "old password"));
  quik::IssuedToken api = REQUIRE_VALUE(f.auth().CreateToken(As(alice), alice.id, TokenSpec("ci")));

  REQUIRE_OK(
      f.auth().ChangePassword(As(alice), "old password", "new password", here.token.token.id));
  CHECK_OK(f.auth().Authenticate(here.token.secret));  // the one that made the change
  CHECK_CODE(f.auth().Authenticate(there.token.secret), StatusCode::kUnauthenticated);
  CHECK_CODE(f.auth().Authenticate(api.secret), StatusCode::kUnauthenticated);
  auto listed = REQUIRE_VALUE(f.auth().ListTokens(As(alice), alice.id));
  const quik::Token* api_row = FindToken(listed, api.token.id);
  REQUIRE(api_row != nullptr);
  CHECK(api_row->revoked_at != 0);

  // An operator's reset ends everything, the session that changed it too.
  quik::IssuedToken api2 =
      REQUIRE_VALUE(f.auth().CreateToken(As(alice), alice.id, TokenSpec("ci2")));
  REQUIRE_OK(f.auth().SetPassword(System(), alice.id, "reset password"));
  CHECK_CODE(f.auth().Authenticate(here.token.secret), StatusCode::kUnauthenticated);
  CHECK_CODE(f.auth().Authenticate(api2.secret), StatusCode::kUnauthenticated);
  CHECK_OK(f.auth().Login(alice.email, "reset password"));
}

TEST_CASE("auth: passwords shorter than 8 characters are refused everywhere", "[auth]") {
  quik_test::ServiceFixture f;
  quik::NewUser spec{"short@example.test", "Short", std::string("1234567"), false};
  CHECK_CODE(f.users().Create(System(), spec), StatusCode::kInvalidArgument);
  spec.password = "12345678";
  CHECK_OK(f.users().Create(System(), spec));
}

TEST_CASE("auth: api tokens are created, listed and revoked", "[auth]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice");

  quik::IssuedToken t = REQUIRE_VALUE(f.auth().CreateToken(As(alice), alice.id, TokenSpec("ci")));
  CHECK(t.token.user_id == alice.id);
  CHECK(t.token.name == "ci");
  CHECK(t.token.kind == quik::TokenKind::kApi);
  CHECK(t.token.created_at > 0);
  CHECK(t.token.expires_at == 0);  // no ttl: never
  CHECK(t.token.revoked_at == 0);
  CHECK(t.secret.size() >= 43);  // 256 random bits

  quik::Authenticated who = REQUIRE_VALUE(f.auth().Authenticate(t.secret));
  CHECK(who.user_id == alice.id);
  CHECK(who.token_id == t.token.id);
  CHECK(who.kind == quik::TokenKind::kApi);

  // By email, and by the system for the user.
  quik::IssuedToken t2 =
      REQUIRE_VALUE(f.auth().CreateToken(As(alice), "ALICE@example.test", TokenSpec("bot")));
  quik::IssuedToken t3 =
      REQUIRE_VALUE(f.auth().CreateToken(System(), alice.id, TokenSpec("operator")));
  CHECK(t3.token.user_id == alice.id);
  std::set<std::string> secrets = {t.secret, t2.secret, t3.secret};
  CHECK(secrets.size() == 3);

  auto listed = REQUIRE_VALUE(f.auth().ListTokens(As(alice), alice.id));
  for (const auto& issued : {t, t2, t3}) {
    const quik::Token* found = FindToken(listed, issued.token.id);
    REQUIRE(found != nullptr);
    CHECK(found->name == issued.token.name);
    CHECK(found->user_id == alice.id);
    CHECK(found->kind == quik::TokenKind::kApi);
    CHECK(found->revoked_at == 0);
    // The secret is shown once: no listed field carries it.
    CHECK(found->id != issued.secret);
    CHECK(found->name != issued.secret);
  }

  REQUIRE_OK(f.auth().RevokeToken(As(alice), t.token.id));
  CHECK_CODE(f.auth().Authenticate(t.secret), StatusCode::kUnauthenticated);
  CHECK_OK(f.auth().Authenticate(t2.secret));  // the others live on

  // Revoked tokens stay listed, marked.
  listed = REQUIRE_VALUE(f.auth().ListTokens(As(alice), alice.id));
  const quik::Token* revoked = FindToken(listed, t.token.id);
  REQUIRE(revoked != nullptr);
  CHECK(revoked->revoked_at != 0);

  // The system revokes any token; unknown ids are not found.
  REQUIRE_OK(f.auth().RevokeToken(System(), t2.token.id));
  CHECK_CODE(f.auth().Authenticate(t2.secret), StatusCode::kUnauthenticated);
  CHECK_CODE(f.auth().RevokeToken(System(), "01ARZ3NDEKTSV4RRFFQ69G5FAV"), StatusCode::kNotFound);
}

TEST_CASE("auth: the system lists everyone's tokens", "[auth]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice");
  quik::User bob = f.CreateUser("Bob");
  quik::IssuedToken ta = f.CreateToken(alice, "a");
  quik::IssuedToken tb = f.CreateToken(bob, "b");
  auto all = REQUIRE_VALUE(f.auth().ListTokens(System()));
  CHECK(FindToken(all, ta.token.id) != nullptr);
  CHECK(FindToken(all, tb.token.id) != nullptr);
  auto only_bob = REQUIRE_VALUE(f.auth().ListTokens(System(), bob.id));
  CHECK(FindToken(only_bob, ta.token.id) == nullptr);
  CHECK(FindToken(only_bob, tb.token.id) != nullptr);
}

TEST_CASE("auth: unknown, empty and revoked secrets do not authenticate", "[auth]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice");
  quik::IssuedToken t = f.CreateToken(alice);
  CHECK_CODE(f.auth().Authenticate(""), StatusCode::kUnauthenticated);
  CHECK_CODE(f.auth().Authenticate("not-a-token"), StatusCode::kUnauthenticated);
  CHECK_CODE(f.auth().Authenticate(std::string(43, 'A')), StatusCode::kUnauthenticated);
  // One character off.
  std::string tampered = t.secret;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  CHECK_CODE(f.auth().Authenticate(tampered), StatusCode::kUnauthenticated);
  // The token id is not a secret.
  CHECK_CODE(f.auth().Authenticate(t.token.id), StatusCode::kUnauthenticated);
  CHECK_OK(f.auth().Authenticate(t.secret));
}

TEST_CASE("auth: tokens expire after their ttl", "[auth]") {
  auto clock = std::make_shared<quik::ManualClock>();
  quik_test::ServiceFixture f([&](quik::Options& o) { o.clock = clock; });
  quik::User alice = f.CreateUser("Alice");
  quik::NewToken spec = TokenSpec("short");
  spec.ttl = std::chrono::seconds(1);
  quik::IssuedToken t = REQUIRE_VALUE(f.auth().CreateToken(As(alice), alice.id, spec));
  CHECK(t.token.created_at == clock->NowMillis());
  CHECK(t.token.expires_at - t.token.created_at == 1000);
  CHECK_OK(f.auth().Authenticate(t.secret));

  clock->Advance(std::chrono::milliseconds(999));
  CHECK_OK(f.auth().Authenticate(t.secret));
  clock->Advance(std::chrono::milliseconds(1));
  CHECK_CODE(f.auth().Authenticate(t.secret), StatusCode::kUnauthenticated);
}

TEST_CASE("auth: token names are limited", "[auth]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice");
  CHECK_CODE(f.auth().CreateToken(As(alice), alice.id, TokenSpec(std::string(81, 't'))),
             StatusCode::kInvalidArgument);
  CHECK_OK(f.auth().CreateToken(As(alice), alice.id, TokenSpec(std::string(80, 't'))));
}

TEST_CASE("auth: users cannot manage each other's tokens", "[auth]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice");
  quik::User bob = f.CreateUser("Bob");
  quik::User stranger = f.CreateUser("Stranger");
  quik::User root = f.CreateUser("Root", "", std::nullopt, true);
  quik::Workspace ws = f.CreateWorkspace(As(alice), "Shared");  // Alice owns it
  f.AddMember(ws, bob, quik::Role::kMember);
  quik::IssuedToken bobs = f.CreateToken(bob, "bobs");

  // Visible but not theirs: denied. Invisible: does not exist.
  CHECK_CODE(f.auth().CreateToken(As(alice), bob.id, TokenSpec("steal")),
             StatusCode::kPermissionDenied);
  CHECK_CODE(f.auth().CreateToken(As(stranger), bob.id, TokenSpec("steal")), StatusCode::kNotFound);
  CHECK_CODE(f.auth().ListTokens(As(alice), bob.id), StatusCode::kPermissionDenied);
  CHECK_CODE(f.auth().ListTokens(As(stranger), bob.id), StatusCode::kNotFound);
  // Nor may an outsider tell a registered email from an unknown one.
  CHECK_CODE(f.auth().CreateToken(As(stranger), "nobody@example.test", TokenSpec("probe")),
             StatusCode::kNotFound);
  CHECK_CODE(f.auth().CreateToken(As(stranger), bob.email, TokenSpec("probe")),
             StatusCode::kNotFound);

  for (const quik::User* who : {&alice, &stranger}) {
    INFO("revoking as " << who->name);
    quik::Status s = f.auth().RevokeToken(As(*who), bobs.token.id);
    CHECK((s.code() == StatusCode::kPermissionDenied || s.code() == StatusCode::kNotFound));
  }
  CHECK_OK(f.auth().Authenticate(bobs.secret));

  // An instance admin may.
  quik::IssuedToken by_root =
      REQUIRE_VALUE(f.auth().CreateToken(As(root), bob.id, TokenSpec("support")));
  CHECK(by_root.token.user_id == bob.id);
  CHECK_OK(f.auth().ListTokens(As(root), bob.id));
  REQUIRE_OK(f.auth().RevokeToken(As(root), bobs.token.id));
  CHECK_CODE(f.auth().Authenticate(bobs.secret), StatusCode::kUnauthenticated);
}

TEST_CASE("auth: login sessions expire after auth.session_ttl", "[auth]") {
  auto clock = std::make_shared<quik::ManualClock>();
  quik_test::ServiceFixture f([&](quik::Options& o) {
    o.auth.session_ttl = std::chrono::seconds(1);
    o.clock = clock;
  });
  f.CreateUser("Alice", "", std::string("correct horse"));
  quik::Session s = REQUIRE_VALUE(f.auth().Login("alice@example.test", "correct horse"));
  CHECK(s.token.token.expires_at - s.token.token.created_at == 1000);
  CHECK_OK(f.auth().Authenticate(s.token.secret));
  clock->Advance(std::chrono::milliseconds(999));
  CHECK_OK(f.auth().Authenticate(s.token.secret));
  clock->Advance(std::chrono::milliseconds(1));
  CHECK_CODE(f.auth().Authenticate(s.token.secret), StatusCode::kUnauthenticated);
}
