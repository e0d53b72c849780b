// SPDX-License-Identifier: MIT
#include "realtime/hub.hpp"

#include <algorithm>
#include <future>

#include "common/ids.hpp"
#include "events/event_log.hpp"
#include "presence/presence_internal.hpp"
#include "service/context.hpp"

namespace quik::realtime {

// ---- Replayer ----------------------------------------------------------------

Result<std::vector<FramePtr>> Replayer::Next(int page_size) {
  std::vector<Event> page;
  std::int64_t oldest = 0, latest = 0;
  QUIK_RETURN_IF_ERROR(ctx_.store->Read([&](store::Tx& tx) {
    QUIK_ASSIGN_OR_RETURN(oldest, tx.OldestSeq());
    QUIK_ASSIGN_OR_RETURN(latest, tx.LatestSeq());
    QUIK_ASSIGN_OR_RETURN(page, tx.ReadEvents(cursor_, page_size));
    if (!rewound_ && oldest <= cursor_ + 1) {
      QUIK_ASSIGN_OR_RETURN(view_, authz::ViewAsOf(tx, std::move(view_), view_seq_, cursor_));
      rewound_ = true;
    }
    return Status::Ok();
  }));
  if (oldest > cursor_ + 1) {
    // Retention caught up with this (slow) replay: never a silent gap.
    cursor_ = latest;
    done_ = true;
    return std::vector<FramePtr>{ResyncRequiredFrame(encoding_)};
  }
  std::vector<FramePtr> frames;
  for (Event& e : page) {
    const std::int64_t seq = e.seq;
    DecodedEvent d = Decode(std::move(e));
    if (view_.Step(d)) {
      frames.push_back(
          EventFrame(d, encoding_ == Encoding::kJson, encoding_ == Encoding::kProto));
    }
    cursor_ = seq;
  }
  done_ = static_cast<int>(page.size()) < page_size;
  return frames;
}

// ---- Hub -----------------------------------------------------------------------

Hub::Hub(internal::Context& ctx) : ctx_(ctx), options_(ctx.options.realtime) {}

Hub::~Hub() { Stop(); }

Status Hub::Start(RunBlocking run_blocking) {
  if (listener_) return Status::Ok();
  run_blocking_ = std::move(run_blocking);
  QUIK_ASSIGN_OR_RETURN(std::uint64_t id, ctx_.bus->AddListener(
                                              [this](const std::vector<Event>& page) {
                                                OnPage(page);
                                              }));
  listener_ = id;
  std::promise<void> started;
  ctx_.bus->Post([this, &started] {
    seq_ = ctx_.bus->published();
    started.set_value();
  });
  started.get_future().wait();
  return Status::Ok();
}

void Hub::Stop() {
  if (!listener_) return;
  ctx_.bus->RemoveListener(*listener_);
  listener_.reset();
  // The state (and its timers) belongs to the event thread.
  std::promise<void> cleared;
  ctx_.bus->Post([this, &cleared] {
    // Whoever was connected through this server is not any more.
    presence_timer_.reset();
    std::vector<std::string> users;
    for (const auto& [user_id, state] : users_) users.push_back(user_id);
    presence::MarkMany(ctx_, users, std::vector<bool>(users.size(), false)).status().IgnoreError();
    presence_users_.clear();
    presence_connected_.clear();
    users_.clear();
    by_channel_.clear();
    by_workspace_.clear();
    ring_.clear();
    ring_bytes_ = 0;
    cleared.set_value();
  });
  cleared.get_future().wait();
}

std::int64_t Hub::seq() const { return ctx_.bus->published(); }

void Hub::Attach(SubscriberPtr sub, std::optional<std::int64_t> after, bool hello,
                 bool after_replay) {
  ctx_.bus->Post([this, sub = std::move(sub), after, hello, after_replay] {
    AttachNow(sub, after, hello, after_replay);
  });
}

void Hub::Detach(SubscriberPtr sub, std::function<void(std::int64_t)> done) {
  ctx_.bus->Post([this, sub = std::move(sub), done = std::move(done)] {
    DetachNow(sub);
    if (done) done(seq_);
  });
}

void Hub::CloseAll(std::uint16_t code, std::string reason) {
  ctx_.bus->Post([this, code, reason = std::move(reason)] {
    for (auto& [user_id, user] : users_) CloseWhere(user.get(), "", code, reason);
  });
}

void Hub::Typing(SubscriberPtr sub, std::string channel_id) {
  ctx_.bus->Post([this, sub = std::move(sub), channel_id = std::move(channel_id)] {
    auto it = users_.find(sub->user_id);
    if (it == users_.end()) return;
    UserState* user = it->second.get();
    if (!user->view.InChannel(channel_id)) {
      sub->Send({ErrorFrame(sub->encoding,
                            NotFound("typing: no channel '" + channel_id + "' among yours"))},
                -1);
      return;
    }
    const auto now = ctx_.options.clock->SteadyNow();
    auto& last = user->typing[channel_id];
    if (last != std::chrono::steady_clock::time_point{} && now - last < options_.typing_interval) {
      return;  // at most one per realtime.typing_interval
    }
    last = now;
    const std::string& workspace_id = user->view.channels().at(channel_id);
    FramePtr made[2];
    auto make = [&](Encoding enc) {
      return TypingFrame(enc, workspace_id, channel_id, sub->user_id);
    };
    for (UserState* other : by_channel_[channel_id]) {
      if (other != user) SendEphemeral(other, make, made);
    }
  });
}

void Hub::SetPresence(SubscriberPtr sub, std::string status) {
  auto parsed = ParsePresenceStatus(status);
  if (!parsed) {
    sub->Send({ErrorFrame(sub->encoding,
                          InvalidArgument("presence: status must be \"online\", \"away\", "
                                          "\"dnd\" or \"offline\""))},
              -1);
    return;
  }
  run_blocking_([this, sub = std::move(sub), status = *parsed] {
    auto p = PresenceService(&ctx_).Set(Actor::ForUser(sub->user_id), status);
    if (!p.ok()) return sub->Send({ErrorFrame(sub->encoding, p.status())}, -1);
    PresenceChanged(std::move(*p));
  });
}

void Hub::PresenceChanged(Presence p) {
  ctx_.bus->Post([this, p = std::move(p)] { BroadcastPresence(p); });
}

void Hub::MarkPresence(const std::string& user_id, bool connected) {
  presence_users_.push_back(user_id);
  presence_connected_.push_back(connected);
  if (presence_timer_) return;  // a flush is due
  presence_timer_.emplace(ctx_.bus->io());
  presence_timer_->expires_after(kPresenceFlush);
  presence_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) FlushPresence();
  });
}

