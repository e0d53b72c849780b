// SPDX-License-Identifier: MIT
// EventService: every mutation writes its event in the same transaction.
#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "common/ids.hpp"
#include "quik/events.hpp"
#include "service/context.hpp"
#include "unit/testing/service_fixture.hpp"

using quik::StatusCode;
using quik_test::As;
using quik_test::System;

namespace {

std::vector<quik::Event> ReadAfter(quik_test::ServiceFixture& f, std::int64_t after) {
  return REQUIRE_VALUE(f.events().Read(System(), after));
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// The first event whose type is `type` (or starts with it, when `prefix`), or
// nullptr.
const quik::Event* Find(const std::vector<quik::Event>& events, const std::string& type,
                        bool prefix = false) {
  for (const quik::Event& e : events) {
    if (prefix ? StartsWith(e.type, type) : e.type == type) return &e;
  }
  return nullptr;
}

std::string Types(const std::vector<quik::Event>& events) {
  std::string out;
  for (const quik::Event& e : events) out += std::to_string(e.seq) + ":" + e.type + " ";
  return out;
}

void CheckStrictlyRising(const std::vector<quik::Event>& events) {
  for (std::size_t i = 1; i < events.size(); ++i) {
    INFO("at " << i << ": " << Types(events));
    CHECK(events[i - 1].seq < events[i].seq);
  }
}

}  // namespace

TEST_CASE("events: an empty log", "[events]") {
  quik_test::ServiceFixture f;
  CHECK(f.LatestSeq() == 0);
  CHECK(ReadAfter(f, 0).empty());
}

TEST_CASE("events: every mutation writes its event, in order", "[events]") {
  quik_test::ServiceFixture f;
  quik::User alice = f.CreateUser("Alice");
  quik::User bob = f.CreateUser("Bob");
  const std::int64_t start = f.LatestSeq();

  quik::Workspace ws = f.CreateWorkspace(As(alice), "Demo Co");
  const std::int64_t after_ws = f.LatestSeq();
  CHECK(after_ws > start);
  quik::Channel general = f.CreateChannel(As(alice), ws, "general");
  const std::int64_t after_channel = f.LatestSeq();
  CHECK(after_channel > after_ws);
  f.AddMember(ws, bob, quik::Role::kMember);
  REQUIRE_OK(f.channels().Join(As(bob), general.id));
  const std::int64_t after_join = f.LatestSeq();
  CHECK(after_join > after_channel);
  quik::Message m = f.Post(As(bob), general.id, "hello");
  const std::int64_t after_post = f.LatestSeq();
  CHECK(after_post > after_join);
  REQUIRE_OK(f.messages().Edit(As(bob), m.id, "hello, edited"));
  const std::int64_t after_edit = f.LatestSeq();
  CHECK(after_edit > after_post);
  REQUIRE_OK(f.messages().Delete(As(bob), m.id));
  const std::int64_t after_delete = f.LatestSeq();
  CHECK(after_delete > after_edit);

  std::vector<quik::Event> events = ReadAfter(f, start);
  INFO("events: " << Types(events));
  REQUIRE_FALSE(events.empty());
  CHECK(events.front().seq > start);
  CHECK(events.back().seq == after_delete);
  CheckStrictlyRising(events);
  for (const quik::Event& e : events) {
    CHECK_FALSE(e.type.empty());
    CHECK(e.created_at > 0);
  }

  // The workspace's creation.
  const quik::Event* ws_created = Find(events, "workspace.", /*prefix=*/true);
  REQUIRE(ws_created != nullptr);
  CHECK(ws_created->workspace_id == ws.id);
  CHECK(ws_created->seq <= after_ws);

  const quik::Event* ch_created = Find(events, "channel.created");
  REQUIRE(ch_created != nullptr);
  CHECK(ch_created->workspace_id == ws.id);
  CHECK(ch_created->channel_id == general.id);
  CHECK(ch_created->user_id == alice.id);
  CHECK(ch_created->seq > after_ws);
  CHECK(ch_created->seq <= after_channel);

  // Bob joining the channel.
  const quik::Event* joined = nullptr;
  for (const quik::Event& e : events) {
    if (e.type == "member.joined" && e.channel_id == general.id && e.user_id == bob.id) {
      joined = &e;
    }
  }
  REQUIRE(joined != nullptr);
  CHECK(joined->seq > after_channel);
  CHECK(joined->seq <= after_join);

  const quik::Event* posted = Find(events, "message.posted");
  REQUIRE(posted != nullptr);
  CHECK(posted->seq > after_join);
  CHECK(posted->seq <= after_post);
  CHECK(posted->workspace_id == ws.id);
  CHECK(posted->channel_id == general.id);
  CHECK(posted->user_id == bob.id);
  CHECK_FALSE(posted->payload.empty());

  const quik::Event* edited = Find(events, "message.edited");
  REQUIRE(edited != nullptr);
  CHECK(edited->seq > after_post);
  CHECK(edited->seq <= after_edit);
  CHECK(edited->channel_id == general.id);
  CHECK(edited->workspace_id == ws.id);
  CHECK(edited->user_id == bob.id);
  CHECK_FALSE(edited->payload.empty());

  const quik::Event* deleted = Find(events, "message.deleted");
  REQUIRE(deleted != nullptr);
  CHECK(deleted->seq > after_edit);
  CHECK(deleted->seq <= after_delete);
  CHECK(deleted->channel_id == general.id);
  CHECK(deleted->workspace_id == ws.id);
  CHECK(deleted->user_id == bob.id);

  CHECK(ws_created->seq < ch_created->seq);
  CHECK(ch_created->seq < joined->seq);
  CHECK(joined->seq < posted->seq);
  CHECK(posted->seq < edited->seq);
  CHECK(edited->seq < deleted->seq);
}

TEST_CASE("events: posting in a public channel joins, with its event", "[events]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel general = f.CreateChannel(As(t.member), t.ws, "general");
  const std::int64_t before = f.LatestSeq();
  f.Post(As(t.member2), general.id, "drive-by");
  std::vector<quik::Event> events = ReadAfter(f, before);
  INFO("events: " << Types(events));
  const quik::Event* joined = Find(events, "member.joined");
  const quik::Event* posted = Find(events, "message.posted");
  REQUIRE(joined != nullptr);
  REQUIRE(posted != nullptr);
  CHECK(joined->channel_id == general.id);
  CHECK(joined->user_id == t.member2.id);
  CHECK(joined->seq < posted->seq);
}

TEST_CASE("events: other mutations write events too", "[events]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel general = f.CreateChannel(As(t.member), t.ws, "general");

  auto writes_event = [&](const char* what, auto&& mutate) {
    const std::int64_t before = f.LatestSeq();
    mutate();
    INFO(what);
    CHECK(f.LatestSeq() > before);
  };
  quik::User late = f.CreateUser("Late Joiner");
  writes_event("workspace add member", [&] { f.AddMember(t.ws, late, quik::Role::kMember); });
  writes_event("set role", [&] {
    REQUIRE_OK(f.workspaces().SetRole(As(t.owner), t.ws.id, t.member2.id, quik::Role::kAdmin));
  });
  writes_event("remove member",
               [&] { REQUIRE_OK(f.workspaces().RemoveMember(As(t.guest), t.ws.id, t.guest.id)); });
  writes_event("channel update", [&] {
    quik::ChannelUpdate u;
    u.topic = "new topic";
    REQUIRE_OK(f.channels().Update(As(t.member), general.id, u));
  });
  writes_event("channel leave", [&] { REQUIRE_OK(f.channels().Leave(As(t.member), general.id)); });
  writes_event("channel add member",
               [&] { REQUIRE_OK(f.channels().AddMember(As(t.admin), general.id, t.member.id)); });
  writes_event("channel remove member", [&] {
    REQUIRE_OK(f.channels().RemoveMember(As(t.admin), general.id, t.member.id));
  });
  writes_event("channel archive",
               [&] { REQUIRE_OK(f.channels().Archive(As(t.admin), general.id)); });
  writes_event("user update", [&] {
    quik::UserUpdate u;
    u.name = "Renamed";
    REQUIRE_OK(f.users().Update(As(t.member), t.member.id, u));
  });
  writes_event("user deactivate", [&] { REQUIRE_OK(f.users().Deactivate(System(), t.member.id)); });

  std::vector<quik::Event> events = ReadAfter(f, 0);
  INFO("events: " << Types(events));
  CheckStrictlyRising(events);
  const quik::Event* updated = Find(events, "channel.updated");
  REQUIRE(updated != nullptr);
  CHECK(updated->channel_id == general.id);
  const quik::Event* left = Find(events, "member.left");
  REQUIRE(left != nullptr);
}

TEST_CASE("events: a failed mutation writes no event", "[events]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel general = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Channel priv = f.CreateChannel(As(t.member), t.ws, "secret", true);
  quik::Message m = f.Post(As(t.member), general.id, "hello");
  const std::int64_t before = f.LatestSeq();

  quik::NewUser dup;
  dup.email = t.member.email;
  dup.name = "Duplicate";
  CHECK_CODE(f.users().Create(System(), dup), StatusCode::kAlreadyExists);
  quik::NewWorkspace ws_dup;
  ws_dup.name = "Dup";
  ws_dup.slug = t.ws.slug;
  CHECK_CODE(f.workspaces().Create(As(t.owner), ws_dup), StatusCode::kAlreadyExists);
  quik::NewChannel ch_dup;
  ch_dup.name = "general";
  CHECK_CODE(f.channels().Create(As(t.member), t.ws.id, ch_dup), StatusCode::kAlreadyExists);
  quik::NewMessage too_long;
  too_long.text = std::string(40001, 'x');
  CHECK_CODE(f.messages().Post(As(t.member), general.id, too_long), StatusCode::kInvalidArgument);
  quik::NewMessage hi;
  hi.text = "hi";
  CHECK_CODE(f.messages().Post(As(t.member2), priv.id, hi), StatusCode::kNotFound);
  CHECK_CODE(f.messages().Post(As(t.guest), general.id, hi), StatusCode::kNotFound);
  CHECK_CODE(f.messages().Edit(As(t.member2), m.id, "nope"), StatusCode::kPermissionDenied);
  CHECK_CODE(f.messages().Delete(As(t.member2), m.id), StatusCode::kPermissionDenied);
  CHECK_CODE(f.workspaces().AddMember(As(t.member), t.ws.id, t.outsider.id, quik::Role::kMember),
             StatusCode::kPermissionDenied);
  CHECK_CODE(f.channels().Join(As(t.member2), priv.id), StatusCode::kNotFound);
  CHECK_CODE(f.workspaces().Delete(As(t.admin), t.ws.id), StatusCode::kPermissionDenied);

  CHECK(f.LatestSeq() == before);
  CHECK(ReadAfter(f, before).empty());
}

TEST_CASE("events: only the system reads the log", "[events]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  for (const quik::User* u : {&t.owner, &t.admin, &t.member, &t.outsider}) {
    INFO("as " << u->name);
    CHECK_CODE(f.events().Read(As(*u), 0), StatusCode::kPermissionDenied);
  }
  CHECK_OK(f.events().Read(System(), 0));
}

