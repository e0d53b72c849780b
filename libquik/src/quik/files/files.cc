// SPDX-License-Identifier: MIT
#include "quik/files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_set>

#include "authz/authz.hpp"
#include "common/ids.hpp"
#include "common/text.hpp"
#include "events/event_log.hpp"
#include "files/blob_store.hpp"
#include "files/files_internal.hpp"
#include "files/media.hpp"
#include "service/context.hpp"

namespace quik {

struct Upload::Impl {
  std::unique_ptr<files::StagingFile> staging;  // null once committed
  std::int64_t max_bytes = 0;
};

Upload::Upload(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Upload::~Upload() = default;

Status Upload::Write(std::string_view bytes) {
  if (!impl_->staging) return InvalidArgument("the upload was already committed");
  if (impl_->staging->size() + static_cast<std::int64_t>(bytes.size()) > impl_->max_bytes) {
    return ResourceExhausted("the file exceeds files.max_bytes (" +
                             std::to_string(impl_->max_bytes) + " bytes)");
  }
  return impl_->staging->Append(bytes);
}

std::int64_t Upload::size() const { return impl_->staging ? impl_->staging->size() : 0; }

namespace internal {
namespace {

// One UTF-8 sequence at `s[i]`: its length if valid, 0 if not.
std::size_t Utf8Length(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  return IsValidUtf8(s.substr(i, n)) ? n : 0;
}

// C1 controls (U+0080..U+009F) and the bidi embeddings/overrides/isolates
// (U+202A..U+202E, U+2066..U+2069) that make "exe.txt" look like "txt.exe".
bool Invisible(std::string_view seq) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(seq[i]); };
  if (seq.size() == 2) return b(0) == 0xC2 && b(1) <= 0x9F;
  if (seq.size() == 3 && b(0) == 0xE2) {
    if (b(1) == 0x80 && b(2) >= 0xAA && b(2) <= 0xAE) return true;
    if (b(1) == 0x81 && b(2) >= 0xA6 && b(2) <= 0xA9) return true;
  }
  return false;
}

}  // namespace

std::string SanitizeFileName(std::string_view name) {
  const std::size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  std::string out;
  for (std::size_t i = 0; i < name.size();) {
    const auto b = static_cast<unsigned char>(name[i]);
    if (b < 0x80) {
      if (b >= 0x20 && b != 0x7F) out += static_cast<char>(b);
      ++i;
      continue;
    }
    const std::size_t n = Utf8Length(name, i);
    if (n == 0) {
      out += '_';
      ++i;
      continue;
    }
    if (!Invisible(name.substr(i, n))) out.append(name.substr(i, n));
    i += n;
  }
  std::string trimmed(TrimWhitespace(out));
  if (trimmed.size() > kMaxFileNameBytes) {
    std::size_t n = kMaxFileNameBytes;
    while (n > 0 && (static_cast<unsigned char>(trimmed[n]) & 0xC0) == 0x80) --n;
    trimmed.resize(n);
  }
  if (trimmed.empty() || trimmed == "." || trimmed == "..") return "file";
  return trimmed;
}

Result<File> ReadableFile(store::Tx& tx, const authz::Principal& who, std::string_view id) {
  auto not_found = [&] { return NotFound("file '" + std::string(id) + "' not found"); };
  if (!LooksLikeId(id)) return not_found();
  QUIK_ASSIGN_OR_RETURN(auto file, tx.GetFile(id));
  if (!file) return not_found();
  if (who.system) return std::move(*file);
  if (file->user_id == who.user.id) {
    QUIK_ASSIGN_OR_RETURN(auto member, tx.GetMember(file->workspace_id, who.user.id));
    if (member) return std::move(*file);
  }
  QUIK_ASSIGN_OR_RETURN(auto channels, tx.ListFileChannels(file->id));
  for (const std::string& channel : channels) {
    auto access = authz::ChannelFor(tx, who, channel);
    if (access.ok()) return std::move(*file);
    if (access.status().code() != StatusCode::kNotFound) return access.status();
  }
  return not_found();
}

Result<std::vector<File>> AttachableFiles(store::Tx& tx, const authz::Principal& who,
                                          const Channel& channel,
                                          const std::vector<std::string>& ids) {
  std::vector<File> out;
  std::unordered_set<std::string> seen;
  for (const std::string& id : ids) {
    if (!seen.insert(id).second) continue;
    if (out.size() >= kMaxFilesPerMessage) {
      return InvalidArgument("a message shares at most " + std::to_string(kMaxFilesPerMessage) +
                             " files");
    }
    auto file = ReadableFile(tx, who, id);
    if (!file.ok()) {
      if (file.status().code() != StatusCode::kNotFound) return file.status();
      return NotFound("file '" + id +
                      "' not found: file_ids takes files you uploaded (POST "
                      "/workspaces/{id}/files) or that are shared in a channel you can read");
    }
    if (file->workspace_id != channel.workspace_id) {
      return InvalidArgument("file '" + id + "' belongs to another workspace than channel #" +
                             channel.name);
    }
    out.push_back(std::move(*file));
  }
  return out;
}

}  // namespace internal

