// SPDX-License-Identifier: MIT
// MessageService threads: posting replies and MessageService::ListReplies
// (oldest first, paged, only for those who may read the channel).
#include <set>
#include <string>
#include <vector>

#include "quik/channels.hpp"
#include "quik/messages.hpp"
#include "unit/testing/service_fixture.hpp"

using quik::StatusCode;
using quik_test::As;
using quik_test::System;

namespace {

quik::Message Reply(quik_test::ServiceFixture& f, const quik::Actor& actor,
                    const std::string& channel, const std::string& root_id,
                    const std::string& text) {
  quik::NewMessage m;
  m.text = text;
  m.thread_root_id = root_id;
  return REQUIRE_VALUE(f.messages().Post(actor, channel, m)).message;
}

std::vector<std::string> Ids(const std::vector<quik::Message>& messages) {
  std::vector<std::string> ids;
  for (const quik::Message& m : messages) ids.push_back(m.id);
  return ids;
}

quik::PageRequest PageOf(int limit, const std::string& cursor = "") {
  quik::PageRequest p;
  p.limit = limit;
  p.cursor = cursor;
  return p;
}

// Every reply of a thread, following cursors; fails on a runaway loop.
std::vector<quik::Message> AllReplies(quik_test::ServiceFixture& f, const quik::Actor& actor,
                                      const std::string& root_id, int limit, int max_pages) {
  std::vector<quik::Message> all;
  quik::PageRequest req = PageOf(limit);
  for (int pages = 0;; ++pages) {
    REQUIRE(pages < max_pages);
    auto page = REQUIRE_VALUE(f.messages().ListReplies(actor, root_id, req));
    REQUIRE(static_cast<int>(page.items.size()) <= limit);
    all.insert(all.end(), page.items.begin(), page.items.end());
    if (page.next_cursor.empty()) break;
    req.cursor = page.next_cursor;
  }
  return all;
}

}  // namespace

TEST_CASE("replies: listed oldest first under their root", "[messages][replies]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Message root = f.Post(As(t.member), pub.id, "lunch?");
  quik::Message other_root = f.Post(As(t.member), pub.id, "another topic");

  std::vector<std::string> posted;
  const quik::User* authors[] = {&t.member2, &t.admin, &t.member, &t.owner, &t.member2};
  for (int i = 0; i < 5; ++i) {
    quik::Message r = Reply(f, As(*authors[i]), pub.id, root.id, "reply " + std::to_string(i));
    CHECK(r.thread_root_id == root.id);
    CHECK(r.channel_id == pub.id);
    posted.push_back(r.id);
  }
  Reply(f, As(t.member), pub.id, other_root.id, "elsewhere");

  auto page = REQUIRE_VALUE(f.messages().ListReplies(As(t.member2), root.id));
  CHECK(Ids(page.items) == posted);
  CHECK(page.next_cursor.empty());
  REQUIRE(page.items.size() == 5);
  CHECK(page.items.front().text == "reply 0");
  CHECK(page.items.back().text == "reply 4");
  for (const quik::Message& r : page.items) CHECK(r.thread_root_id == root.id);
  CHECK(REQUIRE_VALUE(f.messages().Get(As(t.member), root.id)).reply_count == 5);

  // The channel's list shows the roots only.
  auto top = REQUIRE_VALUE(f.messages().List(As(t.member), pub.id));
  CHECK(Ids(top.items) == std::vector<std::string>{other_root.id, root.id});

  // A root without replies: an empty last page.
  quik::Message lonely = f.Post(As(t.member), pub.id, "anyone?");
  auto none = REQUIRE_VALUE(f.messages().ListReplies(As(t.member), lonely.id));
  CHECK(none.items.empty());
  CHECK(none.next_cursor.empty());
}