void Hub::FlushPresence() {
  presence_timer_.reset();
  if (presence_flushing_ || presence_users_.empty()) return;  // the one in flight re-arms
  presence_flushing_ = true;
  run_blocking_([this, users = std::move(presence_users_),
                 connected = std::move(presence_connected_)] {
    auto changed = presence::MarkMany(ctx_, users, connected);
    ctx_.bus->Post([this, changed = std::move(changed)]() mutable {
      presence_flushing_ = false;
      if (changed.ok()) {
        for (const Presence& p : *changed) BroadcastPresence(p);
      }
      if (!presence_users_.empty() && !presence_timer_) FlushPresence();
    });
  });
  presence_users_.clear();
  presence_connected_.clear();
}

void Hub::BroadcastPresence(const Presence& p) {
  std::vector<std::string> workspaces;
  auto it = users_.find(p.user_id);
  if (it != users_.end()) {
    for (const auto& [w, role] : it->second->view.workspaces()) workspaces.push_back(w);
  } else {
    std::vector<Member> memberships;
    Status st = ctx_.store->Read([&](store::Tx& tx) {
      QUIK_ASSIGN_OR_RETURN(memberships, tx.ListUserMemberships(p.user_id));
      return Status::Ok();
    });
    if (!st.ok()) return;
    for (const Member& m : memberships) workspaces.push_back(m.workspace_id);
  }
  const std::string status(PresenceStatusName(p.status));
  FramePtr made[2];
  auto make = [&](Encoding enc) { return PresenceFrame(enc, p.user_id, status, p.last_seen); };
  ++stamp_;
  for (const std::string& w : workspaces) {
    auto members = by_workspace_.find(w);
    if (members == by_workspace_.end()) continue;
    if (members->second.size() > static_cast<std::size_t>(options_.presence_broadcast_max)) {
      continue;  // too many to tell each time: they read GET /workspaces/{id}/presence
    }
    for (UserState* u : members->second) {
      if (u->stamp == stamp_) continue;
      u->stamp = stamp_;
      SendEphemeral(u, make, made);
    }
  }
}

