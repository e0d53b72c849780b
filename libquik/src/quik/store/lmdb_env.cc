// SPDX-License-Identifier: MIT
#include "store/lmdb_env.hpp"
#include "common/private_files.hpp"

#include <lmdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <system_error>
#include <tuple>
#include <utility>

#include "store/space.hpp"

namespace quik::store {
namespace {

constexpr unsigned int kMaxDbs = 16;  // room for databases added later
constexpr std::string_view kFormatVersionKey = "lmdb_format_version";

// The databases in the order of enum Db.
constexpr std::array<const char*, 4> kDbNames = {"tokens", "counters", "meta", "presence"};

size_t DbIndex(Db db) { return static_cast<size_t>(db); }

MDB_val ToVal(std::string_view s) {
  // LMDB does not write through mv_data for keys or for values to mdb_put.
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

std::string_view ToView(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

std::string EncodeInt64(int64_t value) {
  const auto u = static_cast<uint64_t>(value);
  std::string out(8, '\0');
  for (size_t i = 0; i < 8; ++i) out[i] = static_cast<char>((u >> (8 * i)) & 0xff);
  return out;
}

int64_t DecodeInt64(std::string_view bytes) {  // bytes.size() == 8
  uint64_t u = 0;
  for (size_t i = 0; i < 8; ++i) u |= uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
  return static_cast<int64_t>(u);
}

// Environments open in this process, by (pid, device, inode) of the
// directory: opening one twice in a process would let the second close drop
// the first's POSIX locks, after which another process may reset the lock
// table under it. The pid lets a forked child open the directory even though
// its copy of this set still lists the parent's environment.
class OpenRegistry {
 public:
  using Key = std::tuple<pid_t, dev_t, ino_t>;
  static OpenRegistry& Get() {
    static OpenRegistry* registry = new OpenRegistry;  // never destroyed: no exit-order issues
    return *registry;
  }
  bool Add(const Key& key) {
    std::lock_guard lock(mu_);
    return open_.insert(key).second;
  }
  void Remove(const Key& key) {
    std::lock_guard lock(mu_);
    open_.erase(key);
  }

 private:
  std::mutex mu_;
  std::set<Key> open_;
};

// Aborts the transaction unless committed.
class Txn {
 public:
  Txn() = default;
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn() {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
  }
  int Begin(MDB_env* env, unsigned int flags) { return mdb_txn_begin(env, nullptr, flags, &txn_); }
  int Commit() {
    // mdb_txn_commit frees the transaction even when it fails.
    const int rc = mdb_txn_commit(txn_);
    txn_ = nullptr;
    return rc;
  }
  MDB_txn* get() const { return txn_; }

 private:
  MDB_txn* txn_ = nullptr;
};

}  // namespace

struct LmdbEnv::Handles {
  MDB_env* env = nullptr;
  std::array<MDB_dbi, kDbNames.size()> dbis{};
  OpenRegistry::Key registry_key{};
  bool registered = false;

  Handles() = default;
  Handles(const Handles&) = delete;
  Handles& operator=(const Handles&) = delete;
  ~Handles() {
    if (env != nullptr) mdb_env_close(env);  // also closes the dbis
    if (registered) OpenRegistry::Get().Remove(registry_key);
  }

  MDB_dbi dbi(Db db) const { return dbis[DbIndex(db)]; }
};

namespace {

Status MdbError(int rc, std::string_view what, const std::filesystem::path& dir) {
  switch (rc) {
    case MDB_MAP_FULL:
      return StorageFull("the LMDB map in " + dir.string() +
                         " is full (raise storage.lmdb_map_size_mib)");
    case ENOSPC:
    case EDQUOT:
      return WriteErrno(rc, "LMDB " + std::string(what) + " in " + dir.string());
    case MDB_TXN_FULL:
      return ResourceExhausted("too many changes in one LMDB transaction");
    case MDB_READERS_FULL:
      return Unavailable("all LMDB reader slots in " + dir.string() + " are in use");
    default:
      return Internal("LMDB " + std::string(what) + " in " + dir.string() + ": " +
                      mdb_strerror(rc));
  }
}

}  // namespace

void WriteBatch::Put(Db db, std::string_view key, std::string_view value) {
  ops_.push_back(Op{false, db, std::string(key), std::string(value)});
}

void WriteBatch::Delete(Db db, std::string_view key) {
  ops_.push_back(Op{true, db, std::string(key), {}});
}

void WriteBatch::Append(WriteBatch&& other) {
  if (ops_.empty()) {
    ops_ = std::move(other.ops_);
  } else {
    ops_.insert(ops_.end(), std::make_move_iterator(other.ops_.begin()),
                std::make_move_iterator(other.ops_.end()));
  }
  other.ops_.clear();
}

Result<std::unique_ptr<LmdbEnv>> LmdbEnv::Open(const std::filesystem::path& dir,
                                               uint64_t map_size_bytes) {
  if (map_size_bytes == 0 || map_size_bytes > SIZE_MAX) {
    return InvalidArgument("LMDB map size for " + dir.string() +
                           " is out of range: " + std::to_string(map_size_bytes));
  }
  if (Status made = internal::MakePrivateDirs(dir); !made.ok()) {
    return Internal("cannot create LMDB directory: " + made.message());
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return Internal("cannot stat LMDB directory " + dir.string() + ": " + std::strerror(errno));
  }

  auto handles = std::make_unique<Handles>();
  handles->registry_key = {::getpid(), st.st_dev, st.st_ino};
  if (!OpenRegistry::Get().Add(handles->registry_key)) {
    return Internal("LMDB environment " + dir.string() + " is already open in this process");
  }
  handles->registered = true;

  const auto open_error = [&dir](int rc) {
    return Internal("cannot open LMDB environment at " + dir.string() + ": " + mdb_strerror(rc));
  };
  int rc = mdb_env_create(&handles->env);
  if (rc != 0) return open_error(rc);
  if ((rc = mdb_env_set_maxdbs(handles->env, kMaxDbs)) != 0) return open_error(rc);
  if ((rc = mdb_env_set_mapsize(handles->env, static_cast<size_t>(map_size_bytes))) != 0) {
    return open_error(rc);
  }
  // MDB_NOTLS: reader slots belong to transactions, not threads. Calls may
  // run on thread-pool threads, which would otherwise each pin a slot for
  // their lifetime, and a thread could not hold two read transactions.
  if ((rc = mdb_env_open(handles->env, dir.c_str(), MDB_NOTLS, 0600)) != 0) {
    return open_error(rc);
  }

  // A process that died inside a read transaction leaves its slot marked
  // busy, pinning old pages so the file only grows; clear such slots.
  int stale_readers = 0;
  if ((rc = mdb_reader_check(handles->env, &stale_readers)) != 0) return open_error(rc);

  Txn txn;
  if ((rc = txn.Begin(handles->env, 0)) != 0) return MdbError(rc, "begin", dir);
  for (size_t i = 0; i < kDbNames.size(); ++i) {
    if ((rc = mdb_dbi_open(txn.get(), kDbNames[i], MDB_CREATE, &handles->dbis[i])) != 0) {
      return MdbError(rc, std::string("open database ") + kDbNames[i], dir);
    }
  }
  MDB_val version_key = ToVal(kFormatVersionKey);
  MDB_val version{};
  rc = mdb_get(txn.get(), handles->dbi(Db::kMeta), &version_key, &version);
  if (rc == MDB_NOTFOUND) {
    MDB_val ours = ToVal(kLmdbFormatVersion);
    if ((rc = mdb_put(txn.get(), handles->dbi(Db::kMeta), &version_key, &ours, 0)) != 0) {
      return MdbError(rc, "put format version", dir);
    }
  } else if (rc != 0) {
    return MdbError(rc, "get format version", dir);
  } else if (ToView(version) != kLmdbFormatVersion) {
    return InvalidArgument("LMDB environment " + dir.string() + " has format version '" +
                           std::string(ToView(version)) + "'; this build reads version " +
                           std::string(kLmdbFormatVersion));
  }
  if ((rc = txn.Commit()) != 0) return MdbError(rc, "commit", dir);

  return std::unique_ptr<LmdbEnv>(new LmdbEnv(dir, std::move(handles), stale_readers));
}

LmdbEnv::LmdbEnv(std::filesystem::path dir, std::unique_ptr<Handles> handles,
                 int stale_readers_cleared)
    : dir_(std::move(dir)),
      handles_(std::move(handles)),
      stale_readers_cleared_(stale_readers_cleared),
      max_key_size_(static_cast<size_t>(mdb_env_get_maxkeysize(handles_->env))) {}

LmdbEnv::~LmdbEnv() = default;

Status LmdbEnv::CheckKey(std::string_view key) const {
  if (key.empty() || key.size() > max_key_size_) {
    return InvalidArgument("LMDB keys must be 1 to " + std::to_string(max_key_size_) +
                           " bytes, not " + std::to_string(key.size()));
  }
  return Status::Ok();
}

Status LmdbEnv::Put(Db db, std::string_view key, std::string_view value) {
  WriteBatch batch;
  batch.Put(db, key, value);
  return Apply(batch);
}

Result<std::optional<std::string>> LmdbEnv::Get(Db db, std::string_view key) {
  QUIK_RETURN_IF_ERROR(CheckKey(key));
  Txn txn;
  int rc = txn.Begin(handles_->env, MDB_RDONLY);
  if (rc != 0) return MdbError(rc, "begin read", dir_);
  MDB_val k = ToVal(key);
  MDB_val v{};
  rc = mdb_get(txn.get(), handles_->dbi(db), &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string>();
  if (rc != 0) return MdbError(rc, "get", dir_);
  return std::optional<std::string>(ToView(v));
}

Result<std::vector<std::optional<std::string>>> LmdbEnv::GetMany(
    Db db, const std::vector<std::string>& keys) {
  for (const std::string& key : keys) QUIK_RETURN_IF_ERROR(CheckKey(key));
  std::vector<std::optional<std::string>> out;
  out.reserve(keys.size());
  Txn txn;
  int rc = txn.Begin(handles_->env, MDB_RDONLY);
  if (rc != 0) return MdbError(rc, "begin read", dir_);
  for (const std::string& key : keys) {
    MDB_val k = ToVal(key);
    MDB_val v{};
    rc = mdb_get(txn.get(), handles_->dbi(db), &k, &v);
    if (rc != 0 && rc != MDB_NOTFOUND) return MdbError(rc, "get", dir_);
    out.push_back(rc == 0 ? std::optional<std::string>(ToView(v)) : std::nullopt);
  }
  return out;
}

Status LmdbEnv::Delete(Db db, std::string_view key) {
  WriteBatch batch;
  batch.Delete(db, key);
  return Apply(batch);
}

Status LmdbEnv::Apply(const WriteBatch& batch) {
  if (batch.empty()) return Status::Ok();
  for (const WriteBatch::Op& op : batch.ops_) QUIK_RETURN_IF_ERROR(CheckKey(op.key));
  Txn txn;
  int rc = txn.Begin(handles_->env, 0);
  if (rc != 0) return MdbError(rc, "begin write", dir_);
  for (const WriteBatch::Op& op : batch.ops_) {
    MDB_val k = ToVal(op.key);
    if (op.is_delete) {
      rc = mdb_del(txn.get(), handles_->dbi(op.db), &k, nullptr);
      if (rc != 0 && rc != MDB_NOTFOUND) return MdbError(rc, "delete", dir_);
    } else {
      MDB_val v = ToVal(op.value);
      rc = mdb_put(txn.get(), handles_->dbi(op.db), &k, &v, 0);
      if (rc != 0) return MdbError(rc, "put", dir_);
    }
  }
  if ((rc = txn.Commit()) != 0) return MdbError(rc, "commit", dir_);
  return Status::Ok();
}

Status LmdbEnv::ProbeSpace(std::size_t bytes) {
  Txn txn;  // never committed: aborted when it goes out of scope
  int rc = txn.Begin(handles_->env, 0);
  if (rc != 0) return MdbError(rc, "begin write", dir_);
  const std::string key = "space_probe";
  const std::string value(bytes, '\0');
  MDB_val k = ToVal(key);
  MDB_val v = ToVal(value);
  rc = mdb_put(txn.get(), handles_->dbi(Db::kMeta), &k, &v, 0);
  if (rc != 0) return MdbError(rc, "put", dir_);
  return Status::Ok();
}

Status LmdbEnv::Update(Db db, std::string_view key, const UpdateFn& fn) {
  return UpdateMany(db, {std::string(key)},
                    [&](std::size_t, const std::optional<std::string>& old) { return fn(old); });
}

Status LmdbEnv::UpdateMany(Db db, const std::vector<std::string>& keys, const UpdateManyFn& fn) {
  for (const auto& key : keys) QUIK_RETURN_IF_ERROR(CheckKey(key));
  Txn txn;
  int rc = txn.Begin(handles_->env, 0);
  if (rc != 0) return MdbError(rc, "begin write", dir_);
  bool wrote = false;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    MDB_val k = ToVal(keys[i]);
    MDB_val v{};
    rc = mdb_get(txn.get(), handles_->dbi(db), &k, &v);
    if (rc != 0 && rc != MDB_NOTFOUND) return MdbError(rc, "get", dir_);
    QUIK_ASSIGN_OR_RETURN(std::optional<std::string> next,
                          fn(i, rc == 0 ? std::optional<std::string>(ToView(v)) : std::nullopt));
    if (!next) continue;  // unchanged
    MDB_val nv = ToVal(*next);
    if ((rc = mdb_put(txn.get(), handles_->dbi(db), &k, &nv, 0)) != 0) {
      return MdbError(rc, "put", dir_);
    }
    wrote = true;
  }
  if (!wrote) return Status::Ok();  // nothing to write: the Txn aborts
  if ((rc = txn.Commit()) != 0) return MdbError(rc, "commit", dir_);
  return Status::Ok();
}

Status LmdbEnv::CorruptCounter(std::string_view key, size_t size) const {
  return Internal("counter '" + std::string(key) + "' in " + dir_.string() + " is corrupt (" +
                  std::to_string(size) + " bytes)");
}

Result<int64_t> LmdbEnv::AddCounter(std::string_view key, int64_t delta) {
  int64_t value = 0;
  QUIK_RETURN_IF_ERROR(
      Update(Db::kCounters, key,
             [&](const std::optional<std::string>& old) -> Result<std::optional<std::string>> {
               if (old && old->size() != 8) return CorruptCounter(key, old->size());
               if (old) value = DecodeInt64(*old);
               if (__builtin_add_overflow(value, delta, &value)) {
                 return InvalidArgument("counter '" + std::string(key) + "' would overflow");
               }
               return std::optional<std::string>(EncodeInt64(value));
             }));
  return value;
}

Result<int64_t> LmdbEnv::GetCounter(std::string_view key) {
  QUIK_ASSIGN_OR_RETURN(std::optional<std::string> bytes, Get(Db::kCounters, key));
  if (!bytes) return int64_t{0};
  if (bytes->size() != 8) return CorruptCounter(key, bytes->size());
  return DecodeInt64(*bytes);
}

Status LmdbEnv::CopyTo(const std::filesystem::path& dst_dir, bool compact) {
  const int rc = mdb_env_copy2(handles_->env, dst_dir.c_str(), compact ? MDB_CP_COMPACT : 0);
  if (rc != 0) return MdbError(rc, "copy to " + dst_dir.string(), dir_);
  return Status::Ok();
}

Status LmdbEnv::Clear(Db db) {
  Txn txn;
  int rc = txn.Begin(handles_->env, 0);
  if (rc != 0) return MdbError(rc, "begin write", dir_);
  if ((rc = mdb_drop(txn.get(), handles_->dbi(db), 0)) != 0) return MdbError(rc, "clear", dir_);
  if ((rc = txn.Commit()) != 0) return MdbError(rc, "commit", dir_);
  return Status::Ok();
}

Status LmdbEnv::RewriteAll(Db db, const RewriteFn& fn) {
  Txn txn;
  int rc = txn.Begin(handles_->env, 0);
  if (rc != 0) return MdbError(rc, "begin write", dir_);
  std::vector<std::pair<std::string, std::string>> updates;
  {
    MDB_cursor* cursor = nullptr;
    if ((rc = mdb_cursor_open(txn.get(), handles_->dbi(db), &cursor)) != 0) {
      return MdbError(rc, "cursor", dir_);
    }
    MDB_val k{}, v{};
    for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
      auto next = fn(ToView(k), ToView(v));
      if (!next.ok()) {
        mdb_cursor_close(cursor);
        return next.status();
      }
      if (*next) updates.emplace_back(std::string(ToView(k)), std::move(**next));
    }
    mdb_cursor_close(cursor);
    if (rc != MDB_NOTFOUND) return MdbError(rc, "read", dir_);
  }
  if (updates.empty()) return Status::Ok();
  for (const auto& [key, value] : updates) {
    MDB_val k = ToVal(key);
    MDB_val v = ToVal(value);
    if ((rc = mdb_put(txn.get(), handles_->dbi(db), &k, &v, 0)) != 0) {
      return MdbError(rc, "put", dir_);
    }
  }
  if ((rc = txn.Commit()) != 0) return MdbError(rc, "commit", dir_);
  return Status::Ok();
}

Result<std::int64_t> LmdbEnv::CheckReadable(const std::filesystem::path& dir, bool lockless) {
  std::error_code ec;
  if (!std::filesystem::exists(dir / "data.mdb", ec)) {
    return NotFound(dir.string() + "/data.mdb does not exist");
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return Internal("cannot stat LMDB directory " + dir.string() + ": " + std::strerror(errno));
  }
  Handles handles;
  handles.registry_key = {::getpid(), st.st_dev, st.st_ino};
  if (!OpenRegistry::Get().Add(handles.registry_key)) {
    return Internal("LMDB environment " + dir.string() +
                    " is open in this process; check it from another one");
  }
  handles.registered = true;
  int rc = mdb_env_create(&handles.env);
  if (rc == 0) rc = mdb_env_set_maxdbs(handles.env, kMaxDbs);
  if (rc == 0) {
    rc = mdb_env_open(handles.env, dir.c_str(),
                      MDB_RDONLY | MDB_NOTLS | (lockless ? MDB_NOLOCK : 0u), 0600);
  }
  if (rc != 0) {
    return Internal("cannot open LMDB environment at " + dir.string() + ": " + mdb_strerror(rc));
  }
  Txn txn;
  if ((rc = txn.Begin(handles.env, MDB_RDONLY)) != 0) return MdbError(rc, "begin read", dir);
  std::int64_t entries = 0;
  for (const char* name : kDbNames) {
    MDB_dbi dbi = 0;
    rc = mdb_dbi_open(txn.get(), name, 0, &dbi);
    if (rc == MDB_NOTFOUND) continue;  // made by an older build; Open adds it
    if (rc != 0) return MdbError(rc, std::string("open database ") + name, dir);
    MDB_cursor* cursor = nullptr;
    if ((rc = mdb_cursor_open(txn.get(), dbi, &cursor)) != 0) {
      return MdbError(rc, std::string("cursor on ") + name, dir);
    }
    MDB_val k{}, v{};
    for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
      ++entries;
      if (std::string_view(name) == "meta" && ToView(k) == kFormatVersionKey &&
          ToView(v) != kLmdbFormatVersion) {
        mdb_cursor_close(cursor);
        return InvalidArgument("LMDB environment " + dir.string() + " has format version '" +
                               std::string(ToView(v)) + "'; this build reads version " +
                               std::string(kLmdbFormatVersion));
      }
    }
    mdb_cursor_close(cursor);
    if (rc != MDB_NOTFOUND) return MdbError(rc, std::string("read database ") + name, dir);
  }
  return entries;
}

}  // namespace quik::store
