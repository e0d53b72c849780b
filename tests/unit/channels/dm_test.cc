// SPDX-License-Identifier: MIT
// ChannelService::OpenDirect: DMs and group DMs, idempotent on the set of
// people, visible only to their members, with fixed membership.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "quik/channels.hpp"
#include "quik/events.hpp"
#include "quik/messages.hpp"
#include "quik/users.hpp"
#include "store/sqlite.hpp"
#include "store/sqlite_tx.hpp"
#include "unit/testing/service_fixture.hpp"

using quik::ChannelKind;
using quik::Role;
using quik::StatusCode;
using quik_test::As;
using quik_test::System;

namespace {

using Refs = std::vector<std::string>;

std::set<std::string> MemberIds(quik_test::ServiceFixture& f, const std::string& channel_id) {
  std::set<std::string> ids;
  for (const quik::ChannelMember& m : REQUIRE_VALUE(f.channels().ListMembers(System(), channel_id)))
    ids.insert(m.user_id);
  return ids;
}

std::set<std::string> ChannelIds(const std::vector<quik::Channel>& channels) {
  std::set<std::string> ids;
  for (const quik::Channel& c : channels) ids.insert(c.id);
  return ids;
}

bool IsChannelName(const std::string& name) {
  if (name.empty() || name.size() > 80) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

quik::NewMessage Msg(const std::string& text) {
  quik::NewMessage m;
  m.text = text;
  return m;
}

}  // namespace

TEST_CASE("dms: open a DM by id or email, idempotent on the set", "[channels][dms]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();

  quik::DirectChannel dm =
      REQUIRE_VALUE(f.channels().OpenDirect(As(t.member), t.ws.id, Refs{t.member2.id}));
  CHECK(dm.created);
  CHECK(dm.channel.kind == ChannelKind::kDirect);
  CHECK(dm.channel.is_private());
  CHECK(dm.channel.workspace_id == t.ws.id);
  CHECK(dm.channel.created_by == t.member.id);
  CHECK(dm.channel.created_at > 0);
  CHECK_FALSE(dm.channel.archived);
  INFO("name: " << dm.channel.name);
  CHECK(IsChannelName(dm.channel.name));
  CHECK(dm.channel.name.rfind("dm-", 0) == 0);
  CHECK(dm.channel.name.find("acme-member") != std::string::npos);
  CHECK(MemberIds(f, dm.channel.id) == std::set<std::string>{t.member.id, t.member2.id});

  // The same set, however it is named and by either person: the same channel.
  const std::vector<std::pair<const quik::User*, Refs>> same = {
      {&t.member, Refs{t.member2.email}},
      {&t.member, Refs{"ACME.Member.Two@Example.Test"}},
      {&t.member, Refs{t.member.id, t.member2.id}},
      {&t.member, Refs{t.member2.id, t.member.email}},
      {&t.member, Refs{t.member2.id, t.member2.email, t.member2.id}},
      {&t.member2, Refs{t.member.id}},
      {&t.member2, Refs{t.member.email, t.member2.id}},
  };
  for (const auto& [who, refs] : same) {
    INFO("as " << who->name << " with " << refs.size() << " refs, first " << refs[0]);
    quik::DirectChannel again = REQUIRE_VALUE(f.channels().OpenDirect(As(*who), t.ws.slug, refs));
    CHECK_FALSE(again.created);
    CHECK(again.channel.id == dm.channel.id);
    CHECK(again.channel.kind == ChannelKind::kDirect);
    CHECK(again.channel.name == dm.channel.name);
  }
  CHECK(MemberIds(f, dm.channel.id) == std::set<std::string>{t.member.id, t.member2.id});

  // Another pair is another DM.
  quik::DirectChannel other =
      REQUIRE_VALUE(f.channels().OpenDirect(As(t.member), t.ws.id, Refs{t.admin.id}));
  CHECK(other.created);
  CHECK(other.channel.id != dm.channel.id);
}

TEST_CASE("dms: a self-DM", "[channels][dms]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::DirectChannel self =
      REQUIRE_VALUE(f.channels().OpenDirect(As(t.member), t.ws.id, Refs{t.member.id}));
  CHECK(self.created);
  CHECK(self.channel.kind == ChannelKind::kDirect);
  CHECK(MemberIds(f, self.channel.id) == std::set<std::string>{t.member.id});
  quik::DirectChannel again =
      REQUIRE_VALUE(f.channels().OpenDirect(As(t.member), t.ws.id, Refs{t.member.email}));
  CHECK_FALSE(again.created);
  CHECK(again.channel.id == self.channel.id);
  // Not the DM with someone else, and nobody else's.
  quik::DirectChannel pair =
      REQUIRE_VALUE(f.channels().OpenDirect(As(t.member), t.ws.id, Refs{t.member2.id}));
  CHECK(pair.channel.id != self.channel.id);
  CHECK_CODE(f.channels().Get(As(t.member2), self.channel.id), StatusCode::kNotFound);
  CHECK(f.Post(As(t.member), self.channel.id, "note to self").channel_id == self.channel.id);
}

TEST_CASE("dms: group DMs, the same set in any order", "[channels][dms]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::DirectChannel group = REQUIRE_VALUE(
      f.channels().OpenDirect(As(t.member), t.ws.id, Refs{t.member2.id, t.admin.email}));
  CHECK(group.created);
  CHECK(group.channel.kind == ChannelKind::kGroup);
  CHECK(IsChannelName(group.channel.name));
  CHECK(MemberIds(f, group.channel.id) ==
        std::set<std::string>{t.member.id, t.member2.id, t.admin.id});