TEST_CASE("events: read pages by seq", "[events]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel general = f.CreateChannel(As(t.member), t.ws, "general");
  const std::int64_t start = f.LatestSeq();
  for (int i = 0; i < 25; ++i) f.Post(As(t.member), general.id, "m" + std::to_string(i));
  CHECK(f.LatestSeq() >= start + 25);

  std::vector<quik::Event> all;
  std::int64_t after = start;
  for (int rounds = 0;; ++rounds) {
    REQUIRE(rounds < 10);
    auto batch = REQUIRE_VALUE(f.events().Read(System(), after, 10));
    REQUIRE(batch.size() <= 10);
    if (batch.empty()) break;
    for (const quik::Event& e : batch) CHECK(e.seq > after);
    after = batch.back().seq;
    all.insert(all.end(), batch.begin(), batch.end());
  }
  CheckStrictlyRising(all);
  CHECK(std::count_if(all.begin(), all.end(),
                      [](const quik::Event& e) { return e.type == "message.posted"; }) == 25);
  CHECK(all.back().seq == f.LatestSeq());
  CHECK(ReadAfter(f, f.LatestSeq()).empty());
}

TEST_CASE("events: concurrent writers get distinct, rising seqs", "[events]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel general = f.CreateChannel(As(t.member), t.ws, "general");
  REQUIRE_OK(f.channels().Join(As(t.member2), general.id));
  REQUIRE_OK(f.channels().Join(As(t.admin), general.id));
  const std::int64_t start = f.LatestSeq();
  std::vector<std::thread> threads;
  std::vector<int> failures(3, 0);
  const std::vector<std::string> authors = {t.member.id, t.member2.id, t.admin.id};
  for (std::size_t i = 0; i < authors.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 50; ++j) {
        quik::NewMessage msg;
        msg.text = "x";
        if (!f.messages().Post(quik::Actor::ForUser(authors[i]), general.id, msg).ok()) {
          ++failures[i];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(failures == std::vector<int>{0, 0, 0});
  std::vector<quik::Event> events = ReadAfter(f, start);
  CHECK(events.size() == 150);
  CheckStrictlyRising(events);
  CHECK(f.LatestSeq() == events.back().seq);
}

TEST_CASE("events: retention deletes a prefix of the log, never the newest event", "[events]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  auto* ctx = quik::internal::ContextOf(f.svc());
  REQUIRE(ctx != nullptr);
  auto prune = [&](quik::Timestamp before, int limit) {
    std::int64_t deleted = 0;
    REQUIRE_OK(ctx->store->Write([&](quik::store::Tx& tx) {
      QUIK_ASSIGN_OR_RETURN(deleted, tx.PruneEvents(before, limit));
      return quik::Status::Ok();
    }));
    return deleted;
  };
  auto bounds = [&] {
    std::pair<std::int64_t, std::int64_t> out;
    REQUIRE_OK(ctx->store->Read([&](quik::store::Tx& tx) {
      QUIK_ASSIGN_OR_RETURN(out.first, tx.OldestSeq());
      QUIK_ASSIGN_OR_RETURN(out.second, tx.LatestSeq());
      return quik::Status::Ok();
    }));
    return out;
  };
  const auto [oldest, latest] = bounds();
  REQUIRE(latest - oldest > 5);
  CHECK(prune(0, 1000) == 0);  // nothing is older than the epoch
  CHECK(prune(quik::internal::NowMillis() + 1000, 3) == 3);  // at most `limit`
  CHECK(bounds().first == oldest + 3);
  CHECK(prune(quik::internal::NowMillis() + 1000, 100000) == latest - oldest - 3);
  CHECK(bounds() == std::make_pair(latest, latest));  // the newest stays
  // And seq goes on from there.
  f.CreateUser("Later");
  CHECK(bounds().second == latest + 1);
}
