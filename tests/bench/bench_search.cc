// SPDX-License-Identifier: MIT
// bench_search: full-text search latency over a large workspace.
//
//   bench_search [--messages N] [--runs R] [--data-dir DIR] [--keep]
//
// Builds (once) a data dir with one workspace, 200 channels (every 5th
// private), 10 authors and N messages (default 1,000,000) spread over the
// last year: 4..24 words each drawn from a Zipf distribution (s = 1.07) over
// a 6,000-word vocabulary (the most common English words first, then
// made-up words), plus mentions (2%), links (3%), thread replies (10%) and a
// rare word ("quokka", ~20 messages). Messages go in through store::Tx
// InsertMessage in transactions of 20,000, so the search index is built by
// the real triggers. Then it runs each query R times (default 200) as a
// normal member (in every public channel and 10 of the 40 private ones: the
// permission filter is active), through SearchService (page of 20, snippets
// and message rows included), and prints p50/p99 in microseconds and the
// index size (dbstat).
//
// --data-dir DIR: build there, or reuse DIR if it already holds a built data
// dir (the size is whatever it was built with). Without it, a temp dir,
// removed at the end unless --keep.
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "common/ids.hpp"
#include "quik/actor.hpp"
#include "quik/datadir.hpp"
#include "quik/search.hpp"
#include "quik/service.hpp"
#include "service/context.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using quik_bench::Die;
using quik_bench::ValueOrDie;

struct Flags {
  long messages = 1000000;
  int runs = 200;
  std::filesystem::path data_dir;
  bool keep = false;
};

[[noreturn]] void Usage() {
  std::fprintf(stderr, "usage: bench_search [--messages N] [--runs R] [--data-dir DIR] [--keep]\n");
  std::exit(2);
}

constexpr int kChannels = 200;
constexpr int kAuthors = 10;

const char* const kCommon[] = {
    "the",   "to",    "and",   "a",      "of",      "in",    "is",     "it",     "you",    "that",
    "for",   "on",    "we",    "this",   "be",      "with",  "have",   "are",    "not",    "can",
    "i",     "will",  "do",    "at",     "if",      "but",   "so",     "from",   "just",   "all",
    "what",  "was",   "they",  "there",  "about",   "get",   "up",     "out",    "one",    "me",
    "my",    "time",  "know",  "more",   "like",    "now",   "think",  "new",    "some",   "need",
    "see",   "make",  "could", "should", "work",    "today", "deploy", "build",  "test",   "review",
    "merge", "issue", "fix",   "bug",    "meeting", "team",  "client", "update", "please", "thanks",
    "week",  "check", "data",  "server", "release", "code",  "branch", "plan",   "report", "sync",
    "call",  "notes", "draft", "design", "budget",  "query", "index",  "cache",  "error",  "log"};

