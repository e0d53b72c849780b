// SPDX-License-Identifier: MIT
// Ids (common/ids.hpp): ULIDs that sort by creation time.
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/ids.hpp"

using quik::Timestamp;
using quik::internal::LooksLikeId;
using quik::internal::NewId;
using quik::internal::NowMillis;

namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// The value of Crockford base32 digits (most significant first).
std::uint64_t DecodeBase32(std::string_view digits) {
  std::uint64_t v = 0;
  for (char c : digits) {
    size_t d = kAlphabet.find(c);
    REQUIRE(d != std::string_view::npos);
    v = (v << 5) | d;
  }
  return v;
}

// The 48-bit millisecond time of an id: its first 10 characters.
Timestamp TimeOf(const std::string& id) {
  REQUIRE(id.size() == 26);
  return static_cast<Timestamp>(DecodeBase32(std::string_view(id).substr(0, 10)));
}

// The 80-bit random part plus one, as base32 digits (carrying across digits).
std::string IncrementRandomPart(std::string_view id) {
  std::string random(id.substr(10));
  for (size_t i = random.size(); i-- > 0;) {
    size_t d = kAlphabet.find(random[i]);
    if (d + 1 < kAlphabet.size()) {
      random[i] = kAlphabet[d + 1];
      return random;
    }
    random[i] = '0';
  }
  return random;
}

// The times the fresh child process mints ids for, in this order.
constexpr Timestamp kFar = (Timestamp{1} << 47) + 12345;  // year ~6429
constexpr Timestamp kMax = (Timestamp{1} << 48) - 1;      // the largest 48-bit time
std::vector<Timestamp> FreshTimes() {
  std::vector<Timestamp> times = {0, 1, 1};
  for (Timestamp t = 1000; t < 1100; ++t) times.push_back(t);
  for (Timestamp t : {Timestamp{1704189600200}, kFar, kMax}) times.push_back(t);
  return times;
}

constexpr const char* kChildOutEnv = "QUIK_IDS_TEST_CHILD_OUT";

// Mints ids for FreshTimes() in a new process (this test binary, running only
// the hidden "[.ids-child]" test), so they come from an id generator that has
// never minted an id: the generator is process-wide and only moves forward,
// and a fork() would inherit its state.
std::vector<std::string> MintInFreshProcess() {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  REQUIRE(n > 0);
  exe[n] = '\0';
  std::string out = (std::filesystem::temp_directory_path() /
                     ("quik_ids_test_" + std::to_string(getpid()) + ".txt"))
                        .string();
  std::string cmd =
      std::string(kChildOutEnv) + "='" + out + "' '" + exe + "' '[.ids-child]' >/dev/null 2>&1";
  int rc = std::system(cmd.c_str());
  INFO(cmd);
  REQUIRE(rc == 0);
  std::ifstream in(out);
  REQUIRE(in.good());
  std::vector<std::string> ids;
  for (std::string line; std::getline(in, line);) ids.push_back(line);
  std::filesystem::remove(out);
  return ids;
}

}  // namespace

TEST_CASE("ids: NewId has 26 characters of the ULID alphabet", "[common]") {
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewId(NowMillis());
    REQUIRE(id.size() == 26);
    REQUIRE(id.find_first_not_of(kAlphabet) == std::string::npos);
    REQUIRE(id[0] <= '7');  // 130 bits of base32 for 128 bits of id
    REQUIRE(LooksLikeId(id));
  }
}

TEST_CASE("ids: NowMillis reads the wall clock in milliseconds", "[common]") {
  auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  Timestamp now = NowMillis();
  CHECK(now >= wall);
  CHECK(now - wall < 5000);
  CHECK(now > 1'600'000'000'000);  // after 2020, i.e. milliseconds and not seconds
}

