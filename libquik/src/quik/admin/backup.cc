// SPDX-License-Identifier: MIT
// Backup, restore and verify (quik/backup.hpp).
//
// What a backup must hold, and why it is consistent:
//
// - quik.db, the record of everything, is copied with SQLite's online backup
//   API from one read snapshot (store::BackupDatabase): the copy is the
//   database as of one commit, however many commits the server makes
//   meanwhile, and it blocks none of them (WAL readers never block writers).
//
// - The blobs: exactly those the snapshot's files rows name, copied after the
//   snapshot. Blobs are immutable and content-addressed, so a copy made later
//   is the same bytes. The one way a named blob could vanish is `files gc`,
//   which deletes blobs only under the blob lock held exclusively, after the
//   rows naming them are gone. We take that lock shared before the snapshot
//   and keep it until the last blob is copied, so every blob a row of the
//   snapshot names is still there when we copy it (uploads take the lock
//   shared too, so they go on). Blobs uploaded after the snapshot are not
//   named by it and are left out.
//
// - LMDB holds the token index (derived from the tokens table), presence
//   (ephemeral: who is online), counters, and meta flags. SQLite and LMDB
//   cannot be copied in one snapshot, so the LMDB copy (one LMDB read
//   transaction, mdb_env_copy2) is of a slightly later moment. The only part
//   whose mismatch would matter is the token index: a token created after the
//   SQLite snapshot would authenticate without its row, and one revoked after
//   it would have a row but no index entry. So the copy drops the index and
//   its marker (auth::kTokenIndexMetaKey), and the first open of the restored
//   data dir rebuilds it from the restored tokens table
//   (service/service.cc). The "users.bootstrapped" flag is dropped too, for
//   the same reason (it is re-derived from the users table). Presence may be
//   a moment newer than the database, which does not matter (an entry of a
//   user the database does not have yet is never read); the copy marks
//   everyone offline, since nobody is connected to a restored instance, and
//   keeps chosen statuses and last_seen.
//
// - quik.toml, when the data dir has one.
//
// Everything is written into a temp directory beside the target, synced, and
// renamed into place at the end: a directory with the target's name is a
// finished backup (or restore), never half of one.
#include "quik/backup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <system_error>

#include <nlohmann/json.hpp>

#include "auth/tokens.hpp"
#include "common/ids.hpp"
#include "common/private_files.hpp"
#include "files/blob_store.hpp"
#include "presence/presence_internal.hpp"
#include "quik/version.hpp"
#include "service/context.hpp"
#include "store/backup.hpp"
#include "store/lmdb_env.hpp"

namespace quik {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kManifestName = "backup.json";
constexpr std::string_view kDatabaseName = "quik.db";
constexpr std::string_view kConfigName = "quik.toml";
// The meta flag of UserService::CreateFirstAdmin (users/users.cc).
constexpr std::string_view kBootstrappedKey = "users.bootstrapped";
constexpr std::size_t kMaxListed = 50;

Status Errno(std::string_view what, const fs::path& path) {
  return Unavailable(std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

struct Digest {
  std::int64_t size = 0;
  std::string sha256;
};

// Reads `src` to the end, hashing it; with a `dst`, also writes a copy there
// (a new file) and syncs it.
Result<Digest> HashFile(const fs::path& src, const fs::path* dst = nullptr) {
  files::Fd in(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return Errno("cannot open", src);
  files::Fd out;
  if (dst != nullptr) {
    out = files::Fd(internal::OpenPrivate(*dst, O_WRONLY | O_CREAT | O_EXCL));
    if (out.get() < 0) return Errno("cannot create", *dst);
  }
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return Internal("cannot start a SHA-256 digest");
  }
  Digest digest;
  std::vector<char> buffer(1 << 16);
  for (;;) {
    const ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot read", src);
    if (n == 0) break;
    digest.size += n;
    if (EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<std::size_t>(n)) != 1) {
      return Internal("SHA-256 update failed");
    }
    for (ssize_t done = 0; dst != nullptr && done < n;) {
      const ssize_t w =
          ::write(out.get(), buffer.data() + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return Errno("cannot write", *dst);
      done += w;
    }
  }
  if (dst != nullptr && ::fsync(out.get()) != 0) return Errno("cannot sync", *dst);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), md, &len) != 1) return Internal("SHA-256 final failed");
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    digest.sha256 += kHex[md[i] >> 4];
    digest.sha256 += kHex[md[i] & 15];
  }
  return digest;
}

