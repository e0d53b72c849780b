// SPDX-License-Identifier: MIT
// Hosts the QuikApp server on its own threads until SIGINT/SIGTERM: embed_minimal [DIR [--smoke]]
#include <csignal>
#include <cstdio>
#include <string_view>

#include <quik/quik.hpp>
#include <quik/server.hpp>

int Fail(const quik::Status& st) { return std::fprintf(stderr, "%s\n", st.ToString().c_str()), 1; }

int main(int argc, char** argv) {
  sigset_t stop;  // blocked before any thread starts (Create starts some) and taken by sigwait
  sigemptyset(&stop), sigaddset(&stop, SIGINT), sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  quik::Options opts;  // every field has a default, e.g. server.listen = "127.0.0.1:8470"
  opts.data_dir = argc > 1 ? argv[1] : "quik-data";
  const bool smoke = argc > 2 && std::string_view(argv[2]) == "--smoke";
  if (smoke) opts.server.listen = "127.0.0.1:0";  // any free port
  if (auto init = quik::InitDataDir(opts); !init.ok()) return Fail(init.status());
  auto server = quik::Server::Create(opts);
  if (!server.ok()) return Fail(server.status());
  if (auto st = (*server)->Start(); !st.ok()) return Fail(st);
  std::printf("serving %s\n", (*server)->url().c_str()), std::fflush(stdout);
  auto& svc = (*server)->service();  // the in-process API: the same rules as over HTTP
  if (int sig = 0; !smoke) sigwait(&stop, &sig);
  if (smoke && !svc.workspaces().Create(quik::Actor::System(), {"Smoke", ""}).ok()) return 1;
  (*server)->Shutdown();  // stop accepting and let in-flight requests finish...
  (*server)->Wait();      // ...then join the server's threads
  return 0;
}
