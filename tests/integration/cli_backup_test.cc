// SPDX-License-Identifier: MIT
// quikctl backup, restore and verify: a backup of a live server holds every
// write acknowledged before it started and restores to a consistent data dir;
// corrupt backups and data dirs are caught and named.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "integration/cli_harness.hpp"
#include "integration/http_fixture.hpp"
#include "net/http_client.hpp"
#include "quik/quik.hpp"
#include "testing/temp_dir.hpp"
#include "unit/testing/service_fixture.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using quik::testing::CliRun;
using quik::testing::QuikctlEnv;
using quik::testing::RunProcess;

// quikctl --data-dir DIR ARGS...
CliRun Quikctl(const fs::path& data_dir, const std::vector<std::string>& args) {
  std::vector<std::string> full{"--data-dir", data_dir.string()};
  full.insert(full.end(), args.begin(), args.end());
  return RunProcess(QUIKCTL_PATH, full, {}, {{"QUIK_DATA_DIR", ""}});
}

void FlipByte(const fs::path& path, std::uintmax_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

std::vector<fs::path> BlobFiles(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::exists(dir / "blobs", ec)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir / "blobs")) {
    if (e.is_regular_file() && e.path().filename().string().size() == 64) out.push_back(e.path());
  }
  return out;
}

// Entries of `dir` whose name starts with a dot (our temp dirs).
std::vector<std::string> HiddenEntries(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (!name.empty() && name[0] == '.') out.push_back(name);
  }
  return out;
}

// A data dir with a workspace, users, a channel, messages and an uploaded
// file shared in a message (so it has a blob), made with quikctl.
struct Populated {
  QuikctlEnv env;
  std::string file_id;
  Populated() {
    env.Json({"workspace", "create", "Acme", "--slug", "acme"});
    env.Json({"user", "create", "--email", "alice@acme.test", "--name", "Alice", "--workspace",
              "acme", "--role", "owner"});
    env.Json({"channel", "create", "--workspace", "acme", "general"});
    env.Json({"post", "--channel", "acme/#general", "--as", "alice@acme.test", "hello, Acme"});
    const fs::path upload = env.root() / "notes.txt";
    std::ofstream(upload) << "meeting notes: ship the backup feature\n";
    json f = env.Json({"files", "upload", "acme", upload.string(), "--as", "alice@acme.test"});
    file_id = f["id"];
  }
};

}  // namespace

