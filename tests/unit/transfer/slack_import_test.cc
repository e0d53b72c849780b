// SPDX-License-Identifier: MIT
// ImportSlackExport (quik/slack_import.hpp): the test export
// (tests/testing/slack_export.hpp) imports with exactly the expected result,
// and a second run creates nothing.
#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "quik/slack_import.hpp"
#include "testing/slack_export.hpp"
#include "transfer/slack/archive.hpp"
#include "unit/testing/service_fixture.hpp"

using quik::Actor;
using quik::ChannelKind;
using quik::Message;
using quik::StatusCode;
using quik_test::As;
using quik_test::System;

namespace {

constexpr const char* kCafe = "caf\xC3\xA9";

struct Imported {
  quik_test::ServiceFixture f;
  quik_test::TempDir tmp;
  quik::User alice_before;
  Imported() {
    // alice is already a user (her email in another case): matched, not duplicated.
    alice_before = f.CreateUser("Alice Existing", "alice@acme.test");
    quik_test::WriteSlackExport(tmp.path() / "export");
  }
  quik::Result<quik::ImportReport> Import(const std::string& workspace = "acme") {
    quik::ImportOptions options;
    options.workspace = workspace;
    options.format = "slack";
    return quik::ImportSlackExport(f.svc(), System(), tmp.path() / "export", options);
  }
  quik::User User(const std::string& email) {
    return REQUIRE_VALUE(f.users().Get(System(), email));
  }
  std::vector<Message> History(const std::string& channel_ref) {
    quik::ListMessagesRequest page;
    page.limit = 100;
    auto list = REQUIRE_VALUE(f.messages().List(System(), channel_ref, page));
    std::reverse(list.items.begin(), list.items.end());  // oldest first
    return list.items;
  }
};

const quik::KindCounts& Kind(const quik::ImportReport& r, const std::string& kind) {
  static const quik::KindCounts kNone;
  auto it = r.kinds.find(kind);
  return it == r.kinds.end() ? kNone : it->second;
}

std::int64_t Why(const quik::KindCounts& k, const std::string& why) {
  auto it = k.skipped_why.find(why);
  return it == k.skipped_why.end() ? 0 : it->second;
}

std::int64_t NoteCount(const quik::KindCounts& k, const std::string& what) {
  auto it = k.notes.find(what);
  return it == k.notes.end() ? 0 : it->second;
}

}  // namespace

