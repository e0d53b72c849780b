#include "store/store.hpp"

#include <algorithm>
#include <exception>

#include "store/sqlite_tx.hpp"

namespace quik::store {

struct Store::Writer {
  const WriteFn* fn;
  Status result;
  bool done = false;
  std::condition_variable cv;
};

Result<std::unique_ptr<Store>> Store::Open(const Options& options) {
  auto db_path = options.data_dir / "quik.db";
  std::error_code ec;
  if (!std::filesystem::exists(db_path, ec)) {
    return NotFound("data dir " + options.data_dir.string() +
                    " is not initialised (no quik.db); run `quikctl init`");
  }
  QUIK_ASSIGN_OR_RETURN(auto conn, OpenWriteConnection(options));
  QUIK_ASSIGN_OR_RETURN(
      auto lmdb, LmdbEnv::Open(options.data_dir / "lmdb", options.storage.lmdb_map_size_mib << 20));
  std::unique_ptr<Store> store(new Store(options, std::move(conn), std::move(lmdb)));
  return store;
}

Result<std::unique_ptr<Connection>> Store::OpenWriteConnection(const Options& options) {
  return Connection::Open(options.data_dir / "quik.db", Connection::Mode::kReadWrite,
                          options.storage.sync == SyncMode::kFull, options.storage.busy_timeout_ms);
}

Store::Store(const Options& options, std::unique_ptr<Connection> write_conn,
             std::unique_ptr<LmdbEnv> lmdb)
    : options_(options), write_conn_(std::move(write_conn)), lmdb_(std::move(lmdb)) {}

Store::~Store() = default;

Status Store::Write(const WriteFn& fn) {
  Writer w;
  w.fn = &fn;
  std::vector<Writer*> batch;
  const size_t max_batch = static_cast<size_t>(std::max(1, options_.storage.max_batch));
  batch.reserve(std::min<size_t>(max_batch, 64));

  std::unique_lock lock(write_mu_);
  writers_.push_back(&w);
  while (!w.done && writers_.front() != &w) w.cv.wait(lock);
  if (w.done) return w.result;

  // This thread leads: it takes everyone queued so far into one transaction.
  // Writers that arrive meanwhile queue up and form the next batch.
  for (auto it = writers_.begin(); it != writers_.end() && batch.size() < max_batch; ++it) {
    batch.push_back(*it);
  }
  lock.unlock();
  CommitBatch(batch);  // does not throw: every writer's exception becomes its Status
  lock.lock();
  stats_.commits++;
  // Followers are woken under the lock: each Writer lives on its caller's
  // stack and may be gone as soon as the caller can see `done`.
  for (Writer* b : batch) {
    writers_.pop_front();
    if (b->result.ok()) stats_.writes++;
    if (b != &w) {
      b->done = true;
      b->cv.notify_one();
    }
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  return w.result;
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
  Status undo = ExecPrepared(conn, "ROLLBACK TO w");
  if (undo.ok()) undo = ExecPrepared(conn, "RELEASE w");
  return undo.ok() ? st : undo;
}

}  // namespace

void Store::CommitBatch(std::vector<Writer*>& batch) {
  Connection& conn = *write_conn_;
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
  // LMDB first: its entries (token lookups) only ever describe work that is
  // committing; if the SQLite commit then fails they describe nothing usable
  // (an index entry for a secret never handed out, or a revocation that the
  // caller was told failed and will retry).
  Status commit;
  if (!lmdb_batch.empty()) commit = lmdb_->Apply(lmdb_batch);
  if (commit.ok()) commit = ExecPrepared(conn, "COMMIT");
  if (!commit.ok()) fail_all(commit);
}

void Store::ReopenWriteConnection() {
  // The connection is stuck inside a transaction it cannot end; start afresh
  // (closing it rolls the transaction back).
  auto fresh = OpenWriteConnection(options_);
  if (fresh.ok()) write_conn_ = std::move(*fresh);
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
  return Connection::Open(options_.data_dir / "quik.db", Connection::Mode::kReadOnly,
                          options_.storage.sync == SyncMode::kFull,
                          options_.storage.busy_timeout_ms);
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
    st = RunWriter(fn, tx);
    Status end = ExecPrepared(*conn, st.ok() ? "COMMIT" : "ROLLBACK");
    if (st.ok()) st = end;
  }
  // A connection left inside a transaction would pin an old snapshot.
  if (sqlite3_get_autocommit(conn->raw())) ReleaseReader(std::move(conn));
  return st;
}

WriteStats Store::write_stats() {
  std::lock_guard lock(write_mu_);
  return stats_;
}

}  // namespace quik::store
