// SPDX-License-Identifier: MIT
// realtime::Hub: fan-out of the event log to connected clients.
//
// The hub is a listener of events::Bus and does all its work on the event
// thread, so its state needs no lock. It knows the connected users (each with
// a View of their memberships, loaded at their first connection and then kept
// current by the membership events themselves) and indexes them by channel
// and workspace, so an event costs work for its candidate recipients only.
// Each event is encoded once (Frame) and the same buffer goes to every
// recipient, in the manner of Beast's chat-multi example; each Subscriber
// (net/ for WebSockets, api/ for the long-poll) has its own strand and queue.
//
// Resume (CONTRACT.md section 3): Attach with after=S sends, on the event
// thread and before any live event, every event with seq > S the user may see
// from a ring of the newest kRingSize events; a cursor older than the ring is
// handed a Replayer, which the subscriber runs off the event thread page by
// page (paced by its own queue) before it attaches again. A cursor older than
// realtime.event_retention, or newer than the log (a restored data dir), gets
// resync_required instead.
//
// Thread safety: the public methods may be called from any thread; Subscriber
// callbacks run on the event thread and must not block.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "quik/options.hpp"
#include "quik/presence.hpp"
#include "quik/status.hpp"
#include "realtime/frames.hpp"

namespace quik::internal {
struct Context;
}

namespace quik::realtime {

class Replayer;

// Close codes (RFC 6455 7.4.1) the realtime layer uses.
inline constexpr std::uint16_t kCloseGoingAway = 1001;  // the server is shutting down
inline constexpr std::uint16_t kClosePolicy = 1008;     // a limit, auth, a revoked token
inline constexpr std::uint16_t kCloseInternal = 1011;   // the server failed

// A realtime connection as the hub sees it.
class Subscriber {
 public:
  Subscriber() = default;
  virtual ~Subscriber() = default;

  // Set before Attach, constant afterwards.
  std::string user_id;
  std::string token_id;  // closed when this token is revoked
  Encoding encoding = Encoding::kJson;

  // Frames to send, in order; the subscriber has now been served every event
  // through seq `through` (its cursor).
  virtual void Send(std::vector<FramePtr> frames, std::int64_t through) = 0;
  // The cursor is older than the ring: run `replay` to its end, then Attach
  // again with after = replay->cursor(), hello = false, after_replay = true.
  virtual void Replay(std::unique_ptr<Replayer> replay) = 0;
  // Attach failed (the user's connection limit, a store error); not attached.
  // (A token found revoked at Attach gets Close instead.)
  virtual void Refuse(const Status& status) = 0;
  // The hub ends the connection: its token was revoked, its user deactivated.
  virtual void Close(std::uint16_t code, std::string reason) = 0;
};
using SubscriberPtr = std::shared_ptr<Subscriber>;

// Pages of the event log for one user, read off the event thread. `view` is
// the user's view as of seq `view_seq` (the hub's); the first page rewinds it
// to `after` (authz::ViewAsOf), so that the replay, like live delivery, gives
// each event to the users who could see it at its time.
class Replayer {
 public:
  Replayer(internal::Context& ctx, View view, std::int64_t view_seq, std::int64_t after,
           Encoding encoding)
      : ctx_(ctx),
        view_(std::move(view)),
        view_seq_(view_seq),
        cursor_(after),
        encoding_(encoding) {}

  // The frames of the next page (possibly none); done() once a page came back
  // short (the subscriber then attaches again from cursor()).
  Result<std::vector<FramePtr>> Next(int page_size = 500);
  std::int64_t cursor() const { return cursor_; }
  bool done() const { return done_; }

 private:
  internal::Context& ctx_;
  View view_;
  std::int64_t view_seq_;  // view_ is as of this seq until rewound
  bool rewound_ = false;
  std::int64_t cursor_;
  Encoding encoding_;
  bool done_ = false;
};

class Hub {
 public:
  // Newest events kept in memory for resuming clients: this many, in at
  // most kRingBytes (frames and decoded payloads).
  static constexpr std::size_t kRingSize = 2048;
  static constexpr std::size_t kRingBytes = 8 << 20;

  explicit Hub(internal::Context& ctx);
  ~Hub();  // Stop()
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Runs a task that may block (presence writes to LMDB sync to disk).
  using RunBlocking = std::function<void(std::function<void()>)>;

