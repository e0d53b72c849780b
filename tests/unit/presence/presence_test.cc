// SPDX-License-Identifier: MIT
// PresenceService and the realtime layer's MarkConnected/MarkDisconnected:
// manual statuses across reconnects, last_seen, visibility, durability.
#include "quik/presence.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "presence/presence_internal.hpp"
#include "service/context.hpp"
#include "unit/testing/service_fixture.hpp"

using quik::Presence;
using quik::PresenceStatus;
using quik::StatusCode;
using quik_test::As;
using quik_test::System;

namespace Catch {
template <>
struct StringMaker<quik::PresenceStatus> {
  static std::string convert(quik::PresenceStatus status) {
    return std::string(quik::PresenceStatusName(status));
  }
};
}  // namespace Catch

namespace {

quik::internal::Context& Ctx(quik_test::ServiceFixture& f) {
  quik::internal::Context* ctx = quik::internal::ContextOf(f.svc());
  REQUIRE(ctx != nullptr);
  return *ctx;
}

std::optional<Presence> Connect(quik_test::ServiceFixture& f, const quik::User& u) {
  return REQUIRE_VALUE(quik::presence::MarkConnected(Ctx(f), u.id));
}

std::optional<Presence> Disconnect(quik_test::ServiceFixture& f, const quik::User& u) {
  return REQUIRE_VALUE(quik::presence::MarkDisconnected(Ctx(f), u.id));
}

Presence Get(quik_test::ServiceFixture& f, const quik::User& u) {
  return REQUIRE_VALUE(f.svc().presence().Get(System(), u.id));
}

}  // namespace

TEST_CASE("presence: status names round-trip", "[presence]") {
  for (PresenceStatus s : {PresenceStatus::kOnline, PresenceStatus::kAway, PresenceStatus::kDnd,
                           PresenceStatus::kOffline}) {
    CHECK(quik::ParsePresenceStatus(quik::PresenceStatusName(s)) == s);
  }
  CHECK(quik::PresenceStatusName(PresenceStatus::kDnd) == "dnd");
  CHECK(quik::ParsePresenceStatus("Away") == std::nullopt);
  CHECK(quik::ParsePresenceStatus("") == std::nullopt);
  CHECK(quik::ParsePresenceStatus("busy") == std::nullopt);
}

TEST_CASE("presence: a user never seen is offline with last_seen 0", "[presence]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  Presence p = Get(f, t.member);
  CHECK(p.user_id == t.member.id);
  CHECK(p.status == PresenceStatus::kOffline);
  CHECK(p.last_seen == 0);
  CHECK_FALSE(p.manual.has_value());
}

TEST_CASE("presence: connecting and disconnecting report only changes", "[presence]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();

  auto first = Connect(f, t.member);
  REQUIRE(first.has_value());
  CHECK(first->user_id == t.member.id);
  CHECK(first->status == PresenceStatus::kOnline);
  CHECK(first->last_seen > 0);
  CHECK(Connect(f, t.member) == std::nullopt);  // already online

  auto gone = Disconnect(f, t.member);
  REQUIRE(gone.has_value());
  CHECK(gone->status == PresenceStatus::kOffline);
  CHECK(Disconnect(f, t.member) == std::nullopt);  // already offline
  CHECK(Get(f, t.member).status == PresenceStatus::kOffline);
}

TEST_CASE("presence: a manual status survives disconnect and reconnect", "[presence]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  REQUIRE(Connect(f, t.member).has_value());

  Presence away = REQUIRE_VALUE(f.svc().presence().Set(As(t.member), PresenceStatus::kAway));
  CHECK(away.status == PresenceStatus::kAway);
  CHECK(away.manual == PresenceStatus::kAway);

  auto gone = Disconnect(f, t.member);
  REQUIRE(gone.has_value());
  CHECK(gone->status == PresenceStatus::kOffline);
  CHECK(gone->manual == PresenceStatus::kAway);

  auto back = Connect(f, t.member);
  REQUIRE(back.has_value());
  CHECK(back->status == PresenceStatus::kAway);
  CHECK(back->manual == PresenceStatus::kAway);

  // Invisible: connecting changes nothing others see.
  REQUIRE_VALUE(f.svc().presence().Set(As(t.member), PresenceStatus::kOffline));
  CHECK(Disconnect(f, t.member) == std::nullopt);
  CHECK(Connect(f, t.member) == std::nullopt);
  CHECK(Get(f, t.member).status == PresenceStatus::kOffline);
  CHECK(Get(f, t.member).manual == PresenceStatus::kOffline);
}