TEST_CASE("slack import: users, channels, members, messages, threads, reactions, files",
          "[transfer][slack]") {
  Imported s;
  auto report = REQUIRE_VALUE(s.Import());
  CHECK(report.format == "slack");
  CHECK(report.workspace_slug == "acme");
  CHECK(report.workspace_created);

  // Users: alice matched by email and left as she was; bob, chloé, dan
  // (deleted: deactivated), eve (no email: a placeholder), the bot user and
  // the GitHub bot (deactivated).
  CHECK(Kind(report, "user").existing == 1);
  CHECK(Kind(report, "user").imported == 6);
  auto alice = s.User("alice@acme.test");
  CHECK(alice.id == s.alice_before.id);
  CHECK(alice.name == "Alice Existing");
  auto bob = s.User("bob@acme.test");
  CHECK(bob.name == "Bob Ng");
  CHECK(bob.active);
  auto chloe = s.User("chloe@acme.test");
  CHECK(chloe.name == "chlo\xC3\xA9");
  auto dan = s.User("dan@acme.test");
  CHECK_FALSE(dan.active);
  auto eve = s.User("u05eve@slack-import.invalid");
  CHECK(eve.name == "Eve NoMail");
  CHECK(eve.active);
  auto deploy = s.User("u06deploy@slack-import.invalid");
  CHECK(deploy.name == "Deploy Bot");
  CHECK_FALSE(deploy.active);
  auto github = s.User("b99github@slack-import.invalid");
  CHECK(github.name == "GitHub");
  CHECK_FALSE(github.active);
  auto members = REQUIRE_VALUE(s.f.workspaces().ListMembers(System(), "acme", {100, ""}));
  CHECK(members.items.size() == 7);

  // Channels: privacy, archived, topic, created time.
  auto channels = REQUIRE_VALUE(s.f.channels().List(System(), "acme", {true}));
  std::map<std::string, quik::Channel> by_kind_name;
  for (const auto& c : channels) {
    by_kind_name[std::string(quik::ChannelKindName(c.kind)) + ":" + c.name] = c;
  }
  REQUIRE(channels.size() == 5);
  const auto general = by_kind_name.at("public:general");
  CHECK(general.topic == "Company-wide \xF0\x9F\x8E\x89");
  CHECK_FALSE(general.archived);
  CHECK(general.created_at == 1512085000000);
  CHECK(general.created_by == alice.id);
  const auto random = by_kind_name.at("public:random");
  CHECK(random.archived);
  CHECK(random.topic == "Off-topic");  // no topic: its purpose
  const auto leads = by_kind_name.at("private:leads");
  CHECK(leads.topic == "Sales leads");
  auto dm = REQUIRE_VALUE(s.f.channels().OpenDirect(As(alice), "acme", {bob.id}));
  CHECK_FALSE(dm.created);  // the imported DM is the DM of alice and bob
  auto group = REQUIRE_VALUE(s.f.channels().OpenDirect(As(chloe), "acme", {alice.id, bob.id}));
  CHECK_FALSE(group.created);
  CHECK(group.channel.kind == ChannelKind::kGroup);

  // Channel members, bob's join time from his channel_join message.
  auto general_members = REQUIRE_VALUE(s.f.channels().ListMembers(System(), general.id));
  std::map<std::string, quik::Timestamp> joined;
  for (const auto& m : general_members) joined[m.user_id] = m.joined_at;
  CHECK(joined.size() == 4);
  CHECK(joined.at(bob.id) == 1512085950000);
  CHECK(joined.at(alice.id) == 1512085000000);
  CHECK(joined.count(dan.id) == 1);
  auto leads_members = REQUIRE_VALUE(s.f.channels().ListMembers(System(), leads.id));
  CHECK(leads_members.size() == 2);

  // #general: top-level messages in time order, join and topic messages gone.
  auto history = s.History(general.id);
  std::vector<std::string> texts;
  for (const auto& m : history) texts.push_back(m.text);
  const std::string hello = "Hello <@" + bob.id +
                            "> & all \xE2\x80\x94 caf\xC3\xA9 \xE2\x98\x95 "
                            "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x8E\x89 see #general "
                            "and our site (https://acme.test)";
  CHECK(texts == std::vector<std::string>{
                     hello,
                     "Build #42 passed",
                     "A huddle happened",
                     "Q4 report",
                     "[file: photo.png (image/png, 120.6 KiB) "
                     "https://files.slack.com/files-pri/T1-F02PHOTO/photo.png]",
                     "I was here",
                     "ask @U99GHOST @channel",
                     "_waves_",
                 });
  REQUIRE(history.size() == 8);
  const Message& root = history[0];
  CHECK(root.user_id == alice.id);
  CHECK(root.created_at == 1512086000000);
  CHECK(root.mentions == std::vector<std::string>{bob.id});
  CHECK(root.reply_count == 2);
  REQUIRE(root.reactions.size() == 2);
  CHECK(root.reactions[0].emoji == "+1");
  CHECK(root.reactions[0].user_ids == std::vector<std::string>{bob.id, chloe.id});
  CHECK(root.reactions[1].emoji == "tada");
  CHECK(root.reactions[1].user_ids == std::vector<std::string>{alice.id});
  CHECK(history[1].user_id == github.id);
  CHECK(history[2].user_id == bob.id);
  CHECK(history[3].file_ids.size() == 1);
  CHECK(history[4].file_ids.empty());
  CHECK(history[5].user_id == dan.id);
  CHECK(history[6].mentions_channel);
  for (std::size_t i = 1; i < history.size(); ++i) {
    CHECK(history[i - 1].created_at < history[i].created_at);
    CHECK(history[i - 1].id < history[i].id);  // ids sort by the original time
  }

  // The thread: replies oldest first, the edit time kept.
  auto replies = REQUIRE_VALUE(s.f.messages().ListReplies(System(), root.id, {100, ""}));
  REQUIRE(replies.items.size() == 2);
  CHECK(replies.items[0].text == "Thanks <3");
  CHECK(replies.items[0].user_id == bob.id);
  CHECK(replies.items[0].created_at == 1512086100000);
  CHECK(replies.items[1].text == "Merci ! \xC3\xA0 bient\xC3\xB4t");
  CHECK(replies.items[1].edited_at == 1512086300000);
  CHECK(replies.items[1].thread_root_id == root.id);

  // The file with its contents.
  auto file = REQUIRE_VALUE(s.f.svc().files().Get(System(), history[3].file_ids[0]));
  CHECK(file.name == "report.pdf");
  CHECK(file.size == static_cast<std::int64_t>(std::string(quik_test::kSlackReportBytes).size()));
  CHECK(file.user_id == alice.id);
  // pinned_to pins it.
  auto pins = REQUIRE_VALUE(s.f.messages().ListPins(System(), general.id));
  REQUIRE(pins.size() == 1);
  CHECK(pins[0].message_id == history[3].id);

  // The other conversations.
  auto random_history = s.History(random.id);
  REQUIRE(random_history.size() == 1);
  CHECK(random_history[0].text == "old news");
  auto leads_history = s.History(leads.id);
  REQUIRE(leads_history.size() == 1);
  CHECK(leads_history[0].text == "Secret plans \xF0\x9F\xA4\xAB");
  auto dm_history = s.History(dm.channel.id);
  REQUIRE(dm_history.size() == 2);
  CHECK(dm_history[0].text == "hi bob");
  CHECK(dm_history[0].user_id == alice.id);
  CHECK(dm_history[1].text == "hi!");
  auto group_history = s.History(group.channel.id);
  REQUIRE(group_history.size() == 1);
  CHECK(group_history[0].text == "group hello \xE4\xBD\xA0\xE5\xA5\xBD");

  // Private conversations stay private: bob cannot read #leads.
  CHECK_CODE(s.f.messages().List(As(bob), leads.id, {}), StatusCode::kNotFound);

  // The report.
  CHECK(Kind(report, "channel").imported == 5);
  CHECK(Kind(report, "message").imported == 15);
  CHECK(Kind(report, "message").skipped == 2);
  CHECK(Why(Kind(report, "message"), "channel_join: a channel membership") == 1);
  CHECK(Why(Kind(report, "message"), "channel_topic: a topic change") == 1);
  CHECK(NoteCount(Kind(report, "message"),
                  "unknown subtype 'huddle_thread': kept as a plain message") == 1);
  CHECK(NoteCount(Kind(report, "message"), "mentions a user not in the export: kept as text") == 1);
  CHECK(Kind(report, "reaction").imported == 3);
  CHECK(Why(Kind(report, "reaction"), "unknown user") == 1);
  CHECK(NoteCount(Kind(report, "reaction"), "skin tone dropped") == 1);
  CHECK(Kind(report, "file").imported == 1);
  CHECK(Why(Kind(report, "file"), "content not in the export: named in the message text") == 1);

  // Imported messages are found by search.
  quik::SearchRequest q;
  q.query = "huddle";
  auto hits = REQUIRE_VALUE(s.f.svc().search().Search(System(), "acme", q));
  REQUIRE(hits.items.size() == 1);
  CHECK(hits.items[0].message.text == "A huddle happened");
  q.query = kCafe;
  CHECK(REQUIRE_VALUE(s.f.svc().search().Search(As(bob), "acme", q)).items.size() == 1);

  // The second run creates nothing.
  const auto seq = s.f.LatestSeq();
  auto again = REQUIRE_VALUE(s.Import());
  CHECK_FALSE(again.workspace_created);
  for (const auto& [kind, counts] : again.kinds) {
    INFO(kind);
    CHECK(counts.imported == 0);
  }
  CHECK(Kind(again, "user").existing == 7);
  CHECK(Kind(again, "channel").existing == 5);
  CHECK(Kind(again, "message").existing == 15);
  CHECK(Kind(again, "reaction").existing == 3);
  CHECK(Kind(again, "file").existing == 1);
  CHECK(Kind(again, "pin").existing == 1);
  CHECK(s.f.LatestSeq() == seq);  // not one event
  CHECK(s.History(general.id).size() == 8);
  CHECK(REQUIRE_VALUE(s.f.channels().List(System(), "acme", {true})).size() == 5);
}

