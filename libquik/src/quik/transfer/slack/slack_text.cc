// SPDX-License-Identifier: MIT
#include "transfer/slack/slack_text.hpp"

namespace quik::transfer::slack {
namespace {

// The text inside one <...>: the reference and its optional |label.
std::string Reference(std::string_view inner, const TextResolver& resolver, ConvertedText& out) {
  std::string_view target = inner;
  std::optional<std::string> label;
  if (auto bar = inner.find('|'); bar != std::string_view::npos) {
    target = inner.substr(0, bar);
    label = Unescape(inner.substr(bar + 1));
  }
  if (target.size() > 1 && target[0] == '@') {  // a user
    std::string_view id = target.substr(1);
    if (resolver.user) {
      if (auto local = resolver.user(id)) return "<@" + *local + ">";
    }
    out.unknown_users.emplace_back(id);
    if (label && !label->empty()) return (*label)[0] == '@' ? *label : "@" + *label;
    return "@" + std::string(id);
  }
  if (target.size() > 1 && target[0] == '#') {  // a channel
    if (label && !label->empty()) return (*label)[0] == '#' ? *label : "#" + *label;
    std::string_view id = target.substr(1);
    if (resolver.channel) {
      if (auto name = resolver.channel(id)) return "#" + *name;
    }
    return "#" + std::string(id);
  }
  if (!target.empty() && target[0] == '!') {  // a special mention or command
    std::string_view cmd = target.substr(1);
    if (cmd == "channel" || cmd == "here" || cmd == "everyone") return "@" + std::string(cmd);
    if (label) return *label;
    if (cmd.rfind("subteam^", 0) == 0) return "@" + std::string(cmd.substr(8));
    return Unescape(cmd);
  }
  // A link.
  std::string url = Unescape(target);
  if (!label || label->empty() || *label == url) return url;
  if (url.rfind("mailto:", 0) == 0 && url.substr(7) == *label) return *label;
  // Slack labels a bare domain link with the domain ("<http://x.com|x.com>").
  if (auto scheme = url.find("://");
      scheme != std::string::npos && url.substr(scheme + 3) == *label) {
    return url;
  }
  return *label + " (" + url + ")";
}

}  // namespace

std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] == '&') {
      struct Entity {
        std::string_view name;
        char c;
      };
      static constexpr Entity kEntities[] = {
          {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
      bool matched = false;
      for (const Entity& e : kEntities) {
        if (s.substr(i, e.name.size()) == e.name) {
          out += e.c;
          i += e.name.size();
          matched = true;
          break;
        }
      }
      if (matched) continue;
    }
    out += s[i++];
  }
  return out;
}

ConvertedText ConvertText(std::string_view slack_text, const TextResolver& resolver) {
  ConvertedText out;
  std::size_t i = 0;
  while (i < slack_text.size()) {
    const std::size_t open = slack_text.find('<', i);
    if (open == std::string_view::npos) break;
    const std::size_t close = slack_text.find('>', open + 1);
    if (close == std::string_view::npos) break;
    // A '<' inside <...> means the first was not a reference (Slack escapes a
    // typed '<', so this is rare): keep it as text.
    const std::size_t inner_open = slack_text.find('<', open + 1);
    if (inner_open != std::string_view::npos && inner_open < close) {
      out.text += Unescape(slack_text.substr(i, inner_open - i));
      i = inner_open;
      continue;
    }
    out.text += Unescape(slack_text.substr(i, open - i));
    std::string_view inner = slack_text.substr(open + 1, close - open - 1);
    if (inner.empty()) {
      out.text += "<>";
    } else {
      out.text += Reference(inner, resolver, out);
    }
    i = close + 1;
  }
  out.text += Unescape(slack_text.substr(std::min(i, slack_text.size())));
  return out;
}

}  // namespace quik::transfer::slack
