// SPDX-License-Identifier: MIT
// Accounts and invites (issue 15): cheap checks before password hashing,
// invite limits and revocation, credential revocation on password changes,
// re-authentication for tokens minted from a session, adding members by email
// without an account oracle, reactivation and instance admins.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "quik/auth.hpp"
#include "quik/provision.hpp"
#include "quik/slack_import.hpp"
#include "service/context.hpp"
#include "testing/slack_export.hpp"
#include "testing/temp_dir.hpp"
#include "unit/testing/service_fixture.hpp"

using quik::Role;
using quik::StatusCode;
using quik_test::As;
using quik_test::System;

namespace {

quik::Signup MakeSignup(const std::string& email, const std::string& password,
                        const std::string& invite = "") {
  quik::Signup s;
  s.email = email;
  s.name = "Someone";
  s.password = password;
  s.invite_code = invite;
  return s;
}

// Password hashes and checks the service ran so far.
std::uint64_t Hashes(quik_test::ServiceFixture& f) {
  return quik::internal::ContextOf(f.svc())->hash_pool->stats().completed;
}

quik::NewInvite InviteSpec(Role role = Role::kMember, const std::string& email = "",
                           int max_uses = 0) {
  quik::NewInvite spec;
  spec.role = role;
  spec.email = email;
  spec.max_uses = max_uses;
  return spec;
}

}  // namespace

TEST_CASE("accounts: a bogus invite, a closed signup or a taken email never reach hashing",
          "[auth][accounts]") {
  quik_test::ServiceFixture f;
  quik::User taken = f.CreateUser("Taken");
  const std::uint64_t before = Hashes(f);

  CHECK_CODE(f.auth().SignUp(MakeSignup("eve@example.test", "long password", "bogus-code")),
             StatusCode::kNotFound);
  CHECK_CODE(f.auth().SignUp(MakeSignup("eve@example.test", "long password")),
             StatusCode::kPermissionDenied);
  quik::User owner = f.CreateUser("Owner");
  quik::Workspace ws = f.CreateWorkspace(As(owner), "Acme");
  quik::Invite invite = REQUIRE_VALUE(f.workspaces().CreateInvite(As(owner), ws.id, InviteSpec()));
  CHECK_CODE(f.auth().SignUp(MakeSignup(taken.email, "long password", invite.code)),
             StatusCode::kAlreadyExists);
  CHECK(Hashes(f) == before);

  // The same invite still works afterwards: the failures used none of it.
  REQUIRE_OK(f.auth().SignUp(MakeSignup("eve@example.test", "long password", invite.code)));
  CHECK(Hashes(f) == before + 1);
}

TEST_CASE("accounts: creating users and setting passwords check permission before hashing",
          "[auth][accounts]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice", "", std::string("alice password"));
  quik::User bob = f.CreateUser("Bob");
  quik::Workspace ws = f.CreateWorkspace(As(alice), "Shared");
  f.AddMember(ws, bob, Role::kMember);
  const std::uint64_t before = Hashes(f);

  quik::NewUser spec{"new@example.test", "New", std::string("long password"), false};
  CHECK_CODE(f.users().Create(As(bob), spec), StatusCode::kPermissionDenied);
  CHECK_CODE(f.auth().SetPassword(As(bob), alice.id, "long password"),
             StatusCode::kPermissionDenied);
  quik::NewUser dup{alice.email, "Dup", std::string("long password"), false};
  CHECK_CODE(f.users().Create(System(), dup), StatusCode::kAlreadyExists);
  CHECK(Hashes(f) == before);
}

TEST_CASE("accounts: a full hash pool answers unavailable", "[auth][accounts]") {
  quik_test::ServiceFixture f([](quik::Options& o) {
    o.auth.hash_threads = 1;
    o.auth.hash_queue = 0;
  });
  quik::User alice = f.CreateUser("Alice", "", std::string("alice password"));
  auto& pool = *quik::internal::ContextOf(f.svc())->hash_pool;
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::thread holder([&] {
    (void)pool.Run([&] {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return release; });
    });
  });
  while (pool.stats().running == 0) std::this_thread::yield();
  CHECK_CODE(f.auth().Login(alice.email, "alice password"), StatusCode::kUnavailable);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  holder.join();
  CHECK_OK(f.auth().Login(alice.email, "alice password"));
}

