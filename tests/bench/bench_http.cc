// SPDX-License-Identifier: MIT
// bench_http: POST /api/v1/channels/{id}/messages over keep-alive HTTP/1.1.
//
//   bench_http [--connections 1,16,64] [--seconds S | --requests N] [--warmup S]
//              [--sync normal|full,...] [--log warn|info,...] [--io-threads N]
//              [--users N] [--text-bytes N] [--data-dir DIR] [--keep]
//
// Starts an in-process quik::Server (a fresh data dir, scrypt_log2_n 10,
// listening on 127.0.0.1:0) and provisions through server->service() one
// workspace, one public channel and one user per connection (or --users N,
// shared round-robin), each a channel member with an API token. Then, for each connection count C,
// one load generator thread (this one) drives C non-blocking keep-alive connections through epoll,
// closed loop: each connection has exactly one request in flight and sends the next as soon as the
// response has arrived. Requests are pre-serialized per connection; only the fixed-width
// client_msg_id changes between requests, so building one costs a memcpy of 12 digits. Responses
// are parsed as far as the status line and Content-Length.
//
// Measured per case: posts/s, latency percentiles (request write to response
// complete), server CPU per post (the process's rusage minus this thread's
// CLOCK_THREAD_CPUTIME_ID; both over the measured window), the load
// generator's CPU per post, and the mean group-commit batch (the store's
// WriteStats, the numbers behind quik_store_commit_batch_size in /metrics).
// At the end it checks that every response was 201 and that the channel holds
// exactly as many messages, and the event log as many message.posted events,
// as there were 201s. See tests/bench/README.md.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include "bench_common.hpp"
#include "quik/actor.hpp"
#include "quik/config.hpp"
#include "quik/datadir.hpp"
#include "quik/options.hpp"
#include "quik/server.hpp"
#include "quik/service.hpp"
#include "service/context.hpp"
#include "store/store.hpp"

namespace {

struct Flags {
  std::vector<int> connections = {1, 16, 64};
  double seconds = 5;
  std::uint64_t requests = 0;  // > 0: a fixed number of measured requests instead of --seconds
  double warmup = 1;
  std::vector<quik::SyncMode> sync = {quik::SyncMode::kNormal};
  std::vector<quik::LogLevel> log = {quik::LogLevel::kWarn};
  int io_threads = 0;
  int text_bytes = 64;
  int users = 0;  // connection i posts as user i % users; 0: one user per connection
  std::filesystem::path data_dir;
  bool keep = false;
};

using quik_bench::Die;
using quik_bench::Percentile;
using quik_bench::SplitCommas;
using quik_bench::SyncName;
using quik_bench::ValueOrDie;

void Usage() {
  std::fprintf(stderr,
               "usage: bench_http [--connections 1,16,64] [--seconds S | --requests N] "
               "[--warmup S]\n"
               "                  [--sync normal,full] [--log warn,info] [--io-threads N]\n"
               "                  [--users N] [--text-bytes N] [--data-dir DIR] [--keep]\n");
  std::exit(2);
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  quik_bench::ForEachFlag(argc, argv, Usage,
                          [&f](const std::string& arg, const std::string& value) {
                            if (arg == "--connections") {
                              f.connections.clear();
                              for (const auto& c : SplitCommas(value))
                                f.connections.push_back(std::stoi(c));
                            } else if (arg == "--seconds") {
                              f.seconds = std::stod(value);
                            } else if (arg == "--requests") {
                              f.requests = std::stoull(value);
                            } else if (arg == "--warmup") {
                              f.warmup = std::stod(value);
                            } else if (arg == "--sync") {
                              return quik_bench::ParseSyncList(value, &f.sync);
                            } else if (arg == "--log") {
                              f.log.clear();
                              for (const auto& s : SplitCommas(value)) {
                                auto level = quik::ParseLogLevel(s);
                                if (!level) return false;
                                f.log.push_back(*level);
                              }
                            } else if (arg == "--io-threads") {
                              f.io_threads = std::stoi(value);
                            } else if (arg == "--users") {
                              f.users = std::stoi(value);
                            } else if (arg == "--text-bytes") {
                              f.text_bytes = std::stoi(value);
                            } else if (arg == "--data-dir") {
                              f.data_dir = value;
                            } else if (arg == "--keep") {
                              f.keep = true;
                            } else {
                              return false;
                            }
                            return true;
                          });
  if (f.connections.empty() || f.sync.empty() || f.log.empty() || f.seconds <= 0 || f.warmup < 0 ||
      f.io_threads < 0 || f.users < 0 || f.text_bytes < 1 || f.text_bytes > 4000) {
    Usage();
  }
  for (int c : f.connections) {
    if (c < 1 || c > 4096) Usage();
  }
  return f;
}

std::uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint64_t ThreadCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint64_t ProcessCpuNs() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  auto ns = [](const timeval& tv) {
    return static_cast<std::uint64_t>(tv.tv_sec) * 1'000'000'000u +
           static_cast<std::uint64_t>(tv.tv_usec) * 1000u;
  };
  return ns(ru.ru_utime) + ns(ru.ru_stime);
}

