// SPDX-License-Identifier: MIT
// MessageService: post, read, edit, delete, idempotency, limits, paging,
// concurrency.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "quik/messages.hpp"
#include "unit/testing/service_fixture.hpp"

using quik::StatusCode;
using quik_test::As;
using quik_test::Repeat;
using quik_test::System;

namespace {

quik::NewMessage Msg(const std::string& text, const std::string& client_msg_id = "") {
  quik::NewMessage m;
  m.text = text;
  m.client_msg_id = client_msg_id;
  return m;
}

bool HasMember(const std::vector<quik::ChannelMember>& members, const std::string& user_id) {
  return std::any_of(members.begin(), members.end(),
                     [&](const quik::ChannelMember& m) { return m.user_id == user_id; });
}

std::vector<std::string> Ids(const std::vector<quik::Message>& messages) {
  std::vector<std::string> ids;
  for (const quik::Message& m : messages) ids.push_back(m.id);
  return ids;
}

// Every message of a channel, following cursors; fails on a runaway loop.
std::vector<quik::Message> ListAll(quik_test::ServiceFixture& f, const quik::Actor& actor,
                                   const std::string& channel, int limit, int max_pages) {
  std::vector<quik::Message> all;
  quik::ListMessagesRequest req;
  req.limit = limit;
  for (int pages = 0;; ++pages) {
    REQUIRE(pages < max_pages);
    auto page = REQUIRE_VALUE(f.messages().List(actor, channel, req));
    all.insert(all.end(), page.items.begin(), page.items.end());
    if (page.next_cursor.empty()) break;
    req.cursor = page.next_cursor;
  }
  return all;
}

}  // namespace

TEST_CASE("messages: post, get and list", "[messages]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel general = f.CreateChannel(As(t.member), t.ws, "general");

  quik::Posted p = REQUIRE_VALUE(f.messages().Post(As(t.member), general.id, Msg("hello world")));
  CHECK(p.created);
  const quik::Message& m = p.message;
  CHECK(m.id.size() == 26);
  CHECK(m.channel_id == general.id);
  CHECK(m.workspace_id == t.ws.id);
  CHECK(m.user_id == t.member.id);
  CHECK(m.text == "hello world");
  CHECK(m.created_at > 0);
  CHECK(m.edited_at == 0);
  CHECK(m.deleted_at == 0);
  CHECK(m.thread_root_id.empty());
  CHECK(m.reply_count == 0);

  quik::Message got = REQUIRE_VALUE(f.messages().Get(As(t.admin), m.id));
  CHECK(got.id == m.id);
  CHECK(got.text == "hello world");
  CHECK(got.user_id == t.member.id);
  CHECK(got.created_at == m.created_at);

  // By "workspace/#name" too.
  quik::Message second = f.Post(As(t.owner), t.ws.slug + "/#general", "second");
  CHECK(second.channel_id == general.id);

  auto page = REQUIRE_VALUE(f.messages().List(As(t.member2), general.id));
  REQUIRE(page.items.size() == 2);
  CHECK(page.items[0].id == second.id);  // newest first
  CHECK(page.items[1].id == m.id);
  CHECK(page.next_cursor.empty());
  CHECK(REQUIRE_VALUE(f.messages().List(System(), t.ws.id + "/#general")).items.size() == 2);

  CHECK_CODE(f.messages().Get(As(t.member), "01ARZ3NDEKTSV4RRFFQ69G5FAV"), StatusCode::kNotFound);
  CHECK_CODE(f.messages().Post(As(t.member), t.ws.slug + "/#nope", Msg("x")),
             StatusCode::kNotFound);
}

