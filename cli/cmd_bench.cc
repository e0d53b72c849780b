// SPDX-License-Identifier: MIT
// quikctl bench ws: a WebSocket fan-out load test, in the spirit of
// redis-benchmark and pgbench.
//
// It provisions a throw-away data dir (one workspace, one public channel, N
// subscriber users and a poster, each with an API token) through the service
// layer, runs `quikctl serve` on it as a child process so that it can read the
// server's memory and CPU from /proc, opens N WebSocket connections (one per
// user: the server limits connections per user) on one io_context thread,
// posts M messages over P keep-alive HTTP connections at an open-loop rate and
// measures how the server fans them out: delivered events/s, publish-to-receive
// latency (the poster's steady-clock send time travels in the message text),
// server CPU per delivered event, and the server's RSS per idle connection.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <quik/actor.hpp>
#include <quik/auth.hpp>
#include <quik/channels.hpp>
#include <quik/config.hpp>
#include <quik/datadir.hpp>
#include <quik/service.hpp>
#include <quik/users.hpp>
#include <quik/workspaces.hpp>

#include "cli.hpp"
#include "common/child_process.hpp"
#include "net/http_client.hpp"

namespace quikctl {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using nlohmann::json;

// Message texts are this marker and the poster's send time (steady clock, ns).
constexpr std::string_view kTextMarker = "qbench ";
constexpr const char* kWsTarget = "/api/v1/ws";
// Handshakes in flight while the subscribers connect.
constexpr int kMaxHandshakesInFlight = 256;
// Giving up: no new connection, or no new delivery, for this long.
constexpr auto kStallTimeout = std::chrono::seconds(30);
// Threads that provision the subscribers (group commit batches their writes).
constexpr int kProvisionThreads = 16;

struct WsFlags {
  int subscribers = 1000;
  int messages = 2000;
  double rate = 100;  // x 1000 subscribers: the 100,000 events/s target
  int publishers = 4;
  double idle_seconds = 2;
  std::string sync = "normal";
  std::string dir;  // parent of the run's temp dir; empty: the system temp dir
  bool keep = false;
};

std::uint64_t NowNs() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

// ---- Ctrl-C -------------------------------------------------------------------

// SIGINT/SIGTERM set the flag (every wait below polls it) and pass SIGTERM on
// to the server child, so that an interrupted run still reaps the child and
// removes its temp dir on the way out.
std::atomic<bool> g_interrupted{false};
std::atomic<pid_t> g_server_pid{0};

extern "C" void OnInterrupt(int) {
  g_interrupted.store(true);
  const pid_t child = g_server_pid.load();
  if (child > 0) kill(child, SIGTERM);
}

class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupted.store(false);
    struct sigaction action {};
    action.sa_handler = OnInterrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &old_pipe_);
  }
  ~InterruptGuard() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGPIPE, &old_pipe_, nullptr);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction old_int_ {
  }, old_term_{}, old_pipe_{};
};

quik::Status Interrupted() { return quik::Unavailable("interrupted"); }

// Sleeps for `d`, waking early on an interrupt; false if interrupted.
bool SleepFor(std::chrono::nanoseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (!g_interrupted.load()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(
        std::min<std::chrono::nanoseconds>(until - now, std::chrono::milliseconds(20)));
  }
  return false;
}

// ---- the run's temp dir and the server child -----------------------------------

// A fresh directory quik-bench-ws-XXXXXX, removed at the end unless kept.
class RunDir {
 public:
  static quik::Result<std::unique_ptr<RunDir>> Make(const std::string& parent_flag, bool keep) {
    std::error_code ec;
    const std::filesystem::path parent = parent_flag.empty()
                                             ? std::filesystem::temp_directory_path(ec)
                                             : std::filesystem::path(parent_flag);
    std::filesystem::create_directories(parent, ec);
    std::string name = (parent / "quik-bench-ws-XXXXXX").string();
    if (mkdtemp(name.data()) == nullptr) {
      return quik::Unavailable("cannot make a temp dir in " + parent.string() + ": " +
                               std::strerror(errno));
    }
    return std::unique_ptr<RunDir>(new RunDir(name, keep));
  }
  ~RunDir() {
    std::error_code ignored;
    if (!keep_) std::filesystem::remove_all(path_, ignored);
  }
  RunDir(const RunDir&) = delete;
  RunDir& operator=(const RunDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  RunDir(std::filesystem::path path, bool keep) : path_(std::move(path)), keep_(keep) {}
  std::filesystem::path path_;
  bool keep_;
};

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The last `lines` lines of `text`.
std::string Tail(const std::string& text, int lines) {
  std::size_t at = text.size();
  if (at > 0 && text[at - 1] == '\n') --at;
  for (int i = 0; i < lines && at != std::string::npos && at > 0; ++i) {
    at = text.rfind('\n', at - 1);
  }
  return at == std::string::npos ? text : text.substr(at + 1);
}

// The value of "Name:   123 kB" in /proc/PID/status, in KiB.
std::optional<std::uint64_t> StatusKiB(pid_t pid, std::string_view name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 &&
        line[name.size()] == ':') {
      return std::strtoull(line.c_str() + name.size() + 1, nullptr, 10);
    }
  }
  return std::nullopt;
}

