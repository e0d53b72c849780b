// SPDX-License-Identifier: MIT
// quik::Actor: on whose behalf a service call runs.
//
// Every service call takes an Actor and enforces the permission rules of
// CONTRACT.md section 0 for it; callers cannot skip them. The system actor is
// the operator with access to the data dir (quikctl working offline, or an
// embedding host acting as itself): it may do anything, but a message is
// always posted as a user.
#pragma once

#include <string>
#include <utility>

namespace quik {

class Actor {
 public:
  static Actor System() { return Actor(std::string()); }
  static Actor ForUser(std::string user_id) { return Actor(std::move(user_id)); }

  bool is_system() const { return user_id_.empty(); }
  // Empty for the system actor.
  const std::string& user_id() const { return user_id_; }

 private:
  explicit Actor(std::string user_id) : user_id_(std::move(user_id)) {}
  std::string user_id_;
};

}  // namespace quik
