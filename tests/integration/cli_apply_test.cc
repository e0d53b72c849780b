// SPDX-License-Identifier: MIT
// quikctl apply and quikctl get workspace, end to end: the built binary on a
// temp data dir (CONTRACT.md sections 1 and 4).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <quik/options.hpp>
#include <quik/service.hpp>

#include "integration/cli_harness.hpp"
#include "testing/ws_client.hpp"

namespace {

using nlohmann::json;
using quik::testing::CliRun;
using quik::testing::QuikctlEnv;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string LastLine(const std::string& text) {
  auto lines = Lines(text);
  return lines.empty() ? "" : lines.back();
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Writes `text` to ROOT/NAME and returns the path.
std::string WriteFile(const QuikctlEnv& env, const std::string& name, const std::string& text) {
  auto path = env.root() / name;
  std::ofstream(path, std::ios::trunc) << text;
  return path.string();
}

// Everything a manifest can say about the data dir, and the workspace list.
json Snapshot(const QuikctlEnv& env, const std::string& slug) {
  json snap = {{"workspaces", env.Json({"workspace", "list"})}};
  CliRun got = env.Run({"-o", "json", "get", "workspace", slug});
  snap["manifest"] = got.exit_code == 0 ? got.Json() : json(got.exit_code);
  snap["users"] = env.Json({"user", "list"});
  return snap;
}

const char* kSmall = R"(apiVersion: quik/v1
workspaces:
  - name: Acme
    slug: acme
    members:
      - {email: alice@acme.test, name: Alice, role: admin}
      - {email: bob@acme.test, name: Bob}
    channels:
      - {name: general}
      - {name: leads, private: true, topic: "Sales leads", members: [alice@acme.test]}
)";

TEST_CASE("quikctl apply: plan, apply, then 0 changes", "[cli][apply]") {
  QuikctlEnv env;
  std::string file = WriteFile(env, "acme.yaml", kSmall);
  CliRun first = env.Run({"apply", "-f", file});
  REQUIRE_EXIT(first, 0);
  auto lines = Lines(first.out);
  CHECK(lines.front() == "+ user alice@acme.test (Alice)");
  CHECK(Contains(first.out, "+ member acme alice@acme.test (admin)\n"));
  CHECK(Contains(first.out, "+ channel acme/#leads (private, topic \"Sales leads\")\n"));
  CHECK(Contains(first.out, "+ member acme/#leads alice@acme.test\n"));
  CHECK(lines.back() == "8 changes");
  CHECK(first.err.empty());

  json leads = env.Json({"channel", "show", "acme/#leads"});
  CHECK(leads["kind"] == "private");
  CHECK(leads["topic"] == "Sales leads");
  json members = env.Json({"workspace", "members", "acme"});
  REQUIRE(members.size() == 2);

  CliRun again = env.Run({"apply", "-f", file});
  REQUIRE_EXIT(again, 0);
  CHECK(again.out == "0 changes\n");
  CliRun pruned = env.Run({"apply", "-f", file, "--prune"});
  REQUIRE_EXIT(pruned, 0);
  CHECK(pruned.out == "0 changes\n");

  // -o json: one document; stdin with -f -.
  CliRun as_json = env.Run({"-o", "json", "apply", "-f", "-"}, kSmall);
  REQUIRE_EXIT(as_json, 0);
  CHECK(as_json.Json() == json{{"changes", json::array()},
                               {"count", 0},
                               {"dry_run", false},
                               {"skipped", json::array()}});
}

TEST_CASE("quikctl apply --dry-run prints the plan and changes nothing", "[cli][apply]") {
  QuikctlEnv env;
  REQUIRE_EXIT(env.Run({"apply", "-f", WriteFile(env, "a.yaml", kSmall)}), 0);
  REQUIRE_EXIT(env.Run({"channel", "create", "--workspace", "acme", "old"}), 0);
  json before = Snapshot(env, "acme");

  std::string changed = R"(apiVersion: quik/v1
workspaces:
  - name: Acme Corp
    slug: acme
    members:
      - {email: alice@acme.test, role: owner}
      - {email: carol@acme.test, name: Carol}
    channels:
      - {name: general, topic: News}
      - {name: leads, members: [carol@acme.test]}
  - name: Beta
)";
  std::string file = WriteFile(env, "changed.yaml", changed);
  CliRun dry = env.Run({"apply", "-f", file, "--dry-run", "--prune"});
  REQUIRE_EXIT(dry, 0);
  auto lines = Lines(dry.out);
  CHECK(lines == std::vector<std::string>{
                     "+ user carol@acme.test (Carol)",
                     "~ workspace acme name \"Acme\" -> \"Acme Corp\"",
                     "+ member acme carol@acme.test (member)",
                     "~ member acme alice@acme.test role admin -> owner",
                     "- member acme bob@acme.test",
                     "~ channel acme/#general topic \"\" -> \"News\"",
                     "+ member acme/#leads carol@acme.test",
                     "- member acme/#leads alice@acme.test",
                     "- archive channel acme/#old",
                     "+ workspace beta (Beta)",
                     "dry run: nothing was applied",
                     "10 changes",
                 });
  CHECK(Snapshot(env, "acme") == before);

