// SPDX-License-Identifier: MIT
// A JSON request body, through the readers the routes use (api/decode.hpp).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/api.hpp"
#include "api/decode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace quik::api;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto body = ParseJsonBody(text, /*allow_empty=*/size % 2 == 0);
  if (!body.ok()) return 0;
  const nlohmann::json& b = *body;
  for (const char* key : {"text", "name", "email", "password", "invite", "topic", "slug",
                          "client_msg_id", "thread_root_id", "url", "time_zone"}) {
    (void)OptionalString(b, key);
    (void)RequiredString(b, key);
  }
  for (const char* key : {"reply_broadcast", "archived", "private", "enabled"}) {
    (void)OptionalBool(b, key);
  }
  for (const char* key : {"file_ids", "user_ids", "events", "keywords"}) {
    (void)StringArray(b, key, 100);
  }
  (void)UserRef(b);
  (void)RoleField(b, quik::Role::kMember);
  (void)PresenceStatusField(b);
  (void)PreferencesPatchOf(b);
  return 0;
}