TEST_CASE("backup: taken while the server takes posts, it restores every acknowledged write",
          "[backup][cli]") {
  quik_http::HttpFixture fx;
  quik::User alice = fx.CreateUser("Alice");
  quik::Workspace ws = fx.CreateWorkspace(alice, "Acme", "acme");
  quik::Channel general = fx.CreateChannel(alice, ws, "general");
  quik::Channel random = fx.CreateChannel(alice, ws, "random");
  quik::Message root = fx.PostAs(alice, general.id, "the thread root");
  const std::string token = fx.Token(alice);
  quik_http::Api api = fx.Client(token);

  // A file shared in a message: its blob must travel with the backup.
  quik_http::Resp up =
      api.Send("POST", "/workspaces/" + ws.id + "/files?name=plan.txt", "the plan\n");
  REQUIRE(up.status == 201);
  const std::string file_id = up.Json()["id"];
  quik_http::Resp shared = api.Post("/channels/" + general.id + "/messages",
                                    {{"text", "see the plan"}, {"file_ids", {file_id}}});
  REQUIRE(shared.status == 201);
  // Some bulk, so that the database copy takes several steps.
  for (int i = 0; i < 300; ++i) fx.PostAs(alice, random.id, "filler " + std::to_string(i));

  struct Acked {
    std::string id;
    std::string channel_id;
    bool reply = false;
    bool before_backup = false;
  };
  std::mutex mu;
  std::vector<Acked> acked;
  std::string writer_error;
  std::atomic<bool> backup_started{false};
  std::atomic<bool> stop{false};
  std::atomic<int> count{0};
  std::thread writer([&] {
    quik::net::ClientOptions options;
    options.default_headers.emplace_back("Authorization", "Bearer " + token);
    auto client = quik::net::HttpClient::Connect(fx.url() + "/api/v1", options);
    if (!client.ok()) {
      std::lock_guard lock(mu);
      writer_error = client.status().ToString();
      return;
    }
    for (int i = 0; !stop.load(); ++i) {
      const bool reply = i % 3 == 2;
      const std::string channel = i % 3 == 1 ? random.id : general.id;
      json body = {{"text", "live post " + std::to_string(i)}};
      if (reply) body["thread_root_id"] = root.id;
      if (i % 5 == 0) {  // a new upload (a new blob) shared in the post
        auto f = client->Request("POST", "/workspaces/" + ws.id + "/files?name=live.txt",
                                 "live file " + std::to_string(i) + "\n", {});
        if (!f.ok() || f->status != 201) {
          std::lock_guard lock(mu);
          writer_error = f.ok() ? f->body : f.status().ToString();
          return;
        }
        body["file_ids"] = {json::parse(f->body)["id"]};
      }
      auto r = client->Request("POST", "/channels/" + channel + "/messages", body.dump(), {});
      // Acknowledged: a 201 has arrived. Before the backup if it arrived
      // before the backup process was started.
      const bool before = !backup_started.load();
      if (!r.ok() || r->status != 201) {
        std::lock_guard lock(mu);
        writer_error = r.ok() ? r->body : r.status().ToString();
        return;
      }
      json j = json::parse(r->body);
      std::lock_guard lock(mu);
      acked.push_back(Acked{j["id"], channel, reply, before});
      count++;
    }
  });
  auto wait_for = [&](int n) {
    for (int i = 0; i < 3000 && count.load() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::lock_guard lock(mu);
      if (!writer_error.empty()) break;
    }
  };
  wait_for(30);

  quik_test::TempDir tmp("quik-backup");
  const fs::path backup_dir = tmp.path() / "backup-1";
  backup_started = true;
  const int before_count = count.load();
  CliRun backup =
      Quikctl(fx.options().data_dir, {"-o", "json", "backup", "--to", backup_dir.string()});
  const int during_backup = count.load() - before_count;
  wait_for(count.load() + 10);  // the server kept taking posts
  stop = true;
  writer.join();
  INFO("writer: " << writer_error);
  REQUIRE(writer_error.empty());
  REQUIRE_EXIT(backup, 0);
  json summary = backup.Json();
  CHECK(summary["dir"] == backup_dir.string());
  CHECK(summary["blobs"].get<int>() >= 1 + before_count / 5);  // the live uploads too
  CHECK(summary["warnings"].empty());
  CHECK(summary["schema_version"].get<int>() >= 10);
  CHECK(fs::exists(backup_dir / "backup.json"));
  CHECK(fs::exists(backup_dir / "quik.db"));
  CHECK(fs::exists(backup_dir / "lmdb" / "data.mdb"));
  CHECK(HiddenEntries(tmp.path()).empty());  // no temp dir left behind
  // Only its owner may read it: it holds password hashes and secrets.
  CHECK((fs::status(backup_dir).permissions() & (fs::perms::group_all | fs::perms::others_all)) ==
        fs::perms::none);
  REQUIRE(before_count >= 30);
  CHECK(during_backup > 0);  // posts were acknowledged while it ran

  REQUIRE_EXIT(Quikctl(tmp.path() / "unused", {"verify", "--backup", backup_dir.string()}), 0);

  // Restore into a new data dir, which restore verifies, and verify again.
  const fs::path restored = tmp.path() / "restored";
  CliRun restore = Quikctl(restored, {"-o", "json", "restore", "--from", backup_dir.string()});
  REQUIRE_EXIT(restore, 0);
  CHECK(restore.Json()["verify"]["healthy"] == true);
  CliRun verify = Quikctl(restored, {"-o", "json", "verify"});
  REQUIRE_EXIT(verify, 0);
  CHECK(verify.Json()["healthy"] == true);

  // Every write acknowledged before the backup started is there, consistent.
  auto svc = quik::Service::Open(quik_test::TestOptions(restored));
  REQUIRE(svc.ok());
  const quik::Actor system = quik::Actor::System();
  int checked = 0, files_checked = 0;
  for (const Acked& a : acked) {
    if (!a.before_backup) continue;
    auto m = (*svc)->messages().Get(system, a.id);
    INFO("message " << a.id);
    REQUIRE(m.ok());
    CHECK(m->channel_id == a.channel_id);
    CHECK((*svc)->channels().Get(system, m->channel_id).ok());
    if (a.reply) CHECK(m->thread_root_id == root.id);
    for (const std::string& id : m->file_ids) {
      auto f = (*svc)->files().Get(system, id);
      REQUIRE(f.ok());
      CHECK(fs::exists(restored / "blobs" / f->sha256.substr(0, 2) / f->sha256.substr(2, 2) /
                       f->sha256));
      ++files_checked;
    }
    ++checked;
  }
  CHECK(checked >= before_count);
  CHECK(files_checked >= before_count / 5);
  // The thread root's reply count matches its replies.
  auto restored_root = (*svc)->messages().Get(system, root.id);
  REQUIRE(restored_root.ok());
  int replies = 0;
  quik::PageRequest page;
  page.limit = 100;
  for (;;) {
    auto p = (*svc)->messages().ListReplies(system, root.id, page);
    REQUIRE(p.ok());
    replies += static_cast<int>(p->items.size());
    if (p->next_cursor.empty()) break;
    page.cursor = p->next_cursor;
  }
  CHECK(replies == restored_root->reply_count);
  CHECK(replies >= before_count / 3);
  // The shared file and its blob, the filler, and the token (its LMDB index
  // is rebuilt from the restored tokens table).
  auto file = (*svc)->files().Get(system, file_id);
  REQUIRE(file.ok());
  CHECK(fs::exists(restored / "blobs" / file->sha256.substr(0, 2) / file->sha256.substr(2, 2) /
                   file->sha256));
  quik::ListMessagesRequest list;
  list.limit = 1;
  auto newest = (*svc)->messages().List(system, random.id, list);
  REQUIRE(newest.ok());
  CHECK_FALSE(newest->items.empty());
  auto authed = (*svc)->auth().Authenticate(token);
  CHECK(authed.ok());
}

