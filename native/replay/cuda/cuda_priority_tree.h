// A GPU mirror of a PriorityTree (same level layout, same f64 arithmetic in the same order), so
// sampling on the GPU returns the same indices as the CPU for the same uniforms. Plain C++
// interface: no CUDA header leaks to the binding. Built from cuda_priority_tree.cu when nvcc is
// present (MARIO_RL_WITH_CUDA); otherwise cuda_priority_tree_stub.cc reports "built without CUDA".
//
// The CUDA runtime is linked statically and opens the driver (libcuda) on the first call, so a
// machine without a GPU or driver loads the addon fine and QueryCuda() reports why CUDA is off.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "replay/priority_tree.h"

namespace mario_rl {

struct CudaStatus {
  bool compiled = false;   // kernels are in this binary
  bool available = false;  // a usable device was found
  int devices = 0;
  std::string device_name;  // of device 0 when available
  std::string reason;       // why not available ("" when available)
};

// Never throws; the first call initialises the CUDA runtime.
CudaStatus QueryCuda();

class CudaPriorityTree {
 public:
  // Mirrors tree's current contents on device 0. Error("no CUDA device: <reason>") when CUDA is
  // unavailable; Error on an allocation failure.
  explicit CudaPriorityTree(const PriorityTree& tree);
  ~CudaPriorityTree();
  CudaPriorityTree(const CudaPriorityTree&) = delete;
  CudaPriorityTree& operator=(const CudaPriorityTree&) = delete;

  // Applies the same batch the CPU tree took (already validated there): duplicates are resolved on
  // the host (the later one wins, after a sort), then one kernel writes the leaves and recomputes
  // the touched nodes level by level, each node by exactly one thread.
  void Set(const int32_t* indices, const double* priorities, size_t count);

  // Stratified descent of count samples (8 threads per sample, one node = one 64-byte read) and
  // importance weights (min / p)^beta, in one launch. filled clamps indices as on the CPU.
  void SampleWithUniforms(const double* uniforms, size_t count, double beta, int64_t filled, int32_t* out_indices,
                          float* out_weights);
  // The same with u_i = CounterUniform(key, i) computed in the kernel (no uniforms upload): equal to
  // PriorityTree::SampleWithKey(key, ...), which PriorityTree::Sample uses.
  void SampleWithKey(uint64_t key, size_t count, double beta, int64_t filled, int32_t* out_indices, float* out_weights);

  // Device-side total and min (computed by the update kernel), for checks.
  double Total() const;
  double Min() const;
  size_t memory_bytes() const;

 private:
  void Launch(const double* uniforms, uint64_t key, size_t count, double beta, int64_t filled, int32_t* out_indices,
              float* out_weights);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mario_rl
