// SPDX-License-Identifier: MIT
// Storage that is full (a full disk, SQLite's SQLITE_FULL, LMDB's
// MDB_MAP_FULL, ENOSPC or EDQUOT from a blob write): one Status for all of
// them, made here and recognised anywhere, so that every write route answers
// it the same way (HTTP 503 unavailable with Retry-After, quik-api(7)).
#pragma once

#include <string_view>

#include "quik/status.hpp"

namespace quik::store {

// kUnavailable "storage is full: <detail>; ...": transient, it clears once
// space is freed, and nothing acknowledged before it is lost.
Status StorageFull(std::string_view detail);

// Whether `status` is one StorageFull made.
bool IsStorageFull(const Status& status);

// The errno of a failed write: StorageFull for ENOSPC and EDQUOT, else
// kUnavailable naming `what`.
Status WriteErrno(int err, std::string_view what);

}  // namespace quik::store
