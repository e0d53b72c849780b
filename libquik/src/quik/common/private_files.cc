// SPDX-License-Identifier: MIT
#include "common/private_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace quik::internal {
namespace {

namespace fs = std::filesystem;

Status Errno(std::string_view what, const fs::path& path) {
  return Unavailable(std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

Status MakePrivateDirs(const fs::path& dir) {
  if (dir.empty()) return Status::Ok();
  // The missing directories, innermost first.
  std::vector<fs::path> missing;
  fs::path p = dir;
  struct stat st {};
  while (!p.empty() && ::stat(p.c_str(), &st) != 0 && errno == ENOENT) {
    missing.push_back(p);
    if (!p.has_relative_path() || p.parent_path() == p) break;
    p = p.parent_path();
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), kPrivateDirMode) != 0 && errno != EEXIST) {
      return Errno("cannot create directory", *it);
    }
    if (::chmod(it->c_str(), kPrivateDirMode) != 0) return Errno("cannot chmod", *it);
  }
  if (::stat(dir.c_str(), &st) != 0) return Errno("cannot create directory", dir);
  if (!S_ISDIR(st.st_mode)) {
    return InvalidArgument(dir.string() + " exists and is not a directory");
  }
  if ((st.st_mode & 07777) != kPrivateDirMode && ::chmod(dir.c_str(), kPrivateDirMode) != 0) {
    return Errno("cannot chmod", dir);
  }
  return Status::Ok();
}

int OpenPrivate(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, kPrivateFileMode);
  if (fd < 0) return fd;
  if ((flags & O_CREAT) == 0) return fd;
  // Another user's existing file is left as it is (fchmod would fail).
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_uid == ::geteuid() &&
      (st.st_mode & 07777) != kPrivateFileMode && ::fchmod(fd, kPrivateFileMode) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

Status MakePrivate(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Errno("cannot stat", path);
  }
  mode_t want;
  if (S_ISDIR(st.st_mode)) {
    want = kPrivateDirMode;
  } else if (S_ISREG(st.st_mode)) {
    want = kPrivateFileMode;
  } else {
    return Status::Ok();  // symlinks, sockets: not ours to change
  }
  // Another user's file (a data dir read by a second account) is theirs to
  // keep private: chmod would fail.
  if ((st.st_mode & 07777) == want || st.st_uid != ::geteuid()) return Status::Ok();
  if (::chmod(path.c_str(), want) != 0) return Errno("cannot chmod", path);
  return Status::Ok();
}

Status MakeTreePrivate(const fs::path& root) {
  QUIK_RETURN_IF_ERROR(MakePrivate(root));
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(root, ec))) return Status::Ok();
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    QUIK_RETURN_IF_ERROR(MakePrivate(it->path()));
  }
  if (ec) return Unavailable("cannot list " + root.string() + ": " + ec.message());
  return Status::Ok();
}

Status MakeDataDirPrivate(const fs::path& data_dir) {
  QUIK_RETURN_IF_ERROR(MakePrivate(data_dir));
  std::error_code ec;
  for (const fs::path& dir : {data_dir, data_dir / "lmdb"}) {
    if (!fs::is_directory(fs::symlink_status(dir, ec))) continue;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
      QUIK_RETURN_IF_ERROR(MakePrivate(it->path()));
    }
    if (ec) return Unavailable("cannot list " + dir.string() + ": " + ec.message());
  }
  return Status::Ok();
}

}  // namespace quik::internal
