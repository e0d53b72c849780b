// SPDX-License-Identifier: MIT
#include "api/limits.hpp"

#include <chrono>
#include <string>

#include <catch2/catch.hpp>

namespace quik::api {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const Clock::time_point t0{};

TEST_CASE("RateLimiter: a burst, then the rate", "[api][limits]") {
  RateLimiter limiter(/*rate=*/2, /*burst=*/4);
  seconds retry{};
  for (int i = 0; i < 4; ++i) CHECK(limiter.Allow("u", t0, &retry));
  CHECK_FALSE(limiter.Allow("u", t0, &retry));
  CHECK(retry == seconds(1));  // half a second to the next token, rounded up
  // Another key has its own bucket.
  CHECK(limiter.Allow("v", t0, &retry));
  // Two tokens a second come back.
  CHECK(limiter.Allow("u", t0 + milliseconds(500), &retry));
  CHECK_FALSE(limiter.Allow("u", t0 + milliseconds(500), &retry));
  // Never more than the burst, however long the pause.
  const auto later = t0 + minutes(10);
  for (int i = 0; i < 4; ++i) CHECK(limiter.Allow("u", later, &retry));
  CHECK_FALSE(limiter.Allow("u", later, &retry));
}

TEST_CASE("RateLimiter: burst 0 means the rate and rate 0 is off", "[api][limits]") {
  RateLimiter limiter(3, 0);
  seconds retry{};
  for (int i = 0; i < 3; ++i) CHECK(limiter.Allow("k", t0, &retry));
  CHECK_FALSE(limiter.Allow("k", t0, &retry));

  RateLimiter off(0, 0);
  CHECK_FALSE(off.enabled());
  for (int i = 0; i < 1000; ++i) CHECK(off.Allow("k", t0, &retry));
}

TEST_CASE("RateLimiter: memory stays bounded under a flood of keys", "[api][limits]") {
  RateLimiter limiter(1, 1);
  seconds retry{};
  const std::size_t flood = RateLimiter::kMaxKeys + 10;
  for (std::size_t i = 0; i < flood; ++i) {
    REQUIRE(limiter.Allow("key-" + std::to_string(i), t0, &retry));
  }
  // Every bucket is empty and no time has passed, so a limiter that kept them
  // all would refuse key-0 now: it was forgotten to stay within kMaxKeys.
  CHECK(limiter.Allow("key-0", t0, &retry));
  // What came after the flood is still limited, and a fresh key is served.
  CHECK_FALSE(limiter.Allow("key-" + std::to_string(flood - 1), t0, &retry));
  CHECK(limiter.Allow("fresh", t0, &retry));
  CHECK_FALSE(limiter.Allow("fresh", t0, &retry));
}

TEST_CASE("LoginLimiter: memory stays bounded under a flood of keys", "[api][limits]") {
  LoginLimiter limiter(/*max_failures=*/1, /*window=*/minutes(15));
  seconds retry{};
  const std::size_t flood = LoginLimiter::kMaxKeys + 10;
  for (std::size_t i = 0; i < flood; ++i) limiter.RecordFailure("key-" + std::to_string(i), t0);
  // key-0's failure is inside the window: kept, it would refuse key-0.
  CHECK(limiter.Allow("key-0", t0, &retry));
  CHECK_FALSE(limiter.Allow("key-" + std::to_string(flood - 1), t0, &retry));
}

TEST_CASE("LoginLimiter: N failures in the window, then refused until the oldest expires",
          "[api][limits]") {
  LoginLimiter limiter(/*max_failures=*/3, /*window=*/minutes(15));
  seconds retry{};
  for (int i = 0; i < 3; ++i) {
    REQUIRE(limiter.Allow("account:a@x.test", t0 + minutes(i), &retry));
    limiter.RecordFailure("account:a@x.test", t0 + minutes(i));
  }
  CHECK_FALSE(limiter.Allow("account:a@x.test", t0 + minutes(3), &retry));
  CHECK(retry == minutes(12));  // the first failure (t0) leaves the window at t0+15m
  CHECK(limiter.Allow("account:b@x.test", t0 + minutes(3), &retry));
  // At t0+15m the first failure has expired: one more attempt may proceed.
  CHECK(limiter.Allow("account:a@x.test", t0 + minutes(15), &retry));
  limiter.RecordFailure("account:a@x.test", t0 + minutes(15));
  CHECK_FALSE(limiter.Allow("account:a@x.test", t0 + minutes(15), &retry));
}

TEST_CASE("LoginLimiter: a success clears the account and 0 failures turns it off",
          "[api][limits]") {
  LoginLimiter limiter(2, minutes(15));
  seconds retry{};
  limiter.RecordFailure("k", t0);
  limiter.RecordFailure("k", t0);
  CHECK_FALSE(limiter.Allow("k", t0, &retry));
  limiter.Clear("k");
  CHECK(limiter.Allow("k", t0, &retry));

  LoginLimiter off(0, minutes(15));
  CHECK_FALSE(off.enabled());
  for (int i = 0; i < 100; ++i) off.RecordFailure("k", t0);
  CHECK(off.Allow("k", t0, &retry));
}

}  // namespace
}  // namespace quik::api