// utime + stime of a process (all its threads), in microseconds.
std::optional<std::uint64_t> ProcessCpuUs(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces; the fields after it may not.
  const std::size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  std::uint64_t utime = 0, stime = 0;
  // Fields 3 (state) .. 13 precede utime (14) and stime (15).
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  if (!fields) return std::nullopt;
  const long ticks = sysconf(_SC_CLK_TCK);
  return (utime + stime) * 1'000'000u / static_cast<std::uint64_t>(ticks > 0 ? ticks : 100);
}

// This process's CPU time (all threads), in microseconds.
std::uint64_t OwnCpuUs() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto us = [](const timeval& tv) {
    return static_cast<std::uint64_t>(tv.tv_sec) * 1'000'000u +
           static_cast<std::uint64_t>(tv.tv_usec);
  };
  return us(usage.ru_utime) + us(usage.ru_stime);
}

// `quikctl --data-dir DIR serve --listen 127.0.0.1:0` as a child process; the
// destructor stops (SIGTERM, SIGKILL after a grace period) and reaps it. The
// child dies with this thread (PR_SET_PDEATHSIG) should quikctl itself die.
class ServerChild {
 public:
  static quik::Result<std::unique_ptr<ServerChild>> Start(const std::filesystem::path& data_dir,
                                                          const std::filesystem::path& log_path) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return quik::Internal(std::string("pipe: ") + strerror(errno));
    const std::string data = data_dir.string(), log = log_path.string();
    const char* argv[] = {"quikctl",  "--data-dir",  data.c_str(), "serve",
                          "--listen", "127.0.0.1:0", nullptr};
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) return quik::Internal(std::string("fork: ") + strerror(errno));
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(125);
      const int in = open("/dev/null", O_RDONLY);
      const int err = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (in < 0 || err < 0) _exit(126);
      dup2(in, 0);
      dup2(out[1], 1);
      dup2(err, 2);
      execv("/proc/self/exe", const_cast<char* const*>(argv));
      _exit(127);
    }
    close(out[1]);
    std::unique_ptr<ServerChild> child(new ServerChild(pid, out[0], log_path));
    QUIK_RETURN_IF_ERROR(child->ReadListeningLine());
    return child;
  }

  ~ServerChild() { Stop(); }
  ServerChild(const ServerChild&) = delete;
  ServerChild& operator=(const ServerChild&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& url() const { return url_; }  // http://127.0.0.1:PORT
  std::uint16_t port() const { return port_; }
  // The end of the server's log, for error messages.
  std::string LogTail() const { return Tail(ReadFile(log_path_), 5); }

  // Whether the child still runs; reaps it if not.
  bool Running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_) return true;
    Forget();
    return false;
  }

  void Stop() {
    if (pid_ <= 0) return;
    quik::internal::StopChild(pid_, std::chrono::seconds(20));
    Forget();
  }

 private:
  ServerChild(pid_t pid, int out_fd, std::filesystem::path log_path)
      : pid_(pid), out_fd_(out_fd), log_path_(std::move(log_path)) {
    g_server_pid.store(pid);
  }

  void Forget() {
    g_server_pid.store(0);
    pid_ = -1;
    if (out_fd_ >= 0) close(out_fd_);
    out_fd_ = -1;
  }

  // Waits for `quik: listening on http://HOST:PORT` on the child's stdout.
  quik::Status ReadListeningLine() {
    constexpr std::string_view kPrefix = "quik: listening on ";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::string out;
    for (;;) {
      const std::size_t eol = out.find('\n');
      if (eol != std::string::npos) {
        const std::size_t at = out.rfind(kPrefix, eol);
        if (at == std::string::npos) {
          return quik::Internal("quikctl serve printed '" + out.substr(0, eol) +
                                "' instead of its listening line");
        }
        url_ = out.substr(at + kPrefix.size(), eol - at - kPrefix.size());
        const std::size_t colon = url_.rfind(':');
        if (url_.rfind("http://", 0) != 0 || colon == std::string::npos) {
          return quik::Internal("quikctl serve listens on " + url_ + ", expected http://HOST:PORT");
        }
        port_ = static_cast<std::uint16_t>(std::strtoul(url_.c_str() + colon + 1, nullptr, 10));
        return quik::Status::Ok();
      }
      if (g_interrupted.load()) return Interrupted();
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return quik::Unavailable("quikctl serve printed no listening line within 60 s: " +
                                 LogTail());
      }
      pollfd p{out_fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 100))) <= 0) continue;
      char buf[512];
      const ssize_t n = read(out_fd_, buf, sizeof buf);
      if (n > 0) {
        out.append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        Stop();
        return quik::Unavailable("quikctl serve exited before listening: " + LogTail());
      }
    }
  }

  pid_t pid_;
  int out_fd_;
  std::filesystem::path log_path_;
  std::string url_;
  std::uint16_t port_ = 0;
};

