// SPDX-License-Identifier: MIT
// Validation and normalisation of user-supplied text (common/text.hpp).
#include <catch2/catch.hpp>
#include <string>
#include <string_view>

#include "common/text.hpp"

using quik::StatusCode;
using quik::internal::AsciiLower;
using quik::internal::CheckEmail;
using quik::internal::CheckSlug;
using quik::internal::CheckText;
using quik::internal::CodePointCount;
using quik::internal::IsValidUtf8;
using quik::internal::NormalizeChannelName;
using quik::internal::Slugify;
using quik::internal::TrimWhitespace;

namespace {

// A string of raw bytes (string literals with \x escapes can swallow a
// following hex digit, and embedded NULs need an explicit length).
std::string Bytes(std::initializer_list<unsigned> bytes) {
  std::string out;
  for (unsigned b : bytes) out += static_cast<char>(b);
  return out;
}

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// U+00E9 (2 bytes), U+20AC (3 bytes), U+1F600 (4 bytes).
const std::string kE = "\xC3\xA9";
const std::string kEuro = "\xE2\x82\xAC";
const std::string kGrin = "\xF0\x9F\x98\x80";

bool IsInvalidArgument(const quik::Status& s) {
  INFO(s.ToString());
  return s.code() == StatusCode::kInvalidArgument;
}

}  // namespace

// ---------------------------------------------------------------------------
// IsValidUtf8

TEST_CASE("text: IsValidUtf8 accepts ASCII and well-formed multi-byte sequences", "[common]") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("hello, world"));
  CHECK(IsValidUtf8(std::string_view("a\0b", 3)));  // NUL is valid UTF-8 (CheckText rejects it)
  CHECK(IsValidUtf8(kE));
  CHECK(IsValidUtf8(kEuro));
  CHECK(IsValidUtf8(kGrin));
  CHECK(IsValidUtf8("caf" + kE + " costs 5" + kEuro + " " + kGrin));
  // The smallest and largest code point of each length.
  CHECK(IsValidUtf8(Bytes({0x7F})));
  CHECK(IsValidUtf8(Bytes({0xC2, 0x80})));              // U+0080
  CHECK(IsValidUtf8(Bytes({0xDF, 0xBF})));              // U+07FF
  CHECK(IsValidUtf8(Bytes({0xE0, 0xA0, 0x80})));        // U+0800
  CHECK(IsValidUtf8(Bytes({0xED, 0x9F, 0xBF})));        // U+D7FF, just below the surrogates
  CHECK(IsValidUtf8(Bytes({0xEE, 0x80, 0x80})));        // U+E000, just above them
  CHECK(IsValidUtf8(Bytes({0xEF, 0xBF, 0xBF})));        // U+FFFF
  CHECK(IsValidUtf8(Bytes({0xF0, 0x90, 0x80, 0x80})));  // U+10000
  CHECK(IsValidUtf8(Bytes({0xF4, 0x8F, 0xBF, 0xBF})));  // U+10FFFF
}

TEST_CASE("text: IsValidUtf8 rejects overlong encodings", "[common]") {
  CHECK_FALSE(IsValidUtf8(Bytes({0xC0, 0x80})));              // NUL in two bytes
  CHECK_FALSE(IsValidUtf8(Bytes({0xC0, 0xAF})));              // '/' in two bytes
  CHECK_FALSE(IsValidUtf8(Bytes({0xC1, 0xBF})));              // U+007F in two bytes
  CHECK_FALSE(IsValidUtf8(Bytes({0xE0, 0x80, 0xAF})));        // '/' in three bytes
  CHECK_FALSE(IsValidUtf8(Bytes({0xE0, 0x9F, 0xBF})));        // U+07FF in three bytes
  CHECK_FALSE(IsValidUtf8(Bytes({0xF0, 0x80, 0x80, 0xAF})));  // '/' in four bytes
  CHECK_FALSE(IsValidUtf8(Bytes({0xF0, 0x8F, 0xBF, 0xBF})));  // U+FFFF in four bytes
}

TEST_CASE("text: IsValidUtf8 rejects UTF-16 surrogates", "[common]") {
  CHECK_FALSE(IsValidUtf8(Bytes({0xED, 0xA0, 0x80})));  // U+D800
  CHECK_FALSE(IsValidUtf8(Bytes({0xED, 0xAD, 0xBF})));  // U+DB7F
  CHECK_FALSE(IsValidUtf8(Bytes({0xED, 0xB0, 0x80})));  // U+DC00
  CHECK_FALSE(IsValidUtf8(Bytes({0xED, 0xBF, 0xBF})));  // U+DFFF
  // A CESU-8 style surrogate pair for U+1F600.
  CHECK_FALSE(IsValidUtf8(Bytes({0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80})));
}

