// SPDX-License-Identifier: MIT
// Export and import (quik/transfer.hpp): a workspace built through the
// services round-trips into an empty data dir, imports are idempotent and
// resumable, bad input is refused with FILE:LINE, and only admins export.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "quik/channels.hpp"
#include "quik/events.hpp"
#include "quik/files.hpp"
#include "quik/messages.hpp"
#include "quik/reads.hpp"
#include "quik/search.hpp"
#include "quik/transfer.hpp"
#include "quik/users.hpp"
#include "quik/workspaces.hpp"
#include "service/context.hpp"
#include "transfer/export_lines.hpp"
#include "transfer/import_writer.hpp"
#include "unit/testing/service_fixture.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using quik_test::As;
using quik_test::ServiceFixture;
using quik_test::System;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Lines(const fs::path& p) {
  std::vector<std::string> out;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

void WriteLines(const fs::path& p, const std::vector<std::string>& lines, std::string tail = "") {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  for (const auto& l : lines) out << l << '\n';
  out << tail;
}

// The source workspace: owner alice, admin bob, member carol (deactivated
// later), member dave; #general (public, topic), #secret (private), #old
// (archived), a DM alice-bob, a group DM; a thread with replies, reactions,
// a pin, a file, an edited message, non-ASCII text.
struct Source {
  ServiceFixture fx;
  quik::User alice, bob, carol, dave;
  quik::Workspace ws;
  quik::File file;
  std::string root_id;

  Source() {
    alice = fx.CreateUser("Alice", "Alice@Acme.test");
    bob = fx.CreateUser("Bob");
    carol = fx.CreateUser("Carol");
    dave = fx.CreateUser("Dåve Ünïcode", "dave@example.test");
    ws = fx.CreateWorkspace(As(alice), "Acme Corp", "acme");
    fx.AddMember(ws, bob, quik::Role::kAdmin);
    fx.AddMember(ws, carol, quik::Role::kMember);
    fx.AddMember(ws, dave, quik::Role::kGuest);
    auto general = fx.CreateChannel(As(alice), ws, "general", false, "Company-wide ☕");
    REQUIRE_OK(fx.channels().Join(As(bob), general.id));
    REQUIRE_OK(fx.channels().Join(As(carol), general.id));
    REQUIRE_OK(fx.channels().AddMember(As(alice), general.id, dave.id));
    auto secret = fx.CreateChannel(As(bob), ws, "secret", true);
    REQUIRE_OK(fx.channels().AddMember(As(bob), secret.id, carol.id));
    auto old = fx.CreateChannel(As(alice), ws, "old");
    fx.Post(As(alice), old.id, "before the archive");
    REQUIRE_VALUE(fx.channels().Archive(As(alice), old.id));
    auto dm = REQUIRE_VALUE(fx.channels().OpenDirect(As(alice), ws.id, {bob.id}));
    auto group = REQUIRE_VALUE(fx.channels().OpenDirect(As(alice), ws.id, {bob.id, carol.id}));

    auto root = fx.Post(As(alice), general.id, "Grüße aus Köln — release plan 🚀");
    root_id = root.id;
    for (int i = 0; i < 3; ++i) {
      quik::NewMessage reply;
      reply.text = "reply " + std::to_string(i) + " from " + (i % 2 ? "bob" : "carol");
      reply.thread_root_id = root.id;
      reply.reply_broadcast = i == 2;
      REQUIRE_VALUE(fx.messages().Post(As(i % 2 ? bob : carol), general.id, reply));
    }
    auto edited = fx.Post(As(bob), general.id, "typo herre", "cli-123");
    REQUIRE_VALUE(fx.messages().Edit(As(bob), edited.id, "typo here"));
    REQUIRE_VALUE(fx.messages().AddReaction(As(bob), root.id, "thumbsup"));
    REQUIRE_VALUE(fx.messages().AddReaction(As(carol), root.id, "thumbsup"));
    REQUIRE_VALUE(fx.messages().AddReaction(As(carol), root.id, "\xF0\x9F\x8E\x89"));
    REQUIRE_VALUE(fx.messages().PinMessage(As(bob), root.id));
    file = REQUIRE_VALUE(
        fx.svc().files().UploadBytes(As(carol), ws.id, "notes.txt", "meeting notes: ünïcode\n"));
    quik::NewMessage with_file;
    with_file.text = "the notes";
    with_file.file_ids = {file.id};
    REQUIRE_VALUE(fx.messages().Post(As(carol), general.id, with_file));
    fx.Post(As(carol), secret.id, "private matter");
    auto gone = fx.Post(As(carol), secret.id, "deleted later");
    REQUIRE_VALUE(fx.messages().Delete(As(carol), gone.id));
    fx.Post(As(alice), dm.channel.id, "psst, bob");
    fx.Post(As(bob), dm.channel.id, "yes?");
    fx.Post(As(carol), group.channel.id, "group hello");
    REQUIRE_VALUE(fx.users().Deactivate(System(), carol.id));
  }
};

// A service's view of workspace `slug`, with ids replaced by natural keys
// (emails, channel names, message texts): equal across data dirs exactly when
// the content is.
json Snapshot(quik::Service& svc, const std::string& slug) {
  json out;
  auto ws = REQUIRE_VALUE(svc.workspaces().Get(System(), slug));
  out["workspace"] = {{"name", ws.name}, {"slug", ws.slug}};
  std::map<std::string, std::string> email;  // user id -> email
  auto email_of = [&](const std::string& id) -> std::string {
    if (id.empty()) return "";
    if (!email.count(id)) {
      auto u = svc.users().Get(System(), id);
      email[id] = u.ok() ? u->email : "?" + id;
    }
    return email[id];
  };
  auto members = REQUIRE_VALUE(svc.workspaces().ListMembers(System(), ws.id, {1000, ""}));
  json users = json::array();
  for (const auto& m : members.items) {
    auto u = REQUIRE_VALUE(svc.users().Get(System(), m.user_id));
    users.push_back({{"email", u.email},
                     {"name", u.name},
                     {"active", u.active},
                     {"role", quik::RoleName(m.role)}});
  }
  std::sort(users.begin(), users.end());
  out["members"] = users;

  quik::ListChannelsRequest all;
  all.include_archived = true;
  auto channels = REQUIRE_VALUE(svc.channels().List(System(), ws.id, all));
  json chans = json::object();
  std::map<std::string, std::string> text_of;  // message id -> text, for pins
  for (const auto& c : channels) {
    json cj;
    auto cms = REQUIRE_VALUE(svc.channels().ListMembers(System(), c.id));
    std::vector<std::string> people;
    for (const auto& cm : cms) people.push_back(email_of(cm.user_id));
    std::sort(people.begin(), people.end());
    std::string key = c.is_private() && c.kind != quik::ChannelKind::kPrivate
                          ? std::string(quik::ChannelKindName(c.kind)) + ":" + json(people).dump()
                          : c.name;
    cj["kind"] = quik::ChannelKindName(c.kind);
    cj["topic"] = c.topic;
    cj["archived"] = c.archived;
    cj["members"] = people;
    cj["created_at"] = c.created_at;
    json msgs = json::array();
    std::vector<quik::Message> top;
    for (std::string cursor;;) {
      quik::ListMessagesRequest req;
      req.limit = 100;
      req.cursor = cursor;
      auto page = REQUIRE_VALUE(svc.messages().List(System(), c.id, req));
      for (auto& m : page.items) top.push_back(m);
      if (page.next_cursor.empty()) break;
      cursor = page.next_cursor;
    }
    auto describe = [&](const quik::Message& m) {
      json reactions = json::array();
      for (const auto& r : m.reactions) {
        std::vector<std::string> who;
        for (const auto& id : r.user_ids) who.push_back(email_of(id));
        reactions.push_back({{"emoji", r.emoji}, {"users", who}});
      }
      json files = json::array();
      for (const auto& f : m.files) {
        files.push_back({{"name", f.name},
                         {"size", f.size},
                         {"sha256", f.sha256},
                         {"content_type", f.content_type},
                         {"uploader", email_of(f.user_id)}});
      }
      std::vector<std::string> reply_users;
      for (const auto& id : m.reply_users) reply_users.push_back(email_of(id));
      text_of[m.id] = m.text;
      return json{{"author", email_of(m.user_id)},
                  {"text", m.text},
                  {"created_at", m.created_at},
                  {"edited_at", m.edited_at},
                  {"client_msg_id", m.client_msg_id},
                  {"reply_count", m.reply_count},
                  {"reply_users", reply_users},
                  {"last_reply_at", m.last_reply_at},
                  {"reply_broadcast", m.reply_broadcast},
                  {"thread_root", m.thread_root_id.empty() ? "" : text_of[m.thread_root_id]},
                  {"reactions", reactions},
                  {"files", files}};
    };
    // Oldest first, so a broadcast reply's root is described before it.
    std::reverse(top.begin(), top.end());
    for (const auto& m : top) {
      json mj = describe(m);
      if (m.thread_root_id.empty() && m.reply_count > 0) {
        auto replies = REQUIRE_VALUE(svc.messages().ListReplies(System(), m.id, {100, ""}));
        json rj = json::array();
        for (const auto& r : replies.items) rj.push_back(describe(r));
        mj["replies"] = rj;
      }
      msgs.push_back(mj);
    }
    cj["messages"] = msgs;
    auto pins = REQUIRE_VALUE(svc.messages().ListPins(System(), c.id));
    json pj = json::array();
    for (const auto& p : pins) {
      pj.push_back({{"text", p.message.text},
                    {"pinned_by", email_of(p.pinned_by)},
                    {"pinned_at", p.pinned_at}});
    }
    cj["pins"] = pj;
    chans[key] = cj;
  }
  out["channels"] = chans;
  auto files = REQUIRE_VALUE(svc.files().List(System(), ws.id, {1000, ""}));
  json fj = json::array();
  for (const auto& f : files.items) {
    fj.push_back({{"name", f.name},
                  {"size", f.size},
                  {"sha256", f.sha256},
                  {"content_type", f.content_type},
                  {"uploader", email_of(f.user_id)},
                  {"created_at", f.created_at}});
  }
  std::sort(fj.begin(), fj.end());
  out["files"] = fj;
  return out;
}

std::int64_t Count(const quik::ImportReport& r, const std::string& kind, const char* what) {
  auto it = r.kinds.find(kind);
  if (it == r.kinds.end()) return 0;
  if (std::string(what) == "imported") return it->second.imported;
  if (std::string(what) == "existing") return it->second.existing;
  return it->second.skipped;
}

std::int64_t Total(const quik::ImportReport& r, const char* what) {
  std::int64_t n = 0;
  for (const auto& [kind, c] : r.kinds) n += Count(r, kind, what);
  return n;
}

}  // namespace

