// SPDX-License-Identifier: MIT
// ChannelService: creation, visibility by role, refs, archive, membership.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "quik/channels.hpp"
#include "unit/testing/service_fixture.hpp"

using quik::Role;
using quik::StatusCode;
using quik_test::As;
using quik_test::System;

namespace {

quik::NewChannel ChSpec(const std::string& name, bool is_private = false,
                        const std::string& topic = "") {
  quik::NewChannel spec;
  spec.name = name;
  spec.is_private = is_private;
  spec.topic = topic;
  return spec;
}

std::set<std::string> Names(const std::vector<quik::Channel>& channels) {
  std::set<std::string> names;
  for (const quik::Channel& c : channels) names.insert(c.name);
  return names;
}

bool HasMember(const std::vector<quik::ChannelMember>& members, const std::string& user_id) {
  return std::any_of(members.begin(), members.end(),
                     [&](const quik::ChannelMember& m) { return m.user_id == user_id; });
}

}  // namespace

TEST_CASE("channels: create by role", "[channels]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();

  for (const quik::User* u : {&t.owner, &t.admin, &t.member}) {
    INFO("as " << u->name);
    std::string name =
        "by-" + std::string(quik::RoleName(
                    REQUIRE_VALUE(f.workspaces().GetMember(System(), t.ws.id, u->id)).role));
    quik::Channel c =
        REQUIRE_VALUE(f.channels().Create(As(*u), t.ws.id, ChSpec(name, false, "A topic")));
    CHECK(c.id.size() == 26);
    CHECK(c.name == name);
    CHECK(c.topic == "A topic");
    CHECK(c.workspace_id == t.ws.id);
    CHECK(c.kind == quik::ChannelKind::kPublic);
    CHECK_FALSE(c.is_private());
    CHECK_FALSE(c.archived);
    CHECK(c.created_by == u->id);
    CHECK(c.created_at > 0);
    // The creator is its first member.
    auto members = REQUIRE_VALUE(f.channels().ListMembers(As(*u), c.id));
    REQUIRE(members.size() == 1);
    CHECK(members[0].user_id == u->id);
  }
  // By the workspace slug, private.
  quik::Channel priv =
      REQUIRE_VALUE(f.channels().Create(As(t.member), t.ws.slug, ChSpec("secret", true)));
  CHECK(priv.kind == quik::ChannelKind::kPrivate);
  CHECK(priv.is_private());

  CHECK_CODE(f.channels().Create(As(t.guest), t.ws.id, ChSpec("guest-made")),
             StatusCode::kPermissionDenied);
  CHECK_CODE(f.channels().Create(As(t.guest), t.ws.id, ChSpec("guest-secret", true)),
             StatusCode::kPermissionDenied);
  CHECK_CODE(f.channels().Create(As(t.outsider), t.ws.id, ChSpec("outside")),
             StatusCode::kNotFound);
  CHECK_CODE(f.channels().Create(As(t.member), "no-such-ws", ChSpec("nowhere")),
             StatusCode::kNotFound);

  // The system may create channels (and is nobody's member).
  quik::Channel sys = REQUIRE_VALUE(f.channels().Create(System(), t.ws.id, ChSpec("announce")));
  CHECK(sys.created_by.empty());
}

TEST_CASE("channels: a new workspace has no channels", "[channels]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  CHECK(REQUIRE_VALUE(f.channels().List(System(), t.ws.id)).empty());
  CHECK(REQUIRE_VALUE(f.channels().List(As(t.owner), t.ws.id)).empty());
}

