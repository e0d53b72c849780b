// SPDX-License-Identifier: MIT
// quik::SearchService: full-text search over the messages of a workspace.
//
// Query language (Slack's), terms and operators separated by spaces:
//   word         messages containing the word (case, diacritics ignored:
//                "resume" finds "Résumé")
//   "a phrase"   the words in this order
//   word*        a word starting with "word" (also "a phr"*)
//   -word        without the word (also -"a phrase")
//   from:@name   by a member, matched case-insensitively against their display
//                name or email local part; also from:<@USER_ID>, from:@me
//   in:#channel  in a channel, by name (or id)
//   before:DATE  after:DATE  on:DATE   DATE is YYYY-MM-DD, a day in the
//                caller's time zone (preferences; else UTC); before: and
//                after: exclude the day itself, on: is that whole day
//   has:file has:link is:thread   shares files / contains an http(s) link /
//                is a reply or a thread root with replies
// Several from: or in: match any of them; everything else must all hold.
// Operator names are case-insensitive. A query with only operators lists the
// matching messages newest first. Malformed queries (an unbalanced quote, an
// unknown operator or value, a bad date) are kInvalidArgument naming the
// problem and its column. An unknown or unreadable channel or user matches
// nothing: search never tells whether a private channel exists.
//
// Permissions: results come only from channels the actor may read at query
// time (CONTRACT.md section 0): for a member, every public channel of the
// workspace and the private channels, DMs and group DMs they belong to; for
// a guest, only the channels they are in; for the system, every channel.
// Archived channels stay searchable; deleted messages never match. A
// non-member gets kNotFound for the workspace.
//
// Thread safety: all methods may be called from any thread concurrently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "quik/actor.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"

namespace quik {
namespace internal {
struct Context;
}

enum class SearchSort {
  kRecent,     // newest first (the default)
  kRelevance,  // best match first (BM25); newest first among equals
};

struct SearchRequest {
  std::string query;  // at most kMaxQueryChars characters
  // Default: 20; clamped to 1..kMaxLimit.
  int limit = 20;
  // From a previous page's next_cursor (opaque). Recency cursors stay valid
  // while messages are posted (a page never repeats or skips a message);
  // relevance cursors are offsets into the ranking as it is when asked.
  std::string cursor;
  SearchSort sort = SearchSort::kRecent;  // Default: kRecent
};

struct SearchHit {
  Message message;  // with its reactions, as MessageService::Get returns it
  // An excerpt of the text around the matched words, HTML-escaped (& < > "
  // ' as entities), with each matched word wrapped in <mark>...</mark>; the
  // only markup it holds, so a client may insert it as HTML. Cut parts are
  // marked with "…". Without search words, the start of the text.
  std::string snippet;
};

class SearchService {
 public:
  static constexpr int kMaxLimit = 100;
  static constexpr int kMaxQueryChars = 1000;

  explicit SearchService(internal::Context* ctx) : ctx_(ctx) {}

  // `workspace_ref`: id or slug. Errors: kNotFound if the actor is not a
  // member of the workspace; kInvalidArgument for a malformed query or cursor.
  Result<Page<SearchHit>> Search(const Actor& actor, std::string_view workspace_ref,
                                 const SearchRequest& request);

 private:
  internal::Context* ctx_;
};

}  // namespace quik
