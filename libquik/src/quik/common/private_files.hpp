// SPDX-License-Identifier: MIT
// File modes for what the library writes: the data dir, the files dir,
// backups and exports hold password hashes, token hashes, messages and
// webhook secrets, so their directories are 0700 and their files 0600,
// whatever the process umask.
//
// A library must not change its host's umask (it is process-wide and other
// threads of the host create files too), so every file is created with an
// explicit mode and fchmod'ed after, and the modes of a data dir made by an
// older version are mended when it is opened (MakeDataDirPrivate).
#pragma once

#include <sys/types.h>

#include <filesystem>

#include "quik/status.hpp"

namespace quik::internal {

inline constexpr mode_t kPrivateDirMode = 0700;
inline constexpr mode_t kPrivateFileMode = 0600;

// mkdir -p: each directory it creates is 0700. `dir` itself is made 0700
// even when it existed (parents that existed are left alone).
Status MakePrivateDirs(const std::filesystem::path& dir);

// open(2) with O_CLOEXEC that creates with mode 0600 and fchmods what it
// opened to 0600 (umask-proof); -1 with errno on failure.
int OpenPrivate(const std::filesystem::path& path, int flags);

// Sets `path` to 0700 (a directory) or 0600 (a regular file); a missing path,
// a symlink and another user's file are left alone.
Status MakePrivate(const std::filesystem::path& path);

// MakePrivate of `root` and of everything under it (symlinks not followed).
Status MakeTreePrivate(const std::filesystem::path& root);

// On opening a data dir: MakePrivate of the dir, its top-level entries and
// what its lmdb/ directory holds. Blobs deeper down are created 0600 and
// sit in 0700 directories; `quikctl init` on an existing data dir mends the
// whole tree (MakeTreePrivate).
Status MakeDataDirPrivate(const std::filesystem::path& data_dir);

}  // namespace quik::internal