  CliRun dry_json = env.Run({"-o", "json", "apply", "-f", file, "--dry-run"});
  REQUIRE_EXIT(dry_json, 0);
  json doc = dry_json.Json();
  CHECK(doc["dry_run"] == true);
  CHECK(doc["count"] == 7);  // without --prune: no removals, no archive
  CHECK(doc["changes"][0] == json{{"action", "create"},
                                  {"kind", "user"},
                                  {"target", "carol@acme.test"},
                                  {"detail", "name \"Carol\""}});
  CHECK(Snapshot(env, "acme") == before);

  // The same file applied: what the dry run said.
  CliRun applied = env.Run({"apply", "-f", file, "--prune"});
  REQUIRE_EXIT(applied, 0);
  CHECK(LastLine(applied.out) == "10 changes");
  CHECK(env.Run({"apply", "-f", file, "--prune"}).out == "0 changes\n");
}

// Ten channels; the fifth is wrong (and the seventh, when given).
std::string TenChannels(const std::string& fifth, const std::string& seventh = "") {
  std::string text =
      "apiVersion: quik/v1\n"
      "workspaces:\n"
      "  - name: Acme\n"
      "    slug: acme\n"
      "    members:\n"
      "      - {email: alice@acme.test}\n"
      "    channels:\n";
  for (int i = 1; i <= 10; ++i) {
    std::string entry = "{name: c" + std::to_string(i) + ", members: [alice@acme.test]}";
    if (i == 5) entry = fifth;
    if (i == 7 && !seventh.empty()) entry = seventh;
    text += "      - " + entry + "\n";
  }
  return text;
}

