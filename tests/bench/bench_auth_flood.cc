// SPDX-License-Identifier: MIT
// bench_auth_flood: a valid login and a post while bogus-invite signups flood
// the server (issue 15: "with 200 bogus-invite signups in flight, a valid
// login completes in under 1 s and a post in under 100 ms").
//
//   bench_auth_flood [--flood 200] [--rounds 10] [--scrypt-log2-n 17]
//                    [--limits off|default] [--data-dir DIR] [--keep]
//
// Starts a server at the real scrypt cost, then `--flood` client threads that
// each keep one bogus-invite signup in flight, over and over. Meanwhile it
// times `--rounds` logins (a new connection each, the right password) and
// posts (an API token), one after the other, and prints their latencies, how
// many signups were answered and how, and how many password hashes the server
// ran. `--limits off` (the default) turns the per-address signup and login
// rate limits off, so that every bogus signup reaches the server's invite
// check (the worst case); `default` keeps them, as a real server would.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_common.hpp"
#include "net/http_client.hpp"
#include "quik/datadir.hpp"
#include "quik/server.hpp"
#include "quik/service.hpp"
#include "service/context.hpp"

namespace {

using quik_bench::Die;
using quik_bench::ValueOrDie;
using Clock = std::chrono::steady_clock;

struct Flags {
  int flood = 200;
  int rounds = 10;
  int scrypt_log2_n = 17;
  bool limits = false;
  std::filesystem::path data_dir;
  bool keep = false;
};

[[noreturn]] void Usage() {
  std::fprintf(stderr,
               "usage: bench_auth_flood [--flood N] [--rounds N] [--scrypt-log2-n N] "
               "[--limits off|default] [--data-dir DIR] [--keep]\n");
  std::exit(2);
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  quik_bench::ForEachFlag(argc, argv, Usage, [&](const std::string& name, const std::string& v) {
    if (name == "--flood") {
      f.flood = std::stoi(v);
    } else if (name == "--rounds") {
      f.rounds = std::stoi(v);
    } else if (name == "--scrypt-log2-n") {
      f.scrypt_log2_n = std::stoi(v);
    } else if (name == "--limits") {
      if (v != "off" && v != "default") return false;
      f.limits = v == "default";
    } else if (name == "--data-dir") {
      f.data_dir = v;
    } else if (name == "--keep") {
      f.keep = true;
    } else {
      Usage();
    }
    return true;
  });
  if (f.flood < 0 || f.rounds < 1) Usage();
  return f;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Max(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, x);
  return m;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  const std::filesystem::path root = quik_bench::MakeRunDir(flags.data_dir, "quik-bench-auth");

  quik::Options o;
  o.data_dir = root / "data";
  o.auth.scrypt_log2_n = flags.scrypt_log2_n;
  o.server.listen = "127.0.0.1:0";
  o.log.level = quik::LogLevel::kWarn;
  if (!flags.limits) {
    o.auth.signup_rate_per_address = 0;
    o.auth.login_rate_per_address = 0;
    o.auth.login_max_failures_per_address = 0;
  }
  ValueOrDie(quik::InitDataDir(o), "init data dir");
  auto server = ValueOrDie(quik::Server::Create(o), "create server");
  server->set_log_sink([](quik::LogLevel, std::string_view) {});
  quik::Service& svc = server->service();
  const quik::Actor system = quik::Actor::System();
  const std::string password = "bench login password";
  quik::User alice = ValueOrDie(
      svc.users().Create(system, {"alice@bench.test", "Alice", password, false}), "create user");
  quik::Workspace ws = ValueOrDie(svc.workspaces().Create(system, {"Bench", "bench"}), "workspace");
  ValueOrDie(svc.workspaces().AddMember(system, ws.id, alice.id, quik::Role::kMember), "member");
  quik::NewChannel spec;
  spec.name = "general";
  quik::Channel general =
      ValueOrDie(svc.channels().Create(quik::Actor::ForUser(alice.id), ws.id, spec), "channel");
  quik::NewToken token_spec;
  token_spec.name = "bench";
  const std::string token =
      ValueOrDie(svc.auth().CreateToken(system, alice.id, token_spec), "token").secret;
  quik::Status st = server->Start();
  if (!st.ok()) Die("start: " + st.ToString());
  quik::internal::Context* ctx = quik::internal::ContextOf(svc);
  const auto hashes_before = ctx->hash_pool->stats().completed;
  const std::string url = server->url() + "/api/v1";

  std::printf(
      "bench_auth_flood: scrypt 2^%d, %d bogus-invite signups in flight, %d rounds, rate limits "
      "%s, %u hardware threads\n",
      flags.scrypt_log2_n, flags.flood, flags.rounds, flags.limits ? "default" : "off",
      std::thread::hardware_concurrency());
  std::fflush(stdout);

  std::atomic<bool> stop{false};
  std::atomic<int> connected{0};
  std::mutex statuses_mu;
  std::map<int, std::uint64_t> statuses;  // signup answers by HTTP status
  std::vector<std::thread> flood;
  for (int i = 0; i < flags.flood; ++i) {
    flood.emplace_back([&, i] {
      auto client = quik::net::HttpClient::Connect(url);
      ++connected;
      if (!client.ok()) return;
      std::map<int, std::uint64_t> mine;
      for (std::uint64_t n = 0; !stop.load(); ++n) {
        nlohmann::json body = {{"email", "eve" + std::to_string(i) + "@bench.test"},
                               {"name", "Eve"},
                               {"password", "eve's long password"},
                               {"invite", "bogus-" + std::to_string(i) + "-" + std::to_string(n)}};
        auto r = client->Request("POST", "/auth/signup", body.dump());
        mine[r.ok() ? r->status : 0]++;
      }
      std::lock_guard lock(statuses_mu);
      for (auto [s, n] : mine) statuses[s] += n;
    });
  }
  while (connected.load() < flags.flood) std::this_thread::yield();

  std::vector<double> logins, posts;
  quik::net::ClientOptions post_options;
  post_options.default_headers = {{"Authorization", "Bearer " + token}};
  auto client_for_posts = ValueOrDie(quik::net::HttpClient::Connect(url, post_options), "connect");
  const auto flood_started = Clock::now();
  for (int round = 0; round < flags.rounds; ++round) {
    auto t0 = Clock::now();
    auto login_client = ValueOrDie(quik::net::HttpClient::Connect(url), "connect");
    auto login = login_client.Request(
        "POST", "/auth/login",
        nlohmann::json({{"email", alice.email}, {"password", password}}).dump());
    logins.push_back(Ms(Clock::now() - t0));
    if (!login.ok() || login->status != 200) {
      Die("login failed: " + (login.ok() ? std::to_string(login->status) + " " + login->body
                                         : login.status().ToString()));
    }
    auto t1 = Clock::now();
    auto post = client_for_posts.Request(
        "POST", "/channels/" + general.id + "/messages",
        nlohmann::json({{"text", "round " + std::to_string(round)}}).dump());
    posts.push_back(Ms(Clock::now() - t1));
    if (!post.ok() || post->status != 201) {
      Die("post failed: " +
          (post.ok() ? std::to_string(post->status) + " " + post->body : post.status().ToString()));
    }
  }
  const double flood_seconds = Ms(Clock::now() - flood_started) / 1000.0;
  stop = true;
  for (auto& t : flood) t.join();
  const auto pool = ctx->hash_pool->stats();

  std::uint64_t answered = 0;
  for (auto [s, n] : statuses) answered += n;
  std::printf("%-8s %8s %8s %8s\n", "request", "p50_ms", "max_ms", "limit_ms");
  std::printf("%-8s %8.1f %8.1f %8d  %s\n", "login", Median(logins), Max(logins), 1000,
              Max(logins) < 1000 ? "ok" : "OVER");
  std::printf("%-8s %8.1f %8.1f %8d  %s\n", "post", Median(posts), Max(posts), 100,
              Max(posts) < 100 ? "ok" : "OVER");
  std::printf(
      "bogus signups answered: %llu in %.1f s (%.0f/s):", static_cast<unsigned long long>(answered),
      flood_seconds, static_cast<double>(answered) / flood_seconds);
  for (auto [s, n] : statuses) {
    std::printf(" %d x%llu", s, static_cast<unsigned long long>(n));
  }
  std::printf("\npassword hashes run: %llu (%d logins), refused: %llu\n",
              static_cast<unsigned long long>(pool.completed - hashes_before), flags.rounds,
              static_cast<unsigned long long>(pool.rejected));

  server->Shutdown();
  server->Wait();
  server.reset();
  if (!flags.keep) std::filesystem::remove_all(root);
  return Max(logins) < 1000 && Max(posts) < 100 ? 0 : 1;
}