TEST_CASE("slack import: needs a workspace, an admin and an export", "[transfer][slack]") {
  Imported s;
  CHECK_CODE(s.Import(""), StatusCode::kInvalidArgument);
  quik::ImportOptions options;
  options.workspace = "acme";
  CHECK_CODE(quik::ImportSlackExport(s.f.svc(), System(), s.tmp.path() / "nope", options),
             StatusCode::kNotFound);
  CHECK_CODE(
      quik::ImportSlackExport(s.f.svc(), As(s.alice_before), s.tmp.path() / "export", options),
      StatusCode::kPermissionDenied);
  // Malformed JSON in a day file: nothing is written.
  std::ofstream(s.tmp.path() / "export" / "leads" / "2017-12-01.json", std::ios::trunc)
      << "[\n  {\"ts\": \"1512090000.000100\", \"text\": \"x\"\n]\n";
  auto bad = s.Import();
  REQUIRE_CODE(bad, StatusCode::kInvalidArgument);
  CHECK_THAT(bad.status().message(), Catch::Contains("leads/2017-12-01.json:3: malformed JSON"));
  CHECK_CODE(s.f.workspaces().Get(System(), "acme"), StatusCode::kNotFound);
}

TEST_CASE("slack import: an interrupted import finishes when run again", "[transfer][slack]") {
  Imported s;
  // The first run sees only part of the export (as if killed after #general's
  // first day): then the whole export.
  const auto general = s.tmp.path() / "export" / "general";
  std::filesystem::rename(general / "2017-12-02.json", s.tmp.path() / "later.json");
  std::filesystem::rename(s.tmp.path() / "export" / "D01AB", s.tmp.path() / "dm-later");
  auto part = REQUIRE_VALUE(s.Import());
  CHECK(Kind(part, "message").imported == 8);
  std::filesystem::rename(s.tmp.path() / "later.json", general / "2017-12-02.json");
  std::filesystem::rename(s.tmp.path() / "dm-later", s.tmp.path() / "export" / "D01AB");
  auto rest = REQUIRE_VALUE(s.Import());
  CHECK(Kind(rest, "message").imported == 7);
  CHECK(Kind(rest, "message").existing == 8);
  CHECK(Kind(rest, "file").imported == 1);

  auto channel = REQUIRE_VALUE(s.f.channels().Get(System(), "acme/#general"));
  auto history = s.History(channel.id);
  REQUIRE(history.size() == 8);
  CHECK(history[0].reply_count == 2);
  CHECK(history[0].reactions.size() == 2);
  CHECK(history.back().text == "_waves_");
  auto alice = s.User("alice@acme.test");
  auto bob = s.User("bob@acme.test");
  auto dm = REQUIRE_VALUE(s.f.channels().OpenDirect(As(alice), "acme", {bob.id}));
  CHECK(s.History(dm.channel.id).size() == 2);
}