TEST_CASE("transfer: export, import into an empty data dir, compare", "[transfer]") {
  Source src;
  const fs::path out = src.fx.data_dir().parent_path() / "export";
  quik::ExportOptions opts;
  opts.with_files = true;
  auto summary = REQUIRE_VALUE(quik::ExportWorkspace(src.fx.svc(), System(), "acme", out, opts));
  CHECK(summary.jsonl == out / "export.jsonl");
  CHECK(summary.counts["message"] >= 10);
  CHECK(summary.blobs == 1);
  CHECK(ReadAll(out / "files" / src.file.sha256) == "meeting notes: ünïcode\n");
  auto lines = Lines(summary.jsonl);
  REQUIRE(lines.size() > 2);
  CHECK(json::parse(lines.front())["type"] == "header");
  CHECK(json::parse(lines.front())["version"] == 1);
  CHECK(json::parse(lines.back())["type"] == "end");
  // The deleted message is not exported.
  CHECK(ReadAll(summary.jsonl).find("deleted later") == std::string::npos);

  ServiceFixture dst;
  auto report = REQUIRE_VALUE(quik::ImportArchive(dst.svc(), System(), out));
  CHECK(report.complete);
  CHECK(report.workspace_created);
  CHECK(report.workspace_slug == "acme");
  CHECK(Total(report, "skipped") == 0);
  CHECK(Count(report, "message", "imported") == summary.counts["message"]);
  CHECK(Count(report, "user", "imported") == 4);

  json a = Snapshot(src.fx.svc(), "acme");
  json b = Snapshot(dst.svc(), "acme");
  CHECK(a.dump(2) == b.dump(2));
  // The snapshot holds what the source was built with.
  CHECK(a["channels"].size() == 5);
  CHECK(a["channels"]["general"]["messages"].size() == 4);  // root, broadcast, edited, file
  CHECK(a["channels"]["general"]["messages"][0]["replies"].size() == 3);
  CHECK(a["channels"]["general"]["messages"][0]["reactions"].size() == 2);
  CHECK(a["channels"]["general"]["pins"].size() == 1);
  CHECK(a["channels"]["old"]["archived"] == true);
  CHECK(a["channels"]["secret"]["kind"] == "private");
  CHECK(a["files"].size() == 1);
  CHECK(a["members"].size() == 4);

  // The file's bytes came along, in the blob store.
  auto files = REQUIRE_VALUE(dst.svc().files().List(System(), "acme", {10, ""}));
  REQUIRE(files.items.size() == 1);
  auto content = REQUIRE_VALUE(dst.svc().files().Open(System(), files.items[0].id));
  CHECK(ReadAll(content.path) == "meeting notes: ünïcode\n");

  // Ids differ; the deactivated user is deactivated, and has no password.
  auto carol = REQUIRE_VALUE(dst.users().Get(System(), "carol@example.test"));
  CHECK(carol.id != src.carol.id);
  CHECK_FALSE(carol.active);
  CHECK_FALSE(REQUIRE_VALUE(dst.users().Get(System(), "alice@acme.test")).is_admin);

  // Imported messages are searchable, with their ids in time order.
  quik::SearchRequest q;
  q.query = "köln";
  auto hits = REQUIRE_VALUE(dst.svc().search().Search(System(), "acme", q));
  REQUIRE(hits.items.size() == 1);
  CHECK(hits.items[0].message.text == "Grüße aus Köln — release plan 🚀");
  quik::ListMessagesRequest page;
  page.limit = 100;
  auto general = REQUIRE_VALUE(dst.messages().List(System(), "acme/#general", page));
  for (std::size_t i = 1; i < general.items.size(); ++i) {
    CHECK(general.items[i - 1].id > general.items[i].id);
    CHECK(general.items[i - 1].created_at >= general.items[i].created_at);
  }
  // Paging by id follows the original times.
  page.limit = 2;
  auto first = REQUIRE_VALUE(dst.messages().List(System(), "acme/#general", page));
  REQUIRE(first.items.size() == 2);
  page.cursor = first.next_cursor;
  auto second = REQUIRE_VALUE(dst.messages().List(System(), "acme/#general", page));
  REQUIRE_FALSE(second.items.empty());
  CHECK(second.items[0].created_at <= first.items[1].created_at);

  // History fired no message events and counts as read.
  auto events = REQUIRE_VALUE(dst.events().Read(System(), 0, 100000));
  int posted = 0, created = 0;
  for (const auto& e : events) {
    if (e.type == "message.posted") posted++;
    if (e.type == "channel.created") created++;
  }
  CHECK(posted == 0);
  CHECK(created == 5);
  auto bob = REQUIRE_VALUE(dst.users().Get(System(), "bob@example.test"));
  auto unreads = REQUIRE_VALUE(dst.svc().reads().ListUnreads(As(bob), "acme"));
  REQUIRE_FALSE(unreads.channels.empty());
  for (const auto& st : unreads.channels) {
    CHECK(st.unread_count == 0);
    CHECK(st.mention_count == 0);
  }
  for (const auto& st : unreads.threads) CHECK(st.unread_count == 0);

  // A member posting afterwards is unread for the others, as usual.
  dst.Post(As(bob), "acme/#general", "after the import");
  auto alice = REQUIRE_VALUE(dst.users().Get(System(), "alice@acme.test"));
  auto alice_unreads = REQUIRE_VALUE(dst.svc().reads().ListUnreads(As(alice), "acme"));
  std::int64_t unread = 0;
  for (const auto& st : alice_unreads.channels) unread += st.unread_count;
  CHECK(unread == 1);
}