Status SyncPath(const fs::path& path, bool directory) {
  files::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0)));
  if (fd.get() < 0) return Errno("cannot open", path);
  if (::fsync(fd.get()) != 0) return Errno("cannot sync", path);
  return Status::Ok();
}

// fsync of every directory under `root` (and `root`): the files are synced
// as they are written; this makes their names durable.
Status SyncTree(const fs::path& root) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_directory(ec)) QUIK_RETURN_IF_ERROR(SyncPath(it->path(), true));
  }
  if (ec) return Unavailable("cannot list " + root.string() + ": " + ec.message());
  return SyncPath(root, true);
}

Status WriteFileDurably(const fs::path& path, std::string_view text) {
  files::Fd fd(internal::OpenPrivate(path, O_WRONLY | O_CREAT | O_TRUNC));
  if (fd.get() < 0) return Errno("cannot create", path);
  while (!text.empty()) {
    const ssize_t n = ::write(fd.get(), text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("cannot write", path);
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd.get()) != 0) return Errno("cannot sync", path);
  return Status::Ok();
}

// "dir/" -> "dir", relative -> absolute.
fs::path Normalized(const fs::path& path) {
  fs::path out = fs::absolute(path).lexically_normal();
  if (out.filename().empty() && out.has_parent_path()) out = out.parent_path();
  return out;
}

// The target of a backup or restore must not exist or be an empty directory.
Status CheckEmptyTarget(const fs::path& target, std::string_view what) {
  std::error_code ec;
  const auto status = fs::symlink_status(target, ec);
  if (ec || status.type() == fs::file_type::not_found) return Status::Ok();
  if (status.type() != fs::file_type::directory) {
    return AlreadyExists(std::string(what) + " " + target.string() +
                         " exists and is not a directory; name a new or empty directory");
  }
  if (!fs::is_empty(target, ec) || ec) {
    return AlreadyExists(std::string(what) + " " + target.string() +
                         " is not empty; name a new or empty directory");
  }
  return Status::Ok();
}

// A temp directory beside `target`, removed unless kept.
class TempDir {
 public:
  static Result<TempDir> Create(const fs::path& target, std::string_view purpose) {
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) {
      return Unavailable("cannot create " + target.parent_path().string() + ": " + ec.message());
    }
    fs::path path =
        target.parent_path() / ("." + target.filename().string() + "." + std::string(purpose) +
                                "-" + internal::NewId(internal::NowMillis()));
    // 0700: a backup holds password hashes and webhook secrets.
    if (::mkdir(path.c_str(), 0700) != 0) return Errno("cannot create directory", path);
    return TempDir(std::move(path));
  }
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)), keep_(other.keep_) {
    other.keep_ = true;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir& operator=(TempDir&&) = delete;
  ~TempDir() {
    if (keep_ || path_.empty()) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  // Renames it to `target` (an empty directory there is replaced).
  Status MoveTo(const fs::path& target) {
    if (::rename(path_.c_str(), target.c_str()) != 0) {
      if (errno == ENOTEMPTY || errno == EEXIST) {  // filled meanwhile by someone else
        return AlreadyExists(target.string() + " is not empty any more; nothing was written");
      }
      return Errno("cannot rename to", target);
    }
    keep_ = true;
    return SyncPath(target.parent_path(), true);
  }

 private:
  explicit TempDir(fs::path path) : path_(std::move(path)) {}
  fs::path path_;
  bool keep_ = false;
};

std::string BlobRelPath(const std::string& sha256) {
  return "blobs/" + sha256.substr(0, 2) + "/" + sha256.substr(2, 2) + "/" + sha256;
}

json ManifestJson(const BackupManifest& m) {
  json files = json::array();
  for (const BackupFile& f : m.files) {
    files.push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}});
  }
  return {{"format_version", m.format_version},
          {"quik_version", m.quik_version},
          {"created_at", FormatTime(m.created_at)},
          {"created_at_ms", m.created_at},
          {"source_data_dir", m.source_data_dir},
          {"schema_version", m.schema_version},
          {"files", std::move(files)},
          {"warnings", m.warnings}};
}

