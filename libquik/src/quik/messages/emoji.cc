// SPDX-License-Identifier: MIT
#include "messages/emoji.hpp"

#include <cstdint>
#include <optional>
#include <vector>

#include "common/text.hpp"

namespace quik::internal {
namespace {

constexpr char32_t kZwj = 0x200D;
constexpr char32_t kVs16 = 0xFE0F;
constexpr char32_t kKeycap = 0x20E3;
constexpr char32_t kBlackFlag = 0x1F3F4;
constexpr char32_t kCancelTag = 0xE007F;

Status Invalid(std::string_view emoji, std::string_view why) {
  // Quote at most ~64 bytes of it, cut at a character boundary.
  std::string shown(emoji.substr(0, 64));
  if (shown.size() < emoji.size()) {
    while (!shown.empty() && (static_cast<unsigned char>(emoji[shown.size()]) & 0xC0) == 0x80) {
      shown.pop_back();
    }
    shown += "...";
  }
  return InvalidArgument(
      "emoji '" + shown + "' " + std::string(why) +
      ": an emoji is a short name like \"thumbsup\" or \":+1:\" (1 to 64 of a-z 0-9 _ + ' -) "
      "or exactly one Unicode emoji such as \"\xF0\x9F\x91\x8D\" (at most " +
      std::to_string(kMaxEmojiBytes) + " bytes)");
}

// Decodes valid UTF-8 (checked by the caller).
std::vector<char32_t> CodePoints(std::string_view s) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    int len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += static_cast<std::size_t>(len);
  }
  return out;
}

bool In(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }

bool IsRegionalIndicator(char32_t c) { return In(c, 0x1F1E6, 0x1F1FF); }
bool IsSkinTone(char32_t c) { return In(c, 0x1F3FB, 0x1F3FF); }
bool IsTag(char32_t c) { return In(c, 0xE0020, 0xE007E); }

// Code points that are emoji on their own (Unicode's Emoji property, less
// the digits, '#' and '*', which only form keycaps, and the modifiers and
// regional indicators, which only combine).
bool IsPictograph(char32_t c) {
  struct Range {
    char32_t lo, hi;
  };
  static constexpr Range kRanges[] = {
      {0x00A9, 0x00A9},   {0x00AE, 0x00AE},   {0x203C, 0x203C},   {0x2049, 0x2049},
      {0x2122, 0x2122},   {0x2139, 0x2139},   {0x2194, 0x2199},   {0x21A9, 0x21AA},
      {0x231A, 0x231B},   {0x2328, 0x2328},   {0x23CF, 0x23CF},   {0x23E9, 0x23F3},
      {0x23F8, 0x23FA},   {0x24C2, 0x24C2},   {0x25AA, 0x25AB},   {0x25B6, 0x25B6},
      {0x25C0, 0x25C0},   {0x25FB, 0x25FE},   {0x2600, 0x2605},   {0x2607, 0x2612},
      {0x2614, 0x2685},   {0x2690, 0x2705},   {0x2708, 0x2712},   {0x2714, 0x2714},
      {0x2716, 0x2716},   {0x271D, 0x271D},   {0x2721, 0x2721},   {0x2728, 0x2728},
      {0x2733, 0x2734},   {0x2744, 0x2744},   {0x2747, 0x2747},   {0x274C, 0x274C},
      {0x274E, 0x274E},   {0x2753, 0x2755},   {0x2757, 0x2757},   {0x2763, 0x2767},
      {0x2795, 0x2797},   {0x27A1, 0x27A1},   {0x27B0, 0x27B0},   {0x27BF, 0x27BF},
      {0x2934, 0x2935},   {0x2B05, 0x2B07},   {0x2B1B, 0x2B1C},   {0x2B50, 0x2B50},
      {0x2B55, 0x2B55},   {0x3030, 0x3030},   {0x303D, 0x303D},   {0x3297, 0x3297},
      {0x3299, 0x3299},   {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF}, {0x1F170, 0x1F171},
      {0x1F17E, 0x1F17F}, {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F201, 0x1F202},
      {0x1F21A, 0x1F21A}, {0x1F22F, 0x1F22F}, {0x1F232, 0x1F23A}, {0x1F250, 0x1F251},
      {0x1F300, 0x1F3FA}, {0x1F400, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F7E0, 0x1F7EB},
      {0x1F7F0, 0x1F7F0}, {0x1F90C, 0x1F9FF}, {0x1FA70, 0x1FAFF},
  };
  for (const Range& r : kRanges) {
    if (c < r.lo) return false;  // sorted
    if (c <= r.hi) return true;
  }
  return false;
}

// Parses one emoji "element" at cps[i]: a pictograph with an optional VS16
// and skin tone, a keycap, or a tag sequence. Returns the index after it.
std::optional<std::size_t> Element(const std::vector<char32_t>& cps, std::size_t i) {
  const std::size_t n = cps.size();
  if (i >= n) return std::nullopt;
  const char32_t c = cps[i];
  if (c == '#' || c == '*' || In(c, '0', '9')) {  // keycap
    ++i;
    if (i < n && cps[i] == kVs16) ++i;
    if (i < n && cps[i] == kKeycap) return i + 1;
    return std::nullopt;
  }
  if (!IsPictograph(c)) return std::nullopt;
  ++i;
  if (c == kBlackFlag && i < n && IsTag(cps[i])) {  // subdivision flag
    while (i < n && IsTag(cps[i])) ++i;
    if (i < n && cps[i] == kCancelTag) return i + 1;
    return std::nullopt;
  }
  if (i < n && cps[i] == kVs16) ++i;
  if (i < n && IsSkinTone(cps[i])) ++i;
  return i;
}

// Exactly one emoji: a flag, or elements joined by ZWJ.
bool IsOneEmoji(const std::vector<char32_t>& cps) {
  if (cps.size() == 2 && IsRegionalIndicator(cps[0]) && IsRegionalIndicator(cps[1])) return true;
  std::size_t i = 0;
  for (;;) {
    auto next = Element(cps, i);
    if (!next) return false;
    i = *next;
    if (i == cps.size()) return true;
    if (cps[i] != kZwj) return false;
    ++i;
  }
}

bool IsShortNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '\'' ||
         c == '-';
}

}  // namespace

Result<std::string> NormalizeEmoji(std::string_view emoji) {
  if (emoji.empty()) return Invalid(emoji, "is empty");
  bool ascii = true;
  for (char c : emoji) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) {
    std::string name = AsciiLower(emoji);
    if (name.size() >= 2 && name.front() == ':' && name.back() == ':') {
      name = name.substr(1, name.size() - 2);
    }
    if (name.empty() || name.size() > kMaxEmojiNameLength) {
      return Invalid(emoji, "is not 1 to 64 characters long");
    }
    for (char c : name) {
      if (!IsShortNameChar(c)) return Invalid(emoji, "is not a valid short name");
    }
    return name;
  }
  if (!IsValidUtf8(emoji)) return Invalid("?", "is not valid UTF-8");
  if (emoji.size() > kMaxEmojiBytes) return Invalid(emoji, "is too long");
  if (!IsOneEmoji(CodePoints(emoji))) return Invalid(emoji, "is not exactly one emoji");
  return std::string(emoji);
}

}  // namespace quik::internal