TEST_CASE("ids: NewId is strictly increasing across 100k calls in one thread", "[common]") {
  std::vector<std::string> ids;
  ids.reserve(100'000);
  for (int i = 0; i < 100'000; ++i) ids.push_back(NewId(NowMillis()));
  for (size_t i = 1; i < ids.size(); ++i) {
    if (!(ids[i - 1] < ids[i])) {
      FAIL("id " << i << " '" << ids[i] << "' does not sort after '" << ids[i - 1] << "'");
    }
  }
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());
}

TEST_CASE("ids: NewId is strictly increasing within one millisecond", "[common]") {
  // Many ids for the same time: the random part is incremented.
  Timestamp now = NowMillis();
  std::vector<std::string> ids;
  for (int i = 0; i < 10'000; ++i) ids.push_back(NewId(now));
  for (size_t i = 1; i < ids.size(); ++i) {
    REQUIRE(ids[i - 1] < ids[i]);
    REQUIRE(ids[i].substr(0, 10) == ids[0].substr(0, 10));  // same time prefix
    REQUIRE(ids[i].substr(10) == IncrementRandomPart(ids[i - 1]));
  }
}

TEST_CASE("ids: NewId is unique and per-thread increasing across 4 threads", "[common]") {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50'000;
  std::vector<std::vector<std::string>> per_thread(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&per_thread, t] {
      auto& mine = per_thread[static_cast<size_t>(t)];
      mine.reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) mine.push_back(NewId(NowMillis()));
    });
  }
  for (auto& th : threads) th.join();

  std::vector<std::string> all;
  for (int t = 0; t < kThreads; ++t) {
    const auto& mine = per_thread[static_cast<size_t>(t)];
    REQUIRE(mine.size() == static_cast<size_t>(kPerThread));
    for (size_t i = 1; i < mine.size(); ++i) {
      if (!(mine[i - 1] < mine[i])) {
        FAIL("thread " << t << ": id " << i << " '" << mine[i] << "' does not sort after '"
                       << mine[i - 1] << "'");
      }
    }
    all.insert(all.end(), mine.begin(), mine.end());
  }
  std::sort(all.begin(), all.end());
  CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());
  CHECK(all.size() == static_cast<size_t>(kThreads * kPerThread));
}

TEST_CASE("ids: ids of a later millisecond sort after those of an earlier one", "[common]") {
  const Timestamp t0 = NowMillis();
  std::string first = NewId(t0);
  std::string later = NewId(t0 + 3);
  CHECK(first < later);
  CHECK(TimeOf(first) < TimeOf(later));
  CHECK(TimeOf(later) == t0 + 3);
}

TEST_CASE("ids: the time prefix encodes the current millisecond", "[common]") {
  Timestamp before = NowMillis();
  std::string id = NewId(NowMillis());
  Timestamp after = NowMillis();
  // The generator never goes backwards, so the prefix is at least the time
  // given; in this process no id was minted for a time ahead of the clock.
  CHECK(TimeOf(id) >= before);
  CHECK(TimeOf(id) <= after + 1000);
}

