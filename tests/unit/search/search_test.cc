// SPDX-License-Identifier: MIT
// SearchService over a real store: the index follows posts, edits and
// deletes in their own transaction; operators; permissions; snippets; paging;
// order; the migration's backfill of existing messages.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "quik/notifications.hpp"
#include "quik/search.hpp"
#include "store/sqlite.hpp"
#include "store/sqlite_tx.hpp"
#include "unit/testing/service_fixture.hpp"

using quik::StatusCode;
using quik_test::As;
using quik_test::System;

namespace {

struct SearchFixture : quik_test::ServiceFixture {
  using quik_test::ServiceFixture::ServiceFixture;
  quik::Page<quik::SearchHit> Page(const quik::Actor& actor, const std::string& query,
                                   int limit = 100, const std::string& cursor = "",
                                   quik::SearchSort sort = quik::SearchSort::kRecent) {
    quik::SearchRequest r;
    r.query = query;
    r.limit = limit;
    r.cursor = cursor;
    r.sort = sort;
    return REQUIRE_VALUE(svc().search().Search(actor, ws_ref, r));
  }
  // The texts found, in order.
  std::vector<std::string> Texts(const quik::Actor& actor, const std::string& query) {
    std::vector<std::string> out;
    for (const auto& hit : Page(actor, query).items) out.push_back(hit.message.text);
    return out;
  }
  quik::Status Error(const quik::Actor& actor, const std::string& query) {
    quik::SearchRequest r;
    r.query = query;
    return svc().search().Search(actor, ws_ref, r).status();
  }
  // Runs SQL on the database beside the service (another connection), in a
  // transaction that applies the search queue before it commits, as
  // store::Store does (apply_queue = false: as it is).
  void Sql(const std::string& sql, bool apply_queue = true) {
    auto conn = quik::store::Connection::Open(
        data_dir() / "quik.db", quik::store::Connection::Mode::kReadWrite, false, 5000);
    REQUIRE(conn.ok());
    auto st = (*conn)->Exec("BEGIN IMMEDIATE; " + sql);
    INFO(sql << " -> " << st.ToString());
    REQUIRE(st.ok());
    if (apply_queue) {
      auto applied = quik::store::ApplySearchQueue(**conn);
      INFO("ApplySearchQueue -> " << applied.ToString());
      REQUIRE(applied.ok());
    }
    REQUIRE((*conn)->Exec("COMMIT").ok());
  }
  std::int64_t Count(const std::string& sql) {
    auto conn = quik::store::Connection::Open(
        data_dir() / "quik.db", quik::store::Connection::Mode::kReadWrite, false, 5000);
    REQUIRE(conn.ok());
    auto s = (*conn)->PrepareText(sql);
    REQUIRE(s.ok());
    auto row = s->Step();
    REQUIRE(row.ok());
    REQUIRE(*row);
    return s->Int(0);
  }
  std::string ws_ref;
};

quik::Message Reply(SearchFixture& f, const quik::Actor& actor, const quik::Message& root,
                    const std::string& text) {
  quik::NewMessage m;
  m.text = text;
  m.thread_root_id = root.id;
  return REQUIRE_VALUE(f.messages().Post(actor, root.channel_id, m)).message;
}

using Texts = std::vector<std::string>;

}  // namespace

