// SPDX-License-Identifier: MIT
// Export and import of a whole workspace (quikctl export / import).
//
// ExportWorkspace writes a workspace as QuikApp's versioned JSON-lines
// format ("quik-export", version 1; every record in quikctl(1), EXPORT
// FORMAT): users, members, channels, channel members, files, messages with
// their threads and edits, reactions and pins, from one read snapshot.
// ImportArchive reads it back into this data dir, idempotently (a rerun
// creates nothing twice) and resumably (a rerun after a crash or kill
// finishes the job): ids may differ, content, authors, threads, reactions
// and timestamps do not. Imported messages fire no notifications, webhooks
// or realtime message events, and count as read.
//
// Thread safety: both may run while servers and other quikctl processes use
// the data dir; an import commits in chunks of about 1000 objects.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "quik/actor.hpp"
#include "quik/status.hpp"

namespace quik {

class Service;

// The format's name and the version this library writes and reads.
inline constexpr std::string_view kExportFormat = "quik-export";
inline constexpr int kExportVersion = 1;

struct ExportOptions {
  // Also copy every file's bytes into `to`/files/<sha256>. Needs `to` to be
  // a directory. Default: false (metadata only).
  bool with_files = false;
};

struct ExportSummary {
  std::filesystem::path jsonl;  // the JSON-lines file written
  std::string workspace_id;
  std::string workspace_slug;
  // Records written per type ("user", "member", "channel", "channel_member",
  // "file", "message", "reaction", "pin"): what the end trailer says.
  std::map<std::string, std::int64_t> counts;
  std::int64_t blobs = 0;       // files copied (with_files)
  std::int64_t blob_bytes = 0;  // their bytes
};

// Exports workspace `ws_ref` (id or slug) to `to`: a path ending in ".jsonl"
// is the JSON-lines file itself (no file bytes); any other path is a
// directory (created; must be empty if it exists) that receives
// export.jsonl and, with with_files, files/<sha256>. Only the system and the
// workspace's owners and admins may export (kPermissionDenied; a non-member
// gets kNotFound). kAlreadyExists if `to` is a non-empty directory or an
// existing file.
Result<ExportSummary> ExportWorkspace(Service& service, const Actor& actor, std::string_view ws_ref,
                                      const std::filesystem::path& to,
                                      const ExportOptions& options = {});

// What an import did, per kind of object.
struct KindCounts {
  std::int64_t imported = 0;                        // created by this run
  std::int64_t existing = 0;                        // already there (an earlier run, or matched)
  std::int64_t skipped = 0;                         // not imported; why in skipped_why
  std::map<std::string, std::int64_t> skipped_why;  // reason -> count
  std::map<std::string, std::int64_t> notes;        // imported, with a remark -> count
};

struct ImportReport {
  std::string format;  // "quik"
  std::string source;  // the import keys' source, e.g. "quik:01J..."
  std::string workspace_id;
  std::string workspace_slug;
  bool workspace_created = false;
  // Per kind: "workspace", "user", "member", "channel", "channel_member",
  // "file", "message", "reaction", "pin".
  std::map<std::string, KindCounts> kinds;
  // False when the input ended early (a quik export without its end
  // trailer): what it held was imported; rerun with the whole file.
  bool complete = true;
  std::string incomplete_reason;
};

struct ImportOptions {
  // The workspace to import into (slug or id): created with that slug if
  // missing. Default: "" = the exported workspace's slug.
  std::string workspace;
  // "quik" (this library's export). Default: "quik".
  std::string format = "quik";
};

// Imports `from` (an export directory or its .jsonl file) as the system or
// an instance admin (kPermissionDenied otherwise). A malformed input is
// kInvalidArgument naming "FILE:LINE: problem" and imports nothing; an
// unknown format version likewise; a missing input is kNotFound.
Result<ImportReport> ImportArchive(Service& service, const Actor& actor,
                                   const std::filesystem::path& from,
                                   const ImportOptions& options = {});

}  // namespace quik
