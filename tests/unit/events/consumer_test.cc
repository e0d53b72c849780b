// SPDX-License-Identifier: MIT
// events::Consumer: durable, exactly-once handling of the event log.
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "events/consumer.hpp"
#include "service/context.hpp"
#include "unit/testing/service_fixture.hpp"

using quik_test::As;

namespace {

// Records the seqs a consumer handled, committed or not.
struct Seen {
  std::mutex mu;
  std::vector<std::int64_t> seqs;
  std::vector<std::int64_t> Snapshot() {
    std::lock_guard lock(mu);
    return seqs;
  }
};

// Waits until `pred` holds, for up to 10 s.
template <typename Pred>
bool WaitFor(Pred pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

std::int64_t Cursor(quik::internal::Context& ctx, const std::string& name) {
  std::int64_t out = -1;
  REQUIRE(ctx.store
              ->Read([&](quik::store::Tx& tx) -> quik::Status {
                QUIK_ASSIGN_OR_RETURN(auto c, tx.GetConsumerCursor(name));
                out = c.value_or(-1);
                return quik::Status::Ok();
              })
              .ok());
  return out;
}

}  // namespace

TEST_CASE("consumer: starts at the end of the log and handles each later event once",
          "[events][consumer]") {
  quik_test::ServiceFixture f;
  auto* ctx = quik::internal::ContextOf(f.svc());
  quik_test::Team t = f.MakeTeam("cons");
  const std::int64_t before = f.LatestSeq();

  Seen seen;
  auto make = [&] {
    return std::make_unique<quik::events::Consumer>(
        *ctx->store, *ctx->bus, "test",
        [&](quik::store::Tx&, const std::vector<quik::Event>& batch) {
          std::lock_guard lock(seen.mu);
          for (const auto& e : batch) seen.seqs.push_back(e.seq);
          return quik::Status::Ok();
        },
        /*batch_size=*/7);
  };
  auto consumer = make();
  REQUIRE(consumer->Start(nullptr).ok());
  CHECK(Cursor(*ctx, "test") == before);  // history is not handled

  quik::Channel ch = f.CreateChannel(As(t.owner), t.ws, "general");
  for (int i = 0; i < 30; ++i) f.Post(As(t.member), ch.id, "m" + std::to_string(i));
  const std::int64_t latest = f.LatestSeq();
  REQUIRE(WaitFor([&] { return Cursor(*ctx, "test") == latest; }));
  std::vector<std::int64_t> first = seen.Snapshot();
  REQUIRE(!first.empty());
  CHECK(first.front() == before + 1);
  CHECK(first.back() == latest);
  for (std::size_t i = 1; i < first.size(); ++i) CHECK(first[i] == first[i - 1] + 1);

  // Stopped, events accumulate; a new consumer of the same name resumes from
  // the durable cursor, with no repeat and no gap.
  consumer->Stop();
  for (int i = 0; i < 5; ++i) f.Post(As(t.member), ch.id, "later" + std::to_string(i));
  const std::int64_t latest2 = f.LatestSeq();
  consumer = make();
  REQUIRE(consumer->Start(nullptr).ok());
  REQUIRE(WaitFor([&] { return Cursor(*ctx, "test") == latest2; }));
  std::vector<std::int64_t> all = seen.Snapshot();
  REQUIRE(all.size() == static_cast<std::size_t>(latest2 - before));
  for (std::size_t i = 0; i < all.size(); ++i)
    CHECK(all[i] == before + 1 + static_cast<std::int64_t>(i));
}

TEST_CASE("consumer: a failing batch is rolled back, reported and retried, never skipped",
          "[events][consumer]") {
  quik_test::ServiceFixture f;
  auto* ctx = quik::internal::ContextOf(f.svc());
  quik_test::Team t = f.MakeTeam("fail");
  quik::Channel ch = f.CreateChannel(As(t.owner), t.ws, "general");

  std::atomic<int> calls{0};
  std::atomic<int> errors{0};
  Seen committed;
  quik::events::Consumer consumer(
      *ctx->store, *ctx->bus, "flaky",
      [&](quik::store::Tx&, const std::vector<quik::Event>& batch) -> quik::Status {
        if (calls.fetch_add(1) == 0) return quik::Unavailable("first attempt fails");
        std::lock_guard lock(committed.mu);
        for (const auto& e : batch) committed.seqs.push_back(e.seq);
        return quik::Status::Ok();
      });
  REQUIRE(consumer
              .Start([&](const std::string& name, const quik::Status& st) {
                if (name == "flaky" && st.code() == quik::StatusCode::kUnavailable) errors++;
              })
              .ok());
  const std::int64_t before = Cursor(*ctx, "flaky");
  f.Post(As(t.member), ch.id, "hello");
  const std::int64_t latest = f.LatestSeq();
  REQUIRE(WaitFor([&] { return Cursor(*ctx, "flaky") == latest; }));
  CHECK(errors.load() == 1);
  std::vector<std::int64_t> seqs = committed.Snapshot();
  REQUIRE(!seqs.empty());
  CHECK(seqs.front() == before + 1);
  CHECK(seqs.back() == latest);
}
