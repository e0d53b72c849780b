// SPDX-License-Identifier: MIT
// Runs the built quikctl (QUIKCTL_PATH) as a child process in a temp data dir
// and captures its stdout, stderr and exit code; ServeProcess runs
// `quikctl serve` in the background.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/child_process.hpp"
#include "testing/temp_dir.hpp"

extern char** environ;

#include <catch2/catch.hpp>

namespace quik::testing {

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;

  nlohmann::json Json() const { return nlohmann::json::parse(out); }
  // For failure messages.
  std::string Describe() const {
    return "exit " + std::to_string(exit_code) + "\n--- stdout\n" + out + "--- stderr\n" + err;
  }
};

// Runs `path` with `args`, feeding `input` on stdin. `env` entries replace (or,
// with an empty value, remove) variables of the current environment.
inline CliRun RunProcess(const std::string& path, const std::vector<std::string>& args,
                         const std::string& input = {},
                         const std::map<std::string, std::string>& env = {},
                         const std::string& cwd = {}) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    std::string name = entry.substr(0, entry.find('='));
    if (env.count(name) == 0) env_strings.push_back(entry);
  }
  for (const auto& [name, value] : env) {
    if (!value.empty()) env_strings.push_back(name + "=" + value);
  }
  std::vector<char*> argv{const_cast<char*>(path.c_str())};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    execve(path.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);

  CliRun run;
  std::size_t written = 0;
  int in_fd = in_pipe[1];
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  // A child that exits without reading stdin must not kill us with SIGPIPE.
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old);
  int out_fd = out_pipe[0], err_fd = err_pipe[0];
  while (out_fd >= 0 || err_fd >= 0 || in_fd >= 0) {
    std::vector<pollfd> fds;
    if (in_fd >= 0) fds.push_back({in_fd, POLLOUT, 0});
    if (out_fd >= 0) fds.push_back({out_fd, POLLIN, 0});
    if (err_fd >= 0) fds.push_back({err_fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in_fd) {
        ssize_t n = write(in_fd, input.data() + written, input.size() - written);
        if (n > 0) written += static_cast<std::size_t>(n);
        if (n < 0 || written == input.size()) {
          close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      char buf[65536];
      ssize_t n = read(p.fd, buf, sizeof buf);
      if (n > 0) {
        (p.fd == out_fd ? run.out : run.err).append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(p.fd);
        (p.fd == out_fd ? out_fd : err_fd) = -1;
      }
    }
  }
  sigaction(SIGPIPE, &old, nullptr);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

// A fresh temp dir with an initialised data dir in it (unless told not to),
// whose quik.toml keeps password hashing cheap so tests stay fast.
class QuikctlEnv {
 public:
  explicit QuikctlEnv(bool init = true) : dir_("quikctl-test"), data_dir_(dir_.path() / "data") {
    if (init) {
      CliRun r = Run({"init"});
      if (r.exit_code != 0) throw std::runtime_error("quikctl init failed: " + r.Describe());
      WriteConfig(kFastConfig);
    }
  }
  QuikctlEnv(const QuikctlEnv&) = delete;
  QuikctlEnv& operator=(const QuikctlEnv&) = delete;

  static constexpr const char* kFastConfig =
      "# written by the quikctl tests\n"
      "[storage]\n"
      "sync = \"normal\"\n"
      "\n"
      "[auth]\n"
      "scrypt_log2_n = 10\n";

  const std::filesystem::path& root() const { return dir_.path(); }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  std::filesystem::path config_path() const { return data_dir_ / "quik.toml"; }

  void WriteConfig(const std::string& text) const {
    std::ofstream(config_path(), std::ios::trunc) << text;
  }

  // quikctl --data-dir DATA_DIR ARGS...
  CliRun Run(const std::vector<std::string>& args, const std::string& input = {}) const {
    std::vector<std::string> full{"--data-dir", data_dir_.string()};
    full.insert(full.end(), args.begin(), args.end());
    return RunProcess(QUIKCTL_PATH, full, input, {{"QUIK_DATA_DIR", ""}});
  }
  // quikctl ARGS... with no --data-dir, in the given environment, run in the
  // temp dir (so ./quik-data is root()/quik-data).
  CliRun RunRaw(const std::vector<std::string>& args,
                const std::map<std::string, std::string>& env = {},
                const std::string& input = {}) const {
    return RunProcess(QUIKCTL_PATH, args, input, env, root().string());
  }
  // quikctl --data-dir DATA_DIR -o json ARGS..., which must succeed.
  nlohmann::json Json(const std::vector<std::string>& args, const std::string& input = {}) const {
    std::vector<std::string> full{"-o", "json"};
    full.insert(full.end(), args.begin(), args.end());
    CliRun r = Run(full, input);
    if (r.exit_code != 0) throw std::runtime_error("quikctl failed: " + r.Describe());
    return r.Json();
  }

 private:
  quik_test::TempDir dir_;  // root(); declared first, so made before data_dir_
  std::filesystem::path data_dir_;
};

// `quikctl --data-dir DATA_DIR serve --listen 127.0.0.1:0 EXTRA...` in the
// background. The constructor returns once the server printed its listening
// line (and throws if it exits or stays silent for `startup` instead); Stop()
// or the destructor sends SIGTERM and reaps it. Its stdout and stderr go to
// DATA_DIR.serve.out and DATA_DIR.serve.err beside the data dir.
class ServeProcess {
 public:
  explicit ServeProcess(const std::filesystem::path& data_dir,
                        const std::vector<std::string>& extra_args = {},
                        std::chrono::milliseconds startup = std::chrono::seconds(30))
      : out_path_(data_dir.string() + ".serve.out"), err_path_(data_dir.string() + ".serve.err") {
    std::vector<std::string> args{QUIKCTL_PATH, "--data-dir", data_dir.string(),
                                  "serve",      "--listen",   "127.0.0.1:0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string entry = *e;
      std::string name = entry.substr(0, entry.find('='));
      if (name != "QUIK_DATA_DIR" && name != "QUIK_TOKEN") env_strings.push_back(entry);
    }
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t parent = getpid();
    // A previous run's files must not be read as this one's (a stale URL).
    std::error_code ignored;
    std::filesystem::remove(out_path_, ignored);
    std::filesystem::remove(err_path_, ignored);

    pid_ = fork();
    if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (pid_ == 0) {
      // A test that dies must not leave a server behind.
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(125);
      int in = open("/dev/null", O_RDONLY);
      int out = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (in < 0 || out < 0 || err < 0) _exit(126);
      dup2(in, 0);
      dup2(out, 1);
      dup2(err, 2);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + startup;
    const std::string prefix = "quik: listening on ";
    for (;;) {
      std::string out = ReadFile(out_path_);
      auto at = out.find(prefix);
      auto eol = at == std::string::npos ? at : out.find('\n', at);
      if (eol != std::string::npos) {
        url_ = out.substr(at + prefix.size(), eol - at - prefix.size());
        return;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("quikctl serve exited before listening:\n--- stdout\n" + out +
                                 "--- stderr\n" + log());
      }
      if (std::chrono::steady_clock::now() > deadline) {
        Stop();
        throw std::runtime_error("quikctl serve printed no listening line:\n--- stdout\n" + out +
                                 "--- stderr\n" + log());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  ~ServeProcess() { Stop(); }

  // "http://127.0.0.1:PORT", as the listening line names it.
  const std::string& url() const { return url_; }
  pid_t pid() const { return pid_; }
  // The server's stderr (its JSON log lines) so far.
  std::string log() const { return ReadFile(err_path_); }

  // SIGTERM, then the exit code (128 + signal if killed); SIGKILL after
  // `grace`. -1 if it was already stopped.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(20)) {
    if (pid_ <= 0) return -1;
    const int code = quik::internal::StopChild(pid_, grace);
    pid_ = -1;
    return code;
  }

 private:
  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  std::string out_path_, err_path_;
  pid_t pid_ = -1;
  std::string url_;
};

}  // namespace quik::testing

// Requires a quikctl run to have exited with `code`, showing its output if not.
#define REQUIRE_EXIT(run, code)                  \
  do {                                           \
    const ::quik::testing::CliRun& run_ = (run); \
    INFO(run_.Describe());                       \
    REQUIRE(run_.exit_code == (code));           \
  } while (0)