TEST_CASE("transfer: importing twice creates nothing twice", "[transfer]") {
  Source src;
  const fs::path out = src.fx.data_dir().parent_path() / "twice.jsonl";
  REQUIRE_VALUE(quik::ExportWorkspace(src.fx.svc(), System(), "acme", out));
  ServiceFixture dst;
  auto first = REQUIRE_VALUE(quik::ImportArchive(dst.svc(), System(), out));
  json after_first = Snapshot(dst.svc(), "acme");
  std::int64_t seq = dst.LatestSeq();
  auto second = REQUIRE_VALUE(quik::ImportArchive(dst.svc(), System(), out));
  CHECK(second.complete);
  CHECK_FALSE(second.workspace_created);
  CHECK(Total(second, "imported") == 0);
  CHECK(Total(second, "existing") == Total(first, "imported") + Total(first, "existing"));
  CHECK(Snapshot(dst.svc(), "acme").dump() == after_first.dump());
  CHECK(dst.LatestSeq() == seq);  // not even an event

  // Imported back into the workspace it came from: its own ids, nothing doubled.
  json source_before = Snapshot(src.fx.svc(), "acme");
  auto home = REQUIRE_VALUE(quik::ImportArchive(src.fx.svc(), System(), out));
  CHECK(Total(home, "imported") == 0);
  CHECK(Total(home, "skipped") == 0);
  CHECK(Snapshot(src.fx.svc(), "acme").dump() == source_before.dump());

  // Metadata only (a .jsonl export): the file row is there, its bytes are not.
  auto files = REQUIRE_VALUE(dst.svc().files().List(System(), "acme", {10, ""}));
  REQUIRE(files.items.size() == 1);
  CHECK(files.items[0].sha256 == src.file.sha256);
}

