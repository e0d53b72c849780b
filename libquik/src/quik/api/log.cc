#include "api/log.hpp"

#include <unistd.h>

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
  std::string line =
      record.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
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

}  // namespace quik::api
