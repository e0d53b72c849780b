// SPDX-License-Identifier: MIT
// Threads, mentions and read state (ReadStateService and the post path).
#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "messages/mentions.hpp"
#include "quik/reads.hpp"
#include "service/context.hpp"
#include "unit/testing/service_fixture.hpp"

using quik::StatusCode;
using quik_test::As;

namespace {

quik::ReadState ChannelState(quik_test::ServiceFixture& f, const quik::User& u,
                             const quik::Workspace& ws, const std::string& channel_id) {
  quik::Unreads unreads = REQUIRE_VALUE(f.svc().reads().ListUnreads(As(u), ws.id));
  for (const auto& st : unreads.channels) {
    if (st.channel_id == channel_id) return st;
  }
  FAIL("no read state for channel " << channel_id);
  return {};
}

std::optional<quik::ReadState> ThreadState(quik_test::ServiceFixture& f, const quik::User& u,
                                           const quik::Workspace& ws, const std::string& root) {
  quik::Unreads unreads = REQUIRE_VALUE(f.svc().reads().ListUnreads(As(u), ws.id));
  for (const auto& st : unreads.threads) {
    if (st.thread_root_id == root) return st;
  }
  return std::nullopt;
}

quik::Message Reply(quik_test::ServiceFixture& f, const quik::User& u, const std::string& ch,
                    const std::string& root, const std::string& text, bool broadcast = false) {
  quik::NewMessage m;
  m.text = text;
  m.thread_root_id = root;
  m.reply_broadcast = broadcast;
  return REQUIRE_VALUE(f.messages().Post(As(u), ch, m)).message;
}

}  // namespace

TEST_CASE("mentions: names, local parts, <@ID>, @channel and @here but not e-mail addresses",
          "[mentions]") {
  using quik::messages::ParseMentions;
  std::vector<quik::messages::Mentionable> members = {
      {"U1", "Alice", "alice@example.test"},
      {"U2", "Alice Smith", "asmith@example.test"},
      {"U3", "Bob", "robert.jones@example.test"},
  };
  auto ids = [&](const std::string& text) { return ParseMentions(text, members).user_ids; };
  CHECK(ids("hi @alice") == std::vector<std::string>{"U1"});
  CHECK(ids("hi @ALICE, and @Alice Smith!") == std::vector<std::string>{"U1", "U2"});
  CHECK(ids("@robert.jones: ping") == std::vector<std::string>{"U3"});
  CHECK(ids("@bob.") == std::vector<std::string>{"U3"});
  CHECK(ids("mail bob@example.test or alice@x").empty());
  CHECK(ids("@alicex @bobby").empty());
  CHECK(ids("<@U3> and <@NOTAMEMBER>").empty());  // U3 is not an id-shaped string
  auto p = ParseMentions("@channel and @here", members);
  CHECK(p.channel);
  CHECK(p.here);
  CHECK_FALSE(ParseMentions("@channels @hereafter", members).channel);
  CHECK_FALSE(ParseMentions("@channels @hereafter", members).here);
}

