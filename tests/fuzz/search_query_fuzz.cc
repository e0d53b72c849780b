// SPDX-License-Identifier: MIT
// A search query (search/query.hpp), and the FTS5 expression made of it,
// which SQLite must accept whatever was typed: nothing a user types is FTS5
// syntax.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "search/query.hpp"

namespace {

sqlite3_stmt* MatchStatement() {
  static sqlite3_stmt* stmt = [] {
    sqlite3* db = nullptr;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
        sqlite3_exec(db,
                     "CREATE VIRTUAL TABLE t USING fts5(text, tokenize='unicode61');"
                     "INSERT INTO t VALUES ('hello world'), ('deploy the release');",
                     nullptr, nullptr, nullptr) != SQLITE_OK) {
      abort();
    }
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ?", -1, &s, nullptr) !=
        SQLITE_OK) {
      abort();
    }
    return s;
  }();
  return stmt;
}

void CheckFts(const std::string& expr) {
  if (expr.empty()) return;
  sqlite3_stmt* s = MatchStatement();
  sqlite3_reset(s);
  sqlite3_bind_text(s, 1, expr.data(), static_cast<int>(expr.size()), SQLITE_TRANSIENT);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) {
    std::fprintf(stderr, "FTS5 refused %s: %s\n", expr.c_str(),
                 sqlite3_errmsg(sqlite3_db_handle(s)));
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto q = quik::search::ParseQuery(text);
  if (!q.ok()) return 0;
  CheckFts(quik::search::FtsPositive(*q));
  CheckFts(quik::search::FtsExcluded(*q));
  CheckFts(quik::search::FtsMatch(*q));
  return 0;
}