TEST_CASE("text: IsValidUtf8 rejects code points above U+10FFFF and invalid lead bytes",
          "[common]") {
  CHECK_FALSE(IsValidUtf8(Bytes({0xF4, 0x90, 0x80, 0x80})));  // U+110000
  CHECK_FALSE(IsValidUtf8(Bytes({0xF5, 0x80, 0x80, 0x80})));
  CHECK_FALSE(IsValidUtf8(Bytes({0xF7, 0xBF, 0xBF, 0xBF})));
  CHECK_FALSE(IsValidUtf8(Bytes({0xF8, 0x88, 0x80, 0x80, 0x80})));  // old 5-byte form
  CHECK_FALSE(IsValidUtf8(Bytes({0xFC, 0x84, 0x80, 0x80, 0x80, 0x80})));
  CHECK_FALSE(IsValidUtf8(Bytes({0xFE})));
  CHECK_FALSE(IsValidUtf8(Bytes({0xFF})));
}

TEST_CASE("text: IsValidUtf8 rejects truncated sequences", "[common]") {
  CHECK_FALSE(IsValidUtf8(Bytes({0xC3})));
  CHECK_FALSE(IsValidUtf8(Bytes({0xE2, 0x82})));
  CHECK_FALSE(IsValidUtf8(Bytes({0xF0, 0x9F, 0x98})));
  CHECK_FALSE(IsValidUtf8("abc" + kGrin.substr(0, 3)));  // cut at the end of the string
  // Cut in the middle, followed by ASCII or by another lead byte.
  CHECK_FALSE(IsValidUtf8(Bytes({0xE2, 0x82, 'A'})));
  CHECK_FALSE(IsValidUtf8(Bytes({0xC3, 0xC3, 0xA9})));
  CHECK_FALSE(IsValidUtf8(Bytes({0xF0, 0x9F, 0x98, 0xF0, 0x9F, 0x98, 0x80})));
}

TEST_CASE("text: IsValidUtf8 rejects stray continuation bytes", "[common]") {
  CHECK_FALSE(IsValidUtf8(Bytes({0x80})));
  CHECK_FALSE(IsValidUtf8(Bytes({0xBF})));
  CHECK_FALSE(IsValidUtf8("a" + Bytes({0x80}) + "b"));
  CHECK_FALSE(IsValidUtf8(kE + Bytes({0xA9})));     // one continuation too many
  CHECK_FALSE(IsValidUtf8(kGrin + Bytes({0x80})));  // after a complete 4-byte sequence
  CHECK_FALSE(IsValidUtf8(Bytes({0x80, 0x80, 0x80})));
}

// ---------------------------------------------------------------------------
// CodePointCount, AsciiLower, TrimWhitespace

TEST_CASE("text: CodePointCount counts code points, not bytes", "[common]") {
  CHECK(CodePointCount("") == 0);
  CHECK(CodePointCount("abc") == 3);
  CHECK(CodePointCount(kE) == 1);
  CHECK(CodePointCount(kEuro) == 1);
  CHECK(CodePointCount(kGrin) == 1);
  CHECK(CodePointCount("caf" + kE) == 4);
  CHECK(CodePointCount(kE + kEuro + kGrin + "x") == 4);
  CHECK(CodePointCount(Repeat(kGrin, 1000)) == 1000);
  CHECK(CodePointCount(std::string_view("a\0b", 3)) == 3);
}

TEST_CASE("text: AsciiLower and TrimWhitespace", "[common]") {
  CHECK(AsciiLower("Hello WORLD 123-_") == "hello world 123-_");
  CHECK(AsciiLower("\xC3\x89") == "\xC3\x89");  // non-ASCII bytes are left alone
  CHECK(TrimWhitespace("  \t\r\nabc d \n\t ") == "abc d");
  CHECK(TrimWhitespace(" \t\r\n").empty());
  CHECK(TrimWhitespace("").empty());
  CHECK(TrimWhitespace("x") == "x");
}

// ---------------------------------------------------------------------------
// CheckText

TEST_CASE("text: CheckText accepts ordinary text", "[common]") {
  CHECK(CheckText("Alice", 80, "name").ok());
  CHECK(CheckText("  padded  ", 80, "name").ok());
  CHECK(CheckText("caf" + kE + " " + kGrin, 80, "name").ok());
  CHECK(CheckText("line one\nline two", 80, "text").ok());
}

