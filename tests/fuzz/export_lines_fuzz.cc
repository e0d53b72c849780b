// SPDX-License-Identifier: MIT
// A quik-export file (quikctl import --format quik): the importer's
// validating pass over its JSON lines (transfer/export_lines.hpp Validate). The bytes
// are handed over as an in-memory file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

#include "transfer/export_lines.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const int fd = memfd_create("quik-export", 0);
  if (fd < 0) abort();
  if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) abort();
  (void)quik::transfer::Validate("/proc/self/fd/" + std::to_string(fd));
  return 0;
}
