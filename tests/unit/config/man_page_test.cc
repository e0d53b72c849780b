// SPDX-License-Identifier: MIT
// quik.toml(5) documents every key of the config loader with its default, and
// CheckOptionsText / ListSettings (quikctl config check) agree with the loader.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "quik/config.hpp"

namespace {

// `.B \(dqfull\(dq` -> `"full"`; `.BR sync " = ..."` -> `sync " = ..."`.
std::string Unroff(std::string line) {
  if (!line.empty() && line[0] == '.') {
    const auto space = line.find(' ');
    line = space == std::string::npos ? "" : line.substr(space + 1);
  }
  line = std::regex_replace(line, std::regex(R"(\\\(dq)"), "\"");
  line = std::regex_replace(line, std::regex(R"(\\-)"), "-");
  return line;
}

// key ("section.key") -> the default the page gives, as TOML text.
std::map<std::string, std::string> ManDefaults() {
  std::ifstream in(QUIK_SOURCE_DIR "/man/quik.toml.5");
  std::map<std::string, std::string> out;
  std::string section, key, line, previous;
  bool tag_next = false, default_next = false;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, std::regex(R"re(\.SH "\[(\w+)\]")re"))) {
      section = m[1];
      key.clear();
    } else if (line.rfind(".SH", 0) == 0) {
      section.clear();
    } else if (tag_next && !section.empty()) {
      std::string text = Unroff(line);
      key = section + "." + text.substr(0, text.find_first_of(" \""));
    } else if (default_next && !key.empty()) {
      out[key] = Unroff(line);
    }
    tag_next = line == ".TP";
    default_next = line == "Default:";
  }
  return out;
}

}  // namespace

TEST_CASE("config: quik.toml(5) documents every key with its default", "[config][man]") {
  const auto documented = ManDefaults();
  const auto settings = quik::ListSettings(quik::Options{});
  REQUIRE(settings.size() >= 57);
  for (const quik::ConfigSetting& s : settings) {
    CAPTURE(s.key);
    auto it = documented.find(s.key);
    REQUIRE(it != documented.end());
    CHECK(it->second == s.default_value);
    CHECK(s.value == s.default_value);
  }
  // And nothing that is not a key.
  for (const auto& [key, value] : documented) {
    CAPTURE(key);
    bool known = false;
    for (const auto& s : settings) known = known || s.key == key;
    CHECK(known);
  }
}

TEST_CASE("config: CheckOptionsText lists every problem in file order, ListSettings shows values",
          "[config]") {
  CHECK(quik::CheckOptionsText("[storage]\nsync = \"normal\"\n", "f.toml").empty());
  auto problems = quik::CheckOptionsText(
      "[storage]\ncache_mib = 0\nnope = 1\n[nosuch]\n[auth]\nsession_ttl = \"1x\"\n", "f.toml");
  REQUIRE(problems.size() == 4);
  CHECK(problems[0].rfind("f.toml:2: key 'storage.cache_mib'", 0) == 0);
  CHECK(problems[1] == "f.toml:3: unknown key 'storage.nope'");
  CHECK(problems[2] == "f.toml:4: unknown section 'nosuch'");
  CHECK(problems[3].rfind("f.toml:6: key 'auth.session_ttl'", 0) == 0);
  auto syntax = quik::CheckOptionsText("[storage\n", "f.toml");
  REQUIRE(syntax.size() == 1);
  CHECK(syntax[0].rfind("f.toml:1: ", 0) == 0);

  quik::Options o;
  REQUIRE(quik::ParseOptions("[storage]\nsync = \"normal\"\n", "f.toml", &o).ok());
  for (const auto& s : quik::ListSettings(o)) {
    if (s.key == "storage.sync") {
      CHECK(s.value == "\"normal\"");
      CHECK(s.default_value == "\"full\"");
    }
  }
}