TEST_CASE("text: CheckText limits code points at the exact boundary", "[common]") {
  SECTION("ASCII") {
    CHECK(CheckText(std::string(10, 'a'), 10, "name").ok());
    CHECK(IsInvalidArgument(CheckText(std::string(11, 'a'), 10, "name")));
  }
  SECTION("two-byte characters: the limit counts characters, not bytes") {
    std::string ten = Repeat(kE, 10);  // 20 bytes
    CHECK(ten.size() == 20);
    CHECK(CheckText(ten, 10, "name").ok());
    CHECK(IsInvalidArgument(CheckText(ten + kE, 10, "name")));
    CHECK(IsInvalidArgument(CheckText(ten + "a", 10, "name")));
  }
  SECTION("three- and four-byte characters") {
    CHECK(CheckText(Repeat(kEuro, 5), 5, "topic").ok());
    CHECK(IsInvalidArgument(CheckText(Repeat(kEuro, 6), 5, "topic")));
    CHECK(CheckText(Repeat(kGrin, 7), 7, "text").ok());
    CHECK(IsInvalidArgument(CheckText(Repeat(kGrin, 8), 7, "text")));
  }
  SECTION("mixed widths") {
    std::string mixed = "a" + kE + kEuro + kGrin;  // 4 code points, 10 bytes
    CHECK(CheckText(mixed, 4, "text").ok());
    CHECK(IsInvalidArgument(CheckText(mixed, 3, "text")));
  }
  SECTION("the message text limit of CONTRACT.md section 2") {
    CHECK(CheckText(Repeat(kGrin, 40000), 40000, "text").ok());
    CHECK(IsInvalidArgument(CheckText(Repeat(kGrin, 40001), 40000, "text")));
  }
}

TEST_CASE("text: CheckText errors name the field and the limit", "[common]") {
  quik::Status s = CheckText(std::string(11, 'a'), 10, "display name");
  REQUIRE(IsInvalidArgument(s));
  CHECK_THAT(s.message(), Catch::Contains("display name"));
  CHECK_THAT(s.message(), Catch::Contains("10"));
  CHECK_THAT(s.message(), Catch::Contains("11"));
}

TEST_CASE("text: CheckText rejects invalid UTF-8", "[common]") {
  quik::Status s = CheckText("ab" + Bytes({0xFF}), 80, "topic", /*allow_empty=*/true);
  REQUIRE(IsInvalidArgument(s));
  CHECK_THAT(s.message(), Catch::Contains("topic"));
  CHECK_THAT(s.message(), Catch::Contains("UTF-8"));
  CHECK(IsInvalidArgument(CheckText(Bytes({0xC0, 0x80}), 80, "name")));  // overlong NUL
  CHECK(IsInvalidArgument(CheckText(Bytes({0xED, 0xA0, 0x80}), 80, "name")));
}

TEST_CASE("text: CheckText rejects NUL characters", "[common]") {
  quik::Status s = CheckText(std::string_view("ab\0cd", 5), 80, "name");
  REQUIRE(IsInvalidArgument(s));
  CHECK_THAT(s.message(), Catch::Contains("NUL"));
  CHECK(IsInvalidArgument(CheckText(std::string_view("\0", 1), 80, "topic", true)));
  CHECK(IsInvalidArgument(CheckText(std::string_view("abc\0", 4), 80, "text")));
}

TEST_CASE("text: CheckText rejects empty and whitespace-only text unless allowed", "[common]") {
  for (std::string_view blank : {"", " ", "   ", "\t", "\n", " \r\n\t "}) {
    INFO("text: '" << blank << "'");
    quik::Status s = CheckText(blank, 80, "name");
    REQUIRE(IsInvalidArgument(s));
    CHECK_THAT(s.message(), Catch::Contains("name"));
    CHECK(CheckText(blank, 80, "topic", /*allow_empty=*/true).ok());
  }
  // Leading and trailing blanks count towards the limit.
  CHECK(IsInvalidArgument(CheckText(" abc ", 4, "name")));
}

// ---------------------------------------------------------------------------
// CheckEmail

TEST_CASE("text: CheckEmail accepts plausible addresses", "[common]") {
  for (std::string_view email : {"a@b.co", "alice@example.test", "Alice.Smith+tag@mail.example.com",
                                 "x_y-z@sub-1.example.org", "o'brien@example.ie",
                                 "\xC3\xA9l\xC3\xA8ve@\xC3\xA9"
                                 "cole.fr"}) {
    INFO(email);
    CHECK(CheckEmail(email).ok());
  }
}

