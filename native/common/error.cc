#include "common/error.h"

namespace mario_rl {

std::string ExpectedMessage(const std::string& what, const std::string& name, const std::string& got) {
  return "Expected " + what + " for " + name + " but received " + got;
}

}  // namespace mario_rl