Result<Hub::UserState*> Hub::LoadUser(const std::string& user_id) {
  auto it = users_.find(user_id);
  if (it != users_.end()) return it->second.get();
  std::vector<Member> memberships;
  std::vector<std::pair<std::string, std::string>> channels;
  std::vector<Event> since;  // committed after seq_: already in the snapshot
  QUIK_RETURN_IF_ERROR(ctx_.store->Read([&](store::Tx& tx) {
    QUIK_ASSIGN_OR_RETURN(memberships, tx.ListUserMemberships(user_id));
    QUIK_ASSIGN_OR_RETURN(channels, tx.ListUserChannels(user_id));
    QUIK_ASSIGN_OR_RETURN(since, tx.ReadEvents(seq_, 100000));
    return Status::Ok();
  }));
  View view(user_id);
  for (const Member& m : memberships) view.AddWorkspace(m.workspace_id, m.role);
  for (const auto& [channel_id, workspace_id] : channels) {
    view.AddChannel(channel_id, workspace_id);
  }
  // The view as of seq_, which the live events then carry forward.
  for (auto e = since.rbegin(); e != since.rend(); ++e) view.Unapply(Decode(std::move(*e)));
  auto state = std::make_unique<UserState>();
  state->view = std::move(view);
  View::Change change;
  for (const auto& [w, role] : state->view.workspaces()) change.joined_workspaces.push_back(w);
  for (const auto& [c, w] : state->view.channels()) change.joined_channels.push_back(c);
  UserState* user = state.get();
  users_.emplace(user_id, std::move(state));
  Index(user, change);
  return user;
}

Status Hub::CheckStillValid(const Subscriber& sub) {
  return ctx_.store->Read([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto user, tx.GetUser(sub.user_id));
    if (!user || !user->active) return Unauthenticated("the account was deactivated");
    if (sub.token_id.empty()) return Status::Ok();
    QUIK_ASSIGN_OR_RETURN(auto token, tx.GetToken(sub.token_id));
    const Timestamp now = tx.Now();
    if (!token || token->token.revoked_at != 0 ||
        (token->token.expires_at != 0 && token->token.expires_at <= now)) {
      return Unauthenticated("the token was revoked or has expired");
    }
    return Status::Ok();
  });
}

void Hub::ForgetUser(const std::string& user_id) {
  auto it = users_.find(user_id);
  if (it == users_.end()) return;
  UserState* user = it->second.get();
  View::Change change;
  for (const auto& [w, role] : user->view.workspaces()) change.left_workspaces.push_back(w);
  for (const auto& [c, w] : user->view.channels()) change.left_channels.push_back(c);
  Index(user, change);
  users_.erase(it);
}

void Hub::Index(UserState* user, const View::Change& change) {
  auto add = [&](auto& index, const std::vector<std::string>& keys) {
    for (const auto& k : keys) index[k].insert(user);
  };
  auto remove = [&](auto& index, const std::vector<std::string>& keys) {
    for (const auto& k : keys) {
      auto it = index.find(k);
      if (it == index.end()) continue;
      it->second.erase(user);
      if (it->second.empty()) index.erase(it);
    }
  };
  add(by_workspace_, change.joined_workspaces);
  add(by_channel_, change.joined_channels);
  remove(by_workspace_, change.left_workspaces);
  remove(by_channel_, change.left_channels);
}