TEST_CASE("quikctl apply is all or nothing: the fifth of ten objects is invalid", "[cli][apply]") {
  QuikctlEnv env;
  SECTION("invalid in the file: nothing exists afterwards") {
    std::string file = WriteFile(env, "ten.yaml", TenChannels("{name: \"c 5!\"}"));
    CliRun r = env.Run({"apply", "-f", file});
    REQUIRE_EXIT(r, 7);
    CHECK(r.out.empty());
    CHECK(Contains(r.err,
                   "quikctl: invalid_argument: " + file + ":12: workspaces[0].channels[4].name: "));
    CHECK(env.Json({"workspace", "list"}).empty());
    CHECK(env.Json({"user", "list"}).size() == 0);
  }
  SECTION("found only inside the transaction: nothing of the other nine is applied") {
    // c5 exists and is private; the file declares it public. Alice exists
    // but is not yet a member of acme.
    REQUIRE_EXIT(env.Run({"workspace", "create", "Acme", "--slug", "acme"}), 0);
    REQUIRE_EXIT(env.Run({"channel", "create", "--workspace", "acme", "c5", "--private"}), 0);
    json before = Snapshot(env, "acme");
    std::string file = WriteFile(env, "ten.yaml", TenChannels("{name: c5, private: false}"));
    CliRun r = env.Run({"apply", "-f", file});
    REQUIRE_EXIT(r, 7);
    CHECK(Contains(r.err, file + ":12: workspaces[0].channels[4].private: #c5 is private"));
    CHECK(Lines(r.err).size() == 1);
    CHECK(Snapshot(env, "acme") == before);
    CHECK(env.Json({"channel", "list", "--workspace", "acme"}).size() == 1);
  }
  SECTION("several errors: each on its own line, then the error line") {
    REQUIRE_EXIT(env.Run({"workspace", "create", "Acme", "--slug", "acme"}), 0);
    REQUIRE_EXIT(env.Run({"channel", "create", "--workspace", "acme", "c5", "--private"}), 0);
    std::string file = WriteFile(
        env, "ten.yaml",
        TenChannels("{name: c5, private: false}", "{name: c7, members: [zed@acme.test]}"));
    CliRun r = env.Run({"apply", "-f", file});
    REQUIRE_EXIT(r, 7);
    auto lines = Lines(r.err);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].rfind(file + ":12: ", 0) == 0);
    CHECK(lines[1].rfind(file + ":14: workspaces[0].channels[6].members[0]: zed@acme.test", 0) ==
          0);
    CHECK(lines[2].rfind("quikctl: invalid_argument: " + file + ":12: ", 0) == 0);
    CHECK(Contains(lines[2], "(1 of 2 errors, all listed above; nothing applied)"));
    // -o json: one JSON line on stderr, nothing on stdout.
    CliRun j = env.Run({"-o", "json", "apply", "-f", file});
    REQUIRE_EXIT(j, 7);
    CHECK(j.out.empty());
    REQUIRE(Lines(j.err).size() == 1);
    json err = json::parse(j.err);
    CHECK(err["error"]["code"] == "invalid_argument");
    CHECK(Contains(err["error"]["message"], ":14: "));
  }
}

TEST_CASE("quikctl apply --prune removes members, archives channels, keeps messages",
          "[cli][apply]") {
  QuikctlEnv env;
  REQUIRE_EXIT(env.Run({"apply", "-f", WriteFile(env, "a.yaml", kSmall)}), 0);
  REQUIRE_EXIT(env.Run({"user", "create", "--email", "carol@acme.test", "--name", "Carol",
                        "--workspace", "acme"}),
               0);
  REQUIRE_EXIT(env.Run({"channel", "create", "--workspace", "acme", "old"}), 0);
  REQUIRE_EXIT(env.Run({"channel", "add-member", "acme/#leads", "bob@acme.test"}), 0);
  json posted = env.Json({"post", "--channel", "acme/#old", "--as", "bob@acme.test", "still here"});

  // Without --prune the extra member, channel and channel member stay.
  std::string file = WriteFile(env, "a.yaml", kSmall);
  CliRun plain = env.Run({"apply", "-f", file});
  REQUIRE_EXIT(plain, 0);
  CHECK(plain.out == "0 changes\n");

  CliRun pruned = env.Run({"apply", "-f", file, "--prune"});
  REQUIRE_EXIT(pruned, 0);
  CHECK(Lines(pruned.out) == std::vector<std::string>{"- member acme carol@acme.test",
                                                      "- member acme/#leads bob@acme.test",
                                                      "- archive channel acme/#old", "3 changes"});
  json members = env.Json({"workspace", "members", "acme"});
  CHECK(members.size() == 2);
  CHECK(env.Json({"channel", "show", "acme/#old"})["archived"] == true);
  CHECK(env.Json({"channel", "members", "acme/#leads"}).size() == 1);
  CHECK(env.Run({"apply", "-f", file, "--prune"}).out == "0 changes\n");

  // The message is still there.
  quik::Options options;
  options.data_dir = env.data_dir();
  auto svc = quik::Service::Open(options);
  REQUIRE(svc.ok());
  auto message = (*svc)->messages().Get(quik::Actor::System(), posted["id"].get<std::string>());
  REQUIRE(message.ok());
  CHECK(message->text == "still here");
}