TEST_CASE(
    "backup: into a non-empty directory is a conflict, and a data dir that is not set up is "
    "not found",
    "[backup][cli]") {
  Populated p;
  const fs::path target = p.env.root() / "busy";
  fs::create_directories(target);
  std::ofstream(target / "something") << "x";
  CliRun r = p.env.Run({"backup", "--to", target.string()});
  REQUIRE_EXIT(r, 4);
  CHECK(r.err.find("is not empty") != std::string::npos);
  CHECK(r.err.find(target.string()) != std::string::npos);

  // An empty directory is fine.
  const fs::path empty = p.env.root() / "empty";
  fs::create_directories(empty);
  REQUIRE_EXIT(p.env.Run({"-q", "backup", "--to", empty.string()}), 0);
  CHECK(fs::exists(empty / "backup.json"));

  REQUIRE_EXIT(Quikctl(p.env.root() / "nothing", {"backup", "--to", (p.env.root() / "b").string()}),
               3);
}

TEST_CASE("backup: a fresh data dir, without LMDB or blobs yet, backs up, restores and verifies",
          "[backup][cli]") {
  QuikctlEnv env;
  REQUIRE_EXIT(env.Run({"verify"}), 0);
  const fs::path b = env.root() / "b";
  REQUIRE_EXIT(env.Run({"backup", "--to", b.string()}), 0);
  REQUIRE_EXIT(Quikctl(env.root() / "x", {"verify", "--backup", b.string()}), 0);
  const fs::path restored = env.root() / "restored";
  REQUIRE_EXIT(Quikctl(restored, {"restore", "--from", b.string()}), 0);
  REQUIRE_EXIT(Quikctl(restored, {"workspace", "list"}), 0);
  REQUIRE_EXIT(Quikctl(restored, {"verify"}), 0);
}

