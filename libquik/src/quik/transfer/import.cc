// SPDX-License-Identifier: MIT
// ImportArchive (quik/transfer.hpp) for QuikApp's own export format: reads
// the JSON lines twice, first to validate every line (a bad one imports
// nothing), then to write them through transfer::ImportWriter in chunks.
#include <fstream>
#include <variant>

#include <nlohmann/json.hpp>

#include "authz/authz.hpp"
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
