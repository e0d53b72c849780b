// SPDX-License-Identifier: MIT
// The content-addressed blob store under the data dir:
//
//   DATA_DIR/blobs/ab/cd/<sha256 hex>   one file per distinct content
//   DATA_DIR/blobs/tmp/<random>.part   uploads being written
//   DATA_DIR/blobs/.lock               see BlobLock
//
// A blob is written once (temp file, fsync, rename, fsync of the directory)
// and never changed. Which blobs are live is the database's business (files
// rows); this layer only moves bytes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "quik/status.hpp"
#include "quik/types.hpp"

namespace quik::files {

std::filesystem::path BlobsDir(const std::filesystem::path& data_dir);

// An open file descriptor, closed with the object.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd();
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

// A temp file in blobs/tmp that hashes what is appended. It holds an
// exclusive flock while it lives, so that a sweep (SweepTemp) can tell a live
// upload from the leftover of a crashed process. Removed on destruction
// unless Place() moved it into the store.
class StagingFile {
 public:
  static Result<std::unique_ptr<StagingFile>> Create(const std::filesystem::path& blobs_dir);
  ~StagingFile();
  StagingFile(const StagingFile&) = delete;
  StagingFile& operator=(const StagingFile&) = delete;

  Status Append(std::string_view bytes);
  // Syncs the file and finishes the hash; no Append after it.
  Status Finish();

  const std::filesystem::path& path() const { return path_; }
  int fd() const { return fd_.get(); }
  std::int64_t size() const { return size_; }
  const std::string& sha256() const { return sha256_; }  // set by Finish

  // The file is no longer ours to remove (renamed into the store or dropped).
  void Forget() { forgotten_ = true; }

 private:
  StagingFile() = default;

  std::filesystem::path path_;
  Fd fd_;
  struct Hash;
  std::unique_ptr<Hash> hash_;
  std::int64_t size_ = 0;
  std::string sha256_;
  bool forgotten_ = false;
};

// flock on blobs/.lock. Uploads hold it shared from placing a blob until the
// row naming it is committed; the GC sweep holds it exclusively while it
// decides which blobs no row names and deletes them. So a blob that is placed
// but whose row is not committed yet is never swept. Works across processes.
class BlobLock {
 public:
  enum class Mode { kShared, kExclusive };
  static Result<BlobLock> Acquire(const std::filesystem::path& blobs_dir, Mode mode);

 private:
  explicit BlobLock(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;  // closing it releases the lock
};

struct BlobInfo {
  std::string sha256;
  std::int64_t size = 0;
  Timestamp modified_at = 0;
};

class BlobStore {
 public:
  explicit BlobStore(std::filesystem::path blobs_dir) : dir_(std::move(blobs_dir)) {}

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path PathOf(std::string_view sha256) const;

  // Moves a finished staging file to its content address. If that blob exists
  // already the temp file is dropped and the blob's mtime refreshed (the GC
  // grace counts from the last upload of the content). The directory entries
  // are synced before it returns.
  Status Place(StagingFile& staged);

  // Every blob on disk.
  Result<std::vector<BlobInfo>> List() const;
  // Removes a blob; false if it was not there.
  Result<bool> Remove(std::string_view sha256) const;
  // Removes temp files no live process holds (crashed uploads); returns how many.
  std::int64_t SweepTemp() const;

 private:
  std::filesystem::path dir_;
};

bool LooksLikeSha256(std::string_view hex);

}  // namespace quik::files
