// SPDX-License-Identifier: MIT
// JSON-lines logging for the server: one object per record, filtered by level.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "quik/options.hpp"
#include "quik/server.hpp"

namespace quik::api {

class Logger {
 public:
  // `sink` empty: stderr.
  Logger(LogLevel level, LogSink sink);

  bool enabled(LogLevel level) const { return level >= level_; }

  // Logs {"ts":...,"level":...,"msg":msg, ...fields} if `level` is enabled.
  // `fields` must be an object (or null).
  void Log(LogLevel level, std::string_view msg, nlohmann::json fields = nullptr);

  // The same with `fields` already JSON: ",\"key\":value" pairs, each
  // starting with a comma (see AppendJsonString).
  void LogFormatted(LogLevel level, std::string_view msg, std::string_view fields);

  void set_sink(LogSink sink);

 private:
  void Emit(LogLevel level, std::string line);

  LogLevel level_;
  LogSink sink_;
  std::mutex stderr_mu_;  // one record per write, never interleaved
};

// Appends `value` as a JSON string; invalid UTF-8 becomes U+FFFD.
void AppendJsonString(std::string& out, std::string_view value);

}  // namespace quik::api