// A deterministic vocabulary: the common words, then pronounceable made-up ones.
std::vector<std::string> Vocabulary(std::size_t size) {
  std::vector<std::string> words(std::begin(kCommon), std::end(kCommon));
  const char* const on[] = {"b", "c", "d", "f", "g", "h",  "k",  "l",  "m",  "n",  "p",  "r",
                            "s", "t", "v", "w", "z", "br", "st", "tr", "pl", "gr", "sh", "ch"};
  const char* const nu[] = {"a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "ee"};
  std::mt19937 rng(7);
  while (words.size() < size) {
    std::string w;
    int syllables = 2 + static_cast<int>(rng() % 3);
    for (int s = 0; s < syllables; ++s) {
      w += on[rng() % std::size(on)];
      w += nu[rng() % std::size(nu)];
    }
    if (rng() % 3 == 0) w += on[rng() % 17];
    words.push_back(std::move(w));
  }
  return words;
}

// Zipf(s) over 0..n-1 by inverting the cumulative weights.
class Zipf {
 public:
  Zipf(std::size_t n, double s) : cdf_(n) {
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) cdf_[i] = sum += 1.0 / std::pow(double(i + 1), s);
    for (double& c : cdf_) c /= sum;
  }
  std::size_t operator()(std::mt19937_64& rng) const {
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return static_cast<std::size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

std::string UserEmail(int i) { return "user" + std::to_string(i) + "@bench.test"; }

void Build(quik::Service& svc, long n) {
  auto sys = quik::Actor::System();
  std::vector<quik::User> users;
  for (int i = 0; i < kAuthors; ++i) {
    quik::NewUser u;
    u.name = "User " + std::to_string(i);
    u.email = UserEmail(i);
    users.push_back(ValueOrDie(svc.users().Create(sys, u), "create user"));
  }
  quik::NewWorkspace spec;
  spec.name = "Bench";
  spec.slug = "bench";
  auto ws = ValueOrDie(svc.workspaces().Create(quik::Actor::ForUser(users[9].id), spec), "ws");
  for (int i = 0; i < kAuthors - 1; ++i) {
    ValueOrDie(svc.workspaces().AddMember(sys, ws.id, users[i].id, quik::Role::kMember), "member");
  }
  std::vector<quik::Channel> channels;
  for (int c = 0; c < kChannels; ++c) {
    quik::NewChannel ch;
    ch.name = "chan-" + std::to_string(c);
    ch.is_private = c % 5 == 0;
    channels.push_back(
        ValueOrDie(svc.channels().Create(quik::Actor::ForUser(users[9].id), ws.id, ch), "channel"));
    if (ch.is_private && c < 50) {
      auto st = svc.channels().AddMember(sys, channels.back().id, users[0].id);
      if (!st.ok()) Die("add member: " + st.ToString());
    }
  }
  auto words = Vocabulary(6000);
  Zipf word_dist(words.size(), 1.07);
  Zipf channel_dist(kChannels, 0.8);
  std::mt19937_64 rng(42);
  auto* ctx = quik::internal::ContextOf(svc);
  const quik::Timestamp now = quik::internal::NowMillis();
  const quik::Timestamp start = now - 365LL * 86400000;
  const double step = 365.0 * 86400000 / double(n);
  std::vector<std::string> last_root(kChannels);
  std::vector<std::int64_t> ordinal(kChannels, 0);
  const long batch = 20000;
  auto t0 = Clock::now();
  for (long done = 0; done < n;) {
    long end = std::min(n, done + batch);
    quik::Status st = ctx->store->Write([&](quik::store::Tx& tx) -> quik::Status {
      for (long i = done; i < end; ++i) {
        quik::Message m;
        int c = static_cast<int>(channel_dist(rng));
        m.created_at = start + static_cast<quik::Timestamp>(double(i) * step);
        m.id = quik::internal::NewId(m.created_at);
        m.channel_id = channels[c].id;
        m.workspace_id = ws.id;
        m.user_id = users[rng() % kAuthors].id;
        int len = 4 + static_cast<int>(rng() % 21);
        for (int w = 0; w < len; ++w) {
          if (w) m.text += ' ';
          m.text += words[word_dist(rng)];
        }
        std::uint64_t r = rng() % 1000000;
        if (r < 20000) m.text += " <@" + users[rng() % kAuthors].id + ">";
        if (r >= 20000 && r < 50000) m.text += " https://example.com/page/" + std::to_string(i);
        if (r >= 50000 && r < 50020) m.text += " quokka";
        if (r >= 100000 && r < 200000 && !last_root[c].empty()) {
          m.thread_root_id = last_root[c];
        } else {
          m.ordinal = ++ordinal[c];
          last_root[c] = m.id;
        }
        QUIK_RETURN_IF_ERROR(tx.InsertMessage(m));
      }
      return quik::Status::Ok();
    });
    if (!st.ok()) Die("insert: " + st.ToString());
    done = end;
    if (done % 200000 == 0 || done == n) {
      double s = std::chrono::duration<double>(Clock::now() - t0).count();
      std::fprintf(stderr, "  %ld messages, %.0f s (%.0f/s)\n", done, s, double(done) / s);
    }
  }
}

void PrintSizes(const std::filesystem::path& db) {
  auto conn = ValueOrDie(
      quik::store::Connection::Open(db, quik::store::Connection::Mode::kReadOnly, false, 5000),
      "open db");
  auto s = ValueOrDie(
      conn->PrepareText(
          "SELECT CASE WHEN name LIKE 'search%' OR name LIKE 'sqlite_autoindex_search%' "
          "THEN name ELSE '(everything else)' END AS n, sum(pgsize) FROM dbstat GROUP BY n "
          "ORDER BY n"),
      "dbstat");
  std::int64_t search_total = 0, total = 0;
  std::printf("\n%-36s %10s\n", "table/index", "MiB");
  for (;;) {
    auto row = ValueOrDie(s.Step(), "dbstat");
    if (!row) break;
    std::string name = s.Text(0);
    std::int64_t bytes = s.Int(1);
    total += bytes;
    if (name != "(everything else)") search_total += bytes;
    std::printf("%-36s %10.1f\n", name.c_str(), double(bytes) / 1048576.0);
  }
  std::printf("%-36s %10.1f\n%-36s %10.1f\n", "search index total",
              double(search_total) / 1048576.0, "database total", double(total) / 1048576.0);
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  quik_bench::ForEachFlag(argc, argv, Usage, [&](const std::string& k, const std::string& v) {
    if (k == "--messages") {
      flags.messages = std::stol(v);
    } else if (k == "--runs") {
      flags.runs = std::stoi(v);
    } else if (k == "--data-dir") {
      flags.data_dir = v;
    } else if (k == "--keep") {
      flags.keep = true;
    } else {
      return false;
    }
    return true;
  });
  const bool temp = flags.data_dir.empty();
  std::filesystem::path dir = temp ? quik_bench::MakeRunDir("", "bench-search") : flags.data_dir;
  quik::Options options;
  options.data_dir = dir;
  options.storage.sync = quik::SyncMode::kNormal;
  options.auth.scrypt_log2_n = 10;
  const bool reuse = std::filesystem::exists(dir / "quik.db");
  if (!reuse) ValueOrDie(quik::InitDataDir(options), "init");
  auto svc = ValueOrDie(quik::Service::Open(options), "open");
  if (!reuse) {
    std::fprintf(stderr, "building %ld messages in %s\n", flags.messages, dir.c_str());
    auto t0 = Clock::now();
    Build(*svc, flags.messages);
    std::fprintf(stderr, "built in %.1f s\n",
                 std::chrono::duration<double>(Clock::now() - t0).count());
  }
  auto member = ValueOrDie(svc->users().Get(quik::Actor::System(), UserEmail(0)), "user0");
  auto actor = quik::Actor::ForUser(member.id);
  auto words = Vocabulary(6000);
  // A month, six months ago (UTC dates).
  auto date = [](quik::Timestamp ms) {
    using namespace std::chrono;
    year_month_day ymd{floor<days>(sys_time<milliseconds>(milliseconds(ms)))};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()),
                  unsigned(ymd.day()));
    return std::string(buf);
  };
  quik::Timestamp now = quik::internal::NowMillis();
  std::string range =
      "after:" + date(now - 200LL * 86400000) + " before:" + date(now - 170LL * 86400000);
  struct Case {
    std::string name;
    std::string query;
    quik::SearchSort sort = quik::SearchSort::kRecent;
  };
  const auto rel = quik::SearchSort::kRelevance;
  std::vector<Case> cases = {
      {"rare word", "quokka"},
      {"common word", "the"},
      {"mid-frequency word", words[300]},
      {"two words", words[20] + " " + words[50]},
      {"phrase", "\"" + words[0] + " " + words[1] + "\""},
      {"prefix", words[400].substr(0, 3) + "*"},
      {"word -word", words[5] + " -" + words[6]},
      {"in:#channel word", words[10] + " in:#chan-7"},
      {"in:#small-channel word", words[10] + " in:#chan-199"},
      {"from:@user word", words[10] + " from:@user3"},
      {"date range word", words[10] + " " + range},
      {"in:#channel (no words)", "in:#chan-7"},
      {"from:@user (no words)", "from:@user3"},
      {"has:link (no words)", "has:link"},
      {"is:thread word", words[10] + " is:thread"},
      {"rare word, relevance", "quokka", rel},
      {"two words, relevance", words[20] + " " + words[50], rel},
      {"mid-frequency, relevance", words[300], rel},
      {"common word, relevance", "the", rel},
  };
  std::printf("%-28s %-44s %8s %8s %8s %6s\n", "case", "query", "sort", "p50_us", "p99_us", "hits");
  for (const Case& c : cases) {
    quik::SearchRequest req;
    req.query = c.query;
    req.sort = c.sort;
    req.limit = 20;
    std::vector<std::uint32_t> us;
    std::size_t hits = 0;
    const int runs = c.sort == rel && c.query == "the" ? std::min(flags.runs, 20) : flags.runs;
    for (int i = 0; i < runs + 3; ++i) {
      auto t0 = Clock::now();
      auto page = ValueOrDie(svc->search().Search(actor, "bench", req), c.query);
      auto dt = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
      if (i >= 3) us.push_back(static_cast<std::uint32_t>(dt));  // 3 warm-up runs
      hits = page.items.size();
    }
    std::string shown = c.query.size() > 44 ? c.query.substr(0, 41) + "..." : c.query;
    std::printf("%-28s %-44s %8s %8u %8u %6zu\n", c.name.c_str(), shown.c_str(),
                c.sort == rel ? "relev" : "recent", quik_bench::Percentile(us, 0.5),
                quik_bench::Percentile(us, 0.99), hits);
    std::fflush(stdout);
  }
  svc.reset();
  PrintSizes(dir / "quik.db");
  if (temp && !flags.keep) std::filesystem::remove_all(dir);
  return 0;
}