namespace internal {

Result<File> PlaceStagedBlob(const Options& options, files::StagingFile& staged) {
  const FilesOptions& opts = options.files;
  File f;
  f.size = staged.size();
  f.sha256 = staged.sha256();
  f.content_type = files::SniffContentType(staged.fd());
  const files::ImageInfo image =
      files::ReadImage(staged.path(), f.content_type,
                       files::DecodeLimits{opts.thumbnail_size, opts.max_image_pixels,
                                           opts.max_decode_bytes, opts.decode_memory_bytes});
  f.width = image.width;
  f.height = image.height;
  std::unique_ptr<files::StagingFile> thumb;
  const std::filesystem::path dir = files::BlobsDir(options.data_dir);
  if (!image.thumbnail_jpeg.empty()) {
    QUIK_ASSIGN_OR_RETURN(thumb, files::StagingFile::Create(dir));
    QUIK_RETURN_IF_ERROR(thumb->Append(image.thumbnail_jpeg));
    QUIK_RETURN_IF_ERROR(thumb->Finish());
  }
  files::BlobStore store(dir);
  QUIK_RETURN_IF_ERROR(store.Place(staged));
  if (thumb) {
    QUIK_RETURN_IF_ERROR(store.Place(*thumb));
    f.thumbnail_sha256 = thumb->sha256();
    f.thumbnail_size = thumb->size();
  }
  return f;
}

}  // namespace internal

namespace {

using internal::Context;

Status TooLarge(std::int64_t max) {
  return ResourceExhausted("the file exceeds files.max_bytes (" + std::to_string(max) + " bytes)");
}

Status EmptyFile() {
  return InvalidArgument("the file is empty (0 bytes): send its bytes as the request body");
}

// The uploader's workspace (a member, any role) and its quota use.
Result<authz::WorkspaceAccess> UploadWorkspace(store::Tx& tx, const authz::Principal& who,
                                               std::string_view ws_ref) {
  if (who.system) return InvalidArgument("a file is uploaded as a user (use --as)");
  return authz::WorkspaceFor(tx, who, ws_ref);
}

Status CheckQuota(store::Tx& tx, const Options& options, const std::string& workspace_id,
                  std::int64_t size) {
  QUIK_ASSIGN_OR_RETURN(std::int64_t used, tx.WorkspaceFileBytes(workspace_id));
  const std::int64_t quota = options.files.workspace_quota_bytes;
  if (used + size > quota || (size == 0 && used >= quota)) {
    return ResourceExhausted("the workspace's files would exceed files.workspace_quota_bytes (" +
                             std::to_string(quota) + " bytes; " + std::to_string(used) +
                             " used): delete messages with files and run quikctl files gc");
  }
  return Status::Ok();
}

}  // namespace

Status FileService::CheckUpload(const Actor& actor, std::string_view ws_ref,
                                std::optional<std::int64_t> size) {
  const FilesOptions& opts = ctx_->options.files;
  if (size && *size == 0) return EmptyFile();
  if (size && *size > opts.max_bytes) return TooLarge(opts.max_bytes);
  return ctx_->store->Read([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto ws, UploadWorkspace(tx, who, ws_ref));
    return CheckQuota(tx, ctx_->options, ws.workspace.id, size.value_or(0));
  });
}

Result<std::unique_ptr<Upload>> FileService::BeginUpload() {
  auto impl = std::make_unique<Upload::Impl>();
  QUIK_ASSIGN_OR_RETURN(impl->staging,
                        files::StagingFile::Create(files::BlobsDir(ctx_->options.data_dir)));
  impl->max_bytes = ctx_->options.files.max_bytes;
  return std::make_unique<Upload>(std::move(impl));
}

