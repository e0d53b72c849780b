// SPDX-License-Identifier: MIT
#include "common/text.hpp"

#include <cstdint>

namespace quik::internal {

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += len;
  }
  return true;
}

size_t CodePointCount(std::string_view s) {
  size_t count = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::optional<std::int64_t> ParseDigits(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string_view TrimWhitespace(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

Status CheckText(std::string_view text, int max_chars, std::string_view what, bool allow_empty) {
  if (!IsValidUtf8(text)) return InvalidArgument(std::string(what) + " is not valid UTF-8");
  if (text.find('\0') != std::string_view::npos) {
    return InvalidArgument(std::string(what) + " contains a NUL character");
  }
  if (!allow_empty && TrimWhitespace(text).empty()) {
    return InvalidArgument(std::string(what) + " must not be empty");
  }
  size_t n = CodePointCount(text);
  if (n > static_cast<size_t>(max_chars)) {
    return InvalidArgument(std::string(what) + " is " + std::to_string(n) +
                           " characters long; the limit is " + std::to_string(max_chars));
  }
  return Status::Ok();
}

Status CheckEmail(std::string_view email) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("invalid email '" + std::string(email) + "': " + std::string(why));
  };
  if (email.empty()) return InvalidArgument("email is required");
  if (email.size() > 254) return bad("longer than 254 characters");
  if (!IsValidUtf8(email)) return bad("not valid UTF-8");
  for (char c : email) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) return bad("contains a space or control character");
    if (c == '<' || c == '>' || c == ',' || c == ';' || c == '"' || c == '(' || c == ')') {
      return bad("contains a character that is not allowed");
    }
  }
  size_t at = email.find('@');
  if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos) {
    return bad("expected exactly one '@'");
  }
  std::string_view local = email.substr(0, at), domain = email.substr(at + 1);
  if (local.empty() || local.size() > 64) return bad("the part before '@' must be 1-64 characters");
  size_t dot = domain.find('.');
  if (domain.empty() || dot == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.' || domain.find("..") != std::string_view::npos) {
    return bad("the domain must look like example.com");
  }
  return Status::Ok();
}

Status CheckSlug(std::string_view slug) {
  if (slug.empty() || slug.size() > 40) {
    return InvalidArgument("slug '" + std::string(slug) + "' must be 1-40 characters");
  }
  for (char c : slug) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return InvalidArgument("slug '" + std::string(slug) +
                             "' may contain only lower-case letters, digits and '-'");
    }
  }
  if (slug.front() == '-' || slug.back() == '-') {
    return InvalidArgument("slug '" + std::string(slug) + "' must not start or end with '-'");
  }
  return Status::Ok();
}

std::string Slugify(std::string_view name) {
  std::string out;
  bool dash = false;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      bool sep = dash && !out.empty();
      if (out.size() + (sep ? 2 : 1) > 40) break;
      if (sep) out += '-';
      out += c;
      dash = false;
    } else {
      dash = true;
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

Result<std::string> NormalizeChannelName(std::string_view name) {
  std::string n = AsciiLower(TrimWhitespace(name));
  if (!n.empty() && n.front() == '#') n.erase(0, 1);
  if (n.empty()) return InvalidArgument("channel name is required");
  if (n.size() > 80) return InvalidArgument("channel name is longer than 80 characters");
  for (char c : n) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) {
      return InvalidArgument("channel name '" + std::string(name) +
                             "' may contain only letters, digits, '-' and '_'");
    }
  }
  return n;
}

bool YamlNeedsQuotes(std::string_view s) {
  if (s.empty()) return true;
  const std::string lower = AsciiLower(s);
  static constexpr std::string_view kSpecial[] = {"null", "~",    "true",  "false", "yes",
                                                  "no",   "on",   "off",   "y",     "n",
                                                  ".nan", ".inf", "-.inf", "+.inf"};
  for (std::string_view special : kSpecial) {
    if (lower == special) return true;
  }
  // Anything number- or timestamp-like: digits with signs, dots, exponents,
  // 0x/0o prefixes, or date and time separators.
  bool has_digit = false;
  for (char c : lower) {
    if (c >= '0' && c <= '9') {
      has_digit = true;
    } else if (std::string_view("+-._eoxabcdf:tz").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return has_digit;
}

}  // namespace quik::internal