TEST_CASE("quikctl apply --prune never removes the last owner", "[cli][apply]") {
  QuikctlEnv env;
  REQUIRE_EXIT(env.Run({"apply", "-f", WriteFile(env, "a.yaml", kSmall)}), 0);
  REQUIRE_EXIT(env.Run({"user", "create", "--email", "carol@acme.test", "--name", "Carol",
                        "--workspace", "acme", "--role", "owner"}),
               0);
  CliRun r = env.Run({"apply", "-f", WriteFile(env, "a.yaml", kSmall), "--prune"});
  REQUIRE_EXIT(r, 7);
  CHECK(Contains(r.err,
                 "a.yaml:3: workspaces[0].members: this would leave workspace acme "
                 "without an owner (now: carol@acme.test)"));
  CHECK(env.Json({"workspace", "members", "acme"}).size() == 3);
}

TEST_CASE("quikctl get workspace -o yaml round-trips through apply", "[cli][apply]") {
  QuikctlEnv env;
  REQUIRE_EXIT(env.Run({"apply", "-f", WriteFile(env, "a.yaml", kSmall)}), 0);
  auto round_trip = [&](const std::string& name) {
    CliRun yaml = env.Run({"-o", "yaml", "get", "workspace", "acme"});
    REQUIRE_EXIT(yaml, 0);
    std::string file = WriteFile(env, name, yaml.out);
    CliRun again = env.Run({"apply", "-f", file, "--prune"});
    INFO(yaml.out);
    REQUIRE_EXIT(again, 0);
    CHECK(again.out == "0 changes\n");
    return yaml.out;
  };
  std::string first = round_trip("get1.yaml");
  CHECK(first.rfind("apiVersion: quik/v1\nworkspaces:\n  - name: Acme\n    slug: acme\n", 0) == 0);
  CHECK(Contains(first, "      - {email: alice@acme.test, name: Alice, role: admin}\n"));

  // Changes made through the CLI: a DM stays out, an archived channel says so.
  REQUIRE_EXIT(
      env.Run({"user", "set-role", "bob@acme.test", "--workspace", "acme", "--role", "guest"}), 0);
  REQUIRE_EXIT(env.Run({"channel", "create", "--workspace", "acme", "yes", "--topic", "123"}), 0);
  REQUIRE_EXIT(env.Run({"channel", "add-member", "acme/#yes", "bob@acme.test"}), 0);
  REQUIRE_EXIT(env.Run({"channel", "archive", "acme/#general"}), 0);
  REQUIRE_EXIT(env.Run({"user", "create", "--email", "Dan@Acme.test", "--name", "true",
                        "--workspace", "acme"}),
               0);
  std::string second = round_trip("get2.yaml");
  CHECK(Contains(second, "archived: true"));
  CHECK(Contains(second, "role: guest"));
  CHECK(Contains(second, "topic: \"123\""));

  // -o json is the same document, and apply reads it too (JSON is YAML).
  CliRun as_json = env.Run({"-o", "json", "get", "workspace", "acme"});
  REQUIRE_EXIT(as_json, 0);
  json doc = as_json.Json();
  CHECK(doc["apiVersion"] == "quik/v1");
  CHECK(doc["workspaces"][0]["slug"] == "acme");
  CliRun from_json = env.Run({"apply", "-f", WriteFile(env, "get.json", as_json.out)});
  REQUIRE_EXIT(from_json, 0);
  CHECK(from_json.out == "0 changes\n");

  // The table: a short summary.
  CliRun table = env.Run({"get", "workspace", "acme"});
  REQUIRE_EXIT(table, 0);
  CHECK(table.out.rfind("WORKSPACE  acme (Acme)\n", 0) == 0);
  REQUIRE_EXIT(env.Run({"get", "workspace", "nope"}), 3);
}

