// SPDX-License-Identifier: MIT
#include "search/query.hpp"

#include <algorithm>
#include <charconv>

namespace quik::search {
namespace {

constexpr const char* kKnownOperators = "from, in, before, after, on, has, is";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The 1-based column (in characters, not bytes) of byte `pos` of `text`.
int Column(std::string_view text, std::size_t pos) {
  int col = 1;
  for (std::size_t i = 0; i < pos && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++col;
  }
  return col;
}

std::string At(std::string_view text, std::size_t pos) {
  return " at column " + std::to_string(Column(text, pos));
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

std::optional<Date> ParseDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  int idx = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 4 || i == 7) {
      ++idx;
      continue;
    }
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    parts[idx] = parts[idx] * 10 + (s[i] - '0');
  }
  Date d{parts[0], parts[1], parts[2]};
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d.month < 1 || d.month > 12 || d.day < 1) return std::nullopt;
  int max_day = kDays[d.month - 1] + (d.month == 2 && IsLeap(d.year) ? 1 : 0);
  if (d.day > max_day) return std::nullopt;
  return d;
}

bool IsKnownOperator(std::string_view op) {
  return op == "from" || op == "in" || op == "before" || op == "after" || op == "on" ||
         op == "has" || op == "is";
}

}  // namespace

bool Query::has_positive_terms() const {
  return std::any_of(terms.begin(), terms.end(), [](const Term& t) { return !t.negated; });
}

bool Query::has_negative_terms() const {
  return std::any_of(terms.begin(), terms.end(), [](const Term& t) { return t.negated; });
}

