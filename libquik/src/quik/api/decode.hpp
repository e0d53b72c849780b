// SPDX-License-Identifier: MIT
// Decoding of request targets, headers and bodies (api/decode.cc): pure
// functions of their input, used by Api and the routes, and fed directly by
// tests/fuzz.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "quik/notifications.hpp"
#include "quik/presence.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"

namespace quik::api {

// Percent-decoding; nullopt on a malformed escape.
std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space);
// A parameter of `query` (the target after '?'), percent-decoded ('+' is a
// space); nullopt if absent.
std::optional<std::string> QueryParam(std::string_view query, std::string_view key);
// `body` as a JSON object; an empty body is {} when `allow_empty`.
Result<nlohmann::json> ParseJsonBody(std::string_view body, bool allow_empty);

// The secret of an "Authorization: Bearer <token>" header; Unauthenticated
// (saying what is wrong) if the header is missing or not of that form.
Result<std::string> BearerSecret(std::string_view authorization);

// kInvalidArgument "field 'KEY' WHAT".
Status FieldError(std::string_view key, std::string_view what);

// Fields of a JSON object body; absent or null is "not given".
Result<std::optional<std::string>> OptionalString(const nlohmann::json& body, std::string_view key);
Result<std::string> RequiredString(const nlohmann::json& body, std::string_view key);
Result<std::optional<bool>> OptionalBool(const nlohmann::json& body, std::string_view key);
Result<std::vector<std::string>> StringArray(const nlohmann::json& body, std::string_view key,
                                             std::size_t max_items);
// A user named by "user_id", "email" or "user" (id or email).
Result<std::string> UserRef(const nlohmann::json& body);
Result<Role> RoleField(const nlohmann::json& body, Role fallback);
Result<PresenceStatus> PresenceStatusField(const nlohmann::json& body);
// PATCH /users/me/preferences: JSON merge semantics; null resets a field.
Result<PreferencesPatch> PreferencesPatchOf(const nlohmann::json& body);

// Whether an If-None-Match / If-Range value names `etag` (weak or strong).
bool EtagListed(std::string_view header, std::string_view etag);

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t length = 0;
};
enum class RangeKind { kNone, kSatisfiable, kUnsatisfiable };
// One "bytes=a-b", "bytes=a-" or "bytes=-n" of a `size`-byte file into `*out`
// (kSatisfiable only); anything else is kNone (the whole file).
RangeKind ParseRange(std::string_view header, std::uint64_t size, ByteRange* out);

}  // namespace quik::api
