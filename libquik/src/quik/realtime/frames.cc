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

Status Invalid(std::string message) { return InvalidArgument(std::move(message)); }

constexpr std::string_view kTypes = "auth, ping, typing or presence";

Result<ClientFrame> ParseJson(std::string_view data) {
  json j = json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Invalid("a frame must be a JSON object; this one does not parse");
  if (!j.is_object()) return Invalid("a frame must be a JSON object");
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) {
    return Invalid("a frame needs a string \"type\": " + std::string(kTypes));
  }
  auto string_field = [&](const char* key) -> Result<std::string> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
      return Invalid("a \"" + type->get<std::string>() + "\" frame needs a non-empty string \"" +
                     key + "\"");
    }
    return it->get<std::string>();
  };
  ClientFrame f;
  const auto& name = type->get_ref<const std::string&>();
  if (name == "ping") {
    f.kind = ClientFrame::Kind::kPing;
  } else if (name == "auth") {
    f.kind = ClientFrame::Kind::kAuth;
    QUIK_ASSIGN_OR_RETURN(f.token, string_field("token"));
    auto after = j.find("after");
    if (after != j.end() && !after->is_null()) {
      if (!after->is_number_integer() || after->get<std::int64_t>() < 0) {
        return Invalid("\"after\" must be a seq: an integer of 0 or more");
      }
      f.after = after->get<std::int64_t>();
    }
  } else if (name == "typing") {
    f.kind = ClientFrame::Kind::kTyping;
    QUIK_ASSIGN_OR_RETURN(f.channel_id, string_field("channel_id"));
  } else if (name == "presence") {
    f.kind = ClientFrame::Kind::kPresence;
    QUIK_ASSIGN_OR_RETURN(f.status, string_field("status"));
  } else {
    return Invalid("unknown frame type \"" + name + "\"; expected " + std::string(kTypes));
  }
  return f;
}

Result<ClientFrame> ParseProto(std::string_view data) {
  v1::ClientFrame p;
  if (!p.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
    return Invalid("a binary frame must be a quik.v1.ClientFrame; this one does not parse");
  }
  ClientFrame f;
  switch (p.frame_case()) {
    case v1::ClientFrame::kAuth:
      f.kind = ClientFrame::Kind::kAuth;
      f.token = p.auth().token();
      if (p.auth().has_after()) f.after = p.auth().after();
      if (f.token.empty()) return Invalid("an auth frame needs a token");
      if (f.after && *f.after < 0) return Invalid("after must be 0 or more");
      break;
    case v1::ClientFrame::kPing:
      f.kind = ClientFrame::Kind::kPing;
      break;
    case v1::ClientFrame::kTyping:
      f.kind = ClientFrame::Kind::kTyping;
      f.channel_id = p.typing().channel_id();
      if (f.channel_id.empty()) return Invalid("a typing frame needs a channel_id");
      break;
    case v1::ClientFrame::kPresence:
      f.kind = ClientFrame::Kind::kPresence;
      f.status = p.presence().status();
      if (f.status.empty()) return Invalid("a presence frame needs a status");
      break;
    case v1::ClientFrame::FRAME_NOT_SET:
      return Invalid("unknown frame type; expected " + std::string(kTypes));
  }
  return f;
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

Result<ClientFrame> ParseClientFrame(std::string_view data, bool binary) {
  return binary ? ParseProto(data) : ParseJson(data);
}

}  // namespace quik::realtime
