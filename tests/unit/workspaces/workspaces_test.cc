// SPDX-License-Identifier: MIT
// WorkspaceService: workspaces, the role matrix of members, invites, slugs.
#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "quik/workspaces.hpp"
#include "unit/testing/service_fixture.hpp"

using quik::Role;
using quik::StatusCode;
using quik_test::As;
using quik_test::System;

namespace {

bool IsAmong(StatusCode code, std::initializer_list<StatusCode> allowed) {
  return std::find(allowed.begin(), allowed.end(), code) != allowed.end();
}

quik::NewWorkspace WsSpec(const std::string& name, const std::string& slug = "") {
  quik::NewWorkspace spec;
  spec.name = name;
  spec.slug = slug;
  return spec;
}

// The team of the fixture plus a deactivated former member.
struct Matrix {
  quik_test::Team t;
  quik::User deactivated;
};

Matrix MakeMatrix(quik_test::ServiceFixture& f) {
  Matrix m;
  m.t = f.MakeTeam();
  m.deactivated = f.CreateUser("Gone");
  f.AddMember(m.t.ws, m.deactivated, Role::kMember);
  REQUIRE_OK(f.users().Deactivate(System(), m.deactivated.id));
  return m;
}

}  // namespace

TEST_CASE("workspaces: a user creates a workspace and owns it", "[workspaces]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice");
  quik::Workspace ws = REQUIRE_VALUE(f.workspaces().Create(As(alice), WsSpec("Demo Co")));
  CHECK(ws.id.size() == 26);
  CHECK(ws.name == "Demo Co");
  CHECK(ws.slug == "demo-co");
  CHECK(ws.created_at > 0);

  quik::Member m = REQUIRE_VALUE(f.workspaces().GetMember(As(alice), ws.id, alice.id));
  CHECK(m.role == Role::kOwner);
  CHECK(m.workspace_id == ws.id);
  CHECK(m.user_id == alice.id);

  for (const std::string& ref : {ws.id, ws.slug}) {
    quik::Workspace got = REQUIRE_VALUE(f.workspaces().Get(As(alice), ref));
    CHECK(got.id == ws.id);
    CHECK(got.slug == "demo-co");
  }
}

TEST_CASE("workspaces: the system creates a workspace without an owner", "[workspaces]") {
  quik_test::ServiceFixture f;
  quik::Workspace ws = REQUIRE_VALUE(f.workspaces().Create(System(), WsSpec("Ops", "ops")));
  auto members = REQUIRE_VALUE(f.workspaces().ListMembers(System(), ws.id));
  CHECK(members.items.empty());
  CHECK(members.next_cursor.empty());
}

TEST_CASE("workspaces: slugs are derived, validated and unique", "[workspaces]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice");

  SECTION("derived from the name") {
    CHECK(f.CreateWorkspace(As(alice), "Demo Co").slug == "demo-co");
    CHECK(f.CreateWorkspace(As(alice), "Acme").slug == "acme");
    CHECK(f.CreateWorkspace(As(alice), "Team 42").slug == "team-42");
  }
  SECTION("given slugs are kept") {
    CHECK(f.CreateWorkspace(As(alice), "Anything At All", "custom-1").slug == "custom-1");
  }
  SECTION("a taken slug is a conflict") {
    f.CreateWorkspace(As(alice), "Demo Co");
    CHECK_CODE(f.workspaces().Create(As(alice), WsSpec("Other", "demo-co")),
               StatusCode::kAlreadyExists);
    quik::User bob = f.CreateUser("Bob");
    CHECK_CODE(f.workspaces().Create(As(bob), WsSpec("Other", "demo-co")),
               StatusCode::kAlreadyExists);
    CHECK_CODE(f.workspaces().Create(System(), WsSpec("Other", "demo-co")),
               StatusCode::kAlreadyExists);
    CHECK(REQUIRE_VALUE(f.workspaces().List(System())).size() == 1);
  }
  SECTION("invalid slugs") {
    for (const std::string& slug :
         {std::string("Bad Slug"), std::string("UPPER"), std::string("under_score"),
          std::string("dots.not.ok"), std::string("sl/ash"), std::string("caf\xC3\xA9"),
          std::string(41, 'a')}) {
      INFO("slug: '" << slug << "'");
      CHECK_CODE(f.workspaces().Create(As(alice), WsSpec("Valid name", slug)),
                 StatusCode::kInvalidArgument);
    }
    CHECK(REQUIRE_VALUE(f.workspaces().List(System())).empty());
    CHECK(f.CreateWorkspace(As(alice), "Forty", std::string(40, 'a')).slug == std::string(40, 'a'));
  }
  SECTION("invalid names") {
    CHECK_CODE(f.workspaces().Create(As(alice), WsSpec("", "empty")), StatusCode::kInvalidArgument);
    CHECK_CODE(f.workspaces().Create(As(alice), WsSpec(std::string(81, 'n'), "long")),
               StatusCode::kInvalidArgument);
  }
}

