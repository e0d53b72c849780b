// SPDX-License-Identifier: MIT
// authz::View: who receives which event (CONTRACT.md section 3), with
// membership taken at the time of each event.
#include <catch2/catch.hpp>

#include "authz/event_visibility.hpp"

namespace {

using quik::Event;
using quik::Role;
using quik::authz::Decode;
using quik::authz::DecodedEvent;
using quik::authz::View;

std::int64_t next_seq = 1;

DecodedEvent Make(std::string type, std::string ws, std::string ch, std::string actor,
                  const quik::v1::EventPayload& payload) {
  Event e;
  e.seq = next_seq++;
  e.type = std::move(type);
  e.workspace_id = std::move(ws);
  e.channel_id = std::move(ch);
  e.user_id = std::move(actor);
  payload.SerializeToString(&e.payload);
  return Decode(std::move(e));
}

DecodedEvent Post(const std::string& ws, const std::string& ch) {
  quik::v1::EventPayload p;
  p.mutable_message()->set_id("m");
  p.mutable_message()->set_channel_id(ch);
  return Make("message.posted", ws, ch, "author", p);
}

DecodedEvent ChannelEvent(const std::string& type, const std::string& ws, const std::string& ch,
                          const std::string& kind, const std::string& actor = "creator") {
  quik::v1::EventPayload p;
  p.mutable_channel()->set_id(ch);
  p.mutable_channel()->set_kind(kind);
  return Make(type, ws, ch, actor, p);
}

DecodedEvent ChannelMember(const std::string& type, const std::string& ws, const std::string& ch,
                           const std::string& user) {
  quik::v1::EventPayload p;
  p.mutable_channel_member()->set_channel_id(ch);
  p.mutable_channel_member()->set_user_id(user);
  return Make(type, ws, ch, user, p);
}

DecodedEvent WorkspaceMember(const std::string& type, const std::string& ws,
                             const std::string& user, const std::string& role = "member") {
  quik::v1::EventPayload p;
  p.mutable_member()->set_workspace_id(ws);
  p.mutable_member()->set_user_id(user);
  p.mutable_member()->set_role(role);
  return Make(type, ws, "", user, p);
}

}  // namespace

TEST_CASE("realtime view: a channel's events go to its members", "[realtime]") {
  View alice("alice");
  alice.AddWorkspace("w", Role::kMember);
  alice.AddChannel("general", "w");
  CHECK(alice.MaySee(Post("w", "general")));
  CHECK_FALSE(alice.MaySee(Post("w", "secret")));
  CHECK_FALSE(alice.MaySee(Post("other", "x")));
}

TEST_CASE("realtime view: channel creation and updates", "[realtime]") {
  View member("m"), guest("g"), outsider("o");
  member.AddWorkspace("w", Role::kMember);
  guest.AddWorkspace("w", Role::kGuest);
  SECTION("a public channel: every non-guest member of the workspace") {
    for (const char* type : {"channel.created", "channel.updated", "channel.archived"}) {
      auto e = ChannelEvent(type, "w", "c", "public");
      CHECK(member.MaySee(e));
      CHECK_FALSE(guest.MaySee(e));
      CHECK_FALSE(outsider.MaySee(e));
    }
  }
  SECTION("a private channel or DM: its members, and its creator at creation") {
    auto created = ChannelEvent("channel.created", "w", "c", "private", "m");
    CHECK(member.MaySee(created));  // the creator, whose membership follows
    View other("x");
    other.AddWorkspace("w", Role::kAdmin);
    CHECK_FALSE(other.MaySee(created));
    CHECK_FALSE(other.MaySee(ChannelEvent("channel.updated", "w", "c", "private")));
    other.AddChannel("c", "w");
    CHECK(other.MaySee(ChannelEvent("channel.updated", "w", "c", "private")));
  }
}

TEST_CASE("realtime view: membership counts at the time of each event", "[realtime]") {
  View bob("bob");
  bob.AddWorkspace("w", Role::kMember);
  // Before the join: nothing; the join itself: yes; after: yes.
  CHECK_FALSE(bob.Step(Post("w", "secret")));
  CHECK(bob.Step(ChannelMember("member.joined", "w", "secret", "bob")));
  CHECK(bob.Step(Post("w", "secret")));
  // The leave itself: yes; after: no.
  CHECK(bob.Step(ChannelMember("member.left", "w", "secret", "bob")));
  CHECK_FALSE(bob.Step(Post("w", "secret")));
  // Someone else's join is news to the channel's members only.
  bob.AddChannel("general", "w");
  CHECK(bob.Step(ChannelMember("member.joined", "w", "general", "carol")));
  CHECK_FALSE(bob.Step(ChannelMember("member.joined", "w", "secret", "carol")));
}

TEST_CASE("realtime view: leaving a workspace leaves its channels", "[realtime]") {
  View bob("bob");
  bob.AddWorkspace("w", Role::kMember);
  bob.AddChannel("general", "w");
  View::Change change;
  auto left = WorkspaceMember("member.left", "w", "bob");
  bob.ApplyBefore(left, &change);
  CHECK(bob.MaySee(left));  // told of their own removal
  bob.ApplyAfter(left, &change);
  CHECK(change.left_workspaces == std::vector<std::string>{"w"});
  CHECK(change.left_channels == std::vector<std::string>{"general"});
  // Joining the workspace again does not bring back the old channels.
  CHECK(bob.Step(WorkspaceMember("member.joined", "w", "bob")));
  CHECK_FALSE(bob.Step(Post("w", "general")));

  quik::v1::EventPayload ws;
  ws.mutable_workspace()->set_id("w");
  bob.AddChannel("general", "w");
  CHECK(bob.Step(Make("workspace.deleted", "w", "", "owner", ws)));
  CHECK(bob.workspaces().empty());
  CHECK(bob.channels().empty());
}