TEST_CASE("channels: names are validated and unique per workspace", "[channels]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik_test::Team other = f.MakeTeam("other");

  quik::Channel g = REQUIRE_VALUE(f.channels().Create(As(t.member), t.ws.id, ChSpec("General")));
  CHECK(g.name == "general");  // lower-cased
  CHECK_OK(f.channels().Create(As(t.member), t.ws.id, ChSpec("dev_ops-2")));

  CHECK_CODE(f.channels().Create(As(t.member), t.ws.id, ChSpec("general")),
             StatusCode::kAlreadyExists);
  CHECK_CODE(f.channels().Create(As(t.admin), t.ws.id, ChSpec("GENERAL")),
             StatusCode::kAlreadyExists);
  CHECK_CODE(f.channels().Create(As(t.admin), t.ws.id, ChSpec("general", true)),
             StatusCode::kAlreadyExists);
  CHECK_CODE(f.channels().Create(System(), t.ws.id, ChSpec("general")), StatusCode::kAlreadyExists);
  // Another workspace has its own namespace.
  CHECK_OK(f.channels().Create(As(other.member), other.ws.id, ChSpec("general")));

  for (const std::string& bad :
       {std::string(""), std::string("has space"), std::string("dot.dot"), std::string("hash#"),
        std::string("caf\xC3\xA9"), std::string(81, 'c')}) {
    INFO("name: '" << bad << "'");
    CHECK_CODE(f.channels().Create(As(t.member), t.ws.id, ChSpec(bad)),
               StatusCode::kInvalidArgument);
  }
  CHECK_OK(f.channels().Create(As(t.member), t.ws.id, ChSpec(std::string(80, 'c'))));

  CHECK_CODE(
      f.channels().Create(As(t.member), t.ws.id, ChSpec("topical", false, std::string(251, 't'))),
      StatusCode::kInvalidArgument);
  CHECK_OK(f.channels().Create(As(t.member), t.ws.id,
                               ChSpec("topical", false, quik_test::Repeat("\xC3\xA9", 250))));
}

TEST_CASE("channels: visibility of public and private channels by role", "[channels]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Channel priv = f.CreateChannel(As(t.member), t.ws, "secret", true);

  // Public: every non-guest member.
  for (const quik::User* u : {&t.owner, &t.admin, &t.member, &t.member2}) {
    INFO("as " << u->name);
    quik::Channel got = REQUIRE_VALUE(f.channels().Get(As(*u), pub.id));
    CHECK(got.id == pub.id);
    CHECK(got.name == "general");
  }
  CHECK_CODE(f.channels().Get(As(t.guest), pub.id), StatusCode::kNotFound);
  CHECK_CODE(f.channels().Get(As(t.outsider), pub.id), StatusCode::kNotFound);
  CHECK_OK(f.channels().Get(System(), pub.id));

  // Private: its members only; workspace owners and admins are not members.
  CHECK_OK(f.channels().Get(As(t.member), priv.id));
  for (const quik::User* u : {&t.owner, &t.admin, &t.member2, &t.guest, &t.outsider}) {
    INFO("as " << u->name);
    CHECK_CODE(f.channels().Get(As(*u), priv.id), StatusCode::kNotFound);
    CHECK_CODE(f.channels().ListMembers(As(*u), priv.id), StatusCode::kNotFound);
  }
  quik::Channel sys_view = REQUIRE_VALUE(f.channels().Get(System(), priv.id));
  CHECK(sys_view.kind == quik::ChannelKind::kPrivate);

  // Added to the private channel, member2 sees it.
  REQUIRE_OK(f.channels().AddMember(As(t.member), priv.id, t.member2.id));
  CHECK_OK(f.channels().Get(As(t.member2), priv.id));
  CHECK_CODE(f.channels().Get(As(t.admin), priv.id), StatusCode::kNotFound);
}

TEST_CASE("channels: guests see only the channels they were added to", "[channels]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Channel pub2 = f.CreateChannel(As(t.member), t.ws, "random");
  quik::Channel priv = f.CreateChannel(As(t.member), t.ws, "secret", true);

  CHECK(REQUIRE_VALUE(f.channels().List(As(t.guest), t.ws.id)).empty());
  CHECK_CODE(f.channels().Join(As(t.guest), pub.id), StatusCode::kNotFound);

  REQUIRE_OK(f.channels().AddMember(As(t.member), pub.id, t.guest.id));
  REQUIRE_OK(f.channels().AddMember(As(t.member), priv.id, t.guest.email));
  CHECK_OK(f.channels().Get(As(t.guest), pub.id));
  CHECK_OK(f.channels().Get(As(t.guest), priv.id));
  CHECK_CODE(f.channels().Get(As(t.guest), pub2.id), StatusCode::kNotFound);
  CHECK(Names(REQUIRE_VALUE(f.channels().List(As(t.guest), t.ws.id))) ==
        std::set<std::string>{"general", "secret"});
}

