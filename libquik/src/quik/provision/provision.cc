// SPDX-License-Identifier: MIT
// ProvisionService: plans a manifest against the data dir and applies it in
// one write transaction (quik/provision.hpp).
//
// Planning only reads; it records each change as an Op that names its
// objects by natural key (slug, email, channel name). Applying plans again
// inside the write transaction and runs the Ops in order, each looking its
// objects up again, so objects created by earlier Ops are found. The writes
// and events are those of the services' own in-transaction functions.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "authz/authz.hpp"
#include "channels/channels_internal.hpp"
#include "common/text.hpp"
#include "provision/provision_internal.hpp"
#include "quik/provision.hpp"
#include "service/context.hpp"
#include "users/users_internal.hpp"
#include "workspaces/workspaces_internal.hpp"

namespace quik {
namespace {

using provision::EmailKey;

enum class OpKind {
  kCreateUser,
  kCreateWorkspace,
  kRenameWorkspace,
  kAddMember,
  kSetRole,
  kRemoveMember,
  kCreateChannel,
  kUnarchiveChannel,
  kSetTopic,
  kAddChannelMember,
  kRemoveChannelMember,
  kArchiveChannel,
};

struct Op {
  explicit Op(OpKind k) : kind(k) {}
  OpKind kind;
  std::string slug;     // the workspace
  std::string email;    // the user
  std::string channel;  // the channel's (normalized) name
  std::string name;     // a new user's or the workspace's name
  std::string topic;
  bool is_private = false;
  Role role = Role::kMember;
  PlanChange change;
};

std::string Quote(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string RoleText(Role role) { return std::string(RoleName(role)); }

constexpr int kMemberPage = 1000;

Result<std::vector<Member>> AllMembers(store::Tx& tx, std::string_view workspace_id) {
  std::vector<Member> all;
  std::string after;
  for (;;) {
    QUIK_ASSIGN_OR_RETURN(auto page, tx.ListMembers(workspace_id, after, kMemberPage));
    for (auto& m : page) all.push_back(std::move(m));
    if (static_cast<int>(page.size()) < kMemberPage) break;
    after = all.back().user_id;
  }
  return all;
}

bool IsDirect(const Channel& c) {
  return c.kind == ChannelKind::kDirect || c.kind == ChannelKind::kGroup;
}

// Compares one manifest with the data dir as `tx` sees it.
class Planner {
 public:
  Planner(store::Tx& tx, const Manifest& manifest, bool prune)
      : tx_(tx), manifest_(manifest), prune_(prune), errors_{provision::FileLabel(manifest), {}} {}

  // The Ops, or kInvalidArgument with every error found.
  Result<std::vector<Op>> Run() {
    QUIK_RETURN_IF_ERROR(PlanUsers());
    for (std::size_t i = 0; i < manifest_.workspaces.size(); ++i) {
      QUIK_RETURN_IF_ERROR(PlanWorkspace(manifest_.workspaces[i], i));
    }
    QUIK_RETURN_IF_ERROR(errors_.ToStatus());
    return std::move(ops_);
  }

 private:
  void Add(Op op, std::string action, std::string kind, std::string target, std::string detail,
           std::string line) {
    op.change = PlanChange{std::move(action), std::move(kind), std::move(target), std::move(detail),
                           std::move(line)};
    ops_.push_back(std::move(op));
  }

  // Every user the manifest names: known ones are looked up once, unknown
  // ones are created first (with the first name the manifest gives them).
  Status PlanUsers() {
    for (const ManifestWorkspace& ws : manifest_.workspaces) {
      if (!ws.members) continue;
      for (const ManifestMember& m : *ws.members) {
        std::string key = EmailKey(m.email);
        if (users_.count(key) != 0) continue;
        QUIK_ASSIGN_OR_RETURN(auto user, tx_.GetUserByEmail(key));
        users_[key] = user;
        if (user) {
          QUIK_ASSIGN_OR_RETURN(bool vouched, tx_.GetEmailVouched(user->id));
          if (!vouched) unvouched_.insert(key);
          continue;
        }
        Op op{OpKind::kCreateUser};
        op.email = std::string(internal::TrimWhitespace(m.email));
        op.name = std::string(
            internal::TrimWhitespace(m.name ? *m.name : provision::DefaultName(op.email)));
        std::string email = op.email, name = op.name;
        Add(std::move(op), "create", "user", email, "name " + Quote(name),
            "+ user " + email + " (" + name + ")");
      }
    }
    return Status::Ok();
  }

  Status PlanWorkspace(const ManifestWorkspace& mws, std::size_t index) {
    if (mws.line == provision::kUnreadable) return Status::Ok();
    const std::string path = "workspaces[" + std::to_string(index) + "]";
    const std::string slug = provision::WorkspaceSlug(mws);
    const std::string name(internal::TrimWhitespace(mws.name));
    QUIK_ASSIGN_OR_RETURN(auto ws, tx_.GetWorkspaceBySlug(slug));
    if (!ws) {
      Op op{OpKind::kCreateWorkspace};
      op.slug = slug;
      op.name = name;
      Add(std::move(op), "create", "workspace", slug, "name " + Quote(name),
          "+ workspace " + slug + " (" + name + ")");
    } else if (ws->name != name) {
      Op op{OpKind::kRenameWorkspace};
      op.slug = slug;
      op.name = name;
      std::string detail = "name " + Quote(ws->name) + " -> " + Quote(name);
      Add(std::move(op), "update", "workspace", slug, detail, "~ workspace " + slug + " " + detail);
    }

    // Members now, by user id, and by email key.
    std::vector<Member> current;
    if (ws) {
      QUIK_ASSIGN_OR_RETURN(current, AllMembers(tx_, ws->id));
    }
    std::map<std::string, const Member*> by_email;
    for (const Member& m : current) by_email[EmailKey(m.email)] = &m;

    // The member set after the changes: email key -> user id ("" if new).
    std::map<std::string, std::string> final_members;
    std::set<std::string> removed_ids;  // pruned from the workspace
    if (mws.members) {
      std::vector<Op> adds, promotions, other_roles, removals;
      int owners_before = 0, owners_after = 0;
      const ManifestMember* first_demoted_owner = nullptr;
      std::set<std::string> listed;
      for (const Member& m : current) owners_before += m.role == Role::kOwner ? 1 : 0;
      for (std::size_t i = 0; i < mws.members->size(); ++i) {
        const ManifestMember& mm = (*mws.members)[i];
        if (mm.line == provision::kUnreadable) continue;
        const std::string key = EmailKey(mm.email);
        listed.insert(key);
        const Role role = mm.role.value_or(Role::kMember);
        owners_after += role == Role::kOwner ? 1 : 0;
        const std::optional<User>& user = users_[key];
        final_members[key] = user ? user->id : "";
        const std::string email = user ? user->email : mm.email;
        auto it = by_email.find(key);
        if (it == by_email.end() && unvouched_.count(key) != 0) {
          // A manifest names people by email, and anyone may sign up with any
          // email: it never attaches an account nobody vouched for.
          final_members.erase(key);
          skipped_.push_back("! member " + slug + " " + email + " not added: " + email +
                             " signed up by themselves and nobody vouched for that address; "
                             "invite them with an invite bound to their email");
          continue;
        }
        if (it == by_email.end()) {
          if (user && !user->active) {
            errors_.Add(mm.line, path + ".members[" + std::to_string(i) + "]",
                        "user " + user->email +
                            " is deactivated and cannot be added; drop them from the file");
            continue;
          }
          Op op{OpKind::kAddMember};
          op.slug = slug;
          op.email = email;
          op.role = role;
          op.change = PlanChange{"add", "member", slug + " " + email, "role " + RoleText(role),
                                 "+ member " + slug + " " + email + " (" + RoleText(role) + ")"};
          adds.push_back(std::move(op));
        } else if (it->second->role != role) {
          const Role was = it->second->role;
          if (was == Role::kOwner && first_demoted_owner == nullptr) first_demoted_owner = &mm;
          Op op{OpKind::kSetRole};
          op.slug = slug;
          op.email = email;
          op.role = role;
          std::string detail = "role " + RoleText(was) + " -> " + RoleText(role);
          op.change = PlanChange{"set-role", "member", slug + " " + email, detail,
                                 "~ member " + slug + " " + email + " " + detail};
          (role == Role::kOwner ? promotions : other_roles).push_back(std::move(op));
        }
      }
      for (const Member& m : current) {
        const std::string key = EmailKey(m.email);
        if (listed.count(key) != 0) continue;
        if (prune_) {
          removed_ids.insert(m.user_id);
          Op op{OpKind::kRemoveMember};
          op.slug = slug;
          op.email = m.email;
          op.change = PlanChange{"remove", "member", slug + " " + m.email, "",
                                 "- member " + slug + " " + m.email};
          removals.push_back(std::move(op));
        } else {
          final_members[key] = m.user_id;
          owners_after += m.role == Role::kOwner ? 1 : 0;
        }
      }
      if (owners_before > 0 && owners_after == 0) {
        std::string owners;
        for (const Member& m : current) {
          if (m.role == Role::kOwner) owners += (owners.empty() ? "" : ", ") + m.email;
        }
        std::string problem = "this would leave workspace " + slug +
                              " without an owner (now: " + owners +
                              "); keep one with role: owner, or make another member owner";
        if (first_demoted_owner != nullptr) {
          errors_.Add(first_demoted_owner->line, path + ".members", problem);
        } else {
          errors_.Add(mws.line, path + ".members", problem);
        }
      }
      for (auto* list : {&adds, &promotions, &other_roles, &removals}) {
        for (Op& op : *list) ops_.push_back(std::move(op));
      }
    } else {
      for (const Member& m : current) final_members[EmailKey(m.email)] = m.user_id;
    }

    if (mws.channels) {
      QUIK_RETURN_IF_ERROR(PlanChannels(mws, path, slug, ws, final_members, removed_ids));
    }
    return Status::Ok();
  }

  Status PlanChannels(const ManifestWorkspace& mws, const std::string& wpath,
                      const std::string& slug, const std::optional<Workspace>& ws,
                      const std::map<std::string, std::string>& final_members,
                      const std::set<std::string>& removed_ids) {
    std::vector<Channel> existing;
    if (ws) {
      QUIK_ASSIGN_OR_RETURN(auto all, tx_.ListChannels(ws->id));
      for (auto& c : all) {
        if (!IsDirect(c)) existing.push_back(std::move(c));
      }
    }
    std::set<std::string> listed;
    for (std::size_t i = 0; i < mws.channels->size(); ++i) {
      const ManifestChannel& mc = (*mws.channels)[i];
      if (mc.line == provision::kUnreadable) continue;
      const std::string path = wpath + ".channels[" + std::to_string(i) + "]";
      auto normalized = internal::NormalizeChannelName(mc.name);
      if (!normalized.ok()) continue;  // Validate reported it
      const std::string name = *normalized;
      const std::string target = slug + "/#" + name;
      listed.insert(name);
      const Channel* ch = nullptr;
      for (const Channel& c : existing) {
        if (c.name == name) ch = &c;
      }

      // Who is in it now (user id -> email), and who the manifest wants.
      std::map<std::string, std::string> in_channel;
      if (ch != nullptr) {
        QUIK_ASSIGN_OR_RETURN(auto members, tx_.ListChannelMembers(ch->id));
        for (const auto& m : members) in_channel[m.user_id] = m.email;
      }
      std::vector<Op> member_adds, member_removals;
      if (mc.members) {
        std::set<std::string> wanted_ids;
        for (std::size_t e = 0; e < mc.members->size(); ++e) {
          const std::string& email = (*mc.members)[e];
          const int line = e < mc.member_lines.size() ? mc.member_lines[e] : mc.line;
          auto it = final_members.find(EmailKey(email));
          if (it == final_members.end() && unvouched_.count(EmailKey(email)) != 0) {
            continue;  // skipped as a workspace member, and reported there
          }
          if (it == final_members.end()) {
            errors_.Add(line, path + ".members[" + std::to_string(e) + "]",
                        email + " is not a member of workspace " + slug +
                            "; list them under the workspace's members");
            continue;
          }
          if (!it->second.empty()) {
            wanted_ids.insert(it->second);
            if (in_channel.count(it->second) != 0) continue;
          }
          Op op{OpKind::kAddChannelMember};
          op.slug = slug;
          op.channel = name;
          op.email = email;
          op.change = PlanChange{"add", "channel-member", target + " " + email, "",
                                 "+ member " + target + " " + email};
          member_adds.push_back(std::move(op));
        }
        if (prune_) {
          for (const auto& [user_id, email] : in_channel) {
            // Leaving the workspace leaves its channels: no second change.
            if (wanted_ids.count(user_id) != 0 || removed_ids.count(user_id) != 0) continue;
            Op op{OpKind::kRemoveChannelMember};
            op.slug = slug;
            op.channel = name;
            op.email = email;
            op.change = PlanChange{"remove", "channel-member", target + " " + email, "",
                                   "- member " + target + " " + email};
            member_removals.push_back(std::move(op));
          }
        }
      }

      if (ch == nullptr) {
        Op op{OpKind::kCreateChannel};
        op.slug = slug;
        op.channel = name;
        op.is_private = mc.is_private.value_or(false);
        op.topic = mc.topic.value_or("");
        std::string detail = op.is_private ? "private" : "public";
        if (!op.topic.empty()) detail += ", topic " + Quote(op.topic);
        Add(std::move(op), "create", "channel", target, detail,
            "+ channel " + target + " (" + detail + ")");
      } else {
        if (mc.is_private && *mc.is_private != ch->is_private()) {
          errors_.Add(mc.line, path + ".private",
                      "#" + name + " is " + (ch->is_private() ? "private" : "public") +
                          "; apply does not change a channel's visibility (create another "
                          "channel, or leave out private:)");
        }
        if (ch->archived && !mc.archived) {
          Op op{OpKind::kUnarchiveChannel};
          op.slug = slug;
          op.channel = name;
          Add(std::move(op), "unarchive", "channel", target, "", "+ unarchive channel " + target);
        }
        if (mc.topic && *mc.topic != ch->topic) {
          Op op{OpKind::kSetTopic};
          op.slug = slug;
          op.channel = name;
          op.topic = *mc.topic;
          std::string detail = "topic " + Quote(ch->topic) + " -> " + Quote(*mc.topic);
          Add(std::move(op), "update", "channel", target, detail,
              "~ channel " + target + " " + detail);
        }
      }
      for (auto* list : {&member_adds, &member_removals}) {
        for (Op& op : *list) ops_.push_back(std::move(op));
      }
      if (mc.archived && (ch == nullptr || !ch->archived)) {
        Op op{OpKind::kArchiveChannel};
        op.slug = slug;
        op.channel = name;
        Add(std::move(op), "archive", "channel", target, "", "- archive channel " + target);
      }
    }
    if (prune_) {
      for (const Channel& c : existing) {
        if (listed.count(c.name) != 0 || c.archived) continue;
        Op op{OpKind::kArchiveChannel};
        op.slug = slug;
        op.channel = c.name;
        std::string target = slug + "/#" + c.name;
        Add(std::move(op), "archive", "channel", target, "not in the manifest",
            "- archive channel " + target);
      }
    }
    return Status::Ok();
  }

  store::Tx& tx_;
  const Manifest& manifest_;

 public:
  // What the plan leaves alone on purpose, as human lines ("! ...").
  const std::vector<std::string>& skipped() const { return skipped_; }

 private:
  bool prune_;
  std::set<std::string> unvouched_;  // email keys of self-registered, unvouched accounts
  std::vector<std::string> skipped_;
  provision::Errors errors_;
  std::vector<Op> ops_;
  std::map<std::string, std::optional<User>> users_;  // by email key
};

// Lookups by natural key of objects the plan found or an earlier Op made.
Result<Workspace> WorkspaceBySlug(store::Tx& tx, const std::string& slug) {
  QUIK_ASSIGN_OR_RETURN(auto ws, tx.GetWorkspaceBySlug(slug));
  if (!ws) return Internal("workspace " + slug + " vanished while applying");
  return std::move(*ws);
}

Result<User> UserByEmail(store::Tx& tx, const std::string& email) {
  QUIK_ASSIGN_OR_RETURN(auto user, tx.GetUserByEmail(EmailKey(email)));
  if (!user) return Internal("user " + email + " vanished while applying");
  return std::move(*user);
}

Result<Channel> ChannelByName(store::Tx& tx, const Workspace& ws, const std::string& name) {
  QUIK_ASSIGN_OR_RETURN(auto c, tx.GetChannelByName(ws.id, name));
  if (!c) return Internal("channel " + ws.slug + "/#" + name + " vanished while applying");
  return std::move(*c);
}

Result<Member> MemberOf(store::Tx& tx, const Workspace& ws, const User& user) {
  QUIK_ASSIGN_OR_RETURN(auto m, tx.GetMember(ws.id, user.id));
  if (!m) return Internal(user.email + " is not a member of " + ws.slug + " while applying");
  return std::move(*m);
}

Status Execute(store::Tx& tx, const Op& op, std::string_view actor_id) {
  switch (op.kind) {
    case OpKind::kCreateUser: {
      NewUser spec;
      spec.email = op.email;
      spec.name = op.name;
      return users::InsertUser(tx, spec, "", actor_id).status();
    }
    case OpKind::kCreateWorkspace:
      return workspaces::CreateInTx(tx, op.name, op.slug, "", actor_id).status();
    case OpKind::kRenameWorkspace: {
      QUIK_ASSIGN_OR_RETURN(Workspace ws, WorkspaceBySlug(tx, op.slug));
      return workspaces::RenameInTx(tx, ws, op.name, actor_id);
    }
    case OpKind::kAddMember: {
      QUIK_ASSIGN_OR_RETURN(Workspace ws, WorkspaceBySlug(tx, op.slug));
      QUIK_ASSIGN_OR_RETURN(User user, UserByEmail(tx, op.email));
      return workspaces::AddMemberInTx(tx, ws, user, op.role, actor_id).status();
    }
    case OpKind::kSetRole: {
      QUIK_ASSIGN_OR_RETURN(Workspace ws, WorkspaceBySlug(tx, op.slug));
      QUIK_ASSIGN_OR_RETURN(User user, UserByEmail(tx, op.email));
      QUIK_ASSIGN_OR_RETURN(Member member, MemberOf(tx, ws, user));
      return workspaces::SetRoleInTx(tx, ws, member, op.role, actor_id);
    }
    case OpKind::kRemoveMember: {
      QUIK_ASSIGN_OR_RETURN(Workspace ws, WorkspaceBySlug(tx, op.slug));
      QUIK_ASSIGN_OR_RETURN(User user, UserByEmail(tx, op.email));
      QUIK_ASSIGN_OR_RETURN(Member member, MemberOf(tx, ws, user));
      return workspaces::RemoveMemberInTx(tx, ws, member, actor_id);
    }
    case OpKind::kCreateChannel: {
      QUIK_ASSIGN_OR_RETURN(Workspace ws, WorkspaceBySlug(tx, op.slug));
      return channels::CreateInTx(tx, ws, op.channel, op.is_private, op.topic, "", actor_id)
          .status();
    }
    case OpKind::kUnarchiveChannel:
    case OpKind::kArchiveChannel:
    case OpKind::kSetTopic:
    case OpKind::kAddChannelMember:
    case OpKind::kRemoveChannelMember:
      break;
  }
  QUIK_ASSIGN_OR_RETURN(Workspace ws, WorkspaceBySlug(tx, op.slug));
  QUIK_ASSIGN_OR_RETURN(Channel c, ChannelByName(tx, ws, op.channel));
  switch (op.kind) {
    case OpKind::kUnarchiveChannel:
      return channels::UnarchiveInTx(tx, c, actor_id);
    case OpKind::kArchiveChannel:
      return channels::ArchiveInTx(tx, c, actor_id);
    case OpKind::kSetTopic:
      c.topic = op.topic;
      return channels::UpdateInTx(tx, c, actor_id);
    case OpKind::kAddChannelMember: {
      QUIK_ASSIGN_OR_RETURN(User user, UserByEmail(tx, op.email));
      return channels::AddMemberInTx(tx, c, user.id, actor_id);
    }
    case OpKind::kRemoveChannelMember: {
      QUIK_ASSIGN_OR_RETURN(User user, UserByEmail(tx, op.email));
      return channels::RemoveMemberInTx(tx, c, user.id, actor_id).status();
    }
    default:
      return Internal("unexpected provisioning step");
  }
}

Status CheckMayProvision(const authz::Principal& who) {
  if (!who.is_instance_admin()) {
    return PermissionDenied("only an instance admin may provision from a manifest");
  }
  return Status::Ok();
}

ProvisionPlan ToPlan(std::vector<Op>& ops) {
  ProvisionPlan plan;
  for (Op& op : ops) plan.changes.push_back(std::move(op.change));
  return plan;
}

}  // namespace

Result<ProvisionPlan> ProvisionService::Plan(const Actor& actor, const Manifest& manifest,
                                             bool prune) {
  provision::Errors errors{provision::FileLabel(manifest), {}};
  provision::Validate(manifest, ctx_->options.limits, errors);
  QUIK_RETURN_IF_ERROR(errors.ToStatus());
  return ctx_->ReadResult<ProvisionPlan>([&](store::Tx& tx, ProvisionPlan& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_RETURN_IF_ERROR(CheckMayProvision(who));
    Planner planner(tx, manifest, prune);
    QUIK_ASSIGN_OR_RETURN(auto ops, planner.Run());
    out = ToPlan(ops);
    out.skipped = planner.skipped();
    return Status::Ok();
  });
}

Result<ProvisionPlan> ProvisionService::Apply(const Actor& actor, const Manifest& manifest,
                                              bool prune) {
  provision::Errors errors{provision::FileLabel(manifest), {}};
  provision::Validate(manifest, ctx_->options.limits, errors);
  QUIK_RETURN_IF_ERROR(errors.ToStatus());
  return ctx_->WriteResult<ProvisionPlan>([&](store::Tx& tx, ProvisionPlan& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_RETURN_IF_ERROR(CheckMayProvision(who));
    // Planned again here: the data dir may have changed since any earlier Plan.
    Planner planner(tx, manifest, prune);
    QUIK_ASSIGN_OR_RETURN(auto ops, planner.Run());
    for (const Op& op : ops) {
      Status st = Execute(tx, op, actor.user_id());
      if (!st.ok()) {
        return Status(st.code(), "applying '" + op.change.line + "': " + st.message() +
                                     " (nothing was applied)");
      }
    }
    out = ToPlan(ops);
    out.skipped = planner.skipped();
    return Status::Ok();
  });
}

Result<Manifest> ProvisionService::Export(const Actor& actor, std::string_view ref) {
  return ctx_->ReadResult<Manifest>([&](store::Tx& tx, Manifest& out) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto who, authz::Resolve(tx, actor));
    QUIK_RETURN_IF_ERROR(CheckMayProvision(who));
    QUIK_ASSIGN_OR_RETURN(Workspace ws, authz::FindWorkspace(tx, ref));
    ManifestWorkspace mws;
    mws.name = ws.name;
    mws.slug = ws.slug;
    QUIK_ASSIGN_OR_RETURN(auto members, AllMembers(tx, ws.id));
    mws.members.emplace();
    for (const Member& m : members) {
      mws.members->push_back(ManifestMember{m.email, m.name, m.role, 0});
    }
    mws.channels.emplace();
    QUIK_ASSIGN_OR_RETURN(auto channels, tx.ListChannels(ws.id));
    for (const Channel& c : channels) {
      if (IsDirect(c)) continue;  // a manifest declares no DMs
      ManifestChannel mc;
      mc.name = c.name;
      if (c.is_private()) mc.is_private = true;
      if (!c.topic.empty()) mc.topic = c.topic;
      mc.archived = c.archived;
      QUIK_ASSIGN_OR_RETURN(auto in_channel, tx.ListChannelMembers(c.id));
      mc.members.emplace();
      for (const ChannelMember& cm : in_channel) mc.members->push_back(cm.email);
      mws.channels->push_back(std::move(mc));
    }
    out.workspaces.push_back(std::move(mws));
    return Status::Ok();
  });
}

}  // namespace quik