TEST_CASE("accounts: invites are single-use by default or limited to N uses", "[auth][accounts]") {
  quik_test::ServiceFixture f;
  quik::User owner = f.CreateUser("Owner");
  quik::Workspace ws = f.CreateWorkspace(As(owner), "Acme");

  quik::Invite once = REQUIRE_VALUE(f.workspaces().CreateInvite(As(owner), ws.id, Role::kMember));
  CHECK(once.max_uses == 1);
  REQUIRE_OK(f.auth().SignUp(MakeSignup("a@example.test", "long password", once.code)));
  CHECK_CODE(f.auth().SignUp(MakeSignup("b@example.test", "long password", once.code)),
             StatusCode::kNotFound);

  quik::Invite three =
      REQUIRE_VALUE(f.workspaces().CreateInvite(As(owner), ws.id, InviteSpec(Role::kGuest, "", 3)));
  for (const char* email : {"c@example.test", "d@example.test", "e@example.test"}) {
    REQUIRE_OK(f.auth().SignUp(MakeSignup(email, "long password", three.code)));
  }
  CHECK_CODE(f.auth().SignUp(MakeSignup("f@example.test", "long password", three.code)),
             StatusCode::kNotFound);

  // An existing member accepting again uses nothing up.
  quik::User walker = f.CreateUser("Walker");
  quik::Invite two = REQUIRE_VALUE(
      f.workspaces().CreateInvite(As(owner), ws.id, InviteSpec(Role::kMember, "", 2)));
  REQUIRE_OK(f.workspaces().AcceptInvite(As(walker), two.code));
  REQUIRE_OK(f.workspaces().AcceptInvite(As(walker), two.code));
  auto listed = REQUIRE_VALUE(f.workspaces().ListInvites(As(owner), ws.id));
  REQUIRE(listed.size() == 3);
  CHECK(listed[0].id == two.id);  // newest first
  CHECK(listed[0].uses == 1);
  CHECK(listed[0].code.empty());  // codes are never listed
  CHECK(listed[1].uses == 3);
  CHECK(listed[2].uses == 1);

  CHECK_CODE(f.workspaces().CreateInvite(As(owner), ws.id, InviteSpec(Role::kMember, "", -1)),
             StatusCode::kInvalidArgument);
  CHECK_CODE(f.workspaces().CreateInvite(As(owner), ws.id,
                                         InviteSpec(Role::kMember, "", quik::kMaxInviteUses + 1)),
             StatusCode::kInvalidArgument);
}

TEST_CASE("accounts: auth.invite_max_uses sets the default", "[auth][accounts]") {
  quik_test::ServiceFixture f([](quik::Options& o) { o.auth.invite_max_uses = 5; });
  quik::User owner = f.CreateUser("Owner");
  quik::Workspace ws = f.CreateWorkspace(As(owner), "Acme");
  CHECK(REQUIRE_VALUE(f.workspaces().CreateInvite(As(owner), ws.id, Role::kMember)).max_uses == 5);
  // Bound to an email: single-use whatever the default.
  CHECK(REQUIRE_VALUE(f.workspaces().CreateInvite(As(owner), ws.id,
                                                  InviteSpec(Role::kMember, "x@example.test")))
            .max_uses == 1);
}

TEST_CASE("accounts: an invite bound to an email takes only that email", "[auth][accounts]") {
  quik_test::ServiceFixture f;
  quik::User owner = f.CreateUser("Owner");
  quik::User other = f.CreateUser("Other");
  quik::Workspace ws = f.CreateWorkspace(As(owner), "Acme");
  quik::Invite bound = REQUIRE_VALUE(f.workspaces().CreateInvite(
      As(owner), ws.id, InviteSpec(Role::kMember, "Carol@Example.test")));
  CHECK(bound.email == "carol@example.test");
  CHECK_CODE(f.auth().SignUp(MakeSignup("mallory@example.test", "long password", bound.code)),
             StatusCode::kPermissionDenied);
  CHECK_CODE(f.workspaces().AcceptInvite(As(other), bound.code), StatusCode::kPermissionDenied);
  quik::Session carol =
      REQUIRE_VALUE(f.auth().SignUp(MakeSignup("carol@EXAMPLE.test", "long password", bound.code)));
  CHECK(REQUIRE_VALUE(f.workspaces().GetMember(System(), ws.id, carol.user.id)).role ==
        Role::kMember);
  CHECK_CODE(
      f.workspaces().CreateInvite(As(owner), ws.id, InviteSpec(Role::kMember, "not an email")),
      StatusCode::kInvalidArgument);
  CHECK_CODE(
      f.workspaces().CreateInvite(As(owner), ws.id, InviteSpec(Role::kMember, "y@example.test", 2)),
      StatusCode::kInvalidArgument);
}