TEST_CASE("presence: setting online clears the manual status", "[presence]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  REQUIRE_VALUE(f.svc().presence().Set(As(t.member), PresenceStatus::kDnd));
  CHECK(Get(f, t.member).status == PresenceStatus::kDnd);

  Presence online = REQUIRE_VALUE(f.svc().presence().Set(As(t.member), PresenceStatus::kOnline));
  CHECK(online.status == PresenceStatus::kOnline);
  CHECK_FALSE(online.manual.has_value());

  REQUIRE(Disconnect(f, t.member).has_value());
  auto back = Connect(f, t.member);
  REQUIRE(back.has_value());
  CHECK(back->status == PresenceStatus::kOnline);
  CHECK_FALSE(back->manual.has_value());
}

TEST_CASE("presence: last_seen moves with connections and statuses", "[presence]") {
  auto clock = std::make_shared<quik::ManualClock>();
  quik_test::ServiceFixture f([&](quik::Options& o) { o.clock = clock; });
  quik_test::Team t = f.MakeTeam();
  const quik::Timestamp start = clock->NowMillis();
  const quik::Timestamp connected = Connect(f, t.member)->last_seen;
  CHECK(connected == start);
  clock->Advance(std::chrono::milliseconds(3));
  const quik::Timestamp disconnected = Disconnect(f, t.member)->last_seen;
  CHECK(disconnected == start + 3);
  CHECK(Get(f, t.member).last_seen == disconnected);
  clock->Advance(std::chrono::milliseconds(3));
  Presence set = REQUIRE_VALUE(f.svc().presence().Set(As(t.member), PresenceStatus::kAway));
  CHECK(set.last_seen == start + 6);
  clock->Advance(std::chrono::milliseconds(3));
  // An unchanged status still records the moment.
  CHECK(Disconnect(f, t.member).has_value());
  CHECK(Disconnect(f, t.member) == std::nullopt);
  CHECK(Get(f, t.member).last_seen == start + 9);
}

TEST_CASE("presence: the workspace list is for its members", "[presence]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  REQUIRE(Connect(f, t.admin).has_value());
  REQUIRE_VALUE(f.svc().presence().Set(As(t.member), PresenceStatus::kDnd));

  for (const quik::User* u : {&t.owner, &t.member, &t.guest}) {
    INFO("as " << u->name);
    auto list = REQUIRE_VALUE(f.svc().presence().ListWorkspace(As(*u), t.ws.id));
    std::map<std::string, PresenceStatus> by_user;
    for (const Presence& p : list) by_user[p.user_id] = p.status;
    CHECK(by_user == std::map<std::string, PresenceStatus>{
                         {t.owner.id, PresenceStatus::kOffline},
                         {t.admin.id, PresenceStatus::kOnline},
                         {t.member.id, PresenceStatus::kDnd},
                         {t.member2.id, PresenceStatus::kOffline},
                         {t.guest.id, PresenceStatus::kOffline},
                     });
  }
  // By slug, and by the system.
  CHECK(REQUIRE_VALUE(f.svc().presence().ListWorkspace(As(t.member), t.ws.slug)).size() == 5);
  CHECK(REQUIRE_VALUE(f.svc().presence().ListWorkspace(System(), t.ws.id)).size() == 5);

  // A non-member learns nothing, exactly as for a workspace that does not exist.
  auto hidden = f.svc().presence().ListWorkspace(As(t.outsider), t.ws.id);
  CHECK_CODE(hidden, StatusCode::kNotFound);
  CHECK_CODE(f.svc().presence().ListWorkspace(As(t.outsider), t.ws.slug), StatusCode::kNotFound);
  CHECK_CODE(f.svc().presence().ListWorkspace(As(t.member), "no-such-ws"), StatusCode::kNotFound);
  CHECK_CODE(f.workspaces().Get(As(t.outsider), t.ws.id), StatusCode::kNotFound);
  CHECK(hidden.status().message() ==
        f.workspaces().Get(As(t.outsider), t.ws.id).status().message());
}