// A manifest path is relative, inside the backup and not the manifest itself.
bool SafeRelativePath(const std::string& path) {
  if (path.empty() || path == kManifestName || path.front() == '/') return false;
  for (const auto& part : fs::path(path)) {
    if (part == ".." || part == "." || part.empty()) return false;
  }
  return true;
}

// Checks one listed file of a backup; empty if it matches.
std::string CheckListedFile(const fs::path& dir, const BackupFile& f) {
  const fs::path path = dir / f.path;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return path.string() + ": missing";
  auto digest = HashFile(path);
  if (!digest.ok()) return path.string() + ": " + digest.status().message();
  if (digest->size != f.size) {
    return path.string() + ": size " + std::to_string(digest->size) + ", the manifest says " +
           std::to_string(f.size) + " (truncated or changed)";
  }
  if (digest->sha256 != f.sha256) {
    return path.string() + ": SHA-256 " + digest->sha256 + " does not match the manifest's " +
           f.sha256 + " (corrupt)";
  }
  return {};
}

VerifyCheck NamedCheck(std::string name) {
  VerifyCheck check;
  check.name = std::move(name);
  return check;
}

void AddProblem(VerifyCheck& check, std::string line) {
  check.state = VerifyCheck::State::kProblem;
  if (check.problems.size() < kMaxListed) check.problems.push_back(std::move(line));
}

