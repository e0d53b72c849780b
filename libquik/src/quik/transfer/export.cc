// SPDX-License-Identifier: MIT
// ExportWorkspace (quik/transfer.hpp): the workspace as "quik-export"
// JSON lines, version 1, from one read snapshot. The format is documented in
// quikctl(1), EXPORT FORMAT; transfer/import.cc reads it.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "authz/authz.hpp"
#include "common/ids.hpp"
#include "common/private_files.hpp"
#include "files/blob_store.hpp"
#include "quik/service.hpp"
#include "quik/transfer.hpp"
#include "service/context.hpp"

namespace quik {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// One JSON-lines file being written, and what it already holds.
class ExportWriter {
 public:
  ExportWriter(store::Tx& tx, std::ofstream& out, ExportSummary& summary, const fs::path& files_dir,
               bool with_files, const fs::path& blobs_dir)
      : tx_(tx),
        out_(out),
        summary_(summary),
        files_dir_(files_dir),
        with_files_(with_files),
        blobs_(blobs_dir) {}

  Status Line(const json& j, std::string_view type) {
    out_ << j.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
    if (!out_) return Unavailable("cannot write the export: " + std::string(std::strerror(errno)));
    if (!type.empty()) summary_.counts[std::string(type)]++;
    return Status::Ok();
  }

  // A record names only users already written: a user who is not a member
  // (any more) is written where first needed.
  Status NeedUser(const std::string& id) {
    if (id.empty() || users_.count(id)) return Status::Ok();
    QUIK_ASSIGN_OR_RETURN(auto user, tx_.GetUser(id));
    if (!user) return Status::Ok();  // left dangling: the importer skips what names it
    return WriteUser(*user);
  }

  Status WriteUser(const User& u) {
    if (!users_.insert(u.id).second) return Status::Ok();
    json j = {{"type", "user"}, {"id", u.id},         {"email", u.email},
              {"name", u.name}, {"active", u.active}, {"created_at", FormatTime(u.created_at)}};
    if (!u.active && u.deactivated_at > 0) j["deactivated_at"] = FormatTime(u.deactivated_at);
    return Line(j, "user");
  }

  Status WriteFile(const File& f) {
    QUIK_RETURN_IF_ERROR(NeedUser(f.user_id));
    json j = {{"type", "file"},       {"id", f.id},
              {"user_id", f.user_id}, {"name", f.name},
              {"size", f.size},       {"content_type", f.content_type},
              {"sha256", f.sha256},   {"created_at", FormatTime(f.created_at)}};
    if (f.width > 0 || f.height > 0) {
      j["width"] = f.width;
      j["height"] = f.height;
    }
    if (with_files_) {
      QUIK_ASSIGN_OR_RETURN(bool copied, CopyBlob(f));
      if (copied) j["content"] = "files/" + f.sha256;
    }
    return Line(j, "file");
  }

 private:
  // Copies the file's blob to files/<sha256> once; false if the blob is gone.
  Result<bool> CopyBlob(const File& f) {
    if (!files::LooksLikeSha256(f.sha256)) return false;
    const fs::path dest = files_dir_ / f.sha256;
    if (blobs_copied_.count(f.sha256)) return true;
    std::error_code ec;
    const fs::path src = blobs_.PathOf(f.sha256);
    if (!fs::exists(src, ec)) return false;
    QUIK_RETURN_IF_ERROR(internal::MakePrivateDirs(files_dir_));
    fs::copy_file(src, dest, fs::copy_options::overwrite_existing, ec);
    if (ec) return Unavailable("cannot copy " + src.string() + ": " + ec.message());
    QUIK_RETURN_IF_ERROR(internal::MakePrivate(dest));  // copy_file copies the blob's mode
    blobs_copied_.insert(f.sha256);
    summary_.blobs++;
    summary_.blob_bytes += static_cast<std::int64_t>(fs::file_size(dest, ec));
    return true;
  }

