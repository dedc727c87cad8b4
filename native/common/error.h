// Errors thrown by the native core. The kind says which JavaScript error the binding raises
// (TypeError, RangeError or Error), so C++ code never includes N-API to report bad input.
#pragma once

#include <stdexcept>
#include <string>

namespace mario_rl {

enum class ErrorKind { kError, kTypeError, kRangeError };

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ErrorKind kind = ErrorKind::kError)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

inline Error TypeErrorOf(const std::string& message) { return Error(message, ErrorKind::kTypeError); }
inline Error RangeErrorOf(const std::string& message) { return Error(message, ErrorKind::kRangeError); }

// "Expected <what> for <name> but received <got>" — the one shape of our validation messages.
std::string ExpectedMessage(const std::string& what, const std::string& name, const std::string& got);

}  // namespace mario_rl
