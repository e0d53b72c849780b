// SPDX-License-Identifier: MIT
// quik::FileService: file uploads, downloads, thumbnails and garbage
// collection.
//
// Storage: the bytes go to a content-addressed store under the data dir
// (DATA_DIR/blobs/ab/cd/<sha256>): streamed into a temp file in
// DATA_DIR/blobs/tmp while hashed, synced, then renamed to their SHA-256, so
// the same content is stored once however often it is uploaded. Each upload
// is one `files` row (its own id, name and uploader) pointing at a blob.
//
// Content type: sniffed from the bytes with libmagic; what the client claims
// is ignored. Every text/* type is stored as text/plain (a browser never
// renders an uploaded page). JPEG, PNG, GIF and WebP images whose header
// declares at most files.max_image_pixels get a JPEG thumbnail of at most
// files.thumbnail_size pixels a side (libvips, shrink-on-load, only its
// fuzzed loaders).
//
// Who may read a file: its uploader while a member of the workspace, and
// whoever may read a channel with a (non-deleted) message that shares it
// (quik/messages.hpp: NewMessage::file_ids). Anyone else gets kNotFound, as
// for a file that does not exist. Deleting the message takes the file away
// from everyone but the uploader.
//
// Life cycle: a file no message references (never posted, or its messages
// deleted) becomes collectible; CollectGarbage removes those older than the
// grace period, then the blobs no file names any more and stale temp files.
// It is safe while servers run and people post: the decision is re-checked in
// the write transaction that deletes the rows, and blobs are removed only
// under a lock that uploads hold from placing a blob to committing its row.
//
// Thread safety: all methods may be called from any thread concurrently, and
// several processes may use one data dir. An Upload is used by one thread at
// a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quik/actor.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"

namespace quik {
namespace internal {
struct Context;
}

// The most files one message may share.
inline constexpr std::size_t kMaxFilesPerMessage = 10;
// The longest file name kept (bytes of UTF-8; longer names are cut).
inline constexpr std::size_t kMaxFileNameBytes = 255;

// An upload in progress: Write appends to a temp file under the data dir,
// hashing as it goes; nothing is held in memory. Destroying it before
// FileService::Commit removes the temp file (a client that went away leaves
// nothing behind).
class Upload {
 public:
  struct Impl;
  explicit Upload(std::unique_ptr<Impl> impl);
  ~Upload();
  Upload(const Upload&) = delete;
  Upload& operator=(const Upload&) = delete;

  // kResourceExhausted once the upload would pass files.max_bytes;
  // kUnavailable if the disk refuses the bytes.
  Status Write(std::string_view bytes);
  // Bytes written so far.
  std::int64_t size() const;

  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// Which bytes of a file Open returns.
enum class FilePart { kOriginal, kThumbnail };

// An open file's blob: read it at `path` (`size` bytes). Blobs are never
// modified in place; GC removes only blobs of files no one may read.
struct FileContent {
  File file;
  std::filesystem::path path;
  std::int64_t size = 0;
  std::string content_type;  // the file's, or image/jpeg for a thumbnail
  std::string sha256;        // of these bytes (the ETag)
};

struct GcOptions {
  // Unreferenced files created longer ago than this go (and orphaned blobs
  // last written longer ago); nullopt: options.files.gc_grace. A dry run
  // counts the blobs orphaned now, not those its files would orphan.
  std::optional<std::chrono::seconds> grace;
  bool dry_run = false;  // report only
};

struct GcReport {
  std::int64_t files_removed = 0;  // rows (would be, with dry_run)
  std::int64_t file_bytes = 0;     // their sizes
  std::int64_t blobs_removed = 0;  // blob files deleted from disk
  std::int64_t blob_bytes = 0;
  std::int64_t temp_removed = 0;  // stale temp files of uploads that died
  std::vector<std::string> file_ids;
};

class FileService {
 public:
  explicit FileService(internal::Context* ctx) : ctx_(ctx) {}

  // What an upload of `size` bytes (nullopt: not known yet) to workspace
  // `ws_ref` would meet, checked before any byte is read: kNotFound for a
  // non-member, kInvalidArgument for an empty file, kResourceExhausted past
  // files.max_bytes or the workspace's quota (files.workspace_quota_bytes).
  Status CheckUpload(const Actor& actor, std::string_view ws_ref, std::optional<std::int64_t> size);

  // Starts an upload (a temp file); then Write the bytes and Commit.
  Result<std::unique_ptr<Upload>> BeginUpload();

  // Stores the upload as a file named `name` (sanitized; "file" if empty) in
  // workspace `ws_ref` (id or slug), uploaded by the actor (a member, not a
  // guest-only outsider: kNotFound otherwise). Returns once the file and its
  // blob are durable. The upload is consumed either way.
  // Errors: kInvalidArgument for an empty file, kResourceExhausted past the
  // workspace's quota, kNotFound for a workspace the actor is not in.
  Result<File> Commit(const Actor& actor, std::string_view ws_ref, std::string_view name,
                      Upload& upload);

  // Conveniences over BeginUpload / Write / Commit.
  Result<File> UploadBytes(const Actor& actor, std::string_view ws_ref, std::string_view name,
                           std::string_view bytes);
  Result<File> UploadFromPath(const Actor& actor, std::string_view ws_ref, std::string_view name,
                              const std::filesystem::path& source);

  // The file's metadata, if the actor may read it (see above); kNotFound otherwise.
  Result<File> Get(const Actor& actor, std::string_view file_id);
  // Its bytes (or its thumbnail: kNotFound if it has none), same rule.
  Result<FileContent> Open(const Actor& actor, std::string_view file_id,
                           FilePart part = FilePart::kOriginal);

  // A workspace's files, newest first: everything for the system and
  // workspace admins, one's own uploads for other members.
  Result<Page<File>> List(const Actor& actor, std::string_view ws_ref,
                          const PageRequest& page = {});

  // Removes unreferenced files older than the grace period, then blobs no
  // file names, then stale temp files. The system or an instance admin only
  // (kPermissionDenied otherwise).
  Result<GcReport> CollectGarbage(const Actor& actor, const GcOptions& options = {});

 private:
  internal::Context* ctx_;
};

}  // namespace quik