TEST_CASE("accounts: invites are listed and revoked by owners and admins only",
          "[auth][accounts]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Workspace other_ws = f.CreateWorkspace(As(t.outsider), "Elsewhere");
  quik::Invite inv = REQUIRE_VALUE(f.workspaces().CreateInvite(As(t.admin), t.ws.id, InviteSpec()));

  CHECK_CODE(f.workspaces().ListInvites(As(t.member), t.ws.id), StatusCode::kPermissionDenied);
  CHECK_CODE(f.workspaces().ListInvites(As(t.guest), t.ws.id), StatusCode::kPermissionDenied);
  CHECK_CODE(f.workspaces().ListInvites(As(t.outsider), t.ws.id), StatusCode::kNotFound);
  CHECK(REQUIRE_VALUE(f.workspaces().ListInvites(As(t.owner), t.ws.id)).size() == 1);
  CHECK(REQUIRE_VALUE(f.workspaces().ListInvites(System(), t.ws.slug)).size() == 1);

  CHECK_CODE(f.workspaces().RevokeInvite(As(t.member), t.ws.id, inv.id),
             StatusCode::kPermissionDenied);
  CHECK_CODE(f.workspaces().RevokeInvite(As(t.outsider), other_ws.id, inv.id),
             StatusCode::kNotFound);  // not an invite of that workspace
  quik::Invite revoked = REQUIRE_VALUE(f.workspaces().RevokeInvite(As(t.owner), t.ws.id, inv.id));
  CHECK(revoked.revoked_at != 0);
  CHECK(REQUIRE_VALUE(f.workspaces().RevokeInvite(As(t.admin), t.ws.id, inv.id)).revoked_at ==
        revoked.revoked_at);  // twice: a no-op
  CHECK_CODE(f.auth().SignUp(MakeSignup("late@example.test", "long password", inv.code)),
             StatusCode::kNotFound);
  quik::User walker = f.CreateUser("Walker");
  CHECK_CODE(f.workspaces().AcceptInvite(As(walker), inv.code), StatusCode::kNotFound);
  CHECK_CODE(f.workspaces().RevokeInvite(As(t.owner), t.ws.id, "no-such-invite"),
             StatusCode::kNotFound);
}

TEST_CASE("accounts: an invite's own ttl bounds its life", "[auth][accounts]") {
  quik_test::ServiceFixture f;
  quik::User owner = f.CreateUser("Owner");
  quik::Workspace ws = f.CreateWorkspace(As(owner), "Acme");
  quik::NewInvite spec = InviteSpec();
  spec.ttl = std::chrono::hours(2);
  quik::Invite inv = REQUIRE_VALUE(f.workspaces().CreateInvite(As(owner), ws.id, spec));
  CHECK(inv.expires_at - inv.created_at == 2 * 3600 * 1000);
  quik::Invite dflt = REQUIRE_VALUE(f.workspaces().CreateInvite(As(owner), ws.id, InviteSpec()));
  CHECK(dflt.expires_at - dflt.created_at ==
        std::chrono::duration_cast<std::chrono::milliseconds>(f.options().auth.invite_ttl).count());
  spec.ttl = std::chrono::seconds(0);
  CHECK_CODE(f.workspaces().CreateInvite(As(owner), ws.id, spec), StatusCode::kInvalidArgument);
}

TEST_CASE("accounts: minting an API token from a login session needs the password",
          "[auth][accounts]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice", "", std::string("alice password"));
  quik::NewToken spec;
  spec.name = "from the browser";
  spec.reauthenticate = true;
  CHECK_CODE(f.auth().CreateToken(As(alice), alice.id, spec), StatusCode::kPermissionDenied);
  spec.password = "wrong password";
  CHECK_CODE(f.auth().CreateToken(As(alice), alice.id, spec), StatusCode::kPermissionDenied);
  spec.password = "alice password";
  quik::IssuedToken t = REQUIRE_VALUE(f.auth().CreateToken(As(alice), alice.id, spec));
  CHECK(t.token.kind == quik::TokenKind::kApi);
  // Not from a session (an API token, quikctl): no password needed.
  quik::NewToken plain;
  plain.name = "ci";
  CHECK_OK(f.auth().CreateToken(As(alice), alice.id, plain));
}

