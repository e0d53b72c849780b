// SPDX-License-Identifier: MIT
// quikctl offline mode, end to end: the built binary on a temp data dir
// (CONTRACT.md section 1: commands, output formats, errors, exit codes).
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <quik/config.hpp>
#include <quik/service.hpp>

#include "integration/cli_harness.hpp"

namespace {

using nlohmann::json;
using quik::testing::CliRun;
using quik::testing::QuikctlEnv;

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Runs quikctl ARGS on a pseudo-terminal (stdin, stdout and stderr), typing
// `answer` once it has printed `prompt`; returns what it printed and its exit
// code.
CliRun RunOnTerminal(const std::vector<std::string>& args, const std::string& prompt,
                     const std::string& answer) {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  REQUIRE(master >= 0);
  REQUIRE(::grantpt(master) == 0);
  REQUIRE(::unlockpt(master) == 0);
  const std::string slave_name = ::ptsname(master);
  std::vector<std::string> all{QUIKCTL_PATH};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::setsid();
    const int slave = ::open(slave_name.c_str(), O_RDWR);
    if (slave < 0) ::_exit(126);
    ::dup2(slave, 0);
    ::dup2(slave, 1);
    ::dup2(slave, 2);
    ::execv(QUIKCTL_PATH, argv.data());
    ::_exit(127);
  }
  CliRun run;
  bool answered = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child closed the terminal
    run.out.append(buf, static_cast<std::size_t>(n));
    if (!answered && run.out.find(prompt) != std::string::npos) {
      const std::string line = answer + "\n";
      REQUIRE(::write(master, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
      answered = true;
    }
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

// The stderr of a failed run: exactly one line "quikctl: CODE: ...".
void RequireErrorLine(const CliRun& r, const std::string& code) {
  INFO(r.Describe());
  REQUIRE(Lines(r.err).size() == 1);
  REQUIRE(StartsWith(r.err, "quikctl: " + code + ": "));
  REQUIRE(r.out.empty());
}

// A workspace "demo", a member user, and a public channel demo/#general.
struct Demo {
  QuikctlEnv env;
  json ws, alice, general;
  Demo() {
    ws = env.Json({"workspace", "create", "Demo", "--slug", "demo"});
    alice = env.Json(
        {"user", "create", "--email", "alice@demo.test", "--name", "Alice", "--workspace", "demo"});
    general = env.Json({"channel", "create", "--workspace", "demo", "general"});
  }
};

// Values of a top-level YAML block mapping "key: value" (enough for one object).
std::map<std::string, std::string> YamlMap(const std::string& text) {
  std::map<std::string, std::string> map;
  for (const std::string& line : Lines(text)) {
    auto colon = line.find(": ");
    if (line.empty() || line[0] == ' ' || colon == std::string::npos) continue;
    std::string value = line.substr(colon + 2);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    map[line.substr(0, colon)] = value;
  }
  return map;
}

TEST_CASE("quikctl init is idempotent", "[cli]") {
  QuikctlEnv env(/*init=*/false);
  CliRun first = env.Run({"-o", "json", "init"});
  REQUIRE_EXIT(first, 0);
  json j = first.Json();
  CHECK(j["created_config"] == true);
  CHECK(j["migrations_applied"].get<int>() > 0);
  CHECK(std::filesystem::exists(env.data_dir() / "quik.db"));
  CHECK(std::filesystem::exists(env.data_dir() / "quik.toml"));

  env.WriteConfig(QuikctlEnv::kFastConfig);
  env.Json({"workspace", "create", "Keep Me"});
  CliRun second = env.Run({"-o", "json", "init"});
  REQUIRE_EXIT(second, 0);
  j = second.Json();
  CHECK(j["created_config"] == false);
  CHECK(j["migrations_applied"] == 0);
  // Our config and data survive.
  std::ifstream config(env.config_path());
  std::string text((std::istreambuf_iterator<char>(config)), std::istreambuf_iterator<char>());
  CHECK(text == QuikctlEnv::kFastConfig);
  CHECK(env.Json({"workspace", "list"}).size() == 1);

  CliRun table = env.Run({"init"});
  REQUIRE_EXIT(table, 0);
  CHECK(table.out.find("already initialised") != std::string::npos);
}

TEST_CASE("quikctl on a data dir that is not initialised", "[cli]") {
  QuikctlEnv env(/*init=*/false);
  CliRun r = env.Run({"workspace", "list"});
  REQUIRE_EXIT(r, 3);
  RequireErrorLine(r, "not_found");
  CHECK(r.err.find("not initialised") != std::string::npos);
  CHECK(r.err.find("quikctl init") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(env.data_dir() / "quik.db"));

  REQUIRE_EXIT(env.Run({"migrate", "status"}), 3);
}

TEST_CASE("quikctl finds the data dir through $QUIK_DATA_DIR and ./quik-data", "[cli]") {
  QuikctlEnv env;
  env.Json({"workspace", "create", "Env"});
  CliRun r =
      env.RunRaw({"-o", "json", "workspace", "list"}, {{"QUIK_DATA_DIR", env.data_dir().string()}});
  REQUIRE_EXIT(r, 0);
  REQUIRE(r.Json().size() == 1);
  CHECK(r.Json()[0]["slug"] == "env");

  // No flag, no variable: ./quik-data (the harness runs in root()).
  REQUIRE_EXIT(env.RunRaw({"init"}, {{"QUIK_DATA_DIR", ""}}), 0);
  CHECK(std::filesystem::exists(env.root() / "quik-data" / "quik.db"));
  // --data-dir wins over the variable.
  r = env.RunRaw(
      {"-o", "json", "--data-dir", (env.root() / "quik-data").string(), "workspace", "list"},
      {{"QUIK_DATA_DIR", env.data_dir().string()}});
  REQUIRE_EXIT(r, 0);
  CHECK(r.Json().empty());
}

TEST_CASE("quikctl workspace create, list, show, delete", "[cli]") {
  QuikctlEnv env;
  CliRun r = env.Run({"-o", "json", "workspace", "create", "Acme", "--slug", "acme"});
  REQUIRE_EXIT(r, 0);
  json ws = r.Json();
  REQUIRE(ws.is_object());
  CHECK(ws["name"] == "Acme");
  CHECK(ws["slug"] == "acme");
  CHECK(ws["id"].get<std::string>().size() == 26);
  CHECK(ws["created_at"].get<std::string>().back() == 'Z');

  env.Json({"workspace", "create", "Beta"});
  json list = env.Json({"workspace", "list"});
  REQUIRE(list.is_array());
  REQUIRE(list.size() == 2);

  // By slug and by id.
  CHECK(env.Json({"workspace", "show", "acme"}) == ws);
  CHECK(env.Json({"workspace", "show", ws["id"]}) == ws);

  // Irreversible: without a terminal it needs --yes, and says so.
  r = env.Run({"workspace", "delete", "acme"});
  CHECK(r.exit_code == 2);
  RequireErrorLine(r, "usage");
  CHECK(r.err.find("--yes") != std::string::npos);
  CHECK(env.Json({"workspace", "show", "acme"}) == ws);
  // On a terminal it asks: "no" keeps the workspace.
  const std::vector<std::string> on_tty{"--data-dir", env.data_dir().string(), "workspace",
                                        "delete", "acme"};
  CliRun declined = RunOnTerminal(on_tty, "Type yes", "no");
  INFO(declined.Describe());
  CHECK(declined.exit_code == 2);
  CHECK(declined.out.find("Delete workspace acme") != std::string::npos);
  CHECK(declined.out.find("nothing was changed") != std::string::npos);
  CHECK(env.Json({"workspace", "show", "acme"}) == ws);
  // "yes" deletes.
  REQUIRE_EXIT(env.Run({"workspace", "create", "Gamma"}), 0);
  CliRun confirmed = RunOnTerminal(
      {"--data-dir", env.data_dir().string(), "workspace", "delete", "gamma"}, "Type yes", "yes");
  INFO(confirmed.Describe());
  CHECK(confirmed.exit_code == 0);
  CHECK(confirmed.out.find("deleted workspace gamma") != std::string::npos);
  CHECK(env.Run({"workspace", "show", "gamma"}).exit_code == 3);
  r = env.Run({"-o", "json", "workspace", "delete", "--yes", "acme"});
  REQUIRE_EXIT(r, 0);
  CHECK(r.Json()["id"] == ws["id"]);
  CHECK(r.Json()["deleted"] == true);
  REQUIRE_EXIT(env.Run({"workspace", "show", "acme"}), 3);
  REQUIRE_EXIT(env.Run({"workspace", "delete", "--yes", "acme"}), 3);
  CHECK(env.Json({"workspace", "list"}).size() == 1);

  // The table has a header row and one row per workspace.
  r = env.Run({"workspace", "list"});
  REQUIRE_EXIT(r, 0);
  auto lines = Lines(r.out);
  REQUIRE(lines.size() == 2);
  CHECK(StartsWith(lines[0], "ID"));
  CHECK(lines[0].find("SLUG") != std::string::npos);
  CHECK(lines[1].find("beta") != std::string::npos);
  CHECK(lines[0].find("SLUG") == lines[1].find("beta"));  // aligned
}

TEST_CASE("quikctl workspace slugs: derived, taken", "[cli]") {
  QuikctlEnv env;
  CHECK(env.Json({"workspace", "create", "Acme Corp"})["slug"] == "acme-corp");
  CliRun r = env.Run({"workspace", "create", "Another", "--slug", "acme-corp"});
  REQUIRE_EXIT(r, 4);
  RequireErrorLine(r, "conflict");
  // Deriving the same slug again is a conflict too.
  REQUIRE_EXIT(env.Run({"workspace", "create", "Acme Corp"}), 4);
  REQUIRE_EXIT(env.Run({"workspace", "create", "Bad", "--slug", "Not A Slug!"}), 7);
}

TEST_CASE("quikctl user create, show, list, deactivate, set-role", "[cli]") {
  QuikctlEnv env;
  json ws = env.Json({"workspace", "create", "Acme"});
  CliRun r = env.Run({"-o", "json", "user", "create", "--email", "Bob@Acme.test", "--name", "Bob"});
  REQUIRE_EXIT(r, 0);
  json bob = r.Json();
  CHECK(bob["email"] == "Bob@Acme.test");
  CHECK(bob["name"] == "Bob");
  CHECK(bob["active"] == true);
  CHECK(bob["is_admin"] == false);
  CHECK(bob["id"].get<std::string>().size() == 26);
  CHECK(bob.contains("created_at"));
  CHECK_FALSE(bob.contains("deactivated_at"));
  CHECK_FALSE(bob.contains("password"));

  SECTION("emails are unique case-insensitively") {
    r = env.Run({"user", "create", "--email", "bob@acme.TEST", "--name", "Bobby"});
    REQUIRE_EXIT(r, 4);
    RequireErrorLine(r, "conflict");
  }
  SECTION("a malformed email is invalid input") {
    r = env.Run({"user", "create", "--email", "not-an-email", "--name", "X"});
    REQUIRE_EXIT(r, 7);
    RequireErrorLine(r, "invalid_argument");
  }
  SECTION("show by id and by email in any case") {
    CHECK(env.Json({"user", "show", bob["id"]}) == bob);
    CHECK(env.Json({"user", "show", "bob@acme.test"}) == bob);
    REQUIRE_EXIT(env.Run({"user", "show", "nobody@acme.test"}), 3);
  }
  SECTION("--admin, --workspace and --role") {
    json carol = env.Json({"user", "create", "--email", "carol@acme.test", "--name", "Carol",
                           "--admin", "--workspace", "acme", "--role", "admin"});
    CHECK(carol["is_admin"] == true);
    json dave = env.Json(
        {"user", "create", "--email", "dave@acme.test", "--name", "Dave", "--workspace", ws["id"]});
    json members = env.Json({"user", "list", "--workspace", "acme"});
    REQUIRE(members.size() == 2);
    json all = env.Json({"user", "list"});
    CHECK(all.size() == 3);
    json roles = env.Json({"workspace", "members", "acme"});
    std::map<std::string, std::string> role_of;
    for (const json& m : roles) {
      role_of[m["user_id"].get<std::string>()] = m["role"].get<std::string>();
    }
    CHECK(role_of[carol["id"].get<std::string>()] == "admin");
    CHECK(role_of[dave["id"].get<std::string>()] == "member");  // the default role

    // set-role by email and slug; also adds a user who is not a member yet.
    json m =
        env.Json({"user", "set-role", "dave@acme.test", "--workspace", "acme", "--role", "guest"});
    CHECK(m["role"] == "guest");
    CHECK(m["user_id"] == dave["id"]);
    CHECK(m["workspace_id"] == ws["id"]);
    m = env.Json({"user", "set-role", bob["id"], "--workspace", "acme", "--role", "member"});
    CHECK(m["role"] == "member");
    CHECK(env.Json({"user", "list", "--workspace", "acme"}).size() == 3);
    REQUIRE_EXIT(env.Run({"user", "set-role", bob["id"], "--workspace", "acme", "--role", "boss"}),
                 2);
    REQUIRE_EXIT(
        env.Run({"user", "set-role", bob["id"], "--workspace", "nope", "--role", "member"}), 3);
  }
  SECTION("--role needs --workspace; a missing workspace creates no user") {
    REQUIRE_EXIT(
        env.Run({"user", "create", "--email", "e@acme.test", "--name", "E", "--role", "admin"}), 2);
    REQUIRE_EXIT(env.Run({"user", "create", "--email", "e@acme.test", "--name", "E", "--workspace",
                          "missing"}),
                 3);
    REQUIRE_EXIT(env.Run({"user", "show", "e@acme.test"}), 3);
  }
  SECTION("deactivate") {
    json u = env.Json({"user", "deactivate", "bob@acme.test"});
    CHECK(u["active"] == false);
    CHECK(u.contains("deactivated_at"));
    CHECK(env.Json({"user", "show", bob["id"]})["active"] == false);
    REQUIRE_EXIT(env.Run({"user", "deactivate", "bob@acme.test"}), 0);  // a no-op
  }
}

TEST_CASE("quikctl user create --password-stdin", "[cli]") {
  QuikctlEnv env;
  REQUIRE_EXIT(
      env.Run({"user", "create", "--email", "p@acme.test", "--name", "P", "--password-stdin"},
              "correct horse battery\n"),
      0);
  REQUIRE_EXIT(
      env.Run({"user", "create", "--email", "crlf@acme.test", "--name", "C", "--password-stdin"},
              "windows-pass\r\nsecond line is ignored\n"),
      0);
  // No password on stdin at all.
  CliRun r =
      env.Run({"user", "create", "--email", "none@acme.test", "--name", "N", "--password-stdin"});
  REQUIRE_EXIT(r, 7);
  RequireErrorLine(r, "invalid_argument");

  // The newline is not part of the password.
  quik::Options options;
  REQUIRE(quik::LoadOptionsFile(env.config_path(), &options).ok());
  options.data_dir = env.data_dir();
  auto svc = quik::Service::Open(options);
  REQUIRE(svc.ok());
  CHECK((*svc)->auth().Login("p@acme.test", "correct horse battery").ok());
  CHECK_FALSE((*svc)->auth().Login("p@acme.test", "correct horse battery\n").ok());
  CHECK((*svc)->auth().Login("crlf@acme.test", "windows-pass").ok());
  CHECK_FALSE((*svc)->auth().Login("none@acme.test", "").ok());
}

TEST_CASE("quikctl channel create, list, show, archive, members", "[cli]") {
  Demo d;
  QuikctlEnv& env = d.env;
  json general = d.general;
  CHECK(general["name"] == "general");
  CHECK(general["workspace_id"] == d.ws["id"]);
  CHECK(general["private"] == false);
  CHECK(general["kind"] == "public");
  CHECK(general["archived"] == false);
  CHECK(general["topic"] == "");
  CHECK(general.contains("created_at"));

  json leads = env.Json({"channel", "create", "--workspace", d.ws["id"], "leads", "--private",
                         "--topic", "Sales leads"});
  CHECK(leads["private"] == true);
  CHECK(leads["kind"] == "private");
  CHECK(leads["topic"] == "Sales leads");

  CliRun dup = env.Run({"channel", "create", "--workspace", "demo", "general"});
  REQUIRE_EXIT(dup, 4);
  RequireErrorLine(dup, "conflict");
  REQUIRE_EXIT(env.Run({"channel", "create", "--workspace", "nope", "x"}), 3);
  REQUIRE_EXIT(env.Run({"channel", "create", "general"}), 2);  // --workspace is required

  // Natural keys and ids.
  CHECK(env.Json({"channel", "show", "demo/#general"})["id"] == general["id"]);
  CHECK(env.Json({"channel", "show", general["id"]})["id"] == general["id"]);
  CHECK(env.Json({"channel", "show", d.ws["id"].get<std::string>() + "/#leads"})["id"] ==
        leads["id"]);
  REQUIRE_EXIT(env.Run({"channel", "show", "demo/#missing"}), 3);

  // Members: add by natural keys, remove by ids.
  json bob = env.Json(
      {"user", "create", "--email", "bob@demo.test", "--name", "Bob", "--workspace", "demo"});
  json m = env.Json({"channel", "add-member", "demo/#leads", "bob@demo.test"});
  CHECK(m["channel_id"] == leads["id"]);
  CHECK(m["user_id"] == bob["id"]);
  json members = env.Json({"channel", "members", "demo/#leads"});
  bool found = false;
  for (const json& member : members) found = found || member["user_id"] == bob["id"];
  CHECK(found);
  json removed = env.Json({"channel", "remove-member", leads["id"], bob["id"]});
  CHECK(removed["removed"] == true);
  for (const json& member : env.Json({"channel", "members", "demo/#leads"})) {
    CHECK(member["user_id"] != bob["id"]);
  }
  // A user outside the workspace cannot be added.
  env.Json({"user", "create", "--email", "outsider@else.test", "--name", "Out"});
  CliRun outsider = env.Run({"channel", "add-member", "demo/#general", "outsider@else.test"});
  CHECK(outsider.exit_code != 0);

  // Archive; list (the admin view) shows archived and private channels.
  json archived = env.Json({"channel", "archive", "demo/#general"});
  CHECK(archived["archived"] == true);
  json list = env.Json({"channel", "list", "--workspace", "demo"});
  REQUIRE(list.size() == 2);
  std::map<std::string, json> by_name;
  for (const json& c : list) by_name[c["name"].get<std::string>()] = c;
  CHECK(by_name["general"]["archived"] == true);
  CHECK(by_name["leads"]["private"] == true);

  // An archived channel is read-only.
  CHECK(
      env.Run({"post", "--channel", "demo/#general", "--as", "alice@demo.test", "hi"}).exit_code !=
      0);
}

TEST_CASE("quikctl post", "[cli]") {
  Demo d;
  QuikctlEnv& env = d.env;
  CliRun r = env.Run({"-o", "json", "post", "--channel", "demo/#general", "--as", "ALICE@demo.test",
                      "hello, world"});
  REQUIRE_EXIT(r, 0);
  json msg = r.Json();
  CHECK(msg["id"].get<std::string>().size() == 26);
  CHECK(msg["channel_id"] == d.general["id"]);
  CHECK(msg["workspace_id"] == d.ws["id"]);
  CHECK(msg["user_id"] == d.alice["id"]);
  CHECK(msg["text"] == "hello, world");
  CHECK(msg["created_at"].get<std::string>().back() == 'Z');
  CHECK_FALSE(msg.contains("thread_root_id"));
  CHECK_FALSE(msg.contains("edited_at"));
  CHECK_FALSE(msg.contains("deleted_at"));
  CHECK_FALSE(msg.contains("client_msg_id"));
  CHECK_FALSE(msg.contains("reply_count"));

  // By ids, in a thread.
  json reply = env.Json({"post", "--channel", d.general["id"], "--as", d.alice["id"], "--thread",
                         msg["id"], "a reply"});
  CHECK(reply["thread_root_id"] == msg["id"]);

  SECTION("an unknown channel is not found") {
    CliRun missing =
        env.Run({"post", "--channel", "demo/#missing", "--as", "alice@demo.test", "hi"});
    REQUIRE_EXIT(missing, 3);
    RequireErrorLine(missing, "not_found");
    REQUIRE_EXIT(env.Run({"post", "--channel", "demo/#general", "--as", "ghost@demo.test", "x"}),
                 3);
  }
  SECTION("a user outside the workspace cannot see its channels") {
    env.Json({"user", "create", "--email", "eve@else.test", "--name", "Eve"});
    REQUIRE_EXIT(env.Run({"post", "--channel", "demo/#general", "--as", "eve@else.test", "x"}), 3);
  }
  SECTION("message size limit: 40000 code points") {
    REQUIRE_EXIT(env.Run({"post", "--channel", "demo/#general", "--as", "alice@demo.test",
                          std::string(40000, 'x')}),
                 0);
    CliRun big = env.Run(
        {"post", "--channel", "demo/#general", "--as", "alice@demo.test", std::string(40001, 'x')});
    REQUIRE_EXIT(big, 7);
    RequireErrorLine(big, "invalid_argument");
  }
  SECTION("text that starts with a dash, after --") {
    json dash =
        env.Json({"post", "--channel", "demo/#general", "--as", "alice@demo.test", "--", "-1"});
    CHECK(dash["text"] == "-1");
  }
  SECTION("table output") {
    CliRun table =
        env.Run({"post", "--channel", "demo/#general", "--as", "alice@demo.test", "in a table"});
    REQUIRE_EXIT(table, 0);
    auto lines = Lines(table.out);
    REQUIRE(lines.size() == 2);
    CHECK(StartsWith(lines[0], "ID"));
    CHECK(lines[1].find("in a table") != std::string::npos);
  }
}

TEST_CASE("quikctl token create, list, revoke", "[cli]") {
  Demo d;
  QuikctlEnv& env = d.env;
  CliRun r =
      env.Run({"-o", "json", "token", "create", "--user", "alice@demo.test", "--name", "ci"});
  REQUIRE_EXIT(r, 0);
  json tok = r.Json();
  REQUIRE(tok.is_object());
  CHECK(tok["id"].get<std::string>().size() == 26);
  CHECK(tok["token"].get<std::string>().size() > 40);
  CHECK(tok["user_id"] == d.alice["id"]);
  CHECK(tok["name"] == "ci");
  CHECK(tok["kind"] == "api");
  CHECK_FALSE(tok.contains("expires_at"));
  CHECK_FALSE(tok.contains("revoked_at"));

  json ttl = env.Json({"token", "create", "--user", d.alice["id"], "--ttl", "30d"});
  CHECK(ttl.contains("expires_at"));
  REQUIRE_EXIT(env.Run({"token", "create", "--user", "alice@demo.test", "--ttl", "soon"}), 7);
  REQUIRE_EXIT(env.Run({"token", "create", "--user", "ghost@demo.test"}), 3);

  // The secret is shown once: never in lists.
  json list = env.Json({"token", "list", "--user", "alice@demo.test"});
  REQUIRE(list.size() == 2);
  for (const json& t : list) CHECK_FALSE(t.contains("token"));
  CHECK(env.Json({"token", "list"}).size() == 2);

  // The secret works, until revoked.
  quik::Options options;
  REQUIRE(quik::LoadOptionsFile(env.config_path(), &options).ok());
  options.data_dir = env.data_dir();
  {
    auto svc = quik::Service::Open(options);
    REQUIRE(svc.ok());
    auto who = (*svc)->auth().Authenticate(tok["token"].get<std::string>());
    REQUIRE(who.ok());
    CHECK(who->user_id == d.alice["id"]);
  }
  r = env.Run({"-o", "json", "token", "revoke", tok["id"]});
  REQUIRE_EXIT(r, 0);
  CHECK(r.Json()["id"] == tok["id"]);
  for (const json& t : env.Json({"token", "list", "--user", d.alice["id"]})) {
    CHECK(t.contains("revoked_at") == (t["id"] == tok["id"]));
  }
  {
    auto svc = quik::Service::Open(options);
    REQUIRE(svc.ok());
    CHECK_FALSE((*svc)->auth().Authenticate(tok["token"].get<std::string>()).ok());
  }
  REQUIRE_EXIT(env.Run({"token", "revoke", "01AAAAAAAAAAAAAAAAAAAAAAAA"}), 3);

  // Table output names the secret once; -q prints only the secret.
  r = env.Run({"token", "create", "--user", "alice@demo.test"});
  REQUIRE_EXIT(r, 0);
  CHECK(r.out.find("token: ") != std::string::npos);
  r = env.Run({"-q", "token", "create", "--user", "alice@demo.test"});
  REQUIRE_EXIT(r, 0);
  REQUIRE(Lines(r.out).size() == 1);
  CHECK(Lines(r.out)[0].size() > 40);
}

TEST_CASE("quikctl migrate status and up", "[cli]") {
  QuikctlEnv env;
  CliRun r = env.Run({"-o", "json", "migrate", "status"});
  REQUIRE_EXIT(r, 0);
  json status = r.Json();
  REQUIRE(status.is_array());
  REQUIRE_FALSE(status.empty());
  int last = 0;
  for (const json& m : status) {
    CHECK(m["applied"] == true);
    CHECK(m["version"].get<int>() > last);
    last = m["version"];
    CHECK(m["name"].is_string());
    CHECK(m.contains("applied_at"));
  }
  r = env.Run({"-o", "json", "migrate", "up", "--dry-run"});
  REQUIRE_EXIT(r, 0);
  CHECK(r.Json() == json::array());
  r = env.Run({"-o", "json", "migrate", "up"});
  REQUIRE_EXIT(r, 0);
  CHECK(r.Json() == json::array());
  r = env.Run({"migrate", "status"});
  REQUIRE_EXIT(r, 0);
  CHECK(StartsWith(r.out, "VERSION"));
  CHECK(r.out.find("up to date") != std::string::npos);
  REQUIRE_EXIT(env.Run({"-q", "migrate", "up"}), 0);
  CHECK(env.Run({"-q", "migrate", "up"}).out.empty());
}

TEST_CASE("quikctl -q prints only ids", "[cli]") {
  QuikctlEnv env;
  CliRun r = env.Run({"-q", "workspace", "create", "Quiet"});
  REQUIRE_EXIT(r, 0);
  json ws = env.Json({"workspace", "show", "quiet"});
  CHECK(r.out == ws["id"].get<std::string>() + "\n");
  CHECK(r.err.empty());

  json other = env.Json({"workspace", "create", "Other"});
  r = env.Run({"workspace", "list", "--quiet"});
  REQUIRE_EXIT(r, 0);
  auto ids = Lines(r.out);
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::string>{ws["id"], other["id"]});  // ULIDs sort by creation

  r = env.Run({"-q", "workspace", "delete", "--yes", "other"});
  REQUIRE_EXIT(r, 0);
  CHECK(r.out.empty());
  // Errors still speak.
  r = env.Run({"-q", "workspace", "show", "other"});
  REQUIRE_EXIT(r, 3);
  RequireErrorLine(r, "not_found");
}

TEST_CASE("quikctl -o yaml", "[cli]") {
  Demo d;
  CliRun r = d.env.Run({"-o", "yaml", "workspace", "show", "demo"});
  REQUIRE_EXIT(r, 0);
  auto map = YamlMap(r.out);
  CHECK(map["id"] == d.ws["id"]);
  CHECK(map["slug"] == "demo");
  CHECK(map["name"] == "Demo");
  CHECK(map["created_at"] == d.ws["created_at"]);

  r = d.env.Run({"workspace", "list", "-o", "yaml"});
  REQUIRE_EXIT(r, 0);
  CHECK(StartsWith(r.out, "- "));
  CHECK(r.out.find("slug: demo") != std::string::npos);

  r = d.env.Run({"-o", "yaml", "channel", "list", "--workspace", "nothing-here"});
  REQUIRE_EXIT(r, 3);
  CHECK(r.out.empty());

  d.env.Json({"workspace", "create", "Empty"});
  r = d.env.Run({"-o", "yaml", "channel", "list", "--workspace", "empty"});
  REQUIRE_EXIT(r, 0);
  CHECK(r.out == "[]\n");
}

TEST_CASE("quikctl -o yaml parses to the same document as -o json", "[cli]") {
  Demo d;
  d.env.Json({"channel", "create", "--workspace", "demo", "random", "--topic", "yes: no # 1"});
  nlohmann::json json = d.env.Json({"channel", "list", "--workspace", "demo"});
  CliRun r = d.env.Run({"-o", "yaml", "channel", "list", "--workspace", "demo"});
  REQUIRE_EXIT(r, 0);
  YAML::Node yaml = YAML::Load(r.out);
  REQUIRE(yaml.IsSequence());
  REQUIRE(yaml.size() == json.size());
  for (size_t i = 0; i < json.size(); ++i) {
    for (auto& [key, value] : json[i].items()) {
      INFO(key);
      REQUIRE(yaml[i][key]);
      if (value.is_string()) CHECK(yaml[i][key].as<std::string>() == value.get<std::string>());
      if (value.is_boolean()) CHECK(yaml[i][key].as<bool>() == value.get<bool>());
    }
  }
}

TEST_CASE("quikctl errors: -o json, usage, broken config", "[cli]") {
  QuikctlEnv env;

  SECTION("-o json: the error is JSON on stderr and stdout is empty") {
    CliRun r = env.Run({"-o", "json", "workspace", "show", "missing"});
    REQUIRE_EXIT(r, 3);
    CHECK(r.out.empty());
    REQUIRE(Lines(r.err).size() == 1);
    json err = json::parse(r.err);
    CHECK(err["error"]["code"] == "not_found");
    CHECK(err["error"]["message"].is_string());

    r = env.Run({"workspace", "show", "--bogus", "-o", "json"});
    REQUIRE_EXIT(r, 2);
    CHECK(r.out.empty());
    CHECK(json::parse(r.err)["error"]["code"] == "usage");
  }
  SECTION("an unknown flag, a missing argument, no command") {
    CliRun r = env.Run({"workspace", "list", "--bogus"});
    REQUIRE_EXIT(r, 2);
    RequireErrorLine(r, "usage");
    CHECK(r.err.find("--bogus") != std::string::npos);
    RequireErrorLine(env.Run({"workspace", "create"}), "usage");
    REQUIRE_EXIT(env.Run({"workspace", "create"}), 2);
    REQUIRE_EXIT(env.Run({"workspace"}), 2);
    REQUIRE_EXIT(env.Run({}), 2);
    REQUIRE_EXIT(env.Run({"frobnicate"}), 2);
    REQUIRE_EXIT(env.Run({"-o", "xml", "workspace", "list"}), 2);
  }
  SECTION("--help describes every command and exits 0") {
    CliRun r = env.Run({"--help"});
    REQUIRE_EXIT(r, 0);
    for (const char* word : {"init", "migrate", "workspace", "user", "channel", "token", "post",
                             "--data-dir", "--config", "--output", "--quiet", "QUIK_DATA_DIR"}) {
      INFO(word);
      CHECK(r.out.find(word) != std::string::npos);
    }
    r = env.Run({"user", "create", "--help"});
    REQUIRE_EXIT(r, 0);
    CHECK(r.out.find("--password-stdin") != std::string::npos);
  }
  SECTION("a broken quik.toml names the file and line, exit 7") {
    env.WriteConfig("[auth]\nscrypt_log2_n = 10\nthis is = = not toml\n");
    CliRun r = env.Run({"workspace", "list"});
    REQUIRE_EXIT(r, 7);
    RequireErrorLine(r, "invalid_argument");
    CHECK(r.err.find("quik.toml") != std::string::npos);
    bool names_line =
        r.err.find("quik.toml:3") != std::string::npos || r.err.find("line 3") != std::string::npos;
    CHECK(names_line);
    // Unknown keys are errors too.
    env.WriteConfig("[auth]\nscrypt_log2_n = 10\nscrypt_typo = 1\n");
    r = env.Run({"workspace", "list"});
    REQUIRE_EXIT(r, 7);
    CHECK(r.err.find("scrypt_typo") != std::string::npos);
  }
  SECTION("--config: an explicit file is read, a missing one is an error") {
    std::filesystem::path other = env.root() / "other.toml";
    std::ofstream(other) << "[storage]\nsync = \"sometimes\"\n";
    CliRun r = env.Run({"--config", other.string(), "workspace", "list"});
    REQUIRE_EXIT(r, 7);
    CHECK(r.err.find("other.toml:2") != std::string::npos);
    r = env.Run({"--config", (env.root() / "missing.toml").string(), "workspace", "list"});
    REQUIRE_EXIT(r, 3);
    CHECK(r.err.find("missing.toml") != std::string::npos);
  }
  SECTION("--server and --data-dir exclude each other (remote mode: cli_remote_test.cc)") {
    CliRun r = env.Run({"--server", "http://127.0.0.1:8470", "--token", "t", "workspace", "list"});
    REQUIRE_EXIT(r, 2);
    RequireErrorLine(r, "usage");
  }
}

}  // namespace
