// SPDX-License-Identifier: MIT
// Mentions in message text (messages/mentions.hpp) against a few members.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>
#include <vector>

#include "messages/mentions.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using quik::messages::Mentionable;
  static const std::vector<Mentionable> members = {
      {"01HZY5N6V7W8X9Y0Z1A2B3C4D5", "alice", "alice@acme.test"},
      {"01HZY5N6V7W8X9Y0Z1A2B3C4D6", "Bob Smith", "bob@acme.test"},
      {"01HZY5N6V7W8X9Y0Z1A2B3C4D7", "bob", "bobby@example.org"},
      {"01HZY5N6V7W8X9Y0Z1A2B3C4D8", "Zoë Ürlich", "zoe.u@acme.test"},
      {"01HZY5N6V7W8X9Y0Z1A2B3C4D9", "o'brien-2", "ob@acme.test"},
  };
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = quik::messages::ParseMentions(text, members);
  // MayMention is the cheap test before members are loaded: it must not
  // miss a mention that ParseMentions finds.
  if ((!parsed.user_ids.empty() || parsed.channel || parsed.here) &&
      !quik::messages::MayMention(text)) {
    abort();
  }
  if (parsed.user_ids.size() > static_cast<std::size_t>(quik::messages::kMaxMentions)) abort();
  std::set<std::string> seen;
  for (const auto& id : parsed.user_ids) {
    if (!seen.insert(id).second) abort();  // distinct
  }
  return 0;
}
