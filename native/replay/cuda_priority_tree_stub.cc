// CudaPriorityTree when the binary has no CUDA kernels (nvcc absent, or MARIO_RL_CUDA=OFF): every
// entry point reports that CUDA was not compiled in.
#ifndef MARIO_RL_WITH_CUDA

#include "common/error.h"
#include "replay/cuda/cuda_priority_tree.h"

namespace mario_rl {

struct CudaPriorityTree::Impl {};

CudaStatus QueryCuda() {
  CudaStatus status;
  status.reason = "this binary was built without CUDA kernels (nvcc was not found at build time)";
  return status;
}

CudaPriorityTree::CudaPriorityTree(const PriorityTree&) { throw Error("no CUDA device: " + QueryCuda().reason); }
CudaPriorityTree::~CudaPriorityTree() = default;
void CudaPriorityTree::Set(const int32_t*, const double*, size_t) {}
void CudaPriorityTree::SampleWithUniforms(const double*, size_t, double, int64_t, int32_t*, float*) {}
void CudaPriorityTree::SampleWithKey(uint64_t, size_t, double, int64_t, int32_t*, float*) {}
void CudaPriorityTree::Launch(const double*, uint64_t, size_t, double, int64_t, int32_t*, float*) {}
double CudaPriorityTree::Total() const { return 0.0; }
double CudaPriorityTree::Min() const { return 0.0; }
size_t CudaPriorityTree::memory_bytes() const { return 0; }

}  // namespace mario_rl

#endif  // MARIO_RL_WITH_CUDA
