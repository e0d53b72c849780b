// SPDX-License-Identifier: MIT
// quik::Status, quik::Result<T> and the error macros (quik/status.hpp), and
// the model helpers of quik/types.hpp (FormatTime, role and kind names).
#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quik/status.hpp"
#include "quik/types.hpp"

using quik::Result;
using quik::Status;
using quik::StatusCode;

namespace {

// One row per code: the wire name, HTTP status and quikctl exit code of
// CONTRACT.md sections 1 and 2.
struct CodeRow {
  StatusCode code;
  std::string_view name;
  int http;
  int exit;
};

const std::vector<CodeRow>& CodeTable() {
  static const std::vector<CodeRow> rows = {
      {StatusCode::kOk, "ok", 200, 0},
      {StatusCode::kInvalidArgument, "invalid_argument", 400, 7},
      {StatusCode::kNotFound, "not_found", 404, 3},
      {StatusCode::kAlreadyExists, "conflict", 409, 4},
      {StatusCode::kPermissionDenied, "permission_denied", 403, 5},
      {StatusCode::kUnauthenticated, "unauthenticated", 401, 5},
      {StatusCode::kResourceExhausted, "rate_limited", 429, 7},
      {StatusCode::kUnavailable, "unavailable", 503, 6},
      {StatusCode::kUnimplemented, "unimplemented", 501, 1},
      {StatusCode::kInternal, "internal", 500, 1},
  };
  return rows;
}

// A move-only value.
struct Widget {
  explicit Widget(int v) : value(std::make_unique<int>(v)) {}
  std::unique_ptr<int> value;
};

Result<std::unique_ptr<int>> MakeInt(int v) {
  if (v < 0) return quik::InvalidArgument("negative: " + std::to_string(v));
  return std::make_unique<int>(v);
}

Status CheckPositive(int v, int* calls) {
  ++*calls;
  if (v <= 0) return quik::InvalidArgument("not positive");
  return Status::Ok();
}

// QUIK_ASSIGN_OR_RETURN in a function returning Result<U>.
Result<int> SumOfTwo(int a, int b) {
  QUIK_ASSIGN_OR_RETURN(std::unique_ptr<int> x, MakeInt(a));
  QUIK_ASSIGN_OR_RETURN(auto y, MakeInt(b));  // a second use in the same scope
  return *x + *y;
}

// QUIK_ASSIGN_OR_RETURN in a function returning Status, assigning to an
// existing variable.
Status StoreInto(int v, std::unique_ptr<int>* out) {
  QUIK_ASSIGN_OR_RETURN(*out, MakeInt(v));
  return Status::Ok();
}

// QUIK_RETURN_IF_ERROR in functions returning Status and Result<U>.
Status BothPositive(int a, int b, int* calls) {
  QUIK_RETURN_IF_ERROR(CheckPositive(a, calls));
  QUIK_RETURN_IF_ERROR(CheckPositive(b, calls));
  return Status::Ok();
}

Result<std::string> Describe(int v, int* calls) {
  QUIK_RETURN_IF_ERROR(CheckPositive(v, calls));
  return std::string("positive ") + std::to_string(v);
}

Result<Widget> MakeWidget(int v) {
  if (v == 0) return quik::NotFound("no widget 0");
  return Widget(v);
}

}  // namespace

// ---------------------------------------------------------------------------
// Status

TEST_CASE("status: a default Status is ok", "[common]") {
  Status s;
  CHECK(s.ok());
  CHECK(s.code() == StatusCode::kOk);
  CHECK(s.message().empty());
  CHECK(s.ToString() == "ok");
  CHECK(Status::Ok().ok());
  CHECK(s.HttpStatus() == 200);
  CHECK(s.ExitCode() == 0);
}

TEST_CASE("status: every code has the wire name of CONTRACT.md", "[common]") {
  for (const CodeRow& row : CodeTable()) {
    INFO("code " << static_cast<int>(row.code) << " (" << row.name << ")");
    CHECK(quik::StatusCodeName(row.code) == row.name);
  }
}

TEST_CASE("status: every code maps to the HTTP status of CONTRACT.md section 2", "[common]") {
  for (const CodeRow& row : CodeTable()) {
    INFO(row.name);
    CHECK(Status(row.code, "m").HttpStatus() == row.http);
  }
}

TEST_CASE("status: every code maps to the quikctl exit code of CONTRACT.md section 1", "[common]") {
  for (const CodeRow& row : CodeTable()) {
    INFO(row.name);
    CHECK(Status(row.code, "m").ExitCode() == row.exit);
  }
}

TEST_CASE("status: the table covers every code", "[common]") {
  // kInternal is the last enumerator; every value up to it is in the table.
  for (int c = 0; c <= static_cast<int>(StatusCode::kInternal); ++c) {
    bool found = false;
    for (const CodeRow& row : CodeTable()) found = found || static_cast<int>(row.code) == c;
    INFO("code " << c);
    CHECK(found);
  }
}

