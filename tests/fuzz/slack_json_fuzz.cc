// SPDX-License-Identifier: MIT
// A Slack export's JSON files (transfer/slack/slack_export.hpp): the index
// (users.json, channels.json, groups.json, dms.json, mpims.json) and the day
// files of each conversation. The input's first line names the file it
// replaces or adds ("users.json", "general/2017-12-01.json"), the rest is
// its content; the other files keep a small valid export's content.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "transfer/slack/archive.hpp"
#include "transfer/slack/slack_export.hpp"

namespace {

using namespace quik::transfer::slack;

// The export's bytes in memory (the folder and zip archives read a disk).
class MemoryArchive : public Archive {
 public:
  explicit MemoryArchive(std::map<std::string, std::string> files)
      : Archive("export"), files_(std::move(files)) {
    for (const auto& [name, content] : files_) names_.push_back(name);
  }
  const std::vector<std::string>& Files() const override { return names_; }
  quik::Status Stream(std::string_view rel,
                      const std::function<quik::Status(std::string_view)>& sink) override {
    auto it = files_.find(std::string(rel));
    if (it == files_.end()) return quik::NotFound("no " + std::string(rel));
    return sink(it->second);
  }
  std::optional<std::filesystem::path> LocalPath(std::string_view) const override {
    return std::nullopt;
  }
  std::optional<std::int64_t> Size(std::string_view rel) const override {
    auto it = files_.find(std::string(rel));
    if (it == files_.end()) return std::nullopt;
    return static_cast<std::int64_t>(it->second.size());
  }

 private:
  std::map<std::string, std::string> files_;
  std::vector<std::string> names_;  // sorted, as the map is
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  if (newline == std::string_view::npos || newline == 0 || newline > 200) return 0;
  std::map<std::string, std::string> files = {
      {"users.json",
       R"([{"id":"U01","name":"alice","profile":{"email":"alice@acme.test","real_name":"Alice"}},)"
       R"({"id":"U02","name":"bob","deleted":true,"profile":{}}])"},
      {"channels.json",
       R"([{"id":"C01","name":"general","created":1512085950,"creator":"U01",)"
       R"("members":["U01","U02"],"topic":{"value":"hi"},"purpose":{"value":""}}])"},
      {"general/2017-12-01.json",
       R"([{"type":"message","user":"U01","text":"hello <@U02>","ts":"1512085950.000216"}])"},
  };
  files[std::string(input.substr(0, newline))] = std::string(input.substr(newline + 1));
  MemoryArchive archive(std::move(files));
  auto index = ReadIndex(archive);
  if (!index.ok()) return 0;
  for (const auto& conversation : index->conversations) {
    for (const auto& day : DayFiles(archive, conversation)) (void)ReadDay(archive, day);
  }
  return 0;
}
