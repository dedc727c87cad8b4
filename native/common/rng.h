// Deterministic random numbers for everything seeded in the core (power-on RAM, sticky actions,
// no-op starts, stage draws, replay sampling). Same seed -> same stream on every platform and
// thread count; no std:: distributions (their output is implementation-defined).
#pragma once

#include <cstdint>

namespace mario_rl {

// SplitMix64: used to expand one user seed into independent per-stream seeds.
inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// xoshiro256** 1.0: small state (32 bytes, trivially copyable into save states), fast.
class Rng {
 public:
  Rng() { Seed(0); }
  explicit Rng(uint64_t seed) { Seed(seed); }

  // Seeds from (seed, stream) so lanes/threads get independent streams from one user seed.
  void Seed(uint64_t seed, uint64_t stream = 0) {
    uint64_t sm = seed ^ (stream * 0xD1B54A32D192ED03ULL);
    for (auto& word : s_) word = SplitMix64(sm);
  }

  uint64_t NextU64() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  uint32_t NextU32() { return static_cast<uint32_t>(NextU64() >> 32); }

  // Uniform double in [0, 1) with 53 random bits.
  double NextDouble() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

  // Uniform integer in [0, bound), bound > 0 (Lemire's multiply-shift with rejection).
  uint32_t NextBelow(uint32_t bound) {
    uint64_t m = static_cast<uint64_t>(NextU32()) * bound;
    uint32_t low = static_cast<uint32_t>(m);
    if (low < bound) {
      const uint32_t threshold = static_cast<uint32_t>(-bound) % bound;
      while (low < threshold) {
        m = static_cast<uint64_t>(NextU32()) * bound;
        low = static_cast<uint32_t>(m);
      }
    }
    return static_cast<uint32_t>(m >> 32);
  }

  const uint64_t* state() const { return s_; }
  uint64_t* mutable_state() { return s_; }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace mario_rl