TEST_CASE("search: the index follows posts, edits and deletes", "[search]") {
  SearchFixture f;
  auto t = f.MakeTeam();
  f.ws_ref = t.ws.slug;
  auto general = f.CreateChannel(As(t.owner), t.ws, "general");
  auto m = f.Post(As(t.member), general.id, "the quarterly budget is ready");
  f.Post(As(t.member), general.id, "lunch?");
  CHECK(f.Texts(As(t.member), "budget") == Texts{"the quarterly budget is ready"});

  SECTION("an edit: the old words no longer find it, the new ones do, same place") {
    REQUIRE_OK(f.messages().Edit(As(t.member), m.id, "the yearly forecast is ready"));
    CHECK(f.Texts(As(t.member), "budget").empty());
    CHECK(f.Texts(As(t.member), "forecast") == Texts{"the yearly forecast is ready"});
    CHECK(f.Texts(As(t.member), "ready") == Texts{"the yearly forecast is ready"});
    CHECK(f.Count("SELECT count(*) FROM search_docs") == 2);
  }
  SECTION("a delete takes it out of the index at once") {
    REQUIRE_OK(f.messages().Delete(As(t.member), m.id));
    CHECK(f.Texts(As(t.member), "budget").empty());
    CHECK(f.Texts(As(t.member), "").size() == 1);
    CHECK(f.Count("SELECT count(*) FROM search_docs") == 1);
    f.Sql("INSERT INTO search_fts(search_fts) VALUES('integrity-check')");
  }
  SECTION("deleting the workspace removes its documents") {
    REQUIRE_OK(f.workspaces().Delete(System(), t.ws.id));
    CHECK(f.Count("SELECT count(*) FROM search_docs") == 0);
    CHECK(f.Count("SELECT count(*) FROM search_fts WHERE search_fts MATCH 'budget'") == 0);
    f.Sql("INSERT INTO search_fts(search_fts) VALUES('integrity-check')");
  }
  SECTION("archived channels stay searchable") {
    REQUIRE_OK(f.channels().Archive(As(t.owner), general.id));
    CHECK(f.Texts(As(t.member), "budget").size() == 1);
  }
}

TEST_CASE("search: words, diacritics, phrases, prefixes, exclusions", "[search]") {
  SearchFixture f;
  auto t = f.MakeTeam();
  f.ws_ref = t.ws.id;
  auto ch = f.CreateChannel(As(t.owner), t.ws, "general");
  f.Post(As(t.member), ch.id, "Résumé of the naïve café owner");
  f.Post(As(t.member), ch.id, "deploy to staging went fine");
  f.Post(As(t.member), ch.id, "deploy to production failed");
  f.Post(As(t.member), ch.id, "Straße und Größe");
  f.Post(As(t.member), ch.id, "production deploy: done");
  auto me = As(t.member2);

  CHECK(f.Texts(me, "resume cafe").size() == 1);
  CHECK(f.Texts(me, "RÉSUMÉ").size() == 1);
  CHECK(f.Texts(me, "naive").size() == 1);
  CHECK(f.Texts(me, "größe").size() == 1);
  CHECK(f.Texts(me, "grosse").empty());  // unicode61 folds diacritics, not ß
  CHECK(f.Texts(me, "deploy") == Texts{"production deploy: done", "deploy to production failed",
                                       "deploy to staging went fine"});
  CHECK(f.Texts(me, "\"deploy to production\"") == Texts{"deploy to production failed"});
  CHECK(f.Texts(me, "deploy -staging") ==
        Texts{"production deploy: done", "deploy to production failed"});
  CHECK(f.Texts(me, "deploy -\"to production\"") ==
        Texts{"production deploy: done", "deploy to staging went fine"});
  CHECK(f.Texts(me, "-deploy") == Texts{"Straße und Größe", "Résumé of the naïve café owner"});
  CHECK(f.Texts(me, "prod*") == Texts{"production deploy: done", "deploy to production failed"});
  CHECK(f.Texts(me, "stag* fin*") == Texts{"deploy to staging went fine"});
  CHECK(f.Texts(me, "pr*").size() == 2);
  CHECK_CODE(f.Error(me, "p*"), StatusCode::kInvalidArgument);
  CHECK(f.Texts(me, "deplo").empty());  // whole words unless '*'
  // FTS5 syntax typed by a user is only text: never an error.
  for (const char* q : {"NOT", "AND OR", "NEAR(deploy staging)", "deploy^", "{a b}", "a:b:c:/",
                        "\"\"\"", "'", "*deploy", "-*", "col : x", "(deploy", "deploy)", "\\",
                        "\"deploy\"*\"to\"", "ü*", "— – …"}) {
    quik::SearchRequest r;
    r.query = q;
    auto res = f.svc().search().Search(me, t.ws.id, r);
    INFO(q << " -> " << res.status().ToString());
    CHECK((res.ok() || res.status().code() == StatusCode::kInvalidArgument));
  }
}