void Hub::AttachNow(const SubscriberPtr& sub, std::optional<std::int64_t> after, bool hello,
                    bool after_replay) {
  ctx_.bus->CatchUp();  // seq_ is the end of the log as of now
  const bool was_connected = users_.count(sub->user_id) > 0;  // or in its grace period
  auto loaded = LoadUser(sub->user_id);
  if (!loaded.ok()) return sub->Refuse(loaded.status());
  UserState* user = *loaded;
  auto entry = std::find_if(user->entries.begin(), user->entries.end(),
                            [&](const Entry& e) { return e.sub == sub; });
  if (entry == user->entries.end()) {
    if (after_replay) {  // back from a replay, but detached meanwhile
      if (user->entries.empty() && !user->grace) ForgetUser(sub->user_id);
      return;
    }
    if (Status valid = CheckStillValid(*sub); !valid.ok()) {
      if (user->entries.empty() && !user->grace) ForgetUser(sub->user_id);
      return sub->Close(kClosePolicy, valid.message());
    }
    if (static_cast<int>(user->entries.size()) >= options_.max_connections_per_user) {
      if (user->entries.empty()) ForgetUser(sub->user_id);
      return sub->Refuse(ResourceExhausted(
          "too many realtime connections for this user (realtime.max_connections_per_user = " +
          std::to_string(options_.max_connections_per_user) + ")"));
    }
    user->grace.reset();  // a reconnect within the grace period
    user->entries.push_back(Entry{sub, false, {}});
    entry = std::prev(user->entries.end());
    if (sub->encoding == Encoding::kProto) ++proto_subscribers_;
    if (!was_connected) MarkPresence(sub->user_id, /*connected=*/true);
  }
  std::vector<FramePtr> frames;
  if (hello) frames.push_back(HelloFrame(sub->encoding, sub->user_id, seq_));
  auto go_live = [&] {
    entry->live = true;
    sub->Send(std::move(frames), seq_);
  };
  if (!after) return go_live();
  const std::int64_t cursor = *after;
  std::int64_t oldest = 0;
  Status st = ctx_.store->Read([&](store::Tx& tx) {
    QUIK_ASSIGN_OR_RETURN(oldest, tx.OldestSeq());
    return Status::Ok();
  });
  if (!st.ok()) {
    DetachNow(sub);
    return sub->Refuse(st);
  }
  if (cursor > seq_ || (oldest > 0 && cursor < oldest - 1)) {
    frames.push_back(ResyncRequiredFrame(sub->encoding));
    return go_live();
  }
  // From the ring when what is missed is small (it goes out at once, like a
  // live burst); else through a Replayer, paced by the client's reading.
  const std::int64_t ring_start = ring_.empty() ? seq_ : ring_.front().event.event.seq - 1;
  if (cursor >= ring_start) {
    // The user's view as of the cursor, carried forward through the missed
    // events: membership at the time of each event, as for live ones.
    View view = user->view;
    for (auto r = ring_.rbegin(); r != ring_.rend() && r->event.event.seq > cursor; ++r) {
      view.Unapply(r->event);
    }
    std::size_t bytes = 0;
    const std::size_t hello_frames = frames.size();
    for (RingEntry& r : ring_) {
      if (r.event.event.seq <= cursor) continue;
      if (!view.Step(r.event)) continue;
      frames.push_back(FrameFor(r, sub->encoding));
      bytes += frames.back()->bytes(sub->encoding).size();
      if (bytes > static_cast<std::size_t>(options_.max_queue_bytes) / 2) break;
    }
    if (bytes <= static_cast<std::size_t>(options_.max_queue_bytes) / 2) return go_live();
    frames.resize(hello_frames);
  }
  if (!frames.empty()) sub->Send(std::move(frames), cursor);
  sub->Replay(std::make_unique<Replayer>(ctx_, user->view, seq_, cursor, sub->encoding));
}

void Hub::DetachNow(const SubscriberPtr& sub) {
  auto it = users_.find(sub->user_id);
  if (it == users_.end()) return;
  UserState* user = it->second.get();
  auto entry = std::find_if(user->entries.begin(), user->entries.end(),
                            [&](const Entry& e) { return e.sub == sub; });
  if (entry == user->entries.end()) return;
  if (sub->encoding == Encoding::kProto) --proto_subscribers_;
  user->entries.erase(entry);
  if (!user->entries.empty()) return;
  // Keep the user's state through realtime.presence_grace, for a reconnect.
  user->grace.emplace(ctx_.bus->io());
  user->grace->expires_after(options_.presence_grace);
  user->grace->async_wait([this, user_id = sub->user_id](const boost::system::error_code& ec) {
    if (ec) return;
    auto again = users_.find(user_id);
    if (again != users_.end() && again->second->entries.empty()) {
      ForgetUser(user_id);
      MarkPresence(user_id, /*connected=*/false);
    }
  });
}

FramePtr Hub::FrameFor(RingEntry& entry, Encoding encoding) {
  if (!entry.frame) entry.frame = EventFrame(entry.event, true, proto_subscribers_ > 0);
  if (encoding == Encoding::kProto && entry.frame->proto.empty()) {
    entry.frame = WithProto(entry.frame, entry.event);
  }
  return entry.frame;
}

void Hub::CloseWhere(UserState* user, std::string_view token_id, std::uint16_t code,
                     const std::string& reason) {
  for (Entry& e : user->entries) {
    if (token_id.empty() || e.sub->token_id == token_id) e.sub->Close(code, reason);
  }
}

