// SPDX-License-Identifier: MIT
#include "transfer/export_lines.hpp"

#include <fstream>
#include <optional>

#include "notify/decide.hpp"
#include "quik/transfer.hpp"

namespace quik::transfer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Reads fields of one record, remembering the first problem.
class Fields {
 public:
  explicit Fields(const json& j) : j_(j) {}
  const std::string& problem() const { return problem_; }

  std::string Str(const char* key, bool required = true) {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) {
      if (required) Fail(std::string("missing field \"") + key + "\"");
      return "";
    }
    if (!it->is_string()) {
      Fail(std::string("field \"") + key + "\" must be a string");
      return "";
    }
    return it->get<std::string>();
  }
  // A required, non-empty id.
  std::string Id(const char* key) {
    std::string v = Str(key);
    if (problem_.empty() && v.empty()) Fail(std::string("field \"") + key + "\" is empty");
    return v;
  }
  bool Bool(const char* key) {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return false;
    if (!it->is_boolean()) Fail(std::string("field \"") + key + "\" must be true or false");
    return it->is_boolean() && it->get<bool>();
  }
  std::int64_t Int(const char* key) {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return 0;
    if (!it->is_number_integer()) {
      Fail(std::string("field \"") + key + "\" must be an integer");
      return 0;
    }
    return it->get<std::int64_t>();
  }
  Timestamp Time(const char* key, bool required) {
    std::string v = Str(key, required);
    if (v.empty()) return 0;
    auto t = notify::ParseTime(v);
    if (!t) {
      Fail(std::string("field \"") + key + "\" is not an RFC 3339 time: '" + v + "'");
      return 0;
    }
    return *t;
  }
  std::vector<std::string> Ids(const char* key) {
    std::vector<std::string> out;
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return out;
    if (!it->is_array()) {
      Fail(std::string("field \"") + key + "\" must be an array of ids");
      return out;
    }
    for (const auto& v : *it) {
      if (!v.is_string()) {
        Fail(std::string("field \"") + key + "\" must be an array of ids");
        return {};
      }
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  void Fail(std::string problem) {
    if (problem_.empty()) problem_ = std::move(problem);
  }

 private:
  const json& j_;
  std::string problem_;
};

}  // namespace

Result<Record> Convert(const json& j) {
  if (!j.is_object()) return InvalidArgument("a line must be a JSON object");
  auto type_it = j.find("type");
  if (type_it == j.end() || !type_it->is_string()) {
    return InvalidArgument("missing field \"type\"");
  }
  const std::string type = type_it->get<std::string>();
  Fields f(j);
  Record out;
  if (type == "header") {
    Header h;
    auto ws = j.find("workspace");
    if (ws == j.end() || !ws->is_object()) return InvalidArgument("missing object \"workspace\"");
    Fields w(*ws);
    h.workspace.key = w.Id("id");
    h.workspace.name = w.Str("name");
    h.workspace.slug = w.Str("slug");
    h.workspace.created_at = w.Time("created_at", false);
    if (!w.problem().empty()) return InvalidArgument("workspace: " + w.problem());
    out = h;
  } else if (type == "user") {
    ImportedUser u;
    u.key = f.Id("id");
    u.email = f.Str("email");
    u.name = f.Str("name");
    auto active = j.find("active");
    u.deactivated = active != j.end() && active->is_boolean() && !active->get<bool>();
    if (active != j.end() && !active->is_boolean())
      f.Fail("field \"active\" must be true or false");
    u.created_at = f.Time("created_at", false);
    out = u;
  } else if (type == "member") {
    ImportedMember m;
    m.user_key = f.Id("user_id");
    std::string role = f.Str("role", false);
    if (!role.empty()) {
      auto r = ParseRole(role);
      if (!r) f.Fail("unknown role '" + role + "' (owner, admin, member, guest)");
      m.role = r.value_or(Role::kMember);
    }
    m.joined_at = f.Time("joined_at", false);
    out = m;
  } else if (type == "channel") {
    ImportedChannel c;
    c.key = f.Id("id");
    c.name = f.Str("name");
    std::string kind = f.Str("kind", false);
    if (kind.empty() || kind == "public") {
      c.kind = ChannelKind::kPublic;
    } else if (kind == "private") {
      c.kind = ChannelKind::kPrivate;
    } else if (kind == "dm") {
      c.kind = ChannelKind::kDirect;
    } else if (kind == "group_dm") {
      c.kind = ChannelKind::kGroup;
    } else {
      f.Fail("unknown channel kind '" + kind + "' (public, private, dm, group_dm)");
    }
    c.topic = f.Str("topic", false);
    c.archived = f.Bool("archived");
    c.creator_key = f.Str("created_by", false);
    c.created_at = f.Time("created_at", false);
    c.people = f.Ids("people");
    if ((c.kind == ChannelKind::kDirect || c.kind == ChannelKind::kGroup) && c.people.empty()) {
      f.Fail("a " + kind + " channel needs \"people\"");
    }
    out = c;
  } else if (type == "channel_member") {
    ImportedChannelMember m;
    m.channel_key = f.Id("channel_id");
    m.user_key = f.Id("user_id");
    m.joined_at = f.Time("joined_at", false);
    out = m;
  } else if (type == "file") {
    ImportedFile file;
    file.key = f.Id("id");
    file.user_key = f.Id("user_id");
    file.name = f.Str("name");
    file.size = f.Int("size");
    file.content_type = f.Str("content_type", false);
    file.sha256 = f.Str("sha256");
    file.width = static_cast<int>(f.Int("width"));
    file.height = static_cast<int>(f.Int("height"));
    file.created_at = f.Time("created_at", false);
    std::string content = f.Str("content", false);
    if (!content.empty()) {
      if (content.find("..") != std::string::npos || content.front() == '/') {
        f.Fail("field \"content\" must be a relative path inside the export");
      }
      file.bytes_path = content;  // relative: resolved against the export's directory
    }
    out = file;
  } else if (type == "message") {
    ImportedMessage m;
    m.key = f.Id("id");
    m.channel_key = f.Id("channel_id");
    m.user_key = f.Id("user_id");
    m.text = f.Str("text", false);
    m.created_at = f.Time("created_at", true);
    m.edited_at = f.Time("edited_at", false);
    m.deleted_at = f.Time("deleted_at", false);
    m.thread_root_key = f.Str("thread_root_id", false);
    m.reply_broadcast = f.Bool("reply_broadcast");
    m.client_msg_id = f.Str("client_msg_id", false);
    m.file_keys = f.Ids("file_ids");
    out = m;
  } else if (type == "reaction") {
    ImportedReaction r;
    r.message_key = f.Id("message_id");
    r.user_key = f.Id("user_id");
    r.emoji = f.Str("emoji");
    r.created_at = f.Time("created_at", false);
    out = r;
  } else if (type == "pin") {
    ImportedPin p;
    p.message_key = f.Id("message_id");
    p.user_key = f.Str("pinned_by", false);
    p.pinned_at = f.Time("pinned_at", false);
    out = p;
  } else if (type == "end") {
    End e;
    auto counts = j.find("counts");
    if (counts == j.end() || !counts->is_object()) {
      return InvalidArgument("missing object \"counts\"");
    }
    for (const auto& [k, v] : counts->items()) {
      if (!v.is_number_integer()) return InvalidArgument("counts." + k + " must be an integer");
      e.counts[k] = v.get<std::int64_t>();
    }
    out = e;
  } else {
    out = Unknown{type};
  }
  if (!f.problem().empty()) return InvalidArgument(type + ": " + f.problem());
  return out;
}

