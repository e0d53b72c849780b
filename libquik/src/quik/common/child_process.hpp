// SPDX-License-Identifier: MIT
// Stopping a child process: for quikctl bench (its `quikctl serve` child) and
// the integration tests (ServeProcess).
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace quik::internal {

// Sends SIGTERM to child `pid`, waits up to `grace` for it to exit, then
// SIGKILLs it, and reaps it. Returns its exit code, or 128 + the signal that
// ended it.
inline int StopChild(pid_t pid, std::chrono::milliseconds grace) {
  kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace quik::internal
