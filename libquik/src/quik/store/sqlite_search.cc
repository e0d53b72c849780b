// SPDX-License-Identifier: MIT
// SqliteTx's full-text search (search/): the SQL over search_fts and
// search_docs of migration 9. The statement is composed from the filters
// the query has (each variant is prepared once and cached by its text), so
// that SQLite plans each shape on its own instead of one plan with "? = ''
// OR ..." escapes.
#include <nlohmann/json.hpp>

#include "store/sqlite_tx.hpp"

namespace quik::store {

Status ApplySearchQueue(Connection& conn) {
  QUIK_ASSIGN_OR_RETURN(Stmt any, conn.Prepare("SELECT 1 FROM search_queue LIMIT 1"));
  QUIK_ASSIGN_OR_RETURN(bool pending, any.Step());
  any.Reset();
  if (!pending) return Status::Ok();
  // One statement: FTS5 takes the inserts and 'delete's in queue order.
  QUIK_ASSIGN_OR_RETURN(
      Stmt apply,
      conn.Prepare("INSERT INTO search_fts(search_fts, rowid, text, meta) "
                   "SELECT CASE WHEN del THEN 'delete' END, doc, text, meta FROM search_queue "
                   "ORDER BY id"));
  QUIK_RETURN_IF_ERROR(apply.Exec());
  QUIK_ASSIGN_OR_RETURN(Stmt clear, conn.Prepare("DELETE FROM search_queue"));
  return clear.Exec();
}

Result<std::vector<SearchRow>> SqliteTx::Search(const SearchQuery& q) {
  std::vector<SearchRow> out;
  if (q.channel_ids.empty() || q.limit <= 0 || q.min_rowid > q.max_rowid) return out;
  const bool fts = !q.match.empty();
  // With an FTS5 expression (words, and in:/from: as meta tokens), FTS5
  // drives: it walks its matches newest first (rowid DESC) and stops after
  // one page, each candidate checked on search_docs by rowid. Without one,
  // search_docs drives by rowid. The '+' keeps SQLite from planning the
  // channel list (the permission filter) as anything but a per-row check.
  std::string sql;
  // Snippets in the same pass when newest first: computed for the rows of
  // the page only (no sort), without a second MATCH per row.
  const bool snippets = fts && q.snippets && !q.by_relevance;
  if (fts) {
    if (snippets) {
      sql = "SELECT f.rowid, d.message_id, snippet(search_fts, 0, ?9, ?10, '\xE2\x80\xA6', ?11) ";
    } else if (q.by_relevance) {
      // Ranks the newest relevance_window matches: BM25 of the text alone
      // (the meta column only filters), computed in the inner query.
      sql =
          "SELECT rowid, message_id FROM (SELECT f.rowid AS rowid, d.message_id AS message_id, "
          "bm25(search_fts, 1.0, 0.0) AS score ";
    } else {
      sql = "SELECT f.rowid, d.message_id ";
    }
    sql +=
        "FROM search_fts f JOIN search_docs d ON d.rowid = f.rowid "
        "WHERE search_fts MATCH ?1 AND f.rowid BETWEEN ?2 AND ?3";
  } else {
    sql = "SELECT d.rowid, d.message_id FROM search_docs d WHERE d.rowid BETWEEN ?2 AND ?3";
  }
  sql += q.channel_ids.size() == 1 ? " AND +d.channel_id = ?4"
                                   : " AND +d.channel_id IN (SELECT value FROM json_each(?4))";
  if (q.flags != 0) sql += " AND d.flags & ?5 = ?5";
  if (q.any_flags != 0) sql += " AND d.flags & ?6 != 0";
  if (!fts && !q.not_match.empty()) {
    sql += " AND d.rowid NOT IN (SELECT rowid FROM search_fts WHERE search_fts MATCH ?1)";
  }
  if (fts && q.by_relevance) {
    sql += " ORDER BY f.rowid DESC LIMIT ?12) ORDER BY score, rowid DESC LIMIT ?7 OFFSET ?8";
  } else {
    sql += fts ? " ORDER BY f.rowid DESC LIMIT ?7" : " ORDER BY d.rowid DESC LIMIT ?7";
  }
  QUIK_ASSIGN_OR_RETURN(Stmt s, conn_.PrepareText(sql));
  s.Bind(1, fts ? q.match : q.not_match);
  s.Bind(2, q.min_rowid).Bind(3, q.max_rowid);
  if (q.channel_ids.size() == 1) {
    s.Bind(4, q.channel_ids[0]);
  } else {
    s.Bind(4, nlohmann::json(q.channel_ids).dump());
  }
  if (q.flags != 0) s.Bind(5, q.flags);
  if (q.any_flags != 0) s.Bind(6, q.any_flags);
  s.Bind(7, q.limit);
  if (fts && q.by_relevance) s.Bind(8, q.offset).Bind(12, q.relevance_window);
  if (snippets) {
    s.Bind(9, q.snippet_open).Bind(10, q.snippet_close).Bind(11, q.snippet_tokens);
  }
  for (;;) {
    QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(SearchRow{s.Int(0), s.Text(1), snippets ? s.Text(2) : std::string()});
  }
  return out;
}

Result<std::string> SqliteTx::SearchSnippet(std::int64_t rowid, std::string_view match,
                                            std::string_view open, std::string_view close,
                                            int tokens) {
  QUIK_ASSIGN_OR_RETURN(Stmt s,
                        conn_.Prepare("SELECT snippet(search_fts, 0, ?2, ?3, '\xE2\x80\xA6', ?4) "
                                      "FROM search_fts WHERE search_fts MATCH ?1 AND rowid = ?5"));
  s.Bind(1, match).Bind(2, open).Bind(3, close).Bind(4, tokens).Bind(5, rowid);
  QUIK_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Text(0) : std::string();
}

}  // namespace quik::store