TEST_CASE("search: snippets mark the matches and escape the rest", "[search]") {
  SearchFixture f;
  auto t = f.MakeTeam();
  f.ws_ref = t.ws.id;
  auto ch = f.CreateChannel(As(t.owner), t.ws, "general");
  f.Post(As(t.member), ch.id, "<b>Deploy</b> & \"ship\" it's done");
  auto hits = f.Page(As(t.member), "deploy ship").items;
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].snippet ==
        "&lt;b&gt;<mark>Deploy</mark>&lt;/b&gt; &amp; &quot;<mark>ship</mark>&quot; it&#39;s done");
  CHECK(hits[0].message.text == "<b>Deploy</b> & \"ship\" it's done");
  // Without words: the start of the text, escaped.
  hits = f.Page(As(t.member), "in:#general").items;
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].snippet == "&lt;b&gt;Deploy&lt;/b&gt; &amp; &quot;ship&quot; it&#39;s done");
  // A long text: a window around the match with "…".
  std::string long_text;
  for (int i = 0; i < 60; ++i) long_text += "filler" + std::to_string(i) + " ";
  long_text += "needle";
  for (int i = 0; i < 60; ++i) long_text += " tail" + std::to_string(i);
  f.Post(As(t.member), ch.id, long_text);
  hits = f.Page(As(t.member), "needle").items;
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].snippet.find("<mark>needle</mark>") != std::string::npos);
  CHECK(hits[0].snippet.find("\xE2\x80\xA6") != std::string::npos);
  CHECK(hits[0].snippet.size() < 400);
}

TEST_CASE("search: paging has no duplicates or gaps by recency and by relevance", "[search]") {
  SearchFixture f;
  auto t = f.MakeTeam();
  f.ws_ref = t.ws.id;
  auto ch = f.CreateChannel(As(t.owner), t.ws, "general");
  std::vector<std::string> ids;
  for (int i = 0; i < 25; ++i)
    ids.push_back(f.Post(As(t.member), ch.id, "report " + std::to_string(i)).id);

  SECTION("recency: newest first, stable while messages are posted") {
    std::vector<std::string> seen;
    std::string cursor;
    for (int page = 0; page < 10; ++page) {
      auto p = f.Page(As(t.member), "report", 10, cursor);
      for (auto& h : p.items) seen.push_back(h.message.id);
      if (page == 0) f.Post(As(t.member), ch.id, "report late");  // above the cursor
      if (p.next_cursor.empty()) break;
      cursor = p.next_cursor;
    }
    std::vector<std::string> expected(ids.rbegin(), ids.rend());
    CHECK(seen == expected);
  }
  SECTION("relevance: the best match first, offset paging") {
    f.Post(As(t.member), ch.id, "report report report weekly report");
    auto p = f.Page(As(t.member), "report", 10, "", quik::SearchSort::kRelevance);
    REQUIRE(p.items.size() == 10);
    CHECK(p.items[0].message.text == "report report report weekly report");
    std::set<std::string> seen;
    std::string cursor;
    for (int page = 0; page < 10; ++page) {
      auto pg = f.Page(As(t.member), "report", 7, cursor, quik::SearchSort::kRelevance);
      for (auto& h : pg.items) CHECK(seen.insert(h.message.id).second);
      if (pg.next_cursor.empty()) break;
      cursor = pg.next_cursor;
    }
    CHECK(seen.size() == 26);
  }
  SECTION("bad cursors and limits") {
    quik::SearchRequest r;
    r.query = "report";
    r.cursor = "nonsense";
    CHECK_CODE(f.svc().search().Search(As(t.member), t.ws.id, r), StatusCode::kInvalidArgument);
    r.cursor = "o10";  // a relevance cursor with recency
    CHECK_CODE(f.svc().search().Search(As(t.member), t.ws.id, r), StatusCode::kInvalidArgument);
    r.cursor = "";
    r.limit = 1000;  // clamped to 100
    CHECK(REQUIRE_VALUE(f.svc().search().Search(As(t.member), t.ws.id, r)).items.size() == 25);
    r.query = std::string(1001, 'a');
    CHECK_CODE(f.svc().search().Search(As(t.member), t.ws.id, r), StatusCode::kInvalidArgument);
  }
}