// The checks of VerifyDataDir on the data dir (or backup) `dir`.
void VerifyContents(const fs::path& dir, int busy_timeout_ms, bool lmdb_lockless,
                    VerifyReport& report) {
  VerifyCheck database = NamedCheck("database");
  VerifyCheck foreign_keys = NamedCheck("foreign_keys");
  VerifyCheck schema = NamedCheck("schema");
  VerifyCheck lmdb = NamedCheck("lmdb");
  VerifyCheck blobs = NamedCheck("blobs");

  std::vector<std::string> referenced;
  bool have_referenced = false;
  auto conn = store::OpenForCheck(dir / kDatabaseName, busy_timeout_ms);
  if (!conn.ok()) {
    AddProblem(database, conn.status().message());
    database.detail = "cannot open " + (dir / kDatabaseName).string();
    foreign_keys.state = schema.state = VerifyCheck::State::kProblem;
    foreign_keys.detail = schema.detail = "not checked: the database cannot be opened";
  } else {
    auto integrity = store::IntegrityProblems(**conn, static_cast<int>(kMaxListed));
    if (!integrity.ok()) {
      AddProblem(database, integrity.status().message());
    } else {
      for (auto& line : *integrity) AddProblem(database, std::move(line));
    }
    database.detail = database.state == VerifyCheck::State::kOk
                          ? "integrity_check: ok"
                          : "integrity_check found problems: the database is damaged";

    auto uses = store::UsesForeignKeys(**conn);
    if (!uses.ok()) {
      AddProblem(foreign_keys, uses.status().message());
    } else if (!*uses) {
      foreign_keys.detail = "the schema declares no foreign keys";
    } else {
      auto fk = store::ForeignKeyProblems(**conn, static_cast<int>(kMaxListed));
      if (!fk.ok()) {
        AddProblem(foreign_keys, fk.status().message());
      } else {
        for (auto& line : *fk) AddProblem(foreign_keys, std::move(line));
      }
      foreign_keys.detail = foreign_keys.state == VerifyCheck::State::kOk
                                ? "foreign_key_check: ok"
                                : "rows name rows that do not exist";
    }

    const int known = store::KnownSchemaVersion();
    auto version = store::SchemaVersion(**conn);
    if (!version.ok()) {
      AddProblem(schema, version.status().message());
      schema.detail = "this build cannot use this database";
    } else if (*version < known) {
      schema.state = VerifyCheck::State::kWarning;
      schema.detail = "schema version " + std::to_string(*version) + ", this build knows " +
                      std::to_string(known) + ": " + std::to_string(known - *version) +
                      " pending migration(s); run quikctl migrate up (the next open applies "
                      "them unless storage.auto_migrate = false)";
    } else {
      schema.detail = "schema version " + std::to_string(*version) + " (current)";
    }

    auto blobs_named = store::ReferencedBlobs(**conn);
    if (blobs_named.ok()) {
      referenced = std::move(*blobs_named);
      have_referenced = true;
    } else {
      AddProblem(blobs, "cannot list the files rows: " + blobs_named.status().message());
    }
  }

  std::error_code ec;
  if (!fs::exists(dir / "lmdb" / "data.mdb", ec)) {
    lmdb.state = VerifyCheck::State::kWarning;
    lmdb.detail = "no lmdb/data.mdb: the next open creates it and rebuilds the token index";
  } else {
    auto entries = store::LmdbEnv::CheckReadable(dir / "lmdb", lmdb_lockless);
    if (entries.ok()) {
      lmdb.detail = "opens; " + std::to_string(*entries) + " entries read";
    } else {
      AddProblem(lmdb, entries.status().message());
      lmdb.detail = "LMDB cannot be read";
    }
  }

  // Every blob on disk hashes to its name, in its place.
  const fs::path blobs_dir = files::BlobsDir(dir);
  std::int64_t count = 0, bytes = 0;
  std::set<std::string> present;
  const bool have_blobs = fs::is_directory(blobs_dir, ec);
  ec.clear();  // no blobs/ yet: nothing was uploaded
  if (have_blobs) {
    for (const auto& a : fs::directory_iterator(blobs_dir, ec)) {
      const std::string an = a.path().filename().string();
      if (an.size() != 2 || !a.is_directory(ec)) continue;  // tmp, .lock
      for (const auto& b : fs::directory_iterator(a.path(), ec)) {
        if (!b.is_directory(ec)) continue;
        const std::string prefix = an + b.path().filename().string();
        for (const auto& f : fs::directory_iterator(b.path(), ec)) {
          const std::string name = f.path().filename().string();
          if (!files::LooksLikeSha256(name)) continue;
          const std::string rel = "blobs/" + an + "/" + b.path().filename().string() + "/" + name;
          if (name.compare(0, 4, prefix) != 0) {
            AddProblem(blobs, rel + ": misplaced (a blob lives under its first 2+2 hex digits)");
            continue;
          }
          auto digest = HashFile(f.path());
          if (!digest.ok()) {
            AddProblem(blobs, rel + ": " + digest.status().message());
            continue;
          }
          ++count;
          bytes += digest->size;
          if (digest->sha256 != name) {
            AddProblem(blobs, rel + ": corrupt: its bytes hash to " + digest->sha256);
            continue;
          }
          present.insert(name);
        }
      }
    }
  }
  if (ec) AddProblem(blobs, "cannot list " + blobs_dir.string() + ": " + ec.message());
  std::size_t missing = 0;
  for (const std::string& sha : referenced) {
    if (present.count(sha) != 0) continue;
    if (fs::exists(dir / BlobRelPath(sha), ec)) continue;  // corrupt: reported above
    ++missing;
    AddProblem(blobs, BlobRelPath(sha) + ": missing, but a files row names it");
  }
  std::string detail =
      std::to_string(count) + " blobs (" + std::to_string(bytes) + " bytes) hashed";
  if (have_referenced) {
    detail += ", " + std::to_string(referenced.size()) + " named by files rows";
    if (missing > 0) detail += ", " + std::to_string(missing) + " of them missing";
  }
  blobs.detail = detail;

  for (VerifyCheck* c : {&database, &foreign_keys, &schema, &lmdb, &blobs}) {
    report.checks.push_back(std::move(*c));
  }
}

