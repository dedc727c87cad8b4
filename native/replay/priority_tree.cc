#include "replay/priority_tree.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <new>
#include <string>

#include "common/error.h"
#include "replay/counter_uniform.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace mario_rl {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Descents run in groups this wide: enough independent cache misses in flight to hide latency,
// few enough that the group's state stays in registers/L1.
constexpr size_t kLockstep = 64;
constexpr std::align_val_t kLineAlign{64};
// Large trees are aligned to 2 MiB and offered transparent huge pages: random descents then miss
// the TLB far less often (THP is commonly in "madvise" mode).
constexpr size_t kHugePage = size_t{2} << 20;
constexpr std::align_val_t kHugeAlign{kHugePage};

size_t RoundUpToFanout(size_t n) { return (n + PriorityTree::kFanout - 1) & ~size_t{PriorityTree::kFanout - 1}; }

std::string DescribeNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

inline void Prefetch(const double* p) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p, 0, 3);
#else
  (void)p;
#endif
}

// The 8 inclusive prefix sums of one node, formed in the same order as the parent's sum (so the
// last equals the parent bit for bit).
inline void NodePrefix(const double* v, double* p) {
  double acc = 0.0;
  for (int c = 0; c < PriorityTree::kFanout; ++c) {
    acc += v[c];
    p[c] = acc;
  }
}

// Index of the child holding mass x, given the node's prefixes p (and its values v, read only on
// the rare rounding path), and x made relative to that child. Branch-free on the common path: j is
// the count of prefixes <= x, and x drops the largest of them. A zero child is never chosen: its
// prefix equals its left neighbour's.
// The rare rounding path of a pick: x reached the node's sum, so take the last child with mass and
// put x just below that child's mass.
inline int PickLastWithMass(const double* v, double& x) {
  int j = PriorityTree::kFanout - 1;
  while (j > 0 && !(v[j] > 0.0)) --j;
  x = v[j] > 0.0 ? std::nextafter(v[j], 0.0) : 0.0;
  return j;
}

inline int PickChild(const double* p, const double* v, double& x) {
  int j = 0;
  for (int c = 0; c < PriorityTree::kFanout; ++c) j += p[c] <= x;
  if (j == PriorityTree::kFanout) return PickLastWithMass(v, x);
  const double left = p[(j - 1) & (PriorityTree::kFanout - 1)];
  x -= j > 0 ? left : 0.0;
  return j;
}

// NodePrefix and PickChild fused, for a node visited once: the same prefixes (same order, so the
// same choice and the same relative x) kept in registers, the largest one <= x selected as the
// scan goes instead of stored and read back by index. About 10% faster per sample at 2^20.
inline int PrefixPick(const double* v, double& x) {
  const double xv = x;
  double acc = v[0];
  double left = 0.0;
  int j = 0;
  for (int c = 0; c < PriorityTree::kFanout; ++c) {
    if (c > 0) acc += v[c];
    const bool le = acc <= xv;
    j += le;
    left = le ? acc : left;
  }
  if (j == PriorityTree::kFanout) return PickLastWithMass(v, x);
  x = xv - left;
  return j;
}

}  // namespace

void PriorityTree::FreeAligned::operator()(double* p) const {
  if (huge) {
    ::operator delete[](p, kHugeAlign);
  } else {
    ::operator delete[](p, kLineAlign);
  }
}

PriorityTree::PriorityTree(int64_t capacity) : capacity_(capacity), min_(kInf), storage_(nullptr, FreeAligned{false}) {
  if (capacity < 1 || capacity > kMaxCapacity) {
    throw RangeErrorOf(ExpectedMessage("an integer in [1, " + std::to_string(kMaxCapacity) + "]", "capacity",
                                       std::to_string(capacity)));
  }
  size_t size = RoundUpToFanout(static_cast<size_t>(capacity));
  level_size_.push_back(size);
  while (size > static_cast<size_t>(kFanout)) {
    size = RoundUpToFanout(size >> kFanoutShift);
    level_size_.push_back(size);
  }
  size_t doubles = level_size_[0];
  for (size_t k = 1; k < level_size_.size(); ++k) doubles += 2 * level_size_[k];
  storage_bytes_ = doubles * sizeof(double);
  double* raw = nullptr;
  try {
    if (storage_bytes_ >= 2 * kHugePage) {
      raw = static_cast<double*>(::operator new[](storage_bytes_, kHugeAlign));
    } else {
      raw = static_cast<double*>(::operator new[](storage_bytes_, kLineAlign));
    }
  } catch (const std::bad_alloc&) {
    throw RangeErrorOf("Out of memory allocating a PriorityTree of capacity " + std::to_string(capacity) + " (" +
                       std::to_string(storage_bytes_) + " bytes)");
  }
  storage_ = std::unique_ptr<double[], FreeAligned>(raw, FreeAligned{storage_bytes_ >= 2 * kHugePage});
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (storage_bytes_ >= 2 * kHugePage) madvise(raw, storage_bytes_, MADV_HUGEPAGE);  // a hint; failure is harmless
#endif
  double* cursor = raw;
  sum_level_.assign(level_size_.size(), nullptr);
  min_level_.assign(level_size_.size(), nullptr);
  sum_level_[0] = cursor;
  min_level_[0] = cursor;
  std::fill(cursor, cursor + level_size_[0], 0.0);
  cursor += level_size_[0];
  for (size_t k = 1; k < level_size_.size(); ++k) {
    sum_level_[k] = cursor;
    std::fill(cursor, cursor + level_size_[k], 0.0);
    cursor += level_size_[k];
  }
  for (size_t k = 1; k < level_size_.size(); ++k) {
    min_level_[k] = cursor;
    std::fill(cursor, cursor + level_size_[k], kInf);
    cursor += level_size_[k];
  }
}

