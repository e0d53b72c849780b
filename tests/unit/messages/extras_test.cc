// SPDX-License-Identifier: MIT
// MessageService reactions, pins and edit history (messages/reactions.cc,
// pins.cc, edits.cc): rules, limits, events and what reads show.
#include <string>
#include <vector>

#include "quik/json.hpp"
#include "quik/messages.hpp"
#include "unit/testing/service_fixture.hpp"

using quik::StatusCode;
using quik_test::As;
using quik_test::System;

namespace {

const char kThumbsUp[] = "\xF0\x9F\x91\x8D";

// The types of the events after `seq`.
std::vector<std::string> EventTypesAfter(quik_test::ServiceFixture& f, std::int64_t seq) {
  std::vector<std::string> types;
  auto events = REQUIRE_VALUE(f.events().Read(System(), seq, 1000));
  for (const quik::Event& e : events) types.push_back(e.type);
  return types;
}

std::vector<std::string> Emojis(const quik::Message& m) {
  std::vector<std::string> out;
  for (const quik::Reaction& r : m.reactions) out.push_back(r.emoji);
  return out;
}

}  // namespace

TEST_CASE("reactions: counts, users, order of first use, idempotency", "[messages][reactions]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel general = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Message m = f.Post(As(t.member), general.id, "ship it");

  const auto seq = f.LatestSeq();
  auto r1 = REQUIRE_VALUE(f.messages().AddReaction(As(t.member), m.id, ":ThumbsUp:"));
  REQUIRE(r1.reactions.size() == 1);
  CHECK(r1.reactions[0].emoji == "thumbsup");
  CHECK(r1.reactions[0].count == 1);
  CHECK(r1.reactions[0].user_ids == std::vector<std::string>{t.member.id});

  REQUIRE_VALUE(f.messages().AddReaction(As(t.admin), m.id, kThumbsUp));
  REQUIRE_VALUE(f.messages().AddReaction(As(t.admin), m.id, "thumbsup"));
  // Again: a no-op, no event.
  auto again = REQUIRE_VALUE(f.messages().AddReaction(As(t.member), m.id, "thumbsup"));
  CHECK(Emojis(again) == std::vector<std::string>{"thumbsup", kThumbsUp});
  CHECK(again.reactions[0].count == 2);
  CHECK(again.reactions[0].user_ids == std::vector<std::string>{t.member.id, t.admin.id});
  CHECK(again.reactions[1].count == 1);
  CHECK(EventTypesAfter(f, seq) ==
        std::vector<std::string>{"reaction.added", "reaction.added", "reaction.added"});

  // Get, List and ListReplies show them.
  CHECK(Emojis(REQUIRE_VALUE(f.messages().Get(As(t.member2), m.id))) == Emojis(again));
  auto page = REQUIRE_VALUE(f.messages().List(As(t.member2), general.id));
  REQUIRE(page.items.size() == 1);
  CHECK(page.items[0].reactions.size() == 2);
  quik::NewMessage reply;
  reply.text = "a reply";
  reply.thread_root_id = m.id;
  auto posted = REQUIRE_VALUE(f.messages().Post(As(t.admin), general.id, reply));
  REQUIRE_VALUE(f.messages().AddReaction(As(t.member), posted.message.id, "eyes"));
  auto replies = REQUIRE_VALUE(f.messages().ListReplies(As(t.member2), m.id));
  REQUIRE(replies.items.size() == 1);
  CHECK(Emojis(replies.items[0]) == std::vector<std::string>{"eyes"});

  // Removing: the count drops; the last one takes the emoji away.
  auto seq2 = f.LatestSeq();
  auto removed = REQUIRE_VALUE(f.messages().RemoveReaction(As(t.member), m.id, ":thumbsup:"));
  CHECK(removed.reactions[0].count == 1);
  CHECK(removed.reactions[0].user_ids == std::vector<std::string>{t.admin.id});
  removed = REQUIRE_VALUE(f.messages().RemoveReaction(As(t.admin), m.id, "thumbsup"));
  CHECK(Emojis(removed) == std::vector<std::string>{kThumbsUp});
  // Removing one you do not have: a no-op.
  removed = REQUIRE_VALUE(f.messages().RemoveReaction(As(t.member2), m.id, kThumbsUp));
  CHECK(Emojis(removed) == std::vector<std::string>{kThumbsUp});
  CHECK(EventTypesAfter(f, seq2) ==
        std::vector<std::string>{"reaction.removed", "reaction.removed"});

  // The JSON form.
  auto j = quik::ToJson(REQUIRE_VALUE(f.messages().Get(As(t.member), m.id)));
  REQUIRE(j["reactions"].is_array());
  CHECK(j["reactions"][0]["emoji"] == kThumbsUp);
  CHECK(j["reactions"][0]["count"] == 1);
  CHECK(j["reactions"][0]["user_ids"] == nlohmann::json::array({t.admin.id}));
  CHECK_FALSE(quik::ToJson(posted.message).contains("reactions"));
}

