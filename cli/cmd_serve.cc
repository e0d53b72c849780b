// SPDX-License-Identifier: MIT
// quikctl serve: runs the HTTP server in the foreground until SIGTERM or SIGINT.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <quik/config.hpp>
#include <quik/datadir.hpp>
#include <quik/server.hpp>

#include "cli.hpp"

namespace quikctl {
namespace {

struct ServeFlags {
  std::string listen;
  std::string log_level;
  std::string admin_email = "admin@quik.local";
};

// Where the first start writes the instance admin's password.
constexpr std::string_view kInitialPasswordFile = "initial-admin-password";

// Writes `text` to a new file `path` of mode 0600, whatever the umask (an
// older file of that name is replaced; a symlink there is refused).
quik::Status WriteSecretFile(const std::filesystem::path& path, std::string_view text) {
  ::unlink(path.c_str());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  auto fail = [&] {
    return quik::Unavailable("cannot write " + path.string() + ": " + std::strerror(errno));
  };
  if (fd < 0) return fail();
  bool ok = ::fchmod(fd, 0600) == 0;
  while (ok && !text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) text.remove_prefix(static_cast<std::size_t>(n));
  }
  ok = ok && ::fsync(fd) == 0;
  quik::Status st = ok ? quik::Status::Ok() : fail();
  ::close(fd);
  return st;
}

// A record in the server's own log format, for what quikctl itself reports.
void LogLine(quik::LogLevel level, quik::LogLevel threshold, std::string_view msg,
             nlohmann::json fields = nlohmann::json::object()) {
  if (level < threshold) return;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  nlohmann::ordered_json record = {
      {"ts", quik::FormatTime(now)}, {"level", quik::LogLevelName(level)}, {"msg", msg}};
  for (auto& [key, value] : fields.items()) record[key] = value;
  std::cerr << record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

quik::Result<Printable> Serve(Cli& cli, const ServeFlags& flags) {
  // Signals are taken by sigwait below: block them before any thread starts (Server::Create starts
  // workers), so every server thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A closed stdout or stderr pipe must not kill a running server.
  signal(SIGPIPE, SIG_IGN);

  QUIK_ASSIGN_OR_RETURN(quik::Options options, cli.LoadOptions());
  if (!flags.listen.empty()) {
    if (!quik::ParseListenAddress(flags.listen)) {
      return quik::InvalidArgument("--listen '" + flags.listen +
                                   "': expected HOST:PORT, such as 127.0.0.1:8470");
    }
    options.server.listen = flags.listen;
  }
  if (!flags.log_level.empty()) {
    auto level = quik::ParseLogLevel(flags.log_level);
    if (!level) {
      return quik::InvalidArgument("--log-level '" + flags.log_level +
                                   "': expected debug, info, warn or error");
    }
    options.log.level = *level;
  }
  const quik::LogLevel threshold = options.log.level;

  // An empty or new data dir is initialised on the way (an initialised one
  // is left to storage.auto_migrate).
  if (!cli.RequireInitialised(options).ok()) {
    QUIK_ASSIGN_OR_RETURN(quik::InitResult init, quik::InitDataDir(options));
    LogLine(
        quik::LogLevel::kInfo, threshold, "initialised the data dir",
        {{"data_dir", options.data_dir.string()}, {"migrations_applied", init.migrations_applied}});
  }
  QUIK_ASSIGN_OR_RETURN(std::unique_ptr<quik::Server> server, quik::Server::Create(options));

  QUIK_RETURN_IF_ERROR(server->Start());
  // After a successful bind, so that the password is never handed to a run
  // that cannot serve.
  auto admin = server->service().users().CreateFirstAdmin(quik::Actor::System(), flags.admin_email);
  if (!admin.ok()) {
    server->Shutdown();
    server->Wait();
    return admin.status();
  }
  if (*admin) {
    // The password goes to a 0600 file, never to the log (logs are collected
    // and kept where anyone with access to them could read it); the log says
    // where, whatever the log level.
    std::error_code ec;
    std::filesystem::path file = std::filesystem::absolute(options.data_dir, ec);
    if (ec) file = options.data_dir;
    file /= kInitialPasswordFile;
    if (quik::Status st = WriteSecretFile(file, (*admin)->password + "\n"); !st.ok()) {
      LogLine(quik::LogLevel::kError, quik::LogLevel::kDebug,
              "first start: cannot write the instance admin's password; set one with "
              "`quikctl user set-password`",
              {{"email", (*admin)->user.email}, {"error", st.message()}});
    } else {
      LogLine(quik::LogLevel::kWarn, quik::LogLevel::kDebug,
              "first start: the instance admin's password is in this file (mode 0600); log in, "
              "change the password and delete the file (quikctl(1))",
              {{"email", (*admin)->user.email}, {"password_file", file.string()}});
    }
  }
  LogLine(quik::LogLevel::kInfo, threshold, "serving",
          {{"url", server->url()}, {"data_dir", options.data_dir.string()}});
  std::cout << "quik: listening on " << server->url() << std::endl;

  int received = 0;
  sigwait(&signals, &received);
  LogLine(quik::LogLevel::kInfo, threshold, "shutting down: finishing in-flight requests",
          {{"signal", received == SIGINT ? "SIGINT" : "SIGTERM"}});
  server->Shutdown();
  server->Wait();
  server.reset();
  LogLine(quik::LogLevel::kInfo, threshold, "stopped");
  Printable p;
  p.silent = true;
  return p;
}

}  // namespace

void AddServeCommand(CLI::App& app, Action* selected) {
  auto flags = std::make_shared<ServeFlags>();
  auto* serve = app.add_subcommand(
      "serve",
      "Run the HTTP API server in the foreground; initialises an empty data dir. Prints "
      "`quik: listening on http://HOST:PORT` on stdout once it accepts connections, logs JSON "
      "lines on stderr, and drains and exits 0 on SIGTERM or SIGINT.");
  serve
      ->add_option("--listen", flags->listen,
                   "Listen address (default: server.listen in quik.toml, else 127.0.0.1:8470; "
                   "port 0 picks a free port)")
      ->option_text("HOST:PORT");
  serve
      ->add_option("--log-level", flags->log_level,
                   "debug, info, warn or error (default: log.level)")
      ->option_text("LEVEL");
  serve
      ->add_option("--admin-email", flags->admin_email,
                   "Email of the instance admin created on the first start of a data dir "
                   "without users (default: admin@quik.local)")
      ->option_text("E");
  OnParsed(serve, selected, [flags](Cli& cli) { return Serve(cli, *flags); });
}

}  // namespace quikctl
