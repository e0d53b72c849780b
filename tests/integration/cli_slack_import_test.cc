// SPDX-License-Identifier: MIT
// quikctl import --format slack: the test export (tests/testing/slack_export.hpp)
// from a zip and a folder, the report as a table and as JSON, a second run,
// search over the imported history, and bad input.
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "integration/cli_harness.hpp"
#include "testing/slack_export.hpp"

namespace {

using nlohmann::json;
using quik::testing::CliRun;
using quik::testing::QuikctlEnv;

std::vector<std::string> Import(const std::string& from, const std::string& workspace) {
  return {"import", "--format", "slack", "--from", from, "--workspace", workspace};
}

std::vector<std::string> WithJson(std::vector<std::string> args) {
  args.insert(args.begin(), {"-o", "json"});
  return args;
}

}  // namespace

TEST_CASE("quikctl import --format slack: a zip, twice, then searchable", "[cli][slack]") {
  QuikctlEnv env;
  const auto folder = env.root() / "export";
  const auto zip = env.root() / "Acme Slack export.zip";
  quik_test::WriteSlackExport(folder);
  quik_test::ZipFolder(folder, zip);

  CliRun first = env.Run(WithJson(Import(zip.string(), "acme")));
  REQUIRE_EXIT(first, 0);
  json report = first.Json();
  CHECK(report["format"] == "slack");
  CHECK(report["workspace"] == "acme");
  CHECK(report["workspace_created"] == true);
  const json& kinds = report["kinds"];
  CHECK(kinds["user"]["imported"] == 7);
  CHECK(kinds["channel"]["imported"] == 5);
  CHECK(kinds["channel_member"]["imported"] == 8);
  CHECK(kinds["message"]["imported"] == 15);
  CHECK(kinds["message"]["skipped"] == 2);
  CHECK(kinds["message"]["skipped_why"]["channel_join: a channel membership"] == 1);
  CHECK(kinds["message"]["notes"]["unknown subtype 'huddle_thread': kept as a plain message"] == 1);
  CHECK(kinds["reaction"]["imported"] == 3);
  CHECK(kinds["reaction"]["skipped_why"]["unknown user"] == 1);
  CHECK(kinds["file"]["imported"] == 1);
  CHECK(kinds["file"]["skipped"] == 1);

  // The second run: a table that says everything is already there.
  CliRun second = env.Run(Import(zip.string(), "acme"));
  REQUIRE_EXIT(second, 0);
  CHECK(second.out.rfind("KIND", 0) == 0);
  CHECK(second.out.find("imported into acme: 0 new, ") != std::string::npos);
  CHECK(second.out.find("already present") != std::string::npos);
  json again = env.Json(Import(zip.string(), "acme"));
  for (const auto& [kind, counts] : again["kinds"].items()) {
    INFO(kind);
    CHECK(counts["imported"] == 0);
  }
  CHECK(again["kinds"]["message"]["existing"] == 15);
  CHECK(again["kinds"]["user"]["existing"] == 7);

  // What the CLI shows of it.
  json channels = env.Json({"channel", "list", "--workspace", "acme"});
  std::map<std::string, json> by_name;
  for (const auto& c : channels) by_name[c["name"].get<std::string>()] = c;
  REQUIRE(by_name.count("leads") == 1);
  CHECK(by_name["leads"]["kind"] == "private");
  CHECK(by_name["general"]["topic"] == "Company-wide \xF0\x9F\x8E\x89");
  json hits = env.Json({"search", "acme", "bient\xC3\xB4t"});
  REQUIRE(hits.size() == 1);
  CHECK(hits[0]["message"]["text"] == "Merci ! \xC3\xA0 bient\xC3\xB4t");
  json secret = env.Json({"search", "acme", "plans", "--as", "bob@acme.test"});
  CHECK(secret.empty());  // #leads is private to alice and chloé

  // Posting goes on after the imported history.
  json posted =
      env.Json({"post", "--channel", "acme/#general", "--as", "bob@acme.test", "after the import"});
  CHECK(posted["text"] == "after the import");

  // The folder into another workspace: new channels and messages, the same users.
  json other = env.Json(Import(folder.string(), "acme-copy"));
  CHECK(other["kinds"]["message"]["imported"] == 15);
  CHECK(other["kinds"]["user"]["existing"] == 7);
  CHECK(other["kinds"]["user"]["imported"] == 0);
}

TEST_CASE("quikctl import --format slack: bad input", "[cli][slack]") {
  QuikctlEnv env;
  const auto folder = env.root() / "export";
  quik_test::WriteSlackExport(folder);

  // No --workspace: a usage error.
  CliRun no_ws = env.Run({"import", "--format", "slack", "--from", folder.string()});
  REQUIRE_EXIT(no_ws, 2);
  CHECK(no_ws.err.find("--workspace") != std::string::npos);

  // Not there, not an export.
  REQUIRE_EXIT(env.Run(Import((env.root() / "missing.zip").string(), "acme")), 3);
  std::ofstream(env.root() / "notes.zip") << "not a zip";
  CliRun not_zip = env.Run(Import((env.root() / "notes.zip").string(), "acme"));
  REQUIRE_EXIT(not_zip, 7);

  // Malformed JSON: FILE:LINE, and nothing imported.
  const auto day = folder / "general" / "2017-12-02.json";
  std::ofstream(day, std::ios::trunc) << "[\n  {\"ts\": \"1512172800.000800\", \"text\": \"a\"},\n"
                                         "  {\"ts\": \"1512172900.000900\" \"text\": \"b\"}\n]\n";
  CliRun bad = env.Run(Import(folder.string(), "acme"));
  REQUIRE_EXIT(bad, 7);
  CHECK(bad.err.rfind("quikctl: invalid_argument: " + day.string() + ":3: malformed JSON", 0) == 0);
  REQUIRE_EXIT(env.Run({"workspace", "show", "acme"}), 3);
  CliRun bad_json = env.Run(WithJson(Import(folder.string(), "acme")));
  REQUIRE_EXIT(bad_json, 7);
  CHECK(bad_json.out.empty());
  CHECK(json::parse(bad_json.err)["error"]["code"] == "invalid_argument");
}
