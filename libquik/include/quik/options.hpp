// quik::Options: every knob of libquik, with its default.
//
// A plain struct: fill it in code, or load it from a quik.toml with
// quik::LoadOptionsFile (quik/config.hpp). Every field's default is the value
// written below and is documented again in man/quik.toml.5.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace quik {

enum class SyncMode {
  kNormal,  // survives a process crash (kill -9); the last commits may be lost on power loss
  kFull,    // survives power loss: every commit is fsynced
};

struct StorageOptions {
  // storage.sync: "full" or "normal" (CONTRACT.md section 5).
  // Default: SyncMode::kFull
  SyncMode sync = SyncMode::kFull;

  // storage.lmdb_map_size_mib: the LMDB map size (sessions, token lookups,
  // counters); the file grows up to it.
  // Default: 1024 (1 GiB)
  std::uint64_t lmdb_map_size_mib = 1024;

  // storage.busy_timeout_ms: how long a write waits for another process's
  // write lock before failing with kUnavailable.
  // Default: 5000
  int busy_timeout_ms = 5000;

  // storage.auto_migrate: apply pending schema migrations when the data dir is
  // opened. When false, opening a data dir with pending migrations fails and
  // `quikctl migrate up` applies them.
  // Default: true
  bool auto_migrate = true;

  // storage.max_batch: the most writes that group commit puts in one
  // transaction.
  // Default: 1024
  int max_batch = 1024;
};

struct AuthOptions {
  // auth.scrypt_log2_n, auth.scrypt_r, auth.scrypt_p: the scrypt cost of
  // password hashes (OWASP: N=2^17, r=8, p=1). Lower only for tests.
  // Default: 17, 8, 1
  int scrypt_log2_n = 17;
  int scrypt_r = 8;
  int scrypt_p = 1;

  // auth.session_ttl: how long a login session lasts, as a duration string
  // in the config file ("30d", "12h", "90m").
  // Default: 30 days
  std::chrono::seconds session_ttl = std::chrono::hours(24 * 30);

  // auth.open_signup: whether anyone may sign up without an invite.
  // Default: false
  bool open_signup = false;

  // auth.invite_ttl: how long a workspace invite code stays valid.
  // Default: 7 days
  std::chrono::seconds invite_ttl = std::chrono::hours(24 * 7);
};

struct LimitsOptions {
  // limits.message_max_chars: the most Unicode code points in a message's text.
  // Default: 40000
  int message_max_chars = 40000;

  // limits.name_max_chars: the most code points in a user's display name, a
  // workspace name or a token name. (Channel names are at most 80 bytes of
  // [a-z0-9-_] whatever this says.)
  // Default: 80
  int name_max_chars = 80;

  // limits.topic_max_chars: the most code points in a channel topic.
  // Default: 250
  int topic_max_chars = 250;

  // limits.page_max: the largest page a list call returns.
  // Default: 200
  int page_max = 200;
};

struct Options {
  // The data directory: quik.toml, quik.db (SQLite), lmdb/ and, later, blobs.
  // Default: "quik-data", relative to the working directory (quikctl uses
  // $QUIK_DATA_DIR first)
  std::filesystem::path data_dir = "quik-data";

  StorageOptions storage;
  AuthOptions auth;
  LimitsOptions limits;
};

}  // namespace quik