  // Starts following the event log (and the event thread).
  Status Start(RunBlocking run_blocking);
  // Stops following it; attached subscribers are forgotten, not closed.
  void Stop();

  // Starts serving `sub` (or, with after_replay, continues once it has run
  // the Replayer it was given): hello (when asked), then the events after
  // `after` (live only when none), then live events.
  void Attach(SubscriberPtr sub, std::optional<std::int64_t> after, bool hello,
              bool after_replay = false);
  // Stops serving `sub`; `done`, if given, gets the seq through which it was
  // served (on the event thread).
  void Detach(SubscriberPtr sub, std::function<void(std::int64_t through)> done = {});
  // Closes every attached subscriber (a shutting-down server: long-polls
  // answer at once instead of waiting out their `wait`).
  void CloseAll(std::uint16_t code, std::string reason);
  // A typing notice from `sub`'s user, for the other members of the channel.
  void Typing(SubscriberPtr sub, std::string channel_id);
  // A presence frame from `sub`'s user ({"type":"presence","status":...}).
  void SetPresence(SubscriberPtr sub, std::string status);
  // Sends presence.changed for `p` to every connected user who shares a
  // workspace with its user (them included).
  void PresenceChanged(Presence p);

  // The seq of the newest event the hub has handled.
  std::int64_t seq() const;

 private:
  struct Entry {
    SubscriberPtr sub;
    bool live = false;  // false while it replays
    std::vector<FramePtr> pending;  // this page's frames
  };
  struct UserState {
    View view;
    std::vector<Entry> entries;
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> typing;
    std::uint64_t stamp = 0;  // dedupes a page's candidates
    std::optional<boost::asio::steady_timer> grace;
  };
  struct RingEntry {
    DecodedEvent event;
    FramePtr frame;  // null until someone needs it
    std::size_t bytes = 0;  // counted in ring_bytes_
  };

  void OnPage(const std::vector<Event>& page);
  void Dispatch(RingEntry& entry, std::vector<Entry*>& touched);
  // A message.edited / message.deleted: the ring's earlier events of that
  // message carry it as it is now (events::Supersede), as the log's do.
  void SupersedeInRing(const RingEntry& entry);
  void AttachNow(const SubscriberPtr& sub, std::optional<std::int64_t> after, bool hello,
                 bool after_replay);
  void DetachNow(const SubscriberPtr& sub);
  Result<UserState*> LoadUser(const std::string& user_id);
  // The token is live and the user active (checked after the catch-up, so a
  // revocation committed since the handshake is not missed).
  Status CheckStillValid(const Subscriber& sub);
  void ForgetUser(const std::string& user_id);
  void Index(UserState* user, const View::Change& change);
  FramePtr FrameFor(RingEntry& entry, Encoding encoding);
  void CloseWhere(UserState* user, std::string_view token_id, std::uint16_t code,
                  const std::string& reason);
  // Sends the ephemeral frame `make(encoding)` (made once per encoding) to
  // every live connection of `user`.
  void SendEphemeral(UserState* user, const std::function<FramePtr(Encoding)>& make,
                     FramePtr (&made)[2]);
  // Presence marks are batched for kPresenceFlush and written on a worker in
  // one LMDB transaction, one batch at a time (in order); the changes come
  // back as broadcasts.
  static constexpr std::chrono::milliseconds kPresenceFlush{50};
  void MarkPresence(const std::string& user_id, bool connected);
  void FlushPresence();
  void BroadcastPresence(const Presence& p);

  internal::Context& ctx_;
  const RealtimeOptions options_;
  RunBlocking run_blocking_;
  std::optional<std::uint64_t> listener_;

  // Event thread only.
  std::int64_t seq_ = 0;
  std::unordered_map<std::string, std::unique_ptr<UserState>> users_;
  std::unordered_map<std::string, std::unordered_set<UserState*>> by_channel_, by_workspace_;
  std::deque<RingEntry> ring_;
  std::size_t ring_bytes_ = 0;
  std::uint64_t stamp_ = 0;
  int proto_subscribers_ = 0;
  std::vector<std::string> presence_users_;  // marks waiting for FlushPresence
  std::vector<bool> presence_connected_;
  std::optional<boost::asio::steady_timer> presence_timer_;
  bool presence_flushing_ = false;
};

}  // namespace quik::realtime
