// SPDX-License-Identifier: MIT
// Request decoding that needs no service (api/decode.hpp).
#include "api/decode.hpp"

#include <algorithm>

#include "common/text.hpp"
#include "notify/decide.hpp"
#include "quik/files.hpp"

namespace quik::api {
namespace {

using nlohmann::json;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      const int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::string> BearerSecret(std::string_view authorization) {
  const std::string_view header = internal::TrimWhitespace(authorization);
  constexpr std::string_view kBearer = "bearer ";
  if (header.empty()) {
    return Unauthenticated("missing bearer token: send \"Authorization: Bearer <token>\"");
  }
  if (header.size() <= kBearer.size() ||
      internal::AsciiLower(header.substr(0, kBearer.size())) != kBearer) {
    return Unauthenticated("the Authorization header must be \"Bearer <token>\"");
  }
  return std::string(internal::TrimWhitespace(header.substr(kBearer.size())));
}

std::optional<std::string> QueryParam(std::string_view query, std::string_view key) {
  std::string_view q = query;
  while (!q.empty()) {
    const std::size_t amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    const std::size_t eq = pair.find('=');
    const std::string_view k = pair.substr(0, eq);
    if (PercentDecode(k, true) == std::string(key)) {
      if (eq == std::string_view::npos) return std::string();
      return PercentDecode(pair.substr(eq + 1), true).value_or(std::string());
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

namespace {

// The first string (value or key) in `doc` that holds a NUL, as a path such
// as "user_ids[2]" or "prefs.keywords"; nullopt if none. Stored strings end at
// a NUL in C APIs, logs and other clients, so none is accepted anywhere.
// Iterative: a body may nest arrays thousands deep.
std::optional<std::string> FieldWithNul(const json& doc) {
  struct Node {
    const json* value;
    std::size_t parent;  // index in `seen`; npos for the root
    std::string label;   // "key" or "[i]"
  };
  constexpr std::size_t kRoot = std::string::npos;
  std::vector<Node> seen;
  std::vector<std::size_t> todo;
  const auto has_nul = [](const std::string& s) { return s.find('\0') != std::string::npos; };
  const auto path_of = [&](std::size_t i) {
    std::vector<const std::string*> parts;
    for (; i != 0 && i != kRoot; i = seen[i].parent) parts.push_back(&seen[i].label);
    std::string path;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
      const bool index = !(*it)->empty() && (*it)->front() == '[';
      if (!path.empty() && !index) path += '.';
      path += **it;
    }
    return path;
  };
  seen.push_back(Node{&doc, kRoot, ""});
  todo.push_back(0);
  while (!todo.empty()) {
    const std::size_t at = todo.back();
    todo.pop_back();
    const json& j = *seen[at].value;
    if (j.is_string()) {
      if (has_nul(j.get_ref<const std::string&>())) return path_of(at);
    } else if (j.is_array()) {
      for (std::size_t i = 0; i < j.size(); ++i) {
        seen.push_back(Node{&j[i], at, "[" + std::to_string(i) + "]"});
        todo.push_back(seen.size() - 1);
      }
    } else if (j.is_object()) {
      for (const auto& [key, value] : j.items()) {
        seen.push_back(Node{&value, at, key});
        if (has_nul(key)) return path_of(seen.size() - 1);
        todo.push_back(seen.size() - 1);
      }
    }
  }
  return std::nullopt;
}

}  // namespace

Result<json> ParseJsonBody(std::string_view body, bool allow_empty) {
  if (internal::TrimWhitespace(body).empty()) {
    if (allow_empty) return json::object();
    return InvalidArgument("the request body must be a JSON object");
  }
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    // Re-parse with exceptions only to say where it broke.
    try {
      json unused = json::parse(body);
    } catch (const json::parse_error& e) {
      return InvalidArgument("malformed JSON body at byte " + std::to_string(e.byte) +
                             " (expected UTF-8 JSON)");
    } catch (...) {
    }
    return InvalidArgument("malformed JSON body");
  }
  if (!doc.is_object()) return InvalidArgument("the request body must be a JSON object");
  if (auto field = FieldWithNul(doc)) {
    return InvalidArgument("field '" + *field +
                           "' contains a NUL character (\\u0000), which no string field may hold");
  }
  return doc;
}

// Whether an If-None-Match / If-Range value names `etag` (weak or strong).
bool EtagListed(std::string_view header, std::string_view etag) {
  if (internal::TrimWhitespace(header) == "*") return true;
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view tag = internal::TrimWhitespace(header.substr(0, comma));
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

// One "bytes=a-b", "bytes=a-" or "bytes=-n" of a `size`-byte file. Several
// ranges, other units or malformed values are answered with the whole file
// (RFC 9110 lets a server ignore Range).
RangeKind ParseRange(std::string_view header, std::uint64_t size, ByteRange* out) {
  header = internal::TrimWhitespace(header);
  constexpr std::string_view kBytes = "bytes=";
  if (header.substr(0, kBytes.size()) != kBytes) return RangeKind::kNone;
  header.remove_prefix(kBytes.size());
  if (header.find(',') != std::string_view::npos) return RangeKind::kNone;
  const std::size_t dash = header.find('-');
  if (dash == std::string_view::npos) return RangeKind::kNone;
  const std::string_view a = internal::TrimWhitespace(header.substr(0, dash));
  const std::string_view b = internal::TrimWhitespace(header.substr(dash + 1));
  if (a.empty()) {  // the last n bytes
    const auto n = internal::ParseDigits(b);
    if (!n) return RangeKind::kNone;
    if (*n == 0 || size == 0) return RangeKind::kUnsatisfiable;
    const auto len = std::min<std::uint64_t>(static_cast<std::uint64_t>(*n), size);
    *out = {size - len, len};
    return RangeKind::kSatisfiable;
  }
  const auto first = internal::ParseDigits(a);
  if (!first) return RangeKind::kNone;
  std::uint64_t last = size == 0 ? 0 : size - 1;
  if (!b.empty()) {
    const auto l = internal::ParseDigits(b);
    if (!l || *l < *first) return RangeKind::kNone;
    last = std::min<std::uint64_t>(static_cast<std::uint64_t>(*l), last);
  }
  if (static_cast<std::uint64_t>(*first) >= size) return RangeKind::kUnsatisfiable;
  *out = {static_cast<std::uint64_t>(*first), last - static_cast<std::uint64_t>(*first) + 1};
  return RangeKind::kSatisfiable;
}

Status FieldError(std::string_view key, std::string_view what) {
  return InvalidArgument("field '" + std::string(key) + "' " + std::string(what));
}

Result<std::optional<std::string>> OptionalString(const json& body, std::string_view key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return FieldError(key, "must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::string> RequiredString(const json& body, std::string_view key) {
  QUIK_ASSIGN_OR_RETURN(auto value, OptionalString(body, key));
  if (!value) return FieldError(key, "is required");
  return std::move(*value);
}

Result<std::optional<bool>> OptionalBool(const json& body, std::string_view key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) return FieldError(key, "must be true or false");
  return std::optional<bool>(it->get<bool>());
}

Result<std::vector<std::string>> StringArray(const json& body, std::string_view key,
                                             std::size_t max_items) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return FieldError(key, "is required");
  if (!it->is_array()) return FieldError(key, "must be an array of strings");
  if (it->size() > max_items) {
    return FieldError(key, "has more than " + std::to_string(max_items) + " items");
  }
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string()) return FieldError(key, "must be an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

// A user named by "user_id", "email" or "user" (id or email).
Result<std::string> UserRef(const json& body) {
  for (const char* key : {"user_id", "email", "user"}) {
    QUIK_ASSIGN_OR_RETURN(auto v, OptionalString(body, key));
    if (v) return std::move(*v);
  }
  return InvalidArgument("field 'user_id' (or 'email') is required");
}

Result<Role> RoleField(const json& body, Role fallback) {
  QUIK_ASSIGN_OR_RETURN(auto name, OptionalString(body, "role"));
  if (!name) return fallback;
  auto role = ParseRole(*name);
  if (!role) return FieldError("role", "must be \"owner\", \"admin\", \"member\" or \"guest\"");
  return *role;
}

// Missing, not a string or unknown: one message naming the accepted values.
Result<PresenceStatus> PresenceStatusField(const json& body) {
  auto name = OptionalString(body, "status");
  auto status = name.ok() && *name ? ParsePresenceStatus(**name) : std::nullopt;
  if (!status) return FieldError("status", "must be \"online\", \"away\", \"dnd\" or \"offline\"");
  return *status;
}

// "HH:MM" (24-hour) as minutes after midnight.
Result<int> ClockField(const json& dnd, std::string_view key) {
  auto bad = [&] {
    return FieldError("dnd." + std::string(key), "must be a time \"HH:MM\" (00:00 to 23:59)");
  };
  auto it = dnd.find(key);
  if (!it->is_string()) return bad();
  const std::string v = it->get<std::string>();
  if (v.size() != 5 || v[2] != ':') return bad();
  auto h = internal::ParseDigits(std::string_view(v).substr(0, 2));
  auto m = internal::ParseDigits(std::string_view(v).substr(3, 2));
  if (!h || !m || *h > 23 || *m > 59) return bad();
  return static_cast<int>(*h * 60 + *m);
}

// An RFC 3339 time, or 0 / null to clear.
Result<Timestamp> SnoozeField(const json& body) {
  const json& v = body.at("dnd_until");
  if (v.is_null() || (v.is_number_integer() && v.get<std::int64_t>() == 0)) return Timestamp{0};
  if (v.is_string()) {
    if (auto t = notify::ParseTime(v.get<std::string>())) return *t;
  }
  return FieldError("dnd_until",
                    "must be an RFC 3339 time (\"2024-01-02T10:00:00Z\"), or 0 or null to clear");
}

// PATCH /users/me/preferences: JSON merge semantics; null resets a field.
Result<PreferencesPatch> PreferencesPatchOf(const json& body) {
  static const std::vector<std::string> kKnown = {
      "time_zone", "dnd", "dnd_until", "keywords", "muted_channels", "notify"};
  for (const auto& [key, value] : body.items()) {
    if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end()) {
      return InvalidArgument("unknown field '" + key +
                             "' (known: time_zone, dnd, dnd_until, keywords, muted_channels, "
                             "notify)");
    }
  }
  PreferencesPatch patch;
  const Preferences defaults;
  if (body.contains("time_zone")) {
    QUIK_ASSIGN_OR_RETURN(auto tz, OptionalString(body, "time_zone"));
    patch.time_zone = tz.value_or(defaults.time_zone);
  }
  if (body.contains("dnd")) {
    const json& dnd = body["dnd"];
    if (dnd.is_null()) {
      patch.dnd_enabled = defaults.dnd.enabled;
      patch.dnd_start_minute = defaults.dnd.start_minute;
      patch.dnd_end_minute = defaults.dnd.end_minute;
    } else if (!dnd.is_object()) {
      return FieldError(
          "dnd", "must be an object {\"enabled\":true,\"start\":\"22:00\",\"end\":\"08:00\"}");
    } else {
      for (const auto& [key, value] : dnd.items()) {
        if (key != "enabled" && key != "start" && key != "end") {
          return InvalidArgument("unknown field 'dnd." + key + "' (known: enabled, start, end)");
        }
      }
      if (dnd.contains("enabled")) {
        if (!dnd["enabled"].is_boolean()) return FieldError("dnd.enabled", "must be true or false");
        patch.dnd_enabled = dnd["enabled"].get<bool>();
      }
      if (dnd.contains("start")) {
        QUIK_ASSIGN_OR_RETURN(patch.dnd_start_minute, ClockField(dnd, "start"));
      }
      if (dnd.contains("end")) {
        QUIK_ASSIGN_OR_RETURN(patch.dnd_end_minute, ClockField(dnd, "end"));
      }
    }
  }
  if (body.contains("dnd_until")) {
    QUIK_ASSIGN_OR_RETURN(patch.dnd_until, SnoozeField(body));
  }
  if (body.contains("keywords")) {
    if (body["keywords"].is_null()) {
      patch.keywords.emplace();
    } else {
      QUIK_ASSIGN_OR_RETURN(patch.keywords, StringArray(body, "keywords", kMaxKeywords));
    }
  }
  if (body.contains("muted_channels")) {
    if (body["muted_channels"].is_null()) {
      patch.muted_channels.emplace();
    } else {
      QUIK_ASSIGN_OR_RETURN(patch.muted_channels,
                            StringArray(body, "muted_channels", kMaxMutedChannels));
    }
  }
  if (body.contains("notify")) {
    QUIK_ASSIGN_OR_RETURN(auto level, OptionalString(body, "notify"));
    patch.notify = level ? ParseNotifyLevel(*level) : defaults.notify;
    if (!patch.notify) return FieldError("notify", "must be \"all\", \"mentions\" or \"none\"");
  }
  return patch;
}

}  // namespace quik::api