TEST_CASE("channels: list per role", "[channels]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  f.CreateChannel(As(t.owner), t.ws, "general");
  f.CreateChannel(As(t.member), t.ws, "random");
  f.CreateChannel(As(t.member), t.ws, "member-secret", true);
  f.CreateChannel(As(t.admin), t.ws, "admin-secret", true);
  quik::Channel old = f.CreateChannel(As(t.member), t.ws, "old");
  REQUIRE_OK(f.channels().Archive(As(t.member), old.id));

  using Set = std::set<std::string>;
  CHECK(Names(REQUIRE_VALUE(f.channels().List(As(t.owner), t.ws.id))) == Set{"general", "random"});
  CHECK(Names(REQUIRE_VALUE(f.channels().List(As(t.admin), t.ws.id))) ==
        Set{"general", "random", "admin-secret"});
  CHECK(Names(REQUIRE_VALUE(f.channels().List(As(t.member), t.ws.slug))) ==
        Set{"general", "random", "member-secret"});
  CHECK(Names(REQUIRE_VALUE(f.channels().List(As(t.member2), t.ws.id))) ==
        Set{"general", "random"});
  CHECK(REQUIRE_VALUE(f.channels().List(As(t.guest), t.ws.id)).empty());
  CHECK_CODE(f.channels().List(As(t.outsider), t.ws.id), StatusCode::kNotFound);

  quik::ListChannelsRequest with_archived;
  with_archived.include_archived = true;
  CHECK(Names(REQUIRE_VALUE(f.channels().List(As(t.member2), t.ws.id, with_archived))) ==
        Set{"general", "random", "old"});

  // The system's admin view: everything, private too.
  CHECK(Names(REQUIRE_VALUE(f.channels().List(System(), t.ws.id))) ==
        Set{"general", "random", "member-secret", "admin-secret"});
  CHECK(Names(REQUIRE_VALUE(f.channels().List(System(), t.ws.id, with_archived))) ==
        Set{"general", "random", "member-secret", "admin-secret", "old"});
  CHECK_CODE(f.channels().List(System(), "no-such-ws"), StatusCode::kNotFound);
}

TEST_CASE("channels: workspace/#name refs", "[channels]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik_test::Team other = f.MakeTeam("other");
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Channel priv = f.CreateChannel(As(t.member), t.ws, "secret", true);
  quik::Channel other_general = f.CreateChannel(As(other.member), other.ws, "general");

  for (const std::string& ref : {t.ws.slug + "/#general", t.ws.id + "/#general"}) {
    INFO("ref: " << ref);
    quik::Channel got = REQUIRE_VALUE(f.channels().Get(As(t.member2), ref));
    CHECK(got.id == pub.id);
  }
  CHECK(REQUIRE_VALUE(f.channels().Get(System(), "other/#general")).id == other_general.id);
  CHECK(REQUIRE_VALUE(f.channels().Get(As(t.member), t.ws.slug + "/#secret")).id == priv.id);

  CHECK_CODE(f.channels().Get(As(t.member2), t.ws.slug + "/#secret"), StatusCode::kNotFound);
  CHECK_CODE(f.channels().Get(As(t.member2), "other/#general"), StatusCode::kNotFound);
  CHECK_CODE(f.channels().Get(As(t.member), t.ws.slug + "/#nope"), StatusCode::kNotFound);
  CHECK_CODE(f.channels().Get(As(t.member), "nope/#general"), StatusCode::kNotFound);
  CHECK_CODE(f.channels().Get(System(), "01ARZ3NDEKTSV4RRFFQ69G5FAV"), StatusCode::kNotFound);
}

TEST_CASE("channels: update name and topic", "[channels]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Channel priv = f.CreateChannel(As(t.member), t.ws, "secret", true);
  f.CreateChannel(As(t.member), t.ws, "taken");

  quik::ChannelUpdate topic;
  topic.topic = "Company-wide";
  // A non-guest member may update a public channel.
  CHECK(REQUIRE_VALUE(f.channels().Update(As(t.member2), pub.id, topic)).topic == "Company-wide");
  CHECK(REQUIRE_VALUE(f.channels().Get(As(t.member), pub.id)).topic == "Company-wide");

  quik::ChannelUpdate rename;
  rename.name = "main";
  CHECK(REQUIRE_VALUE(f.channels().Update(As(t.member), pub.id, rename)).name == "main");
  CHECK(REQUIRE_VALUE(f.channels().Get(As(t.member), t.ws.slug + "/#main")).id == pub.id);
  CHECK_CODE(f.channels().Get(As(t.member), t.ws.slug + "/#general"), StatusCode::kNotFound);

  quik::ChannelUpdate clash;
  clash.name = "taken";
  CHECK_CODE(f.channels().Update(As(t.member), pub.id, clash), StatusCode::kAlreadyExists);
  quik::ChannelUpdate bad;
  bad.name = "bad name";
  CHECK_CODE(f.channels().Update(As(t.member), pub.id, bad), StatusCode::kInvalidArgument);

  // Admins update public channels they are not in.
  quik::ChannelUpdate by_admin;
  by_admin.topic = "Set by an admin";
  CHECK(REQUIRE_VALUE(f.channels().Update(As(t.admin), pub.id, by_admin)).topic ==
        "Set by an admin");

  CHECK_CODE(f.channels().Update(As(t.guest), pub.id, topic), StatusCode::kNotFound);
  CHECK_CODE(f.channels().Update(As(t.outsider), pub.id, topic), StatusCode::kNotFound);
  CHECK_CODE(f.channels().Update(As(t.member2), priv.id, topic), StatusCode::kNotFound);
  CHECK_OK(f.channels().Update(As(t.member), priv.id, topic));
}

