// SPDX-License-Identifier: MIT
// Reading Slack's export format (transfer/slack/archive.hpp, slack_export.hpp).
#include <fstream>
#include <string>

#include "testing/slack_export.hpp"
#include "transfer/slack/archive.hpp"
#include "transfer/slack/slack_export.hpp"
#include "unit/testing/service_fixture.hpp"

namespace slack = quik::transfer::slack;
using quik::StatusCode;

namespace {

void CheckIndex(slack::Archive& archive) {
  auto index = REQUIRE_VALUE(slack::ReadIndex(archive));
  REQUIRE(index.users.size() == 6);
  CHECK(index.users[0].id == "U01ALICE");
  CHECK(index.users[0].email == "Alice@Acme.test");
  CHECK(index.users[0].real_name == "Alice Martin");
  CHECK(index.users[0].line == 2);
  CHECK(index.users[2].real_name == "Chlo\xC3\xA9 Dupont");
  CHECK(index.users[3].deleted);
  CHECK(index.users[4].email.empty());
  CHECK(index.users[5].is_bot);
  CHECK(index.users[5].bot_id == "B06DEPLOY");

  REQUIRE(index.conversations.size() == 5);
  const auto& general = index.conversations[0];
  CHECK(general.kind == slack::ConversationKind::kChannel);
  CHECK(general.name == "general");
  CHECK(general.folder == "general");
  CHECK(general.created == 1512085000000);
  CHECK(general.topic == "Company-wide \xF0\x9F\x8E\x89");
  CHECK(general.purpose == "Everything");
  CHECK(general.members.size() == 4);
  CHECK(index.conversations[1].is_archived);
  CHECK(index.conversations[2].kind == slack::ConversationKind::kGroup);
  CHECK(index.conversations[2].folder == "leads");
  CHECK(index.conversations[3].kind == slack::ConversationKind::kMpim);
  CHECK(index.conversations[3].folder == "mpdm-alice--bob--chloe-1");
  CHECK(index.conversations[4].kind == slack::ConversationKind::kDm);
  CHECK(index.conversations[4].folder == "D01AB");  // DMs' folders are their ids

  auto days = slack::DayFiles(archive, general);
  REQUIRE(days == std::vector<std::string>{"general/2017-12-01.json", "general/2017-12-02.json"});
  auto first = REQUIRE_VALUE(slack::ReadDay(archive, days[0]));
  REQUIRE(first.size() == 7);
  CHECK(first[0].subtype == "channel_join");  // sorted by ts
  CHECK(first[1].ts == quik_test::kTsHello);
  CHECK(first[1].ts_ms == 1512086000000);
  CHECK(first[1].thread_ts == quik_test::kTsHello);
  CHECK_FALSE(first[1].is_reply());
  REQUIRE(first[1].reactions.size() == 3);
  CHECK(first[1].reactions[0].name == "+1");
  CHECK(first[1].reactions[0].users == std::vector<std::string>{"U02BOB", "U03CHLOE"});
  CHECK(first[2].is_reply());
  CHECK(first[3].edited_user == "U03CHLOE");
  CHECK(first[3].edited_ms == 1512086300000);
  CHECK(first[4].topic == "Company-wide \xF0\x9F\x8E\x89");
  CHECK(first[5].bot_id == "B99GITHUB");
  CHECK(first[5].username == "GitHub");

  auto second = REQUIRE_VALUE(slack::ReadDay(archive, days[1]));
  REQUIRE(second[0].files.size() == 1);
  CHECK(second[0].files[0].id == "F01REPORT");
  CHECK(second[0].files[0].content == "__uploads/F01REPORT/report.pdf");
  CHECK(second[0].files[0].created == 1512172800000);
  CHECK(second[1].files[0].content.empty());  // metadata only
  auto bytes = REQUIRE_VALUE(archive.Read(second[0].files[0].content));
  REQUIRE(bytes.has_value());
  CHECK(*bytes == quik_test::kSlackReportBytes);
}

}  // namespace

TEST_CASE("slack export: ts strings", "[transfer][slack]") {
  CHECK(slack::ParseTs("1512085950.000216") == 1512085950000);
  CHECK(slack::ParseTs("1512085950.216000") == 1512085950216);
  CHECK(slack::ParseTs("1512085950.9") == 1512085950900);
  CHECK(slack::ParseTs("1512085950") == 1512085950000);
  CHECK_FALSE(slack::ParseTs("").has_value());
  CHECK_FALSE(slack::ParseTs("abc.1").has_value());
  CHECK_FALSE(slack::ParseTs("1.2.3").has_value());
  CHECK_FALSE(slack::ParseTs("-1.0").has_value());
}

TEST_CASE("slack export: where array elements start", "[transfer][slack]") {
  CHECK(slack::ElementLines("[\n {\"a\": \"[,{\"},\n {\"b\": [1,\n2]},\n 3\n]") ==
        std::vector<int>{2, 3, 5});
  CHECK(slack::ElementLines("[]").empty());
  CHECK(slack::ElementLines("{\"a\": 1}").empty());
  CHECK(slack::ElementLines("[\"x\\\"]\", \"y\"]") == std::vector<int>{1, 1});
}

