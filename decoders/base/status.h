#pragma once

// Status and Result<T>: errors as values on the data path (leveldb's Status, with a payload
// variant). Exceptions are used only at the config boundary.

#include <algorithm>
#include <cassert>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cdc {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk,
    kCorruption,          // bytes from the network that do not parse
    kInvalidArgument,     // a value we cannot represent or a bad request
    kIoError,             // a file or socket failed
    kUnavailable,         // a peer is unreachable or refused; retrying may help
    kFailedPrecondition,  // the server or its state is not what pgcdc needs
    kDeliveryFailed,      // the sink gave up on a message
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status IoError(std::string msg) { return Status(Code::kIoError, std::move(msg)); }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status FailedPrecondition(std::string msg) {
    return Status(Code::kFailedPrecondition, std::move(msg));
  }
  static Status DeliveryFailed(std::string msg) {
    return Status(Code::kDeliveryFailed, std::move(msg));
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return msg_; }
  // The server's five-character SQLSTATE when the error came from one (PostgreSQL), else "".
  // Decisions test this field, never the wording of the message.
  std::string_view sqlstate() const { return std::string_view(sqlstate_, sqlstate_[0] ? 5 : 0); }
  Status WithSqlState(std::string_view state) const {
    Status s = *this;
    for (size_t i = 0; i < 5; ++i) s.sqlstate_[i] = i < state.size() ? state[i] : '\0';
    return s;
  }

  // Prefixes the message with context ("decoding Insert: " + msg); keeps the code and SQLSTATE.
  Status WithContext(std::string_view context) const {
    if (ok()) return *this;
    Status s(code_, std::string(context) + ": " + msg_);
    std::copy(std::begin(sqlstate_), std::end(sqlstate_), std::begin(s.sqlstate_));
    return s;
  }

 private:
  Status(Code code, std::string msg) : code_(code), msg_(std::move(msg)) {}
  Code code_ = Code::kOk;
  char sqlstate_[6] = {};
  std::string msg_;
};

// Result<T> holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace cdc

#define CDC_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::cdc::Status cdc_status_ = (expr);        \
    if (!cdc_status_.ok()) return cdc_status_; \
  } while (0)