  quik::DirectChannel again = REQUIRE_VALUE(f.channels().OpenDirect(
      As(t.admin), t.ws.id, Refs{t.member2.email, t.member.id, t.admin.id}));
  CHECK_FALSE(again.created);
  CHECK(again.channel.id == group.channel.id);
  quik::DirectChannel by_member2 =
      REQUIRE_VALUE(f.channels().OpenDirect(As(t.member2), t.ws.id, Refs{t.admin.id, t.member.id}));
  CHECK(by_member2.channel.id == group.channel.id);

  // A subset or a superset is another conversation.
  quik::DirectChannel pair =
      REQUIRE_VALUE(f.channels().OpenDirect(As(t.member), t.ws.id, Refs{t.member2.id}));
  CHECK(pair.channel.id != group.channel.id);
  CHECK(pair.channel.kind == ChannelKind::kDirect);
  quik::DirectChannel bigger = REQUIRE_VALUE(
      f.channels().OpenDirect(As(t.member), t.ws.id, Refs{t.member2.id, t.admin.id, t.owner.id}));
  CHECK(bigger.created);
  CHECK(bigger.channel.id != group.channel.id);
  CHECK(bigger.channel.kind == ChannelKind::kGroup);
}

TEST_CASE("dms: a group DM holds at most 8 people", "[channels][dms]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  // The caller and 8 more workspace members.
  std::vector<quik::User> others;
  for (int i = 0; i < 8; ++i) {
    quik::User u = f.CreateUser("Extra " + std::to_string(i));
    f.AddMember(t.ws, u, Role::kMember);
    others.push_back(u);
  }
  REQUIRE(quik::kMaxDirectPeople == 8);

  Refs seven;  // + the caller: 8
  for (int i = 0; i < 7; ++i) seven.push_back(others[static_cast<std::size_t>(i)].id);
  quik::DirectChannel eight = REQUIRE_VALUE(f.channels().OpenDirect(As(t.member), t.ws.id, seven));
  CHECK(eight.created);
  CHECK(eight.channel.kind == ChannelKind::kGroup);
  CHECK(MemberIds(f, eight.channel.id).size() == 8);
  // Naming the caller too is still 8.
  Refs seven_and_me = seven;
  seven_and_me.push_back(t.member.email);
  CHECK(REQUIRE_VALUE(f.channels().OpenDirect(As(t.member), t.ws.id, seven_and_me)).channel.id ==
        eight.channel.id);

  Refs eight_others = seven;
  eight_others.push_back(others[7].id);
  auto nine = f.channels().OpenDirect(As(t.member), t.ws.id, eight_others);
  CHECK_CODE(nine, StatusCode::kInvalidArgument);
  eight_others.push_back(t.member.id);
  CHECK_CODE(f.channels().OpenDirect(As(t.member), t.ws.id, eight_others),
             StatusCode::kInvalidArgument);
  // Duplicates do not count twice.
  Refs repeated = seven;
  for (const quik::User& u : others) {
    if (u.id != others[7].id) repeated.push_back(u.email);
  }
  CHECK(REQUIRE_VALUE(f.channels().OpenDirect(As(t.member), t.ws.id, repeated)).channel.id ==
        eight.channel.id);
  // Nothing was made by the refused calls.
  auto listed = REQUIRE_VALUE(f.channels().List(As(t.member), t.ws.id));
  CHECK(listed.size() == 1);
}