TEST_CASE("transfer: a cut export imports its part and the full one then completes it",
          "[transfer]") {
  Source src;
  const fs::path dir = src.fx.data_dir().parent_path();
  const fs::path full = dir / "full.jsonl";
  REQUIRE_VALUE(quik::ExportWorkspace(src.fx.svc(), System(), "acme", full));
  auto lines = Lines(full);
  REQUIRE(lines.size() > 20);

  ServiceFixture once;
  REQUIRE_VALUE(quik::ImportArchive(once.svc(), System(), full));
  const json expected = Snapshot(once.svc(), "acme");

  ServiceFixture dst;
  // No end trailer, and the last line cut in the middle.
  const std::size_t keep = lines.size() * 2 / 3;
  std::vector<std::string> prefix(lines.begin(), lines.begin() + static_cast<long>(keep));
  WriteLines(dir / "cut.jsonl", prefix, lines[keep].substr(0, lines[keep].size() / 2));
  auto part = REQUIRE_VALUE(quik::ImportArchive(dst.svc(), System(), dir / "cut.jsonl"));
  CHECK_FALSE(part.complete);
  CHECK(part.incomplete_reason.find("cut short") != std::string::npos);
  CHECK(Total(part, "imported") > 0);
  CHECK(Total(part, "skipped") == 0);

  // Whole lines but no trailer: also incomplete.
  WriteLines(dir / "notrailer.jsonl", prefix);
  auto again = REQUIRE_VALUE(quik::ImportArchive(dst.svc(), System(), dir / "notrailer.jsonl"));
  CHECK_FALSE(again.complete);
  CHECK(Total(again, "imported") == 0);

  auto rest = REQUIRE_VALUE(quik::ImportArchive(dst.svc(), System(), full));
  CHECK(rest.complete);
  CHECK(Total(rest, "imported") > 0);
  CHECK(Total(rest, "existing") == Total(part, "imported") + Total(part, "existing"));
  CHECK(Snapshot(dst.svc(), "acme").dump(2) == expected.dump(2));
  CHECK(Snapshot(src.fx.svc(), "acme").dump(2) == expected.dump(2));
}

