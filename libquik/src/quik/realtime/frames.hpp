// SPDX-License-Identifier: MIT
// The realtime frames of CONTRACT.md section 3, as JSON text and as binary
// Protobuf (subprotocol "quik.v1.proto", libquik/proto/quik/v1/realtime.proto).
//
// A durable event's frame is encoded once and the same buffer is shared by
// every connection that sends it (a FramePtr in each outgoing queue).
//
// Thread safety: a Frame is immutable once shared; the functions are pure.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "authz/event_visibility.hpp"
#include "quik/status.hpp"

namespace quik::realtime {

// Who receives an event is authz's rule (authz/event_visibility.hpp); the
// realtime layer applies it to decoded events.
using authz::Decode;
using authz::DecodedEvent;
using authz::IsChannelInfo;
using authz::View;

enum class Encoding { kJson, kProto };

struct Frame {
  std::int64_t seq = 0;  // durable events only
  std::string json;      // empty when not needed by anyone
  std::string proto;
  const std::string& bytes(Encoding e) const { return e == Encoding::kJson ? json : proto; }
};
using FramePtr = std::shared_ptr<const Frame>;

// A durable event's JSON frame as an object: {"type","seq","workspace_id",
// "channel_id","data"} (webhook bodies add to it).
nlohmann::json EventObject(const DecodedEvent& e);

// A durable event, in the encodings asked for.
FramePtr EventFrame(const DecodedEvent& e, bool json, bool proto);
// Adds the proto encoding to a frame made without it.
FramePtr WithProto(const FramePtr& frame, const DecodedEvent& e);

FramePtr HelloFrame(Encoding enc, std::string_view user_id, std::int64_t seq);
FramePtr ResyncRequiredFrame(Encoding enc);
FramePtr PongFrame(Encoding enc);
FramePtr TypingFrame(Encoding enc, std::string_view workspace_id, std::string_view channel_id,
                     std::string_view user_id);
FramePtr PresenceFrame(Encoding enc, std::string_view user_id, std::string_view status,
                       std::int64_t last_seen);
FramePtr ErrorFrame(Encoding enc, const Status& status);

// A frame from the client.
struct ClientFrame {
  enum class Kind { kAuth, kPing, kTyping, kPresence };
  Kind kind = Kind::kPing;
  std::string token;                // kAuth
  std::optional<std::int64_t> after;  // kAuth
  std::string channel_id;           // kTyping
  std::string status;               // kPresence
};
// Parses a text (JSON) or binary (Protobuf) frame; InvalidArgument says what
// is wrong with it.
Result<ClientFrame> ParseClientFrame(std::string_view data, bool binary);

}  // namespace quik::realtime
