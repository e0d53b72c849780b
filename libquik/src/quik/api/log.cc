// SPDX-License-Identifier: MIT
#include "api/log.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "common/ids.hpp"
#include "quik/config.hpp"

namespace quik::api {

Logger::Logger(LogLevel level, LogSink sink) : level_(level), sink_(std::move(sink)) {}

void Logger::set_sink(LogSink sink) { sink_ = std::move(sink); }

void Logger::Log(LogLevel level, std::string_view msg, nlohmann::json fields) {
  if (!enabled(level)) return;
  // Ordered: ts, level and msg lead every line, for people reading the log.
  nlohmann::ordered_json record = {
      {"ts", FormatTime(internal::NowMillis())},
      {"level", LogLevelName(level)},
      {"msg", msg},
  };
  if (fields.is_object()) {
    for (auto& [key, value] : fields.items()) record[key] = std::move(value);
  }
  // Messages may quote client input: never fail on invalid UTF-8.
  Emit(level, record.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

void Logger::LogFormatted(LogLevel level, std::string_view msg, std::string_view fields) {
  if (!enabled(level)) return;
  std::string line = "{\"ts\":";
  line.reserve(64 + msg.size() + fields.size());
  AppendJsonString(line, FormatTime(internal::NowMillis()));
  line.append(",\"level\":\"").append(LogLevelName(level)).append("\",\"msg\":");
  AppendJsonString(line, msg);
  line.append(fields).append("}");
  Emit(level, std::move(line));
}

void Logger::Emit(LogLevel level, std::string line) {
  if (sink_) {
    sink_(level, line);
    return;
  }
  line += '\n';
  std::lock_guard lock(stderr_mu_);
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to report a failing stderr
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void AppendJsonString(std::string& out, std::string_view value) {
  const bool plain = std::all_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
  });
  if (plain) {  // ids, routes, addresses: the common case
    out.append(1, '"').append(value).append(1, '"');
    return;
  }
  out += nlohmann::json(std::string(value))
             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace quik::api