Result<BackupManifest> ManifestFromJson(const json& j, const std::string& source) {
  auto bad = [&](const std::string& what) { return InvalidArgument(source + ": " + what); };
  if (!j.is_object()) return bad("expected a JSON object");
  BackupManifest m;
  if (!j.contains("format_version") || !j["format_version"].is_number_integer()) {
    return bad("no format_version: not a quik backup manifest");
  }
  m.format_version = j["format_version"].get<int>();
  if (m.format_version < 1 || m.format_version > kBackupFormatVersion) {
    return bad("backup format version " + std::to_string(m.format_version) +
               " is not one this build reads (1 to " + std::to_string(kBackupFormatVersion) +
               "); use a newer quikctl");
  }
  m.quik_version = j.value("quik_version", "");
  m.created_at = j.value("created_at_ms", Timestamp{0});
  m.source_data_dir = j.value("source_data_dir", "");
  if (!j.contains("schema_version") || !j["schema_version"].is_number_integer()) {
    return bad("schema_version: expected an integer");
  }
  m.schema_version = j["schema_version"].get<int>();
  if (!j.contains("files") || !j["files"].is_array()) return bad("files: expected an array");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < j["files"].size(); ++i) {
    const json& f = j["files"][i];
    const std::string where = "files[" + std::to_string(i) + "]";
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !f.contains("size") ||
        !f["size"].is_number_integer() || !f.contains("sha256") || !f["sha256"].is_string()) {
      return bad(where + ": expected {\"path\", \"size\", \"sha256\"}");
    }
    BackupFile file{f["path"].get<std::string>(), f["size"].get<std::int64_t>(),
                    f["sha256"].get<std::string>()};
    if (!SafeRelativePath(file.path))
      return bad(where + ": path '" + file.path + "' is not allowed");
    if (file.size < 0 || !files::LooksLikeSha256(file.sha256)) {
      return bad(where + ": bad size or sha256");
    }
    if (!seen.insert(file.path).second) return bad(where + ": '" + file.path + "' listed twice");
    m.files.push_back(std::move(file));
  }
  if (seen.count(std::string(kDatabaseName)) == 0) return bad("lists no quik.db");
  if (j.contains("warnings") && j["warnings"].is_array()) {
    for (const json& w : j["warnings"]) {
      if (w.is_string()) m.warnings.push_back(w.get<std::string>());
    }
  }
  return m;
}

}  // namespace

bool VerifyReport::healthy() const {
  return std::none_of(checks.begin(), checks.end(),
                      [](const VerifyCheck& c) { return c.state == VerifyCheck::State::kProblem; });
}

std::string VerifyReport::Summary() const {
  std::string out;
  int n = 0;
  for (const VerifyCheck& c : checks) {
    if (c.state != VerifyCheck::State::kProblem) continue;
    ++n;
    out += (out.empty() ? "" : "; ") + c.name + ": " +
           (c.problems.empty() ? c.detail : c.problems.front());
    if (c.problems.size() > 1) out += " (and " + std::to_string(c.problems.size() - 1) + " more)";
  }
  if (n == 0) return "no problems";
  return std::to_string(n) + (n == 1 ? " check failed: " : " checks failed: ") + out;
}

namespace {

// BackupDataDir. `open_lmdb`: the data dir's LMDB environment (this
// process's own when it has the data dir open, else a new one).
using LmdbOpener = std::function<Result<store::LmdbEnv*>()>;

Result<BackupManifest> Backup(const Options& options, const fs::path& to_in,
                              const BackupOptions& backup_options, const LmdbOpener& open_lmdb) {
  const fs::path data_dir = Normalized(options.data_dir);
  std::error_code ec;
  if (!fs::is_regular_file(data_dir / kDatabaseName, ec)) {
    return NotFound("data dir " + data_dir.string() +
                    " is not initialised (no quik.db); there is nothing to back up");
  }
  const fs::path to = Normalized(to_in);
  QUIK_RETURN_IF_ERROR(CheckEmptyTarget(to, "backup directory"));
  QUIK_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create(to, "partial"));