TEST_CASE("status: the helpers build the right codes", "[common]") {
  CHECK(quik::InvalidArgument("x").code() == StatusCode::kInvalidArgument);
  CHECK(quik::NotFound("x").code() == StatusCode::kNotFound);
  CHECK(quik::AlreadyExists("x").code() == StatusCode::kAlreadyExists);
  CHECK(quik::PermissionDenied("x").code() == StatusCode::kPermissionDenied);
  CHECK(quik::Unauthenticated("x").code() == StatusCode::kUnauthenticated);
  CHECK(quik::ResourceExhausted("x").code() == StatusCode::kResourceExhausted);
  CHECK(quik::Unavailable("x").code() == StatusCode::kUnavailable);
  CHECK(quik::Unimplemented("x").code() == StatusCode::kUnimplemented);
  CHECK(quik::Internal("x").code() == StatusCode::kInternal);
  Status s = quik::NotFound("no such user 'bob'");
  CHECK_FALSE(s.ok());
  CHECK(s.message() == "no such user 'bob'");
}

TEST_CASE("status: ToString is '<code name>: <message>'", "[common]") {
  CHECK(quik::NotFound("no such channel").ToString() == "not_found: no such channel");
  CHECK(quik::AlreadyExists("slug 'acme' is taken").ToString() == "conflict: slug 'acme' is taken");
  CHECK(quik::ResourceExhausted("slow down").ToString() == "rate_limited: slow down");
  CHECK(Status(StatusCode::kInternal, "").ToString() == "internal: ");
}

TEST_CASE("status: Status copies and moves", "[common]") {
  Status a = quik::PermissionDenied("nope");
  Status b = a;
  CHECK(b.code() == StatusCode::kPermissionDenied);
  CHECK(b.message() == "nope");
  Status c = std::move(a);
  CHECK(c.code() == StatusCode::kPermissionDenied);
  CHECK(c.message() == "nope");
  c = Status::Ok();
  CHECK(c.ok());
}

// ---------------------------------------------------------------------------
// Result<T>

TEST_CASE("status: Result holds a value", "[common]") {
  Result<std::string> r = std::string("hello");
  REQUIRE(r.ok());
  CHECK(r.status().ok());
  CHECK(r.value() == "hello");
  CHECK(*r == "hello");
  CHECK(r->size() == 5);
  r.value() += "!";
  CHECK(*r == "hello!");
  const Result<std::string>& cr = r;
  CHECK(cr.value() == "hello!");
  CHECK(*cr == "hello!");
  CHECK(cr->size() == 6);
}

TEST_CASE("status: Result holds an error", "[common]") {
  Result<int> r = quik::NotFound("gone");
  CHECK_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kNotFound);
  CHECK(r.status().message() == "gone");
  CHECK(r.status().HttpStatus() == 404);
}

TEST_CASE("status: Result works with a move-only value", "[common]") {
  SECTION("unique_ptr") {
    Result<std::unique_ptr<int>> r = MakeInt(42);
    REQUIRE(r.ok());
    CHECK(**r == 42);
    CHECK(*r.value() == 42);
    std::unique_ptr<int> taken = std::move(r).value();
    REQUIRE(taken != nullptr);
    CHECK(*taken == 42);
  }
  SECTION("moved out with operator*") {
    Result<std::unique_ptr<int>> r = MakeInt(7);
    std::unique_ptr<int> taken = *std::move(r);
    REQUIRE(taken != nullptr);
    CHECK(*taken == 7);
  }
  SECTION("a move-only struct, by value and through ->") {
    Result<Widget> r = MakeWidget(3);
    REQUIRE(r.ok());
    CHECK(*r->value == 3);
    Result<Widget> moved = std::move(r);
    REQUIRE(moved.ok());
    CHECK(*moved->value == 3);
    Widget w = std::move(moved).value();
    CHECK(*w.value == 3);
  }
  SECTION("an error") {
    Result<Widget> r = MakeWidget(0);
    CHECK_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kNotFound);
    Result<std::unique_ptr<int>> e = MakeInt(-1);
    CHECK_FALSE(e.ok());
    CHECK(e.status().message() == "negative: -1");
  }
  SECTION("in a container") {
    std::vector<Result<std::unique_ptr<int>>> v;
    v.push_back(MakeInt(1));
    v.push_back(MakeInt(-2));
    v.push_back(MakeInt(3));
    CHECK(v[0].ok());
    CHECK_FALSE(v[1].ok());
    CHECK(**v[2] == 3);
  }
}

TEST_CASE("status: Result<std::optional<T>> keeps an empty optional as a value", "[common]") {
  Result<std::optional<int>> r = std::optional<int>();
  CHECK(r.ok());
  CHECK_FALSE(r->has_value());
}

// ---------------------------------------------------------------------------
// Macros

