// ImportArchive (quik/transfer.hpp) for QuikApp's own export format: reads
// the JSON lines twice, first to validate every line (a bad one imports
// nothing), then to write them through transfer::ImportWriter in chunks.
#include <fstream>
#include <variant>

#include <nlohmann/json.hpp>

#include "authz/authz.hpp"
#include "notify/decide.hpp"
#include "quik/service.hpp"
#include "quik/slack_import.hpp"
#include "quik/transfer.hpp"
#include "service/context.hpp"
#include "transfer/export_lines.hpp"
#include "transfer/import_writer.hpp"

namespace quik {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace transfer;

// One line, converted.
struct Header {
  ImportedWorkspace workspace;
};
struct End {
  std::map<std::string, std::int64_t> counts;
};
struct Unknown {
  std::string type;
};
using Record =
    std::variant<Header, ImportedUser, ImportedMember, ImportedChannel, ImportedChannelMember,
                 ImportedFile, ImportedMessage, ImportedReaction, ImportedPin, End, Unknown>;

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

// What the validating pass learned.
struct Scan {
  Header header;
  bool complete = false;
  std::string incomplete_reason;
  std::int64_t lines = 0;  // the lines to import (a cut last line left out)
};

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
      if (!j.is_object() || j.value("type", "") != "header") {
        return LineError(path, n,
                         "not a QuikApp export: the first line must be "
                         "{\"type\":\"header\",\"format\":\"quik-export\",...}");
      }
      if (j.value("format", "") != kExportFormat) {
        return LineError(path, n,
                         "unknown format '" + j.value("format", "") + "' (expected quik-export)");
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

Result<ImportReport> ImportQuik(internal::Context& ctx, const Actor& actor, const fs::path& from,
                                const ImportOptions& options) {
  std::error_code ec;
  fs::path jsonl = from;
  if (fs::is_directory(from, ec)) jsonl = from / "export.jsonl";
  if (!fs::exists(jsonl, ec)) return NotFound(jsonl.string() + " does not exist");
  const fs::path dir = jsonl.parent_path();
  QUIK_ASSIGN_OR_RETURN(Scan scan, Validate(jsonl));

  ImportedWorkspace target = scan.header.workspace;
  if (!options.workspace.empty()) {
    // An existing workspace by id or slug; else a new one with that slug.
    QUIK_RETURN_IF_ERROR(ctx.store->Read([&](store::Tx& tx) -> Status {
      QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
      auto access = authz::WorkspaceFor(tx, who, options.workspace);
      target.slug = access.ok() ? access->workspace.slug : options.workspace;
      return Status::Ok();
    }));
  }
  ImportWriter w(ctx, "quik:" + scan.header.workspace.key, actor.user_id());
  QUIK_RETURN_IF_ERROR(w.Chunk([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    if (!who.is_instance_admin()) {
      return PermissionDenied("only an instance admin may import (quikctl runs as the system)");
    }
    return w.OpenWorkspace(tx, target).status();
  }));
  ImportReport& report = w.mutable_report();
  report.workspace_created = report.kinds["workspace"].imported > 0;

  std::ifstream in(jsonl, std::ios::binary);
  if (!in) return NotFound("cannot open " + jsonl.string());
  std::string line;
  std::getline(in, line);  // the header
  std::int64_t n = 1;
  std::vector<Record> batch;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    Status st = w.Chunk([&](store::Tx& tx) -> Status {
      for (Record& r : batch) {
        Result<PutResult> put = PutResult{};
        if (auto* u = std::get_if<ImportedUser>(&r)) {
          put = w.PutUser(tx, *u);
        } else if (auto* m = std::get_if<ImportedMember>(&r)) {
          put = w.PutMember(tx, *m);
        } else if (auto* c = std::get_if<ImportedChannel>(&r)) {
          put = w.PutChannel(tx, *c);
        } else if (auto* cm = std::get_if<ImportedChannelMember>(&r)) {
          put = w.PutChannelMember(tx, *cm);
        } else if (auto* f = std::get_if<ImportedFile>(&r)) {
          put = w.PutFile(tx, *f);
        } else if (auto* msg = std::get_if<ImportedMessage>(&r)) {
          put = w.PutMessage(tx, *msg);
        } else if (auto* re = std::get_if<ImportedReaction>(&r)) {
          put = w.PutReaction(tx, *re);
        } else if (auto* p = std::get_if<ImportedPin>(&r)) {
          put = w.PutPin(tx, *p);
        } else if (auto* unk = std::get_if<Unknown>(&r)) {
          w.Skip(unk->type, "record type unknown to this version");
        }
        QUIK_RETURN_IF_ERROR(put.status());
      }
      return Status::Ok();
    });
    batch.clear();
    return st;
  };
  while (n < scan.lines && std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    json j = json::parse(line, nullptr, false);
    QUIK_ASSIGN_OR_RETURN(Record r, Convert(j));
    if (std::holds_alternative<End>(r)) break;
    if (auto* f = std::get_if<ImportedFile>(&r); f && !f->bytes_path.empty()) {
      f->bytes_path = dir / f->bytes_path;
    }
    batch.push_back(std::move(r));
    if (static_cast<int>(batch.size()) >= kChunkObjects) QUIK_RETURN_IF_ERROR(flush());
  }
  QUIK_RETURN_IF_ERROR(flush());
  report.format = "quik";
  report.workspace_id = w.workspace_id();
  QUIK_RETURN_IF_ERROR(ctx.store->Read([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto ws, tx.GetWorkspace(w.workspace_id()));
    if (ws) report.workspace_slug = ws->slug;
    return Status::Ok();
  }));
  report.complete = scan.complete;
  report.incomplete_reason = scan.incomplete_reason;
  return report;
}

}  // namespace

Status transfer::ValidateExportLines(const std::filesystem::path& path) {
  return Validate(path).status();
}

Result<ImportReport> ImportArchive(Service& service, const Actor& actor,
                                   const std::filesystem::path& from,
                                   const ImportOptions& options) {
  internal::Context* ctx = internal::ContextOf(service);
  if (!ctx) return Internal("ImportArchive needs a Service made by Service::Open");
  if (options.format.empty() || options.format == "quik") {
    return ImportQuik(*ctx, actor, from, options);
  }
  if (options.format == "slack") return ImportSlackExport(service, actor, from, options);
  return InvalidArgument("unknown import format '" + options.format + "' (known: quik, slack)");
}

}  // namespace quik