TEST_CASE("workspaces: get and list by role", "[workspaces]") {
  quik_test::ServiceFixture f;
  Matrix m = MakeMatrix(f);
  const quik_test::Team& t = m.t;
  quik::User other_owner = f.CreateUser("Other Owner");
  quik::Workspace other = f.CreateWorkspace(As(other_owner), "Other");

  for (const quik::User* u : {&t.owner, &t.admin, &t.member, &t.guest}) {
    INFO("as " << u->name);
    CHECK_OK(f.workspaces().Get(As(*u), t.ws.id));
    CHECK_OK(f.workspaces().Get(As(*u), t.ws.slug));
    auto list = REQUIRE_VALUE(f.workspaces().List(As(*u)));
    REQUIRE(list.size() == 1);
    CHECK(list[0].id == t.ws.id);
    CHECK_CODE(f.workspaces().Get(As(*u), other.id), StatusCode::kNotFound);
    CHECK_CODE(f.workspaces().Get(As(*u), other.slug), StatusCode::kNotFound);
  }
  CHECK_CODE(f.workspaces().Get(As(t.outsider), t.ws.id), StatusCode::kNotFound);
  CHECK_CODE(f.workspaces().Get(As(t.outsider), t.ws.slug), StatusCode::kNotFound);
  CHECK(REQUIRE_VALUE(f.workspaces().List(As(t.outsider))).empty());
  CHECK_CODE(f.workspaces().Get(As(m.deactivated), t.ws.id), StatusCode::kUnauthenticated);
  CHECK_CODE(f.workspaces().List(As(m.deactivated)), StatusCode::kUnauthenticated);

  auto all = REQUIRE_VALUE(f.workspaces().List(System()));
  CHECK(all.size() == 2);
  CHECK_OK(f.workspaces().Get(System(), other.slug));
  CHECK_CODE(f.workspaces().Get(System(), "no-such-slug"), StatusCode::kNotFound);
}