struct Fixture {
  std::string channel_id;
  std::vector<std::string> tokens;  // one API token per connection (and user)
};

// One workspace, one public channel and `users` members of both, each with an
// API token.
Fixture Provision(quik::Service& service, int users) {
  const quik::Actor system = quik::Actor::System();
  quik::NewWorkspace ws_spec;
  ws_spec.name = "Bench";
  ws_spec.slug = "bench";
  quik::Workspace ws = ValueOrDie(service.workspaces().Create(system, ws_spec), "workspace");
  quik::NewChannel ch_spec;
  ch_spec.name = "bench";
  Fixture fx;
  fx.channel_id = ValueOrDie(service.channels().Create(system, ws.id, ch_spec), "channel").id;
  for (int u = 0; u < users; ++u) {
    quik::NewUser spec;
    spec.email = "conn" + std::to_string(u) + "@bench.test";
    spec.name = "Connection " + std::to_string(u);
    quik::User user = ValueOrDie(service.users().Create(system, spec), "user");
    ValueOrDie(service.workspaces().AddMember(system, ws.id, user.id, quik::Role::kMember),
               "add member");
    quik::Status st = service.channels().AddMember(system, fx.channel_id, user.id);
    if (!st.ok()) Die("add channel member: " + st.ToString());
    quik::NewToken token;
    token.name = "bench";
    fx.tokens.push_back(
        ValueOrDie(service.auth().CreateToken(system, user.id, token), "token").secret);
  }
  return fx;
}

// The channel's messages, counted in quik.db itself (read-only). (Paging
// through MessageService::List would do too, but costs O(n^2) on deep pages.)
std::uint64_t CountMessages(const std::filesystem::path& data_dir, const std::string& channel_id) {
  sqlite3* db = nullptr;
  const std::string path = (data_dir / "quik.db").string();
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    Die("open " + path + ": " + sqlite3_errmsg(db));
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM messages WHERE channel_id = ?", -1, &stmt,
                         nullptr) != SQLITE_OK) {
    Die(std::string("count messages: ") + sqlite3_errmsg(db));
  }
  sqlite3_bind_text(stmt, 1, channel_id.data(), static_cast<int>(channel_id.size()),
                    SQLITE_TRANSIENT);
  if (sqlite3_step(stmt) != SQLITE_ROW) Die(std::string("count messages: ") + sqlite3_errmsg(db));
  const auto n = static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

