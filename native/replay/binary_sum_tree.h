// A plain binary sum tree (array heap, one f64 per node, one descent at a time). Not used by the
// replay: it is the C++ baseline that bench/per.ts measures PriorityTree against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/rng.h"

namespace mario_rl {

class BinarySumTree {
 public:
  // capacity in [1, 2^30]; RangeError otherwise.
  explicit BinarySumTree(int64_t capacity);

  double total() const { return nodes_[1]; }
  // Sets each leaf, then walks its ancestors to the root (parent = left + right).
  void Set(const int32_t* indices, const double* priorities, size_t count);
  // Stratified sampling, one root-to-leaf descent per sample.
  void Sample(size_t count, Rng& rng, int32_t* out) const;

 private:
  size_t leaves_;              // a power of two >= capacity
  std::vector<double> nodes_;  // nodes_[1] is the root; leaves at [leaves_, 2 * leaves_)
};

}  // namespace mario_rl
