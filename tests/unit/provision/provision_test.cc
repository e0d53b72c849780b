// SPDX-License-Identifier: MIT
// Manifests (ParseManifest, ManifestYaml) and ProvisionService: plan, apply,
// prune, the events apply appends, and Export back to a manifest.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "quik/provision.hpp"
#include "unit/testing/service_fixture.hpp"

namespace {

using quik::Manifest;
using quik::ParseManifest;
using quik::StatusCode;
using quik_test::ServiceFixture;
using quik_test::System;

Manifest Parse(const std::string& text) { return REQUIRE_VALUE(ParseManifest(text, "m.yaml")); }

// The error lines of a failed parse.
std::vector<std::string> ErrorsOf(const std::string& text) {
  auto r = ParseManifest(text, "m.yaml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  std::vector<std::string> lines;
  std::string msg = r.status().message();
  for (std::size_t at = 0; at <= msg.size();) {
    std::size_t nl = msg.find('\n', at);
    if (nl == std::string::npos) nl = msg.size();
    lines.push_back(msg.substr(at, nl - at));
    at = nl + 1;
  }
  return lines;
}

bool HasLine(const std::vector<std::string>& lines, const std::string& prefix,
             const std::string& part) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.rfind(prefix, 0) == 0 && l.find(part) != std::string::npos;
  });
}

std::vector<std::string> Lines(const quik::ProvisionPlan& plan) {
  std::vector<std::string> out;
  for (const auto& c : plan.changes) out.push_back(c.line);
  return out;
}

const char* kContractExample = R"(apiVersion: quik/v1
workspaces:
  - name: Acme
    slug: acme
    members:
      - {email: alice@acme.test, name: Alice, role: admin}
      - {email: bob@acme.test, name: Bob}
    channels:
      - {name: general}
      - {name: leads, private: true, topic: "Sales leads", members: [alice@acme.test]}
)";

TEST_CASE("ParseManifest reads the contract's example", "[provision]") {
  Manifest m = Parse(kContractExample);
  REQUIRE(m.workspaces.size() == 1);
  const auto& ws = m.workspaces[0];
  CHECK(ws.name == "Acme");
  CHECK(ws.slug == "acme");
  CHECK(ws.line == 3);
  REQUIRE(ws.members);
  REQUIRE(ws.members->size() == 2);
  CHECK((*ws.members)[0].role == quik::Role::kAdmin);
  CHECK_FALSE((*ws.members)[1].role.has_value());
  CHECK((*ws.members)[1].line == 7);
  REQUIRE(ws.channels);
  const auto& leads = (*ws.channels)[1];
  CHECK(leads.is_private == true);
  CHECK(leads.topic == "Sales leads");
  REQUIRE(leads.members);
  CHECK(*leads.members == std::vector<std::string>{"alice@acme.test"});
  CHECK_FALSE((*ws.channels)[0].members.has_value());
}

TEST_CASE("ParseManifest reports every error with its file, line and field", "[provision]") {
  auto lines = ErrorsOf(R"(apiVersion: quik/v1
workspaces:
  - name: Acme
    colour: blue
    members:
      - {email: not-an-email}
      - {name: Nobody}
      - {email: bob@acme.test, role: boss}
      - {email: BOB@acme.test}
    channels:
      - {name: "bad name!"}
      - {private: maybe}
      - {name: ok, members: alice@acme.test}
)");
  CHECK(HasLine(lines, "m.yaml:4: workspaces[0].colour:", "unknown field"));
  CHECK(HasLine(lines, "m.yaml:6: workspaces[0].members[0].email:", "invalid email"));
  CHECK(HasLine(lines, "m.yaml:7: workspaces[0].members[1].email:", "required"));
  CHECK(HasLine(lines, "m.yaml:8: workspaces[0].members[2].role:", "unknown role 'boss'"));
  CHECK(HasLine(lines, "m.yaml:9: workspaces[0].members[3].email:", "listed twice"));
  CHECK(HasLine(lines, "m.yaml:11: workspaces[0].channels[0].name:", "may contain only"));
  CHECK(HasLine(lines, "m.yaml:12: workspaces[0].channels[1].private:", "true or false"));
  CHECK(HasLine(lines, "m.yaml:12: workspaces[0].channels[1].name:", "required"));
  CHECK(HasLine(lines, "m.yaml:13: workspaces[0].channels[2].members:", "expected a list"));
  CHECK(lines.size() == 9);
  // Ordered by line.
  CHECK(lines.front().rfind("m.yaml:4:", 0) == 0);
}