Result<File> FileService::Commit(const Actor& actor, std::string_view ws_ref, std::string_view name,
                                 Upload& upload) {
  std::unique_ptr<files::StagingFile> staged = std::move(upload.impl().staging);
  if (!staged) return InvalidArgument("the upload was already committed");
  const FilesOptions& opts = ctx_->options.files;
  if (staged->size() == 0) return EmptyFile();
  if (staged->size() > opts.max_bytes) return TooLarge(opts.max_bytes);
  // Membership and quota first: no sniffing or thumbnails for a refusal.
  QUIK_RETURN_IF_ERROR(CheckUpload(actor, ws_ref, staged->size()));
  QUIK_RETURN_IF_ERROR(staged->Finish());

  // From placing the blobs until their row is committed, GC must not judge
  // them unreferenced (BlobLock).
  const std::filesystem::path dir = files::BlobsDir(ctx_->options.data_dir);
  QUIK_ASSIGN_OR_RETURN(auto lock, files::BlobLock::Acquire(dir, files::BlobLock::Mode::kShared));
  QUIK_ASSIGN_OR_RETURN(File f, internal::PlaceStagedBlob(ctx_->options, *staged));
  f.name = internal::SanitizeFileName(name);
  // A failure from here on leaves the blobs for GC (they may be shared with
  // another upload committing right now).
  return ctx_->WriteResult<File>([&](store::Tx& tx, File& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto ws, UploadWorkspace(tx, who, ws_ref));
    QUIK_RETURN_IF_ERROR(CheckQuota(tx, ctx_->options, ws.workspace.id, f.size));
    out = f;
    out.created_at = tx.Now();
    out.id = internal::NewId(out.created_at);
    out.workspace_id = ws.workspace.id;
    out.user_id = who.user.id;
    QUIK_RETURN_IF_ERROR(tx.InsertFile(out));
    return events::Append(tx, "file.created", out);
  });
}

Result<File> FileService::UploadBytes(const Actor& actor, std::string_view ws_ref,
                                      std::string_view name, std::string_view bytes) {
  QUIK_RETURN_IF_ERROR(CheckUpload(actor, ws_ref, static_cast<std::int64_t>(bytes.size())));
  QUIK_ASSIGN_OR_RETURN(auto upload, BeginUpload());
  QUIK_RETURN_IF_ERROR(upload->Write(bytes));
  return Commit(actor, ws_ref, name, *upload);
}

Result<File> FileService::UploadFromPath(const Actor& actor, std::string_view ws_ref,
                                         std::string_view name,
                                         const std::filesystem::path& source) {
  files::Fd fd(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return NotFound("cannot open " + source.string() + ": " + std::strerror(errno));
  }
  std::error_code ec;
  const auto size = std::filesystem::file_size(source, ec);
  if (!ec) QUIK_RETURN_IF_ERROR(CheckUpload(actor, ws_ref, static_cast<std::int64_t>(size)));
  QUIK_ASSIGN_OR_RETURN(auto upload, BeginUpload());
  std::vector<char> buf(256 * 1024);
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Unavailable("cannot read " + source.string() + ": " + std::strerror(errno));
    if (n == 0) break;
    QUIK_RETURN_IF_ERROR(upload->Write(std::string_view(buf.data(), static_cast<std::size_t>(n))));
  }
  return Commit(actor, ws_ref, name.empty() ? source.filename().string() : name, *upload);
}

Result<File> FileService::Get(const Actor& actor, std::string_view file_id) {
  return ctx_->ReadResult<File>([&](store::Tx& tx, File& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(out, internal::ReadableFile(tx, who, file_id));
    return Status::Ok();
  });
}

Result<FileContent> FileService::Open(const Actor& actor, std::string_view file_id, FilePart part) {
  QUIK_ASSIGN_OR_RETURN(File file, Get(actor, file_id));
  files::BlobStore store(files::BlobsDir(ctx_->options.data_dir));
  FileContent c;
  if (part == FilePart::kThumbnail) {
    if (!file.has_thumbnail()) return NotFound("file '" + file.id + "' has no thumbnail");
    c.path = store.PathOf(file.thumbnail_sha256);
    c.size = file.thumbnail_size;
    c.content_type = "image/jpeg";
    c.sha256 = file.thumbnail_sha256;
  } else {
    c.path = store.PathOf(file.sha256);
    c.size = file.size;
    c.content_type = file.content_type;
    c.sha256 = file.sha256;
  }
  c.file = std::move(file);
  return c;
}