TEST_CASE("transfer: bad input is refused with FILE:LINE and imports nothing", "[transfer]") {
  Source src;
  const fs::path dir = src.fx.data_dir().parent_path();
  const fs::path good = dir / "good.jsonl";
  REQUIRE_VALUE(quik::ExportWorkspace(src.fx.svc(), System(), "acme", good));
  auto lines = Lines(good);
  ServiceFixture dst;
  auto import = [&](const std::vector<std::string>& ls, const std::string& name) {
    WriteLines(dir / name, ls);
    return quik::ImportArchive(dst.svc(), System(), dir / name);
  };

  auto v2 = lines;
  json header = json::parse(v2[0]);
  header["version"] = 2;
  v2[0] = header.dump();
  auto r = import(v2, "v2.jsonl");
  REQUIRE_CODE(r, quik::StatusCode::kInvalidArgument);
  CHECK(r.status().message().find("v2.jsonl:1: unsupported export version 2") != std::string::npos);

  auto bad = lines;
  bad[5] = "{\"type\":\"user\", oops";
  r = import(bad, "bad.jsonl");
  REQUIRE_CODE(r, quik::StatusCode::kInvalidArgument);
  CHECK(r.status().message().find("bad.jsonl:6: not valid JSON") != std::string::npos);

  auto missing_field = lines;
  for (auto& l : missing_field) {
    json j = json::parse(l);
    if (j["type"] == "message") {
      j.erase("created_at");
      l = j.dump();
      break;
    }
  }
  r = import(missing_field, "field.jsonl");
  REQUIRE_CODE(r, quik::StatusCode::kInvalidArgument);
  CHECK(r.status().message().find("message: missing field \"created_at\"") != std::string::npos);

  auto miscount = lines;
  miscount.erase(miscount.end() - 2);  // the last pin or reaction, but not the trailer
  r = import(miscount, "miscount.jsonl");
  REQUIRE_CODE(r, quik::StatusCode::kInvalidArgument);
  CHECK(r.status().message().find("the end trailer counts") != std::string::npos);

  r = import({"{\"hello\":1}"}, "nothead.jsonl");
  REQUIRE_CODE(r, quik::StatusCode::kInvalidArgument);
  CHECK(r.status().message().find("nothead.jsonl:1: not a QuikApp export") != std::string::npos);

  CHECK_CODE(quik::ImportArchive(dst.svc(), System(), dir / "nope"), quik::StatusCode::kNotFound);

  // None of these imported anything.
  CHECK_CODE(dst.workspaces().Get(System(), "acme"), quik::StatusCode::kNotFound);
}

