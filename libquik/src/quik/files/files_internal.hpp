// SPDX-License-Identifier: MIT
// What messages need of files: which file ids a poster may attach, and who
// may read a file (both inside the caller's transaction).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "authz/authz.hpp"
#include "files/blob_store.hpp"
#include "quik/files.hpp"
#include "quik/options.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"
#include "store/tx.hpp"

namespace quik::internal {

// The files `ids` names, deduplicated in order, if `who` may attach each to a
// message in `channel`: a file of the channel's workspace that `who`
// uploaded, or that is already shared in a channel `who` may read (a
// re-share, as Slack allows). kNotFound names the first that is not;
// kInvalidArgument for more than kMaxFilesPerMessage.
Result<std::vector<File>> AttachableFiles(store::Tx& tx, const authz::Principal& who,
                                          const Channel& channel,
                                          const std::vector<std::string>& ids);

// The file if `who` may read it (quik/files.hpp); kNotFound otherwise.
Result<File> ReadableFile(store::Tx& tx, const authz::Principal& who, std::string_view id);

// Moves a finished staging file into the blob store and returns the
// metadata read from its bytes: size, sha256, the sniffed content type, an
// image's size, and its thumbnail (made and placed as a blob too). The caller
// holds a shared files::BlobLock until the row naming the blobs is committed.
// Uploads (FileService::Commit) and imports (transfer/) both come through here.
Result<File> PlaceStagedBlob(const Options& options, files::StagingFile& staged);

// "../a\r\nb.txt" -> "ab.txt": the last path component, without control or
// bidi-override characters and invalid UTF-8, at most kMaxFileNameBytes,
// never empty ("file").
std::string SanitizeFileName(std::string_view name);

}  // namespace quik::internal
