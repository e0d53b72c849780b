// SPDX-License-Identifier: MIT
// search::ParseQuery and the FTS5 expressions built from it: every operator,
// quoting, negation, prefixes, combinations and each error message.
#include <catch2/catch.hpp>
#include <string>

#include "search/query.hpp"

using quik::StatusCode;
using quik::search::Date;
using quik::search::FtsExcluded;
using quik::search::FtsMatch;
using quik::search::ParseQuery;
using quik::search::Query;

namespace {

Query Parse(const std::string& text) {
  auto q = ParseQuery(text);
  INFO(text << " -> " << q.status().ToString());
  REQUIRE(q.ok());
  return *q;
}

std::string Error(const std::string& text) {
  auto q = ParseQuery(text);
  INFO(text);
  REQUIRE_FALSE(q.ok());
  CHECK(q.status().code() == StatusCode::kInvalidArgument);
  return q.status().message();
}

}  // namespace

TEST_CASE("search query: words, phrases, prefixes and exclusions", "[search]") {
  SECTION("plain words are ANDed, each quoted for FTS5") {
    Query q = Parse("  deploy   failed ");
    REQUIRE(q.terms.size() == 2);
    CHECK(q.terms[0].text == "deploy");
    CHECK_FALSE(q.terms[0].phrase);
    CHECK(FtsMatch(q) == "\"deploy\" AND \"failed\"");
  }
  SECTION("a phrase keeps its words in order") {
    Query q = Parse("\"release notes\" draft");
    REQUIRE(q.terms.size() == 2);
    CHECK(q.terms[0].phrase);
    CHECK(q.terms[0].text == "release notes");
    CHECK(FtsMatch(q) == "\"release notes\" AND \"draft\"");
  }
  SECTION("a trailing * is a prefix search") {
    Query q = Parse("depl* \"release no\"*");
    REQUIRE(q.terms.size() == 2);
    CHECK(q.terms[0].prefix);
    CHECK(q.terms[0].text == "depl");
    CHECK(q.terms[1].prefix);
    CHECK(FtsMatch(q) == "\"depl\" * AND \"release no\" *");
  }
  SECTION("-word and -\"phrase\" exclude") {
    Query q = Parse("deploy -staging -\"dry run\"");
    REQUIRE(q.terms.size() == 3);
    CHECK(q.terms[1].negated);
    CHECK(q.terms[2].negated);
    CHECK(q.terms[2].phrase);
    CHECK(FtsMatch(q) == "(\"deploy\") NOT (\"staging\" OR \"dry run\")");
    CHECK(FtsExcluded(q) == "\"staging\" OR \"dry run\"");
  }
  SECTION("only exclusions: no positive expression, the excluded one apart") {
    Query q = Parse("-staging");
    CHECK_FALSE(q.has_positive_terms());
    CHECK(q.has_negative_terms());
    CHECK(FtsMatch(q).empty());
    CHECK(FtsExcluded(q) == "\"staging\"");
  }
  SECTION("FTS5 operators and punctuation are quoted, quotes doubled") {
    Query q = Parse("NOT OR NEAR(a b) ^x {a} a+b");
    CHECK(FtsMatch(q) ==
          "\"NOT\" AND \"OR\" AND \"NEAR(a\" AND \"b)\" AND \"^x\" AND \"{a}\" AND \"a+b\"");
    Query q2 = Parse("say\"hi\"");
    REQUIRE(q2.terms.size() == 2);
    CHECK(q2.terms[0].text == "say");
    CHECK(q2.terms[1].text == "hi");
    CHECK(quik::search::FtsQuote("a\"b") == "\"a\"\"b\"");
  }
  SECTION("a lone '-', '*' or empty phrase means nothing") {
    Query q = Parse("- * \"\" \"  \"");
    CHECK(q.terms.empty());
    CHECK(FtsMatch(q).empty());
  }
  SECTION("URLs, times, emoji codes and C++ names are words, not operators") {
    Query q = Parse("https://example.com/x 10:30 :tada: std::vector note:");
    REQUIRE(q.terms.size() == 5);
    CHECK(q.terms[0].text == "https://example.com/x");
    CHECK(q.terms[3].text == "std::vector");
    CHECK(q.terms[4].text == "note:");
  }
  SECTION("non-ASCII text") {
    Query q = Parse("résumé \"über alles\"");
    REQUIRE(q.terms.size() == 2);
    CHECK(q.terms[0].text == "résumé");
  }
}

