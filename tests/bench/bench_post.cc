// SPDX-License-Identifier: MIT
// bench_post: message posts per second through the service layer.
//
//   bench_post [--seconds S] [--warmup S] [--writers 1,4,16] [--sync normal,full]
//              [--channels N] [--text-bytes N] [--data-dir DIR] [--keep]
//
// Each case (sync mode x writer count) runs W threads that call
// MessageService::Post in a loop for S seconds; writer i posts as its own user
// (already a channel member) into channel i % N (default N = 1: everyone in
// one channel), with a client_msg_id, as a chat client would. The data dir is
// a fresh one under DIR (default: the system temp dir), removed at the end
// unless --keep. See tests/bench/README.md.
//
// The MessageService runs over an internal::Context built here rather than
// inside quik::Service, only so that the store's WriteStats (commits, and so
// the mean group-commit batch size) are reachable; Post runs the same code.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "bench_common.hpp"
#include "quik/actor.hpp"
#include "quik/datadir.hpp"
#include "quik/messages.hpp"
#include "quik/options.hpp"
#include "quik/service.hpp"
#include "service/context.hpp"
#include "store/store.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  double seconds = 3;
  double warmup = 0.5;
  std::vector<int> writers = {1, 4, 16};
  std::vector<quik::SyncMode> sync = {quik::SyncMode::kNormal, quik::SyncMode::kFull};
  int channels = 1;
  int text_bytes = 64;
  bool client_ids = true;
  std::filesystem::path data_dir;
  bool keep = false;
  // "threads": W threads each calling Post; "async": W posts kept in flight
  // through PostAsync by one driver thread (as a network layer would).
  std::vector<std::string> modes = {"threads", "async"};
};

using quik_bench::Die;
using quik_bench::Percentile;
using quik_bench::SplitCommas;
using quik_bench::SyncName;
using quik_bench::ValueOrDie;

void Usage() {
  std::fprintf(stderr,
               "usage: bench_post [--seconds S] [--warmup S] [--writers 1,4,16] "
               "[--sync normal,full]\n"
               "                  [--channels N] [--text-bytes N] [--mode threads,async]\n"
               "                  [--data-dir DIR] [--keep]\n");
  std::exit(2);
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  quik_bench::ForEachFlag(argc, argv, Usage,
                          [&f](const std::string& arg, const std::string& value) {
                            if (arg == "--seconds") {
                              f.seconds = std::stod(value);
                            } else if (arg == "--warmup") {
                              f.warmup = std::stod(value);
                            } else if (arg == "--writers") {
                              f.writers.clear();
                              for (const auto& w : SplitCommas(value))
                                f.writers.push_back(std::stoi(w));
                            } else if (arg == "--sync") {
                              return quik_bench::ParseSyncList(value, &f.sync);
                            } else if (arg == "--channels") {
                              f.channels = std::stoi(value);
                            } else if (arg == "--text-bytes") {
                              f.text_bytes = std::stoi(value);
                            } else if (arg == "--client-ids") {
                              if (value != "on" && value != "off") return false;
                              f.client_ids = value == "on";
                            } else if (arg == "--data-dir") {
                              f.data_dir = value;
                            } else if (arg == "--mode") {
                              f.modes = SplitCommas(value);
                              for (const auto& m : f.modes) {
                                if (m != "threads" && m != "async") return false;
                              }
                            } else if (arg == "--keep") {
                              f.keep = true;
                            } else {
                              return false;
                            }
                            return true;
                          });
  if (f.seconds <= 0 || f.warmup < 0 || f.writers.empty() || f.sync.empty() || f.channels < 1 ||
      f.text_bytes < 1) {
    Usage();
  }
  for (int w : f.writers) {
    if (w < 1) Usage();
  }
  return f;
}

struct Fixture {
  std::vector<std::string> user_ids;
  std::vector<std::string> channel_ids;
};

// `users` users, a workspace and `channels` public channels that every user
// has joined (so that posting takes the steady-state path, not the join).
Fixture Provision(const quik::Options& options, int users, int channels) {
  ValueOrDie(quik::InitDataDir(options), "init data dir");
  auto service = ValueOrDie(quik::Service::Open(options), "open");
  const quik::Actor system = quik::Actor::System();
  quik::NewWorkspace ws_spec;
  ws_spec.name = "Bench";
  ws_spec.slug = "bench";
  quik::Workspace ws = ValueOrDie(service->workspaces().Create(system, ws_spec), "workspace");
  Fixture fx;
  for (int c = 0; c < channels; ++c) {
    quik::NewChannel spec;
    spec.name = "bench-" + std::to_string(c);
    fx.channel_ids.push_back(
        ValueOrDie(service->channels().Create(system, ws.id, spec), "channel").id);
  }
  for (int u = 0; u < users; ++u) {
    quik::NewUser spec;
    spec.email = "writer" + std::to_string(u) + "@bench.test";
    spec.name = "Writer " + std::to_string(u);
    quik::User user = ValueOrDie(service->users().Create(system, spec), "user");
    ValueOrDie(service->workspaces().AddMember(system, ws.id, user.id, quik::Role::kMember),
               "add member");
    for (const auto& ch : fx.channel_ids) {
      quik::Status st = service->channels().AddMember(system, ch, user.id);
      if (!st.ok()) Die("add channel member: " + st.ToString());
    }
    fx.user_ids.push_back(user.id);
  }
  return fx;
}

