// SPDX-License-Identifier: MIT
// quikctl bench ws end to end: it provisions a temp data dir, runs its own
// `quikctl serve`, fans posts out to WebSocket subscribers and reports the
// figures as one JSON document; it cleans up after itself.
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "integration/cli_harness.hpp"

namespace {

using nlohmann::json;
using quik::testing::CliRun;
using quik::testing::QuikctlEnv;

bool IsEmptyDir(const std::filesystem::path& dir) {
  return std::filesystem::is_directory(dir) && std::filesystem::is_empty(dir);
}

TEST_CASE("quikctl bench ws delivers every post to every subscriber", "[cli][bench]") {
  QuikctlEnv env(/*init=*/false);
  const std::filesystem::path runs = env.root() / "runs";
  // More subscribers, all from 127.0.0.1, than the default
  // server.max_connections_per_address (256): the bench's server admits them.
  CliRun r = env.RunRaw({"bench", "ws", "--subscribers", "300", "--messages", "10", "--rate", "200",
                         "--idle-seconds", "1", "--dir", runs.string(), "-o", "json"});
  REQUIRE_EXIT(r, 0);
  INFO(r.out);
  const json j = r.Json();
  CHECK(j["subscribers"] == 300);
  CHECK(j["messages"] == 10);
  CHECK(j["posted"] == 10);
  CHECK(j["post_errors"] == 0);
  CHECK(j["expected"] == 3000);
  CHECK(j["delivered"] == 3000);
  CHECK(j["missing"] == 0);
  CHECK(j["slow_consumer_closes"] == 0);
  CHECK(j["other_closes"] == 0);
  CHECK(j["events_per_second"].get<double>() > 0);
  CHECK(j["seconds"].get<double>() > 0);
  const json& latency = j["latency_ms"];
  for (const char* key : {"p50", "p90", "p99", "max"}) {
    INFO(key);
    REQUIRE(latency.contains(key));
    CHECK(latency[key].get<double>() > 0);
  }
  CHECK(latency["p50"].get<double>() <= latency["p99"].get<double>());
  CHECK(latency["p99"].get<double>() <= latency["max"].get<double>());
  CHECK(j["server_cpu_us_per_event"].get<double>() > 0);
  CHECK(j["client_cpu_us_per_event"].get<double>() > 0);
  REQUIRE(j.contains("rss_kib_per_connection"));
  CHECK(j["rss_kib_per_connection"].is_number());
  CHECK(j["rss_kib_idle"].get<double>() > 0);
  // The temp dir (data dir, server log) is gone, and with it the server.
  CHECK(IsEmptyDir(runs));
}

TEST_CASE("quikctl bench ws prints a summary and keeps the run dir with --keep", "[cli][bench]") {
  QuikctlEnv env(/*init=*/false);
  const std::filesystem::path runs = env.root() / "runs";
  CliRun r = env.RunRaw({"bench", "ws", "--subscribers", "5", "--messages", "10", "--rate", "100",
                         "--idle-seconds", "0", "--dir", runs.string(), "--keep"});
  REQUIRE_EXIT(r, 0);
  CHECK(r.out.find("delivered    50 of 50 events") != std::string::npos);
  CHECK(r.out.find("latency      p50 ") != std::string::npos);
  CHECK(r.out.find("KiB per connection") != std::string::npos);
  CHECK(r.out.find("us per event") != std::string::npos);
  REQUIRE(!IsEmptyDir(runs));
  for (const auto& entry : std::filesystem::directory_iterator(runs)) {
    CHECK(std::filesystem::exists(entry.path() / "data" / "quik.db"));
    CHECK(std::filesystem::exists(entry.path() / "serve.log"));
  }
}

TEST_CASE("quikctl bench ws rejects bad flags as usage errors", "[cli][bench]") {
  QuikctlEnv env(/*init=*/false);
  const std::vector<std::vector<std::string>> bad = {
      {"bench", "ws", "--subscribers", "0"},
      {"bench", "ws", "--messages", "-1"},
      {"bench", "ws", "--rate", "0"},
      {"bench", "ws", "--sync", "fast"},
      {"bench"},
      {"--server", "http://127.0.0.1:1", "--token", "t", "bench", "ws"},
  };
  for (const auto& args : bad) {
    CliRun r = env.RunRaw(args);
    REQUIRE_EXIT(r, 2);
    CHECK(r.err.rfind("quikctl: usage: ", 0) == 0);
    CHECK(r.out.empty());
  }
}

}  // namespace
