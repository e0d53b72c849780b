// SPDX-License-Identifier: MIT
// A manifest (quikctl apply): ParseManifest, and a parsed manifest written
// back as YAML must parse again (provision.hpp promises the round trip).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "quik/provision.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto manifest = quik::ParseManifest(text, "fuzz.yaml");
  if (!manifest.ok()) return 0;
  const std::string yaml = quik::ManifestYaml(*manifest);
  auto again = quik::ParseManifest(yaml, "round-trip.yaml");
  if (!again.ok()) {
    std::fprintf(stderr, "ManifestYaml wrote what ParseManifest refuses:\n%s\n%s\n", yaml.c_str(),
                 again.status().message().c_str());
    abort();
  }
  (void)quik::ManifestJson(*manifest).dump();
  return 0;
}