TEST_CASE("workspaces: add member by role", "[workspaces]") {
  quik_test::ServiceFixture f;
  Matrix m = MakeMatrix(f);
  const quik_test::Team& t = m.t;
  quik::User n1 = f.CreateUser("New One");
  quik::User n2 = f.CreateUser("New Two");
  quik::User n3 = f.CreateUser("New Three");

  quik::Member added =
      REQUIRE_VALUE(f.workspaces().AddMember(As(t.owner), t.ws.id, n1.id, Role::kMember));
  CHECK(added.role == Role::kMember);
  CHECK(added.user_id == n1.id);
  CHECK(added.workspace_id == t.ws.id);
  // By email, by an admin, into a slug ref: only for a user the admin may
  // know of (here one who shares a workspace with them); any other email is
  // not found, whether or not it has an account (no account oracle).
  CHECK_CODE(f.workspaces().AddMember(As(t.admin), t.ws.slug, n2.email, Role::kGuest),
             StatusCode::kNotFound);
  quik::Workspace shared = f.CreateWorkspace(As(t.admin), "Shared With New Two");
  f.AddMember(shared, n2, Role::kMember);
  added = REQUIRE_VALUE(f.workspaces().AddMember(As(t.admin), t.ws.slug, n2.email, Role::kGuest));
  CHECK(added.role == Role::kGuest);
  CHECK(added.user_id == n2.id);
  // Emails are natural keys in any case.
  CHECK(REQUIRE_VALUE(f.workspaces().GetMember(As(t.member), t.ws.id, "NEW.TWO@EXAMPLE.TEST"))
            .user_id == n2.id);

  CHECK_CODE(f.workspaces().AddMember(As(t.member), t.ws.id, n3.id, Role::kMember),
             StatusCode::kPermissionDenied);
  CHECK_CODE(f.workspaces().AddMember(As(t.guest), t.ws.id, n3.id, Role::kGuest),
             StatusCode::kPermissionDenied);
  CHECK_CODE(f.workspaces().AddMember(As(t.outsider), t.ws.id, n3.id, Role::kMember),
             StatusCode::kNotFound);
  CHECK_CODE(f.workspaces().AddMember(As(m.deactivated), t.ws.id, n3.id, Role::kMember),
             StatusCode::kUnauthenticated);
  CHECK_CODE(f.workspaces().GetMember(System(), t.ws.id, n3.id), StatusCode::kNotFound);

  // Only an owner makes owners.
  CHECK_CODE(f.workspaces().AddMember(As(t.admin), t.ws.id, n3.id, Role::kOwner),
             StatusCode::kPermissionDenied);
  CHECK(REQUIRE_VALUE(f.workspaces().AddMember(As(t.owner), t.ws.id, n3.id, Role::kOwner)).role ==
        Role::kOwner);

  // Unknown users are not found.
  CHECK_CODE(f.workspaces().AddMember(As(t.owner), t.ws.id, "nobody@example.test", Role::kMember),
             StatusCode::kNotFound);

  // The added member now sees the workspace.
  CHECK_OK(f.workspaces().Get(As(n1), t.ws.id));
}

TEST_CASE("workspaces: set role by role", "[workspaces]") {
  quik_test::ServiceFixture f;
  Matrix m = MakeMatrix(f);
  const quik_test::Team& t = m.t;
  auto role_of = [&](const quik::User& u) {
    return REQUIRE_VALUE(f.workspaces().GetMember(System(), t.ws.id, u.id)).role;
  };

  // Admins change non-owner roles.
  CHECK(REQUIRE_VALUE(f.workspaces().SetRole(As(t.admin), t.ws.id, t.member2.id, Role::kGuest))
            .role == Role::kGuest);
  CHECK(REQUIRE_VALUE(f.workspaces().SetRole(As(t.admin), t.ws.id, t.member2.email, Role::kAdmin))
            .role == Role::kAdmin);
  CHECK(role_of(t.member2) == Role::kAdmin);
  REQUIRE_OK(f.workspaces().SetRole(As(t.owner), t.ws.id, t.member2.id, Role::kMember));

  // Members, guests, outsiders and the deactivated may not.
  CHECK_CODE(f.workspaces().SetRole(As(t.member), t.ws.id, t.member2.id, Role::kAdmin),
             StatusCode::kPermissionDenied);
  CHECK_CODE(f.workspaces().SetRole(As(t.member), t.ws.id, t.member.id, Role::kAdmin),
             StatusCode::kPermissionDenied);
  CHECK_CODE(f.workspaces().SetRole(As(t.guest), t.ws.id, t.guest.id, Role::kMember),
             StatusCode::kPermissionDenied);
  CHECK_CODE(f.workspaces().SetRole(As(t.outsider), t.ws.id, t.member.id, Role::kGuest),
             StatusCode::kNotFound);
  CHECK_CODE(f.workspaces().SetRole(As(m.deactivated), t.ws.id, t.member.id, Role::kGuest),
             StatusCode::kUnauthenticated);
  CHECK(role_of(t.member) == Role::kMember);
  CHECK(role_of(t.member2) == Role::kMember);
  CHECK(role_of(t.guest) == Role::kGuest);

  // Only an owner makes or unmakes owners.
  CHECK_CODE(f.workspaces().SetRole(As(t.admin), t.ws.id, t.member.id, Role::kOwner),
             StatusCode::kPermissionDenied);
  CHECK_CODE(f.workspaces().SetRole(As(t.admin), t.ws.id, t.admin.id, Role::kOwner),
             StatusCode::kPermissionDenied);
  CHECK_CODE(f.workspaces().SetRole(As(t.admin), t.ws.id, t.owner.id, Role::kMember),
             StatusCode::kPermissionDenied);
  CHECK(role_of(t.owner) == Role::kOwner);
  CHECK(role_of(t.admin) == Role::kAdmin);

  // The last owner cannot be demoted, even by themself.
  {
    quik::Status s =
        f.workspaces().SetRole(As(t.owner), t.ws.id, t.owner.id, Role::kAdmin).status();
    INFO(s.ToString());
    CHECK(IsAmong(s.code(), {StatusCode::kPermissionDenied, StatusCode::kInvalidArgument}));
    CHECK(role_of(t.owner) == Role::kOwner);
  }

  // With a second owner, either may be demoted.
  REQUIRE_OK(f.workspaces().SetRole(As(t.owner), t.ws.id, t.admin.id, Role::kOwner));
  CHECK(role_of(t.admin) == Role::kOwner);
  REQUIRE_OK(f.workspaces().SetRole(As(t.admin), t.ws.id, t.owner.id, Role::kAdmin));
  CHECK(role_of(t.owner) == Role::kAdmin);
  // And now the former admin is the last owner.
  {
    quik::Status s =
        f.workspaces().SetRole(As(t.admin), t.ws.id, t.admin.id, Role::kMember).status();
    INFO(s.ToString());
    CHECK(IsAmong(s.code(), {StatusCode::kPermissionDenied, StatusCode::kInvalidArgument}));
    CHECK(role_of(t.admin) == Role::kOwner);
  }

  // Setting the role of a non-member is not found.
  CHECK_CODE(f.workspaces().SetRole(As(t.admin), t.ws.id, t.outsider.id, Role::kMember),
             StatusCode::kNotFound);
}