TEST_CASE("presence: one user's presence follows who may see them", "[presence]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  REQUIRE_VALUE(f.svc().presence().Set(As(t.owner), PresenceStatus::kAway));

  CHECK(REQUIRE_VALUE(f.svc().presence().Get(As(t.owner), t.owner.id)).status ==
        PresenceStatus::kAway);
  CHECK(REQUIRE_VALUE(f.svc().presence().Get(As(t.guest), t.owner.email)).status ==
        PresenceStatus::kAway);
  CHECK(REQUIRE_VALUE(f.svc().presence().Get(System(), t.owner.id)).status ==
        PresenceStatus::kAway);
  CHECK_CODE(f.svc().presence().Get(As(t.outsider), t.owner.id), StatusCode::kNotFound);
  CHECK_CODE(f.svc().presence().Get(As(t.member), "nobody@example.test"), StatusCode::kNotFound);
  // The outsider still sees themself.
  CHECK(REQUIRE_VALUE(f.svc().presence().Get(As(t.outsider), t.outsider.id)).user_id ==
        t.outsider.id);
}

TEST_CASE("presence: only an active user sets a status", "[presence]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  CHECK_CODE(f.svc().presence().Set(System(), PresenceStatus::kAway), StatusCode::kInvalidArgument);
  REQUIRE_VALUE(f.users().Deactivate(System(), t.member2.id));
  CHECK_CODE(f.svc().presence().Set(As(t.member2), PresenceStatus::kAway),
             StatusCode::kUnauthenticated);
  CHECK(Get(f, t.member2).last_seen == 0);
}

TEST_CASE("presence: survives reopening the Service", "[presence]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  REQUIRE(Connect(f, t.member).has_value());
  const Presence before = REQUIRE_VALUE(f.svc().presence().Set(As(t.member), PresenceStatus::kDnd));
  f.Reopen();
  const Presence after = Get(f, t.member);
  CHECK(after.status == PresenceStatus::kDnd);
  CHECK(after.manual == PresenceStatus::kDnd);
  CHECK(after.last_seen == before.last_seen);
  // The manual status outlives the restart too.
  REQUIRE(Disconnect(f, t.member).has_value());
  CHECK(Connect(f, t.member)->status == PresenceStatus::kDnd);
}

TEST_CASE("presence: the LMDB record encodes and decodes", "[presence]") {
  Presence p;
  p.user_id = "01HZXYZ0000000000000000000";
  p.status = PresenceStatus::kDnd;
  p.manual = PresenceStatus::kDnd;
  p.last_seen = 0x0102030405060708;
  const std::string bytes = quik::presence::EncodePresence(p);
  CHECK(bytes == std::string("\x01\x02\x02\x08\x07\x06\x05\x04\x03\x02\x01", 11));
  Presence back = REQUIRE_VALUE(quik::presence::DecodePresence(p.user_id, bytes));
  CHECK(back.user_id == p.user_id);
  CHECK(back.status == p.status);
  CHECK(back.manual == p.manual);
  CHECK(back.last_seen == p.last_seen);

  p.status = PresenceStatus::kOnline;
  p.manual.reset();
  CHECK(quik::presence::EncodePresence(p)[2] == '\xff');
  CHECK_FALSE(
      REQUIRE_VALUE(quik::presence::DecodePresence(p.user_id, quik::presence::EncodePresence(p)))
          .manual.has_value());

  // Wrong size, a newer layout and unknown codes are reported, not misread.
  for (std::string bad : {bytes.substr(0, 10), "\x02" + bytes.substr(1),
                          bytes.substr(0, 1) + "\x04" + bytes.substr(2),
                          bytes.substr(0, 2) + "\x07" + bytes.substr(3)}) {
    CHECK_CODE(quik::presence::DecodePresence(p.user_id, bad), StatusCode::kInternal);
  }
}
