// SPDX-License-Identifier: MIT
// Test fixture for the domain services: a fresh data dir per test, a Service
// over it with fast password hashing, and helpers that build users,
// workspaces, channels and messages (each REQUIREs success).
//
// Assertion helpers:
//   CHECK_CODE(expr, quik::StatusCode::kNotFound)  expr: a Status or Result<T>
//   REQUIRE_CODE(expr, code), CHECK_OK(expr), REQUIRE_OK(expr)
//   auto v = REQUIRE_VALUE(expr);                  the value of an ok Result<T>
// Each prints the expression and its status on failure.
#pragma once

#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "quik/actor.hpp"
#include "quik/datadir.hpp"
#include "quik/options.hpp"
#include "quik/service.hpp"
#include "quik/status.hpp"
#include "quik/types.hpp"
#include "testing/temp_dir.hpp"

namespace Catch {
template <>
struct StringMaker<quik::StatusCode> {
  static std::string convert(quik::StatusCode code) {
    return std::string(quik::StatusCodeName(code));
  }
};
template <>
struct StringMaker<quik::Role> {
  static std::string convert(quik::Role role) { return std::string(quik::RoleName(role)); }
};
template <>
struct StringMaker<quik::ChannelKind> {
  static std::string convert(quik::ChannelKind kind) {
    return std::string(quik::ChannelKindName(kind));
  }
};
}  // namespace Catch

namespace quik_test {

inline const quik::Status& StatusOf(const quik::Status& status) { return status; }
template <typename T>
const quik::Status& StatusOf(const quik::Result<T>& result) {
  return result.status();
}

template <typename T>
T ValueOrFail(quik::Result<T> result, const char* expr, const char* file, int line) {
  INFO(file << ":" << line << ": " << expr << " -> " << result.status().ToString());
  REQUIRE(result.ok());
  return std::move(result).value();
}

}  // namespace quik_test

