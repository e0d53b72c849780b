// SPDX-License-Identifier: MIT
// Secrets at rest: what quikctl and the server write (the data dir, its
// database, WAL, LMDB files, blobs and temp files, the first admin's
// password, backups and exports) is private to its owner whatever the
// umask: directories 0700, files 0600.
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "integration/cli_harness.hpp"

namespace {

namespace fs = std::filesystem;
using quik::testing::CliRun;
using quik::testing::QuikctlEnv;
using quik::testing::ServeProcess;

// Sets the process umask (inherited by the quikctl children) for a scope.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t old_;
};

mode_t ModeOf(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::string Octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode));
  return buf;
}

// Every path under `root` (and root) whose mode is not 0700 (directory) or
// 0600 (file), as "PATH MODE"; and how many files it saw.
std::vector<std::string> LooseModes(const fs::path& root, int* files = nullptr) {
  std::vector<std::string> loose;
  auto check = [&](const fs::path& p) {
    struct stat st {};
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    const mode_t mode = st.st_mode & 07777;
    if (S_ISDIR(st.st_mode)) {
      if (mode != 0700) loose.push_back(p.string() + " " + Octal(mode));
    } else if (S_ISREG(st.st_mode)) {
      if (files != nullptr) ++*files;
      if (mode != 0600) loose.push_back(p.string() + " " + Octal(mode));
    } else {
      loose.push_back(p.string() + " is neither a file nor a directory");
    }
  };
  check(root);
  for (const auto& e : fs::recursive_directory_iterator(root)) check(e.path());
  return loose;
}

std::vector<std::string> Names(const fs::path& root) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    out.push_back(fs::relative(e.path(), root).generic_string());
  }
  return out;
}

bool Has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

TEST_CASE(
    "file modes: the data dir with backups and exports is 0700 and 0600 under umask 022 and 000",
    "[cli][files][modes]") {
  for (mode_t mask : {mode_t{022}, mode_t{000}}) {
    CAPTURE(Octal(mask));
    ScopedUmask umask(mask);
    QuikctlEnv env;  // init
    const fs::path data = env.data_dir();
    {
      // serve makes the first admin and writes its password file.
      ServeProcess serve(data);
      REQUIRE(env.Run({"workspace", "create", "Acme", "--slug", "acme"}).exit_code == 0);
      REQUIRE(env.Run({"user", "create", "--email", "alice@acme.test", "--name", "Alice",
                       "--workspace", "acme", "--role", "owner"})
                  .exit_code == 0);
      REQUIRE(env.Run({"channel", "create", "--workspace", "acme", "general"}).exit_code == 0);
      REQUIRE(env.Run({"post", "--channel", "acme/#general", "--as", "alice@acme.test",
                       "private words"})
                  .exit_code == 0);
      const fs::path upload = env.root() / "report.txt";
      std::ofstream(upload) << "quarterly numbers\n";
      CliRun up = env.Run({"files", "upload", "acme", upload.string(), "--as", "alice@acme.test"});
      INFO(up.Describe());
      REQUIRE(up.exit_code == 0);
      CliRun backup = env.Run({"backup", "--to", (env.root() / "backup").string()});
      INFO(backup.Describe());
      REQUIRE(backup.exit_code == 0);
      CliRun exported = env.Run({"export", "--workspace", "acme", "--to",
                                 (env.root() / "export").string(), "--with-files"});
      INFO(exported.Describe());
      REQUIRE(exported.exit_code == 0);

      // While the server runs: the WAL and shared-memory files are there too.
      const std::vector<std::string> names = Names(data);
      std::string listed;
      for (const std::string& n : names) listed += n + " ";
      INFO(listed);
      for (const char* f : {"quik.db", "quik.db-wal", "quik.db-shm", "quik.toml",
                            "initial-admin-password", "lmdb/data.mdb", "lmdb/lock.mdb", "blobs"}) {
        CAPTURE(f);
        CHECK(Has(names, f));
      }
      int files = 0;
      CHECK(LooseModes(data, &files).empty());
      CHECK(files >= 8);  // with the blob
      CHECK(LooseModes(env.root() / "backup").empty());
      CHECK(LooseModes(env.root() / "export").empty());
    }
    // And after a clean stop.
    CHECK(LooseModes(data).empty());
  }
}

TEST_CASE("file modes: opening a data dir with loose modes mends them", "[cli][files][modes]") {
  ScopedUmask umask(022);
  QuikctlEnv env;
  const fs::path data = env.data_dir();
  REQUIRE(env.Run({"workspace", "create", "Acme", "--slug", "acme"}).exit_code == 0);
  const fs::path upload = env.root() / "a.txt";
  std::ofstream(upload) << "bytes\n";
  REQUIRE(
      env.Run({"user", "create", "--email", "a@acme.test", "--name", "A", "--workspace", "acme"})
          .exit_code == 0);
  REQUIRE(env.Run({"files", "upload", "acme", upload.string(), "--as", "a@acme.test"}).exit_code ==
          0);
  // As an older version left them.
  for (const auto& e : fs::recursive_directory_iterator(data)) {
    fs::permissions(e.path(), e.is_directory() ? fs::perms(0755) : fs::perms(0644));
  }
  fs::permissions(data, fs::perms(0755));
  REQUIRE_FALSE(LooseModes(data).empty());

  // Any command that opens it mends the data dir and its top-level files...
  REQUIRE(env.Run({"workspace", "list"}).exit_code == 0);
  CHECK(ModeOf(data) == 0700);
  CHECK(ModeOf(data / "quik.db") == 0600);
  CHECK(ModeOf(data / "quik.toml") == 0600);
  CHECK(ModeOf(data / "lmdb") == 0700);
  CHECK(ModeOf(data / "lmdb" / "data.mdb") == 0600);
  // ...and `quikctl init` every file and directory under it.
  REQUIRE(env.Run({"init"}).exit_code == 0);
  CHECK(LooseModes(data).empty());
}
