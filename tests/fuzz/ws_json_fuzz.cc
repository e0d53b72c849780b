// SPDX-License-Identifier: MIT
// A WebSocket text frame from a client (JSON, CONTRACT.md section 3).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "realtime/frames.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)quik::realtime::ParseClientFrame(
      std::string_view(reinterpret_cast<const char*>(data), size), /*binary=*/false);
  return 0;
}