// The channel's message.posted events, read through EventService (the
// transactional outbox: exactly one per acknowledged post).
std::uint64_t CountPostedEvents(quik::Service& service, const std::string& channel_id) {
  std::uint64_t n = 0;
  std::int64_t after = 0;
  for (;;) {
    auto events =
        ValueOrDie(service.events().Read(quik::Actor::System(), after, 1000), "read events");
    if (events.empty()) return n;
    for (const quik::Event& e : events) {
      if (e.type == "message.posted" && e.channel_id == channel_id) ++n;
    }
    after = events.back().seq;
  }
}

// ---- the load generator -----------------------------------------------------

constexpr std::size_t kSerialDigits = 12;

struct Conn {
  int fd = -1;
  std::string request;  // pre-serialized; the serial is patched in place
  std::size_t serial_at = 0;
  std::size_t sent = 0;     // bytes of `request` written so far
  bool want_write = false;  // EPOLLOUT registered (a partial write)
  std::uint64_t started_ns = 0;
  std::vector<char> in = std::vector<char>(64 * 1024);
  std::size_t have = 0;
};

struct Totals {
  std::uint64_t created = 0;  // 201 responses, warm-up included
  std::uint64_t other = 0;    // anything else
};

struct CaseResult {
  std::uint64_t posts = 0;  // measured 201s
  double seconds = 0;
  std::vector<std::uint32_t> latencies_us;
  std::uint64_t process_cpu_ns = 0;
  std::uint64_t generator_cpu_ns = 0;
  quik::store::WriteStats writes;  // commits and writes in the window
};

std::string Request(const std::string& channel_id, const std::string& token, int conn,
                    int text_bytes, std::size_t* serial_at) {
  std::string text = "bench http message from connection " + std::to_string(conn);
  text.resize(static_cast<std::size_t>(text_bytes), ' ');
  text.back() = '.';
  // The serial first: a user's ids rise, as with time-ordered client ids.
  std::string body = "{\"text\":\"" + text + "\",\"client_msg_id\":\"";
  const std::size_t serial_in_body = body.size();
  body += std::string(kSerialDigits, '0') + "-c" + std::to_string(conn) + "\"}";
  std::string head = "POST /api/v1/channels/" + channel_id +
                     "/messages HTTP/1.1\r\n"
                     "Host: 127.0.0.1\r\n"
                     "Authorization: Bearer " +
                     token +
                     "\r\n"
                     "Content-Type: application/json\r\n"
                     "Content-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n";
  *serial_at = head.size() + serial_in_body;
  return head + body;
}

void PatchSerial(Conn& c, std::uint64_t serial) {
  char* p = c.request.data() + c.serial_at + kSerialDigits;
  for (std::size_t i = 0; i < kSerialDigits; ++i) {
    *--p = static_cast<char>('0' + serial % 10);
    serial /= 10;
  }
}

int Connect(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Die(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Die(std::string("connect: ") + std::strerror(errno));
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; }

// Case-insensitive search for `needle` (lower case) in [p, p + n).
const char* FindLower(const char* p, std::size_t n, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= n; ++i) {
    std::size_t j = 0;
    while (j < needle.size() && AsciiLower(p[i + j]) == needle[j]) ++j;
    if (j == needle.size()) return p + i;
  }
  return nullptr;
}

// If `c.in` holds a whole response: its status and length; else nullopt.
struct Parsed {
  int status = 0;
  std::size_t length = 0;
};
std::optional<Parsed> ParseResponse(const Conn& c) {
  const char* p = c.in.data();
  const std::string_view view(p, c.have);
  const std::size_t head_end = view.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return std::nullopt;
  if (head_end < 12 || view.substr(0, 5) != "HTTP/") Die("malformed response");
  Parsed r;
  r.status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
  const char* cl = FindLower(p, head_end, "\r\ncontent-length:");
  std::size_t body = 0;
  if (cl != nullptr) {
    cl += 17;
    while (*cl == ' ') ++cl;
    while (*cl >= '0' && *cl <= '9') body = body * 10 + static_cast<std::size_t>(*cl++ - '0');
  }
  r.length = head_end + 4 + body;
  if (r.length > c.in.size()) Die("response too large for the buffer");
  if (c.have < r.length) return std::nullopt;
  return r;
}

