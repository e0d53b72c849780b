// SPDX-License-Identifier: MIT
// What the benchmarks share: dying with a message, flag lists, percentiles
// and the run's temporary directory.
#pragma once

#include <errno.h>  // program_invocation_short_name
#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "quik/options.hpp"
#include "quik/status.hpp"

namespace quik_bench {

// "bench_http: WHAT" on stderr, exit 1.
[[noreturn]] inline void Die(const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, what.c_str());
  std::exit(1);
}

template <typename T>
T ValueOrDie(quik::Result<T> result, const std::string& what) {
  if (!result.ok()) Die(what + ": " + result.status().ToString());
  return std::move(result).value();
}

// "1,16,64" -> {"1", "16", "64"}.
inline std::vector<std::string> SplitCommas(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    size_t comma = s.find(',');
    out.emplace_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

inline const char* SyncName(quik::SyncMode m) {
  return m == quik::SyncMode::kFull ? "full" : "normal";
}

// Parses "normal,full" into `out`; false on an unknown mode.
inline bool ParseSyncList(std::string_view text, std::vector<quik::SyncMode>* out) {
  out->clear();
  for (const auto& s : SplitCommas(text)) {
    if (s != "normal" && s != "full") return false;
    out->push_back(s == "full" ? quik::SyncMode::kFull : quik::SyncMode::kNormal);
  }
  return true;
}

// Calls `on_flag(name, value)` for each "--name value" or "--name=value" of
// the command line ("--keep", "--help" and "-h" take no value) and `usage()`
// (which exits) when a value is missing, a flag is unknown (`on_flag` returns
// false) or a value does not parse (`on_flag` throws).
template <typename OnFlag>
void ForEachFlag(int argc, char** argv, void (*usage)(), OnFlag&& on_flag) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (arg != "--keep" && arg != "--help" && arg != "-h") {
      if (i + 1 >= argc) usage();
      value = argv[++i];
    }
    try {
      if (!on_flag(arg, value)) usage();
    } catch (const std::exception&) {
      usage();
    }
  }
}

// The p-quantile (0..1) of `v`, which it partially reorders; 0 if empty.
inline std::uint32_t Percentile(std::vector<std::uint32_t>& v, double p) {
  if (v.empty()) return 0;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// A fresh directory PREFIX-XXXXXX under `parent` (the system temp dir if empty).
inline std::filesystem::path MakeRunDir(const std::filesystem::path& parent_flag,
                                        const std::string& prefix) {
  const std::filesystem::path parent =
      parent_flag.empty() ? std::filesystem::temp_directory_path() : parent_flag;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  std::string tmpl = (parent / (prefix + "-XXXXXX")).string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    Die("mkdtemp in " + parent.string() + ": " + std::strerror(errno));
  }
  return tmpl;
}

}  // namespace quik_bench
