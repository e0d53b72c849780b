// SPDX-License-Identifier: MIT
// Catch2's main, except that a test case or leaf section that asserts nothing
// fails (Catch2 v2 takes only one --warn on the command line, which the ctest
// entries spend on NoTests: tests/CMakeLists.txt).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

int main(int argc, char* argv[]) {
  Catch::Session session;
  if (const int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  auto& config = session.configData();
  config.warnings =
      static_cast<Catch::WarnAbout::What>(config.warnings | Catch::WarnAbout::NoAssertions);
  return session.run();
}
