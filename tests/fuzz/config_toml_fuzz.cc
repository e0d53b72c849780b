// SPDX-License-Identifier: MIT
// quik.toml (config/config.cc): ParseOptions and CheckOptionsText (quikctl
// config check) must agree on whether the text is valid; the small value
// parsers get the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "quik/config.hpp"
#include "quik/options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  quik::Options options;
  const quik::Status parsed = quik::ParseOptions(text, "quik.toml", &options);
  const auto problems = quik::CheckOptionsText(text, "quik.toml");
  if (parsed.ok() != problems.empty()) {
    std::fprintf(stderr, "ParseOptions: %s\nCheckOptionsText: %zu problems%s%s\n",
                 parsed.ok() ? "ok" : parsed.message().c_str(), problems.size(),
                 problems.empty() ? "" : ", first: ", problems.empty() ? "" : problems[0].c_str());
    abort();
  }
  if (parsed.ok()) (void)quik::ListSettings(options);
  (void)quik::ParseDuration(text);
  (void)quik::ParseListenAddress(text);
  (void)quik::ParseLogLevel(text);
  return 0;
}