TEST_CASE("replies: pagination with a cursor", "[messages][replies]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Message root = f.Post(As(t.member), pub.id, "root");
  std::vector<std::string> posted;
  for (int i = 0; i < 23; ++i) {
    posted.push_back(Reply(f, As(t.member2), pub.id, root.id, "r" + std::to_string(i)).id);
  }

  auto p1 = REQUIRE_VALUE(f.messages().ListReplies(As(t.member), root.id, PageOf(10)));
  REQUIRE(p1.items.size() == 10);
  CHECK(p1.items.front().text == "r0");
  CHECK_FALSE(p1.next_cursor.empty());
  auto p2 =
      REQUIRE_VALUE(f.messages().ListReplies(As(t.member), root.id, PageOf(10, p1.next_cursor)));
  REQUIRE(p2.items.size() == 10);
  CHECK(p2.items.front().text == "r10");
  CHECK_FALSE(p2.next_cursor.empty());
  auto p3 =
      REQUIRE_VALUE(f.messages().ListReplies(As(t.member), root.id, PageOf(10, p2.next_cursor)));
  REQUIRE(p3.items.size() == 3);
  CHECK(p3.items.back().text == "r22");
  CHECK(p3.next_cursor.empty());

  std::vector<std::string> all = Ids(p1.items);
  for (const auto* p : {&p2, &p3}) {
    std::vector<std::string> ids = Ids(p->items);
    all.insert(all.end(), ids.begin(), ids.end());
  }
  CHECK(all == posted);
  CHECK(std::set<std::string>(all.begin(), all.end()).size() == 23);
  CHECK(Ids(AllReplies(f, As(t.admin), root.id, 7, 10)) == posted);
  // An exact multiple of the page size ends with an empty next_cursor too.
  CHECK(Ids(AllReplies(f, As(t.admin), root.id, 23, 3)) == posted);

  // A cursor stays valid as the thread grows: the next page has the new reply.
  quik::Message late = Reply(f, As(t.member), pub.id, root.id, "late");
  auto after_last =
      REQUIRE_VALUE(f.messages().ListReplies(As(t.member), root.id, PageOf(10, posted.back())));
  CHECK(Ids(after_last.items) == std::vector<std::string>{late.id});

  // Limits are clamped to 1..page_max.
  auto one = REQUIRE_VALUE(f.messages().ListReplies(As(t.member), root.id, PageOf(0)));
  CHECK(one.items.size() == 1);
  CHECK(one.next_cursor == posted.front());
  CHECK(REQUIRE_VALUE(f.messages().ListReplies(As(t.member), root.id, PageOf(-5))).items.size() ==
        1);

  CHECK_CODE(f.messages().ListReplies(As(t.member), root.id, PageOf(10, "not a cursor")),
             StatusCode::kInvalidArgument);
}

TEST_CASE("replies: page size is clamped to limits.page_max", "[messages][replies]") {
  quik_test::ServiceFixture f([](quik::Options& o) { o.limits.page_max = 4; });
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Message root = f.Post(As(t.member), pub.id, "root");
  for (int i = 0; i < 6; ++i) Reply(f, As(t.member), pub.id, root.id, "r" + std::to_string(i));
  auto page = REQUIRE_VALUE(f.messages().ListReplies(As(t.member), root.id, PageOf(100)));
  CHECK(page.items.size() == 4);
  CHECK_FALSE(page.next_cursor.empty());
}

TEST_CASE("replies: a reply to a reply joins the root's thread", "[messages][replies]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Message root = f.Post(As(t.member), pub.id, "root");
  quik::Message r1 = Reply(f, As(t.member2), pub.id, root.id, "first");
  quik::Message r2 = Reply(f, As(t.member), pub.id, r1.id, "answering first");
  CHECK(r2.thread_root_id == root.id);
  CHECK(REQUIRE_VALUE(f.messages().Get(As(t.member), root.id)).reply_count == 2);
  CHECK(REQUIRE_VALUE(f.messages().Get(As(t.member), r1.id)).reply_count == 0);
  CHECK(Ids(REQUIRE_VALUE(f.messages().ListReplies(As(t.member), root.id)).items) ==
        std::vector<std::string>{r1.id, r2.id});

  // A reply is not a thread root: the error names the root to ask for.
  auto of_reply = f.messages().ListReplies(As(t.member), r1.id);
  CHECK_CODE(of_reply, StatusCode::kInvalidArgument);
  CHECK(of_reply.status().message().find(root.id) != std::string::npos);
}

TEST_CASE("replies: the root must be a message of the same channel", "[messages][replies]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel a = f.CreateChannel(As(t.member), t.ws, "alpha");
  quik::Channel b = f.CreateChannel(As(t.member), t.ws, "beta");
  quik::Message root = f.Post(As(t.member), a.id, "root in alpha");

  for (const std::string& bad_root :
       {root.id, std::string("01ARZ3NDEKTSV4RRFFQ69G5FAV"), std::string("nonsense")}) {
    INFO("thread_root_id " << bad_root);
    quik::NewMessage m;
    m.text = "misplaced";
    m.thread_root_id = bad_root;
    CHECK_CODE(f.messages().Post(As(t.member), b.id, m), StatusCode::kInvalidArgument);
  }
  CHECK(REQUIRE_VALUE(f.messages().Get(As(t.member), root.id)).reply_count == 0);
  CHECK(REQUIRE_VALUE(f.messages().List(As(t.member), b.id)).items.empty());
  CHECK(REQUIRE_VALUE(f.messages().ListReplies(As(t.member), root.id)).items.empty());
}

