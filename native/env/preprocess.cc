#include "env/preprocess.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "common/error.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define MARIO_RL_LUT_SSSE3 1
#endif

namespace mario_rl::env {
namespace {

#ifdef MARIO_RL_LUT_SSSE3
// 16 lookups in the 64-entry LUT at once: four 16-byte pshufb tables, each selected by the
// index's top two bits. Built for SSSE3 and used only when the CPU has it (checked at run time).
__attribute__((target("ssse3"))) inline __m128i Lookup16(__m128i idx, const __m128i tables[4]) {
  const __m128i low = _mm_set1_epi8(0x0F);
  idx = _mm_and_si128(idx, _mm_set1_epi8(63));
  const __m128i lo = _mm_and_si128(idx, low);
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(idx, 4), low);
  __m128i out = _mm_setzero_si128();
  for (int t = 0; t < 4; ++t) {
    const __m128i pick = _mm_cmpeq_epi8(hi, _mm_set1_epi8(static_cast<char>(t)));
    out = _mm_or_si128(out, _mm_and_si128(pick, _mm_shuffle_epi8(tables[t], lo)));
  }
  return out;
}

__attribute__((target("ssse3"))) void LookupRowSsse3(const uint8_t* src, const uint8_t* prev, const uint8_t* lut,
                                                     uint8_t* dst, int n) {
  __m128i tables[4];
  for (int t = 0; t < 4; ++t) tables[t] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(lut + 16 * t));
  int x = 0;
  for (; x + 16 <= n; x += 16) {
    __m128i v = Lookup16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + x)), tables);
    if (prev) v = _mm_max_epu8(v, Lookup16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(prev + x)), tables));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + x), v);
  }
  for (; x < n; ++x) dst[x] = prev ? std::max(lut[src[x] & 63], lut[prev[x] & 63]) : lut[src[x] & 63];
}

// 64 lookups in one instruction: VPERMB indexes the whole 64-entry LUT with the low 6 bits of
// each byte (the same & 63 as the other paths). The row's tail uses masked loads and stores.
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) void LookupRowVbmi(const uint8_t* src, const uint8_t* prev,
                                                                          const uint8_t* lut, uint8_t* dst, int n) {
  const __m512i table = _mm512_loadu_si512(lut);
  for (int x = 0; x < n; x += 64) {
    const int left = n - x;
    const __mmask64 k = left >= 64 ? ~__mmask64{0} : ((__mmask64{1} << left) - 1);
    __m512i v = _mm512_maskz_permutexvar_epi8(k, _mm512_maskz_loadu_epi8(k, src + x), table);
    if (prev) v = _mm512_max_epu8(v, _mm512_maskz_permutexvar_epi8(k, _mm512_maskz_loadu_epi8(k, prev + x), table));
    _mm512_mask_storeu_epi8(dst + x, k, v);
  }
}

// The fastest table-lookup path this CPU has, capped by MARIO_RL_NO_SIMD=1 (scalar) or
// MARIO_RL_SIMD=ssse3 (so tests can compare every path on one machine).
Preprocessor::Simd DetectSimd() {
  if (std::getenv("MARIO_RL_NO_SIMD") != nullptr) return Preprocessor::Simd::kNone;
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("ssse3")) return Preprocessor::Simd::kNone;
  const char* cap = std::getenv("MARIO_RL_SIMD");
  if (cap != nullptr && std::string(cap) == "ssse3") return Preprocessor::Simd::kSsse3;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi")) {
    return Preprocessor::Simd::kAvx512Vbmi;
  }
  return Preprocessor::Simd::kSsse3;
}
#endif

void CheckRange(int value, int lo, int hi, const char* name) {
  if (value < lo || value > hi) {
    throw RangeErrorOf(ExpectedMessage("an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", name,
                                       std::to_string(value)));
  }
}

// Integer overlap taps for resizing `src` pixels to `dst`: source pixel i spans [i*dst, (i+1)*dst),
// output j spans [j*src, (j+1)*src); each output's weights sum to src.
void BuildTaps(int src, int dst, std::vector<uint16_t>& first, std::vector<uint16_t>& count,
               std::vector<uint32_t>& weights, std::vector<uint32_t>& offsets) {
  for (int j = 0; j < dst; ++j) {
    const int64_t lo = static_cast<int64_t>(j) * src, hi = static_cast<int64_t>(j + 1) * src;
    const int i0 = static_cast<int>(lo / dst);
    const int i1 = static_cast<int>(std::min<int64_t>((hi + dst - 1) / dst, src));  // exclusive
    first.push_back(static_cast<uint16_t>(i0));
    offsets.push_back(static_cast<uint32_t>(weights.size()));
    int n = 0;
    for (int i = i0; i < i1; ++i) {
      const int64_t a = std::max<int64_t>(lo, static_cast<int64_t>(i) * dst);
      const int64_t b = std::min<int64_t>(hi, static_cast<int64_t>(i + 1) * dst);
      weights.push_back(static_cast<uint32_t>(b - a));
      ++n;
    }
    count.push_back(static_cast<uint16_t>(n));
  }
}