TEST_CASE("search: from:, in:, has:, is:", "[search]") {
  SearchFixture f;
  auto t = f.MakeTeam();
  f.ws_ref = t.ws.id;
  auto general = f.CreateChannel(As(t.owner), t.ws, "general");
  auto ops = f.CreateChannel(As(t.owner), t.ws, "ops");
  auto a = f.Post(As(t.member), general.id, "status update from member");
  f.Post(As(t.member2), general.id, "status update from member two");
  f.Post(As(t.owner), ops.id, "status: see https://status.example.com/page");
  f.Post(As(t.owner), ops.id, "plain http mention without a link");

  auto me = As(t.member);
  CHECK(f.Texts(me, "status from:@acme.member").size() == 1);         // email local part
  CHECK(f.Texts(me, "status from:\"acme Member Two\"").size() == 1);  // display name
  CHECK(f.Texts(me, "status from:@ACME.MEMBER").size() == 1);
  CHECK(f.Texts(me, "from:<@" + t.member2.id + ">") == Texts{"status update from member two"});
  CHECK(f.Texts(me, "from:@me") == Texts{"status update from member"});
  CHECK(f.Texts(me, "from:@acme.member from:@acme.member.two").size() == 2);
  CHECK(f.Texts(me, "from:@nobody").empty());
  CHECK(f.Texts(me, "status in:#ops").size() == 1);
  CHECK(f.Texts(me, "in:ops").size() == 2);
  CHECK(f.Texts(me, "in:" + general.id).size() == 2);
  CHECK(f.Texts(me, "in:#OPS in:#general").size() == 4);
  CHECK(f.Texts(me, "in:#nowhere").empty());
  CHECK(f.Texts(me, "has:link") == Texts{"status: see https://status.example.com/page"});
  CHECK(f.Texts(me, "status has:link from:@acme.owner in:#ops").size() == 1);

  SECTION("has:file: a message with a message_files row") {
    f.Sql("INSERT INTO message_files(message_id, file_id, position) VALUES('" + a.id +
          "', 'F1', 0)");
    CHECK(f.Texts(me, "has:file") == Texts{"status update from member"});
    CHECK(f.Texts(me, "status has:file").size() == 1);
    f.Sql("DELETE FROM message_files WHERE message_id = '" + a.id + "'");
    CHECK(f.Texts(me, "has:file").empty());
  }
  SECTION("is:thread: replies and roots with replies") {
    CHECK(f.Texts(me, "is:thread").empty());
    auto r = Reply(f, As(t.member2), a, "a reply in the thread");
    CHECK(f.Texts(me, "is:thread") == Texts{"a reply in the thread", "status update from member"});
    CHECK(f.Texts(me, "status is:thread") == Texts{"status update from member"});
    REQUIRE_OK(f.messages().Delete(As(t.member2), r.id));
    CHECK(f.Texts(me, "is:thread").empty());  // its only reply is gone
  }
}