TEST_CASE("replies: only those who may read the channel see them", "[messages][replies]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Channel priv = f.CreateChannel(As(t.member), t.ws, "secret", true);
  quik::Message pub_root = f.Post(As(t.member), pub.id, "public root");
  Reply(f, As(t.member), pub.id, pub_root.id, "public reply");
  quik::Message priv_root = f.Post(As(t.member), priv.id, "private root");
  Reply(f, As(t.member), priv.id, priv_root.id, "private reply");

  // Public: every non-guest member, joined or not, and the system.
  for (const quik::User* u : {&t.owner, &t.admin, &t.member, &t.member2}) {
    INFO("as " << u->name);
    CHECK(REQUIRE_VALUE(f.messages().ListReplies(As(*u), pub_root.id)).items.size() == 1);
  }
  CHECK(REQUIRE_VALUE(f.messages().ListReplies(System(), pub_root.id)).items.size() == 1);
  CHECK_CODE(f.messages().ListReplies(As(t.guest), pub_root.id), StatusCode::kNotFound);
  CHECK_CODE(f.messages().ListReplies(As(t.outsider), pub_root.id), StatusCode::kNotFound);

  // Private: its members only.
  CHECK(REQUIRE_VALUE(f.messages().ListReplies(As(t.member), priv_root.id)).items.size() == 1);
  for (const quik::User* u : {&t.owner, &t.admin, &t.member2, &t.guest, &t.outsider}) {
    INFO("as " << u->name);
    CHECK_CODE(f.messages().ListReplies(As(*u), priv_root.id), StatusCode::kNotFound);
  }
  // A guest added to the channel reads its threads.
  REQUIRE_OK(f.channels().AddMember(As(t.member), priv.id, t.guest.id));
  CHECK(REQUIRE_VALUE(f.messages().ListReplies(As(t.guest), priv_root.id)).items.size() == 1);

  // No such message (malformed ids too): not found.
  CHECK_CODE(f.messages().ListReplies(As(t.member), "01ARZ3NDEKTSV4RRFFQ69G5FAV"),
             StatusCode::kNotFound);
  CHECK_CODE(f.messages().ListReplies(As(t.member), "nonsense"), StatusCode::kNotFound);
}

TEST_CASE("replies: deleted replies are left out, a deleted root keeps its thread",
          "[messages][replies]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Message root = f.Post(As(t.member), pub.id, "root");
  quik::Message r1 = Reply(f, As(t.member2), pub.id, root.id, "keep");
  quik::Message r2 = Reply(f, As(t.member2), pub.id, root.id, "oops");
  quik::Message r3 = Reply(f, As(t.member), pub.id, root.id, "keep too");

  REQUIRE_OK(f.messages().Delete(As(t.member2), r2.id));
  CHECK(Ids(REQUIRE_VALUE(f.messages().ListReplies(As(t.member), root.id)).items) ==
        std::vector<std::string>{r1.id, r3.id});

  REQUIRE_OK(f.messages().Delete(As(t.member), root.id));
  CHECK(Ids(REQUIRE_VALUE(f.messages().ListReplies(As(t.member2), root.id)).items) ==
        std::vector<std::string>{r1.id, r3.id});
}

TEST_CASE("replies: threads in a DM are for its members", "[messages][replies][dms]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel dm = REQUIRE_VALUE(f.channels().OpenDirect(As(t.member), t.ws.id,
                                                           std::vector<std::string>{t.member2.id}))
                         .channel;
  quik::Message root = f.Post(As(t.member), dm.id, "psst");
  quik::Message r = Reply(f, As(t.member2), dm.id, root.id, "yes?");
  CHECK(Ids(REQUIRE_VALUE(f.messages().ListReplies(As(t.member), root.id)).items) ==
        std::vector<std::string>{r.id});
  for (const quik::User* u : {&t.owner, &t.admin, &t.guest, &t.outsider}) {
    INFO("as " << u->name);
    CHECK_CODE(f.messages().ListReplies(As(*u), root.id), StatusCode::kNotFound);
    quik::NewMessage m;
    m.text = "butting in";
    m.thread_root_id = root.id;
    CHECK_CODE(f.messages().Post(As(*u), dm.id, m), StatusCode::kNotFound);
  }
}
