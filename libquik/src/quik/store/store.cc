// SPDX-License-Identifier: MIT
#include "store/store.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>

#include "store/space.hpp"
#include "common/private_files.hpp"
#include "store/sqlite_tx.hpp"

namespace quik::store {

// One queued write. A synchronous caller's Writer lives on its stack and the
// caller waits on `cv`; an asynchronous one is heap-allocated, owns its
// function and is completed through `on_done` by whichever thread leads.
struct Store::Writer {
  const WriteFn* fn = nullptr;
  Status result;
  bool done = false;
  std::condition_variable cv;
  // Asynchronous writers only.
  WriteFn owned_fn;
  DoneFn on_done;
  bool is_async() const { return static_cast<bool>(on_done); }
};

Result<std::unique_ptr<Store>> Store::Open(const Options& options) {
  auto db_path = options.data_dir / "quik.db";
  std::error_code ec;
  if (!std::filesystem::exists(db_path, ec)) {
    return NotFound("data dir " + options.data_dir.string() +
                    " is not initialised (no quik.db); run `quikctl init`");
  }
  // Directories 0700, files 0600 (common/private_files.hpp): mends what an
  // older version made before anything is written.
  QUIK_RETURN_IF_ERROR(internal::MakeDataDirPrivate(options.data_dir));
  QUIK_ASSIGN_OR_RETURN(auto conn, OpenWriteConnection(options));
  QUIK_ASSIGN_OR_RETURN(
      auto lmdb, LmdbEnv::Open(options.data_dir / "lmdb", options.storage.lmdb_map_size_mib << 20));
  std::unique_ptr<Store> store(new Store(options, std::move(conn), std::move(lmdb)));
  return store;
}

Result<std::unique_ptr<Connection>> Store::OpenConnection(const Options& options,
                                                          Connection::Mode mode) {
  QUIK_ASSIGN_OR_RETURN(auto conn, Connection::Open(options.data_dir / "quik.db", mode,
                                                    options.storage.sync == SyncMode::kFull,
                                                    options.storage.busy_timeout_ms));
  QUIK_RETURN_IF_ERROR(conn->Exec("PRAGMA cache_size=-" +
                                  std::to_string(std::int64_t{options.storage.cache_mib} * 1024)));
  return conn;
}

Result<std::unique_ptr<Connection>> Store::OpenWriteConnection(const Options& options) {
  return OpenConnection(options, Connection::Mode::kReadWrite);
}

Store::Store(const Options& options, std::unique_ptr<Connection> write_conn,
             std::unique_ptr<LmdbEnv> lmdb)
    : options_(options), write_conn_(std::move(write_conn)), lmdb_(std::move(lmdb)) {
  if (options_.storage.sync == SyncMode::kNormal) {
    // A short busy timeout: a RESTART pass holds new writers back while it
    // waits for readers, so it gives up (and retries later) rather than stall
    // posts behind a long reader.
    checkpointer_ = std::make_unique<Checkpointer>(options_.data_dir / "quik.db",
                                                   std::min(options_.storage.busy_timeout_ms, 100));
  }
  AttachCheckpointer();
}

void Store::AttachCheckpointer() {
  if (checkpointer_) checkpointer_->Attach(write_conn_->raw());
}

Store::~Store() {
  {
    std::lock_guard lock(write_mu_);
    stopping_ = true;
  }
  committer_cv_.notify_one();
  if (committer_.joinable()) committer_.join();  // after it has committed what is queued
}

Status Store::Write(const WriteFn& fn) {
  Writer w;
  w.fn = &fn;
  std::unique_lock lock(write_mu_);
  writers_.push_back(&w);
  while (!w.done && writers_.front() != &w) w.cv.wait(lock);
  if (w.done) return w.result;
  Lead(lock);
  return w.result;
}

void Store::WriteAsync(WriteFn fn, DoneFn done) {
  auto* w = new Writer;
  w->owned_fn = std::move(fn);
  w->fn = &w->owned_fn;
  w->on_done = std::move(done);
  std::lock_guard lock(write_mu_);
  writers_.push_back(w);
  // Nobody leads an empty queue: the commit thread does, so that the caller
  // goes on submitting. Otherwise the current leader commits it (a leader
  // keeps leading while the queue's front is asynchronous).
  if (writers_.front() == w) {
    committer_wanted_ = true;
    if (!committer_.joinable()) {
      committer_ = std::thread([this] { CommitterLoop(); });
    } else {
      committer_cv_.notify_one();
    }
  }
}

void Store::RecordCommit(std::int64_t micros, std::size_t batch_size) {
  stats_.commits++;
  stats_.commit_us_sum += static_cast<std::uint64_t>(micros);
  const auto& lat = WriteStats::kCommitBoundsUs;
  stats_.commit_us_buckets[static_cast<std::size_t>(
      std::lower_bound(lat.begin(), lat.end(), micros) - lat.begin())]++;
  const auto& sizes = WriteStats::kBatchBounds;
  stats_.batch_buckets[static_cast<std::size_t>(
      std::lower_bound(sizes.begin(), sizes.end(), static_cast<std::int64_t>(batch_size)) -
      sizes.begin())]++;
}

void Store::CommitterLoop() {
  std::unique_lock lock(write_mu_);
  for (;;) {
    committer_cv_.wait(lock, [this] { return committer_wanted_ || stopping_; });
    committer_wanted_ = false;
    if (!writers_.empty() && writers_.front()->is_async()) Lead(lock);
    if (stopping_ && writers_.empty()) return;
  }
}

void Store::Lead(std::unique_lock<std::mutex>& lock) {
  const size_t max_batch = static_cast<size_t>(std::max(1, options_.storage.max_batch));
  std::vector<Writer*> batch;
  std::vector<Writer*> completed;
  for (;;) {
    // Take everyone queued so far into one transaction; CommitBatch adds
    // those who queue while it runs.
    batch.clear();
    for (auto it = writers_.begin(); it != writers_.end() && batch.size() < max_batch; ++it) {
      batch.push_back(*it);
    }
    lock.unlock();
    const auto started = std::chrono::steady_clock::now();
    CommitBatch(batch);  // does not throw: every writer's exception becomes its Status
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
    lock.lock();
    RecordCommit(took, batch.size());
    // Synchronous followers are woken under the lock: each lives on its
    // caller's stack and may be gone as soon as the caller sees `done`. The
    // leader's own Writer (the first, if synchronous) just returns.
    completed.clear();
    for (size_t i = 0; i < batch.size(); ++i) {
      Writer* b = batch[i];
      writers_.pop_front();
      if (b->result.ok()) stats_.writes++;
      if (b->is_async()) {
        completed.push_back(b);
      } else if (i != 0) {
        b->done = true;
        b->cv.notify_one();
      }
    }
    bool keep_leading = !writers_.empty() && writers_.front()->is_async();
    if (!writers_.empty() && !keep_leading) writers_.front()->cv.notify_one();
    if (!completed.empty()) {
      // Callbacks never run under a library lock.
      lock.unlock();
      for (Writer* b : completed) {
        b->on_done(b->result);
        delete b;
      }
      lock.lock();
    }
    // (Only the leader pops writers_, so the front we saw is still there; if we
    // handed leadership on, the next leader may already be running.)
    if (!keep_leading) return;
  }
}

namespace {

// Runs one writer's function; an exception becomes kInternal, so that it can
// neither escape on another caller's thread nor leave the batch half done.
Status RunWriter(const Store::WriteFn& fn, Tx& tx) {
  try {
    return fn(tx);
  } catch (const std::exception& e) {
    return Internal(std::string("write failed with an exception: ") + e.what());
  } catch (...) {
    return Internal("write failed with an unknown exception");
  }
}

Status ExecPrepared(Connection& conn, const char* sql) {
  QUIK_ASSIGN_OR_RETURN(Stmt stmt, conn.Prepare(sql));
  return stmt.Exec();
}

// Runs one writer of a batch in its own savepoint, so that its failure undoes
// only its own changes and the batch goes on.
Status RunInSavepoint(Connection& conn, const Store::WriteFn& fn, Tx& tx) {
  QUIK_RETURN_IF_ERROR(ExecPrepared(conn, "SAVEPOINT w"));
  Status st = RunWriter(fn, tx);
  if (st.ok()) {
    st = ExecPrepared(conn, "RELEASE w");
    if (st.ok()) return st;
  }
  // SQLite may have ended the whole transaction itself (a full disk): then
  // there is no savepoint to go back to, and `st` says why.
  if (sqlite3_get_autocommit(conn.raw())) return st;
  Status undo = ExecPrepared(conn, "ROLLBACK TO w");
  if (undo.ok()) undo = ExecPrepared(conn, "RELEASE w");
  return undo.ok() ? st : undo;
}

}  // namespace

void Store::CommitBatch(std::vector<Writer*>& batch) {
  CommitBatchOnce(batch);
  for (const Writer* b : batch) {
    if (IsStorageFull(b->result)) full_.store(true, std::memory_order_relaxed);
  }
}

void Store::CommitBatchOnce(std::vector<Writer*>& batch) {
  Connection& conn = *write_conn_;
  if (const std::int64_t pages = max_db_pages_.load(); pages != applied_max_db_pages_) {
    // SQLite's own largest value when uncapped.
    const std::int64_t limit = pages > 0 ? pages : 4294967294;
    if (conn.Exec("PRAGMA max_page_count=" + std::to_string(limit)).ok()) {
      applied_max_db_pages_ = pages;
    }
  }
  Status begin = ExecPrepared(conn, "BEGIN IMMEDIATE");
  if (!begin.ok()) {
    for (Writer* b : batch) b->result = begin;
    return;
  }
  // If SQLite abandons the whole transaction (disk full, I/O error, ...),
  // every writer of the batch fails, including those that ran before.
  auto fail_all = [&](const Status& st) {
    for (Writer* b : batch) b->result = st;
    if (!sqlite3_get_autocommit(conn.raw())) conn.Exec("ROLLBACK").IgnoreError();
    if (!sqlite3_get_autocommit(conn.raw())) ReopenWriteConnection();
  };

  WriteBatch lmdb_batch;
  const size_t max_batch = static_cast<size_t>(std::max(1, options_.storage.max_batch));
  for (size_t i = 0; i < batch.size(); ++i) {
    Writer* b = batch[i];
    SqliteTx tx(conn);
    tx.set_clock(*options_.clock);
    if (batch.size() == 1) {
      // Alone so far: no savepoint; its failure rolls back everything.
      b->result = RunWriter(*b->fn, tx);
      if (!b->result.ok()) {
        fail_all(b->result);
        return;
      }
    } else {
      b->result = RunInSavepoint(conn, *b->fn, tx);
      if (sqlite3_get_autocommit(conn.raw())) {
        fail_all(b->result.ok() ? Internal("the write transaction ended unexpectedly") : b->result);
        return;
      }
    }
    if (b->result.ok()) lmdb_batch.Append(std::move(tx.lmdb()));
    if (i + 1 == batch.size()) {
      // Writers that queued while this batch ran join it before the commit:
      // one sync for them too. (They sit right behind the batch in writers_.)
      std::lock_guard lock(write_mu_);
      for (size_t q = batch.size(); q < writers_.size() && batch.size() < max_batch; ++q) {
        batch.push_back(writers_[q]);
      }
    }
  }
  // The search index's queued changes, once per commit and outside the
  // savepoints (FTS5 writes a segment at each savepoint; migration 9).
  if (Status st = ApplySearchQueue(conn); !st.ok()) return fail_all(st);
  // LMDB first: its entries (token lookups) only ever describe work that is
  // committing; if the SQLite commit then fails they describe nothing usable
  // (an index entry for a secret never handed out, or a revocation that the
  // caller was told failed and will retry).
  Status commit;
  if (!lmdb_batch.empty()) commit = lmdb_->Apply(lmdb_batch);
  if (commit.ok()) commit = ExecPrepared(conn, "COMMIT");
  if (!commit.ok()) return fail_all(commit);
  std::shared_lock lock(listener_mu_);
  if (commit_listener_) commit_listener_();
}

void Store::set_commit_listener(std::function<void()> listener) {
  std::unique_lock lock(listener_mu_);
  commit_listener_ = std::move(listener);
}

Result<bool> Store::ChangeWatch::Changed() {
  QUIK_ASSIGN_OR_RETURN(Stmt s, conn_->Prepare("PRAGMA data_version"));
  QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Internal("PRAGMA data_version returned no row");
  const std::int64_t version = s.Int(0);
  const bool changed = version != version_;
  version_ = version;
  return changed;
}

Result<std::unique_ptr<Store::ChangeWatch>> Store::WatchChanges() {
  QUIK_ASSIGN_OR_RETURN(auto conn, OpenConnection(options_, Connection::Mode::kReadOnly));
  return std::make_unique<ChangeWatch>(std::move(conn));
}

void Store::ReopenWriteConnection() {
  // The connection is stuck inside a transaction it cannot end; start afresh
  // (closing it rolls the transaction back).
  auto fresh = OpenWriteConnection(options_);
  if (fresh.ok()) {
    write_conn_ = std::move(*fresh);
    applied_max_db_pages_ = -1;
    AttachCheckpointer();
  }
}

Result<std::unique_ptr<Connection>> Store::AcquireReader() {
  {
    std::lock_guard lock(read_mu_);
    if (!readers_.empty()) {
      auto conn = std::move(readers_.back());
      readers_.pop_back();
      return conn;
    }
  }
  return OpenConnection(options_, Connection::Mode::kReadOnly);
}

void Store::ReleaseReader(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(read_mu_);
  if (readers_.size() < 16) readers_.push_back(std::move(conn));
}

Status Store::Read(const std::function<Status(Tx&)>& fn) {
  QUIK_ASSIGN_OR_RETURN(auto conn, AcquireReader());
  Status st = ExecPrepared(*conn, "BEGIN");
  if (st.ok()) {
    SqliteTx tx(*conn);
    tx.set_clock(*options_.clock);
    st = RunWriter(fn, tx);
    Status end = ExecPrepared(*conn, st.ok() ? "COMMIT" : "ROLLBACK");
    if (st.ok()) st = end;
  }
  // A connection left inside a transaction would pin an old snapshot.
  if (sqlite3_get_autocommit(conn->raw())) ReleaseReader(std::move(conn));
  return st;
}

Status Store::CheckSpace() {
  if (!full()) return Status::Ok();
  // A little room to work in: what one write might need.
  constexpr std::uint64_t kMinFreeBytes = 1 << 20;
  constexpr std::int64_t kMinFreePages = 16;
  struct statvfs fs {};
  if (::statvfs(options_.data_dir.c_str(), &fs) == 0) {
    const std::uint64_t free_bytes = std::uint64_t{fs.f_bavail} * fs.f_frsize;
    if (free_bytes < kMinFreeBytes) {
      return StorageFull("only " + std::to_string(free_bytes) +
                         " bytes free on the filesystem of " + options_.data_dir.string());
    }
  }
  if (const std::int64_t cap = max_db_pages_.load(); cap > 0) {
    std::int64_t pages = 0, free_pages = 0;
    QUIK_ASSIGN_OR_RETURN(auto conn, AcquireReader());
    for (auto [pragma, out] : {std::pair{"PRAGMA page_count", &pages},
                               std::pair{"PRAGMA freelist_count", &free_pages}}) {
      QUIK_ASSIGN_OR_RETURN(Stmt stmt, conn->Prepare(pragma));
      QUIK_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (row) *out = stmt.Int(0);
    }
    ReleaseReader(std::move(conn));
    if (cap - pages + free_pages < kMinFreePages) {
      return StorageFull("quik.db has reached its page limit (" + std::to_string(cap) + " pages)");
    }
  }
  QUIK_RETURN_IF_ERROR(lmdb_->ProbeSpace(8 * 1024));
  full_.store(false, std::memory_order_relaxed);
  return Status::Ok();
}

WriteStats Store::write_stats() {
  std::lock_guard lock(write_mu_);
  return stats_;
}

}  // namespace quik::store