TEST_CASE("ParseManifest: apiVersion, shape and malformed YAML", "[provision]") {
  CHECK(HasLine(ErrorsOf("workspaces: []\n"), "m.yaml:1: apiVersion:", "required"));
  CHECK(HasLine(ErrorsOf("apiVersion: quik/v2\nworkspaces: []\n"),
                "m.yaml:1: apiVersion:", "'quik/v2' is not supported"));
  CHECK(HasLine(ErrorsOf(""), "m.yaml:1:", "empty"));
  CHECK(HasLine(ErrorsOf("apiVersion: quik/v1\nworkspaces:\n  - just-a-name\n"),
                "m.yaml:3: workspaces[0]:", "expected a workspace"));
  CHECK(HasLine(ErrorsOf("apiVersion: quik/v1\nworkspaces:\n  - {name: A, members:}\n"),
                "m.yaml:3: workspaces[0].members:", "write [] for an empty list"));
  // Two workspaces whose names give the same slug.
  CHECK(HasLine(ErrorsOf("apiVersion: quik/v1\nworkspaces:\n  - {name: Acme}\n  - {name: ACME}\n"),
                "m.yaml:4: workspaces[1].slug:", "declared twice (first at line 3)"));
  auto bad = ErrorsOf("apiVersion: quik/v1\nworkspaces:\n  - name: [unclosed\n");
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].rfind("m.yaml:", 0) == 0);
  CHECK(bad[0].find("malformed YAML") != std::string::npos);
  auto tab = ErrorsOf("apiVersion: quik/v1\nworkspaces:\n  - name: A\n   slug: b\n");
  CHECK(tab[0].rfind("m.yaml:4:", 0) == 0);
}

TEST_CASE("ParseManifest: YAML aliases may not expand past the bound", "[provision][limits]") {
  // The finding: one big anchored string and thousands of aliases of it
  // (1 MiB x 5000: gigabytes once copied). Refused at the alias that crosses
  // the bound, naming the file and line, before anything is built.
  std::string text = "apiVersion: quik/v1\nx-big: &big " + std::string(1 << 20, 'a') +
                     "\nworkspaces:\n  - name: Acme\n    channels:\n";
  for (int i = 0; i < 5000; ++i) {
    text += "      - {name: c" + std::to_string(i) + ", topic: *big}\n";
  }
  auto r = ParseManifest(text, "bomb.yaml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  const std::string& msg = r.status().message();
  INFO(msg.substr(0, 300));
  // 32 MiB of text: the 32nd alias (line 5 + 31) crosses it.
  CHECK(msg.rfind("bomb.yaml:36: ", 0) == 0);
  CHECK(msg.find("aliases") != std::string::npos);

  // Nested aliases (a billion laughs) are counted as what they expand to.
  std::string laughs = "apiVersion: quik/v1\nl0: &l0 [ha, ha, ha, ha, ha, ha, ha, ha, ha, ha]\n";
  for (int i = 1; i < 9; ++i) {
    laughs += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j)
      laughs += std::string(j ? ", " : "") + "*l" + std::to_string(i - 1);
    laughs += "]\n";
  }
  laughs += "workspaces: []\n";
  auto lol = ParseManifest(laughs, "lol.yaml");
  REQUIRE_FALSE(lol.ok());
  CHECK(lol.status().message().rfind("lol.yaml:", 0) == 0);
  CHECK(lol.status().message().find("values once its aliases are expanded") != std::string::npos);

  // Aliases within the bound are fine: a member list reused.
  Manifest ok = Parse(R"(apiVersion: quik/v1
workspaces:
  - name: Acme
    members: &people
      - {email: alice@acme.test}
      - {email: bob@acme.test}
  - name: Beta
    members: *people
)");
  REQUIRE(ok.workspaces.size() == 2);
  CHECK(ok.workspaces[1].members->size() == 2);
}

TEST_CASE("ManifestYaml writes what ParseManifest reads back", "[provision]") {
  Manifest m = Parse(kContractExample);
  (*m.workspaces[0].members)[0].name = "yes";  // would read as a bool unquoted
  std::string yaml = quik::ManifestYaml(m);
  Manifest again = Parse(yaml);
  CHECK(quik::ManifestJson(again) == quik::ManifestJson(m));
  CHECK(yaml.find("- {email: bob@acme.test, name: Bob}") != std::string::npos);
}