TEST_CASE("text: CheckEmail rejects malformed addresses", "[common]") {
  for (std::string_view email : {
           "",                    // empty
           "alice",               // no '@'
           "alice.example.com",   // no '@'
           "@example.com",        // empty local part
           "alice@",              // empty domain
           "alice@example",       // undotted domain
           "alice@.example.com",  // domain starts with '.'
           "alice@example.com.",  // domain ends with '.'
           "alice@example..com",  // empty label
           "alice@@example.com",  // two '@'
           "a@b@example.com",     // two '@'
           "alice smith@example.com",
           " alice@example.com",
           "alice@example.com ",
           "alice@exa mple.com",
           "alice\t@example.com",
           "alice\n@example.com",
           "alice@example.com\x7F",
           "<alice@example.com>",
           "alice@example.com,bob@example.com",
           "alice;bob@example.com",
           "\"alice\"@example.com",
           "alice(comment)@example.com",
       }) {
    INFO("email: '" << email << "'");
    CHECK(IsInvalidArgument(CheckEmail(email)));
  }
  CHECK(IsInvalidArgument(CheckEmail(std::string_view("al\0ce@example.com", 17))));
  CHECK(IsInvalidArgument(CheckEmail("al" + Bytes({0xFF}) + "ce@example.com")));
  CHECK(IsInvalidArgument(CheckEmail("alice@ex" + Bytes({0xC3}) + "ample.com")));
}

TEST_CASE("text: CheckEmail limits the address to 254 bytes", "[common]") {
  // local (64) + '@' + "ddd...d.com".
  auto email_of_size = [](size_t size) {
    return std::string(64, 'l') + "@" + std::string(size - 64 - 1 - 4, 'd') + ".com";
  };
  std::string at_limit = email_of_size(254);
  REQUIRE(at_limit.size() == 254);
  CHECK(CheckEmail(at_limit).ok());
  std::string over = email_of_size(255);
  REQUIRE(over.size() == 255);
  quik::Status s = CheckEmail(over);
  CHECK(IsInvalidArgument(s));
  CHECK_THAT(s.message(), Catch::Contains("254"));
  // The limit is in bytes: 2-byte characters reach it at half the count.
  std::string wide = Repeat(kE, 32) + "@" + std::string(185, 'd') + ".com";
  REQUIRE(wide.size() == 254);
  CHECK(CheckEmail(wide).ok());
  CHECK(IsInvalidArgument(CheckEmail(Repeat(kE, 32) + "@" + std::string(186, 'd') + ".com")));
}

TEST_CASE("text: CheckEmail limits the local part to 64 bytes", "[common]") {
  CHECK(CheckEmail(std::string(64, 'a') + "@example.com").ok());
  CHECK(IsInvalidArgument(CheckEmail(std::string(65, 'a') + "@example.com")));
}

TEST_CASE("text: CheckEmail errors quote the address", "[common]") {
  quik::Status s = CheckEmail("not-an-email");
  REQUIRE(IsInvalidArgument(s));
  CHECK_THAT(s.message(), Catch::Contains("not-an-email"));
  CHECK_THAT(CheckEmail("").message(), Catch::Contains("required"));
}

// ---------------------------------------------------------------------------
// CheckSlug and Slugify

TEST_CASE("text: CheckSlug accepts [a-z0-9-] of 1..40 not starting or ending with '-'",
          "[common]") {
  for (std::string_view slug : {"a", "7", "acme", "demo-co", "a-b-c", "a--b", "2024-team"}) {
    INFO(slug);
    CHECK(CheckSlug(slug).ok());
  }
  CHECK(CheckSlug(std::string(40, 'a')).ok());
  CHECK(CheckSlug("a" + std::string(38, '-') + "z").ok());
}

TEST_CASE("text: CheckSlug rejects bad slugs", "[common]") {
  for (std::string_view slug : {"", "-", "-acme", "acme-", "Acme", "ACME", "demo co", "demo_co",
                                "demo.co", "demo/co", "caf\xC3\xA9", "#acme", " acme"}) {
    INFO("slug: '" << slug << "'");
    CHECK(IsInvalidArgument(CheckSlug(slug)));
  }
  CHECK(IsInvalidArgument(CheckSlug(std::string(41, 'a'))));
  CHECK(IsInvalidArgument(CheckSlug(std::string_view("ab\0c", 4))));
}

TEST_CASE("text: Slugify derives a slug from a name", "[common]") {
  CHECK(Slugify("Demo Co!") == "demo-co");
  CHECK(Slugify("Acme") == "acme");
  CHECK(Slugify("ACME Widgets Inc.") == "acme-widgets-inc");
  CHECK(Slugify("team 42") == "team-42");
  // Runs of junk collapse into one '-'.
  CHECK(Slugify("a   --__..  b") == "a-b");
  CHECK(Slugify("already-a-slug") == "already-a-slug");
  // Non-ASCII bytes are junk.
  CHECK(Slugify("Caf\xC3\xA9 M\xC3\xBCnchen") == "caf-m-nchen");
}