TEST_CASE("workspaces: remove member and leave", "[workspaces]") {
  quik_test::ServiceFixture f;
  Matrix m = MakeMatrix(f);
  const quik_test::Team& t = m.t;

  // Members and guests cannot remove others.
  CHECK_CODE(f.workspaces().RemoveMember(As(t.member), t.ws.id, t.member2.id),
             StatusCode::kPermissionDenied);
  CHECK_CODE(f.workspaces().RemoveMember(As(t.guest), t.ws.id, t.member2.id),
             StatusCode::kPermissionDenied);
  CHECK_CODE(f.workspaces().RemoveMember(As(t.outsider), t.ws.id, t.member2.id),
             StatusCode::kNotFound);
  // An admin cannot remove an owner.
  CHECK_CODE(f.workspaces().RemoveMember(As(t.admin), t.ws.id, t.owner.id),
             StatusCode::kPermissionDenied);
  CHECK_OK(f.workspaces().GetMember(System(), t.ws.id, t.member2.id));
  CHECK_OK(f.workspaces().GetMember(System(), t.ws.id, t.owner.id));

  // An admin removes a member, who then loses sight of the workspace.
  REQUIRE_OK(f.workspaces().RemoveMember(As(t.admin), t.ws.id, t.member2.id));
  CHECK_CODE(f.workspaces().GetMember(System(), t.ws.id, t.member2.id), StatusCode::kNotFound);
  CHECK_CODE(f.workspaces().Get(As(t.member2), t.ws.id), StatusCode::kNotFound);
  CHECK(REQUIRE_VALUE(f.workspaces().List(As(t.member2))).empty());
  // Removing again: not a member.
  CHECK_CODE(f.workspaces().RemoveMember(As(t.admin), t.ws.id, t.member2.id),
             StatusCode::kNotFound);

  // Self-leave works for members and guests.
  REQUIRE_OK(f.workspaces().RemoveMember(As(t.member), t.ws.id, t.member.id));
  REQUIRE_OK(f.workspaces().RemoveMember(As(t.guest), t.ws.slug, t.guest.email));
  CHECK_CODE(f.workspaces().Get(As(t.member), t.ws.id), StatusCode::kNotFound);
  CHECK_CODE(f.workspaces().Get(As(t.guest), t.ws.id), StatusCode::kNotFound);

  // The last owner cannot leave.
  {
    quik::Status s = f.workspaces().RemoveMember(As(t.owner), t.ws.id, t.owner.id);
    INFO(s.ToString());
    CHECK(IsAmong(s.code(), {StatusCode::kPermissionDenied, StatusCode::kInvalidArgument}));
    CHECK_OK(f.workspaces().GetMember(System(), t.ws.id, t.owner.id));
  }
  // An owner removes an admin.
  REQUIRE_OK(f.workspaces().RemoveMember(As(t.owner), t.ws.id, t.admin.id));
  CHECK_CODE(f.workspaces().Get(As(t.admin), t.ws.id), StatusCode::kNotFound);
}

