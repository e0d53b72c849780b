// The files of a Slack export, from its folder or its .zip (read with libzip;
// nothing is unpacked to disk).
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
  // The whole file; nullopt if it does not exist.
  Result<std::optional<std::string>> Read(std::string_view rel);
  // The file's bytes in chunks, to `sink` (which may stop the read with an
  // error); kNotFound if it does not exist.
  virtual Status Stream(std::string_view rel,
                        const std::function<Status(std::string_view)>& sink) = 0;
  // The file on disk when the export is a folder; nullopt in a zip (or if
  // it does not exist).
  virtual std::optional<std::filesystem::path> LocalPath(std::string_view rel) const = 0;
  // The size of a file, nullopt if it does not exist.
  virtual std::optional<std::int64_t> Size(std::string_view rel) const = 0;

  // How errors name a file of the export: "DIR/general/2017-12-01.json" or
  // "export.zip/general/2017-12-01.json".
  std::string Describe(std::string_view rel) const;
  const std::filesystem::path& path() const { return path_; }

 protected:
  explicit Archive(std::filesystem::path path) : path_(std::move(path)) {}

  std::filesystem::path path_;
  std::string root_;  // "" or "Folder/" inside the path
};

}  // namespace quik::transfer::slack