  BackupManifest m;
  m.quik_version = Version();
  m.source_data_dir = data_dir.string();
  std::vector<BackupFile> listed;
  {
    // Shared from before the snapshot until the last blob is copied: gc
    // cannot remove a blob the snapshot names meanwhile (see the top).
    const fs::path blobs_dir = files::BlobsDir(data_dir);
    QUIK_ASSIGN_OR_RETURN(auto lock,
                          files::BlobLock::Acquire(blobs_dir, files::BlobLock::Mode::kShared));
    m.created_at = internal::NowMillis();
    QUIK_RETURN_IF_ERROR(store::BackupDatabase(data_dir / kDatabaseName, tmp.path() / kDatabaseName,
                                               backup_options.pages_per_step,
                                               options.storage.busy_timeout_ms));
    std::vector<std::string> referenced;
    {
      QUIK_ASSIGN_OR_RETURN(auto conn, store::OpenForCheck(tmp.path() / kDatabaseName,
                                                           options.storage.busy_timeout_ms));
      QUIK_ASSIGN_OR_RETURN(m.schema_version, store::SchemaVersion(*conn));
      QUIK_ASSIGN_OR_RETURN(referenced, store::ReferencedBlobs(*conn));
    }
    files::BlobStore source(blobs_dir);
    for (const std::string& sha : referenced) {
      if (!files::LooksLikeSha256(sha)) {
        m.warnings.push_back("a files row names the blob '" + sha + "', which is not a SHA-256");
        continue;
      }
      const fs::path src = source.PathOf(sha);
      if (!fs::exists(src, ec)) {
        m.warnings.push_back("blob " + sha + " is named by a files row but missing from " +
                             blobs_dir.string() + "; not in the backup");
        continue;
      }
      const std::string rel = BlobRelPath(sha);
      const fs::path dst = tmp.path() / rel;
      QUIK_RETURN_IF_ERROR(internal::MakePrivateDirs(dst.parent_path()));
      QUIK_ASSIGN_OR_RETURN(Digest digest, HashFile(src, &dst));
      if (digest.sha256 != sha) {
        fs::remove(dst, ec);
        m.warnings.push_back("blob " + sha + " in " + blobs_dir.string() +
                             " is corrupt (its bytes hash to " + digest.sha256 +
                             "); not in the backup");
        continue;
      }
      listed.push_back(BackupFile{rel, digest.size, digest.sha256});
    }
  }
  {
    QUIK_ASSIGN_OR_RETURN(Digest db, HashFile(tmp.path() / kDatabaseName));
    listed.push_back(BackupFile{std::string(kDatabaseName), db.size, db.sha256});
  }

  // LMDB: a copy of one LMDB transaction, less what is derived from SQLite.
  if (fs::exists(data_dir / "lmdb" / "data.mdb", ec)) {
    const fs::path lmdb_copy = tmp.path() / "lmdb";
    QUIK_RETURN_IF_ERROR(internal::MakePrivateDirs(lmdb_copy));
    const std::uint64_t map_size = options.storage.lmdb_map_size_mib << 20;
    {
      QUIK_ASSIGN_OR_RETURN(store::LmdbEnv * env, open_lmdb());
      QUIK_RETURN_IF_ERROR(env->CopyTo(lmdb_copy, backup_options.compact_lmdb));
    }
    {
      QUIK_ASSIGN_OR_RETURN(auto env, store::LmdbEnv::Open(lmdb_copy, map_size));
      QUIK_RETURN_IF_ERROR(env->Clear(store::Db::kTokens));
      store::WriteBatch batch;
      batch.Delete(store::Db::kMeta, auth::kTokenIndexMetaKey);
      batch.Delete(store::Db::kMeta, kBootstrappedKey);
      QUIK_RETURN_IF_ERROR(env->Apply(batch));
      // Nobody is connected to a restored instance: everyone is offline,
      // keeping their chosen status and when they were last seen.
      QUIK_RETURN_IF_ERROR(
          env->RewriteAll(store::Db::kPresence,
                          [](std::string_view user_id,
                             std::string_view bytes) -> Result<std::optional<std::string>> {
                            auto presence = presence::DecodePresence(user_id, bytes);
                            if (!presence.ok())
                              return std::optional<std::string>();  // verify's business
                            if (presence->status == PresenceStatus::kOffline)
                              return std::optional<std::string>();
                            presence->status = PresenceStatus::kOffline;
                            return std::optional<std::string>(presence::EncodePresence(*presence));
                          }));
    }
    fs::remove(lmdb_copy / "lock.mdb", ec);
    QUIK_RETURN_IF_ERROR(SyncPath(lmdb_copy / "data.mdb", false));
    QUIK_ASSIGN_OR_RETURN(Digest digest, HashFile(lmdb_copy / "data.mdb"));
    listed.push_back(BackupFile{"lmdb/data.mdb", digest.size, digest.sha256});
  }