TEST_CASE("transfer: who may export and import", "[transfer]") {
  Source src;
  const fs::path dir = src.fx.data_dir().parent_path();
  CHECK_CODE(quik::ExportWorkspace(src.fx.svc(), As(src.dave), "acme", dir / "g.jsonl"),
             quik::StatusCode::kPermissionDenied);
  auto outsider = src.fx.CreateUser("Eve");
  CHECK_CODE(quik::ExportWorkspace(src.fx.svc(), As(outsider), "acme", dir / "e.jsonl"),
             quik::StatusCode::kNotFound);
  REQUIRE_VALUE(quik::ExportWorkspace(src.fx.svc(), As(src.bob), "acme", dir / "b.jsonl"));
  // The target exists now; a non-empty directory is refused too.
  CHECK_CODE(quik::ExportWorkspace(src.fx.svc(), System(), "acme", dir / "b.jsonl"),
             quik::StatusCode::kAlreadyExists);
  CHECK_CODE(quik::ExportWorkspace(src.fx.svc(), System(), "acme", src.fx.data_dir()),
             quik::StatusCode::kAlreadyExists);
  quik::ExportOptions with_files;
  with_files.with_files = true;
  CHECK_CODE(quik::ExportWorkspace(src.fx.svc(), System(), "acme", dir / "x.jsonl", with_files),
             quik::StatusCode::kInvalidArgument);
  // Importing needs an instance admin.
  CHECK_CODE(quik::ImportArchive(src.fx.svc(), As(src.bob), dir / "b.jsonl"),
             quik::StatusCode::kPermissionDenied);
}