struct CaseResult {
  std::uint64_t posts = 0;
  double seconds = 0;
  quik::store::WriteStats stats;  // during the measured run only
  std::vector<std::uint32_t> latencies_us;
};

// The post numbered `serial`: a unique client_msg_id (unless --client-ids off)
// and a text of --text-bytes bytes.
void FillMessage(const Flags& flags, std::uint64_t serial, quik::NewMessage& msg) {
  // snprintf, not operator+: GCC 12 at -O3 warns falsely (-Wrestrict) on the latter.
  char buf[64];
  const auto serial_ull = static_cast<unsigned long long>(serial);
  if (flags.client_ids) {
    int len = std::snprintf(buf, sizeof buf, "b%llu", serial_ull);
    msg.client_msg_id.assign(buf, static_cast<size_t>(len));
  }
  int len = std::snprintf(buf, sizeof buf, "bench message %llu ", serial_ull);
  msg.text.assign(buf, static_cast<size_t>(len));
  msg.text.resize(static_cast<size_t>(flags.text_bytes), 'x');
}

// Runs `writers` threads posting for `duration`; records latencies if asked.
CaseResult RunPosts(quik::internal::Context& ctx, quik::MessageService& messages, const Fixture& fx,
                    const Flags& flags, int writers, std::chrono::duration<double> duration,
                    std::uint64_t& serial, bool record) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::vector<std::uint32_t>> latencies(static_cast<size_t>(writers));
  std::vector<std::uint64_t> counts(static_cast<size_t>(writers), 0);
  std::atomic<bool> failed{false};
  Clock::time_point end;
  const std::uint64_t first_serial = serial;

  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      const quik::Actor actor = quik::Actor::ForUser(fx.user_ids[static_cast<size_t>(t)]);
      const std::string& channel = fx.channel_ids[static_cast<size_t>(t) % fx.channel_ids.size()];
      auto& lat = latencies[static_cast<size_t>(t)];
      if (record) lat.reserve(1 << 16);
      quik::NewMessage msg;
      // Serials keep client_msg_ids unique across cases and warm-ups.
      std::uint64_t n = first_serial + static_cast<std::uint64_t>(t) * (1ull << 32);
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      std::uint64_t count = 0;
      for (;;) {
        FillMessage(flags, n++, msg);
        Clock::time_point t0 = Clock::now();
        if (t0 >= end) break;
        auto posted = messages.Post(actor, channel, msg);
        if (!posted.ok() || !posted->created) {
          std::fprintf(
              stderr, "bench_post: post: %s\n",
              posted.ok() ? "duplicate client_msg_id" : posted.status().ToString().c_str());
          failed = true;
          break;
        }
        if (record) {
          auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);
          lat.push_back(static_cast<std::uint32_t>(us.count()));
        }
        ++count;
      }
      counts[static_cast<size_t>(t)] = count;
    });
  }
  while (ready.load() < writers) std::this_thread::yield();
  quik::store::WriteStats before = ctx.store->write_stats();
  Clock::time_point start = Clock::now();
  end = start + std::chrono::duration_cast<Clock::duration>(duration);
  go.store(true, std::memory_order_release);
  for (auto& th : threads) th.join();
  Clock::time_point stop = Clock::now();
  quik::store::WriteStats after = ctx.store->write_stats();
  if (failed) std::exit(1);

  CaseResult r;
  for (std::uint64_t c : counts) r.posts += c;
  serial += 1ull << 24;  // past anything one thread posts in one case
  r.seconds = std::chrono::duration<double>(stop - start).count();
  r.stats.commits = after.commits - before.commits;
  r.stats.writes = after.writes - before.writes;
  if (record) {
    for (auto& l : latencies) r.latencies_us.insert(r.latencies_us.end(), l.begin(), l.end());
  }
  return r;
}

