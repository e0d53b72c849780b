// SPDX-License-Identifier: MIT
#include "transfer/slack/archive.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <system_error>

namespace quik::transfer::slack {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kChunk = 64 * 1024;

// Finds the export's root among `all` (every file, relative to the folder or
// zip): "" if users.json is at the top, "X/" if it is in exactly one
// top-level folder X. nullopt otherwise.
std::optional<std::string> FindRoot(const std::vector<std::string>& all) {
  if (std::binary_search(all.begin(), all.end(), "users.json")) return std::string();
  std::optional<std::string> root;
  for (const std::string& f : all) {
    const std::size_t slash = f.find('/');
    if (slash == std::string::npos || f.substr(slash + 1) != "users.json") continue;
    if (root) return std::nullopt;  // two candidates: ambiguous
    root = f.substr(0, slash + 1);
  }
  return root;
}

// The files under `root`, without it.
std::vector<std::string> Under(const std::vector<std::string>& all, const std::string& root) {
  std::vector<std::string> out;
  for (const std::string& f : all) {
    if (f.size() > root.size() && f.compare(0, root.size(), root) == 0) {
      out.push_back(f.substr(root.size()));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status NoExport(const fs::path& path) {
  return InvalidArgument(path.string() +
                         ": not a Slack export: no users.json at its top (or in its one "
                         "top-level folder)");
}

class DirArchive : public Archive {
 public:
  static Result<std::unique_ptr<Archive>> Open(const fs::path& path) {
    std::vector<std::string> all;
    std::vector<std::string> links;
    std::error_code ec;
    // Symbolic links are not followed (the iterator does not enter linked
    // folders either): an export is untrusted and a link may lead anywhere.
    for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::file_status st = it->symlink_status(ec);
      if (ec) break;
      if (fs::is_symlink(st)) {
        // fs::relative would resolve the link itself: name its folder.
        const fs::path folder = fs::relative(it->path().parent_path(), path, ec);
        links.push_back((folder / it->path().filename()).lexically_normal().generic_string());
        continue;
      }
      if (!fs::is_regular_file(st)) continue;
      all.push_back(fs::relative(it->path(), path, ec).generic_string());
    }
    if (ec) return Unavailable(path.string() + ": cannot read the folder: " + ec.message());
    std::sort(all.begin(), all.end());
    std::sort(links.begin(), links.end());
    auto root = FindRoot(all);
    if (!root) return NoExport(path);
    auto archive = std::unique_ptr<DirArchive>(new DirArchive(path));
    archive->skipped_links_ = std::move(links);
    archive->root_ = *root;
    archive->files_ = Under(all, *root);
    return std::unique_ptr<Archive>(std::move(archive));
  }

  const std::vector<std::string>& Files() const override { return files_; }

  Status Stream(std::string_view rel,
                const std::function<Status(std::string_view)>& sink) override {
    if (!Contains(rel)) return NotFound(Describe(rel) + ": no such file in the export");
    // O_NOFOLLOW: a file made a link since the listing is refused, not followed.
    const int fd = ::open(FullPath(rel).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      return Unavailable(Describe(rel) + ": cannot open the file: " + std::strerror(errno));
    }
    std::string buf(kChunk, '\0');
    Status st;
    for (;;) {
      const ssize_t got = ::read(fd, buf.data(), buf.size());
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        st = Unavailable(Describe(rel) + ": read error: " + std::strerror(errno));
        break;
      }
      if (got == 0) break;
      st = sink(std::string_view(buf.data(), static_cast<std::size_t>(got)));
      if (!st.ok()) break;
    }
    ::close(fd);
    return st;
  }

  std::optional<fs::path> LocalPath(std::string_view rel) const override {
    if (!Contains(rel)) return std::nullopt;
    return FullPath(rel);
  }

  std::optional<std::int64_t> Size(std::string_view rel) const override {
    if (!Contains(rel)) return std::nullopt;
    std::error_code ec;
    auto size = fs::file_size(FullPath(rel), ec);
    if (ec) return std::nullopt;
    return static_cast<std::int64_t>(size);
  }

 private:
  explicit DirArchive(fs::path path) : Archive(std::move(path)) {}
  fs::path FullPath(std::string_view rel) const { return path_ / (root_ + std::string(rel)); }

  std::vector<std::string> files_;
};

class ZipArchive : public Archive {
 public:
  static Result<std::unique_ptr<Archive>> Open(const fs::path& path) {
    int err = 0;
    zip_t* za = zip_open(path.c_str(), ZIP_RDONLY, &err);
    if (za == nullptr) {
      zip_error_t ze;
      zip_error_init_with_code(&ze, err);
      std::string why = zip_error_strerror(&ze);
      zip_error_fini(&ze);
      return InvalidArgument(path.string() + ": not a folder or a readable zip archive (" + why +
                             ")");
    }
    auto archive = std::unique_ptr<ZipArchive>(new ZipArchive(path, za));
    std::vector<std::string> all;
    std::map<std::string, zip_uint64_t> index;
    const zip_int64_t n = zip_get_num_entries(za, 0);
    for (zip_int64_t i = 0; i < n; ++i) {
      const char* name = zip_get_name(za, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_GUESS);
      if (name == nullptr) continue;
      std::string s = name;
      if (s.empty() || s.back() == '/') continue;  // a folder entry
      index.emplace(s, static_cast<zip_uint64_t>(i));
      all.push_back(std::move(s));
    }
    std::sort(all.begin(), all.end());
    auto root = FindRoot(all);
    if (!root) return NoExport(path);
    archive->root_ = *root;
    archive->files_ = Under(all, *root);
    for (const std::string& f : archive->files_) archive->index_[f] = index.at(*root + f);
    return std::unique_ptr<Archive>(std::move(archive));
  }

  ~ZipArchive() override { zip_discard(za_); }

  const std::vector<std::string>& Files() const override { return files_; }

  Status Stream(std::string_view rel,
                const std::function<Status(std::string_view)>& sink) override {
    auto it = index_.find(std::string(rel));
    if (it == index_.end()) return NotFound(Describe(rel) + ": no such file in the export");
    // What the entry may expand to: its declared size, and not a byte more
    // (libzip checks the CRC only at the end, after all the bytes).
    const std::optional<std::int64_t> declared = Size(rel);
    if (!declared) {
      return InvalidArgument(Describe(rel) + ": the zip entry does not declare its size");
    }
    zip_file_t* zf = zip_fopen_index(za_, it->second, 0);
    if (zf == nullptr) {
      return InvalidArgument(Describe(rel) + ": cannot read it from the zip archive (" +
                             zip_strerror(za_) + ")");
    }
    std::string buf(kChunk, '\0');
    Status st;
    std::int64_t total = 0;
    for (;;) {
      const zip_int64_t got = zip_fread(zf, buf.data(), buf.size());
      if (got < 0) {
        st = InvalidArgument(Describe(rel) + ": damaged zip entry (" + zip_file_strerror(zf) + ")");
        break;
      }
      if (got == 0) break;
      total += got;
      if (total > *declared) {
        st = InvalidArgument(Describe(rel) + ": the zip entry expands past the " +
                             std::to_string(*declared) +
                             " bytes it declares (a damaged archive or a zip bomb); refused");
        break;
      }
      st = sink(std::string_view(buf.data(), static_cast<std::size_t>(got)));
      if (!st.ok()) break;
    }
    zip_fclose(zf);
    return st;
  }

  std::optional<fs::path> LocalPath(std::string_view) const override { return std::nullopt; }

  std::optional<std::int64_t> Size(std::string_view rel) const override {
    auto it = index_.find(std::string(rel));
    if (it == index_.end()) return std::nullopt;
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(za_, it->second, 0, &st) != 0 || (st.valid & ZIP_STAT_SIZE) == 0) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(st.size);
  }

 private:
  ZipArchive(fs::path path, zip_t* za) : Archive(std::move(path)), za_(za) {}

  zip_t* za_;
  std::vector<std::string> files_;
  std::map<std::string, zip_uint64_t, std::less<>> index_;
};

}  // namespace

