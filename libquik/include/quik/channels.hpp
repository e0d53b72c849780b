// quik::ChannelService: public and private channels and their members.
//
// Rules: non-guest workspace members see every public channel; private
// channels exist only for their members; guests see only channels they were
// added to. Anyone else gets kNotFound.
//
// Thread safety: all methods may be called from any thread concurrently.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quik/actor.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"

namespace quik {
namespace internal {
struct Context;
}

struct NewChannel {
  std::string name;  // lower-cased; [a-z0-9-_], unique in the workspace
  bool is_private = false;
  std::string topic;
};

struct ChannelUpdate {
  std::optional<std::string> name;
  std::optional<std::string> topic;
};

struct ListChannelsRequest {
  bool include_archived = false;
};

class ChannelService {
 public:
  explicit ChannelService(internal::Context* ctx) : ctx_(ctx) {}

  // A non-guest member (who becomes its first member), or the system.
  Result<Channel> Create(const Actor& actor, std::string_view ws_ref, const NewChannel& spec);
  // `ref`: a channel id or "workspace/#name" (workspace id or slug).
  Result<Channel> Get(const Actor& actor, std::string_view ref);
  // What the actor may see; the system (the admin view) sees everything.
  Result<std::vector<Channel>> List(const Actor& actor, std::string_view ws_ref,
                                    const ListChannelsRequest& request = {});
  // Channel members (public channels: any non-guest member) and admins.
  Result<Channel> Update(const Actor& actor, std::string_view ref, const ChannelUpdate& update);
  // The channel's creator or a workspace admin. Archived channels are read-only.
  Result<Channel> Archive(const Actor& actor, std::string_view ref);

  // A non-guest member joins a public channel.
  Status Join(const Actor& actor, std::string_view ref);
  Status Leave(const Actor& actor, std::string_view ref);
  // Channel members may add workspace members; workspace admins may add to any
  // channel they can see (every public one; a private one only as its member).
  Status AddMember(const Actor& actor, std::string_view ref, std::string_view user_ref);
  // Admins, or the member themself.
  Status RemoveMember(const Actor& actor, std::string_view ref, std::string_view user_ref);
  Result<std::vector<ChannelMember>> ListMembers(const Actor& actor, std::string_view ref);

 private:
  internal::Context* ctx_;
};

}  // namespace quik