TEST_CASE("dms: who may open one, and with whom", "[channels][dms]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik_test::Team other = f.MakeTeam("other");

  // Every workspace member, guests included, may open a DM with a member.
  for (const quik::User* u : {&t.owner, &t.admin, &t.member, &t.guest}) {
    INFO("as " << u->name);
    quik::DirectChannel dm =
        REQUIRE_VALUE(f.channels().OpenDirect(As(*u), t.ws.id, Refs{t.member2.id}));
    CHECK(dm.created);
    CHECK(MemberIds(f, dm.channel.id) == std::set<std::string>{u->id, t.member2.id});
    CHECK(REQUIRE_VALUE(f.channels().Get(As(*u), dm.channel.id)).id == dm.channel.id);
  }
  // A guest in a group DM.
  CHECK_OK(f.channels().OpenDirect(As(t.guest), t.ws.id, Refs{t.member.id, t.member2.id}));

  // Outsiders: the workspace does not exist for them.
  CHECK_CODE(f.channels().OpenDirect(As(t.outsider), t.ws.id, Refs{t.member.id}),
             StatusCode::kNotFound);
  CHECK_CODE(f.channels().OpenDirect(As(other.member), t.ws.id, Refs{t.member.id}),
             StatusCode::kNotFound);
  CHECK_CODE(f.channels().OpenDirect(As(t.member), "no-such-ws", Refs{t.member2.id}),
             StatusCode::kNotFound);

  // People outside the workspace, and unknown ones, look the same: not found,
  // named in the message.
  for (const std::string& ref :
       {t.outsider.id, t.outsider.email, other.member.email, std::string("nobody@example.test"),
        std::string("01ARZ3NDEKTSV4RRFFQ69G5FAV"), std::string("not-an-id")}) {
    INFO("ref " << ref);
    auto r = f.channels().OpenDirect(As(t.member), t.ws.id, Refs{t.member2.id, ref});
    CHECK_CODE(r, StatusCode::kNotFound);
    CHECK(r.status().message().find(ref) != std::string::npos);
  }

  CHECK_CODE(f.channels().OpenDirect(As(t.member), t.ws.id, Refs{}), StatusCode::kInvalidArgument);
  CHECK_CODE(f.channels().OpenDirect(As(t.member), t.ws.id, Refs{""}),
             StatusCode::kInvalidArgument);

  // A deactivated member cannot be in a new DM.
  REQUIRE_OK(f.users().Deactivate(System(), t.admin.id));
  auto with_deactivated = f.channels().OpenDirect(As(t.member), t.ws.id, Refs{t.admin.email});
  CHECK_CODE(with_deactivated, StatusCode::kInvalidArgument);
  CHECK(with_deactivated.status().message().find(t.admin.email) != std::string::npos);
  // ...nor open one.
  CHECK_CODE(f.channels().OpenDirect(As(t.admin), t.ws.id, Refs{t.member.id}),
             StatusCode::kUnauthenticated);

  // Nothing but the successful opens made channels.
  CHECK(REQUIRE_VALUE(f.channels().List(System(), t.ws.id)).size() == 5);
}

TEST_CASE("dms: the system opens DMs between users", "[channels][dms]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  CHECK_CODE(f.channels().OpenDirect(System(), t.ws.id, Refs{t.member.id}),
             StatusCode::kInvalidArgument);
  CHECK_CODE(f.channels().OpenDirect(System(), t.ws.id, Refs{t.member.id, t.member.email}),
             StatusCode::kInvalidArgument);
  quik::DirectChannel dm =
      REQUIRE_VALUE(f.channels().OpenDirect(System(), t.ws.slug, Refs{t.member.id, t.guest.id}));
  CHECK(dm.created);
  CHECK(dm.channel.kind == ChannelKind::kDirect);
  CHECK(dm.channel.created_by.empty());
  CHECK(MemberIds(f, dm.channel.id) == std::set<std::string>{t.member.id, t.guest.id});
  quik::DirectChannel by_guest =
      REQUIRE_VALUE(f.channels().OpenDirect(As(t.guest), t.ws.id, Refs{t.member.email}));
  CHECK_FALSE(by_guest.created);
  CHECK(by_guest.channel.id == dm.channel.id);
  quik::DirectChannel group = REQUIRE_VALUE(
      f.channels().OpenDirect(System(), t.ws.id, Refs{t.member.id, t.guest.id, t.admin.id}));
  CHECK(group.channel.kind == ChannelKind::kGroup);
  CHECK(MemberIds(f, group.channel.id).size() == 3);
}

