// SPDX-License-Identifier: MIT
// SearchService: parses the query, resolves its operators and the caller's
// readable channels in one read snapshot, and asks the store for one page.
#include "quik/search.hpp"

#include <algorithm>

#include "authz/authz.hpp"
#include "common/text.hpp"
#include "messages/extras.hpp"
#include "notify/decide.hpp"
#include "search/query.hpp"
#include "service/context.hpp"

namespace quik {
namespace {

// search_docs.flags (store/migrations.cc, migration 9).
constexpr std::int64_t kFlagLink = 1;
constexpr std::int64_t kFlagReply = 2;
constexpr std::int64_t kFlagRootWithReplies = 4;
constexpr std::int64_t kFlagFile = 8;

// rowid = created_at (ms) << 20 | tiebreak.
constexpr int kRowidShift = 20;
constexpr Timestamp kMaxMillis = (Timestamp{1} << 42) - 1;  // year 2109; rowids stay positive

std::int64_t RowidFloor(Timestamp ms) {
  return std::clamp<Timestamp>(ms, 0, kMaxMillis) << kRowidShift;
}
std::int64_t RowidCeil(Timestamp ms) {
  return (std::clamp<Timestamp>(ms, 0, kMaxMillis) << kRowidShift) | ((1 << kRowidShift) - 1);
}

// Markers snippet() puts around matches (Unicode private use characters);
// RenderSnippet turns them into <mark> and escapes everything else.
constexpr std::string_view kOpen = "\xEE\x80\x80";   // U+E000
constexpr std::string_view kClose = "\xEE\x80\x81";  // U+E001
constexpr int kSnippetTokens = 24;
// Relevance ranks the newest this many matches (BM25 over every match of a
// common word would take a second at a million messages; the best of the
// recent ones is what a chat user wants anyway).
constexpr int kRelevanceWindow = 5000;
constexpr std::size_t kExcerptChars = 200;

void AppendEscaped(std::string& out, char c) {
  switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out += c;
  }
}

// HTML-escapes `raw` and turns the markers into balanced <mark> tags (a
// marker character typed in a message can at worst move a highlight).
std::string RenderSnippet(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() + 32);
  bool open = false;
  for (std::size_t i = 0; i < raw.size();) {
    if (raw.substr(i, kOpen.size()) == kOpen) {
      if (!open) out += "<mark>";
      open = true;
      i += kOpen.size();
    } else if (raw.substr(i, kClose.size()) == kClose) {
      if (open) out += "</mark>";
      open = false;
      i += kClose.size();
    } else {
      AppendEscaped(out, raw[i]);
      ++i;
    }
  }
  if (open) out += "</mark>";
  return out;
}

// The start of the text, escaped (results of a query without words).
std::string Excerpt(std::string_view text) {
  std::size_t chars = 0, i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && chars++ == kExcerptChars) break;
  }
  std::string out = RenderSnippet(text.substr(0, i));
  if (i < text.size()) out += "\xE2\x80\xA6";
  return out;
}

// "c<id>" OR "u<id>" ...: channels or authors as search_fts.meta tokens.
std::string MetaTokens(char kind, const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!out.empty()) out += " OR ";
    out += search::FtsQuote(std::string(1, kind) + id);
  }
  return out;
}

Status BadCursor(const std::string& cursor) {
  return InvalidArgument("'" + cursor +
                         "' is not a valid search cursor (pass next_cursor of the same query "
                         "and sort)");
}

// "#general", "general" or a channel id, among the channels the caller may
// read; nothing if none (an unreadable channel looks like a missing one).
void ResolveChannels(const std::vector<std::string>& refs, const std::vector<Channel>& readable,
                     std::vector<std::string>& out) {
  for (const std::string& ref : refs) {
    std::string name = internal::AsciiLower(ref.starts_with('#') ? ref.substr(1) : ref);
    for (const Channel& c : readable) {
      if (c.id == ref || internal::AsciiLower(c.name) == name) out.push_back(c.id);
    }
  }
}

// "@bob", "bob", "<@ID>", an email, or "me": the workspace's members of that
// display name or email local part (case-insensitive, as mentions match).
void ResolveAuthors(const std::vector<std::string>& refs, const std::vector<User>& members,
                    const authz::Principal& who, std::vector<std::string>& out) {
  for (const std::string& ref : refs) {
    std::string v = ref;
    if (v.size() > 3 && v.starts_with("<@") && v.ends_with(">")) {
      v = v.substr(2, v.size() - 3);
      for (const User& u : members) {
        if (u.id == v) out.push_back(u.id);
      }
      continue;
    }
    if (v.starts_with('@')) v = v.substr(1);
    v = internal::AsciiLower(v);
    if (v == "me") {
      if (!who.system) out.push_back(who.user.id);
      continue;
    }
    for (const User& u : members) {
      std::string email = internal::AsciiLower(u.email);
      std::string local = email.substr(0, email.find('@'));
      if (internal::AsciiLower(u.name) == v || local == v || email == v || u.id == ref) {
        out.push_back(u.id);
      }
    }
  }
}

}  // namespace

