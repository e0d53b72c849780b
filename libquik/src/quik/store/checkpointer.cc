// SPDX-License-Identifier: MIT
#include "store/checkpointer.hpp"

#include <sqlite3.h>

#include <utility>

#include "store/sqlite.hpp"

namespace quik::store {

Checkpointer::Checkpointer(std::filesystem::path db_path, int busy_timeout_ms)
    : db_path_(std::move(db_path)), busy_timeout_ms_(busy_timeout_ms) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Checkpointer::Attach(sqlite3* db) { sqlite3_wal_hook(db, &Checkpointer::OnCommit, this); }

int Checkpointer::completed() {
  std::lock_guard lock(mu_);
  return completed_;
}

int Checkpointer::OnCommit(void* self, sqlite3* db, const char* name, int pages) {
  auto* c = static_cast<Checkpointer*>(self);
  if (pages >= kInlinePages) {
    // Far behind: bound the WAL as SQLite's own autocheckpoint would.
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return SQLITE_OK;
  }
  if (pages >= kBackgroundPages) {
    std::lock_guard lock(c->mu_);
    if (!c->wanted_) {
      c->wanted_ = true;
      if (!c->thread_.joinable()) {
        c->thread_ = std::thread([c] { c->Loop(); });
      } else {
        c->cv_.notify_one();
      }
    }
  }
  return SQLITE_OK;
}

void Checkpointer::Loop() {
  std::unique_ptr<Connection> conn;
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return wanted_ || stopping_; });
    if (stopping_) return;
    lock.unlock();
    if (!conn) {
      auto opened = Connection::Open(db_path_, Connection::Mode::kReadWrite,
                                     /*sync_full=*/false, busy_timeout_ms_);
      if (opened.ok()) conn = std::move(*opened);
    }
    // A failure (a busy lock, an I/O error) is retried at the next signal;
    // the commit path checkpoints itself if the WAL keeps growing.
    if (conn) {
      // The long part without any lock: copy the WAL's pages into the
      // database while writers go on appending.
      int wal_pages = 0;
      sqlite3_wal_checkpoint_v2(conn->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_pages,
                                nullptr);
      // A PASSIVE pass rarely catches up with a busy writer, and the WAL only
      // restarts from its beginning once all of it is in the database. When
      // it has grown well past the threshold, copy the pages appended
      // meanwhile in RESTART mode: that holds writers back for those few
      // pages only, and the next commit reuses the WAL.
      if (wal_pages >= kRestartPages) {
        sqlite3_wal_checkpoint_v2(conn->raw(), nullptr, SQLITE_CHECKPOINT_RESTART, nullptr,
                                  nullptr);
      }
    }
    lock.lock();
    wanted_ = false;
    ++completed_;
  }
}

}  // namespace quik::store