// ---- provisioning ---------------------------------------------------------------

// The quik.toml of the run: room for every connection, cheap password
// hashing, no request-rate or login limits, quiet logs.
std::string BenchConfig(const WsFlags& flags) {
  const int connections = flags.subscribers + flags.publishers + 64;
  return "# written by quikctl bench ws\n"
         "[storage]\n"
         "sync = \"" +
         flags.sync +
         "\"\n"
         "\n[auth]\n"
         "scrypt_log2_n = 10\n"
         "login_max_failures = 0\n"
         "login_max_failures_per_address = 0\n"
         "login_rate_per_address = 0\n"
         "\n[server]\n"
         "max_connections = " +
         std::to_string(connections) +
         "\n"
         "max_connections_per_address = " +  // every client is on 127.0.0.1
         std::to_string(connections) +
         "\n"
         "drain_timeout = \"2s\"\n"
         "\n[http]\n"
         "user_rate = 0\n"
         "address_rate = 0\n"
         "\n[log]\n"
         "level = \"warn\"\n";
}

struct Fixture {
  std::string channel_id;
  std::string poster_token;
  std::vector<std::string> subscriber_tokens;
};

// A user who is a member of the workspace and the channel, and an API token.
quik::Result<std::string> AddTokenUser(quik::Service& svc, const std::string& ws_id,
                                       const std::string& channel_id, const std::string& email) {
  const quik::Actor system = quik::Actor::System();
  quik::NewUser spec;
  spec.email = email;
  spec.name = email.substr(0, email.find('@'));
  QUIK_ASSIGN_OR_RETURN(quik::User user, svc.users().Create(system, spec));
  QUIK_RETURN_IF_ERROR(
      svc.workspaces().AddMember(system, ws_id, user.id, quik::Role::kMember).status());
  QUIK_RETURN_IF_ERROR(svc.channels().AddMember(system, channel_id, user.id));
  quik::NewToken token;
  token.name = "bench";
  QUIK_ASSIGN_OR_RETURN(quik::IssuedToken issued, svc.auth().CreateToken(system, user.id, token));
  return issued.secret;
}

