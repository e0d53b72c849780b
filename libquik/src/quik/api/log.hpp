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

  void set_sink(LogSink sink);

 private:
  LogLevel level_;
  LogSink sink_;
  std::mutex stderr_mu_;  // one record per write, never interleaved
};

}  // namespace quik::api
