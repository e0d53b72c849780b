// SPDX-License-Identifier: MIT
// The files of a Slack export, from its folder or its .zip (read with libzip;
// nothing is unpacked to disk).
//
// Untrusted input: a folder's symbolic links are never followed (they are
// listed by SkippedLinks, for the report, and are not files of the export);
// a zip entry is read with a bound on what it expands to, whatever it
// declares: never more than its declared size, and Read keeps at most
// kMaxReadBytes in memory, so a zip bomb ends in kInvalidArgument.
//
// Paths are relative to the export's root with '/' separators
// ("general/2017-12-01.json"). The root is where users.json is: the folder or
// zip itself, or its one top-level folder when the export was re-packed
// inside one ("Acme Slack export/users.json").
//
// Thread safety: one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quik/status.hpp"

namespace quik::transfer::slack {

class Archive {
 public:
  // kNotFound if `path` does not exist; kInvalidArgument if it is neither a
  // folder nor a zip archive, or holds no users.json.
  static Result<std::unique_ptr<Archive>> Open(const std::filesystem::path& path);

  virtual ~Archive() = default;

  // Every regular file, relative to the root, sorted.
  virtual const std::vector<std::string>& Files() const = 0;
  bool Contains(std::string_view rel) const;
  // The whole file; nullopt if it does not exist. kInvalidArgument if it
  // holds (or its zip entry expands to) more than `max_bytes`.
  static constexpr std::int64_t kMaxReadBytes = 256LL << 20;
  Result<std::optional<std::string>> Read(std::string_view rel,
                                          std::int64_t max_bytes = kMaxReadBytes);
  // The file's bytes in chunks, to `sink` (which may stop the read with an
  // error); kNotFound if it does not exist; kInvalidArgument if a zip entry
  // expands past its declared size.
  virtual Status Stream(std::string_view rel,
                        const std::function<Status(std::string_view)>& sink) = 0;
  // The file on disk when the export is a folder; nullopt in a zip (or if
  // it does not exist).
  virtual std::optional<std::filesystem::path> LocalPath(std::string_view rel) const = 0;
  // The size of a file, nullopt if it does not exist.
  virtual std::optional<std::int64_t> Size(std::string_view rel) const = 0;

  // The symbolic links found in a folder export, relative to the folder:
  // not followed, not read.
  const std::vector<std::string>& SkippedLinks() const { return skipped_links_; }

  // How errors name a file of the export: "DIR/general/2017-12-01.json" or
  // "export.zip/general/2017-12-01.json".
  std::string Describe(std::string_view rel) const;
  const std::filesystem::path& path() const { return path_; }

 protected:
  explicit Archive(std::filesystem::path path) : path_(std::move(path)) {}

  std::filesystem::path path_;
  std::string root_;  // "" or "Folder/" inside the path
  std::vector<std::string> skipped_links_;
};

}  // namespace quik::transfer::slack
