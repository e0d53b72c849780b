// SPDX-License-Identifier: MIT
// The search query language (quik/search.hpp) as a pure function from the
// query string to a structure, and the safe FTS5 expression of its terms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quik/status.hpp"

namespace quik::search {

struct Term {
  std::string text;     // as typed, without quotes, '-' or '*'
  bool phrase = false;  // was quoted
  bool prefix = false;  // ended in '*'
  bool negated = false;
};

struct Date {
  int year = 0, month = 0, day = 0;
  bool operator==(const Date&) const = default;
};

struct Query {
  std::vector<Term> terms;
  std::vector<std::string> from;  // as typed after "from:", e.g. "@bob", "<@01H...>", "me"
  std::vector<std::string> in;    // as typed after "in:", e.g. "#general"
  std::vector<Date> before, after, on;
  bool has_file = false;
  bool has_link = false;
  bool is_thread = false;

  bool has_positive_terms() const;
  bool has_negative_terms() const;
};

// Errors are kInvalidArgument naming the problem and its 1-based column
// (in characters): an unbalanced quote, an unknown operator or value, an
// operator without a value, a bad date, a negated operator, a NUL character.
Result<Query> ParseQuery(std::string_view text);

// FTS5 expressions of the terms, every term a quoted FTS5 string, so nothing
// a user types is FTS5 syntax. FtsPositive: the positive terms ANDed ("" if
// none); FtsExcluded: the negative ones ORed ("" if none); FtsMatch: the
// positive minus the negative ones ("(p) NOT (n)"), "" without positive terms.
std::string FtsPositive(const Query& q);
std::string FtsExcluded(const Query& q);
std::string FtsMatch(const Query& q);
// `text` as an FTS5 string literal: "..." with inner quotes doubled.
std::string FtsQuote(std::string_view text);

// A search cursor: `kind` ('o' an offset by relevance, 'r' a row id by date)
// and a non-negative number; nullopt if malformed.
std::optional<std::int64_t> CursorNumber(std::string_view cursor, char kind);

}  // namespace quik::search
