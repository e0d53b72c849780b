#include "quik/datadir.hpp"

#include <fstream>

#include "quik/config.hpp"
#include "store/migrations.hpp"

namespace quik {
namespace {

Result<std::unique_ptr<store::Connection>> OpenDb(const Options& options, bool create) {
  auto path = options.data_dir / "quik.db";
  std::error_code ec;
  if (!create && !std::filesystem::exists(path, ec)) {
    return NotFound("data dir " + options.data_dir.string() +
                    " is not initialised (no quik.db); run `quikctl init`");
  }
  return store::Connection::Open(path, store::Connection::Mode::kReadWrite,
                                 options.storage.sync == SyncMode::kFull,
                                 options.storage.busy_timeout_ms);
}

}  // namespace

Result<InitResult> InitDataDir(const Options& options) {
  InitResult result;
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return Unavailable("cannot create data dir " + options.data_dir.string() + ": " + ec.message());
  }
  auto config = options.data_dir / "quik.toml";
  if (!std::filesystem::exists(config, ec)) {
    // Write to a temp file and rename, so a crash never leaves half a config.
    auto tmp = config;
    tmp += ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << DefaultConfigText();
      if (!out.flush()) return Unavailable("cannot write " + tmp.string());
    }
    std::filesystem::rename(tmp, config, ec);
    if (ec) return Unavailable("cannot write " + config.string() + ": " + ec.message());
    result.created_config = true;
  }
  QUIK_ASSIGN_OR_RETURN(auto conn, OpenDb(options, /*create=*/true));
  QUIK_ASSIGN_OR_RETURN(auto applied, store::ApplyMigrations(*conn, /*dry_run=*/false));
  result.migrations_applied = static_cast<int>(applied.size());
  return result;
}

Result<std::vector<MigrationInfo>> MigrationStatus(const Options& options) {
  QUIK_ASSIGN_OR_RETURN(auto conn, OpenDb(options, /*create=*/false));
  return store::ReadMigrationStatus(*conn);
}

Result<std::vector<MigrationInfo>> MigrateUp(const Options& options, bool dry_run) {
  QUIK_ASSIGN_OR_RETURN(auto conn, OpenDb(options, /*create=*/false));
  return store::ApplyMigrations(*conn, dry_run);
}

}  // namespace quik
