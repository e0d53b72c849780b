// SPDX-License-Identifier: MIT
// quikctl export / import: the round trip through the built binary, the
// report, idempotency, a truncated export, and bad input (exit codes and
// FILE:LINE messages).
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "integration/cli_harness.hpp"
#include "net/http_client.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using quik::testing::CliRun;
using quik::testing::QuikctlEnv;

std::vector<std::string> Lines(const fs::path& p) {
  std::vector<std::string> out;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

void WriteLines(const fs::path& p, const std::vector<std::string>& lines) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  for (const auto& l : lines) out << l << '\n';
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Workspace demo built with quikctl: alice (owner), bob, carol (deactivated),
// #general with a thread, a reaction, a pin and a shared file; #private.
struct Demo {
  QuikctlEnv env;
  std::string sha256;
  Demo() {
    env.Json({"workspace", "create", "Demo", "--slug", "demo"});
    env.Json({"user", "create", "--email", "alice@demo.test", "--name", "Alice", "--workspace",
              "demo", "--role", "owner"});
    env.Json(
        {"user", "create", "--email", "bob@demo.test", "--name", "Bób", "--workspace", "demo"});
    env.Json(
        {"user", "create", "--email", "carol@demo.test", "--name", "Carol", "--workspace", "demo"});
    env.Json({"channel", "create", "--workspace", "demo", "general", "--topic", "Tout le monde"});
    env.Json({"channel", "create", "--workspace", "demo", "private", "--private"});
    for (const char* u : {"alice@demo.test", "bob@demo.test", "carol@demo.test"}) {
      env.Json({"channel", "add-member", "demo/#general", u});
    }
    env.Json({"channel", "add-member", "demo/#private", "alice@demo.test"});
    json root = env.Json({"post", "--channel", "demo/#general", "--as", "alice@demo.test",
                          "Zürich offsite: who is in?"});
    env.Json({"post", "--channel", "demo/#general", "--as", "bob@demo.test", "--thread", root["id"],
              "me"});
    env.Json({"post", "--channel", "demo/#general", "--as", "carol@demo.test", "--thread",
              root["id"], "me too"});
    env.Json({"message", "react", root["id"], "tada", "--as", "bob@demo.test"});
    env.Json({"message", "pin", root["id"], "--as", "alice@demo.test"});
    env.Json({"post", "--channel", "demo/#private", "--as", "alice@demo.test", "secret plans"});
    const fs::path file = env.root() / "agenda.txt";
    std::ofstream(file) << "agenda: ☀ day one\n";
    json up = env.Json({"files", "upload", "demo", file.string(), "--as", "bob@demo.test"});
    sha256 = up["sha256"];
    env.Json({"user", "deactivate", "carol@demo.test"});
  }
};

}  // namespace

TEST_CASE("quikctl export and import: round trip, report, idempotent", "[cli][transfer]") {
  Demo d;
  const fs::path out = d.env.root() / "demo-export";
  json exported =
      d.env.Json({"export", "--workspace", "demo", "--to", out.string(), "--with-files"});
  CHECK(exported["path"] == (out / "export.jsonl").string());
  CHECK(exported["counts"]["message"] == 4);
  CHECK(exported["counts"]["user"] == 3);
  CHECK(exported["files_copied"] == 1);
  CHECK(ReadAll(out / "files" / d.sha256) == "agenda: ☀ day one\n");

  // A second export to the same place is refused (exit 4); --server is not for export.
  CliRun again = d.env.Run({"export", "--workspace", "demo", "--to", out.string()});
  REQUIRE_EXIT(again, 4);
  CHECK(again.err.find("not empty") != std::string::npos);
  CliRun table =
      d.env.Run({"export", "--workspace", "demo", "--to", (d.env.root() / "demo.jsonl").string()});
  REQUIRE_EXIT(table, 0);
  CHECK(table.out.find("exported demo to ") != std::string::npos);

  QuikctlEnv dst;
  CliRun first = dst.Run({"import", "--from", out.string()});
  REQUIRE_EXIT(first, 0);
  CHECK(first.out.rfind("KIND", 0) == 0);
  CHECK(first.out.find("imported into demo (created)") != std::string::npos);

  json report = dst.Json({"import", "--from", (out / "export.jsonl").string()});
  CHECK(report["complete"] == true);
  CHECK(report["workspace"] == "demo");
  CHECK(report["workspace_created"] == false);
  for (const auto& [kind, c] : report["kinds"].items()) {
    INFO(kind);
    CHECK(c["imported"] == 0);
    CHECK(c["skipped"] == 0);
  }
  CHECK(report["kinds"]["message"]["existing"] == 4);
  CHECK(report["kinds"]["user"]["existing"] == 3);

  // The content is there: users, channels, messages (searchable), the file's bytes.
  json users = dst.Json({"user", "list", "--workspace", "demo"});
  REQUIRE(users.size() == 3);
  std::map<std::string, json> by_email;
  for (const json& u : users) by_email[u["email"].get<std::string>()] = u;
  REQUIRE(by_email.count("carol@demo.test") == 1);
  REQUIRE(by_email.count("bob@demo.test") == 1);
  CHECK(by_email["carol@demo.test"]["active"] == false);
  CHECK(by_email["bob@demo.test"]["name"] == "Bób");
  json channels = dst.Json({"channel", "list", "--workspace", "demo"});
  REQUIRE(channels.size() == 2);
  json hits = dst.Json({"search", "demo", "zurich"});
  REQUIRE(hits.size() == 1);
  CHECK(hits[0]["message"]["text"] == "Zürich offsite: who is in?");
  CHECK(hits[0]["message"]["reply_count"] == 2);
  json pins = dst.Json({"message", "pins", "--channel", "demo/#general"});
  REQUIRE(pins.size() == 1);
  json files = dst.Json({"files", "list", "demo"});
  REQUIRE(files.size() == 1);
  CHECK(files[0]["sha256"] == d.sha256);
}