TEST_CASE("messages: who may post and read", "[messages]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Channel priv = f.CreateChannel(As(t.member), t.ws, "secret", true);
  quik::Message in_pub = f.Post(As(t.member), pub.id, "public hello");
  quik::Message in_priv = f.Post(As(t.member), priv.id, "private hello");

  SECTION("a member posting in a public channel joins it") {
    REQUIRE_FALSE(
        HasMember(REQUIRE_VALUE(f.channels().ListMembers(System(), pub.id)), t.member2.id));
    quik::Message m = f.Post(As(t.member2), pub.id, "me too");
    CHECK(m.user_id == t.member2.id);
    CHECK(HasMember(REQUIRE_VALUE(f.channels().ListMembers(System(), pub.id)), t.member2.id));
    // Admins and owners too.
    f.Post(As(t.admin), pub.id, "admin here");
    CHECK(HasMember(REQUIRE_VALUE(f.channels().ListMembers(System(), pub.id)), t.admin.id));
  }
  SECTION("a member reads a public channel without joining") {
    CHECK(REQUIRE_VALUE(f.messages().List(As(t.member2), pub.id)).items.size() == 1);
    CHECK_OK(f.messages().Get(As(t.member2), in_pub.id));
    CHECK_FALSE(HasMember(REQUIRE_VALUE(f.channels().ListMembers(System(), pub.id)), t.member2.id));
  }
  SECTION("guests only where added") {
    CHECK_CODE(f.messages().Post(As(t.guest), pub.id, Msg("hi")), StatusCode::kNotFound);
    CHECK_CODE(f.messages().List(As(t.guest), pub.id), StatusCode::kNotFound);
    CHECK_CODE(f.messages().Get(As(t.guest), in_pub.id), StatusCode::kNotFound);
    CHECK_FALSE(HasMember(REQUIRE_VALUE(f.channels().ListMembers(System(), pub.id)), t.guest.id));
    REQUIRE_OK(f.channels().AddMember(As(t.member), pub.id, t.guest.id));
    CHECK_OK(f.messages().Post(As(t.guest), pub.id, Msg("hi")));
    CHECK_OK(f.messages().Get(As(t.guest), in_pub.id));
  }
  SECTION("outsiders see nothing") {
    CHECK_CODE(f.messages().Post(As(t.outsider), pub.id, Msg("hi")), StatusCode::kNotFound);
    CHECK_CODE(f.messages().List(As(t.outsider), pub.id), StatusCode::kNotFound);
    CHECK_CODE(f.messages().Get(As(t.outsider), in_pub.id), StatusCode::kNotFound);
  }
  SECTION("private channels are for their members") {
    for (const quik::User* u : {&t.owner, &t.admin, &t.member2, &t.guest, &t.outsider}) {
      INFO("as " << u->name);
      CHECK_CODE(f.messages().Post(As(*u), priv.id, Msg("let me in")), StatusCode::kNotFound);
      CHECK_CODE(f.messages().List(As(*u), priv.id), StatusCode::kNotFound);
      CHECK_CODE(f.messages().Get(As(*u), in_priv.id), StatusCode::kNotFound);
    }
    CHECK(REQUIRE_VALUE(f.messages().List(As(t.member), priv.id)).items.size() == 1);
    CHECK(REQUIRE_VALUE(f.messages().List(System(), priv.id)).items.size() == 1);
    REQUIRE_OK(f.channels().AddMember(As(t.member), priv.id, t.member2.id));
    CHECK_OK(f.messages().Post(As(t.member2), priv.id, Msg("thanks")));
  }
}

TEST_CASE("messages: edit", "[messages]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Message m = f.Post(As(t.member), pub.id, "first draft");

  quik::Message e = REQUIRE_VALUE(f.messages().Edit(As(t.member), m.id, "second draft"));
  CHECK(e.id == m.id);
  CHECK(e.text == "second draft");
  CHECK(e.edited_at >= m.created_at);
  CHECK(e.edited_at > 0);
  quik::Message got = REQUIRE_VALUE(f.messages().Get(As(t.member2), m.id));
  CHECK(got.text == "second draft");
  CHECK(got.edited_at == e.edited_at);
  CHECK(got.created_at == m.created_at);

  // Someone else's message: members may not, admins and owners may.
  CHECK_CODE(f.messages().Edit(As(t.member2), m.id, "vandalised"), StatusCode::kPermissionDenied);
  CHECK_CODE(f.messages().Edit(As(t.guest), m.id, "vandalised"), StatusCode::kNotFound);
  CHECK_CODE(f.messages().Edit(As(t.outsider), m.id, "vandalised"), StatusCode::kNotFound);
  CHECK(REQUIRE_VALUE(f.messages().Get(System(), m.id)).text == "second draft");
  CHECK(REQUIRE_VALUE(f.messages().Edit(As(t.admin), m.id, "moderated")).text == "moderated");
  CHECK(REQUIRE_VALUE(f.messages().Edit(As(t.owner), m.id, "owned")).text == "owned");

  // The same text rules as posting.
  CHECK_CODE(f.messages().Edit(As(t.member), m.id, ""), StatusCode::kInvalidArgument);
  CHECK_CODE(f.messages().Edit(As(t.member), m.id, std::string(40001, 'x')),
             StatusCode::kInvalidArgument);
  CHECK_CODE(f.messages().Edit(As(t.member), m.id, "bad \xFF"), StatusCode::kInvalidArgument);
  CHECK(REQUIRE_VALUE(f.messages().Get(System(), m.id)).text == "owned");
  CHECK_CODE(f.messages().Edit(As(t.member), "01ARZ3NDEKTSV4RRFFQ69G5FAV", "x"),
             StatusCode::kNotFound);
}