Result<std::unique_ptr<Archive>> Archive::Open(const fs::path& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    return NotFound(path.string() + ": no such file or folder");
  }
  if (fs::is_directory(status)) return DirArchive::Open(path);
  return ZipArchive::Open(path);
}

Result<std::optional<std::string>> Archive::Read(std::string_view rel, std::int64_t max_bytes) {
  if (!Contains(rel)) return std::optional<std::string>();
  auto too_big = [&] {
    return InvalidArgument(Describe(rel) + ": larger than " + std::to_string(max_bytes >> 20) +
                           " MiB, the most one file of a Slack export may hold; refused");
  };
  const std::optional<std::int64_t> size = Size(rel);
  if (size && *size > max_bytes) return too_big();
  std::string out;
  if (size) out.reserve(static_cast<std::size_t>(*size));
  QUIK_RETURN_IF_ERROR(Stream(rel, [&](std::string_view chunk) -> Status {
    if (static_cast<std::int64_t>(out.size() + chunk.size()) > max_bytes) return too_big();
    out.append(chunk);
    return Status::Ok();
  }));
  return std::optional<std::string>(std::move(out));
}

bool Archive::Contains(std::string_view rel) const {
  const auto& files = Files();
  return std::binary_search(files.begin(), files.end(), rel,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

std::string Archive::Describe(std::string_view rel) const {
  return (path_ / (root_ + std::string(rel))).string();
}

}  // namespace quik::transfer::slack