TEST_CASE("quikctl apply reports bad files with their line", "[cli][apply]") {
  QuikctlEnv env;
  SECTION("malformed YAML") {
    std::string file = WriteFile(env, "bad.yaml",
                                 "apiVersion: quik/v1\n"
                                 "workspaces:\n"
                                 "  - name: Acme\n"
                                 "    members: [{email: a@b.test}\n"
                                 "    channels: []\n");
    CliRun r = env.Run({"apply", "-f", file});
    REQUIRE_EXIT(r, 7);
    CHECK(r.err.rfind("quikctl: invalid_argument: " + file + ":", 0) == 0);
    CHECK(Contains(r.err, "malformed YAML"));
  }
  SECTION("unknown and missing fields") {
    std::string file = WriteFile(env, "bad.yaml",
                                 "apiVersion: quik/v1\n"
                                 "workspaces:\n"
                                 "  - name: Acme\n"
                                 "    members:\n"
                                 "      - {name: Nobody}\n"
                                 "    channels:\n"
                                 "      - {name: general, privat: true}\n");
    CliRun r = env.Run({"apply", "-f", file});
    REQUIRE_EXIT(r, 7);
    CHECK(Contains(r.err, file + ":5: workspaces[0].members[0].email: required\n"));
    CHECK(Contains(r.err, file + ":7: workspaces[0].channels[0].privat: unknown field"));
    CHECK(env.Json({"workspace", "list"}).empty());
  }
  SECTION("no such file, no apiVersion") {
    REQUIRE_EXIT(env.Run({"apply", "-f", (env.root() / "missing.yaml").string()}), 3);
    CliRun r = env.Run({"apply", "-f", "-"}, "workspaces: []\n");
    REQUIRE_EXIT(r, 7);
    CHECK(Contains(r.err, "<stdin>:1: apiVersion: required"));
  }
}

TEST_CASE("the example manifests validate", "[cli][apply]") {
  QuikctlEnv env;
  const std::filesystem::path dir = std::filesystem::path(QUIK_SOURCE_DIR) / "config/manifests";
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    ++seen;
    CliRun r = env.Run({"apply", "--dry-run", "-f", entry.path().string()});
    INFO(entry.path());
    REQUIRE_EXIT(r, 0);
    CHECK(LastLine(r.out) != "0 changes");
  }
  CHECK(seen >= 2);
}

TEST_CASE("quikctl apply while serve runs: clients see the changes live", "[cli][apply]") {
  QuikctlEnv env;
  REQUIRE_EXIT(env.Run({"apply", "-f", WriteFile(env, "a.yaml", kSmall)}), 0);
  CliRun tok = env.Run({"-q", "token", "create", "--user", "bob@acme.test", "--name", "t"});
  REQUIRE_EXIT(tok, 0);
  const std::string token = tok.out.substr(0, tok.out.find('\n'));
  quik::testing::ServeProcess server(env.data_dir());
  const std::string& url = server.url();
  auto port = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
  quik_testing::WsClient::Options o;
  o.token = token;
  auto ws = quik_testing::WsClient::Connect(port, o);
  REQUIRE(ws->ok());
  REQUIRE(ws->NextOfType("hello"));

  std::string more = std::string(kSmall) + "      - {name: launch, topic: Soon}\n";
  CliRun r = env.Run({"apply", "-f", WriteFile(env, "b.yaml", more)});
  REQUIRE_EXIT(r, 0);
  CHECK(r.out == "+ channel acme/#launch (public, topic \"Soon\")\n1 changes\n");
  auto created = ws->NextOfType("channel.created");
  REQUIRE(created);
  CHECK((*created)["data"]["name"] == "launch");
  CHECK((*created)["data"]["topic"] == "Soon");
}

}  // namespace