TEST_CASE("search: dates in the caller's time zone", "[search]") {
  // 2026-01-15T12:00:00Z: already the 16th in UTC+14.
  auto clock = std::make_shared<quik::ManualClock>(1768478400000);
  SearchFixture f([&](quik::Options& o) { o.clock = clock; });
  auto t = f.MakeTeam();
  f.ws_ref = t.ws.id;
  auto ch = f.CreateChannel(As(t.owner), t.ws, "general");
  auto m = f.Post(As(t.member), ch.id, "dated message");
  auto date_of = [](quik::Timestamp ms, int offset_hours) {
    using namespace std::chrono;
    auto days =
        floor<std::chrono::days>(sys_time<milliseconds>(milliseconds(ms)) + hours(offset_hours));
    year_month_day ymd{days};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()),
                  unsigned(ymd.day()));
    return std::string(buf);
  };
  auto shift = [&](int offset_hours, int days) {
    return date_of(m.created_at + std::int64_t{days} * 86400000, offset_hours);
  };
  auto me = As(t.member);
  SECTION("UTC by default") {
    CHECK(f.Texts(me, "on:" + shift(0, 0)).size() == 1);
    CHECK(f.Texts(me, "dated on:" + shift(0, 0)).size() == 1);
    CHECK(f.Texts(me, "on:" + shift(0, -1)).empty());
    CHECK(f.Texts(me, "before:" + shift(0, 0)).empty());  // excludes the day
    CHECK(f.Texts(me, "before:" + shift(0, 1)).size() == 1);
    CHECK(f.Texts(me, "after:" + shift(0, 0)).empty());  // excludes the day
    CHECK(f.Texts(me, "after:" + shift(0, -1)).size() == 1);
    CHECK(f.Texts(me, "after:" + shift(0, -1) + " before:" + shift(0, 1)).size() == 1);
    CHECK(f.Texts(me, "after:" + shift(0, 1) + " before:" + shift(0, -1)).empty());
  }
  SECTION("a time zone from the preferences (UTC+14)") {
    quik::PreferencesPatch patch;
    patch.time_zone = "Pacific/Kiritimati";
    REQUIRE_OK(f.svc().notifications().UpdatePreferences(me, patch));
    CHECK(f.Texts(me, "on:" + shift(14, 0)).size() == 1);
    CHECK(f.Texts(me, "after:" + shift(14, -1) + " before:" + shift(14, 1)).size() == 1);
    REQUIRE(shift(14, 0) == "2026-01-16");
    CHECK(f.Texts(me, "on:" + shift(0, 0)).empty());
  }
}

TEST_CASE("search: only channels the caller may read now", "[search]") {
  SearchFixture f;
  auto t = f.MakeTeam();
  f.ws_ref = t.ws.id;
  auto general = f.CreateChannel(As(t.owner), t.ws, "general");
  auto secret = f.CreateChannel(As(t.owner), t.ws, "secret", true);
  REQUIRE_OK(f.channels().AddMember(As(t.owner), secret.id, t.member.id));
  REQUIRE_OK(f.channels().AddMember(As(t.owner), general.id, t.guest.id));
  auto guestroom = f.CreateChannel(As(t.owner), t.ws, "guestroom");
  REQUIRE_OK(f.channels().AddMember(As(t.owner), guestroom.id, t.guest.id));
  auto lobby = f.CreateChannel(As(t.owner), t.ws, "lobby");
  f.Post(As(t.owner), general.id, "token general");
  f.Post(As(t.owner), secret.id, "token secret");
  f.Post(As(t.owner), guestroom.id, "token guestroom");
  f.Post(As(t.owner), lobby.id, "token lobby");
  auto dm = REQUIRE_VALUE(f.channels().OpenDirect(As(t.member), t.ws.id, {t.member2.id}));
  f.Post(As(t.member), dm.channel.id, "token direct");

  CHECK(f.Texts(As(t.member), "token").size() == 5);
  CHECK(f.Texts(As(t.member2), "token").size() == 4);  // no secret
  CHECK(f.Texts(As(t.admin), "token").size() == 3);    // neither secret nor DM
  auto guest = f.Texts(As(t.guest), "token");
  CHECK(std::set<std::string>(guest.begin(), guest.end()) ==
        std::set<std::string>{"token general", "token guestroom"});
  CHECK(f.Texts(System(), "token").size() == 5);  // the admin view
  CHECK(f.Texts(As(t.member2), "in:#secret").empty());
  CHECK(f.Texts(As(t.admin), "in:#secret token").empty());
  CHECK_CODE(f.Error(As(t.outsider), "token"), StatusCode::kNotFound);

  SECTION("a former member of a private channel no longer finds its messages") {
    REQUIRE_OK(f.channels().Leave(As(t.member), secret.id));
    CHECK(f.Texts(As(t.member), "token").size() == 4);
    CHECK(f.Texts(As(t.member), "in:#secret").empty());
  }
}