TEST_CASE("reactions: who may react, and bad input", "[messages][reactions]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel general = f.CreateChannel(As(t.owner), t.ws, "general");
  quik::Channel secret = f.CreateChannel(As(t.owner), t.ws, "secret", /*is_private=*/true);
  quik::Message pub = f.Post(As(t.owner), general.id, "public");
  quik::Message priv = f.Post(As(t.owner), secret.id, "private");

  // A reader of a public channel who is not in it may react (as in Slack).
  CHECK_OK(f.messages().AddReaction(As(t.member), pub.id, "wave"));
  // Not a reader: the message does not exist.
  CHECK_CODE(f.messages().AddReaction(As(t.member), priv.id, "wave"), StatusCode::kNotFound);
  CHECK_CODE(f.messages().AddReaction(As(t.outsider), pub.id, "wave"), StatusCode::kNotFound);
  CHECK_CODE(f.messages().AddReaction(As(t.guest), pub.id, "wave"), StatusCode::kNotFound);
  CHECK_CODE(f.messages().RemoveReaction(As(t.member), priv.id, "wave"), StatusCode::kNotFound);
  CHECK_CODE(f.messages().AddReaction(As(t.member), "nope", "wave"), StatusCode::kNotFound);
  CHECK_CODE(f.messages().AddReaction(System(), pub.id, "wave"), StatusCode::kInvalidArgument);
  CHECK_CODE(f.messages().AddReaction(As(t.member), pub.id, "two words"),
             StatusCode::kInvalidArgument);

  // Deleted message: 400; archived channel: 403.
  quik::Message gone = f.Post(As(t.owner), general.id, "soon gone");
  REQUIRE_VALUE(f.messages().AddReaction(As(t.member), gone.id, "wave"));
  REQUIRE_VALUE(f.messages().Delete(As(t.owner), gone.id));
  CHECK_CODE(f.messages().AddReaction(As(t.member), gone.id, "wave"), StatusCode::kInvalidArgument);
  CHECK(REQUIRE_VALUE(f.messages().Get(As(t.owner), gone.id)).reactions.empty());
  REQUIRE_VALUE(f.channels().Archive(As(t.owner), general.id));
  CHECK_CODE(f.messages().AddReaction(As(t.member), pub.id, "tada"), StatusCode::kPermissionDenied);
  CHECK_CODE(f.messages().RemoveReaction(As(t.member), pub.id, "wave"),
             StatusCode::kPermissionDenied);
}

TEST_CASE("reactions: at most 50 different emojis on a message", "[messages][reactions]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel general = f.CreateChannel(As(t.owner), t.ws, "general");
  quik::Message m = f.Post(As(t.owner), general.id, "react away");
  const int max = quik::MessageService::kMaxReactionEmojis;
  for (int i = 0; i < max; ++i) {
    REQUIRE_VALUE(f.messages().AddReaction(As(t.owner), m.id, "e" + std::to_string(i)));
  }
  auto over = f.messages().AddReaction(As(t.owner), m.id, "one-too-many");
  REQUIRE_CODE(over, StatusCode::kInvalidArgument);
  CHECK(over.status().message().find("50 different reactions") != std::string::npos);
  // One of those already there is still fine.
  auto same = REQUIRE_VALUE(f.messages().AddReaction(As(t.member), m.id, "e7"));
  CHECK(static_cast<int>(same.reactions.size()) == max);
}