TEST_CASE("apply creates, then finds nothing to change", "[provision]") {
  ServiceFixture f;
  auto& p = f.svc().provision();
  Manifest m = Parse(kContractExample);
  auto plan = REQUIRE_VALUE(p.Plan(System(), m, false));
  CHECK(Lines(plan) == std::vector<std::string>{
                           "+ user alice@acme.test (Alice)",
                           "+ user bob@acme.test (Bob)",
                           "+ workspace acme (Acme)",
                           "+ member acme alice@acme.test (admin)",
                           "+ member acme bob@acme.test (member)",
                           "+ channel acme/#general (public)",
                           "+ channel acme/#leads (private, topic \"Sales leads\")",
                           "+ member acme/#leads alice@acme.test",
                       });
  // Plan changed nothing.
  CHECK(REQUIRE_VALUE(f.workspaces().List(System())).empty());

  auto applied = REQUIRE_VALUE(p.Apply(System(), m, false));
  CHECK(Lines(applied) == Lines(plan));
  auto leads = REQUIRE_VALUE(f.channels().Get(System(), "acme/#leads"));
  CHECK(leads.kind == quik::ChannelKind::kPrivate);
  CHECK(leads.topic == "Sales leads");
  auto alice = REQUIRE_VALUE(f.users().Get(System(), "alice@acme.test"));
  CHECK(REQUIRE_VALUE(f.workspaces().GetMember(System(), "acme", alice.id)).role ==
        quik::Role::kAdmin);
  CHECK(REQUIRE_VALUE(f.channels().ListMembers(System(), "acme/#leads")).size() == 1);

  CHECK(REQUIRE_VALUE(p.Apply(System(), m, false)).changes.empty());
  CHECK(REQUIRE_VALUE(p.Apply(System(), m, true)).changes.empty());

  // The events of the equivalent service calls.
  std::vector<std::string> types;
  auto events = REQUIRE_VALUE(f.events().Read(System(), 0, 1000));
  for (const auto& e : events) types.push_back(e.type);
  auto count = [&](const std::string& t) { return std::count(types.begin(), types.end(), t); };
  CHECK(count("user.created") == 2);
  CHECK(count("workspace.created") == 1);
  CHECK(count("channel.created") == 2);
  CHECK(count("member.joined") == 3);
}

TEST_CASE("apply updates roles, topics and archive state and prune removes the rest",
          "[provision]") {
  ServiceFixture f;
  auto& p = f.svc().provision();
  REQUIRE_OK(p.Apply(System(), Parse(kContractExample), false));
  auto carol = f.CreateUser("Carol", "carol@acme.test");
  auto ws = REQUIRE_VALUE(f.workspaces().Get(System(), "acme"));
  f.AddMember(ws, carol, quik::Role::kOwner);
  f.CreateChannel(System(), ws, "old");
  REQUIRE_OK(f.channels().AddMember(System(), "acme/#leads", carol.id));

  Manifest m = Parse(R"(apiVersion: quik/v1
workspaces:
  - name: Acme Inc
    slug: acme
    members:
      - {email: alice@acme.test, role: owner}
      - {email: bob@acme.test, name: Robert}
    channels:
      - {name: general, topic: Hello}
      - {name: leads, members: [alice@acme.test, bob@acme.test]}
)");
  auto plan = REQUIRE_VALUE(p.Plan(System(), m, /*prune=*/true));
  CHECK(Lines(plan) == std::vector<std::string>{
                           "~ workspace acme name \"Acme\" -> \"Acme Inc\"",
                           "~ member acme alice@acme.test role admin -> owner",
                           "- member acme carol@acme.test",
                           "~ channel acme/#general topic \"\" -> \"Hello\"",
                           "+ member acme/#leads bob@acme.test",
                           "- archive channel acme/#old",
                       });
  // Without prune: carol stays, #old stays.
  CHECK(REQUIRE_VALUE(p.Plan(System(), m, false)).changes.size() == 4);

  auto post = f.Post(quik::Actor::ForUser(carol.id), "acme/#old", "keep me");
  REQUIRE_VALUE(p.Apply(System(), m, true));
  CHECK(REQUIRE_VALUE(f.workspaces().Get(System(), "acme")).name == "Acme Inc");
  CHECK_CODE(f.workspaces().GetMember(System(), "acme", carol.id), StatusCode::kNotFound);
  CHECK(REQUIRE_VALUE(f.channels().Get(System(), "acme/#old")).archived);
  CHECK(REQUIRE_VALUE(f.messages().Get(System(), post.id)).text == "keep me");
  // Bob's name is his own: apply does not rename existing users.
  CHECK(REQUIRE_VALUE(f.users().Get(System(), "bob@acme.test")).name == "Bob");
  CHECK(REQUIRE_VALUE(p.Plan(System(), m, true)).changes.empty());

  // Listing the archived channel without archived: true unarchives it.
  Manifest again = m;
  again.workspaces[0].channels->push_back(quik::ManifestChannel{"old", {}, {}, {}, {}, false, 0});
  CHECK(Lines(REQUIRE_VALUE(p.Apply(System(), again, false))) ==
        std::vector<std::string>{"+ unarchive channel acme/#old"});
  CHECK_FALSE(REQUIRE_VALUE(f.channels().Get(System(), "acme/#old")).archived);
}

