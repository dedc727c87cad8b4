// Argument re-checks shared by the replay-tree wrappers: the shipped CudaPriorityTree
// (priority_tree_binding.cc) and the test addon's BinarySumTreeBaseline
// (native/test_binding/binary_sum_tree_binding.cc).
#pragma once

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "binding/napi_util.h"
#include "common/rng.h"

namespace mario_rl {

// Reseeds rng when the seed argument is a number >= 0; -1 keeps the current stream.
inline void MaybeReseed(const Napi::CallbackInfo& info, size_t index, Rng& rng) {
  constexpr int64_t kMaxSeed = (int64_t{1} << 53) - 1;
  const int64_t seed = ExpectInteger(info, index, -1, kMaxSeed, "seed");
  if (seed >= 0) rng.Seed(static_cast<uint64_t>(seed));
}

inline void ExpectIndexInRange(Napi::Env env, int64_t index, int64_t capacity, size_t position) {
  if (index < 0 || index >= capacity) {
    throw Napi::RangeError::New(env,
                                ExpectedMessage("an integer in [0, " + std::to_string(capacity - 1) + "]",
                                                "indices[" + std::to_string(position) + "]", std::to_string(index)));
  }
}

// Throws RangeError naming the first position whose index is outside [0, capacity) or whose
// priority is NaN, negative or infinite; the caller then changes nothing.
inline void ExpectIndicesAndPriorities(Napi::Env env, const Napi::Int32Array& indices,
                                       const Napi::Float64Array& priorities, int64_t capacity) {
  for (size_t i = 0; i < indices.ElementLength(); ++i) {
    ExpectIndexInRange(env, indices[i], capacity, i);
    if (!(priorities[i] >= 0.0) || std::isinf(priorities[i])) {
      throw Napi::RangeError::New(env,
                                  ExpectedMessage("a finite priority >= 0", "priorities[" + std::to_string(i) + "]",
                                                  DescribeValue(Napi::Number::New(env, priorities[i]))));
    }
  }
}

}  // namespace mario_rl
