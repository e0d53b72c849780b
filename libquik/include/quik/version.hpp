// SPDX-License-Identifier: MIT
// The version of libquik and of the libraries it is built with.
#pragma once

#include <string>

namespace quik {

struct BuildInfo {
  std::string version;     // the CMake project version, "0.1.0"
  std::string git_commit;  // the commit built, when the source was a git checkout; else ""
  std::string sqlite;      // the SQLite library in use (run time)
  std::string lmdb;        // the LMDB library in use (run time)
  std::string openssl;     // the OpenSSL library in use (run time)
  std::string boost;       // Boost headers built against
  std::string protobuf;    // Protobuf headers built against
  std::string compiler;    // the compiler that built libquik
};

// libquik's version, "MAJOR.MINOR.PATCH".
std::string Version();
// The whole BuildInfo. Thread-safe.
BuildInfo GetBuildInfo();

}  // namespace quik
