// Sum and min over priorities for prioritized replay, laid out so that sampling costs about one
// cache line per level and many descents overlap their memory latency.
//
// Layout: an 8-ary tree whose nodes are 8 consecutive doubles (one 64-byte cache line). Level 0 is
// the leaves (the priorities themselves, shared by both trees); level k holds one entry per node
// of level k-1. The sum levels and the min levels live in one aligned allocation. Every internal
// entry is recomputed from its 8 children in a fixed order (((c0+c1)+c2)+...), never updated by
// deltas, so sums do not drift and a descent's prefix sums reproduce the parent bit for bit.
// In the min tree a priority of 0 counts as +infinity: 0 means "never sampled", so the minimum is
// over sampleable items (what importance weights need).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/rng.h"

namespace mario_rl {

class PriorityTree {
 public:
  static constexpr int kFanout = 8;
  static constexpr int kFanoutShift = 3;
  static constexpr int64_t kMaxCapacity = int64_t{1} << 30;
  // Largest priority Set accepts (MAX_PRIORITY in src/replay/priority-tree.ts): kMaxCapacity leaves
  // of it sum to ~1.1e289 and sampling scales the total by up to 2^31 segments (~2.3e298), so every
  // f64 sum stays finite. Above it two finite priorities can sum to infinity (1e308 + 1e308), and
  // sampling would then return one index forever.
  static constexpr double kMaxPriority = 1e280;

  // capacity in [1, kMaxCapacity]; throws RangeError otherwise, or RangeError on out of memory.
  explicit PriorityTree(int64_t capacity);

  int64_t capacity() const { return capacity_; }
  // 1 + the largest index ever set (sampled indices are clamped below it).
  int64_t filled() const { return filled_; }
  double total() const { return total_; }
  // Smallest positive priority, +infinity when none is positive.
  double min() const { return min_; }
  double Get(int64_t index) const { return leaves()[index]; }
  size_t memory_bytes() const { return storage_bytes_; }

  // Sets priorities[i] at indices[i] (a later duplicate wins) and recomputes the ancestors level by
  // level across the batch. Checks every index and priority before changing anything: RangeError
  // naming the position for an index outside [0, capacity) or a NaN or negative priority or one
  // above kMaxPriority (infinity included).
  void Set(const int32_t* indices, const float* priorities, size_t count);
  void Set(const int32_t* indices, const double* priorities, size_t count);

  // Writes the priorities at indices into out (RangeError for an index outside [0, capacity)).
  void GetMany(const int32_t* indices, size_t count, double* out) const;

  // Stratified sampling: count segments of equal mass, one uniform each. The uniforms come from
  // one key drawn from rng per call (CounterUniform(key, i), see counter_uniform.h), which the
  // CUDA mirror reproduces. Error if the total is 0.
  void Sample(size_t count, Rng& rng, int32_t* out) const;
  void SampleWithKey(uint64_t key, size_t count, int32_t* out) const;

  // The same with caller-given uniforms u[i] in [0, 1): the target of sample i is
  // (i + u[i]) * total / count. Lets other backends (CUDA, tests) reproduce the CPU draw exactly.
  void SampleWithUniforms(const double* uniforms, size_t count, int32_t* out) const;

  // Descends for one target mass in [0, total) (clamped); returns the leaf index.
  int32_t Find(double target) const;

  // Level geometry, exposed for the CUDA mirror: level k has level_size(k) entries (a multiple of
  // 8) starting at level_offset(k) in data(); sum levels first, then the min levels (k >= 1).
  int levels() const { return static_cast<int>(level_size_.size()); }
  size_t level_size(int k) const { return level_size_[k]; }
  const double* sum_level(int k) const { return sum_level_[k]; }
  const double* min_level(int k) const { return min_level_[k]; }

 private:
  template <typename P>
  void SetImpl(const int32_t* indices, const P* priorities, size_t count);
  void Recompute(const int32_t* indices, size_t count);
  // Descends count targets (<= kLockstep) of a stratified batch of `batch` targets.
  void DescendBatch(double* targets, size_t count, size_t batch, int32_t* out) const;
  double* leaves() { return sum_level_[0]; }
  const double* leaves() const { return sum_level_[0]; }

  struct FreeAligned {
    bool huge;
    void operator()(double* p) const;
  };

  int64_t capacity_;
  int64_t filled_ = 0;
  double total_ = 0.0;
  double min_;
  size_t storage_bytes_ = 0;
  std::unique_ptr<double[], FreeAligned> storage_;
  std::vector<size_t> level_size_;
  std::vector<double*> sum_level_;
  std::vector<double*> min_level_;  // min_level_[0] aliases the leaves
};

}  // namespace mario_rl
