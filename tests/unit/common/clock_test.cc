// SPDX-License-Identifier: MIT
#include "quik/clock.hpp"

#include <chrono>

#include <catch2/catch.hpp>

#include "common/ids.hpp"

namespace {

using std::chrono::milliseconds;

TEST_CASE("clock: SystemClock reads the system's clocks", "[common][clock]") {
  const auto clock = quik::SystemClock();
  REQUIRE(clock != nullptr);
  CHECK(clock == quik::SystemClock());  // one shared instance
  const quik::Timestamp before = quik::internal::NowMillis();
  const quik::Timestamp now = clock->NowMillis();
  CHECK(now >= before);
  CHECK(now <= quik::internal::NowMillis());
  const auto steady_before = std::chrono::steady_clock::now();
  CHECK(clock->SteadyNow() >= steady_before);
}

TEST_CASE("clock: a ManualClock moves only when told to", "[common][clock]") {
  quik::ManualClock clock(1'700'000'000'000);
  CHECK(clock.NowMillis() == 1'700'000'000'000);
  const auto steady = clock.SteadyNow();
  CHECK(clock.SteadyNow() == steady);
  clock.Advance(milliseconds(1500));
  CHECK(clock.NowMillis() == 1'700'000'001'500);
  CHECK(clock.SteadyNow() - steady == milliseconds(1500));
  clock.Advance(milliseconds(-10));  // never backwards
  CHECK(clock.NowMillis() == 1'700'000'001'500);
}

TEST_CASE("clock: a ManualClock starts at the system time unless told otherwise",
          "[common][clock]") {
  const quik::Timestamp before = quik::internal::NowMillis();
  quik::ManualClock clock;
  CHECK(clock.NowMillis() >= before);
  CHECK(clock.NowMillis() <= quik::internal::NowMillis());
}

}  // namespace