TEST_CASE("ids: a clock that steps back does not break the order", "[common]") {
  std::string a = NewId(NowMillis());
  std::string b = NewId(0);
  std::string c = NewId(NowMillis() - 60'000);
  CHECK(a < b);
  CHECK(b < c);
  CHECK(TimeOf(b) == TimeOf(a));  // the last time is kept
  CHECK(TimeOf(c) == TimeOf(a));
}

// The child side of MintInFreshProcess: hidden, and a no-op unless the parent
// set the output path.
TEST_CASE("ids: fresh-process child (run by the test below)", "[.ids-child]") {
  const char* out_path = std::getenv(kChildOutEnv);
  if (out_path == nullptr) return;
  std::ofstream out(out_path);
  for (Timestamp t : FreshTimes()) out << NewId(t) << "\n";
  out.close();
  REQUIRE(out.good());
}

TEST_CASE("ids: in a fresh process the prefix is exactly the given time", "[common]") {
  std::vector<std::string> ids = MintInFreshProcess();
  std::vector<Timestamp> times = FreshTimes();
  REQUIRE(ids.size() == times.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    INFO(i << ": " << ids[i] << " for time " << times[i]);
    CHECK(LooksLikeId(ids[i]));
    CHECK(TimeOf(ids[i]) == times[i]);
    if (i > 0) CHECK(ids[i - 1] < ids[i]);
  }

  // now=0 and now=1 differ in the time prefix only at its last character.
  CHECK(ids[0].substr(0, 10) == "0000000000");
  CHECK(ids[1].substr(0, 10) == "0000000001");
  CHECK(ids[0] < ids[1]);
  // A second id in the same millisecond: same prefix, random part + 1.
  CHECK(ids[2].substr(0, 10) == "0000000001");
  CHECK(ids[2].substr(10) == IncrementRandomPart(ids[1]));

  // A known time, a far one and the largest one.
  const size_t last = ids.size() - 1;
  CHECK(ids[last - 2].substr(0, 10) == "01HK4SV8E8");
  CHECK(TimeOf(ids[last - 1]) == kFar);
  CHECK(ids[last].substr(0, 10) == "7ZZZZZZZZZ");
  // Far-apart times sort by time, whatever the random parts.
  CHECK(ids[3] < ids[last - 2]);
  CHECK(ids[last - 2] < ids[last - 1]);
  CHECK(ids[last - 1] < ids[last]);

  // Each new millisecond draws fresh random bits (a repeat would mean none).
  std::set<std::string> randoms;
  for (size_t i = 3; i < 103; ++i) randoms.insert(ids[i].substr(10));
  CHECK(randoms.size() == 100);
}

TEST_CASE("ids: LooksLikeId accepts ids and rejects other strings", "[common]") {
  CHECK(LooksLikeId("01HK5NZ7W8ABCDEFGHJKMNPQRS"));
  CHECK(LooksLikeId("00000000000000000000000000"));
  CHECK(LooksLikeId("7ZZZZZZZZZZZZZZZZZZZZZZZZZ"));
  CHECK(LooksLikeId(NewId(NowMillis())));

  SECTION("wrong length") {
    CHECK_FALSE(LooksLikeId(""));
    CHECK_FALSE(LooksLikeId("01HK5NZ7W8ABCDEFGHJKMNPQR"));    // 25
    CHECK_FALSE(LooksLikeId("01HK5NZ7W8ABCDEFGHJKMNPQRST"));  // 27
    std::string id = NewId(NowMillis());
    CHECK_FALSE(LooksLikeId(id + "0"));
    CHECK_FALSE(LooksLikeId(std::string_view(id).substr(1)));
  }
  SECTION("lower case") {
    CHECK_FALSE(LooksLikeId("01hk5nz7w8abcdefghjkmnpqrs"));
    CHECK_FALSE(LooksLikeId("01HK5NZ7W8ABCDEFGHJKMNPQRs"));
  }
  SECTION("letters outside the Crockford alphabet: I, L, O, U") {
    for (char c : {'I', 'L', 'O', 'U'}) {
      std::string id = "01HK5NZ7W8ABCDEFGHJKMNPQRS";
      id[20] = c;
      INFO(id);
      CHECK_FALSE(LooksLikeId(id));
    }
  }
  SECTION("other characters") {
    CHECK_FALSE(LooksLikeId("01HK5NZ7W8ABCDEFGHJKMNPQR-"));
    CHECK_FALSE(LooksLikeId("01HK5NZ7W8ABCDEFGHJKMNPQR "));
    CHECK_FALSE(LooksLikeId(std::string_view("01HK5NZ7W8ABCDEFGHJKMNPQR\0", 26)));
  }
  SECTION("a first character above '7' would overflow 128 bits") {
    CHECK_FALSE(LooksLikeId("80000000000000000000000000"));
    CHECK_FALSE(LooksLikeId("ZZZZZZZZZZZZZZZZZZZZZZZZZZ"));
  }
}
