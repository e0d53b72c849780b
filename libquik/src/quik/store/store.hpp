// SPDX-License-Identifier: MIT
// store::Store: the data dir's databases and how transactions run on them.
//
// Writes go through Write(): concurrent callers are grouped (leader/follower,
// as in LevelDB's write path) into one SQLite transaction and one sync; each
// caller's work runs in its own savepoint, so one failure rolls back only that
// caller. A lone writer commits at once: there is no timer. Reads run on a
// pool of read-only connections, each in its own snapshot (WAL).
//
// Thread safety: all methods may be called from any thread. Several processes
// may open the same data dir: SQLite's write lock and LMDB's serialise them.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "quik/options.hpp"
#include "quik/status.hpp"
#include "store/checkpointer.hpp"
#include "store/lmdb_env.hpp"
#include "store/sqlite.hpp"
#include "store/tx.hpp"

namespace quik::store {

// Commit statistics, for benchmarks and (later) /metrics.
struct WriteStats {
  std::uint64_t commits = 0;
  std::uint64_t writes = 0;  // writes committed; writes / commits = mean batch size

  // Histograms of commit duration (transaction plus sync) and batch size:
  // buckets[i] counts commits <= kBounds[i]; the last bucket is the rest.
  static constexpr std::array<std::int64_t, 12> kCommitBoundsUs = {
      100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000};
  static constexpr std::array<std::int64_t, 11> kBatchBounds = {1,  2,   4,   8,   16,  32,
                                                                64, 128, 256, 512, 1024};
  std::array<std::uint64_t, kCommitBoundsUs.size() + 1> commit_us_buckets{};
  std::uint64_t commit_us_sum = 0;
  std::array<std::uint64_t, kBatchBounds.size() + 1> batch_buckets{};
};

class Store {
 public:
  // Opens quik.db and lmdb/ under options.data_dir; the database must exist.
  static Result<std::unique_ptr<Store>> Open(const Options& options);
  ~Store();

  using WriteFn = std::function<Status(Tx&)>;
  // Runs `fn` in a write transaction and returns once it is durable (or
  // failed). `fn` may run on another caller's thread, and must not call Write
  // or Read itself.
  Status Write(const WriteFn& fn);

  using DoneFn = std::function<void(Status)>;
  // Queues `fn` and returns at once; `done` receives its status once it is
  // durable (or failed). Both run on whichever thread leads the group commit
  // (the store's commit thread, or a synchronous writer's), never under a
  // library lock; `done` must not block and must not call Write. Writes
  // queued when the Store is destroyed are committed first.
  void WriteAsync(WriteFn fn, DoneFn done);

  // Runs `fn` in a read-only snapshot on the calling thread.
  Status Read(const std::function<Status(Tx&)>& fn);

  // Called after every commit of this Store, on the committing thread and
  // outside the write lock; must not block. Replaces any earlier listener;
  // once this returns, the earlier one is not running and never will again.
  void set_commit_listener(std::function<void()> listener);

  // Opens a connection that tells when any other connection, in this process
  // or another, has committed (PRAGMA data_version): a cheap check of the
  // WAL index, not a read of the data.
  class ChangeWatch {
   public:
    explicit ChangeWatch(std::unique_ptr<Connection> conn) : conn_(std::move(conn)) {}
    // True when a commit happened since the previous call (and on the first).
    Result<bool> Changed();

   private:
    std::unique_ptr<Connection> conn_;
    std::int64_t version_ = -1;
  };
  Result<std::unique_ptr<ChangeWatch>> WatchChanges();

  LmdbEnv& lmdb() { return *lmdb_; }
  WriteStats write_stats();

  // Whether a write failed for lack of space (store/space.hpp) since
  // CheckSpace last found room.
  bool full() const { return full_.load(std::memory_order_relaxed); }
  // Whether there is room for writes again: some free bytes on the data
  // dir's filesystem, pages left under quik.db's page limit, and a trial LMDB
  // write that is rolled back. Ok clears full(); otherwise StorageFull.
  Status CheckSpace();
  // Caps quik.db at `pages` pages (SQLite's max_page_count, applied before
  // the next commit; 0: no cap): past it writes fail as on a full disk. For
  // tests of that path, which need no small filesystem.
  void set_max_db_pages(std::int64_t pages) { max_db_pages_.store(pages); }

 private:
  struct Writer;
  Store(const Options& options, std::unique_ptr<Connection> write_conn,
        std::unique_ptr<LmdbEnv> lmdb);

  // Commits batches while this thread is the leader (the front of writers_):
  // its own, then any whose front is asynchronous. `lock` holds write_mu_.
  void Lead(std::unique_lock<std::mutex>& lock);
  // The thread that leads when an asynchronous write arrives at an empty queue.
  void CommitterLoop();
  // Counts one commit in stats_ (write_mu_ held).
  void RecordCommit(std::int64_t micros, std::size_t batch_size);
  // Runs `batch` (the front of writers_) as one transaction on the write
  // connection, adding writers that queue meanwhile (leader only).
  void CommitBatch(std::vector<Writer*>& batch);
  void CommitBatchOnce(std::vector<Writer*>& batch);  // CommitBatch less the full() check
  // A connection to quik.db with the storage options applied.
  static Result<std::unique_ptr<Connection>> OpenConnection(const Options& options,
                                                            Connection::Mode mode);
  static Result<std::unique_ptr<Connection>> OpenWriteConnection(const Options& options);
  void ReopenWriteConnection();
  void AttachCheckpointer();
  Result<std::unique_ptr<Connection>> AcquireReader();
  void ReleaseReader(std::unique_ptr<Connection> conn);

  const Options options_;
  // Before write_conn_, whose commits call it, so that it is destroyed after.
  std::unique_ptr<Checkpointer> checkpointer_;  // sync = "normal" only
  std::unique_ptr<Connection> write_conn_;      // used only by the current leader
  std::unique_ptr<LmdbEnv> lmdb_;

  std::mutex write_mu_;
  std::deque<Writer*> writers_;  // front: the leader or the next one
  WriteStats stats_;
  std::condition_variable committer_cv_;
  bool committer_wanted_ = false;
  bool stopping_ = false;
  std::thread committer_;  // started by the first WriteAsync

  // Held shared while the listener runs, so that set_commit_listener waits
  // out a call in flight (the Bus that owns it may be going away).
  std::shared_mutex listener_mu_;
  std::function<void()> commit_listener_;

  std::atomic<bool> full_{false};
  std::atomic<std::int64_t> max_db_pages_{0};
  std::int64_t applied_max_db_pages_ = 0;  // leader only; -1: a new connection

  std::mutex read_mu_;
  std::vector<std::unique_ptr<Connection>> readers_;  // idle read connections
};

}  // namespace quik::store