TEST_CASE("workspaces: members are listed with names, paged", "[workspaces]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();  // 5 members
  quik::Member got = REQUIRE_VALUE(f.workspaces().GetMember(As(t.member), t.ws.id, t.admin.email));
  CHECK(got.role == Role::kAdmin);
  CHECK(got.email == t.admin.email);
  CHECK(got.name == t.admin.name);

  auto all = REQUIRE_VALUE(f.workspaces().ListMembers(As(t.guest), t.ws.id));
  CHECK(all.items.size() == 5);
  CHECK(all.next_cursor.empty());
  for (const quik::Member& mem : all.items) {
    CHECK(mem.workspace_id == t.ws.id);
    CHECK_FALSE(mem.email.empty());
    CHECK_FALSE(mem.name.empty());
  }

  std::set<std::string> seen;
  quik::PageRequest req;
  req.limit = 2;
  int pages = 0;
  for (;;) {
    auto page = REQUIRE_VALUE(f.workspaces().ListMembers(As(t.member), t.ws.slug, req));
    ++pages;
    REQUIRE(pages <= 3);
    CHECK(page.items.size() <= 2);
    for (const quik::Member& mem : page.items) CHECK(seen.insert(mem.user_id).second);
    if (page.next_cursor.empty()) break;
    req.cursor = page.next_cursor;
  }
  CHECK(pages == 3);
  CHECK(seen.size() == 5);
  CHECK_FALSE(seen.count(t.outsider.id));

  CHECK_CODE(f.workspaces().ListMembers(As(t.outsider), t.ws.id), StatusCode::kNotFound);
  CHECK_CODE(f.workspaces().GetMember(As(t.outsider), t.ws.id, t.owner.id), StatusCode::kNotFound);
  CHECK_CODE(f.workspaces().GetMember(As(t.owner), t.ws.id, t.outsider.id), StatusCode::kNotFound);
}

