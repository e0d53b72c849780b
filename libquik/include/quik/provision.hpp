// SPDX-License-Identifier: MIT
// quik::ProvisionService: declarative provisioning from a manifest
// (CONTRACT.md section 4; `quikctl apply -f FILE.yaml`).
//
// A manifest declares workspaces, their members and their public and private
// channels (never DMs). Plan compares it with the data dir and lists what
// would change; Apply makes those changes in one write transaction, so a
// failure anywhere applies nothing. Applying the same manifest twice makes
// no change the second time.
//
// What a manifest manages (the full format is in quikctl(1), MANIFEST):
//  - workspaces are matched by slug (derived from the name when omitted, as
//    `workspace create` does); a new one is created, an existing one renamed
//    to the manifest's name;
//  - members are matched by email (case-insensitively); a user who does not
//    exist is created (no password; the name given, or the email's local
//    part); an existing user's name is NOT changed (display names belong to
//    their users and span workspaces); role defaults to member and is set;
//  - channels are matched by name within the workspace; `private` is set on
//    creation and must match an existing channel (apply never changes a
//    channel's visibility); `topic` is set when given; `members`, when
//    given, are added; `archived` defaults to false and is set (an archived
//    channel that the manifest lists without `archived: true` is unarchived).
//  - With prune: workspace members not listed are removed (never the last
//    owner), channel members not listed are removed, and channels not listed
//    are archived. A workspace without a `members` key, a channel without a
//    `members` key and a workspace without a `channels` key leave those
//    alone even with prune. Messages and DMs are never touched.
//
// Errors: kInvalidArgument, whose message holds one error per line, each
// "FILE:LINE: FIELD: PROBLEM" (FIELD like workspaces[0].channels[2].name;
// "FIELD: PROBLEM" for objects without a line, built in code).
//
// Thread safety: all methods may be called from any thread concurrently.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "quik/actor.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"

namespace quik {
namespace internal {
struct Context;
}

// The only apiVersion this library reads and writes.
inline constexpr std::string_view kManifestApiVersion = "quik/v1";

struct ManifestMember {
  std::string email;                // required
  std::optional<std::string> name;  // only used to create the user; default: email's local part
  std::optional<Role> role;         // Default: member (apply sets it)
  int line = 0;                     // 1-based line in the file; 0: not from a file
};

struct ManifestChannel {
  std::string name;                // required; normalized like `channel create` does
  std::optional<bool> is_private;  // Default: false for a new channel; checked on an old one
  std::optional<std::string>
      topic;  // Default: none (a new channel has none; an old one keeps its own)
  // Default: unmanaged (nullopt). Given: these workspace members are in it
  // (and, with prune, only these).
  std::optional<std::vector<std::string>> members;
  std::vector<int> member_lines;  // the line of each entry of `members`
  bool archived = false;          // Default: false (apply archives or unarchives)
  int line = 0;
};

struct ManifestWorkspace {
  std::string name;  // required
  std::string slug;  // Default: derived from the name
  // Default: unmanaged (nullopt).
  std::optional<std::vector<ManifestMember>> members;
  std::optional<std::vector<ManifestChannel>> channels;
  int line = 0;
};

struct Manifest {
  std::string file_name;  // for error messages; empty: "manifest"
  std::string api_version = std::string(kManifestApiVersion);
  std::vector<ManifestWorkspace> workspaces;
};

// Parses a YAML (or JSON) manifest. Checks its shape and every value that
// needs no data dir: apiVersion, unknown keys, types, required fields,
// emails, roles, slugs and channel names, duplicates, and channel members
// that the workspace's `members` does not list (those must already be
// members: Plan checks that). Collects every error, not just the first.
Result<Manifest> ParseManifest(std::string_view text, std::string_view file_name);

// A manifest as YAML that ParseManifest reads back, in the layout of
// CONTRACT.md section 4 (members as flow maps, channels as block maps), and
// as JSON (the same document).
std::string ManifestYaml(const Manifest& manifest);
nlohmann::json ManifestJson(const Manifest& manifest);

// One change of a plan.
struct PlanChange {
  // create, update, archive, unarchive, add, remove, set-role.
  std::string action;
  // user, workspace, member (of a workspace), channel, channel-member.
  std::string kind;
  // The object: "bob@acme.test", "acme", "acme bob@acme.test",
  // "acme/#leads", "acme/#leads bob@acme.test".
  std::string target;
  // What changes, e.g. "role member -> admin"; may be empty.
  std::string detail;
  // The human line: "+ member acme bob@acme.test (member)".
  std::string line;
};

struct ProvisionPlan {
  std::vector<PlanChange> changes;  // in the order Apply makes them
  // What it leaves alone on purpose, one human line each ("! member acme
  // eve@x.test not added: ..."): an existing account that signed up by itself
  // and that no admin or email-bound invite vouched for is never made a
  // member by a manifest.
  std::vector<std::string> skipped;
};

class ProvisionService {
 public:
  explicit ProvisionService(internal::Context* ctx) : ctx_(ctx) {}

  // The system or an instance admin (it creates users and workspaces).
  // What Apply would change now; changes nothing.
  Result<ProvisionPlan> Plan(const Actor& actor, const Manifest& manifest, bool prune);
  // Plans again inside one write transaction and makes every change, with the
  // events the equivalent service calls append; all or nothing.
  Result<ProvisionPlan> Apply(const Actor& actor, const Manifest& manifest, bool prune);

  // The manifest of one workspace (`ref`: id or slug) as it is now, which
  // Apply takes back as "no change": its members (email, name, role) and its
  // public and private channels (name, private, topic, members, archived),
  // no DMs. The system or an instance admin.
  Result<Manifest> Export(const Actor& actor, std::string_view ref);

 private:
  internal::Context* ctx_;
};

}  // namespace quik