TEST_CASE("dms: invisible to everyone but their members", "[channels][dms]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.owner), t.ws, "general");
  quik::Channel dm =
      REQUIRE_VALUE(f.channels().OpenDirect(As(t.member), t.ws.id, Refs{t.member2.id})).channel;
  quik::Channel guest_dm =
      REQUIRE_VALUE(f.channels().OpenDirect(As(t.guest), t.ws.id, Refs{t.member.id})).channel;
  quik::Message hello = f.Post(As(t.member), dm.id, "hello");
  quik::Message reply = f.Post(As(t.member2), dm.id, "hi back");

  // Members read and post.
  for (const quik::User* u : {&t.member, &t.member2}) {
    INFO("as " << u->name);
    CHECK(REQUIRE_VALUE(f.channels().Get(As(*u), dm.id)).kind == ChannelKind::kDirect);
    CHECK(REQUIRE_VALUE(f.messages().List(As(*u), dm.id)).items.size() == 2);
    CHECK(REQUIRE_VALUE(f.messages().Get(As(*u), hello.id)).text == "hello");
    CHECK(REQUIRE_VALUE(f.channels().ListMembers(As(*u), dm.id)).size() == 2);
  }
  // Lists: public channels plus one's own DMs.
  CHECK(ChannelIds(REQUIRE_VALUE(f.channels().List(As(t.member), t.ws.id))) ==
        std::set<std::string>{pub.id, dm.id, guest_dm.id});
  CHECK(ChannelIds(REQUIRE_VALUE(f.channels().List(As(t.member2), t.ws.id))) ==
        std::set<std::string>{pub.id, dm.id});
  CHECK(ChannelIds(REQUIRE_VALUE(f.channels().List(As(t.guest), t.ws.id))) ==
        std::set<std::string>{guest_dm.id});
  CHECK(ChannelIds(REQUIRE_VALUE(f.channels().List(As(t.owner), t.ws.id))) ==
        std::set<std::string>{pub.id});
  CHECK(ChannelIds(REQUIRE_VALUE(f.channels().List(System(), t.ws.id))) ==
        std::set<std::string>{pub.id, dm.id, guest_dm.id});

  // Everyone else, workspace owners and admins included: not found.
  for (const quik::User* u : {&t.owner, &t.admin, &t.guest, &t.outsider}) {
    INFO("as " << u->name);
    CHECK_CODE(f.channels().Get(As(*u), dm.id), StatusCode::kNotFound);
    CHECK_CODE(f.channels().ListMembers(As(*u), dm.id), StatusCode::kNotFound);
    CHECK_CODE(f.channels().Join(As(*u), dm.id), StatusCode::kNotFound);
    CHECK_CODE(f.channels().AddMember(As(*u), dm.id, u->id), StatusCode::kNotFound);
    CHECK_CODE(f.messages().List(As(*u), dm.id), StatusCode::kNotFound);
    CHECK_CODE(f.messages().Get(As(*u), hello.id), StatusCode::kNotFound);
    CHECK_CODE(f.messages().ListReplies(As(*u), hello.id), StatusCode::kNotFound);
    CHECK_CODE(f.messages().Post(As(*u), dm.id, Msg("let me in")), StatusCode::kNotFound);
    CHECK_CODE(f.messages().Edit(As(*u), reply.id, "edited"), StatusCode::kNotFound);
    CHECK_CODE(f.messages().Delete(As(*u), reply.id), StatusCode::kNotFound);
  }
  CHECK(MemberIds(f, dm.id) == std::set<std::string>{t.member.id, t.member2.id});
  CHECK(REQUIRE_VALUE(f.messages().List(As(t.member), dm.id)).items.size() == 2);
  // A DM has no "workspace/#name" ref.
  CHECK_CODE(f.channels().Get(As(t.member), t.ws.slug + "/#" + dm.name), StatusCode::kNotFound);
}