TEST_CASE("accounts: adding by email answers alike for unknown and existing accounts",
          "[auth][accounts]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::User stranger = f.CreateUser("Stranger");  // exists, shares no workspace with t.admin
  quik::User root = f.CreateUser("Root", "", std::nullopt, /*is_admin=*/true);

  auto known = REQUIRE_VALUE(
      f.workspaces().AddMemberOrInvite(As(t.admin), t.ws.id, stranger.email, Role::kMember));
  auto unknown = REQUIRE_VALUE(
      f.workspaces().AddMemberOrInvite(As(t.admin), t.ws.id, "nobody@example.test", Role::kMember));
  REQUIRE(known.invite);
  REQUIRE(unknown.invite);
  CHECK_FALSE(known.member);
  CHECK_FALSE(unknown.member);
  CHECK(known.invite->email == stranger.email);
  CHECK(known.invite->max_uses == unknown.invite->max_uses);
  CHECK(known.invite->role == unknown.invite->role);
  CHECK_CODE(f.workspaces().GetMember(System(), t.ws.id, stranger.id), StatusCode::kNotFound);
  // The stranger joins by accepting it.
  REQUIRE_OK(f.workspaces().AcceptInvite(As(stranger), known.invite->code));
  CHECK_OK(f.workspaces().GetMember(System(), t.ws.id, stranger.id));

  // Someone the caller shares a workspace with is added at once; so is anyone
  // for an instance admin.
  quik::Workspace side = f.CreateWorkspace(As(t.member), "Side");
  auto peer = REQUIRE_VALUE(
      f.workspaces().AddMemberOrInvite(As(t.member), side.id, t.admin.email, Role::kMember));
  CHECK(peer.member);
  quik::Workspace roots = f.CreateWorkspace(As(root), "Roots");
  quik::User loner = f.CreateUser("Loner");
  auto by_admin = REQUIRE_VALUE(
      f.workspaces().AddMemberOrInvite(As(root), roots.id, loner.email, Role::kMember));
  CHECK(by_admin.member);

  // AddMember by email answers alike for unknown and unshared accounts; by
  // id (learnt from a shared workspace or an admin) it adds anyone.
  quik::User hidden = f.CreateUser("Hidden");
  CHECK_CODE(f.workspaces().AddMember(As(t.admin), t.ws.id, hidden.email, Role::kMember),
             StatusCode::kNotFound);
  CHECK_CODE(f.workspaces().AddMember(As(t.admin), t.ws.id, "ghost@example.test", Role::kMember),
             StatusCode::kNotFound);
  CHECK_CODE(f.workspaces().AddMemberOrInvite(As(t.admin), t.ws.id, "01NOSUCHUSER", Role::kMember),
             StatusCode::kNotFound);
  auto by_id = REQUIRE_VALUE(
      f.workspaces().AddMemberOrInvite(As(t.admin), t.ws.id, hidden.id, Role::kMember));
  CHECK(by_id.member);
  // Members cannot invite.
  CHECK_CODE(
      f.workspaces().AddMemberOrInvite(As(t.member), t.ws.id, "x@example.test", Role::kMember),
      StatusCode::kPermissionDenied);
}

TEST_CASE("accounts: reactivate and set-admin are for instance admins", "[auth][accounts]") {
  quik_test::ServiceFixture f;
  quik::User root = f.CreateUser("Root", "", std::string("root password"), /*is_admin=*/true);
  quik::User alice = f.CreateUser("Alice", "", std::string("alice password"));
  quik::Workspace ws = f.CreateWorkspace(As(root), "Acme");
  f.AddMember(ws, alice, Role::kAdmin);

  REQUIRE_OK(f.users().Deactivate(As(root), alice.id));
  CHECK_CODE(f.auth().Login(alice.email, "alice password"), StatusCode::kUnauthenticated);
  quik::User back = REQUIRE_VALUE(f.users().Reactivate(As(root), alice.email));
  CHECK(back.active);
  CHECK(back.deactivated_at == 0);
  CHECK_OK(f.auth().Login(alice.email, "alice password"));
  CHECK_CODE(f.users().Reactivate(As(alice), root.id), StatusCode::kPermissionDenied);

  CHECK_CODE(f.users().SetAdmin(As(alice), alice.id, true), StatusCode::kPermissionDenied);
  CHECK(REQUIRE_VALUE(f.users().SetAdmin(As(root), alice.id, true)).is_admin);
  CHECK(REQUIRE_VALUE(f.users().SetAdmin(As(alice), root.id, false)).is_admin == false);
  // The last active instance admin stays one.
  CHECK_CODE(f.users().SetAdmin(As(alice), alice.id, false), StatusCode::kPermissionDenied);
  CHECK(REQUIRE_VALUE(f.users().SetAdmin(System(), root.id, true)).is_admin);
  CHECK_FALSE(REQUIRE_VALUE(f.users().SetAdmin(System(), alice.id, false)).is_admin);
}