template <typename P>
void PriorityTree::SetImpl(const int32_t* indices, const P* priorities, size_t count) {
  // Validate everything first so a bad element leaves the tree untouched.
  int64_t max_index = -1;
  for (size_t i = 0; i < count; ++i) {
    const int64_t idx = indices[i];
    if (idx < 0 || idx >= capacity_) {
      throw RangeErrorOf(ExpectedMessage("an integer in [0, " + std::to_string(capacity_ - 1) + "]",
                                         "indices[" + std::to_string(i) + "]", std::to_string(idx)));
    }
    const double p = static_cast<double>(priorities[i]);
    if (!(p >= 0.0) || p == kInf) {
      throw RangeErrorOf(ExpectedMessage(
          "a finite priority >= 0", "priorities[" + std::to_string(i) + "] (tree index " + std::to_string(idx) + ")",
          DescribeNumber(p)));
    }
    if (p > kMaxPriority) {
      throw RangeErrorOf(ExpectedMessage(
          "a priority in [0, 1e+280] (MAX_PRIORITY)",
          "priorities[" + std::to_string(i) + "] (tree index " + std::to_string(idx) + ")", DescribeNumber(p)));
    }
    max_index = std::max(max_index, idx);
  }
  double* leaf = leaves();
  for (size_t i = 0; i < count; ++i) leaf[indices[i]] = static_cast<double>(priorities[i]);
  filled_ = std::max(filled_, max_index + 1);
  Recompute(indices, count);
}

void PriorityTree::Set(const int32_t* indices, const float* priorities, size_t count) {
  SetImpl(indices, priorities, count);
}
void PriorityTree::Set(const int32_t* indices, const double* priorities, size_t count) {
  SetImpl(indices, priorities, count);
}

namespace {

// Sum (in the fixed order descents use) and min of one node's 8 children; LeafMin maps the
// never-sampled 0 to +infinity.
struct NodeFold {
  double sum;
  double min;
};

template <bool kLeaves>
inline NodeFold Fold(const double* cs, const double* cm) {
  double s = cs[0];
  double m = kLeaves ? (cm[0] > 0.0 ? cm[0] : kInf) : cm[0];
  for (int c = 1; c < PriorityTree::kFanout; ++c) {
    s += cs[c];
    const double v = kLeaves ? (cm[c] > 0.0 ? cm[c] : kInf) : cm[c];
    m = v < m ? v : m;
  }
  return {s, m};
}

template <bool kLeaves>
void RecomputeLevel(const int32_t* indices, size_t count, int shift, const double* child_sum, const double* child_min,
                    double* sum, double* mn) {
  constexpr size_t kAhead = 8;
  int64_t previous = -1;
  for (size_t i = 0; i < count; ++i) {
    if (i + kAhead < count) {
      const int64_t ahead = (static_cast<int64_t>(indices[i + kAhead]) >> shift) << PriorityTree::kFanoutShift;
      Prefetch(child_sum + ahead);
      if (!kLeaves) Prefetch(child_min + ahead);
    }
    const int64_t e = static_cast<int64_t>(indices[i]) >> shift;
    if (e == previous) continue;
    previous = e;
    const NodeFold f =
        Fold<kLeaves>(child_sum + (e << PriorityTree::kFanoutShift), child_min + (e << PriorityTree::kFanoutShift));
    sum[e] = f.sum;
    mn[e] = f.min;
  }
}

}  // namespace