TEST_CASE("messages: delete leaves a tombstone", "[messages]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Message own = f.Post(As(t.member), pub.id, "oops");
  quik::Message others = f.Post(As(t.member2), pub.id, "mine");
  quik::Message third = f.Post(As(t.member2), pub.id, "also mine");

  quik::Message d = REQUIRE_VALUE(f.messages().Delete(As(t.member), own.id));
  CHECK(d.id == own.id);
  CHECK(d.deleted_at != 0);
  CHECK(d.text.empty());
  quik::Message got = REQUIRE_VALUE(f.messages().Get(As(t.member2), own.id));
  CHECK(got.deleted_at != 0);
  CHECK(got.text.empty());
  CHECK(got.user_id == t.member.id);
  CHECK(got.channel_id == pub.id);

  CHECK_CODE(f.messages().Delete(As(t.member), others.id), StatusCode::kPermissionDenied);
  CHECK_CODE(f.messages().Delete(As(t.guest), others.id), StatusCode::kNotFound);
  CHECK_CODE(f.messages().Delete(As(t.outsider), others.id), StatusCode::kNotFound);
  CHECK(REQUIRE_VALUE(f.messages().Get(System(), others.id)).deleted_at == 0);

  quik::Message by_admin = REQUIRE_VALUE(f.messages().Delete(As(t.admin), others.id));
  CHECK(by_admin.deleted_at != 0);
  CHECK(REQUIRE_VALUE(f.messages().Get(System(), others.id)).text.empty());
  CHECK(REQUIRE_VALUE(f.messages().Delete(As(t.owner), third.id)).deleted_at != 0);
}

TEST_CASE("messages: client_msg_id makes posting idempotent", "[messages]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Channel other = f.CreateChannel(As(t.member), t.ws, "random");

  quik::Posted first = REQUIRE_VALUE(f.messages().Post(As(t.member), pub.id, Msg("once", "cid-1")));
  CHECK(first.created);
  CHECK(first.message.client_msg_id == "cid-1");
  quik::Posted again = REQUIRE_VALUE(f.messages().Post(As(t.member), pub.id, Msg("once", "cid-1")));
  CHECK_FALSE(again.created);
  CHECK(again.message.id == first.message.id);
  CHECK(again.message.text == "once");
  // A repeat returns the first message, whatever the new text.
  quik::Posted changed =
      REQUIRE_VALUE(f.messages().Post(As(t.member), pub.id, Msg("different", "cid-1")));
  CHECK_FALSE(changed.created);
  CHECK(changed.message.id == first.message.id);
  CHECK(changed.message.text == "once");

  auto page = REQUIRE_VALUE(f.messages().List(As(t.member), pub.id));
  REQUIRE(page.items.size() == 1);
  CHECK(page.items[0].id == first.message.id);

  // The key is per author and channel.
  quik::Posted by_other =
      REQUIRE_VALUE(f.messages().Post(As(t.member2), pub.id, Msg("once", "cid-1")));
  CHECK(by_other.created);
  CHECK(by_other.message.id != first.message.id);
  quik::Posted elsewhere =
      REQUIRE_VALUE(f.messages().Post(As(t.member), other.id, Msg("once", "cid-1")));
  CHECK(elsewhere.created);
  CHECK(elsewhere.message.id != first.message.id);
  // Without a key, identical texts are distinct messages.
  f.Post(As(t.member), pub.id, "same");
  f.Post(As(t.member), pub.id, "same");
  CHECK(REQUIRE_VALUE(f.messages().List(As(t.member), pub.id)).items.size() == 4);
}