  store::Tx& tx_;
  std::ofstream& out_;
  ExportSummary& summary_;
  fs::path files_dir_;
  bool with_files_;
  files::BlobStore blobs_;
  std::set<std::string> users_;
  std::set<std::string> blobs_copied_;
};

Status ExportInTx(store::Tx& tx, internal::Context& ctx, const Actor& actor,
                  std::string_view ws_ref, const ExportOptions& options, std::ofstream& out,
                  const fs::path& dir, ExportSummary& summary) {
  QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
  QUIK_ASSIGN_OR_RETURN(auto access, authz::WorkspaceFor(tx, who, ws_ref));
  if (!access.is_admin()) {
    return PermissionDenied("only the workspace's owners and admins may export it");
  }
  const Workspace& ws = access.workspace;
  summary.workspace_id = ws.id;
  summary.workspace_slug = ws.slug;
  ExportWriter w(tx, out, summary, dir / "files", options.with_files,
                 files::BlobsDir(ctx.options.data_dir));

  QUIK_RETURN_IF_ERROR(w.Line({{"type", "header"},
                               {"format", kExportFormat},
                               {"version", kExportVersion},
                               {"exported_at", FormatTime(internal::NowMillis())},
                               {"workspace",
                                {{"id", ws.id},
                                 {"name", ws.name},
                                 {"slug", ws.slug},
                                 {"created_at", FormatTime(ws.created_at)}}}},
                              ""));

  // Members, with their users first.
  std::vector<Member> members;
  for (std::string after;;) {
    QUIK_ASSIGN_OR_RETURN(auto page, tx.ListMembers(ws.id, after, 1000));
    if (page.empty()) break;
    after = page.back().user_id;
    for (auto& m : page) members.push_back(std::move(m));
  }
  for (const Member& m : members) QUIK_RETURN_IF_ERROR(w.NeedUser(m.user_id));
  for (const Member& m : members) {
    QUIK_RETURN_IF_ERROR(w.Line({{"type", "member"},
                                 {"user_id", m.user_id},
                                 {"role", RoleName(m.role)},
                                 {"joined_at", FormatTime(m.joined_at)}},
                                "member"));
  }

  // Files, oldest first.
  std::vector<File> files;
  for (std::string below;;) {
    QUIK_ASSIGN_OR_RETURN(auto page, tx.ListFiles(ws.id, "", below, 1000));
    if (page.empty()) break;
    below = page.back().id;
    for (auto& f : page) files.push_back(std::move(f));
  }
  for (auto it = files.rbegin(); it != files.rend(); ++it) QUIK_RETURN_IF_ERROR(w.WriteFile(*it));

  // Channels (by name), their members, then each channel's history.
  QUIK_ASSIGN_OR_RETURN(auto channels, tx.ListChannels(ws.id));
  for (const Channel& c : channels) {
    QUIK_ASSIGN_OR_RETURN(auto cms, tx.ListChannelMembers(c.id));
    for (const auto& cm : cms) QUIK_RETURN_IF_ERROR(w.NeedUser(cm.user_id));
    QUIK_RETURN_IF_ERROR(w.NeedUser(c.created_by));
    json j = {{"type", "channel"},
              {"id", c.id},
              {"name", c.name},
              {"kind", ChannelKindName(c.kind)},
              {"topic", c.topic},
              {"archived", c.archived},
              {"created_by", c.created_by},
              {"created_at", FormatTime(c.created_at)}};
    if (c.kind == ChannelKind::kDirect || c.kind == ChannelKind::kGroup) {
      json people = json::array();
      for (const auto& cm : cms) people.push_back(cm.user_id);
      j["people"] = std::move(people);
    }
    QUIK_RETURN_IF_ERROR(w.Line(j, "channel"));
    for (const auto& cm : cms) {
      QUIK_RETURN_IF_ERROR(w.Line({{"type", "channel_member"},
                                   {"channel_id", c.id},
                                   {"user_id", cm.user_id},
                                   {"joined_at", FormatTime(cm.joined_at)}},
                                  "channel_member"));
    }
  }
  for (const Channel& c : channels) {
    std::set<std::string> written;  // message ids, for reactions and pins
    for (std::string after;;) {
      QUIK_ASSIGN_OR_RETURN(auto page, tx.ListChannelHistory(c.id, after, 1000));
      if (page.empty()) break;
      after = page.back().id;
      QUIK_RETURN_IF_ERROR(tx.LoadFiles(page));
      for (const Message& m : page) {
        // A deleted message is kept only as the root of a thread with replies.
        if (m.deleted_at != 0 && (!m.thread_root_id.empty() || m.reply_count == 0)) continue;
        QUIK_RETURN_IF_ERROR(w.NeedUser(m.user_id));
        json j = {
            {"type", "message"},    {"id", m.id},     {"channel_id", m.channel_id},
            {"user_id", m.user_id}, {"text", m.text}, {"created_at", FormatTime(m.created_at)}};
        if (m.edited_at > 0) j["edited_at"] = FormatTime(m.edited_at);
        if (m.deleted_at > 0) j["deleted_at"] = FormatTime(m.deleted_at);
        if (!m.thread_root_id.empty()) j["thread_root_id"] = m.thread_root_id;
        if (m.reply_broadcast) j["reply_broadcast"] = true;
        if (!m.client_msg_id.empty()) j["client_msg_id"] = m.client_msg_id;
        if (!m.file_ids.empty()) j["file_ids"] = m.file_ids;
        QUIK_RETURN_IF_ERROR(w.Line(j, "message"));
        written.insert(m.id);
      }
    }
    QUIK_ASSIGN_OR_RETURN(auto reactions, tx.ListChannelReactions(c.id));
    for (const auto& r : reactions) {
      if (!written.count(r.message_id)) continue;
      QUIK_RETURN_IF_ERROR(w.NeedUser(r.user_id));
      QUIK_RETURN_IF_ERROR(w.Line({{"type", "reaction"},
                                   {"message_id", r.message_id},
                                   {"user_id", r.user_id},
                                   {"emoji", r.emoji},
                                   {"created_at", FormatTime(r.created_at)}},
                                  "reaction"));
    }
    QUIK_ASSIGN_OR_RETURN(auto pins, tx.ListPins(c.id));
    for (auto it = pins.rbegin(); it != pins.rend(); ++it) {
      if (!written.count(it->message_id)) continue;
      QUIK_RETURN_IF_ERROR(w.NeedUser(it->pinned_by));
      QUIK_RETURN_IF_ERROR(w.Line({{"type", "pin"},
                                   {"message_id", it->message_id},
                                   {"channel_id", it->channel_id},
                                   {"pinned_by", it->pinned_by},
                                   {"pinned_at", FormatTime(it->pinned_at)}},
                                  "pin"));
    }
  }
  json counts = json::object();
  for (const char* type :
       {"user", "member", "file", "channel", "channel_member", "message", "reaction", "pin"}) {
    counts[type] = summary.counts[type];
  }
  return w.Line({{"type", "end"}, {"counts", counts}}, "");
}

}  // namespace