Result<Page<SearchHit>> SearchService::Search(const Actor& actor, std::string_view workspace_ref,
                                              const SearchRequest& request) {
  if (internal::CodePointCount(request.query) > static_cast<std::size_t>(kMaxQueryChars)) {
    return InvalidArgument("the query is over " + std::to_string(kMaxQueryChars) + " characters");
  }
  QUIK_ASSIGN_OR_RETURN(search::Query q, search::ParseQuery(request.query));
  const int limit = std::clamp(request.limit, 1, kMaxLimit);
  store::SearchQuery sq;
  const std::string words = search::FtsPositive(q);
  const std::string excluded = search::FtsExcluded(q);
  // Relevance ranks by the words; without any, results come newest first.
  sq.by_relevance = request.sort == SearchSort::kRelevance && !words.empty();
  sq.limit = limit + 1;  // one more: is there a next page?
  sq.relevance_window = kRelevanceWindow;
  if (!request.cursor.empty()) {
    auto v = search::CursorNumber(request.cursor, sq.by_relevance ? 'o' : 'r');
    if (!v || (sq.by_relevance && *v > kRelevanceWindow)) return BadCursor(request.cursor);
    if (sq.by_relevance) {
      sq.offset = static_cast<int>(*v);
    } else {
      sq.max_rowid = *v - 1;
    }
  }
  if (q.has_link) sq.flags |= kFlagLink;
  if (q.has_file) sq.flags |= kFlagFile;

  return ctx_->ReadResult<Page<SearchHit>>([&](store::Tx& tx, Page<SearchHit>& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_ASSIGN_OR_RETURN(auto ws, authz::WorkspaceFor(tx, who, workspace_ref));
    // The channels the caller may read now (archived ones included).
    QUIK_ASSIGN_OR_RETURN(auto readable, authz::ReadableChannels(tx, who, ws));
    // The FTS5 expression: the words in the text column, in: and from: as
    // meta tokens ("c<id>", "u<id>"), minus the excluded words.
    std::vector<std::string> parts;
    if (!words.empty()) parts.push_back("text : (" + words + ")");
    if (q.in.empty()) {
      for (const Channel& c : readable) sq.channel_ids.push_back(c.id);
    } else {
      ResolveChannels(q.in, readable, sq.channel_ids);
      if (sq.channel_ids.empty()) return Status::Ok();  // no such readable channel: no results
      parts.push_back("meta : (" + MetaTokens('c', sq.channel_ids) + ")");
    }
    if (!q.from.empty()) {
      QUIK_ASSIGN_OR_RETURN(auto members, tx.ListWorkspaceUsers(ws.workspace.id));
      std::vector<std::string> authors;
      ResolveAuthors(q.from, members, who, authors);
      if (authors.empty()) return Status::Ok();  // nobody by that name: no results
      parts.push_back("meta : (" + MetaTokens('u', authors) + ")");
    }
    std::string positive;
    for (const auto& p : parts) positive += (positive.empty() ? "" : " AND ") + p;
    if (positive.empty()) {
      if (!excluded.empty()) sq.not_match = "text : (" + excluded + ")";
    } else {
      sq.match = excluded.empty() ? positive : "(" + positive + ") NOT (text : (" + excluded + "))";
    }
    if (!q.before.empty() || !q.after.empty() || !q.on.empty()) {
      std::string zone = "UTC";
      if (!who.system) {
        QUIK_ASSIGN_OR_RETURN(auto prefs, tx.GetPreferences(who.user.id));
        if (prefs && !prefs->time_zone.empty()) zone = prefs->time_zone;
      }
      auto day = [&](const search::Date& d, int plus) {
        return notify::LocalDayStart(zone, d.year, d.month, d.day, plus);
      };
      Timestamp lo = 0, hi = kMaxMillis;
      for (const auto& d : q.before) hi = std::min(hi, day(d, 0) - 1);
      for (const auto& d : q.after) lo = std::max(lo, day(d, 1));
      for (const auto& d : q.on) {
        lo = std::max(lo, day(d, 0));
        hi = std::min(hi, day(d, 1) - 1);
      }
      if (lo > hi) return Status::Ok();
      sq.min_rowid = RowidFloor(lo);
      sq.max_rowid = std::min(sq.max_rowid, RowidCeil(hi));
    }
    if (q.is_thread) sq.any_flags = kFlagReply | kFlagRootWithReplies;
    sq.snippets = !words.empty();
    sq.snippet_open = kOpen;
    sq.snippet_close = kClose;
    sq.snippet_tokens = kSnippetTokens;
    QUIK_ASSIGN_OR_RETURN(auto rows, tx.Search(sq));
    if (static_cast<int>(rows.size()) > limit) {
      rows.resize(static_cast<std::size_t>(limit));
      out.next_cursor = sq.by_relevance ? "o" + std::to_string(sq.offset + limit)
                                        : "r" + std::to_string(rows.back().rowid);
    }
    std::vector<Message> messages;
    std::vector<std::string> snippets;
    for (const auto& row : rows) {
      QUIK_ASSIGN_OR_RETURN(auto m, tx.GetMessage(row.message_id));
      if (!m) continue;  // cannot happen: the index changes with the message
      std::string snippet;
      if (!words.empty() && !sq.by_relevance) {
        snippet = RenderSnippet(row.snippet);
      } else if (!words.empty()) {
        QUIK_ASSIGN_OR_RETURN(snippet,
                              tx.SearchSnippet(row.rowid, sq.match, kOpen, kClose, kSnippetTokens));
        snippet = RenderSnippet(snippet);
      } else {
        snippet = Excerpt(m->text);
      }
      messages.push_back(std::move(*m));
      snippets.push_back(std::move(snippet));
    }
    QUIK_RETURN_IF_ERROR(internal::LoadDecorations(tx, messages));
    for (std::size_t i = 0; i < messages.size(); ++i) {
      out.items.push_back(SearchHit{std::move(messages[i]), std::move(snippets[i])});
    }
    return Status::Ok();
  });
}

}  // namespace quik