TEST_CASE("apply refuses what it cannot do, naming the line, and applies nothing", "[provision]") {
  ServiceFixture f;
  auto& p = f.svc().provision();
  REQUIRE_OK(p.Apply(System(), Parse(kContractExample), false));
  auto before = REQUIRE_VALUE(f.events().Read(System(), 0, 1000)).size();

  // A channel's visibility; a channel member outside the workspace; the last
  // owner demoted.
  auto r = p.Apply(System(), Parse(R"(apiVersion: quik/v1
workspaces:
  - name: Acme
    slug: acme
    channels:
      - {name: new-one}
      - {name: leads, private: false}
      - {name: general, members: [zed@acme.test]}
)"),
                   false);
  REQUIRE_CODE(r, StatusCode::kInvalidArgument);
  CHECK(r.status().message().find("m.yaml:7: workspaces[0].channels[1].private: #leads is "
                                  "private") != std::string::npos);
  CHECK(r.status().message().find("m.yaml:8: workspaces[0].channels[2].members[0]: zed@acme.test "
                                  "is not a member of workspace acme") != std::string::npos);
  CHECK_CODE(f.channels().Get(System(), "acme/#new-one"), StatusCode::kNotFound);
  CHECK(REQUIRE_VALUE(f.events().Read(System(), 0, 1000)).size() == before);

  auto owner = R"(apiVersion: quik/v1
workspaces:
  - name: Acme
    slug: acme
    members:
      - {email: alice@acme.test, role: owner}
)";
  REQUIRE_OK(p.Apply(System(), Parse(owner), false));
  auto demote = p.Plan(System(), Parse(R"(apiVersion: quik/v1
workspaces:
  - name: Acme
    slug: acme
    members:
      - {email: alice@acme.test}
)"),
                       true);
  REQUIRE_CODE(demote, StatusCode::kInvalidArgument);
  CHECK(demote.status().message().find("m.yaml:6: workspaces[0].members: this would leave "
                                       "workspace acme without an owner") != std::string::npos);
}

TEST_CASE("Export gives the manifest that applies as no change", "[provision]") {
  ServiceFixture f;
  auto& p = f.svc().provision();
  REQUIRE_OK(p.Apply(System(), Parse(kContractExample), false));
  auto alice = REQUIRE_VALUE(f.users().Get(System(), "alice@acme.test"));
  auto bob = REQUIRE_VALUE(f.users().Get(System(), "bob@acme.test"));
  auto ws = REQUIRE_VALUE(f.workspaces().Get(System(), "acme"));
  // A DM is not part of a manifest.
  REQUIRE_VALUE(f.channels().OpenDirect(System(), "acme", {alice.id, bob.id}));
  REQUIRE_VALUE(f.channels().Archive(System(), "acme/#general"));

  Manifest exported = REQUIRE_VALUE(p.Export(System(), "acme"));
  const auto& mws = exported.workspaces.at(0);
  CHECK(mws.channels->size() == 2);
  CHECK((*mws.channels)[0].archived);
  std::string yaml = quik::ManifestYaml(exported);
  Manifest back = Parse(yaml);
  CHECK(REQUIRE_VALUE(p.Plan(System(), back, true)).changes.empty());
  CHECK(yaml.find("dm-") == std::string::npos);

  // Only an instance admin (or the system) may provision or export.
  auto user = quik::Actor::ForUser(alice.id);
  CHECK_CODE(p.Export(user, "acme"), StatusCode::kPermissionDenied);
  CHECK_CODE(p.Apply(user, back, false), StatusCode::kPermissionDenied);
  (void)ws;
}

}  // namespace