TEST_CASE("transfer: import into another, existing workspace merges by email and name",
          "[transfer]") {
  Source src;
  const fs::path out = src.fx.data_dir().parent_path() / "merge.jsonl";
  REQUIRE_VALUE(quik::ExportWorkspace(src.fx.svc(), System(), "acme", out));
  ServiceFixture dst;
  auto bob = dst.CreateUser("Robert", "BOB@example.test");
  auto ws = dst.CreateWorkspace(As(bob), "Target", "target");
  auto general = dst.CreateChannel(As(bob), ws, "general");
  dst.Post(As(bob), general.id, "already here, newer than the import");

  quik::ImportOptions opts;
  opts.workspace = "target";
  auto report = REQUIRE_VALUE(quik::ImportArchive(dst.svc(), System(), out, opts));
  CHECK_FALSE(report.workspace_created);
  CHECK(report.workspace_slug == "target");
  CHECK(Count(report, "user", "existing") == 1);  // bob, by email, any case
  CHECK(Count(report, "user", "imported") == 3);
  CHECK(Count(report, "channel", "existing") == 1);  // #general, by name
  // bob keeps his name and role; the import's #general messages join his.
  CHECK(REQUIRE_VALUE(dst.users().Get(System(), bob.id)).name == "Robert");
  CHECK(REQUIRE_VALUE(dst.workspaces().GetMember(System(), ws.id, bob.id)).role ==
        quik::Role::kOwner);
  quik::ListMessagesRequest page;
  page.limit = 100;
  auto msgs = REQUIRE_VALUE(dst.messages().List(System(), "target/#general", page));
  REQUIRE(msgs.items.size() >= 2);
  CHECK(msgs.items.front().text == "already here, newer than the import");
  // bob had read #general to its end: the imported history keeps him there.
  auto unreads = REQUIRE_VALUE(dst.svc().reads().ListUnreads(As(bob), "target"));
  for (const auto& st : unreads.channels) CHECK(st.unread_count == 0);
}