TEST_CASE("realtime view: invites, accounts and tokens", "[realtime]") {
  View admin("a"), member("m");
  admin.AddWorkspace("w", Role::kAdmin);
  member.AddWorkspace("w", Role::kMember);
  quik::v1::EventPayload invite;
  invite.mutable_invite()->set_id("i");
  auto created = Make("invite.created", "w", "", "a", invite);
  CHECK(admin.MaySee(created));
  CHECK_FALSE(member.MaySee(created));

  quik::v1::EventPayload user;
  user.mutable_user()->set_id("m");
  auto updated = Make("user.updated", "", "", "m", user);
  CHECK(member.MaySee(updated));
  CHECK_FALSE(admin.MaySee(updated));

  quik::v1::EventPayload token;
  token.mutable_token()->set_user_id("m");
  CHECK_FALSE(member.MaySee(Make("token.created", "", "", "m", token)));
  CHECK_FALSE(member.MaySee(Make("session.revoked", "", "", "m", token)));
}

TEST_CASE("realtime view: an event whose payload does not parse reaches nobody", "[realtime]") {
  View member("m");
  member.AddWorkspace("w", Role::kOwner);
  member.AddChannel("c", "w");
  Event e;
  e.seq = 1;
  e.type = "message.posted";
  e.workspace_id = "w";
  e.channel_id = "c";
  e.payload = "\xff\xff\xff\xff";
  CHECK_FALSE(member.MaySee(Decode(e)));
}

TEST_CASE("realtime view: Unapply rewinds a window of one's membership events", "[realtime]") {
  View bob("bob");
  bob.AddWorkspace("w", Role::kMember);
  bob.AddChannel("general", "w");
  // The window, oldest first: bob leaves #secret, joins #random, leaves w2.
  std::vector<DecodedEvent> window;
  window.push_back(ChannelMember("member.left", "w", "secret", "bob"));
  window.push_back(ChannelMember("member.joined", "w", "random", "bob"));
  window.push_back(WorkspaceMember("member.left", "w2", "bob", "admin"));
  window.push_back(ChannelMember("member.joined", "w", "general", "carol"));  // not bob's
  // Now (after the window) bob is in w and #general, #random.
  bob.AddChannel("random", "w");
  View at_start = bob;
  for (auto e = window.rbegin(); e != window.rend(); ++e) at_start.Unapply(*e);
  CHECK(at_start.InChannel("secret"));
  CHECK_FALSE(at_start.InChannel("random"));
  CHECK(at_start.workspaces().at("w2") == Role::kAdmin);
  // Replaying the window from there: bob sees his own leave of #secret.
  CHECK(at_start.Step(window[0]));
  CHECK_FALSE(at_start.InChannel("secret"));
}

TEST_CASE("realtime view: Unapply of a role change restores the role before it", "[realtime]") {
  // A guest promoted to member after the cursor: rewound, a guest again, who
  // does not see a public channel's creation from before the promotion.
  quik::v1::EventPayload p;
  p.mutable_member()->set_workspace_id("w");
  p.mutable_member()->set_user_id("gus");
  p.mutable_member()->set_role("member");
  p.mutable_member()->set_previous_role("guest");
  const DecodedEvent promoted = Make("member.updated", "w", "", "admin", p);
  View gus("gus");
  gus.AddWorkspace("w", Role::kMember);
  View before = gus;
  before.Unapply(promoted);
  CHECK(before.workspaces().at("w") == Role::kGuest);
  const DecodedEvent created = ChannelEvent("channel.created", "w", "news", "public");
  CHECK_FALSE(before.Step(created));
  CHECK(before.Step(promoted));
  CHECK(before.Step(ChannelEvent("channel.created", "w", "later", "public")));
}

TEST_CASE("realtime view: one's own membership events are always one's news", "[realtime]") {
  View bob("bob");  // knows nothing (a resume that could not rewind)
  CHECK(bob.MaySee(ChannelMember("member.left", "w", "secret", "bob")));
  CHECK(bob.MaySee(WorkspaceMember("member.left", "w", "bob")));
  CHECK_FALSE(bob.MaySee(ChannelMember("member.left", "w", "secret", "carol")));
}

TEST_CASE("realtime view: personal events go to their user only", "[realtime]") {
  View alice("alice");
  alice.AddWorkspace("w", Role::kAdmin);
  alice.AddChannel("general", "w");
  View bob("bob");
  bob.AddWorkspace("w", Role::kMember);
  bob.AddChannel("general", "w");
  quik::v1::EventPayload p;
  p.mutable_message()->set_id("m");
  for (const char* type :
       {"read.updated", "notification.created", "thread.followed", "preferences.updated"}) {
    INFO(type);
    DecodedEvent e = Make(type, "w", "general", "alice", p);
    CHECK(alice.MaySee(e));
    CHECK_FALSE(bob.MaySee(e));  // same channel, same workspace: still not theirs
  }
  // Not personal: a channel event goes to every member.
  CHECK(bob.MaySee(Make("reaction.added", "w", "general", "alice", p)));
}
