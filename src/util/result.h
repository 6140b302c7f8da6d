// Result<T>: a value or an Error, shaped like C++23's std::expected.
//
// Errors are values at module boundaries (STYLE.md rule 3): no exception crosses a
// module boundary. An Error carries a code (what happens next: retry, skip, stop),
// an admin-readable message, a context (file:line, object key) and the typed details the
// protocols need: the request field at fault (REST) and the SCIM type (SCIM).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace telsync {

enum class ErrorCode {
  kInvalid,             // bad input: a config value, a user attribute, a request body
  kNotFound,            // the thing asked for does not exist
  kConflict,            // a uniqueness rule would be broken
  kAuth,                // credentials rejected
  kThrottled,           // the peer asked us to slow down (transient)
  kUnavailable,         // the peer or a resource cannot be reached (transient)
  kInternal,            // a bug or an unexpected failure of a dependency
  kForbidden,           // the caller is known but may not do this (an admin token creating tenants)
  kPreconditionFailed,  // a condition the caller set does not hold (If-Match: a stale version)
  kTooLarge,            // the request or value is bigger than allowed
  kRateLimited,         // this caller sent too many requests: retry after the time given
  kMethodNotAllowed,    // the resource exists but not with this method
};

const char* ErrorCodeName(ErrorCode code);
// The one mapping of an error to an HTTP status, for the REST API and SCIM alike.
int HttpStatusOf(ErrorCode code);
// The one mapping of an error to the CLI's exit code: 2 (usage or configuration: the admin
// must change what was asked) or 1 (the work failed: retrying may help).
int ExitCodeOf(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  // in an admin's words; never contains a secret
  std::string context;  // where: "profiles.yaml:12 tenants[0].profiles[1].policy.mode"
  // The typed details (issue 16 item 2), apart from the free-form context:
  std::string field = {};      // the request part at fault, as the REST API names it: "body.name",
                               // "If-Match", "limit"; "" when none
  std::string scim_type = {};  // the SCIM scimType (RFC 7644 §3.12): "invalidFilter", "uniqueness"

  static Error Invalid(std::string msg, std::string ctx = {}) {
    return {ErrorCode::kInvalid, std::move(msg), std::move(ctx)};
  }
  static Error NotFound(std::string msg, std::string ctx = {}) {
    return {ErrorCode::kNotFound, std::move(msg), std::move(ctx)};
  }
  static Error Conflict(std::string msg, std::string ctx = {}) {
    return {ErrorCode::kConflict, std::move(msg), std::move(ctx)};
  }
  static Error Unavailable(std::string msg, std::string ctx = {}) {
    return {ErrorCode::kUnavailable, std::move(msg), std::move(ctx)};
  }
  static Error Internal(std::string msg, std::string ctx = {}) {
    return {ErrorCode::kInternal, std::move(msg), std::move(ctx)};
  }

  // The same error naming the request field / the SCIM type at fault.
  Error WithField(std::string f) const& {
    Error e = *this;
    e.field = std::move(f);
    return e;
  }
  Error WithScimType(std::string type) const& {
    Error e = *this;
    e.scim_type = std::move(type);
    return e;
  }

  // "where: message", or the message alone: `where` is the context, else the field, else
  // the SCIM type (the first one set).
  std::string ToString() const {
    const std::string& where = !context.empty() ? context : !field.empty() ? field : scim_type;
    return where.empty() ? message : where + ": " + message;
  }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status Ok() { return Status(); }

}  // namespace telsync
