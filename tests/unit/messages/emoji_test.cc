// SPDX-License-Identifier: MIT
// The emojis a reaction may use (messages/emoji.hpp).
#include <string>

#include "messages/emoji.hpp"
#include "unit/testing/service_fixture.hpp"

using quik::StatusCode;
using quik::internal::NormalizeEmoji;

TEST_CASE("emoji: valid short names are normalised", "[messages][emoji]") {
  struct Case {
    std::string in, out;
  };
  for (const Case& c : {
           Case{"thumbsup", "thumbsup"},
           Case{":thumbsup:", "thumbsup"},
           Case{":ThumbsUp:", "thumbsup"},
           Case{"+1", "+1"},
           Case{":-1:", "-1"},
           Case{"white_check_mark", "white_check_mark"},
           Case{"man's_shoe", "man's_shoe"},
           Case{"e-mail", "e-mail"},
           Case{"100", "100"},
           Case{"x", "x"},
           Case{std::string(64, 'a'), std::string(64, 'a')},
           Case{":" + std::string(64, 'b') + ":", std::string(64, 'b')},
       }) {
    auto r = NormalizeEmoji(c.in);
    INFO(c.in << " -> " << r.status().ToString());
    REQUIRE(r.ok());
    CHECK(*r == c.out);
  }
}

TEST_CASE("emoji: one Unicode emoji is kept as given", "[messages][emoji]") {
  for (const char* raw : {
           "\xF0\x9F\x91\x8D",                  // thumbs up
           "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",  // thumbs up, medium skin tone
           "\xE2\x9D\xA4\xEF\xB8\x8F",          // red heart + VS16
           "\xE2\x9D\xA4",                      // red heart, text presentation
           "\xF0\x9F\x98\x80",                  // grinning face
           "\xF0\x9F\x8E\x89",                  // party popper
           "\xF0\x9F\x9A\x80",                  // rocket
           "\xF0\x9F\xAB\xA0",                  // melting face (U+1FAE0)
           // family: man, woman, girl, boy (ZWJ sequence)
           "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7\xE2\x80\x8D"
           "\xF0\x9F\x91\xA6",
           // woman technologist, medium skin tone (ZWJ + modifier)
           "\xF0\x9F\x91\xA9\xF0\x9F\x8F\xBD\xE2\x80\x8D\xF0\x9F\x92\xBB",
           // rainbow flag: white flag, VS16, ZWJ, rainbow
           "\xF0\x9F\x8F\xB3\xEF\xB8\x8F\xE2\x80\x8D\xF0\x9F\x8C\x88",
           "\xF0\x9F\x87\xA9\xF0\x9F\x87\xAA",  // flag of Germany (regional indicators D E)
           "1\xEF\xB8\x8F\xE2\x83\xA3",         // keycap 1
           "#\xE2\x83\xA3",                     // keycap # without VS16
           // flag of England: black flag, tags g b e n g, cancel tag
           "\xF0\x9F\x8F\xB4\xF3\xA0\x81\xA7\xF3\xA0\x81\xA2\xF3\xA0\x81\xA5\xF3\xA0\x81\xAE"
           "\xF3\xA0\x81\xA7\xF3\xA0\x81\xBF",
       }) {
    const std::string e = raw;
    auto r = NormalizeEmoji(e);
    INFO(e << " -> " << r.status().ToString());
    REQUIRE(r.ok());
    CHECK(*r == e);
  }
}

TEST_CASE("emoji: anything else is invalid, with a message saying what an emoji is",
          "[messages][emoji]") {
  for (const std::string& e : {
           std::string(),
           std::string("::"),
           std::string(":thumbsup"),  // one colon is not a short name
           std::string("thumbs up"),
           std::string(" thumbsup"),
           std::string("thumbs:up"),
           std::string("a/b"),
           std::string("tab\there"),
           std::string("nul\0x", 5),
           std::string("\x07"),
           std::string(65, 'a'),
           std::string("\xF0\x9F\x91\x8D\xF0\x9F\x91\x8D"),  // two emojis
           std::string("\xF0\x9F\x91\x8D "),                 // emoji and a space
           std::string("\xF0\x9F\x91\x8Dx"),                 // emoji and a letter
           std::string("\xC3\xA9"),                          // e with acute
           std::string("\xEF\xBC\xA1"),                      // fullwidth A
           std::string("\xD0\x96"),                          // Cyrillic Zhe
           std::string("\xF0\x9F\x8F\xBD"),                  // a skin tone alone
           std::string("\xF0\x9F\x87\xA9"),                  // one regional indicator
           std::string("\xF0\x9F\x87\xA9\xF0\x9F\x87\xAA\xF0\x9F\x87\xAB"),  // three of them
           std::string("\xE2\x80\x8D"),                                      // ZWJ alone
           std::string("\xF0\x9F\x91\x8D\xE2\x80\x8D"),                      // trailing ZWJ
           std::string("1\xEF\xB8\x8F"),                                     // keycap w/o 20E3
           std::string("\xF0\x9F\x8F\xB4\xF3\xA0\x81\xA7\xF3\xA0\x81\xA2"),  // unterminated tags
           std::string("\xF0\x9F\x91\x8D\x0A"),                              // with a newline
           std::string("\xFF\xFE"),                                          // not UTF-8
           // eleven thumbs up joined by ZWJ: over the byte limit
           quik_test::Repeat("\xF0\x9F\x91\x8D\xE2\x80\x8D", 10) + "\xF0\x9F\x91\x8D",
       }) {
    auto r = NormalizeEmoji(e);
    INFO("'" << e << "' -> " << r.status().ToString());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(r.status().message().find("short name") != std::string::npos);
    CHECK(r.status().message().find("one Unicode emoji") != std::string::npos);
  }
}

TEST_CASE("emoji: a long invalid input is quoted cut short", "[messages][emoji]") {
  auto r = NormalizeEmoji(std::string(5000, 'x'));
  REQUIRE(r.status().code() == StatusCode::kInvalidArgument);
  CHECK(r.status().message().size() < 400);
}
