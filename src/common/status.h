// Status and Result<T>: tarn's one error model.
//
// A Status is OK or carries a Code and a message. The Code says what kind of
// failure it is; each protocol codec maps it once to the AWS error code and
// HTTP status of its service (NotFound -> NoSuchKey/404 in S3,
// ResourceNotFoundException/400 in Kinesis). Where the exact AWS code matters
// and the kind alone cannot name it (S3's BucketNotEmpty, EntityTooSmall, ...),
// the Status also carries that code string in aws_code().
//
// Statuses are cheap to copy when OK (no allocation). No exceptions cross
// module boundaries: code that calls a throwing library catches at the
// adapter and returns a Status.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tarn {

enum class Code : int {
  kOk = 0,
  kInvalidArgument,     // the request is malformed or violates a limit
  kNotFound,            // the named resource does not exist
  kAlreadyExists,       // a create collided with an existing resource
  kFailedPrecondition,  // state forbids it (not empty, conditional failed)
  kPermissionDenied,    // authenticated but not allowed
  kUnauthenticated,     // no or bad credentials / signature
  kResourceExhausted,   // overload, quota, disk full
  kUnimplemented,       // operation tarn does not implement
  kAborted,             // concurrent modification, retry
  kUnavailable,         // transient, try again
  kIOError,             // the disk or the OS failed
  kCorruption,          // stored data fails its checksum
  kInternal,            // a bug
};

std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(Code code, std::string message, std::string aws_code = {});

  static Status OK() { return Status(); }

  bool ok() const { return rep_ == nullptr; }
  Code code() const { return rep_ ? rep_->code : Code::kOk; }
  // Empty when OK.
  const std::string& message() const;
  // The AWS error code to render, when the kind alone does not determine it.
  const std::string& aws_code() const;

  // "NotFound: bucket 'x' does not exist" (or "OK").
  std::string ToString() const;

  // Prepends context: "opening blob: <message>".
  Status WithContext(std::string_view context) const;

  bool operator==(Code c) const { return code() == c; }

 private:
  struct Rep {
    Code code;
    std::string message;
    std::string aws_code;
  };
  std::shared_ptr<const Rep> rep_;
};

// Helpers that read like the failures they create.
inline Status InvalidArgument(std::string msg, std::string aws = {}) {
  return Status(Code::kInvalidArgument, std::move(msg), std::move(aws));
}
inline Status NotFound(std::string msg, std::string aws = {}) {
  return Status(Code::kNotFound, std::move(msg), std::move(aws));
}
inline Status AlreadyExists(std::string msg, std::string aws = {}) {
  return Status(Code::kAlreadyExists, std::move(msg), std::move(aws));
}
inline Status FailedPrecondition(std::string msg, std::string aws = {}) {
  return Status(Code::kFailedPrecondition, std::move(msg), std::move(aws));
}
inline Status PermissionDenied(std::string msg, std::string aws = {}) {
  return Status(Code::kPermissionDenied, std::move(msg), std::move(aws));
}
inline Status Unauthenticated(std::string msg, std::string aws = {}) {
  return Status(Code::kUnauthenticated, std::move(msg), std::move(aws));
}
inline Status ResourceExhausted(std::string msg, std::string aws = {}) {
  return Status(Code::kResourceExhausted, std::move(msg), std::move(aws));
}
inline Status Unimplemented(std::string msg, std::string aws = {}) {
  return Status(Code::kUnimplemented, std::move(msg), std::move(aws));
}
inline Status Unavailable(std::string msg, std::string aws = {}) {
  return Status(Code::kUnavailable, std::move(msg), std::move(aws));
}
inline Status IOError(std::string msg, std::string aws = {}) {
  return Status(Code::kIOError, std::move(msg), std::move(aws));
}
inline Status Corruption(std::string msg, std::string aws = {}) {
  return Status(Code::kCorruption, std::move(msg), std::move(aws));
}
inline Status Internal(std::string msg, std::string aws = {}) {
  return Status(Code::kInternal, std::move(msg), std::move(aws));
}
// An IOError built from errno: "write /data/x: No space left on device".
// ENOSPC becomes kResourceExhausted so callers can tell a full disk apart.
Status ErrnoStatus(std::string_view what, int err);

// Result<T>: a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    if (std::get<Status>(v_).ok()) v_ = Status(Code::kInternal, "Result built from OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

namespace internal {
inline const Status& AsStatus(const Status& s) { return s; }
template <typename T>
const Status& AsStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace tarn

#define TARN_CONCAT_INNER(a, b) a##b
#define TARN_CONCAT(a, b) TARN_CONCAT_INNER(a, b)

// The status is copied, not referenced: expr may be a temporary that dies
// at the end of the declaration. Copying an OK Status copies a null pointer.
#define TARN_RETURN_IF_ERROR(expr)                                    \
  do {                                                                \
    const ::tarn::Status _tarn_st = ::tarn::internal::AsStatus(expr); \
    if (!_tarn_st.ok()) return _tarn_st;                              \
  } while (0)

#define TARN_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

#define TARN_ASSIGN_OR_RETURN(lhs, expr) \
  TARN_ASSIGN_OR_RETURN_IMPL(TARN_CONCAT(_tarn_r_, __LINE__), lhs, expr)

// Coroutine variants for asio::awaitable functions.
#define TARN_CO_RETURN_IF_ERROR(expr)                                 \
  do {                                                                \
    const ::tarn::Status _tarn_st = ::tarn::internal::AsStatus(expr); \
    if (!_tarn_st.ok()) co_return _tarn_st;                           \
  } while (0)

#define TARN_CO_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) co_return tmp.status();              \
  lhs = std::move(tmp).value()

#define TARN_CO_ASSIGN_OR_RETURN(lhs, expr) \
  TARN_CO_ASSIGN_OR_RETURN_IMPL(TARN_CONCAT(_tarn_r_, __LINE__), lhs, expr)