// column[x] += w * row[x]: the vertical pass, one source row at a time. Kept out of line: inlined
// into Resize, GCC 12 fused two rows per pass into a loop it left scalar (1.5x slower Resize).
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
void AddWeightedRow(const uint8_t* __restrict row, uint16_t w, int n, uint16_t* __restrict column) {
  for (int x = 0; x < n; ++x) column[x] = static_cast<uint16_t>(column[x] + w * row[x]);
}

// One output row of the horizontal pass. Every output has the same number of taps (padded with
// zero weights), `kTaps` when it is known at compile time (a fixed, unrolled inner loop) or
// `taps` when kTaps is 0. `column` has taps - 1 readable (zero) entries past the crop width.
template <int kTaps>
void HorizontalRow(const uint16_t* column, const uint16_t* first, const uint32_t* weights, int taps, uint32_t half,
                   uint64_t reciprocal, int width, uint8_t* __restrict out) {
  const int t = kTaps > 0 ? kTaps : taps;
  for (int x = 0; x < width; ++x) {
    const uint16_t* v = column + first[x];
    const uint32_t* w = weights + static_cast<size_t>(x) * static_cast<size_t>(t);
    uint32_t sum = half;
    for (int m = 0; m < t; ++m) sum += w[m] * v[m];
    out[x] = static_cast<uint8_t>((sum * reciprocal) >> 40);
  }
}

}  // namespace

void ValidateObsSpec(const ObsSpec& spec) {
  CheckRange(spec.width, 1, kSourceWidth, "obs.width");
  CheckRange(spec.height, 1, kSourceHeight, "obs.height");
  CheckRange(spec.stack, 1, 16, "obs.stack");
  CheckRange(spec.crop_top, 0, kSourceHeight - 1, "obs.crop.top");
  CheckRange(spec.crop_bottom, 0, kSourceHeight - 1 - spec.crop_top, "obs.crop.bottom");
  CheckRange(spec.crop_left, 0, kSourceWidth - 1, "obs.crop.left");
  CheckRange(spec.crop_right, 0, kSourceWidth - 1 - spec.crop_left, "obs.crop.right");
}

Preprocessor::Preprocessor(const ObsSpec& spec, const uint8_t* palette_rgb) : spec_(spec) {
  ValidateObsSpec(spec);
  crop_w_ = kSourceWidth - spec.crop_left - spec.crop_right;
  crop_h_ = kSourceHeight - spec.crop_top - spec.crop_bottom;
  for (int i = 0; i < 64; ++i) {
    const uint32_t r = palette_rgb[3 * i], g = palette_rgb[3 * i + 1], b = palette_rgb[3 * i + 2];
    if (spec.grayscale) {
      lut_[0][i] = static_cast<uint8_t>((299 * r + 587 * g + 114 * b + 500) / 1000);
    } else {
      lut_[0][i] = static_cast<uint8_t>(r);
      lut_[1][i] = static_cast<uint8_t>(g);
      lut_[2][i] = static_cast<uint8_t>(b);
    }
  }
  std::vector<uint16_t> first, count;
  // Horizontal taps, padded to the widest output's count (HorizontalRow).
  {
    std::vector<uint32_t> weights, offsets;
    BuildTaps(crop_w_, spec.width, first, count, weights, offsets);
    for (const uint16_t c : count) x_taps_ = std::max(x_taps_, static_cast<int>(c));
    x_first_ = first;
    x_weights_.assign(first.size() * static_cast<size_t>(x_taps_), 0);
    for (size_t j = 0; j < first.size(); ++j) {
      for (size_t m = 0; m < count[j]; ++m) x_weights_[j * static_cast<size_t>(x_taps_) + m] = weights[offsets[j] + m];
    }
  }
  first.clear();
  count.clear();
  BuildTaps(crop_h_, spec.height, first, count, y_weights_, y_offsets_);
  int span = 0;
  for (size_t j = 0; j < first.size(); ++j) {
    y_taps_.push_back({first[j], count[j]});
    span = std::max(span, static_cast<int>(count[j]));
  }
  while (ring_rows_ < span) ring_rows_ *= 2;  // a power of two: slots by mask, not division
  denominator_ = static_cast<uint32_t>(crop_w_) * static_cast<uint32_t>(crop_h_);
  reciprocal_ = ((uint64_t{1} << 40) + denominator_ - 1) / denominator_;
#ifdef MARIO_RL_LUT_SSSE3
  simd_ = DetectSimd();
#endif
}

