// SPDX-License-Identifier: MIT
// Shared by the manifest reader and the provisioning service.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quik/options.hpp"
#include "quik/provision.hpp"

namespace quik::provision {

// The line of an object that was not a map (ParseManifest reported it, and
// checks of its fields skip it).
inline constexpr int kUnreadable = -1;

// The most a manifest may expand to once YAML aliases (*name) are replaced by
// what their anchors (&name) name: bytes of text and values (scalars, lists,
// maps). Past either, ParseManifest refuses it at the alias that crossed it,
// before building anything (a few aliases of a big string would otherwise
// take gigabytes).
inline constexpr std::uint64_t kMaxManifestExpandedBytes = 32ULL << 20;
inline constexpr std::uint64_t kMaxManifestExpandedNodes = 1'000'000;

// Errors gathered from a whole manifest: "FILE:LINE: FIELD: PROBLEM" each.
struct Errors {
  std::string file;
  std::vector<std::pair<int, std::string>> items;  // (line, text)

  void Add(int line, std::string_view path, std::string_view problem);
  bool empty() const { return items.empty(); }
  // kInvalidArgument with one error per line, ordered by line; ok if none.
  Status ToStatus();
};

// The file name errors show ("manifest" when it has none).
std::string FileLabel(const Manifest& manifest);
// The workspace's slug: given, or derived from its name.
std::string WorkspaceSlug(const ManifestWorkspace& ws);
// How emails are compared: trimmed, ASCII lower-case.
std::string EmailKey(std::string_view email);
// A new user's name when the manifest gives none: the email's local part.
std::string DefaultName(std::string_view email);

// Checks every value that needs no data dir, within `limits`.
void Validate(const Manifest& manifest, const LimitsOptions& limits, Errors& errors);

}  // namespace quik::provision
