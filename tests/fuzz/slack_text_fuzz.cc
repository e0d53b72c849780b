// SPDX-License-Identifier: MIT
// Slack message markup -> QuikApp text (transfer/slack/slack_text.hpp).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "transfer/slack/slack_text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace quik::transfer::slack;
  static const TextResolver resolver = [] {
    TextResolver r;
    r.user = [](std::string_view id) -> std::optional<std::string> {
      if (id == "U012AB3CD") return std::string("01HZY5N6V7W8X9Y0Z1A2B3C4D5");
      return std::nullopt;
    };
    r.channel = [](std::string_view id) -> std::optional<std::string> {
      if (id == "C012AB3CD") return std::string("general");
      return std::nullopt;
    };
    return r;
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ConvertText(text, resolver);
  (void)Unescape(text);
  return 0;
}