class LoadGenerator {
 public:
  LoadGenerator(std::uint16_t port, const Fixture& fx, int connections, int text_bytes,
                std::uint64_t* serial, Totals* totals)
      : serial_(serial), totals_(totals) {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) Die(std::string("epoll_create1: ") + std::strerror(errno));
    conns_.resize(static_cast<std::size_t>(connections));
    for (int i = 0; i < connections; ++i) {
      Conn& c = conns_[static_cast<std::size_t>(i)];
      c.fd = Connect(port);
      c.request = Request(fx.channel_id, fx.tokens[static_cast<std::size_t>(i) % fx.tokens.size()],
                          i, text_bytes, &c.serial_at);
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u32 = static_cast<std::uint32_t>(i);
      if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev) != 0) Die("epoll_ctl");
    }
  }

  ~LoadGenerator() {
    for (Conn& c : conns_) ::close(c.fd);
    ::close(epoll_);
  }

  // Warms up for `warmup_s`, then measures for `seconds` (or `requests`
  // requests). `stats` reads the store's write counters.
  CaseResult Run(double warmup_s, double seconds, std::uint64_t requests,
                 const std::function<quik::store::WriteStats()>& stats) {
    CaseResult r;
    r.latencies_us.reserve(requests ? requests : 1u << 20);
    const std::uint64_t t0 = NowNs();
    const std::uint64_t warm_end = t0 + static_cast<std::uint64_t>(warmup_s * 1e9);
    std::uint64_t measure_start = 0, end = 0, last_done = 0;
    std::uint64_t cpu0 = 0, gen0 = 0, issued_measured = 0;
    quik::store::WriteStats w0;
    bool measuring = false, issuing = true;
    auto begin_measuring = [&](std::uint64_t now) {
      measuring = true;
      measure_start = now;
      end = requests ? UINT64_MAX : now + static_cast<std::uint64_t>(seconds * 1e9);
      cpu0 = ProcessCpuNs();
      gen0 = ThreadCpuNs();
      w0 = stats();
    };
    if (warmup_s <= 0) begin_measuring(t0);
    for (Conn& c : conns_) {
      if (measuring) ++issued_measured;
      Send(c, NowNs());
    }
    std::vector<epoll_event> events(conns_.size());
    int in_flight = static_cast<int>(conns_.size());
    int idle_s = 0;
    while (in_flight > 0) {
      int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 1000);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) Die(std::string("epoll_wait: ") + std::strerror(errno));
      if (n == 0 && ++idle_s >= 30) Die("no response for 30 s");
      if (n > 0) idle_s = 0;
      for (int e = 0; e < n; ++e) {
        Conn& c = conns_[events[static_cast<std::size_t>(e)].data.u32];
        if (events[static_cast<std::size_t>(e)].events & EPOLLOUT) Flush(c);
        if (!(events[static_cast<std::size_t>(e)].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
          continue;
        }
        ssize_t got = ::read(c.fd, c.in.data() + c.have, c.in.size() - c.have);
        if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (got <= 0) Die("the server closed a connection");
        c.have += static_cast<std::size_t>(got);
        auto parsed = ParseResponse(c);
        if (!parsed) continue;
        if (c.have != parsed->length) Die("unexpected bytes after a response");
        c.have = 0;
        const std::uint64_t now = NowNs();
        if (parsed->status == 201) {
          ++totals_->created;
        } else {
          if (totals_->other++ < 5) {
            std::fprintf(stderr, "bench_http: unexpected response: %.*s\n",
                         static_cast<int>(std::min<std::size_t>(parsed->length, 400)), c.in.data());
          }
        }
        if (measuring && c.started_ns >= measure_start) {
          if (parsed->status == 201) ++r.posts;
          r.latencies_us.push_back(static_cast<std::uint32_t>((now - c.started_ns) / 1000));
          last_done = now;
        }
        if (!measuring && now >= warm_end) begin_measuring(now);
        if (measuring && issuing) {
          if (requests ? issued_measured >= requests : now >= end) issuing = false;
        }
        if (!issuing) {
          --in_flight;
          continue;
        }
        if (measuring) ++issued_measured;
        Send(c, now);
      }
    }
    r.process_cpu_ns = ProcessCpuNs() - cpu0;
    r.generator_cpu_ns = ThreadCpuNs() - gen0;
    const quik::store::WriteStats w1 = stats();
    r.writes.commits = w1.commits - w0.commits;
    r.writes.writes = w1.writes - w0.writes;
    r.writes.commit_us_sum = w1.commit_us_sum - w0.commit_us_sum;
    for (std::size_t i = 0; i < w1.commit_us_buckets.size(); ++i) {
      r.writes.commit_us_buckets[i] = w1.commit_us_buckets[i] - w0.commit_us_buckets[i];
    }
    r.seconds = static_cast<double>(last_done - measure_start) / 1e9;
    return r;
  }

 private:
  void Send(Conn& c, std::uint64_t now) {
    PatchSerial(c, (*serial_)++);
    c.sent = 0;
    c.started_ns = now;
    Flush(c);
  }

  void Flush(Conn& c) {
    while (c.sent < c.request.size()) {
      ssize_t n = ::send(c.fd, c.request.data() + c.sent, c.request.size() - c.sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n < 0) Die(std::string("send: ") + std::strerror(errno));
      c.sent += static_cast<std::size_t>(n);
    }
    const bool want = c.sent < c.request.size();
    if (want == c.want_write) return;
    c.want_write = want;
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
    ev.data.u32 = static_cast<std::uint32_t>(&c - conns_.data());
    if (::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev) != 0) Die("epoll_ctl");
  }

  int epoll_ = -1;
  std::vector<Conn> conns_;
  std::uint64_t* serial_;
  Totals* totals_;
};