Result<Query> ParseQuery(std::string_view text) {
  // SQLite ends an FTS5 expression at a NUL: the quoted term around it would
  // be cut open (a storage error instead of an answer).
  if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return InvalidArgument("the query holds a NUL character" + At(text, nul) + ": remove it");
  }
  Query q;
  std::size_t i = 0;
  const std::size_t n = text.size();
  // Reads a quoted string starting at the quote at `open`; returns its
  // content and leaves `i` after the closing quote.
  auto quoted = [&](std::size_t open, std::string& out) -> Status {
    std::size_t close = text.find('"', open + 1);
    if (close == std::string_view::npos) {
      return InvalidArgument("unbalanced quote" + At(text, open) +
                             ": close the phrase with another \"");
    }
    out = std::string(text.substr(open + 1, close - open - 1));
    i = close + 1;
    return Status::Ok();
  };
  while (i < n) {
    if (IsSpace(text[i])) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    bool negated = false;
    if (text[i] == '-') {
      negated = true;
      ++i;
      if (i == n || IsSpace(text[i])) continue;  // a lone '-' means nothing
    }
    if (text[i] == '"') {
      Term t;
      QUIK_RETURN_IF_ERROR(quoted(i, t.text));
      t.phrase = true;
      t.negated = negated;
      if (i < n && text[i] == '*') {
        t.prefix = true;
        while (i < n && text[i] == '*') ++i;
      }
      if (t.text.find_first_not_of(" \t\r\n") != std::string::npos) q.terms.push_back(t);
      continue;
    }
    // A word: up to a space, or a quote (which starts a phrase).
    const std::size_t word_start = i;
    while (i < n && !IsSpace(text[i]) && text[i] != '"') ++i;
    std::string_view word = text.substr(word_start, i - word_start);
    // name:value is an operator when the name is letters and the value does
    // not start with '/' or ':' (so "https://..." and "std::vector" stay text).
    std::size_t colon = word.find(':');
    bool named =
        colon != std::string_view::npos && colon > 0 &&
        std::all_of(word.begin(), word.begin() + static_cast<std::ptrdiff_t>(colon), IsAsciiLetter);
    if (named) {
      std::string op = Lower(word.substr(0, colon));
      std::string value(word.substr(colon + 1));
      bool value_quoted = false;
      if (value.empty() && i < n && text[i] == '"' && IsKnownOperator(op)) {
        QUIK_RETURN_IF_ERROR(quoted(i, value));  // from:"Bob Smith"
        value_quoted = true;
      }
      if (!value_quoted && !value.empty() && (value[0] == '/' || value[0] == ':')) named = false;
      if (named && value.empty() && !value_quoted && !IsKnownOperator(op)) named = false;
      if (named) {
        const std::string shown = std::string(word.substr(0, colon + 1));
        if (!IsKnownOperator(op)) {
          return InvalidArgument("unknown operator '" + shown + "'" + At(text, word_start) +
                                 "; known: " + kKnownOperators +
                                 " (put the text in quotes to search for it)");
        }
        if (negated) {
          return InvalidArgument("'-' cannot negate the operator '" + shown + "'" +
                                 At(text, start) + "; it excludes words and phrases only");
        }
        if (value.empty()) {
          return InvalidArgument("operator '" + shown + "'" + At(text, word_start) +
                                 " needs a value right after the colon");
        }
        if (op == "from") {
          q.from.push_back(value);
        } else if (op == "in") {
          q.in.push_back(value);
        } else if (op == "before" || op == "after" || op == "on") {
          auto date = ParseDate(value);
          if (!date) {
            return InvalidArgument("bad date '" + value + "' in " + op + ":" +
                                   At(text, word_start) + " (use YYYY-MM-DD)");
          }
          (op == "before" ? q.before : op == "after" ? q.after : q.on).push_back(*date);
        } else if (op == "has") {
          std::string v = Lower(value);
          if (v == "file" || v == "files") {
            q.has_file = true;
          } else if (v == "link" || v == "links") {
            q.has_link = true;
          } else {
            return InvalidArgument("unknown value '" + value + "' for has:" + At(text, word_start) +
                                   " (use has:file or has:link)");
          }
        } else {  // is
          if (Lower(value) != "thread") {
            return InvalidArgument("unknown value '" + value + "' for is:" + At(text, word_start) +
                                   " (use is:thread)");
          }
          q.is_thread = true;
        }
        continue;
      }
    }
    Term t;
    t.negated = negated;
    std::size_t end = word.size();
    while (end > 0 && word[end - 1] == '*') --end;
    t.prefix = end < word.size();
    t.text = std::string(word.substr(0, end));
    // One character would read the postings of every word starting with it
    // (the prefix indexes cover 2 and 3 characters).
    if (t.prefix && !t.text.empty() && Column(t.text, t.text.size()) < 3) {
      return InvalidArgument("prefix '" + std::string(word) + "'" + At(text, word_start) +
                             " is too short: give at least 2 characters before the *");
    }
    if (!t.text.empty()) q.terms.push_back(std::move(t));
  }
  return q;
}

std::string FtsQuote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

namespace {

std::string FtsTerm(const Term& t) { return FtsQuote(t.text) + (t.prefix ? " *" : ""); }

std::string Join(const Query& q, bool negated, const char* op) {
  std::string out;
  for (const Term& t : q.terms) {
    if (t.negated != negated) continue;
    if (!out.empty()) out += op;
    out += FtsTerm(t);
  }
  return out;
}

}  // namespace

std::string FtsPositive(const Query& q) { return Join(q, false, " AND "); }

std::string FtsMatch(const Query& q) {
  std::string pos = Join(q, false, " AND ");
  if (pos.empty()) return "";
  std::string neg = Join(q, true, " OR ");
  if (neg.empty()) return pos;
  return "(" + pos + ") NOT (" + neg + ")";
}

std::string FtsExcluded(const Query& q) { return Join(q, true, " OR "); }

std::optional<std::int64_t> CursorNumber(std::string_view cursor, char kind) {
  if (cursor.size() < 2 || cursor.size() > 20 || cursor[0] != kind) return std::nullopt;
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(cursor.data() + 1, cursor.data() + cursor.size(), v);
  if (ec != std::errc() || ptr != cursor.data() + cursor.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace quik::search