TEST_CASE("pins: pin, list newest first, unpin, events", "[messages][pins]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel general = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Channel other = f.CreateChannel(As(t.member), t.ws, "other");
  quik::Message a = f.Post(As(t.member), general.id, "first");
  quik::Message b = f.Post(As(t.member2), general.id, "second");
  quik::Message elsewhere = f.Post(As(t.member), other.id, "other channel");
  quik::NewMessage reply;
  reply.text = "a reply";
  reply.thread_root_id = a.id;
  quik::Message r = REQUIRE_VALUE(f.messages().Post(As(t.member), general.id, reply)).message;

  const auto seq = f.LatestSeq();
  quik::Pin pa = REQUIRE_VALUE(f.messages().PinMessage(As(t.member), a.id));
  CHECK(pa.channel_id == general.id);
  CHECK(pa.message_id == a.id);
  CHECK(pa.pinned_by == t.member.id);
  CHECK(pa.pinned_at > 0);
  CHECK(pa.message.text == "first");
  // Pinning again: the same pin, no event.
  quik::Pin again = REQUIRE_VALUE(f.messages().PinMessage(As(t.member2), a.id));
  CHECK(again.pinned_by == t.member.id);
  CHECK(again.pinned_at == pa.pinned_at);
  REQUIRE_VALUE(f.messages().AddReaction(As(t.member2), b.id, "star"));
  REQUIRE_VALUE(f.messages().PinMessage(As(t.member2), b.id));
  REQUIRE_VALUE(f.messages().PinMessage(As(t.member2), r.id));  // a reply may be pinned
  REQUIRE_VALUE(f.messages().PinMessage(As(t.member), elsewhere.id));

  auto pins = REQUIRE_VALUE(f.messages().ListPins(As(t.member), general.id));
  REQUIRE(pins.size() == 3);
  CHECK(pins[0].message_id == r.id);  // newest pin first
  CHECK(pins[1].message_id == b.id);
  CHECK(pins[2].message_id == a.id);
  CHECK(pins[1].pinned_by == t.member2.id);
  CHECK(pins[1].message.reactions.size() == 1);
  for (const quik::Pin& p : pins) CHECK(p.channel_id == general.id);  // never another channel's
  auto other_pins = REQUIRE_VALUE(f.messages().ListPins(As(t.member), other.id));
  REQUIRE(other_pins.size() == 1);
  CHECK(other_pins[0].message_id == elsewhere.id);

  CHECK_OK(f.messages().UnpinMessage(As(t.member2), a.id));
  CHECK_OK(f.messages().UnpinMessage(As(t.member2), a.id));  // not pinned: a no-op
  CHECK(REQUIRE_VALUE(f.messages().ListPins(As(t.member), general.id)).size() == 2);
  CHECK(EventTypesAfter(f, seq) == std::vector<std::string>{"pin.added", "reaction.added",
                                                            "pin.added", "pin.added", "pin.added",
                                                            "pin.removed"});

  // Deleting a pinned message unpins it in the same transaction.
  const auto seq2 = f.LatestSeq();
  REQUIRE_VALUE(f.messages().Delete(As(t.member2), b.id));
  CHECK(EventTypesAfter(f, seq2) == std::vector<std::string>{"pin.removed", "message.deleted"});
  pins = REQUIRE_VALUE(f.messages().ListPins(As(t.member), general.id));
  REQUIRE(pins.size() == 1);
  CHECK(pins[0].message_id == r.id);
  CHECK_CODE(f.messages().PinMessage(As(t.member), b.id), StatusCode::kInvalidArgument);
}

TEST_CASE("pins: who may pin", "[messages][pins]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel general = f.CreateChannel(As(t.owner), t.ws, "general");
  quik::Channel secret = f.CreateChannel(As(t.owner), t.ws, "secret", /*is_private=*/true);
  REQUIRE_OK(f.channels().AddMember(System(), general.id, t.guest.id));
  quik::Message pub = f.Post(As(t.owner), general.id, "public");
  quik::Message priv = f.Post(As(t.owner), secret.id, "private");

  // A channel member (a guest too), a workspace admin, the system.
  CHECK_OK(f.messages().PinMessage(As(t.guest), pub.id));
  CHECK_OK(f.messages().UnpinMessage(As(t.admin), pub.id));
  CHECK_OK(f.messages().PinMessage(System(), pub.id));
  // A reader who is not in the channel.
  auto denied = f.messages().PinMessage(As(t.member), pub.id);
  CHECK_CODE(denied, StatusCode::kPermissionDenied);
  CHECK(denied.status().message().find("join") != std::string::npos);
  CHECK_CODE(f.messages().UnpinMessage(As(t.member), pub.id), StatusCode::kPermissionDenied);
  // Not a reader: nothing to see.
  CHECK_CODE(f.messages().PinMessage(As(t.member), priv.id), StatusCode::kNotFound);
  CHECK_CODE(f.messages().PinMessage(As(t.admin), priv.id), StatusCode::kNotFound);
  CHECK_CODE(f.messages().ListPins(As(t.member), secret.id), StatusCode::kNotFound);
  CHECK_CODE(f.messages().PinMessage(As(t.outsider), pub.id), StatusCode::kNotFound);
  CHECK_CODE(f.messages().ListPins(As(t.outsider), general.id), StatusCode::kNotFound);
  // Readers who may not pin may still list.
  CHECK(REQUIRE_VALUE(f.messages().ListPins(As(t.member), general.id)).size() == 1);

  // Archived: read-only.
  REQUIRE_VALUE(f.channels().Archive(As(t.owner), general.id));
  CHECK_CODE(f.messages().UnpinMessage(As(t.owner), pub.id), StatusCode::kPermissionDenied);
  CHECK_CODE(f.messages().PinMessage(As(t.owner), pub.id), StatusCode::kPermissionDenied);
  CHECK(REQUIRE_VALUE(f.messages().ListPins(As(t.owner), general.id)).size() == 1);
}