TEST_CASE("slack export: a folder and its zip read alike", "[transfer][slack]") {
  quik_test::TempDir tmp;
  quik_test::WriteSlackExport(tmp.path() / "export");
  {
    auto archive = REQUIRE_VALUE(slack::Archive::Open(tmp.path() / "export"));
    CheckIndex(*archive);
  }
  quik_test::ZipFolder(tmp.path() / "export", tmp.path() / "export.zip");
  auto zip = REQUIRE_VALUE(slack::Archive::Open(tmp.path() / "export.zip"));
  CheckIndex(*zip);
  CHECK(zip->Describe("general/2017-12-01.json") ==
        (tmp.path() / "export.zip" / "general/2017-12-01.json").string());
}

TEST_CASE("slack export: an export inside one top-level folder", "[transfer][slack]") {
  quik_test::TempDir tmp;
  quik_test::WriteSlackExport(tmp.path() / "pack" / "Acme Slack export");
  quik_test::ZipFolder(tmp.path() / "pack", tmp.path() / "export.zip");
  auto zip = REQUIRE_VALUE(slack::Archive::Open(tmp.path() / "export.zip"));
  CheckIndex(*zip);
  auto dir = REQUIRE_VALUE(slack::Archive::Open(tmp.path() / "pack"));
  CheckIndex(*dir);
}

TEST_CASE("slack export: what is not an export", "[transfer][slack]") {
  quik_test::TempDir tmp;
  CHECK_CODE(slack::Archive::Open(tmp.path() / "missing"), StatusCode::kNotFound);
  CHECK_CODE(slack::Archive::Open(tmp.path()), StatusCode::kInvalidArgument);  // empty folder
  std::ofstream(tmp.path() / "notes.txt") << "not a zip";
  auto r = slack::Archive::Open(tmp.path() / "notes.txt");
  REQUIRE_CODE(r, StatusCode::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains("zip"));
  // users.json but no channels.json.
  std::filesystem::create_directories(tmp.path() / "half");
  std::ofstream(tmp.path() / "half" / "users.json") << "[]";
  auto half = REQUIRE_VALUE(slack::Archive::Open(tmp.path() / "half"));
  auto index = slack::ReadIndex(*half);
  REQUIRE_CODE(index, StatusCode::kInvalidArgument);
  CHECK_THAT(index.status().message(), Catch::Contains("channels.json"));
}

TEST_CASE("slack export: malformed JSON names the file and line", "[transfer][slack]") {
  quik_test::TempDir tmp;
  const auto dir = tmp.path() / "export";
  quik_test::WriteSlackExport(dir);
  std::ofstream(dir / "general" / "2017-12-02.json", std::ios::trunc)
      << "[\n  {\"type\": \"message\", \"ts\": \"1.0\"},\n  {\"type\": \"message\",, }\n]\n";
  auto archive = REQUIRE_VALUE(slack::Archive::Open(dir));
  auto day = slack::ReadDay(*archive, "general/2017-12-02.json");
  REQUIRE_CODE(day, StatusCode::kInvalidArgument);
  CHECK_THAT(day.status().message(),
             Catch::StartsWith((dir / "general" / "2017-12-02.json").string() + ":3: "));

  // A message without a ts: the line of that message.
  std::ofstream(dir / "general" / "2017-12-02.json", std::ios::trunc)
      << "[\n  {\"ts\": \"1.0\"},\n\n  {\"text\": \"no ts\"}\n]\n";
  day = slack::ReadDay(*archive, "general/2017-12-02.json");
  REQUIRE_CODE(day, StatusCode::kInvalidArgument);
  CHECK_THAT(day.status().message(), Catch::Contains("2017-12-02.json:4: "));
  CHECK_THAT(day.status().message(), Catch::Contains("ts"));

  // A user without an id.
  std::ofstream(dir / "users.json", std::ios::trunc) << "[\n{\"id\": \"U1\"},\n{\"name\": \"x\"}]";
  auto index = slack::ReadIndex(*archive);
  REQUIRE_CODE(index, StatusCode::kInvalidArgument);
  CHECK_THAT(index.status().message(), Catch::Contains("users.json:3: "));
}

TEST_CASE("slack export: a number too large for a time reads as 0", "[transfer][slack]") {
  // 1e87 seconds overflowed the conversion to milliseconds (found by fuzz_slack_json).
  quik_test::TempDir tmp;
  std::filesystem::create_directories(tmp.path() / "x");
  std::ofstream(tmp.path() / "x" / "users.json") << "[]";
  std::ofstream(tmp.path() / "x" / "channels.json")
      << R"([{"id":"C1","name":"a","created":1.5e87},{"id":"C2","name":"b",)"
      << R"("created":18446744073709551615},{"id":"C3","name":"c","created":1512085950}])";
  auto archive = REQUIRE_VALUE(slack::Archive::Open(tmp.path() / "x"));
  auto index = REQUIRE_VALUE(slack::ReadIndex(*archive));
  REQUIRE(index.conversations.size() == 3);
  CHECK(index.conversations[0].created == 0);
  CHECK(index.conversations[1].created == 0);
  CHECK(index.conversations[2].created == 1512085950000);
}
