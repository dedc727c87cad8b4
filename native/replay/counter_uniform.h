// The uniforms of one stratified sampling call: one 64-bit key is drawn from the seeded Rng per
// call, and sample i's uniform is the (i + 1)-th output of a SplitMix64 stream started at that key.
// Being counter-based, the GPU computes exactly the CPU's uniforms in its kernel, so a seeded
// draw needs no uniforms upload and gives the same indices on both paths.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define MARIO_RL_HOST_DEVICE __host__ __device__
#else
#define MARIO_RL_HOST_DEVICE
#endif

namespace mario_rl {

MARIO_RL_HOST_DEVICE inline double CounterUniform(uint64_t key, uint64_t i) {
  uint64_t z = key + (i + 1) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

}  // namespace mario_rl