TEST_CASE("workspaces: invites by role", "[workspaces]") {
  quik_test::ServiceFixture f;
  Matrix m = MakeMatrix(f);
  const quik_test::Team& t = m.t;

  quik::Invite by_owner =
      REQUIRE_VALUE(f.workspaces().CreateInvite(As(t.owner), t.ws.id, Role::kMember));
  CHECK_FALSE(by_owner.code.empty());
  CHECK(by_owner.workspace_id == t.ws.id);
  CHECK(by_owner.role == Role::kMember);
  CHECK(by_owner.created_by == t.owner.id);
  CHECK(by_owner.expires_at > by_owner.created_at);
  quik::Invite by_admin =
      REQUIRE_VALUE(f.workspaces().CreateInvite(As(t.admin), t.ws.slug, Role::kGuest));
  CHECK(by_admin.role == Role::kGuest);
  CHECK(by_admin.code != by_owner.code);
  quik::Invite by_system =
      REQUIRE_VALUE(f.workspaces().CreateInvite(System(), t.ws.id, Role::kMember));
  CHECK(by_system.created_by.empty());

  CHECK_CODE(f.workspaces().CreateInvite(As(t.member), t.ws.id, Role::kMember),
             StatusCode::kPermissionDenied);
  CHECK_CODE(f.workspaces().CreateInvite(As(t.guest), t.ws.id, Role::kGuest),
             StatusCode::kPermissionDenied);
  CHECK_CODE(f.workspaces().CreateInvite(As(t.outsider), t.ws.id, Role::kMember),
             StatusCode::kNotFound);
  CHECK_CODE(f.workspaces().CreateInvite(As(m.deactivated), t.ws.id, Role::kMember),
             StatusCode::kUnauthenticated);
  // Invites are for members and guests only.
  CHECK_CODE(f.workspaces().CreateInvite(As(t.owner), t.ws.id, Role::kAdmin),
             StatusCode::kInvalidArgument);
  CHECK_CODE(f.workspaces().CreateInvite(As(t.owner), t.ws.id, Role::kOwner),
             StatusCode::kInvalidArgument);

  // Accepting joins with the invite's role.
  quik::User newbie = f.CreateUser("Newbie");
  quik::Member joined = REQUIRE_VALUE(f.workspaces().AcceptInvite(As(newbie), by_owner.code));
  CHECK(joined.workspace_id == t.ws.id);
  CHECK(joined.user_id == newbie.id);
  CHECK(joined.role == Role::kMember);
  CHECK_OK(f.workspaces().Get(As(newbie), t.ws.id));

  quik::User visitor = f.CreateUser("Visitor");
  CHECK(REQUIRE_VALUE(f.workspaces().AcceptInvite(As(visitor), by_admin.code)).role ==
        Role::kGuest);

  // Accepting as an existing member keeps the membership as it is.
  quik::Member same = REQUIRE_VALUE(f.workspaces().AcceptInvite(As(t.admin), by_system.code));
  CHECK(same.role == Role::kAdmin);
  CHECK(REQUIRE_VALUE(f.workspaces().GetMember(System(), t.ws.id, t.admin.id)).role ==
        Role::kAdmin);

  CHECK_CODE(f.workspaces().AcceptInvite(As(t.outsider), "no-such-code"), StatusCode::kNotFound);
  CHECK_CODE(f.workspaces().AcceptInvite(As(t.outsider), ""), StatusCode::kNotFound);
  CHECK_CODE(f.workspaces().Get(As(t.outsider), t.ws.id), StatusCode::kNotFound);
}

TEST_CASE("workspaces: delete is for owners", "[workspaces]") {
  quik_test::ServiceFixture f;
  Matrix m = MakeMatrix(f);
  const quik_test::Team& t = m.t;
  quik::Channel general = f.CreateChannel(As(t.owner), t.ws, "general");
  quik::Message msg = f.Post(As(t.member), general.id, "hello");

  CHECK_CODE(f.workspaces().Delete(As(t.admin), t.ws.id), StatusCode::kPermissionDenied);
  CHECK_CODE(f.workspaces().Delete(As(t.member), t.ws.id), StatusCode::kPermissionDenied);
  CHECK_CODE(f.workspaces().Delete(As(t.guest), t.ws.id), StatusCode::kPermissionDenied);
  CHECK_CODE(f.workspaces().Delete(As(t.outsider), t.ws.id), StatusCode::kNotFound);
  CHECK_CODE(f.workspaces().Delete(As(m.deactivated), t.ws.id), StatusCode::kUnauthenticated);
  CHECK_OK(f.workspaces().Get(System(), t.ws.id));

  REQUIRE_OK(f.workspaces().Delete(As(t.owner), t.ws.slug));
  CHECK_CODE(f.workspaces().Get(System(), t.ws.id), StatusCode::kNotFound);
  CHECK_CODE(f.workspaces().Get(As(t.owner), t.ws.id), StatusCode::kNotFound);
  CHECK(REQUIRE_VALUE(f.workspaces().List(As(t.owner))).empty());
  CHECK(REQUIRE_VALUE(f.workspaces().List(System())).empty());
  // Its channels and messages went with it.
  CHECK_CODE(f.channels().Get(System(), general.id), StatusCode::kNotFound);
  CHECK_CODE(f.messages().Get(System(), msg.id), StatusCode::kNotFound);
  // The users remain.
  CHECK_OK(f.users().Get(System(), t.member.id));
  // The slug is free again.
  CHECK_OK(f.workspaces().Create(As(t.member), WsSpec("Acme again", t.ws.slug)));
  CHECK_CODE(f.workspaces().Delete(As(t.owner), t.ws.id), StatusCode::kNotFound);
}