void Preprocessor::Resize(const uint8_t* indices, const uint8_t* pool_with, uint8_t* scratch, uint8_t* out) const {
  const int W = spec_.width, H = spec_.height;
  const uint32_t half = denominator_ / 2;
  const int cw = crop_w_, ring_mask = ring_rows_ - 1;
  for (int c = 0; c < Channels(); ++c) {
    // Channel values of source rows (max-pooled when asked) are made when an output row first
    // needs them, into `scratch`, a ring of ring_rows_ rows (a power of two, at least the most
    // rows one output spans): each row once, and the scratch stays small. Locals (and a local
    // copy of the LUT) keep the byte stores from forcing reloads of members.
    uint8_t lut[64];
    std::memcpy(lut, lut_[c], sizeof(lut));
    const uint8_t* src0 = indices + static_cast<size_t>(spec_.crop_top) * kSourceWidth + spec_.crop_left;
    const uint8_t* prev0 =
        pool_with ? pool_with + static_cast<size_t>(spec_.crop_top) * kSourceWidth + spec_.crop_left : nullptr;
    int next_row = 0;  // the first source row not made yet
    // Per output row: its source rows' channel values, the vertical weighted sum over full
    // columns (vectorizes), then the horizontal taps and the exact rounding division.
    uint8_t* __restrict dst = out + static_cast<size_t>(c) * W * H;
    const uint64_t reciprocal = reciprocal_;
    // Column sums fit 16 bits: the vertical weights of one output sum to crop_h <= 240, and
    // 240 * 255 < 65536; 16-bit lanes halve the vector work. The second half stays zero: the
    // padded horizontal taps read up to x_taps_ - 1 (< kSourceWidth) entries past the crop.
    uint16_t column[2 * kSourceWidth] = {};
    for (int y = 0; y < H; ++y) {
      const Tap ty = y_taps_[static_cast<size_t>(y)];
      const uint32_t* wy = y_weights_.data() + y_offsets_[static_cast<size_t>(y)];
      // Source ranges only move down and span at most ring_rows_ rows, so the rows this output
      // needs from earlier ones are still in the ring.
      for (; next_row < ty.first + ty.count; ++next_row) {
        const int r = next_row;
        const uint8_t* src = src0 + static_cast<size_t>(r) * kSourceWidth;
        const uint8_t* prev = prev0 ? prev0 + static_cast<size_t>(r) * kSourceWidth : nullptr;
        uint8_t* __restrict row_out = scratch + static_cast<size_t>(r & ring_mask) * cw;
#ifdef MARIO_RL_LUT_SSSE3
        if (simd_ == Simd::kAvx512Vbmi) {
          LookupRowVbmi(src, prev, lut, row_out, cw);
          continue;
        }
        if (simd_ == Simd::kSsse3) {
          LookupRowSsse3(src, prev, lut, row_out, cw);
          continue;
        }
#endif
        if (prev) {
          for (int x = 0; x < cw; ++x) row_out[x] = std::max(lut[src[x] & 63], lut[prev[x] & 63]);
        } else {
          for (int x = 0; x < cw; ++x) row_out[x] = lut[src[x] & 63];
        }
      }
      std::fill(column, column + cw, uint16_t{0});
      for (int k = 0; k < ty.count; ++k) {
        AddWeightedRow(scratch + static_cast<size_t>((ty.first + k) & ring_mask) * cw, static_cast<uint16_t>(wy[k]), cw,
                       column);
      }
      uint8_t* __restrict out_row = dst + static_cast<size_t>(y) * W;
      const uint16_t* xf = x_first_.data();
      const uint32_t* xw = x_weights_.data();
      const int t = x_taps_;
      switch (t) {  // 256 -> 84 (the default) has 4 taps; up to 8 get an unrolled loop
        case 1: HorizontalRow<1>(column, xf, xw, t, half, reciprocal, W, out_row); break;
        case 2: HorizontalRow<2>(column, xf, xw, t, half, reciprocal, W, out_row); break;
        case 3: HorizontalRow<3>(column, xf, xw, t, half, reciprocal, W, out_row); break;
        case 4: HorizontalRow<4>(column, xf, xw, t, half, reciprocal, W, out_row); break;
        case 5: HorizontalRow<5>(column, xf, xw, t, half, reciprocal, W, out_row); break;
        case 6: HorizontalRow<6>(column, xf, xw, t, half, reciprocal, W, out_row); break;
        case 7: HorizontalRow<7>(column, xf, xw, t, half, reciprocal, W, out_row); break;
        case 8: HorizontalRow<8>(column, xf, xw, t, half, reciprocal, W, out_row); break;
        default: HorizontalRow<0>(column, xf, xw, t, half, reciprocal, W, out_row); break;
      }
    }
  }
}

void FrameStack::Init(int stack, size_t frame_bytes) {
  stack_ = stack;
  frame_bytes_ = frame_bytes;
  head_ = 0;
  data_.assign(static_cast<size_t>(stack) * frame_bytes, 0);
}

void FrameStack::FillWithNewest() {
  const uint8_t* newest = Newest();
  for (int s = 0; s < stack_; ++s) {
    uint8_t* slot = data_.data() + static_cast<size_t>(s) * frame_bytes_;
    if (slot != newest) std::memcpy(slot, newest, frame_bytes_);
  }
}

void FrameStack::WriteObs(uint8_t* out) const {
  for (int s = 0; s < stack_; ++s) {
    const int slot = (head_ + s) % stack_;
    std::memcpy(out + static_cast<size_t>(s) * frame_bytes_, data_.data() + static_cast<size_t>(slot) * frame_bytes_,
                frame_bytes_);
  }
}

}  // namespace mario_rl::env
