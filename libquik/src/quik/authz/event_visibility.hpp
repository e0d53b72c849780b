// SPDX-License-Identifier: MIT
// authz: who may see a durable event (CONTRACT.md section 3). The one rule
// that live delivery, the resume ring, the log replay and the /events
// long-poll all apply (realtime/hub.cc calls it; nothing else decides):
//
//   an event goes to the users who could see it at the time of the event.
//
// View holds one user's memberships and MaySee is the rule: a channel's
// events go to its members; a public channel's creation and updates to every
// non-guest member of the workspace; workspace events to its members (invites
// and webhooks to its owners and admins only); account events to the user
// they are about; token and session events to nobody; personal events
// (IsPersonal) to their user only; a user's own membership events to them
// always.
//
// "At the time of the event": the view follows the membership events in seq
// order (Step), joins before the check (the joiner sees their own join) and
// leaves after it (the leaver sees their own leave). So a user added to a
// channel receives its events from the join on, never those from before; a
// user removed receives those up to their own member.left, never later ones.
// The membership history this needs is the member.* events themselves:
// live, the hub keeps each connected user's View current by applying them
// (no store read per delivery); for a resume, ViewAsOf rewinds the current
// view through the member.* events after the cursor (which the log keeps as
// long as it can replay from there), and the replay steps forward from it.
//
// Thread safety: plain values and pure functions (ViewAsOf reads in `tx`).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "quik/types.hpp"
#include "quik/v1/events.pb.h"
#include "store/tx.hpp"

namespace quik::authz {

// An event with its payload decoded once, and the user it is about.
struct DecodedEvent {
  Event event;
  v1::EventPayload payload;
  // The member who joined, left or changed role, the user or token owner of
  // account events, the creator of workspaces and channels; "" otherwise.
  std::string subject;
  bool decoded = false;  // false: the payload did not parse (nobody sees it)
};
DecodedEvent Decode(Event event);

// Events about one user's own state (read.*, notification.*, thread.*,
// preferences.*): the event's user_id is that user, and only they see it
// (Decode makes them its subject, so the hub reaches them without a channel).
bool IsPersonal(std::string_view type);

// Events that describe a channel itself (not what happens in it).
bool IsChannelInfo(std::string_view type);

class View {
 public:
  // What Apply changed, for the hub's indexes of connected users.
  struct Change {
    std::vector<std::string> joined_workspaces, left_workspaces;
    std::vector<std::string> joined_channels, left_channels;
    bool empty() const {
      return joined_workspaces.empty() && left_workspaces.empty() && joined_channels.empty() &&
             left_channels.empty();
    }
  };

  View() = default;
  explicit View(std::string user_id) : user_id_(std::move(user_id)) {}

  const std::string& user_id() const { return user_id_; }
  void AddWorkspace(const std::string& workspace_id, Role role) {
    workspaces_[workspace_id] = role;
  }
  void AddChannel(const std::string& channel_id, const std::string& workspace_id) {
    channels_[channel_id] = workspace_id;
  }
  bool InChannel(const std::string& channel_id) const;  // and still in its workspace
  const std::unordered_map<std::string, Role>& workspaces() const { return workspaces_; }
  const std::unordered_map<std::string, std::string>& channels() const { return channels_; }

  // The membership changes `e` makes to this user that count before it is
  // delivered (joins, role changes) and after (leaves, deletions).
  void ApplyBefore(const DecodedEvent& e, Change* change = nullptr);
  void ApplyAfter(const DecodedEvent& e, Change* change = nullptr);
  bool MaySee(const DecodedEvent& e) const;

  // ApplyBefore, MaySee, ApplyAfter: one step of a replay.
  bool Step(const DecodedEvent& e);

  // Undoes what `e` did to this user's channel and workspace memberships:
  // applied newest first over a window of events, it turns the view after the
  // window into the view before it (for a resume from a cursor). What events
  // do not record stays as it is: the channels a workspace member.left took
  // along (a replay then shows less of that workspace, never more), a deleted
  // workspace (whose events are gone for everyone), the role before a
  // member.updated written before the payload carried previous_role.
  void Unapply(const DecodedEvent& e);

 private:
  void LeaveWorkspace(const std::string& workspace_id, Change* change);

  std::string user_id_;
  std::unordered_map<std::string, Role> workspaces_;
  std::unordered_map<std::string, std::string> channels_;  // channel id -> workspace id
};

// `view` (its user's memberships as of seq `through`) as of seq `at` <=
// through: the member.* events in (at, through] undone newest first.
Result<View> ViewAsOf(store::Tx& tx, View view, std::int64_t through, std::int64_t at);

}  // namespace quik::authz
