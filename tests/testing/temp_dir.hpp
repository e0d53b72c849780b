// SPDX-License-Identifier: MIT
// The one temporary-directory helper of the tests (unit and integration).
//
//   quik_test::TempDir tmp;                 // $TMPDIR/quik-test-XXXXXX
//   quik_test::TempDir tmp("quik-crash");   // $TMPDIR/quik-crash-XXXXXX
//   tmp.path() / "data"
//
// Free of Catch2 on purpose: it reports failure by throwing std::system_error,
// so it can be used from any thread and from code that is not a test case.
#pragma once

#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <system_error>

namespace quik_test {

// A directory under std::filesystem::temp_directory_path(), made by mkdtemp
// (so unique to this object and mode 0700), and removed with everything in it
// on destruction.
class TempDir {
 public:
  // Makes <temp dir>/<prefix>-XXXXXX; throws std::system_error on failure.
  explicit TempDir(const std::string& prefix = "quik-test") {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      const int err = errno;
      throw std::system_error(err, std::generic_category(), "mkdtemp " + pattern);
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace quik_test