TEST_CASE("backup: the manifest lists every file with its size and SHA-256", "[backup][cli]") {
  Populated p;
  const fs::path b = p.env.root() / "b";
  REQUIRE_EXIT(p.env.Run({"backup", "--to", b.string()}), 0);
  std::ifstream in(b / "backup.json");
  json m = json::parse(in);
  CHECK(m["format_version"] == 1);
  CHECK(m["quik_version"] == "0.1.0");
  CHECK(m["source_data_dir"] == fs::absolute(p.env.data_dir()).lexically_normal().string());
  CHECK(m["created_at"].get<std::string>().size() >= 20);
  std::set<std::string> paths;
  for (const json& f : m["files"]) {
    paths.insert(f["path"].get<std::string>());
    std::ifstream file(b / f["path"].get<std::string>(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    CHECK(static_cast<std::int64_t>(bytes.size()) == f["size"].get<std::int64_t>());
  }
  CHECK(paths.count("quik.db") == 1);
  CHECK(paths.count("quik.toml") == 1);
  CHECK(paths.count("lmdb/data.mdb") == 1);
  int blobs = 0;
  for (const auto& path : paths) blobs += path.rfind("blobs/", 0) == 0 ? 1 : 0;
  CHECK(blobs == 1);
  // Nothing else: no -wal, -shm or lock files.
  int on_disk = 0;
  for (const auto& e : fs::recursive_directory_iterator(b)) on_disk += e.is_regular_file() ? 1 : 0;
  CHECK(on_disk == static_cast<int>(paths.size()) + 1);
}

TEST_CASE(
    "restore: refuses a non-empty data dir, corrupt backups and newer schemas, writing "
    "nothing",
    "[backup][cli]") {
  Populated p;
  const fs::path b = p.env.root() / "b";
  REQUIRE_EXIT(p.env.Run({"backup", "--to", b.string()}), 0);

  SECTION("a non-empty target") {
    CliRun r = p.env.Run({"restore", "--from", b.string()});  // the populated data dir
    REQUIRE_EXIT(r, 4);
    CHECK(r.err.find("is not empty") != std::string::npos);
  }
  SECTION("a flipped byte in the database") {
    FlipByte(b / "quik.db", fs::file_size(b / "quik.db") / 2);
    const fs::path target = p.env.root() / "restored";
    CliRun r = Quikctl(target, {"restore", "--from", b.string()});
    REQUIRE_EXIT(r, 7);
    CHECK(r.err.find((b / "quik.db").string()) != std::string::npos);
    CHECK(r.err.find("nothing was restored") != std::string::npos);
    CHECK_FALSE(fs::exists(target));
    CHECK(HiddenEntries(p.env.root()).empty());
    // verify --backup names it too.
    CliRun v = Quikctl(target, {"verify", "--backup", b.string()});
    REQUIRE_EXIT(v, 7);
    CHECK(v.out.find("quik.db") != std::string::npos);
  }
  SECTION("a missing blob") {
    auto blobs = BlobFiles(b);
    REQUIRE(blobs.size() == 1);
    fs::remove(blobs[0]);
    const fs::path target = p.env.root() / "restored";
    CliRun r = Quikctl(target, {"restore", "--from", b.string()});
    REQUIRE_EXIT(r, 7);
    CHECK(r.err.find(blobs[0].filename().string()) != std::string::npos);
    CHECK(r.err.find("missing") != std::string::npos);
    CHECK_FALSE(fs::exists(target));
  }
  SECTION("a truncated LMDB copy") {
    fs::resize_file(b / "lmdb" / "data.mdb", 100);
    CliRun r = Quikctl(p.env.root() / "restored", {"restore", "--from", b.string()});
    REQUIRE_EXIT(r, 7);
    CHECK(r.err.find("data.mdb") != std::string::npos);
  }
  SECTION("a schema newer than this build") {
    std::ifstream in(b / "backup.json");
    json m = json::parse(in);
    in.close();
    m["schema_version"] = 999;
    std::ofstream(b / "backup.json", std::ios::trunc) << m.dump(2);
    CliRun r = Quikctl(p.env.root() / "restored", {"restore", "--from", b.string()});
    REQUIRE_EXIT(r, 7);
    CHECK(r.err.find("newer than this build") != std::string::npos);
    CHECK_FALSE(fs::exists(p.env.root() / "restored"));
  }
  SECTION("not a backup") {
    CliRun r = Quikctl(p.env.root() / "restored", {"restore", "--from", p.env.root().string()});
    REQUIRE_EXIT(r, 7);
    CHECK(r.err.find("backup.json") != std::string::npos);
  }
  SECTION("into an empty directory, then the restored data dir works") {
    const fs::path target = p.env.root() / "restored";
    fs::create_directories(target);
    REQUIRE_EXIT(Quikctl(target, {"restore", "--from", b.string()}), 0);
    // quikctl reads it: the restored config and database.
    CliRun list = Quikctl(target, {"-o", "json", "workspace", "list"});
    REQUIRE_EXIT(list, 0);
    CHECK(list.Json()[0]["slug"] == "acme");
    CliRun show = Quikctl(target, {"-o", "json", "files", "show", p.file_id});
    REQUIRE_EXIT(show, 0);
    CHECK(HiddenEntries(p.env.root()).empty());
  }
}

TEST_CASE(
    "verify: a healthy data dir passes, and a corrupt blob, a missing blob and a damaged "
    "database are found",
    "[backup][cli]") {
  Populated p;
  CliRun ok = p.env.Run({"-o", "json", "verify"});
  REQUIRE_EXIT(ok, 0);
  json report = ok.Json();
  CHECK(report["healthy"] == true);
  std::set<std::string> names;
  for (const json& c : report["checks"]) {
    names.insert(c["name"].get<std::string>());
    CHECK(c["status"] == "ok");
  }
  CHECK(names == std::set<std::string>{"database", "foreign_keys", "schema", "lmdb", "blobs"});
  CliRun table = p.env.Run({"verify"});
  REQUIRE_EXIT(table, 0);
  CHECK(table.out.find("integrity_check: ok") != std::string::npos);
  CHECK(table.out.find("is healthy") != std::string::npos);

  auto blobs = BlobFiles(p.env.data_dir());
  REQUIRE(blobs.size() == 1);
  SECTION("a corrupt blob") {
    FlipByte(blobs[0], 3);
    CliRun r = p.env.Run({"-o", "json", "verify"});
    REQUIRE_EXIT(r, 7);
    json j = r.Json();
    CHECK(j["healthy"] == false);
    CHECK(r.out.find(blobs[0].filename().string() + ": corrupt") != std::string::npos);
    CHECK(r.err.find("blobs") != std::string::npos);
  }
  SECTION("a missing blob") {
    fs::remove(blobs[0]);
    CliRun r = p.env.Run({"verify"});
    REQUIRE_EXIT(r, 7);
    CHECK(r.out.find("missing, but a files row names it") != std::string::npos);
  }
  SECTION("a truncated database") {
    // Pages past the end that the b-trees still point at.
    fs::resize_file(p.env.data_dir() / "quik.db", fs::file_size(p.env.data_dir() / "quik.db") / 2);
    CliRun r = p.env.Run({"-o", "json", "verify"});
    REQUIRE_EXIT(r, 7);
    CHECK(r.Json()["checks"][0]["status"] == "problem");
  }
  SECTION("a garbled database") {
    for (std::uintmax_t at = 0; at < 100; at += 7) FlipByte(p.env.data_dir() / "quik.db", at);
    CliRun r = p.env.Run({"verify"});
    REQUIRE_EXIT(r, 7);
    CHECK(r.err.find("database") != std::string::npos);
  }
  SECTION("through --server it is a usage error") {
    CliRun r = p.env.RunRaw({"--server", "http://127.0.0.1:1", "--token", "t", "verify"});
    REQUIRE_EXIT(r, 2);
  }
}
