// SPDX-License-Identifier: MIT
// quikctl version, config check and completion; and that quikctl(1)
// documents every command of the CLI (the completion script lists them).
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "integration/cli_harness.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using quik::testing::CliRun;
using quik::testing::QuikctlEnv;
using quik::testing::RunProcess;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The commands the completion script's header lists ("migrate up", ...).
std::vector<std::string> CommandsOf(const std::string& script) {
  std::vector<std::string> out;
  std::istringstream in(script);
  const std::string prefix = "#   quikctl ";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) out.push_back(line.substr(prefix.size()));
  }
  return out;
}

// The text of a roff line without its macro, fonts, quotes and escapes:
// `.BI "files gc \fR[\fB\-\-grace " D` -> `files gc [--grace D`.
std::string DeRoff(std::string line) {
  if (!line.empty() && line[0] == '.') {
    const auto space = line.find(' ');
    line = space == std::string::npos ? "" : line.substr(space + 1);
  }
  line = std::regex_replace(line, std::regex(R"(\\f[BIRP])"), "");
  line = std::regex_replace(line, std::regex(R"(\\-)"), "-");
  line = std::regex_replace(line, std::regex("\""), "");
  line = std::regex_replace(line, std::regex(" +"), " ");
  return line;
}

}  // namespace

TEST_CASE("version: quikctl's version and its libraries'", "[ops][cli]") {
  QuikctlEnv env(/*init=*/false);
  CliRun r = env.Run({"-o", "json", "version"});
  REQUIRE_EXIT(r, 0);
  json v = r.Json();
  CHECK(v["version"] == "0.1.0");
  CHECK(v["sqlite"].get<std::string>().rfind("3.", 0) == 0);
  CHECK(v["lmdb"].get<std::string>().rfind("0.9", 0) == 0);
  CHECK_FALSE(v["openssl"].get<std::string>().empty());
  CHECK(v["boost"].get<std::string>().rfind("1.", 0) == 0);
  CHECK_FALSE(v["protobuf"].get<std::string>().empty());
  CHECK(v.contains("git_commit"));

  CliRun table = env.Run({"version"});
  REQUIRE_EXIT(table, 0);
  CHECK(table.out.rfind("quikctl 0.1.0", 0) == 0);
  CHECK(Contains(table.out, "SQLite"));
  CliRun quiet = env.Run({"-q", "version"});
  REQUIRE_EXIT(quiet, 0);
  CHECK(quiet.out == "0.1.0\n");
}

TEST_CASE("config check: effective values of a good file, every error with FILE:LINE:",
          "[ops][cli]") {
  QuikctlEnv env;  // its quik.toml sets storage.sync and auth.scrypt_log2_n
  const std::string file = env.config_path().string();

  SECTION("a good file") {
    CliRun r = env.Run({"-o", "json", "config", "check"});
    REQUIRE_EXIT(r, 0);
    json j = r.Json();
    CHECK(j["valid"] == true);
    CHECK(j["file"] == file);
    std::map<std::string, json> by_key;
    for (const json& s : j["settings"]) by_key[s["key"]] = s;
    REQUIRE(by_key.count("storage.sync") == 1);
    CHECK(by_key["storage.sync"]["value"] == "\"normal\"");
    CHECK(by_key["storage.sync"]["default"] == "\"full\"");
    CHECK(by_key["storage.sync"]["changed"] == true);
    CHECK(by_key["auth.scrypt_log2_n"]["value"] == "10");
    CHECK(by_key["server.listen"]["changed"] == false);
    CliRun table = env.Run({"config", "check"});
    REQUIRE_EXIT(table, 0);
    CHECK(Contains(table.out, "storage.sync"));
    CHECK(Contains(table.out, file + ": valid; "));
    CHECK(Contains(table.out, "2 changed from their defaults"));
  }
  SECTION("a bad value names its line and key") {
    env.WriteConfig("# comment\n[storage]\nsync = \"sometimes\"\n");
    CliRun r = env.Run({"config", "check"});
    REQUIRE_EXIT(r, 7);
    CHECK(Contains(r.err, file + ":3: key 'storage.sync': expected \"full\" or \"normal\""));
    CHECK(Contains(r.out, file + ":3:"));
  }
  SECTION("unknown keys, and every problem at once") {
    env.WriteConfig(
        "[server]\nlisten = \"127.0.0.1:8470\"\nlisen = \"x\"\n[storage]\n"
        "cache_mib = 0\n");
    CliRun r = env.Run({"-o", "json", "config", "check"});
    REQUIRE_EXIT(r, 7);
    json j = r.Json();
    CHECK(j["valid"] == false);
    REQUIRE(j["errors"].size() == 2);
    CHECK(j["errors"][0] == file + ":3: unknown key 'server.lisen'");
    CHECK(Contains(j["errors"][1].get<std::string>(), file + ":5: key 'storage.cache_mib'"));
    json err = json::parse(r.err);
    CHECK(err["error"]["code"] == "invalid_argument");
    CHECK(Contains(err["error"]["message"].get<std::string>(), "(and 1 more problem)"));
  }
  SECTION("a TOML syntax error") {
    env.WriteConfig("[storage\nsync = \"full\"\n");
    CliRun r = env.Run({"config", "check"});
    REQUIRE_EXIT(r, 7);
    CHECK(Contains(r.err, file + ":1:"));
  }
  SECTION("no file: the defaults") {
    fs::remove(env.config_path());
    CliRun r = env.Run({"config", "check"});
    REQUIRE_EXIT(r, 0);
    CHECK(Contains(r.out, "every key has its default"));
  }
  SECTION("an explicit --config that does not exist") {
    CliRun r = env.Run({"--config", (env.root() / "nope.toml").string(), "config", "check"});
    REQUIRE_EXIT(r, 3);
  }
}

