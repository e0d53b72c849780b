// SPDX-License-Identifier: MIT
// quik::EventService: reading the durable event log.
//
// Every mutation appends one or more events in the same transaction as its
// data, with a strictly rising seq. This is the stream the realtime layer
// serves; embedders and tests may read it directly.
//
// Thread safety: all methods may be called from any thread concurrently.
//
// Subscribe delivers the log as it grows to a callback in this process:
// every event committed after Subscribe returns, by this process or any other
// on the same data dir (those within about 20 ms), once each and in seq order.
// Callbacks run on the library's event thread, one at a time and never under
// a library lock; they may call the services, but a slow callback delays
// every realtime client, so hand long work to a thread of your own. A
// callback must not throw (an exception leaving it ends the process).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "quik/actor.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"

namespace quik {
namespace internal {
struct Context;
}

using EventListener = std::function<void(const Event& event)>;

class EventService {
 public:
  explicit EventService(internal::Context* ctx) : ctx_(ctx) {}

  // The system only: up to `limit` events with seq > after_seq, oldest first.
  Result<std::vector<Event>> Read(const Actor& actor, std::int64_t after_seq, int limit = 1000);
  // The seq of the newest event (0 when the log is empty).
  Result<std::int64_t> LatestSeq();

  // Calls `listener` with each new event (see above); returns an id for
  // Unsubscribe. Starts the event thread if it is not running yet.
  Result<std::uint64_t> Subscribe(EventListener listener);
  // Stops the calls; once it returns the listener is not running (unless
  // called from inside the listener itself) and never runs again.
  void Unsubscribe(std::uint64_t id);

 private:
  internal::Context* ctx_;
};

}  // namespace quik