void Hub::SendEphemeral(UserState* user, const std::function<FramePtr(Encoding)>& make,
                        FramePtr (&made)[2]) {
  for (Entry& e : user->entries) {
    if (!e.live) continue;
    FramePtr& f = made[e.sub->encoding == Encoding::kJson ? 0 : 1];
    if (!f) f = make(e.sub->encoding);
    e.sub->Send({f}, -1);
  }
}

void Hub::Dispatch(RingEntry& entry, std::vector<Entry*>& touched) {
  const DecodedEvent& d = entry.event;
  const Event& ev = d.event;
  UserState* subject = nullptr;
  if (!d.subject.empty()) {
    auto it = users_.find(d.subject);
    if (it != users_.end()) subject = it->second.get();
  }
  if (subject != nullptr) {
    View::Change change;
    subject->view.ApplyBefore(d, &change);
    if (!change.empty()) Index(subject, change);
  }

  ++stamp_;
  auto visit = [&](UserState* u) {
    if (u->stamp == stamp_) return;
    u->stamp = stamp_;
    if (!u->view.MaySee(d)) return;
    for (Entry& e : u->entries) {
      if (!e.live) continue;
      if (e.pending.empty()) touched.push_back(&e);
      e.pending.push_back(FrameFor(entry, e.sub->encoding));
    }
  };
  auto visit_all = [&](auto& index, const std::string& key) {
    auto it = index.find(key);
    if (it == index.end()) return;
    for (UserState* u : it->second) visit(u);
  };
  if (!ev.channel_id.empty()) {
    visit_all(by_channel_, ev.channel_id);
    if (IsChannelInfo(ev.type)) visit_all(by_workspace_, ev.workspace_id);
  } else if (!ev.workspace_id.empty()) {
    visit_all(by_workspace_, ev.workspace_id);
  }
  if (subject != nullptr) visit(subject);

  if (subject != nullptr) {
    View::Change change;
    subject->view.ApplyAfter(d, &change);
    if (!change.empty()) Index(subject, change);
  }
  if (ev.type == "workspace.deleted") {
    auto it = by_workspace_.find(ev.workspace_id);
    if (it != by_workspace_.end()) {
      const std::vector<UserState*> members(it->second.begin(), it->second.end());
      for (UserState* u : members) {
        View::Change change;
        u->view.ApplyAfter(d, &change);
        Index(u, change);
      }
    }
  }
  if (subject != nullptr && d.decoded) {
    if (ev.type == "user.deactivated") {
      CloseWhere(subject, "", kClosePolicy, "the account was deactivated");
    } else if (ev.type == "token.revoked" || ev.type == "session.revoked") {
      CloseWhere(subject, d.payload.token().id(), kClosePolicy, "the token was revoked");
    }
  }
}

void Hub::SupersedeInRing(const RingEntry& entry) {
  const DecodedEvent& d = entry.event;
  if (!d.decoded || !d.payload.has_message()) return;
  if (d.event.type != "message.edited" && d.event.type != "message.deleted") return;
  // The log's copies were rewritten in the edit's transaction
  // (messages/supersede.cc); the ring's are made the same before any resume
  // reads them. Edits are rare next to posts: a scan of the ring will do.
  for (RingEntry& r : ring_) {
    if (&r == &entry || !events::Supersede(r.event.payload, d.payload.message())) continue;
    r.frame.reset();  // encoded again when next needed
    ring_bytes_ -= r.bytes;
    r.bytes = r.event.payload.ByteSizeLong() * 3 + 256;
    ring_bytes_ += r.bytes;
  }
}

void Hub::OnPage(const std::vector<Event>& page) {
  std::vector<Entry*> touched;
  for (const Event& e : page) {
    if (e.seq <= seq_) continue;  // published before this hub started
    ring_.push_back(RingEntry{Decode(e), nullptr, 0});
    RingEntry& entry = ring_.back();
    Dispatch(entry, touched);
    SupersedeInRing(entry);
    // What the entry holds: its payload (twice: decoded and, once made, in
    // the frames).
    entry.bytes = e.payload.size() * 3 + 256;
    ring_bytes_ += entry.bytes;
    seq_ = e.seq;
  }
  while (ring_.size() > kRingSize || (ring_bytes_ > kRingBytes && ring_.size() > 1)) {
    ring_bytes_ -= ring_.front().bytes;
    ring_.pop_front();
  }
  for (Entry* e : touched) {
    e->sub->Send(std::move(e->pending), seq_);
    e->pending.clear();
  }
}

}  // namespace quik::realtime
