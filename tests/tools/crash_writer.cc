// SPDX-License-Identifier: MIT
// The child process of the crash test (tests/integration/crash_test.cc).
//
//   quik_crash_writer DATA_DIR CHANNEL_REF USER_REF FIRST_N [sync]
//
// Posts messages "msg-N" with client_msg_id "cid-N" for N = FIRST_N, FIRST_N+1,
// ... from 4 threads, and after each post is acknowledged writes "N\n" to
// stdout with one write(2), so that what the parent reads was acknowledged
// before the kill. Runs until killed.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "quik/quik.hpp"

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s DATA_DIR CHANNEL_REF USER_REF FIRST_N [full|normal]\n",
                 argv[0]);
    return 2;
  }
  quik::Options options;
  options.data_dir = argv[1];
  options.auth.scrypt_log2_n = 10;
  options.storage.sync = (argc > 5 && std::string(argv[5]) == "normal") ? quik::SyncMode::kNormal
                                                                        : quik::SyncMode::kFull;
  auto service = quik::Service::Open(options);
  if (!service.ok()) {
    std::fprintf(stderr, "open: %s\n", service.status().ToString().c_str());
    return 1;
  }
  auto user = (*service)->users().Get(quik::Actor::System(), argv[3]);
  if (!user.ok()) {
    std::fprintf(stderr, "user: %s\n", user.status().ToString().c_str());
    return 1;
  }
  std::atomic<long> next{std::atol(argv[4])};
  const std::string channel = argv[2];
  const quik::Actor actor = quik::Actor::ForUser(user->id);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        long n = next.fetch_add(1);
        quik::NewMessage msg;
        msg.text = "msg-" + std::to_string(n);
        msg.client_msg_id = "cid-" + std::to_string(n);
        auto posted = (*service)->messages().Post(actor, channel, msg);
        if (!posted.ok()) {
          std::fprintf(stderr, "post %ld: %s\n", n, posted.status().ToString().c_str());
          std::_Exit(1);
        }
        std::string line = std::to_string(n) + "\n";
        if (write(STDOUT_FILENO, line.data(), line.size()) < 0) std::_Exit(1);
      }
    });
  }
  for (auto& t : threads) t.join();
}