TEST_CASE("dms: their people are fixed", "[channels][dms]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel dm =
      REQUIRE_VALUE(f.channels().OpenDirect(As(t.member), t.ws.id, Refs{t.member2.id})).channel;
  quik::Channel group =
      REQUIRE_VALUE(f.channels().OpenDirect(As(t.admin), t.ws.id, Refs{t.member.id, t.member2.id}))
          .channel;
  for (const quik::Channel* c : {&dm, &group}) {
    INFO("channel " << c->name);
    const std::set<std::string> before = MemberIds(f, c->id);
    CHECK_CODE(f.channels().AddMember(As(t.member), c->id, t.owner.id),
               StatusCode::kInvalidArgument);
    CHECK_CODE(f.channels().AddMember(System(), c->id, t.owner.id), StatusCode::kInvalidArgument);
    CHECK_CODE(f.channels().Join(As(t.member), c->id), StatusCode::kInvalidArgument);
    CHECK_CODE(f.channels().Leave(As(t.member2), c->id), StatusCode::kInvalidArgument);
    CHECK_CODE(f.channels().RemoveMember(As(t.member), c->id, t.member2.id),
               StatusCode::kInvalidArgument);
    CHECK_CODE(f.channels().RemoveMember(System(), c->id, t.member2.id),
               StatusCode::kInvalidArgument);
    CHECK_CODE(f.channels().Archive(As(t.member), c->id), StatusCode::kInvalidArgument);
    CHECK(MemberIds(f, c->id) == before);
    CHECK_FALSE(REQUIRE_VALUE(f.channels().Get(As(t.member), c->id)).archived);
  }
  // A DM's label cannot be renamed; its topic can be set by its members.
  quik::ChannelUpdate rename;
  rename.name = "renamed";
  CHECK_CODE(f.channels().Update(As(t.member), dm.id, rename), StatusCode::kInvalidArgument);
  quik::ChannelUpdate topic;
  topic.topic = "lunch plans";
  CHECK(REQUIRE_VALUE(f.channels().Update(As(t.member2), dm.id, topic)).topic == "lunch plans");
}

TEST_CASE("dms: opening logs channel.created and member.joined once", "[channels][dms]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  const std::int64_t start = f.LatestSeq();
  quik::Channel group =
      REQUIRE_VALUE(f.channels().OpenDirect(As(t.member), t.ws.id, Refs{t.member2.id, t.guest.id}))
          .channel;
  auto events = REQUIRE_VALUE(f.events().Read(System(), start));
  REQUIRE(events.size() == 4);
  CHECK(events[0].type == "channel.created");
  for (const quik::Event& e : events) {
    INFO(e.seq << " " << e.type);
    CHECK(e.channel_id == group.id);
    CHECK(e.workspace_id == t.ws.id);
    CHECK(e.user_id == t.member.id);
  }
  CHECK(std::count_if(events.begin(), events.end(),
                      [](const quik::Event& e) { return e.type == "member.joined"; }) == 3);
  // Opening it again changes nothing.
  const std::int64_t after_open = f.LatestSeq();
  CHECK_FALSE(
      REQUIRE_VALUE(f.channels().OpenDirect(As(t.guest), t.ws.id, Refs{t.member.id, t.member2.id}))
          .created);
  CHECK(f.LatestSeq() == after_open);
}

TEST_CASE("dms: concurrent opens of one set make one channel", "[channels][dms]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  constexpr int kThreads = 8;
  std::vector<std::string> ids(kThreads);
  std::vector<int> created(kThreads, -1);
  std::vector<std::string> errors(kThreads);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      // Alternate who opens it and how the set is named.
      auto r =
          i % 2 == 0
              ? f.channels().OpenDirect(As(t.member), t.ws.id, Refs{t.member2.id, t.guest.email})
              : f.channels().OpenDirect(As(t.guest), t.ws.id, Refs{t.member2.email, t.member.id});
      auto idx = static_cast<std::size_t>(i);
      if (r.ok()) {
        ids[idx] = r->channel.id;
        created[idx] = r->created ? 1 : 0;
      } else {
        errors[idx] = r.status().ToString();
      }
    });
  }
  go = true;
  for (std::thread& th : threads) th.join();
  int num_created = 0;
  for (int i = 0; i < kThreads; ++i) {
    auto idx = static_cast<std::size_t>(i);
    INFO("thread " << i << ": " << errors[idx]);
    REQUIRE(created[idx] != -1);
    CHECK(ids[idx] == ids[0]);
    num_created += created[idx];
  }
  CHECK(num_created == 1);
  auto all = REQUIRE_VALUE(f.channels().List(System(), t.ws.id));
  REQUIRE(all.size() == 1);
  CHECK(all[0].id == ids[0]);
  CHECK(MemberIds(f, ids[0]) == std::set<std::string>{t.member.id, t.member2.id, t.guest.id});
}

