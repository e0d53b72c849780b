// SPDX-License-Identifier: MIT
// Frames from clients (realtime/frames.hpp ParseClientFrame): JSON text or
// binary Protobuf.
#include <string>
#include <utility>

#include <google/protobuf/stubs/logging.h>
#include <nlohmann/json.hpp>

#include "quik/v1/realtime.pb.h"
#include "realtime/frames.hpp"

namespace quik::realtime {
namespace {

using nlohmann::json;

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
  bool parsed = false;
  {
    // A string field that is not UTF-8 fails the parse, answered below;
    // protobuf would also log it, once for every such frame a client sends.
    google::protobuf::LogSilencer quiet;
    parsed = p.ParseFromArray(data.data(), static_cast<int>(data.size()));
  }
  if (!parsed) {
    return Invalid(
        "a binary frame must be a quik.v1.ClientFrame with UTF-8 strings; this one does not "
        "parse");
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

// No string a client sends may hold a NUL, in a frame as in a JSON body
// (api::ParseJsonBody): it would cut the string short in C APIs and logs.
Result<ClientFrame> RefuseNul(ClientFrame f) {
  const std::pair<std::string_view, const std::string*> fields[] = {
      {"token", &f.token}, {"channel_id", &f.channel_id}, {"status", &f.status}};
  for (const auto& [name, value] : fields) {
    if (value->find('\0') != std::string::npos) {
      return Invalid("\"" + std::string(name) +
                     "\" contains a NUL character (\\u0000), which no string field may hold");
    }
  }
  return f;
}

}  // namespace

Result<ClientFrame> ParseClientFrame(std::string_view data, bool binary) {
  QUIK_ASSIGN_OR_RETURN(ClientFrame f, binary ? ParseProto(data) : ParseJson(data));
  return RefuseNul(std::move(f));
}

}  // namespace quik::realtime