  if (fs::is_regular_file(data_dir / kConfigName, ec)) {
    const fs::path dst = tmp.path() / kConfigName;
    QUIK_ASSIGN_OR_RETURN(Digest digest, HashFile(data_dir / kConfigName, &dst));
    listed.push_back(BackupFile{std::string(kConfigName), digest.size, digest.sha256});
  }

  std::sort(listed.begin(), listed.end(),
            [](const BackupFile& a, const BackupFile& b) { return a.path < b.path; });
  m.files = std::move(listed);
  QUIK_RETURN_IF_ERROR(
      WriteFileDurably(tmp.path() / kManifestName, ManifestJson(m).dump(2) + "\n"));
  // 0700 directories and 0600 files, whatever made them (LMDB copies 0666
  // less the umask): a backup holds password hashes and webhook secrets.
  QUIK_RETURN_IF_ERROR(internal::MakeTreePrivate(tmp.path()));
  QUIK_RETURN_IF_ERROR(SyncTree(tmp.path()));
  QUIK_RETURN_IF_ERROR(tmp.MoveTo(to));
  return m;
}

}  // namespace

Result<BackupManifest> BackupDataDir(const Options& options, const fs::path& to,
                                     const BackupOptions& backup_options) {
  std::unique_ptr<store::LmdbEnv> env;
  return Backup(options, to, backup_options, [&]() -> Result<store::LmdbEnv*> {
    QUIK_ASSIGN_OR_RETURN(env, store::LmdbEnv::Open(options.data_dir / "lmdb",
                                                    options.storage.lmdb_map_size_mib << 20));
    return env.get();
  });
}

Result<BackupManifest> BackupDataDir(Service& service, const fs::path& to,
                                     const BackupOptions& backup_options) {
  internal::Context* ctx = internal::ContextOf(service);
  if (ctx == nullptr) return InvalidArgument("BackupDataDir needs a Service made by Service::Open");
  return Backup(ctx->options, to, backup_options,
                [ctx]() -> Result<store::LmdbEnv*> { return &ctx->store->lmdb(); });
}

Result<BackupManifest> ReadBackupManifest(const fs::path& dir_in) {
  const fs::path dir = Normalized(dir_in);
  const fs::path path = dir / kManifestName;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return InvalidArgument(path.string() + ": not found; " + dir.string() +
                           " is not a quik backup (or an unfinished one)");
  }
  std::string text;
  {
    files::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return Errno("cannot open", path);
    char buffer[1 << 16];
    for (;;) {
      const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("cannot read", path);
      if (n == 0) break;
      text.append(buffer, static_cast<std::size_t>(n));
    }
  }
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    return InvalidArgument(path.string() + ": malformed JSON: " + e.what());
  }
  return ManifestFromJson(j, path.string());
}

Result<VerifyReport> VerifyDataDir(const Options& options) {
  const fs::path dir = Normalized(options.data_dir);
  std::error_code ec;
  if (!fs::exists(dir / kDatabaseName, ec)) {
    return NotFound("data dir " + dir.string() + " is not initialised (no quik.db)");
  }
  VerifyReport report;
  report.dir = dir.string();
  VerifyContents(dir, options.storage.busy_timeout_ms, /*lmdb_lockless=*/false, report);
  return report;
}

