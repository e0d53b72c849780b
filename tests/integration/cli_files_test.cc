// SPDX-License-Identifier: MIT
// quikctl files upload | list | show | gc: output, exit codes, and that gc
// removes exactly the unreferenced files past the grace period.
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "integration/cli_harness.hpp"

namespace {

using nlohmann::json;
using quik::testing::CliRun;
using quik::testing::QuikctlEnv;

std::size_t BlobCount(const std::filesystem::path& data_dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(data_dir / "blobs", ec)) {
    if (e.is_regular_file() &&
        e.path().parent_path().parent_path().parent_path() == data_dir / "blobs") {
      ++n;
    }
  }
  return n;
}

}  // namespace

TEST_CASE("quikctl files: upload, list, show and gc", "[cli][files][gc]") {
  QuikctlEnv env;
  env.Json({"workspace", "create", "Demo", "--slug", "demo"});
  env.Json(
      {"user", "create", "--email", "alice@demo.test", "--name", "Alice", "--workspace", "demo"});
  env.Json({"channel", "create", "--workspace", "demo", "general"});
  const auto path = env.root() / "report.txt";
  std::ofstream(path) << "quarterly numbers\n";

  json up = env.Json({"files", "upload", "demo", path.string(), "--as", "alice@demo.test"});
  CHECK(up["name"] == "report.txt");
  CHECK(up["size"] == 18);
  CHECK(up["content_type"] == "text/plain");
  const std::string id = up["id"];
  json named = env.Json(
      {"files", "upload", "demo", path.string(), "--as", "alice@demo.test", "--name", "r2.txt"});
  CHECK(named["name"] == "r2.txt");
  CHECK(BlobCount(env.data_dir()) == 1);  // the same bytes, stored once

  json list = env.Json({"files", "list", "demo"});
  REQUIRE(list.is_array());
  CHECK(list.size() == 2);
  CliRun table = env.Run({"files", "list", "demo"});
  REQUIRE_EXIT(table, 0);
  CHECK(table.out.rfind("ID", 0) == 0);
  CHECK(table.out.find("report.txt") != std::string::npos);
  CHECK(env.Json({"files", "show", id})["sha256"] == up["sha256"]);
  CHECK(env.Run({"files", "show", "01HZZZZZZZZZZZZZZZZZZZZZZZ"}).exit_code == 3);
  CHECK(env.Run({"files", "upload", "demo", (env.root() / "missing").string(), "--as",
                 "alice@demo.test"})
            .exit_code == 3);

  // Within the default grace period (24h): nothing goes.
  json kept = env.Json({"files", "gc", "--yes"});
  CHECK(kept["files_removed"] == 0);
  CliRun text = env.Run({"files", "gc", "-y"});
  REQUIRE_EXIT(text, 0);
  CHECK(text.out.find("removed 0 files") != std::string::npos);

  // Usage errors: exit 2.
  CHECK(env.Run({"files", "gc", "--grace", "soon"}).exit_code == 2);
  CHECK(env.Run({"files"}).exit_code == 2);

  // A dry run reports, then a real run removes both (unreferenced) files.
  json dry = env.Json({"files", "gc", "--grace", "0s", "--dry-run"});
  CHECK(dry["dry_run"] == true);
  CHECK(dry["files_removed"] == 2);
  CHECK(env.Json({"files", "list", "demo"}).size() == 2);
  // Irreversible: without a terminal to ask on, it needs --yes.
  CliRun unconfirmed = env.Run({"files", "gc", "--grace", "0s"});
  CHECK(unconfirmed.exit_code == 2);
  CHECK(unconfirmed.err.find("--yes") != std::string::npos);
  CHECK(env.Json({"files", "list", "demo"}).size() == 2);
  json gone = env.Json({"files", "gc", "--grace", "0s", "--yes"});
  CHECK(gone["files_removed"] == 2);
  CHECK(gone["file_bytes"] == 36);
  CHECK(gone["blobs_removed"] == 1);
  CHECK(env.Json({"files", "list", "demo"}).empty());
  CHECK(BlobCount(env.data_dir()) == 0);
  CliRun quiet = env.Run({"-q", "files", "gc", "--grace", "0s", "--yes"});
  REQUIRE_EXIT(quiet, 0);
  CHECK(quiet.out.empty());
}