TEST_CASE("search: rowids follow created_at, even for messages imported later", "[search]") {
  SearchFixture f;
  auto t = f.MakeTeam();
  f.ws_ref = t.ws.id;
  auto ch = f.CreateChannel(As(t.owner), t.ws, "general");
  f.Post(As(t.member), ch.id, "history new");
  // As an import writes them: old timestamps, after the newer message, two
  // in the same millisecond.
  for (const char* id : {"00000000000000000000000001", "00000000000000000000000002"}) {
    f.Sql(std::string("INSERT INTO messages(id, channel_id, workspace_id, user_id, text, "
                      "created_at) VALUES('") +
          id + "', '" + ch.id + "', '" + t.ws.id + "', '" + t.member.id + "', 'history old " +
          id[25] + "', 1500000000000)");
  }
  CHECK(f.Texts(As(t.member), "history") == Texts{"history new", "history old 2", "history old 1"});
  CHECK(f.Count("SELECT count(DISTINCT rowid) FROM search_docs") == 3);
  CHECK(f.Count("SELECT min(rowid) >> 20 FROM search_docs") == 1500000000000);
  CHECK(f.Texts(As(t.member), "history before:2018-01-01").size() == 2);
}

TEST_CASE("search: migration 9 indexes the messages that already exist", "[search]") {
  SearchFixture f;
  auto t = f.MakeTeam();
  f.ws_ref = t.ws.id;
  auto ch = f.CreateChannel(As(t.owner), t.ws, "general");
  f.Post(As(t.member), ch.id, "older message about kites");
  auto gone = f.Post(As(t.member), ch.id, "deleted message about kites");
  REQUIRE_OK(f.messages().Delete(As(t.member), gone.id));
  f.Post(As(t.member), ch.id, "newer message about kites");
  // Back to a database from before migration 9: the messages, no index.
  f.Sql(
      "DROP TRIGGER search_on_insert; DROP TRIGGER search_on_text; "
      "DROP TRIGGER search_on_replies; DROP TRIGGER search_on_delete; "
      "DROP TRIGGER search_on_file; DROP TRIGGER search_on_unfile; DROP TABLE search_fts; "
      "DROP VIEW search_content; DROP TABLE search_docs; DROP TABLE search_queue; "
      "DELETE FROM schema_migrations WHERE version = 9",
      /*apply_queue=*/false);
  f.Reopen();  // applies migration 9 again (storage.auto_migrate)
  CHECK(f.Texts(As(t.member), "kites") ==
        Texts{"newer message about kites", "older message about kites"});
  f.Post(As(t.member), ch.id, "newest message about kites");
  CHECK(f.Texts(As(t.member), "kites").size() == 3);
  f.Sql("INSERT INTO search_fts(search_fts) VALUES('integrity-check')");
}

TEST_CASE("search: group-committed posts are all indexed, once per commit", "[search]") {
  SearchFixture f;
  auto t = f.MakeTeam();
  f.ws_ref = t.ws.id;
  auto ch = f.CreateChannel(As(t.owner), t.ws, "general");
  constexpr int kPosts = 64;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0, failed = 0;
  for (int i = 0; i < kPosts; ++i) {
    quik::NewMessage m;
    m.text = "batched post " + std::to_string(i);
    // Every 8th fails inside its savepoint (no such thread root): its queued
    // index change must roll back with it.
    if (i % 8 == 7) m.thread_root_id = "01AAAAAAAAAAAAAAAAAAAAAAAA";
    f.messages().PostAsync(As(t.member), ch.id, m, [&](quik::Result<quik::Posted> r) {
      std::lock_guard lock(mu);
      if (!r.ok()) ++failed;
      ++done;
      cv.notify_one();
    });
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done == kPosts; });
  }
  CHECK(failed == kPosts / 8);
  auto page = f.Page(As(t.member), "batched", 100);
  CHECK(page.items.size() == kPosts - kPosts / 8);
  CHECK(f.Count("SELECT count(*) FROM search_queue") == 0);
  f.Sql("INSERT INTO search_fts(search_fts) VALUES('integrity-check')");
}
