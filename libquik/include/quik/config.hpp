// SPDX-License-Identifier: MIT
// Loading quik::Options from a quik.toml file (toml++ underneath).
//
// Errors are kInvalidArgument and name the file, the line and the key, as
// "FILE:LINE: key 'storage.sync': expected \"full\" or \"normal\"". Unknown
// keys and sections are errors, so a typo never silently falls back to a
// default (unknown sections are reported as "unknown section 'x'"). Keys that
// are absent keep the value already in `*options`; a file with any error
// changes nothing. Durations are capped at 36500d.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quik/options.hpp"
#include "quik/status.hpp"

namespace quik {

// Applies the TOML text `toml` (named `source_name` in errors) to `*options`.
Status ParseOptions(std::string_view toml, std::string_view source_name, Options* options);

// Reads `path` and applies it to `*options`. A missing file is kNotFound.
Status LoadOptionsFile(const std::filesystem::path& path, Options* options);

// The commented quik.toml that `quikctl init` writes: every key, commented
// out, at its default.
std::string DefaultConfigText();

// One key of quik.toml: its full name ("storage.sync"), its value in some
// Options and its default, both as TOML text, and its one-line help.
struct ConfigSetting {
  std::string key;
  std::string value;
  std::string default_value;
  std::string help;
};
// Every key of quik.toml, in file order, with its value in `options`.
std::vector<ConfigSetting> ListSettings(const Options& options);

// Every problem of the TOML text (ParseOptions stops at the first), each as
// "SOURCE:LINE: message", in the order of the file. Empty: the text is valid.
std::vector<std::string> CheckOptionsText(std::string_view toml, std::string_view source_name);

// Parses "30d", "12h", "90m", "45s" (a positive integer and a unit).
Result<std::chrono::seconds> ParseDuration(std::string_view text);

// A listen address "HOST:PORT": an IPv4 address, a host name, or an IPv6
// address in brackets ("[::1]:8470"); the port 0..65535.
struct ListenAddress {
  std::string host;  // without brackets
  std::uint16_t port = 0;
};
std::optional<ListenAddress> ParseListenAddress(std::string_view text);

// "debug", "info", "warn", "error" and back.
std::string_view LogLevelName(LogLevel level);
std::optional<LogLevel> ParseLogLevel(std::string_view name);

}  // namespace quik
