// SPDX-License-Identifier: MIT
#include "transfer/slack/slack_export.hpp"

#include <algorithm>
#include <cctype>
#include <exception>
#include <limits>

namespace quik::transfer::slack {
namespace {

using nlohmann::json;

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

bool Bool(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

// A number; 0 if absent, not a number, or too large to be a time in seconds
// (callers turn those into milliseconds).
std::int64_t Int(const json& j, const char* key) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max() / 1000;
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_unsigned()) {
    const auto v = it->get<std::uint64_t>();
    return v <= static_cast<std::uint64_t>(kMax) ? static_cast<std::int64_t>(v) : 0;
  }
  if (it->is_number_integer()) {
    const auto v = it->get<std::int64_t>();
    return v >= -kMax ? v : 0;
  }
  if (it->is_number()) {
    const double v = it->get<double>();
    return v >= -static_cast<double>(kMax) && v <= static_cast<double>(kMax)
               ? static_cast<std::int64_t>(v)
               : 0;
  }
  if (it->is_string()) {
    const std::string s = it->get<std::string>();
    if (auto ts = ParseTs(s)) return *ts / 1000;  // "1512085950" or a ts
  }
  return 0;
}

const json* Obj(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return nullptr;
  return &*it;
}

std::vector<std::string> Strings(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const json& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

// "2017-12-01.json"
bool IsDayFileName(std::string_view s) {
  if (s.size() != 15 || s.substr(10) != ".json") return false;
  for (std::size_t i = 0; i < 10; ++i) {
    const bool dash = i == 4 || i == 7;
    if (dash ? s[i] != '-' : !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

bool HasFolder(const Archive& archive, const std::string& folder) {
  if (folder.empty()) return false;
  const std::string prefix = folder + "/";
  const auto& files = archive.Files();
  auto it = std::lower_bound(files.begin(), files.end(), prefix);
  return it != files.end() && it->compare(0, prefix.size(), prefix) == 0;
}

// A top-level JSON file: an array, each element with its line.
struct ArrayFile {
  bool present = false;  // false: the file is not in the export
  json value = json::array();
  std::vector<int> lines;
  std::string described;
  int LineOf(std::size_t i) const { return i < lines.size() ? lines[i] : 1; }
};

Result<ArrayFile> ReadArrayFile(Archive& archive, const std::string& rel, bool required) {
  QUIK_ASSIGN_OR_RETURN(auto text, archive.Read(rel));
  if (!text) {
    if (required) {
      return InvalidArgument(archive.path().string() + ": not a Slack export: no " + rel);
    }
    return ArrayFile{};
  }
  ArrayFile f;
  f.present = true;
  f.described = archive.Describe(rel);
  QUIK_ASSIGN_OR_RETURN(f.value, ParseJson(*text, f.described));
  if (!f.value.is_array()) {
    return InvalidArgument(f.described + ":1: expected a JSON array, found " +
                           std::string(f.value.type_name()));
  }
  f.lines = ElementLines(*text);
  return f;
}

Status Bad(const ArrayFile& f, std::size_t i, const std::string& what) {
  return InvalidArgument(f.described + ":" + std::to_string(f.LineOf(i)) + ": " + what);
}

// An element's required string field.
Result<std::string> Required(const ArrayFile& f, std::size_t i, const char* key, const char* what) {
  const json& e = f.value[i];
  if (!e.is_object()) return Bad(f, i, std::string(what) + " is not a JSON object");
  auto it = e.find(key);
  if (it == e.end() || !it->is_string() || it->get<std::string>().empty()) {
    return Bad(f, i, std::string(what) + " has no \"" + key + "\" string");
  }
  return it->get<std::string>();
}

Status ReadConversations(Archive& archive, const std::string& rel, ConversationKind kind,
                         std::vector<SlackConversation>& out) {
  QUIK_ASSIGN_OR_RETURN(auto file, ReadArrayFile(archive, rel, kind == ConversationKind::kChannel));
  if (!file.present) return Status::Ok();
  for (std::size_t i = 0; i < file.value.size(); ++i) {
    const json& e = file.value[i];
    SlackConversation c;
    c.kind = kind;
    QUIK_ASSIGN_OR_RETURN(c.id, Required(file, i, "id", "a conversation"));
    c.name = Str(e, "name");
    if (c.name.empty() && kind != ConversationKind::kDm) {
      return Bad(file, i, "conversation " + c.id + " has no \"name\" string");
    }
    c.created = Int(e, "created") * 1000;
    c.creator = Str(e, "creator");
    c.is_archived = Bool(e, "is_archived");
    if (const json* t = Obj(e, "topic")) c.topic = Str(*t, "value");
    if (const json* p = Obj(e, "purpose")) c.purpose = Str(*p, "value");
    c.members = Strings(e, "members");
    c.file = file.described;
    c.line = file.LineOf(i);
    if (HasFolder(archive, c.name)) {
      c.folder = c.name;
    } else if (HasFolder(archive, c.id)) {
      c.folder = c.id;
    }
    out.push_back(std::move(c));
  }
  return Status::Ok();
}

SlackFile ReadFileObject(const Archive& archive, const json& f) {
  SlackFile file;
  file.id = Str(f, "id");
  file.name = Str(f, "name");
  file.title = Str(f, "title");
  file.mimetype = Str(f, "mimetype");
  file.size = Int(f, "size");
  file.url_private = Str(f, "url_private");
  file.mode = Str(f, "mode");
  file.user = Str(f, "user");
  file.created = Int(f, "created") * 1000;
  if (!file.id.empty()) {
    // __uploads/<id>/<name>, else the one file in __uploads/<id>/.
    const std::string dir = "__uploads/" + file.id + "/";
    if (!file.name.empty() && archive.Contains(dir + file.name)) {
      file.content = dir + file.name;
    } else {
      const auto& files = archive.Files();
      auto it = std::lower_bound(files.begin(), files.end(), dir);
      if (it != files.end() && it->compare(0, dir.size(), dir) == 0) file.content = *it;
    }
  }
  return file;
}

}  // namespace

std::string_view ConversationKindName(ConversationKind kind) {
  switch (kind) {
    case ConversationKind::kChannel:
      return "channel";
    case ConversationKind::kGroup:
      return "group";
    case ConversationKind::kDm:
      return "dm";
    case ConversationKind::kMpim:
      return "mpim";
  }
  return "channel";
}

std::optional<Timestamp> ParseTs(std::string_view ts) {
  const std::size_t dot = ts.find('.');
  std::string_view secs = ts.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : ts.substr(dot + 1);
  if (secs.empty() || secs.size() > 12 || frac.size() > 9) return std::nullopt;
  Timestamp s = 0;
  for (char c : secs) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    s = s * 10 + (c - '0');
  }
  Timestamp ms = 0;
  for (std::size_t i = 0; i < frac.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(frac[i]))) return std::nullopt;
    if (i < 3) ms = ms * 10 + (frac[i] - '0');
  }
  for (std::size_t i = frac.size(); i < 3; ++i) ms *= 10;
  return s * 1000 + ms;
}

Result<nlohmann::json> ParseJson(std::string_view text, const std::string& described) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    const std::size_t byte = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(byte), '\n');
    // "[json.exception.parse_error.101] parse error at line 3, column 5: WHY"
    std::string why = e.what();
    if (auto col = why.find(", column "); col != std::string::npos) {
      if (auto colon = why.find(": ", col); colon != std::string::npos) why = why.substr(colon + 2);
    }
    return InvalidArgument(described + ":" + std::to_string(line) + ": malformed JSON: " + why);
  } catch (const std::exception& e) {
    return InvalidArgument(described + ":1: malformed JSON: " + e.what());
  }
}