TEST_CASE("channels: archive by creator or admin", "[channels]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel by_member = f.CreateChannel(As(t.member), t.ws, "by-member");
  quik::Channel by_member2 = f.CreateChannel(As(t.member2), t.ws, "by-member2");
  quik::Channel by_member3 = f.CreateChannel(As(t.member2), t.ws, "by-member3");
  quik::Channel priv = f.CreateChannel(As(t.member2), t.ws, "secret", true);

  CHECK_CODE(f.channels().Archive(As(t.member), by_member2.id), StatusCode::kPermissionDenied);
  CHECK_CODE(f.channels().Archive(As(t.guest), by_member2.id), StatusCode::kNotFound);
  CHECK_CODE(f.channels().Archive(As(t.outsider), by_member2.id), StatusCode::kNotFound);
  CHECK_CODE(f.channels().Archive(As(t.member), priv.id), StatusCode::kNotFound);
  CHECK_FALSE(REQUIRE_VALUE(f.channels().Get(System(), by_member2.id)).archived);

  quik::Channel a = REQUIRE_VALUE(f.channels().Archive(As(t.member), by_member.id));
  CHECK(a.archived);
  CHECK(REQUIRE_VALUE(f.channels().Archive(As(t.admin), by_member2.id)).archived);
  CHECK(REQUIRE_VALUE(f.channels().Archive(As(t.owner), by_member3.id)).archived);
  CHECK(REQUIRE_VALUE(f.channels().Archive(As(t.member2), priv.id)).archived);

  // Archived channels are still readable...
  quik::Channel got = REQUIRE_VALUE(f.channels().Get(As(t.member2), by_member.id));
  CHECK(got.archived);
  CHECK_OK(f.messages().List(As(t.member2), by_member.id));
  // ...but read-only.
  quik::NewMessage msg;
  msg.text = "anyone?";
  CHECK_CODE(f.messages().Post(As(t.member), by_member.id, msg), StatusCode::kPermissionDenied);
  CHECK_CODE(f.messages().Post(As(t.admin), by_member2.id, msg), StatusCode::kPermissionDenied);
  CHECK_CODE(f.messages().Post(As(t.member2), priv.id, msg), StatusCode::kPermissionDenied);
  CHECK(REQUIRE_VALUE(f.messages().List(As(t.member), by_member.id)).items.empty());
}

TEST_CASE("channels: join and leave", "[channels]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Channel priv = f.CreateChannel(As(t.member), t.ws, "secret", true);

  REQUIRE_OK(f.channels().Join(As(t.member2), pub.id));
  CHECK(HasMember(REQUIRE_VALUE(f.channels().ListMembers(As(t.member), pub.id)), t.member2.id));
  CHECK_OK(f.channels().Join(As(t.admin), t.ws.slug + "/#general"));
  // Joining twice is harmless.
  CHECK_OK(f.channels().Join(As(t.member2), pub.id));
  CHECK(REQUIRE_VALUE(f.channels().ListMembers(As(t.member), pub.id)).size() == 3);

  CHECK_CODE(f.channels().Join(As(t.member2), priv.id), StatusCode::kNotFound);
  CHECK_CODE(f.channels().Join(As(t.owner), priv.id), StatusCode::kNotFound);
  CHECK_CODE(f.channels().Join(As(t.guest), pub.id), StatusCode::kNotFound);
  CHECK_CODE(f.channels().Join(As(t.outsider), pub.id), StatusCode::kNotFound);
  CHECK_FALSE(HasMember(REQUIRE_VALUE(f.channels().ListMembers(System(), priv.id)), t.member2.id));

  REQUIRE_OK(f.channels().Leave(As(t.member2), pub.id));
  CHECK_FALSE(
      HasMember(REQUIRE_VALUE(f.channels().ListMembers(As(t.member), pub.id)), t.member2.id));
  // Leaving a private channel makes it vanish.
  REQUIRE_OK(f.channels().AddMember(As(t.member), priv.id, t.member2.id));
  REQUIRE_OK(f.channels().Leave(As(t.member2), priv.id));
  CHECK_CODE(f.channels().Get(As(t.member2), priv.id), StatusCode::kNotFound);
}