TEST_CASE("transfer: ImportWriter, as the Slack importer uses it", "[transfer]") {
  ServiceFixture fx;
  quik::internal::Context* ctx = quik::internal::ContextOf(fx.svc());
  REQUIRE(ctx != nullptr);
  using namespace quik::transfer;
  ImportWriter w(*ctx, "slack:T1");
  REQUIRE_OK(w.Chunk([&](quik::store::Tx& tx) -> quik::Status {
    QUIK_RETURN_IF_ERROR(w.OpenWorkspace(tx, {"T1", "Slack Co", "slackco", 0}).status());
    for (const char* key : {"U1", "U2"}) {
      ImportedUser u;
      u.key = key;
      u.name = std::string("user ") + key;
      QUIK_RETURN_IF_ERROR(w.PutUser(tx, u).status());  // no email: a placeholder
      QUIK_RETURN_IF_ERROR(w.PutMember(tx, {key, quik::Role::kMember, 0}).status());
    }
    ImportedChannel c;
    c.key = "C1";
    c.name = "General";
    QUIK_RETURN_IF_ERROR(w.PutChannel(tx, c).status());
    ImportedChannel dm;
    dm.key = "D1";
    dm.kind = quik::ChannelKind::kDirect;
    dm.people = {"U1", "U2"};
    QUIK_RETURN_IF_ERROR(w.PutChannel(tx, dm).status());
    ImportedMessage m;
    m.key = "M1";
    m.channel_key = "C404";
    m.user_key = "U1";
    m.created_at = 1700000000000;
    auto skipped = w.PutMessage(tx, m);
    QUIK_RETURN_IF_ERROR(skipped.status());
    if (skipped->outcome != Outcome::kSkipped) return quik::Internal("not skipped");
    w.Skip("message", "unsupported subtype");
    w.Note("message", "bot message");
    return quik::Status::Ok();
  }));
  const quik::ImportReport& r = w.report();
  CHECK(r.kinds.at("user").imported == 2);
  CHECK(r.kinds.at("channel").imported == 2);
  CHECK(r.kinds.at("message").skipped == 2);
  CHECK(r.kinds.at("message").skipped_why.at("unknown channel") == 1);
  CHECK(r.kinds.at("message").skipped_why.at("unsupported subtype") == 1);
  CHECK(r.kinds.at("message").notes.at("bot message") == 1);
  auto u1 = REQUIRE_VALUE(fx.users().Get(System(), "slack-t1-u1@import.invalid"));
  CHECK(u1.name == "user U1");
  // The DM is the one OpenDirect opens for that pair.
  auto u2 = REQUIRE_VALUE(fx.users().Get(System(), "slack-t1-u2@import.invalid"));
  auto opened = REQUIRE_VALUE(fx.channels().OpenDirect(As(u1), "slackco", {u2.id}));
  CHECK_FALSE(opened.created);

  // A failing chunk rolls back and drops its counts.
  CHECK_CODE(w.Chunk([&](quik::store::Tx& tx) -> quik::Status {
    ImportedUser u;
    u.key = "U3";
    u.email = "u3@slack.test";
    QUIK_RETURN_IF_ERROR(w.PutUser(tx, u).status());
    return quik::Unavailable("disk on fire");
  }),
             quik::StatusCode::kUnavailable);
  CHECK(w.report().kinds.at("user").imported == 2);
  CHECK_CODE(fx.users().Get(System(), "u3@slack.test"), quik::StatusCode::kNotFound);
}

TEST_CASE("transfer: a header whose type or format is not a string is refused", "[transfer]") {
  // json::value threw here, ending quikctl import (found by fuzz_export_lines).
  quik_test::TempDir tmp;
  const fs::path path = tmp.path() / "export.jsonl";
  std::ofstream(path) << R"({"type":{"type":"reaction"}})"
                      << "\n";
  auto r = quik::transfer::Validate(path);
  REQUIRE_CODE(r, quik::StatusCode::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains(":1: not a QuikApp export"));
  std::ofstream(path) << R"({"type":"header","format":["quik-export"],"version":1})"
                      << "\n";
  auto f = quik::transfer::Validate(path);
  REQUIRE_CODE(f, quik::StatusCode::kInvalidArgument);
  CHECK_THAT(f.status().message(), Catch::Contains(":1: unknown format '' (expected quik-export)"));
}