#define QUIK_TEST_CODE_IMPL_(assert_macro, expr, expected)                              \
  do {                                                                                  \
    const auto& quik_test_result_ = (expr);                                             \
    const ::quik::Status& quik_test_status_ = ::quik_test::StatusOf(quik_test_result_); \
    INFO(#expr " -> " << quik_test_status_.ToString());                                 \
    assert_macro(quik_test_status_.code() == (expected));                               \
  } while (false)

#define CHECK_CODE(expr, expected) QUIK_TEST_CODE_IMPL_(CHECK, expr, expected)
#define REQUIRE_CODE(expr, expected) QUIK_TEST_CODE_IMPL_(REQUIRE, expr, expected)
#define CHECK_OK(expr) CHECK_CODE(expr, ::quik::StatusCode::kOk)
#define REQUIRE_OK(expr) REQUIRE_CODE(expr, ::quik::StatusCode::kOk)
#define REQUIRE_VALUE(expr) ::quik_test::ValueOrFail((expr), #expr, __FILE__, __LINE__)

namespace quik_test {

// Options for tests: the given data dir, fast scrypt, no fsync per commit.
inline quik::Options TestOptions(const std::filesystem::path& data_dir) {
  quik::Options options;
  options.data_dir = data_dir;
  options.auth.scrypt_log2_n = 10;
  options.storage.sync = quik::SyncMode::kNormal;
  return options;
}

inline quik::Actor System() { return quik::Actor::System(); }
inline quik::Actor As(const quik::User& user) { return quik::Actor::ForUser(user.id); }

// Everyone of the role matrix, around one workspace created by `owner`.
struct Team {
  quik::Workspace ws;
  quik::User owner;
  quik::User admin;
  quik::User member;
  quik::User member2;
  quik::User guest;
  quik::User outsider;  // active, but in no workspace
};

class ServiceFixture {
 public:
  // `tweak` may change the options before the data dir is initialised.
  explicit ServiceFixture(const std::function<void(quik::Options&)>& tweak = {}) {
    options_ = TestOptions(tmp_.path() / "data");
    if (tweak) tweak(options_);
    auto init = quik::InitDataDir(options_);
    INFO("InitDataDir(" << options_.data_dir << ") -> " << init.status().ToString());
    REQUIRE(init.ok());
    Open();
  }
  ~ServiceFixture() { service_.reset(); }  // before tmp_ removes the dir
  ServiceFixture(const ServiceFixture&) = delete;
  ServiceFixture& operator=(const ServiceFixture&) = delete;

  const quik::Options& options() const { return options_; }
  const std::filesystem::path& data_dir() const { return options_.data_dir; }

  // Safe to call from worker threads: no Catch assertions here (Catch 2 is
  // not thread-safe). The constructor already REQUIREd a Service.
  quik::Service& svc() { return *service_; }
  quik::UserService& users() { return svc().users(); }
  quik::AuthService& auth() { return svc().auth(); }
  quik::WorkspaceService& workspaces() { return svc().workspaces(); }
  quik::ChannelService& channels() { return svc().channels(); }
  quik::MessageService& messages() { return svc().messages(); }
  quik::EventService& events() { return svc().events(); }

  // Closes the Service and opens a new one over the same data dir.
  void Reopen() {
    service_.reset();
    Open();
  }

  // A user created by the system. The email defaults to the name, lower-cased
  // with spaces as dots, at example.test.
  quik::User CreateUser(const std::string& name, const std::string& email = "",
                        std::optional<std::string> password = std::nullopt, bool is_admin = false) {
    quik::NewUser spec;
    spec.name = name;
    spec.email = email.empty() ? DefaultEmail(name) : email;
    spec.password = std::move(password);
    spec.is_admin = is_admin;
    return REQUIRE_VALUE(users().Create(System(), spec));
  }

  quik::Workspace CreateWorkspace(const quik::Actor& actor, const std::string& name,
                                  const std::string& slug = "") {
    quik::NewWorkspace spec;
    spec.name = name;
    spec.slug = slug;
    return REQUIRE_VALUE(workspaces().Create(actor, spec));
  }

  // Added by the system.
  quik::Member AddMember(const quik::Workspace& ws, const quik::User& user, quik::Role role) {
    return REQUIRE_VALUE(workspaces().AddMember(System(), ws.id, user.id, role));
  }

  quik::Channel CreateChannel(const quik::Actor& actor, const quik::Workspace& ws,
                              const std::string& name, bool is_private = false,
                              const std::string& topic = "") {
    quik::NewChannel spec;
    spec.name = name;
    spec.is_private = is_private;
    spec.topic = topic;
    return REQUIRE_VALUE(channels().Create(actor, ws.id, spec));
  }

  quik::Message Post(const quik::Actor& actor, const std::string& channel_ref,
                     const std::string& text, const std::string& client_msg_id = "") {
    quik::NewMessage msg;
    msg.text = text;
    msg.client_msg_id = client_msg_id;
    quik::Posted posted = REQUIRE_VALUE(messages().Post(actor, channel_ref, msg));
    return posted.message;
  }

  quik::IssuedToken CreateToken(const quik::User& user, const std::string& name = "test",
                                std::optional<std::chrono::seconds> ttl = std::nullopt) {
    quik::NewToken spec;
    spec.name = name;
    spec.ttl = ttl;
    return REQUIRE_VALUE(auth().CreateToken(As(user), user.id, spec));
  }

  // Owner (creator of the workspace), admin, two members, a guest and an
  // outsider. `prefix` keeps emails unique when a test builds several teams.
  Team MakeTeam(const std::string& prefix = "acme") {
    Team t;
    t.owner = CreateUser(prefix + " Owner");
    t.admin = CreateUser(prefix + " Admin");
    t.member = CreateUser(prefix + " Member");
    t.member2 = CreateUser(prefix + " Member Two");
    t.guest = CreateUser(prefix + " Guest");
    t.outsider = CreateUser(prefix + " Outsider");
    t.ws = CreateWorkspace(As(t.owner), prefix + " Team", prefix);
    AddMember(t.ws, t.admin, quik::Role::kAdmin);
    AddMember(t.ws, t.member, quik::Role::kMember);
    AddMember(t.ws, t.member2, quik::Role::kMember);
    AddMember(t.ws, t.guest, quik::Role::kGuest);
    return t;
  }

  // The seq of the newest event.
  std::int64_t LatestSeq() { return REQUIRE_VALUE(events().LatestSeq()); }

  static std::string DefaultEmail(const std::string& name) {
    std::string local;
    for (char c : name) {
      local += c == ' ' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return local + "@example.test";
  }

 private:
  void Open() {
    auto opened = quik::Service::Open(options_);
    INFO("Service::Open(" << options_.data_dir << ") -> " << opened.status().ToString());
    REQUIRE(opened.ok());
    service_ = std::move(opened).value();
  }

  TempDir tmp_;  // declared first: destroyed last
  quik::Options options_;
  std::unique_ptr<quik::Service> service_;
};

// `n` copies of `unit` (a UTF-8 string).
inline std::string Repeat(std::string_view unit, int n) {
  std::string s;
  s.reserve(unit.size() * static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) s += unit;
  return s;
}

}  // namespace quik_test
