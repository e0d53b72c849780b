// SPDX-License-Identifier: MIT
// Paging cursors as a client sends them in a query string: ?cursor= (message,
// file, member, notification and webhook lists take an id, search an 'o' or
// 'r' number), ?after= and ?before= (a seq or an id), ?limit=.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/api.hpp"
#include "common/ids.hpp"
#include "common/text.hpp"
#include "search/query.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view query(reinterpret_cast<const char*>(data), size);
  for (const char* key : {"cursor", "after", "before", "limit"}) {
    auto value = quik::api::QueryParam(query, key);
    if (!value) continue;
    (void)quik::internal::LooksLikeId(*value);
    if (auto n = quik::internal::ParseDigits(*value); n && *n < 0) abort();
    for (char kind : {'o', 'r'}) {
      if (auto n = quik::search::CursorNumber(*value, kind); n && *n < 0) abort();
    }
  }
  return 0;
}