std::string TypeOf(const Record& r) {
  static const char* kNames[] = {"header", "user",    "member",   "channel", "channel_member",
                                 "file",   "message", "reaction", "pin",     "end"};
  if (const auto* u = std::get_if<Unknown>(&r)) return u->type;
  return kNames[r.index()];
}

Status LineError(const fs::path& path, std::int64_t line, std::string_view problem) {
  return InvalidArgument(path.string() + ":" + std::to_string(line) + ": " + std::string(problem));
}

Result<Scan> Validate(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open " + path.string());
  Scan scan;
  std::map<std::string, std::int64_t> seen;
  std::optional<End> end;
  std::string line;
  std::int64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    const bool last = in.peek() == std::char_traits<char>::eof();
    if (line.empty()) {
      if (last) break;
      return LineError(path, n, "empty line");
    }
    if (end) return LineError(path, n, "a line after the end trailer");
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      // A last line cut short is a truncated export: import what came before.
      if (last && n > 1 && line.back() != '}') {
        scan.incomplete_reason = "the export is cut short: line " + std::to_string(n) +
                                 " is incomplete and there is no end trailer";
        break;
      }
      return LineError(path, n, "not valid JSON");
    }
    if (n == 1) {
      // (json::value would throw for a "type" or "format" that is not a string.)
      auto text = [&j](const char* key) {
        auto it = j.find(key);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
      };
      if (!j.is_object() || text("type") != "header") {
        return LineError(path, n,
                         "not a QuikApp export: the first line must be "
                         "{\"type\":\"header\",\"format\":\"quik-export\",...}");
      }
      if (text("format") != kExportFormat) {
        return LineError(path, n, "unknown format '" + text("format") + "' (expected quik-export)");
      }
      auto version = j.find("version");
      if (version == j.end() || !version->is_number_integer()) {
        return LineError(path, n, "the header has no integer \"version\"");
      }
      if (version->get<std::int64_t>() != kExportVersion) {
        return LineError(path, n,
                         "unsupported export version " + version->dump() + " (this quikctl reads " +
                             "version " + std::to_string(kExportVersion) + ")");
      }
    }
    auto rec = Convert(j);
    if (!rec.ok()) return LineError(path, n, rec.status().message());
    if (n == 1) {
      scan.header = std::get<Header>(*rec);
    } else if (std::holds_alternative<Header>(*rec)) {
      return LineError(path, n, "a second header");
    } else if (auto* e = std::get_if<End>(&*rec)) {
      end = *e;
    } else {
      seen[TypeOf(*rec)]++;
    }
    scan.lines = n;
  }
  if (n == 0) return InvalidArgument(path.string() + ": empty file, not a QuikApp export");
  if (end) {
    for (const auto& [type, count] : end->counts) {
      if (seen[type] != count) {
        return InvalidArgument(path.string() + ": the end trailer counts " + std::to_string(count) +
                               " " + type + " records but the file holds " +
                               std::to_string(seen[type]));
      }
    }
    scan.complete = true;
  } else if (scan.incomplete_reason.empty()) {
    scan.incomplete_reason =
        "the export has no end trailer (cut short after line " + std::to_string(scan.lines) + ")";
  }
  return scan;
}

}  // namespace quik::transfer
