// SPDX-License-Identifier: MIT
#include "quik/datadir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "common/private_files.hpp"
#include "quik/config.hpp"
#include "store/migrations.hpp"

namespace quik {
namespace {

// Writes `text` to `path` through a synced temp file and a rename, then syncs
// the directory: a crash leaves either no file or the whole one.
Status WriteFileDurably(const std::filesystem::path& path, std::string_view text) {
  auto tmp = path;
  tmp += ".tmp";
  auto fail = [&](const std::filesystem::path& what) {
    return Unavailable("cannot write " + what.string() + ": " + std::strerror(errno));
  };
  int fd = internal::OpenPrivate(tmp, O_WRONLY | O_CREAT | O_TRUNC);
  if (fd < 0) return fail(tmp);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status st = fail(tmp);
      ::close(fd);
      return st;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status st = fail(tmp);
    ::close(fd);
    return st;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(path);
  int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Status::Ok();
}

Result<std::unique_ptr<store::Connection>> OpenDb(const Options& options, bool create) {
  auto path = options.data_dir / "quik.db";
  std::error_code ec;
  if (!create && !std::filesystem::exists(path, ec)) {
    return NotFound("data dir " + options.data_dir.string() +
                    " is not initialised (no quik.db); run `quikctl init`");
  }
  if (create) {
    // SQLite would create it 0644 less the umask; its -wal and -shm files
    // take the database's mode.
    const int fd = internal::OpenPrivate(path, O_RDWR | O_CREAT);
    if (fd < 0) return Unavailable("cannot create " + path.string() + ": " + std::strerror(errno));
    ::close(fd);
  }
  QUIK_RETURN_IF_ERROR(internal::MakeDataDirPrivate(options.data_dir));
  return store::Connection::Open(path, store::Connection::Mode::kReadWrite,
                                 options.storage.sync == SyncMode::kFull,
                                 options.storage.busy_timeout_ms);
}

}  // namespace

Result<InitResult> InitDataDir(const Options& options) {
  InitResult result;
  std::error_code ec;
  // 0700, and every file in it 0600, whatever the umask: an existing data
  // dir (made by an older version, or copied) is mended here.
  Status made = internal::MakePrivateDirs(options.data_dir);
  if (!made.ok()) return Unavailable("cannot create data dir: " + made.message());
  QUIK_RETURN_IF_ERROR(internal::MakeTreePrivate(options.data_dir));
  auto config = options.data_dir / "quik.toml";
  if (!std::filesystem::exists(config, ec)) {
    QUIK_RETURN_IF_ERROR(WriteFileDurably(config, DefaultConfigText()));
    result.created_config = true;
  }
  QUIK_ASSIGN_OR_RETURN(auto conn, OpenDb(options, /*create=*/true));
  QUIK_ASSIGN_OR_RETURN(auto applied, store::ApplyMigrations(*conn, /*dry_run=*/false));
  result.migrations_applied = static_cast<int>(applied.size());
  return result;
}

Result<std::vector<MigrationInfo>> MigrationStatus(const Options& options) {
  QUIK_ASSIGN_OR_RETURN(auto conn, OpenDb(options, /*create=*/false));
  return store::ReadMigrationStatus(*conn);
}

Result<std::vector<MigrationInfo>> MigrateUp(const Options& options, bool dry_run) {
  QUIK_ASSIGN_OR_RETURN(auto conn, OpenDb(options, /*create=*/false));
  return store::ApplyMigrations(*conn, dry_run);
}

}  // namespace quik