TEST_CASE("status: QUIK_ASSIGN_OR_RETURN binds the value or returns the error", "[common]") {
  SECTION("success") {
    Result<int> r = SumOfTwo(2, 3);
    REQUIRE(r.ok());
    CHECK(*r == 5);
  }
  SECTION("the first call fails") {
    Result<int> r = SumOfTwo(-1, 3);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(r.status().message() == "negative: -1");
  }
  SECTION("the second call fails") {
    Result<int> r = SumOfTwo(1, -3);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "negative: -3");
  }
  SECTION("into an existing variable, in a function returning Status") {
    std::unique_ptr<int> out;
    CHECK(StoreInto(9, &out).ok());
    REQUIRE(out != nullptr);
    CHECK(*out == 9);
    std::unique_ptr<int> untouched = std::make_unique<int>(1);
    Status s = StoreInto(-9, &untouched);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    REQUIRE(untouched != nullptr);  // not assigned on error
    CHECK(*untouched == 1);
  }
}

TEST_CASE("status: QUIK_RETURN_IF_ERROR returns the first error", "[common]") {
  int calls = 0;
  CHECK(BothPositive(1, 2, &calls).ok());
  CHECK(calls == 2);  // each expression evaluated exactly once

  calls = 0;
  Status s = BothPositive(0, 2, &calls);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message() == "not positive");
  CHECK(calls == 1);  // returned before the second check

  calls = 0;
  CHECK(BothPositive(1, -2, &calls).code() == StatusCode::kInvalidArgument);
  CHECK(calls == 2);

  calls = 0;
  Result<std::string> r = Describe(4, &calls);
  REQUIRE(r.ok());
  CHECK(*r == "positive 4");
  Result<std::string> e = Describe(-4, &calls);
  CHECK_FALSE(e.ok());
  CHECK(e.status().message() == "not positive");
  CHECK(calls == 2);
}

// ---------------------------------------------------------------------------
// types.hpp

TEST_CASE("types: FormatTime renders RFC 3339 UTC with milliseconds", "[common]") {
  CHECK(quik::FormatTime(0) == "1970-01-01T00:00:00.000Z");
  CHECK(quik::FormatTime(1) == "1970-01-01T00:00:00.001Z");
  CHECK(quik::FormatTime(999) == "1970-01-01T00:00:00.999Z");
  CHECK(quik::FormatTime(1000) == "1970-01-01T00:00:01.000Z");
  CHECK(quik::FormatTime(1704189600200) == "2024-01-02T10:00:00.200Z");  // CONTRACT.md's example
  CHECK(quik::FormatTime(951782400000) == "2000-02-29T00:00:00.000Z");   // a leap day
  CHECK(quik::FormatTime(1709251199999) == "2024-02-29T23:59:59.999Z");
  CHECK(quik::FormatTime(4102444800000) == "2100-01-01T00:00:00.000Z");
  CHECK(quik::FormatTime(253402300799999) == "9999-12-31T23:59:59.999Z");
}

TEST_CASE("types: FormatTime handles times before the epoch", "[common]") {
  CHECK(quik::FormatTime(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(quik::FormatTime(-999) == "1969-12-31T23:59:59.001Z");
  CHECK(quik::FormatTime(-1000) == "1969-12-31T23:59:59.000Z");
  CHECK(quik::FormatTime(-1001) == "1969-12-31T23:59:58.999Z");
  CHECK(quik::FormatTime(-86'400'000) == "1969-12-31T00:00:00.000Z");
}

TEST_CASE("types: role names round-trip", "[common]") {
  using quik::Role;
  CHECK(quik::RoleName(Role::kOwner) == "owner");
  CHECK(quik::RoleName(Role::kAdmin) == "admin");
  CHECK(quik::RoleName(Role::kMember) == "member");
  CHECK(quik::RoleName(Role::kGuest) == "guest");
  for (Role r : {Role::kOwner, Role::kAdmin, Role::kMember, Role::kGuest}) {
    std::optional<Role> parsed = quik::ParseRole(quik::RoleName(r));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == r);
  }
  CHECK_FALSE(quik::ParseRole("").has_value());
  CHECK_FALSE(quik::ParseRole("Owner").has_value());  // names are exact
  CHECK_FALSE(quik::ParseRole("superuser").has_value());
}

TEST_CASE("types: channel kind names and privacy", "[common]") {
  using quik::ChannelKind;
  CHECK(quik::ChannelKindName(ChannelKind::kPublic) == "public");
  CHECK(quik::ChannelKindName(ChannelKind::kPrivate) == "private");
  CHECK(quik::ChannelKindName(ChannelKind::kDirect) == "dm");
  CHECK(quik::ChannelKindName(ChannelKind::kGroup) == "group_dm");
  quik::Channel c;
  CHECK_FALSE(c.is_private());
  for (ChannelKind k : {ChannelKind::kPrivate, ChannelKind::kDirect, ChannelKind::kGroup}) {
    c.kind = k;
    CHECK(c.is_private());
  }
}
