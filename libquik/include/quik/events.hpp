// quik::EventService: reading the durable event log.
//
// Every mutation appends one or more events in the same transaction as its
// data, with a strictly rising seq. This is the stream the realtime layer
// serves; embedders and tests may read it directly.
//
// Thread safety: all methods may be called from any thread concurrently.
#pragma once

#include <cstdint>
#include <vector>

#include "quik/actor.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"

namespace quik {
namespace internal {
struct Context;
}

class EventService {
 public:
  explicit EventService(internal::Context* ctx) : ctx_(ctx) {}

  // The system only: up to `limit` events with seq > after_seq, oldest first.
  Result<std::vector<Event>> Read(const Actor& actor, std::int64_t after_seq, int limit = 1000);
  // The seq of the newest event (0 when the log is empty).
  Result<std::int64_t> LatestSeq();

 private:
  internal::Context* ctx_;
};

}  // namespace quik