TEST_CASE("accounts: a manifest never adds a self-registered account nobody vouched for",
          "[auth][accounts]") {
  quik_test::ServiceFixture f([](quik::Options& o) { o.auth.open_signup = true; });
  REQUIRE_OK(f.auth().SignUp(MakeSignup("self@example.test", "long password")));
  quik::User admin_made = f.CreateUser("Made", "made@example.test");
  auto manifest = REQUIRE_VALUE(quik::ParseManifest(R"(apiVersion: quik/v1
workspaces:
  - name: Acme
    slug: acme
    members:
      - {email: made@example.test, role: owner}
      - {email: self@example.test}
    channels:
      - {name: general, members: [made@example.test, self@example.test]}
)",
                                                    "m.yaml"));
  quik::ProvisionPlan plan = REQUIRE_VALUE(f.svc().provision().Apply(System(), manifest, false));
  REQUIRE(plan.skipped.size() == 1);
  CHECK_THAT(plan.skipped[0], Catch::Contains("self@example.test"));
  CHECK_THAT(plan.skipped[0], Catch::Contains("vouched"));
  CHECK_OK(f.workspaces().GetMember(System(), "acme", admin_made.id));
  quik::User self = REQUIRE_VALUE(f.users().Get(System(), "self@example.test"));
  CHECK_CODE(f.workspaces().GetMember(System(), "acme", self.id), StatusCode::kNotFound);

  // Signed up through an invite bound to that email: vouched for.
  quik::Invite bound = REQUIRE_VALUE(f.workspaces().CreateInvite(
      System(), "acme", InviteSpec(Role::kMember, "vouched@example.test")));
  REQUIRE_OK(f.auth().SignUp(MakeSignup("vouched@example.test", "long password", bound.code)));
  auto again = REQUIRE_VALUE(quik::ParseManifest(R"(apiVersion: quik/v1
workspaces:
  - name: Other
    slug: other
    members:
      - {email: made@example.test, role: owner}
      - {email: vouched@example.test}
)",
                                                 "m2.yaml"));
  quik::ProvisionPlan plan2 = REQUIRE_VALUE(f.svc().provision().Apply(System(), again, false));
  CHECK(plan2.skipped.empty());
}

TEST_CASE("accounts: an import never attaches an identity to an unvouched self-registered account",
          "[auth][accounts]") {
  quik_test::ServiceFixture f([](quik::Options& o) { o.auth.open_signup = true; });
  quik::Session self =
      REQUIRE_VALUE(f.auth().SignUp(MakeSignup("alice@acme.test", "long password")));
  quik_test::TempDir tmp;
  quik_test::WriteSlackExport(tmp.path() / "export");
  quik::ImportOptions options;
  options.workspace = "acme";
  options.format = "slack";
  quik::ImportReport report =
      REQUIRE_VALUE(quik::ImportSlackExport(f.svc(), System(), tmp.path() / "export", options));
  const quik::KindCounts& users = report.kinds["user"];
  CHECK(users.existing == 0);
  CHECK(users.imported == 7);
  CHECK(users.notes.count("not attached to the self-registered account alice@acme.test (nobody "
                          "vouched for its email); imported as a separate user") == 1);
  // The account stays out of the imported workspace; the identity has a user of its own.
  CHECK_CODE(f.workspaces().GetMember(System(), "acme", self.user.id), StatusCode::kNotFound);
  auto members = REQUIRE_VALUE(f.workspaces().ListMembers(System(), "acme", {100, ""}));
  CHECK(members.items.size() == 7);
}