TEST_CASE("quikctl import: bad input, truncated input, exit codes", "[cli][transfer]") {
  Demo d;
  const fs::path jsonl = d.env.root() / "demo.jsonl";
  REQUIRE_EXIT(d.env.Run({"export", "--workspace", "demo", "--to", jsonl.string()}), 0);
  auto lines = Lines(jsonl);
  REQUIRE(lines.size() > 10);
  QuikctlEnv dst;

  SECTION("unknown version: exit 7, FILE:1") {
    json header = json::parse(lines[0]);
    header["version"] = 99;
    auto v = lines;
    v[0] = header.dump();
    const fs::path p = d.env.root() / "v99.jsonl";
    WriteLines(p, v);
    CliRun r = dst.Run({"import", "--from", p.string()});
    REQUIRE_EXIT(r, 7);
    CHECK(r.err.find(p.string() + ":1: unsupported export version 99") != std::string::npos);
  }
  SECTION("a malformed line: exit 7, FILE:LINE, nothing imported") {
    auto v = lines;
    v[3] = "{not json";
    const fs::path p = d.env.root() / "bad.jsonl";
    WriteLines(p, v);
    CliRun r = dst.Run({"-o", "json", "import", "--from", p.string()});
    REQUIRE_EXIT(r, 7);
    CHECK(r.out.empty());
    json err = json::parse(r.err);
    CHECK(err["error"]["code"] == "invalid_argument");
    CHECK(err["error"]["message"].get<std::string>().find(p.string() + ":4: not valid JSON") !=
          std::string::npos);
    REQUIRE_EXIT(dst.Run({"workspace", "show", "demo"}), 3);
  }
  SECTION("a missing file: exit 3") {
    CliRun r = dst.Run({"import", "--from", (d.env.root() / "nowhere").string()});
    REQUIRE_EXIT(r, 3);
  }
  SECTION("a truncated export: exit 7, what it holds is kept; the full one completes it") {
    auto v = lines;
    v.resize(lines.size() - 4);  // no trailer, no pin, ...
    const fs::path p = d.env.root() / "cut.jsonl";
    WriteLines(p, v);
    CliRun r = dst.Run({"import", "--from", p.string()});
    REQUIRE_EXIT(r, 7);
    CHECK(r.err.find("incomplete") != std::string::npos);
    CHECK(r.err.find("rerun with the complete export") != std::string::npos);
    REQUIRE_EXIT(dst.Run({"workspace", "show", "demo"}), 0);
    json report = dst.Json({"import", "--from", jsonl.string()});
    CHECK(report["complete"] == true);
    CHECK(report["kinds"]["pin"]["imported"] == 1);
    CHECK(report["kinds"]["user"]["imported"] == 0);
    CHECK(report["kinds"]["user"]["existing"] == 3);
  }
  SECTION("--server is refused: export and import work on a data dir") {
    CliRun r = dst.RunRaw(
        {"--server", "http://127.0.0.1:1", "--token", "t", "import", "--from", jsonl.string()});
    REQUIRE_EXIT(r, 2);
  }
}

TEST_CASE("quikctl import while the server runs", "[cli][transfer]") {
  Demo d;
  const fs::path jsonl = d.env.root() / "demo.jsonl";
  REQUIRE_EXIT(d.env.Run({"export", "--workspace", "demo", "--to", jsonl.string()}), 0);
  QuikctlEnv dst;
  quik::testing::ServeProcess server(dst.data_dir());
  json report = dst.Json({"import", "--from", jsonl.string(), "--workspace", "copy"});
  CHECK(report["workspace"] == "copy");
  CHECK(report["workspace_created"] == true);
  CHECK(report["kinds"]["message"]["imported"] == 4);

  // A client of the running server sees the new channels and memberships,
  // and the history over HTTP, but no message.posted for old messages.
  json token = dst.Json({"token", "create", "--user", "alice@demo.test"});
  auto client = quik::net::HttpClient::Connect(server.url());
  REQUIRE(client.ok());
  const quik::net::HttpHeaders auth = {
      {"Authorization", "Bearer " + token["token"].get<std::string>()}};
  auto events = client->Request("GET", "/api/v1/events?after=0&wait=0", {}, auth);
  REQUIRE(events.ok());
  REQUIRE(events->status == 200);
  const json page = json::parse(events->body);
  std::set<std::string> types;
  for (const json& e : page["events"]) {
    types.insert(e["type"].get<std::string>());
  }
  CHECK(types.count("channel.created") == 1);
  CHECK(types.count("member.joined") == 1);
  CHECK(types.count("message.posted") == 0);
  auto history =
      client->Request("GET", "/api/v1/channels/copy%2F%23general/messages?limit=10", {}, auth);
  REQUIRE(history.ok());
  REQUIRE(history->status == 200);
  json items = json::parse(history->body)["items"];
  REQUIRE(items.size() == 1);
  CHECK(items[0]["text"] == "Zürich offsite: who is in?");
  CHECK(items[0]["reply_count"] == 2);
}
