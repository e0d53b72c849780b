// SPDX-License-Identifier: MIT
// The in-transaction parts of WorkspaceService, shared with provisioning
// (provision/): each writes its rows and appends the same events the service
// call does. Permission checks stay with the callers.
#pragma once

#include <string_view>

#include "quik/types.hpp"
#include "store/tx.hpp"

namespace quik::workspaces {

// Inserts a workspace named `name` (trimmed) with the valid `slug`
// (kAlreadyExists if taken), appends workspace.created, and when `owner_id`
// is not empty makes that user its owner (member.joined).
Result<Workspace> CreateInTx(store::Tx& tx, std::string_view name, std::string_view slug,
                             std::string_view owner_id, std::string_view actor_id);

// Renames `ws` (workspace.updated).
Status RenameInTx(store::Tx& tx, Workspace& ws, std::string_view name, std::string_view actor_id);

// Makes the active `user` a member of `ws` with `role` (kAlreadyExists if
// they are one; kInvalidArgument if deactivated); member.joined.
Result<Member> AddMemberInTx(store::Tx& tx, const Workspace& ws, const User& user, Role role,
                             std::string_view actor_id);

// Sets the role of `member` of `ws` (never demoting the last owner:
// kPermissionDenied); member.updated.
Status SetRoleInTx(store::Tx& tx, const Workspace& ws, Member& member, Role role,
                   std::string_view actor_id);

// Removes `member` from `ws` and its channels (never the last owner:
// kPermissionDenied); member.left.
Status RemoveMemberInTx(store::Tx& tx, const Workspace& ws, const Member& member,
                        std::string_view actor_id);

}  // namespace quik::workspaces
