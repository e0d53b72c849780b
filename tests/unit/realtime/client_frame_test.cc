// SPDX-License-Identifier: MIT
// Frames a WebSocket client sends (realtime/frames.hpp ParseClientFrame), in
// JSON text and in binary Protobuf.
#include <google/protobuf/stubs/logging.h>
#include <catch2/catch.hpp>
#include <string>

#include "quik/status.hpp"
#include "quik/v1/realtime.pb.h"
#include "realtime/frames.hpp"

using quik::realtime::ClientFrame;
using quik::realtime::ParseClientFrame;

namespace {

std::string Binary(const quik::v1::ClientFrame& frame) {
  std::string out;
  REQUIRE(frame.SerializeToString(&out));
  return out;
}

}  // namespace

TEST_CASE("client frames: auth, typing and presence in JSON and Protobuf", "[realtime][frames]") {
  auto auth = ParseClientFrame(R"({"type":"auth","token":"qk_x","after":7})", false);
  REQUIRE(auth.ok());
  CHECK(auth->kind == ClientFrame::Kind::kAuth);
  CHECK(auth->token == "qk_x");
  CHECK(auth->after == 7);

  quik::v1::ClientFrame typing;
  typing.mutable_typing()->set_channel_id("C1");
  auto parsed = ParseClientFrame(Binary(typing), true);
  REQUIRE(parsed.ok());
  CHECK(parsed->kind == ClientFrame::Kind::kTyping);
  CHECK(parsed->channel_id == "C1");

  auto bad = ParseClientFrame(R"({"type":"wave"})", false);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == quik::StatusCode::kInvalidArgument);
  CHECK(bad.status().message().find("unknown frame type") != std::string::npos);
}

TEST_CASE("client frames: a NUL in any string is refused and named", "[realtime][frames]") {
  struct Case {
    std::string frame;
    std::string field;
  };
  const Case json_cases[] = {
      {R"({"type":"auth","token":"qk\u0000x"})", "token"},
      {R"({"type":"typing","channel_id":"C\u00001"})", "channel_id"},
      {R"({"type":"presence","status":"away\u0000"})", "status"},
  };
  for (const Case& c : json_cases) {
    INFO(c.frame);
    auto r = ParseClientFrame(c.frame, false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == quik::StatusCode::kInvalidArgument);
    CHECK(r.status().message().find("\"" + c.field + "\"") != std::string::npos);
    CHECK(r.status().message().find("NUL") != std::string::npos);
  }

  quik::v1::ClientFrame auth;
  auth.mutable_auth()->set_token(std::string("qk\0x", 4));
  quik::v1::ClientFrame presence;
  presence.mutable_presence()->set_status(std::string("\0", 1));
  for (const auto* frame : {&auth, &presence}) {
    auto r = ParseClientFrame(Binary(*frame), true);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("NUL") != std::string::npos);
  }
}

namespace {

int protobuf_log_lines = 0;
void CountLog(google::protobuf::LogLevel, const char*, int, const std::string&) {
  ++protobuf_log_lines;
}

}  // namespace

TEST_CASE("client frames: a string that is not UTF-8 is refused without a log line",
          "[realtime][frames]") {
  quik::v1::ClientFrame auth;
  auth.mutable_auth()->set_token("qk_\xff\xfe");
  std::string bytes;
  {
    google::protobuf::LogSilencer quiet;  // serializing it would log too
    REQUIRE(auth.SerializeToString(&bytes));
  }
  protobuf_log_lines = 0;
  google::protobuf::LogHandler* previous = google::protobuf::SetLogHandler(&CountLog);
  auto r = ParseClientFrame(bytes, true);
  google::protobuf::SetLogHandler(previous);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == quik::StatusCode::kInvalidArgument);
  CHECK(r.status().message().find("UTF-8") != std::string::npos);
  CHECK(protobuf_log_lines == 0);  // a client cannot flood the log this way
}
