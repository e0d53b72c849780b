// SPDX-License-Identifier: MIT
// Background WAL checkpoints (storage.sync = "normal").
//
// SQLite's automatic checkpoint runs inside the commit that crosses the
// threshold: that commit then syncs the whole WAL and the database before it
// returns, and every write queued behind it waits (~20 ms every 8000 pages in
// bench_http, the p99 of a busy server). Here the commit only signals a thread
// that checkpoints on its own connection in PASSIVE mode, which never blocks
// writers or readers; once the WAL has grown well past the threshold (the
// passes do not catch up with a busy writer), a pass ends in RESTART mode for
// the few pages appended meanwhile, which holds writers back only that long
// and makes the next commit reuse the WAL from its start. Should the WAL still grow far past the
// threshold (a checkpoint held back by long readers), the commit checkpoints
// itself, as SQLite would, so the WAL stays bounded.
//
// With storage.sync = "full" every commit syncs the WAL anyway and a second
// thread syncing the database competes for the disk, so it is not used there.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

struct sqlite3;

namespace quik::store {

class Connection;

class Checkpointer {
 public:
  // WAL pages (4 KiB) after which a background checkpoint starts, and after
  // which the committing connection checkpoints itself.
  static constexpr int kBackgroundPages = 4000;
  static constexpr int kInlinePages = 64000;
  // WAL pages after which the background pass ends in RESTART mode.
  static constexpr int kRestartPages = 12000;

  Checkpointer(std::filesystem::path db_path, int busy_timeout_ms);
  ~Checkpointer();  // waits for a running checkpoint
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Replaces SQLite's automatic checkpoint of the write connection `db` with
  // this one. The checkpointer must outlive the connection's last commit.
  void Attach(sqlite3* db);

  // Checkpoints run so far (for tests).
  int completed();

 private:
  static int OnCommit(void* self, sqlite3* db, const char* name, int pages);
  void Loop();

  const std::filesystem::path db_path_;
  const int busy_timeout_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stopping_ = false;
  int completed_ = 0;
  std::thread thread_;  // started by the first signal
};

}  // namespace quik::store
