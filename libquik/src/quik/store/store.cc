#include "store/store.hpp"

#include <algorithm>

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
  QUIK_ASSIGN_OR_RETURN(auto conn,
                        Connection::Open(db_path, Connection::Mode::kReadWrite,
                                         options.storage.sync == SyncMode::kFull,
                                         options.storage.busy_timeout_ms));
  QUIK_ASSIGN_OR_RETURN(auto lmdb, LmdbEnv::Open(options.data_dir / "lmdb",
                                                 options.storage.lmdb_map_size_mib << 20));
  std::unique_ptr<Store> store(new Store(options, std::move(conn), std::move(lmdb)));
  return store;
}

Store::Store(const Options& options, std::unique_ptr<Connection> write_conn,
             std::unique_ptr<LmdbEnv> lmdb)
    : options_(options), write_conn_(std::move(write_conn)), lmdb_(std::move(lmdb)) {}

Store::~Store() = default;

Status Store::Write(const WriteFn& fn) {
  Writer w;
  w.fn = &fn;
  std::unique_lock lock(write_mu_);
  writers_.push_back(&w);
  while (!w.done && writers_.front() != &w) w.cv.wait(lock);
  if (w.done) return w.result;

  // This thread leads: it takes everyone queued so far into one transaction.
  // Writers that arrive meanwhile queue up and form the next batch.
  std::vector<Writer*> batch;
  size_t max_batch = static_cast<size_t>(std::max(1, options_.storage.max_batch));
  for (auto it = writers_.begin(); it != writers_.end() && batch.size() < max_batch; ++it) {
    batch.push_back(*it);
  }
  lock.unlock();
  CommitBatch(batch);
  lock.lock();
  stats_.commits++;
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

void Store::CommitBatch(const std::vector<Writer*>& batch) {
  Connection& conn = *write_conn_;
  Status begin = conn.Exec("BEGIN IMMEDIATE");
  if (!begin.ok()) {
    for (Writer* b : batch) b->result = begin;
    return;
  }
  WriteBatch lmdb_batch;
  for (Writer* b : batch) {
    SqliteTx tx(conn);
    Status st = conn.Exec("SAVEPOINT w");
    if (st.ok()) {
      st = (*b->fn)(tx);
      if (st.ok()) {
        st = conn.Exec("RELEASE w");
      } else {
        // Undo only this writer's changes; the batch goes on.
        Status undo = conn.Exec("ROLLBACK TO w; RELEASE w");
        if (!undo.ok()) st = undo;
      }
    }
    b->result = st;
    if (st.ok()) lmdb_batch.Append(std::move(tx.lmdb()));
  }
  Status commit;
  // LMDB first: its entries (token lookups) only ever describe work that is
  // committing; if the SQLite commit then fails they describe nothing usable.
  if (!lmdb_batch.empty()) commit = lmdb_->Apply(lmdb_batch);
  if (commit.ok()) commit = conn.Exec("COMMIT");
  if (!commit.ok()) {
    conn.Exec("ROLLBACK").IgnoreError();
    for (Writer* b : batch) {
      if (b->result.ok()) b->result = commit;
    }
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
  Status st = conn->Exec("BEGIN");
  if (st.ok()) {
    SqliteTx tx(*conn);
    st = fn(tx);
    Status end = conn->Exec(st.ok() ? "COMMIT" : "ROLLBACK");
    if (st.ok()) st = end;
  }
  ReleaseReader(std::move(conn));
  return st;
}

WriteStats Store::write_stats() {
  std::lock_guard lock(write_mu_);
  return stats_;
}

}  // namespace quik::store