Result<ExportSummary> ExportWorkspace(Service& service, const Actor& actor, std::string_view ws_ref,
                                      const std::filesystem::path& to,
                                      const ExportOptions& options) {
  internal::Context* ctx = internal::ContextOf(service);
  if (!ctx) return Internal("ExportWorkspace needs a Service made by Service::Open");
  if (to.empty()) return InvalidArgument("name where to write the export");
  std::error_code ec;
  const bool single_file = to.extension() == ".jsonl";
  fs::path dir = single_file ? to.parent_path() : to;
  fs::path jsonl = single_file ? to : to / "export.jsonl";
  if (single_file) {
    if (options.with_files) {
      return InvalidArgument("--with-files needs a directory to write the files into, not " +
                             to.string() + " (a .jsonl path is the file itself)");
    }
    if (fs::exists(to, ec)) return AlreadyExists(to.string() + " exists; export to a new path");
    if (!dir.empty() && !fs::is_directory(dir, ec)) {
      return NotFound("directory " + dir.string() + " does not exist");
    }
  } else {
    if (fs::exists(to, ec) && !fs::is_directory(to, ec)) {
      return AlreadyExists(to.string() + " is a file; export to a new directory or a .jsonl path");
    }
    if (fs::is_directory(to, ec) && !fs::is_empty(to, ec)) {
      return AlreadyExists(to.string() + " is not empty; export to a new or empty directory");
    }
    QUIK_RETURN_IF_ERROR(internal::MakePrivateDirs(to));
  }
  // Written under a temporary name and renamed once complete.
  fs::path part = jsonl;
  part += ".part";
  ExportSummary summary;
  summary.jsonl = jsonl;
  {
    // 0600 whatever the umask (an export holds every message); the stream
    // then opens the file made here.
    const int fd = internal::OpenPrivate(part, O_WRONLY | O_CREAT | O_TRUNC);
    if (fd < 0) return Unavailable("cannot write " + part.string() + ": " + std::strerror(errno));
    ::close(fd);
    std::ofstream out(part, std::ios::binary | std::ios::trunc);
    if (!out) {
      return Unavailable("cannot write " + part.string() + ": " + std::strerror(errno));
    }
    Status st = ctx->store->Read([&](store::Tx& tx) {
      return ExportInTx(tx, *ctx, actor, ws_ref, options, out, dir, summary);
    });
    out.flush();
    if (st.ok() && !out) st = Unavailable("cannot write " + part.string());
    out.close();
    if (!st.ok()) {
      fs::remove(part, ec);
      return st;
    }
  }
  fs::rename(part, jsonl, ec);
  if (ec) return Unavailable("cannot rename " + part.string() + ": " + ec.message());
  return summary;
}

}  // namespace quik