TEST_CASE("search query: operators", "[search]") {
  SECTION("from: in any form, several allowed") {
    Query q = Parse("from:@bob from:<@01HZ0000000000000000000000> FROM:me from:\"Bob Smith\"");
    REQUIRE(q.from.size() == 4);
    CHECK(q.from[0] == "@bob");
    CHECK(q.from[1] == "<@01HZ0000000000000000000000>");
    CHECK(q.from[2] == "me");
    CHECK(q.from[3] == "Bob Smith");
    CHECK(q.terms.empty());
  }
  SECTION("in:") {
    Query q = Parse("in:#general In:random report");
    REQUIRE(q.in.size() == 2);
    CHECK(q.in[0] == "#general");
    CHECK(q.in[1] == "random");
    REQUIRE(q.terms.size() == 1);
  }
  SECTION("dates") {
    Query q = Parse("before:2024-03-01 after:2023-12-31 on:2024-02-29");
    REQUIRE(q.before.size() == 1);
    CHECK(q.before[0] == Date{2024, 3, 1});
    CHECK(q.after[0] == Date{2023, 12, 31});
    CHECK(q.on[0] == Date{2024, 2, 29});
  }
  SECTION("has: and is:") {
    Query q = Parse("has:file HAS:Link is:thread");
    CHECK(q.has_file);
    CHECK(q.has_link);
    CHECK(q.is_thread);
    Query none = Parse("budget");
    CHECK_FALSE(none.has_file);
    CHECK_FALSE(none.has_link);
    CHECK_FALSE(none.is_thread);
  }
  SECTION("operators mixed with words and exclusions") {
    Query q = Parse("from:@alice in:#ops \"disk full\" -test has:link after:2024-01-01 db*");
    CHECK(q.from.size() == 1);
    CHECK(q.in.size() == 1);
    CHECK(q.has_link);
    CHECK(q.after.size() == 1);
    CHECK(FtsMatch(q) == "(\"disk full\" AND \"db\" *) NOT (\"test\")");
  }
}

TEST_CASE("search query: errors name the problem and the column", "[search]") {
  CHECK(Error("hello \"world") == "unbalanced quote at column 7: close the phrase with another \"");
  CHECK(Error("é \"x") == "unbalanced quote at column 3: close the phrase with another \"");
  CHECK(Error("a frm:@bob") ==
        "unknown operator 'frm:' at column 3; known: from, in, before, after, on, has, is "
        "(put the text in quotes to search for it)");
  CHECK(Error("before:2024-13-01") ==
        "bad date '2024-13-01' in before: at column 1 (use YYYY-MM-DD)");
  CHECK(Error("x on:2023-02-29") == "bad date '2023-02-29' in on: at column 3 (use YYYY-MM-DD)");
  CHECK(Error("after:yesterday") == "bad date 'yesterday' in after: at column 1 (use YYYY-MM-DD)");
  CHECK(Error("after:2024-1-5") == "bad date '2024-1-5' in after: at column 1 (use YYYY-MM-DD)");
  CHECK(Error("has:pictures") ==
        "unknown value 'pictures' for has: at column 1 (use has:file or has:link)");
  CHECK(Error("is:pinned") == "unknown value 'pinned' for is: at column 1 (use is:thread)");
  CHECK(Error("from: bob") == "operator 'from:' at column 1 needs a value right after the colon");
  CHECK(Error("a -from:@bob") ==
        "'-' cannot negate the operator 'from:' at column 3; it excludes words and phrases only");
  CHECK(Error("from:\"Bob") == "unbalanced quote at column 6: close the phrase with another \"");
  CHECK(Error("x t*") ==
        "prefix 't*' at column 3 is too short: give at least 2 characters before the *");
  CHECK(Error("é**") ==
        "prefix 'é**' at column 1 is too short: give at least 2 characters before the *");
  CHECK(Parse("ét*").terms.at(0).prefix);
  // SQLite would cut the FTS5 expression at a NUL (found by fuzz_search_query).
  CHECK(Error(std::string("deploy \x01\0\0\0", 11)) ==
        "the query holds a NUL character at column 9: remove it");
  CHECK(Error(std::string("\"a\0b\"", 5)) ==
        "the query holds a NUL character at column 3: remove it");
}

TEST_CASE("search query: nothing typed is an empty query", "[search]") {
  Query q = Parse("");
  CHECK(q.terms.empty());
  CHECK(q.from.empty());
  CHECK(FtsMatch(q).empty());
}
