// SPDX-License-Identifier: MIT
#include "quik/version.hpp"

#include <openssl/crypto.h>

#include <google/protobuf/stubs/common.h>
#include <boost/version.hpp>

#include "store/backup.hpp"

// Set on this file only by libquik/CMakeLists.txt, so a new commit recompiles
// nothing else.
#ifndef QUIK_VERSION
#define QUIK_VERSION "0.0.0"
#endif
#ifndef QUIK_GIT_COMMIT
#define QUIK_GIT_COMMIT ""
#endif

namespace quik {
namespace {

// 3021012 -> "3.21.12", 107400 -> "1.74.0".
std::string Dotted(long v, long major_div, long minor_div) {
  return std::to_string(v / major_div) + "." +
         std::to_string(v / minor_div % (major_div / minor_div)) + "." +
         std::to_string(v % minor_div);
}

}  // namespace

std::string Version() { return QUIK_VERSION; }

BuildInfo GetBuildInfo() {
  BuildInfo info;
  info.version = QUIK_VERSION;
  info.git_commit = QUIK_GIT_COMMIT;
  info.sqlite = store::SqliteVersion();
  info.lmdb = store::LmdbVersion();
#ifdef OPENSSL_VERSION_STRING
  info.openssl = OpenSSL_version(OPENSSL_VERSION_STRING);
#else
  info.openssl = OpenSSL_version(OPENSSL_VERSION);
#endif
  info.boost = Dotted(BOOST_VERSION, 100000, 100);
  info.protobuf = Dotted(GOOGLE_PROTOBUF_VERSION, 1000000, 1000);
#if defined(__clang__)
  info.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  info.compiler = "gcc " __VERSION__;
#endif
  return info;
}

}  // namespace quik