std::vector<int> ElementLines(std::string_view text) {
  std::vector<int> lines;
  int line = 1, depth = 0;
  bool in_string = false, escaped = false, expect = false;
  for (char c : text) {
    if (c == '\n') ++line;
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    if (depth == 0 && c != '[') return {};  // not an array
    if (depth == 1 && expect && c != ']') {
      lines.push_back(line);
      expect = false;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
      if (depth == 1) expect = true;
    } else if (c == ']' || c == '}') {
      if (--depth == 0) break;
    } else if (c == ',' && depth == 1) {
      expect = true;
    }
  }
  return lines;
}

Result<SlackExport> ReadIndex(Archive& archive) {
  SlackExport out;
  QUIK_ASSIGN_OR_RETURN(auto users, ReadArrayFile(archive, "users.json", true));
  for (std::size_t i = 0; i < users.value.size(); ++i) {
    const json& e = users.value[i];
    SlackUser u;
    QUIK_ASSIGN_OR_RETURN(u.id, Required(users, i, "id", "a user"));
    u.name = Str(e, "name");
    u.real_name = Str(e, "real_name");
    u.deleted = Bool(e, "deleted");
    u.is_bot = Bool(e, "is_bot");
    u.team_id = Str(e, "team_id");
    u.is_owner = Bool(e, "is_owner") || Bool(e, "is_primary_owner");
    u.is_admin = Bool(e, "is_admin");
    u.is_restricted = Bool(e, "is_restricted") || Bool(e, "is_ultra_restricted");
    if (const json* p = Obj(e, "profile")) {
      u.email = Str(*p, "email");
      if (auto rn = Str(*p, "real_name"); !rn.empty()) u.real_name = rn;
      u.display_name = Str(*p, "display_name");
      u.bot_id = Str(*p, "bot_id");
    }
    u.line = users.LineOf(i);
    out.users.push_back(std::move(u));
  }
  QUIK_RETURN_IF_ERROR(
      ReadConversations(archive, "channels.json", ConversationKind::kChannel, out.conversations));
  QUIK_RETURN_IF_ERROR(
      ReadConversations(archive, "groups.json", ConversationKind::kGroup, out.conversations));
  QUIK_RETURN_IF_ERROR(
      ReadConversations(archive, "mpims.json", ConversationKind::kMpim, out.conversations));
  QUIK_RETURN_IF_ERROR(
      ReadConversations(archive, "dms.json", ConversationKind::kDm, out.conversations));
  return out;
}

