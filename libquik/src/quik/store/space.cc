// SPDX-License-Identifier: MIT
#include "store/space.hpp"

#include <cerrno>
#include <cstring>
#include <string>

namespace quik::store {
namespace {

constexpr std::string_view kPrefix = "storage is full: ";

}  // namespace

Status StorageFull(std::string_view detail) {
  return Unavailable(std::string(kPrefix) + std::string(detail) +
                     "; free space in the data dir (writes resume once there is room)");
}

bool IsStorageFull(const Status& status) {
  return status.code() == StatusCode::kUnavailable && status.message().rfind(kPrefix, 0) == 0;
}

Status WriteErrno(int err, std::string_view what) {
  const std::string detail = std::string(what) + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return StorageFull(detail);
  return Unavailable(detail);
}

}  // namespace quik::store