TEST_CASE("slack import: symbolic links in an export folder are reported and not followed",
          "[transfer][slack]") {
  Imported s;
  const std::filesystem::path outside = s.tmp.path() / "outside";
  std::filesystem::create_directories(outside / "more");
  // Outside the export: a day file and a folder of them.
  quik_test::WriteJsonFile(outside / "day.json",
                           nlohmann::json::array({{{"type", "message"},
                                                   {"ts", "1512300000.000100"},
                                                   {"user", "U01ALICE"},
                                                   {"text", "words from outside"}}}));
  std::filesystem::copy_file(outside / "day.json", outside / "more" / "2017-12-05.json");
  const std::filesystem::path general = s.tmp.path() / "export" / "general";
  std::filesystem::create_symlink(outside / "day.json", general / "2017-12-04.json");
  std::filesystem::create_directory_symlink(outside / "more", s.tmp.path() / "export" / "random2");
  std::filesystem::create_directory_symlink(outside / "more", general / "sub");

  auto report = REQUIRE_VALUE(s.Import());
  const quik::KindCounts& links = Kind(report, "link");
  CHECK(links.skipped == 3);
  for (const auto& [why, n] : links.skipped_why) UNSCOPED_INFO(why << ": " << n);
  CHECK(Why(links, "a symbolic link, not followed: general/2017-12-04.json") == 1);
  CHECK(Why(links, "a symbolic link, not followed: general/sub") == 1);
  CHECK(Why(links, "a symbolic link, not followed: random2") == 1);
  auto general_id = REQUIRE_VALUE(s.f.channels().Get(System(), "acme/#general")).id;
  for (const Message& m : s.History(general_id)) {
    CHECK(m.text.find("from outside") == std::string::npos);
  }
}

