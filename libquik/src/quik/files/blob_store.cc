// SPDX-License-Identifier: MIT
#include "files/blob_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>

#include "common/ids.hpp"
#include "store/space.hpp"
#include "common/private_files.hpp"

namespace quik::files {
namespace {

namespace fs = std::filesystem;

Status Errno(std::string_view what, const fs::path& path) {
  return store::WriteErrno(errno, std::string(what) + " " + path.string());
}

// fsync of a directory, so that a rename or a new entry in it is durable.
Status SyncDir(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return Errno("cannot open directory", dir);
  if (::fsync(fd.get()) != 0) return Errno("cannot sync directory", dir);
  return Status::Ok();
}

// mkdir (0700) that syncs the parent when it created the directory.
Status EnsureDir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), internal::kPrivateDirMode) == 0) {
    if (::chmod(dir.c_str(), internal::kPrivateDirMode) != 0) return Errno("cannot chmod", dir);
    return SyncDir(dir.parent_path());
  }
  if (errno == EEXIST) return Status::Ok();
  return Errno("cannot create directory", dir);
}

constexpr std::string_view kTempDir = "tmp";
constexpr std::string_view kTempSuffix = ".part";

}  // namespace

fs::path BlobsDir(const fs::path& data_dir) { return data_dir / "blobs"; }

bool LooksLikeSha256(std::string_view hex) {
  if (hex.size() != 64) return false;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

struct StagingFile::Hash {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Hash() { EVP_MD_CTX_free(ctx); }
};

Result<std::unique_ptr<StagingFile>> StagingFile::Create(const fs::path& blobs_dir) {
  QUIK_RETURN_IF_ERROR(EnsureDir(blobs_dir));
  const fs::path tmp = blobs_dir / kTempDir;
  QUIK_RETURN_IF_ERROR(EnsureDir(tmp));
  std::unique_ptr<StagingFile> f(new StagingFile());
  for (int attempt = 0;; ++attempt) {
    f->path_ = tmp / (internal::NewId(internal::NowMillis()) + std::string(kTempSuffix));
    Fd fd(internal::OpenPrivate(f->path_, O_RDWR | O_CREAT | O_EXCL));
    if (fd.get() < 0) return Errno("cannot create temp file", f->path_);
    if (::flock(fd.get(), LOCK_EX) != 0) {
      Status st = Errno("cannot lock temp file", f->path_);
      ::unlink(f->path_.c_str());
      return st;
    }
    // A sweep may have taken the file between open and flock (it was not
    // locked yet) and unlinked it: then start over with a new name.
    struct stat st {};
    if (::fstat(fd.get(), &st) == 0 && st.st_nlink > 0) {
      f->fd_ = std::move(fd);
      break;
    }
    if (attempt >= 3) return Unavailable("cannot create a temp file in " + tmp.string());
  }
  f->hash_ = std::make_unique<Hash>();
  if (f->hash_->ctx == nullptr || EVP_DigestInit_ex(f->hash_->ctx, EVP_sha256(), nullptr) != 1) {
    return Internal("cannot start a SHA-256 digest");
  }
  return f;
}

StagingFile::~StagingFile() {
  if (!forgotten_ && !path_.empty()) ::unlink(path_.c_str());
}

Status StagingFile::Append(std::string_view bytes) {
  if (!sha256_.empty()) return Internal("append to a finished temp file");
  if (EVP_DigestUpdate(hash_->ctx, bytes.data(), bytes.size()) != 1) {
    return Internal("SHA-256 update failed");
  }
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_.get(), bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("cannot write", path_);
    bytes.remove_prefix(static_cast<std::size_t>(n));
    size_ += n;
  }
  return Status::Ok();
}

Status StagingFile::Finish() {
  if (!sha256_.empty()) return Status::Ok();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(hash_->ctx, digest, &len) != 1) return Internal("SHA-256 final failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  if (::fsync(fd_.get()) != 0) return Errno("cannot sync", path_);
  sha256_ = std::move(hex);
  return Status::Ok();
}

Result<BlobLock> BlobLock::Acquire(const fs::path& blobs_dir, Mode mode) {
  QUIK_RETURN_IF_ERROR(EnsureDir(blobs_dir));
  const fs::path path = blobs_dir / ".lock";
  Fd fd(internal::OpenPrivate(path, O_RDWR | O_CREAT));
  if (fd.get() < 0) return Errno("cannot open", path);
  int rc;
  do {
    rc = ::flock(fd.get(), mode == Mode::kShared ? LOCK_SH : LOCK_EX);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return Errno("cannot lock", path);
  return BlobLock(std::move(fd));
}

fs::path BlobStore::PathOf(std::string_view sha256) const {
  const std::string hex(sha256);
  return dir_ / hex.substr(0, 2) / hex.substr(2, 2) / hex;
}

Status BlobStore::Place(StagingFile& staged) {
  QUIK_RETURN_IF_ERROR(staged.Finish());
  const fs::path target = PathOf(staged.sha256());
  QUIK_RETURN_IF_ERROR(EnsureDir(target.parent_path().parent_path()));
  QUIK_RETURN_IF_ERROR(EnsureDir(target.parent_path()));
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0 && st.st_size == staged.size()) {
    // The same content is stored already: keep that one, fresh for the GC grace.
    ::utimensat(AT_FDCWD, target.c_str(), nullptr, 0);
    return Status::Ok();  // the staging file removes itself
  }
  if (::rename(staged.path().c_str(), target.c_str()) != 0) return Errno("cannot rename", target);
  staged.Forget();
  QUIK_RETURN_IF_ERROR(SyncDir(target.parent_path()));
  return SyncDir(staged.path().parent_path());
}

Result<std::vector<BlobInfo>> BlobStore::List() const {
  std::vector<BlobInfo> out;
  std::error_code ec;
  if (!fs::exists(dir_, ec)) return out;
  for (const auto& a : fs::directory_iterator(dir_, ec)) {
    const std::string an = a.path().filename().string();
    if (an.size() != 2 || !a.is_directory(ec)) continue;  // tmp, .lock
    for (const auto& b : fs::directory_iterator(a.path(), ec)) {
      if (!b.is_directory(ec)) continue;
      for (const auto& f : fs::directory_iterator(b.path(), ec)) {
        const std::string name = f.path().filename().string();
        if (!LooksLikeSha256(name)) continue;
        struct stat st {};
        if (::stat(f.path().c_str(), &st) != 0) continue;
        out.push_back(BlobInfo{
            name, st.st_size,
            static_cast<Timestamp>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000});
      }
    }
  }
  if (ec) return Unavailable("cannot list " + dir_.string() + ": " + ec.message());
  return out;
}

Result<bool> BlobStore::Remove(std::string_view sha256) const {
  const fs::path path = PathOf(sha256);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return false;
    return Errno("cannot remove", path);
  }
  SyncDir(path.parent_path()).IgnoreError();
  return true;
}

std::int64_t BlobStore::SweepTemp() const {
  std::int64_t removed = 0;
  std::error_code ec;
  const fs::path tmp = dir_ / kTempDir;
  if (!fs::exists(tmp, ec)) return 0;
  for (const auto& entry : fs::directory_iterator(tmp, ec)) {
    const fs::path& path = entry.path();
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (fd.get() < 0) continue;
    // Held by a live upload (its own flock) or not ours to judge: skip.
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;
    if (::unlink(path.c_str()) == 0) ++removed;
  }
  return removed;
}

}  // namespace quik::files
