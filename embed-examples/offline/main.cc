// SPDX-License-Identifier: MIT
// Embeds libquik without a server: provisions a workspace in a data dir and
// posts a message through the same service layer the HTTP API uses.
//   embed_offline DATA_DIR
#include <cstdio>

#include <quik/quik.hpp>

int main(int argc, char** argv) {
  if (argc != 2) return std::fprintf(stderr, "usage: embed_offline DATA_DIR\n"), 2;
  quik::Options opts;
  opts.data_dir = argv[1];
  if (auto init = quik::InitDataDir(opts); !init.ok()) {
    return std::fprintf(stderr, "%s\n", init.status().ToString().c_str()), 1;
  }
  auto svc = quik::Service::Open(opts);
  if (!svc.ok()) return std::fprintf(stderr, "%s\n", svc.status().ToString().c_str()), 1;
  const auto sys = quik::Actor::System();
  auto user = (*svc)->users().Create(sys, {"host@example.test", "Host", std::nullopt, false});
  auto ws = (*svc)->workspaces().Create(sys, {"Embedded", ""});
  if (!user.ok() || !ws.ok()) return std::fprintf(stderr, "provisioning failed\n"), 1;
  auto member = (*svc)->workspaces().AddMember(sys, ws->id, user->id, quik::Role::kOwner);
  auto ch = (*svc)->channels().Create(sys, ws->id, {"general", false, ""});
  if (!member.ok() || !ch.ok()) return std::fprintf(stderr, "provisioning failed\n"), 1;
  auto posted = (*svc)->messages().Post(quik::Actor::ForUser(user->id), ch->id, {"hello", "", ""});
  if (!posted.ok()) return std::fprintf(stderr, "%s\n", posted.status().ToString().c_str()), 1;
  std::printf("%s\n", quik::ToJson(posted->message).dump().c_str());
  return 0;
}