TEST_CASE("text: Slugify drops leading and trailing junk", "[common]") {
  CHECK(Slugify("  Demo Co  ") == "demo-co");
  CHECK(Slugify("--demo--") == "demo");
  CHECK(Slugify("!!!Demo Co!!!") == "demo-co");
  CHECK(Slugify("\xF0\x9F\x98\x80 Party \xF0\x9F\x98\x80") == "party");
}

TEST_CASE("text: Slugify returns empty when nothing usable remains", "[common]") {
  CHECK(Slugify("").empty());
  CHECK(Slugify("!!!").empty());
  CHECK(Slugify("   ").empty());
  CHECK(Slugify("-_-").empty());
  CHECK(Slugify("\xC3\xA9\xC3\xA9").empty());
}

TEST_CASE("text: Slugify caps the slug at 40 characters", "[common]") {
  CHECK(Slugify(std::string(40, 'a')) == std::string(40, 'a'));
  CHECK(Slugify(std::string(100, 'A')) == std::string(40, 'a'));
  // A cut right after a separator leaves no trailing '-'.
  std::string s = Slugify(std::string(40, 'a') + " b");
  CHECK(s == std::string(40, 'a'));
  s = Slugify(Repeat("ab ", 30));
  CHECK(s.size() <= 40);
  CHECK(CheckSlug(s).ok());
}

TEST_CASE("text: Slugify output is always a valid slug or empty", "[common]") {
  // A separator that falls at the 40th character: 39 letters, then junk, then
  // more letters must not give "aaa...a-b" (41 characters, which CheckSlug
  // rejects).
  std::string slug39 = Slugify(std::string(39, 'a') + " b");
  CHECK(slug39.size() <= 40);
  CHECK(CheckSlug(slug39).ok());
  // Every prefix length around the cap must give at most 40 characters.
  for (int n = 30; n <= 45; ++n) {
    for (std::string_view junk : {" ", "!!", " - "}) {
      std::string name = std::string(static_cast<size_t>(n), 'a') + std::string(junk) + "bcd";
      std::string slug = Slugify(name);
      INFO("name: '" << name << "' -> '" << slug << "' (" << slug.size() << " chars)");
      CHECK(slug.size() <= 40);
      CHECK(CheckSlug(slug).ok());
    }
  }
}

// ---------------------------------------------------------------------------
// NormalizeChannelName

TEST_CASE("text: NormalizeChannelName lower-cases and drops a leading '#'", "[common]") {
  auto norm = [](std::string_view name) {
    quik::Result<std::string> r = NormalizeChannelName(name);
    INFO(name << " -> " << r.status().ToString());
    REQUIRE(r.ok());
    return *r;
  };
  CHECK(norm("general") == "general");
  CHECK(norm("#general") == "general");
  CHECK(norm("General") == "general");
  CHECK(norm("#RANDOM") == "random");
  CHECK(norm("dev-ops_2024") == "dev-ops_2024");
  CHECK(norm("  #Sales  ") == "sales");  // surrounding blanks are trimmed
  CHECK(norm("-") == "-");
  CHECK(norm("_") == "_");
}

TEST_CASE("text: NormalizeChannelName rejects empty and invalid names", "[common]") {
  for (std::string_view name : {"", "#", "   ", " # ", "##general", "gen#eral", "dev ops",
                                "dev.ops", "dev/ops", "caf\xC3\xA9", "@here", "a,b", "\t"}) {
    INFO("name: '" << name << "'");
    quik::Result<std::string> r = NormalizeChannelName(name);
    CHECK_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
  CHECK_FALSE(NormalizeChannelName(std::string_view("ab\0c", 4)).ok());
}

TEST_CASE("text: NormalizeChannelName allows 80 characters, not counting the '#'", "[common]") {
  std::string eighty(80, 'c');
  REQUIRE(NormalizeChannelName(eighty).ok());
  CHECK(*NormalizeChannelName(eighty) == eighty);
  REQUIRE(NormalizeChannelName("#" + eighty).ok());
  CHECK(*NormalizeChannelName("#" + eighty) == eighty);
  CHECK(*NormalizeChannelName(std::string(80, 'C')) == eighty);
  quik::Result<std::string> r = NormalizeChannelName(eighty + "c");
  CHECK_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains("80"));
  CHECK_FALSE(NormalizeChannelName("#" + eighty + "c").ok());
}