// One workspace, one public channel, the poster and the subscribers, through
// the service layer on the (not yet served) data dir.
quik::Result<Fixture> Provision(const quik::Options& options, int subscribers) {
  quik::Options fast = options;
  fast.storage.sync = quik::SyncMode::kNormal;  // setup only: the server runs with --sync
  QUIK_ASSIGN_OR_RETURN(std::unique_ptr<quik::Service> svc, quik::Service::Open(fast));
  const quik::Actor system = quik::Actor::System();
  quik::NewWorkspace ws_spec;
  ws_spec.name = "Bench";
  ws_spec.slug = "bench";
  QUIK_ASSIGN_OR_RETURN(quik::Workspace ws, svc->workspaces().Create(system, ws_spec));
  quik::NewChannel ch_spec;
  ch_spec.name = "fanout";
  QUIK_ASSIGN_OR_RETURN(quik::Channel channel, svc->channels().Create(system, ws.id, ch_spec));
  Fixture fx;
  fx.channel_id = channel.id;
  QUIK_ASSIGN_OR_RETURN(fx.poster_token,
                        AddTokenUser(*svc, ws.id, channel.id, "poster@bench.test"));
  fx.subscriber_tokens.resize(static_cast<std::size_t>(subscribers));
  std::vector<quik::Status> failures(kProvisionThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kProvisionThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < subscribers && !g_interrupted.load(); i += kProvisionThreads) {
        auto token =
            AddTokenUser(*svc, ws.id, channel.id, "sub" + std::to_string(i) + "@bench.test");
        if (!token.ok()) {
          failures[static_cast<std::size_t>(t)] = token.status();
          return;
        }
        fx.subscriber_tokens[static_cast<std::size_t>(i)] = std::move(*token);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  if (g_interrupted.load()) return Interrupted();
  for (const quik::Status& st : failures) QUIK_RETURN_IF_ERROR(st);
  return fx;
}

// ---- subscribers ----------------------------------------------------------------

// The send time in a message text "qbench NS"; 0 if it is not one.
std::uint64_t SentNs(std::string_view text) {
  if (text.substr(0, kTextMarker.size()) != kTextMarker) return 0;
  std::uint64_t ns = 0;
  for (char c : text.substr(kTextMarker.size())) {
    if (c < '0' || c > '9') break;
    ns = ns * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return ns;
}

enum class FrameKind { kHello, kPosted, kOther };
struct Frame {
  FrameKind kind = FrameKind::kOther;
  std::uint64_t sent_ns = 0;  // kPosted: from data.text
};

// Classifies a server frame. The fast path finds the key-value pairs in the
// compact JSON text: a JSON string cannot hold an unescaped quote, so
// `"type":"message.posted"` can only be that pair. Anything else is parsed.
Frame ParseFrame(std::string_view text) {
  constexpr std::string_view kPosted = R"("type":"message.posted")";
  constexpr std::string_view kText = R"("text":")";
  if (text.find(kPosted) != std::string_view::npos) {
    const std::size_t at = text.find(kText);
    if (at != std::string_view::npos) {
      if (std::uint64_t ns = SentNs(text.substr(at + kText.size())); ns != 0) {
        return {FrameKind::kPosted, ns};
      }
    }
  }
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return {};
  const std::string type = Str(j, "type");
  if (type == "hello") return {FrameKind::kHello, 0};
  if (type != "message.posted") return {};
  auto data = j.find("data");
  return {FrameKind::kPosted, data == j.end() ? 0 : SentNs(Str(*data, "text"))};
}

// What the subscribers saw. The counters are written on the io thread and
// read by the main thread while it runs; the latencies only after it stopped.
struct Deliveries {
  std::atomic<int> connected{0};  // hello received
  std::atomic<int> failed{0};     // connect or handshake failed
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> last_ns{0};
  std::atomic<int> slow_closes{0};                 // closed by the server with 1008
  std::atomic<int> other_closes{0};                // any other disconnect
  std::atomic<std::uint64_t> closed_delivered{0};  // delivered to closed subscribers
  std::vector<std::uint32_t> latencies_us;
  std::mutex mu;
  quik::Status first_error;  // guarded by mu
  std::string first_close;   // guarded by mu
};

class SubscriberPool {
 public:
  SubscriberPool(asio::io_context& io, std::uint16_t port, const std::vector<std::string>& tokens,
                 Deliveries* out)
      : io_(io),
        endpoint_(asio::ip::make_address_v4("127.0.0.1"), port),
        host_("127.0.0.1:" + std::to_string(port)),
        tokens_(tokens),
        out_(out) {
    subs_.reserve(tokens.size());
    for (std::size_t i = 0; i < tokens.size(); ++i) subs_.push_back(std::make_unique<Sub>(io));
  }

  // Opens the connections, at most kMaxHandshakesInFlight at once.
  void Start() {
    asio::post(io_, [this] {
      for (int i = 0; i < kMaxHandshakesInFlight; ++i) OpenNext();
    });
  }

 private:
  struct Sub {
    explicit Sub(asio::io_context& io) : ws(io.get_executor()) {}
    // The io_context's own executor type, not the polymorphic default: cheaper per read.
    websocket::stream<asio::basic_stream_socket<tcp, asio::io_context::executor_type>> ws;
    beast::flat_buffer buffer;
    websocket::response_type upgrade;
    bool hello = false;
    std::uint64_t delivered = 0;
  };

  void OpenNext() {
    if (next_ >= subs_.size()) return;
    const std::size_t i = next_++;
    subs_[i]->ws.next_layer().async_connect(endpoint_,
                                            [this, i](beast::error_code ec) { OnConnect(i, ec); });
  }

  void OnConnect(std::size_t i, beast::error_code ec) {
    if (ec) return Failed(i, quik::Unavailable("cannot connect to " + host_ + ": " + ec.message()));
    Sub& s = *subs_[i];
    s.ws.next_layer().set_option(tcp::no_delay(true));
    s.ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    s.ws.set_option(
        websocket::stream_base::decorator([token = tokens_[i]](websocket::request_type& req) {
          req.set(beast::http::field::authorization, "Bearer " + token);
          req.set(beast::http::field::user_agent, "quikctl-bench");
        }));
    s.ws.async_handshake(s.upgrade, host_, kWsTarget,
                         [this, i](beast::error_code error) { OnHandshake(i, error); });
  }

  void OnHandshake(std::size_t i, beast::error_code ec) {
    Sub& s = *subs_[i];
    if (ec) {
      const int status = static_cast<int>(s.upgrade.result_int());
      // Any other error (the connection closed or reset) left no response to read.
      if (ec != websocket::error::upgrade_declined || status == 0) {
        return Failed(i, quik::Unavailable("WebSocket handshake with ws://" + host_ + kWsTarget +
                                           " failed: " + ec.message()));
      }
      std::string message = "the server answered HTTP " + std::to_string(status) +
                            " to the WebSocket upgrade of " + kWsTarget;
      if (status == 501) message += " (this server has no realtime endpoint yet)";
      const std::string body = s.upgrade.body().substr(0, 200);
      if (!body.empty()) message += ": " + body;
      return Failed(i, quik::Status(status == 501   ? quik::StatusCode::kUnimplemented
                                    : status == 401 ? quik::StatusCode::kUnauthenticated
                                                    : quik::StatusCode::kUnavailable,
                                    message));
    }
    s.upgrade = {};
    OpenNext();
    Read(i);
  }

  void Failed(std::size_t i, quik::Status status) {
    beast::error_code ignored;
    subs_[i]->ws.next_layer().close(ignored);
    out_->failed.fetch_add(1);
    {
      std::lock_guard lock(out_->mu);
      if (out_->first_error.ok()) out_->first_error = std::move(status);
    }
    OpenNext();
  }

  void Read(std::size_t i) {
    Sub& s = *subs_[i];
    s.ws.async_read(s.buffer, [this, i](beast::error_code ec, std::size_t) { OnRead(i, ec); });
  }

  void OnRead(std::size_t i, beast::error_code ec) {
    Sub& s = *subs_[i];
    if (ec) return OnClose(i, ec);
    const auto data = s.buffer.cdata();
    const Frame frame =
        ParseFrame(std::string_view(static_cast<const char*>(data.data()), data.size()));
    s.buffer.consume(s.buffer.size());
    if (frame.kind == FrameKind::kPosted) {
      const std::uint64_t now = NowNs();
      ++s.delivered;
      out_->delivered.fetch_add(1, std::memory_order_relaxed);
      out_->last_ns.store(now, std::memory_order_relaxed);
      if (frame.sent_ns != 0 && frame.sent_ns <= now) {
        out_->latencies_us.push_back(static_cast<std::uint32_t>(
            std::min<std::uint64_t>((now - frame.sent_ns) / 1000, UINT32_MAX)));
      }
    } else if (frame.kind == FrameKind::kHello && !s.hello) {
      s.hello = true;
      out_->connected.fetch_add(1);
    }
    Read(i);
  }

  void OnClose(std::size_t i, beast::error_code ec) {
    Sub& s = *subs_[i];
    const bool slow =
        ec == websocket::error::closed && s.ws.reason().code == websocket::close_code::policy_error;
    (slow ? out_->slow_closes : out_->other_closes).fetch_add(1);
    out_->closed_delivered.fetch_add(s.delivered);
    if (!s.hello) out_->failed.fetch_add(1);  // closed before its hello: never connected
    std::lock_guard lock(out_->mu);
    if (out_->first_close.empty()) {
      out_->first_close =
          ec == websocket::error::closed
              ? "close code " + std::to_string(s.ws.reason().code) + " " +
                    std::string(s.ws.reason().reason.data(), s.ws.reason().reason.size())
              : ec.message();
    }
  }

  asio::io_context& io_;
  tcp::endpoint endpoint_;
  std::string host_;
  const std::vector<std::string>& tokens_;
  Deliveries* out_;
  std::vector<std::unique_ptr<Sub>> subs_;
  std::size_t next_ = 0;
};

// Runs an io_context on its own thread until Stop() or destruction. Objects
// that use the io_context must go after Stop() and before the destructor.
class IoThread {
 public:
  IoThread() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~IoThread() { Stop(); }
  void Stop() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;
  asio::io_context& io() { return io_; }

 private:
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

// ---- publishers -----------------------------------------------------------------

struct Publishing {
  std::atomic<std::uint64_t> posted{0};  // 201s
  std::atomic<std::uint64_t> failed{0};
  std::uint64_t first_ns = 0;  // send time of the first post
  std::uint64_t last_ns = 0;   // send time of the last post
  std::mutex mu;
  std::string first_error;  // guarded by mu
};

// Posts `flags.messages` messages over `flags.publishers` connections, post i
// at start + i / rate (open loop: a slow answer delays only its connection).
void Publish(const std::string& url, const Fixture& fx, const WsFlags& flags, Publishing* out) {
  std::atomic<int> next{0};
  const std::uint64_t start = NowNs() + 20'000'000;  // after every connection is up
  const double interval_ns = 1e9 / flags.rate;
  const std::string target = "/channels/" + fx.channel_id + "/messages";
  auto fail = [out](std::string error) {
    out->failed.fetch_add(1);
    std::lock_guard lock(out->mu);
    if (out->first_error.empty()) out->first_error = std::move(error);
  };
  std::vector<std::thread> threads;
  for (int p = 0; p < flags.publishers; ++p) {
    threads.emplace_back([&] {
      quik::net::ClientOptions options;
      options.user_agent = "quikctl-bench";
      options.default_headers = {{"Authorization", "Bearer " + fx.poster_token}};
      auto client = quik::net::HttpClient::Connect(url + "/api/v1", std::move(options));
      if (!client.ok()) return fail(client.status().message());
      for (int i = next++; i < flags.messages && !g_interrupted.load(); i = next++) {
        const auto due = start + static_cast<std::uint64_t>(i * interval_ns);
        const std::uint64_t now = NowNs();
        if (due > now && !SleepFor(std::chrono::nanoseconds(due - now))) return;
        const std::uint64_t sent = NowNs();
        if (i == 0) out->first_ns = sent;
        if (i == flags.messages - 1) out->last_ns = sent;
        const json body = {{"text", std::string(kTextMarker) + std::to_string(sent)}};
        auto response = client->Request("POST", target, body.dump());
        if (!response.ok()) {
          fail(response.status().message());
        } else if (response->status != 201) {
          fail("HTTP " + std::to_string(response->status) + ": " + response->body.substr(0, 200));
        } else {
          out->posted.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
}

// ---- the run --------------------------------------------------------------------

double Ms(std::uint32_t us) { return us / 1000.0; }
double Round(double v, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(v * scale) / scale;
}

quik::Status RaiseFileLimit(int needed) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < static_cast<rlim_t>(needed)) {
    return quik::ResourceExhausted(std::to_string(needed) +
                                   " file descriptors needed, the limit (" + "ulimit -Hn) is " +
                                   std::to_string(limit.rlim_cur));
  }
  return quik::Status::Ok();
}

// Waits until `done()`, failing when interrupted, when the server exits, or
// when `progress()` stays the same for kStallTimeout.
template <typename Done, typename Progress>
quik::Status WaitFor(ServerChild& server, Done done, Progress progress, const std::string& what) {
  auto last = progress();
  auto last_change = std::chrono::steady_clock::now();
  while (!done()) {
    if (!SleepFor(std::chrono::milliseconds(5))) return Interrupted();
    if (!server.Running()) return quik::Unavailable("the server exited " + what);
    const auto now = std::chrono::steady_clock::now();
    if (auto p = progress(); p != last) {
      last = p;
      last_change = now;
    } else if (now - last_change > kStallTimeout) {
      return quik::Unavailable("no progress for 30 s " + what);
    }
  }
  return quik::Status::Ok();
}

quik::Result<Printable> BenchWs(Cli& cli, const WsFlags& flags) {
  if (cli.remote()) {
    return cli.Usage("quikctl bench ws runs its own server on a temp data dir; drop --server");
  }
  if (flags.subscribers < 1) return cli.Usage("--subscribers must be at least 1");
  if (flags.messages < 1) return cli.Usage("--messages must be at least 1");
  if (!(flags.rate > 0)) return cli.Usage("--rate must be above 0");
  if (flags.publishers < 1) return cli.Usage("--publishers must be at least 1");
  if (flags.idle_seconds < 0) return cli.Usage("--idle-seconds must not be negative");
  InterruptGuard interrupt_guard;
  // Ours and the server's (which inherits the limit) must hold every connection.
  QUIK_RETURN_IF_ERROR(RaiseFileLimit(flags.subscribers + flags.publishers + 256));

  QUIK_ASSIGN_OR_RETURN(std::unique_ptr<RunDir> run, RunDir::Make(flags.dir, flags.keep));
  quik::Options options;
  options.data_dir = run->path() / "data";
  QUIK_ASSIGN_OR_RETURN(quik::InitResult init, quik::InitDataDir(options));
  (void)init;
  {
    std::ofstream config(options.data_dir / "quik.toml", std::ios::trunc);
    config << BenchConfig(flags);
    if (!config) return quik::Internal("cannot write " + (options.data_dir / "quik.toml").string());
  }
  QUIK_RETURN_IF_ERROR(quik::LoadOptionsFile(options.data_dir / "quik.toml", &options));
  const auto setup_start = std::chrono::steady_clock::now();
  QUIK_ASSIGN_OR_RETURN(Fixture fx, Provision(options, flags.subscribers));
  const double setup_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - setup_start).count();

  QUIK_ASSIGN_OR_RETURN(std::unique_ptr<ServerChild> server,
                        ServerChild::Start(options.data_dir, run->path() / "serve.log"));
  auto server_error = [&](const quik::Status& st) {
    return quik::Status(st.code(), st.message() + " (server log: " + server->LogTail() + ")");
  };
  if (!SleepFor(std::chrono::milliseconds(200))) return Interrupted();
  const std::uint64_t rss_before = StatusKiB(server->pid(), "VmRSS").value_or(0);

  Deliveries deliveries;
  deliveries.latencies_us.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(
      std::uint64_t{1} << 26,
      static_cast<std::uint64_t>(flags.subscribers) * static_cast<std::uint64_t>(flags.messages))));
  IoThread io;
  SubscriberPool pool(io.io(), server->port(), fx.subscriber_tokens, &deliveries);
  struct StopBeforePool {
    IoThread& io;
    ~StopBeforePool() { io.Stop(); }
  } stop_before_pool{io};

  const auto connect_start = std::chrono::steady_clock::now();
  pool.Start();
  const int n = flags.subscribers;
  QUIK_RETURN_IF_ERROR(WaitFor(
      *server, [&] { return deliveries.connected.load() + deliveries.failed.load() >= n; },
      [&] { return deliveries.connected.load() + deliveries.failed.load(); },
      "while the subscribers connect"));
  if (deliveries.failed.load() > 0) {
    std::lock_guard lock(deliveries.mu);
    quik::Status st = deliveries.first_error.ok()
                          ? quik::Unavailable("the server closed a connection before its hello: " +
                                              deliveries.first_close)
                          : deliveries.first_error;
    return quik::Status(st.code(), std::to_string(deliveries.failed.load()) + " of " +
                                       std::to_string(n) + " subscribers failed to connect; " +
                                       st.message());
  }
  const double connect_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - connect_start).count();
  if (!SleepFor(std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::duration<double>(flags.idle_seconds))))
    return Interrupted();
  const std::uint64_t rss_idle = StatusKiB(server->pid(), "VmRSS").value_or(0);

  const std::optional<std::uint64_t> cpu_before = ProcessCpuUs(server->pid());
  const std::uint64_t client_cpu_before = OwnCpuUs();
  Publishing publishing;
  Publish(server->url(), fx, flags, &publishing);
  if (g_interrupted.load()) return Interrupted();
  const std::uint64_t posted = publishing.posted.load();
  const std::uint64_t expected = posted * static_cast<std::uint64_t>(n);
  // Every subscriber still open has all the posts; a closed one has what it had.
  auto all_delivered = [&] {
    const int closed = deliveries.slow_closes.load() + deliveries.other_closes.load();
    const std::uint64_t closed_delivered = deliveries.closed_delivered.load();
    return deliveries.delivered.load() - closed_delivered >=
           posted * static_cast<std::uint64_t>(n - closed);
  };
  quik::Status waited = WaitFor(
      *server, all_delivered, [&] { return deliveries.delivered.load(); },
      "while the events are delivered");
  if (g_interrupted.load()) return Interrupted();
  if (!waited.ok() && !server->Running()) return server_error(waited);
  // A stall (events that never come) is reported with the figures below.
  const std::optional<std::uint64_t> cpu_after = ProcessCpuUs(server->pid());
  const double client_cpu_us = static_cast<double>(OwnCpuUs() - client_cpu_before);
  io.Stop();  // the counters and latencies are final from here on

  const std::uint64_t delivered = deliveries.delivered.load();
  const double seconds =
      deliveries.last_ns.load() > publishing.first_ns
          ? static_cast<double>(deliveries.last_ns.load() - publishing.first_ns) / 1e9
          : 0.0;
  const double post_seconds = static_cast<double>(publishing.last_ns - publishing.first_ns) / 1e9;
  std::vector<std::uint32_t>& lat = deliveries.latencies_us;
  std::sort(lat.begin(), lat.end());
  auto pct = [&lat](double p) {
    if (lat.empty()) return 0.0;
    return Ms(lat[std::min(lat.size() - 1, static_cast<std::size_t>(p * lat.size()))]);
  };
  const double cpu_us =
      cpu_before && cpu_after ? static_cast<double>(*cpu_after - *cpu_before) : 0.0;
  const double per_connection =
      static_cast<double>(rss_idle > rss_before ? rss_idle - rss_before : 0) / n;

  json doc = {
      {"subscribers", n},
      {"messages", flags.messages},
      {"rate", flags.rate},
      {"publishers", flags.publishers},
      {"sync", flags.sync},
      {"setup_seconds", Round(setup_seconds, 2)},
      {"connect_seconds", Round(connect_seconds, 2)},
      {"rss_kib_before", rss_before},
      {"rss_kib_idle", rss_idle},
      {"rss_kib_per_connection", Round(per_connection, 2)},
      {"posted", posted},
      {"post_errors", publishing.failed.load()},
      {"posts_per_second", post_seconds > 0 ? Round((flags.messages - 1) / post_seconds, 1) : 0.0},
      {"expected", expected},
      {"delivered", delivered},
      {"missing", expected > delivered ? expected - delivered : 0},
      {"slow_consumer_closes", deliveries.slow_closes.load()},
      {"other_closes", deliveries.other_closes.load()},
      {"seconds", Round(seconds, 3)},
      {"events_per_second", seconds > 0 ? Round(static_cast<double>(delivered) / seconds, 0) : 0.0},
      {"latency_ms",
       {{"p50", pct(0.50)}, {"p90", pct(0.90)}, {"p99", pct(0.99)}, {"max", pct(1.0)}}},
      {"server_cpu_seconds", Round(cpu_us / 1e6, 3)},
      {"server_cpu_us_per_event",
       delivered > 0 ? Round(cpu_us / static_cast<double>(delivered), 3) : 0.0},
      {"client_cpu_us_per_event",
       delivered > 0 ? Round(client_cpu_us / static_cast<double>(delivered), 3) : 0.0},
  };
  if (flags.keep) doc["dir"] = run->path().string();

  // Missing events fail the run unless the server closed those subscribers as
  // too slow; extra ones (a post counted as failed that the server did take)
  // or failed posts fail it too.
  const int other_closes = deliveries.other_closes.load();
  std::string problem;
  if (publishing.failed.load() > 0) {
    std::lock_guard lock(publishing.mu);
    problem = std::to_string(publishing.failed.load()) + " of " + std::to_string(flags.messages) +
              " posts failed, the first with: " + publishing.first_error;
  } else if (other_closes > 0) {
    std::lock_guard lock(deliveries.mu);
    problem = std::to_string(other_closes) + " subscribers were disconnected (" +
              deliveries.first_close + ")";
  } else if (delivered > expected) {
    problem = "delivered " + std::to_string(delivered) + " events, more than the " +
              std::to_string(expected) + " expected";
  } else if (!all_delivered()) {
    problem = std::to_string(expected - delivered) + " of " + std::to_string(expected) +
              " events never arrived";
  }
  if (!problem.empty()) {
    return server_error(quik::Internal("bench ws: " + problem + " (delivered " +
                                       std::to_string(delivered) + " of " +
                                       std::to_string(expected) + ")"));
  }

  Printable p;
  p.doc = doc;
  p.quiet_lines = std::vector<std::string>{};
  char line[256];
  auto note = [&p, &line](int length) {
    if (length > 0) {
      p.notes.emplace_back(line, std::min(sizeof line - 1, static_cast<std::size_t>(length)));
    }
  };
  note(std::snprintf(line, sizeof line,
                     "bench ws: %d subscribers, %d posts at %.0f/s over %d connections, "
                     "storage.sync %s",
                     n, flags.messages, flags.rate, flags.publishers, flags.sync.c_str()));
  note(std::snprintf(line, sizeof line, "setup        %.2f s, %d connections in %.2f s",
                     setup_seconds, n, connect_seconds));
  note(std::snprintf(line, sizeof line,
                     "idle rss     %.2f KiB per connection (server VmRSS %llu KiB -> %llu KiB)",
                     per_connection, static_cast<unsigned long long>(rss_before),
                     static_cast<unsigned long long>(rss_idle)));
  note(std::snprintf(line, sizeof line, "delivered    %llu of %llu events, %d slow-consumer closes",
                     static_cast<unsigned long long>(delivered),
                     static_cast<unsigned long long>(expected), deliveries.slow_closes.load()));
  note(std::snprintf(line, sizeof line, "throughput   %.0f events/s over %.2f s",
                     doc["events_per_second"].get<double>(), seconds));
  note(std::snprintf(line, sizeof line,
                     "latency      p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms", pct(0.50),
                     pct(0.90), pct(0.99), pct(1.0)));
  note(std::snprintf(line, sizeof line,
                     "cpu          server %.2f us per event (%.2f s), this client %.2f us",
                     doc["server_cpu_us_per_event"].get<double>(), cpu_us / 1e6,
                     doc["client_cpu_us_per_event"].get<double>()));
  if (flags.keep) p.notes.push_back("kept         " + run->path().string());
  return p;
}

}  // namespace

