#include "replay/binary_sum_tree.h"

#include <algorithm>
#include <string>

#include "common/error.h"

namespace mario_rl {

BinarySumTree::BinarySumTree(int64_t capacity) {
  if (capacity < 1 || capacity > (int64_t{1} << 30)) {
    throw RangeErrorOf(ExpectedMessage("an integer in [1, 1073741824]", "capacity", std::to_string(capacity)));
  }
  leaves_ = 1;
  while (leaves_ < static_cast<size_t>(capacity)) leaves_ <<= 1;
  nodes_.assign(2 * leaves_, 0.0);
}

void BinarySumTree::Set(const int32_t* indices, const double* priorities, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    size_t node = leaves_ + static_cast<size_t>(indices[i]);
    nodes_[node] = priorities[i];
    for (node >>= 1; node >= 1; node >>= 1) nodes_[node] = nodes_[2 * node] + nodes_[2 * node + 1];
  }
}

void BinarySumTree::Sample(size_t count, Rng& rng, int32_t* out) const {
  const double segment = total() / static_cast<double>(count);
  for (size_t i = 0; i < count; ++i) {
    double x = (static_cast<double>(i) + rng.NextDouble()) * segment;
    size_t node = 1;
    while (node < leaves_) {
      const double left = nodes_[2 * node];
      if (x < left) {
        node = 2 * node;
      } else {
        x -= left;
        node = 2 * node + 1;
      }
    }
    out[i] = static_cast<int32_t>(node - leaves_);
  }
}

}  // namespace mario_rl