TEST_CASE("workspaces: the system deletes any workspace", "[workspaces]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  REQUIRE_OK(f.workspaces().Delete(System(), t.ws.id));
  CHECK_CODE(f.workspaces().Get(System(), t.ws.id), StatusCode::kNotFound);
  CHECK_CODE(f.workspaces().Delete(System(), t.ws.id), StatusCode::kNotFound);
}

TEST_CASE("workspaces: invites expire after auth.invite_ttl", "[workspaces]") {
  auto clock = std::make_shared<quik::ManualClock>();
  quik_test::ServiceFixture f([&](quik::Options& o) {
    o.auth.invite_ttl = std::chrono::seconds(1);
    o.clock = clock;
  });
  quik_test::Team t = f.MakeTeam();
  quik::Invite inv =
      REQUIRE_VALUE(f.workspaces().CreateInvite(As(t.owner), t.ws.id, Role::kMember));
  quik::Invite early_inv =
      REQUIRE_VALUE(f.workspaces().CreateInvite(As(t.owner), t.ws.id, Role::kMember));
  CHECK(inv.expires_at - inv.created_at == 1000);
  quik::User early = f.CreateUser("Early");
  clock->Advance(std::chrono::milliseconds(999));
  REQUIRE_VALUE(f.workspaces().AcceptInvite(As(early), early_inv.code));  // still valid
  clock->Advance(std::chrono::milliseconds(1));
  auto r = f.workspaces().AcceptInvite(As(t.outsider), inv.code);
  INFO(r.status().ToString());
  CHECK_FALSE(r.ok());
  CHECK_CODE(f.workspaces().Get(As(t.outsider), t.ws.id), StatusCode::kNotFound);
}

TEST_CASE("workspaces: invites die with their workspace and the deactivated cannot accept",
          "[workspaces]") {
  quik_test::ServiceFixture f;
  Matrix m = MakeMatrix(f);
  quik::Invite inv =
      REQUIRE_VALUE(f.workspaces().CreateInvite(As(m.t.owner), m.t.ws.id, Role::kMember));
  quik::User gone = f.CreateUser("Gone Too");
  REQUIRE_OK(f.users().Deactivate(System(), gone.id));
  CHECK_CODE(f.workspaces().AcceptInvite(As(gone), inv.code), StatusCode::kUnauthenticated);
  CHECK_CODE(f.workspaces().GetMember(System(), m.t.ws.id, gone.id), StatusCode::kNotFound);

  REQUIRE_OK(f.workspaces().Delete(As(m.t.owner), m.t.ws.id));
  CHECK_CODE(f.workspaces().AcceptInvite(As(m.t.outsider), inv.code), StatusCode::kNotFound);
}

TEST_CASE("workspaces: concurrent creation with one slug makes one workspace", "[workspaces]") {
  quik_test::ServiceFixture f;
  constexpr int kThreads = 8;
  std::vector<quik::User> users;
  for (int i = 0; i < kThreads; ++i) users.push_back(f.CreateUser("Racer " + std::to_string(i)));
  std::vector<StatusCode> codes(kThreads, StatusCode::kInternal);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto slot = static_cast<std::size_t>(i);
      codes[slot] = f.workspaces()
                        .Create(As(users[slot]), WsSpec("Race " + std::to_string(i), "race"))
                        .status()
                        .code();
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
  auto all = REQUIRE_VALUE(f.workspaces().List(System()));
  REQUIRE(all.size() == 1);
  // Exactly one owner: the winner.
  auto members = REQUIRE_VALUE(f.workspaces().ListMembers(System(), all[0].id));
  REQUIRE(members.items.size() == 1);
  CHECK(members.items[0].role == Role::kOwner);
}