void AddBenchCommands(CLI::App& app, Action* selected) {
  auto* group = app.add_subcommand("bench", "Load tests against a throw-away server");
  group->require_subcommand(1);

  auto flags = std::make_shared<WsFlags>();
  auto* ws = group->add_subcommand(
      "ws",
      "WebSocket fan-out: runs `quikctl serve` on a temp data dir, connects N subscribers to "
      "/api/v1/ws, posts M messages into their channel and reports delivered events/s, "
      "publish-to-receive latency, server CPU per event and server RSS per idle connection");
  ws->add_option("--subscribers", flags->subscribers,
                 "WebSocket connections, one user each (default: 1000)")
      ->option_text("N");
  ws->add_option("--messages", flags->messages, "Messages posted in all (default: 2000)")
      ->option_text("M");
  ws->add_option("--rate", flags->rate, "Posts per second, open loop (default: 100)")
      ->option_text("R");
  ws->add_option("--publishers", flags->publishers,
                 "Keep-alive HTTP connections that post (default: 4)")
      ->option_text("P");
  ws->add_option("--idle-seconds", flags->idle_seconds,
                 "How long the connected subscribers idle before the server's RSS is read "
                 "(default: 2)")
      ->option_text("S");
  ws->add_option("--sync", flags->sync, "The server's storage.sync: normal (default) or full")
      ->option_text("MODE")
      ->check(CLI::IsMember({"normal", "full"}));
  ws->add_option("--dir", flags->dir,
                 "Where to make the run's temp dir (default: the system temp dir)")
      ->option_text("DIR");
  ws->add_flag("--keep", flags->keep, "Keep the temp dir (data dir and serve.log)");
  OnParsed(ws, selected, [flags](Cli& cli) { return BenchWs(cli, *flags); });
}

}  // namespace quikctl