// Another process opening the same DM writes through its own connection: the
// unique index on the set of people lets only one such channel exist.
TEST_CASE("dms: one channel per set of people, across writers", "[channels][dms]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel dm =
      REQUIRE_VALUE(f.channels().OpenDirect(As(t.member), t.ws.id, Refs{t.member2.id})).channel;

  auto conn = quik::store::Connection::Open(f.data_dir() / "quik.db",
                                            quik::store::Connection::Mode::kReadWrite, false, 1000);
  REQUIRE(conn.ok());
  REQUIRE_OK((*conn)->Exec("BEGIN IMMEDIATE"));
  quik::store::SqliteTx tx(**conn);
  const std::string key =
      std::min(t.member.id, t.member2.id) + "," + std::max(t.member.id, t.member2.id);
  auto found = REQUIRE_VALUE(tx.GetChannelByDmKey(t.ws.id, key));
  REQUIRE(found.has_value());
  CHECK(found->id == dm.id);
  quik::Channel twin = dm;
  twin.id = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
  CHECK_CODE(tx.InsertDirectChannel(twin, key), StatusCode::kAlreadyExists);

  // A group DM made by that other writer is the one the service then opens.
  quik::Channel group = dm;
  group.id = "01ARZ3NDEKTSV4RRFFQ69G5FAW";
  group.kind = ChannelKind::kGroup;
  std::vector<std::string> ids = {t.member.id, t.member2.id, t.admin.id};
  std::sort(ids.begin(), ids.end());
  REQUIRE_OK(tx.InsertDirectChannel(group, ids[0] + "," + ids[1] + "," + ids[2]));
  REQUIRE_OK((*conn)->Exec("COMMIT"));
  conn->reset();

  quik::DirectChannel opened = REQUIRE_VALUE(
      f.channels().OpenDirect(As(t.admin), t.ws.id, Refs{t.member2.email, t.member.email}));
  CHECK_FALSE(opened.created);
  CHECK(opened.channel.id == group.id);
  // Its people were not members yet: opening made them so.
  CHECK(MemberIds(f, group.id) == std::set<std::string>{t.member.id, t.member2.id, t.admin.id});
}

TEST_CASE("dms: survive a reopen of the data dir", "[channels][dms]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel dm =
      REQUIRE_VALUE(f.channels().OpenDirect(As(t.member), t.ws.id, Refs{t.member2.id})).channel;
  f.Reopen();
  quik::DirectChannel again =
      REQUIRE_VALUE(f.channels().OpenDirect(As(t.member2), t.ws.id, Refs{t.member.id}));
  CHECK_FALSE(again.created);
  CHECK(again.channel.id == dm.id);
}

TEST_CASE("dms: leaving the workspace and coming back restores the DM", "[channels][dms]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel dm =
      REQUIRE_VALUE(f.channels().OpenDirect(As(t.member), t.ws.id, Refs{t.member2.id})).channel;
  quik::Message hello = f.Post(As(t.member), dm.id, "hello");

  REQUIRE_OK(f.workspaces().RemoveMember(As(t.admin), t.ws.id, t.member2.id));
  CHECK_CODE(f.channels().OpenDirect(As(t.member), t.ws.id, Refs{t.member2.id}),
             StatusCode::kNotFound);
  f.AddMember(t.ws, t.member2, Role::kMember);
  // Back in the workspace, but not in the DM until it is opened again.
  CHECK_CODE(f.channels().Get(As(t.member2), dm.id), StatusCode::kNotFound);
  quik::DirectChannel again =
      REQUIRE_VALUE(f.channels().OpenDirect(As(t.member), t.ws.id, Refs{t.member2.id}));
  CHECK_FALSE(again.created);
  CHECK(again.channel.id == dm.id);
  CHECK(MemberIds(f, dm.id) == std::set<std::string>{t.member.id, t.member2.id});
  CHECK(REQUIRE_VALUE(f.messages().Get(As(t.member2), hello.id)).text == "hello");
}