// Keeps `writers` posts in flight through PostAsync from this one thread for
// `duration`: each completion lets the driver submit the next post.
CaseResult RunPostsAsync(quik::internal::Context& ctx, quik::MessageService& messages,
                         const Fixture& fx, const Flags& flags, int writers,
                         std::chrono::duration<double> duration, std::uint64_t& serial,
                         bool record) {
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  bool failed = false;
  std::uint64_t posts = 0;
  std::vector<std::uint32_t> latencies;
  if (record) latencies.reserve(1 << 18);
  std::uint64_t n = serial;
  quik::store::WriteStats before = ctx.store->write_stats();
  Clock::time_point start = Clock::now();
  Clock::time_point end = start + std::chrono::duration_cast<Clock::duration>(duration);
  for (std::uint64_t i = 0;; ++i) {
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return in_flight < writers || failed; });
      if (failed) break;
      ++in_flight;
    }
    Clock::time_point t0 = Clock::now();
    if (t0 >= end) {
      std::lock_guard lock(mu);
      --in_flight;
      break;
    }
    size_t w = static_cast<size_t>(i % static_cast<std::uint64_t>(writers));
    quik::NewMessage msg;
    FillMessage(flags, n++, msg);
    messages.PostAsync(
        quik::Actor::ForUser(fx.user_ids[w]), fx.channel_ids[w % fx.channel_ids.size()], msg,
        [&, t0](quik::Result<quik::Posted> posted) {
          auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);
          std::lock_guard lock(mu);
          if (!posted.ok() || !posted->created) {
            std::fprintf(
                stderr, "bench_post: async post: %s\n",
                posted.ok() ? "duplicate client_msg_id" : posted.status().ToString().c_str());
            failed = true;
          } else {
            ++posts;
            if (record) latencies.push_back(static_cast<std::uint32_t>(us.count()));
          }
          --in_flight;
          cv.notify_one();
        });
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return in_flight == 0; });
  }
  Clock::time_point stop = Clock::now();
  if (failed) std::exit(1);
  quik::store::WriteStats after = ctx.store->write_stats();
  CaseResult r;
  r.posts = posts;
  r.seconds = std::chrono::duration<double>(stop - start).count();
  r.stats.commits = after.commits - before.commits;
  r.stats.writes = after.writes - before.writes;
  r.latencies_us = std::move(latencies);
  serial = n + (1ull << 24);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv);
  const std::filesystem::path root = quik_bench::MakeRunDir(flags.data_dir, "quik-bench");

  quik::Options options;
  options.data_dir = root / "data";
  options.auth.scrypt_log2_n = 10;
  const int max_writers = *std::max_element(flags.writers.begin(), flags.writers.end());
  const Fixture fx = Provision(options, max_writers, flags.channels);

  std::printf(
      "bench_post: data dir %s, %d channel(s), %d-byte texts, %.1f s per case "
      "(+%.1f s warm-up), %u hardware threads\n",
      options.data_dir.c_str(), flags.channels, flags.text_bytes, flags.seconds, flags.warmup,
      std::thread::hardware_concurrency());
  std::printf("%-7s %-7s %8s %9s %8s %10s %8s %8s %8s\n", "mode", "sync", "writers", "posts",
              "seconds", "posts/s", "batch", "p50_us", "p99_us");
  std::fflush(stdout);

  std::uint64_t serial = 0;
  for (quik::SyncMode sync : flags.sync) {
    quik::internal::Context ctx;
    ctx.options = options;
    ctx.options.storage.sync = sync;
    ctx.store = ValueOrDie(quik::store::Store::Open(ctx.options), "open store");
    quik::MessageService messages(&ctx);
    for (const std::string& mode : flags.modes)
      for (int writers : flags.writers) {
        auto run = mode == "async" ? RunPostsAsync : RunPosts;
        if (flags.warmup > 0) {
          run(ctx, messages, fx, flags, writers, std::chrono::duration<double>(flags.warmup),
              serial,
              /*record=*/false);
        }
        CaseResult r = run(ctx, messages, fx, flags, writers,
                           std::chrono::duration<double>(flags.seconds), serial, /*record=*/true);
        double batch = r.stats.commits ? static_cast<double>(r.stats.writes) /
                                             static_cast<double>(r.stats.commits)
                                       : 0.0;
        std::uint32_t p50 = Percentile(r.latencies_us, 0.50);
        std::uint32_t p99 = Percentile(r.latencies_us, 0.99);
        std::printf("%-7s %-7s %8d %9llu %8.2f %10.0f %8.2f %8u %8u\n", mode.c_str(),
                    SyncName(sync), writers, static_cast<unsigned long long>(r.posts), r.seconds,
                    static_cast<double>(r.posts) / r.seconds, batch, p50, p99);
        std::fflush(stdout);
      }
  }

  if (flags.keep) {
    std::printf("kept %s\n", root.c_str());
  } else {
    std::error_code ignored;
    std::filesystem::remove_all(root, ignored);
  }
  return 0;
}