TEST_CASE("threads: replies attach to the root, which carries count, last reply and participants",
          "[threads]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel ch = f.CreateChannel(As(t.owner), t.ws, "general");
  quik::Message root = f.Post(As(t.member), ch.id, "root");
  quik::Message r1 = Reply(f, t.member2, ch.id, root.id, "one");
  quik::Message r2 = Reply(f, t.admin, ch.id, r1.id, "reply to a reply");  // joins the root
  CHECK(r2.thread_root_id == root.id);
  Reply(f, t.member2, ch.id, root.id, "again");
  quik::Message got = REQUIRE_VALUE(f.messages().Get(As(t.member), root.id));
  CHECK(got.reply_count == 3);
  CHECK(got.last_reply_at >= r2.created_at);
  CHECK(got.reply_users == std::vector<std::string>{t.member2.id, t.admin.id});

  // A reply also sent to the channel is listed there; the others are not.
  quik::Message b = Reply(f, t.admin, ch.id, root.id, "for everyone", /*broadcast=*/true);
  CHECK(b.reply_broadcast);
  auto page = REQUIRE_VALUE(f.messages().List(As(t.member), ch.id));
  REQUIRE(page.items.size() == 2);
  CHECK(page.items[0].id == b.id);
  CHECK(page.items[1].id == root.id);

  // Deleting a reply keeps the thread whole and the count right.
  REQUIRE(f.messages().Delete(As(t.member2), r1.id).ok());
  CHECK(REQUIRE_VALUE(f.messages().Get(As(t.member), root.id)).reply_count == 3);
  auto replies = REQUIRE_VALUE(f.messages().ListReplies(As(t.member), root.id));
  CHECK(replies.items.size() == 3);
  // A deleted root with replies stays listed as a tombstone.
  REQUIRE(f.messages().Delete(As(t.member), root.id).ok());
  page = REQUIRE_VALUE(f.messages().List(As(t.member), ch.id));
  REQUIRE(page.items.size() == 2);
  CHECK(page.items[1].deleted_at != 0);
  CHECK(page.items[1].text.empty());

  quik::NewMessage bad;
  bad.text = "x";
  bad.reply_broadcast = true;
  CHECK(f.messages().Post(As(t.member), ch.id, bad).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("read state: unread and mention counts per channel, marking read, own posts", "[reads]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel ch = f.CreateChannel(As(t.owner), t.ws, "general");
  REQUIRE(f.channels().Join(As(t.member), ch.id).ok());
  REQUIRE(f.channels().Join(As(t.member2), ch.id).ok());
  f.Post(As(t.owner), ch.id, "before anyone reads");

  quik::ReadState st = ChannelState(f, t.member, t.ws, ch.id);
  CHECK(st.unread_count == 1);
  CHECK(st.mention_count == 0);

  quik::Message m1 = f.Post(As(t.owner), ch.id, "hey @acme member, look");
  CHECK(m1.mentions == std::vector<std::string>{t.member.id});
  f.Post(As(t.owner), ch.id, "@channel standup");
  f.Post(As(t.owner), ch.id, "plain");
  st = ChannelState(f, t.member, t.ws, ch.id);
  CHECK(st.unread_count == 4);
  CHECK(st.mention_count == 2);
  st = ChannelState(f, t.member2, t.ws, ch.id);
  CHECK(st.mention_count == 1);  // only @channel
  // The author has read their own messages.
  CHECK(ChannelState(f, t.owner, t.ws, ch.id).unread_count == 0);

  st = REQUIRE_VALUE(f.svc().reads().MarkRead(As(t.member), ch.id, m1.id));
  CHECK(st.last_read_id == m1.id);
  CHECK(st.unread_count == 2);
  CHECK(st.mention_count == 1);

  // Posting marks the channel read for the poster.
  f.Post(As(t.member), ch.id, "caught up");
  st = ChannelState(f, t.member, t.ws, ch.id);
  CHECK(st.unread_count == 0);
  CHECK(st.mention_count == 0);

  // A deleted unread message stops counting, mention included.
  quik::Message gone = f.Post(As(t.owner), ch.id, "oops @acme member");
  CHECK(ChannelState(f, t.member, t.ws, ch.id).unread_count == 1);
  REQUIRE(f.messages().Delete(As(t.owner), gone.id).ok());
  st = ChannelState(f, t.member, t.ws, ch.id);
  CHECK(st.unread_count == 0);
  CHECK(st.mention_count == 0);

  // Bad input and permissions.
  CHECK(f.svc().reads().MarkRead(As(t.member), ch.id, "nope").status().code() ==
        StatusCode::kNotFound);
  quik::Channel secret = f.CreateChannel(As(t.owner), t.ws, "secret", /*is_private=*/true);
  quik::Message s1 = f.Post(As(t.owner), secret.id, "hidden");
  CHECK(f.svc().reads().MarkRead(As(t.member), secret.id, s1.id).status().code() ==
        StatusCode::kNotFound);
  CHECK(f.svc().reads().MarkRead(As(t.member), ch.id, s1.id).status().code() ==
        StatusCode::kNotFound);  // a message of a channel they cannot read
  quik::Channel other = f.CreateChannel(As(t.owner), t.ws, "other");
  quik::Message o1 = f.Post(As(t.owner), other.id, "elsewhere");
  CHECK(f.svc().reads().MarkRead(As(t.owner), ch.id, o1.id).status().code() ==
        StatusCode::kInvalidArgument);
  // Readers of a public channel who have not joined it keep no read state.
  CHECK(f.svc().reads().MarkRead(As(t.admin), other.id, o1.id).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(f.svc().reads().ListUnreads(As(t.outsider), t.ws.id).status().code() ==
        StatusCode::kNotFound);
}

TEST_CASE("threads: following, unfollowing and thread unreads", "[reads][threads]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel ch = f.CreateChannel(As(t.owner), t.ws, "general");
  for (const auto* u : {&t.member, &t.member2, &t.admin}) {
    REQUIRE(f.channels().Join(As(*u), ch.id).ok());
  }
  quik::Message root = f.Post(As(t.member), ch.id, "question");
  // Nobody follows before a reply.
  CHECK_FALSE(ThreadState(f, t.member, t.ws, root.id));
  Reply(f, t.member2, ch.id, root.id, "answer, cc @acme admin");
  // The root's author and the mentioned admin follow it with one unread; the
  // replier has read it.
  auto st = ThreadState(f, t.member, t.ws, root.id);
  REQUIRE(st);
  CHECK(st->following);
  CHECK(st->unread_count == 1);
  CHECK(st->mention_count == 0);
  st = ThreadState(f, t.admin, t.ws, root.id);
  REQUIRE(st);
  CHECK(st->unread_count == 1);
  CHECK(st->mention_count == 1);
  st = ThreadState(f, t.member2, t.ws, root.id);
  REQUIRE(st);
  CHECK(st->unread_count == 0);
  // The owner never took part.
  CHECK_FALSE(ThreadState(f, t.owner, t.ws, root.id));
  // Replies do not count in the channel.
  CHECK(ChannelState(f, t.owner, t.ws, ch.id).unread_count == 1);

  quik::ReadState read = REQUIRE_VALUE(f.svc().reads().MarkThreadRead(As(t.admin), root.id));
  CHECK(read.unread_count == 0);
  CHECK(read.mention_count == 0);

  // Unfollowing sticks through later replies; following again works.
  REQUIRE(f.svc().reads().UnfollowThread(As(t.member), root.id).ok());
  Reply(f, t.member2, ch.id, root.id, "more, @acme member");
  CHECK_FALSE(ThreadState(f, t.member, t.ws, root.id));
  st = ThreadState(f, t.admin, t.ws, root.id);
  REQUIRE(st);
  CHECK(st->unread_count == 1);
  quik::ReadState fol = REQUIRE_VALUE(f.svc().reads().FollowThread(As(t.owner), root.id));
  CHECK(fol.following);
  CHECK(fol.unread_count == 0);  // a new follower starts caught up

  // A reply is not a thread root.
  auto replies = REQUIRE_VALUE(f.messages().ListReplies(As(t.owner), root.id));
  CHECK(f.svc().reads().FollowThread(As(t.owner), replies.items[0].id).status().code() ==
        StatusCode::kInvalidArgument);
  // A private channel's thread does not exist for outsiders.
  quik::Channel secret = f.CreateChannel(As(t.owner), t.ws, "secret", true);
  quik::Message s = f.Post(As(t.owner), secret.id, "hidden");
  CHECK(f.svc().reads().FollowThread(As(t.member), s.id).status().code() == StatusCode::kNotFound);
  quik::NewMessage reply;
  reply.text = "sneaky";
  reply.thread_root_id = s.id;
  CHECK(f.messages().Post(As(t.member), secret.id, reply).status().code() == StatusCode::kNotFound);
  // A reply must name a root of the same channel.
  CHECK(f.messages().Post(As(t.member), ch.id, reply).status().code() ==
        StatusCode::kInvalidArgument);
}

// Property: under concurrent posting, reading and deleting, every member's
// counts equal what a simple model computes from the final messages and read
// points (unread = live channel messages after the read point; mentions =
// those of them naming the member or @channel by someone else).
TEST_CASE("read state: counts match a simple model under concurrent posts, reads and deletes",
          "[reads][property]") {
  quik_test::ServiceFixture f;
  quik_test::Team t = f.MakeTeam();
  quik::Channel ch = f.CreateChannel(As(t.owner), t.ws, "general");
  std::vector<quik::User> people = {t.owner, t.admin, t.member, t.member2};
  for (const auto& u : people) (void)f.channels().Join(As(u), ch.id);
  const std::vector<std::string> handles = {"@acme owner", "@acme admin", "@acme member",
                                            "@acme member two"};

  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (std::size_t w = 0; w < people.size(); ++w) {
    threads.emplace_back([&, w] {
      std::mt19937 rng(static_cast<unsigned>(w) * 7919u + 1u);
      std::vector<std::string> mine;
      for (int i = 0; i < 60; ++i) {
        const int op = static_cast<int>(rng() % 10);
        if (op < 5) {
          std::string text = "msg " + std::to_string(i);
          if (rng() % 3 == 0) text += " " + handles[rng() % handles.size()];
          if (rng() % 10 == 0) text += " @channel";
          quik::NewMessage m;
          m.text = text;
          auto posted = f.messages().Post(As(people[w]), ch.id, m);
          if (!posted.ok())
            failed = true;
          else
            mine.push_back(posted->message.id);
        } else if (op < 8) {
          auto page = f.messages().List(As(people[w]), ch.id, {});
          if (!page.ok())
            failed = true;
          else if (!page->items.empty()) {
            const auto& target = page->items[rng() % page->items.size()];
            if (target.deleted_at == 0 &&
                !f.svc().reads().MarkRead(As(people[w]), ch.id, target.id).ok()) {
              failed = true;
            }
          }
        } else if (!mine.empty()) {
          const std::string id = mine[rng() % mine.size()];
          if (!f.messages().Delete(As(people[w]), id).ok()) failed = true;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE_FALSE(failed.load());

  // The model, from the final state: every channel message with its position.
  auto* ctx = quik::internal::ContextOf(f.svc());
  std::vector<quik::Message> all;
  REQUIRE(ctx->store
              ->Read([&](quik::store::Tx& tx) -> quik::Status {
                quik::store::MessageQuery q;
                q.channel_id = ch.id;
                q.limit = 100000;
                QUIK_ASSIGN_OR_RETURN(all, tx.ListMessages(q));
                return quik::Status::Ok();
              })
              .ok());
  // ListMessages leaves out deleted messages without replies: exactly the
  // ones that must not count.
  std::map<std::string, std::int64_t> ordinal_of;
  for (const auto& m : all) ordinal_of[m.id] = m.ordinal;
  for (const auto& u : people) {
    quik::ReadState st = ChannelState(f, u, t.ws, ch.id);
    std::int64_t read_ordinal = 0;
    if (!st.last_read_id.empty()) {
      auto read = REQUIRE_VALUE(f.messages().Get(As(u), st.last_read_id));
      read_ordinal = read.ordinal;
    }
    std::int64_t unread = 0, mentions = 0;
    for (const auto& m : all) {
      if (m.ordinal <= read_ordinal || m.deleted_at != 0) continue;
      ++unread;
      const bool named = std::find(m.mentions.begin(), m.mentions.end(), u.id) != m.mentions.end();
      if (m.user_id != u.id && (named || m.mentions_channel)) ++mentions;
    }
    INFO(u.name << " read " << st.last_read_id << " at " << read_ordinal);
    CHECK(st.unread_count == unread);
    CHECK(st.mention_count == mentions);
  }
}