TEST_CASE("channels: add and remove members", "[channels]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Channel priv = f.CreateChannel(As(t.member), t.ws, "secret", true);

  // A channel member adds workspace members, by id or email.
  REQUIRE_OK(f.channels().AddMember(As(t.member), priv.id, t.member2.id));
  REQUIRE_OK(f.channels().AddMember(As(t.member), priv.id, t.guest.email));
  auto members = REQUIRE_VALUE(f.channels().ListMembers(As(t.member2), priv.id));
  CHECK(members.size() == 3);
  for (const quik::ChannelMember& m : members) {
    CHECK(m.channel_id == priv.id);
    CHECK_FALSE(m.email.empty());
    CHECK_FALSE(m.name.empty());
    CHECK(m.joined_at > 0);
  }

  // Not a workspace member: cannot be added.
  {
    quik::Status s = f.channels().AddMember(As(t.member), priv.id, t.outsider.id);
    INFO(s.ToString());
    CHECK((s.code() == StatusCode::kNotFound || s.code() == StatusCode::kInvalidArgument));
    s = f.channels().AddMember(System(), pub.id, t.outsider.id);
    INFO(s.ToString());
    CHECK((s.code() == StatusCode::kNotFound || s.code() == StatusCode::kInvalidArgument));
  }
  CHECK_FALSE(HasMember(REQUIRE_VALUE(f.channels().ListMembers(System(), priv.id)), t.outsider.id));
  CHECK_CODE(f.channels().AddMember(As(t.member), priv.id, "nobody@example.test"),
             StatusCode::kNotFound);

  // Non-members of a private channel cannot add to it; nor can outsiders.
  CHECK_CODE(f.channels().AddMember(As(t.admin), priv.id, t.owner.id), StatusCode::kNotFound);
  CHECK_CODE(f.channels().AddMember(As(t.outsider), pub.id, t.member2.id), StatusCode::kNotFound);
  // An admin adds to a public channel they are not in.
  REQUIRE_OK(f.channels().AddMember(As(t.admin), pub.id, t.member2.id));
  CHECK(HasMember(REQUIRE_VALUE(f.channels().ListMembers(As(t.member), pub.id)), t.member2.id));

  // Removing: members may not remove others; admins and the member themself may.
  CHECK_CODE(f.channels().RemoveMember(As(t.member2), priv.id, t.member.id),
             StatusCode::kPermissionDenied);
  CHECK_CODE(f.channels().RemoveMember(As(t.guest), priv.id, t.member2.id),
             StatusCode::kPermissionDenied);
  REQUIRE_OK(f.channels().RemoveMember(As(t.guest), priv.id, t.guest.id));
  CHECK_CODE(f.channels().Get(As(t.guest), priv.id), StatusCode::kNotFound);
  REQUIRE_OK(f.channels().RemoveMember(As(t.admin), pub.id, t.member2.id));
  CHECK_FALSE(
      HasMember(REQUIRE_VALUE(f.channels().ListMembers(As(t.member), pub.id)), t.member2.id));
  REQUIRE_OK(f.channels().RemoveMember(System(), priv.id, t.member2.id));
  CHECK_CODE(f.channels().Get(As(t.member2), priv.id), StatusCode::kNotFound);
}

TEST_CASE("channels: a removed workspace member loses its channels", "[channels]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Channel priv = f.CreateChannel(As(t.member), t.ws, "secret", true);
  REQUIRE_OK(f.channels().AddMember(As(t.member), priv.id, t.member2.id));
  REQUIRE_OK(f.workspaces().RemoveMember(As(t.admin), t.ws.id, t.member2.id));
  CHECK_CODE(f.channels().Get(As(t.member2), pub.id), StatusCode::kNotFound);
  CHECK_CODE(f.channels().Get(As(t.member2), priv.id), StatusCode::kNotFound);
  CHECK_CODE(f.channels().List(As(t.member2), t.ws.id), StatusCode::kNotFound);
}
