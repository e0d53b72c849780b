// SPDX-License-Identifier: MIT
#include "realtime/frames.hpp"

#include <nlohmann/json.hpp>

#include "events/event_log.hpp"
#include "quik/json.hpp"
#include "quik/v1/realtime.pb.h"

namespace quik::realtime {
namespace {

using nlohmann::json;

std::string Serialize(const v1::ServerFrame& f) {
  std::string out;
  f.SerializeToString(&out);
  return out;
}

FramePtr Make(Encoding enc, const json& j, const v1::ServerFrame& f) {
  auto frame = std::make_shared<Frame>();
  if (enc == Encoding::kJson) {
    frame->json = j.dump(-1, ' ', false, json::error_handler_t::replace);
  } else {
    frame->proto = Serialize(f);
  }
  return frame;
}

std::string EventJson(const DecodedEvent& e) {
  return EventObject(e).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string EventProto(const DecodedEvent& e) {
  v1::ServerFrame f;
  auto* ev = f.mutable_event();
  ev->set_seq(e.event.seq);
  ev->set_type(e.event.type);
  ev->set_workspace_id(e.event.workspace_id);
  ev->set_channel_id(e.event.channel_id);
  *ev->mutable_data() = e.payload;
  return Serialize(f);
}

}  // namespace

nlohmann::json EventObject(const DecodedEvent& e) {
  json j = {{"type", e.event.type}, {"seq", e.event.seq}};
  if (!e.event.workspace_id.empty()) j["workspace_id"] = e.event.workspace_id;
  if (!e.event.channel_id.empty()) j["channel_id"] = e.event.channel_id;
  j["data"] = events::PayloadJson(e.payload);
  return j;
}

FramePtr EventFrame(const DecodedEvent& e, bool json, bool proto) {
  auto frame = std::make_shared<Frame>();
  frame->seq = e.event.seq;
  if (json) frame->json = EventJson(e);
  if (proto) frame->proto = EventProto(e);
  return frame;
}

FramePtr WithProto(const FramePtr& frame, const DecodedEvent& e) {
  if (!frame->proto.empty()) return frame;
  auto copy = std::make_shared<Frame>(*frame);
  copy->proto = EventProto(e);
  return copy;
}

FramePtr HelloFrame(Encoding enc, std::string_view user_id, std::int64_t seq) {
  v1::ServerFrame f;
  f.mutable_hello()->set_user_id(std::string(user_id));
  f.mutable_hello()->set_seq(seq);
  return Make(enc, {{"type", "hello"}, {"user_id", user_id}, {"seq", seq}}, f);
}

FramePtr ResyncRequiredFrame(Encoding enc) {
  v1::ServerFrame f;
  f.mutable_resync_required();
  return Make(enc, {{"type", "resync_required"}}, f);
}

FramePtr PongFrame(Encoding enc) {
  v1::ServerFrame f;
  f.mutable_pong();
  return Make(enc, {{"type", "pong"}}, f);
}

FramePtr TypingFrame(Encoding enc, std::string_view workspace_id, std::string_view channel_id,
                     std::string_view user_id) {
  v1::ServerFrame f;
  auto* t = f.mutable_typing();
  t->set_workspace_id(std::string(workspace_id));
  t->set_channel_id(std::string(channel_id));
  t->set_user_id(std::string(user_id));
  return Make(enc,
              {{"type", "typing"},
               {"workspace_id", workspace_id},
               {"channel_id", channel_id},
               {"user_id", user_id}},
              f);
}

FramePtr PresenceFrame(Encoding enc, std::string_view user_id, std::string_view status,
                       std::int64_t last_seen) {
  v1::ServerFrame f;
  auto* p = f.mutable_presence_changed();
  p->set_user_id(std::string(user_id));
  p->set_status(std::string(status));
  p->set_last_seen(last_seen);
  json j = {{"type", "presence.changed"}, {"user_id", user_id}, {"status", status}};
  if (last_seen != 0) j["last_seen"] = FormatTime(last_seen);
  return Make(enc, j, f);
}

FramePtr ErrorFrame(Encoding enc, const Status& status) {
  v1::ServerFrame f;
  f.mutable_error()->set_code(std::string(StatusCodeName(status.code())));
  f.mutable_error()->set_message(status.message());
  json j = ErrorJson(status);
  j["type"] = "error";
  return Make(enc, j, f);
}

}  // namespace quik::realtime
