// SPDX-License-Identifier: MIT
// Import of a Slack export (quikctl import --format slack).
//
// Reads the folder or .zip that Slack's "Export data" produces (users.json,
// channels.json, groups.json, dms.json, mpims.json, one folder per
// conversation with a JSON file per day; file contents from
// __uploads/<file id>/<name> when the export holds them) into workspace
// `options.workspace` (a slug, created if missing; required: a Slack export
// names no workspace). What maps to what is in quikctl(1), IMPORTING FROM
// SLACK. Like ImportArchive (quik/transfer.hpp) it is idempotent and
// resumable, fires no message events or notifications for the imported
// history, and returns a report per kind of object.
//
// Thread safety: may run while servers and other quikctl processes use the
// data dir; it commits in chunks.
#pragma once

#include <filesystem>

#include "quik/actor.hpp"
#include "quik/status.hpp"
#include "quik/transfer.hpp"

namespace quik {

class Service;

// As the system or an instance admin (kPermissionDenied otherwise).
// kNotFound if `from` does not exist; kInvalidArgument, naming "FILE:LINE:",
// for malformed JSON anywhere in the export (checked before anything is
// written), and for a missing options.workspace.
Result<ImportReport> ImportSlackExport(Service& service, const Actor& actor,
                                       const std::filesystem::path& from,
                                       const ImportOptions& options);

}  // namespace quik