// Latencies are kept in microseconds and reported in milliseconds.
double PercentileMs(std::vector<std::uint32_t>& v, double p) { return Percentile(v, p) / 1000.0; }

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  const std::filesystem::path root = quik_bench::MakeRunDir(flags.data_dir, "quik-bench-http");

  quik::Options options;
  options.data_dir = root / "data";
  options.auth.scrypt_log2_n = 10;
  options.server.listen = "127.0.0.1:0";
  options.server.io_threads = flags.io_threads;
  ValueOrDie(quik::InitDataDir(options), "init data dir");
  const int max_conns = *std::max_element(flags.connections.begin(), flags.connections.end());

  // With log.level info every request writes one JSON line. They go to
  // /dev/null through write(2), as the default sink writes them to stderr.
  const int log_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  std::mutex log_mu;

  char per_case[64];
  if (flags.requests) {
    std::snprintf(per_case, sizeof per_case, "%llu requests",
                  static_cast<unsigned long long>(flags.requests));
  } else {
    std::snprintf(per_case, sizeof per_case, "%.1f s", flags.seconds);
  }
  std::printf(
      "bench_http: data dir %s, %d-byte texts, %s per case (+%.1f s warm-up), "
      "%u hardware threads, server io_threads %d\n",
      options.data_dir.c_str(), flags.text_bytes, per_case, flags.warmup,
      std::thread::hardware_concurrency(), flags.io_threads);
  std::printf("%-6s %-4s %5s %8s %7s %9s %7s %7s %7s %7s %8s %8s %6s %9s %6s\n", "sync", "log",
              "conns", "posts", "seconds", "posts/s", "p50_ms", "p99_ms", "p999_ms", "max_ms",
              "srv_us", "gen_us", "batch", "commit_us", "c>10ms");
  std::fflush(stdout);

  std::optional<Fixture> fx;
  std::uint64_t serial = 0;
  Totals totals;
  for (quik::SyncMode sync : flags.sync) {
    for (quik::LogLevel level : flags.log) {
      quik::Options o = options;
      o.storage.sync = sync;
      o.log.level = level;
      auto server = ValueOrDie(quik::Server::Create(o), "create server");
      server->set_log_sink([&](quik::LogLevel, std::string_view line) {
        std::string out(line);
        out += '\n';
        std::lock_guard lock(log_mu);
        if (::write(log_fd, out.data(), out.size()) < 0) Die("log write failed");
      });
      if (!fx) fx = Provision(server->service(), flags.users > 0 ? flags.users : max_conns);
      quik::Status st = server->Start();
      if (!st.ok()) Die("start: " + st.ToString());
      quik::internal::Context* ctx = quik::internal::ContextOf(server->service());
      if (ctx == nullptr) Die("no internal context");
      auto stats = [ctx] { return ctx->store->write_stats(); };
      for (int conns : flags.connections) {
        CaseResult r;
        {
          LoadGenerator gen(server->port(), *fx, conns, flags.text_bytes, &serial, &totals);
          r = gen.Run(flags.warmup, flags.seconds, flags.requests, stats);
        }
        const double posts = static_cast<double>(r.posts);
        const double server_cpu_ns =
            static_cast<double>(r.process_cpu_ns) - static_cast<double>(r.generator_cpu_ns);
        const auto& w = r.writes;
        const double batch = w.commits ? static_cast<double>(w.writes) / w.commits : 0.0;
        const double commit_us = w.commits ? static_cast<double>(w.commit_us_sum) / w.commits : 0.0;
        // Commits that took over 10 ms (the buckets above the 10000 us bound).
        std::uint64_t slow = 0;
        const auto& bounds = quik::store::WriteStats::kCommitBoundsUs;
        for (std::size_t i = 0; i < w.commit_us_buckets.size(); ++i) {
          if (i == bounds.size() || bounds[i] > 10000) slow += w.commit_us_buckets[i];
        }
        std::printf(
            "%-6s %-4s %5d %8llu %7.2f %9.0f %7.2f %7.2f %7.2f %7.2f %8.1f %8.1f %6.2f %9.0f "
            "%6llu\n",
            SyncName(sync), std::string(quik::LogLevelName(level)).c_str(), conns,
            static_cast<unsigned long long>(r.posts), r.seconds, posts / r.seconds,
            PercentileMs(r.latencies_us, 0.50), PercentileMs(r.latencies_us, 0.99),
            PercentileMs(r.latencies_us, 0.999), PercentileMs(r.latencies_us, 1.0),
            server_cpu_ns / 1000.0 / posts,
            static_cast<double>(r.generator_cpu_ns) / 1000.0 / posts, batch, commit_us,
            static_cast<unsigned long long>(slow));
        std::fflush(stdout);
      }
      server->Shutdown();
      server->Wait();
    }
  }
  ::close(log_fd);

  // Every acknowledged post is in the channel, once, with its event.
  const std::uint64_t stored = CountMessages(options.data_dir, fx->channel_id);
  std::uint64_t events = 0;
  {
    auto service = ValueOrDie(quik::Service::Open(options), "open");
    events = CountPostedEvents(*service, fx->channel_id);
  }
  const bool ok = totals.other == 0 && stored == totals.created && events == totals.created;
  std::printf(
      "check: %llu responses 201, %llu other; %llu messages in the channel, %llu "
      "message.posted events: %s\n",
      static_cast<unsigned long long>(totals.created),
      static_cast<unsigned long long>(totals.other), static_cast<unsigned long long>(stored),
      static_cast<unsigned long long>(events), ok ? "ok" : "MISMATCH");
  if (flags.keep) {
    std::printf("kept %s\n", root.c_str());
  } else {
    std::error_code ignored;
    std::filesystem::remove_all(root, ignored);
  }
  return ok ? 0 : 1;
}