TEST_CASE("completion: bash and zsh scripts from the command tree", "[ops][cli]") {
  QuikctlEnv env(/*init=*/false);
  CliRun bash = env.Run({"completion", "bash"});
  REQUIRE_EXIT(bash, 0);
  const fs::path script = env.root() / "quikctl.bash";
  std::ofstream(script) << bash.out;

  // Every command is in it, and the top-level ones are completed.
  std::vector<std::string> commands = CommandsOf(bash.out);
  std::set<std::string> set(commands.begin(), commands.end());
  for (const char* c :
       {"init", "migrate up", "serve", "workspace create", "user set-role", "channel add-member",
        "token revoke", "post", "files gc", "search", "backup", "restore", "verify", "version",
        "config check", "completion", "bench ws", "message react", "webhook deliveries"}) {
    CAPTURE(c);
    CHECK(set.count(c) == 1);
  }

  CliRun syntax = RunProcess("/bin/bash", {"-n", script.string()});
  REQUIRE_EXIT(syntax, 0);

  auto complete = [&](const std::string& words, int cword) {
    const std::string cmd = "source " + script.string() + "; COMP_WORDS=(" + words +
                            "); COMP_CWORD=" + std::to_string(cword) +
                            "; _quikctl; echo \"${COMPREPLY[*]}\"";
    CliRun r = RunProcess("/bin/bash", {"-c", cmd});
    INFO(r.Describe());
    REQUIRE(r.exit_code == 0);
    return r.out;
  };
  CHECK(complete("quikctl mig", 1) == "migrate\n");
  CHECK(complete("quikctl migrate ''", 2) == "status up\n");
  CHECK(Contains(complete("quikctl --data-dir /tmp backup --", 4), "--to"));
  CHECK(Contains(complete("quikctl -o ''", 2), "json"));
  CHECK(complete("quikctl completion ''", 2) == "bash zsh\n");
  // Global flags everywhere.
  CHECK(Contains(complete("quikctl channel list --", 3), "--data-dir"));

  CliRun zsh = env.Run({"completion", "zsh"});
  REQUIRE_EXIT(zsh, 0);
  CHECK(zsh.out.rfind("#compdef quikctl\n", 0) == 0);
  CHECK(CommandsOf(zsh.out) == commands);
  if (fs::exists("/bin/zsh") || fs::exists("/usr/bin/zsh")) {
    const fs::path zscript = env.root() / "_quikctl";
    std::ofstream(zscript) << zsh.out;
    REQUIRE_EXIT(
        RunProcess(fs::exists("/bin/zsh") ? "/bin/zsh" : "/usr/bin/zsh", {"-n", zscript.string()}),
        0);
  }

  REQUIRE_EXIT(env.Run({"completion", "fish"}), 2);
}

TEST_CASE("quikctl(1) documents every command of the CLI", "[ops][cli][man]") {
  QuikctlEnv env(/*init=*/false);
  CliRun bash = env.Run({"completion", "bash"});
  REQUIRE_EXIT(bash, 0);
  const std::vector<std::string> commands = CommandsOf(bash.out);
  REQUIRE(commands.size() > 30);

  // Each command starts a tagged paragraph (.TP) of COMMANDS.
  const std::string man = ReadFile(fs::path(QUIK_SOURCE_DIR) / "man" / "quikctl.1");
  REQUIRE_FALSE(man.empty());
  std::vector<std::string> tags;
  std::istringstream in(man);
  bool next_is_tag = false;
  for (std::string line; std::getline(in, line);) {
    if (next_is_tag) tags.push_back(DeRoff(line));
    next_is_tag = line == ".TP";
  }
  for (const std::string& command : commands) {
    CAPTURE(command);
    bool found = false;
    for (const std::string& tag : tags) {
      if (tag.rfind(command, 0) == 0 &&
          (tag.size() == command.size() || tag[command.size()] == ' ' ||
           tag[command.size()] == '[')) {
        found = true;
      }
    }
    CHECK(found);
  }
}
