// SPDX-License-Identifier: MIT
#include "common/ids.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>

namespace quik::internal {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

struct Generator {
  std::mutex mu;
  Timestamp last_ms = -1;
  std::array<std::uint8_t, 10> random{};  // 80 bits, big-endian
  std::mt19937_64 rng{std::random_device{}()};
};

Generator& Gen() {
  static Generator g;
  return g;
}

// The 26 characters of the 128 bits `bytes`.
std::string Encode(const std::array<std::uint8_t, 16>& bytes);

// Mints from `g`: with `monotonic`, an earlier `now` is clamped to the last.
std::string Mint(Generator& g, Timestamp now, bool monotonic) {
  std::array<std::uint8_t, 16> bytes{};
  {
    std::lock_guard lock(g.mu);
    if (!monotonic && now < g.last_ms) g.last_ms = -1;
    if (now <= g.last_ms) {
      // Same (or an earlier, after a clock step) millisecond: keep the last
      // time and increment the random part so ids stay strictly increasing.
      now = g.last_ms;
      for (int i = 9; i >= 0; --i) {
        if (++g.random[static_cast<size_t>(i)] != 0) break;
      }
    } else {
      g.last_ms = now;
      std::uint64_t a = g.rng(), b = g.rng();
      for (int i = 0; i < 8; ++i)
        g.random[static_cast<size_t>(i)] = static_cast<std::uint8_t>(a >> (8 * i));
      for (int i = 0; i < 2; ++i)
        g.random[static_cast<size_t>(8 + i)] = static_cast<std::uint8_t>(b >> (8 * i));
      g.random[0] &= 0x7f;  // headroom so increments within a millisecond cannot overflow
    }
    for (int i = 0; i < 6; ++i) {
      bytes[static_cast<size_t>(i)] =
          static_cast<std::uint8_t>(static_cast<std::uint64_t>(now) >> (8 * (5 - i)));
    }
    for (int i = 0; i < 10; ++i)
      bytes[static_cast<size_t>(6 + i)] = g.random[static_cast<size_t>(i)];
  }
  return Encode(bytes);
}

std::string Encode(const std::array<std::uint8_t, 16>& bytes) {
  // 128 bits -> 26 base32 characters (the first carries 3 bits).
  std::string out(26, '0');
  // Bit i of the 130-bit string (two leading zero bits, then the 128 bits).
  auto bit = [&bytes](int i) -> unsigned {
    i -= 2;
    if (i < 0) return 0;
    return (bytes[static_cast<size_t>(i / 8)] >> (7 - i % 8)) & 1u;
  };
  for (int c = 0; c < 26; ++c) {
    unsigned v = 0;
    for (int b = 0; b < 5; ++b) v = (v << 1) | bit(c * 5 + b);
    out[static_cast<size_t>(c)] = kAlphabet[v];
  }
  return out;
}

}  // namespace

std::string NewId(Timestamp now) { return Mint(Gen(), now, true); }

std::string NewIdAt(Timestamp at) {
  static Generator g;  // its own state: NewId's clock never goes back
  return Mint(g, at, false);
}

bool LooksLikeId(std::string_view s) {
  if (s.size() != 26) return false;
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') ||
              (c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U');
    if (!ok) return false;
  }
  return s[0] <= '7';
}

Timestamp NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace quik::internal