Result<VerifyReport> VerifyBackup(const fs::path& dir_in) {
  const fs::path dir = Normalized(dir_in);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFound("backup " + dir.string() + " does not exist");
  VerifyReport report;
  report.dir = dir.string();
  VerifyCheck manifest = NamedCheck("manifest");
  auto m = ReadBackupManifest(dir);
  if (!m.ok()) {
    AddProblem(manifest, m.status().message());
    manifest.detail = "the manifest cannot be read";
    report.checks.push_back(std::move(manifest));
    return report;
  }
  std::int64_t bytes = 0;
  for (const BackupFile& f : m->files) {
    bytes += f.size;
    if (std::string problem = CheckListedFile(dir, f); !problem.empty()) {
      AddProblem(manifest, std::move(problem));
    }
  }
  if (m->schema_version > store::KnownSchemaVersion()) {
    AddProblem(manifest, "the backup's schema version " + std::to_string(m->schema_version) +
                             " is newer than this build knows (" +
                             std::to_string(store::KnownSchemaVersion()) + ")");
  }
  for (const std::string& w : m->warnings) {
    if (manifest.state == VerifyCheck::State::kOk) manifest.state = VerifyCheck::State::kWarning;
    if (manifest.problems.size() < kMaxListed) manifest.problems.push_back("warning: " + w);
  }
  manifest.detail =
      std::to_string(m->files.size()) + " files (" + std::to_string(bytes) + " bytes) listed" +
      (manifest.state == VerifyCheck::State::kProblem ? "" : ", every checksum matches") +
      "; taken " + FormatTime(m->created_at) + " from " + m->source_data_dir;
  report.checks.push_back(std::move(manifest));
  VerifyContents(dir, 5000, /*lmdb_lockless=*/true, report);
  return report;
}

Result<RestoreReport> RestoreDataDir(const fs::path& from_in, const Options& options,
                                     const RestoreOptions& restore_options) {
  const fs::path from = Normalized(from_in);
  const fs::path target = Normalized(options.data_dir);
  QUIK_RETURN_IF_ERROR(CheckEmptyTarget(target, "data dir"));
  RestoreReport out;
  QUIK_ASSIGN_OR_RETURN(out.manifest, ReadBackupManifest(from));
  const BackupManifest& m = out.manifest;
  if (m.schema_version > store::KnownSchemaVersion()) {
    return InvalidArgument("backup " + from.string() + " has schema version " +
                           std::to_string(m.schema_version) + ", newer than this build knows (" +
                           std::to_string(store::KnownSchemaVersion()) +
                           "); restore it with a newer quikctl");
  }
  // Every checksum before anything is written.
  for (const BackupFile& f : m.files) {
    if (std::string problem = CheckListedFile(from, f); !problem.empty()) {
      return InvalidArgument("backup file " + problem + "; nothing was restored");
    }
  }

  QUIK_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create(target, "restore"));
  std::error_code ec;
  for (const BackupFile& f : m.files) {
    const fs::path dst = tmp.path() / f.path;
    QUIK_RETURN_IF_ERROR(internal::MakePrivateDirs(dst.parent_path()));
    QUIK_ASSIGN_OR_RETURN(Digest digest, HashFile(from / f.path, &dst));
    if (digest.size != f.size || digest.sha256 != f.sha256) {  // changed since the check
      return InvalidArgument("backup file " + (from / f.path).string() +
                             " changed while it was restored; nothing was restored");
    }
  }
  QUIK_RETURN_IF_ERROR(internal::MakeTreePrivate(tmp.path()));
  QUIK_RETURN_IF_ERROR(SyncTree(tmp.path()));

  out.verify.dir = target.string();
  VerifyContents(tmp.path(), options.storage.busy_timeout_ms, /*lmdb_lockless=*/false, out.verify);
  if (!out.verify.healthy() && !restore_options.force) {
    return InvalidArgument("the restored data fails verification, so nothing was restored (" +
                           out.verify.Summary() + "); --force restores it anyway");
  }
  QUIK_RETURN_IF_ERROR(tmp.MoveTo(target));
  return out;
}

}  // namespace quik