TEST_CASE("slack import: a zip bomb is refused and memory stays bounded", "[transfer][slack]") {
  Imported s;
  const std::filesystem::path dir = s.tmp.path() / "export";
  std::filesystem::remove(dir / "general" / "2017-12-01.json");
  const std::filesystem::path zip = s.tmp.path() / "bomb.zip";
  quik_test::ZipFolder(dir, zip);
  // 256 MiB of spaces that claim to be 1000 bytes (about 250 KiB deflated).
  quik_test::AddZipBomb(zip, "general/2017-12-01.json", 256ULL << 20, 1000);

  rusage before{};
  ::getrusage(RUSAGE_SELF, &before);
  quik::ImportOptions options;
  options.workspace = "acme";
  options.format = "slack";
  auto r = quik::ImportSlackExport(s.f.svc(), System(), zip, options);
  rusage after{};
  ::getrusage(RUSAGE_SELF, &after);
  REQUIRE_CODE(r, StatusCode::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains("general/2017-12-01.json"));
  CHECK_THAT(r.status().message(), Catch::Contains("1000 bytes it declares"));
  CHECK_THAT(r.status().message(), Catch::Contains("zip bomb"));
  // The peak resident size grew by far less than the 256 MiB it expands to.
  CHECK(after.ru_maxrss - before.ru_maxrss < 64 * 1024);                      // KiB
  CHECK_CODE(s.f.workspaces().Get(System(), "acme"), StatusCode::kNotFound);  // nothing written
}

TEST_CASE("slack import: a file larger than the read limit is refused before it is read",
          "[transfer][slack]") {
  quik_test::TempDir tmp;
  quik_test::WriteSlackExport(tmp.path() / "export");
  quik_test::ZipFolder(tmp.path() / "export", tmp.path() / "export.zip");
  for (const char* name : {"export", "export.zip"}) {
    CAPTURE(name);
    auto archive = REQUIRE_VALUE(quik::transfer::slack::Archive::Open(tmp.path() / name));
    auto whole = REQUIRE_VALUE(archive->Read("users.json"));
    REQUIRE(whole);
    auto capped = archive->Read("users.json", 100);
    REQUIRE_CODE(capped, StatusCode::kInvalidArgument);
    CHECK_THAT(capped.status().message(), Catch::Contains("users.json"));
    CHECK_THAT(capped.status().message(), Catch::Contains("refused"));
  }
}