Result<Page<File>> FileService::List(const Actor& actor, std::string_view ws_ref,
                                     const PageRequest& page) {
  const int limit = std::clamp(page.limit, 1, ctx_->options.limits.page_max);
  if (!page.cursor.empty() && !internal::LooksLikeId(page.cursor)) {
    return InvalidArgument("'" + page.cursor + "' is not a valid cursor");
  }
  return ctx_->ReadResult<Page<File>>([&](store::Tx& tx, Page<File>& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto ws, authz::WorkspaceFor(tx, who, ws_ref));
    const std::string only = ws.is_admin() ? std::string() : who.user.id;
    QUIK_ASSIGN_OR_RETURN(out.items, tx.ListFiles(ws.workspace.id, only, page.cursor, limit + 1));
    if (static_cast<int>(out.items.size()) > limit) {
      out.items.resize(static_cast<std::size_t>(limit));
      out.next_cursor = out.items.back().id;
    }
    return Status::Ok();
  });
}

Result<GcReport> FileService::CollectGarbage(const Actor& actor, const GcOptions& options) {
  GcReport report;
  const std::chrono::seconds grace = options.grace.value_or(ctx_->options.files.gc_grace);
  if (grace.count() < 0) return InvalidArgument("the grace period must not be negative");
  Status st = ctx_->store->Read([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    if (!who.is_instance_admin()) {
      return PermissionDenied("collecting files needs an instance admin");
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  const Timestamp cutoff =
      ctx_->Now() - std::chrono::duration_cast<std::chrono::milliseconds>(grace).count();
  constexpr int kBatch = 200;

  // 1. Rows: the decision is re-made in the transaction that deletes, so a
  // message committed meanwhile keeps its file.
  if (options.dry_run) {
    st = ctx_->store->Read([&](store::Tx& tx) -> Status {
      QUIK_ASSIGN_OR_RETURN(auto files, tx.ListUnreferencedFiles(cutoff, 1000000));
      for (const File& f : files) {
        report.files_removed++;
        report.file_bytes += f.size;
        report.file_ids.push_back(f.id);
      }
      return Status::Ok();
    });
    if (!st.ok()) return st;
  } else {
    for (;;) {
      int listed = 0;
      st = ctx_->store->Write([&](store::Tx& tx) -> Status {
        QUIK_ASSIGN_OR_RETURN(auto files, tx.ListUnreferencedFiles(cutoff, kBatch));
        listed = static_cast<int>(files.size());
        for (const File& f : files) {
          QUIK_ASSIGN_OR_RETURN(bool gone, tx.DeleteFileIfUnreferenced(f.id));
          if (!gone) continue;
          QUIK_RETURN_IF_ERROR(events::Append(tx, "file.deleted", f));
          report.files_removed++;
          report.file_bytes += f.size;
          report.file_ids.push_back(f.id);
        }
        return Status::Ok();
      });
      if (!st.ok()) return st;
      if (listed < kBatch) break;
    }
  }

  // 2. Blobs no row names, under the exclusive lock (no upload is between
  // placing a blob and committing its row). Blobs modified within the grace
  // period stay as well.
  const std::filesystem::path dir = files::BlobsDir(ctx_->options.data_dir);
  files::BlobStore store(dir);
  {
    QUIK_ASSIGN_OR_RETURN(auto lock,
                          files::BlobLock::Acquire(dir, files::BlobLock::Mode::kExclusive));
    QUIK_ASSIGN_OR_RETURN(auto blobs, store.List());
    std::vector<files::BlobInfo> orphans;
    st = ctx_->store->Read([&](store::Tx& tx) -> Status {
      for (const auto& b : blobs) {
        if (b.modified_at > cutoff) continue;
        QUIK_ASSIGN_OR_RETURN(bool used, tx.BlobReferenced(b.sha256));
        if (!used) orphans.push_back(b);
      }
      return Status::Ok();
    });
    if (!st.ok()) return st;
    for (const auto& b : orphans) {
      if (!options.dry_run) {
        QUIK_ASSIGN_OR_RETURN(bool removed, store.Remove(b.sha256));
        if (!removed) continue;
      }
      report.blobs_removed++;
      report.blob_bytes += b.size;
    }
  }
  // 3. Temp files of uploads whose process died.
  if (!options.dry_run) report.temp_removed = store.SweepTemp();
  return report;
}

}  // namespace quik
