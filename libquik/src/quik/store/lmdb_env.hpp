// SPDX-License-Identifier: MIT
// quik::store::LmdbEnv: the LMDB environment behind sessions, API tokens,
// counters and presence (the seed's Redis), with a small typed API so no LMDB
// type leaves libquik/src/quik/store/.
//
// On-disk layout, format version 1 (kLmdbFormatVersion):
//   tokens   key: SHA-256 of a secret (32 raw bytes)  value: serialized record
//            (its format belongs to the caller that writes it)
//   counters key: counter name                        value: int64, 8 bytes,
//                                                            little-endian
//   meta     key: name                                value: bytes; the key
//            "lmdb_format_version" is reserved and holds "1"
//   presence key: user id (26 bytes)                  value: 11 bytes, layout
//            version 1 (presence/presence_internal.hpp):
//              [0]     layout version, 1
//              [1]     effective status: 0 online, 1 away, 2 dnd, 3 offline
//              [2]     manual status (same codes; 0xff: none)
//              [3..10] last_seen, int64 ms since the epoch, little-endian
//
// Adding a database keeps the format version: Open creates any that a data
// dir made by an older build lacks, and older builds ignore the ones they do
// not know.
//
// Thread and process safety: an LmdbEnv may be used from any number of
// threads at once, and several processes may open the same directory; every
// call is one LMDB transaction, readers never block, writers serialize on
// LMDB's lock file. Do not open one directory twice in one process (LMDB's
// POSIX locks would break; Open refuses it), and do not use an LmdbEnv in a
// child after fork(): open a new one there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quik/status.hpp"

namespace quik::store {

inline constexpr std::string_view kLmdbFormatVersion = "1";

enum class Db { kTokens, kCounters, kMeta, kPresence };

// Writes to apply atomically with LmdbEnv::Apply, in the order added.
// Not thread-safe; a plain value.
class WriteBatch {
 public:
  void Put(Db db, std::string_view key, std::string_view value);
  // Deleting a key that does not exist is not an error.
  void Delete(Db db, std::string_view key);
  // Appends `other`'s operations after this batch's (group commit merges the
  // batches of one SQLite transaction into one LMDB transaction).
  void Append(WriteBatch&& other);
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }

 private:
  friend class LmdbEnv;
  struct Op {
    bool is_delete;
    Db db;
    std::string key;
    std::string value;
  };
  std::vector<Op> ops_;
};

class LmdbEnv {
 public:
  // Opens (creating if missing) the environment in directory `dir`, with a
  // memory map of `map_size_bytes`: the most the data may ever grow to, and
  // only reserved address space until used. Every process opening `dir`
  // should pass the same size. Also clears reader slots left behind by
  // crashed processes. Errors name `dir`.
  static Result<std::unique_ptr<LmdbEnv>> Open(const std::filesystem::path& dir,
                                               uint64_t map_size_bytes);
  ~LmdbEnv();
  LmdbEnv(const LmdbEnv&) = delete;
  LmdbEnv& operator=(const LmdbEnv&) = delete;

  // Keys are 1..max_key_size() bytes (InvalidArgument otherwise); values any
  // size. A full map or disk gives StorageFull (store/space.hpp); other
  // failures Internal.
  Status Put(Db db, std::string_view key, std::string_view value);
  // nullopt if the key is absent.
  Result<std::optional<std::string>> Get(Db db, std::string_view key);
  // Get for each of `keys` in one read transaction (one snapshot), in order.
  Result<std::vector<std::optional<std::string>>> GetMany(Db db,
                                                          const std::vector<std::string>& keys);
  // Deleting an absent key is ok.
  Status Delete(Db db, std::string_view key);
  // All of `batch` in one write transaction: every write happens, or none.
  Status Apply(const WriteBatch& batch);

  // Reads key `key` and writes what `fn` makes of it, in one write
  // transaction, so concurrent updates from threads or processes never lose
  // one. `fn` gets the current value (nullopt if absent) and returns the new
  // one, or nullopt to leave the key as it is, or an error, which Update
  // returns (in both cases nothing is written). `fn` runs under LMDB's write
  // lock: it must be quick and must not call this LmdbEnv.
  using UpdateFn =
      std::function<Result<std::optional<std::string>>(const std::optional<std::string>&)>;
  Status Update(Db db, std::string_view key, const UpdateFn& fn);
  // The same for several keys in one write transaction (one sync): `fn` gets
  // each key's index and value in turn; an error writes none of them.
  using UpdateManyFn = std::function<Result<std::optional<std::string>>(
      std::size_t index, const std::optional<std::string>&)>;
  Status UpdateMany(Db db, const std::vector<std::string>& keys, const UpdateManyFn& fn);

  // Whether a write of `bytes` more would fit in the map: tried in a write
  // transaction that is then aborted (nothing is written). StorageFull if not.
  Status ProbeSpace(std::size_t bytes);

  // Adds `delta` to counter `key` (absent counts as 0) in one write
  // transaction, so concurrent adds from threads or processes never lose an
  // update; returns the new value. InvalidArgument if it would overflow.
  Result<int64_t> AddCounter(std::string_view key, int64_t delta);
  // The counter's value; 0 if absent.
  Result<int64_t> GetCounter(std::string_view key);

  // Backup (admin/backup.cc): writes a consistent copy of the environment,
  // as of one read transaction, to `dst_dir` (which must exist and hold no
  // data.mdb), compacted (free pages left out) when `compact`. Writers go on
  // meanwhile.
  Status CopyTo(const std::filesystem::path& dst_dir, bool compact);
  // Removes every key of `db`.
  Status Clear(Db db);
  // Every key of `db` in one write transaction: `fn` gets each key and value
  // and returns a new value, or nullopt to leave it, or an error (then
  // nothing is written). `fn` must not call this LmdbEnv.
  using RewriteFn = std::function<Result<std::optional<std::string>>(std::string_view key,
                                                                     std::string_view value)>;
  Status RewriteAll(Db db, const RewriteFn& fn);

  // Verify (admin/backup.cc): opens the environment in `dir` read-only
  // (`lockless`: without the lock file, for a copy nobody else uses) and
  // reads every key of every database. Returns how many entries it read, or
  // what failed. Refuses a directory this process has open.
  static Result<std::int64_t> CheckReadable(const std::filesystem::path& dir, bool lockless);

  // How many stale reader slots (from crashed processes) Open cleared.
  int stale_readers_cleared() const { return stale_readers_cleared_; }
  size_t max_key_size() const { return max_key_size_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  struct Handles;  // LMDB handles, kept out of this header
  LmdbEnv(std::filesystem::path dir, std::unique_ptr<Handles> handles, int stale_readers_cleared);

  Status CheckKey(std::string_view key) const;
  Status CorruptCounter(std::string_view key, size_t size) const;

  std::filesystem::path dir_;
  std::unique_ptr<Handles> handles_;
  int stale_readers_cleared_ = 0;
  size_t max_key_size_ = 0;
};

}  // namespace quik::store