TEST_CASE("pins: at most 100 in a channel", "[messages][pins]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel general = f.CreateChannel(As(t.owner), t.ws, "general");
  const int max = quik::MessageService::kMaxPinsPerChannel;
  for (int i = 0; i < max; ++i) {
    quik::Message m = f.Post(As(t.owner), general.id, "m" + std::to_string(i));
    REQUIRE_VALUE(f.messages().PinMessage(As(t.owner), m.id));
  }
  quik::Message extra = f.Post(As(t.owner), general.id, "one too many");
  auto over = f.messages().PinMessage(As(t.owner), extra.id);
  REQUIRE_CODE(over, StatusCode::kInvalidArgument);
  CHECK(over.status().message().find("unpin one first") != std::string::npos);
}

TEST_CASE("edit history: recorded per edit, who may read it, purged on delete",
          "[messages][edits]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel general = f.CreateChannel(As(t.owner), t.ws, "general");
  REQUIRE_OK(f.channels().AddMember(System(), general.id, t.member.id));
  quik::Message m = f.Post(As(t.member), general.id, "v1");

  CHECK(REQUIRE_VALUE(f.messages().ListEdits(As(t.member), m.id)).empty());
  REQUIRE_VALUE(f.messages().Edit(As(t.member), m.id, "v2"));
  REQUIRE_VALUE(f.messages().Edit(As(t.admin), m.id, "v3"));  // an admin fixing it
  // Another member may not edit it (and nothing is recorded).
  CHECK_CODE(f.messages().Edit(As(t.member2), m.id, "hijack"), StatusCode::kPermissionDenied);

  auto edits = REQUIRE_VALUE(f.messages().ListEdits(As(t.member), m.id));
  REQUIRE(edits.size() == 2);
  CHECK(edits[0].previous_text == "v1");
  CHECK(edits[0].editor_id == t.member.id);
  CHECK(edits[1].previous_text == "v2");
  CHECK(edits[1].editor_id == t.admin.id);
  CHECK(edits[0].edited_at <= edits[1].edited_at);
  CHECK(edits[0].message_id == m.id);

  CHECK(REQUIRE_VALUE(f.messages().ListEdits(As(t.admin), m.id)).size() == 2);
  CHECK(REQUIRE_VALUE(f.messages().ListEdits(As(t.owner), m.id)).size() == 2);
  CHECK(REQUIRE_VALUE(f.messages().ListEdits(System(), m.id)).size() == 2);
  CHECK_CODE(f.messages().ListEdits(As(t.member2), m.id), StatusCode::kPermissionDenied);
  CHECK_CODE(f.messages().ListEdits(As(t.outsider), m.id), StatusCode::kNotFound);
  CHECK_CODE(f.messages().ListEdits(As(t.member), "bogus"), StatusCode::kNotFound);

  // A private channel's message: the workspace admin outside it sees nothing.
  quik::Channel secret = f.CreateChannel(As(t.member), t.ws, "secret", /*is_private=*/true);
  quik::Message s = f.Post(As(t.member), secret.id, "s1");
  REQUIRE_VALUE(f.messages().Edit(As(t.member), s.id, "s2"));
  CHECK_CODE(f.messages().ListEdits(As(t.admin), s.id), StatusCode::kNotFound);
  CHECK(REQUIRE_VALUE(f.messages().ListEdits(As(t.member), s.id)).size() == 1);

  // Deleting purges the history: the tombstone keeps no text.
  REQUIRE_VALUE(f.messages().Delete(As(t.member), m.id));
  CHECK(REQUIRE_VALUE(f.messages().ListEdits(As(t.member), m.id)).empty());
  CHECK(REQUIRE_VALUE(f.messages().ListEdits(System(), m.id)).empty());
}