void PriorityTree::Recompute(const int32_t* indices, size_t count) {
  // Level by level across the whole batch: the batch's loads at one level are independent, so
  // their cache misses overlap. Consecutive indices under one parent are recomputed once.
  const int top = levels() - 1;
  for (int k = 1; k <= top; ++k) {
    if (k == 1) {
      RecomputeLevel<true>(indices, count, kFanoutShift, sum_level_[0], min_level_[0], sum_level_[1], min_level_[1]);
    } else {
      RecomputeLevel<false>(indices, count, kFanoutShift * k, sum_level_[k - 1], min_level_[k - 1], sum_level_[k],
                            min_level_[k]);
    }
  }
  const NodeFold f =
      top == 0 ? Fold<true>(sum_level_[0], min_level_[0]) : Fold<false>(sum_level_[top], min_level_[top]);
  total_ = f.sum;
  min_ = f.min;
}

void PriorityTree::GetMany(const int32_t* indices, size_t count, double* out) const {
  const double* leaf = leaves();
  for (size_t i = 0; i < count; ++i) {
    const int64_t idx = indices[i];
    if (idx < 0 || idx >= capacity_) {
      throw RangeErrorOf(ExpectedMessage("an integer in [0, " + std::to_string(capacity_ - 1) + "]",
                                         "indices[" + std::to_string(i) + "]", std::to_string(idx)));
    }
    out[i] = leaf[idx];
  }
}

void PriorityTree::DescendBatch(double* x, size_t count, size_t batch, int32_t* out) const {
  const int top = levels() - 1;
  int64_t node[kLockstep];
  for (size_t g = 0; g < count; ++g) node[g] = 0;
  for (int k = top; k >= 0; --k) {
    const double* level = sum_level_[k];
    const double* below = k > 0 ? sum_level_[k - 1] : nullptr;
    double p[kFanout] = {};  // always formed before use (cached starts at -1); zeroed for the compiler
    if ((level_size_[k] >> kFanoutShift) * 2 < batch) {
      // Fewer than half as many nodes as targets in the whole batch: stratified targets ascend, so
      // consecutive ones mostly share a node, whose prefixes are then formed once per run.
      int64_t cached = -1;
      for (size_t g = 0; g < count; ++g) {
        const double* v = level + (node[g] << kFanoutShift);
        if (node[g] != cached) {
          NodePrefix(v, p);
          cached = node[g];
        }
        node[g] = (node[g] << kFanoutShift) + PickChild(p, v, x[g]);
        if (below) Prefetch(below + (node[g] << kFanoutShift));
      }
    } else {
      for (size_t g = 0; g < count; ++g) {
        const double* v = level + (node[g] << kFanoutShift);
        node[g] = (node[g] << kFanoutShift) + PrefixPick(v, x[g]);
        if (below) Prefetch(below + (node[g] << kFanoutShift));
      }
    }
  }
  const int64_t last = std::max<int64_t>(filled_ - 1, 0);
  for (size_t g = 0; g < count; ++g) out[g] = static_cast<int32_t>(std::min(node[g], last));
}

int32_t PriorityTree::Find(double target) const {
  if (!(target < total_)) target = std::nextafter(total_, 0.0);
  if (!(target >= 0.0)) target = 0.0;
  int32_t out;
  DescendBatch(&target, 1, 1, &out);
  return out;
}

void PriorityTree::SampleWithUniforms(const double* uniforms, size_t count, int32_t* out) const {
  if (!(total_ > 0.0)) throw Error("Cannot sample from a PriorityTree whose total priority is 0");
  const double below_total = std::nextafter(total_, 0.0);
  const double n = static_cast<double>(count);
  double x[kLockstep];
  for (size_t start = 0; start < count; start += kLockstep) {
    const size_t group = std::min(kLockstep, count - start);
    for (size_t g = 0; g < group; ++g) {
      const double t = (static_cast<double>(start + g) + uniforms[start + g]) * total_ / n;
      x[g] = t < below_total ? t : below_total;
    }
    DescendBatch(x, group, count, out + start);
  }
}

void PriorityTree::Sample(size_t count, Rng& rng, int32_t* out) const {
  if (!(total_ > 0.0)) throw Error("Cannot sample from a PriorityTree whose total priority is 0");
  SampleWithKey(rng.NextU64(), count, out);
}

void PriorityTree::SampleWithKey(uint64_t key, size_t count, int32_t* out) const {
  if (!(total_ > 0.0)) throw Error("Cannot sample from a PriorityTree whose total priority is 0");
  // Same target formula as SampleWithUniforms, with u_i = CounterUniform(key, i).
  const double below_total = std::nextafter(total_, 0.0);
  const double n = static_cast<double>(count);
  double x[kLockstep];
  for (size_t start = 0; start < count; start += kLockstep) {
    const size_t group = std::min(kLockstep, count - start);
    for (size_t g = 0; g < group; ++g) {
      const double u = CounterUniform(key, start + g);
      const double t = (static_cast<double>(start + g) + u) * total_ / n;
      x[g] = t < below_total ? t : below_total;
    }
    DescendBatch(x, group, count, out + start);
  }
}

}  // namespace mario_rl