TEST_CASE("messages: concurrent repeats of one client_msg_id make one message", "[messages]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  constexpr int kThreads = 8;
  std::vector<std::string> ids(kThreads);
  std::vector<int> created(kThreads, -1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto r = f.messages().Post(As(t.member), pub.id, Msg("retry storm", "cid-storm"));
      if (r.ok()) {
        ids[static_cast<std::size_t>(i)] = r->message.id;
        created[static_cast<std::size_t>(i)] = r->created ? 1 : 0;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  int num_created = 0;
  for (int i = 0; i < kThreads; ++i) {
    INFO("thread " << i);
    REQUIRE(created[static_cast<std::size_t>(i)] != -1);
    CHECK(ids[static_cast<std::size_t>(i)] == ids[0]);
    num_created += created[static_cast<std::size_t>(i)];
  }
  CHECK(num_created == 1);
  CHECK(REQUIRE_VALUE(f.messages().List(As(t.member), pub.id)).items.size() == 1);
}

TEST_CASE("messages: text must be 1..message_max_chars code points of valid UTF-8", "[messages]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  const int max = f.options().limits.message_max_chars;
  REQUIRE(max == 40000);

  // Exactly the limit, in 1-, 2- and 4-byte code points.
  CHECK_OK(f.messages().Post(As(t.member), pub.id, Msg(std::string(max, 'a'))));
  quik::Message accents = f.Post(As(t.member), pub.id, Repeat("\xC3\xA9", max));  // é
  CHECK(accents.text.size() == 2u * static_cast<unsigned>(max));
  CHECK(REQUIRE_VALUE(f.messages().Get(As(t.member), accents.id)).text == accents.text);
  CHECK_OK(f.messages().Post(As(t.member), pub.id, Msg(Repeat("\xF0\x9F\x98\x80", max))));  // 😀

  // One more is too long.
  CHECK_CODE(f.messages().Post(As(t.member), pub.id, Msg(std::string(max + 1, 'a'))),
             StatusCode::kInvalidArgument);
  CHECK_CODE(f.messages().Post(As(t.member), pub.id, Msg(Repeat("\xC3\xA9", max + 1))),
             StatusCode::kInvalidArgument);
  CHECK_CODE(f.messages().Post(As(t.member), pub.id, Msg(Repeat("\xF0\x9F\x98\x80", max + 1))),
             StatusCode::kInvalidArgument);

  CHECK_CODE(f.messages().Post(As(t.member), pub.id, Msg("")), StatusCode::kInvalidArgument);

  const std::vector<std::string> invalid_utf8 = {
      "\xFF",                     // never valid
      "abc\x80",                  // stray continuation byte
      "\xC3",                     // truncated 2-byte sequence
      "\xE2\x82",                 // truncated 3-byte sequence
      "\xC0\xAF",                 // overlong '/'
      "\xE0\x80\xAF",             // overlong '/', 3 bytes
      "\xED\xA0\x80",             // UTF-16 surrogate U+D800
      "\xF4\x90\x80\x80",         // beyond U+10FFFF
      std::string("ok\xC3(", 4),  // bad continuation
  };
  for (const std::string& text : invalid_utf8) {
    INFO("bytes: " << text.size());
    CHECK_CODE(f.messages().Post(As(t.member), pub.id, Msg(text)), StatusCode::kInvalidArgument);
  }

  // Only the three valid long ones were stored.
  CHECK(REQUIRE_VALUE(f.messages().List(As(t.member), pub.id)).items.size() == 3);
}

TEST_CASE("messages: pagination, newest first", "[messages]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  std::vector<std::string> posted;
  for (int i = 0; i < 120; ++i) {
    posted.push_back(f.Post(As(t.member), pub.id, "message " + std::to_string(i)).id);
  }
  std::vector<std::string> newest_first(posted.rbegin(), posted.rend());

  quik::ListMessagesRequest req;
  req.limit = 50;
  auto p1 = REQUIRE_VALUE(f.messages().List(As(t.member2), pub.id, req));
  REQUIRE(p1.items.size() == 50);
  CHECK(p1.items.front().text == "message 119");
  CHECK_FALSE(p1.next_cursor.empty());
  req.cursor = p1.next_cursor;
  auto p2 = REQUIRE_VALUE(f.messages().List(As(t.member2), pub.id, req));
  REQUIRE(p2.items.size() == 50);
  CHECK_FALSE(p2.next_cursor.empty());
  req.cursor = p2.next_cursor;
  auto p3 = REQUIRE_VALUE(f.messages().List(As(t.member2), pub.id, req));
  REQUIRE(p3.items.size() == 20);
  CHECK(p3.next_cursor.empty());
  CHECK(p3.items.back().text == "message 0");

  std::vector<std::string> all = Ids(p1.items);
  for (const auto* p : {&p2, &p3}) {
    std::vector<std::string> ids = Ids(p->items);
    all.insert(all.end(), ids.begin(), ids.end());
  }
  CHECK(all.size() == 120);
  CHECK(std::set<std::string>(all.begin(), all.end()).size() == 120);
  CHECK(all == newest_first);

  // The helper agrees, with another page size.
  CHECK(Ids(ListAll(f, As(t.member), pub.id, 7, 40)) == newest_first);
}

TEST_CASE("messages: page size is clamped to limits.page_max", "[messages]") {
  quik_test::ServiceFixture f([](quik::Options& o) { o.limits.page_max = 30; });
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  for (int i = 0; i < 45; ++i) f.Post(As(t.member), pub.id, "m" + std::to_string(i));
  quik::ListMessagesRequest req;
  req.limit = 1000;
  auto page = REQUIRE_VALUE(f.messages().List(As(t.member), pub.id, req));
  CHECK(page.items.size() == 30);
  CHECK_FALSE(page.next_cursor.empty());
  CHECK(ListAll(f, As(t.member), pub.id, 1000, 5).size() == 45);
}

TEST_CASE("messages: before and after filters", "[messages]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(f.Post(As(t.member), pub.id, std::to_string(i)).id);

  quik::ListMessagesRequest before;
  before.before = ids[5];
  auto older = REQUIRE_VALUE(f.messages().List(As(t.member), pub.id, before));
  CHECK(Ids(older.items) == std::vector<std::string>{ids[4], ids[3], ids[2], ids[1], ids[0]});
  CHECK(older.next_cursor.empty());

  quik::ListMessagesRequest after;
  after.after = ids[5];
  auto newer = REQUIRE_VALUE(f.messages().List(As(t.member), pub.id, after));
  CHECK(Ids(newer.items) == std::vector<std::string>{ids[9], ids[8], ids[7], ids[6]});

  quik::ListMessagesRequest both;
  both.after = ids[2];
  both.before = ids[6];
  CHECK(Ids(REQUIRE_VALUE(f.messages().List(As(t.member), pub.id, both)).items) ==
        std::vector<std::string>{ids[5], ids[4], ids[3]});

  // Paging within a filter.
  quik::ListMessagesRequest paged;
  paged.before = ids[9];
  paged.limit = 4;
  auto first = REQUIRE_VALUE(f.messages().List(As(t.member), pub.id, paged));
  CHECK(Ids(first.items) == std::vector<std::string>{ids[8], ids[7], ids[6], ids[5]});
  REQUIRE_FALSE(first.next_cursor.empty());
  paged.cursor = first.next_cursor;
  auto second = REQUIRE_VALUE(f.messages().List(As(t.member), pub.id, paged));
  CHECK(Ids(second.items) == std::vector<std::string>{ids[4], ids[3], ids[2], ids[1]});

  quik::ListMessagesRequest at_end;
  at_end.after = ids[9];
  CHECK(REQUIRE_VALUE(f.messages().List(As(t.member), pub.id, at_end)).items.empty());
}

TEST_CASE("messages: replies are not listed at the top level", "[messages]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Message root = f.Post(As(t.member), pub.id, "root");
  quik::NewMessage reply = Msg("reply");
  reply.thread_root_id = root.id;
  quik::Posted r = REQUIRE_VALUE(f.messages().Post(As(t.member2), pub.id, reply));
  CHECK(r.message.thread_root_id == root.id);
  CHECK(REQUIRE_VALUE(f.messages().Get(As(t.member), root.id)).reply_count == 1);
  auto page = REQUIRE_VALUE(f.messages().List(As(t.member), pub.id));
  REQUIRE(page.items.size() == 1);
  CHECK(page.items[0].id == root.id);
  CHECK(page.items[0].reply_count == 1);

  quik::NewMessage orphan = Msg("orphan");
  orphan.thread_root_id = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
  auto bad = f.messages().Post(As(t.member), pub.id, orphan);
  CHECK_FALSE(bad.ok());
}

TEST_CASE("messages: concurrent posting from many threads", "[messages]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::vector<quik::User> authors;
  for (int i = 0; i < kThreads; ++i) {
    quik::User u = f.CreateUser("Poster " + std::to_string(i));
    f.AddMember(t.ws, u, quik::Role::kMember);
    authors.push_back(u);
  }

  std::vector<std::vector<std::string>> ids(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::string> first_error(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto slot = static_cast<std::size_t>(i);
      for (int j = 0; j < kPerThread; ++j) {
        auto r = f.messages().Post(quik::Actor::ForUser(authors[slot].id), pub.id,
                                   Msg("t" + std::to_string(i) + " m" + std::to_string(j)));
        if (r.ok()) {
          ids[slot].push_back(r->message.id);
        } else {
          failures.fetch_add(1);
          if (first_error[slot].empty()) first_error[slot] = r.status().ToString();
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int i = 0; i < kThreads; ++i) {
    INFO("thread " << i << " first error: " << first_error[static_cast<std::size_t>(i)]);
    CHECK(ids[static_cast<std::size_t>(i)].size() == static_cast<std::size_t>(kPerThread));
  }
  REQUIRE(failures.load() == 0);

  std::set<std::string> posted;
  for (const auto& v : ids) posted.insert(v.begin(), v.end());
  CHECK(posted.size() == static_cast<std::size_t>(kThreads * kPerThread));

  std::vector<quik::Message> listed = ListAll(f, As(t.member), pub.id, 200, 20);
  CHECK(listed.size() == static_cast<std::size_t>(kThreads * kPerThread));
  std::vector<std::string> listed_ids = Ids(listed);
  CHECK(std::set<std::string>(listed_ids.begin(), listed_ids.end()) == posted);
  // Newest first throughout.
  for (std::size_t i = 1; i < listed.size(); ++i) {
    if (listed[i - 1].created_at < listed[i].created_at) {
      FAIL_CHECK("out of order at " << i);
      break;
    }
  }
  // Each thread's own messages appear in its posting order, reversed.
  for (int i = 0; i < kThreads; ++i) {
    const auto& mine = ids[static_cast<std::size_t>(i)];
    std::vector<std::string> seen;
    std::set<std::string> mine_set(mine.begin(), mine.end());
    for (const std::string& id : listed_ids) {
      if (mine_set.count(id)) seen.push_back(id);
    }
    CHECK(seen == std::vector<std::string>(mine.rbegin(), mine.rend()));
  }
}

TEST_CASE("messages: a tombstone cannot be edited back to life", "[messages]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Message m = f.Post(As(t.member), pub.id, "regret");
  REQUIRE_OK(f.messages().Delete(As(t.member), m.id));
  for (const quik::User* u : {&t.member, &t.admin}) {
    INFO("as " << u->name);
    auto r = f.messages().Edit(As(*u), m.id, "resurrected");
    INFO(r.status().ToString());
    CHECK_FALSE(r.ok());
  }
  quik::Message got = REQUIRE_VALUE(f.messages().Get(System(), m.id));
  CHECK(got.text.empty());
  CHECK(got.deleted_at != 0);
}

TEST_CASE("messages: archived channels are read-only for edits and deletes too", "[messages]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  quik::Message m = f.Post(As(t.member), pub.id, "frozen");
  quik::NewMessage reply;
  reply.text = "late reply";
  reply.thread_root_id = m.id;
  REQUIRE_OK(f.channels().Archive(As(t.member), pub.id));

  CHECK_CODE(f.messages().Edit(As(t.member), m.id, "thawed"), StatusCode::kPermissionDenied);
  CHECK_CODE(f.messages().Delete(As(t.member), m.id), StatusCode::kPermissionDenied);
  CHECK_CODE(f.messages().Post(As(t.member2), pub.id, reply), StatusCode::kPermissionDenied);
  quik::Message got = REQUIRE_VALUE(f.messages().Get(As(t.member), m.id));
  CHECK(got.text == "frozen");
  CHECK(got.deleted_at == 0);
  CHECK(got.reply_count == 0);
}

TEST_CASE("messages: a malformed cursor is invalid", "[messages]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  f.Post(As(t.member), pub.id, "x");
  quik::ListMessagesRequest req;
  req.cursor = "definitely not a cursor";
  CHECK_CODE(f.messages().List(As(t.member), pub.id, req), StatusCode::kInvalidArgument);
}

TEST_CASE("messages: limits below 1 are clamped", "[messages]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel pub = f.CreateChannel(As(t.member), t.ws, "general");
  for (int i = 0; i < 3; ++i) f.Post(As(t.member), pub.id, "m" + std::to_string(i));
  for (int limit : {0, -5}) {
    INFO("limit " << limit);
    quik::ListMessagesRequest req;
    req.limit = limit;
    auto page = REQUIRE_VALUE(f.messages().List(As(t.member), pub.id, req));
    CHECK_FALSE(page.items.empty());
  }
}

TEST_CASE("messages: PostAsync delivers every result once, durable and in the channel",
          "[messages]") {
  quik_test::ServiceFixture f;
  auto t = f.MakeTeam();
  auto general = f.channels().Create(quik_test::As(t.owner), t.ws.id, {"async", false, ""});
  REQUIRE(general.ok());
  constexpr int kPosts = 300;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  std::vector<std::string> ids;
  std::vector<quik::Status> errors;
  auto on_done = [&](quik::Result<quik::Posted> r) {
    std::lock_guard lock(mu);
    if (r.ok()) {
      ids.push_back(r->message.id);
    } else {
      errors.push_back(r.status());
    }
    ++done;
    cv.notify_all();
  };
  for (int i = 0; i < kPosts; ++i) {
    f.messages().PostAsync(quik_test::As(t.member), general->id,
                           {"async " + std::to_string(i), "k" + std::to_string(i), ""}, on_done);
  }
  // Bad input fails through the callback too, with the same codes as Post.
  f.messages().PostAsync(quik_test::As(t.member), general->id, {"", "", ""}, on_done);
  f.messages().PostAsync(quik_test::As(t.outsider), general->id, {"no", "", ""}, on_done);
  {
    std::unique_lock lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return done == kPosts + 2; }));
  }
  REQUIRE(errors.size() == 2);
  std::vector<quik::StatusCode> codes{errors[0].code(), errors[1].code()};
  std::sort(codes.begin(), codes.end());
  CHECK(codes == std::vector<quik::StatusCode>{quik::StatusCode::kInvalidArgument,
                                               quik::StatusCode::kNotFound});
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == kPosts);
  quik::ListMessagesRequest req;
  req.limit = 200;
  size_t listed = 0;
  for (;;) {
    auto page = f.messages().List(quik_test::As(t.member), general->id, req);
    REQUIRE(page.ok());
    listed += page->items.size();
    if (page->next_cursor.empty()) break;
    req.cursor = page->next_cursor;
  }
  CHECK(listed == kPosts);
  // A repeat of a client_msg_id through PostAsync returns the first message.
  std::promise<quik::Result<quik::Posted>> again;
  f.messages().PostAsync(quik_test::As(t.member), general->id, {"async 0", "k0", ""},
                         [&](quik::Result<quik::Posted> r) { again.set_value(std::move(r)); });
  auto repeat = again.get_future().get();
  REQUIRE(repeat.ok());
  CHECK_FALSE(repeat->created);
}