std::vector<std::string> DayFiles(const Archive& archive, const SlackConversation& c) {
  std::vector<std::string> out;
  if (c.folder.empty()) return out;
  const std::string prefix = c.folder + "/";
  const auto& files = archive.Files();
  for (auto it = std::lower_bound(files.begin(), files.end(), prefix);
       it != files.end() && it->compare(0, prefix.size(), prefix) == 0; ++it) {
    if (IsDayFileName(std::string_view(*it).substr(prefix.size()))) out.push_back(*it);
  }
  return out;  // Files() is sorted, so are these
}

Result<std::vector<SlackMessage>> ReadDay(Archive& archive, const std::string& rel) {
  QUIK_ASSIGN_OR_RETURN(auto file, ReadArrayFile(archive, rel, true));
  std::vector<SlackMessage> out;
  out.reserve(file.value.size());
  for (std::size_t i = 0; i < file.value.size(); ++i) {
    const json& e = file.value[i];
    if (!e.is_object()) return Bad(file, i, "a message is not a JSON object");
    SlackMessage m;
    m.line = file.LineOf(i);
    auto ts = e.find("ts");
    if (ts == e.end() || !ts->is_string()) return Bad(file, i, "a message has no \"ts\" string");
    m.ts = ts->get<std::string>();
    auto ms = ParseTs(m.ts);
    if (!ms) return Bad(file, i, "a message's \"ts\" '" + m.ts + "' is not a Slack timestamp");
    m.ts_ms = *ms;
    m.type = Str(e, "type");
    m.subtype = Str(e, "subtype");
    m.user = Str(e, "user");
    m.bot_id = Str(e, "bot_id");
    m.username = Str(e, "username");
    if (const json* bp = Obj(e, "bot_profile"); bp && m.username.empty()) {
      m.username = Str(*bp, "name");
    }
    m.text = Str(e, "text");
    m.thread_ts = Str(e, "thread_ts");
    m.reply_count = static_cast<int>(Int(e, "reply_count"));
    if (auto r = e.find("reactions"); r != e.end() && r->is_array()) {
      for (const json& rj : *r) {
        if (!rj.is_object()) continue;
        SlackReaction reaction;
        reaction.name = Str(rj, "name");
        reaction.users = Strings(rj, "users");
        reaction.count = static_cast<int>(Int(rj, "count"));
        if (!reaction.name.empty()) m.reactions.push_back(std::move(reaction));
      }
    }
    if (const json* ed = Obj(e, "edited")) {
      m.edited_user = Str(*ed, "user");
      if (auto t = ParseTs(Str(*ed, "ts"))) m.edited_ms = *t;
    }
    if (auto f = e.find("files"); f != e.end() && f->is_array()) {
      for (const json& fj : *f) {
        if (fj.is_object()) m.files.push_back(ReadFileObject(archive, fj));
      }
    } else if (const json* one = Obj(e, "file")) {  // older exports: one "file"
      m.files.push_back(ReadFileObject(archive, *one));
    }
    if (const json* p = Obj(e, "user_profile")) {
      m.profile_name = Str(*p, "display_name");
      if (m.profile_name.empty()) m.profile_name = Str(*p, "real_name");
    }
    m.topic = Str(e, "topic");
    m.purpose = Str(e, "purpose");
    m.channel_name = Str(e, "name");
    m.inviter = Str(e, "inviter");
    m.pinned_to = Strings(e, "pinned_to");
    out.push_back(std::move(m));
  }
  std::stable_sort(out.begin(), out.end(), [](const SlackMessage& a, const SlackMessage& b) {
    return a.ts_ms != b.ts_ms ? a.ts_ms < b.ts_ms : a.ts < b.ts;
  });
  return out;
}

}  // namespace quik::transfer::slack
