// SPDX-License-Identifier: MIT
// auth::HashPool: at most N tasks at once, at most Q waiting, the rest
// refused at once with kUnavailable.
#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "auth/hash_pool.hpp"

namespace {

// Holds every task that passes it until Open().
class Gate {
 public:
  void Pass() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }
  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Waits (without a deadline: the test's own timeout catches a hang) until
// the pool's stats satisfy `pred`.
template <typename Pred>
void AwaitStats(const quik::auth::HashPool& pool, Pred pred) {
  while (!pred(pool.stats())) std::this_thread::yield();
}

}  // namespace

TEST_CASE("hash pool: runs a task on its own thread and returns after it ran",
          "[auth][hash_pool]") {
  quik::auth::HashPool pool(2, 4);
  std::thread::id ran_on;
  int value = 0;
  REQUIRE(pool.Run([&] {
                ran_on = std::this_thread::get_id();
                value = 42;
              })
              .ok());
  CHECK(value == 42);
  CHECK(ran_on != std::this_thread::get_id());
  // Its slot is free and counted by the time Run returns.
  auto s = pool.stats();
  CHECK(s.completed == 1);
  CHECK(s.rejected == 0);
  CHECK(s.running == 0);
  CHECK(s.queued == 0);
}

TEST_CASE("hash pool: a caller's next task finds the slot of its last free", "[auth][hash_pool]") {
  // One thread, no queue: a login hashes twice in a row (the dummy hash, then
  // the check), and the second must not be refused by the first's slot.
  quik::auth::HashPool pool(1, 0);
  for (int i = 0; i < 200; ++i) REQUIRE(pool.Run([] {}).ok());
  CHECK(pool.stats().rejected == 0);
}

TEST_CASE("hash pool: a task that hashes again runs that in place", "[auth][hash_pool]") {
  // One thread and no queue: a nested Run that queued would wait for itself.
  quik::auth::HashPool pool(1, 0);
  std::thread::id outer, inner;
  quik::Status nested;
  REQUIRE(pool.Run([&] {
                outer = std::this_thread::get_id();
                nested = pool.Run([&] { inner = std::this_thread::get_id(); });
              })
              .ok());
  CHECK(nested.ok());
  CHECK(inner == outer);
}

TEST_CASE("hash pool: never runs more than its threads at once", "[auth][hash_pool]") {
  quik::auth::HashPool pool(2, 10);
  Gate gate;
  std::atomic<int> now{0}, most{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 6; ++i) {
    callers.emplace_back([&] {
      (void)pool.Run([&] {
        const int n = ++now;
        int seen = most.load();
        while (n > seen && !most.compare_exchange_weak(seen, n)) {
        }
        gate.Pass();
        --now;
      });
    });
  }
  // Two run, four wait: the pool holds the rest back.
  AwaitStats(pool, [](const auto& s) { return s.running == 2 && s.queued == 4; });
  CHECK(most.load() == 2);
  gate.Open();
  for (auto& t : callers) t.join();
  CHECK(most.load() == 2);
  CHECK(pool.stats().completed == 6);
  CHECK(pool.stats().rejected == 0);
}

TEST_CASE("hash pool: a full queue refuses at once with unavailable", "[auth][hash_pool]") {
  quik::auth::HashPool pool(1, 1);
  Gate gate;
  std::thread running([&] { (void)pool.Run([&] { gate.Pass(); }); });
  AwaitStats(pool, [](const auto& s) { return s.running == 1; });
  std::thread waiting([&] { (void)pool.Run([] {}); });
  AwaitStats(pool, [](const auto& s) { return s.queued == 1; });

  bool ran = false;
  quik::Status refused = pool.Run([&] { ran = true; });
  CHECK(refused.code() == quik::StatusCode::kUnavailable);
  CHECK_THAT(refused.message(), Catch::Contains("retry"));
  CHECK_FALSE(ran);
  CHECK(pool.stats().rejected == 1);

  gate.Open();
  running.join();
  waiting.join();
  CHECK(pool.stats().completed == 2);
  // With room again, tasks run.
  CHECK(pool.Run([&] { ran = true; }).ok());
  CHECK(ran);
}

TEST_CASE("hash pool: with no queue only the threads' worth run", "[auth][hash_pool]") {
  quik::auth::HashPool pool(1, 0);
  Gate gate;
  std::thread running([&] { (void)pool.Run([&] { gate.Pass(); }); });
  AwaitStats(pool, [](const auto& s) { return s.running == 1; });
  CHECK(pool.Run([] {}).code() == quik::StatusCode::kUnavailable);
  gate.Open();
  running.join();
}
