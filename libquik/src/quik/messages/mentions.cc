// SPDX-License-Identifier: MIT
#include "messages/mentions.hpp"

#include <algorithm>
#include <cctype>

#include "common/ids.hpp"

namespace quik::messages {
namespace {

bool IsWordByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 || c == '_' || c == '-' || u >= 0x80;
}

// A byte before '@' that makes it part of something else (an address, a word).
bool GluesBefore(char c) { return IsWordByte(c) || c == '.' || c == '+' || c == '@'; }

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (prefix.empty() || s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

// `s` starts with `word` and no word character follows it.
bool StartsWithWord(std::string_view s, std::string_view word) {
  return StartsWithNoCase(s, word) && (s.size() == word.size() || !IsWordByte(s[word.size()]));
}

void AddUnique(std::vector<std::string>& ids, const std::string& id) {
  if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
}

std::string_view LocalPart(std::string_view email) {
  return email.substr(0, std::min(email.find('@'), email.size()));
}

}  // namespace

bool MayMention(std::string_view text) { return text.find('@') != std::string_view::npos; }

ParsedMentions ParseMentions(std::string_view text, const std::vector<Mentionable>& members) {
  ParsedMentions out;
  for (std::size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    if (static_cast<int>(out.user_ids.size()) >= kMaxMentions) break;
    // <@USER_ID>
    if (at > 0 && text[at - 1] == '<') {
      const std::size_t close = text.find('>', at);
      if (close != std::string_view::npos) {
        std::string_view id = text.substr(at + 1, close - at - 1);
        if (internal::LooksLikeId(id)) {
          for (const auto& m : members) {
            if (m.user_id == id) AddUnique(out.user_ids, m.user_id);
          }
          continue;
        }
      }
    }
    if (at > 0 && GluesBefore(text[at - 1])) continue;
    std::string_view rest = text.substr(at + 1);
    if (StartsWithWord(rest, "channel")) {
      out.channel = true;
      continue;
    }
    if (StartsWithWord(rest, "here")) {
      out.here = true;
      continue;
    }
    // The longest name or local part that matches here.
    const Mentionable* best = nullptr;
    std::size_t best_len = 0;
    for (const auto& m : members) {
      for (std::string_view key : {std::string_view(m.name), LocalPart(m.email)}) {
        if (key.size() > best_len && StartsWithWord(rest, key)) {
          best = &m;
          best_len = key.size();
        }
      }
    }
    if (best != nullptr) AddUnique(out.user_ids, best->user_id);
  }
  return out;
}

}  // namespace quik::messages
