// SPDX-License-Identifier: MIT
// quik::Status and quik::Result<T>: how every libquik call reports failure.
//
// No exception crosses the public API. A call that can fail returns a Status
// (or a Result<T> holding either a value or a non-ok Status). The codes are the
// canonical ones of DESIGN.md; they map once to HTTP statuses and quikctl exit
// codes (see StatusCodeName, HttpStatus and ExitCode below).
//
// Thread safety: Status and Result are values; const access from several
// threads is safe, mutation needs external synchronisation.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace quik {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // bad input: validation failed, malformed file or request
  kNotFound,           // no such object, or the caller may not know it exists
  kAlreadyExists,      // unique key taken (email, slug, channel name)
  kPermissionDenied,   // the caller is known but may not do this
  kUnauthenticated,    // no valid credentials, or the account is deactivated
  kResourceExhausted,  // a size or rate limit was exceeded
  kUnavailable,        // try again later: database busy or locked, server unreachable
  kUnimplemented,      // the operation exists but is not built yet
  kInternal,           // a bug or an unexpected failure of the environment
};

// The wire name of a code: "invalid_argument", "not_found", "conflict" (for
// kAlreadyExists, as CONTRACT.md names it), "permission_denied", ...
std::string_view StatusCodeName(StatusCode code);
// The inverse, for clients of the HTTP API: also "payload_too_large" (as
// kResourceExhausted); nullopt for a name it does not know.
std::optional<StatusCode> StatusCodeFromName(std::string_view name);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "<code name>: <message>", or "ok".
  std::string ToString() const;

  // The HTTP status of CONTRACT.md section 2 (kResourceExhausted is 429; a
  // caller that knows it is about a body size answers 413 itself).
  int HttpStatus() const;
  // The quikctl exit code of CONTRACT.md section 1.
  int ExitCode() const;

  // Ignores the status deliberately, where dropping it is the right thing.
  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status PermissionDenied(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status Unauthenticated(std::string m) {
  return {StatusCode::kUnauthenticated, std::move(m)};
}
inline Status ResourceExhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status Unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Either a T or a non-ok Status. Accessing the value of a failed Result is a
// programming error (asserted in debug builds).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "a Result built from a Status must hold an error");
    if (status_.ok()) status_ = Internal("Result built from an ok Status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace quik

// Returns the status of `expr` from the enclosing function if it is not ok.
#define QUIK_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::quik::Status quik_status_ = (expr);        \
    if (!quik_status_.ok()) return quik_status_; \
  } while (0)

#define QUIK_CONCAT_INNER_(a, b) a##b
#define QUIK_CONCAT_(a, b) QUIK_CONCAT_INNER_(a, b)
// `QUIK_ASSIGN_OR_RETURN(auto x, Fn());` binds the value or returns the error.
#define QUIK_ASSIGN_OR_RETURN(lhs, expr) \
  QUIK_ASSIGN_OR_RETURN_IMPL_(QUIK_CONCAT_(quik_result_, __LINE__), lhs, expr)
#define QUIK_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
